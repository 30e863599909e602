//! Streaming I/O: PREPARE_BUF, QBUF, DQBUF, STREAMON, STREAMOFF and the queue cancel.

use super::op::{BufTarget, PlaneArgs};
use super::state::{BufState, Resources};
use super::{KMsg, Model, Qi, Ret};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{BufType, DoneState, Errno, MemopKind, Memory, Outcome};

use super::observed::Callback;
use super::prepare::Refusal;

impl Model {
    /// The checks PREPARE_BUF and QBUF share (`vb2_queue_or_prepare_buf` and the state test).
    fn buf_checks(
        &mut self,
        qi: Qi,
        fh: u32,
        t: BufTarget,
        prepare_only: bool,
    ) -> Result<(), Refusal> {
        if self.busy(qi, fh) {
            return Err((Errno::EBUSY, None));
        }
        let policy = self.policy;
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let key = q.key;
        let Some(b) = q.buf(t.index) else {
            return Err((Errno::EINVAL, Some(KMsg::InvalidIndex(t.index))));
        };
        if t.memory.is_some() && t.memory != q.memory {
            return Err((Errno::EINVAL, None));
        }
        // QBUF and PREPARE_BUF both refuse on a queue in error (`__buf_prepare` looks too).
        if q.error {
            return Err((Errno::EIO, None));
        }
        let state = b.state;
        let prepared = b.prepared;
        if prepare_only {
            if state != BufState::Dequeued {
                return Err((Errno::EINVAL, Some(KMsg::InvalidBufferState(state))));
            }
            if prepared {
                return Err((Errno::EINVAL, Some(KMsg::BufferAlreadyPrepared)));
            }
            return Ok(());
        }
        if self.queues.get(qi).is_some_and(|q| q.uses_requests) {
            // vb2_queue_or_prepare_buf: "qbuf: queue uses requests".
            self.find(
                RuleId::R24,
                Some(key),
                Some(t.index),
                None,
                FindingDetail::None,
            );
            return Err((Errno::EBUSY, None));
        }
        if state.is_queued() {
            self.find(
                RuleId::R11,
                Some(key),
                Some(t.index),
                None,
                FindingDetail::State(state.as_str()),
            );
            let msg = if policy.prepared_is_state() {
                KMsg::BufferAlreadyInUse
            } else {
                KMsg::InvalidBufferState(state)
            };
            return Err((Errno::EINVAL, Some(msg)));
        }
        Ok(())
    }

    pub(super) fn prepare_buf(
        &mut self,
        t: BufTarget,
        args: &PlaneArgs,
        forced: Option<Outcome>,
    ) -> Outcome {
        let (qi, fh) = self.target(t.fd, t.ty)?;
        let key = self.key(qi);
        self.grow_to(qi, t.index, forced);
        self.settle_queue_error(qi, forced, false);
        let pred = self.buf_checks(qi, fh, t, true);
        let pred = self.with_prepare_outcome(qi, t.index, args, pred, forced, true);
        let cb = Callback::Prepare(self.memory_of(qi, t), t.index);
        self.decide_at("VIDIOC_PREPARE_BUF", key, pred, forced, cb)?;
        let state = self
            .queues
            .get(qi)
            .and_then(|q| q.buf(t.index))
            .map(|b| b.state);
        if state != Some(BufState::Dequeued) {
            // Accepted by the kernel although the model refuses: nothing it can apply.
            return Ok(());
        }
        if let Err((e, m)) = self.prepare_planes(qi, t.index, args) {
            if let Some(m) = m {
                self.msg(qi, m);
            }
            return self.decide("VIDIOC_PREPARE_BUF", key, Err((e, None)), forced);
        }
        let old = self.policy.prepared_is_state();
        if let Some(q) = self.queues.get_mut(qi) {
            q.lingering_reported = false;
        }
        if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(t.index)) {
            b.prepared = true;
            if old {
                b.state = BufState::Prepared;
            }
        }
        Ok(())
    }

    pub(super) fn qbuf(
        &mut self,
        t: BufTarget,
        args: &PlaneArgs,
        forced: Option<Outcome>,
    ) -> Outcome {
        let (qi, fh) = self.target(t.fd, t.ty)?;
        let key = self.key(qi);
        self.grow_to(qi, t.index, forced);
        self.settle_queue_error(qi, forced, false);
        let pred = self.buf_checks(qi, fh, t, false);
        let cb = if self.qbuf_starts(qi) {
            Callback::Start
        } else {
            Callback::Prepare(self.memory_of(qi, t), t.index)
        };
        let needs_prepare = self.needs_prepare(qi, t.index);
        let pred = self.with_prepare_outcome(qi, t.index, args, pred, forced, needs_prepare);
        self.decide_at("VIDIOC_QBUF", key, pred, forced, cb)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let Some(b) = q.buf(t.index) else {
            return Err(Errno::EINVAL);
        };
        let was = b.state;
        if was.is_queued() {
            // The kernel accepted a QBUF the model refuses: the buffer already is queued.
            return Ok(());
        }
        if needs_prepare && let Err((e, m)) = self.prepare_planes(qi, t.index, args) {
            if let Some(m) = m {
                self.msg(qi, m);
            }
            // The kernel may have taken memory the model refuses: a divergence, then go on.
            self.decide("VIDIOC_QBUF", key, Err((e, None)), forced)?;
        }
        self.note_hold(qi, t.index);
        if let Some(k) = key
            && k.ty.is_output()
        {
            self.output_fed(k.dev);
        }
        self.qseq += 1;
        let qseq = self.qseq;
        let policy = self.policy;
        let Some(q) = self.queues.get_mut(qi) else {
            return Err(Errno::EINVAL);
        };
        // A direct QBUF the kernel took: the queue is in direct mode, whatever the model
        // thought.
        q.uses_qbuf = true;
        q.uses_requests = false;
        if let Some(b) = q.buf_mut(t.index) {
            b.state = BufState::Queued;
            b.prepared = true;
            b.qseq = qseq;
        }
        q.lingering_reported = false;
        q.queued_count += 1;
        let (streaming, started) = (q.streaming, q.start_streaming_called);
        let (queued, min) = (q.queued_count, q.min_queued);
        let goes_to_driver = if policy.has_min_queued() {
            started
        } else {
            streaming
        };
        if goes_to_driver {
            self.enqueue(qi, t.index);
        } else if streaming && policy.has_min_queued() {
            if queued >= min {
                if let Err(e) = self.start_streaming(qi) {
                    // The buffer goes back to the state it had before this QBUF.
                    if let Some(q) = self.queues.get_mut(qi)
                        && let Some(b) = q.buf_mut(t.index)
                        && b.state == BufState::Queued
                    {
                        b.state = was;
                        q.queued_count = q.queued_count.saturating_sub(1);
                    }
                    return Err(e);
                }
            } else if let Some(k) = key {
                self.find(
                    RuleId::R22,
                    Some(k),
                    None,
                    None,
                    FindingDetail::Count {
                        have: queued,
                        need: min,
                    },
                );
            }
        }
        Ok(())
    }

    /// `__enqueue_in_driver`: QUEUED → ACTIVE and the driver's `buf_queue`.
    pub(super) fn enqueue(&mut self, qi: Qi, index: u32) {
        let at_queue = self.policy.prepare_at_buf_queue();
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let key = q.key;
        let Some(b) = q.buf_mut(index) else { return };
        b.state = BufState::Active;
        let np = b.planes.len();
        if at_queue {
            b.synced = true;
        }
        q.owned_by_drv += 1;
        self.fx.push(super::Effect::BufQueue(key, index));
        if at_queue {
            for p in 0..np {
                self.memop(qi, index, p, MemopKind::Prepare);
            }
        }
    }

    pub(super) fn dqbuf(
        &mut self,
        fd: i32,
        ty: BufType,
        memory: Option<Memory>,
        nonblock: bool,
        forced: Option<Outcome>,
    ) -> Result<Ret, Errno> {
        let (qi, fh) = self.target(fd, ty)?;
        let busy = self.busy(qi, fh);
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        if !q.streaming {
            self.find(RuleId::R12, Some(key), None, None, FindingDetail::None);
        }
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let nothing_coming = q.done_list.is_empty() && q.owned_by_drv == 0;
        self.settle_queue_error(qi, forced, true);
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let (streaming, error) = (q.streaming, q.error);
        let stalled = !nonblock && streaming && self.m2m_stalled(qi);
        self.settle_epipe(qi, forced);
        let epipe = self.epipe_prediction(qi);
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let pred = if busy {
            Err((Errno::EBUSY, None))
        } else if memory.is_some() && memory != q.memory {
            Err((Errno::EINVAL, None))
        } else if !streaming {
            Err((Errno::EINVAL, Some(KMsg::StreamingOffWillNotWait)))
        } else if error {
            Err((Errno::EIO, None))
        } else if let Some(e) = epipe {
            Err(e)
        } else if q.done_list.is_empty() && nonblock {
            Err((Errno::EAGAIN, Some(KMsg::NonblockingNoBuffers)))
        } else if q.done_list.is_empty() && forced == Some(Err(Errno::EINTR)) {
            // vb2 waits for the driver and a signal ended the wait (what a blocking DQBUF
            // with nothing done gives; with a buffer done it returns at once).
            Err((Errno::EINTR, None))
        } else if stalled && forced.is_none() {
            // No job runs while the other queue is stopped: the wait never ends.
            Err((Errno::EAGAIN, None))
        } else if q.done_list.is_empty() && nothing_coming {
            // A blocking DQBUF with nothing in flight would wait forever: shown as EAGAIN,
            // with no kernel message since vb2 just sleeps.
            Err((Errno::EAGAIN, None))
        } else {
            Ok(())
        };
        if !nonblock && nothing_coming && q.streaming && !busy && epipe.is_none() {
            self.find(RuleId::R12b, Some(key), None, None, FindingDetail::None);
        }
        // The trace shows the wait ended by a signal with nothing (or, in a scenario, the
        // model says it would never end): the application waited on a stalled context.
        if stalled
            && !busy
            && epipe.is_none()
            && !error
            && forced.is_none_or(|f| f == Err(Errno::EINTR))
        {
            self.find(RuleId::R40, Some(key), None, None, FindingDetail::None);
        }
        if let Err(e) = self.decide("VIDIOC_DQBUF", Some(key), pred, forced) {
            self.after_dqbuf(qi, Err(e));
            if matches!(e, Errno::EAGAIN | Errno::EINTR) {
                self.abort_on_empty_wait(qi);
            }
            return Err(e);
        }
        // A blocking DQBUF waits for the driver: the oldest active buffer completes.
        if self.queues.get(qi).is_some_and(|q| q.done_list.is_empty()) {
            let oldest = self.queues.get(qi).and_then(|q| q.oldest_active());
            if let Some(i) = oldest {
                self.buffer_done_inner(qi, i, DoneState::Done, true);
            }
        }
        // The kernel returned the first buffer of its done list: when the trace names it, it
        // was first there, whatever order the model's completions (inferred, or a QBUF's
        // immediate LAST) put them in.
        if let Some(i) = self.seen.index
            && let Some(q) = self.queues.get_mut(qi)
            && let Some(pos) = q.done_list.iter().position(|&d| d == i)
            && pos > 0
        {
            q.done_list.remove(pos);
            q.done_list.push_front(i);
        }
        let mut ret = self.dequeue_head(qi).ok_or(Errno::EINVAL)?;
        // The kernel's reply, when the trace has it, says whether this was the LAST buffer.
        if let Some(f) = self.seen.flags {
            ret.flags = (ret.flags & !crate::v4l2::flags::LAST) | (f & crate::v4l2::flags::LAST);
        }
        self.after_dqbuf(qi, Ok(ret.flags));
        self.abort_on_completion(qi, ret.index);
        Ok(ret)
    }

    /// Queue `qi` of an M2M context waits for the driver (buffers with it, none done) while
    /// the context's other queue is not streaming: v4l2-mem2mem schedules no job, so
    /// nothing will complete until the other queue streams again.
    fn m2m_stalled(&self, qi: Qi) -> bool {
        let Some(q) = self.queues.get(qi) else {
            return false;
        };
        q.done_list.is_empty()
            && q.owned_by_drv > 0
            && self.is_m2m(qi)
            && !self.streams(q.key.dev, !q.key.ty.is_output())
    }

    /// Takes the head of the done list (`__vb2_get_done_vb` + `__vb2_dqbuf`).
    fn dequeue_head(&mut self, qi: Qi) -> Option<Ret> {
        let policy = self.policy;
        let q = self.queues.get_mut(qi)?;
        let key = q.key;
        let index = q.done_list.pop_front()?;
        let b = q.buf_mut(index)?;
        let was_error = b.state == BufState::Error;
        let was_last = std::mem::take(&mut b.last);
        b.state = BufState::Dequeued;
        b.request = None;
        b.prepared = false;
        b.synced = false;
        q.queued_count = q.queued_count.saturating_sub(1);
        if policy.dqbuf_unmaps() {
            self.unmap_buffer(qi, index);
        }
        if policy.dqbuf_unpins() {
            self.unpin_all(qi, index);
        }
        let mut flags = self.buffer_flags(qi, index);
        if was_error {
            flags |= crate::v4l2::flags::ERROR;
        }
        if was_last {
            flags |= crate::v4l2::flags::LAST;
        }
        // R02 / R04: what the plane still holds once the application owns the buffer.
        let mut held = [Resources::default(); crate::v4l2::MAX_PLANES];
        let mut n = 0;
        if let Some(q) = self.queues.get(qi) {
            for (slot, p) in held
                .iter_mut()
                .zip(q.buf(index).map(|b| b.planes.as_slice()).unwrap_or(&[]))
            {
                *slot = q.effective(p);
                n += 1;
            }
        }
        for (p, &r) in held.iter().enumerate().take(n) {
            let p = p as u8;
            if r.pinned {
                self.find(
                    RuleId::R02,
                    Some(key),
                    Some(index),
                    Some(p),
                    FindingDetail::None,
                );
            }
            if r.mapped {
                self.find(
                    RuleId::R04,
                    Some(key),
                    Some(index),
                    Some(p),
                    FindingDetail::None,
                );
            }
        }
        Some(Ret {
            index,
            flags,
            count: 0,
        })
    }

    pub(super) fn streamon(&mut self, fd: i32, ty: BufType, forced: Option<Outcome>) -> Outcome {
        let (qi, fh) = self.target(fd, ty)?;
        let policy = self.policy;
        let busy = self.busy(qi, fh);
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let was_streaming = q.streaming;
        let pred = if busy {
            Err((Errno::EBUSY, None))
        } else if q.streaming {
            if policy.streamon_twice_fails() {
                Err((Errno::EBUSY, Some(KMsg::AlreadyStreaming)))
            } else {
                Ok(())
            }
        } else if policy.has_min_queued() && q.num_buffers() == 0 {
            Err((Errno::EINVAL, Some(KMsg::NoBuffersAllocated)))
        } else if policy.has_min_queued() && q.num_buffers() < q.min_queued {
            Err((Errno::EINVAL, Some(KMsg::NeedAtLeast(q.min_queued))))
        } else {
            Ok(())
        };
        // Only a STREAMON that starts reaches the driver (start_streaming), which may refuse.
        let r = if was_streaming {
            self.decide("VIDIOC_STREAMON", Some(key), pred, forced)
        } else {
            self.decide_at("VIDIOC_STREAMON", Some(key), pred, forced, Callback::Start)
        };
        if was_streaming {
            if r.is_err() {
                self.find(
                    RuleId::R19,
                    Some(key),
                    None,
                    None,
                    FindingDetail::Result {
                        op: "VIDIOC_STREAMON",
                        expected: Ok(()),
                        actual: r,
                    },
                );
            } else if !policy.streamon_twice_fails() {
                self.msg(qi, KMsg::AlreadyStreaming);
            }
            return r;
        }
        r?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let (queued, min) = (q.queued_count, q.min_queued);
        if !policy.has_min_queued() || queued >= min {
            self.start_streaming(qi)?;
        } else {
            self.find(
                RuleId::R22,
                Some(key),
                None,
                None,
                FindingDetail::Count {
                    have: queued,
                    need: min,
                },
            );
        }
        if let Some(q) = self.queues.get_mut(qi) {
            q.streaming = true;
            q.stopped = false;
            q.lingering_reported = false;
        }
        Ok(())
    }

    /// `vb2_start_streaming`: every queued buffer to the driver, then `start_streaming`.
    pub(super) fn start_streaming(&mut self, qi: Qi) -> Outcome {
        let queued: Vec<u32> = self
            .queues
            .get(qi)
            .map(|q| {
                let mut v: Vec<(u64, u32)> = q
                    .iter()
                    .filter(|(_, b)| b.state == BufState::Queued)
                    .map(|(i, b)| (b.qseq, i))
                    .collect();
                v.sort_unstable();
                v.into_iter().map(|(_, i)| i).collect()
            })
            .unwrap_or_default();
        for &i in &queued {
            self.enqueue(qi, i);
        }
        let fail = self
            .queues
            .get_mut(qi)
            .and_then(|q| q.driver.fail_start.take());
        let Some(keep) = fail else {
            if let Some(q) = self.queues.get_mut(qi) {
                q.start_streaming_called = true;
            }
            return Ok(());
        };
        self.msg(qi, KMsg::DriverRefusedStart);
        if self.policy.start_fail_cancels() {
            // 3.6/3.8: the failed start cancels the queue; the buffers come back DEQUEUED,
            // silently, since stop_streaming is not called for a queue that never started.
            self.cancel(qi, true);
            return Err(Errno::EIO);
        }
        let key = self.key(qi);
        for &i in &queued {
            let active = self
                .queues
                .get(qi)
                .and_then(|q| q.buf(i))
                .is_some_and(|b| b.state == BufState::Active);
            if !active {
                continue;
            }
            if keep {
                self.find(RuleId::R09, key, Some(i), None, FindingDetail::None);
            }
            // The driver returns it (or vb2 forces it back) as QUEUED.
            self.buffer_done_inner(qi, i, DoneState::Queued, true);
        }
        if let Some(q) = self.queues.get_mut(qi) {
            q.start_streaming_called = false;
        }
        Err(Errno::EIO)
    }

    pub(super) fn streamoff(&mut self, fd: i32, ty: BufType, forced: Option<Outcome>) -> Outcome {
        let (qi, fh) = self.target(fd, ty)?;
        let policy = self.policy;
        let busy = self.busy(qi, fh);
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let was_streaming = q.streaming;
        let pred = if busy {
            Err((Errno::EBUSY, None))
        } else if !q.streaming && policy.streamoff_idle_fails() {
            Err((Errno::EINVAL, Some(KMsg::NotStreaming)))
        } else {
            Ok(())
        };
        let r = self.decide("VIDIOC_STREAMOFF", Some(key), pred, forced);
        if !was_streaming && r.is_err() && !busy {
            self.find(
                RuleId::R19,
                Some(key),
                None,
                None,
                FindingDetail::Result {
                    op: "VIDIOC_STREAMOFF",
                    expected: Ok(()),
                    actual: r,
                },
            );
        }
        self.abort_on_streamoff(qi, r);
        if r.is_ok() {
            let started = self.queues.get(qi).is_some_and(|q| {
                if policy.has_min_queued() {
                    q.start_streaming_called
                } else {
                    q.streaming
                }
            });
            self.drain_on_streamoff(qi, started);
            self.resolution_resumed(key.dev);
            self.held_at_end(qi);
            self.cancel(qi, false);
            self.clear_last(qi);
        }
        let Some(q) = self.queues.get_mut(qi) else {
            return r;
        };
        if !was_streaming {
            let left = q
                .iter()
                .filter(|(_, b)| matches!(b.state, BufState::Queued | BufState::Prepared))
                .count() as u32;
            if left > 0 && !busy {
                self.find(
                    RuleId::R07b,
                    Some(key),
                    None,
                    None,
                    FindingDetail::Count {
                        have: left,
                        need: 0,
                    },
                );
            }
        }
        if r.is_ok()
            && let Some(q) = self.queues.get_mut(qi)
        {
            q.stopped = true;
            if !std::mem::replace(&mut q.lingering_reported, true) {
                self.check_lingering(qi);
            }
        }
        r
    }

    /// After STREAMOFF: what the buffers still hold (R01, R03) or still are (R07).
    fn check_lingering(&mut self, qi: Qi) {
        let Some(q) = self.queues.get(qi) else { return };
        let key = q.key;
        let mut found = Vec::new();
        for (i, b) in q.iter() {
            if b.state != BufState::Dequeued && b.state != BufState::Prepared {
                found.push((RuleId::R07, i, None, Some(b.state)));
            }
            for (p, pl) in b.planes.iter().enumerate() {
                let r = q.effective(pl);
                if r.pinned {
                    found.push((RuleId::R01, i, Some(p as u8), None));
                }
                if r.mapped {
                    found.push((RuleId::R03, i, Some(p as u8), None));
                }
            }
        }
        for (rule, i, p, s) in found {
            let detail = s
                .map(|s| FindingDetail::State(s.as_str()))
                .unwrap_or(FindingDetail::None);
            self.find(rule, Some(key), Some(i), p, detail);
        }
    }

    /// `__vb2_queue_cancel`: stop the driver, empty the lists, every buffer DEQUEUED.
    /// `failed_start`: the cancel of a failed start (3.6/3.8), where buffers the driver
    /// still owns are reset without stop_streaming having run.
    pub(super) fn cancel(&mut self, qi: Qi, failed_start: bool) {
        let policy = self.policy;
        let Some(q) = self.queues.get(qi) else { return };
        let key = q.key;
        let stop = if policy.has_min_queued() {
            q.start_streaming_called
        } else {
            q.streaming
        };
        if stop && !q.driver.keep_on_stop {
            // A well-behaved stop_streaming returns every buffer it owns with ERROR.
            let active: Vec<u32> = q
                .iter()
                .filter(|(_, b)| b.state == BufState::Active)
                .map(|(i, _)| i)
                .collect();
            for i in active {
                self.buffer_done_inner(qi, i, DoneState::Error, true);
            }
        }
        let Some(q) = self.queues.get(qi) else { return };
        if q.owned_by_drv > 0 && !failed_start {
            let left: Vec<u32> = q
                .iter()
                .filter(|(_, b)| b.state == BufState::Active)
                .map(|(i, _)| i)
                .collect();
            for i in left {
                self.find(RuleId::R08, Some(key), Some(i), None, FindingDetail::None);
                if policy.warns_active_after_stop() {
                    self.msg(qi, KMsg::DriverBugActive(i));
                    self.buffer_done_inner(qi, i, DoneState::Error, true);
                }
            }
        }
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        q.streaming = false;
        q.start_streaming_called = false;
        q.uses_qbuf = false;
        q.uses_requests = false;
        q.queued_count = 0;
        q.owned_by_drv = 0;
        q.error = false;
        q.error_inferred = false;
        q.error_calls = 0;
        q.hold_last = false;
        q.done_list.clear();
        let n = q.bufs.len() as u32;
        for i in 0..n {
            let Some(q) = self.queues.get_mut(qi) else {
                return;
            };
            let Some(b) = q.buf_mut(i) else { continue };
            let (synced, np) = (b.synced, b.planes.len());
            b.state = BufState::Dequeued;
            if let Some(id) = b.request.take() {
                self.request_lost_buffer(id, qi, i);
            }
            let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(i)) else {
                continue;
            };
            b.prepared = false;
            b.synced = false;
            if synced {
                for p in 0..np {
                    self.memop(qi, i, p, MemopKind::Finish);
                }
            }
            if policy.cancel_unmaps() {
                self.unmap_buffer(qi, i);
            }
            if policy.cancel_unpins() {
                self.unpin_all(qi, i);
            }
        }
    }
}
