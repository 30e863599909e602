//! Throughput of the model + rules (replay) and of the native reader, and the memory a
//! loaded trace takes. Targets: replay ≥ 10 M events/s, reader ≥ 2 M events/s on one core,
//! ≤ 48 bytes per loaded event.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use vb2scope_core::check::check_trace;
use vb2scope_core::format::{read_native_bytes, write_native};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run, streaming_workload};
use vb2scope_core::timeline::{Pyramid, Span, segments};
use vb2scope_core::trace::Trace;
use vb2scope_core::v4l2::{Memory, Origin};

fn trace(frames: usize, memory: Memory) -> Trace {
    let text = streaming_workload(frames, memory);
    let sc = parse("workload.vb2s", &text).expect("workload parses");
    run(&sc, Policy::MODERN).expect("workload runs")
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
        for p in [Policy::MODERN, Policy::Vb2_2012] {
            g.bench_function(format!("replay-{p}"), |b| b.iter(|| check_trace(&t, p)));
        }
        // Every event as if seen on a kernel: memops and driver completions are applied and
        // compared too, so each event costs a model step.
        let mut observed = t.clone();
        for e in &mut observed.events {
            e.set_origin(Origin::Observed);
        }
        g.bench_function("replay-observed-modern", |b| {
            b.iter(|| check_trace(&observed, Policy::MODERN))
        });
        g.bench_function("timeline-build", |b| {
            b.iter(|| {
                vb2scope_core::timeline::build(&t, Policy::MODERN)
                    .lanes
                    .len()
            })
        });
        g.bench_function("read-native", |b| {
            b.iter(|| read_native_bytes(&bytes).map(|(t, _)| t.events.len()))
        });
        g.finish();
    }
}

/// What one frame of a timeline view costs in level-of-detail queries: 64 lanes holding
/// 10 million spans together, drawn 1600 pixels wide, all of it and 1 % of it.
fn lod(c: &mut Criterion) {
    const LANES: usize = 64;
    const PER_LANE: u64 = 10_000_000 / LANES as u64;
    let lanes: Vec<Vec<Span<u8>>> = (0..LANES as u64)
        .map(|l| {
            (0..PER_LANE)
                .map(|i| {
                    // Spans of 0.1 to 2 ms with small gaps, as a busy queue shows.
                    let start = i * 2_100_000 + (l * 7_919 + i * 104_729) % 100_000;
                    let len = 100_000 + (i * 48_271 + l) % 1_900_000;
                    Span {
                        start_ns: start,
                        end_ns: start + len,
                        event: i as u32,
                        value: (i % 5) as u8,
                    }
                })
                .collect()
        })
        .collect();
    let end = PER_LANE * 2_100_000;
    let built = std::time::Instant::now();
    let pyramids: Vec<Pyramid<u8>> = lanes.iter().map(|l| Pyramid::build(l)).collect();
    eprintln!("pyramids for 10 M spans built in {:?}", built.elapsed());
    let mut g = c.benchmark_group("lod-10M-spans-64-lanes");
    let mut out = Vec::with_capacity(4096);
    for (name, t0, t1) in [
        ("all", 0, end),
        ("one-percent", end / 2, end / 2 + end / 100),
        ("one-permille", end / 3, end / 3 + end / 1000),
    ] {
        g.bench_function(format!("spans-{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for lane in &lanes {
                    out.clear();
                    segments(lane, t0, t1, (t1 - t0) / 1600, &mut out);
                    n += out.len();
                }
                n
            })
        });
        g.bench_function(format!("pyramid-{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for (lane, p) in lanes.iter().zip(&pyramids) {
                    out.clear();
                    p.segments(lane, t0, t1, (t1 - t0) / 1600, &mut out);
                    n += out.len();
                }
                n
            })
        });
    }
    g.finish();
}

/// Grouping a million findings (what the findings panel, `check`'s summary and the HTML
/// report show), against a floor: one plain pass counting them by severity.
fn grouping(c: &mut Criterion) {
    use vb2scope_core::check::CheckReport;
    use vb2scope_core::rules::{Finding, FindingDetail, RuleId};
    let rules = [
        RuleId::R03,
        RuleId::R05,
        RuleId::R11,
        RuleId::R12,
        RuleId::R16,
    ];
    let report = CheckReport {
        findings: (0..1_000_000u32)
            .map(|k| Finding {
                rule: rules[(k % 5) as usize],
                event: k,
                t_ns: u64::from(k) * 1000,
                queue: None,
                index: Some(k % 8),
                plane: Some(0),
                detail: FindingDetail::None,
            })
            .collect(),
        ..CheckReport::empty(Policy::MODERN)
    };
    let mut g = c.benchmark_group("findings-1M");
    g.sample_size(20);
    g.bench_function("floor-count-by-severity", |b| {
        b.iter(|| {
            let mut n = [0usize; 3];
            for f in &report.findings {
                n[report.severity(f) as usize] += 1;
            }
            n
        })
    });
    g.bench_function("groups", |b| b.iter(|| report.groups().len()));
    g.finish();
}

criterion_group!(benches, bench, lod, grouping);
criterion_main!(benches);
