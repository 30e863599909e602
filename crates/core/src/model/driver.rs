//! The driver side: `vb2_buffer_done` and the simulated driver's behaviour switches.

use super::state::BufState;
use super::{DoneRec, Effect, KMsg, Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::DriverCfg;
use crate::v4l2::QueueKey;
use crate::v4l2::{DoneState, MemopKind, Outcome};

impl Model {
    /// The driver completes a buffer (`index`, or the oldest ACTIVE one).
    pub(super) fn buffer_done(&mut self, qi: Qi, index: Option<u32>, state: DoneState) -> Outcome {
        let Some(q) = self.queues.get(qi) else {
            return Ok(());
        };
        let key = q.key;
        let Some(i) = index.or_else(|| q.oldest_active()) else {
            self.find(RuleId::R10, Some(key), None, None, FindingDetail::None);
            return Ok(());
        };
        let was_active = q.buf(i).is_some_and(|b| b.state == BufState::Active);
        self.buffer_done_inner(qi, i, state, false);
        if state != DoneState::Error {
            self.abort_on_completion(qi, i);
        }
        // Only a buffer the driver had: a completion out of place is R10's, not a result.
        if state == DoneState::Done && was_active {
            self.done_after_last(qi, i);
        }
        Ok(())
    }

    /// `vb2_buffer_done`. `inferred`: a consequence of another step, reported in
    /// [`super::Effects::done`].
    pub(super) fn buffer_done_inner(&mut self, qi: Qi, i: u32, state: DoneState, inferred: bool) {
        let policy = self.policy;
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let key = q.key;
        let cur = q.buf(i).map(|b| b.state);
        if cur != Some(BufState::Active) {
            let s = cur.map(BufState::as_str).unwrap_or("not allocated");
            self.find(
                RuleId::R10,
                Some(key),
                Some(i),
                None,
                FindingDetail::State(s),
            );
            if policy.warns_active_after_stop() && cur.is_some() {
                self.msg(qi, KMsg::BufferDoneNotActive(i));
            }
            return;
        }
        if state == DoneState::Queued && policy.prepared_is_state() {
            // 3.6/3.8 only accept DONE and ERROR and ignore anything else.
            return;
        }
        let old_finish = policy.prepare_at_buf_queue();
        let Some(b) = q.buf_mut(i) else { return };
        let np = b.planes.len();
        let synced = b.synced;
        b.last = state == DoneState::Last;
        b.state = match state {
            DoneState::Done | DoneState::Last => BufState::Done,
            DoneState::Error => BufState::Error,
            DoneState::Queued => BufState::Queued,
        };
        if state != DoneState::Queued {
            b.synced = false;
            q.done_list.push_back(i);
        }
        q.owned_by_drv = q.owned_by_drv.saturating_sub(1);
        self.request_buffer_finished(qi, i);
        if inferred {
            self.fx.push(Effect::Done(DoneRec {
                queue: key,
                index: i,
                state,
            }));
        }
        if state != DoneState::Queued && (synced || old_finish) {
            for p in 0..np {
                self.memop(qi, i, p, MemopKind::Finish);
            }
        }
    }

    pub(super) fn driver_cfg(&mut self, qi: Qi, cfg: DriverCfg) {
        let has_queue_error = self.policy.has_queue_error();
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        match cfg {
            DriverCfg::KeepOnStop(k) => q.driver.keep_on_stop = k,
            DriverCfg::FailStart { keep } => q.driver.fail_start = Some(keep),
            DriverCfg::MinQueued(n) => q.min_queued = n,
            DriverCfg::QueueError if !has_queue_error => {}
            DriverCfg::QueueError => {
                q.error = true;
                q.error_inferred = false;
                q.error_calls = 0;
            }
            DriverCfg::Format { planes, size } => {
                if q.num_buffers() == 0 {
                    q.num_planes = planes.clamp(1, crate::v4l2::MAX_PLANES as u8);
                    q.plane_size = size;
                    q.size_known = true;
                }
            }
        }
    }
}

impl Model {
    /// The kernel reported a buffer's plane lengths (a QUERYBUF) while no memory is tied to
    /// it: those are the sizes `queue_setup` gave, which a trace that never showed the format
    /// does not otherwise tell. The queue keeps one size, the smallest.
    pub fn observe_plane_lengths(&mut self, key: QueueKey, index: u32, lens: &[u32]) {
        let Some(q) = self.qi_of(key).and_then(|qi| self.queues.get_mut(qi)) else {
            return;
        };
        let Some(min) = lens.iter().copied().filter(|&l| l > 0).min() else {
            return;
        };
        let (size_known, mmap) = (q.size_known, q.memory == Some(super::Memory::Mmap));
        let Some(b) = q.buf_mut(index) else {
            return;
        };
        if b.planes
            .iter()
            .any(|p| p.userptr != 0 || p.dbuf.is_some() || p.handle_inferred)
            || lens.len() > crate::v4l2::MAX_PLANES
        {
            return;
        }
        if b.planes.len() != lens.len() {
            // QUERYBUF's `length` is the buffer's plane count: the format the trace never
            // showed had that many planes.
            if size_known {
                return;
            }
            let first = b.planes.len();
            b.planes.resize_with(lens.len(), Default::default);
            for (p, pl) in b.planes.iter_mut().enumerate().skip(first) {
                pl.mem_offset = super::mem_offset_cookie(index, p as u32);
                pl.inferred.allocated = mmap;
            }
        }
        for (p, &len) in b.planes.iter_mut().zip(lens) {
            p.length = len;
            p.length_observed = true;
        }
        q.num_planes = lens.len() as u8;
        q.plane_size = min;
        q.size_known = true;
        self.repredict_offsets(key);
    }
}
