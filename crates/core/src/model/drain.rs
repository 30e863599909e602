//! The drain of a codec context: v4l2-mem2mem's `is_draining`, `next_buf_last` and
//! `has_stopped`, as far as the trace shows them.
//!
//! A STOP command the driver accepted starts a drain; the LAST buffer the application
//! dequeues ends it; a START, or a STREAMOFF of a CAPTURE queue that had started
//! (`v4l2_m2m_update_stop_streaming_state` clears the state), resets the context. Whether a
//! command is accepted is always the kernel's answer: drivers implement `decoder_cmd`
//! themselves, and not all use the helpers. A command the source printed only as a
//! pointer leaves the phase unknown, and no rule is drawn from an unknown phase.

use serde::Serialize;

use super::{Model, Qi};
use crate::policy::Policy;
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, QueueKey, codec};

/// Where a codec context is in the drain sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum DrainPhase {
    /// Decoding or encoding: no STOP in effect.
    #[default]
    Running,
    /// STOP accepted, the LAST buffer not dequeued yet.
    Draining,
    /// The LAST buffer was dequeued: the context stays stopped until START or a restart of
    /// its CAPTURE queue.
    Stopped,
    /// A codec command of unknown kind came: the phase is not known until a LAST buffer or
    /// a restart shows it.
    Unknown,
}

impl DrainPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            DrainPhase::Running => "running",
            DrainPhase::Draining => "draining",
            DrainPhase::Stopped => "stopped",
            DrainPhase::Unknown => "unknown",
        }
    }
}

/// One codec context's drain state (an M2M device node's open, or a device).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Drain {
    pub dev: u16,
    pub phase: DrainPhase,
    /// A SOURCE_CHANGE event was dequeued during the drain.
    pub source_change: bool,
}

/// How a drain ended before its LAST buffer (R33/R34).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainEnd {
    /// STREAMOFF of the CAPTURE queue.
    Streamoff,
    /// The context's last file handle was closed.
    Close,
}

impl Model {
    /// The drain state of device `dev`, if a codec command ever reached it.
    pub fn drain(&self, dev: u16) -> Option<&Drain> {
        self.drains.get(*self.drain_at.get(&dev)?)
    }

    fn drain_mut(&mut self, dev: u16) -> &mut Drain {
        self.drains_version += 1;
        let pos = match self.drain_at.get(&dev) {
            Some(&p) => p,
            None => {
                self.drains.push(Drain {
                    dev,
                    phase: DrainPhase::Running,
                    source_change: false,
                });
                self.drain_at.insert(dev, self.drains.len() - 1);
                self.drains.len() - 1
            }
        };
        &mut self.drains[pos]
    }

    /// The CAPTURE queue of device `dev`: where drain findings are placed.
    fn capture_key(&self, dev: u16) -> Option<QueueKey> {
        self.queues_on(dev)
            .find(|q| !q.key.ty.is_output())
            .map(|q| q.key)
    }

    pub(super) fn streams(&self, dev: u16, output: bool) -> bool {
        self.queues_on(dev)
            .any(|q| q.key.ty.is_output() == output && q.streaming)
    }

    /// What the drain helpers answer to a command, when the trace does not say:
    /// STOP or START during a drain is refused with EBUSY.
    pub(super) fn command_prediction(&self, dev: u16, cmd: Option<u32>) -> Result<(), Errno> {
        let draining = self
            .drain(dev)
            .is_some_and(|d| d.phase == DrainPhase::Draining);
        match cmd {
            Some(codec::CMD_STOP | codec::CMD_START) if draining => Err(Errno::EBUSY),
            _ => Ok(()),
        }
    }

    /// A codec command's result on device `dev`, as the kernel gave it.
    pub(super) fn drain_command(&mut self, dev: u16, cmd: Option<u32>, r: Result<(), Errno>) {
        if !self.policy.has_last_buffer() {
            return;
        }
        let phase = self.drain(dev).map_or(DrainPhase::Running, |d| d.phase);
        match (cmd, r) {
            (Some(codec::CMD_STOP), Ok(())) => match phase {
                // `has_stopped`: a STOP after the LAST buffer is a no-op.
                DrainPhase::Stopped | DrainPhase::Draining => {}
                DrainPhase::Running | DrainPhase::Unknown => {
                    let both = self.streams(dev, true) && self.streams(dev, false);
                    if phase == DrainPhase::Running && !both {
                        let key = self.capture_key(dev);
                        self.find(RuleId::R35, key, None, None, FindingDetail::None);
                        // The spec starts no drain; the helpers do (a LAST that comes
                        // anyway is believed).
                        if self.policy == Policy::Spec {
                            return;
                        }
                    }
                    let d = self.drain_mut(dev);
                    d.phase = DrainPhase::Draining;
                    d.source_change = false;
                }
            },
            (Some(codec::CMD_START), Ok(())) if phase != DrainPhase::Running => {
                self.drain_mut(dev).phase = DrainPhase::Running;
            }
            (Some(c @ (codec::CMD_STOP | codec::CMD_START)), Err(Errno::EBUSY))
                if phase == DrainPhase::Draining =>
            {
                let key = self.capture_key(dev);
                let op = if c == codec::CMD_STOP {
                    "STOP"
                } else {
                    "START"
                };
                self.find(
                    RuleId::R36,
                    key,
                    None,
                    None,
                    FindingDetail::Result {
                        op,
                        expected: Ok(()),
                        actual: r,
                    },
                );
            }
            (None, Ok(())) => self.drain_mut(dev).phase = DrainPhase::Unknown,
            _ => {}
        }
    }

    /// A DQBUF returned the LAST buffer of device `dev`'s CAPTURE queue. After a source
    /// change during a drain, that LAST is the resolution change's (vicodec's
    /// `set_last_buffer` does not stop the context): the drain goes on.
    pub(super) fn drain_on_last(&mut self, dev: u16) {
        let Some(d) = self.drain(dev) else { return };
        let drc = d.phase == DrainPhase::Draining && d.source_change;
        if d.phase == DrainPhase::Stopped || drc {
            return;
        }
        self.drain_mut(dev).phase = DrainPhase::Stopped;
    }

    /// A SOURCE_CHANGE event was dequeued on device `dev`. Only one while CAPTURE streams
    /// is a resolution change in the stream; the first one, before CAPTURE is set up, is the
    /// stream's format being found (a STOP may come before it: v4l2-ctl sends it early).
    pub(super) fn drain_on_source_change(&mut self, dev: u16) {
        let capture_streams = self.streams(dev, false);
        if capture_streams
            && self
                .drain(dev)
                .is_some_and(|d| d.phase == DrainPhase::Draining)
        {
            self.drain_mut(dev).source_change = true;
        }
    }

    /// A successful STREAMOFF of queue `qi`; `started`: the driver's stop_streaming runs.
    /// Stopping a started CAPTURE queue clears the context's drain state; a drain still
    /// running is abandoned.
    pub(super) fn drain_on_streamoff(&mut self, qi: Qi, started: bool) {
        let Some(q) = self.queues.get(qi) else { return };
        let dev = q.key.dev;
        // STREAMOFF and STREAMON of OUTPUT resume a stopped codec (the decoder's seek): what
        // completes after it is the new stream's.
        if q.key.ty.is_output() {
            if self
                .drain(dev)
                .is_some_and(|d| d.phase == DrainPhase::Stopped)
            {
                self.drain_mut(dev).phase = DrainPhase::Running;
            }
            return;
        }
        if !started || self.drain(dev).is_none() {
            return;
        }
        self.drain_ended(dev, DrainEnd::Streamoff);
        self.drain_mut(dev).phase = DrainPhase::Running;
    }

    /// The last file handle of device `dev` was released: its context is gone.
    pub(super) fn drain_on_release(&mut self, dev: u16) {
        if self.drain(dev).is_none() {
            return;
        }
        self.drain_ended(dev, DrainEnd::Close);
        self.drain_mut(dev).phase = DrainPhase::Running;
    }

    /// A drain that ends without its LAST buffer: abandoned (R33), or cancelled by a
    /// resolution change's restart of the CAPTURE queue (R34).
    fn drain_ended(&mut self, dev: u16, how: DrainEnd) {
        let Some(d) = self.drain(dev).copied() else {
            return;
        };
        if d.phase != DrainPhase::Draining {
            return;
        }
        let rule = if d.source_change && how == DrainEnd::Streamoff {
            RuleId::R34
        } else {
            RuleId::R33
        };
        let key = self.capture_key(dev);
        let detail = FindingDetail::State(match how {
            DrainEnd::Streamoff => "STREAMOFF",
            DrainEnd::Close => "close",
        });
        self.find(rule, key, None, None, detail);
    }
}
