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

/// Every event of every real capture in the corpus, on every kernel, reads as words: no Rust
/// debug text (`Format { planes: 1 … }`, `Some(…)`) and no raw probe address.
#[test]
fn every_event_of_every_real_capture_is_described_in_words() {
    let root = format!("{}/../../tests/fixtures/corpus", env!("CARGO_MANIFEST_DIR"));
    let (mut seen, mut recorded) = (0usize, 0usize);
    for kdir in std::fs::read_dir(&root).expect("corpus").flatten() {
        let mut names: Vec<String> = std::fs::read_dir(kdir.path())
            .expect("kernel dir")
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".strace.txt.zst").map(str::to_owned)
            })
            .collect();
        names.sort();
        for name in names {
            let read = |part: &str| {
                let p = kdir.path().join(format!("{name}.{part}.zst"));
                let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                String::from_utf8_lossy(&zstd::decode_all(&b[..]).expect("zstd")).into_owned()
            };
            let user = import_strace(&read("strace.txt"));
            let (j, _) = vb2scope_core::import::join(user, &read("ftrace.txt"));
            for i in 0..j.trace.events.len() {
                let line = vb2scope_gui::describe::event(&j.trace, i);
                let debug = ["Some(", "None", "::", "+0x"];
                assert!(
                    !debug.iter().any(|d| line.contains(d)) && !rust_struct(&line),
                    "{}/{name} event {i}: {line}",
                    kdir.file_name().to_string_lossy()
                );
                seen += 1;
            }
        }
        // vb2scope record's own recordings of some of those programs: every field it wrote.
        for e in std::fs::read_dir(kdir.path())
            .expect("kernel dir")
            .flatten()
        {
            let n = e.file_name().to_string_lossy().into_owned();
            if !n.ends_with(".record.jsonl.zst") {
                continue;
            }
            let b = std::fs::read(e.path()).expect("recording");
            let text = zstd::decode_all(&b[..]).expect("zstd");
            let (t, _) = vb2scope_core::format::read_native(&text[..]).expect("native");
            for i in 0..t.events.len() {
                let line = vb2scope_gui::describe::event(&t, i);
                assert!(!debug_text(&line), "{n} event {i}: {line}");
                recorded += 1;
            }
        }
    }
    assert!(seen > 10_000, "{seen} events");
    assert!(recorded > 500, "{recorded} recorded events");
}

fn debug_text(line: &str) -> bool {
    ["Some(", "None", "::", "+0x"]
        .iter()
        .any(|d| line.contains(d))
        || rust_struct(line)
}

/// Whether `line` holds Rust debug text for a struct: `Name { field: …`.
fn rust_struct(line: &str) -> bool {
    line.match_indices(" { ").any(|(at, _)| {
        let before = line[..at].rsplit(' ').next().unwrap_or("");
        let after = &line[at + 3..];
        let camel = before.starts_with(|c: char| c.is_ascii_uppercase())
            && before.chars().all(|c| c.is_ascii_alphanumeric());
        let field = after
            .split_once(": ")
            .is_some_and(|(f, _)| f.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        camel && field
    })
}
