//! Media requests (the Request API of stateless codecs): a request fd gathers a buffer (and
//! controls) and is queued as a whole; its buffer reaches vb2's queued list only then.
//!
//! A request is IDLE after `MEDIA_IOC_REQUEST_ALLOC` or REINIT, QUEUED after
//! `MEDIA_REQUEST_IOC_QUEUE` and COMPLETE once the driver is done with its buffer. A buffer
//! QBUF'd into a request is IN_REQUEST until the request is queued; REINIT, the last close
//! of an unqueued request, or a cancel of its queue sends it back to DEQUEUED.
//!
//! strace never prints `request_fd`: a buffer whose request is not known waits unbound, and
//! the next request queued takes it (applications fill one request and queue it at once).

use serde::Serialize;

use super::files::FdObj;
use super::op::{BufTarget, PlaneArgs};
use super::state::BufState;
use super::{Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome};

/// `enum media_request_state`, the states the model tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReqState {
    Idle,
    Queued,
    Complete,
}

/// One media request.
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    pub state: ReqState,
    /// Open fds referring to it.
    pub fds: u32,
    /// The buffers bound to it: (queue index, buffer index).
    pub bufs: Vec<(usize, u32)>,
    /// Control values set into it (S_EXT_CTRLS with `V4L2_CTRL_WHICH_REQUEST_VAL`).
    pub ctrls: u32,
    /// A buffer went into it by a QBUF that named it (not by the model's guess).
    pub named: bool,
    /// A QUEUE of it failed: the kernel left it idle with its buffer, and REINIT or close
    /// is the way to clean up.
    pub queue_failed: bool,
}

impl Model {
    /// The request `fd` refers to. In a lenient replay an fd the model does not know (a
    /// trace that starts mid-session, or an fd closed since) is a request only if the
    /// kernel took the call: then it becomes an idle one.
    fn request_of(&mut self, fd: i32, forced: Option<Outcome>) -> Option<u32> {
        match self.fds.get(fd) {
            FdObj::Request(id) => Some(id),
            FdObj::Free if self.lenient && forced == Some(Ok(())) => Some(self.new_request(fd)),
            _ => None,
        }
    }

    /// The request a QUEUE or REINIT on `fd` addresses, or the call's whole answer: ENOTTY
    /// before the Request API, and what [`Model::not_a_request`] says of another fd.
    fn request_target(
        &mut self,
        op: &'static str,
        fd: i32,
        forced: Option<Outcome>,
    ) -> Result<u32, Outcome> {
        if !self.policy.has_requests() {
            return Err(self.decide(op, None, Err((Errno::ENOTTY, None)), forced));
        }
        match self.request_of(fd, forced) {
            Some(id) => Ok(id),
            None => Err(self.not_a_request(op, fd, forced)),
        }
    }

    /// A request ioctl on an fd that is no request the model knows: EBADF for an fd it
    /// knows closed, ENOTTY for another kind of file; in a lenient replay whatever the
    /// kernel answered (the fd may have come from before the trace).
    fn not_a_request(&mut self, op: &'static str, fd: i32, forced: Option<Outcome>) -> Outcome {
        let pred = match (self.fds.get(fd), forced) {
            (FdObj::Free, Some(Err(e))) if self.lenient => Err((e, None)),
            (FdObj::Free, _) => Err((Errno::EBADF, None)),
            _ => Err((Errno::ENOTTY, None)),
        };
        self.decide(op, None, pred, forced)
    }

    pub(super) fn new_request(&mut self, fd: i32) -> u32 {
        self.requests_version += 1;
        let id = self.requests.len() as u32;
        self.requests.push(Request {
            state: ReqState::Idle,
            fds: 1,
            bufs: Vec::new(),
            ctrls: 0,
            named: false,
            queue_failed: false,
        });
        self.fds.set(fd, FdObj::Request(id));
        id
    }

    pub(super) fn request_alloc(
        &mut self,
        new_fd: Option<i32>,
        forced: Option<Outcome>,
    ) -> Outcome {
        let pred = if self.policy.has_requests() {
            Ok(())
        } else {
            Err((Errno::ENOTTY, None))
        };
        self.decide("MEDIA_IOC_REQUEST_ALLOC", None, pred, forced)?;
        if let Some(fd) = new_fd {
            self.new_request(fd);
        }
        Ok(())
    }

    /// QBUF with `V4L2_BUF_FLAG_REQUEST_FD` (`vb2_queue_or_prepare_buf`, `vb2_core_qbuf`), or
    /// PREPARE_BUF with it, which vb2 refuses.
    pub(super) fn buf_to_request(
        &mut self,
        t: BufTarget,
        planes: &PlaneArgs,
        prepare: bool,
        request_fd: Option<i32>,
        forced: Option<Outcome>,
    ) -> Outcome {
        if !self.policy.has_requests() {
            // The flag meant nothing yet: a plain QBUF or PREPARE_BUF.
            return if prepare {
                self.prepare_buf(t, planes, forced)
            } else {
                self.qbuf(t, planes, forced)
            };
        }
        let (qi, fh) = self.target(t.fd, t.ty)?;
        let key = self.key(qi);
        self.grow_to(qi, t.index, forced);
        if prepare {
            self.find(RuleId::R28, key, Some(t.index), None, FindingDetail::None);
            return self.decide(
                "VIDIOC_PREPARE_BUF",
                key,
                Err((Errno::EINVAL, None)),
                forced,
            );
        }
        let pred = self.request_qbuf_checks(qi, fh, t, request_fd, forced);
        self.decide("VIDIOC_QBUF", key, pred, forced)?;
        // vb2 sets it after most of its checks, so a refused QBUF sets it only sometimes
        // (a buffer in the wrong state, a busy request): taken only from a QBUF it took.
        if let Some(q) = self.queues.get_mut(qi) {
            q.uses_requests = true;
            q.uses_qbuf = false;
        }
        let Some(b) = self.queues.get(qi).and_then(|q| q.buf(t.index)) else {
            return Err(Errno::EINVAL);
        };
        if b.state != BufState::Dequeued {
            // Accepted by the kernel although the model refuses: nothing it can apply.
            return Ok(());
        }
        if self.needs_prepare(qi, t.index)
            && let Err((e, m)) = self.prepare_planes(qi, t.index, planes)
        {
            if let Some(m) = m {
                self.msg(qi, m);
            }
            self.decide("VIDIOC_QBUF", key, Err((e, None)), forced)?;
        }
        let req = request_fd.and_then(|fd| match self.fds.get(fd) {
            FdObj::Request(id) => Some(id),
            _ => None,
        });
        self.qseq += 1;
        let qseq = self.qseq;
        self.note_hold(qi, t.index);
        if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(t.index)) {
            b.state = BufState::InRequest;
            b.request = req;
            b.qseq = qseq;
        }
        if let Some(r) = req.and_then(|id| self.requests.get_mut(id as usize)) {
            r.bufs.push((qi, t.index));
            r.named = true;
        }
        self.requests_version += 1;
        Ok(())
    }

    /// What vb2 and v4l2-mem2mem check before a buffer goes into a request.
    fn request_qbuf_checks(
        &mut self,
        qi: Qi,
        fh: u32,
        t: BufTarget,
        request_fd: Option<i32>,
        forced: Option<Outcome>,
    ) -> Result<(), (Errno, Option<super::KMsg>)> {
        let key = self.key(qi);
        let m2m_capture = !t.ty.is_output() && self.is_m2m(qi);
        if m2m_capture
            || (!t.ty.is_output()
                && matches!(forced, Some(Err(e)) if e == Errno::EPERM || e == Errno::EBADR))
        {
            self.find(RuleId::R23, key, Some(t.index), None, FindingDetail::None);
            // The spec names EBADR; v4l2-mem2mem answers EPERM before vb2 sees the call.
            let e = if self.policy == crate::policy::Policy::Spec {
                Errno::EBADR
            } else {
                Errno::EPERM
            };
            return Err((
                match forced {
                    Some(Err(f)) => f,
                    _ => e,
                },
                None,
            ));
        }
        if self.busy(qi, fh) {
            return Err((Errno::EBUSY, None));
        }
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let Some(b) = q.buf(t.index) else {
            return Err((Errno::EINVAL, None));
        };
        if t.memory.is_some() && t.memory != q.memory {
            return Err((Errno::EINVAL, None));
        }
        if b.state != BufState::Dequeued {
            let s = b.state.as_str();
            self.find(
                RuleId::R30,
                key,
                Some(t.index),
                None,
                FindingDetail::State(s),
            );
            return Err((Errno::EINVAL, None));
        }
        let caps = q.caps;
        let uses_qbuf = q.uses_qbuf;
        let error = q.error;
        if caps.is_some_and(|c| c & crate::v4l2::caps::SUPPORTS_REQUESTS == 0) {
            return Err((Errno::EBADR, None));
        }
        if uses_qbuf {
            self.find(RuleId::R24, key, Some(t.index), None, FindingDetail::None);
            return Err((Errno::EBUSY, None));
        }
        match request_fd.map(|fd| self.fds.get(fd)) {
            Some(FdObj::Request(id))
                if self
                    .requests
                    .get(id as usize)
                    .is_some_and(|r| r.state != ReqState::Idle) =>
            {
                self.find(RuleId::R26, key, Some(t.index), None, FindingDetail::None);
                return Err((Errno::EBUSY, None));
            }
            Some(FdObj::Free) if !self.lenient => return Err((Errno::EINVAL, None)),
            Some(FdObj::Video(_) | FdObj::Dmabuf(_)) => return Err((Errno::EINVAL, None)),
            // A request fd the trace never showed made (or did not record): not known to
            // be a request, so the kernel's "invalid request_fd" is believed.
            Some(FdObj::Free) | None if forced == Some(Err(Errno::EINVAL)) => {
                return Err((Errno::EINVAL, None));
            }
            _ => {}
        }
        if error {
            return Err((Errno::EIO, None));
        }
        Ok(())
    }

    /// An M2M node: one file handle with both an OUTPUT and a CAPTURE queue in use.
    pub(super) fn is_m2m(&self, qi: Qi) -> bool {
        let Some(q) = self.queues.get(qi) else {
            return false;
        };
        let (dev, out) = (q.key.dev, q.key.ty.is_output());
        self.queues_on(dev)
            .any(|o| o.key.ty.is_output() != out && o.num_buffers() > 0)
    }

    /// `MEDIA_REQUEST_IOC_QUEUE`: validate, then queue every bound buffer to vb2.
    pub(super) fn request_queue(
        &mut self,
        fd: i32,
        near: Option<u16>,
        forced: Option<Outcome>,
    ) -> Outcome {
        let id = match self.request_target("MEDIA_REQUEST_IOC_QUEUE", fd, forced) {
            Ok(id) => id,
            Err(r) => return r,
        };
        // A buffer whose request the trace did not name goes with the request its thread
        // queues next (`near`: the device of that thread's last buffer into a request).
        let unbound = self.unbound_in_request(near);
        let Some(r) = self.requests.get(id as usize) else {
            return Err(Errno::EINVAL);
        };
        let empty = r.bufs.is_empty() && unbound.is_empty();
        // The rule is found only where the kernel agrees: which buffer is in which request
        // is the model's inference when the source did not say.
        let agrees = |e: Errno| forced.is_none_or(|f| f == Err(e));
        let pred = if r.state != ReqState::Idle {
            if agrees(Errno::EBUSY) {
                self.find(RuleId::R26, None, None, None, FindingDetail::None);
            }
            Err((Errno::EBUSY, None))
        } else if empty {
            if agrees(Errno::ENOENT) {
                self.find(RuleId::R25, None, None, None, FindingDetail::None);
            }
            Err((Errno::ENOENT, None))
        } else {
            Ok(())
        };
        if pred.is_ok() && forced == Some(Err(Errno::ENOENT)) {
            // The driver's own validation (a required control missing).
            self.find(RuleId::R25, None, None, None, FindingDetail::None);
        }
        // The driver validates too (one buffer only, controls, a queue error): a traced
        // result is the kernel's to give.
        let pred = match forced {
            Some(f) if self.lenient => f.map_err(|e| (e, None)),
            _ => pred,
        };
        if let Err(e) = self.decide("MEDIA_REQUEST_IOC_QUEUE", None, pred, forced) {
            if let Some(r) = self.requests.get_mut(id as usize) {
                r.queue_failed = true;
            }
            return Err(e);
        }
        self.requests_version += 1;
        let Some(r) = self.requests.get_mut(id as usize) else {
            return Err(Errno::EINVAL);
        };
        r.state = ReqState::Queued;
        if r.bufs.is_empty() {
            r.bufs.extend(unbound.iter().copied());
        }
        if r.ctrls == 0 {
            r.ctrls = std::mem::take(&mut self.unbound_ctrls);
        }
        let bufs = r.bufs.clone();
        for (qi, i) in bufs {
            if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(i)) {
                b.request = Some(id);
            }
            self.request_buffer_to_vb2(qi, i);
        }
        Ok(())
    }

    /// Buffers IN_REQUEST whose request is not known, on device `near` when known: the
    /// oldest of each queue, since a request holds one buffer per queue (a codec's OUTPUT
    /// buffer).
    fn unbound_in_request(&self, near: Option<u16>) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        for (qi, q) in self.queues.iter().enumerate() {
            if near.is_some_and(|d| d != q.key.dev) {
                continue;
            }
            let oldest = q
                .iter()
                .filter(|(_, b)| b.state == BufState::InRequest && b.request.is_none())
                .min_by_key(|(_, b)| b.qseq);
            if let Some((i, _)) = oldest {
                out.push((qi, i));
            }
        }
        out
    }

    /// `vb2_req_queue`: IN_REQUEST → QUEUED, and on to the driver once it has started.
    fn request_buffer_to_vb2(&mut self, qi: Qi, index: u32) {
        self.requests_version += 1;
        self.qseq += 1;
        let qseq = self.qseq;
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let Some(b) = q.buf_mut(index) else { return };
        if b.state != BufState::InRequest {
            return;
        }
        b.state = BufState::Queued;
        b.prepared = true;
        b.qseq = qseq;
        q.queued_count += 1;
        let started = q.start_streaming_called;
        let (streaming, queued, min) = (q.streaming, q.queued_count, q.min_queued);
        if started {
            self.enqueue(qi, index);
        } else if streaming && self.policy.has_min_queued() && queued >= min {
            let _ = self.start_streaming(qi);
        }
    }

    /// `MEDIA_REQUEST_IOC_REINIT`: an idle or completed request is emptied for reuse.
    pub(super) fn request_reinit(
        &mut self,
        fd: i32,
        near: Option<u16>,
        forced: Option<Outcome>,
    ) -> Outcome {
        let id = match self.request_target("MEDIA_REQUEST_IOC_REINIT", fd, forced) {
            Ok(id) => id,
            Err(r) => return r,
        };
        let queued = self
            .requests
            .get(id as usize)
            .is_some_and(|r| r.state == ReqState::Queued);
        let pred = if queued {
            if forced.is_none_or(|f| f == Err(Errno::EBUSY)) {
                self.find(RuleId::R26, None, None, None, FindingDetail::None);
            }
            Err((Errno::EBUSY, None))
        } else {
            Ok(())
        };
        // When a request completes is the driver's; a traced answer stands.
        let pred = match forced {
            Some(f) if self.lenient => f.map_err(|e| (e, None)),
            _ => pred,
        };
        self.decide("MEDIA_REQUEST_IOC_REINIT", None, pred, forced)?;
        self.adopt_unbound(id, near);
        self.drops_named_buffer(id);
        self.request_clean(id);
        Ok(())
    }

    /// `media_request_clean`: every bound buffer still IN_REQUEST goes back to DEQUEUED.
    fn request_clean(&mut self, id: u32) {
        self.requests_version += 1;
        let Some(r) = self.requests.get_mut(id as usize) else {
            return;
        };
        r.state = ReqState::Idle;
        r.ctrls = 0;
        r.named = false;
        r.queue_failed = false;
        let bufs = std::mem::take(&mut r.bufs);
        for (qi, i) in bufs {
            if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(i))
                && b.request == Some(id)
            {
                b.request = None;
                if b.state == BufState::InRequest {
                    b.state = BufState::Dequeued;
                }
            }
        }
    }

    /// An unqueued request about to be emptied while a buffer the trace put into it waits
    /// there: the buffer silently goes back to the application (R27).
    fn drops_named_buffer(&mut self, id: u32) {
        let Some(r) = self.requests.get(id as usize) else {
            return;
        };
        if r.state != ReqState::Idle || !r.named || r.queue_failed {
            return;
        }
        let waiting = r.bufs.iter().find(|&&(qi, i)| {
            self.queues
                .get(qi)
                .and_then(|q| q.buf(i))
                .is_some_and(|b| b.state == BufState::InRequest && b.request == Some(id))
        });
        if let Some(&(qi, i)) = waiting {
            let key = self.key(qi);
            self.find(RuleId::R27, key, Some(i), None, FindingDetail::None);
        }
    }

    /// close() of a request fd: the last one frees an unqueued request (its buffer goes
    /// back); a queued one lives until it completes.
    pub(super) fn request_fd_closed(&mut self, id: u32) {
        let Some(r) = self.requests.get_mut(id as usize) else {
            return;
        };
        r.fds = r.fds.saturating_sub(1);
        if r.fds == 0 && r.state != ReqState::Queued {
            self.drops_named_buffer(id);
            self.request_clean(id);
        }
    }

    /// A request of no known buffer, re-initialised while buffers whose request the trace
    /// did not name wait IN_REQUEST on the device its thread used last: like a queue, it
    /// takes the oldest of each queue (an application fills one request and uses it before
    /// the next).
    fn adopt_unbound(&mut self, id: u32, near: Option<u16>) {
        if self
            .requests
            .get(id as usize)
            .is_none_or(|r| !r.bufs.is_empty())
        {
            return;
        }
        let unbound = self.unbound_in_request(near);
        if unbound.is_empty() {
            return;
        }
        self.requests_version += 1;
        for &(qi, i) in &unbound {
            if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(i)) {
                b.request = Some(id);
            }
        }
        if let Some(r) = self.requests.get_mut(id as usize) {
            r.bufs = unbound;
        }
    }

    /// A buffer left its request's hands: done by the driver, or cancelled with its queue.
    /// The request completes when none of its buffers is still pending.
    pub(super) fn request_buffer_finished(&mut self, qi: Qi, index: u32) {
        let Some(id) = self
            .queues
            .get(qi)
            .and_then(|q| q.buf(index))
            .and_then(|b| b.request)
        else {
            return;
        };
        self.requests_version += 1;
        let pending = |m: &Model, (q, i): (usize, u32)| {
            m.queues.get(q).and_then(|q| q.buf(i)).is_some_and(|b| {
                matches!(
                    b.state,
                    BufState::InRequest | BufState::Queued | BufState::Active
                )
            })
        };
        let Some(r) = self.requests.get(id as usize) else {
            return;
        };
        if r.state == ReqState::Queued
            && !r.bufs.iter().any(|&b| pending(self, b))
            && let Some(r) = self.requests.get_mut(id as usize)
        {
            r.state = ReqState::Complete;
        }
    }

    /// A cancel took a buffer out of request `id`: an unqueued request loses it and stays
    /// usable; a queued one completes once nothing of it is pending.
    pub(super) fn request_lost_buffer(&mut self, id: u32, qi: Qi, index: u32) {
        self.requests_version += 1;
        let Some(r) = self.requests.get_mut(id as usize) else {
            return;
        };
        if r.state != ReqState::Queued {
            r.bufs.retain(|&b| b != (qi, index));
            return;
        }
        let pending = r.bufs.iter().any(|&(q, i)| {
            (q, i) != (qi, index)
                && self.queues.get(q).and_then(|q| q.buf(i)).is_some_and(|b| {
                    matches!(
                        b.state,
                        BufState::InRequest | BufState::Queued | BufState::Active
                    )
                })
        });
        if !pending && let Some(r) = self.requests.get_mut(id as usize) {
            r.state = ReqState::Complete;
        }
    }

    /// The kernel returned a buffer the model holds IN_REQUEST: its request was queued
    /// where the trace does not show it (a source that missed the media ioctls). Believed:
    /// the buffer went on to vb2 then.
    pub fn request_queued_unseen(&mut self, key: crate::v4l2::QueueKey, index: u32) {
        let Some(qi) = self.qi_of(key) else {
            return;
        };
        if self
            .queues
            .get(qi)
            .and_then(|q| q.buf(index))
            .is_some_and(|b| b.state == BufState::InRequest)
        {
            self.request_buffer_to_vb2(qi, index);
        }
    }
}
