//! Placement and attribution rules, one small case each. The fixture-driven cases are in
//! crates/core/tests/kernel_merge.rs.

use super::*;
use crate::format::read_native_bytes;
use crate::v4l2::{BufType, DoneState, MemopKind};

fn user(lines: &[&str]) -> Trace {
    let mut text = String::from("{\"vb2scope\":\"trace\",\"version\":1}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    match read_native_bytes(text.as_bytes()) {
        Ok((t, d)) if d.is_empty() => t,
        other => panic!("{other:?}"),
    }
}

fn kline(tid: u32, flags: &str, us: u64, name: &str, body: &str) -> String {
    format!(
        "  t-{tid} [000] {flags} {}.{:06}: {name}: {body}",
        us / 1_000_000,
        us % 1_000_000
    )
}

/// The kernel events of the merged trace (those not in `u`), with their position.
fn kernel(m: &Merged, u: &Trace) -> Vec<(usize, Body)> {
    m.trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| !u.events.contains(e))
        .map(|(i, e)| (i, e.body))
        .collect()
}

const OPEN0: &str = r#"{"t":1000000,"ev":"open","pid":7,"fd":3,"path":"/dev/video0"}"#;
const OPEN1: &str = r#"{"t":1100000,"ev":"open","pid":7,"fd":4,"path":"/dev/video1"}"#;
const REQ0: &str = r#"{"t":2000000,"ev":"ioctl","pid":7,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":1,"count_out":1}"#;

#[test]
fn an_interrupt_belongs_to_its_queue_not_to_the_interrupted_syscall() {
    let u = user(&[
        OPEN0,
        OPEN1,
        r#"{"t":3000000,"ev":"ioctl","pid":7,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":4096}}"#,
        r#"{"t":4000000,"ev":"ioctl","pid":7,"fd":4,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_OUTPUT"}"#,
    ]);
    let text = [
        kline(
            7,
            ".....",
            3_010,
            "vb2_qbuf",
            "owner = 00000000000000aa, queued = 1, owned_by_drv = 0, index = 0, type = 1",
        ),
        // A completion of video0's buffer, in a hard interrupt taken during video1's STREAMON.
        kline(
            7,
            "d.h1.",
            4_020,
            "vb2_buf_done",
            "owner = 00000000000000aa, queued = 1, owned_by_drv = 0, index = 0, type = 1",
        ),
    ]
    .join("\n");
    let m = merge(&u, &text);
    let done = Body::Driver {
        dev: 0,
        ty: BufType::VideoCapture,
        action: DriverAction::BufferDone {
            index: Some(0),
            state: DoneState::Done,
        },
    };
    assert_eq!(kernel(&m, &u).last().map(|k| k.1), Some(done));
}

#[test]
fn bad_lines_and_lost_events_are_reported_where_they_are() {
    let text =
        "# tracer: nop\nnot an event\r\n  t-1 [000] ..... 1.000000: x: y\nCPU:1 [LOST 12 EVENTS]\n";
    let m = merge(&Trace::default(), text);
    assert_eq!(m.counts.lines, 4);
    assert_eq!(
        (m.counts.events, m.counts.malformed, m.counts.lost),
        (1, 1, 12)
    );
    let d: Vec<String> = m
        .diagnostics
        .iter()
        .map(|d| format!("{} {d}", d.byte))
        .collect();
    assert_eq!(
        d,
        [
            "14 line 2: warning: not an ftrace event line (no `[cpu]` column); skipped",
            "61 line 4: warning: the kernel lost 12 events on CPU 1: memops may be missing from here on",
        ]
    );
}

#[test]
fn windows_start_a_microsecond_early_and_not_before_the_first_syscall() {
    let u = user(&[OPEN0, REQ0]);
    let text = [
        // Before the thread's first syscall: by time, before everything.
        kline(7, ".....", 500, "vb2_qbuf", "index = 9"),
        // Printed 1 µs before REQBUFS started (ftrace truncates to µs): inside REQBUFS.
        kline(
            7,
            ".....",
            1_999,
            "vmalloc_alloc",
            "(vb2_vmalloc_alloc+0x4/0xf0 [videobuf2_vmalloc]) vb=0x10 size=4096",
        ),
    ]
    .join("\n");
    let m = merge(&u, &text);
    let k = kernel(&m, &u);
    assert_eq!(k.first().map(|k| k.0), Some(0));
    let alloc = Body::Memop {
        kind: MemopKind::Alloc,
        dev: 0,
        ty: BufType::VideoCapture,
        index: 0,
        plane: 0,
    };
    assert_eq!(k.get(1).copied(), Some((3, alloc)));
    // Its time is kept after the syscall's.
    assert_eq!(m.trace.events.get(3).map(|e| e.t_ns), Some(2_000_000));
}

#[test]
fn puts_count_references_and_free_orphans_last() {
    let u = user(&[
        OPEN0,
        REQ0,
        r#"{"t":3000000,"ev":"mmap","pid":7,"fd":3,"offset":0,"len":4096,"addr":65536}"#,
        r#"{"t":4000000,"ev":"mmap","pid":7,"fd":3,"offset":0,"len":4096,"addr":131072}"#,
        r#"{"t":5000000,"ev":"munmap","pid":7,"len":4096,"addr":65536}"#,
        r#"{"t":6000000,"ev":"ioctl","pid":7,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":0,"count_out":0}"#,
        r#"{"t":7000000,"ev":"munmap","pid":7,"len":4096,"addr":131072}"#,
    ]);
    let probe = |us, name: &str, args: &str| {
        kline(
            7,
            ".....",
            us,
            name,
            &format!("(vb2_vmalloc_{name}+0x4/0xf0 [videobuf2_vmalloc]) {args}"),
        )
    };
    let text = [
        probe(
            2_010,
            "vmalloc_alloc",
            "vb=0x10 q=0x20 index=0 type=1 size=4096",
        ),
        probe(2_020, "vmalloc_alloc_ret", "ret=0xffff000000000100"),
        probe(3_010, "vmalloc_mmap", "priv=0xffff000000000100 vma=0x1"),
        probe(4_010, "vmalloc_mmap", "priv=0xffff000000000100 vma=0x2"),
        probe(5_010, "vmalloc_put", "priv=0xffff000000000100"),
        probe(6_010, "vmalloc_put", "priv=0xffff000000000100"),
        probe(7_010, "vmalloc_put", "priv=0xffff000000000100"),
    ]
    .join("\n");
    let m = merge(&u, &text);
    let mut puts: Vec<bool> = kernel(&m, &u)
        .iter()
        .rev()
        .take(3)
        .map(|(_, b)| {
            matches!(
                b,
                Body::Memop {
                    kind: MemopKind::Put,
                    ..
                }
            )
        })
        .collect();
    puts.reverse();
    // munmap: a reference; REQBUFS(0): vb2's own put; the last munmap: frees the orphan.
    assert_eq!(puts, [false, true, true]);
    assert_eq!((m.counts.ref_drops, m.counts.memops_unresolved), (1, 0));
}

#[test]
fn without_return_probes_a_single_plane_buffer_takes_its_qbuf_memops() {
    let u = user(&[
        OPEN0,
        r#"{"t":2000000,"ev":"ioctl","pid":7,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"DMABUF","count":2,"count_out":2}"#,
        r#"{"t":2500000,"ev":"dmabuf","pid":7,"fd":5,"size":4096}"#,
        r#"{"t":3000000,"ev":"ioctl","pid":7,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"DMABUF","length":4096,"fd":5}}"#,
    ]);
    let text = [
        kline(7, ".....", 3_010, "get", "(dma_buf_get+0x4/0x50) fd=5"),
        kline(
            7,
            ".....",
            3_020,
            "sg_attach_dmabuf",
            "(vb2_dma_sg_attach_dmabuf+0x4/0x70 [videobuf2_dma_sg]) vb=0x10 dbuf=0x30 size=4096",
        ),
        kline(
            7,
            ".....",
            3_030,
            "sg_map_dmabuf",
            "(vb2_dma_sg_map_dmabuf+0x4/0x70 [videobuf2_dma_sg]) priv=0x40",
        ),
        kline(
            7,
            ".....",
            3_040,
            "sg_map_dmabuf_ret",
            "(__prepare_dmabuf+0x3d5/0x590 [videobuf2_common] <- vb2_dma_sg_map_dmabuf) ret=-14",
        ),
    ]
    .join("\n");
    let m = merge(&u, &text);
    let kinds: Vec<String> = kernel(&m, &u)
        .iter()
        .map(|(_, b)| match b {
            Body::Memop { kind, index, .. } => format!("{} #{index}", kind.as_str()),
            _ => "raw".into(),
        })
        .collect();
    // The map failed (-14): it holds nothing, so it stays a tracepoint.
    assert_eq!(kinds, ["dma_buf_get #1", "attach_dmabuf #1", "raw", "raw"]);
    assert_eq!(m.counts.memops_failed, 1);
    assert!(
        m.diagnostics
            .iter()
            .any(|d| d.message.starts_with("sg_map_dmabuf_ret returned -14"))
    );
}

/// Every ftrace capture of the repository (`*.ftrace.*`, the corpus of every kernel
/// included), one after another. Told by name: what tells formats apart (`import`) is above
/// this module.
fn all_ftrace_captures() -> String {
    let (files, text) =
        crate::read_ahead::repository_captures(|p, _| p.display().to_string().contains(".ftrace."));
    assert!(files >= 50, "ftrace captures found: {files}");
    text
}

fn same_reading(a: &KernelText, b: &KernelText) -> bool {
    a.counts == b.counts
        && a.diagnostics == b.diagnostics
        && a.lost == b.lost
        && a.also_events == b.also_events
        && a.kevs.len() == b.kevs.len()
        && (a.kevs.iter().zip(&b.kevs))
            .all(|(x, y)| (x.line, x.byte, x.rec) == (y.line, y.byte, y.rec))
}

/// Kernel text read ahead on worker threads reads as it does line by line, wherever the
/// batches are cut.
#[test]
fn kernel_text_read_ahead_reads_as_in_line() {
    use crate::read_ahead::Ahead;
    let text = all_ftrace_captures();
    let inline = KernelText::read_with(
        &text,
        Ahead {
            workers: 0,
            batch: usize::MAX,
        },
        |_| (),
    )
    .0;
    assert!(inline.kevs.len() > 10_000, "{}", inline.kevs.len());
    let ahead = KernelText::read_with(
        &text,
        Ahead {
            workers: 3,
            batch: 4096,
        },
        |_| (),
    )
    .0;
    assert!(same_reading(&ahead, &inline));
    let cut = text
        .as_bytes()
        .iter()
        .take(1 << 20)
        .rposition(|&b| b == b'\n');
    let head = text.get(..cut.map_or(0, |c| c + 1)).unwrap_or("");
    let inline = KernelText::read_with(
        head,
        Ahead {
            workers: 0,
            batch: usize::MAX,
        },
        |_| (),
    )
    .0;
    let ahead = KernelText::read_with(
        head,
        Ahead {
            workers: 8,
            batch: 1,
        },
        |_| (),
    )
    .0;
    assert!(same_reading(&ahead, &inline));
}

/// A line read as something else that also reads as an event (a task named `#cam`) is one
/// of the events the calls are rebuilt from, as it always was; the merge skips it as a
/// comment. A lost-events notice is neither, whatever its fields.
#[test]
fn lines_read_as_something_else_may_still_be_events() {
    let text = [
        kline(5, ".....", 1_000_000, "v4l2_qbuf", "minor = 0, index = 0"),
        "  #cam-6 [001] ..... 1.000002: v4l2_qbuf: minor = 0, index = 1".to_owned(),
        "CPU:1 [LOST 3 EVENTS]".to_owned(),
        "# tracer: nop".to_owned(),
    ]
    .join("\n");
    let (k, notes) = KernelText::read_noting(&text, |_| ());
    let lines: Vec<u32> = (k.events_noted(&notes, |_| ()).iter())
        .map(|(l, _, _)| *l)
        .collect();
    assert_eq!(lines, [1, 2]);
    assert_eq!(k.lost, [3]);
    assert_eq!(k.counts.events, 1);
}

/// Each event's note lands on its own record, in line order, whatever the workers: with lost
/// events (no note, not an event) and lines read as something else that are events too
/// (noted as they are merged in), among comments and lines that are nothing.
#[test]
fn notes_land_on_their_events() {
    use crate::read_ahead::Ahead;
    let lines: Vec<String> = (0..3000u64)
        .map(|i| match i % 7 {
            0 => format!("CPU:{} [LOST {i} EVENTS]", i % 4),
            1 => format!("  #cam-{i} [001] ..... 1.{i:06}: v4l2_qbuf: minor = 0, index = {i}"),
            2 => "# tracer: nop".to_owned(),
            3 => "garbage line".to_owned(),
            4 => format!(" => x-{i} [002] ..... 2.{i:06}: v4l2_dqbuf: minor = 1, index = {i}"),
            _ => kline(i as u32, ".....", 1_000_000 + i, "v4l2_qbuf", "minor = 0"),
        })
        .collect();
    let text = lines.join("\n");
    let note = |r: &Record| (r.ts_ns, r.tid);
    for ahead in [
        Ahead {
            workers: 0,
            batch: usize::MAX,
        },
        Ahead {
            workers: 3,
            batch: 512,
        },
    ] {
        let (k, notes) = KernelText::read_with(&text, ahead, note);
        assert!(!k.also_events.is_empty() && !k.lost.is_empty());
        let noted = k.events_noted(&notes, note);
        // Every event line (1 in 7 is a lost-events notice, 3 in 7 are not events at all)
        // and the `#cam`/`=>` lines that also read as events.
        let events: Vec<u32> = (k.kevs.iter().map(|x| x.line))
            .filter(|l| !k.lost.contains(l))
            .chain(k.also_events.iter().map(|(l, _)| *l))
            .collect();
        assert_eq!(noted.len(), events.len());
        assert!(noted.windows(2).all(|w| w[0].0 < w[1].0), "line order");
        for (line, rec, n) in &noted {
            assert_eq!(*n, note(rec), "the note of line {line}");
            let raw = lines.get(*line as usize - 1).map(String::as_str);
            assert_eq!(parse_event(raw.unwrap_or("")).ok().as_ref(), Some(*rec));
        }
    }
}

/// Each event's pin (a lost-events notice is kept as an event too) is the last one given
/// for its line, as a map by line keeps; pins of lines that are not events (comments, line
/// 0, past the end) pin nothing.
#[test]
fn pins_by_event_are_the_last_of_each_line() {
    let lines: Vec<String> = (0..200u64)
        .map(|i| match i % 5 {
            0 => "# comment".to_owned(),
            1 => "CPU:1 [LOST 3 EVENTS]".to_owned(),
            _ => kline(7, ".....", 1_000_000 + i, "v4l2_qbuf", "minor = 0"),
        })
        .collect();
    let text = lines.join("\n");
    let k = KernelText::read(&text);
    let mut seed = 12345u64;
    let mut rnd = |m: u64| {
        seed = (seed.wrapping_mul(6364136223846793005)).wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for _ in 0..500 {
        let pins: Vec<Pin> = (0..rnd(40) as usize)
            .map(|j| Pin {
                line: rnd(260) as u32,
                user_event: j,
                kernel_ns: 0,
                user_ns: 0,
                at_return: rnd(2) == 0,
            })
            .collect();
        let by_line: FxHashMap<u32, &Pin> = pins.iter().map(|p| (p.line, p)).collect();
        let got = pins_by_kev(&k.kevs, pins.iter());
        for (kev, g) in k.kevs.iter().zip(&got) {
            let want = by_line.get(&kev.line);
            assert_eq!(
                want.map(|p| p.user_event),
                g.map(|p| p.user_event),
                "line {}",
                kev.line
            );
        }
    }
}
