//! What one step of the model implies besides its result: memops, kernel messages and the
//! driver's buffer completions. Kept allocation-free per step: the vectors are reused.

use serde::Serialize;

use super::state::BufState;
use crate::policy::Policy;
use crate::v4l2::QueueKey;
use crate::v4l2::{DoneState, MemopKind};

/// A memop the model infers for one plane of one buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemopRec {
    pub kind: MemopKind,
    pub queue: QueueKey,
    pub index: u32,
    pub plane: u8,
}

/// A kernel message vb2 (or its allocator) would print. Rendered per policy by [`KMsg::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KMsg {
    AlreadyPinned,
    DriverBugActive(u32),
    MemoryInUseOrphaning,
    MemoryInUseCannotFree,
    StreamingActive,
    InvalidBufferState(BufState),
    BufferAlreadyInUse,
    BufferAlreadyPrepared,
    StreamingOffWillNotWait,
    NonblockingNoBuffers,
    LastBufferDequeued,
    AlreadyStreaming,
    NotStreaming,
    NoBuffersAllocated,
    NeedAtLeast(u32),
    DriverRefusedStart,
    QbufSucceeded(u32),
    BuffersRemoved(u32),
    InvalidDmabufFd(u8),
    UserptrChanged(u8),
    DmabufChanged(u8),
    MaxBuffers,
    MemoryModelMismatch,
    NotSetUpForMmap,
    InvalidIndex(u32),
    BufferDoneNotActive(u32),
    FileNotOwner,
}

impl KMsg {
    /// Whether the line is printed without vb2's debug parameter (WARN / pr_err / pr_warn).
    pub fn always_printed(self) -> bool {
        matches!(self, KMsg::AlreadyPinned | KMsg::DriverBugActive(_))
    }

    /// The line as the kernel of `policy` prints it.
    pub fn text(self, policy: Policy, q: QueueKey) -> String {
        let modern = matches!(policy, Policy::Linux(_) | Policy::Spec);
        // Wording that changed between releases (the spec follows the newest).
        let since = |major, minor| match policy {
            Policy::Linux(k) => k.at_least(major, minor),
            _ => true,
        };
        let pre = |func: &str, s: &str| {
            if modern {
                format!("videobuf2_common: [{q}] {func}: {s}")
            } else {
                format!("vb2: {s}")
            }
        };
        match self {
            KMsg::AlreadyPinned => "dmabuf buffer is already pinned".into(),
            KMsg::DriverBugActive(i) if since(6, 8) => {
                format!(
                    "videobuf2_common: driver bug: stop_streaming operation is leaving buffer {i} in active state"
                )
            }
            // Before 6.8 the line names the buffer by its (hashed) address, not its index.
            KMsg::DriverBugActive(_) => "videobuf2_common: driver bug: stop_streaming operation is leaving buf <address> in active state".into(),
            KMsg::MemoryInUseOrphaning => {
                pre("vb2_core_reqbufs", "memory in use, orphaning buffers")
            }
            KMsg::MemoryInUseCannotFree => {
                pre("vb2_core_reqbufs", "reqbufs: memory in use, cannot free")
            }
            KMsg::StreamingActive if modern => pre("vb2_core_reqbufs", "streaming active"),
            KMsg::StreamingActive => pre("", "reqbufs: streaming active"),
            KMsg::InvalidBufferState(s) => pre(
                "vb2_core_qbuf",
                &format!("invalid buffer state {}", s.as_str()),
            ),
            KMsg::BufferAlreadyInUse => pre("", "qbuf: buffer already in use"),
            KMsg::BufferAlreadyPrepared => pre("vb2_core_prepare_buf", "buffer already prepared"),
            KMsg::StreamingOffWillNotWait if modern => pre(
                "__vb2_wait_for_done_vb",
                "streaming off, will not wait for buffers",
            ),
            KMsg::StreamingOffWillNotWait => pre("", "Streaming off, will not wait for buffers"),
            KMsg::LastBufferDequeued => pre(
                "__vb2_wait_for_done_vb",
                "last buffer dequeued already, will not wait for buffers",
            ),
            KMsg::NonblockingNoBuffers => pre(
                "__vb2_wait_for_done_vb",
                "nonblocking and no buffers to dequeue, will not wait",
            ),
            KMsg::AlreadyStreaming if modern => pre("vb2_core_streamon", "already streaming"),
            KMsg::AlreadyStreaming => pre("", "streamon: already streaming"),
            KMsg::NotStreaming => pre("", "streamoff: not streaming"),
            KMsg::NoBuffersAllocated => pre("vb2_core_streamon", "no buffers have been allocated"),
            // "queued" in 6.8 to 6.12 only (5c73563a212f restored "allocated" in 6.13).
            KMsg::NeedAtLeast(n) => pre(
                "vb2_core_streamon",
                &if since(6, 8) && !since(6, 13) {
                    format!("need at least {n} queued buffers")
                } else {
                    format!("need at least {n} allocated buffers")
                },
            ),
            KMsg::DriverRefusedStart => {
                pre("vb2_start_streaming", "driver refused to start streaming")
            }
            KMsg::QbufSucceeded(i) => {
                pre("vb2_core_qbuf", &format!("qbuf of buffer {i} succeeded"))
            }
            KMsg::BuffersRemoved(n) => pre("vb2_core_remove_bufs", &format!("{n} buffers removed")),
            KMsg::InvalidDmabufFd(p) => pre(
                "__prepare_dmabuf",
                &format!("invalid dmabuf fd for plane {p}"),
            ),
            KMsg::UserptrChanged(p) => pre(
                "__prepare_userptr",
                &format!("userspace address for plane {p} changed, reacquiring memory"),
            ),
            KMsg::DmabufChanged(p) if modern => {
                pre("__prepare_dmabuf", &format!("buffer for plane {p} changed"))
            }
            KMsg::DmabufChanged(p) => pre("", &format!("qbuf: buffer for plane {p} changed")),
            KMsg::MaxBuffers => pre(
                "vb2_core_create_bufs",
                "maximum number of buffers already allocated",
            ),
            KMsg::MemoryModelMismatch => pre("vb2_core_create_bufs", "memory model mismatch"),
            KMsg::NotSetUpForMmap => pre("vb2_mmap", "queue is not currently set up for mmap"),
            KMsg::InvalidIndex(i) if since(6, 8) => {
                pre("vb2_qbuf", &format!("can't find the requested buffer {i}"))
            }
            KMsg::InvalidIndex(_) => pre("vb2_queue_or_prepare_buf", "buffer index out of range"),
            KMsg::BufferDoneNotActive(i) => {
                format!("WARNING: vb2_buffer_done: buffer {i} is not in the active state")
            }
            KMsg::FileNotOwner => pre("vb2_queue_is_busy", "file handle is not the queue owner"),
        }
    }
}

/// A kernel message with the queue it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KMsgRec {
    pub msg: KMsg,
    pub queue: QueueKey,
}

/// A `vb2_buffer_done` the driver performs as a consequence of a step (at stop_streaming,
/// at a failed start, or to satisfy a blocking DQBUF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoneRec {
    pub queue: QueueKey,
    pub index: u32,
    pub state: DoneState,
}

/// One consequence of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Memop(MemopRec),
    Msg(KMsgRec),
    Done(DoneRec),
    /// `buf_queue` (the `vb2_buf_queue` tracepoint): a buffer handed to the driver.
    BufQueue(QueueKey, u32),
}

/// The consequences of the last step, in the order they happen.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub items: Vec<Effect>,
}

impl Effects {
    pub fn clear(&mut self) {
        self.items.clear();
    }
    pub fn push(&mut self, e: Effect) {
        self.items.push(e);
    }
    /// The memops among the effects.
    pub fn memops(&self) -> impl Iterator<Item = &MemopRec> {
        self.items.iter().filter_map(|e| match e {
            Effect::Memop(m) => Some(m),
            _ => None,
        })
    }
}
