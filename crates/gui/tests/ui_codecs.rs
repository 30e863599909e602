//! Codec runs in the window, on real captures (strace joined with ftrace) of the corpus:
//! GStreamer's stateless H.264 decoder on visl, whose OUTPUT buffers go through media
//! requests, and v4l2-ctl's stateful decoder on vicodec, drained to its LAST buffer.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::import::{Format, import_bytes, join};
use vb2scope_core::model::ReqState;
use vb2scope_gui::{Inspector, PolicyChoice};

const K612: &str = "linux-6.12.118+deb12-amd64";

/// The capture, strace joined with ftrace, written as a native trace.
fn joined(name: &str) -> Vec<u8> {
    let dir = format!(
        "{}/../../tests/fixtures/corpus/{K612}",
        env!("CARGO_MANIFEST_DIR")
    );
    let read = |part: &str| {
        let b = std::fs::read(format!("{dir}/{name}.{part}.zst")).expect("capture");
        zstd::decode_all(&b[..]).expect("zstd")
    };
    let (user, _) =
        import_bytes(&read("strace.txt"), name, Some(Format::Strace), None).expect("strace");
    let ftrace = String::from_utf8_lossy(&read("ftrace.txt")).into_owned();
    let t = join(user, &ftrace).0.trace;
    let mut out = Vec::new();
    vb2scope_core::format::write_native(&mut out, &t).expect("native");
    out
}

fn opened(name: &str) -> Harness<'static, Inspector> {
    let i = Inspector::open(name, &joined(name), PolicyChoice::Auto);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 6000.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), i);
    h.run();
    h
}

/// The decoder's requests are drawn as objects: a row per request, each queued with one
/// OUTPUT buffer and completed; the M2M context the decoder used is titled apart from the
/// nodes GStreamer only probed.
#[test]
fn a_stateless_decoders_requests_are_drawn() {
    let h = opened("visl-gst-h264");
    let doc = h.state().document().expect("loaded");
    let tl = doc.timeline();
    assert!(!tl.requests.is_empty());
    for r in &tl.requests {
        let queued: Vec<_> = r
            .phases
            .iter()
            .filter(|p| p.value.state == ReqState::Queued)
            .collect();
        assert!(!queued.is_empty(), "request {} never queued", r.id);
        assert!(
            queued
                .iter()
                .all(|p| p.value.buffer.is_some_and(|(q, _)| q.ty.is_output())),
            "request {}: an OUTPUT buffer in it",
            r.id
        );
        assert!(
            r.phases.iter().any(|p| p.value.state == ReqState::Complete),
            "request {} never completed",
            r.id
        );
    }
    h.get_by_label("request 0");
    // Its queue title names the open it was made through.
    let title = tl
        .queue_info
        .keys()
        .map(|&q| tl.queue_title(q))
        .find(|t| t.contains("· visl · capture"))
        .expect("the decoder's capture queue");
    assert!(title.contains("(open "), "{title}");
    assert!(tl.report.findings.is_empty());
}

/// The drain is on the timeline: the decoder command, and the LAST buffer dequeued.
#[test]
fn a_drain_is_marked() {
    let h = opened("vicodec-dec");
    let tl = h.state().document().expect("loaded").timeline();
    let labels: Vec<&str> = tl.marks.iter().map(|m| m.label.as_str()).collect();
    // Joined with the kernel side, whose probe on the command helper tells its kind.
    assert!(labels.contains(&"DECODER_CMD STOP"), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.starts_with("DQBUF LAST #")),
        "{labels:?}"
    );
}

/// The recording of the same decoder (`vb2scope record`, which decodes DECODER_CMD) has a
/// drain row: draining from the STOP, stopped at the LAST buffer, running after STREAMOFF.
#[test]
fn a_recorded_drain_has_its_row() {
    let dir = format!(
        "{}/../../tests/fixtures/corpus/{K612}",
        env!("CARGO_MANIFEST_DIR")
    );
    let b = std::fs::read(format!("{dir}/vicodec-dec.record.jsonl.zst")).expect("recording");
    let bytes = zstd::decode_all(&b[..]).expect("zstd");
    let i = Inspector::open("vicodec-dec", &bytes, PolicyChoice::Auto);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 3000.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), i);
    h.run();
    let tl = h.state().document().expect("loaded").timeline();
    let phases: Vec<&str> = tl
        .drains
        .iter()
        .flat_map(|d| d.phases.iter().map(|p| p.value.as_str()))
        .collect();
    assert_eq!(phases, ["draining", "stopped", "running"]);
    h.get_by_label("/dev/video14");
}

/// M2M jobs are linked in a GStreamer run on vim2m, whose buffers carry the stream's
/// timestamps: each OUTPUT buffer to the CAPTURE buffer made from it.
#[test]
fn m2m_jobs_are_linked() {
    let h = opened("gst-vim2m");
    let tl = h.state().document().expect("loaded").timeline();
    // 20 frames; the first one's timestamp is 0, which ties nothing.
    assert!(tl.jobs.len() >= 18, "{}", tl.jobs.len());
    for j in &tl.jobs {
        assert!(tl.lane_of(j.output.0, j.output.1).is_some());
        assert!(tl.lane_of(j.capture.0, j.capture.1).is_some());
    }
}
