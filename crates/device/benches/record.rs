//! The recorder's sustained rate: events handed over a channel by one thread and written as
//! native JSONL by the recorder thread, to a sink and to a file. Target ≥ 100 000 events/s
//! with nothing dropped (the channel is bounded and the sender waits).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run, streaming_workload};
use vb2scope_core::trace::{OwnedEvent, TraceHeader};
use vb2scope_core::v4l2::{Memory, Origin};
use vb2scope_device::record::Recorder;

/// A writer that counts what it is given, to prove nothing was lost.
struct Counting(Arc<AtomicU64>);

impl Write for Counting {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(
            b.iter().filter(|&&c| c == b'\n').count() as u64,
            Ordering::Relaxed,
        );
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn events(frames: usize, memory: Memory) -> Vec<OwnedEvent> {
    let sc = parse("workload.vb2s", &streaming_workload(frames, memory)).expect("workload parses");
    let t = run(&sc, Policy::MODERN).expect("workload runs");
    (0..t.events.len())
        .filter_map(|i| OwnedEvent::from_trace_at(&t, i))
        .map(|mut o| {
            o.event.set_origin(Origin::Observed);
            o
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let evs = events(20_000, Memory::Dmabuf);
    let n = evs.len() as u64;
    let mut g = c.benchmark_group("recorder");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("channel+jsonl-to-sink", |b| {
        b.iter(|| {
            let lines = Arc::new(AtomicU64::new(0));
            let rec =
                Recorder::to_writer(Box::new(Counting(lines.clone())), TraceHeader::default());
            let tx = rec.sender();
            for e in &evs {
                tx.send(e.clone()).expect("recorder alive");
            }
            drop(tx);
            let stats = rec.finish().expect("recorder finishes");
            assert_eq!(stats.events, n);
            assert_eq!(lines.load(Ordering::Relaxed), n + 1, "header + every event");
        })
    });
    let dir = std::env::temp_dir().join(format!("vb2scope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("rec.jsonl");
    g.bench_function("channel+jsonl-to-file", |b| {
        b.iter(|| {
            let rec = Recorder::create(&path, TraceHeader::default()).expect("create");
            let tx = rec.sender();
            for e in &evs {
                tx.send(e.clone()).expect("recorder alive");
            }
            drop(tx);
            rec.finish().expect("recorder finishes").events
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
