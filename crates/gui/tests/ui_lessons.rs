//! Help → Lessons: a lesson opens beside its scenario, follows the step cursor, and steps
//! with it; the policy switch shows what each vb2 generation does with the same calls.

mod common;

use common::harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_gui::PolicyChoice;

#[test]
fn a_lesson_opens_from_the_help_menu_and_follows_the_steps() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    h.get_by_label("Help").click();
    h.run();
    h.get_by_label("Lessons").click();
    h.run();
    h.get_by_label_contains("4. DMABUF attach and map").click();
    h.run();
    let doc = h.state().document().expect("the lesson's scenario");
    assert_eq!(doc.name, "lessons/04-dmabuf-already-pinned.vb2s");
    h.get_by_label("Lesson");
    h.get_by_label_contains("step 1 of");
    // The first narrated statement is under the cursor, and its narration is shown.
    let first = h.state().selection().cursor.expect("a cursor");
    h.get_by_label_contains("vb2 attaches and maps it");
    h.get_by_label("Next step >").click();
    h.run();
    let second = h.state().selection().cursor.expect("a cursor");
    assert!(second > first, "{first} → {second}");
    h.get_by_label_contains("step 2 of");
    h.snapshot("lesson_dmabuf_step2");
    // Stepping the trace moves the lesson along too.
    for _ in 0..12 {
        h.get_by_label("Step forward >").click();
        h.run();
    }
    assert!(h.query_all_by_label_contains("step 2 of").count() == 0);
    // The quote of the 2012 bug, and its finding once the policy is vb2-2012.
    assert!(
        h.query_all_by_label_contains("“dmabuf buffer is already pinned”")
            .count()
            >= 1
    );
    h.get_by_label("Policy").click();
    h.run();
    h.get_by_label("vb2-2012").click();
    h.run();
    assert!(h.query_all_by_label_contains("R05 error").count() >= 1);
    h.get_by_label("Lesson");
    h.get_by_label("Close lesson").click();
    h.run();
    assert_eq!(h.query_all_by_label("Lesson").count(), 0);
}

/// A lesson opened as a file (`vb2scope traces/lessons/….vb2s`) shows its narration too.
#[test]
fn a_lesson_opened_as_a_file_is_followed() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../traces/lessons/02-mmap-life.vb2s"
    );
    let bytes = std::fs::read(path).expect("lesson");
    let i = vb2scope_gui::Inspector::open("02-mmap-life.vb2s", &bytes, PolicyChoice::Auto);
    let mut h = harness(i);
    h.run();
    h.get_by_label("Lesson");
    h.get_by_label_contains("MMAP life");
    // A plain scenario has no lesson.
    let plain = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../traces/clean-session.vb2s"
    ))
    .expect("scenario");
    let i = vb2scope_gui::Inspector::open("clean-session.vb2s", &plain, PolicyChoice::Auto);
    let mut h = harness(i);
    h.run();
    assert_eq!(h.query_all_by_label("Lesson").count(), 0);
}
