//! The end of a capture stream: the LAST buffer, vb2's `last_buffer_dequeued` and EPIPE,
//! and the codec commands (DECODER_CMD / ENCODER_CMD) that act on them.
//!
//! vb2 sets `last_buffer_dequeued` when DQBUF returns a buffer with LAST on any capture
//! queue; from then on DQBUF fails with EPIPE before looking at the done list, until
//! STREAMOFF of that queue, or until the driver calls `vb2_clear_last_buffer_dequeued()`
//! (what a START command must do; v4l2-mem2mem's helpers leave it to the driver).

use super::{KMsg, Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, Outcome, codec, flags};

impl Model {
    /// DECODER_CMD / ENCODER_CMD on `fd`. The command's effect on the drain is the driver's;
    /// the model follows only what it does to DQBUF: START re-arms a capture queue that
    /// returned LAST, and a command of unknown kind leaves that open.
    pub(super) fn command(
        &mut self,
        fd: i32,
        cmd: Option<u32>,
        encoder: bool,
        forced: Option<Outcome>,
    ) -> Outcome {
        let fh = self.fh_of(fd).ok_or(Errno::EBADF)?;
        let dev = self.fds.fhs.dev(fh).unwrap_or(0);
        // STOP and START are a stateful decoder's (a stateless one takes only FLUSH).
        if !encoder
            && matches!(cmd, Some(codec::CMD_STOP | codec::CMD_START))
            && forced.is_none_or(|r| r.is_ok())
        {
            self.note_decoder(dev);
        }
        // Whether a command is accepted is the driver's call (an unknown command, a
        // decoder's command on an encoder, a node with no codec): the kernel's answer stands.
        // Without one, the drain helpers' answer.
        let pred = match forced {
            Some(Err(e)) => Err((e, None)),
            Some(Ok(())) => Ok(()),
            None => self.command_prediction(dev, cmd).map_err(|e| (e, None)),
        };
        let r = self.decide("codec command", None, pred, forced);
        self.drain_command(dev, cmd, r);
        // FLUSH returns a held CAPTURE buffer.
        if r.is_ok() && cmd == Some(codec::DEC_CMD_FLUSH) {
            for qi in self.qis_on(dev).to_vec() {
                if let Some(q) = self.queues.get_mut(qi) {
                    q.hold_last = false;
                }
            }
        }
        r?;
        if cmd == Some(codec::CMD_START) && !encoder {
            self.resolution_resumed(dev);
        }
        for qi in self.qis_on(dev).to_vec() {
            let Some(q) = self.queues.get_mut(qi) else {
                continue;
            };
            if q.key.ty.is_output() || !q.codec.last_dequeued {
                continue;
            }
            match cmd {
                Some(codec::CMD_START) => {
                    q.codec.last_dequeued = false;
                    q.codec.last_seen = false;
                    q.codec.restarted = true;
                    q.codec.epipes = 0;
                }
                Some(_) => {}
                // Perhaps a START: the EPIPEs after it are not the application's loop.
                None => {
                    q.codec.unsure = true;
                    q.codec.epipes = 0;
                }
            }
        }
        Ok(())
    }

    /// VIDIOC_DQEVENT on `fd`: whether an event was pending is the kernel's answer (the
    /// model keeps no event queue). A SOURCE_CHANGE during a drain is noted: the restart
    /// that follows it clears the drain (R34).
    pub(super) fn dqevent(&mut self, fd: i32, ty: Option<u32>, forced: Option<Outcome>) -> Outcome {
        let fh = self.fh_of(fd).ok_or(Errno::EBADF)?;
        let dev = self.fds.fhs.dev(fh).unwrap_or(0);
        let pred = match forced {
            Some(Err(e)) => Err((e, None)),
            _ => Ok(()),
        };
        self.decide("VIDIOC_DQEVENT", None, pred, forced)?;
        if ty == Some(codec::EVENT_SOURCE_CHANGE) {
            self.note_decoder(dev);
            self.drain_on_source_change(dev);
            self.resolution_change(dev);
        }
        Ok(())
    }

    /// A buffer queued on queue `qi` (directly or into a request): on an OUTPUT queue,
    /// whether its reply kept HOLD_CAPTURE_BUF.
    pub(super) fn note_hold(&mut self, qi: super::Qi, index: u32) {
        let hold = self
            .seen
            .flags
            .is_some_and(|f| f & flags::M2M_HOLD_CAPTURE_BUF != 0);
        if let Some(q) = self.queues.get_mut(qi)
            && q.key.ty.is_output()
        {
            q.hold_last = hold;
            // The application asked to hold, the reply says the kernel dropped it, and the
            // queue's capabilities say it cannot hold (R42). A buffer prepared before keeps
            // its PREPARE_BUF flags whatever QBUF asks: no capability, no finding.
            let asked = self
                .seen
                .flags_in
                .is_some_and(|f| f & flags::M2M_HOLD_CAPTURE_BUF != 0);
            let cannot = q
                .caps
                .is_some_and(|c| c & crate::v4l2::caps::SUPPORTS_M2M_HOLD_CAPTURE_BUF == 0);
            if asked && cannot && self.seen.flags.is_some() && !hold {
                let key = q.key;
                self.find(
                    RuleId::R42,
                    Some(key),
                    Some(index),
                    None,
                    FindingDetail::None,
                );
            }
        }
    }

    /// STREAMOFF of queue `qi`, or its release: an OUTPUT queue whose last buffer held its
    /// CAPTURE buffer, with no FLUSH since, leaves the last frame undelivered (R43).
    pub(super) fn held_at_end(&mut self, qi: super::Qi) {
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        if !q.key.ty.is_output() || !std::mem::take(&mut q.hold_last) {
            return;
        }
        let key = q.key;
        self.find(RuleId::R43, Some(key), None, None, FindingDetail::None);
    }

    /// Device `dev` is a stateful decoder: it took a DECODER_CMD or reported a source change.
    fn note_decoder(&mut self, dev: u16) {
        self.decoders.insert(dev);
    }

    /// A CAPTURE plane of a decoder given other memory while its queue streams (R16 just
    /// found it): the decoder may still use the old memory as a reference frame (R44).
    pub(super) fn decoder_capture_moved(&mut self, qi: super::Qi, index: u32, plane: u8) {
        let Some(q) = self.queues.get(qi) else { return };
        let key = q.key;
        // A source change alone also comes from HDMI receivers: only an M2M node decodes.
        if key.ty.is_output()
            || !q.streaming
            || !self.decoders.contains(&key.dev)
            || !self.is_m2m(qi)
        {
            return;
        }
        self.find(
            RuleId::R44,
            Some(key),
            Some(index),
            Some(plane),
            FindingDetail::None,
        );
    }

    /// Queue `qi` when it is a capture queue under a policy with LAST: the one whose
    /// end-of-stream state DQBUF follows.
    fn capture_codec(&mut self, qi: Qi) -> Option<&mut super::Queue> {
        let has_last = self.policy.has_last_buffer();
        self.queues
            .get_mut(qi)
            .filter(|q| has_last && !q.key.ty.is_output())
    }

    /// What DQBUF would answer from the end-of-stream state alone: EPIPE after LAST.
    /// `None` when it would go on to the done list (or the state is not known).
    pub(super) fn epipe_prediction(&self, qi: Qi) -> Option<(Errno, Option<KMsg>)> {
        let q = self.queues.get(qi)?;
        (self.policy.has_last_buffer() && q.codec.last_dequeued && !q.codec.unsure)
            .then_some((Errno::EPIPE, Some(KMsg::LastBufferDequeued)))
    }

    /// Before a DQBUF's result is compared, the kernel's answer settles the end-of-stream
    /// state: a buffer, EAGAIN or EINTR say `last_buffer_dequeued` was clear (a START the
    /// driver honoured, a LAST the model never saw); EPIPE says it was set (a LAST before
    /// the trace began). An EPIPE after a START that should have re-armed the queue is the
    /// driver's fault (R49), not a divergence. EINVAL, EBUSY and EIO come before the flag in
    /// vb2's checks and say nothing of it.
    pub(super) fn settle_epipe(&mut self, qi: Qi, forced: Option<Outcome>) {
        let Some(q) = self.capture_codec(qi) else {
            return;
        };
        let key = q.key;
        match forced {
            Some(Ok(())) | Some(Err(Errno::EAGAIN)) | Some(Err(Errno::EINTR)) => {
                q.codec.unsure = false;
                q.codec.last_dequeued = false;
                q.codec.last_seen = false;
            }
            Some(Err(Errno::EPIPE)) => {
                q.codec.unsure = false;
                let restarted = std::mem::take(&mut q.codec.restarted);
                let was = std::mem::replace(&mut q.codec.last_dequeued, true);
                if restarted && !was {
                    self.find(RuleId::R49, Some(key), None, None, FindingDetail::None);
                }
            }
            _ => {}
        }
    }

    /// After a DQBUF: a LAST buffer ends the stream; each EPIPE is counted, and a loop of
    /// them (the third in a row) is reported once.
    pub(super) fn after_dqbuf(&mut self, qi: Qi, result: Result<u32, Errno>) {
        let Some(q) = self.capture_codec(qi) else {
            return;
        };
        let key = q.key;
        match result {
            Ok(f) if f & (flags::LAST | flags::ERROR) == 0 => {
                let dev = key.dev;
                if self.seen.bytesused != Some(0) {
                    self.capture_result(dev, false);
                }
                // A source change alone also comes from HDMI receivers: only an M2M node
                // decodes.
                if self.seen.bytesused == Some(0) && self.decoders.contains(&dev) && self.is_m2m(qi)
                {
                    self.find(
                        RuleId::R39,
                        Some(key),
                        self.seen.index,
                        None,
                        FindingDetail::None,
                    );
                }
            }
            Ok(f) if f & flags::LAST != 0 => {
                q.codec.last_dequeued = true;
                q.codec.last_seen = true;
                q.codec.restarted = false;
                q.codec.epipes = 0;
                self.drain_on_last(key.dev);
                self.capture_result(key.dev, true);
            }
            Err(Errno::EPIPE) => {
                q.codec.epipes = q.codec.epipes.saturating_add(1);
                if q.codec.epipes == 3 {
                    self.find(
                        RuleId::R32,
                        Some(key),
                        None,
                        None,
                        FindingDetail::Count { have: 3, need: 1 },
                    );
                }
            }
            _ => {}
        }
    }

    /// The driver completed buffer `index` of capture queue `qi` with a result after the
    /// LAST buffer was dequeued and before any restart (STREAMOFF, START, or a DQBUF that
    /// showed the queue re-armed): a frame after the end of the stream (R46). Only after
    /// the LAST of a drain whose STOP the trace showed: a source that shows STOP shows a
    /// START too (a kernel capture alone shows neither), and a resolution change's LAST may
    /// be followed by a START the spec allows. A command of unknown kind since the LAST
    /// buffer may have been a START: nothing is said then.
    pub(super) fn done_after_last(&mut self, qi: Qi, index: u32) {
        let Some(q) = self.capture_codec(qi) else {
            return;
        };
        if !q.codec.last_seen || q.codec.unsure || q.codec.restarted {
            return;
        }
        let key = q.key;
        let stopped = self
            .drain(key.dev)
            .is_some_and(|d| d.phase == super::DrainPhase::Stopped);
        if !stopped {
            return;
        }
        self.find(
            RuleId::R46,
            Some(key),
            Some(index),
            None,
            FindingDetail::None,
        );
    }

    /// STREAMOFF of a queue (`vb2_core_streamoff`) clears `last_buffer_dequeued`.
    pub(super) fn clear_last(&mut self, qi: Qi) {
        if let Some(q) = self.queues.get_mut(qi) {
            q.codec = Default::default();
        }
    }

    /// A QBUF whose reply says the buffer is already DONE (and not QUEUED): the driver
    /// completed it inside the QBUF, as the immediate LAST buffer of a drain does
    /// (`v4l2_m2m_last_buffer_done`, `force_last_buf_done`). Believed as shown: the buffer
    /// is on the done list.
    pub fn qbuf_came_back_done(&mut self, key: crate::v4l2::QueueKey, index: u32, f: u32) {
        if self.observe_completed(key, index, f)
            && f & flags::LAST != 0
            && self.policy.has_last_buffer()
        {
            self.find(
                RuleId::R37,
                Some(key),
                Some(index),
                None,
                FindingDetail::None,
            );
        }
    }

    /// The kernel shows buffer `index` completed (a QBUF's DONE reply, a DQBUF that
    /// returned it) while the model holds it QUEUED or ACTIVE: the driver had it, and is
    /// done with it. Returns whether the model completed it now.
    pub fn observe_completed(&mut self, key: crate::v4l2::QueueKey, index: u32, f: u32) -> bool {
        let Some(qi) = self.qi_of(key) else {
            return false;
        };
        let m2m = self.is_m2m(qi);
        let Some(q) = self.queues.get_mut(qi) else {
            return false;
        };
        let Some(b) = q.buf_mut(index) else {
            return false;
        };
        match b.state {
            // Forced to the driver first (`force_last_buf_done`): an M2M device's way. On
            // another device a QUEUED buffer coming back says the policy's start is not
            // this kernel's, which the comparison must see.
            super::BufState::Queued if m2m => {
                b.state = super::BufState::Active;
                q.owned_by_drv += 1;
            }
            super::BufState::Active => {}
            _ => return false,
        }
        let state = if f & flags::ERROR != 0 {
            crate::v4l2::DoneState::Error
        } else if f & flags::LAST != 0 {
            crate::v4l2::DoneState::Last
        } else {
            crate::v4l2::DoneState::Done
        };
        self.buffer_done_inner(qi, index, state, false);
        true
    }
}
