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
}

impl Model {
    /// DQEVENT gave SOURCE_CHANGE on device `dev`: mid-stream when its CAPTURE streams.
    pub(super) fn resolution_change(&mut self, dev: u16) {
        let Some(capture) = self
            .queues
            .iter()
            .find(|q| q.key.dev == dev && !q.key.ty.is_output() && q.streaming)
            .map(|q| q.key)
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
        });
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

    /// The end of the trace: a change still unanswered after the application fed OUTPUT.
    pub(super) fn stalled_changes(&mut self) {
        let (ev, t) = (self.ev, self.t_ns);
        for c in std::mem::take(&mut self.changes) {
            if !c.fed {
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
