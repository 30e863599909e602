//! Building a timeline: replay the trace, and after each event sample the buffer slots the
//! model changed (`Queue::changes`) of the queue the event touches; a change closes a span
//! and opens the next. So an event costs the slots it changed, not every slot.

use crate::check::{Checkpoints, replay_until_checkpointed};
use crate::model::{BufState, Buffer, Model, Queue, Resources};
use crate::policy::Policy;
use crate::progress::Progress;
use crate::trace::{Body, IoctlArg, IoctlCmd, Trace, VideoFds, buffer_activity, touched};
use crate::v4l2::{Memory, QueueKey};

use super::{
    Assoc, DmabufInfo, Lane, PlaneLane, Pyramid, QueueMark, Resource, ResourceTrack, Source,
    SpanBuilder, Timeline,
};

#[derive(Default)]
struct PlaneB {
    assoc: SpanBuilder<Assoc>,
    /// Indexed by source (inferred, observed), then resource (as `Resource::ALL`).
    held: [[SpanBuilder<()>; 4]; 2],
}

#[derive(Default)]
struct LaneB {
    state: SpanBuilder<BufState>,
    planes: Vec<PlaneB>,
}

fn held(r: Resources) -> [bool; 4] {
    [r.allocated, r.pinned, r.attached, r.mapped]
}

/// One queue's lanes, and what its last sample saw of the queue.
struct QueueB {
    key: QueueKey,
    /// By slot: as many as the queue ever had; `None` until the slot first held a buffer.
    lanes: Vec<Option<LaneB>>,
    /// The queue's `changes` stamp, memory and `memops_observed` at the last sample: a
    /// change of the last two changes every lane.
    stamp: u64,
    memory: Option<Memory>,
    memops_observed: bool,
}

impl QueueB {
    fn new(q: &Queue) -> QueueB {
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
enum Sampling {
    /// Those the model changed since the queue's last sample.
    Changed,
    /// Every slot (what `Changed` must equal; checked in debug builds).
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    Every,
}

/// Samples queue `q` at time `t`, event `ev`: its changed slots, or all of them.
fn sample(qb: &mut QueueB, q: &Queue, t: u64, ev: u32, how: Sampling) {
    let same = how == Sampling::Changed
        && qb.memory == q.memory
        && qb.memops_observed == q.memops_observed
        && q.bufs.len() <= qb.lanes.len();
    match q.changes.since(qb.stamp).filter(|_| same) {
        Some(changed) => {
            for i in changed {
                if let Some(lane) = qb.lanes.get_mut(i as usize) {
                    sample_slot(lane, q, q.buf(i), t, ev);
                }
            }
        }
        None => {
            if qb.lanes.len() < q.bufs.len() {
                qb.lanes.resize_with(q.bufs.len(), || None);
            }
            for (i, lane) in qb.lanes.iter_mut().enumerate() {
                sample_slot(lane, q, q.buf(i as u32), t, ev);
            }
        }
    }
    qb.stamp = q.changes.stamp();
    qb.memory = q.memory;
    qb.memops_observed = q.memops_observed;
}

/// Samples one slot of queue `q`, holding `buf`.
fn sample_slot(lane: &mut Option<LaneB>, q: &Queue, buf: Option<&Buffer>, t: u64, ev: u32) {
    if buf.is_none() && lane.is_none() {
        return;
    }
    let lane = lane.get_or_insert_with(LaneB::default);
    lane.state.set(t, ev, buf.map(|b| b.state));
    let n = buf
        .map(|b| b.planes.len())
        .unwrap_or(0)
        .max(lane.planes.len());
    lane.planes.resize_with(n, PlaneB::default);
    for (pi, pb) in lane.planes.iter_mut().enumerate() {
        let p = buf.and_then(|b| b.planes.get(pi));
        pb.assoc.set(t, ev, p.and_then(|p| Assoc::of(q.memory, p)));
        let inferred = p.map(|p| held(p.inferred)).unwrap_or_default();
        let observed = p
            .filter(|_| q.memops_observed)
            .map(|p| held(p.observed))
            .unwrap_or_default();
        for (src, flags) in [inferred, observed].into_iter().enumerate() {
            for (r, &on) in flags.iter().enumerate() {
                if let Some(b) = pb.held.get_mut(src).and_then(|s| s.get_mut(r)) {
                    b.set(t, ev, on.then_some(()));
                }
            }
        }
    }
}

/// The queue-wide mark an event makes, if any. `closed`: the event closed a video fd.
fn mark(trace: &Trace, i: usize, video_fds: &VideoFds, closed: bool) -> Option<QueueMark> {
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

/// An MMAP plane's cookie is fixed when the buffer is allocated, but a trace shows it only
/// at the first QUERYBUF: the cookie seen then is the plane's from the start, whatever the
/// policy predicted before.
fn backfill_offsets(mut spans: Vec<super::Span<Assoc>>) -> Vec<super::Span<Assoc>> {
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
    let mut out: Vec<super::Span<Assoc>> = Vec::with_capacity(spans.len());
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
fn sample_requests(
    out: &mut Vec<SpanBuilder<super::RequestPhase>>,
    model: &Model,
    t: u64,
    ev: u32,
) {
    out.resize_with(model.requests.len().max(out.len()), SpanBuilder::default);
    for (b, r) in out.iter_mut().zip(&model.requests) {
        let buffer = r
            .bufs
            .first()
            .and_then(|&(qi, i)| Some((model.queues.get(qi)?.key, i)));
        b.set(
            t,
            ev,
            Some(super::RequestPhase {
                state: r.state,
                buffer,
                ctrls: r.ctrls,
            }),
        );
    }
}

/// Every codec context's drain phase now.
fn sample_drains(
    out: &mut Vec<(u16, SpanBuilder<crate::model::DrainPhase>)>,
    model: &Model,
    t: u64,
    ev: u32,
) {
    for d in &model.drains {
        let pos = match out.iter().position(|(dev, _)| *dev == d.dev) {
            Some(p) => p,
            None => {
                out.push((d.dev, SpanBuilder::default()));
                out.len() - 1
            }
        };
        if let Some((_, b)) = out.get_mut(pos) {
            b.set(t, ev, Some(d.phase));
        }
    }
}

/// Every dma-buf the model knew at the end of the trace.
fn dmabuf_infos(trace: &Trace, model: &Model) -> Vec<DmabufInfo> {
    model
        .dmabufs()
        .map(|d| DmabufInfo {
            id: d.id,
            ino: d.ino,
            size: d.size,
            name: d
                .name
                .map_or("", |n| trace.str(crate::trace::Sym(n)))
                .to_owned(),
            exported_from: d.exported_from,
        })
        .collect()
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
    let total = trace.events.len() as u64;
    // By the queue's index in `Model::queues`, which only grows (each keeps its key).
    let mut queues: Vec<QueueB> = Vec::new();
    let mut marks = Vec::new();
    let mut video_fds = VideoFds::default();
    let start_ns = trace.events.first().map(|e| e.t_ns).unwrap_or(0);
    let mut end_ns = start_ns;
    let mut dmabufs = Vec::new();
    let mut activity: Option<(u64, u64)> = None;
    let mut infos = super::names::InfoBuilder::default();
    let mut requests: Vec<SpanBuilder<super::RequestPhase>> = Vec::new();
    let mut requests_seen = 0u64;
    let mut drains: Vec<(u16, SpanBuilder<crate::model::DrainPhase>)> = Vec::new();
    let mut drains_seen = 0u64;
    let mut jobs = super::jobs::JobFinder::default();
    let last = trace.events.len().saturating_sub(1);
    let mut checkpoints = Checkpoints::default();
    let report = replay_until_checkpointed(
        trace,
        policy,
        |i, model: &Model| {
            if i % 65_536 == 0
                && let Some(p) = progress
            {
                if p.cancelled() {
                    return false;
                }
                p.set(2, i as u64, total);
            }
            if i == last {
                dmabufs = dmabuf_infos(trace, model);
            }
            let Some(e) = trace.events.get(i) else {
                return true;
            };
            end_ns = end_ns.max(e.t_ns);
            let closed = video_fds.follow(&e.body);
            jobs.note(trace, &e.body, e.t_ns, &video_fds);
            if let Some(m) = mark(trace, i, &video_fds, closed) {
                marks.push(m);
            }
            // Only the queue an event addresses can change, except for process-wide events
            // (open, close, dup, mmap…), after which every queue is sampled.
            let only = touched(trace, e, &video_fds);
            infos.note(trace, e, only, &video_fds);
            if buffer_activity(e, only) {
                let (a, b) = activity.get_or_insert((e.t_ns, e.t_ns));
                *a = (*a).min(e.t_ns);
                *b = (*b).max(e.t_ns);
            }
            queues.extend(model.queues.iter().skip(queues.len()).map(QueueB::new));
            for (q, qb) in model.queues.iter().zip(&mut queues) {
                if only.is_none_or(|k| k == q.key) {
                    sample(qb, q, e.t_ns, i as u32, how);
                }
            }
            if model.requests_version != requests_seen {
                requests_seen = model.requests_version;
                sample_requests(&mut requests, model, e.t_ns, i as u32);
            }
            if model.drains_version != drains_seen {
                drains_seen = model.drains_version;
                sample_drains(&mut drains, model, e.t_ns, i as u32);
            }
            true
        },
        &mut checkpoints,
    )?;
    let requests = requests
        .into_iter()
        .enumerate()
        .map(|(id, b)| super::RequestLane {
            id: id as u32,
            phases: b.finish(end_ns),
        })
        .collect();
    let drains = drains
        .into_iter()
        .map(|(dev, b)| super::DrainLane {
            dev,
            phases: b.finish(end_ns),
        })
        .collect();
    // Spans still open run to the end of the trace.
    let mut lanes: Vec<(QueueKey, u32, LaneB)> = queues
        .into_iter()
        .flat_map(|qb| {
            let key = qb.key;
            qb.lanes
                .into_iter()
                .enumerate()
                .filter_map(move |(i, l)| Some((key, i as u32, l?)))
        })
        .collect();
    lanes.sort_unstable_by_key(|&(queue, index, _)| (queue, index));
    let lanes = lanes
        .into_iter()
        .map(|(queue, index, b)| {
            let states = b.state.finish(end_ns);
            (queue, index, Pyramid::build(&states), states, b.planes)
        })
        .map(|(queue, index, states_lod, states, planes)| Lane {
            queue,
            index,
            states,
            states_lod,
            planes: planes
                .into_iter()
                .map(|p| PlaneLane {
                    assoc: backfill_offsets(p.assoc.finish(end_ns)),
                    tracks: p
                        .held
                        .into_iter()
                        .zip([Source::Inferred, Source::Observed])
                        .flat_map(|(per_res, source)| {
                            per_res
                                .into_iter()
                                .zip(Resource::ALL)
                                .map(move |(b, resource)| {
                                    ResourceTrack::new(resource, source, b.finish(end_ns))
                                })
                        })
                        .filter(|t| !t.spans.is_empty())
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let event_times = trace.events.iter().map(|e| e.t_ns).collect();
    Some(Timeline {
        lanes,
        dmabufs,
        requests,
        drains,
        jobs: jobs.finish(),
        queue_info: infos.finish(trace),
        activity,
        marks,
        report,
        start_ns,
        end_ns,
        event_times,
        checkpoints,
    })
}
