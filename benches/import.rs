//! Importer throughput in bytes of input per second. Target: ≥ 100 MB/s of strace or ftrace
//! text per core. The input is a sample repeated to about 50 MB (ftrace: 20 MB), in memory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use vb2scope::import::import_ftrace;
use vb2scope::import::strace::import_strace;

const TARGET: usize = 50 << 20;

fn repeated(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/import/strace/{name}",
        env!("CARGO_MANIFEST_DIR")
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
        env!("CARGO_MANIFEST_DIR")
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

criterion_group!(benches, strace, ftrace);
criterion_main!(benches);
