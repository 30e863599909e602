//! A live recording's timeline grows with it (`Growing`): fed its events in parts as they
//! arrive, restarted only when what came changes what was replayed, it must end exactly as
//! the timeline of the whole trace read from a file, on every real capture the repository
//! holds (every kernel of the corpus, strace and the recorder) and every bundled trace.
//! Half-way, its lanes must be those of the part so far.

use std::path::{Path, PathBuf};

use vb2scope_core::check::first_candidate;
use vb2scope_core::import::import_bytes;
use vb2scope_core::policy::Policy;
use vb2scope_core::timeline::{Growing, Lane, Timeline, build};
use vb2scope_core::trace::Trace;

fn inputs() -> Vec<PathBuf> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("traces"))
        .expect("traces/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    for kernel in std::fs::read_dir(root.join("tests/fixtures/corpus")).expect("corpus") {
        let dir = kernel.expect("a corpus kernel").path();
        out.extend(
            std::fs::read_dir(&dir)
                .expect("a kernel's captures")
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.to_string_lossy();
                    // strace, ftrace, the recorder, and scenarios run on the device with
                    // the kernel's side merged (memops inside their calls).
                    n.ends_with(".txt.zst") && !n.ends_with(".out.txt") || n.ends_with(".jsonl.zst")
                }),
        );
    }
    out.sort();
    out
}

fn read(p: &Path) -> Trace {
    let bytes = std::fs::read(p).expect("readable");
    let name = p.to_string_lossy();
    let (imported, _) = import_bytes(&bytes, &name, None, None).expect("imports");
    imported.trace
}

/// The lanes without their levels of detail (a growing lane's pyramid is built as it
/// grows, a whole trace's for its length: both answer the same, differently cut).
fn spans(lanes: &[Lane]) -> String {
    let mut s = String::new();
    for l in lanes {
        s += &format!("{} #{} {:?}\n", l.queue, l.index, l.states);
        for p in &l.planes {
            s += &format!("  {:?}\n", p.assoc);
            for t in &p.tracks {
                s += &format!("  {:?} {:?} {:?}\n", t.source, t.resource, t.spans);
            }
        }
    }
    s
}

fn same(a: &Timeline, b: &Timeline, what: &str) {
    assert_eq!(a.lanes, b.lanes, "{what}: lanes");
    assert_eq!(a.marks, b.marks, "{what}: marks");
    assert_eq!(a.report.findings, b.report.findings, "{what}: findings");
    assert_eq!(a.report.stats, b.report.stats, "{what}: stats");
    assert_eq!(a.report.value_notes, b.report.value_notes, "{what}: notes");
    assert_eq!(a.report.unseen_setup, b.report.unseen_setup, "{what}");
    assert_eq!(a.report.incomplete_from, b.report.incomplete_from, "{what}");
    assert_eq!(a.report.undecoded_from, b.report.undecoded_from, "{what}");
    assert_eq!(a.requests, b.requests, "{what}: requests");
    assert_eq!(a.drains, b.drains, "{what}: drains");
    assert_eq!(a.jobs, b.jobs, "{what}: jobs");
    assert_eq!(a.dmabufs, b.dmabufs, "{what}: dma-bufs");
    assert_eq!(a.queue_info, b.queue_info, "{what}: queues");
    assert_eq!(a.activity, b.activity, "{what}: activity");
    assert_eq!((a.start_ns, a.end_ns), (b.start_ns, b.end_ns), "{what}");
    assert_eq!(a.event_times, b.event_times, "{what}: times");
}

/// Takes in what `t` holds now as a live recording does: replayed up to the horizon, from
/// the start again when outgrown. Returns whether it started again.
fn take_in(g: &mut Growing, t: &Trace, policy: Policy, quiet: bool) -> bool {
    let mut to = g.horizon(t, quiet, false);
    let outgrown = g.outgrown(t, to);
    if outgrown {
        *g = Growing::new(t, policy);
        to = g.horizon(t, quiet, false);
    }
    g.feed(t, to);
    outgrown
}

/// Grows `whole` in parts of pseudo-random sizes (some ending "quiet", replayed to the last
/// event), restarting when told to; returns the finished timeline and the restarts.
fn grow(whole: &Trace, seed: u64) -> (Timeline, usize) {
    let policy = first_candidate(whole);
    let mut t = whole.clone();
    let all = std::mem::take(&mut t.events);
    let mut g = Growing::new(&t, policy);
    let mut restarts = 0;
    let mut at = 0;
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut checked_middle = false;
    while at < all.len() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let step = 1 + (x >> 33) as usize % (all.len() / 6 + 2);
        let quiet = (x >> 20).is_multiple_of(4);
        let end = (at + step).min(all.len());
        t.events.extend_from_slice(&all[at..end]);
        at = end;
        restarts += usize::from(take_in(&mut g, &t, policy, quiet));
        // Half-way: the lanes so far are those of the part so far.
        if !checked_middle && at * 2 >= all.len() && at < all.len() {
            checked_middle = true;
            let mut part = t.clone();
            part.events.truncate(g.fed());
            part.cut = true;
            let part_tl = build(&part, policy);
            assert_eq!(
                spans(&g.timeline().lanes),
                spans(&part_tl.lanes),
                "half-way, {} events",
                g.fed()
            );
            assert_eq!(g.timeline().marks, part_tl.marks);
        }
    }
    (g.finish(&t), restarts)
}

#[test]
fn a_growing_timeline_ends_as_the_whole_traces() {
    let inputs = inputs();
    assert!(inputs.len() > 100, "{}", inputs.len());
    let mut restarts = 0;
    for (k, p) in inputs.iter().enumerate() {
        let whole = read(p);
        let full = build(&whole, first_candidate(&whole));
        let (grown, r) = grow(&whole, k as u64);
        restarts += r;
        same(&grown, &full, &p.to_string_lossy());
    }
    // Restarts happen only when a recording's first kernel events arrive, or those of
    // a call already taken as ended: a few per trace at most.
    assert!(restarts <= 4 * inputs.len(), "{restarts} restarts");
}

/// Grows `whole` one event at a time; `quiet(i)`: after event `i` the recording is quiet.
fn one_at_a_time(whole: &Trace, quiet: impl Fn(&Trace) -> bool) -> (Timeline, usize) {
    let policy = first_candidate(whole);
    let mut t = whole.clone();
    let all = std::mem::take(&mut t.events);
    let mut g = Growing::new(&t, policy);
    let mut restarts = 0;
    for e in all {
        t.events.push(e);
        let q = quiet(&t);
        restarts += usize::from(take_in(&mut g, &t, policy, q));
    }
    (g.finish(&t), restarts)
}

/// Every capture fed one event at a time as the window's live session feeds it: a
/// recording without the kernel's side is replayed to its last event at once; one with it
/// waits for each call's kernel events.
#[test]
fn one_event_at_a_time_is_the_same() {
    let mut restarts = 0;
    for p in inputs() {
        let whole = read(&p);
        if whole.events.len() > 4_000 {
            continue;
        }
        let full = build(&whole, first_candidate(&whole));
        let (grown, r) = one_at_a_time(&whole, |t| !t.events.iter().any(|e| !e.body.is_syscall()));
        restarts += r;
        same(&grown, &full, &p.to_string_lossy());
    }
    eprintln!("{restarts} restarts");
}

/// A session in which every frame comes in a new dma-buf, grown one event at a time, ends
/// with every dma-buf described as the whole trace's: each update takes only the dma-bufs
/// the model made or changed since the last. The session is what it says: a dma-buf per
/// frame, each buffer taking a different one than last time (R16), the 8 left queued
/// mapped past the STREAMOFF (R03), both information under today's vb2.
#[test]
fn a_dma_buf_per_frame_grown_is_the_same() {
    use vb2scope_core::rules::{RuleId, Severity};
    let text = vb2scope_core::scenario::fresh_dmabuf_workload(300);
    let sc = vb2scope_core::scenario::parse("fresh.vb2s", &text).expect("parses");
    assert_eq!(sc.names.dmabufs.len(), 308);
    let whole = vb2scope_core::scenario::run(&sc, Policy::MODERN).expect("runs");
    let full = build(&whole, Policy::MODERN);
    let (grown, _) = one_at_a_time(&whole, |_| true);
    same(&grown, &full, "a dma-buf per frame");
    assert_eq!(grown.dmabufs.len(), 308);
    let report = &full.report;
    let count = |r| report.findings.iter().filter(|f| f.rule == r).count();
    assert_eq!((count(RuleId::R16), count(RuleId::R03)), (300, 8));
    assert_eq!(report.findings.len(), 308);
    assert_eq!(report.worst(), Some(Severity::Info));
}

/// Regression: a DQBUF that another thread's STREAMOFF woke with EINVAL is told from one
/// that failed by the stop that follows it within 50 ms (v4l2-compliance on visl). Replayed
/// before that stop came (the recording quiet at every event), it was judged a divergence
/// and a DQBUF that waits forever, and the findings stayed to the end.
#[test]
fn a_dqbuf_woken_by_a_later_stop_waits_for_it() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for kernel in ["linux-6.12.118+deb12-amd64", "linux-7.2.13+deb14-amd64"] {
        let p = root.join(format!(
            "tests/fixtures/corpus/{kernel}/compliance-visl.strace.txt.zst"
        ));
        let whole = read(&p);
        let full = build(&whole, first_candidate(&whole));
        let (grown, _) = one_at_a_time(&whole, |_| true);
        same(&grown, &full, &p.to_string_lossy());
    }
}

/// A recording with the kernel's side arrives as the clock goes, refreshed every 250 ms and
/// quiet after 300 ms without an event: it is started again only when the kernel events of
/// a call replayed as ended come after all, so the events replayed stay near the events
/// recorded.
#[test]
fn a_recording_that_goes_quiet_is_seldom_replayed_again() {
    for p in inputs() {
        let name = p.to_string_lossy().into_owned();
        if !name.contains("gst-v4l2src") {
            continue;
        }
        let whole = read(&p);
        if !whole.events.iter().any(|e| !e.body.is_syscall()) {
            continue;
        }
        let policy = first_candidate(&whole);
        let mut t = whole.clone();
        let all = std::mem::take(&mut t.events);
        let mut g = Growing::new(&t, policy);
        let (mut replayed, mut last_fed) = (0, 0);
        let Some(first) = all.first().map(|e| e.t_ns) else {
            continue;
        };
        let end = all.iter().map(|e| e.t_ns).max().unwrap_or(first);
        let mut now = first;
        let mut at = 0;
        while now <= end + 250_000_000 {
            now += 250_000_000;
            let before = at;
            while all.get(at).is_some_and(|e| e.t_ns <= now) {
                at += 1;
            }
            t.events
                .extend_from_slice(all.get(before..at).unwrap_or(&[]));
            let newest = t.events.iter().map(|e| e.t_ns).max().unwrap_or(first);
            let quiet = now.saturating_sub(newest) >= 300_000_000;
            if take_in(&mut g, &t, policy, quiet) {
                last_fed = 0;
            }
            replayed += g.fed() - last_fed;
            last_fed = g.fed();
        }
        t.events.extend_from_slice(all.get(at..).unwrap_or(&[]));
        let full = build(&whole, policy);
        same(&g.finish(&t), &full, &name);
        eprintln!("{name}: {replayed} events replayed for {}", all.len());
        assert!(
            2 * replayed <= 3 * all.len(),
            "{name}: {replayed} events replayed for {}",
            all.len()
        );
    }
}

/// Regression, by hand: a blocking DQBUF woken with EINVAL by another thread's STREAMOFF,
/// which the source writes after it (a third thread's call may land in between). Grown one
/// event at a time, quiet or not, it says what the whole trace says: nothing.
#[test]
fn a_woken_dqbuf_is_judged_once_its_stop_came() {
    let head = r#"{"vb2scope":"trace","version":1,"source":"hand-written"}
{"t":1000,"ev":"open","pid":100,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":4000,"ev":"ioctl","pid":100,"tid":101,"dur":6000,"fd":3,"op":"VIDIOC_DQBUF","result":"EINVAL","type":"VIDEO_CAPTURE"}
"#;
    let between = r#"{"t":9500,"ev":"open","pid":100,"tid":103,"fd":5,"path":"/dev/video1"}
"#;
    let stop = r#"{"t":11000,"ev":"ioctl","pid":100,"tid":102,"fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
"#;
    for text in [format!("{head}{stop}"), format!("{head}{between}{stop}")] {
        let (whole, _) =
            vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("a native trace");
        let full = build(&whole, first_candidate(&whole));
        assert!(
            full.report.findings.is_empty(),
            "{:?}",
            full.report.findings
        );
        for quiet in [false, true] {
            let (grown, _) = one_at_a_time(&whole, |_| quiet);
            same(&grown, &full, &format!("quiet {quiet}"));
        }
    }
}
