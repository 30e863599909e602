//! Joining a userspace log (strace, v4l2-tracer) with an ftrace capture of the same run. The
//! two are on different clocks (strace prints wall time, ftrace the boot or monotonic clock),
//! so the kernel's clock is first moved onto the userspace one, from the calls both sides saw;
//! then `kernel::merge` places each kernel event in the syscall of its thread that was running
//! at the time. When no call can be matched the two parts are not aligned, and the result says
//! so: the kernel part is shown from the start of the userspace part, on its own clock, with
//! nothing attributed to a syscall.

use rustc_hash::FxHashMap;

use crate::kernel::merge::{ClockMap, Pin};
use crate::kernel::{self, ftrace};
use crate::trace::{Body, IoctlArg, IoctlCmd, Thread, Trace};
use crate::v4l2::BufType;

use super::Imported;

/// How the kernel's clock was put onto the userspace one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    /// Added to every kernel timestamp, in ns.
    pub offset_ns: i64,
    /// Calls matched on both sides, and how many of them the offset keeps in their call.
    pub matched: usize,
    pub consistent: usize,
    /// The matched calls by kind (`QBUF/DQBUF`, `REQBUFS`…), for the description.
    pub kinds: Vec<(&'static str, usize)>,
    /// Width of the range of offsets that keep the most calls in place: how well the two
    /// clocks agree (0 when only lower bounds are known).
    pub spread_ns: u64,
    /// The thread a userspace log without thread ids was given, from the kernel's side.
    pub thread: Option<u32>,
}

impl Alignment {
    /// Whether any call was matched: otherwise the clocks are unrelated.
    pub fn aligned(&self) -> bool {
        self.matched > 0
    }
}

impl std::fmt::Display for Alignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.aligned() {
            return write!(
                f,
                "not aligned: no call was seen on both sides, so the kernel part is shown from the start of the userspace part on its own clock, and no kernel event is attributed to a syscall"
            );
        }
        let kinds: Vec<String> = self.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        write!(
            f,
            "kernel clock moved by {:+.6} s to the userspace clock, from {} calls seen on both sides ({}; {} consistent, spread {} µs)",
            self.offset_ns as f64 / 1e9,
            self.matched,
            kinds.join(", "),
            self.consistent,
            self.spread_ns / 1000
        )?;
        if let Some(t) = self.thread {
            write!(
                f,
                "; the userspace log has no thread ids, so its calls are given thread {t}, which made the V4L2 calls in the kernel capture"
            )?;
        }
        Ok(())
    }
}

/// What identifies a call on both sides, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// QBUF or DQBUF (returned 0) of a buffer: `v4l2_qbuf`/`v4l2_dqbuf`, at the call's end.
    Buf { dq: bool, ty: BufType, index: u32 },
    /// REQBUFS or CREATE_BUFS with a memory type and count: the `reqbufs`/`create_bufs`
    /// kprobes, at vb2's entry.
    Alloc {
        create: bool,
        memory: u32,
        count: u32,
    },
    /// STREAMON/STREAMOFF of a type: the `streamon`/`streamoff` kprobes.
    Stream { on: bool, ty: u32 },
    /// EXPBUF: the `expbuf` kprobe, in order (an EXPBUF strace did not decode counts too:
    /// the plane is not compared).
    Expbuf,
    /// The close of a file that allocated a queue's buffers (its owner): the
    /// `queue_release` kprobe of that queue. Paired through the queue, not in order: a close
    /// of a file that owns no queue releases none.
    Close,
}

impl Key {
    fn kind(self) -> &'static str {
        match self {
            Key::Buf { .. } => "QBUF/DQBUF",
            Key::Alloc { create: false, .. } => "REQBUFS",
            Key::Alloc { create: true, .. } => "CREATE_BUFS",
            Key::Stream { .. } => "STREAMON/STREAMOFF",
            Key::Expbuf => "EXPBUF",
            Key::Close => "close",
        }
    }
}

/// A userspace call: its key, its thread (0: unknown), its start, and an upper bound of its
/// end (its `-T` duration, else the start of its thread's next call).
#[derive(Clone, Copy, Debug)]
struct UserCall {
    key: Key,
    tid: u32,
    start: u64,
    end: Option<u64>,
    /// Its index in the userspace trace, and whether `end` is its `-T` duration's.
    event: usize,
    timed: bool,
    /// The process and the fd of the call.
    file: (u32, i32),
}

/// A kernel event that marks a call: its key, thread and time.
#[derive(Clone, Copy, Debug)]
struct KernelCall {
    key: Key,
    tid: u32,
    t: u64,
    /// Its line in the kernel text (1-based).
    line: u32,
    /// The vb2 queue of a vb2 core kprobe.
    q: Option<u64>,
}

/// ftrace prints µs: a kernel time may read up to 1 µs early.
const SLACK_NS: u64 = 1_000;

fn user_key(t: &Trace, cmd: IoctlCmd, result: crate::v4l2::Outcome, arg: u32) -> Option<Key> {
    let a = t.arg(arg)?;
    Some(match (cmd, a) {
        (IoctlCmd::Qbuf | IoctlCmd::Dqbuf, IoctlArg::Buffer(b)) if result.is_ok() => Key::Buf {
            dq: cmd == IoctlCmd::Dqbuf,
            ty: b.ty,
            index: b.index,
        },
        (IoctlCmd::Reqbufs | IoctlCmd::CreateBufs, IoctlArg::Alloc { memory, count, .. }) => {
            Key::Alloc {
                create: cmd == IoctlCmd::CreateBufs,
                memory: mem_raw(*memory),
                count: *count,
            }
        }
        (IoctlCmd::Streamon | IoctlCmd::Streamoff, IoctlArg::Stream { ty }) => Key::Stream {
            on: cmd == IoctlCmd::Streamon,
            ty: ty.raw(),
        },
        (IoctlCmd::Expbuf, IoctlArg::Expbuf { .. } | IoctlArg::Undecoded) if result.is_ok() => {
            Key::Expbuf
        }
        _ => return None,
    })
}

fn mem_raw(m: crate::v4l2::Memory) -> u32 {
    match m {
        crate::v4l2::Memory::Mmap => 1,
        crate::v4l2::Memory::Userptr => 2,
        crate::v4l2::Memory::Dmabuf => 4,
    }
}

/// The userspace calls that a kernel event can mark, each with an upper bound of its end.
fn user_calls(t: &Trace) -> Vec<UserCall> {
    let mut next_start: FxHashMap<u32, u64> = FxHashMap::default();
    let mut calls = Vec::new();
    for (i, e) in t.events.iter().enumerate().rev() {
        if !e.body.is_syscall() {
            continue;
        }
        let tid = kernel::merge::tid_of(t, e);
        let keyed = match e.body {
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            } => user_key(t, cmd, result, arg).map(|k| (k, fd)),
            Body::Close { fd } => Some((Key::Close, fd)),
            _ => None,
        };
        if let Some((key, fd)) = keyed {
            let dur = t.duration(i as u32);
            let end = match dur {
                Some(d) => Some(e.t_ns.saturating_add(d)),
                None => next_start.get(&tid).copied().filter(|&n| n > e.t_ns),
            };
            calls.push(UserCall {
                key,
                tid,
                start: e.t_ns,
                end,
                event: i,
                timed: dur.is_some(),
                file: (t.pid(e), fd),
            });
        }
        next_start.insert(tid, e.t_ns);
    }
    calls.reverse();
    calls
}

fn kernel_key(r: &ftrace::Record) -> Option<Key> {
    let field = |k| ftrace::tp_field(r.body, k);
    let arg = |k: &str| {
        ftrace::kprobe_args(r.body)
            .find(|(n, _)| *n == k)
            .and_then(|(_, v)| ftrace::parse_int(v))
            .and_then(|v| u32::try_from(v).ok())
    };
    Some(match r.name {
        "v4l2_qbuf" | "v4l2_dqbuf" => Key::Buf {
            dq: r.name == "v4l2_dqbuf",
            ty: field("type").and_then(BufType::parse)?,
            index: field("index")?.trim().parse().ok()?,
        },
        "reqbufs" | "create_bufs" if r.body.starts_with('(') => Key::Alloc {
            create: r.name == "create_bufs",
            memory: arg("memory")?,
            count: arg("count")?,
        },
        "streamon" | "streamoff" if r.body.starts_with('(') => Key::Stream {
            on: r.name == "streamon",
            ty: arg("type")?,
        },
        "expbuf" if r.body.starts_with('(') => Key::Expbuf,
        "queue_release" if r.body.starts_with('(') => Key::Close,
        _ => return None,
    })
}

/// A matched call as a pin of the two clocks: the kernel event at the time the common offset
/// gives it, kept inside its call (a `v4l2_qbuf` fires as the call returns: at its `-T` end
/// when timed).
/// Whether kernel call `k`, on the userspace clock, happened before timed call `u` returned
/// (within a millisecond: the clock map is fitted to many calls, not to this one).
fn released_within(u: &UserCall, k: &KernelCall, offset: i64) -> bool {
    const RELEASE_SLACK_NS: i128 = 1_000_000;
    let at = i128::from(k.t) + i128::from(offset);
    u.end
        .is_none_or(|end| at <= i128::from(end) + RELEASE_SLACK_NS)
}

fn pin(u: UserCall, k: KernelCall, offset: i64) -> Pin {
    let at_return = matches!(u.key, Key::Buf { .. });
    let by_offset = (i128::from(k.t) + i128::from(offset)).max(0) as u64;
    // A kprobe at vb2's entry fires just after the syscall's entry, which strace timed.
    let user_ns = match (at_return, u.timed, u.end) {
        (true, true, Some(end)) => end,
        (true, _, end) => by_offset.max(u.start).min(end.unwrap_or(u64::MAX)),
        (false, _, _) => u.start,
    };
    Pin {
        line: k.line,
        user_event: u.event,
        kernel_ns: k.t,
        user_ns,
        at_return,
    }
}

/// The kernel events that mark calls, and the thread that made most V4L2 calls.
fn kernel_calls(text: &str) -> (Vec<KernelCall>, Option<u32>) {
    let mut calls = Vec::new();
    let mut tids: FxHashMap<u32, usize> = FxHashMap::default();
    for (n, line) in text.split('\n').enumerate() {
        let Ok(r) = ftrace::parse_event(line) else {
            continue;
        };
        if let Some(key) = kernel_key(&r) {
            let q = ftrace::kprobe_args(r.body)
                .find(|(n, _)| *n == "q")
                .and_then(|(_, v)| ftrace::parse_int(v))
                .and_then(|v| u64::try_from(v).ok());
            calls.push(KernelCall {
                key,
                tid: r.tid,
                t: r.ts_ns,
                line: n as u32 + 1,
                q,
            });
            *tids.entry(r.tid).or_default() += 1;
        }
    }
    let tid = tids
        .into_iter()
        .max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)))
        .map(|(t, _)| t);
    (calls, tid)
}

/// Pairs each userspace call with the kernel event of the same key (and thread, when the log
/// has threads), in order: the n-th REQBUFS of a thread with the n-th `reqbufs` of it.
fn pair(user: &[UserCall], kernel: &[KernelCall]) -> Vec<(UserCall, KernelCall)> {
    let by_thread = user.iter().any(|u| u.tid != 0);
    let key_of = |key: Key, tid: u32| (key, if by_thread { tid } else { 0 });
    let mut queues: FxHashMap<(Key, u32), std::collections::VecDeque<KernelCall>> =
        FxHashMap::default();
    for k in kernel {
        queues
            .entry(key_of(k.key, k.tid))
            .or_default()
            .push_back(*k);
    }
    let mut pairs = Vec::new();
    for u in user.iter().filter(|u| u.key != Key::Close) {
        if let Some(k) = queues
            .get_mut(&key_of(u.key, u.tid))
            .and_then(|q| q.pop_front())
        {
            pairs.push((*u, k));
        }
    }
    let closes = pair_closes(user, kernel, &pairs);
    pairs.extend(closes);
    pairs.sort_by_key(|(u, _)| u.event);
    pairs
}

/// A close of a file whose REQBUFS or CREATE_BUFS was paired with a queue's probe, with the
/// first `queue_release` of that queue (or of another queue the same file allocated, for an
/// M2M file) after it.
fn pair_closes(
    user: &[UserCall],
    kernel: &[KernelCall],
    pairs: &[(UserCall, KernelCall)],
) -> Vec<(UserCall, KernelCall)> {
    // The queues each file allocated, from the paired REQBUFS/CREATE_BUFS, with the kernel
    // time of the latest.
    let mut queues_of: FxHashMap<(u32, i32), (Vec<u64>, u64)> = FxHashMap::default();
    let mut out = Vec::new();
    let mut used: rustc_hash::FxHashSet<u32> = rustc_hash::FxHashSet::default();
    let mut paired = pairs.iter().peekable();
    for u in user {
        while let Some((pu, pk)) = paired.next_if(|(pu, _)| pu.event < u.event) {
            if let (Key::Alloc { .. }, Some(q)) = (pu.key, pk.q) {
                let e = queues_of.entry(pu.file).or_default();
                if !e.0.contains(&q) {
                    e.0.push(q);
                }
                e.1 = e.1.max(pk.t);
            }
        }
        if u.key != Key::Close {
            continue;
        }
        let Some((qs, after)) = queues_of.remove(&u.file) else {
            continue;
        };
        let release = kernel.iter().find(|k| {
            k.key == Key::Close
                && k.t > after
                && k.q.is_some_and(|q| qs.contains(&q))
                && !used.contains(&k.line)
        });
        if let Some(k) = release {
            used.insert(k.line);
            out.push((*u, *k));
        }
    }
    out
}

/// The offset that moves the kernel's clock onto the userspace one. Each matched call bounds
/// it: its kernel event came after the call started (a lower bound) and before it ended (an
/// upper bound, from its `-T` duration or, loosely, its thread's next call). The offsets that
/// keep the most calls in their own call form a range; within it, a quarter of the way from
/// its lower end. strace takes a call's time a varying while before the kernel runs it, so at
/// the lower end a memop early in a quick call (the `mmap` of a buffer) lands in the call
/// before; the next call, the loose upper end, is late. A quarter of the way places every
/// memop of the real strace + ftrace pairs of the tests in its own call (any fraction from 1/8
/// to 3/8 does). Calls that fit no common range (a pairing gone wrong) are outvoted.
fn align(pairs: &[(UserCall, KernelCall)]) -> Option<(i64, usize, u64)> {
    // Each call allows offsets in [lo, hi]: a sweep finds where most of them overlap.
    let mut ends: Vec<(i128, i32)> = Vec::with_capacity(pairs.len() * 2);
    for (u, k) in pairs {
        let lo = u.start as i128 - k.t as i128 - SLACK_NS as i128;
        let hi = u
            .end
            .map_or(i128::MAX, |e| e as i128 - k.t as i128 + SLACK_NS as i128);
        if hi < lo {
            continue;
        }
        ends.push((lo, 1));
        ends.push((hi, -1));
    }
    // Openings before closings at one point: touching ranges overlap.
    ends.sort_by_key(|&(v, d)| (v, -d));
    let (mut depth, mut best, mut range) = (0i32, 0i32, (0i128, 0i128));
    for (i, &(v, d)) in ends.iter().enumerate() {
        depth += d;
        if d > 0 && depth > best {
            best = depth;
            let next = ends.get(i + 1).map_or(v, |n| n.0);
            range = (v, next);
        }
    }
    if best == 0 {
        return None;
    }
    let (lo, hi) = range;
    let offset = if hi == i128::MAX || hi <= lo {
        lo
    } else {
        lo + (hi - lo) / 4
    };
    let spread = if hi == i128::MAX { 0 } else { hi - lo };
    let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Some((
        clamp(offset),
        best as usize,
        spread.clamp(0, u64::MAX as i128) as u64,
    ))
}

/// Joins a userspace import with kernel text of the same run.
pub fn join(mut user: Imported, kernel_text: &str) -> (Imported, Alignment) {
    let (kcalls, ktid) = kernel_calls(kernel_text);
    let no_tids = user.trace.events.iter().all(|e| user.trace.tid(e) == 0);
    let thread = if no_tids { ktid } else { None };
    if let Some(t) = thread {
        user.trace.map_threads(|th| Thread { tid: t, ..th });
    }
    let pairs = pair(&user_calls(&user.trace), &kcalls);
    let mut kinds: Vec<(&'static str, usize)> = Vec::new();
    for (u, _) in &pairs {
        match kinds.iter_mut().find(|(k, _)| *k == u.key.kind()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((u.key.kind(), 1)),
        }
    }
    let marks = pair_markers(&user.trace, kernel_text);
    if !marks.is_empty() {
        kinds.push(("marker", marks.len()));
    }
    let fit = align(&pairs).or_else(|| align_markers(&marks));
    let offset = fit.map_or(0, |f| f.0);
    // A queue released after its close returned was not released by it: mmaps kept the
    // file open, and it went with the last munmap or the process's exit.
    let pairs: Vec<(UserCall, KernelCall)> = pairs
        .into_iter()
        .filter(|(u, k)| u.key != Key::Close || !u.timed || released_within(u, k, offset))
        .collect();
    let mut pins: Vec<Pin> = pairs.iter().map(|&(u, k)| pin(u, k, offset)).collect();
    pins.extend(marks.iter().copied());
    let clock = ClockMap::through(&mut pins, fit.map_or(0, |f| f.0));
    let alignment = Alignment {
        offset_ns: fit.map_or(0, |f| f.0),
        matched: if fit.is_some() {
            pairs.len() + marks.len()
        } else {
            0
        },
        consistent: pins.len(),
        kinds,
        spread_ns: fit.map_or(0, |f| f.2),
        thread,
    };
    let merged = if alignment.aligned() {
        kernel::merge_pinned(&user.trace, kernel_text, &clock, &pins)
    } else {
        let first_user = user.trace.events.first().map_or(0, |e| e.t_ns);
        let first_kernel = first_kernel_time(kernel_text).unwrap_or(first_user);
        let offset = first_user as i128 - first_kernel as i128;
        let offset = offset.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        kernel::merge_apart(&user.trace, kernel_text, &ClockMap::offset(offset))
    };
    let mut diagnostics = user.diagnostics;
    diagnostics.extend(merged.diagnostics);
    let mut trace = merged.trace;
    trace.header.source = format!("{} + ftrace ({alignment})", trace.header.source);
    // The kernel capture knows which kernel ran; a userspace log does not say.
    if trace.header.kernel.is_none() {
        trace.header.kernel = ftrace::header_release(kernel_text).map(str::to_owned);
    }
    (Imported { trace, diagnostics }, alignment)
}

/// The text of a `trace_marker` write, as compared on both sides: without the newline a
/// writer usually ends it with.
fn marker_text(s: &str) -> &str {
    s.trim_end_matches(['\n', ' '])
}

/// Markers written to `trace_marker` that the userspace log shows (a `write` strace decoded)
/// paired with the kernel's `tracing_mark_write` of the same thread and text, in order. Each is
/// a pin at the write's start: the kernel records the marker inside that write.
fn pair_markers(user: &Trace, kernel_text: &str) -> Vec<Pin> {
    // Per thread, the kernel's markers in order: line, time, text, and whether paired.
    let mut kernel: FxHashMap<u32, Vec<(u32, u64, &str, bool)>> = FxHashMap::default();
    for (n, line) in kernel_text.split('\n').enumerate() {
        let Ok(r) = ftrace::parse_event(line) else {
            continue;
        };
        if r.name == "tracing_mark_write" {
            kernel.entry(r.tid).or_default().push((
                n as u32 + 1,
                r.ts_ns,
                marker_text(r.body),
                false,
            ));
        }
    }
    let mut pins = Vec::new();
    for (i, e) in user.events.iter().enumerate() {
        let Body::Marker { text } = e.body else {
            continue;
        };
        let want = marker_text(user.str(text));
        let Some(list) = kernel.get_mut(&kernel::merge::tid_of(user, e)) else {
            continue;
        };
        // strace cuts long strings (`-s`): its text may be the start of the kernel's.
        let found = list
            .iter_mut()
            .find(|m| !m.3 && (m.2 == want || (!want.is_empty() && m.2.starts_with(want))));
        if let Some(m) = found {
            m.3 = true;
            pins.push(Pin {
                line: m.0,
                user_event: i,
                kernel_ns: m.1,
                user_ns: e.t_ns,
                at_return: false,
            });
        }
    }
    pins
}

/// Without any call matched, the offset from the markers alone: the median of theirs.
fn align_markers(marks: &[Pin]) -> Option<(i64, usize, u64)> {
    let mut offs: Vec<i128> = marks
        .iter()
        .map(|p| i128::from(p.user_ns) - i128::from(p.kernel_ns))
        .collect();
    offs.sort_unstable();
    let mid = *offs.get(offs.len() / 2)?;
    let spread = offs.last()? - offs.first()?;
    let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Some((
        clamp(mid),
        marks.len(),
        spread.clamp(0, u64::MAX as i128) as u64,
    ))
}

fn first_kernel_time(text: &str) -> Option<u64> {
    text.lines()
        .filter_map(|l| ftrace::parse_event(l).ok())
        .map(|r| r.ts_ns)
        .next()
}

#[cfg(test)]
mod tests;
