//! A live recording's timeline grows with it (`Growing`): fed its events in parts as they
//! arrive, restarted only when what came changes what was replayed, it must end exactly as
//! the timeline of the whole trace read from a file, on every real capture the repository
//! holds (every kernel of the corpus, strace and the recorder) and every bundled trace.
//! Half-way, its lanes must be those of the part so far.

use std::path::{Path, PathBuf};

use vb2scope_core::check::first_candidate;
use vb2scope_core::import::import_bytes;
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
        let to = if quiet {
            t.events.len()
        } else {
            Growing::settled(&t).max(g.fed())
        };
        if g.outgrown(&t, to) {
            restarts += 1;
            g = Growing::new(&t, policy);
        }
        g.feed(&t, to);
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
    eprintln!("{} traces, {restarts} restarts", inputs.len());
    // Restarts happen only when a recording's first kernel events arrive, or those of
    // a call already taken as ended: a few per trace at most.
    assert!(restarts <= 4 * inputs.len(), "{restarts} restarts");
}

/// Fed one event at a time, it is the same timeline.
#[test]
fn one_event_at_a_time_is_the_same() {
    // A run with the kernel's side merged: memops inside each call, after it.
    let p = inputs()
        .into_iter()
        .find(|p| {
            p.to_string_lossy()
                .ends_with("scenario-2012-report.jsonl.zst")
        })
        .expect("a run with the kernel's side");
    let whole = read(&p);
    let policy = first_candidate(&whole);
    let full = build(&whole, policy);
    let mut t = whole.clone();
    let all = std::mem::take(&mut t.events);
    let mut g = Growing::new(&t, policy);
    for (i, e) in all.into_iter().enumerate() {
        t.events.push(e);
        // Now and then the recording goes quiet: everything so far is replayed, and the
        // kernel events that come next may belong to the call replayed last.
        let quiet = i % 7 == 3;
        let to = if quiet {
            t.events.len()
        } else {
            Growing::settled(&t).max(g.fed())
        };
        if g.outgrown(&t, to) {
            g = Growing::new(&t, policy);
        }
        g.feed(&t, to);
    }
    same(&g.finish(&t), &full, "one at a time");
}
