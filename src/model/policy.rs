//! The four semantics the model can follow, and the behaviour switches that tell them apart.
//! Each switch is one row (or part of a row) of the reference's policy matrix (§3).

use serde::{Deserialize, Serialize};

/// Which vb2 the model behaves like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Policy {
    /// The V4L2 specification as written.
    #[serde(rename = "spec")]
    Spec = 0,
    /// vb2 with the DMABUF PATCHv7 (2012), before the unmap in `__vb2_queue_cancel`.
    #[serde(rename = "vb2-2012")]
    Vb2_2012 = 1,
    /// vb2 as merged in Linux 3.8.
    #[serde(rename = "vb2-3.8")]
    Vb2_3_8 = 2,
    /// vb2 in Linux 6.12 and later.
    #[serde(rename = "modern")]
    Modern = 3,
}

impl Policy {
    pub const ALL: [Policy; 4] = [
        Policy::Spec,
        Policy::Vb2_2012,
        Policy::Vb2_3_8,
        Policy::Modern,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Spec => "spec",
            Policy::Vb2_2012 => "vb2-2012",
            Policy::Vb2_3_8 => "vb2-3.8",
            Policy::Modern => "modern",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spec" => Some(Policy::Spec),
            "vb2-2012" | "2012" | "pre-2012" => Some(Policy::Vb2_2012),
            "vb2-3.8" | "3.8" | "v3.8" => Some(Policy::Vb2_3_8),
            "modern" | "6.12" => Some(Policy::Modern),
            _ => None,
        }
    }

    fn old_core(self) -> bool {
        matches!(self, Policy::Vb2_2012 | Policy::Vb2_3_8)
    }

    /// PREPARED is a buffer state (3.6/3.8), rather than a bit on a DEQUEUED buffer.
    pub fn prepared_is_state(self) -> bool {
        self.old_core()
    }
    /// USERPTR pages are unlocked when the buffer is dequeued (spec: "Buffers remain locked
    /// until dequeued").
    pub fn dqbuf_unpins(self) -> bool {
        self == Policy::Spec
    }
    /// DMABUF planes are unmapped at DQBUF.
    pub fn dqbuf_unmaps(self) -> bool {
        self != Policy::Modern
    }
    /// STREAMOFF (queue cancel) unlocks USERPTR pages.
    pub fn cancel_unpins(self) -> bool {
        self == Policy::Spec
    }
    /// STREAMOFF (queue cancel) unmaps DMABUF planes. 2012 did not: the bug.
    pub fn cancel_unmaps(self) -> bool {
        matches!(self, Policy::Spec | Policy::Vb2_3_8)
    }
    /// `map_dmabuf` runs on every plane at prepare, mapped or not (3.6/3.8 `__qbuf_dmabuf`).
    pub fn map_unconditionally(self) -> bool {
        self.old_core()
    }
    /// A change of any plane's dma-buf re-acquires all planes (≥ 6.12).
    pub fn reacquire_all_planes(self) -> bool {
        self == Policy::Modern
    }
    /// STREAMON while streaming fails with EBUSY ("streamon: already streaming").
    pub fn streamon_twice_fails(self) -> bool {
        self.old_core()
    }
    /// STREAMOFF while not streaming fails with EINVAL and leaves queued buffers queued.
    pub fn streamoff_idle_fails(self) -> bool {
        self.old_core()
    }
    /// A failed `start_streaming` cancels the queue: every buffer back to DEQUEUED.
    pub fn start_fail_cancels(self) -> bool {
        self.old_core()
    }
    /// REQBUFS with mmapped or exported MMAP buffers succeeds and orphans them
    /// (`V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS`).
    pub fn orphans_buffers(self) -> bool {
        self == Policy::Modern
    }
    /// REQBUFS(0) while streaming does an implicit STREAMOFF (spec wording).
    pub fn reqbufs0_implicit_streamoff(self) -> bool {
        self == Policy::Spec
    }
    /// The driver's `min_queued_buffers` defers `start_streaming`.
    pub fn has_min_queued(self) -> bool {
        matches!(self, Policy::Spec | Policy::Modern)
    }
    /// VIDIOC_REMOVE_BUFS exists.
    pub fn has_remove_bufs(self) -> bool {
        matches!(self, Policy::Spec | Policy::Modern)
    }
    /// Buffers left ACTIVE after `stop_streaming` give a WARN and "driver bug" lines.
    pub fn warns_active_after_stop(self) -> bool {
        self == Policy::Modern
    }
    /// The cache `prepare` memop runs at `buf_queue` time rather than at QBUF/PREPARE_BUF.
    pub fn prepare_at_buf_queue(self) -> bool {
        self.old_core()
    }
    /// Closing a handle releases the queue when the queue has no owner at all (≥ 6.8).
    pub fn close_releases_unowned(self) -> bool {
        self == Policy::Modern
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
