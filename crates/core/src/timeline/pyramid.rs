//! A level-of-detail pyramid over one lane's spans, for views that show much of a long trace
//! at once. Level k cuts time into buckets of `base_ns << k` and keeps, per bucket, how many
//! spans start in it and where they start and end. A query at resolution `min_ns` reads the
//! level whose buckets are just under `min_ns` wide: O(window / min_ns) buckets, whatever the
//! number of spans. Finer queries go to the spans themselves (`segments`), where the window
//! then holds few spans.

use super::Span;
use super::lod::{Segment, segments};

/// Spans starting in one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bucket<T> {
    start_ns: u64,
    end_ns: u64,
    /// Index of the first span in the lane.
    first: u32,
    count: u32,
    value: T,
}

/// The pyramid of one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pyramid<T> {
    origin_ns: u64,
    base_ns: u64,
    /// Level k holds only the non-empty buckets, in time order, with their bucket numbers.
    levels: Vec<Vec<(u64, Bucket<T>)>>,
    /// A pyramid grown span by span: per level, the latest end of the last bucket's spans
    /// but the last one, whose end moves while it is open (and may move back: a call
    /// stamped at its start can close it earlier than a refresh stretched it).
    closed: Vec<u64>,
    /// The end of the last span, as last pushed or stretched.
    last_end: u64,
}

impl<T> Default for Pyramid<T> {
    fn default() -> Self {
        Pyramid {
            origin_ns: 0,
            base_ns: 0,
            levels: Vec::new(),
            closed: Vec::new(),
            last_end: 0,
        }
    }
}

/// Level 0 has at most one bucket per this many spans, so the pyramid stays a fraction of
/// the lane's size.
const SPANS_PER_BASE_BUCKET: u64 = 8;

impl<T: Copy> Pyramid<T> {
    pub fn build(spans: &[Span<T>]) -> Pyramid<T> {
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return Pyramid::default();
        };
        let origin_ns = first.start_ns;
        let duration = last.start_ns.saturating_sub(origin_ns).max(1);
        let buckets = (spans.len() as u64 / SPANS_PER_BASE_BUCKET).max(1);
        let base_ns = (duration / buckets).max(1).next_power_of_two();
        let mut level: Vec<(u64, Bucket<T>)> = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            let b = (s.start_ns - origin_ns) / base_ns;
            match level.last_mut() {
                Some((n, bk)) if *n == b => {
                    bk.count += 1;
                    bk.end_ns = bk.end_ns.max(s.end_ns);
                }
                _ => level.push((
                    b,
                    Bucket {
                        start_ns: s.start_ns,
                        end_ns: s.end_ns,
                        first: i as u32,
                        count: 1,
                        value: s.value,
                    },
                )),
            }
        }
        let mut levels = vec![level];
        while let Some(prev) = levels.last().filter(|l| l.len() > 1) {
            let next = coarser(prev);
            levels.push(next);
        }
        Pyramid {
            origin_ns,
            base_ns,
            levels,
            closed: Vec::new(),
            last_end: 0,
        }
    }

    /// Takes in span `s`, just pushed as the `len`-th span of its lane (spans come in time
    /// order), for a lane that grows (a live recording). The base bucket starts at 1 ns and
    /// doubles while level 0 has more than a fraction of the spans: the same levels
    /// [`Pyramid::build`] makes for that base.
    pub fn push(&mut self, len: usize, s: &Span<T>) {
        if self.levels.is_empty() {
            self.origin_ns = s.start_ns;
            self.base_ns = 1;
            self.levels.push(Vec::new());
            self.closed = vec![0];
        }
        let Some(first) = (len as u64).checked_sub(1) else {
            return;
        };
        // The span before this one is closed now, with the end its last stretch gave it.
        let before = self
            .levels
            .first()
            .and_then(|l| l.last())
            .map(|_| self.last_end);
        self.last_end = s.end_ns;
        let b = s.start_ns.saturating_sub(self.origin_ns) / self.base_ns.max(1);
        for (k, (level, closed)) in self.levels.iter_mut().zip(&mut self.closed).enumerate() {
            let n = b.checked_shr(k as u32).unwrap_or(0);
            match level.last_mut() {
                Some((m, bk)) if *m == n => {
                    *closed = (*closed).max(before.unwrap_or(0));
                    bk.count += 1;
                    bk.end_ns = (*closed).max(s.end_ns);
                }
                _ => {
                    *closed = 0;
                    level.push((
                        n,
                        Bucket {
                            start_ns: s.start_ns,
                            end_ns: s.end_ns,
                            first: first as u32,
                            count: 1,
                            value: s.value,
                        },
                    ));
                }
            }
        }
        while let Some(top) = self.levels.last().filter(|l| l.len() > 1) {
            let (up, closed) = (coarser(top), self.closed.last().copied().unwrap_or(0));
            // The new level's last bucket: the buckets merged into it but the last hold
            // only closed spans.
            let n = up.last().map_or(0, |(n, _)| *n);
            let merged: Vec<&(u64, Bucket<T>)> = top.iter().filter(|(m, _)| m / 2 == n).collect();
            let others = merged.iter().rev().skip(1).map(|(_, bk)| bk.end_ns);
            self.closed.push(others.fold(closed, u64::max));
            self.levels.push(up);
        }
        let most = (len as u64 / SPANS_PER_BASE_BUCKET).max(8) * 2;
        while self.levels.len() > 1 && self.levels.first().is_some_and(|l| l.len() as u64 > most) {
            self.levels.remove(0);
            self.closed.remove(0);
            self.base_ns = self.base_ns.saturating_mul(2);
        }
    }

    /// The bytes its levels take on the heap.
    pub fn heap_bytes(&self) -> usize {
        let bucket = std::mem::size_of::<(u64, Bucket<T>)>();
        self.levels.iter().map(|l| l.capacity() * bucket).sum()
    }

    /// The last span of a grown pyramid now ends at `end_ns` (it is open, or has just been
    /// closed): later, or earlier than it was stretched to before.
    pub fn stretch(&mut self, end_ns: u64) {
        self.last_end = end_ns;
        for (level, closed) in self.levels.iter_mut().zip(&self.closed) {
            if let Some((_, bk)) = level.last_mut() {
                bk.end_ns = (*closed).max(end_ns).max(bk.start_ns);
            }
        }
    }

    /// Like [`segments`], but reading the pyramid when `min_ns` is coarse enough.
    pub fn segments(
        &self,
        spans: &[Span<T>],
        t0: u64,
        t1: u64,
        min_ns: u64,
        out: &mut Vec<Segment<T>>,
    ) {
        // The coarsest level whose buckets are no wider than min_ns.
        let level = if self.base_ns == 0 || min_ns < 2 * self.base_ns {
            None
        } else {
            let k = (min_ns / self.base_ns).ilog2() as usize;
            self.levels
                .get(k.min(self.levels.len().saturating_sub(1)))
                .map(|l| (k, l))
        };
        let Some((k, buckets)) = level else {
            segments(spans, t0, t1, min_ns, out);
            return;
        };
        let width = self.base_ns << k;
        let bound = |n: u64| self.origin_ns.saturating_add(n.saturating_mul(width));
        // A span that started before the window but reaches into it.
        let mut from = t0;
        if let Some(s) = spans
            .get(spans.partition_point(|s| s.end_ns <= t0))
            .filter(|s| s.start_ns < t0 && s.start_ns < t1)
        {
            out.push(Segment::One(*s));
            from = s.end_ns.max(t0);
        }
        if from >= t1 {
            return;
        }
        // The buckets cut by `from` and by `t1` are read span by span; the ones in between
        // come from the pyramid.
        let first = from.saturating_sub(self.origin_ns) / width;
        let last = t1.saturating_sub(self.origin_ns) / width;
        let head_end = bound(first + 1).min(t1);
        segments(spans, from, head_end, min_ns, out);
        if first >= last {
            return;
        }
        let mut run: Option<Segment<T>> = None;
        let start = buckets.partition_point(|(n, _)| *n <= first);
        for &(n, bk) in buckets.get(start..).unwrap_or(&[]) {
            if n >= last {
                break;
            }
            let seg = if bk.count == 1 {
                spans.get(bk.first as usize).map(|s| Segment::One(*s))
            } else {
                Some(Segment::Mixed {
                    start_ns: bk.start_ns,
                    end_ns: bk.end_ns,
                    count: bk.count,
                    first: bk.value,
                })
            };
            let Some(seg) = seg else { continue };
            let narrow = seg.end_ns().saturating_sub(seg.start_ns()) < min_ns;
            // Neighbouring narrow pieces merge until they are a resolution step wide.
            run = match (run, seg) {
                (
                    Some(Segment::Mixed {
                        start_ns,
                        count,
                        first,
                        ..
                    }),
                    s,
                ) if narrow && s.start_ns() < start_ns + min_ns => {
                    let add = match s {
                        Segment::One(_) => 1,
                        Segment::Mixed { count, .. } => count,
                    };
                    Some(Segment::Mixed {
                        start_ns,
                        end_ns: s.end_ns(),
                        count: count + add,
                        first,
                    })
                }
                (prev, s) => {
                    out.extend(prev);
                    Some(s)
                }
            };
        }
        out.extend(run);
        let tail_start = bound(last).max(from);
        if tail_start < t1 && last > first {
            segments_starting(spans, tail_start, t1, min_ns, out);
        }
    }
}

/// The level above `level`: buckets twice as wide.
fn coarser<T: Copy>(level: &[(u64, Bucket<T>)]) -> Vec<(u64, Bucket<T>)> {
    let mut next: Vec<(u64, Bucket<T>)> = Vec::with_capacity(level.len() / 2 + 1);
    for &(n, bk) in level {
        match next.last_mut() {
            Some((m, up)) if *m == n / 2 => {
                up.count += bk.count;
                up.end_ns = up.end_ns.max(bk.end_ns);
            }
            _ => next.push((n / 2, bk)),
        }
    }
    next
}

/// [`segments`] restricted to spans starting at or after `from`.
fn segments_starting<T: Copy>(
    spans: &[Span<T>],
    from: u64,
    t1: u64,
    min_ns: u64,
    out: &mut Vec<Segment<T>>,
) {
    let i = spans.partition_point(|s| s.start_ns < from);
    segments(spans.get(i..).unwrap_or(&[]), from, t1, min_ns, out);
}
