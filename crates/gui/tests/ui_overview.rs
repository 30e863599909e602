//! Finding one's way in a trace: the overview strip above the timeline, and the findings
//! filtered by rule and queue.

mod common;

use common::harness;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_gui::{Inspector, PolicyChoice};

fn click_at(h: &mut Harness<'static, Inspector>, pos: egui::Pos2) {
    h.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run();
}

#[test]
fn the_overview_shows_the_visible_window_and_a_click_moves_it() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::Vb2_2012)));
    h.run();
    let strip = h.get_by_label("Overview").rect();
    let window = h.get_by_label("Visible window").rect();
    assert!(strip.height() >= 30.0 && strip.width() > 500.0, "{strip:?}");
    assert!(
        strip.contains_rect(window) && window.width() >= 3.0,
        "{window:?} in {strip:?}"
    );

    let before = h.state().view();
    click_at(&mut h, egui::pos2(strip.right() - 4.0, strip.center().y));
    let right = h.state().view();
    assert!(right.t0 > before.t0, "{before:?} -> {right:?}");
    assert!(
        ((right.t1 - right.t0) - (before.t1 - before.t0)).abs() < 1.0,
        "the width is kept"
    );
    // The frame follows the view: now centred under the click.
    let moved = h.get_by_label("Visible window").rect();
    assert!(
        moved.center().x > window.center().x,
        "{window:?} -> {moved:?}"
    );

    click_at(&mut h, egui::pos2(strip.left() + 4.0, strip.center().y));
    let left = h.state().view();
    assert!(left.t0 < right.t0, "{right:?} -> {left:?}");
}

#[test]
fn dragging_the_window_moves_the_view_with_the_pointer() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::Vb2_2012)));
    h.run();
    // A narrow window in the first half, to drag right.
    let tl = h.state().document().expect("loaded").timeline().clone();
    let span = (tl.end_ns - tl.start_ns) as f64;
    *h.state_mut().view_mut() = vb2scope_gui::View {
        t0: tl.start_ns as f64 + span * 0.2,
        t1: tl.start_ns as f64 + span * 0.3,
    };
    h.run();
    let w = h.get_by_label("Visible window").rect();
    let from = w.center();
    let to = from + egui::vec2(200.0, 0.0);
    h.event(egui::Event::PointerMoved(from));
    h.drag_at(from);
    h.run();
    for k in 1..=4 {
        h.event(egui::Event::PointerMoved(
            from + egui::vec2(50.0 * k as f32, 0.0),
        ));
        h.run();
    }
    h.drop_at(to);
    h.run();
    let v = h.state().view();
    let strip = h.get_by_label("Overview").rect();
    let expected = span * 200.0 / f64::from(strip.width());
    let moved = v.t0 - (tl.start_ns as f64 + span * 0.2);
    assert!(
        (moved - expected).abs() < expected * 0.1,
        "moved {moved} ns, expected about {expected}"
    );
    assert!(
        ((v.t1 - v.t0) - span * 0.1).abs() < 1.0,
        "the width is kept"
    );
}

/// The bundled trace under vb2-2012 has findings of two rules: R03 and R05.
#[test]
fn choosing_a_rule_hides_the_other_rules() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::Vb2_2012)));
    h.run();
    h.get_by_label_contains("R03 error × 3");
    h.get_by_label_contains("R05 error × 2");
    assert_eq!(
        h.get_all_by_label_contains("R03 error +13.000 ms").count(),
        2
    );
    h.get_by_label("Rule").click();
    h.run();
    h.get_by_label("R05 (2)").click();
    h.run();
    h.get_by_label_contains("R05 error × 2");
    assert!(h.query_by_label_contains("R03 error × 3").is_none());
    assert!(h.query_by_label_contains("R03 error +13.000 ms").is_none());
    h.get_by_label("2 shown");

    h.get_by_label("Rule").click();
    h.run();
    h.get_by_label("All rules (5)").click();
    h.run();
    h.get_by_label_contains("R03 error × 3");
}

/// Two queues, each with its own findings: choosing one leaves its findings alone, counted.
#[test]
fn choosing_a_queue_hides_the_other_queues() {
    let text = "reqbufs 1 mmap\ndqbuf\ndqbuf\ndqbuf\nqueue output\nreqbufs 1 mmap\ndqbuf\n";
    let mut h = harness(Inspector::open(
        "two-queues.vb2s",
        text.as_bytes(),
        PolicyChoice::Fixed(Policy::MODERN),
    ));
    h.run();
    h.get_by_label_contains("R12 warning × 4");
    h.get_by_label("On queue").click();
    h.run();
    h.get_by_label_contains("output · MMAP · 1 buffer").click();
    h.run();
    h.get_by_label_contains("R12 warning × 1");
    assert!(h.query_by_label_contains("R12 warning × 4").is_none());
}
