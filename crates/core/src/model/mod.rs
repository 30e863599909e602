//! The reference model of vb2: queues, buffers and planes, driven one operation at a time
//! under a chosen [`Policy`]. It does no I/O. Each step returns the result the kernel of that
//! policy would give, and leaves in [`Model::fx`] the memops, kernel messages and driver
//! completions it implies; rule violations go to [`Model::findings`].
//!
//! A step can be *forced* to an observed result: the model then records a `DIVERGE` finding
//! when its prediction differs, and follows what the kernel really did.

mod codec;
mod drain;
mod driver;
mod effects;
mod files;
mod handles;
mod m2m_abort;
mod node_caps;
mod observed;
mod offsets;
mod op;
mod prepare;
mod queue_error;
mod request;
mod request_ctrls;
mod resolution;
mod setup;
mod state;
mod stream;

pub use drain::{Drain, DrainPhase};
pub use effects::{DoneRec, Effect, Effects, KMsg, KMsgRec, MemopRec};
pub use m2m_abort::Abort;
pub use offsets::{DST_QUEUE_OFF_BASE, mem_offset_cookie};
pub use op::{BufTarget, CtrlAccess, Handle, Op, PlaneArg, PlaneArgs, Ret, Seen};
pub use request::{ReqState, Request};
pub use state::{
    BufState, Buffer, Changes, CodecState, DEFAULT_PLANE_SIZE, DmabufId, DriverBehaviour, Plane,
    Queue, Resources,
};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::policy::Policy;
use crate::v4l2::{Errno, MemopKind, Memory, Outcome, QueueKey};

use crate::rules::{Finding, FindingDetail, RuleId};
use files::FdTable;
pub use files::{DmabufIdent, DmabufView};

/// A queue's index in [`Model::queues`].
type Qi = usize;

/// The whole model.
#[derive(Clone, Debug)]
pub struct Model {
    pub policy: Policy,
    /// Accept fds the model has not seen created: an unknown fd passed as a DMABUF is taken
    /// as a dma-buf of unknown size, an unknown video fd as a handle on device 0. For traces
    /// that start mid-session; scenarios run strict.
    pub lenient: bool,
    pub queues: Vec<Queue>,
    /// Each queue's index in `queues` by its key: a trace that opens M2M contexts by the
    /// thousand has that many queues, and every call looks its queue up.
    queue_at: FxHashMap<QueueKey, Qi>,
    /// Each device's queues, in the order made.
    queues_by_dev: FxHashMap<u16, Vec<Qi>>,
    /// The queue each buffer was made on, by its uid.
    queue_of_uid: Vec<Qi>,
    /// Each drain state's index in `drains`, by device.
    drain_at: FxHashMap<u16, usize>,
    /// Media requests, by the index their fds refer to.
    pub requests: Vec<Request>,
    /// Grows whenever a request changes (state, buffers): views sample requests only then.
    pub requests_version: u64,
    /// Control values set into a request the source did not name (strace): the next
    /// request queued takes them.
    unbound_ctrls: u32,
    /// Codec contexts' drain states, one per device a codec command reached.
    pub drains: Vec<Drain>,
    /// Grows whenever a drain state changes.
    pub drains_version: u64,
    /// M2M contexts a refused STREAMOFF left aborted (R48).
    pub m2m_aborts: Vec<Abort>,
    /// Decoders' resolution changes not yet answered by a CAPTURE restart (R38).
    changes: Vec<resolution::PendingChange>,
    /// Each node's `device_caps`, by device, as QUERYCAP showed them.
    node_caps: FxHashMap<u16, u32>,
    /// Devices known to be stateful decoders (a DECODER_CMD taken, a source change).
    decoders: FxHashSet<u16>,
    fds: FdTable,
    /// Effects of the last step.
    pub fx: Effects,
    /// Findings so far, in event order.
    pub findings: Vec<Finding>,
    /// How many steps the kernel's observed result contradicted (DIVERGE findings).
    pub divergences: u32,
    /// Values the kernel chose that the trace showed (counts granted, MMAP offsets), and how
    /// many differ from the policy's prediction. Not findings: evidence for `auto`.
    pub values_observed: u32,
    pub values_unpredicted: u32,
    /// What differed, once per kind, in words (for `auto`'s reason).
    pub value_notes: Vec<String>,
    /// Kernel errors that a driver or allocator callback gave where vb2 itself would have
    /// gone on (reported under their own rules, not as divergences).
    pub driver_refusals: u32,
    /// What the kernel answered in the current step beyond its result.
    seen: Seen,
    /// The trace shows the current step succeeded.
    forced_ok: bool,
    /// The current step's frees are not all seen (a release the trace could not put on a
    /// buffer): memory still held by a freed buffer is then no finding (R13).
    pub unsure_frees: bool,
    ev: u32,
    t_ns: u64,
    qseq: u64,
    next_uid: u32,
}

impl Model {
    pub fn new(policy: Policy) -> Model {
        Model {
            policy,
            lenient: false,
            queues: Vec::new(),
            queue_at: FxHashMap::default(),
            queues_by_dev: FxHashMap::default(),
            queue_of_uid: Vec::new(),
            drain_at: FxHashMap::default(),
            requests: Vec::new(),
            requests_version: 0,
            unbound_ctrls: 0,
            drains: Vec::new(),
            drains_version: 0,
            m2m_aborts: Vec::new(),
            changes: Vec::new(),
            node_caps: FxHashMap::default(),
            decoders: Default::default(),
            fds: FdTable::default(),
            fx: Effects::default(),
            findings: Vec::new(),
            divergences: 0,
            values_observed: 0,
            values_unpredicted: 0,
            value_notes: Vec::new(),
            driver_refusals: 0,
            seen: Seen::default(),
            forced_ok: false,
            unsure_frees: false,
            ev: 0,
            t_ns: 0,
            qseq: 0,
            next_uid: 0,
        }
    }

    /// The queue with this key, if it was ever used.
    pub fn queue(&self, key: QueueKey) -> Option<&Queue> {
        self.queues.get(self.qi_of(key)?)
    }

    /// The index of the queue `key`, if the model has it.
    fn qi_of(&self, key: QueueKey) -> Option<Qi> {
        self.queue_at.get(&key).copied()
    }

    /// The indices of device `dev`'s queues, in the order made.
    fn qis_on(&self, dev: u16) -> &[Qi] {
        self.queues_by_dev.get(&dev).map_or(&[], Vec::as_slice)
    }

    /// Device `dev`'s queues, in the order made.
    fn queues_on(&self, dev: u16) -> impl Iterator<Item = &Queue> {
        self.qis_on(dev)
            .iter()
            .filter_map(|&qi| self.queues.get(qi))
    }

    /// The live buffer `uid`, if it still is.
    fn buf_by_uid_mut(&mut self, uid: u32) -> Option<&mut state::Buffer> {
        let qi = *self.queue_of_uid.get(uid as usize)?;
        self.queues.get_mut(qi)?.buf_by_uid_mut(uid)
    }

    /// Applies one operation at event number `ev`, time `t_ns`. With `forced`, the kernel's
    /// observed result wins over the prediction (a `DIVERGE` finding records the difference).
    /// Returns the result the step ends with.
    pub fn step(&mut self, op: &Op, ev: u32, t_ns: u64, forced: Option<Outcome>) -> (Outcome, Ret) {
        self.seen = Seen::default();
        self.step_inner(op, ev, t_ns, forced)
    }

    /// [`Model::step`] with the values the kernel chose, forced to its observed `result` when
    /// the trace shows it.
    pub fn step_seen(
        &mut self,
        op: &Op,
        ev: u32,
        t_ns: u64,
        result: Option<Outcome>,
        seen: Seen,
    ) -> (Outcome, Ret) {
        self.seen = seen;
        let r = self.step_inner(op, ev, t_ns, result);
        self.seen = Seen::default();
        r
    }

    fn step_inner(
        &mut self,
        op: &Op,
        ev: u32,
        t_ns: u64,
        forced: Option<Outcome>,
    ) -> (Outcome, Ret) {
        self.fx.clear();
        self.ev = ev;
        self.t_ns = t_ns;
        self.forced_ok = forced == Some(Ok(()));
        if let Some(refused) = self.unsupported_type(op, forced) {
            return refused;
        }
        let r = match *op {
            Op::Open { fd, dev } => self.open(fd, dev, forced).map(|()| Ret::default()),
            Op::Close { fd } => self.close(fd, forced).map(|()| Ret::default()),
            Op::Dup { fd, new_fd } => self.dup(fd, new_fd, forced).map(|()| Ret::default()),
            Op::Dmabuf {
                fd,
                size,
                ino,
                name,
            } => self
                .dmabuf_ref(fd, DmabufIdent { size, ino, name }, forced)
                .map(|()| Ret::default()),
            Op::Mmap {
                fd,
                offset,
                len,
                addr,
            } => self
                .mmap(fd, offset, len, addr, forced)
                .map(|()| Ret::default()),
            Op::Munmap { addr, len } => self.munmap(addr, len).map(|()| Ret::default()),
            Op::Reqbufs {
                fd,
                ty,
                memory,
                count,
            } => self.reqbufs(fd, ty, memory, count, forced),
            Op::CreateBufs {
                fd,
                ty,
                memory,
                count,
            } => self.create_bufs(fd, ty, memory, count, forced),
            Op::RemoveBufs {
                fd,
                ty,
                index,
                count,
            } => self
                .remove_bufs(fd, ty, index, count, forced)
                .map(|()| Ret::default()),
            Op::Querybuf(t) => self.querybuf(t, forced),
            Op::PrepareBuf(t, ref planes) => {
                self.prepare_buf(t, planes, forced).map(|()| Ret::default())
            }
            Op::Qbuf(t, ref planes) => self.qbuf(t, planes, forced).map(|()| Ret::default()),
            Op::Dqbuf {
                fd,
                ty,
                memory,
                nonblock,
            } => self.dqbuf(fd, ty, memory, nonblock, forced),
            Op::Streamon { fd, ty } => self.streamon(fd, ty, forced).map(|()| Ret::default()),
            Op::Streamoff { fd, ty } => self.streamoff(fd, ty, forced).map(|()| Ret::default()),
            Op::Expbuf {
                fd,
                ty,
                index,
                plane,
                new_fd,
            } => self
                .expbuf(fd, ty, index, plane, new_fd, forced)
                .map(|()| Ret::default()),
            Op::Command { fd, cmd, encoder } => self
                .command(fd, cmd, encoder, forced)
                .map(|()| Ret::default()),
            Op::Dqevent { fd, ty } => self.dqevent(fd, ty, forced).map(|()| Ret::default()),
            Op::Querycap { fd, device_caps } => self
                .querycap(fd, device_caps, forced)
                .map(|()| Ret::default()),
            Op::BufToRequest {
                t,
                ref planes,
                prepare,
                request_fd,
            } => self
                .buf_to_request(t, planes, prepare, request_fd, forced)
                .map(|()| Ret::default()),
            Op::RequestAlloc { new_fd } => {
                self.request_alloc(new_fd, forced).map(|()| Ret::default())
            }
            Op::RequestQueue { fd, near } => self
                .request_queue(fd, near, forced)
                .map(|()| Ret::default()),
            Op::RequestReinit { fd, near } => self
                .request_reinit(fd, near, forced)
                .map(|()| Ret::default()),
            Op::Controls {
                access,
                count,
                request_fd,
                ..
            } => self
                .request_controls(access, count, request_fd, forced)
                .map(|()| Ret::default()),
            Op::Poll {
                fd,
                events,
                revents,
            } => self.poll(fd, events, revents).map(|()| Ret::default()),
            Op::BufferDone {
                dev,
                ty,
                index,
                state,
            } => {
                let qi = self.queue_index(QueueKey { dev, ty });
                self.buffer_done(qi, index, state).map(|()| Ret::default())
            }
            Op::Driver { dev, ty, cfg } => {
                let qi = self.queue_index(QueueKey { dev, ty });
                self.driver_cfg(qi, cfg);
                Ok(Ret::default())
            }
        };
        match r {
            Ok(ret) => (Ok(()), ret),
            Err(e) => (Err(e), Ret::default()),
        }
    }

    /// Records an observed memop on a plane and checks it against the plane's observed
    /// state (R05 double map, R06 unbalanced unmap/detach).
    pub fn observe_memop(
        &mut self,
        key: QueueKey,
        index: u32,
        plane: u8,
        kind: MemopKind,
        ev: u32,
        t_ns: u64,
    ) {
        self.ev = ev;
        self.t_ns = t_ns;
        let qi = self.queue_index(key);
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        q.memops_observed = true;
        let Some(p) = q
            .buf_mut(index)
            .and_then(|b| b.planes.get_mut(plane as usize))
        else {
            return;
        };
        let o = &mut p.observed;
        let mut bad = None;
        match kind {
            MemopKind::Alloc => o.allocated = true,
            MemopKind::Put => o.allocated = false,
            MemopKind::GetUserptr => o.pinned = true,
            MemopKind::PutUserptr => o.pinned = false,
            MemopKind::AttachDmabuf => o.attached = true,
            MemopKind::DetachDmabuf => {
                if o.mapped {
                    bad = Some(RuleId::R06);
                }
                o.attached = false;
                o.mapped = false;
            }
            MemopKind::MapDmabuf => {
                if o.mapped {
                    bad = Some(RuleId::R05);
                }
                o.mapped = true;
            }
            MemopKind::UnmapDmabuf => {
                if !o.mapped {
                    bad = Some(RuleId::R06);
                }
                o.mapped = false;
            }
            _ => {}
        }
        if let Some(rule) = bad {
            self.find(
                rule,
                Some(key),
                Some(index),
                Some(plane),
                FindingDetail::Memop(kind),
            );
        }
    }

    /// Sets the event that findings added from outside a step point at.
    pub fn ev_at(&mut self, ev: u32, t_ns: u64) {
        self.ev = ev;
        self.t_ns = t_ns;
    }

    /// Adds a finding at the current event.
    /// Rules with no severity under the model's policy are not recorded: that behaviour is
    /// what the policy expects.
    pub fn find(
        &mut self,
        rule: RuleId,
        queue: Option<QueueKey>,
        index: Option<u32>,
        plane: Option<u8>,
        detail: FindingDetail,
    ) {
        if crate::rules::info(rule)
            .severity_under(self.policy)
            .is_none()
        {
            return;
        }
        // The same fact seen twice at one event (predicted, and observed in a memop or log).
        let dup = self
            .findings
            .iter()
            .rev()
            .take_while(|f| f.event == self.ev)
            .any(|f| f.rule == rule && f.queue == queue && f.index == index && f.plane == plane);
        if dup {
            return;
        }
        self.findings.push(Finding {
            rule,
            event: self.ev,
            t_ns: self.t_ns,
            queue,
            index,
            plane,
            detail,
        });
    }

    /// Checks an invariant-level consistency of the whole model; returns a description of
    /// the first broken invariant. Used by property tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        for q in &self.queues {
            let mut queued = 0;
            let mut active = 0;
            for (i, b) in q.iter() {
                if b.state.is_queued() {
                    queued += 1;
                }
                if b.state == BufState::Active {
                    active += 1;
                }
                let on_done = q.done_list.contains(&i);
                if on_done != matches!(b.state, BufState::Done | BufState::Error) {
                    return Err(format!(
                        "{}: buffer {i} is {:?} but on_done_list={on_done}",
                        q.key, b.state
                    ));
                }
                for (pi, p) in b.planes.iter().enumerate() {
                    if p.inferred.mapped && !p.inferred.attached {
                        return Err(format!(
                            "{}: buffer {i} plane {pi} mapped but not attached",
                            q.key
                        ));
                    }
                    let m = q.memory;
                    if p.inferred.pinned && m != Some(Memory::Userptr) {
                        return Err(format!(
                            "{}: buffer {i} plane {pi} pinned on a {m:?} queue",
                            q.key
                        ));
                    }
                    if p.inferred.attached && m != Some(Memory::Dmabuf) {
                        return Err(format!(
                            "{}: buffer {i} plane {pi} attached on a {m:?} queue",
                            q.key
                        ));
                    }
                }
            }
            if queued != q.queued_count {
                return Err(format!(
                    "{}: queued_count {} but {queued} buffers queued",
                    q.key, q.queued_count
                ));
            }
            if active != q.owned_by_drv {
                return Err(format!(
                    "{}: owned_by_drv {} but {active} buffers active",
                    q.key, q.owned_by_drv
                ));
            }
            if q.start_streaming_called && !q.streaming {
                return Err(format!(
                    "{}: start_streaming_called without streaming",
                    q.key
                ));
            }
            if q.num_buffers() == 0 && q.memory.is_some() {
                return Err(format!("{}: memory set with no buffers", q.key));
            }
            if q.uses_qbuf && q.uses_requests {
                return Err(format!("{}: uses both direct QBUF and requests", q.key));
            }
            if q.key.ty.is_output() && q.codec != CodecState::default() {
                return Err(format!("{}: an OUTPUT queue with a LAST state", q.key));
            }
            for (i, b) in q.iter() {
                if let Some(r) = b.request
                    && self.requests.get(r as usize).is_none()
                {
                    return Err(format!(
                        "{}: buffer {i} in request {r}, which is none",
                        q.key
                    ));
                }
            }
        }
        // One drain state per device; under vb2 without LAST there is none.
        for (k, d) in self.drains.iter().enumerate() {
            if self.drains.iter().skip(k + 1).any(|o| o.dev == d.dev) {
                return Err(format!("dev{}: two drain states", d.dev));
            }
            if !self.policy.has_last_buffer() && d.phase != DrainPhase::Running {
                return Err(format!("dev{}: a drain under a policy without LAST", d.dev));
            }
        }
        self.check_indices()
    }

    /// The lookup tables answer as a walk over what they index would.
    fn check_indices(&self) -> Result<(), String> {
        for (qi, q) in self.queues.iter().enumerate() {
            if self.qi_of(q.key) != Some(qi) {
                return Err(format!("{}: not found at {qi} by its key", q.key));
            }
            let on_dev: Vec<Qi> = (0..self.queues.len())
                .filter(|&o| self.queues.get(o).is_some_and(|x| x.key.dev == q.key.dev))
                .collect();
            if self.qis_on(q.key.dev) != on_dev.as_slice() {
                return Err(format!("{}: its device's queues are not {on_dev:?}", q.key));
            }
            for (i, b) in q.iter() {
                if self.queue_of_uid.get(b.uid as usize) != Some(&qi) {
                    return Err(format!("{}: buffer {i} (uid {}) not found", q.key, b.uid));
                }
            }
        }
        if self.queue_at.len() != self.queues.len() {
            return Err("a queue key indexed twice or not at all".into());
        }
        for (k, d) in self.drains.iter().enumerate() {
            if self.drain_at.get(&d.dev) != Some(&k) {
                return Err(format!("dev{}: drain state not found at {k}", d.dev));
            }
        }
        Ok(())
    }

    // ---- shared helpers -------------------------------------------------------------------

    /// Decides whether to apply an operation: the prediction `pred`, unless the kernel's
    /// observed result `forced` says otherwise.
    fn decide(
        &mut self,
        op: &'static str,
        key: Option<QueueKey>,
        pred: Result<(), (Errno, Option<KMsg>)>,
        forced: Option<Outcome>,
    ) -> Outcome {
        let predicted = pred.map_err(|(e, _)| e);
        if let Err((_, Some(msg))) = pred
            && let Some(k) = key
        {
            self.fx.push(Effect::Msg(KMsgRec { msg, queue: k }));
        }
        match forced {
            None => predicted,
            Some(actual) => {
                if actual != predicted {
                    self.divergences += 1;
                    self.find(
                        RuleId::Diverge,
                        key,
                        None,
                        None,
                        FindingDetail::Result {
                            op,
                            expected: predicted,
                            actual,
                        },
                    );
                }
                actual
            }
        }
    }

    fn queue_index(&mut self, key: QueueKey) -> Qi {
        if let Some(i) = self.qi_of(key) {
            return i;
        }
        self.queues.push(Queue::new(key));
        let qi = self.queues.len() - 1;
        self.queue_at.insert(key, qi);
        self.queues_by_dev.entry(key.dev).or_default().push(qi);
        qi
    }

    fn memop(&mut self, qi: Qi, index: u32, plane: usize, kind: MemopKind) {
        if let Some(q) = self.queues.get(qi) {
            self.fx.push(Effect::Memop(MemopRec {
                kind,
                queue: q.key,
                index,
                plane: plane as u8,
            }));
        }
    }

    fn msg(&mut self, qi: Qi, msg: KMsg) {
        if let Some(q) = self.queues.get(qi) {
            self.fx.push(Effect::Msg(KMsgRec { msg, queue: q.key }));
        }
    }

    fn key(&self, qi: Qi) -> Option<QueueKey> {
        self.queues.get(qi).map(|q| q.key)
    }
}
