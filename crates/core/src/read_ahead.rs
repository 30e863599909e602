//! A large text's lines are read (lexed, parsed, an strace ioctl decoded) on worker threads
//! ahead of the importer, which applies them in file order: reading a line needs nothing but
//! the line, applying it needs what came before. The result is the same as reading each line
//! just before applying it, which is what a small input does.

use std::sync::mpsc;

/// Batches a worker may read ahead of the importer.
const AHEAD: usize = 2;

/// How lines are read ahead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ahead {
    /// Worker threads; none reads each line just before it is applied.
    pub workers: usize,
    /// Lines are handed over in batches of about this many bytes.
    pub batch: usize,
}

impl Ahead {
    /// As many workers as cores: the importer's own share of the work is the smaller one,
    /// and it mostly waits for them.
    pub fn on_this_machine() -> Ahead {
        Ahead {
            workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8),
            batch: 1 << 20,
        }
    }
}

/// Calls `apply(line, byte, partial, read(line))` for every line of `text` in order: the
/// line without its `\n` (a `\r` before it is the caller's), where it starts, and whether it is the last line and lacks its
/// newline (the writer was stopped while writing it).
pub(crate) fn each_line<'a, R: Send>(
    text: &'a str,
    ahead: Ahead,
    read: impl Fn(&'a str) -> R + Sync,
    mut apply: impl FnMut(&'a str, u64, bool, R),
) {
    let batches = batches(text, ahead.batch.max(1));
    // A text of one batch is read in line.
    let workers = ahead.workers.min(batches.len().saturating_sub(1));
    if workers == 0 {
        for_lines(text, 0, text.len(), |line, byte, partial| {
            apply(line, byte, partial, read(line));
        });
        return;
    }
    // Nothing is applied until every worker runs: when the system refuses a thread, the
    // text is read in line instead.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let ran = std::thread::scope(|scope| {
        let mut inboxes = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Vec<(u64, bool, &'a str, R)>>(AHEAD);
            // Emptied batches go back to be filled again: a fresh one each time would be
            // memory the kernel clears for every megabyte read.
            let (back_tx, back_rx) = mpsc::channel::<Vec<(u64, bool, &'a str, R)>>();
            let (batches, read, stop) = (&batches, &read, &stop);
            let worker = move || {
                for &(start, end) in batches.iter().skip(w).step_by(workers) {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let mut out = back_rx.try_recv().unwrap_or_default();
                    for_lines(text, start, end, |line, byte, partial| {
                        out.push((byte, partial, line, read(line)));
                    });
                    // The importer stopped taking batches: it gave up or panicked.
                    if tx.send(out).is_err() {
                        return;
                    }
                }
            };
            match std::thread::Builder::new().spawn_scoped(scope, worker) {
                Ok(h) => handles.push(h),
                Err(_) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    // Dropping the inboxes ends the workers already running.
                    return false;
                }
            }
            inboxes.push((rx, back_tx));
        }
        for i in 0..batches.len() {
            let Some((rx, back)) = inboxes.get(i % workers) else {
                break;
            };
            let Ok(mut lines) = rx.recv() else {
                // A worker that panicked: its panic is passed on below.
                break;
            };
            for (byte, partial, line, r) in lines.drain(..) {
                apply(line, byte, partial, r);
            }
            // The worker may have finished: then the batch is simply dropped.
            let _ = back.send(lines);
        }
        drop(inboxes);
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        true
    });
    if !ran {
        for_lines(text, 0, text.len(), |line, byte, partial| {
            apply(line, byte, partial, read(line));
        });
    }
}

/// `[start, end)` byte ranges of about `batch` bytes, each ending after a newline (the last
/// at the end of `text`).
fn batches(text: &str, batch: usize) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let end = b
            .get(start + batch..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map_or(b.len(), |i| start + batch + i + 1);
        out.push((start, end));
        start = end;
    }
    out
}

/// Calls `f(line, byte, partial)` for the lines in `text[start..end]`.
fn for_lines<'a>(text: &'a str, start: usize, end: usize, mut f: impl FnMut(&'a str, u64, bool)) {
    let b = text.as_bytes();
    let mut at = start;
    while at < end {
        // memchr: the lines of a large log are found at SIMD speed.
        let next = b
            .get(at..end)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map_or(end, |i| at + i + 1);
        let raw = text.get(at..next).unwrap_or("");
        let partial = next == b.len() && !raw.ends_with('\n');
        f(raw.strip_suffix('\n').unwrap_or(raw), at as u64, partial);
        at = next;
    }
}

/// The repository's captures that `keep` (given each file's path and its bytes, unpacked
/// when the file is `.zst`) selects, one after another, in path order; and how many. The
/// importers' tests check reading ahead against reading in line on them.
#[cfg(test)]
pub(crate) fn repository_captures(
    keep: impl Fn(&std::path::Path, &[u8]) -> bool,
) -> (usize, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                // The corpus keeps its captures compressed.
                let bytes = if p.extension().is_some_and(|x| x == "zst") {
                    zstd::decode_all(bytes.as_slice()).expect("a corpus capture")
                } else {
                    bytes
                };
                if keep(&p, &bytes) {
                    files.push((p, bytes));
                }
            }
        }
    }
    files.sort();
    let mut text = String::new();
    for (_, bytes) in &files {
        text.push_str(&String::from_utf8_lossy(bytes));
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    (files.len(), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line, in order, with its byte, whatever the batching.
    #[test]
    fn lines_come_in_order_across_batches() {
        let text: String = (0..300_000).map(|i| format!("line {i}\n")).collect();
        let text = format!("{text}last");
        let mut seen = Vec::new();
        let ahead = Ahead {
            workers: 3,
            batch: 4096,
        };
        each_line(&text, ahead, str::len, |line, byte, partial, len| {
            seen.push((line, byte, partial, len));
        });
        assert!(batches(&text, ahead.batch).len() > 2);
        assert_eq!(seen.len(), 300_001);
        let mut byte = 0;
        for (i, (line, at, partial, len)) in seen.iter().enumerate() {
            assert_eq!(*at, byte);
            assert_eq!(line.len(), *len);
            assert_eq!(*partial, i == 300_000);
            byte += line.len() as u64 + u64::from(!partial);
        }
        assert_eq!(seen.last().map(|s| s.0), Some("last"));
    }

    /// Inputs at the edges give the same lines however they are read.
    #[test]
    fn edge_inputs_read_alike() {
        for text in ["", "a", "\n", "a\r\n\r\n", "a\nb", "\r\n\n\nx\r"] {
            let lines = |ahead| {
                let mut seen = Vec::new();
                each_line(text, ahead, str::len, |line, byte, partial, len| {
                    seen.push((line, byte, partial, len));
                });
                seen
            };
            let inline = lines(Ahead {
                workers: 0,
                batch: usize::MAX,
            });
            let ahead = lines(Ahead {
                workers: 8,
                batch: 1,
            });
            assert_eq!(inline, ahead, "{text:?}");
            let joined: String = inline
                .iter()
                .map(|(l, _, partial, _)| format!("{l}{}", if *partial { "" } else { "\n" }))
                .collect();
            assert_eq!(joined, text);
        }
    }

    /// A reader that panics does not leave the importer waiting: the panic comes through.
    #[test]
    #[should_panic(expected = "a line the reader cannot take")]
    fn a_panicking_reader_does_not_hang() {
        let text = "x\n".repeat(10_000);
        let ahead = Ahead {
            workers: 2,
            batch: 100,
        };
        let read = |l: &str| {
            assert!(!l.is_empty(), "never");
            panic!("a line the reader cannot take");
        };
        each_line(&text, ahead, read, |_, _, _, ()| {});
    }

    #[test]
    fn batches_end_after_a_newline() {
        let text = "a\n".repeat(5000);
        let b = batches(&text, 1000);
        assert_eq!(b.first().map(|x| x.0), Some(0));
        assert_eq!(b.last().map(|x| x.1), Some(text.len()));
        for w in b.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(text.as_bytes()[w[0].1 - 1], b'\n');
        }
    }
}
