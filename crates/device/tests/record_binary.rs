//! The recorder writes the binary form as well as JSON Lines, over several rolls of its
//! trace (several chunks), and both read back as the same trace.

use vb2scope_core::format::{read_native_bytes, write_native};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run, streaming_workload};
use vb2scope_core::trace::{OwnedEvent, TraceHeader};
use vb2scope_core::v4l2::{Memory, Origin};
use vb2scope_device::record::Recorder;

fn record(path: &std::path::Path, events: &[OwnedEvent]) -> Vec<u8> {
    let rec = Recorder::create(path, TraceHeader::default()).expect("create");
    let tx = rec.sender();
    for e in events {
        tx.send(e.clone()).expect("send");
    }
    drop(tx);
    rec.finish().expect("finish");
    std::fs::read(path).expect("read back")
}

#[test]
fn binary_and_json_lines_recordings_agree() {
    let sc = parse("w.vb2s", &streaming_workload(2500, Memory::Dmabuf)).expect("parses");
    let t = run(&sc, Policy::MODERN).expect("runs");
    let events: Vec<OwnedEvent> = (0..t.events.len())
        .filter_map(|i| OwnedEvent::from_trace_at(&t, i))
        .map(|mut o| {
            o.event.set_origin(Origin::Observed);
            o
        })
        .collect();
    // The recorder writes a chunk per 4096 events.
    assert!(events.len() > 3 * 4096);
    let dir = std::env::temp_dir().join(format!("vb2scope-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let text = |bytes: &[u8]| {
        let (t, d) = read_native_bytes(bytes).expect("reads");
        assert!(d.is_empty(), "{d:?}");
        let mut out = Vec::new();
        write_native(&mut out, &t).expect("write");
        String::from_utf8(out).expect("utf-8")
    };
    let json = record(&dir.join("r.jsonl"), &events);
    let binary = record(&dir.join("r.vb2b"), &events);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        binary.len() * 20 < json.len(),
        "{} vs {}",
        binary.len(),
        json.len()
    );
    assert_eq!(text(&binary), text(&json));
}
