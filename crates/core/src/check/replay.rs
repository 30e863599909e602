//! The replay: each event of a trace becomes a model step. Scripted events run as written;
//! observed ones force the model to the kernel's result; inferred ones are recomputed and so
//! skipped. Observed memops that follow an ioctl are applied before it is stepped (they
//! happened inside it) and compared with what the model infers.

use std::borrow::Cow;

use crate::model::{BufTarget, Handle, Model, Op, PlaneArg, PlaneArgs, Ret, Seen};
use crate::policy::Policy;
use crate::rules::{FindingDetail, RuleId};
use crate::trace::{Body, DriverAction, Event, IoctlArg, IoctlCmd, Trace, VideoFds};
use crate::v4l2::{DoneState, MAX_PLANES, MemopKind, Origin, Outcome, QueueKey, flags};

use super::CheckReport;

/// Counts that tell how well the policy explains the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    pub events: u64,
    pub steps: u64,
    /// Ioctl results observed on a kernel, and how many the policy did not predict.
    pub observed_results: u32,
    pub divergences: u32,
    /// Observed lifecycle memops (alloc/put, pin, attach, map…), and how many the policy
    /// predicted at that ioctl; predicted ones not observed.
    pub observed_memops: u32,
    pub memops_matched: u32,
    pub memops_unpredicted: u32,
    pub memops_missing: u32,
    /// Observed kernel log lines that some rule reads, and those the policy did not predict.
    pub observed_klogs: u32,
    pub klogs_unpredicted: u32,
    /// Values the kernel chose that the trace showed (counts granted, MMAP offsets), and
    /// those the policy predicted otherwise.
    pub values_observed: u32,
    pub values_unpredicted: u32,
    /// Kernel errors a driver or allocator callback gave (R50, R51, R54, R55).
    pub driver_refusals: u32,
}

/// An observed memop: queue, buffer, plane, kind.
type Memop = (QueueKey, u32, u8, MemopKind);

/// What happened inside one syscall.
#[derive(Default)]
struct Inside {
    memops: Vec<Memop>,
    /// The lifecycle memops, compared with the model's.
    group: Vec<Memop>,
    /// A release the merge could not put on a buffer (a `put` whose memory no earlier event
    /// named): what the call freed is not fully seen.
    unattributed_release: bool,
}

/// Memops that give something back: inside a call they act on what existed before it.
fn releases(k: MemopKind) -> bool {
    matches!(
        k,
        MemopKind::Put
            | MemopKind::PutUserptr
            | MemopKind::DetachDmabuf
            | MemopKind::UnmapDmabuf
            | MemopKind::DmabufPut
    )
}

/// What a failed call took and gave back again (an attach undone when the map fails): the
/// call left nothing behind, and the model predicts nothing for it.
fn undone_dropped(mut group: Vec<Memop>) -> Vec<Memop> {
    let undoes = |take: MemopKind| match take {
        MemopKind::Alloc => Some(MemopKind::Put),
        MemopKind::GetUserptr => Some(MemopKind::PutUserptr),
        MemopKind::AttachDmabuf => Some(MemopKind::DetachDmabuf),
        MemopKind::MapDmabuf => Some(MemopKind::UnmapDmabuf),
        _ => None,
    };
    let mut i = 0;
    while i < group.len() {
        let (q, index, plane, kind) = group[i];
        let undo = undoes(kind).and_then(|u| {
            group
                .iter()
                .skip(i + 1)
                .position(|&m| m == (q, index, plane, u))
                .map(|p| p + i + 1)
        });
        match undo {
            Some(j) => {
                group.remove(j);
                group.remove(i);
            }
            None => i += 1,
        }
    }
    group
}

/// Turns an ioctl event into a model operation; `None` for calls that change no buffer
/// (QUERYCAP) or that the source did not decode.
fn ioctl_op(trace: &Trace, fd: i32, cmd: IoctlCmd, arg: u32) -> Option<Op> {
    let a = trace.arg(arg)?;
    Some(match (cmd, *a) {
        (
            IoctlCmd::Reqbufs,
            IoctlArg::Alloc {
                ty, memory, count, ..
            },
        ) => Op::Reqbufs {
            fd,
            ty,
            memory,
            count,
        },
        (
            IoctlCmd::CreateBufs,
            IoctlArg::Alloc {
                ty, memory, count, ..
            },
        ) => Op::CreateBufs {
            fd,
            ty,
            memory,
            count,
        },
        (IoctlCmd::RemoveBufs, IoctlArg::Remove { ty, index, count }) => Op::RemoveBufs {
            fd,
            ty,
            index,
            count,
        },
        (IoctlCmd::Streamon, IoctlArg::Stream { ty }) => Op::Streamon { fd, ty },
        (IoctlCmd::Streamoff, IoctlArg::Stream { ty }) => Op::Streamoff { fd, ty },
        (
            IoctlCmd::Expbuf,
            IoctlArg::Expbuf {
                ty,
                index,
                plane,
                fd_out,
            },
        ) => Op::Expbuf {
            fd,
            ty,
            index,
            plane,
            new_fd: fd_out.unwrap_or(-1),
        },
        (IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd, IoctlArg::Command { cmd: c, .. }) => {
            Op::Command {
                fd,
                cmd: c,
                encoder: cmd == IoctlCmd::EncoderCmd,
            }
        }
        (IoctlCmd::Dqevent, IoctlArg::Event { ty, .. }) => Op::Dqevent { fd, ty },
        (IoctlCmd::Querycap, IoctlArg::Querycap(c)) => Op::Querycap {
            fd,
            device_caps: c.device_caps,
        },
        (IoctlCmd::RequestAlloc, IoctlArg::Request { fd_out }) => {
            Op::RequestAlloc { new_fd: fd_out }
        }
        (IoctlCmd::RequestQueue, _) => Op::RequestQueue { fd, near: None },
        (IoctlCmd::RequestReinit, _) => Op::RequestReinit { fd, near: None },
        (
            IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls,
            IoctlArg::Controls {
                which,
                count,
                request_fd,
            },
        ) if which == crate::v4l2::ctrls::WHICH_REQUEST_VAL => Op::Controls {
            fd,
            access: cmd.ctrl_access()?,
            count,
            request_fd,
        },
        (IoctlCmd::Dqbuf, IoctlArg::Buffer(buf)) => Op::Dqbuf {
            fd,
            ty: buf.ty,
            memory: buf.memory,
            nonblock: buf.nonblock,
        },
        (cmd, IoctlArg::Buffer(buf)) => {
            let t = BufTarget {
                fd,
                ty: buf.ty,
                index: buf.index,
                memory: buf.memory,
            };
            let handle =
                |m: Option<u64>| m.map_or(Handle::Unknown { changed: None }, Handle::Known);
            let mut planes = PlaneArgs::default();
            let stored = trace.planes_of(&buf);
            if stored.is_empty() && buf.ty.is_mplane() {
                // The source did not record the planes; `length` says how many there were.
                for _ in 0..buf.length.clamp(1, MAX_PLANES as u32) {
                    planes.push(PlaneArg {
                        m: Handle::Unknown { changed: None },
                        length: None,
                        bytesused: 0,
                    });
                }
            } else if stored.is_empty() {
                planes.push(PlaneArg {
                    m: handle(buf.known_m()),
                    length: Some(buf.length),
                    bytesused: buf.bytesused,
                });
            } else {
                for p in stored {
                    planes.push(PlaneArg {
                        m: handle(p.known_m()),
                        length: Some(p.length),
                        bytesused: p.bytesused,
                    });
                }
            }
            match cmd {
                IoctlCmd::Querybuf => Op::Querybuf(t),
                // strace never prints `request_fd`: which request then stays open.
                IoctlCmd::PrepareBuf | IoctlCmd::Qbuf if to_request(&buf) => Op::BufToRequest {
                    t,
                    planes,
                    prepare: cmd == IoctlCmd::PrepareBuf,
                    request_fd: buf.request_fd(),
                },
                IoctlCmd::PrepareBuf => Op::PrepareBuf(t, planes),
                _ => Op::Qbuf(t, planes),
            }
        }
        _ => return None,
    })
}

/// Which rule an observed kernel log line gives away.
fn klog_rule(text: &str) -> Option<RuleId> {
    if text.contains("dmabuf buffer is already pinned") {
        Some(RuleId::R05)
    } else if text.contains("dmabuf buffer is already unpinned")
        || text.contains("trying to unpin a not attached buffer")
        || text.contains("unbalanced counters")
    {
        Some(RuleId::R06)
    } else if text.contains("stop_streaming operation is leaving") {
        Some(RuleId::R08)
    } else if crate::v4l2::klog::is_m2m_job_finish_warning(text) {
        Some(RuleId::R47)
    } else {
        None
    }
}

#[derive(Clone)]
pub(super) struct Replayer<'t> {
    /// The trace replayed; the recorder's own, growing as it records.
    pub(super) trace: Cow<'t, Trace>,
    pub(super) model: Model,
    /// The result and return values of the last model step of the current event, if it
    /// stepped the model.
    pub(super) stepped: Option<(Outcome, Ret)>,
    stats: ReplayStats,
    /// The last operation's line and result, for `expect`.
    last: Option<(u32, Outcome)>,
    /// Index of the first event not yet consumed by an ioctl's memop look-ahead.
    consumed_to: usize,
    /// The last call whose kernel events were looked for after it.
    last_call: Option<usize>,
    /// Video fds open so far and their devices.
    video_fds: VideoFds,
    /// Observed events already accounted for inside an earlier ioctl.
    skip: Vec<usize>,
    /// The trace holds memops seen on the kernel: an ioctl's own tell whether it took new
    /// memory for a plane whose handle the source did not record.
    memops_traced: bool,
    /// The trace marks the kernel events that happened inside a syscall (`within`).
    within_marked: bool,
    /// The first REQBUFS or CREATE_BUFS of each queue, by event.
    setups: Vec<(QueueKey, u32)>,
    /// Queues whose kernel answers contradicted the model before any setup of theirs: set up
    /// before the trace began.
    unseen_setup: Vec<QueueKey>,
    /// Per thread, the device of its last buffer put into a media request: where its next
    /// request's buffer is, when the source did not say.
    request_dev: rustc_hash::FxHashMap<u32, u16>,
    /// Timed STREAMOFFs that succeeded and may still be under way, for completions inside
    /// them (R41).
    stopping: Vec<super::stopping::Stopping>,
}

/// What the replay needs to know of a whole trace before it starts (one pass over it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Scan {
    /// Some event was observed on a kernel: the model takes the kernel's word (lenient).
    observed: bool,
    /// The trace holds memops seen on the kernel.
    memops_traced: bool,
    /// The trace marks the kernel events that happened inside a syscall.
    within_marked: bool,
}

impl Scan {
    fn of(events: &[Event]) -> Scan {
        let mut s = Scan::default();
        for e in events {
            let seen = e.origin() == Origin::Observed;
            s.observed |= seen;
            s.memops_traced |= seen && matches!(e.body, Body::Memop { .. });
            s.within_marked |= e.within();
            if s.memops_traced && s.within_marked {
                break;
            }
        }
        s
    }

    /// Whether `events` show something this scan did not.
    fn outgrown_by(self, events: &[Event]) -> bool {
        let more = Scan::of(events);
        (more.observed && !self.observed)
            || (more.memops_traced && !self.memops_traced)
            || (more.within_marked && !self.within_marked)
    }
}

impl<'t> Replayer<'t> {
    pub(super) fn new(trace: Cow<'t, Trace>, policy: Policy) -> Replayer<'t> {
        let scan = Scan::of(&trace.events);
        Replayer::with_scan(trace, policy, scan)
    }

    fn with_scan(trace: Cow<'t, Trace>, policy: Policy, scan: Scan) -> Replayer<'t> {
        let mut model = Model::new(policy);
        model.lenient = scan.observed;
        Replayer {
            model,
            stepped: None,
            request_dev: rustc_hash::FxHashMap::default(),
            stopping: Vec::new(),
            stats: ReplayStats::default(),
            last: None,
            consumed_to: 0,
            last_call: None,
            video_fds: VideoFds::default(),
            skip: Vec::new(),
            memops_traced: scan.memops_traced,
            within_marked: scan.within_marked,
            setups: Vec::new(),
            unseen_setup: Vec::new(),
            trace,
        }
    }

    /// Notes a queue's first setup, and the queues a DIVERGE shows in use before theirs.
    fn note_setup(&mut self, i: usize, cmd: IoctlCmd, fd: i32, arg: u32, findings_before: usize) {
        if let (IoctlCmd::Reqbufs | IoctlCmd::CreateBufs, Some(IoctlArg::Alloc { ty, .. })) =
            (cmd, self.trace.arg(arg))
        {
            let key = self.key_of(fd, *ty);
            if !self.setups.iter().any(|&(k, _)| k == key) {
                self.setups.push((key, i as u32));
            }
        }
        let new = self.model.findings.get(findings_before..).unwrap_or(&[]);
        for f in new.iter().filter(|f| f.rule == RuleId::Diverge) {
            if let Some(q) = f.queue
                && !self.setups.iter().any(|&(k, _)| k == q)
                && !self.unseen_setup.contains(&q)
            {
                self.unseen_setup.push(q);
            }
        }
    }

    fn step(&mut self, i: usize, e: &Event, op: &Op, forced: Option<Outcome>) {
        self.stats.steps += 1;
        let (out, ret) = self.model.step(op, i as u32, e.t_ns, forced);
        self.stepped = Some((out, ret));
        self.last = Some((e.line(), out));
    }

    fn ioctl(&mut self, i: usize, e: &Event, fd: i32, cmd: IoctlCmd, arg: u32, result: Outcome) {
        let before = self.model.findings.len();
        self.ioctl_step(i, e, fd, cmd, arg, result);
        self.note_setup(i, cmd, fd, arg, before);
        if let (IoctlCmd::Streamoff, Ok(()), Origin::Observed) = (cmd, result, e.origin())
            && let Some(IoctlArg::Stream { ty }) = self.trace.arg(arg)
        {
            let key = self.key_of(fd, *ty);
            let dur = self.trace.duration(i as u32);
            self.stopping.retain(|s| !s.ended_by(e.t_ns));
            self.stopping.extend(super::stopping::Stopping::new(
                key,
                self.trace.tid(e),
                e.t_ns,
                dur,
            ));
        }
    }

    fn ioctl_step(
        &mut self,
        i: usize,
        e: &Event,
        fd: i32,
        cmd: IoctlCmd,
        arg: u32,
        result: Outcome,
    ) {
        let Some(op) = ioctl_op(&self.trace, fd, cmd, arg) else {
            // A call the model does not follow (SUBSCRIBE_EVENT): an `expect` after it checks
            // what the kernel gave, or nothing when no kernel answered; never an earlier call.
            self.last = (e.origin() == Origin::Observed).then_some((e.line(), result));
            return;
        };
        if result == Err(crate::v4l2::Errno::EINVAL) && self.stopped_while_waiting(i, e, fd, &op) {
            // The wait ended because the queue stopped: nothing of the DQBUF happened.
            return;
        }
        // A rebuilt call's memops were seen; its result is the model's to predict.
        let seen_inside = e.origin().seen();
        let observed = e.origin() == Origin::Observed;
        let forced = observed.then_some(result);
        let inside = if seen_inside {
            self.inside(i, e, Some(cmd))
        } else {
            Inside::default()
        };
        self.model.unsure_frees = inside.unattributed_release;
        let (memops, group) = (inside.memops, inside.group);
        if observed {
            if !op.result_is_the_kernels() {
                self.stats.observed_results += 1;
            }
            if let (IoctlCmd::Dqbuf, Ok(()), Some(IoctlArg::Buffer(buf))) =
                (cmd, result, self.trace.arg(arg))
            {
                // The kernel says which buffer came back: the driver completed it meanwhile.
                let key = self.key_of(fd, buf.ty);
                // One the model holds in a request: the request was queued out of sight.
                self.model.request_queued_unseen(key, buf.index);
                let active = self
                    .model
                    .queue(key)
                    .and_then(|q| q.buf(buf.index))
                    .is_some_and(|b| b.state == crate::model::BufState::Active);
                if active {
                    let state = if buf.flags & flags::ERROR != 0 {
                        DoneState::Error
                    } else {
                        DoneState::Done
                    };
                    let op = Op::BufferDone {
                        dev: key.dev,
                        ty: key.ty,
                        index: Some(buf.index),
                        state,
                    };
                    let _ = self.model.step(&op, i as u32, e.t_ns, None);
                } else {
                    // Still QUEUED in the model (a start it deferred, a LAST the driver
                    // forced): the kernel had it and finished it.
                    self.model.observe_completed(key, buf.index, buf.flags);
                }
            }
        }
        let mut op = op;
        match &mut op {
            Op::BufToRequest { t, .. } => {
                let dev = self.key_of(t.fd, t.ty).dev;
                self.request_dev.insert(self.trace.tid(e), dev);
            }
            Op::RequestQueue { near, .. } | Op::RequestReinit { near, .. } => {
                *near = self.request_dev.get(&self.trace.tid(e)).copied();
            }
            _ => {}
        }
        if let Op::Qbuf(t, planes) | Op::PrepareBuf(t, planes) = &mut op
            && self.memops_traced
        {
            self.fill_unknown(t, planes, &group);
        }
        let seen = self.seen_of(i as u32, cmd, arg).filter(|_| seen_inside);
        let findings_before = self.model.findings.len();
        self.step_around(i, e, &op, forced, seen, memops);
        if observed && result.is_err() && partial_buffer(&self.trace, cmd, arg) {
            self.believe_result(findings_before);
        }
        if seen_inside {
            let group = if observed && result.is_err() {
                undone_dropped(group)
            } else {
                group
            };
            self.compare_memops(group);
        }
        if observed && let (Ok(()), Some(IoctlArg::Buffer(buf))) = (result, self.trace.arg(arg)) {
            let buf = *buf;
            self.observe_buffer(fd, cmd, buf);
            // The driver completed the buffer inside the QBUF (a drain's immediate LAST):
            // the reply says DONE, not QUEUED.
            if cmd == IoctlCmd::Qbuf
                && buf.flags & flags::DONE != 0
                && buf.flags & flags::QUEUED == 0
            {
                let key = self.key_of(fd, buf.ty);
                self.model.qbuf_came_back_done(key, buf.index, buf.flags);
            }
        }
    }

    /// The observed events that follow syscall `i` and happened inside it: its memops (all,
    /// and the lifecycle ones to compare), up to the next event of another kind. Driver
    /// completions on the caller's thread that the model makes itself are skipped later
    /// ([`Replayer::made_by_the_model`]); the others (a kthread completing frames, an M2M
    /// job run inside the caller's QBUF or STREAMON) stand on their own.
    fn inside(&mut self, i: usize, e: &Event, cmd: Option<IoctlCmd>) -> Inside {
        let mut out = Inside::default();
        let target = match e.body {
            Body::Ioctl { fd, arg, .. } => self
                .trace
                .arg(arg)
                .and_then(IoctlArg::buf_type)
                .map(|ty| (self.key_of(fd, ty), self.trace.arg(arg).copied())),
            _ => None,
        };
        let end = call_end(&self.trace, i, e);
        self.last_call = Some(i);
        let mut j = i + 1;
        while let Some(n) = self.trace.events.get(j) {
            if !self.part_of_call(&self.trace, e, end, n) {
                break;
            }
            match n.body {
                Body::Memop {
                    kind,
                    dev,
                    ty,
                    index,
                    plane,
                } if n.origin() == Origin::Observed => {
                    let m = (QueueKey { dev, ty }, index, plane, kind);
                    out.memops.push(m);
                    if kind.is_lifecycle() {
                        out.group.push(m);
                    }
                }
                Body::Tracepoint { name, .. } => {
                    let kind = MemopKind::of_allocator_event(self.trace.str(name));
                    if kind.is_some_and(releases) {
                        out.unattributed_release = true;
                    }
                }
                // Log lines fire inside the call too; the main loop reads them.
                Body::Klog { .. } => {}
                Body::Driver {
                    dev,
                    ty,
                    action: DriverAction::BufferDone { index, state },
                } if n.origin() == Origin::Observed && self.trace.tid(n) == self.trace.tid(e) => {
                    let done = (QueueKey { dev, ty }, index, state);
                    if made_by_the_model(cmd, target, done) {
                        self.skip.push(j);
                    }
                }
                _ => {}
            }
            j += 1;
        }
        self.consumed_to = j;
        out
    }

    /// Whether event `n`, after call `e` (which ended at `end`) with nothing but such events
    /// between them, happened inside it: the kernel events that follow a call, up to the
    /// next event of another kind. The merge marks the kernel events it placed inside a
    /// call. In a trace without those marks, a call the source timed ends then, and what its
    /// thread did later (a process exiting releases its dma-bufs without a syscall) or other
    /// threads did is not part of it.
    fn part_of_call(&self, trace: &Trace, e: &Event, end: u64, n: &Event) -> bool {
        let elsewhere = if self.within_marked {
            !n.within()
        } else {
            let (tn, te) = (trace.tid(n), trace.tid(e));
            (tn != te && tn != 0 && te != 0) || n.t_ns > end
        };
        let observed = n.origin() == Origin::Observed;
        if elsewhere && observed {
            return false;
        }
        match n.body {
            Body::Memop { .. } if observed => true,
            Body::Tracepoint { .. } | Body::Klog { .. } => true,
            Body::Driver { .. } if observed && trace.tid(n) == trace.tid(e) => true,
            _ => n.origin() == Origin::Inferred,
        }
    }

    /// Whether event `n` (event `next` of `trace`), coming after every event replayed, would
    /// have been read with the last call replayed: that call's reading went to the end of
    /// what was there. The replayer is bound to a placeholder between runs: `trace` is the
    /// one it replayed.
    fn continues_call(&self, trace: &Trace, next: usize, n: &Event) -> bool {
        let Some(i) = self.last_call.filter(|_| self.consumed_to >= next) else {
            return false;
        };
        let Some(e) = trace.events.get(i) else {
            return false;
        };
        self.part_of_call(trace, e, call_end(trace, i, e), n)
    }

    /// Steps `op` with the memops observed inside it: what the call released happened to
    /// what existed before it, what it acquired to what it made (the buffers a REQBUFS
    /// allocates exist only after it), and a release after an acquisition of the same plane
    /// (a failed map undone by a detach) follows it. Findings from them point at the call.
    fn step_around(
        &mut self,
        i: usize,
        e: &Event,
        op: &Op,
        forced: Option<Outcome>,
        seen: Option<Seen>,
        memops: Vec<Memop>,
    ) {
        let mut released = Vec::new();
        let mut acquired: Vec<Memop> = Vec::new();
        for m in memops {
            let same_plane = |a: &Memop| (a.0, a.1, a.2) == (m.0, m.1, m.2);
            if releases(m.3) && !acquired.iter().any(same_plane) {
                released.push(m);
            } else {
                acquired.push(m);
            }
        }
        self.observe_all(&released, i, e.t_ns);
        let before = self.model.divergences;
        self.stats.steps += 1;
        let (out, ret) = match seen {
            Some(seen) => self.model.step_seen(op, i as u32, e.t_ns, forced, seen),
            None => self.model.step(op, i as u32, e.t_ns, forced),
        };
        self.stepped = Some((out, ret));
        self.last = Some((e.line(), out));
        self.model.unsure_frees = false;
        self.stats.divergences += self.model.divergences - before;
        self.observe_all(&acquired, i, e.t_ns);
        // An export the source did not decode (strace before 6.x prints EXPBUF's argument
        // as a pointer): the kernel's get_dmabuf says the buffer has one more user.
        if !matches!(op, Op::Expbuf { .. }) {
            for &(key, index, plane, kind) in &acquired {
                if kind == MemopKind::GetDmabuf {
                    self.model.observe_export(key, index, plane);
                }
            }
        }
    }

    /// A syscall other than an ioctl (close, mmap, munmap), with what happened inside it.
    fn syscall(&mut self, i: usize, e: &Event, op: &Op, forced: Option<Outcome>) {
        if !e.origin().seen() {
            return self.step(i, e, op, forced);
        }
        let inside = self.inside(i, e, None);
        self.model.unsure_frees = inside.unattributed_release;
        // The close of a dma-buf the model never saw exported (its EXPBUF undecoded): the
        // memory the kernel freed in it tells which export it was.
        let exports_gone: Vec<Memop> = match *op {
            Op::Close { fd } if !self.model.knows_fd(fd) => inside
                .memops
                .iter()
                .copied()
                .filter(|m| m.3 == MemopKind::Put)
                .collect(),
            _ => Vec::new(),
        };
        self.step_around(i, e, op, forced, None, inside.memops);
        for (key, index, plane, _) in exports_gone {
            self.model.observe_export_gone(key, index, plane);
        }
        self.compare_memops(inside.group);
    }

    /// What a successful QUERYBUF shows of a buffer (its flags, plane lengths and MMAP
    /// offsets), and the offsets a QBUF or DQBUF reports back.
    fn observe_buffer(&mut self, fd: i32, cmd: IoctlCmd, buf: crate::trace::V4l2Buffer) {
        let key = self.key_of(fd, buf.ty);
        let stored = self.trace.planes_of(&buf);
        let lens: Option<Vec<u32>> = (cmd == IoctlCmd::Querybuf).then(|| {
            if stored.is_empty() && !buf.ty.is_mplane() {
                vec![buf.length]
            } else {
                stored.iter().map(|p| p.length).collect()
            }
        });
        let offsets: Option<Vec<u64>> = if buf.memory != Some(crate::v4l2::Memory::Mmap) {
            None
        } else if stored.is_empty() {
            buf.known_m().map(|m| vec![m])
        } else {
            stored.iter().map(|p| p.known_m()).collect()
        };
        if let Some(lens) = lens {
            self.check_querybuf(fd, buf.ty, buf.index, buf.flags);
            self.model.observe_plane_lengths(key, buf.index, &lens);
        }
        if let Some(offsets) = offsets {
            self.model.observe_mmap_offsets(key, buf.index, &offsets);
        }
    }

    /// A blocking DQBUF that another thread's STREAMOFF or REQBUFS of the same queue ended
    /// while it waited: vb2 wakes it with EINVAL ("streaming off, will not wait"). A source
    /// that writes calls as they start (strace's `<unfinished ...>`) puts the stop after the
    /// DQBUF, and may even stamp it after the DQBUF's return (a tracer stamps a stopped
    /// thread when it gets to it): the next call on the queue is that stop, soon after. A
    /// source that writes calls as they end (vb2scope's recorder) puts the stop first, with
    /// a start after the DQBUF's.
    fn stopped_while_waiting(&self, i: usize, e: &Event, fd: i32, op: &Op) -> bool {
        // Keep in step with `reads_ahead_until`, which tells a growing replay to wait.
        // Not by the fd's O_NONBLOCK: a program may clear it with fcntl, which the source
        // does not show.
        let Op::Dqbuf { ty, .. } = *op else {
            return false;
        };
        const LOOK_BACK: usize = 4096;
        let end = e
            .t_ns
            .saturating_add(self.trace.duration(i as u32).unwrap_or(0));
        let key = self.key_of(fd, ty);
        let on_queue = |n: &Event| match n.body {
            Body::Ioctl {
                fd: f,
                cmd,
                arg,
                result,
            } if self
                .trace
                .arg(arg)
                .and_then(IoctlArg::buf_type)
                .map(|t| self.key_of(f, t))
                == Some(key) =>
            {
                Some((self.trace.tid(n), n.t_ns, cmd, result))
            }
            _ => None,
        };
        let a_stop = |c: Option<(u32, u64, IoctlCmd, Outcome)>| matches!(c, Some((tid, _, IoctlCmd::Streamoff | IoctlCmd::Reqbufs, Ok(()))) if tid != self.trace.tid(e));
        let next = self
            .trace
            .events
            .iter()
            .skip(i + 1)
            .take_while(|n| n.t_ns <= end.saturating_add(SOON_NS))
            .find_map(on_queue);
        let before = i.saturating_sub(LOOK_BACK);
        let prev = self
            .trace
            .events
            .get(before..i)
            .and_then(|s| s.iter().rev().find_map(on_queue))
            .filter(|&(_, t, _, _)| t >= e.t_ns);
        a_stop(next) || a_stop(prev)
    }

    /// The step's result was the kernel's to give: a divergence it recorded is taken back.
    fn believe_result(&mut self, findings_before: usize) {
        let at = findings_before.min(self.model.findings.len());
        let mut tail = self.model.findings.split_off(at);
        let before = tail.len();
        tail.retain(|f| f.rule != RuleId::Diverge);
        let removed = (before - tail.len()) as u32;
        self.model.findings.extend(tail);
        self.model.divergences = self.model.divergences.saturating_sub(removed);
        self.stats.divergences = self.stats.divergences.saturating_sub(removed);
    }

    fn observe_all(&mut self, memops: &[(QueueKey, u32, u8, MemopKind)], i: usize, t_ns: u64) {
        for &(key, index, plane, kind) in memops {
            self.model
                .observe_memop(key, index, plane, kind, i as u32, t_ns);
        }
    }

    /// What observed call `i` showed the kernel choose.
    fn seen_of(&self, i: u32, cmd: IoctlCmd, arg: u32) -> Option<Seen> {
        match (cmd, self.trace.arg(arg)) {
            (
                IoctlCmd::Reqbufs | IoctlCmd::CreateBufs,
                Some(&IoctlArg::Alloc {
                    count_out,
                    index,
                    caps,
                    ..
                }),
            ) => Some(Seen {
                count: count_out,
                index: if cmd == IoctlCmd::CreateBufs {
                    index
                } else {
                    None
                },
                caps,
                ..Seen::default()
            }),
            // QBUF's reply: whether an OUTPUT buffer holds its CAPTURE buffer (HOLD).
            (IoctlCmd::Qbuf, Some(IoctlArg::Buffer(b))) => Some(Seen {
                flags: Some(b.flags),
                flags_in: self.trace.flags_in(i),
                ..Seen::default()
            }),
            (IoctlCmd::Dqbuf, Some(IoctlArg::Buffer(b))) if b.index != u32::MAX => Some(Seen {
                flags: Some(b.flags),
                index: Some(b.index),
                bytesused: self.bytesused_of(b),
                ..Seen::default()
            }),
            _ => None,
        }
    }

    /// The bytes a returned buffer holds: single-planar `bytesused`, or the planes' sum when
    /// the source recorded them (strace prints no planes).
    fn bytesused_of(&self, b: &crate::trace::V4l2Buffer) -> Option<u32> {
        if !b.ty.is_mplane() {
            return Some(b.bytesused);
        }
        if b.planes_count == 0 {
            return None;
        }
        let planes = self.trace.planes_of(b);
        Some(
            planes
                .iter()
                .fold(0u32, |n, p| n.saturating_add(p.bytesused)),
        )
    }

    /// For each plane whose memory the source did not record: whether the kernel took new
    /// memory for it in this call, by its attach or pin among the call's memops.
    fn fill_unknown(
        &self,
        t: &BufTarget,
        planes: &mut PlaneArgs,
        group: &[(QueueKey, u32, u8, MemopKind)],
    ) {
        let key = self.key_of(t.fd, t.ty);
        for (p, a) in planes.p.iter_mut().take(planes.n as usize).enumerate() {
            if let Handle::Unknown { changed } = &mut a.m {
                *changed = Some(group.iter().any(|&(k, index, plane, kind)| {
                    k == key
                        && index == t.index
                        && usize::from(plane) == p
                        && matches!(kind, MemopKind::AttachDmabuf | MemopKind::GetUserptr)
                }));
            }
        }
    }

    pub(super) fn key_of(&self, fd: i32, ty: crate::v4l2::BufType) -> QueueKey {
        QueueKey {
            dev: self.video_fds.dev(fd),
            ty,
        }
    }

    fn compare_memops(&mut self, mut observed: Vec<(QueueKey, u32, u8, MemopKind)>) {
        self.stats.observed_memops += observed.len() as u32;
        for m in self.model.fx.memops().filter(|m| m.kind.is_lifecycle()) {
            match observed
                .iter()
                .position(|o| *o == (m.queue, m.index, m.plane, m.kind))
            {
                Some(p) => {
                    observed.swap_remove(p);
                    self.stats.memops_matched += 1;
                }
                None => self.stats.memops_missing += 1,
            }
        }
        self.stats.memops_unpredicted += observed.len() as u32;
    }

    /// A buffer QUERYBUF shows queued or done after STREAMOFF was not returned (R07). One
    /// the application queued again since (the model holds it queued or prepared) is not.
    fn check_querybuf(&mut self, fd: i32, ty: crate::v4l2::BufType, index: u32, f: u32) {
        let key = self.key_of(fd, ty);
        let Some(q) = self.model.queue(key) else {
            return;
        };
        let requeued = q
            .buf(index)
            .is_some_and(|b| b.state != crate::model::BufState::Dequeued);
        if q.stopped && !requeued && f & (flags::QUEUED | flags::DONE) != 0 {
            let s = if f & flags::QUEUED != 0 {
                "queued"
            } else {
                "done"
            };
            self.model.find(
                RuleId::R07,
                Some(key),
                Some(index),
                None,
                FindingDetail::State(s),
            );
        }
    }

    pub(super) fn event(&mut self, i: usize, e: &Event) {
        if e.origin() == Origin::Inferred {
            return;
        }
        if self.skip.first() == Some(&i) {
            self.skip.remove(0);
            return;
        }
        let observed = e.origin() == Origin::Observed;
        // Any call made after an untimed STREAMOFF ends what may be taken as inside it.
        if !self.stopping.is_empty() && !e.within() && e.body.is_syscall() {
            self.stopping.retain(|s| !s.untimed());
        }
        match e.body {
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            } => self.ioctl(i, e, fd, cmd, arg, result),
            Body::Open { fd, dev, .. } => {
                self.video_fds.follow(&e.body);
                self.step(i, e, &Op::Open { fd, dev }, None);
            }
            Body::Close { fd } => {
                self.video_fds.follow(&e.body);
                self.syscall(i, e, &Op::Close { fd }, None);
            }
            Body::Dup { fd, new_fd } => {
                self.video_fds.follow(&e.body);
                self.step(i, e, &Op::Dup { fd, new_fd }, None);
            }
            Body::Poll {
                fd,
                events,
                revents,
            } => {
                let op = Op::Poll {
                    fd,
                    events,
                    revents,
                };
                self.step(i, e, &op, None);
            }
            Body::Mmap { fd, ext } => {
                let x = self.trace.extent(ext);
                let op = Op::Mmap {
                    fd,
                    offset: x.offset,
                    len: x.len,
                    addr: x.addr,
                };
                self.syscall(i, e, &op, observed.then_some(Ok(())));
            }
            Body::Munmap { ext } => {
                let x = self.trace.extent(ext);
                let op = Op::Munmap {
                    addr: x.addr,
                    len: x.len,
                };
                self.syscall(i, e, &op, None);
            }
            Body::Dmabuf { fd, name, ext } => {
                let x = self.trace.extent(ext);
                let op = Op::Dmabuf {
                    fd,
                    size: x.len,
                    ino: x.offset,
                    name: Some(name.0),
                };
                self.step(i, e, &op, None);
            }
            Body::Memop {
                kind,
                dev,
                ty,
                index,
                plane,
            } => {
                if observed && i >= self.consumed_to {
                    let key = QueueKey { dev, ty };
                    self.model
                        .observe_memop(key, index, plane, kind, i as u32, e.t_ns);
                    if kind == MemopKind::GetDmabuf {
                        self.model.observe_export(key, index, plane);
                    }
                }
            }
            Body::Driver { dev, ty, action } => {
                if let DriverAction::BufferDone {
                    index: Some(index),
                    state,
                } = action
                    && observed
                    && self.finished_while_stopping(QueueKey { dev, ty }, index, e)
                {
                    // A job that ended while a STREAMOFF of its queue waited for it: the
                    // model's STREAMOFF already took the buffer, as vb2's did after the job.
                    // Its CAPTURE result is what is lost (an OUTPUT buffer's was delivered).
                    if state == DoneState::Done && !ty.is_output() {
                        let key = QueueKey { dev, ty };
                        self.model
                            .result_dropped_by_streamoff(key, index, i as u32, e.t_ns);
                    }
                    return;
                }
                let op = match action {
                    DriverAction::BufferDone { index, state } => Op::BufferDone {
                        dev,
                        ty,
                        index,
                        state,
                    },
                    DriverAction::Config(cfg) => Op::Driver { dev, ty, cfg },
                };
                self.step(i, e, &op, None);
            }
            Body::Klog { text } if observed => {
                let text = self.trace.str(text);
                if let Some(rule) = klog_rule(text) {
                    self.stats.observed_klogs += 1;
                    // The model may have predicted the same line at the step just before.
                    let predicted = self
                        .model
                        .findings
                        .iter()
                        .rev()
                        .take(8)
                        .any(|f| f.rule == rule && f.event + 8 >= i as u32);
                    if predicted {
                        return;
                    }
                    self.stats.klogs_unpredicted += 1;
                    self.model.ev_at(i as u32, e.t_ns);
                    self.model
                        .find(rule, None, None, None, FindingDetail::Log(text.to_string()));
                }
            }
            Body::Expect { want } => {
                let Some((op_line, actual)) = self.last else {
                    return;
                };
                if actual != want {
                    self.model.ev_at(i as u32, e.t_ns);
                    self.model.find(
                        RuleId::Expect,
                        None,
                        None,
                        None,
                        FindingDetail::Expect {
                            line: e.line(),
                            op_line,
                            expected: want,
                            actual,
                        },
                    );
                }
            }
            Body::Klog { .. } | Body::Tracepoint { .. } | Body::Marker { .. } => {}
        }
    }
}

/// A failed QBUF or PREPARE_BUF whose argument the source printed only in part (strace
/// prints `{type, index}` when the call fails): its flags, a request fd among them, are
/// not known, so the kernel's errno may answer what the model cannot see.
fn partial_buffer(trace: &Trace, cmd: IoctlCmd, arg: u32) -> bool {
    matches!(cmd, IoctlCmd::Qbuf | IoctlCmd::PrepareBuf)
        && matches!(trace.arg(arg), Some(IoctlArg::Buffer(b)) if b.memory.is_none())
}

impl Replayer<'_> {
    /// Whether the driver's completion of buffer `index` of `key` (event `e`, from its own
    /// thread) came while a STREAMOFF of that queue waited for the running job, for a
    /// buffer the model's STREAMOFF already took.
    fn finished_while_stopping(&self, key: QueueKey, index: u32, e: &Event) -> bool {
        // Only an M2M context waits for a job in STREAMOFF; elsewhere such a completion
        // is the driver's (R10).
        let inside = self.model.is_m2m_dev(key.dev)
            && self
                .stopping
                .iter()
                .any(|s| s.covers(key, self.trace.tid(e), e.t_ns));
        let with_driver = self
            .model
            .queue(key)
            .and_then(|q| q.buf(index))
            .is_some_and(|b| b.state == crate::model::BufState::Active);
        inside && !with_driver
    }
}

/// Whether a completion seen inside call `cmd` on queue `target` is one the model makes
/// itself when it steps the call: stop_streaming returning the stopped queue's buffers
/// (STREAMOFF, REQBUFS, a close), a failed start giving them back QUEUED, or the LAST buffer
/// a QBUF's reply already shows DONE. A completion on another queue (the M2M job that
/// STREAMOFF waits for), or a DONE inside a successful STREAMON or QBUF (an M2M job run in
/// the caller's thread), is the driver's own.
fn made_by_the_model(
    cmd: Option<IoctlCmd>,
    target: Option<(QueueKey, Option<IoctlArg>)>,
    (key, index, state): (QueueKey, Option<u32>, DoneState),
) -> bool {
    let on_target = target.as_ref().is_some_and(|(k, _)| *k == key);
    match cmd {
        // A close releases every queue of the handle.
        None => true,
        Some(IoctlCmd::Streamoff | IoctlCmd::Reqbufs) => on_target,
        Some(IoctlCmd::Streamon) => on_target && state == DoneState::Queued,
        Some(IoctlCmd::Qbuf) => match target {
            Some((k, Some(IoctlArg::Buffer(b)))) => {
                k == key
                    && index == Some(b.index)
                    && b.flags & flags::DONE != 0
                    && b.flags & flags::QUEUED == 0
            }
            _ => false,
        },
        _ => false,
    }
}

/// When call `e` (event `i` of `trace`) ended, for what happened inside it; unbounded when
/// its source did not time it.
fn call_end(trace: &Trace, i: usize, e: &Event) -> u64 {
    trace
        .duration(i as u32)
        .map_or(u64::MAX, |d| e.t_ns.saturating_add(d).saturating_add(1_000))
}

/// How long after a refused DQBUF's end the stop that woke it may come ([`Replayer::stopped_while_waiting`]).
const SOON_NS: u64 = 50_000_000;

/// Until when the replay of event `i` reads the events after it by their time: a DQBUF that
/// got EINVAL looks for the stop that woke it up to [`SOON_NS`] after its end. A growing
/// trace is replayed past such an event only once it holds a later event.
pub fn reads_ahead_until(trace: &Trace, i: usize) -> Option<u64> {
    let e = trace.events.get(i)?;
    match e.body {
        Body::Ioctl {
            cmd: IoctlCmd::Dqbuf,
            result: Err(crate::v4l2::Errno::EINVAL),
            ..
        } => Some(
            e.t_ns
                .saturating_add(trace.duration(i as u32).unwrap_or(0))
                .saturating_add(SOON_NS),
        ),
        _ => None,
    }
}

/// Replays `trace` under `policy`.
pub fn check_trace(trace: &Trace, policy: Policy) -> CheckReport {
    replay(trace, policy, |_, _| {})
}

/// Replays `trace` under `policy`, calling `after(i, model)` once the model has taken event
/// `i` into account (for every event, inferred ones included), so that callers can sample
/// the model's state over time.
pub fn replay(trace: &Trace, policy: Policy, mut after: impl FnMut(usize, &Model)) -> CheckReport {
    let report = replay_until(trace, policy, |i, m| {
        after(i, m);
        true
    });
    report.unwrap_or_else(|| CheckReport::empty(policy))
}

/// A QBUF or PREPARE_BUF into a media request.
fn to_request(b: &crate::trace::V4l2Buffer) -> bool {
    b.flags & crate::v4l2::flags::REQUEST_FD != 0
}

/// A call that changed a buffer's state in a way the model cannot follow: one whose argument
/// its source did not decode (QUERYBUF, EXPBUF and QUERYCAP change none: the model takes no
/// step for it).
fn undecoded_state_change(trace: &Trace, e: &Event) -> bool {
    let Body::Ioctl {
        cmd,
        arg,
        result: Ok(()),
        ..
    } = e.body
    else {
        return false;
    };
    match trace.arg(arg) {
        Some(IoctlArg::Undecoded) => !matches!(
            cmd,
            IoctlCmd::Querybuf | IoctlCmd::Expbuf | IoctlCmd::Querycap
        ),
        _ => false,
    }
}

/// [`replay`], stopping (and returning `None`) as soon as `after` returns false.
pub fn replay_until(
    trace: &Trace,
    policy: Policy,
    after: impl FnMut(usize, &Model) -> bool,
) -> Option<CheckReport> {
    replay_inner(trace, policy, after, None)
}

/// [`replay_until`], keeping the replay's state every [`Checkpoints::EVERY`] events (more
/// apart on a trace long enough to need more than [`Checkpoints::MOST`]), so that a later
/// look at the model around any event resumes from near it.
pub fn replay_until_checkpointed(
    trace: &Trace,
    policy: Policy,
    after: impl FnMut(usize, &Model) -> bool,
    checkpoints: &mut Checkpoints,
) -> Option<CheckReport> {
    replay_inner(trace, policy, after, Some(checkpoints))
}

/// The replay's state before some events of one trace under one policy (findings left out:
/// a look at the model needs its state, not what it found), to resume from the nearest.
#[derive(Clone, Default)]
pub struct Checkpoints {
    policy: Option<Policy>,
    /// Events between two checkpoints kept.
    every: usize,
    at: Vec<(usize, Replayer<'static>)>,
}

impl std::fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkpoints({} under {:?})", self.at.len(), self.policy)
    }
}

impl Checkpoints {
    /// Events between two checkpoints at first: resuming replays at most this many.
    pub const EVERY: usize = 1 << 16;
    /// The most checkpoints kept: past it, every other one goes and the gap doubles, so
    /// their memory stays bounded on any trace.
    pub const MOST: usize = 256;

    fn keep(&mut self, i: usize, r: &mut Replayer<'_>) {
        if !i.is_multiple_of(self.every.max(1)) {
            return;
        }
        if self.at.len() >= Self::MOST {
            let mut k = 0;
            self.at.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.every *= 2;
            if !i.is_multiple_of(self.every) {
                return;
            }
        }
        // The findings so far stay out of the copy (a million findings, copied at every
        // checkpoint, would be most of the memory).
        let findings = std::mem::take(&mut r.model.findings);
        let kept = r.clone().rebind(Cow::Owned(Trace::default()));
        r.model.findings = findings;
        self.at.push((i, kept));
    }

    /// Replays `trace` (the one the checkpoints were kept for) under `policy` from the last
    /// checkpoint at or before event `from`, or from the start without one, calling `after`
    /// after each event until it returns false.
    pub fn resume(
        &self,
        trace: &Trace,
        policy: Policy,
        from: usize,
        mut after: impl FnMut(usize, &Model) -> bool,
    ) {
        let found = (self.policy == Some(policy))
            .then(|| {
                let k = self.at.partition_point(|(i, _)| *i <= from);
                k.checked_sub(1).and_then(|k| self.at.get(k))
            })
            .flatten();
        let (start, mut r) = match found {
            Some((i, kept)) => (*i, kept.clone().rebind(Cow::Borrowed(trace))),
            None => (0, Replayer::new(Cow::Borrowed(trace), policy)),
        };
        for (i, e) in trace.events.iter().enumerate().skip(start) {
            r.event(i, e);
            if !after(i, &r.model) {
                return;
            }
        }
    }

    /// How many checkpoints are kept.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

impl Replayer<'_> {
    /// The same state, replaying `trace`.
    fn rebind(self, trace: Cow<'_, Trace>) -> Replayer<'_> {
        Replayer {
            trace,
            model: self.model,
            stepped: self.stepped,
            stats: self.stats,
            last: self.last,
            consumed_to: self.consumed_to,
            last_call: self.last_call,
            video_fds: self.video_fds,
            skip: self.skip,
            memops_traced: self.memops_traced,
            within_marked: self.within_marked,
            setups: self.setups,
            unseen_setup: self.unseen_setup,
            request_dev: self.request_dev,
            stopping: self.stopping,
        }
    }
}

fn replay_inner(
    trace: &Trace,
    policy: Policy,
    after: impl FnMut(usize, &Model) -> bool,
    checkpoints: Option<&mut Checkpoints>,
) -> Option<CheckReport> {
    let mut replay = Replay::new(trace, policy);
    let mut report = replay.empty_report();
    if !replay.run(trace, trace.events.len(), checkpoints, after) {
        return None;
    }
    replay.finish(trace, &mut report);
    Some(report)
}

/// A replay fed a trace in parts, as it grows (a live recording), giving at each point the
/// report so far; fed all at once and finished, it is [`replay`].
#[derive(Clone)]
pub struct Replay {
    /// Bound to a placeholder between runs: each run borrows the trace as it is then.
    r: Replayer<'static>,
    policy: Policy,
    scan: Scan,
    /// The next event to replay.
    next: usize,
    /// Of the model's findings, the first this many are already delivered: copies kept for
    /// the look-back of later events (the same fact twice at one event, a log line the
    /// model predicted just before).
    delivered: usize,
    rebuilt_calls: bool,
    incomplete_from: Option<u32>,
    undecoded_from: Option<u32>,
}

/// How many delivered findings the model keeps for its look-back: a log line the model
/// predicted is looked for among the last 8.
const LOOK_BACK: usize = 8;

impl Replay {
    /// A replay of `trace` under `policy`, knowing of the trace what its events so far show.
    pub fn new(trace: &Trace, policy: Policy) -> Replay {
        let scan = Scan::of(&trace.events);
        Replay {
            r: Replayer::with_scan(Cow::Owned(Trace::default()), policy, scan),
            policy,
            scan,
            next: 0,
            delivered: 0,
            rebuilt_calls: false,
            incomplete_from: None,
            undecoded_from: None,
        }
    }

    /// The next event to replay.
    pub fn next(&self) -> usize {
        self.next
    }

    /// Whether the events from the next one up to `to` show what the trace did not when
    /// the replay began (the first observed event, memop or mark of a call's kernel
    /// events): what went before would be replayed otherwise, so it must start again.
    pub fn outgrown(&self, trace: &Trace, to: usize) -> bool {
        let new = trace.events.get(self.next..to).unwrap_or(&[]);
        self.scan.outgrown_by(new)
    }

    /// Whether the first event not replayed would have been read with the last call replayed
    /// (its kernel events, come late): what was replayed of that call must be done again.
    pub fn continues_last_call(&self, trace: &Trace) -> bool {
        let next = self.next;
        trace
            .events
            .get(next)
            .is_some_and(|n| self.r.continues_call(trace, next, n))
    }

    /// A report with nothing in it yet, for [`Replay::deliver`] and [`Replay::finish`].
    pub fn empty_report(&self) -> CheckReport {
        CheckReport::empty(self.policy)
    }

    /// Replays events up to `to` (exclusive) of `trace`, calling `after` after each; false
    /// (and a replay no longer usable) when `after` returned false.
    pub fn run(
        &mut self,
        trace: &Trace,
        to: usize,
        mut checkpoints: Option<&mut Checkpoints>,
        mut after: impl FnMut(usize, &Model) -> bool,
    ) -> bool {
        let placeholder = Replayer::with_scan(Cow::Owned(Trace::default()), self.policy, self.scan);
        let mut r = std::mem::replace(&mut self.r, placeholder).rebind(Cow::Borrowed(trace));
        if self.next == 0
            && let Some(c) = checkpoints.as_deref_mut()
        {
            *c = Checkpoints {
                policy: Some(self.policy),
                every: Checkpoints::EVERY,
                at: Vec::new(),
            };
        }
        let end = to.min(trace.events.len());
        for (i, e) in trace.events.iter().enumerate().take(end).skip(self.next) {
            if i.is_multiple_of(Checkpoints::EVERY)
                && let Some(c) = checkpoints.as_deref_mut()
            {
                c.keep(i, &mut r);
            }
            r.event(i, e);
            self.note(trace, i, e);
            if !after(i, &r.model) {
                return false;
            }
        }
        self.next = self.next.max(end);
        self.r = r.rebind(Cow::Owned(Trace::default()));
        true
    }

    /// What the report notes of event `i` besides the model's findings.
    fn note(&mut self, trace: &Trace, i: usize, e: &Event) {
        self.rebuilt_calls |= e.origin() == Origin::Rebuilt;
        if self.incomplete_from.is_none()
            && matches!(e.body, Body::Tracepoint { name, .. }
                if trace.str(name) == crate::trace::LOST_EVENTS)
        {
            self.incomplete_from = Some(i as u32);
        }
        if self.undecoded_from.is_none() && undecoded_state_change(trace, e) {
            self.undecoded_from = Some(i as u32);
        }
    }

    /// Brings `report` up to the events replayed so far: the findings not yet in it
    /// (kept in event order), the counts and notes.
    pub fn deliver(&mut self, report: &mut CheckReport) {
        let model = &mut self.r.model;
        let new = model.findings.get(self.delivered..).unwrap_or(&[]);
        let sorted_from = report.findings.len();
        report.findings.extend_from_slice(new);
        // Kept for the look-back: the last few, and every finding of the last one's event
        // (the same fact twice at one event is read back over all of them).
        let last = model.findings.last().map(|f| f.event);
        let run = model
            .findings
            .iter()
            .rposition(|f| Some(f.event) != last)
            .map_or(0, |p| p + 1);
        let keep = model.findings.len().saturating_sub(LOOK_BACK).min(run);
        model.findings.drain(..keep);
        self.delivered = model.findings.len();
        // A finding can name an earlier event than one delivered before it (the calls
        // around it were read first): the order is restored, stably, as one sort would.
        let unsorted = report
            .findings
            .get(sorted_from.saturating_sub(1)..)
            .is_some_and(|t| !t.is_sorted_by_key(|f| f.event));
        if unsorted {
            report.findings.sort_by_key(|f| f.event);
        }
        let mut stats = self.r.stats;
        stats.events = self.next as u64;
        stats.values_observed = model.values_observed;
        stats.values_unpredicted = model.values_unpredicted;
        stats.driver_refusals = model.driver_refusals;
        report.stats = stats;
        report.value_notes.clone_from(&model.value_notes);
        report.rebuilt_calls = self.rebuilt_calls;
        report.incomplete_from = self.incomplete_from;
        report.undecoded_from = self.undecoded_from;
        report.unseen_setup = self
            .r
            .unseen_setup
            .iter()
            .map(|&q| {
                let setup = self.r.setups.iter().find(|&&(k, _)| k == q);
                (q, setup.map(|&(_, i)| i))
            })
            .collect();
    }

    /// Ends the replay at the end of `trace` and completes `report` (what was never given
    /// back is found only now). A trace cut short (a preview) does not end here and is
    /// only drawn, not judged: near the cut a call can be missing the kernel's events
    /// inside it, or the STREAMOFF that explains its result.
    pub fn finish(mut self, trace: &Trace, report: &mut CheckReport) {
        if !trace.cut {
            self.r.model.finish();
        }
        self.deliver(report);
        if trace.cut {
            report.findings.clear();
        }
    }

    /// The model as the last event left it.
    pub fn model(&self) -> &Model {
        &self.r.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v4l2::BufType;

    /// Regression: a QBUF that dma-contig refused (EFAULT: the dma-buf is not contiguous)
    /// attached the dma-buf, failed to map it and detached it; the attach and detach were
    /// counted as memops the model did not predict.
    #[test]
    fn what_a_failed_call_took_and_gave_back_is_not_compared() {
        let q = QueueKey {
            dev: 0,
            ty: BufType::VideoCapture,
        };
        let group = vec![
            (q, 0, 0, MemopKind::AttachDmabuf),
            (q, 0, 0, MemopKind::DetachDmabuf),
            (q, 1, 0, MemopKind::DetachDmabuf),
        ];
        // Buffer 1's detach undoes nothing taken in this call: it stays.
        assert_eq!(
            undone_dropped(group),
            vec![(q, 1, 0, MemopKind::DetachDmabuf)]
        );
    }

    /// Past `MOST` checkpoints every other one goes and the gap doubles: their number stays
    /// bounded and the ones kept are evenly spaced.
    #[test]
    fn checkpoints_thin_out_on_a_long_trace() {
        let t = Trace::default();
        let mut r = Replayer::new(Cow::Borrowed(&t), Policy::MODERN);
        let mut c = Checkpoints {
            policy: Some(Policy::MODERN),
            every: 1,
            at: Vec::new(),
        };
        for i in 0..10 * Checkpoints::MOST {
            c.keep(i, &mut r);
        }
        assert!(c.len() <= Checkpoints::MOST, "{}", c.len());
        assert!(c.len() >= Checkpoints::MOST / 2, "{}", c.len());
        let gaps: Vec<usize> = c.at.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(gaps.iter().all(|&g| g == c.every), "{gaps:?}");
        assert_eq!(c.at.first().map(|a| a.0), Some(0));
    }
}
