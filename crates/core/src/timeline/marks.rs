//! Queue-wide marks at any zoom: the marks that fall in one slot of the view (a few pixels)
//! are drawn as one, with a count, like spans too close to tell apart. A long trace's
//! thousands of STREAMOFFs become one mark per slot, never a grey wash.

use super::QueueMark;

/// The marks of one slot of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkGroup<'a> {
    /// The earliest mark of the slot: its time, event and label stand for the group.
    pub first: &'a QueueMark,
    pub count: u32,
    /// How many of them failed (their call returned an error).
    pub failed: u32,
    /// Whether every mark of the group has the first one's label.
    pub same_label: bool,
}

impl MarkGroup<'_> {
    /// `STREAMOFF`, `STREAMOFF ×12`, or `12 marks` when they differ.
    pub fn label(&self) -> String {
        match (self.count, self.same_label) {
            (1, _) => self.first.label.clone(),
            (n, true) => format!("{} ×{n}", self.first.label),
            (n, false) => format!("{n} marks"),
        }
    }
}

/// The marks in `[t0, t1)`, grouped by slots of `slot_ns`, in time order.
pub fn mark_groups(marks: &[QueueMark], t0: u64, t1: u64, slot_ns: u64) -> Vec<MarkGroup<'_>> {
    let slot_ns = slot_ns.max(1);
    let slots = ((t1.saturating_sub(t0)) / slot_ns).saturating_add(1);
    // The view has a bounded number of slots (its width in pixels); a caller's bad input
    // must not make this allocate unbounded.
    let slots = usize::try_from(slots.min(1 << 16)).unwrap_or(1 << 16);
    let mut by_slot: Vec<Option<MarkGroup>> = vec![None; slots];
    // Marks are in event order, which a trace need not keep in time order: no search.
    for m in marks.iter().filter(|m| m.t_ns >= t0 && m.t_ns < t1) {
        let k = usize::try_from((m.t_ns - t0) / slot_ns).unwrap_or(usize::MAX);
        let Some(slot) = by_slot.get_mut(k) else {
            continue;
        };
        let failed = u32::from(m.result.is_err());
        match slot {
            None => {
                *slot = Some(MarkGroup {
                    first: m,
                    count: 1,
                    failed,
                    same_label: true,
                })
            }
            Some(g) => {
                g.count += 1;
                g.failed += failed;
                g.same_label &= g.first.label == m.label;
                if m.t_ns < g.first.t_ns {
                    g.first = m;
                }
            }
        }
    }
    by_slot.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(t_ns: u64, label: &str, ok: bool) -> QueueMark {
        QueueMark {
            t_ns,
            event: t_ns as u32,
            queue: None,
            label: label.into(),
            result: if ok {
                Ok(())
            } else {
                Err(crate::v4l2::Errno(22))
            },
        }
    }

    #[test]
    fn marks_of_one_slot_are_one_group_with_a_count() {
        let marks = vec![
            mark(10, "STREAMOFF", true),
            mark(12, "STREAMOFF", false),
            mark(5, "STREAMON", true),
            mark(95, "REQBUFS 0 MMAP", true),
            mark(200, "STREAMON", true),
        ];
        let g = mark_groups(&marks, 0, 100, 20);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].count, g[0].failed, g[0].first.t_ns), (3, 1, 5));
        assert_eq!(g[0].label(), "3 marks");
        assert_eq!(g[1].label(), "REQBUFS 0 MMAP");
        let g = mark_groups(&marks, 9, 13, 100);
        assert_eq!(g[0].label(), "STREAMOFF ×2");
        assert!(mark_groups(&marks, 0, u64::MAX, 0).len() <= marks.len());
    }
}
