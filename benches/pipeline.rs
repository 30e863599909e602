//! Throughput of the model + rules (replay) and of the native reader, and the memory a
//! loaded trace takes. Targets: replay ≥ 10 M events/s, reader ≥ 2 M events/s on one core,
//! ≤ 64 bytes per loaded event.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use vb2scope::check::check_trace;
use vb2scope::format::{read_native_bytes, write_native};
use vb2scope::model::{Memory, Origin, Policy};
use vb2scope::scenario::{parse, run, streaming_workload};
use vb2scope::trace::Trace;

fn trace(frames: usize, memory: Memory) -> Trace {
    let text = streaming_workload(frames, memory);
    let sc = parse("workload.vb2s", &text).expect("workload parses");
    run(&sc, Policy::Modern).expect("workload runs")
}

fn bench(c: &mut Criterion) {
    for memory in [Memory::Mmap, Memory::Dmabuf] {
        let t = trace(100_000, memory);
        let mut bytes = Vec::new();
        write_native(&mut bytes, &t).expect("write");
        let n = t.events.len() as u64;
        let (loaded, _) = read_native_bytes(&bytes).expect("read");
        eprintln!(
            "{}: {n} events, {} bytes on disk, {:.1} bytes/event in memory",
            memory.as_str(),
            bytes.len(),
            loaded.heap_bytes() as f64 / n as f64
        );
        let mut g = c.benchmark_group(format!("pipeline-{}", memory.as_str()));
        g.throughput(Throughput::Elements(n));
        g.sample_size(10);
        for p in [Policy::Modern, Policy::Vb2_2012] {
            g.bench_function(format!("replay-{p}"), |b| b.iter(|| check_trace(&t, p)));
        }
        // Every event as if seen on a kernel: memops and driver completions are applied and
        // compared too, so each event costs a model step.
        let mut observed = t.clone();
        for e in &mut observed.events {
            e.origin = Origin::Observed;
        }
        g.bench_function("replay-observed-modern", |b| {
            b.iter(|| check_trace(&observed, Policy::Modern))
        });
        g.bench_function("read-native", |b| {
            b.iter(|| read_native_bytes(&bytes).map(|(t, _)| t.events.len()))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
