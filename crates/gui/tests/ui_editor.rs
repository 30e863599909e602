//! The scenario editor: the timeline follows the text as it is typed, a parse error shows
//! at its line and column while the last good run stays on screen, keywords complete, and
//! each vb2 generation's verdict is shown at once.

mod common;

use common::harness;
use egui_kittest::kittest::{Queryable as _, by};

use vb2scope_core::policy::Policy;
use vb2scope_gui::PolicyChoice;

fn open_editor() -> egui_kittest::Harness<'static, vb2scope_gui::Inspector> {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Scenario editor").click();
    h.run();
    h
}

fn events(h: &egui_kittest::Harness<'static, vb2scope_gui::Inspector>) -> usize {
    h.state().document().map_or(0, |d| d.trace.events.len())
}

#[test]
fn the_timeline_follows_the_text_and_errors_show_inline() {
    let mut h = open_editor();
    // The starting scenario is evaluated and shown at once.
    let doc = h.state().document().expect("the scenario's run");
    assert_eq!(doc.name, "untitled.vb2s");
    let before = events(&h);
    h.get_by_label_contains("vb2-2012: clean");
    h.get_by_label_contains("evaluated in");

    // A typo: the error at its line and column, the last good run still shown.
    let text = h.state().editor().text().to_owned();
    let typo = text.replace("streamoff", "streamof");
    h.state_mut().editor_mut().set_text(&typo);
    h.run();
    h.get_by_label_contains("line 12, column 1: unknown operation \"streamof\"");
    assert_eq!(events(&h), before, "the last good run stays");
    // The pointer away, so that the image does not depend on where the menu left it.
    h.event(egui::Event::PointerGone);
    h.run();
    h.snapshot("editor_parse_error");

    // Fixed, and a line more: the timeline has the new calls.
    let more = format!("{text}reqbufs 0 mmap\n");
    h.state_mut().editor_mut().set_text(&more);
    h.run();
    assert!(h.state().editor().error().is_none());
    assert!(events(&h) > before, "{} → {}", before, events(&h));

    // What each generation says: a DQBUF after STREAMOFF is a warning under all of them.
    h.state_mut()
        .editor_mut()
        .set_text(&format!("{more}dqbuf\n"));
    h.run();
    h.get_by_label_contains("modern: 0 error(s), 1 warning(s)");
}

#[test]
fn keywords_complete_as_they_are_typed() {
    let mut h = open_editor();
    let text = format!("{}str", h.state().editor().text());
    h.state_mut().editor_mut().set_text(&text);
    h.run();
    // The caret at the end of the text, after the "str" being typed.
    let field = || by().role(egui::accesskit::Role::MultilineTextInput);
    h.get(field()).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::End);
    h.run();
    h.get_by_label("complete (Tab):");
    h.get_by_label("streamon");
    h.get_by_label("streamoff").click();
    h.run();
    assert!(
        h.state().editor().text().ends_with("streamoff "),
        "{:?}",
        h.state().editor().text()
    );
    // Tab takes the first offer.
    let text = format!("{}\nqb", h.state().editor().text().trim_end());
    h.state_mut().editor_mut().set_text(&text);
    h.run();
    h.get(field()).focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::End);
    h.run();
    h.key_press(egui::Key::Tab);
    h.run();
    assert!(
        h.state().editor().text().ends_with("qbuf "),
        "{:?}",
        h.state().editor().text()
    );
}

/// "Run on device" waits for a device in the Live panel; a run's trace (here vivid's real
/// run of `traces/clean-session.vb2s` on Linux 6.12, from the corpus) is shown under the
/// model's run of the same text, compared.
#[test]
fn a_run_on_the_device_is_shown_beside_the_models() {
    let mut h = open_editor();
    let disabled = |h: &egui_kittest::Harness<'static, vb2scope_gui::Inspector>| {
        use egui_kittest::kittest::NodeT as _;
        h.get_by_label("Run on device")
            .accesskit_node()
            .is_disabled()
    };
    assert!(disabled(&h), "no device open in the Live panel");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text =
        std::fs::read_to_string(format!("{root}/traces/clean-session.vb2s")).expect("scenario");
    h.state_mut()
        .editor_mut()
        .set_source("clean-session.vb2s", &text);
    h.run();
    let packed = std::fs::read(format!(
        "{root}/tests/fixtures/corpus/linux-6.12.118+deb12-amd64/scenario-clean-session.jsonl.zst"
    ))
    .expect("device run");
    let bytes = zstd::decode_all(&packed[..]).expect("zstd");
    let (device, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("trace");
    h.state_mut().show_device_run(vb2scope_gui::DeviceRun {
        dev: "vivid-000-vid-cap".into(),
        run: Ok((device, Default::default())),
    });
    h.run();
    h.get_by_label_contains("ran 0 statements on vivid-000-vid-cap");
    let c = h.state().comparison().expect("compared");
    assert_eq!(c.b.name, "clean-session.vb2s on vivid-000-vid-cap");
    // The scenario's `driver error` is the model's; vivid completed that buffer itself.
    let result = c
        .diff
        .differences
        .iter()
        .find(|d| d.aspects.contains(&vb2scope_core::diff::Aspect::Result))
        .expect("a result that differs");
    assert_eq!(
        result.a.as_ref().map(|s| s.result.as_str()),
        Some("ok, ERROR")
    );
    assert_eq!(result.b.as_ref().map(|s| s.result.as_str()), Some("ok"));
}

/// Typed key by key: a half-typed keyword is an error at its line and column at once, and
/// the keystroke that completes it puts the new call on the timeline.
#[test]
fn typing_shows_the_error_then_the_fix() {
    let mut h = open_editor();
    let field = || by().role(egui::accesskit::Role::MultilineTextInput);
    let before = events(&h);
    h.get(field()).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::End);
    h.run();
    // The starting text ends with a newline: this types line 13.
    h.get(field()).type_text("streamof");
    h.run();
    h.get_by_label_contains("line 13, column 1: unknown operation \"streamof\"");
    assert_eq!(events(&h), before, "the last good run stays");
    h.get(field()).type_text("f");
    h.run();
    assert!(h.state().editor().error().is_none());
    assert!(h.state().editor().text().ends_with("streamoff\nstreamoff"));
    assert!(
        events(&h) > before,
        "the second STREAMOFF is on the timeline"
    );
}
