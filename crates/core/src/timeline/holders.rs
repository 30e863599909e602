//! Who held each dma-buf: the buffer plane that exported it and the planes that imported it,
//! each with the times it was tied to the dma-buf. What each holder had of it meanwhile
//! (attached, mapped, pinned) is its plane's resource tracks over those times: views draw
//! them from the lane, so nothing here copies a span per frame.

use rustc_hash::FxHashMap;

use super::{Assoc, Resource, Timeline};
use crate::model::DmabufId;
use crate::v4l2::QueueKey;

/// How a plane holds a dma-buf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// An MMAP plane whose memory was exported (EXPBUF).
    Exporter,
    /// A DMABUF plane that was given it (QBUF, PREPARE_BUF).
    Importer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Exporter => "exporter",
            Role::Importer => "importer",
        }
    }
}

/// One plane holding one dma-buf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Index into `Timeline::lanes`.
    pub lane: usize,
    pub queue: QueueKey,
    pub index: u32,
    pub plane: u8,
    pub role: Role,
    /// When the plane was tied to the dma-buf (an importer), or held the memory it exports
    /// (an exporter): sorted, disjoint `[start, end)` ranges.
    pub tied: Vec<(u64, u64)>,
}

impl Holder {
    /// `cap #0.0` or, with the queue's full name elsewhere, the buffer and plane.
    pub fn name(&self) -> String {
        format!("{} #{}.{}", self.queue, self.index, self.plane)
    }

    /// Whether the plane was tied to the dma-buf at `t`.
    pub fn tied_at(&self, t: u64) -> bool {
        let k = self.tied.partition_point(|&(_, e)| e <= t);
        self.tied.get(k).is_some_and(|&(s, _)| s <= t)
    }
}

/// One dma-buf and everything that held it: the exporter first, then the importers by lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmabufLane {
    pub id: DmabufId,
    pub holders: Vec<Holder>,
}

impl DmabufLane {
    /// The first and last time any holder had it.
    pub fn range(&self) -> Option<(u64, u64)> {
        let tied = self.holders.iter().flat_map(|h| h.tied.iter());
        tied.fold(None, |acc, &(s, e)| match acc {
            None => Some((s, e)),
            Some((a, b)) => Some((a.min(s), b.max(e))),
        })
    }
}

/// Pushes `[s, e)` onto sorted ranges, merging it with the last when they touch.
fn push_range(v: &mut Vec<(u64, u64)>, s: u64, e: u64) {
    match v.last_mut() {
        Some(last) if s <= last.1 => last.1 = last.1.max(e),
        _ => v.push((s, e)),
    }
}

impl Timeline {
    /// A queue in a few letters, by its node when the trace shows it: `video0:cap`, else
    /// `dev1:cap`.
    pub fn queue_short(&self, q: QueueKey) -> String {
        match self.queue_info.get(&q).map(|i| i.path.as_str()) {
            Some(p) if !p.is_empty() => {
                let node = p.rsplit('/').next().unwrap_or(p);
                format!("{node}:{}", q.ty.short())
            }
            _ => q.to_string(),
        }
    }

    /// A holder's plane: `video0:cap #0.0`.
    pub fn holder_name(&self, h: &Holder) -> String {
        format!("{} #{}.{}", self.queue_short(h.queue), h.index, h.plane)
    }

    /// A dma-buf in one line, its exporter named by node: `dma-buf ino 25 ·
    /// videobuf2_vmalloc · 614400 bytes · exported by video0:cap #0 plane 0`.
    pub fn describe_dmabuf(&self, d: &super::DmabufInfo) -> String {
        let mut s = format!("dma-buf {}", d.identity());
        if !d.name.is_empty() {
            s.push_str(&format!(" · {}", d.name));
        }
        if let Some(size) = d.size {
            s.push_str(&format!(" · {size} bytes"));
        }
        if let Some((q, i, p)) = d.exported_from {
            s.push_str(&format!(
                " · exported by {} #{i} plane {p}",
                self.queue_short(q)
            ));
        }
        s
    }

    /// Every dma-buf that a plane held, in id order, with its holders. Dma-bufs no buffer
    /// held (an fd passed around but never queued) have no lane.
    pub fn dmabuf_lanes(&self) -> Vec<DmabufLane> {
        let mut by_id: FxHashMap<DmabufId, Vec<Holder>> = FxHashMap::default();
        for (li, l) in self.lanes.iter().enumerate() {
            for (pi, p) in l.planes.iter().enumerate() {
                let mut mine: Vec<(DmabufId, Vec<(u64, u64)>)> = Vec::new();
                for s in &p.assoc {
                    let Assoc::Dmabuf { id, .. } = s.value else {
                        continue;
                    };
                    match mine.iter_mut().find(|(d, _)| *d == id) {
                        Some((_, v)) => push_range(v, s.start_ns, s.end_ns),
                        None => mine.push((id, vec![(s.start_ns, s.end_ns)])),
                    }
                }
                for (id, tied) in mine {
                    by_id.entry(id).or_default().push(Holder {
                        lane: li,
                        queue: l.queue,
                        index: l.index,
                        plane: pi as u8,
                        role: Role::Importer,
                        tied,
                    });
                }
            }
        }
        for d in &self.dmabufs {
            let Some((q, index, plane)) = d.exported_from else {
                continue;
            };
            let Some(li) = self
                .lanes
                .iter()
                .position(|l| l.queue == q && l.index == index)
            else {
                continue;
            };
            let tied = self.exported_memory(li, plane);
            if tied.is_empty() {
                continue;
            }
            by_id.entry(d.id).or_default().insert(
                0,
                Holder {
                    lane: li,
                    queue: q,
                    index,
                    plane,
                    role: Role::Exporter,
                    tied,
                },
            );
        }
        let mut out: Vec<DmabufLane> = by_id
            .into_iter()
            .map(|(id, holders)| DmabufLane { id, holders })
            .collect();
        out.sort_by_key(|d| d.id);
        out
    }

    /// When an exporting plane held its memory: its `allocated` track (observed when the
    /// kernel showed it, else inferred), else the buffer's life.
    fn exported_memory(&self, lane: usize, plane: u8) -> Vec<(u64, u64)> {
        let Some(l) = self.lanes.get(lane) else {
            return Vec::new();
        };
        let mut v = Vec::new();
        let tracks = l
            .planes
            .get(usize::from(plane))
            .map(|p| p.tracks.as_slice())
            .unwrap_or(&[]);
        let alloc = tracks
            .iter()
            .filter(|t| t.resource == Resource::Allocated)
            .max_by_key(|t| t.source);
        match alloc {
            Some(t) => t
                .spans
                .iter()
                .for_each(|s| push_range(&mut v, s.start_ns, s.end_ns)),
            None => l
                .states
                .iter()
                .for_each(|s| push_range(&mut v, s.start_ns, s.end_ns)),
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_touch() {
        let mut v = Vec::new();
        push_range(&mut v, 0, 10);
        push_range(&mut v, 10, 20);
        push_range(&mut v, 30, 40);
        assert_eq!(v, vec![(0, 20), (30, 40)]);
        let h = Holder {
            lane: 0,
            queue: QueueKey {
                dev: 0,
                ty: crate::v4l2::BufType::VideoCapture,
            },
            index: 1,
            plane: 0,
            role: Role::Importer,
            tied: v,
        };
        assert!(h.tied_at(0) && h.tied_at(19) && !h.tied_at(20) && h.tied_at(35));
        assert_eq!(h.name(), "cap #1.0");
    }
}
