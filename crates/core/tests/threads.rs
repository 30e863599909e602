//! An event names its thread by an index into its trace's thread table: every path that
//! moves events between traces or files must keep each event's pid and tid (a wrong one
//! would be a silent wrong answer).

use std::path::Path;

use vb2scope_core::format::binary::{read_binary_bytes, read_binary_prefix};
use vb2scope_core::format::{BinaryWriter, read_native_bytes, write_binary, write_native};
use vb2scope_core::kernel::merge::ClockMap;
use vb2scope_core::kernel::merge_apart;
use vb2scope_core::trace::{Body, Event, OwnedEvent, Thread, Trace, TraceHeader};
use vb2scope_core::v4l2::Origin;

/// Every event's (pid, tid), in order.
fn threads_of(t: &Trace) -> Vec<(u32, u32)> {
    t.events.iter().map(|e| (t.pid(e), t.tid(e))).collect()
}

/// Markers on threads that come and go, so that chunks of two events meet them in other
/// orders than the trace's table has them. Every tid is set (a JSON Lines line without
/// one means tid = pid).
fn many_threads() -> Trace {
    let mut t = Trace::new(TraceHeader::default());
    let text = t.intern("m");
    let threads = [
        (7, 7),
        (7, 9),
        (300, 301),
        (7, 9),
        (0, 0),
        (300, 300),
        (7, 7),
    ];
    for (i, &(pid, tid)) in threads.iter().cycle().take(23).enumerate() {
        let thread = t.thread_id(pid, tid);
        let e = Event::new(
            i as u64 * 10,
            thread,
            Origin::Observed,
            Body::Marker { text },
        );
        t.push(e);
    }
    // A thread first seen last, in the last chunk only.
    let late = t.thread_id(4242, 4243);
    t.push(Event::new(
        1_000,
        late,
        Origin::Observed,
        Body::Marker { text },
    ));
    t
}

/// Writes `t` in chunks of `per` events.
fn binary(t: &Trace, per: usize) -> Vec<u8> {
    let mut w = BinaryWriter::new(Vec::new(), &t.header).expect("header");
    let mut start = 0;
    while start < t.events.len() {
        let end = (start + per).min(t.events.len());
        w.chunk(t, start..end).expect("chunk");
        start = end;
    }
    w.finish().expect("finish")
}

#[test]
fn threads_survive_json_lines() {
    let t = many_threads();
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    let (back, diags) = read_native_bytes(&bytes).expect("read");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(threads_of(&back), threads_of(&t));
}

#[test]
fn threads_survive_the_binary_form_chunk_by_chunk() {
    let t = many_threads();
    for per in [1, 2, 3, 5, 64] {
        let (back, diags) = read_binary_bytes(&binary(&t, per), None).expect("read");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(threads_of(&back), threads_of(&t), "chunks of {per}");
        // Each thread once in the joined table.
        let mut table = back.threads().to_vec();
        table.sort_unstable();
        table.dedup();
        assert_eq!(table.len(), back.threads().len());
    }
    let whole = write_binary(Vec::new(), &t).expect("write");
    let (back, _) = read_binary_bytes(&whole, None).expect("read");
    assert_eq!(threads_of(&back), threads_of(&t));
}

#[test]
fn threads_survive_a_preview() {
    let t = many_threads();
    let bytes = binary(&t, 3);
    let part = read_binary_prefix(&bytes, 7).expect("a preview");
    assert!(part.cut);
    let n = part.events.len();
    assert!(n >= 7 && n < t.events.len(), "{n}");
    assert_eq!(threads_of(&part), threads_of(&t)[..n]);
}

#[test]
fn threads_survive_owned_events() {
    let t = many_threads();
    // Another trace, whose table already numbers other threads.
    let mut other = Trace::new(TraceHeader::default());
    other.thread_id(1, 2);
    other.thread_id(300, 301);
    let owned: Vec<OwnedEvent> = (0..t.events.len())
        .filter_map(|i| OwnedEvent::from_trace_at(&t, i))
        .collect();
    for o in &owned {
        o.append_to(&mut other);
    }
    assert_eq!(threads_of(&other), threads_of(&t));
}

#[test]
fn threads_that_become_one_share_an_index() {
    let mut t = many_threads();
    let before = threads_of(&t);
    t.map_threads(|th| Thread { tid: 0, ..th });
    let want: Vec<(u32, u32)> = before.iter().map(|&(p, _)| (p, 0)).collect();
    assert_eq!(threads_of(&t), want);
    assert_eq!(t.threads().len(), 4, "{:?}", t.threads());
}

/// A recorded MMAP session whose calls run on two threads of process 270, merged with the
/// kernel's side: the calls keep their threads, the kernel's events take theirs.
#[test]
fn threads_survive_a_kernel_merge() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/kernel"
    ));
    let user = std::fs::read_to_string(dir.join("mmap-session.user.jsonl")).expect("user");
    // Every other line's call on a second thread.
    let user: String = user
        .lines()
        .enumerate()
        .map(|(i, l)| match i % 2 {
            1 => l.replacen("\"pid\":270", "\"pid\":270,\"tid\":275", 1) + "\n",
            _ => format!("{l}\n"),
        })
        .collect();
    let (user, diags) = read_native_bytes(user.as_bytes()).expect("user trace");
    assert!(diags.is_empty(), "{diags:?}");
    assert!(threads_of(&user).contains(&(270, 275)));
    let kernel = std::fs::read_to_string(dir.join("mmap-session.ftrace.txt")).expect("ftrace");
    let merged = merge_apart(&user, &kernel, &ClockMap::offset(0)).trace;
    assert!(merged.events.len() > user.events.len());
    let calls = |t: &Trace| -> Vec<(u64, u32, u32)> {
        (t.events.iter())
            .filter(|e| e.body.is_syscall())
            .map(|e| (e.t_ns, t.pid(e), t.tid(e)))
            .collect()
    };
    assert_eq!(calls(&merged), calls(&user));
    // The kernel's events ran on the capture's task (270), or on a kernel thread.
    let kernel_threads: Vec<(u32, u32)> = (merged.events.iter())
        .filter(|e| !e.body.is_syscall() && !matches!(e.body, Body::Driver { .. }))
        .map(|e| (merged.pid(e), merged.tid(e)))
        .collect();
    assert!(kernel_threads.contains(&(270, 270)), "{kernel_threads:?}");
}

/// An event whose index its table lacks reads as "not known" (0, 0), and stays so when the
/// threads are rewritten: never another trace's first thread.
#[test]
fn an_unknown_thread_stays_unknown() {
    let mut t = Trace::new(TraceHeader::default());
    let known = t.thread_id(5, 6);
    let mut e = Event::new(0, known, Origin::Observed, Body::Close { fd: 3 });
    t.events.push(e);
    e.thread = vb2scope_core::trace::ThreadId(7);
    t.events.push(e);
    t.map_threads(|th| Thread { tid: 0, ..th });
    assert_eq!(threads_of(&t), [(5, 0), (0, 0)]);
}
