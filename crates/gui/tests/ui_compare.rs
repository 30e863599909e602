//! Compare mode: the trace shown above a second one (the same under another policy, or
//! another trace), the differences listed one at a time with both sides, and the step
//! cursor on each side's call.

mod common;

use common::harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_gui::PolicyChoice;

#[test]
fn one_trace_under_two_policies_side_by_side() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Compare under a policy").click();
    h.run();
    h.get_by_label("vb2-2012").click();
    h.run();
    h.get_by_label("Compare");
    // Named in the panel and over B's timeline.
    assert_eq!(
        h.query_all_by_label_contains("B: 2012-report (bundled) under vb2-2012")
            .count(),
        2
    );
    let n = h
        .state()
        .comparison()
        .expect("comparing")
        .diff
        .differences
        .len();
    assert!(n >= 5, "{n} differences");
    h.get_by_label(&format!("{n} differences (N: the first)"));

    h.get_by_label("Next difference >").click();
    h.run();
    h.get_by_label(&format!("difference 1 of {n}"));
    // Both sides of it: vb2 of 2012 unmaps at DQBUF, today's keeps the mapping.
    h.get_by_label_contains("none (model)");
    h.get_by_label_contains("unmap_dmabuf 0.0 (model)");
    let c = h.state().comparison().expect("comparing");
    let a_event = c.a_event().expect("A's call");
    assert_eq!(
        h.state().selection().cursor,
        Some(a_event),
        "A's cursor on it"
    );
    assert_eq!(c.b_event(), Some(a_event), "one trace: the same call on B");
    // Its buffer's lane is selected: buffer 0 of the capture queue, the first lane.
    assert_eq!(h.state().selection().lane, Some(0));

    h.snapshot("compare_policies");
    // N moves on; Shift+N back.
    h.key_press(egui::Key::N);
    h.run();
    h.get_by_label(&format!("difference 2 of {n}"));
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::N);
    h.run();
    h.get_by_label(&format!("difference 1 of {n}"));

    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Stop comparing").click();
    h.run();
    assert!(h.state().comparison().is_none());
}

#[test]
fn a_trace_compared_with_itself_is_the_same_lifecycle() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/default-trace.jsonl"
    ))
    .expect("bundled trace");
    let mut h = harness(common::bundled(PolicyChoice::Auto));
    h.state_mut().compare_with("again.jsonl", &bytes);
    h.run();
    h.get_by_label_contains("Same lifecycle:");
    // What cannot be read says so and compares nothing.
    h.state_mut().compare_with("broken.jsonl", b"{not json");
    h.run();
    h.get_by_label_contains("cannot compare:");
}
