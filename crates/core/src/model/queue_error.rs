//! A queue in error (`vb2_queue_error`): after a fatal error the driver reports, QBUF,
//! PREPARE_BUF and DQBUF fail with EIO until STREAMOFF or REQBUFS resets the queue.
//!
//! No tracepoint or kernel message shows the driver's call, so an EIO the kernel gives on a
//! streaming queue is taken as the sign of it, and the next result settles it: a call that
//! succeeds, or a DQBUF answered by a check vb2 makes after the error's (EPIPE, EAGAIN, a
//! wait a signal ended), says the queue is not in error (a QBUF's EIO may have been the
//! driver's `buf_prepare`).

use super::{Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome};

/// DQBUFs answered EIO in a row before R45: one tells the application, a loop is a bug.
const LOOP: u32 = 3;

impl Model {
    /// Before a QBUF, PREPARE_BUF (`dqbuf` false) or DQBUF on queue `qi` is predicted: the
    /// kernel's answer, when the trace has it, says whether the queue is in error. DQBUFs
    /// made on a queue in error are counted, and the third (a loop on EIO) is R45.
    pub(super) fn settle_queue_error(&mut self, qi: Qi, forced: Option<Outcome>, dqbuf: bool) {
        if !self.policy.has_queue_error() {
            return;
        }
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let not_in_error = match forced {
            Some(Ok(())) => true,
            Some(Err(Errno::EPIPE | Errno::EAGAIN | Errno::EINTR)) => dqbuf,
            _ => false,
        };
        match forced {
            Some(Err(Errno::EIO)) if !q.error && q.streaming => {
                q.error = true;
                q.error_inferred = true;
                q.error_calls = 0;
            }
            _ if not_in_error && q.error => {
                q.error = false;
                q.error_inferred = false;
                q.error_calls = 0;
            }
            _ => {}
        }
        if !q.error || !dqbuf {
            return;
        }
        q.error_calls = q.error_calls.saturating_add(1);
        let (key, calls) = (q.key, q.error_calls);
        if calls == LOOP {
            self.find(
                RuleId::R45,
                Some(key),
                None,
                None,
                FindingDetail::Count {
                    have: calls,
                    need: 1,
                },
            );
        }
    }
}
