//! The inspector driven as a user would, by accessible labels, without a display.

mod common;

use common::harness;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_gui::{Inspector, PolicyChoice};

fn default_trace() -> Inspector {
    common::bundled(PolicyChoice::Fixed(Policy::Vb2_2012))
}

/// Types `text` into the event search and moves to the first match.
fn search_next(h: &mut Harness<'static, Inspector>, text: &str) {
    let field = || {
        egui_kittest::kittest::by()
            .role(egui::accesskit::Role::TextInput)
            .label("Search:")
    };
    h.get(field()).focus();
    h.run();
    h.get(field()).type_text(text);
    h.run();
    h.get_by_label("Next").click();
    h.run();
}

#[test]
fn the_default_trace_shows_the_2012_findings() {
    let h = harness(default_trace());
    h.get_by_label("Findings (5) under vb2-2012");
    assert_eq!(
        h.query_all_by_label_contains("\"dmabuf buffer is already pinned\"")
            .count(),
        2
    );
}

#[test]
fn switching_policy_re_evaluates_the_findings() {
    let mut h = harness(default_trace());
    h.get_by_label("Policy").click();
    h.run();
    h.get_by_label("modern").click();
    h.run();
    h.get_by_label("Findings (4) under modern");
    h.get_by_label("Policy").click();
    h.run();
    h.get_by_label("vb2-3.8").click();
    h.run();
    h.get_by_label("Nothing to report under this policy.");
}

#[test]
fn selecting_a_finding_explains_it() {
    let mut h = harness(default_trace());
    h.get_by_label_contains("R05 error +15.000 ms").click();
    h.run();
    assert_eq!(h.state().selection().finding, Some(2));
    assert!(h.state().selection().cursor.is_some());
    assert!(
        h.state().selection().lane == Some(0),
        "the finding's lane is selected"
    );
    h.get_by_label("R05 error: Double map (\"already pinned\")");
    assert!(
        h.query_all_by_label_contains("dmabuf buffer is already pinned")
            .count()
            >= 2
    );
}

#[test]
fn stepping_moves_over_the_scenario_lines() {
    let mut h = harness(default_trace());
    let mut seen = Vec::new();
    for _ in 0..8 {
        h.get_by_label("Step forward >").click();
        h.run();
        seen.push(h.state().selection().cursor.expect("a cursor"));
    }
    assert_eq!(seen[..3], [0, 1, 2], "open, REQBUFS, its expect");
    // The model's consequences of a line (dma_buf_get, attach, map…) are stepped over.
    let doc = h.state().document().expect("loaded");
    for &c in &seen {
        let e = doc.trace.events.get(c as usize).expect("event");
        assert_ne!(
            e.origin(),
            vb2scope_core::v4l2::Origin::Inferred,
            "event {c}"
        );
    }
    assert!(
        seen.windows(2).any(|w| w[1] > w[0] + 1),
        "some inferred events were skipped: {seen:?}"
    );
    h.get_by_label("< Step back").click();
    h.run();
    assert_eq!(h.state().selection().cursor, seen.get(6).copied());
    h.get_by_label("< Step back").click();
    h.run();
    assert!(h.query_all_by_label_contains("Event ").count() >= 1);
}

#[test]
fn an_unreadable_input_shows_the_error_and_no_half_view() {
    let h = harness(Inspector::open(
        "broken.vb2s",
        b"reqbufs 2 mmap\nfrobnicate\n",
        PolicyChoice::Fixed(Policy::MODERN),
    ));
    h.get_by_label("This input cannot be shown");
    assert!(
        h.query_by_label_contains("broken.vb2s:2:1: unknown operation")
            .is_some()
    );
    assert!(h.query_by_label_contains("Findings").is_none());
}

#[test]
fn search_finds_the_next_matching_event() {
    let mut h = harness(default_trace());
    search_next(&mut h, "STREAMOFF");
    let first = h.state().selection().cursor.expect("a match");
    h.get_by_label("Next").click();
    h.run();
    let second = h.state().selection().cursor.expect("a match");
    assert!(second > first);
    let doc = h.state().document().expect("loaded");
    for c in [first, second] {
        let e = doc.trace.events.get(c as usize).expect("event");
        assert!(matches!(
            e.body,
            vb2scope_core::trace::Body::Ioctl {
                cmd: vb2scope_core::trace::IoctlCmd::Streamoff,
                ..
            }
        ));
    }
    h.get_by_label("Previous").click();
    h.run();
    assert_eq!(h.state().selection().cursor, Some(first));
    h.get_by_label("2 of 68 events");
}

#[test]
fn the_model_state_around_a_finding_is_shown() {
    let mut h = harness(default_trace());
    h.get_by_label_contains("R05 error +15.000 ms").click();
    h.run();
    h.run();
    h.get_by_label("Model state before and after");
    // Before the second QBUF of buffer 0, its plane is still mapped: the lingering map.
    assert!(
        h.query_all_by_label_contains("#0 dequeued; plane 0 dma-buf #0 (fd 4): attached mapped")
            .count()
            >= 1
    );
}

#[test]
fn the_theme_switches() {
    let mut h = harness(default_trace());
    let dark = h.ctx.theme() == egui::Theme::Dark;
    h.get_by_label(if dark { "Light theme" } else { "Dark theme" })
        .click();
    h.run();
    assert_ne!(h.ctx.theme() == egui::Theme::Dark, dark);
}

#[test]
fn filters_narrow_the_events_to_one_buffer_and_kind() {
    let mut h = harness(default_trace());
    h.get_by_label("Kind").click();
    h.run();
    h.get_by_label("ioctls").click();
    h.run();
    h.get_by_label("Buffer").click();
    h.run();
    h.get_by_label("#1").click();
    h.run();
    let mut seen = Vec::new();
    for _ in 0..4 {
        h.get_by_label("Next").click();
        h.run();
        seen.push(h.state().selection().cursor.expect("a match"));
    }
    let doc = h.state().document().expect("loaded");
    for &c in &seen {
        let e = doc.trace.events.get(c as usize).expect("event");
        let vb2scope_core::trace::Body::Ioctl { arg, .. } = e.body else {
            panic!("event {c} is not an ioctl")
        };
        match doc.trace.arg(arg) {
            Some(vb2scope_core::trace::IoctlArg::Buffer(b)) => assert_eq!(b.index, 1, "event {c}"),
            other => panic!("event {c}: {other:?}"),
        }
    }
    assert!(h.query_all_by_label_contains(" of 68 events").count() == 1);
}

#[test]
fn a_big_input_loads_in_the_background_and_can_be_cancelled() {
    use vb2scope_core::format::write_native;
    use vb2scope_core::scenario::{parse, run, streaming_workload};
    let sc = parse(
        "big.vb2s",
        &streaming_workload(30_000, vb2scope_core::v4l2::Memory::Dmabuf),
    )
    .expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let mut bytes = Vec::new();
    write_native(&mut bytes, &trace).expect("write");

    // Cancelled before it starts: nothing is replaced, the bundled trace stays.
    let progress = vb2scope_core::progress::Progress::default();
    progress.cancel();
    let r =
        vb2scope_gui::Document::load_with("big.jsonl", &bytes, PolicyChoice::Auto, Some(&progress));
    assert!(r.err().is_some_and(|e| e.is_cancelled()), "cancelled");

    let mut h = harness(default_trace());
    h.state_mut().open_in_background("big.jsonl".into(), bytes);
    let start = std::time::Instant::now();
    while h.state().is_loading() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "still loading"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    h.run();
    let doc = h.state().document().expect("loaded");
    assert_eq!(doc.name, "big.jsonl");
    assert_eq!(doc.trace.events.len(), trace.events.len());
    assert_eq!(doc.timeline().lanes.len(), 8);
    assert!(
        doc.trace.events.len() > 200_000,
        "big enough to re-evaluate in the background"
    );

    // A policy switch on a big trace runs in the background too, and keeps the view.
    let view = h.state().view();
    h.state_mut()
        .set_policy(PolicyChoice::Fixed(Policy::Vb2_2012));
    assert!(h.state().is_loading());
    while h.state().is_loading() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "still re-evaluating"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    let doc = h.state().document().expect("re-evaluated");
    assert_eq!(doc.policy, Policy::Vb2_2012);
    assert_eq!(h.state().view(), view);
}

#[test]
fn file_open_and_recent_files_are_requests_to_the_program() {
    let mut i = default_trace();
    *i.recent_mut() = vec!["/traces/a.jsonl".into()];
    let mut h = harness(i);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open…").click();
    h.run();
    assert_eq!(h.state().requests(), [vb2scope_gui::Request::OpenDialog]);
    h.state_mut().take_requests();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("/traces/a.jsonl").click();
    h.run();
    assert_eq!(
        h.state().requests(),
        [vb2scope_gui::Request::Open("/traces/a.jsonl".into())]
    );
}

#[test]
fn a_step_says_why_with_the_spec_sentence() {
    let mut h = harness(default_trace());
    search_next(&mut h, "STREAMOFF");
    h.get_by_label("Why");
    assert!(
        h.query_all_by_label_contains("__vb2_queue_cancel does not unmap")
            .count()
            >= 1
    );
    assert!(h.query_all_by_label_contains("VIDIOC_STREAMOFF").count() >= 1);
    // Under modern, the same step tells the other story.
    h.state_mut()
        .set_policy(PolicyChoice::Fixed(Policy::MODERN));
    h.run();
    assert!(h.query_all_by_label_contains("kept on purpose").count() >= 1);
}

/// Image snapshots of the main views (tests/snapshots/*.png), compared within the tolerance
/// of kittest.toml.
mod images {
    use super::*;

    #[test]
    fn the_main_views() {
        let mut h = harness(default_trace());
        h.run();
        h.snapshot("inspector_default");
        h.get_by_label_contains("R05 error +15.000 ms").click();
        h.run();
        h.snapshot("inspector_finding_selected");
        h.state_mut()
            .set_policy(PolicyChoice::Fixed(Policy::MODERN));
        h.ctx.set_theme(egui::Theme::Light);
        h.run();
        h.snapshot("inspector_modern_light");
    }
}

#[test]
fn consequences_follow_the_chosen_policy_not_the_recording() {
    // The bundled trace was recorded under vb2-2012; under modern the second QBUF of
    // buffer 0 maps nothing and prints no "already pinned".
    let mut h = harness(default_trace());
    h.get_by_label_contains("R05 error +15.000 ms").click();
    h.run();
    h.run();
    // Exact labels: the side panel's lines (the event table's rows end in "[inferred]").
    h.get_by_label("What vb2 does in turn under vb2-2012:");
    h.get_by_label("kernel: dmabuf buffer is already pinned");
    h.get_by_label("map_dmabuf cap #0 plane 0");
    h.state_mut()
        .set_policy(PolicyChoice::Fixed(Policy::MODERN));
    h.run();
    h.run();
    h.get_by_label("What vb2 does in turn under modern:");
    assert!(
        h.query_by_label("kernel: dmabuf buffer is already pinned")
            .is_none()
    );
    assert!(h.query_by_label("map_dmabuf cap #0 plane 0").is_none());
}

#[test]
fn many_findings_are_listed_one_line_each() {
    let text = format!("reqbufs 1 mmap\n{}", "dqbuf\n".repeat(250));
    let mut h = harness(Inspector::open(
        "many.vb2s",
        text.as_bytes(),
        PolicyChoice::Fixed(Policy::MODERN),
    ));
    h.get_by_label("Findings (250) under modern");
    // Many findings: grouped, counted, and collapsed until opened.
    assert!(h.query_by_label_contains("R12 warning +2.000 ms").is_none());
    h.get_by_label_contains("R12 warning × 250").click();
    h.run();
    h.get_by_label_contains("R12 warning +2.000 ms").click();
    h.run();
    assert_eq!(h.state().selection().finding, Some(1));
    // Only the rows in view are laid out.
    assert!(h.query_all_by_label_contains("R12 warning").count() < 100);
}

/// A scenario that runs under vb2-2012 but not under modern (its mmap fails there, so its
/// munmap names nothing): switching to modern keeps the document and the choice, and says why.
#[test]
fn a_policy_the_input_cannot_run_under_keeps_the_document() {
    let text = b"reqbufs 2 mmap\nremove_bufs 1 1\ncreate_bufs 2\nmmap 3\nmunmap 3\n";
    let fixed = PolicyChoice::Fixed(Policy::Vb2_2012);
    let mut h = harness(Inspector::open("remove.vb2s", text, fixed));
    h.run();
    let events = h
        .state()
        .document()
        .expect("runs under vb2-2012")
        .trace
        .events
        .len();
    h.state_mut()
        .set_policy(PolicyChoice::Fixed(Policy::MODERN));
    h.run();
    let doc = h.state().document().expect("still shown");
    assert_eq!(doc.policy, Policy::Vb2_2012);
    assert_eq!(doc.trace.events.len(), events);
    assert_eq!(
        h.state().choice(),
        fixed,
        "the selector shows what is shown"
    );
    let e = h.state().policy_error().expect("says why").to_string();
    assert!(e.contains("not mmapped"), "{e}");
    let _ = h.get_by_label_contains("cannot change the policy");
    h.state_mut().set_policy(fixed);
    h.run();
    assert!(
        h.state().policy_error().is_none(),
        "a later change clears it"
    );
    assert_eq!(
        h.state().document().map(|d| d.policy),
        Some(Policy::Vb2_2012)
    );
}

/// A large binary trace is first shown by its first chunks (a preview, judged without its
/// end), then replaced by the whole of it.
#[test]
fn a_large_binary_trace_is_previewed_while_it_loads() {
    use vb2scope_core::format::write_binary;
    use vb2scope_core::scenario::{parse, run, streaming_workload};
    let sc = parse(
        "big.vb2s",
        &streaming_workload(30_000, vb2scope_core::v4l2::Memory::Dmabuf),
    )
    .expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let bytes = write_binary(Vec::new(), &trace).expect("write");
    let l = vb2scope_gui::Loader::spawn_with_preview(
        "big.vb2b".into(),
        bytes,
        PolicyChoice::Auto,
        5_000,
    );
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    loop {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "still loading"
        );
        match l.poll() {
            None => std::thread::sleep(std::time::Duration::from_millis(10)),
            Some(vb2scope_gui::Loaded::Preview(d)) => {
                got.push(("preview", d.name.clone(), d.trace.events.len(), d.trace.cut))
            }
            Some(vb2scope_gui::Loaded::Done(d)) => {
                let d = d.expect("loads");
                got.push(("done", d.name.clone(), d.trace.events.len(), d.trace.cut));
                break;
            }
            Some(vb2scope_gui::Loaded::Kept(..)) => panic!("not a re-evaluation"),
        }
    }
    let chunk = vb2scope_core::format::binary::CHUNK_EVENTS;
    assert_eq!(
        got,
        vec![
            (
                "preview",
                format!("big.vb2b (its first {chunk} events)"),
                chunk,
                true
            ),
            ("done", "big.vb2b".to_string(), trace.events.len(), false),
        ]
    );
}
