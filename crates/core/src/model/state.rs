//! The state the model tracks: queues, buffers, planes and their resources (reference §1).

use std::collections::VecDeque;

use serde::Serialize;

use crate::v4l2::{Memory, QueueKey, VB2_MAX_FRAME};

/// `vb->state`. PREPARED exists as a state only under the 2012 and 3.8 policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BufState {
    Dequeued,
    Prepared,
    /// In a media request that is not queued yet (`VB2_BUF_STATE_IN_REQUEST`).
    InRequest,
    Queued,
    Active,
    Done,
    Error,
}

impl BufState {
    pub fn as_str(self) -> &'static str {
        match self {
            BufState::Dequeued => "dequeued",
            BufState::Prepared => "prepared",
            BufState::InRequest => "in request",
            BufState::Queued => "queued",
            BufState::Active => "active",
            BufState::Done => "done",
            BufState::Error => "error",
        }
    }
    /// On vb2's queued_list (between QBUF and DQBUF).
    pub fn is_queued(self) -> bool {
        matches!(
            self,
            BufState::Queued | BufState::Active | BufState::Done | BufState::Error
        )
    }
}

/// The resources a plane holds. Which ones apply depends on the memory type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// MMAP: memory allocated (`alloc` … `put`).
    pub allocated: bool,
    /// USERPTR: user pages pinned (`get_userptr` … `put_userptr`).
    pub pinned: bool,
    /// DMABUF: attached (`attach_dmabuf` … `detach_dmabuf`); vb2 holds a dma-buf reference.
    pub attached: bool,
    /// DMABUF: mapped (`map_dmabuf` … `unmap_dmabuf`), "pinned" in allocator wording.
    pub mapped: bool,
}

impl Resources {
    pub fn any(self) -> bool {
        self.allocated || self.pinned || self.attached || self.mapped
    }
}

/// Identity of a dma-buf object known to the model (not an fd number).
pub type DmabufId = u32;

/// One plane of a buffer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plane {
    /// Size from `queue_setup` (MMAP) or the length the application passed.
    pub length: u32,
    /// USERPTR association: the address (0 = none).
    pub userptr: u64,
    /// DMABUF association: the dma-buf (by identity).
    pub dbuf: Option<DmabufId>,
    /// DMABUF: the fd number last passed for this plane (-1: not recorded); informational
    /// only.
    pub fd: i32,
    /// The trace did not record the fd or address passed last: which memory this plane holds
    /// is the model's inference.
    pub handle_inferred: bool,
    /// `length` is the kernel's (a QUERYBUF), not the queue's one size for all planes.
    pub length_observed: bool,
    /// MMAP: the `m.offset` cookie for mmap().
    pub mem_offset: u32,
    /// `mem_offset` is the kernel's (a QUERYBUF showed it), not the policy's prediction.
    pub offset_observed: bool,
    /// Resources according to the model.
    pub inferred: Resources,
    /// Resources according to observed memops (meaningful once the queue has any).
    pub observed: Resources,
    /// MMAP: live mmap() mappings.
    pub mmaps: u32,
    /// MMAP: live exported dma-bufs.
    pub exports: u32,
}

impl Plane {
    /// `num_users > 1`: the MAPPED flag of QUERYBUF.
    pub fn in_use(&self) -> bool {
        self.mmaps > 0 || self.exports > 0
    }
}

/// One buffer (`struct vb2_buffer`).
#[derive(Clone, Debug, Serialize)]
pub struct Buffer {
    /// Unique over the model's life, so freed memory can still be named.
    pub uid: u32,
    pub state: BufState,
    /// Modern `vb->prepared`: `buf_prepare` has run (flag PREPARED on a DEQUEUED buffer).
    pub prepared: bool,
    /// Modern `vb->synced`: the cache `prepare` memop has run.
    pub synced: bool,
    /// Order of the last QBUF, so "the oldest active buffer" is well defined.
    pub qseq: u64,
    /// The media request the buffer was queued with (`vb->request`), from its QBUF into a
    /// request until DQBUF or a cancel; `None` also while the request is not known (strace
    /// never prints `request_fd`: the request queued next takes it).
    pub request: Option<u32>,
    /// Completed with `V4L2_BUF_FLAG_LAST`, not dequeued yet.
    pub last: bool,
    pub planes: Vec<Plane>,
}

/// What the (simulated) driver does; set by scenario `driver` lines.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DriverBehaviour {
    /// `stop_streaming` keeps the buffers it owns instead of returning them.
    pub keep_on_stop: bool,
    /// The next `start_streaming` fails; `Some(true)`: and keeps the buffers it was given.
    pub fail_start: Option<bool>,
}

/// One vb2 queue (`struct vb2_queue`).
#[derive(Clone, Debug, Serialize)]
pub struct Queue {
    pub key: QueueKey,
    pub memory: Option<Memory>,
    /// Buffers by index; `None` is a hole left by REMOVE_BUFS. Change them through
    /// [`Queue::buf_mut`] or [`Queue::bufs_mut`], which note the change in `changes`.
    pub bufs: Vec<Option<Buffer>>,
    /// Which buffer slots changed lately, for views that follow the model step by step.
    #[serde(skip)]
    pub changes: Changes,
    pub streaming: bool,
    pub start_streaming_called: bool,
    /// Buffers between QBUF and DQBUF (`queued_count`).
    pub queued_count: u32,
    /// Buffers the driver owns (`owned_by_drv_count`).
    pub owned_by_drv: u32,
    /// The owning file handle.
    pub owner: Option<u32>,
    /// Indices on `done_list`, oldest first.
    pub done_list: VecDeque<u32>,
    /// vb2's `q->error` (`vb2_queue_error`): QBUF and DQBUF fail with EIO.
    pub error: bool,
    /// `error` was taken from an EIO the kernel gave, not from the driver's call: the next
    /// result settles it.
    pub error_inferred: bool,
    /// QBUF and DQBUF calls made since the error (R45 at the second).
    pub error_calls: u32,
    pub num_planes: u8,
    pub plane_size: u32,
    /// `plane_size` comes from the trace (a format, a QUERYBUF), not the default; an observed
    /// trace's length checks apply only then.
    pub size_known: bool,
    pub min_queued: u32,
    pub min_reqbufs: u32,
    pub max_buffers: u32,
    pub driver: DriverBehaviour,
    /// Memory types a REQBUFS/CREATE_BUFS was seen to accept, and refuse, on this queue
    /// (`V4L2_BUF_CAP_SUPPORTS_*` bits).
    pub accepted_memory: u8,
    pub refused_memory: u8,
    /// The capabilities REQBUFS/CREATE_BUFS reported, when the trace recorded them.
    pub caps: Option<u32>,
    /// The last REQBUFS/CREATE_BUFS showed how many buffers the kernel granted.
    pub count_seen: bool,
    /// Some memop of this queue was observed, so observed resources are authoritative.
    pub memops_observed: bool,
    /// The last STREAMOFF has happened and no STREAMON since: resources found now "linger".
    pub stopped: bool,
    /// What lingers was reported at a STREAMOFF, and no QBUF, PREPARE_BUF or STREAMON came
    /// since: another STREAMOFF finds the same and says nothing.
    pub lingering_reported: bool,
    /// The codec state of a capture queue: LAST, EPIPE and the commands around them.
    pub codec: CodecState,
    /// vb2's `uses_qbuf` and `uses_requests`: the first QBUF since the last cancel chose
    /// direct queueing or media requests; the other kind is refused (EBUSY).
    pub uses_qbuf: bool,
    pub uses_requests: bool,
    /// OUTPUT: the last buffer queued kept `V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF` (its reply
    /// said so): its CAPTURE buffer waits for the next slice, or a FLUSH (R43).
    pub hold_last: bool,
}

/// What a capture queue knows of the end of a stream (`last_buffer_dequeued` and what may
/// have cleared it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CodecState {
    /// vb2's `last_buffer_dequeued`: a buffer with LAST was dequeued; DQBUF gives EPIPE
    /// until STREAMOFF (or a START the driver honours).
    pub last_dequeued: bool,
    /// The LAST buffer itself was dequeued (not just an EPIPE seen): the driver must complete
    /// nothing more on this queue until a restart (R46).
    pub last_seen: bool,
    /// EPIPEs returned since the LAST buffer.
    pub epipes: u32,
    /// A START was accepted after the LAST buffer: DQBUF should work again.
    pub restarted: bool,
    /// A codec command of unknown kind (its source printed a pointer) came after the LAST
    /// buffer: whether DQBUF gives EPIPE is not known until a DQBUF shows it.
    pub unsure: bool,
}

pub const DEFAULT_PLANE_SIZE: u32 = 614_400;

/// How many single-slot changes [`Changes`] remembers: more than one step makes.
const RECENT: usize = 32;

/// The buffer slots of a queue that changed, as a stamp that grows with each change and the
/// slots of the last few: a view that sampled the queue at stamp `s` needs to look again
/// only at [`Changes::since`]`(s)`. Costs the model a store per change, whoever reads it.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    stamp: u64,
    /// The stamp of the last change to the whole queue (slots added or removed, or many
    /// buffers changed at once).
    all_at: u64,
    /// The slot of each of the last `RECENT` changes, at its stamp modulo `RECENT`.
    recent: [u32; RECENT],
}

impl Changes {
    fn mark(&mut self, index: u32) {
        // No reader is known, so none is waited for: the oldest is overwritten.
        if let Some(r) = self.recent.get_mut((self.stamp % RECENT as u64) as usize) {
            *r = index;
        }
        self.stamp += 1;
    }

    fn mark_all(&mut self) {
        self.stamp += 1;
        self.all_at = self.stamp;
    }

    /// Grows with every change.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// The slots changed since stamp `since`, each at least once (one changed several times
    /// in a row once); `None` when the whole queue may have changed, or more slots than are
    /// remembered.
    pub fn since(&self, since: u64) -> Option<impl Iterator<Item = u32> + '_> {
        let fits = since <= self.stamp && self.stamp - since <= RECENT as u64;
        (fits && self.all_at <= since).then(|| {
            let at = |s: u64| self.recent.get((s % RECENT as u64) as usize).copied();
            (since..self.stamp).filter_map(move |s| {
                let i = at(s)?;
                (s == since || at(s - 1) != Some(i)).then_some(i)
            })
        })
    }
}

impl Queue {
    pub fn new(key: QueueKey) -> Queue {
        Queue {
            key,
            memory: None,
            bufs: Vec::new(),
            changes: Changes::default(),
            streaming: false,
            start_streaming_called: false,
            queued_count: 0,
            owned_by_drv: 0,
            owner: None,
            done_list: VecDeque::new(),
            error: false,
            error_inferred: false,
            error_calls: 0,
            num_planes: 1,
            plane_size: DEFAULT_PLANE_SIZE,
            size_known: false,
            min_queued: 0,
            min_reqbufs: 1,
            max_buffers: VB2_MAX_FRAME,
            driver: DriverBehaviour::default(),
            accepted_memory: 0,
            refused_memory: 0,
            caps: None,
            count_seen: false,
            memops_observed: false,
            stopped: false,
            lingering_reported: false,
            codec: CodecState::default(),
            uses_qbuf: false,
            uses_requests: false,
            hold_last: false,
        }
    }

    pub fn buf(&self, index: u32) -> Option<&Buffer> {
        self.bufs.get(index as usize).and_then(Option::as_ref)
    }
    /// Buffer `index`, to change: noted as changed.
    pub fn buf_mut(&mut self, index: u32) -> Option<&mut Buffer> {
        let b = self.bufs.get_mut(index as usize).and_then(Option::as_mut)?;
        self.changes.mark(index);
        Some(b)
    }
    /// Every slot, to add, remove or change buffers: the whole queue is noted as changed.
    pub fn bufs_mut(&mut self) -> &mut Vec<Option<Buffer>> {
        self.changes.mark_all();
        &mut self.bufs
    }
    /// The buffer whose `uid` this is, to change: noted as changed.
    pub fn buf_by_uid_mut(&mut self, uid: u32) -> Option<&mut Buffer> {
        let i = self.iter().find(|(_, b)| b.uid == uid)?.0;
        self.buf_mut(i)
    }
    /// Number of allocated buffers (holes not counted).
    pub fn num_buffers(&self) -> u32 {
        self.bufs.iter().filter(|b| b.is_some()).count() as u32
    }
    /// Iterates over `(index, buffer)` of allocated buffers.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Buffer)> {
        self.bufs
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.as_ref().map(|b| (i as u32, b)))
    }
    /// The resources of a plane that rules should judge: observed once memops are observed.
    pub fn effective(&self, p: &Plane) -> Resources {
        if self.memops_observed {
            p.observed
        } else {
            p.inferred
        }
    }
    /// The oldest ACTIVE buffer (in QBUF order).
    pub fn oldest_active(&self) -> Option<u32> {
        self.iter()
            .filter(|(_, b)| b.state == BufState::Active)
            .min_by_key(|(_, b)| b.qseq)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_the_slots_changed_since_a_stamp() {
        let mut c = Changes::default();
        let s0 = c.stamp();
        c.mark(3);
        c.mark(3);
        c.mark(1);
        let since = |c: &Changes, s| c.since(s).map(|i| i.collect::<Vec<u32>>());
        assert_eq!(since(&c, s0), Some(vec![3, 1]));
        let s1 = c.stamp();
        assert_eq!(since(&c, s1), Some(vec![]));
        c.mark_all();
        assert_eq!(since(&c, s1), None);
        let s2 = c.stamp();
        assert_eq!(since(&c, s2), Some(vec![]));
        for i in 0..RECENT as u32 {
            c.mark(i);
        }
        assert_eq!(since(&c, s2).map(|v| v.len()), Some(RECENT));
        c.mark(0);
        assert_eq!(since(&c, s2), None, "more changes than remembered");
        // A stamp from the future (another queue's) is no base.
        assert_eq!(since(&c, c.stamp() + 1), None);
    }
}
