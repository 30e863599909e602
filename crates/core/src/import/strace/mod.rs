//! strace text (`strace -f -tt -T -y -X raw|verbose …`, strace 6.x and 7.x) to a trace of
//! observed events: V4L2 buffer ioctls, the opens, closes, dups and mmaps of video fds, the
//! formats that size the buffers, and QUERYCAP, which names the driver. What strace does not print stays unknown. One pass over
//! borrowed lines; only unfinished calls are copied, to join them with their resumption.

mod clock;
mod diag;
mod lex;
mod polls;
mod syscalls;
mod v4l2;

use rustc_hash::FxHashMap;

use crate::trace::{Body, Event, Trace, TraceHeader};
use crate::v4l2::Origin;

use super::Imported;
use diag::{Diags, Kind};

/// Reads strace output. Never fails: what cannot be read is reported in the diagnostics.
pub fn import_strace(text: &str) -> Imported {
    import_strace_with(text, crate::read_ahead::Ahead::on_this_machine())
}

/// [`import_strace`] with its lines read ahead as `ahead` says.
fn import_strace_with(text: &str, ahead: crate::read_ahead::Ahead) -> Imported {
    let mut imp = Importer::default();
    let mut line_no = 0u32;
    crate::read_ahead::each_line(text, ahead, read_raw_line, |line, byte, partial, said| {
        line_no = line_no.saturating_add(1);
        let pos = Pos {
            line: line_no,
            byte,
            partial,
        };
        imp.line(line.trim_end_matches('\r'), pos, said);
    });
    imp.finish()
}

/// What a line says, read without the importer's state (so on any thread, ahead of the
/// importer): its prefix, its `-T` duration, and what kind of line it is. `None`: blank.
struct Said<'a> {
    pid: Option<u32>,
    time: Option<&'a str>,
    dur: Option<u64>,
    what: What<'a>,
}

enum What<'a> {
    /// Exits, signals and strace's own notices carry nothing for the model.
    Notice,
    /// `<... name resumed>…`: after the `<... `.
    Resumed(&'a str),
    NotSyscall,
    Unfinished {
        name: &'a str,
        head: &'a str,
    },
    Detached,
    /// A finished ioctl, its argument already decoded.
    Ioctl(syscalls::IoctlRead<'a>),
    Call {
        name: &'a str,
        body: &'a str,
    },
}

/// [`read_line`] of a line as the text holds it: a `\r` before the newline (a log saved on
/// Windows) is not part of it.
fn read_raw_line(line: &str) -> Option<Said<'_>> {
    read_line(line.trim_end_matches('\r'))
}

fn read_line(line: &str) -> Option<Said<'_>> {
    if line.trim().is_empty() {
        return None;
    }
    let p = lex::prefix(line);
    let rest = p.rest;
    let what = if rest.starts_with("+++") || rest.starts_with("---") || rest.starts_with("strace: ")
    {
        What::Notice
    } else if let Some(r) = rest.strip_prefix("<... ") {
        What::Resumed(r)
    } else {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        match rest.split_at_checked(n) {
            Some((name, b)) if n > 0 && b.starts_with('(') => {
                let body = b.get(1..).unwrap_or("");
                let trimmed = body.trim_end();
                if let Some(head) = trimmed.strip_suffix("<unfinished ...>") {
                    What::Unfinished { name, head }
                } else if trimmed.ends_with("<detached ...>") {
                    What::Detached
                } else if name == "ioctl" {
                    What::Ioctl(syscalls::read_ioctl(body))
                } else {
                    What::Call { name, body }
                }
            }
            _ => What::NotSyscall,
        }
    };
    Some(Said {
        pid: p.pid,
        time: p.time,
        dur: lex::duration(rest),
        what,
    })
}

/// Where a line is.
#[derive(Clone, Copy, Debug)]
struct Pos {
    line: u32,
    byte: u64,
    /// The last line, without its newline: strace was killed while writing it.
    partial: bool,
}

/// Who made a call and when it started.
#[derive(Clone, Copy, Debug)]
struct Ctx {
    t: u64,
    tid: u32,
    pos: Pos,
    /// Joined from `<unfinished ...>` and `<... resumed>` lines.
    resumed: bool,
    /// `-T`: how long the call took, in ns.
    dur: Option<u64>,
}

/// How far back a resumed call may move to its start time.
const RESUME_WINDOW: usize = 4096;

/// A call printed `<unfinished ...>`, waiting for its `<... name resumed>`.
struct Pending {
    tid: u32,
    name: String,
    head: String,
    t: u64,
    pos: Pos,
}

#[derive(Default)]
struct Importer {
    trace: Trace,
    diags: Diags,
    clock: clock::Clock,
    /// The time of the latest timestamped line, for lines without one.
    now: u64,
    pending: Vec<Pending>,
    fds: syscalls::Fds,
    /// Thread → process, from clone(CLONE_THREAD).
    procs: FxHashMap<u32, u32>,
    /// `-T` durations as (line, thread, ns) of the event they time, in the order timed;
    /// events may still move back (resumed calls), so they are tied to event indices at the
    /// end. A list, not a map: one entry per ioctl of a dense log, nearly in line order.
    durs: Vec<(u32, u32, u64)>,
}

impl Importer {
    /// Applies one line, read by [`read_line`], in file order.
    fn line(&mut self, line: &str, pos: Pos, said: Option<Said>) {
        let Some(said) = said else { return };
        let t = match said.time {
            Some(tok) => match self.clock.time(tok) {
                Some(t) => t,
                None => {
                    self.malformed(pos, "unreadable time stamp");
                    return;
                }
            },
            // Without timestamps, the line order is all there is.
            None if self.clock_unused() => u64::from(pos.line).saturating_mul(1000),
            None => self.now,
        };
        self.now = t;
        let ctx = Ctx {
            t,
            tid: said.pid.unwrap_or(0),
            pos,
            resumed: false,
            dur: said.dur,
        };
        match said.what {
            What::Notice | What::Detached => {}
            What::Resumed(r) => self.resumed(r, ctx),
            What::NotSyscall => {
                self.diags.report(Kind::NotSyscall, pos.line, pos.byte, || {
                    format!("not a syscall line: {}", clip(line))
                });
            }
            What::Unfinished { name, head } => self.pending.push(Pending {
                tid: ctx.tid,
                name: name.to_owned(),
                head: head.to_owned(),
                t,
                pos,
            }),
            What::Ioctl(read) => self.ioctl(read, ctx),
            What::Call { name, body } => self.call(name, body, ctx),
        }
    }

    fn clock_unused(&self) -> bool {
        !self.clock.started()
    }

    /// `<... ioctl resumed>, index=0, …) = 0`: joined with its start; the event takes the
    /// start's time and position.
    fn resumed(&mut self, r: &str, ctx: Ctx) {
        let Some((name, tail)) = r.split_once(" resumed>") else {
            return self.malformed(ctx.pos, "unreadable resumed call");
        };
        // Unprefixed lines belong to an unnamed task: accept a start from either.
        let found = self
            .pending
            .iter()
            .rposition(|p| p.name == name && p.tid == ctx.tid)
            .or_else(|| {
                self.pending
                    .iter()
                    .rposition(|p| p.name == name && (p.tid == 0 || ctx.tid == 0))
            });
        let Some(i) = found else {
            self.diags
                .report(Kind::Orphan, ctx.pos.line, ctx.pos.byte, || {
                    format!("`{name}` resumed without its start")
                });
            return;
        };
        let p = self.pending.remove(i);
        let mut joined = p.head;
        joined.push_str(tail);
        let start = Ctx {
            t: p.t,
            tid: p.tid,
            pos: Pos {
                partial: ctx.pos.partial,
                ..p.pos
            },
            resumed: true,
            dur: ctx.dur,
        };
        self.call(name, &joined, start);
    }

    fn malformed(&mut self, pos: Pos, what: &str) {
        let kind = if pos.partial {
            Kind::Truncated
        } else {
            Kind::Malformed
        };
        self.diags.report(kind, pos.line, pos.byte, || {
            if pos.partial {
                format!("truncated last line ({what})")
            } else {
                format!("malformed syscall line: {what}")
            }
        });
    }

    fn push(&mut self, ctx: Ctx, body: Body) {
        if let Some(d) = ctx.dur {
            // Keyed as the event will say it (its line saturates).
            let line = ctx.pos.line.min(crate::trace::MAX_LINE);
            self.durs.push((line, ctx.tid, d));
        }
        let pid = self.procs.get(&ctx.tid).copied().unwrap_or(ctx.tid);
        let thread = self.trace.thread_id(pid, ctx.tid);
        let e = Event::new(ctx.t, thread, Origin::Observed, body).on_line(ctx.pos.line);
        // A resumed call takes its start time, earlier than calls that ended meanwhile: it
        // goes where it started, so that the trace stays in time order. That is a few events
        // back; the walk is bounded so that a clock stepping back costs nothing. Other
        // events keep the file's order whatever the clock does.
        let ev = &mut self.trace.events;
        let mut at = ev.len();
        if ctx.resumed {
            let floor = at.saturating_sub(RESUME_WINDOW);
            while at > floor && ev.get(at - 1).is_some_and(|x| x.t_ns > e.t_ns) {
                at -= 1;
            }
        }
        ev.insert(at, e);
    }

    fn finish(mut self) -> Imported {
        for p in std::mem::take(&mut self.pending) {
            self.diags
                .report(Kind::NeverResumed, p.pos.line, p.pos.byte, || {
                    format!("`{}` never finished (no resumed line): left out", p.name)
                });
        }
        if !self.durs.is_empty() {
            let durs = tie_durations(std::mem::take(&mut self.durs), &self.trace);
            self.trace.set_durations(durs);
        }
        // Each open of an M2M node has queues of its own.
        crate::trace::split_m2m_contexts(&mut self.trace);
        self.trace.header = TraceHeader {
            version: crate::format::NATIVE_VERSION,
            source: self.clock.describe().to_owned(),
            policy: None,
            title: String::new(),
            kernel: None,
            clock: self.clock.trace_clock(),
        };
        self.trace.shrink();
        Imported {
            trace: self.trace,
            diagnostics: self.diags.finish(),
        }
    }
}

/// `(line, thread, ns)` durations tied to the indices of the events they time. When one
/// line and thread were timed twice, the later timing holds.
fn tie_durations(mut durs: Vec<(u32, u32, u64)>, trace: &Trace) -> Vec<(u32, u64)> {
    // Stable: among equal keys the order timed is kept, and the last is the one that holds.
    durs.sort_by_key(|&(line, tid, _)| (line, tid));
    let mut out = Vec::new();
    for (i, e) in trace.events.iter().enumerate() {
        let key = (e.line(), trace.tid(e));
        let end = durs.partition_point(|&(l, t, _)| (l, t) <= key);
        if let Some(&(l, t, d)) = end.checked_sub(1).and_then(|j| durs.get(j))
            && (l, t) == key
        {
            out.push((i as u32, d));
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// A line shortened for a message.
fn clip(s: &str) -> String {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = s.get(..end).unwrap_or("");
    if end < s.len() {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}
