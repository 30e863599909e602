//! Importer throughput in bytes of input per second. Target: ≥ 100 MB/s of strace or ftrace
//! text per core. The input is a sample repeated to about 50 MB (ftrace and v4l2-tracer JSON:
//! 20 MB), in memory. The join of a strace log with the ftrace capture of the same run is
//! measured in bytes of both texts per second; it also prints its events per run.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use vb2scope_core::format::DiagSeverity;
use vb2scope_core::import::dmesg::import_dmesg;
use vb2scope_core::import::strace::import_strace;
use vb2scope_core::import::v4l2_tracer::import_v4l2_tracer;
use vb2scope_core::import::{Imported, import_ftrace, join};
use vb2scope_core::kernel::ftrace::parse_event;

const TARGET: usize = 50 << 20;

fn repeated(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/import/strace/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let one = std::fs::read_to_string(&path).expect("fixture");
    one.repeat(TARGET.div_ceil(one.len()))
}

fn strace(c: &mut Criterion) {
    let mut g = c.benchmark_group("import_strace");
    g.sample_size(10);
    // A real session: mostly ioctls the importer skips (controls) and library mmaps.
    // A dense one: nearly every line a decoded V4L2 ioctl, with `-ttt -T`.
    for name in [
        "k612-01-vmalloc-mmap.strace.txt",
        "strace-6.1_sp_mmap.ttt.txt",
    ] {
        let text = repeated(name);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                import_strace(std::hint::black_box(&text))
                    .trace
                    .events
                    .len()
            })
        });
    }
    g.finish();
}

/// A real kernel capture (vb2/v4l2 tracepoints and memop kprobes) on its own: parsed, each
/// line kept as an event, memops attempted and reported unattributed.
fn ftrace(c: &mut Criterion) {
    let path = format!(
        "{}/tests/fixtures/import/joined/03-vmalloc-dmabuf-import-from-out.ftrace.txt",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let one = std::fs::read_to_string(&path).expect("fixture");
    let text = one.repeat((20usize << 20).div_ceil(one.len()));
    let mut g = c.benchmark_group("import_ftrace");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("k612-03-vmalloc-dmabuf", |b| {
        b.iter(|| {
            import_ftrace(std::hint::black_box(&text))
                .trace
                .events
                .len()
        })
    });
    g.finish();
}

fn fixture(path: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/import/{path}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// No warning or error: the repeated input is read as a whole, not skipped.
fn clean(imp: &Imported, what: &str) {
    let bad: Vec<_> = imp
        .diagnostics
        .iter()
        .filter(|d| d.severity >= DiagSeverity::Warning)
        .take(3)
        .collect();
    assert!(bad.is_empty(), "{what}: {bad:?}");
}

/// One JSON array holding the calls of `copies` copies of a v4l2-tracer file (the importer
/// stops at the first closing `]`, so whole files cannot simply be concatenated).
fn tracer_array(one: &str, copies: usize) -> String {
    let t = one.trim();
    let body = t
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .expect("a JSON array")
        .trim()
        .trim_end_matches(',');
    let mut out = String::with_capacity((body.len() + 2) * copies + 4);
    out.push_str("[\n");
    for i in 0..copies {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(body);
    }
    out.push_str("\n]\n");
    out
}

/// v4l2-tracer JSON: every object parsed with serde_json, then decoded.
fn v4l2_tracer(c: &mut Criterion) {
    let mut g = c.benchmark_group("import_v4l2_tracer");
    g.sample_size(10);
    for name in ["sp_mmap_pretty.json", "mp_dmabuf_compact.json"] {
        let one = fixture(&format!("v4l2-tracer/{name}"));
        let copies = (20usize << 20).div_ceil(one.len());
        let text = tracer_array(&one, copies);
        let single = import_v4l2_tracer(one.as_bytes());
        let all = import_v4l2_tracer(text.as_bytes());
        clean(&all, name);
        assert_eq!(all.trace.events.len(), single.trace.events.len() * copies);
        eprintln!(
            "{name}: {} copies, {} bytes, {} events",
            copies,
            text.len(),
            all.trace.events.len()
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                import_v4l2_tracer(std::hint::black_box(text.as_bytes()))
                    .trace
                    .events
                    .len()
            })
        });
    }
    g.finish();
}

/// `copies` copies of `one`, each line's time moved on by `step_s` seconds per copy.
fn shifted(
    one: &str,
    copies: usize,
    step_s: u64,
    shift: fn(&str, u64) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(one.len() * copies + copies * 64);
    for i in 0..copies as u64 {
        for line in one.lines() {
            match shift(line, i * step_s * 1_000_000_000) {
                Some(l) => out.push_str(&l),
                None => out.push_str(line),
            }
            out.push('\n');
        }
    }
    out
}

/// `SECS.FRAC` plus `by` ns, with as many decimals as it had.
fn add_to_stamp(stamp: &str, by: u64) -> Option<String> {
    let (secs, frac) = stamp.split_once('.')?;
    let secs: u64 = secs.parse().ok()?;
    Some(format!("{}.{frac}", secs + by / 1_000_000_000))
}

/// dmesg `[ SECS.USEC] …`.
fn shift_dmesg(line: &str, by: u64) -> Option<String> {
    let rest = line.strip_prefix('[')?;
    let (stamp, after) = rest.split_once(']')?;
    Some(format!("[{}]{after}", add_to_stamp(stamp.trim(), by)?))
}

/// strace `-f -ttt`: `PID  SECS.USEC call…`.
fn shift_strace(line: &str, by: u64) -> Option<String> {
    let (pid, rest) = line.split_once(' ')?;
    let rest = rest.trim_start();
    let (stamp, call) = rest.split_once(' ')?;
    Some(format!("{pid}   {} {call}", add_to_stamp(stamp, by)?))
}

/// ftrace: the `SECS.USEC:` before ` name:`.
fn shift_ftrace(line: &str, by: u64) -> Option<String> {
    let r = parse_event(line).ok()?;
    let at = line.find(&format!(" {}:", r.name))?;
    let end = line.get(..at)?.rfind(':')?;
    let start = line.get(..end)?.rfind(' ')? + 1;
    let stamp = add_to_stamp(line.get(start..end)?, by)?;
    Some(format!("{}{stamp}{}", line.get(..start)?, line.get(end..)?))
}

/// dmesg of V4L2 `dev_debug` logging, repeated with its printk times moved on.
fn dmesg(c: &mut Criterion) {
    let one = fixture("dmesg/vivid-mmap.dmesg.txt");
    let copies = TARGET.div_ceil(one.len());
    let text = shifted(&one, copies, 1000, shift_dmesg);
    let single = import_dmesg(&one);
    let all = import_dmesg(&text);
    clean(&all, "dmesg");
    // A log has no fds: each device node is opened once, where it is first seen.
    let opens = |t: &vb2scope_core::trace::Trace| {
        t.events
            .iter()
            .filter(|e| matches!(e.body, vb2scope_core::trace::Body::Open { .. }))
            .count()
    };
    let (n, o) = (single.trace.events.len(), opens(&single.trace));
    assert_eq!(all.trace.events.len(), o + (n - o) * copies);
    assert_eq!(opens(&all.trace), o);
    assert!(all.trace.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
    eprintln!(
        "dmesg: {copies} copies, {} bytes, {} events",
        text.len(),
        all.trace.events.len()
    );
    let mut g = c.benchmark_group("import_dmesg");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("vivid-mmap", |b| {
        b.iter(|| import_dmesg(std::hint::black_box(&text)).trace.events.len())
    });
    g.finish();
}

/// A strace log joined with the ftrace capture of the same real run (vivid capture importing
/// dma-bufs from its output: memops on both queues), the run repeated 200 times 1000 s apart
/// in both texts so that the clocks still line up. Measured: the join alone (alignment, clock
/// shift of the kernel text, merge), in bytes of strace plus ftrace text.
fn join_strace_ftrace(c: &mut Criterion) {
    const COPIES: usize = 200;
    let strace = fixture("joined/03-vmalloc-dmabuf-import-from-out.strace.txt");
    let ftrace = fixture("joined/03-vmalloc-dmabuf-import-from-out.ftrace.txt");
    let one_user = import_strace(&strace).trace.events.len();
    let (one, one_a) = join(import_strace(&strace), &ftrace);
    let one_kernel = one.trace.events.len() - one_user;
    let strace = shifted(&strace, COPIES, 1000, shift_strace);
    let ftrace = shifted(&ftrace, COPIES, 1000, shift_ftrace);
    let user = import_strace(&strace);
    clean(&user, "strace");
    let (all, a) = join(user.clone(), &ftrace);
    clean(&all, "join");
    assert_eq!(a.matched, one_a.matched * COPIES, "{a}");
    // Every userspace event is kept, and every kernel event of every copy is added.
    assert_eq!(
        all.trace.events.len(),
        user.trace.events.len() + one_kernel * COPIES
    );
    let bytes = strace.len() + ftrace.len();
    eprintln!(
        "join: {COPIES} copies, {} + {} bytes, {} events out, {a}",
        strace.len(),
        ftrace.len(),
        all.trace.events.len()
    );
    let mut g = c.benchmark_group("join_strace_ftrace");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("k612-03-vmalloc-dmabuf", |b| {
        b.iter_batched(
            || user.clone(),
            |u| join(u, std::hint::black_box(&ftrace)).0.trace.events.len(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    strace,
    ftrace,
    v4l2_tracer,
    dmesg,
    join_strace_ftrace
);
criterion_main!(benches);
