//! The scenario editor re-evaluating a 200-line scenario at a keystroke: one whole frame
//! (the text parsed, run on the model, the timeline built, every policy's verdict, and the
//! window drawn), against a frame where nothing changed. Target: ≤ 16 ms, one frame.

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

use vb2scope_gui::{Inspector, PolicyChoice};

/// A 200-line scenario: two queues' worth of DMABUF and MMAP streaming with a restart.
fn scenario() -> String {
    let mut s = String::from(
        "# A long scenario\nqueue capture\nreqbufs 4 dmabuf\ndmabuf a 614400\ndmabuf b 614400\n\
         dmabuf c 614400\ndmabuf d 614400\nqbuf 0 fd=a\nqbuf 1 fd=b\nqbuf 2 fd=c\nqbuf 3 fd=d\n\
         streamon\n",
    );
    let names = ["a", "b", "c", "d"];
    let mut lines = s.lines().count();
    let mut k = 0;
    while lines < 196 {
        let i = k % 4;
        s.push_str(&format!("driver done\ndqbuf\nqbuf {i} fd={}\n", names[i]));
        lines += 3;
        k += 1;
    }
    s.push_str("streamoff\nreqbufs 0 dmabuf\n");
    s
}

fn editor(c: &mut Criterion) {
    let text = scenario();
    assert!((195..=205).contains(&text.lines().count()));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 820.0))
        .build_ui_state(
            |ui, s: &mut Inspector| s.ui(ui),
            Inspector::empty(PolicyChoice::Auto),
        );
    h.state_mut().editor_mut().open = true;
    h.state_mut().editor_mut().set_text(&text);
    h.run();
    assert!(h.state().editor().error().is_none());
    let mut g = c.benchmark_group("editor-200-lines");
    g.bench_function("frame-unchanged", |b| b.iter(|| h.step()));
    let mut flip = false;
    g.bench_function("frame-after-a-keystroke", |b| {
        b.iter(|| {
            flip = !flip;
            let t = if flip {
                format!("{text}#")
            } else {
                text.clone()
            };
            h.state_mut().editor_mut().set_text(&t);
            h.step();
        })
    });
    g.finish();
    println!(
        "last evaluation alone (parse, run, timeline, four verdicts): {:.2} ms",
        h.state().editor().took_ms()
    );
}

criterion_group!(benches, editor);
criterion_main!(benches);
