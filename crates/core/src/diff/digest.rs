//! A trace's buffer lifecycle as `diff` compares it: per queue, the calls the application
//! made, in order, each with what the kernel answered, the memops inside it, the state it
//! left its buffers in and the findings at it. What differs between two runs of the same
//! program without meaning anything (fds, addresses, times, device numbers) is replaced by
//! roles: devices and dma-bufs are numbered in the order the trace first uses them.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::check::{CheckReport, replay};
use crate::model::{BufState, DmabufId, Model};
use crate::policy::Policy;
use crate::trace::{Body, Event, IoctlArg, IoctlCmd, Trace, VideoFds};
use crate::v4l2::{BufType, Errno, MemopKind, Memory, Origin, QueueKey, codec, flags};

/// Where a call belongs, by role: one buffer's calls (QBUF, DQBUF of it, EXPBUF), a
/// queue's own (REQBUFS, STREAMON, STREAMOFF: `buffer: None`), or a device's that name no
/// queue (mmap, close, codec commands: `queue: None`). Each buffer has a lane of its own,
/// so that two runs that cycle their buffers in another order still align.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LaneKey {
    /// The device's number in the order the trace first used it for buffers, from 1.
    pub device: u16,
    pub queue: Option<BufType>,
    pub buffer: Option<u32>,
}

/// One call of the application, as the diff compares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Where it is in its trace.
    pub event: u32,
    /// From the trace's first event.
    pub t_ns: u64,
    /// What the application asked, in roles: the steps of two traces are aligned on it.
    pub op: String,
    /// What the kernel answered: `ok`, an errno, the count granted, the buffer dequeued.
    pub result: String,
    /// The lifecycle memops inside the call (`alloc 0.0`: buffer 0, plane 0).
    pub memops: Vec<String>,
    /// Whether the memops are the kernel's (the trace shows them) or the model's prediction.
    pub memops_observed: bool,
    /// The state the call left the buffer in (a queue-wide call: every buffer's).
    pub state: String,
    /// The rules broken at the call, with their severity under the trace's policy.
    pub findings: Vec<String>,
    /// The buffer the call acted on, by its own trace's queue key (for a view to find its
    /// lane); not compared: the key numbers the trace's devices.
    #[serde(skip)]
    pub buffer: Option<(QueueKey, u32)>,
}

/// One lane of a digest.
#[derive(Clone, Debug, Serialize)]
pub struct Lane {
    pub key: LaneKey,
    /// `dev1 vivid cap`.
    pub label: String,
    pub steps: Vec<Step>,
}

/// A trace's lifecycle under one policy.
#[derive(Clone, Debug, Serialize)]
pub struct Digest {
    pub policy: Policy,
    pub lanes: Vec<Lane>,
}

/// The digest of `trace` replayed under `policy`; `report` is that replay's (its findings
/// are put on the calls they were found at).
pub fn digest(trace: &Trace, policy: Policy, report: &CheckReport) -> Digest {
    let mut b = Builder::new(trace);
    replay(trace, policy, |i, model| b.after(i, model));
    b.findings(report);
    b.finish(policy)
}

struct Builder<'t> {
    trace: &'t Trace,
    /// The first event's time: steps' times count from it.
    t0: u64,
    fds: VideoFds,
    /// Trace device → its role number.
    devices: FxHashMap<u16, u16>,
    dmabufs: FxHashMap<DmabufId, u32>,
    userptrs: FxHashMap<u64, u32>,
    lanes: Vec<Lane>,
    lane_of: FxHashMap<LaneKey, usize>,
    /// Event → (lane, step) of the calls made into steps; the last step of each queue, for
    /// what happened after it (kernel memops, findings at a driver's completion).
    step_at: FxHashMap<u32, (usize, usize)>,
    /// The last syscall: kernel memops placed inside a call follow it.
    last_call: Option<(u32, u16)>,
}

impl<'t> Builder<'t> {
    fn new(trace: &'t Trace) -> Builder<'t> {
        Builder {
            trace,
            t0: trace.events.first().map_or(0, |e| e.t_ns),
            fds: VideoFds::default(),
            devices: FxHashMap::default(),
            dmabufs: FxHashMap::default(),
            userptrs: FxHashMap::default(),
            lanes: Vec::new(),
            lane_of: FxHashMap::default(),
            step_at: FxHashMap::default(),
            last_call: None,
        }
    }

    fn after(&mut self, i: usize, model: &Model) {
        let Some(e) = self.trace.events.get(i) else {
            return;
        };
        let ev = i as u32;
        // The replay follows fds itself; the digest needs the device before a close, and
        // whether the fd was a video node's.
        let (dev_before, was_video) = match e.body {
            Body::Close { fd } | Body::Mmap { fd, .. } => {
                (Some(self.fds.dev(fd)), self.fds.is_open(fd))
            }
            _ => (None, false),
        };
        self.fds.follow(&e.body);
        match e.body {
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            } => self.ioctl(ev, e, model, fd, cmd, result, arg),
            Body::Memop {
                kind,
                dev,
                index,
                plane,
                ..
            } if e.origin() == Origin::Observed && e.within() && kind.is_lifecycle() => {
                self.observed_memop(model, dev, kind, index, plane);
            }
            Body::Open { dev, .. } if self.devices.contains_key(&dev) => {
                let key = self.lane(dev, None, None);
                self.push(key, ev, e, "open".into(), "ok".into(), model, None);
            }
            Body::Close { .. } | Body::Mmap { .. } if was_video => {
                let dev = dev_before.unwrap_or(0);
                if self.devices.contains_key(&dev) {
                    let op = if matches!(e.body, Body::Close { .. }) {
                        "close"
                    } else {
                        "mmap"
                    };
                    let key = self.lane(dev, None, None);
                    self.push(key, ev, e, op.into(), "ok".into(), model, None);
                }
            }
            // A munmap or a close of another fd counts when it freed something.
            Body::Munmap { .. } | Body::Close { .. } if has_memops(model) => {
                let dev = model.fx.memops().next().map_or(0, |m| m.queue.dev);
                let key = self.lane(dev, None, None);
                let op = if matches!(e.body, Body::Munmap { .. }) {
                    "munmap"
                } else {
                    "close (not a video node)"
                };
                self.push(key, ev, e, op.into(), "ok".into(), model, None);
            }
            _ => {}
        }
        if e.body.is_syscall() {
            let dev = match e.body {
                Body::Ioctl { fd, .. } => self.fds.dev(fd),
                _ => dev_before.unwrap_or(0),
            };
            self.last_call = Some((ev, dev));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ioctl(
        &mut self,
        ev: u32,
        e: &Event,
        model: &Model,
        fd: i32,
        cmd: IoctlCmd,
        result: crate::v4l2::Outcome,
        arg: u32,
    ) {
        let a = self.trace.arg(arg);
        let dev = self.fds.dev(fd);
        let Some(ty) = a.and_then(IoctlArg::buf_type) else {
            // Codec commands name no queue: they are the device's.
            if matches!(cmd, IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd) {
                let name = match a {
                    Some(&IoctlArg::Command { cmd: Some(c), .. }) => {
                        codec::cmd_name(c, cmd == IoctlCmd::EncoderCmd).unwrap_or("?")
                    }
                    _ => "(command not recorded)",
                };
                let key = self.lane(dev, None, None);
                let op = format!("{} {name}", cmd.name());
                self.push(key, ev, e, op, outcome(result), model, None);
            }
            return;
        };
        let q = QueueKey { dev, ty };
        // A non-blocking DQBUF that found nothing changed nothing: how many a program makes
        // depends on timing, not on vb2. QUERYBUF changes nothing either: whether a program
        // asks (a device run asks for every offset it maps) is not the buffer's life.
        if cmd == IoctlCmd::Querybuf || (cmd == IoctlCmd::Dqbuf && result == Err(Errno::EAGAIN)) {
            return;
        }
        let op = match a {
            Some(IoctlArg::Alloc { memory, count, .. }) => {
                format!("{} {} count {count}", cmd.name(), memory.as_str())
            }
            Some(IoctlArg::Remove { index, count, .. }) => {
                format!("{} index {index} count {count}", cmd.name())
            }
            Some(IoctlArg::Expbuf { plane, .. }) => format!("{} plane {plane}", cmd.name()),
            // What DQBUF returns is the kernel's: the buffer (its lane), its flags; a failed
            // one may come back without even the memory type.
            Some(IoctlArg::Buffer(_)) if cmd == IoctlCmd::Dqbuf => cmd.name().to_owned(),
            Some(IoctlArg::Buffer(b)) => self.buffer_op(cmd, b, model),
            _ => cmd.name().to_owned(),
        };
        let mut res = outcome(result);
        let mut index = None;
        match a {
            Some(IoctlArg::Alloc {
                count_out: Some(n), ..
            }) if result.is_ok() => res = format!("ok, {n} buffers"),
            Some(IoctlArg::Buffer(b)) if result.is_ok() => {
                index = Some(b.index);
                if cmd == IoctlCmd::Dqbuf {
                    let shown = b.flags & (flags::ERROR | flags::LAST);
                    if shown != 0 {
                        res = format!("ok, {}", flags::names(shown));
                    }
                }
            }
            Some(IoctlArg::Expbuf { .. }) if result.is_ok() => {
                res = match model.dmabuf_at(fd_out(a)) {
                    Some(d) => format!("ok, dmabuf#{}", self.dmabuf_role(d.id)),
                    None => "ok".into(),
                };
            }
            _ => {}
        }
        let buffer = match a {
            Some(&IoctlArg::Expbuf { index, .. }) => Some(index),
            Some(IoctlArg::Buffer(b)) if cmd != IoctlCmd::Dqbuf || result.is_ok() => Some(b.index),
            _ => None,
        };
        let key = self.lane(dev, Some(ty), buffer);
        self.push(key, ev, e, op, res, model, Some((q, index)));
    }

    /// `VIDIOC_QBUF DMABUF dmabuf#1`: the call and, by role, the memory it names (the buffer
    /// is the lane).
    fn buffer_op(&mut self, cmd: IoctlCmd, b: &crate::trace::V4l2Buffer, model: &Model) -> String {
        let mut op = cmd.name().to_owned();
        let Some(memory) = b.memory else {
            return op;
        };
        op.push(' ');
        op.push_str(memory.as_str());
        if !matches!(cmd, IoctlCmd::Qbuf | IoctlCmd::PrepareBuf) {
            return op;
        }
        let planes = self.trace.planes_of(b);
        let ms: Vec<(u64, bool)> = if planes.is_empty() {
            vec![(b.m, b.m_known)]
        } else {
            planes.iter().map(|p| (p.m, p.m_known)).collect()
        };
        for (m, known) in ms {
            let role = match memory {
                Memory::Mmap => continue,
                _ if !known => "?".to_owned(),
                Memory::Userptr => {
                    let n = self.userptrs.len() as u32 + 1;
                    format!("user#{}", *self.userptrs.entry(m).or_insert(n))
                }
                Memory::Dmabuf => match model.dmabuf_at(m as i32) {
                    Some(d) => format!("dmabuf#{}", self.dmabuf_role(d.id)),
                    None => "dmabuf?".into(),
                },
            };
            op.push(' ');
            op.push_str(&role);
        }
        op
    }

    fn dmabuf_role(&mut self, id: DmabufId) -> u32 {
        let n = self.dmabufs.len() as u32 + 1;
        *self.dmabufs.entry(id).or_insert(n)
    }

    fn lane(&mut self, dev: u16, queue: Option<BufType>, buffer: Option<u32>) -> LaneKey {
        let n = self.devices.len() as u16 + 1;
        let device = *self.devices.entry(dev).or_insert(n);
        let key = LaneKey {
            device,
            queue,
            buffer,
        };
        if !self.lane_of.contains_key(&key) {
            let name = self
                .trace
                .device_name(dev)
                .unwrap_or_else(|| self.trace.device_path(dev));
            let label = match (queue, buffer) {
                (Some(ty), Some(i)) => format!("dev{device} {name} {} buffer {i}", ty.short()),
                (Some(ty), None) => format!("dev{device} {name} {}", ty.short()),
                _ => format!("dev{device} {name}"),
            };
            self.lane_of.insert(key, self.lanes.len());
            self.lanes.push(Lane {
                key,
                label,
                steps: Vec::new(),
            });
        }
        key
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        key: LaneKey,
        ev: u32,
        e: &Event,
        op: String,
        result: String,
        model: &Model,
        target: Option<(QueueKey, Option<u32>)>,
    ) {
        let memops = model
            .fx
            .memops()
            .filter(|m| m.kind.is_lifecycle())
            .map(|m| memop_text(m.kind, m.index, m.plane))
            .collect();
        let state = match target {
            Some((q, Some(i))) => model
                .queue(q)
                .and_then(|q| q.buf(i))
                .map_or("-".into(), |b| b.state.as_str().to_owned()),
            Some((q, None)) => model.queue(q).map_or("-".into(), states),
            None => String::new(),
        };
        let Some(&l) = self.lane_of.get(&key) else {
            return;
        };
        let Some(lane) = self.lanes.get_mut(l) else {
            return;
        };
        lane.steps.push(Step {
            event: ev,
            t_ns: e.t_ns.saturating_sub(self.t0),
            op,
            result,
            memops,
            memops_observed: false,
            state,
            findings: Vec::new(),
            buffer: target.and_then(|(q, i)| Some((q, i?))),
        });
        let at = (l, lane.steps.len() - 1);
        self.step_at.insert(ev, at);
    }

    /// A memop the kernel did inside the last call (as the merge placed it): the first one
    /// replaces what the model predicted for that call. A call that was no step (a munmap
    /// or close the model expected nothing of) becomes one.
    fn observed_memop(&mut self, model: &Model, dev: u16, kind: MemopKind, index: u32, plane: u8) {
        let Some((call, call_dev)) = self.last_call else {
            return;
        };
        if !self.step_at.contains_key(&call) {
            let Some(c) = self.trace.events.get(call as usize) else {
                return;
            };
            let op = match c.body {
                Body::Munmap { .. } => "munmap",
                Body::Close { .. } => "close",
                _ => return,
            };
            let key = self.lane(if call_dev != 0 { call_dev } else { dev }, None, None);
            self.push(key, call, c, op.into(), "ok".into(), model, None);
            if let Some(step) = self
                .step_at
                .get(&call)
                .and_then(|&(l, s)| self.lanes.get_mut(l).and_then(|l| l.steps.get_mut(s)))
            {
                step.memops.clear();
            }
        }
        let Some(&(l, s)) = self.step_at.get(&call) else {
            return;
        };
        let Some(step) = self.lanes.get_mut(l).and_then(|l| l.steps.get_mut(s)) else {
            return;
        };
        if !step.memops_observed {
            step.memops.clear();
            step.memops_observed = true;
        }
        step.memops.push(memop_text(kind, index, plane));
    }

    /// Each finding on the step of its event; one at an event that is no step (a driver's
    /// completion, a kernel message) on the last step before it of its buffer, else of its
    /// queue, else of the trace.
    fn findings(&mut self, report: &CheckReport) {
        type Places = Vec<(u32, (usize, usize))>;
        let mut by_buffer: FxHashMap<(QueueKey, Option<u32>), Places> = FxHashMap::default();
        let mut by_queue: FxHashMap<QueueKey, Places> = FxHashMap::default();
        for (l, lane) in self.lanes.iter().enumerate() {
            let Some(q) = self.queue_of(lane.key) else {
                continue;
            };
            for (s, step) in lane.steps.iter().enumerate() {
                let at = (step.event, (l, s));
                by_buffer.entry((q, lane.key.buffer)).or_default().push(at);
                by_queue.entry(q).or_default().push(at);
            }
        }
        // Lanes of one queue interleave.
        for list in by_queue.values_mut() {
            list.sort_unstable();
        }
        let mut all: Places = self.step_at.iter().map(|(&e, &a)| (e, a)).collect();
        all.sort_unstable();
        let before = |list: &Places, ev: u32| {
            let p = list.partition_point(|&(e, _)| e <= ev);
            p.checked_sub(1).and_then(|p| list.get(p)).map(|&(_, a)| a)
        };
        for f in &report.findings {
            let at = self.step_at.get(&f.event).copied().or_else(|| {
                let q = f.queue?;
                let buffer = f.index.and_then(|i| by_buffer.get(&(q, Some(i))));
                buffer
                    .and_then(|l| before(l, f.event))
                    .or_else(|| by_queue.get(&q).and_then(|l| before(l, f.event)))
            });
            let Some((l, s)) = at.or_else(|| before(&all, f.event)) else {
                continue;
            };
            if let Some(step) = self.lanes.get_mut(l).and_then(|l| l.steps.get_mut(s)) {
                let severity = report.severity(f);
                step.findings
                    .push(format!("{} {}", f.rule.as_str(), severity.as_str()));
            }
        }
    }

    /// The trace's queue of a lane.
    fn queue_of(&self, key: LaneKey) -> Option<QueueKey> {
        let ty = key.queue?;
        let dev = self
            .devices
            .iter()
            .find(|&(_, &role)| role == key.device)
            .map(|(&d, _)| d)?;
        Some(QueueKey { dev, ty })
    }

    fn finish(self, policy: Policy) -> Digest {
        Digest {
            policy,
            lanes: self.lanes,
        }
    }
}

fn has_memops(model: &Model) -> bool {
    model.fx.memops().any(|m| m.kind.is_lifecycle())
}

fn fd_out(a: Option<&IoctlArg>) -> i32 {
    match a {
        Some(&IoctlArg::Expbuf {
            fd_out: Some(fd), ..
        }) => fd,
        _ => -1,
    }
}

fn outcome(r: crate::v4l2::Outcome) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

fn memop_text(kind: MemopKind, index: u32, plane: u8) -> String {
    format!("{} {index}.{plane}", kind.as_str())
}

/// Every buffer's state, in index order: `DEQUEUED ×2, QUEUED ×2` runs.
fn states(q: &crate::model::Queue) -> String {
    let mut runs: Vec<(BufState, u32)> = Vec::new();
    for b in q.bufs.iter().flatten() {
        match runs.last_mut() {
            Some((s, n)) if *s == b.state => *n += 1,
            _ => runs.push((b.state, 1)),
        }
    }
    if runs.is_empty() {
        return "no buffers".into();
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(s, n)| {
            if n == 1 {
                s.as_str().to_owned()
            } else {
                format!("{} ×{n}", s.as_str())
            }
        })
        .collect();
    parts.join(", ")
}
