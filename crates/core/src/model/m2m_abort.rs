//! v4l2-mem2mem's aborted context. `v4l2_m2m_streamoff` cancels the context's job, which
//! sets `TRANS_ABORT`, before vb2 looks at the call, and clears the job flags only when
//! vb2's STREAMOFF succeeds. A STREAMOFF the kernel refuses (a type the node has not, a
//! busy queue) leaves the context aborted: no job of it runs until a STREAMOFF succeeds.
//!
//! The trace decides: a buffer queued after the refusal that comes back says jobs run (a
//! kernel that fixed it); waits that find nothing while a job is ready, and nothing queued
//! after the refusal coming back before the context is reset, closed or the trace ends,
//! say they do not. Only then is it reported, at that point: a job may just be slow.

use serde::Serialize;

use super::{BufState, Model, Qi, QueueKey};
use crate::policy::Policy;
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome};

/// Waits with nothing coming back, with a job ready, before R48 is reported.
const WAITS: u32 = 3;

/// An M2M context left aborted by a refused STREAMOFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Abort {
    pub dev: u16,
    /// The refused STREAMOFF.
    pub since_ev: u32,
    /// `Model::qseq` then: buffers queued later that complete prove jobs run.
    qseq: u64,
    waits: u32,
    /// The queue of the last empty wait, where the finding goes.
    key: Option<crate::v4l2::QueueKey>,
}

impl Model {
    /// After a STREAMOFF on queue `qi` with result `r`.
    pub(super) fn abort_on_streamoff(&mut self, qi: Qi, r: Outcome) {
        if let Some(dev) = self.queues.get(qi).map(|q| q.key.dev) {
            self.abort_on_refused_streamoff(dev, r);
        }
    }

    /// After a STREAMOFF on device `dev` with result `r` (on any of its types, one it has
    /// or not).
    pub(super) fn abort_on_refused_streamoff(&mut self, dev: u16, r: Outcome) {
        match r {
            Ok(()) => self.abort_ends(dev),
            // EFAULT, EBUSY (priority), EINTR come before v4l2_m2m_streamoff; EINVAL is
            // vb2_streamoff's own refusal, after the job was cancelled.
            Err(e) if e != Errno::EINVAL => {}
            Err(_) => {
                let m2m = self.is_m2m_dev(dev);
                let linux = matches!(self.policy, Policy::Linux(_));
                if m2m && linux && !self.m2m_aborts.iter().any(|a| a.dev == dev) {
                    self.m2m_aborts.push(Abort {
                        dev,
                        since_ev: self.ev,
                        qseq: self.qseq,
                        waits: 0,
                        key: None,
                    });
                }
            }
        }
    }

    /// Buffer `index` of queue `qi` came back (a DQBUF, the driver's completion): if it was
    /// queued after the refusal, a job ran and the context is not aborted.
    pub(super) fn abort_on_completion(&mut self, qi: Qi, index: u32) {
        let Some(q) = self.queues.get(qi) else { return };
        let (dev, qseq) = (q.key.dev, q.buf(index).map_or(0, |b| b.qseq));
        self.m2m_aborts.retain(|a| a.dev != dev || qseq <= a.qseq);
    }

    /// A DQBUF on queue `qi` that found nothing (EAGAIN, or a wait a signal ended).
    pub(super) fn abort_on_empty_wait(&mut self, qi: Qi) {
        let Some(key) = self.queues.get(qi).map(|q| q.key) else {
            return;
        };
        // A drained context runs no job either ("Device has stopped"): no evidence then.
        let stopped = self.drain(key.dev).is_some_and(|d| {
            matches!(
                d.phase,
                super::DrainPhase::Stopped | super::DrainPhase::Unknown
            )
        });
        let ready = self.job_ready(key.dev) && !stopped;
        if let Some(a) = self.m2m_aborts.iter_mut().find(|a| a.dev == key.dev)
            && ready
        {
            a.waits += 1;
            a.key = Some(key);
        }
    }

    /// The context `dev` closed: nothing of it is left.
    pub(super) fn abort_on_release(&mut self, dev: u16) {
        self.abort_ends(dev);
    }

    /// The end of the trace: contexts still aborted, and resolution changes never
    /// answered, are judged.
    pub fn finish(&mut self) {
        let devs: Vec<u16> = self.m2m_aborts.iter().map(|a| a.dev).collect();
        for dev in devs {
            self.abort_ends(dev);
        }
        self.stalled_changes();
    }

    /// The abort of `dev` is over (a STREAMOFF succeeded, the context closed, the trace
    /// ended): R48 when the application waited for jobs that never ran.
    fn abort_ends(&mut self, dev: u16) {
        let Some(pos) = self.m2m_aborts.iter().position(|a| a.dev == dev) else {
            return;
        };
        let a = self.m2m_aborts.swap_remove(pos);
        if a.waits >= WAITS {
            self.find(
                RuleId::R48,
                a.key,
                None,
                None,
                FindingDetail::Count {
                    have: a.since_ev,
                    need: a.waits,
                },
            );
        }
    }

    /// The driver completed buffer `index` of queue `key` DONE, from its own thread, while a
    /// STREAMOFF of that queue was under way on an M2M context (the replay judges both): the
    /// result of the job STREAMOFF waited for (`v4l2_m2m_cancel_job`), which it drops with
    /// the queue (R41).
    pub fn result_dropped_by_streamoff(&mut self, key: QueueKey, index: u32, ev: u32, t: u64) {
        self.ev_at(ev, t);
        self.find(
            RuleId::R41,
            Some(key),
            Some(index),
            None,
            FindingDetail::None,
        );
    }

    /// Both an OUTPUT and a CAPTURE queue of `dev` have buffers: an M2M context.
    pub fn is_m2m_dev(&self, dev: u16) -> bool {
        let side = |output: bool| {
            self.queues_on(dev)
                .any(|q| q.key.ty.is_output() == output && q.num_buffers() > 0)
        };
        side(true) && side(false)
    }

    /// Both queues of `dev` stream and hold a buffer for the driver: v4l2-mem2mem would
    /// schedule a job.
    fn job_ready(&self, dev: u16) -> bool {
        let side = |output: bool| {
            self.queues_on(dev).any(|q| {
                q.key.ty.is_output() == output
                    && q.streaming
                    && q.iter()
                        .any(|(_, b)| matches!(b.state, BufState::Queued | BufState::Active))
            })
        };
        side(true) && side(false)
    }
}
