//! Where each kernel event goes: into the syscall of its thread it happened in, or on its own
//! by time. Evidence, strongest first:
//! 1. a pin: the join matched this event with its call (a `v4l2_qbuf` with its QBUF);
//! 2. the pins around it on its thread: an event after a call's `v4l2_qbuf` (which fires as
//!    the call returns) belongs to a later call, one before a `reqbufs` kprobe (at vb2's
//!    entry) to an earlier one; when that leaves one call, it is that call;
//! 3. time: the call of its thread that had started (and, when the source timed it, not yet
//!    returned), kept within the calls step 2 allows.
//!
//! Events of threads that made no recorded syscall (driver kthreads, workqueues), and those in
//! interrupt context (which only borrowed the task they interrupted), go by time.

use rustc_hash::FxHashMap;

use crate::trace::Trace;

use super::super::ftrace::Record;
use super::{KEv, Pin, Place, SLACK_NS, tid_of};

/// One recorded syscall of a thread: start, end (`u64::MAX` when untimed), event index.
type Call = (u64, u64, usize);

/// The calls step 2 allows for a kernel event: positions in its thread's call list, from a
/// pin before it (`lo`) and one after it (`hi`).
#[derive(Clone, Copy, Debug, Default)]
struct Allowed {
    lo: Option<usize>,
    hi: Option<usize>,
    /// Before the entry of its thread's first matched call: in no call of that thread.
    none: bool,
}

/// Places every kernel event. `pins`, with each event's pin by position in `kevs`; `None`
/// places nothing in a syscall (unrelated clocks).
pub(super) fn places(
    user: &Trace,
    kevs: &[KEv],
    pins: Option<(&[Pin], &[Option<&Pin>])>,
) -> Vec<Place> {
    let times: Vec<u64> = user.events.iter().map(|e| e.t_ns).collect();
    let timed = |ts: u64| Place {
        slot: times.partition_point(|&t| t <= ts),
        timed: true,
    };
    let Some((pins, pinned)) = pins else {
        return kevs.iter().map(|k| timed(k.rec.ts_ns)).collect();
    };
    let calls = calls_by_thread(user);
    let allowed = allowed_ranges(user, kevs, pins, &calls);
    kevs.iter()
        .zip(allowed)
        .zip(pinned)
        .map(|((k, allowed), pin)| {
            if let Some(p) = pin {
                return Place {
                    slot: p.user_event + 1,
                    timed: false,
                };
            }
            let v = calls.get(&k.rec.tid).filter(|_| !in_interrupt(&k.rec));
            match v.and_then(|v| by_time(v, k.rec.ts_ns, allowed)) {
                Some(i) => Place {
                    slot: i + 1,
                    timed: false,
                },
                None => timed(k.rec.ts_ns),
            }
        })
        .collect()
}

/// Whether userspace time `t` is inside a timed syscall of thread `tid`, for fitting the clock
/// map to the calls.
pub(super) fn in_a_call(user: &Trace) -> impl Fn(u32, u64) -> bool {
    let calls = calls_by_thread(user);
    move |tid, t| {
        calls.get(&tid).is_some_and(|v| {
            let p = v.partition_point(|c| c.0 <= t);
            p.checked_sub(1)
                .and_then(|i| v.get(i))
                .is_some_and(|c| c.1 != u64::MAX && t <= c.1)
        })
    }
}

fn calls_by_thread(user: &Trace) -> FxHashMap<u32, Vec<Call>> {
    let mut by_tid: FxHashMap<u32, Vec<Call>> = FxHashMap::default();
    for (i, e) in user.events.iter().enumerate() {
        if e.body.is_syscall() {
            let end = user.duration(i as u32).map_or(u64::MAX, |d| {
                e.t_ns.saturating_add(d).saturating_add(SLACK_NS)
            });
            by_tid
                .entry(tid_of(user, e))
                .or_default()
                .push((e.t_ns, end, i));
        }
    }
    by_tid
}

/// Step 2 for every kernel event, from the pins before and after it on its thread.
fn allowed_ranges(
    user: &Trace,
    kevs: &[KEv],
    pins: &[Pin],
    calls: &FxHashMap<u32, Vec<Call>>,
) -> Vec<Allowed> {
    // A pin's call, as a position in its thread's call list, by line.
    let mut pos_of: FxHashMap<usize, usize> = FxHashMap::default();
    for v in calls.values() {
        for (p, c) in v.iter().enumerate() {
            pos_of.insert(c.2, p);
        }
    }
    // By position in `kevs`: the last pin of each line whose call is known.
    let known = pins
        .iter()
        .filter(|p| user.events.get(p.user_event).is_some() && pos_of.contains_key(&p.user_event));
    let pinned = super::pins_by_kev(kevs, known);
    let pin_at = |i: usize| -> Option<(usize, bool)> {
        let p = (*pinned.get(i)?)?;
        Some((*pos_of.get(&p.user_event)?, p.at_return))
    };
    let mut out = vec![Allowed::default(); kevs.len()];
    // Per thread, forwards for the pin before, backwards for the pin after.
    let mut before: FxHashMap<u32, (usize, bool)> = FxHashMap::default();
    let mut lo: Vec<Option<usize>> = vec![None; kevs.len()];
    for (i, k) in kevs.iter().enumerate() {
        if let Some((pos, at_return)) = pin_at(i) {
            before.insert(k.rec.tid, (pos, at_return));
            continue;
        }
        lo[i] = before
            .get(&k.rec.tid)
            .map(|&(pos, at_return)| if at_return { pos + 1 } else { pos });
    }
    let mut after: FxHashMap<u32, (usize, bool)> = FxHashMap::default();
    for (i, k) in kevs.iter().enumerate().rev() {
        if let Some((pos, at_return)) = pin_at(i) {
            after.insert(k.rec.tid, (pos, at_return));
            continue;
        }
        // A pin at a call's return: that call at the latest; at vb2's entry: the one before.
        let hi = after.get(&k.rec.tid).map(|&(pos, at_return)| {
            if at_return {
                Some(pos)
            } else {
                pos.checked_sub(1)
            }
        });
        if let Some(slot) = out.get_mut(i) {
            *slot = Allowed {
                lo: lo.get(i).copied().flatten(),
                hi: hi.flatten(),
                none: hi == Some(None),
            };
        }
    }
    out
}

/// Step 3: the thread's call running at `ts`, within what step 2 allows; `None`: no call.
fn by_time(v: &[Call], ts: u64, a: Allowed) -> Option<usize> {
    let p = v.partition_point(|&(t, _, _)| t <= ts.saturating_add(SLACK_NS));
    let by_clock = p.checked_sub(1);
    let hi = a.hi.map_or(v.len().saturating_sub(1), |h| {
        h.min(v.len().saturating_sub(1))
    });
    let call = |pos: usize| v.get(pos).map(|c| c.2);
    if a.none || a.lo.is_some_and(|lo| lo > hi) {
        return None;
    }
    // Pinned on both sides to one call: the pins are the evidence.
    if let (Some(lo), Some(h)) = (a.lo, a.hi)
        && lo == h
    {
        return call(lo);
    }
    match (by_clock, a.lo) {
        // Earlier than the calls the pin before allows: the clocks jitter more than the gap.
        (None, Some(lo)) => call(lo),
        (Some(c), Some(lo)) if c < lo => call(lo),
        (None, None) => None,
        (Some(c), _) if a.hi.is_some() && c > hi => call(hi),
        (Some(c), _) => {
            let &(_, end, i) = v.get(c)?;
            let bounded = a.lo.is_some() && a.hi.is_some();
            if ts <= end {
                return Some(i);
            }
            if !bounded {
                return None;
            }
            // Between two calls the pins allow (the clock map is off by more than the gap):
            // the nearer of the one that ended and the one about to start.
            match v.get(c + 1) {
                Some(&(start, _, next)) if c < hi && start - ts < ts - end => Some(next),
                _ => Some(i),
            }
        }
    }
}

/// An event in hard or soft interrupt context (the latency flags' third column) ran on
/// whatever task it interrupted: it is not part of that task's syscall.
fn in_interrupt(r: &Record) -> bool {
    r.flags
        .and_then(|f| {
            // The third character is the third byte after two ASCII ones (as always).
            let b = f.as_bytes();
            if b.iter().take(2).all(u8::is_ascii) {
                b.get(2).map(|&c| char::from(c))
            } else {
                f.chars().nth(2)
            }
        })
        .is_some_and(|c| matches!(c, 'h' | 'H' | 's' | 'z' | 'Z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a memop that the clock map put 43 µs before its QBUF started, 8 ms after
    /// the QUERYBUF before it ended, was given to the QUERYBUF; between two calls the pins
    /// allow, it goes to the nearer.
    #[test]
    fn between_two_allowed_calls_the_nearer_one() {
        let ms = 1_000_000;
        let calls: [Call; 2] = [
            (1_000 * ms, 1_087 * ms, 6),
            (9_435_734_000, 9_656_917_000, 8),
        ];
        let pinned = Allowed {
            lo: Some(0),
            hi: Some(1),
            none: false,
        };
        assert_eq!(by_time(&calls, 9_435_691_000, pinned), Some(8));
        assert_eq!(by_time(&calls, 1_100 * ms, pinned), Some(6));
        // Unpinned, an event between calls is in none of them.
        assert_eq!(by_time(&calls, 9_435_691_000, Allowed::default()), None);
    }
}
