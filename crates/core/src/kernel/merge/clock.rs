//! From the kernel's clock to the userspace one. A single offset is not enough: strace's
//! times jitter by milliseconds against the kernel's (a tracee descheduled between its
//! syscall-entry stop and the call's body, strace's own delays; under TCG, tens of ms), so a
//! kernel event near the edge of a quick call would fall into its neighbour. Calls seen on
//! both sides pin the two clocks together. The offset between them moves in steps, where one
//! side paused, not in a steady drift: between two pins the mapping keeps the offset of the
//! pin before up to the longest pause in the kernel's events, then takes the offset of the pin
//! after; when the pin after allows less time than the kernel took, the mapping stands still
//! across that pause instead. It never runs backwards.

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
    /// Per pair of neighbouring points: the kernel time of the step between their offsets
    /// (the middle of the longest pause in the kernel's events between them).
    steps: Vec<u64>,
    /// Used when there are no points.
    offset: i64,
}

impl ClockMap {
    /// Kernel times moved by a constant.
    pub fn offset(offset_ns: i64) -> ClockMap {
        ClockMap {
            points: Vec::new(),
            steps: Vec::new(),
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
        let steps = keep.windows(2).map(|w| midpoint(w[0].0, w[1].0)).collect();
        ClockMap {
            points: keep,
            steps,
            offset: fallback,
        }
    }

    /// Puts each step in the middle of the longest pause between the kernel events `times`
    /// (in any order) that fall between its two points.
    pub fn step_at_pauses(&mut self, times: impl IntoIterator<Item = u64>) {
        let events: Vec<(u64, u32)> = times.into_iter().map(|t| (t, 0)).collect();
        self.fit_steps(&events, |_, _| false);
    }

    /// Puts each step in the pause between kernel events (time, thread) that puts the most of
    /// them inside a syscall of their thread (`inside(thread, userspace time)`); among the
    /// [`CANDIDATES`] longest pauses of each segment, the longest on a tie. A pause is where
    /// one side stopped while the other went on, but the longest is not always that one.
    pub fn fit_steps(&mut self, events: &[(u64, u32)], inside: impl Fn(u32, u64) -> bool) {
        let mut events = events.to_vec();
        events.sort_unstable();
        for i in 0..self.points.len().saturating_sub(1) {
            let (Some(&(a, _)), Some(&(b, _))) = (self.points.get(i), self.points.get(i + 1))
            else {
                continue;
            };
            let seg = events
                .get(events.partition_point(|e| e.0 <= a)..events.partition_point(|e| e.0 < b))
                .unwrap_or(&[]);
            // (length, middle) of each pause, longest first.
            let mut pauses: Vec<(u64, u64)> = Vec::with_capacity(seg.len() + 1);
            let mut prev = a;
            for t in seg.iter().map(|e| e.0).chain([b]) {
                pauses.push((t - prev, midpoint(prev, t)));
                prev = t;
            }
            pauses.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            pauses.truncate(CANDIDATES);
            let mut best = (0usize, midpoint(a, b));
            for (n, &(_, step)) in pauses.iter().enumerate() {
                if let Some(s) = self.steps.get_mut(i) {
                    *s = step;
                }
                let hits = seg.iter().filter(|e| inside(e.1, self.map(e.0))).count();
                if n == 0 || hits > best.0 {
                    best = (hits, step);
                }
            }
            if let Some(s) = self.steps.get_mut(i) {
                *s = best.1;
            }
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
        let (Some(&(k0, u0)), Some(&(k1, u1)), Some(&step)) = (
            self.points.get(i - 1),
            self.points.get(i),
            self.steps.get(i - 1),
        ) else {
            return shift(k, i128::from(self.offset));
        };
        let (k, k0, u0, k1, u1, step) = (
            i128::from(k),
            i128::from(k0),
            i128::from(u0),
            i128::from(k1),
            i128::from(u1),
            i128::from(step),
        );
        let (before, after) = (u0 - k0, u1 - k1);
        let u = if before <= after {
            // The userspace clock went further: a jump forward at the step.
            if k < step { k + before } else { k + after }
        } else {
            // The kernel took longer than the pins allow: stand still for the difference,
            // centred on the step.
            let lost = before - after;
            let first = (step - lost / 2).clamp(k0, (k1 - lost).max(k0));
            let held = first + before;
            (k + before).min(held).max(k + after)
        };
        u.clamp(u0, u1).clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// Pauses tried per segment by [`ClockMap::fit_steps`].
const CANDIDATES: usize = 8;

fn midpoint(a: u64, b: u64) -> u64 {
    a + (b - a) / 2
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
    fn between_pins_the_offset_steps_at_the_longest_pause_and_outside_it_shifts() {
        // Userspace went 100 further than the kernel between the pins: a jump forward.
        let mut c = ClockMap::through(&mut vec![pin(100, 1_100), pin(200, 1_300)], 0);
        c.step_at_pauses([110, 120, 190]);
        assert_eq!(c.map(100), 1_100);
        assert_eq!(c.map(120), 1_120);
        assert_eq!(c.map(154), 1_154);
        assert_eq!(c.map(156), 1_256);
        assert_eq!(c.map(190), 1_290);
        assert_eq!(c.map(200), 1_300);
        assert_eq!(c.map(50), 1_050);
        assert_eq!(c.map(250), 1_350);
    }

    #[test]
    fn the_step_goes_to_the_pause_that_keeps_events_in_their_calls() {
        // Userspace lost 3 between the pins: in the short pause 160 → 170 (where its calls
        // say so), not in the longest, 110 → 150.
        let events = [
            (105, 1),
            (110, 1),
            (150, 1),
            (155, 1),
            (160, 1),
            (170, 1),
            (175, 1),
        ];
        let calls = [(1_104, 1_111), (1_149, 1_161), (1_166, 1_173)];
        let inside = |_, u| calls.iter().any(|&(s, e)| s <= u && u <= e);
        let mut c = ClockMap::through(&mut vec![pin(100, 1_100), pin(180, 1_177)], 0);
        c.fit_steps(&events, inside);
        for (k, _) in events {
            assert!(inside(1, c.map(k)), "{k} → {}", c.map(k));
        }
        // The longest pause alone puts the events after it outside.
        c.step_at_pauses(events.iter().map(|e| e.0));
        assert!(!inside(1, c.map(150)));
    }

    #[test]
    fn where_the_kernel_took_longer_the_mapping_stands_still_over_the_pause() {
        // Kernel 100 → 200 is userspace 1_100 → 1_120: 80 lost, in the pause 115 → 195.
        let mut c = ClockMap::through(&mut vec![pin(100, 1_100), pin(200, 1_120)], 0);
        c.step_at_pauses([105, 110, 115, 195]);
        assert_eq!(c.map(105), 1_105);
        assert_eq!(c.map(115), 1_115);
        assert_eq!(c.map(160), 1_115);
        assert_eq!(c.map(195), 1_115);
        assert_eq!(c.map(199), 1_119);
        let mut last = 0;
        for k in 90..220 {
            let u = c.map(k);
            assert!(u >= last, "{k}: {u} < {last}");
            last = u;
        }
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
