//! What a developer recognises a queue by: its device node, direction, memory type, buffer
//! count and the processes that used it. One name for the window and every export.

use std::fmt::Write as _;

use super::{Assoc, Lane, Timeline};
use crate::v4l2::QueueKey;

/// What the trace says of one queue beyond its key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueInfo {
    /// The device node it was opened as, when the trace shows the open.
    pub path: String,
    /// The processes whose calls addressed it, in order of first use.
    pub pids: Vec<u32>,
}

/// The memory type of a queue as its lanes show it, if any association says.
pub fn queue_memory(lanes: &[Lane]) -> Option<&'static str> {
    lanes
        .iter()
        .flat_map(|l| l.planes.iter())
        .flat_map(|p| p.assoc.first())
        .map(|s| match s.value {
            Assoc::Mmap { .. } => "MMAP",
            Assoc::Userptr { .. } => "USERPTR",
            Assoc::Dmabuf { .. } => "DMABUF",
        })
        .next()
}

impl Timeline {
    /// The lanes of queue `q` (lanes are sorted by queue).
    pub fn lanes_of(&self, q: QueueKey) -> &[Lane] {
        let a = self.lanes.partition_point(|l| l.queue < q);
        let b = self.lanes.partition_point(|l| l.queue <= q);
        self.lanes.get(a..b).unwrap_or(&[])
    }

    /// A queue's full name: `/dev/video0 · capture · DMABUF · 4 buffers · pid 290`.
    pub fn queue_title(&self, q: QueueKey) -> String {
        let info = self.queue_info.get(&q);
        let mut s = match info.map(|i| i.path.as_str()).filter(|p| !p.is_empty()) {
            Some(p) => p.to_owned(),
            None => format!("dev{}", q.dev),
        };
        let dir = if q.ty.is_output() {
            "output"
        } else {
            "capture"
        };
        let planes = if q.ty.is_mplane() {
            " (multi-planar)"
        } else {
            ""
        };
        let _ = write!(s, " · {dir}{planes}");
        let lanes = self.lanes_of(q);
        if let Some(m) = queue_memory(lanes) {
            let _ = write!(s, " · {m}");
        }
        let n = lanes.len();
        let _ = write!(s, " · {n} buffer{}", if n == 1 { "" } else { "s" });
        if let Some(pids) = info.map(|i| &i.pids).filter(|p| !p.is_empty()) {
            let list: Vec<String> = pids.iter().map(u32::to_string).collect();
            let word = if pids.len() == 1 { "pid" } else { "pids" };
            let _ = write!(s, " · {word} {}", list.join(", "));
        }
        s
    }
}
