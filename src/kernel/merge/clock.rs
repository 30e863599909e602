//! From the kernel's clock to the userspace one. A single offset is not enough: strace's
//! times jitter by milliseconds against the kernel's (a tracee descheduled between its
//! syscall-entry stop and the call's body, strace's own delays), so a kernel event near the
//! edge of a quick call would fall into its neighbour. Calls seen on both sides pin the two
//! clocks together; between pins the mapping is linear, and it never runs backwards.

/// A kernel event matched with the userspace call it happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Line number (1-based) of the kernel event in the text.
    pub line: u32,
    /// Index of the userspace call in the userspace trace.
    pub user_event: usize,
    /// The kernel event's time, and the userspace time it stands for: the call's start for an
    /// event at the call's entry, its end (or start, untimed) for one at its return.
    pub kernel_ns: u64,
    pub user_ns: u64,
    /// The event fires as the call returns (`v4l2_qbuf`), not as vb2 is entered (a kprobe):
    /// what follows it on its thread is no longer part of that call.
    pub at_return: bool,
}

/// The mapping from kernel time to userspace time.
#[derive(Clone, Debug, Default)]
pub struct ClockMap {
    /// (kernel ns, userspace ns), increasing in both.
    points: Vec<(u64, u64)>,
    /// Used when there are no points.
    offset: i64,
}

impl ClockMap {
    /// Kernel times moved by a constant.
    pub fn offset(offset_ns: i64) -> ClockMap {
        ClockMap {
            points: Vec::new(),
            offset: offset_ns,
        }
    }

    /// Through the pins that agree with each other in order: the longest run of pins whose
    /// userspace times increase with their kernel times (a pin out of order, a call paired
    /// wrongly, is left out). `fallback`: the offset to use if none remains.
    pub fn through(pins: &mut Vec<Pin>, fallback: i64) -> ClockMap {
        pins.sort_unstable_by_key(|p| (p.kernel_ns, p.user_ns));
        pins.dedup_by_key(|p| p.kernel_ns);
        let pts: Vec<(u64, u64)> = pins.iter().map(|p| (p.kernel_ns, p.user_ns)).collect();
        let keep = increasing(&pts);
        let mut kept = keep.iter().peekable();
        pins.retain(|p| {
            let hit = kept
                .peek()
                .is_some_and(|&&(k, u)| k == p.kernel_ns && u == p.user_ns);
            if hit {
                kept.next();
            }
            hit
        });
        ClockMap {
            points: keep,
            offset: fallback,
        }
    }

    /// The userspace time of kernel time `k`.
    pub fn map(&self, k: u64) -> u64 {
        let shift = |k: u64, off: i128| (i128::from(k) + off).clamp(0, i128::from(u64::MAX)) as u64;
        let (Some(&first), Some(&last)) = (self.points.first(), self.points.last()) else {
            return shift(k, i128::from(self.offset));
        };
        if k <= first.0 {
            return shift(k, i128::from(first.1) - i128::from(first.0));
        }
        if k >= last.0 {
            return shift(k, i128::from(last.1) - i128::from(last.0));
        }
        let i = self.points.partition_point(|p| p.0 <= k);
        let (Some(&(k0, u0)), Some(&(k1, u1))) = (self.points.get(i - 1), self.points.get(i))
        else {
            return shift(k, i128::from(self.offset));
        };
        let span = i128::from(k1 - k0);
        let u = i128::from(u0) + (i128::from(k - k0) * i128::from(u1 - u0)) / span.max(1);
        u.clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// The longest subsequence of `pts` (sorted by kernel time) whose userspace times strictly
/// increase, in O(n log n).
fn increasing(pts: &[(u64, u64)]) -> Vec<(u64, u64)> {
    // tails[l]: index of the smallest last element of an increasing run of length l + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; pts.len()];
    for (i, &(_, u)) in pts.iter().enumerate() {
        let l = tails.partition_point(|&t| pts.get(t).is_some_and(|p| p.1 < u));
        prev[i] = l.checked_sub(1).and_then(|l| tails.get(l).copied());
        match tails.get_mut(l) {
            Some(t) => *t = i,
            None => tails.push(i),
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(i) = at {
        if let Some(&p) = pts.get(i) {
            out.push(p);
        }
        at = prev.get(i).copied().flatten();
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(k: u64, u: u64) -> Pin {
        Pin {
            line: 0,
            user_event: 0,
            kernel_ns: k,
            user_ns: u,
            at_return: false,
        }
    }

    #[test]
    fn between_pins_the_mapping_is_linear_and_outside_it_shifts() {
        let c = ClockMap::through(&mut vec![pin(100, 1_100), pin(200, 1_300)], 0);
        assert_eq!(c.map(100), 1_100);
        assert_eq!(c.map(150), 1_200);
        assert_eq!(c.map(200), 1_300);
        assert_eq!(c.map(50), 1_050);
        assert_eq!(c.map(250), 1_350);
    }

    #[test]
    fn a_pin_out_of_order_is_left_out() {
        let mut pins = vec![
            pin(100, 1_100),
            pin(200, 900),
            pin(300, 1_300),
            pin(400, 1_400),
        ];
        let c = ClockMap::through(&mut pins, 0);
        // Either of 100 and 200 goes with 300 and 400, not both.
        assert_eq!(c.points.len(), 3);
        assert_eq!(c.points.get(1..), Some(&[(300, 1_300), (400, 1_400)][..]));
        assert_eq!(pins.len(), 3);
        // Monotone everywhere.
        let mut last = 0;
        for k in (0..500).step_by(7) {
            let u = c.map(k);
            assert!(u >= last, "{k}: {u} < {last}");
            last = u;
        }
    }

    #[test]
    fn without_pins_the_offset() {
        assert_eq!(ClockMap::offset(-50).map(100), 50);
        assert_eq!(ClockMap::through(&mut Vec::new(), 7).map(100), 107);
    }
}
