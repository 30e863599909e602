//! CPU time of whole frames of the window (every panel, egui layout and tessellation,
//! headless, 1400×820) on a trace with a million findings (8 M events, each QBUF of a buffer
//! already queued): the frame after the findings' group is opened, a frame scrolled to the
//! middle of the list, and a frame after stepping to the next event (the view follows).
//! Target: every frame ≤ 16 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use vb2scope_core::format::write_binary;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run};
use vb2scope_gui::{Inspector, PolicyChoice};

const FINDINGS: usize = 1_000_000;

/// Four buffers streaming, each QBUF sent twice: the second is R11, a warning.
fn scenario() -> String {
    let mut s = String::from("reqbufs 4 mmap\nqbuf 0\nqbuf 1\nqbuf 2\nqbuf 3\nstreamon\n");
    for f in 0..FINDINGS {
        let i = f % 4;
        s.push_str(&format!("driver done\ndqbuf\nqbuf {i}\nqbuf {i}\n"));
    }
    s.push_str("streamoff\n");
    s
}

fn window(c: &mut Criterion) {
    let sc = parse("findings.vb2s", &scenario()).expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let bytes = write_binary(Vec::new(), &trace).expect("written");
    let inspector = Inspector::open("findings.vb2b", &bytes, PolicyChoice::Auto);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 820.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), inspector);
    h.run();
    let group = format!("× {FINDINGS}");
    assert_eq!(
        h.state().document().map(|d| d.report().findings.len()),
        Some(FINDINGS)
    );
    h.get_by_label_contains(&group).click();
    h.run();
    let mut g = c.benchmark_group("window-1M-findings");
    g.sample_size(20);
    g.bench_function("frame-with-the-group-open", |b| b.iter(|| h.step()));
    // The wheel over the list scrolls it, a thousand rows a frame.
    h.get_by_label_contains(&group).hover();
    h.run();
    g.bench_function("frame-scrolling-the-list", |b| {
        b.iter(|| {
            h.event(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Line,
                delta: egui::vec2(0.0, -1000.0),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: egui::Modifiers::NONE,
            });
            h.step();
        })
    });
    g.bench_function("frame-stepping-forward", |b| {
        b.iter(|| {
            h.key_press(egui::Key::ArrowRight);
            h.step();
        })
    });
    g.finish();
}

criterion_group!(benches, window);
criterion_main!(benches);
