//! Open video files (`struct file` / `v4l2_fh`), and what a release asks of them: whether a
//! device still has an open file, and which files only mappings still hold. Both are kept
//! as counts and a set updated with each change, so that a close or an munmap costs the same
//! after the ten-thousandth open of a device as after the first.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

/// An open video file.
#[derive(Clone, Debug)]
struct Fh {
    dev: u16,
    /// fds referring to it; released at 0.
    refs: u32,
}

/// Every video file the trace opened, by handle number (handles are never reused).
#[derive(Clone, Debug, Default)]
pub(super) struct Handles {
    all: Vec<Fh>,
    /// Handles with an fd still open, per device.
    open_by_dev: FxHashMap<u16, u32>,
    /// Handles whose mmaps hold them once every fd is closed: released at the last munmap
    /// (or when the process exits). In handle order.
    held: BTreeSet<u32>,
}

impl Handles {
    /// A new file on `dev`, referred to by one fd.
    pub fn open(&mut self, dev: u16) -> u32 {
        self.all.push(Fh { dev, refs: 1 });
        *self.open_by_dev.entry(dev).or_default() += 1;
        (self.all.len() - 1) as u32
    }

    pub fn dev(&self, fh: u32) -> Option<u16> {
        self.all.get(fh as usize).map(|f| f.dev)
    }

    /// One more fd refers to `fh` (dup).
    pub fn add_ref(&mut self, fh: u32) {
        if let Some(f) = self.all.get_mut(fh as usize) {
            f.refs += 1;
            if f.refs == 1 {
                *self.open_by_dev.entry(f.dev).or_default() += 1;
            }
        }
    }

    /// One fd fewer refers to `fh` (close). True when it was the last.
    pub fn drop_ref(&mut self, fh: u32) -> bool {
        let Some(f) = self.all.get_mut(fh as usize) else {
            return false;
        };
        if f.refs == 1
            && let Some(n) = self.open_by_dev.get_mut(&f.dev)
        {
            *n = n.saturating_sub(1);
        }
        f.refs = f.refs.saturating_sub(1);
        f.refs == 0
    }

    /// Whether any file on `dev` still has an fd open.
    pub fn any_open(&self, dev: u16) -> bool {
        self.open_by_dev.get(&dev).is_some_and(|&n| n > 0)
    }

    /// Every fd of `fh` is closed, and mmaps alone hold it.
    pub fn held_only_by_mmaps(&self, fh: u32) -> bool {
        self.held.contains(&fh) && self.all.get(fh as usize).is_some_and(|f| f.refs == 0)
    }

    pub fn set_held_by_mmaps(&mut self, fh: u32, held: bool) {
        if (fh as usize) >= self.all.len() {
            return;
        }
        if held {
            self.held.insert(fh);
        } else {
            self.held.remove(&fh);
        }
    }

    /// The handles held by mmaps alone, in handle order.
    pub fn held_by_mmaps(&self) -> impl Iterator<Item = u32> + '_ {
        self.held
            .iter()
            .copied()
            .filter(|&fh| self.held_only_by_mmaps(fh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Open(u16),
        Dup(u32),
        Close(u32),
        Hold(u32, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..4).prop_map(Op::Open),
            (0u32..24).prop_map(Op::Dup),
            (0u32..24).prop_map(Op::Close),
            (0u32..24, any::<bool>()).prop_map(|(fh, h)| Op::Hold(fh, h)),
        ]
    }

    proptest! {
        /// The counts and the set answer as a walk over every handle would.
        #[test]
        fn the_indices_answer_as_a_walk_over_every_handle(ops in prop::collection::vec(op(), 0..200)) {
            let mut h = Handles::default();
            for op in ops {
                match op {
                    Op::Open(dev) => {
                        h.open(dev);
                    }
                    Op::Dup(fh) => h.add_ref(fh),
                    Op::Close(fh) => {
                        h.drop_ref(fh);
                    }
                    Op::Hold(fh, held) => h.set_held_by_mmaps(fh, held),
                }
                for dev in 0..4 {
                    let walked = h.all.iter().any(|f| f.dev == dev && f.refs > 0);
                    prop_assert_eq!(h.any_open(dev), walked);
                }
                let walked: Vec<u32> = (0..h.all.len() as u32)
                    .filter(|&fh| h.held_only_by_mmaps(fh))
                    .collect();
                prop_assert_eq!(h.held_by_mmaps().collect::<Vec<_>>(), walked);
            }
        }
    }
}
