//! A stateful decoder's dynamic resolution change, followed to its restart (R38). After a
//! SOURCE_CHANGE while CAPTURE streams, the decoder decodes nothing until the application
//! restarts CAPTURE (STREAMOFF and STREAMON of it) or sends DECODER_CMD START. A STREAMOFF
//! of OUTPUT aborts the sequence (the spec's seek), and closing the context ends it.

use super::{Model, QueueKey};
use crate::rules::{FindingDetail, RuleId};

/// A resolution change the application has not yet answered.
#[derive(Clone, Copy, Debug)]
pub struct PendingChange {
    dev: u16,
    capture: QueueKey,
    /// The DQEVENT that reported it.
    ev: u32,
    t_ns: u64,
    /// OUTPUT buffers were queued after it: the application went on decoding.
    fed: bool,
    /// The change's LAST buffer was dequeued.
    last: bool,
    /// Pictures dequeued from CAPTURE since the event, and how many the queue could have
    /// held from before the change.
    pictures: u32,
    limit: u32,
}

impl Model {
    /// DQEVENT gave SOURCE_CHANGE on device `dev`: mid-stream when its CAPTURE streams.
    /// Only an M2M node decodes: an HDMI receiver's source change is not this.
    pub(super) fn resolution_change(&mut self, dev: u16) {
        if !self.is_m2m_dev(dev) {
            return;
        }
        let Some((capture, limit)) = self
            .queues_on(dev)
            .find(|q| !q.key.ty.is_output() && q.streaming)
            .map(|q| (q.key, q.num_buffers()))
        else {
            return;
        };
        self.changes.retain(|c| c.dev != dev);
        self.changes.push(PendingChange {
            dev,
            capture,
            ev: self.ev,
            t_ns: self.t_ns,
            fed: false,
            last: false,
            pictures: 0,
            limit,
        });
    }

    /// CAPTURE of `dev` gave a buffer: `last` its LAST flag, else a picture (not empty).
    /// A picture after the change's LAST, or more pictures than the queue could hold from
    /// before the change, shows the decoder went on: nothing is stalled.
    pub(super) fn capture_result(&mut self, dev: u16, last: bool) {
        let Some(c) = self.changes.iter_mut().find(|c| c.dev == dev) else {
            return;
        };
        if last {
            c.last = true;
            return;
        }
        c.pictures = c.pictures.saturating_add(1);
        if c.last || c.pictures > c.limit {
            self.resolution_resumed(dev);
        }
    }

    /// An OUTPUT buffer of `dev` was queued.
    pub(super) fn output_fed(&mut self, dev: u16) {
        if let Some(c) = self.changes.iter_mut().find(|c| c.dev == dev) {
            c.fed = true;
        }
    }

    /// The change on `dev` was answered (CAPTURE restarted, START), aborted (OUTPUT
    /// stopped) or ended (the context closed).
    pub(super) fn resolution_resumed(&mut self, dev: u16) {
        self.changes.retain(|c| c.dev != dev);
    }

    /// The end of the trace: a change still unanswered after the application fed OUTPUT,
    /// its CAPTURE queue still streaming (a close of the owner stops it too).
    pub(super) fn stalled_changes(&mut self) {
        let (ev, t) = (self.ev, self.t_ns);
        for c in std::mem::take(&mut self.changes) {
            let streaming = self.queue(c.capture).is_some_and(|q| q.streaming);
            if !c.fed || !streaming {
                continue;
            }
            self.ev_at(c.ev, c.t_ns);
            self.find(
                RuleId::R38,
                Some(c.capture),
                None,
                None,
                FindingDetail::None,
            );
        }
        self.ev_at(ev, t);
    }
}
