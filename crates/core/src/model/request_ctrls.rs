//! A media request's controls (`V4L2_CTRL_WHICH_REQUEST_VAL`) and waits on its fd.
//!
//! S_EXT_CTRLS binds control values to an idle request (`media_request_lock_for_update`
//! refuses a queued or completed one with EBUSY); G_EXT_CTRLS reads them back only once the
//! request completed (`v4l2_g_ext_ctrls_request`: EACCES before). A request fd signals its
//! completion with POLLPRI only: `media_request_poll` ignores a poll that does not ask for
//! it and never wakes it.
//!
//! Which controls a driver needs, and whether a value is valid, is the driver's: results
//! are the kernel's, and a rule is found only where the kernel's errno agrees.

use super::Model;
use super::files::FdObj;
use super::op::CtrlAccess;
use super::request::ReqState;
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome};

impl Model {
    /// S/G/TRY_EXT_CTRLS of request `request_fd` (`None`: the source did not record which).
    pub(super) fn request_controls(
        &mut self,
        access: CtrlAccess,
        count: u32,
        request_fd: Option<i32>,
        forced: Option<Outcome>,
    ) -> Outcome {
        let op = access.ioctl_name();
        if !self.policy.has_requests() {
            // No Request API: `which` is an unknown control class.
            let pred = forced.unwrap_or(Err(Errno::EINVAL));
            return self.decide(op, None, pred.map_err(|e| (e, None)), forced);
        }
        let req = request_fd.and_then(|fd| match self.fds.get(fd) {
            FdObj::Request(id) => Some(id),
            _ => None,
        });
        let state = req
            .and_then(|id| self.requests.get(id as usize))
            .map(|r| r.state);
        let agrees = |e: Errno| forced.is_none_or(|f| f == Err(e));
        let pred = match (access, state) {
            (CtrlAccess::Set | CtrlAccess::Try, Some(s)) if s != ReqState::Idle => {
                if agrees(Errno::EBUSY) {
                    self.find(RuleId::R26, None, None, None, FindingDetail::None);
                }
                Err((Errno::EBUSY, None))
            }
            (CtrlAccess::Get, Some(s)) if s != ReqState::Complete => {
                if agrees(Errno::EACCES) {
                    self.find(
                        RuleId::R29,
                        None,
                        None,
                        None,
                        FindingDetail::State(req_state_str(s)),
                    );
                }
                Err((Errno::EACCES, None))
            }
            // A request fd the model does not know, or none recorded: the kernel's answer.
            (_, None) if request_fd.is_some() && !self.lenient => Err((Errno::EINVAL, None)),
            _ => Ok(()),
        };
        // Whether each control and value is valid is the driver's to say.
        let pred = match forced {
            Some(f) if self.lenient => f.map_err(|e| (e, None)),
            _ => pred,
        };
        self.decide(op, None, pred, forced)?;
        if access == CtrlAccess::Set {
            self.requests_version += 1;
            match req.and_then(|id| self.requests.get_mut(id as usize)) {
                Some(r) => r.ctrls += count,
                // strace does not print `request_fd`: the values go with the request the
                // application queues next, as its buffer does.
                None if request_fd.is_none() => self.unbound_ctrls += count,
                None => {}
            }
        }
        Ok(())
    }

    /// poll()/select() on `fd` asking for `events`: on a request fd without POLLPRI the
    /// wait can never end by the request's completion (R31); an empty mask is a slot the
    /// application disabled, not a wait. POLLPRI returned says the request completed,
    /// whatever the model thought of its buffers.
    pub(super) fn poll(&mut self, fd: i32, events: u16, revents: u16) -> Outcome {
        use crate::v4l2::poll::PRI;
        // Sources write waits on request fds only: in a trace, an fd the model has not seen
        // made (strace prints ALLOC's fd as a pointer; an epoll registration may come before
        // the request's first ioctl) is taken as an idle request.
        let id = match self.fds.get(fd) {
            FdObj::Request(id) => id,
            FdObj::Free if self.lenient && self.policy.has_requests() => self.new_request(fd),
            _ => return Ok(()),
        };
        if revents & PRI != 0
            && let Some(r) = self.requests.get_mut(id as usize)
            && r.state == ReqState::Queued
        {
            r.state = ReqState::Complete;
            self.requests_version += 1;
        }
        if self.policy.has_requests() && events != 0 && events & PRI == 0 {
            self.find(
                RuleId::R31,
                None,
                None,
                None,
                FindingDetail::Poll { fd, events },
            );
        }
        Ok(())
    }
}

fn req_state_str(s: ReqState) -> &'static str {
    match s {
        ReqState::Idle => "IDLE",
        ReqState::Queued => "QUEUED",
        ReqState::Complete => "COMPLETE",
    }
}
