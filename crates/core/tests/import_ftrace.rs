//! The ftrace importer on real kernel text, one capture at a time: every Linux 6.12 sample
//! (`/sys/kernel/tracing/trace` of the kernel-6.12 runs, vivid, vim2m, v4l2-compliance), the
//! same text as `trace_pipe` gives it (no header), and real `trace-cmd report` output
//! (tests/fixtures/import/ftrace/README.md says how each file was made). What each capture
//! holds is counted with grep on the file; the importer must find exactly that.

mod common;

use common::memops_per_buffer;
use vb2scope_core::check::check_trace;
use vb2scope_core::format::{DiagSeverity, Diagnostic};
use vb2scope_core::import::strace::import_strace;
use vb2scope_core::import::{Format, Imported, detect, import_ftrace, join};
use vb2scope_core::kernel::ftrace::{Line, parse_line};
use vb2scope_core::kernel::kprobes::memop_kind;
use vb2scope_core::policy::Policy;
use vb2scope_core::trace::{Body, DriverAction, Trace};
use vb2scope_core::v4l2::{BufType, MemopKind, Origin};

const DIR: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/fixtures/import/ftrace/"
);

fn fixture(name: &str) -> String {
    let p = format!("{DIR}{name}");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The tracepoints counted, in the order of `Want::tracepoints`.
const TRACEPOINTS: [&str; 6] = [
    "v4l2_qbuf",
    "v4l2_dqbuf",
    "vb2_qbuf",
    "vb2_buf_queue",
    "vb2_buf_done",
    "vb2_dqbuf",
];

/// What one capture holds, counted with grep on the file:
/// * `tracepoints`: `grep -c ": NAME: "` for each name of `TRACEPOINTS`;
/// * `memops`: kprobe entry events of the allocator memops in `MemopKind::ALL` order (alloc,
///   put, get_userptr, put_userptr, attach_dmabuf, detach_dmabuf, map_dmabuf, unmap_dmabuf,
///   prepare, finish, get_dmabuf, mmap), `grep -cE ": (vmalloc|dc|sg)_KIND: "`, then the
///   dma-buf core's `grep -c ": get: "` and `grep -c ": put: "`;
/// * `markers`: `grep -c ": tracing_mark_write: "`;
/// * `other`: event lines that are none of those (return probes, other dma-buf core and vb2
///   core probes), which the importer keeps as raw tracepoints:
///   `grep -E '\[[0-9]{3}\]' F | grep -vE ': (v4l2_qbuf|v4l2_dqbuf|vb2_qbuf|vb2_buf_queue|`
///   `vb2_buf_done|vb2_dqbuf|(vmalloc|dc|sg)_(alloc|put|get_userptr|put_userptr|attach_dmabuf|`
///   `detach_dmabuf|map_dmabuf|unmap_dmabuf|prepare|finish|get_dmabuf|mmap)|get|put|`
///   `tracing_mark_write): ' | wc -l`;
/// * `events`: every event line, `grep -cE '^ *.*-[0-9]+ +\[[0-9]{3}\]'` (for the kernel's own
///   text this is also its header's `entries-in-buffer` figure);
/// * `failed`: return probes of calls that failed (an int `-errno`, or an `ERR_PTR`):
///   `grep -cE '_ret: .*ret=(-[0-9]|0xfffffffffffff)'`.
///
/// No file has a line that is neither a comment, blank, trace-cmd's `cpus=N`, nor an event:
/// `grep -vE '^#|^$|^cpus=' F | grep -vcE '^ *.*-[0-9]+ +\[[0-9]{3}\]'` is 0 for each.
struct Want {
    file: &'static str,
    tracepoints: [usize; 6],
    memops: [usize; 14],
    markers: usize,
    other: usize,
    events: usize,
    failed: usize,
}

#[rustfmt::skip]
const EXPECTED: &[Want] = &[
    // The kernel's own text (`/sys/kernel/tracing/trace`) of the kernel-6.12 sample runs.
    Want { file: "k612-01-vmalloc-mmap.ftrace.txt",
        tracepoints: [14, 10, 14, 14, 14, 10], memops: [4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0],
        markers: 1, other: 6, events: 99, failed: 0 },
    Want { file: "k612-02-vmalloc-userptr.ftrace.txt",
        tracepoints: [14, 10, 14, 14, 14, 10], memops: [0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        markers: 1, other: 10, events: 95, failed: 0 },
    Want { file: "k612-03-vmalloc-dmabuf-import-from-out.ftrace.txt",
        tracepoints: [21, 17, 21, 21, 21, 17], memops: [4, 12, 0, 0, 4, 4, 4, 4, 0, 0, 4, 8, 11, 11],
        markers: 1, other: 67, events: 252, failed: 0 },
    Want { file: "k612-04-vmalloc-dmabuf-export-device.ftrace.txt",
        tracepoints: [14, 10, 14, 14, 14, 10], memops: [4, 12, 0, 0, 4, 4, 4, 4, 0, 0, 4, 4, 14, 14],
        markers: 1, other: 66, events: 211, failed: 0 },
    Want { file: "k612-05-vmalloc-out-dmabuf.ftrace.txt",
        tracepoints: [4, 0, 4, 0, 0, 0], memops: [4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0],
        markers: 1, other: 28, events: 57, failed: 0 },
    Want { file: "k612-11-dmacontig-mmap.ftrace.txt",
        tracepoints: [14, 10, 14, 14, 14, 10], memops: [4, 8, 0, 0, 0, 0, 0, 0, 14, 14, 0, 4, 0, 0],
        markers: 1, other: 6, events: 127, failed: 0 },
    // REQBUFS(USERPTR) → EINVAL: only the marker and the vb2 core's reqbufs probe.
    Want { file: "k612-12-dmacontig-userptr.ftrace.txt",
        tracepoints: [0, 0, 0, 0, 0, 0], memops: [0; 14],
        markers: 1, other: 1, events: 2, failed: 0 },
    Want { file: "k612-13-dmacontig-dmabuf-import-from-out.ftrace.txt",
        tracepoints: [21, 17, 21, 21, 21, 17], memops: [4, 16, 0, 0, 4, 4, 4, 4, 21, 21, 4, 8, 11, 11],
        markers: 1, other: 91, events: 322, failed: 0 },
    // dma-contig refuses the non-contiguous vmalloc dma-buf: dc_map_dmabuf returns -14.
    Want { file: "k612-14-dmacontig-dmabuf-from-vmalloc.ftrace.txt",
        tracepoints: [0, 0, 0, 0, 0, 0], memops: [4, 8, 0, 0, 1, 1, 1, 0, 0, 0, 4, 4, 1, 1],
        markers: 1, other: 33, events: 59, failed: 1 },
    // Every v4l2-compliance run of the samples (about 9000 events, no marker), kept whole
    // (1.6 MB): its failed calls are v4l2-compliance's invalid USERPTR (-EFAULT) and dma-buf fd
    // (-EBADF) tests.
    Want { file: "k612-25-v4l2-compliance-runs.ftrace.txt",
        tracepoints: [981, 368, 736, 861, 861, 368],
        memops: [1028, 1112, 24, 8, 8, 8, 8, 8, 254, 254, 38, 56, 56, 48],
        markers: 0, other: 1845, events: 8930, failed: 24 },
    Want { file: "k612-31-vim2m-mmap.ftrace.txt",
        tracepoints: [27, 19, 27, 27, 27, 19], memops: [8, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0],
        markers: 1, other: 14, events: 193, failed: 0 },
    Want { file: "k612-32-vim2m-userptr.ftrace.txt",
        tracepoints: [27, 19, 27, 27, 27, 19], memops: [0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        markers: 1, other: 22, events: 185, failed: 0 },
    Want { file: "k612-33-vim2m-dmabuf-from-vivid.ftrace.txt",
        tracepoints: [27, 19, 27, 27, 27, 19], memops: [8, 16, 0, 0, 4, 4, 4, 4, 0, 0, 4, 8, 14, 14],
        markers: 1, other: 74, events: 301, failed: 0 },
    Want { file: "k612-41-vmalloc-import-dma-heap.ftrace.txt",
        tracepoints: [9, 5, 9, 9, 9, 5], memops: [0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 9, 9],
        markers: 1, other: 50, events: 131, failed: 0 },
    Want { file: "k612-42-vmalloc-import-udmabuf.ftrace.txt",
        tracepoints: [9, 5, 9, 9, 9, 5], memops: [0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 9, 9],
        markers: 1, other: 54, events: 135, failed: 0 },
    Want { file: "k612-43-dmacontig-import-dma-heap.ftrace.txt",
        tracepoints: [0, 0, 0, 0, 0, 0], memops: [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1],
        markers: 1, other: 14, events: 20, failed: 1 },
    Want { file: "k612-44-dmacontig-import-udmabuf.ftrace.txt",
        tracepoints: [0, 0, 0, 0, 0, 0], memops: [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1],
        markers: 1, other: 15, events: 21, failed: 1 },
    // `trace-cmd report` of `trace-cmd record -C mono` runs (README.md): no latency flags,
    // `%p` printed as `0x…`, kprobe locations as bare addresses, a `cpus=2` line first.
    Want { file: "tracecmd-dmabuf.report.txt",
        tracepoints: [17, 13, 17, 17, 17, 13], memops: [4, 12, 0, 0, 4, 4, 4, 4, 0, 0, 4, 8, 9, 9],
        markers: 0, other: 65, events: 221, failed: 0 },
    Want { file: "tracecmd-mmap.report.txt",
        tracepoints: [12, 8, 12, 12, 12, 8], memops: [4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0],
        markers: 0, other: 6, events: 86, failed: 0 },
];

/// What the import made of one capture, in the terms of `Want`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Got {
    tracepoints: [usize; 6],
    memops: [usize; 14],
    markers: usize,
    other: usize,
    events: usize,
}

fn kind_slot(k: MemopKind) -> usize {
    MemopKind::ALL.iter().position(|x| *x == k).expect("a kind")
}

/// What the import added to the kernel's events: the calls it rebuilt or read, and how many
/// memops it put on a buffer.
#[derive(Debug, Default)]
struct Added {
    /// (call, origin) → count, in a fixed order for the summary.
    calls: std::collections::BTreeMap<String, usize>,
    /// Allocator memops on a buffer.
    attributed: usize,
    /// dma-buf core gets and puts on a buffer.
    attributed_core: usize,
}

/// Counts the imported events. Every kernel event stays one trace event: a tracepoint (kept
/// raw, by its event name), a memop (on its buffer when attributed, else raw), a completion, a
/// marker. The calls rebuilt from them (ioctls, opens, closes) are added besides.
fn got(t: &Trace) -> (Got, Added) {
    let mut g = Got::default();
    let mut a = Added::default();
    for e in &t.events {
        let call = |what: String| format!("{what} {}", e.origin().as_str());
        match e.body {
            Body::Ioctl { cmd, .. } => *a.calls.entry(call(cmd.name().into())).or_default() += 1,
            Body::Open { .. } => *a.calls.entry(call("open".into())).or_default() += 1,
            Body::Close { .. } => *a.calls.entry(call("close".into())).or_default() += 1,
            Body::Tracepoint { name, .. } => {
                assert_eq!(e.origin(), Origin::Observed);
                g.events += 1;
                let name = t.str(name);
                if let Some(i) = TRACEPOINTS.iter().position(|n| *n == name) {
                    g.tracepoints[i] += 1;
                } else if let Some(k) = memop_kind(name) {
                    g.memops[kind_slot(k)] += 1;
                } else if name == "get" {
                    g.memops[kind_slot(MemopKind::DmabufGet)] += 1;
                } else if name == "put" {
                    g.memops[kind_slot(MemopKind::DmabufPut)] += 1;
                } else {
                    g.other += 1;
                }
            }
            Body::Memop { kind, .. } => {
                assert_eq!(e.origin(), Origin::Observed);
                g.events += 1;
                let slot = kind_slot(kind);
                if slot < 12 {
                    a.attributed += 1;
                } else {
                    a.attributed_core += 1;
                }
                g.memops[slot] += 1;
            }
            Body::Driver {
                action: DriverAction::BufferDone { .. },
                ..
            } => {
                g.events += 1;
                g.tracepoints[4] += 1;
            }
            Body::Marker { .. } => {
                g.events += 1;
                g.markers += 1;
            }
            ref b => panic!("a kernel capture alone gave {b:?}"),
        }
    }
    (g, a)
}

/// The event name on line `line` (1-based) of `text`.
fn event_name_at(text: &str, line: u32) -> Option<&str> {
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    match parse_line(l) {
        Ok(Line::Event(r)) => Some(r.name),
        _ => None,
    }
}

/// How many lines one diagnostic stands for: `(N like this, the last at line L)` or one.
fn lines_of(d: &Diagnostic) -> usize {
    d.message
        .rsplit_once(" like this, the last at line ")
        .and_then(|(head, _)| head.rsplit_once('(')?.1.parse().ok())
        .unwrap_or(1)
}

/// The diagnostics an ftrace capture imported alone may give, and only those: a memop it could
/// not put on a buffer is a warning (the sample probes of the oldest captures fetch no `priv`
/// at alloc, and the mmap syscall is not in ftrace), a failed call an information; nothing
/// else. Returns the warnings, counting each summarised line.
fn check_diagnostics(file: &str, text: &str, diags: &[Diagnostic], w: &Want) -> usize {
    let mut warnings = 0;
    let mut infos = 0;
    for d in diags {
        let name = event_name_at(text, d.line)
            .unwrap_or_else(|| panic!("{file}: {d} points at no event line"));
        match d.severity {
            DiagSeverity::Warning => {
                warnings += lines_of(d);
                assert!(memop_kind(name).is_some(), "{file}: {d}");
                assert!(
                    d.message
                        .starts_with(&format!("{name} not attributed to a buffer: ")),
                    "{file}: {d}"
                );
            }
            DiagSeverity::Info => {
                infos += lines_of(d);
                assert!(name.ends_with("_ret"), "{file}: {d}");
                assert!(d.message.contains("the call failed"), "{file}: {d}");
            }
            DiagSeverity::Error => panic!("{file}: {d}"),
        }
    }
    assert_eq!(infos, w.failed, "{file}: failed calls");
    warnings
}

/// Every kernel event of every capture is in the import, as grep counts them; the calls it
/// rebuilt and the memops it put on buffers are compared with the golden summary (one line per
/// capture), so a change in what the kernel's events are made into shows in review.
#[test]
fn every_capture_imports_with_the_counts_grep_gives() {
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .expect("fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ftrace.txt") || n.ends_with(".report.txt"))
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|w| w.file).collect();
    assert_eq!(files, listed, "every capture has its counts, in file order");
    let mut summary = String::new();
    for w in EXPECTED {
        let text = fixture(w.file);
        assert_eq!(
            detect(text.as_bytes(), w.file),
            Some(Format::Ftrace),
            "{}",
            w.file
        );
        let Imported { trace, diagnostics } = import_ftrace(&text);
        let want = Got {
            tracepoints: w.tracepoints,
            memops: w.memops,
            markers: w.markers,
            other: w.other,
            events: w.events,
        };
        let (g, a) = got(&trace);
        assert_eq!(g, want, "{}", w.file);
        // A QBUF or DQBUF is read from the V4L2 tracepoint of a call that succeeded.
        let n = |c: &str| a.calls.get(c).copied().unwrap_or(0);
        assert!(n("VIDIOC_QBUF observed") <= w.tracepoints[0], "{}", w.file);
        assert!(n("VIDIOC_DQBUF observed") <= w.tracepoints[1], "{}", w.file);
        let unattributed = check_diagnostics(w.file, &text, &diagnostics, w);
        let allocator_memops: usize = w.memops.iter().take(12).sum();
        let dmabuf_core: usize = w.memops[12..].iter().sum();
        assert!(
            a.attributed + a.attributed_core + unattributed <= allocator_memops + dmabuf_core,
            "{}",
            w.file
        );
        assert!(
            trace.events.windows(2).all(|p| p[0].t_ns <= p[1].t_ns),
            "{}: time goes backwards",
            w.file
        );
        let calls: Vec<String> = a.calls.iter().map(|(c, n)| format!("{c} {n}")).collect();
        summary.push_str(&format!(
            "{}: on buffers {} of {} allocator memops, {} of {dmabuf_core} dma-buf gets and \
             puts; {unattributed} warned; calls: {}\n",
            w.file,
            a.attributed,
            allocator_memops,
            a.attributed_core,
            calls.join(", ")
        ));
    }
    insta::assert_snapshot!(summary);
}

/// `trace_pipe` prints the same lines as `trace`, without the header: the same import.
#[test]
fn trace_pipe_text_imports_like_the_trace_file() {
    for w in EXPECTED.iter().filter(|w| w.file.ends_with(".ftrace.txt")) {
        let text = fixture(w.file);
        let pipe: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(pipe.len() < text.len(), "{}: a header to drop", w.file);
        assert_eq!(detect(pipe.as_bytes(), w.file), Some(Format::Ftrace));
        let a = import_ftrace(&text);
        let b = import_ftrace(&pipe);
        assert_eq!(a.trace.events, b.trace.events, "{}", w.file);
        // Events name threads by index: the tables must be the same too.
        assert_eq!(a.trace.threads(), b.trace.threads(), "{}", w.file);
        // A summary names the last line of its kind, which the header moves.
        let lines = |d: &[Diagnostic]| {
            d.iter()
                .map(|d| {
                    let m = d.message.split(" the last at line ").next().unwrap_or("");
                    (d.severity, m.to_string())
                })
                .collect()
        };
        let (da, db): (Vec<_>, Vec<_>) = (lines(&a.diagnostics), lines(&b.diagnostics));
        assert_eq!(da, db, "{}", w.file);
    }
}

/// What `trace-cmd report` prints differently from the kernel, read from the real output.
#[test]
fn trace_cmd_report_lines_are_read_as_printed() {
    let text = fixture("tracecmd-mmap.report.txt");
    let mut lines = text.lines();
    // trace-cmd's own first line.
    assert_eq!(lines.next().map(parse_line), Some(Ok(Line::Other)));
    // `%16s-%-5d [%03d] %6.1000d: %-20s` without latency flags (no `-l`).
    let Some(Ok(Line::Event(r))) = lines.next().map(parse_line) else {
        panic!("the first event")
    };
    assert_eq!(
        (r.comm, r.tid, r.tgid, r.cpu, r.flags, r.ts_ns, r.name),
        ("v4l2-ctl", 229, None, 0, None, 12_849_561_000, "reqbufs")
    );
    // A kprobe's location is a bare address: the event is still the probe, its args are read.
    assert_eq!(
        r.body,
        "(ffffffffc05df474) q=0xff16099483986868 memory=1 count=4"
    );
    // A driver kthread whose name holds dashes.
    let done = text
        .lines()
        .find(|l| l.contains("vb2_buf_done"))
        .map(parse_line);
    let Some(Ok(Line::Event(r))) = done else {
        panic!("a vb2_buf_done")
    };
    assert_eq!((r.comm, r.tid, r.cpu), ("vivid-000-vid-c", 230, 1));
    assert!(
        r.body
            .starts_with("owner = 0xff16099483f24b40, queued = 4,"),
        "{}",
        r.body
    );
    // Imported alone, the REQBUFS is rebuilt from the probe and its four allocations land on
    // buffers 0 to 3 of the capture queue.
    let imp = import_ftrace(&text);
    let cap = |i| (BufType::VideoCapture, i);
    assert_eq!(
        memops_per_buffer(&imp.trace, MemopKind::Alloc),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    // The rebuilt open and REQBUFS come just before the probe that shows the REQBUFS.
    let first_kernel = imp
        .trace
        .events
        .iter()
        .find(|e| e.origin() == Origin::Observed)
        .map(|e| e.t_ns);
    assert_eq!(first_kernel, Some(12_849_561_000));
}

/// QBUF/DQBUF calls matched on both sides.
fn bufs_matched(a: &vb2scope_core::import::Alignment) -> usize {
    a.kinds
        .iter()
        .find(|(k, _)| *k == "QBUF/DQBUF")
        .map_or(0, |&(_, n)| n)
}

fn joined(name: &str) -> Trace {
    let user = import_strace(&fixture(&format!("tracecmd-{name}.strace.txt")));
    assert!(
        user.diagnostics
            .iter()
            .all(|d| d.severity < DiagSeverity::Error),
        "{name}: {:?}",
        user.diagnostics
    );
    let (j, a) = join(user, &fixture(&format!("tracecmd-{name}.report.txt")));
    // `grep -c ': v4l2_qbuf: '` + `grep -c ': v4l2_dqbuf: '` = 20 (mmap), 30 (dmabuf): every
    // QBUF/DQBUF the kernel saw is matched with strace's.
    let want = if name == "mmap" { 20 } else { 30 };
    assert_eq!(bufs_matched(&a), want, "{name}: {a}");
    // REQBUFS and STREAMON/STREAMOFF are matched too, and every match fits one offset.
    assert!(a.matched > want && a.consistent == a.matched, "{name}: {a}");
    j.trace
}

/// Driver completions per (queue type, index).
fn completions(t: &Trace) -> Vec<(BufType, Option<u32>)> {
    let mut v: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Driver {
                ty,
                action: DriverAction::BufferDone { index, .. },
                ..
            } => Some((ty, index)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

/// A `trace-cmd report` joined with the strace log of the same run: memops on the buffers the
/// calls name, every completion on its buffer, and the model agrees with the kernel.
#[test]
fn trace_cmd_report_joins_with_strace_of_the_same_run() {
    let t = joined("mmap");
    let cap = |i| (BufType::VideoCapture, i);
    assert_eq!(
        memops_per_buffer(&t, MemopKind::Alloc),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    assert_eq!(
        memops_per_buffer(&t, MemopKind::Mmap),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    // 12 `vb2_buf_done` (`grep -c`), 3 per buffer.
    let done = completions(&t);
    let want: Vec<_> = (0..4)
        .flat_map(|i| [(BufType::VideoCapture, Some(i)); 3])
        .collect();
    assert_eq!(done, want);
    modern_explains_it(&t);
}

/// Regression: libtraceevent prints `%p` as `0x…` (`owner = 0xff16099483f24b40`), the kernel
/// as bare hashed digits; the `0x` form was not read, so with two devices the completions that
/// drivers' threads report (outside any syscall) were not attributed to a queue.
#[test]
fn trace_cmd_owner_pointers_attribute_completions_of_two_devices() {
    let t = joined("dmabuf");
    let done = completions(&t);
    // `grep vb2_buf_done F | grep -o 'type = [0-9]' | sort | uniq -c`: 9 capture, 8 output.
    let of = |ty| done.iter().filter(|(t, _)| *t == ty).count();
    assert_eq!(
        (
            of(BufType::VideoCapture),
            of(BufType::VideoOutput),
            done.len()
        ),
        (9, 8, 17),
        "{done:?}"
    );
    assert!(
        done.iter().all(|(_, i)| i.is_some_and(|i| i < 4)),
        "{done:?}"
    );
    let cap = |i| (BufType::VideoCapture, i);
    assert_eq!(
        memops_per_buffer(&t, MemopKind::AttachDmabuf),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    assert_eq!(
        memops_per_buffer(&t, MemopKind::MapDmabuf),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    let r = check_trace(&t, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.stats);
}

/// Regression: the kernel clock was moved by the largest strace-minus-kernel difference of the
/// matched calls, which puts every kernel event as early as the quickest QBUF/DQBUF allows.
/// Under strace a call's kernel work starts a varying while after strace's time for it, so a
/// memop early in a quick call (`vmalloc_mmap` in the mmap of output buffer 3) landed in the
/// call before (the mmap of buffer 2), and the puts that followed were put on the wrong
/// buffers or none. The offset is now a quarter of the way into what the matched calls allow.
#[test]
fn trace_cmd_dmabuf_memops_land_in_their_own_calls() {
    let user = import_strace(&fixture("tracecmd-dmabuf.strace.txt"));
    let (j, _) = join(user, &fixture("tracecmd-dmabuf.report.txt"));
    let warnings: Vec<_> = j
        .diagnostics
        .iter()
        .filter(|d| d.severity >= DiagSeverity::Warning)
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    let t = j.trace;
    let out = |i| (BufType::VideoOutput, i);
    // Each output buffer is mapped twice: its exported dma-buf, then its offset on the video
    // fd (`grep -c ': vmalloc_mmap: '` = 8); vb2 frees each once at REQBUFS 0.
    assert_eq!(
        memops_per_buffer(&t, MemopKind::Mmap),
        vec![
            out(0),
            out(0),
            out(1),
            out(1),
            out(2),
            out(2),
            out(3),
            out(3)
        ]
    );
    assert_eq!(
        memops_per_buffer(&t, MemopKind::Put),
        vec![out(0), out(1), out(2), out(3)]
    );
    modern_explains_it(&t);
}

/// The strace log of a sample run: in this directory, or among the strace importer's fixtures.
fn strace_of(name: &str) -> String {
    let here = format!("{DIR}{name}.strace.txt");
    let there = format!(
        "{}/tests/fixtures/import/strace/{name}.strace.txt",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    std::fs::read_to_string(&here)
        .or_else(|_| std::fs::read_to_string(&there))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every kernel-6.12 sample whose QBUF/DQBUF calls succeed, joined with the strace log of the
/// same run: every QBUF/DQBUF the kernel saw is matched (`grep -c` of `v4l2_qbuf` plus
/// `v4l2_dqbuf`, the table above), every memop lands on a buffer (an unattributed one would be
/// a warning), and replaying under `modern` the kernel's results and memops are the model's.
/// Before the offset was taken between both bounds, 03, 04, 33 and 42 had memops on the wrong
/// buffer or on none (see `align` in crates/core/src/import/join.rs).
#[test]
fn every_sample_joins_with_its_strace_log() {
    const PAIRS: &[&str] = &[
        "k612-01-vmalloc-mmap",
        "k612-02-vmalloc-userptr",
        "k612-03-vmalloc-dmabuf-import-from-out",
        "k612-04-vmalloc-dmabuf-export-device",
        "k612-05-vmalloc-out-dmabuf",
        "k612-11-dmacontig-mmap",
        "k612-13-dmacontig-dmabuf-import-from-out",
        "k612-31-vim2m-mmap",
        "k612-32-vim2m-userptr",
        "k612-33-vim2m-dmabuf-from-vivid",
        "k612-41-vmalloc-import-dma-heap",
        "k612-42-vmalloc-import-udmabuf",
    ];
    for name in PAIRS {
        let file = format!("{name}.ftrace.txt");
        let w = EXPECTED
            .iter()
            .find(|w| w.file == file)
            .expect("a capture of the table");
        let user = import_strace(&strace_of(name));
        let (j, a) = join(user, &fixture(&file));
        assert_eq!(
            bufs_matched(&a),
            w.tracepoints[0] + w.tracepoints[1],
            "{name}: {a}"
        );
        assert_eq!(a.consistent, a.matched, "{name}: {a}");
        let warnings: Vec<_> = j
            .diagnostics
            .iter()
            .filter(|d| d.severity >= DiagSeverity::Warning)
            .collect();
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        let allocator_memops = j
            .trace
            .events
            .iter()
            .filter(|e| {
                matches!(e.body, Body::Memop { kind, .. }
                    if !matches!(kind, MemopKind::DmabufGet | MemopKind::DmabufPut))
            })
            .count();
        assert!(allocator_memops > 0, "{name}");
        let r = check_trace(&j.trace, Policy::MODERN);
        let s = &r.stats;
        // Samples 04 and 13 export with EXPBUF, which strace 6.1 leaves undecoded, and their
        // process exits holding the dma-bufs: the kernel frees the exporter's 4 buffers then,
        // with no syscall, and the untimed log (no -T) puts those frees into its last close.
        // The model, which never saw the dma-bufs' fds, does not predict them there.
        let exits_holding = [
            "k612-04-vmalloc-dmabuf-export-device",
            "k612-13-dmacontig-dmabuf-import-from-out",
        ];
        let exit_frees = if exits_holding.contains(name) { 4 } else { 0 };
        assert_eq!(
            (s.divergences, s.memops_missing, s.memops_unpredicted),
            (0, 0, exit_frees),
            "{name}: {s:?}"
        );
        assert_eq!(
            s.memops_matched + exit_frees,
            s.observed_memops,
            "{name}: {s:?}"
        );
    }
}

/// Under modern the kernel and the model agree on every result and memop of `t`.
fn modern_explains_it(t: &Trace) {
    let s = check_trace(t, Policy::MODERN).stats;
    assert_eq!(
        (s.divergences, s.memops_unpredicted, s.memops_missing),
        (0, 0, 0),
        "{s:?}"
    );
}

/// Regression: `trace-kernel` around a program whose only call failed before vb2 (REQBUFS of
/// USERPTR on dma-contig) wrote an empty file, which no importer recognised, so the join with
/// its strace log failed. The saved text now starts with a line naming the kernel: it is
/// ftrace even without events, and the kernel it names is the trace's (`auto` checks under it).
#[test]
fn a_capture_without_events_is_ftrace_and_names_its_kernel() {
    let text = "# vb2scope trace-kernel: Linux 5.10.0-46-amd64 (trace_clock mono)\n";
    assert_eq!(detect(text.as_bytes(), "x.txt"), Some(Format::Ftrace));
    let alone = import_ftrace(text);
    assert!(alone.trace.events.is_empty());
    assert_eq!(
        alone.trace.header.kernel.as_deref(),
        Some("5.10.0-46-amd64")
    );
    let user = import_strace(
        "10 1796408612.000000 openat(AT_FDCWD, \"/dev/video4\", O_RDWR) = 3 <0.000020>\n\
         10 1796408612.000100 ioctl(3, VIDIOC_REQBUFS, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, memory=V4L2_MEMORY_USERPTR, count=4}) = -1 EINVAL (Invalid argument) <0.000050>\n",
    );
    let (j, _) = join(user, text);
    assert_eq!(j.trace.header.kernel.as_deref(), Some("5.10.0-46-amd64"));
    assert_eq!(j.trace.events.len(), 2);
}

/// Item: clock alignment from `trace_marker` lines. A log whose only call both sides show is
/// a marker (no QBUF, no REQBUFS probe) is aligned on it; strace's cut text (`-s 8`) still
/// matches the kernel's, and the marker is shown once, with the kernel's whole text.
#[test]
fn a_trace_marker_written_by_the_program_aligns_the_clocks() {
    let strace = "\
10 1796408612.000000 openat(AT_FDCWD</>, \"/sys/kernel/tracing/trace_marker\", O_WRONLY) = 4</sys/kernel/tracing/trace_marker> <0.000020>
10 1796408612.100000 write(4</sys/kernel/tracing/trace_marker>, \"frame 1 \"..., 17) = 17 <0.000030>
10 1796408612.200000 close(4</sys/kernel/tracing/trace_marker>) = 0 <0.000010>
";
    let kernel = "\
# vb2scope trace-kernel: Linux 6.12.118+deb12-amd64 (trace_clock mono)
         app-10      [000] .....    50.000010: tracing_mark_write: frame 1 of 20 done
";
    let user = import_strace(strace);
    assert!(user.diagnostics.is_empty(), "{:?}", user.diagnostics);
    let (j, a) = join(user, kernel);
    assert!(a.aligned(), "{a}");
    assert_eq!(a.kinds, vec![("marker", 1)]);
    // The kernel's 50.000010 is the write's start.
    assert_eq!(a.offset_ns, 1_796_408_612_100_000_000 - 50_000_010_000);
    let markers: Vec<&str> = j
        .trace
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Marker { text } => Some(j.trace.str(text)),
            _ => None,
        })
        .collect();
    assert_eq!(markers, vec!["frame 1 of 20 done"]);
}

/// A capture that lost events (`[LOST n EVENTS]`) says from where, and every finding from
/// there on is information at most: a lost `unmap_dmabuf` would otherwise read as a mapping
/// that lingers, and the next map as a double map.
#[test]
fn findings_after_lost_events_are_information_at_most() {
    let text = fixture("k612-13-dmacontig-dmabuf-import-from-out.ftrace.txt");
    let lines: Vec<&str> = text.lines().collect();
    // Drop every unmap_dmabuf after the first STREAMOFF, as a ring buffer overflow would.
    let first_off = lines
        .iter()
        .position(|l| l.contains(": streamoff: "))
        .expect("a STREAMOFF");
    let mut cut: Vec<&str> = lines[..first_off].to_vec();
    cut.push("CPU:0 [LOST 40 EVENTS]");
    cut.extend(
        lines[first_off..]
            .iter()
            .filter(|l| !l.contains("unmap_dmabuf")),
    );
    let cut = cut.join("\n");
    let imp = import_ftrace(&cut);
    assert!(
        imp.diagnostics
            .iter()
            .any(|d| d.message.starts_with("the kernel lost 40 events on CPU 0")),
        "{:?}",
        imp.diagnostics
    );
    let mut capped = 0;
    for policy in [Policy::MODERN, Policy::Vb2_2012] {
        let r = check_trace(&imp.trace, policy);
        let gap = r.incomplete_from.expect("the gap is known");
        for f in r.findings.iter().filter(|f| f.event >= gap) {
            assert_eq!(r.severity(f), vb2scope_core::rules::Severity::Info, "{f:?}");
            let alone = vb2scope_core::rules::info(f.rule).severity_under(policy);
            capped += usize::from(alone > Some(vb2scope_core::rules::Severity::Info));
        }
    }
    // Without the gap some of them would be louder.
    assert!(capped > 0);
}
