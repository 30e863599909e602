//! The findings of each lane in time order, one list per severity, built once per judgement:
//! a view draws the findings of its window one mark per slot, the worst severity of the slot
//! on top, in O(slots × log findings) however many findings the window holds.

use super::Timeline;
use crate::rules::Severity;

const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

/// Per lane and severity (errors first), finding indices and times, sorted by time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaneFindings {
    by_lane: Vec<[Vec<(u64, u32)>; 3]>,
}

/// The findings of one slot of a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FindingMark {
    /// The finding that stands for the slot: the earliest of its worst severity.
    pub finding: u32,
    pub severity: Severity,
    /// How many findings the slot holds, of every severity.
    pub count: u32,
    slot: u64,
}

impl LaneFindings {
    /// Finding `k`'s lane is the one of its queue and buffer index; findings of no buffer
    /// are on none.
    pub fn of(tl: &Timeline) -> LaneFindings {
        let mut by_lane: Vec<[Vec<(u64, u32)>; 3]> = vec![Default::default(); tl.lanes.len()];
        for (k, f) in tl.report.findings.iter().enumerate() {
            let (Some(q), Some(i), Ok(k)) = (f.queue, f.index, u32::try_from(k)) else {
                continue;
            };
            let Ok(li) = tl
                .lanes
                .binary_search_by(|l| (l.queue, l.index).cmp(&(q, i)))
            else {
                continue;
            };
            let sev = tl.report.severity(f);
            let s = SEVERITIES.iter().position(|&x| x == sev).unwrap_or(2);
            if let Some(list) = by_lane.get_mut(li).and_then(|l| l.get_mut(s)) {
                list.push((f.t_ns, k));
            }
        }
        for lists in &mut by_lane {
            for l in lists.iter_mut() {
                l.sort_unstable();
            }
        }
        LaneFindings { by_lane }
    }

    /// The findings of lane `lane` in `[t0, t1)`, one mark per slot of `slot_ns`, in slot
    /// order, into `out`.
    pub fn marks(
        &self,
        lane: usize,
        (t0, t1): (u64, u64),
        slot_ns: u64,
        out: &mut Vec<FindingMark>,
    ) {
        out.clear();
        let Some(lists) = self.by_lane.get(lane) else {
            return;
        };
        let slot_ns = slot_ns.max(1);
        for (list, &severity) in lists.iter().zip(SEVERITIES.iter()) {
            let from = out.len();
            let mut at = list.partition_point(|&(t, _)| t < t0);
            let end = list.partition_point(|&(t, _)| t < t1);
            // Slot by slot: one search per slot, not a step per finding.
            while let Some(&(t, k)) = list.get(at).filter(|_| at < end) {
                let slot = (t - t0) / slot_ns;
                let next = t0.saturating_add((slot + 1).saturating_mul(slot_ns));
                let after = at
                    + list
                        .get(at..end)
                        .map_or(0, |r| r.partition_point(|&(t, _)| t < next));
                out.push(FindingMark {
                    finding: k,
                    severity,
                    count: u32::try_from(after - at).unwrap_or(u32::MAX),
                    slot,
                });
                at = after;
            }
            merge_worse_first(out, from);
        }
    }
}

/// `out[..from]` holds the marks of worse severities, `out[from..]` this one's, each in slot
/// order: a slot a worse mark holds counts these in; the rest stay. Keeps slot order.
fn merge_worse_first(out: &mut Vec<FindingMark>, from: usize) {
    if from == 0 {
        return;
    }
    let new: Vec<FindingMark> = out.split_off(from);
    let mut merged = Vec::with_capacity(out.len() + new.len());
    let (mut a, mut b) = (out.drain(..).peekable(), new.into_iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.slot == y.slot => {
                let (mut x, y) = (*x, *y);
                x.count = x.count.saturating_add(y.count);
                merged.push(x);
                a.next();
                b.next();
            }
            (Some(x), Some(y)) if x.slot < y.slot => {
                merged.push(*x);
                a.next();
            }
            (_, Some(y)) => {
                merged.push(*y);
                b.next();
            }
            (Some(x), None) => {
                merged.push(*x);
                a.next();
            }
            (None, None) => break,
        }
    }
    drop(a);
    *out = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(slot: u64, severity: Severity, count: u32) -> FindingMark {
        FindingMark {
            finding: slot as u32,
            severity,
            count,
            slot,
        }
    }

    #[test]
    fn a_slot_shows_its_worst_finding_and_counts_them_all() {
        let mut v = vec![mark(1, Severity::Error, 1), mark(5, Severity::Error, 2)];
        v.extend([
            mark(0, Severity::Info, 3),
            mark(5, Severity::Info, 4),
            mark(9, Severity::Info, 1),
        ]);
        merge_worse_first(&mut v, 2);
        let got: Vec<(u64, Severity, u32)> =
            v.iter().map(|m| (m.slot, m.severity, m.count)).collect();
        assert_eq!(
            got,
            vec![
                (0, Severity::Info, 3),
                (1, Severity::Error, 1),
                (5, Severity::Error, 6),
                (9, Severity::Info, 1)
            ]
        );
    }
}
