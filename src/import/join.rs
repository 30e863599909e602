//! Joining a userspace log (strace, v4l2-tracer) with an ftrace capture of the same run. The
//! two are on different clocks (strace prints wall time, ftrace the boot or monotonic clock),
//! so the ftrace times are first moved onto the userspace clock, by matching the QBUF and DQBUF
//! calls both sides saw; then `kernel::merge` places each kernel event in its syscall.

use crate::kernel::{self, ftrace};
use crate::model::BufType;
use crate::trace::{Body, IoctlArg, IoctlCmd, Trace};

use super::Imported;

/// How the kernel's clock was put onto the userspace one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    /// Added to every kernel timestamp, in ns.
    pub offset_ns: i64,
    /// QBUF/DQBUF calls matched on both sides.
    pub matched: usize,
    /// The spread of the per-call differences: how well the two agree.
    pub spread_ns: u64,
    /// The thread a userspace log without thread ids was given, from the kernel's side.
    pub thread: Option<u32>,
}

impl std::fmt::Display for Alignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.matched == 0 {
            return write!(
                f,
                "no QBUF/DQBUF matched on both sides: kernel times used as they are"
            );
        }
        write!(
            f,
            "kernel clock moved by {:+.6} s to the userspace clock, from {} QBUF/DQBUF calls seen on both sides (spread {} µs)",
            self.offset_ns as f64 / 1e9,
            self.matched,
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

/// A userspace call or kernel tracepoint that names a buffer: (is DQBUF, type, index, time).
type Call = (bool, BufType, u32, u64);

/// The successful QBUF/DQBUF calls of the userspace log, each with the start of its thread's
/// next syscall (the call had returned by then), if any.
fn user_calls(t: &Trace) -> Vec<(Call, Option<u64>)> {
    let mut next_start: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
    let mut calls = Vec::new();
    for e in t.events.iter().rev() {
        if !e.body.is_syscall() {
            continue;
        }
        let tid = kernel::merge::tid_of(e);
        if let Body::Ioctl {
            cmd: cmd @ (IoctlCmd::Qbuf | IoctlCmd::Dqbuf),
            result: Ok(()),
            arg,
            ..
        } = e.body
            && let Some(IoctlArg::Buffer(b)) = t.arg(arg)
        {
            let next = next_start.get(&tid).copied().filter(|&n| n > e.t_ns);
            calls.push(((cmd == IoctlCmd::Dqbuf, b.ty, b.index, e.t_ns), next));
        }
        next_start.insert(tid, e.t_ns);
    }
    calls.reverse();
    calls
}

fn kernel_calls(text: &str) -> (Vec<Call>, Option<u32>) {
    let mut calls = Vec::new();
    let mut tids: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for line in text.lines() {
        let Ok(r) = ftrace::parse_event(line) else {
            continue;
        };
        let dq = match r.name {
            "v4l2_qbuf" => false,
            "v4l2_dqbuf" => true,
            _ => continue,
        };
        let ty = ftrace::tp_field(r.body, "type").and_then(BufType::parse);
        let index = ftrace::tp_field(r.body, "index").and_then(|s| s.trim().parse().ok());
        if let (Some(ty), Some(index)) = (ty, index) {
            calls.push((dq, ty, index, r.ts_ns));
            *tids.entry(r.tid).or_default() += 1;
        }
    }
    let tid = tids
        .into_iter()
        .max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)))
        .map(|(t, _)| t);
    (calls, tid)
}

/// The offset that moves the kernel's clock onto the userspace one. `v4l2_qbuf` and
/// `v4l2_dqbuf` fire as their call returns, so each matched call bounds it: the tracepoint came
/// after the call started (a lower bound; the largest is kept) and before the thread's next
/// call started (an upper bound; the smallest is kept). Any offset between the two keeps every
/// matched tracepoint in its call; the others are placed by where in its call the kernel does
/// its work. strace takes a call's time a varying while before the kernel runs it, so at the
/// lower bound a memop early in a quick call (the `mmap` of a buffer) lands in the call before;
/// the upper bound is the gap to the next call, which strace makes long, and puts work done at
/// the end of a call (the `put` of an munmap) into the next one. A quarter of the way from the
/// lower to the upper bound places every memop of the 14 real strace + ftrace pairs of the
/// tests in its own call (any fraction from 1/8 to 3/8 does; 0 misplaces memops in 5 of them,
/// 1/2 in 1). When the bounds cross (clocks that disagree), the lower one.
fn align(user: &[(Call, Option<u64>)], kernel: &[Call]) -> (i64, usize, u64) {
    let mut diffs = Vec::new();
    let mut upper: Option<i128> = None;
    let mut k = 0;
    for (u, next) in user {
        // In order: the next kernel call of the same kind, type and index.
        if let Some(off) = kernel
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .position(|c| c.0 == u.0 && c.1 == u.1 && c.2 == u.2)
        {
            let c = kernel[k + off];
            diffs.push(u.3 as i128 - c.3 as i128);
            if let Some(n) = next {
                let bound = *n as i128 - c.3 as i128;
                upper = Some(upper.map_or(bound, |x| x.min(bound)));
            }
            k += off + 1;
        }
    }
    let (Some(&min), Some(&lower)) = (diffs.iter().min(), diffs.iter().max()) else {
        return (0, 0, 0);
    };
    let offset = match upper {
        Some(upper) if upper > lower => lower + (upper - lower) / 4,
        _ => lower,
    };
    let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    (
        clamp(offset),
        diffs.len(),
        (lower - min).clamp(0, u64::MAX as i128) as u64,
    )
}

/// Joins a userspace import with kernel text of the same run.
pub fn join(mut user: Imported, kernel_text: &str) -> (Imported, Alignment) {
    let (kcalls, ktid) = kernel_calls(kernel_text);
    let (offset_ns, matched, spread_ns) = align(&user_calls(&user.trace), &kcalls);
    let no_tids = user.trace.events.iter().all(|e| e.tid == 0);
    let thread = if no_tids { ktid } else { None };
    if let Some(t) = thread {
        for e in &mut user.trace.events {
            e.tid = t;
        }
    }
    // Moving the kernel's clock means rewriting its timestamps: the merge reads them as text.
    let shifted = shift_text(kernel_text, offset_ns);
    let merged = kernel::merge(&user.trace, &shifted);
    let mut diagnostics = user.diagnostics;
    diagnostics.extend(merged.diagnostics);
    let alignment = Alignment {
        offset_ns,
        matched,
        spread_ns,
        thread,
    };
    let mut trace = merged.trace;
    trace.header.source = format!("{} + ftrace ({alignment})", trace.header.source);
    (Imported { trace, diagnostics }, alignment)
}

/// Every event line's timestamp plus `offset_ns`, printed with ns precision.
fn shift_text(text: &str, offset_ns: i64) -> String {
    if offset_ns == 0 {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.lines() {
        match ftrace::parse_event(line) {
            Ok(r) => {
                let ts = (i128::from(r.ts_ns) + i128::from(offset_ns)).max(0) as u64;
                let stamp = format!("{}.{:09}:", ts / 1_000_000_000, ts % 1_000_000_000);
                // The timestamp is the text right before `: name:`; rebuild around it.
                match find_stamp(line, r.name) {
                    Some((a, b)) => {
                        out.push_str(&line[..a]);
                        out.push_str(&stamp);
                        out.push_str(&line[b..]);
                    }
                    None => out.push_str(line),
                }
            }
            Err(_) => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The byte range of `SECS.FRAC:` before ` name:` in an event line.
fn find_stamp(line: &str, name: &str) -> Option<(usize, usize)> {
    let pat = format!(" {name}:");
    let at = line.find(&pat)?;
    let end = line[..at].rfind(':')? + 1;
    let start = line[..end].rfind(' ')? + 1;
    let stamp = &line[start..end - 1];
    (stamp.contains('.') && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_is_rewritten_in_place() {
        let l = "  v4l2-ctl-270     [000] .....    18.239391: v4l2_qbuf: minor = 0, index = 0";
        let s = shift_text(l, 1_000_000_000_500);
        assert!(s.contains(" 1018.239391500: v4l2_qbuf: minor = 0"), "{s}");
        let r = ftrace::parse_event(s.trim_end()).map(|r| r.ts_ns);
        assert_eq!(r.ok(), Some(1_018_239_391_500));
    }

    #[test]
    fn alignment_without_next_calls_takes_the_largest_difference() {
        let ty = BufType::VideoCapture;
        let user = [
            ((false, ty, 0, 1_000_100), None),
            ((false, ty, 1, 1_000_300), None),
            ((true, ty, 0, 1_000_900), None),
        ];
        let kern = [(false, ty, 0, 110), (false, ty, 1, 290), (true, ty, 0, 920)];
        let (off, n, spread) = align(&user, &kern);
        assert_eq!(n, 3);
        assert_eq!(off, 1_000_010);
        assert_eq!(spread, 30);
    }

    #[test]
    fn alignment_takes_a_quarter_of_the_way_between_the_bounds() {
        let ty = BufType::VideoCapture;
        // Lower bound 1_000_010 (the second call); upper bound 1_000_090: the first call's
        // tracepoint (110) before the thread's next call (1_000_200). 1_000_010 + 80 / 4:
        let user = [
            ((false, ty, 0, 1_000_100), Some(1_000_200)),
            ((false, ty, 1, 1_000_300), Some(1_000_500)),
            ((true, ty, 0, 1_000_900), None),
        ];
        let kern = [(false, ty, 0, 110), (false, ty, 1, 290), (true, ty, 0, 920)];
        assert_eq!(align(&user, &kern), (1_000_030, 3, 30));
        // Crossed bounds (clocks that disagree): the lower one.
        let user = [
            ((false, ty, 0, 1_000_100), Some(1_000_105)),
            ((false, ty, 1, 1_000_300), None),
        ];
        assert_eq!(align(&user, &kern[..2]).0, 1_000_010);
    }

    #[test]
    fn the_next_call_is_the_same_threads() {
        let strace = "\
10 1796408612.000000 openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3
10 1796408612.000100 ioctl(3, VIDIOC_QBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, index=0, memory=V4L2_MEMORY_MMAP, m.offset=0, length=4096, bytesused=0, flags=V4L2_BUF_FLAG_MAPPED|V4L2_BUF_FLAG_QUEUED, field=V4L2_FIELD_ANY, timestamp={tv_sec=0, tv_usec=0}, timecode={type=0, flags=0, frames=0, seconds=0, minutes=0, hours=0, userbits=\"\\0\\0\\0\\0\"}, sequence=0}) = 0
11 1796408612.000150 ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0
10 1796408612.000300 ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0
";
        let t = crate::import::strace::import_strace(strace).trace;
        let calls = user_calls(&t);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].1, Some(1_796_408_612_000_300_000));
    }
}
