//! MMAP offset cookies (`m.offset`): how vb2 makes them in each release, what a trace shows
//! of them, and which plane an mmap() offset names. The cookie is an encoding detail: a kernel
//! that makes them another way is evidence about its release, never a divergence.

use super::{Model, Qi};
use crate::policy::OffsetScheme;
use crate::v4l2::Memory;
use crate::v4l2::QueueKey;

/// 4 KiB pages are assumed, as on x86 and most arm64 kernels.
const PAGE: u64 = 4096;

/// The cookie of an MMAP plane under the indexed scheme (6.8 on): one page per (index,
/// plane), `index << 15 | plane << 12`. The m2m framework adds [`DST_QUEUE_OFF_BASE`] to its
/// capture queue's cookies; mmap() lookups take either.
pub fn mem_offset_cookie(index: u32, plane: u32) -> u32 {
    (index.wrapping_mul(8).wrapping_add(plane) & 0x3_ffff) << 12
}

/// Bit 30: v4l2-mem2mem's mark on capture ("destination") queue offsets.
pub const DST_QUEUE_OFF_BASE: u64 = 1 << 30;

fn page_align(v: u64) -> u64 {
    v.div_ceil(PAGE) * PAGE
}

/// A plane an mmap() offset names: queue, index, buffer uid, plane; and whether the offset
/// was the plane's own cookie rather than found through another release's scheme.
pub(super) struct PlaneAt {
    pub qi: Qi,
    pub index: u32,
    pub uid: u32,
    pub plane: usize,
    pub exact: bool,
}

impl Model {
    /// The cookies vb2 gives the planes of a new buffer `index` with these plane lengths
    /// (`__setup_offsets`): indexed, or right after the previous buffer's last plane.
    pub(super) fn new_offsets(&self, qi: Qi, index: u32, lengths: &[u32]) -> Vec<u32> {
        match self.policy.offset_scheme() {
            OffsetScheme::Indexed => (0..lengths.len() as u32)
                .map(|p| mem_offset_cookie(index, p))
                .collect(),
            OffsetScheme::Cumulative => {
                let prev = index
                    .checked_sub(1)
                    .and_then(|i| self.queues.get(qi)?.buf(i)?.planes.last());
                let mut off = prev.map_or(0, |p| {
                    page_align(u64::from(p.mem_offset) + u64::from(p.length))
                });
                lengths
                    .iter()
                    .map(|&len| {
                        let this = off;
                        off = page_align(off + u64::from(len));
                        u32::try_from(this).unwrap_or(u32::MAX)
                    })
                    .collect()
            }
        }
    }

    /// Predicts again the cookies the trace has not shown, once plane lengths are known: under
    /// the cumulative scheme each depends on the lengths before it.
    pub(super) fn repredict_offsets(&mut self, key: QueueKey) {
        let Some(qi) = self.qi_of(key) else {
            return;
        };
        if self.policy.offset_scheme() != OffsetScheme::Cumulative {
            return;
        }
        let size = self.queues.get(qi).map_or(0, |q| q.plane_size);
        let n = self.queues.get(qi).map_or(0, |q| q.bufs.len() as u32);
        for i in 0..n {
            let Some(b) = self.queues.get(qi).and_then(|q| q.buf(i)) else {
                continue;
            };
            let lengths: Vec<u32> = b
                .planes
                .iter()
                .map(|p| if p.length_observed { p.length } else { size })
                .collect();
            let offsets = self.new_offsets(qi, i, &lengths);
            if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(i)) {
                for (p, off) in b.planes.iter_mut().zip(offsets) {
                    if !p.offset_observed {
                        p.mem_offset = off;
                    }
                }
            }
        }
    }

    /// The `m.offset` of each plane of an MMAP buffer, as QUERYBUF (or DQBUF) showed it: the
    /// model takes them, and counts a scheme other than the policy's as evidence.
    pub fn observe_mmap_offsets(&mut self, key: QueueKey, index: u32, offsets: &[u64]) {
        let Some(qi) = self.qi_of(key) else {
            return;
        };
        if self.queues.get(qi).and_then(|q| q.memory) != Some(Memory::Mmap) {
            return;
        }
        for (p, &seen) in offsets.iter().enumerate() {
            let seen = seen & !DST_QUEUE_OFF_BASE;
            let Some(pl) = self.plane(qi, index, p) else {
                continue;
            };
            if pl.offset_observed {
                continue;
            }
            let predicted = u64::from(pl.mem_offset);
            self.value_seen("MMAP offsets", predicted, seen);
            if let Some(pl) = self.plane_mut(qi, index, p) {
                pl.mem_offset = u32::try_from(seen).unwrap_or(u32::MAX);
                pl.offset_observed = true;
            }
        }
    }

    /// The MMAP plane an mmap() of `offset` on device `dev` maps: the plane with that cookie;
    /// failing that, the plane the other release's scheme would give that cookie.
    pub(super) fn plane_at(&self, dev: u16, offset: u64) -> Option<PlaneAt> {
        // With both queues of an m2m device on one node, bit 30 says which.
        let dst = offset & DST_QUEUE_OFF_BASE != 0;
        let cookie = offset & !DST_QUEUE_OFF_BASE;
        let mmap_queues = || {
            self.qis_on(dev)
                .iter()
                .filter_map(|&qi| Some((qi, self.queues.get(qi)?)))
                .filter(|(_, q)| q.memory == Some(Memory::Mmap))
        };
        let mut found: Option<PlaneAt> = None;
        for (qi, q) in mmap_queues() {
            for (i, b) in q.iter() {
                for (pi, p) in b.planes.iter().enumerate() {
                    let better = found.is_none() || q.key.ty.is_output() != dst;
                    if u64::from(p.mem_offset) == cookie && better {
                        found = Some(PlaneAt {
                            qi,
                            index: i,
                            uid: b.uid,
                            plane: pi,
                            exact: true,
                        });
                    }
                }
            }
        }
        if found.is_some() {
            return found;
        }
        for (qi, q) in mmap_queues() {
            // The indexed scheme: the cookie names index and plane.
            let (index, plane) = ((cookie >> 15) as u32, ((cookie >> 12) & 7) as usize);
            if cookie.is_multiple_of(PAGE)
                && let Some(b) = q.buf(index)
                && plane < b.planes.len()
            {
                return Some(PlaneAt {
                    qi,
                    index,
                    uid: b.uid,
                    plane,
                    exact: false,
                });
            }
            // The cumulative scheme: planes one after another, page aligned.
            let mut off = 0;
            for (i, b) in q.iter() {
                for (pi, p) in b.planes.iter().enumerate() {
                    if off == cookie {
                        return Some(PlaneAt {
                            qi,
                            index: i,
                            uid: b.uid,
                            plane: pi,
                            exact: false,
                        });
                    }
                    off = page_align(off + u64::from(p.length));
                }
            }
        }
        None
    }
}
