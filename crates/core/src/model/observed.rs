//! What the trace shows the kernel chose, taken over the model's prediction: a driver or
//! allocator refusing on its own (rules R50, R51, R54, R55 rather than a divergence), the
//! number of buffers granted (R52, R53), and values such as MMAP offsets. Differences in
//! values are counted as evidence for `auto`, never reported as findings.

use super::op::{BufTarget, PlaneArgs};
use super::prepare::Refusal;
use super::state::BufState;
use super::{KMsg, Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::QueueKey;
use crate::v4l2::{Errno, Memory, Outcome};

/// The largest buffer count a trace is believed to show.
const MAX_COUNT_SEEN: u32 = 1 << 16;

/// A driver or allocator callback an operation reaches, which may refuse on its own.
#[derive(Clone, Copy, Debug)]
pub(super) enum Callback {
    /// `queue_setup` and the allocator, at REQBUFS/CREATE_BUFS; and before them the
    /// driver's memory types (`io_modes`).
    Setup(Memory),
    /// `get_userptr`, `attach_dmabuf`, `map_dmabuf` and the driver's `buf_prepare`, at
    /// QBUF/PREPARE_BUF of a buffer.
    Prepare(Option<Memory>, u32),
    /// The driver's `start_streaming`, at STREAMON (or the QBUF that reaches the minimum).
    Start,
}

/// The `V4L2_BUF_CAP_SUPPORTS_*` bit of a memory type.
pub(super) fn mem_bit(m: Memory) -> u8 {
    match m {
        Memory::Mmap => 1,
        Memory::Userptr => 2,
        Memory::Dmabuf => 4,
    }
}

impl Model {
    /// [`Model::decide`] for an operation that reaches a driver or allocator callback: a
    /// kernel error where vb2 itself goes on is that callback refusing, reported under its
    /// own rule rather than as a divergence.
    pub(super) fn decide_at(
        &mut self,
        op: &'static str,
        key: Option<QueueKey>,
        pred: Result<(), (Errno, Option<KMsg>)>,
        forced: Option<Outcome>,
        cb: Callback,
    ) -> Outcome {
        if let (Ok(()), Some(Err(e))) = (pred, forced)
            && let Some(rule) = self.refusal_rule(key, cb, e)
        {
            self.driver_refusals += 1;
            let (memory, index) = match cb {
                Callback::Setup(m) => (Some(m), None),
                Callback::Prepare(m, i) => (m, Some(i)),
                Callback::Start => (None, None),
            };
            if let (Callback::Setup(m), Some(k)) = (cb, key)
                && rule == RuleId::R50
                && let Some(q) = self.qi_of(k).and_then(|qi| self.queues.get_mut(qi))
            {
                q.refused_memory |= mem_bit(m);
            }
            self.find(
                rule,
                key,
                index,
                None,
                FindingDetail::Refused {
                    op,
                    errno: e,
                    memory,
                },
            );
            return Err(e);
        }
        self.decide(op, key, pred, forced)
    }

    /// The rule a callback's refusal falls under, or `None` when the errno is vb2's own
    /// (busy, queue error), which a driver callback does not give.
    fn refusal_rule(&self, key: Option<QueueKey>, cb: Callback, e: Errno) -> Option<RuleId> {
        let q = key.and_then(|k| self.queue(k));
        match cb {
            Callback::Setup(_) if e == Errno::EBUSY => None,
            Callback::Setup(m) => {
                let accepted = q.is_some_and(|q| q.accepted_memory & mem_bit(m) != 0);
                let offered = q
                    .and_then(|q| q.caps)
                    .map(|c| c & u32::from(mem_bit(m)) != 0);
                let memory_type = e == Errno::EINVAL && offered != Some(true) && !accepted;
                Some(if memory_type {
                    RuleId::R50
                } else {
                    RuleId::R55
                })
            }
            Callback::Prepare(..) if e == Errno::EBUSY || e == Errno::EIO => None,
            Callback::Prepare(..) => Some(RuleId::R51),
            Callback::Start if e == Errno::EBUSY => None,
            Callback::Start => Some(RuleId::R54),
        }
    }

    /// A buffer the kernel took (an observed QBUF or PREPARE_BUF succeeded) that the model
    /// never allocated, on a queue whose granted count the trace did not show: it exists.
    pub(super) fn grow_to(&mut self, qi: Qi, index: u32, forced: Option<Outcome>) {
        if forced != Some(Ok(())) {
            return;
        }
        let Some(q) = self.queues.get(qi) else { return };
        let Some(memory) = q.memory else { return };
        if q.count_seen || q.buf(index).is_some() || index >= 32_768 {
            return;
        }
        let first = q.bufs.len() as u32;
        if index < first {
            // A hole (REMOVE_BUFS): not something a count explains.
            return;
        }
        self.value_seen("buffer counts granted", 0, 1);
        self.alloc(qi, memory, first, index + 1 - first);
        if let Some(q) = self.queues.get_mut(qi) {
            q.max_buffers = q.max_buffers.max(index + 1);
        }
    }

    /// The memory type a buffer ioctl is about: its own, or the queue's.
    pub(super) fn memory_of(&self, qi: Qi, t: BufTarget) -> Option<Memory> {
        t.memory
            .or_else(|| self.queues.get(qi).and_then(|q| q.memory))
    }

    /// Whether QBUF of a buffer runs `buf_prepare` and the memory's acquisition.
    pub(super) fn needs_prepare(&self, qi: Qi, index: u32) -> bool {
        let Some(b) = self.queues.get(qi).and_then(|q| q.buf(index)) else {
            return false;
        };
        if self.policy.prepared_is_state() {
            b.state == BufState::Dequeued
        } else {
            !b.prepared
        }
    }

    /// Whether a QBUF on this queue now would start streaming (the queue streams, the driver
    /// has not started, and this buffer reaches its minimum).
    pub(super) fn qbuf_starts(&self, qi: Qi) -> bool {
        self.queues.get(qi).is_some_and(|q| {
            q.streaming
                && !q.start_streaming_called
                && self.policy.has_min_queued()
                && q.queued_count + 1 >= q.min_queued
        })
    }

    /// The prediction for a QBUF/PREPARE_BUF whose checks passed but which the kernel
    /// refused: whether vb2 itself would refuse the memory (its length and address checks),
    /// asked without changing anything. Otherwise the prediction stands.
    pub(super) fn with_prepare_outcome(
        &self,
        qi: Qi,
        index: u32,
        args: &PlaneArgs,
        pred: Result<(), Refusal>,
        forced: Option<Outcome>,
        needs_prepare: bool,
    ) -> Result<(), Refusal> {
        if !(pred.is_ok() && needs_prepare && matches!(forced, Some(Err(_)))) {
            return pred;
        }
        let refusal = self.prepare_refusal(qi, index, args);
        // What the preparation itself answers, on a copy: the same, or the checks were
        // not written as vb2's preparation makes them.
        debug_assert_eq!(
            refusal,
            self.clone().prepare_planes(qi, index, args).map(|_| ()),
            "{qi} {index}"
        );
        refusal
    }

    /// A value the kernel chose and the trace showed, against the policy's prediction.
    pub(super) fn value_seen(&mut self, what: &str, predicted: u64, seen: u64) {
        self.values_observed += 1;
        if predicted != seen {
            self.values_unpredicted += 1;
            if self.value_notes.len() < 8 && !self.value_notes.iter().any(|n| n == what) {
                self.value_notes.push(what.to_string());
            }
        }
    }

    /// The number of buffers REQBUFS/CREATE_BUFS makes: the kernel's when the trace shows it,
    /// else the prediction. Learns the driver's minimum or maximum from the difference with
    /// the request, and reports it (R52, R53).
    pub(super) fn granted(&mut self, qi: Qi, asked: u32, predicted: u32) -> u32 {
        if let Some(q) = self.queues.get_mut(qi) {
            q.count_seen = self.seen.count.is_some();
        }
        let Some(got) = self.seen.count else {
            return predicted;
        };
        // No vb2 numbers more buffers than this (the mmap offset's index field): a larger
        // count is damaged input, and taken as the most a queue can have.
        let got = got.min(MAX_COUNT_SEEN);
        self.value_seen(
            "buffer counts granted",
            u64::from(predicted),
            u64::from(got),
        );
        let key = self.key(qi);
        if let Some(q) = self.queues.get_mut(qi) {
            if got > asked {
                q.min_reqbufs = q.min_reqbufs.max(got);
            }
            q.max_buffers = q.max_buffers.max(got);
        }
        let rule = if got > asked {
            Some(RuleId::R52)
        } else if got < asked {
            Some(RuleId::R53)
        } else {
            None
        };
        if let Some(rule) = rule {
            self.find(rule, key, None, None, FindingDetail::Granted { asked, got });
        }
        got
    }

    /// The kernel exported a plane (`get_dmabuf`) in a call the trace did not decode: the
    /// plane has a user the model cannot follow (its fd is unknown), so its memory outlives
    /// a free as an orphan, as vb2's does.
    pub fn observe_export(&mut self, key: QueueKey, index: u32, plane: u8) {
        if let Some(p) = self
            .qi_of(key)
            .and_then(|qi| self.queues.get_mut(qi))
            .and_then(|q| q.buf_mut(index))
            .and_then(|b| b.planes.get_mut(usize::from(plane)))
        {
            p.exports += 1;
        }
    }

    /// Whether `fd` is one the model knows (a video handle, a dma-buf, a request).
    pub fn knows_fd(&self, fd: i32) -> bool {
        self.fds.get(fd) != super::files::FdObj::Free
    }

    /// The kernel freed an MMAP plane's memory (its allocator's last `put`) inside the close
    /// of an fd the model did not know: a dma-buf exported by an EXPBUF whose fd its source
    /// did not decode. That export is gone; the last user of an orphan frees it.
    pub fn observe_export_gone(&mut self, key: QueueKey, index: u32, plane: u8) {
        let orphan = self
            .fds
            .orphans
            .iter()
            .find(|o| o.key == key && o.index == index && o.plane == plane)
            .map(|o| o.uid);
        let live = || {
            self.queue(key)
                .and_then(|q| q.buf(index))
                .filter(|b| {
                    b.planes
                        .get(usize::from(plane))
                        .is_some_and(|p| p.exports > 0)
                })
                .map(|b| b.uid)
        };
        if let Some(uid) = orphan.or_else(live) {
            self.mmap_user_gone(uid, plane, false);
        }
    }

    /// What a successful REQBUFS/CREATE_BUFS tells of the queue: the memory type works, and
    /// the capabilities it reported.
    pub(super) fn setup_succeeded(&mut self, qi: Qi, memory: Memory) {
        let caps = self.seen.caps;
        if let Some(q) = self.queues.get_mut(qi) {
            q.accepted_memory |= mem_bit(memory);
            q.refused_memory &= !mem_bit(memory);
            if caps.is_some() {
                q.caps = caps;
            }
        }
    }
}
