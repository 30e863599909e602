//! What the window's tests share: the bundled trace opened in an inspector, and a harness
//! of the window's size around it.

use egui_kittest::Harness;

use vb2scope_gui::{Inspector, PolicyChoice};

/// The bundled trace (the 2012 report) as the window opens it, under `choice`.
pub fn bundled(choice: PolicyChoice) -> Inspector {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/default-trace.jsonl"
    ))
    .expect("bundled trace");
    Inspector::open("2012-report (bundled)", &bytes, choice)
}

pub fn harness(i: Inspector) -> Harness<'static, Inspector> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 820.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), i)
}
