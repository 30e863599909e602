//! Level of detail: what a view can draw of a lane in a time window at a given resolution.
//! Spans at least `min_ns` wide come out as they are; runs of narrower ones merge into one
//! `Mixed` segment. Cost is O(segments × log spans), independent of how many spans the window
//! holds, so a lane of millions of spans draws in a few thousand steps.

use super::Span;

/// One thing to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment<T> {
    /// A span wide enough to show on its own (clipped to nothing: the span as stored).
    One(Span<T>),
    /// `count` spans too narrow to show apart, from `start_ns` to `end_ns`; `first` is the
    /// value of the first of them.
    Mixed {
        start_ns: u64,
        end_ns: u64,
        count: u32,
        first: T,
    },
}

impl<T> Segment<T> {
    pub fn start_ns(&self) -> u64 {
        match self {
            Segment::One(s) => s.start_ns,
            Segment::Mixed { start_ns, .. } => *start_ns,
        }
    }
    pub fn end_ns(&self) -> u64 {
        match self {
            Segment::One(s) => s.end_ns,
            Segment::Mixed { end_ns, .. } => *end_ns,
        }
    }
}

/// The segments of `spans` (ordered, disjoint) that meet the window `[t0, t1)`, with spans
/// narrower than `min_ns` merged. Appends to `out` so a view can reuse its buffer.
pub fn segments<T: Copy>(
    spans: &[Span<T>],
    t0: u64,
    t1: u64,
    min_ns: u64,
    out: &mut Vec<Segment<T>>,
) {
    let mut i = spans.partition_point(|s| s.end_ns <= t0);
    while let Some(s) = spans.get(i) {
        if s.start_ns >= t1 {
            break;
        }
        if s.end_ns.saturating_sub(s.start_ns) >= min_ns {
            out.push(Segment::One(*s));
            i += 1;
            continue;
        }
        // A run of narrow spans: everything starting within one resolution step.
        let limit = s.start_ns.saturating_add(min_ns.max(1)).min(t1);
        let mut j = i + gallop(spans.get(i..).unwrap_or(&[]), |x| x.start_ns < limit).max(1);
        // Spans are disjoint, so a wide span starting before `limit` can only be the last of
        // the run; it is drawn on its own.
        if j - i > 1
            && spans
                .get(j - 1)
                .is_some_and(|x| x.end_ns.saturating_sub(x.start_ns) >= min_ns)
        {
            j -= 1;
        }
        let last = spans.get(j - 1).map(|x| x.end_ns).unwrap_or(s.end_ns);
        if j - i == 1 {
            out.push(Segment::One(*s));
        } else {
            out.push(Segment::Mixed {
                start_ns: s.start_ns,
                end_ns: last,
                count: (j - i) as u32,
                first: s.value,
            });
        }
        i = j;
    }
}

/// `partition_point` by exponential search from the front: the answer is usually near, and
/// probing near memory first is much cheaper than a binary search over a whole lane.
fn gallop<T>(s: &[T], pred: impl Fn(&T) -> bool) -> usize {
    let mut hi = 1;
    while hi < s.len() && s.get(hi).is_some_and(&pred) {
        hi *= 2;
    }
    let lo = hi / 2;
    let end = hi.min(s.len());
    lo + s
        .get(lo..end)
        .map(|r| r.partition_point(&pred))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(v: &[(u64, u64)]) -> Vec<Span<u8>> {
        v.iter()
            .enumerate()
            .map(|(i, &(s, e))| Span {
                start_ns: s,
                end_ns: e,
                event: i as u32,
                value: i as u8,
            })
            .collect()
    }

    #[test]
    fn wide_spans_pass_narrow_runs_merge() {
        let s = spans(&[
            (0, 100),
            (100, 101),
            (101, 102),
            (102, 103),
            (103, 300),
            (400, 401),
        ]);
        let mut out = Vec::new();
        segments(&s, 0, 1000, 10, &mut out);
        assert_eq!(out.len(), 4);
        assert_eq!(out[0], Segment::One(s[0]));
        assert_eq!(
            out[1],
            Segment::Mixed {
                start_ns: 100,
                end_ns: 103,
                count: 3,
                first: 1
            }
        );
        assert_eq!(out[2], Segment::One(s[4]));
        assert_eq!(
            out[3],
            Segment::One(s[5]),
            "a lone narrow span stays itself"
        );
    }

    #[test]
    fn window_clips_by_search() {
        let s: Vec<_> = (0..1_000_000u64)
            .map(|i| Span {
                start_ns: i * 10,
                end_ns: i * 10 + 10,
                event: 0,
                value: (),
            })
            .collect();
        let mut out = Vec::new();
        segments(&s, 5_000_000, 5_000_100, 0, &mut out);
        assert_eq!(out.len(), 10);
        out.clear();
        // The whole lane at 1600 pixels: about 1600 segments, not a million.
        segments(&s, 0, 10_000_000, 10_000_000 / 1600, &mut out);
        assert!(out.len() <= 1601, "{}", out.len());
        assert_eq!(out.first().map(Segment::start_ns), Some(0));
        assert_eq!(out.last().map(Segment::end_ns), Some(10_000_000));
    }
}
