//! The window on real captures from the repository's corpus (real programs on real kernels,
//! strace joined with the kernel's side), opened as a user opens them.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::import::strace::import_strace;
use vb2scope_gui::{Inspector, PolicyChoice};

const KERNEL: &str = "linux-6.12.118+deb12-amd64";

fn unpack(name: &str, part: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/corpus/{KERNEL}/{name}.{part}.zst",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = zstd::decode_all(&bytes[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
    String::from_utf8_lossy(&text).into_owned()
}

/// A corpus capture, strace joined with its ftrace, as native trace bytes.
fn joined(name: &str) -> Vec<u8> {
    let user = import_strace(&unpack(name, "strace.txt"));
    let (j, _) = vb2scope_core::import::join(user, &unpack(name, "ftrace.txt"));
    let mut out = Vec::new();
    vb2scope_core::format::write_native(&mut out, &j.trace).expect("writes");
    out
}

fn opened(name: &str) -> Harness<'static, Inspector> {
    let i = Inspector::open(name, &joined(name), PolicyChoice::Auto);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 820.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), i);
    h.run();
    h
}

/// Fit frames the buffer activity: the kernel's events from before the program started (a
/// probe's opens, another queue's release) no longer squeeze it into the last few percent.
/// Fit all shows them.
#[test]
fn fit_frames_the_streaming_and_fit_all_shows_everything() {
    let mut squeezed = 0;
    for name in [
        "gst-v4l2src-dmabuf",
        "ffmpeg-v4l2",
        "v4l2ctl-mmap",
        "gst-zero-copy",
    ] {
        let mut h = opened(name);
        let tl = h.state().document().expect("loaded").timeline().clone();
        let (a, b) = tl.activity_range();
        assert!(tl.activity.is_some(), "{name}: no buffer activity");
        let v = h.state().view();
        let span = (b - a) as f64;
        let whole = (tl.end_ns - tl.start_ns) as f64;
        eprintln!(
            "{name}: activity {:.1} % of the trace",
            100.0 * span / whole
        );
        if span < whole * 0.5 {
            squeezed += 1;
        }
        assert!(v.t0 <= a as f64 && v.t1 >= b as f64, "{name}: activity cut");
        assert!(
            v.t1 - v.t0 <= span * 1.2,
            "{name}: {v:?} frames more than {a}..{b}"
        );
        h.get_by_label("Fit all").click();
        h.run();
        let all = h.state().view();
        assert!(
            all.t0 <= tl.start_ns as f64 && all.t1 >= tl.end_ns as f64,
            "{name}: {all:?}"
        );
        h.get_by_label("Fit").click();
        h.run();
        assert_eq!(h.state().view(), v, "{name}");
    }
    // What made this matter: in real captures the activity is a small part of the trace.
    assert!(squeezed > 0);
}

/// Each queue is named by what a developer recognises: its device node, direction, memory
/// type, buffer count and the process that used it, not `dev12:cap`.
#[test]
fn queues_are_named_by_their_device_node() {
    for name in [
        "gst-v4l2src-dmabuf",
        "gst-zero-copy",
        "v4l2ctl-dmabuf-import",
    ] {
        let h = opened(name);
        let tl = h.state().document().expect("loaded").timeline().clone();
        let queues: std::collections::BTreeSet<_> = tl.lanes.iter().map(|l| l.queue).collect();
        assert!(!queues.is_empty(), "{name}");
        for q in queues {
            let title = tl.queue_title(q);
            assert!(title.starts_with("/dev/video"), "{name}: {title}");
            assert!(title.contains(" · pid"), "{name}: {title}");
            assert!(title.contains("buffers"), "{name}: {title}");
        }
    }
}
