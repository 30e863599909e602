//! Building a timeline: replay the trace, and after each event sample the buffer slots the
//! model changed (`Queue::changes`) of the queue the event touches; a change closes a span
//! and opens the next. So an event costs the slots it changed, not every slot.

use crate::model::{Buffer, Model, Queue, Resources};
use crate::policy::Policy;
use crate::progress::Progress;
use crate::trace::{Body, IoctlArg, IoctlCmd, Trace, VideoFds};
use crate::v4l2::{Memory, QueueKey};

use super::span::{Change, Cursor};
use super::{
    Assoc, DmabufInfo, Lane, PlaneLane, Pyramid, QueueMark, Resource, ResourceTrack, Source, Span,
    Timeline,
};

/// Where each span of one plane stands.
#[derive(Clone, Copy, Default)]
struct PlaneC {
    assoc: Cursor,
    /// Indexed by source (inferred, observed), then resource (as `Resource::ALL`).
    held: [[Cursor; 4]; 2],
    /// What the plane's last sample saw: a sample that sees the same sets no span.
    seen: Option<PlaneSeen>,
}

/// A plane's association and what it holds by each source, as one sample sees them.
#[derive(Clone, Copy, PartialEq)]
struct PlaneSeen {
    assoc: Option<Assoc>,
    held: [[bool; 4]; 2],
}

/// Where each span of one lane stands.
#[derive(Clone, Default)]
pub(super) struct LaneC {
    state: Cursor,
    planes: Vec<PlaneC>,
}

impl LaneC {
    /// Every open span of `lane` runs to `end`.
    pub(super) fn stretch(&self, lane: &mut Lane, end: u64, lod: bool) {
        stretch_lod(
            &self.state,
            &mut lane.states,
            &mut lane.states_lod,
            end,
            lod,
        );
        for (pc, pl) in self.planes.iter().zip(&mut lane.planes) {
            pc.assoc.stretch(&mut pl.assoc, end);
            let sources = [Source::Inferred, Source::Observed];
            for (source, cursors) in sources.into_iter().zip(&pc.held) {
                for (resource, c) in Resource::ALL.into_iter().zip(cursors) {
                    let key = (source, resource);
                    let found = pl
                        .tracks
                        .binary_search_by(|t| (t.source, t.resource).cmp(&key));
                    if let Some(t) = found.ok().and_then(|p| pl.tracks.get_mut(p)) {
                        stretch_lod(c, &mut t.spans, &mut t.lod, end, lod);
                    }
                }
            }
        }
    }
}

fn stretch_lod<T>(c: &Cursor, spans: &mut [Span<T>], pyramid: &mut Pyramid<T>, end: u64, lod: bool)
where
    T: Copy,
{
    c.stretch(spans, end);
    if let Some(last) = spans.last().filter(|_| lod && c.is_open()) {
        pyramid.stretch(last.end_ns);
    }
}

fn held(r: Resources) -> [bool; 4] {
    [r.allocated, r.pinned, r.attached, r.mapped]
}

/// One queue's lanes, and what its last sample saw of the queue.
#[derive(Clone)]
pub(super) struct QueueB {
    key: QueueKey,
    /// By slot: as many as the queue ever had; `None` until the slot first held a buffer.
    lanes: Vec<Option<LaneC>>,
    /// The queue's `changes` stamp, memory and `memops_observed` at the last sample: a
    /// change of the last two changes every lane.
    stamp: u64,
    memory: Option<Memory>,
    memops_observed: bool,
}

impl QueueB {
    pub(super) fn key(&self) -> QueueKey {
        self.key
    }

    pub(super) fn lanes(&self) -> &[Option<LaneC>] {
        &self.lanes
    }

    pub(super) fn new(q: &Queue) -> QueueB {
        QueueB {
            key: q.key,
            lanes: Vec::new(),
            // Never sampled: the first sample takes every slot.
            stamp: u64::MAX,
            memory: q.memory,
            memops_observed: q.memops_observed,
        }
    }
}

/// Which slots a sample looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sampling {
    /// Those the model changed since the queue's last sample.
    Changed,
    /// Every slot (what `Changed` must equal; checked in debug builds).
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    Every,
}

/// Where a sample writes: the timeline's lanes, and whether their pyramids grow with them
/// (a live recording's; a whole trace's are built once at the end).
pub(super) struct Out<'a> {
    pub lanes: &'a mut Vec<Lane>,
    pub lod: bool,
}

/// Samples queue `q` at time `t`, event `ev`: its changed slots, or all of them.
pub(super) fn sample(qb: &mut QueueB, q: &Queue, t: u64, ev: u32, how: Sampling, out: &mut Out) {
    let same = how == Sampling::Changed
        && qb.memory == q.memory
        && qb.memops_observed == q.memops_observed
        && q.bufs.len() <= qb.lanes.len();
    match q.changes.since(qb.stamp).filter(|_| same) {
        Some(changed) => {
            for i in changed {
                if let Some(lane) = qb.lanes.get_mut(i as usize) {
                    sample_slot(lane, q, i, t, ev, out);
                }
            }
        }
        None => {
            if qb.lanes.len() < q.bufs.len() {
                qb.lanes.resize_with(q.bufs.len(), || None);
            }
            for (i, lane) in qb.lanes.iter_mut().enumerate() {
                sample_slot(lane, q, i as u32, t, ev, out);
            }
        }
    }
    qb.stamp = q.changes.stamp();
    qb.memory = q.memory;
    qb.memops_observed = q.memops_observed;
}

/// The lane of buffer `index` of `queue`, made (in its sorted place) if new.
fn lane_mut(lanes: &mut Vec<Lane>, queue: QueueKey, index: u32) -> Option<&mut Lane> {
    let pos = match lanes.binary_search_by(|l| (l.queue, l.index).cmp(&(queue, index))) {
        Ok(p) => p,
        Err(p) => {
            let lane = Lane {
                queue,
                index,
                states: Vec::new(),
                states_lod: Pyramid::default(),
                planes: Vec::new(),
            };
            lanes.insert(p, lane);
            p
        }
    };
    lanes.get_mut(pos)
}

/// Samples slot `i` of queue `q`.
fn sample_slot(lc: &mut Option<LaneC>, q: &Queue, i: u32, t: u64, ev: u32, out: &mut Out) {
    let buf: Option<&Buffer> = q.buf(i);
    if buf.is_none() && lc.is_none() {
        return;
    }
    let lc = lc.get_or_insert_with(LaneC::default);
    let lod = out.lod;
    let Some(lane) = lane_mut(out.lanes, q.key, i) else {
        return;
    };
    let state = buf.map(|b| b.state);
    set_lod(
        &mut lc.state,
        &mut lane.states,
        &mut lane.states_lod,
        lod,
        (t, ev),
        state,
    );
    let n = buf
        .map(|b| b.planes.len())
        .unwrap_or(0)
        .max(lc.planes.len());
    lc.planes.resize_with(n, PlaneC::default);
    lane.planes.resize_with(n, PlaneLane::default);
    for (pi, (pc, pl)) in lc.planes.iter_mut().zip(&mut lane.planes).enumerate() {
        let p = buf.and_then(|b| b.planes.get(pi));
        let seen = PlaneSeen {
            assoc: p.and_then(|p| Assoc::of(q.memory, p)),
            held: [
                p.map(|p| held(p.inferred)).unwrap_or_default(),
                p.filter(|_| q.memops_observed)
                    .map(|p| held(p.observed))
                    .unwrap_or_default(),
            ],
        };
        // Most samples of a plane (a QBUF, a DQBUF) change the buffer's state only: setting
        // each cursor to the value it holds would change nothing.
        if pc.seen == Some(seen) {
            continue;
        }
        pc.seen = Some(seen);
        set_assoc(&mut pc.assoc, &mut pl.assoc, t, ev, seen.assoc);
        let sources = [Source::Inferred, Source::Observed];
        for ((source, flags), cursors) in sources.into_iter().zip(seen.held).zip(&mut pc.held) {
            for ((resource, on), c) in Resource::ALL.into_iter().zip(flags).zip(cursors) {
                set_track(c, &mut pl.tracks, (resource, source), lod, (t, ev), on);
            }
        }
    }
}

/// Sets a span vector with a level of detail (grown with it when `lod`).
fn set_lod<T: Copy + PartialEq>(
    c: &mut Cursor,
    spans: &mut Vec<Span<T>>,
    pyramid: &mut Pyramid<T>,
    lod: bool,
    (t, ev): (u64, u32),
    v: Option<T>,
) {
    let was_open = c.is_open();
    let change = c.set(spans, t, ev, v);
    if !lod || change == Change::None {
        return;
    }
    // The span just closed: the last one, or the one before the span just opened.
    let closed = match change {
        Change::Opened => spans.len().checked_sub(2),
        _ => spans.len().checked_sub(1),
    };
    if let Some(s) = closed.and_then(|i| spans.get(i)).filter(|_| was_open) {
        pyramid.stretch(s.end_ns);
    }
    if let (Change::Opened, Some(s)) = (change, spans.last()) {
        pyramid.push(spans.len(), s);
    }
}

/// Sets whether a plane holds `resource` by `source`: its track is made (in order of source,
/// then resource) when it first holds it; a track never held is not there.
fn set_track(
    c: &mut Cursor,
    tracks: &mut Vec<ResourceTrack>,
    (resource, source): (Resource, Source),
    lod: bool,
    at: (u64, u32),
    on: bool,
) {
    let key = (source, resource);
    let pos = match tracks.binary_search_by(|t| (t.source, t.resource).cmp(&key)) {
        Ok(p) => p,
        Err(_) if !on => return,
        Err(p) => {
            tracks.insert(p, ResourceTrack::new(resource, source, Vec::new()));
            p
        }
    };
    if let Some(tr) = tracks.get_mut(pos) {
        set_lod(c, &mut tr.spans, &mut tr.lod, lod, at, on.then_some(()));
    }
}

/// Sets a plane's association. An MMAP plane's cookie is fixed when the buffer is
/// allocated, but a trace shows it only at the first QUERYBUF: the cookie seen then is the
/// plane's from the start, whatever the policy predicted before; equal neighbours merge.
fn set_assoc(c: &mut Cursor, spans: &mut Vec<Span<Assoc>>, t: u64, ev: u32, v: Option<Assoc>) {
    if c.set(spans, t, ev, v) != Change::Opened {
        return;
    }
    let Some((new, before)) = spans.split_last_mut() else {
        return;
    };
    if let Assoc::Mmap { observed: true, .. } = new.value {
        let mut next_start = new.start_ns;
        for s in before.iter_mut().rev() {
            let predicted = matches!(
                s.value,
                Assoc::Mmap {
                    observed: false,
                    ..
                }
            );
            if !predicted || s.end_ns != next_start {
                break;
            }
            s.value = new.value;
            next_start = s.start_ns;
        }
    }
    while let [.., a, b] = spans.as_slice() {
        if a.value != b.value || a.end_ns != b.start_ns {
            break;
        }
        let end = b.end_ns;
        spans.pop();
        if let Some(a) = spans.last_mut() {
            a.end_ns = end;
        }
    }
}

/// The queue-wide mark an event makes, if any. `closed`: the event closed a video fd.
pub(super) fn mark(
    trace: &Trace,
    i: usize,
    video_fds: &VideoFds,
    closed: bool,
) -> Option<QueueMark> {
    let e = trace.events.get(i)?;
    let (label, queue, result) = match e.body {
        Body::Open { fd, .. } => (format!("open fd {fd}"), None, Ok(())),
        Body::Close { fd } if closed => (format!("close fd {fd}"), None, Ok(())),
        Body::Ioctl {
            fd,
            cmd,
            result,
            arg,
        } => {
            let detail = match (cmd, trace.arg(arg)?) {
                (IoctlCmd::Streamon | IoctlCmd::Streamoff, IoctlArg::Stream { .. }) => {
                    String::new()
                }
                (
                    IoctlCmd::Reqbufs | IoctlCmd::CreateBufs,
                    IoctlArg::Alloc { count, memory, .. },
                ) => {
                    format!(" {count} {}", memory.as_str())
                }
                (IoctlCmd::RemoveBufs, IoctlArg::Remove { index, count, .. }) => {
                    format!(" {index}+{count}")
                }
                // The end of a stream and what restarts it: a drain, its LAST buffer, the
                // EPIPE after it, a decoder's source change.
                (IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd, IoctlArg::Command { cmd: c, .. }) => {
                    let enc = cmd == IoctlCmd::EncoderCmd;
                    match c.and_then(|c| crate::v4l2::codec::cmd_name(c, enc)) {
                        Some(n) => format!(" {n}"),
                        None => String::new(),
                    }
                }
                (IoctlCmd::Dqevent, IoctlArg::Event { ty: Some(t), .. }) if result.is_ok() => {
                    let n = crate::v4l2::codec::event_name(*t).unwrap_or("?");
                    format!(" {n}")
                }
                (IoctlCmd::Dqbuf, IoctlArg::Buffer(b))
                    if result.is_ok() && b.flags & crate::v4l2::flags::LAST != 0 =>
                {
                    format!(" LAST #{}", b.index)
                }
                (IoctlCmd::Dqbuf, IoctlArg::Buffer(_))
                    if result == Err(crate::v4l2::Errno::EPIPE) =>
                {
                    String::new()
                }
                _ => return None,
            };
            let name = cmd.name().trim_start_matches("VIDIOC_");
            (
                format!("{name}{detail}"),
                video_fds.queue(trace, fd, arg),
                result,
            )
        }
        _ => return None,
    };
    Some(QueueMark {
        t_ns: e.t_ns,
        event: i as u32,
        queue,
        label,
        result,
    })
}

/// What [`set_assoc`] must equal: the whole lane's associations with the predicted cookies
/// replaced by the one a later QUERYBUF showed, and equal neighbours merged (checked in
/// debug builds).
#[cfg(debug_assertions)]
pub(super) fn backfill_offsets(mut spans: Vec<Span<Assoc>>) -> Vec<Span<Assoc>> {
    for i in (1..spans.len()).rev() {
        let (a, b) = spans.split_at_mut(i);
        let (Some(prev), Some(next)) = (a.last_mut(), b.first()) else {
            continue;
        };
        if let (
            Assoc::Mmap {
                observed: false, ..
            },
            Assoc::Mmap { observed: true, .. },
        ) = (prev.value, next.value)
            && prev.end_ns == next.start_ns
        {
            prev.value = next.value;
        }
    }
    let mut out: Vec<Span<Assoc>> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if last.value == s.value && last.end_ns == s.start_ns => {
                last.end_ns = s.end_ns;
            }
            _ => out.push(s),
        }
    }
    out
}

/// Every request's state and bound buffer now.
pub(super) fn sample_requests(
    lanes: &mut Vec<super::RequestLane>,
    cursors: &mut Vec<Cursor>,
    model: &Model,
    t: u64,
    ev: u32,
) {
    while lanes.len() < model.requests.len() {
        let id = lanes.len() as u32;
        lanes.push(super::RequestLane {
            id,
            phases: Vec::new(),
        });
    }
    cursors.resize(lanes.len(), Cursor::default());
    for ((lane, c), r) in lanes
        .iter_mut()
        .zip(cursors.iter_mut())
        .zip(&model.requests)
    {
        let buffer = r
            .bufs
            .first()
            .and_then(|&(qi, i)| Some((model.queues.get(qi)?.key, i)));
        let phase = super::RequestPhase {
            state: r.state,
            buffer,
            ctrls: r.ctrls,
        };
        c.set(&mut lane.phases, t, ev, Some(phase));
    }
}

/// Every codec context's drain phase now.
pub(super) fn sample_drains(
    lanes: &mut Vec<super::DrainLane>,
    cursors: &mut Vec<Cursor>,
    model: &Model,
    t: u64,
    ev: u32,
) {
    for d in &model.drains {
        let pos = match lanes.iter().position(|l| l.dev == d.dev) {
            Some(p) => p,
            None => {
                lanes.push(super::DrainLane {
                    dev: d.dev,
                    phases: Vec::new(),
                });
                cursors.push(Cursor::default());
                lanes.len() - 1
            }
        };
        if let (Some(l), Some(c)) = (lanes.get_mut(pos), cursors.get_mut(pos)) {
            c.set(&mut l.phases, t, ev, Some(d.phase));
        }
    }
}

/// Brings `infos` to every dma-buf the model knows, from the changes after the first `seen`
/// (moved on past them): new ones added, changed ones (an inode or size learned later)
/// rewritten, the rest not looked at. A session that makes a dma-buf per frame costs each
/// update what changed since the last, not every dma-buf of the session.
pub(super) fn update_dmabuf_infos(
    infos: &mut Vec<DmabufInfo>,
    seen: &mut usize,
    trace: &Trace,
    model: &Model,
) {
    let (changed, now) = model.dmabufs_changed(*seen);
    for d in changed.iter().filter_map(|&id| model.dmabuf_view(id)) {
        let info = dmabuf_info(d, trace);
        match infos.get_mut(d.id as usize) {
            Some(i) => *i = info,
            // Ids are given in order: a new one is the next.
            None => infos.push(info),
        }
    }
    *seen = now;
    // What the changes gave must be what every dma-buf says: a change the model forgot to
    // log would leave a dma-buf described as it was.
    debug_assert!(
        model
            .dmabufs()
            .map(|d| dmabuf_info(d, trace))
            .eq(infos.iter().cloned()),
        "a dma-buf changed that the model did not log"
    );
}

/// What the timeline says of the dma-buf the model shows as `d`.
fn dmabuf_info(d: crate::model::DmabufView, trace: &Trace) -> DmabufInfo {
    DmabufInfo {
        id: d.id,
        ino: d.ino,
        size: d.size,
        name: d
            .name
            .map_or("", |n| trace.str(crate::trace::Sym(n)))
            .to_owned(),
        exported_from: d.exported_from,
    }
}

/// Replays `trace` under `policy` and records every buffer's life.
pub fn build(trace: &Trace, policy: Policy) -> Timeline {
    build_with(trace, policy, None).unwrap_or_else(|| build(&Trace::default(), policy))
}

/// [`build`], reporting progress; `None` when cancelled.
pub fn build_with(trace: &Trace, policy: Policy, progress: Option<&Progress>) -> Option<Timeline> {
    let tl = build_sampling(trace, policy, progress, Sampling::Changed)?;
    // Sampling only the slots the model says it changed must give what sampling every slot
    // gives: a change the model forgot to note would be a silently wrong timeline.
    #[cfg(debug_assertions)]
    if let Some(every) = build_sampling(trace, policy, None, Sampling::Every) {
        assert!(
            tl.lanes == every.lanes,
            "{}",
            first_difference(&tl.lanes, &every.lanes)
        );
    }
    Some(tl)
}

/// Where two builds' lanes first differ, in words.
#[cfg(debug_assertions)]
fn first_difference(changed: &[Lane], every: &[Lane]) -> String {
    let lane = changed.iter().zip(every).find(|(a, b)| a != b);
    match lane {
        Some((a, b)) => format!(
            "a slot changed that the model did not note: {} #{}\nsampling changes: {a:?}\nsampling every slot: {b:?}",
            a.queue, a.index
        ),
        None => format!(
            "lanes: {} sampling changes, {} sampling every slot",
            changed.len(),
            every.len()
        ),
    }
}

fn build_sampling(
    trace: &Trace,
    policy: Policy,
    progress: Option<&Progress>,
    how: Sampling,
) -> Option<Timeline> {
    let mut g = super::Growing::with_sampling(trace, policy, how, false);
    g.feed_with(trace, trace.events.len(), progress)?;
    Some(g.finish(trace))
}
