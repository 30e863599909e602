//! A queue in error (`vb2_queue_error`): after a fatal error the driver reports, QBUF and
//! DQBUF fail with EIO until STREAMOFF or REQBUFS resets the queue.
//!
//! No tracepoint or kernel message shows the driver's call, so an EIO the kernel gives on a
//! streaming queue is taken as the sign of it; the next result settles whether it was (a
//! QBUF's EIO may also be the driver's `buf_prepare`, after which the queue goes on).

use super::{Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome};

impl Model {
    /// Before a QBUF or DQBUF on queue `qi` is predicted: the kernel's answer, when the
    /// trace has it, says whether the queue is in error; a call made on a queue in error
    /// is counted, and the third (a loop on EIO) is R45.
    pub(super) fn settle_queue_error(&mut self, qi: Qi, forced: Option<Outcome>) {
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        match forced {
            Some(Err(Errno::EIO)) if !q.error && q.streaming => {
                q.error = true;
                q.error_inferred = true;
                q.error_calls = 0;
            }
            Some(Ok(())) if q.error && q.error_inferred => {
                q.error = false;
                q.error_inferred = false;
                q.error_calls = 0;
            }
            _ => {}
        }
        if !q.error {
            return;
        }
        q.error_calls = q.error_calls.saturating_add(1);
        let (key, calls) = (q.key, q.error_calls);
        if calls == 3 && self.policy.has_queue_error() {
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
