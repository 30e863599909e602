//! Reading lines ahead on worker threads gives what reading each just before it is applied
//! gives, wherever the batches are cut, on every strace capture of the repository (the
//! corpus of every kernel included).

use super::{import_strace_with, read_line, tie_durations};
use crate::read_ahead::Ahead;

/// Every strace capture of the repository, one after another: unfinished and resumed
/// calls, several threads, every prefix style, and batch cuts between any two of them.
fn all_captures() -> String {
    let (files, text) = crate::read_ahead::repository_captures(|p, bytes| {
        crate::import::detect(bytes, &p.display().to_string())
            == Some(crate::import::Format::Strace)
    });
    assert!(files >= 100, "strace captures found: {files}");
    text
}

/// The trace as the native format writes it: every event, field and table.
fn written(t: &crate::trace::Trace) -> String {
    let mut out = Vec::new();
    crate::format::write_native(&mut out, t).expect("writing to memory");
    String::from_utf8(out).expect("JSON Lines are UTF-8")
}

fn in_line(text: &str) -> crate::import::Imported {
    let ahead = Ahead {
        workers: 0,
        batch: usize::MAX,
    };
    import_strace_with(text, ahead)
}

fn same_with(text: &str, inline: &crate::import::Imported, workers: usize, batch: usize) {
    let ahead = import_strace_with(text, Ahead { workers, batch });
    let same = written(&ahead.trace) == written(&inline.trace);
    assert!(same, "{workers} workers, {batch}-byte batches");
    assert_eq!(ahead.diagnostics, inline.diagnostics);
}

#[test]
fn read_ahead_imports_as_reading_in_line() {
    let text = all_captures();
    let inline = in_line(&text);
    assert!(inline.trace.events.len() > 30_000);
    same_with(&text, &inline, 3, 65536);
    // A cut after every line or two, on the first captures.
    let cut = text
        .as_bytes()
        .iter()
        .take(3 << 20)
        .rposition(|&b| b == b'\n');
    let head = text.get(..cut.map_or(0, |c| c + 1)).unwrap_or("");
    let inline = in_line(head);
    assert!(inline.trace.events.len() > 100);
    for (workers, batch) in [(8, 1), (1, 100)] {
        same_with(head, &inline, workers, batch);
    }
}

#[test]
fn a_blank_line_says_nothing() {
    assert!(read_line("").is_none());
    assert!(read_line("   \t").is_none());
    assert!(read_line("1 close(3) = 0").is_some());
}

/// A duration goes to the events of its line and thread: when one line and thread were
/// timed twice, the later timing holds; a timing of another thread's line, or of a line no
/// event came from, ties nothing.
#[test]
fn durations_tie_to_the_events_of_their_line_and_thread() {
    use crate::trace::{Body, Event, Trace};
    use crate::v4l2::Origin;
    let mut t = Trace::default();
    let (a, b) = (t.thread_id(10, 10), t.thread_id(10, 11));
    let close = |t_ns, th, line| {
        Event::new(t_ns, th, Origin::Observed, Body::Close { fd: 3 }).on_line(line)
    };
    // Events 0..4: thread 10 on lines 1, 2 and 5; thread 11 on line 2.
    for e in [
        close(1, a, 1),
        close(2, a, 2),
        close(3, b, 2),
        close(4, a, 5),
    ] {
        t.push(e);
    }
    let durs = vec![
        (2, 11, 700),
        (1, 10, 100),
        (2, 10, 200),
        (2, 10, 250),
        (3, 10, 999),
        (5, 12, 999),
    ];
    assert_eq!(tie_durations(durs, &t), [(0, 100), (1, 250), (2, 700)]);
}
