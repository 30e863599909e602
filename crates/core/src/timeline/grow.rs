//! A timeline that grows with its trace (a live recording): new events are replayed as they
//! come and the timeline is updated in place, never rebuilt. A whole trace's timeline is one
//! fed all at once and finished ([`super::build`]).

use std::collections::BTreeMap;

use crate::check::{Checkpoints, Replay, reads_ahead_until};
use crate::model::Model;
use crate::policy::Policy;
use crate::progress::Progress;
use crate::trace::{Trace, VideoFds, buffer_activity, touched};

use super::build::{
    Out, QueueB, Sampling, mark, sample, sample_drains, sample_requests, update_dmabuf_infos,
};
use super::jobs::JobFinder;
use super::names::InfoBuilder;
use super::span::Cursor;
use super::{Pyramid, Timeline};

/// A timeline being built, and the replay it is built from.
#[derive(Clone)]
pub struct Growing {
    replay: Replay,
    b: Builder,
}

/// Everything the timeline build keeps between events.
#[derive(Clone)]
struct Builder {
    how: Sampling,
    /// Pyramids grow with the lanes (a live recording); a whole trace's are built at the end.
    lod: bool,
    /// By the queue's index in `Model::queues`, which only grows (each keeps its key).
    queues: Vec<QueueB>,
    video_fds: VideoFds,
    infos: InfoBuilder,
    jobs: JobFinder,
    requests: Vec<Cursor>,
    requests_seen: u64,
    drains: Vec<Cursor>,
    drains_seen: u64,
    /// How many of the model's dma-buf changes `tl.dmabufs` has taken.
    dmabufs_seen: usize,
    tl: Timeline,
}

impl std::fmt::Debug for Growing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Growing({} events under {})", self.fed(), self.policy())
    }
}

impl Growing {
    /// A timeline of `trace` (so far) under `policy`, nothing replayed yet.
    pub fn new(trace: &Trace, policy: Policy) -> Growing {
        Growing::with_sampling(trace, policy, Sampling::Changed, true)
    }

    pub(super) fn with_sampling(
        trace: &Trace,
        policy: Policy,
        how: Sampling,
        lod: bool,
    ) -> Growing {
        let replay = Replay::new(trace, policy);
        let tl = Timeline {
            lanes: Vec::new(),
            dmabufs: Vec::new(),
            requests: Vec::new(),
            drains: Vec::new(),
            jobs: Vec::new(),
            queue_info: BTreeMap::new(),
            marks: Vec::new(),
            report: replay.empty_report(),
            start_ns: 0,
            end_ns: 0,
            activity: None,
            event_times: Vec::new(),
            checkpoints: Checkpoints::default(),
        };
        let b = Builder {
            how,
            lod,
            queues: Vec::new(),
            video_fds: VideoFds::default(),
            infos: InfoBuilder::default(),
            jobs: JobFinder::default(),
            requests: Vec::new(),
            requests_seen: 0,
            drains: Vec::new(),
            drains_seen: 0,
            dmabufs_seen: 0,
            tl,
        };
        Growing { replay, b }
    }

    /// The events replayed so far.
    pub fn fed(&self) -> usize {
        self.replay.next()
    }

    pub fn policy(&self) -> Policy {
        self.b.tl.report.policy
    }

    /// The timeline of the events replayed so far.
    pub fn timeline(&self) -> &Timeline {
        &self.b.tl
    }

    /// How far `trace` can be replayed now: to its end once it `ended`; else up to its last
    /// call (the kernel events of a call may still be arriving, and the replay reads them
    /// with it), or, when `quiet` (nothing came for a while), to its last event. Never past
    /// an event whose replay reads later events by their time (`reads_ahead_until`) before
    /// the trace holds a later one.
    pub fn horizon(&self, trace: &Trace, quiet: bool, ended: bool) -> usize {
        let (fed, len) = (self.fed(), trace.events.len());
        if ended {
            return len;
        }
        let new = trace.events.get(fed..).unwrap_or(&[]);
        let mut to = if quiet {
            len
        } else {
            fed + new
                .iter()
                .rposition(|e| e.body.is_syscall() && !e.within())
                .unwrap_or(0)
        };
        for i in fed..to {
            let Some(until) = reads_ahead_until(trace, i) else {
                continue;
            };
            let after = trace.events.get(i + 1..).unwrap_or(&[]);
            if !after.iter().any(|n| n.t_ns > until) {
                to = i;
                break;
            }
        }
        to
    }

    /// Whether the events after those replayed, up to `to`, change what was replayed:
    /// they show what the trace did not when the replay began (the first observed event,
    /// memop or call-marked kernel event), or the next one happened inside the call the
    /// replay took last, whose reading had stopped at the end of what was there. Then the
    /// replay must start again.
    pub fn outgrown(&self, trace: &Trace, to: usize) -> bool {
        self.replay.continues_last_call(trace) || self.replay.outgrown(trace, to)
    }

    /// Replays the events of `trace` up to `to` (exclusive) and updates the timeline.
    pub fn feed(&mut self, trace: &Trace, to: usize) {
        // Without progress nothing cancels the feed.
        let _ = self.feed_with(trace, to, None);
    }

    /// [`Growing::feed`], reporting progress; `None` when cancelled (the timeline is then
    /// unusable).
    pub(super) fn feed_with(
        &mut self,
        trace: &Trace,
        to: usize,
        progress: Option<&Progress>,
    ) -> Option<()> {
        let total = trace.events.len() as u64;
        let mut checkpoints = std::mem::take(&mut self.b.tl.checkpoints);
        let b = &mut self.b;
        let ran = self
            .replay
            .run(trace, to, Some(&mut checkpoints), |i, model: &Model| {
                if i % 65_536 == 0
                    && let Some(p) = progress
                {
                    if p.cancelled() {
                        return false;
                    }
                    p.set(2, i as u64, total);
                }
                b.note(trace, i, model);
                true
            });
        self.b.tl.checkpoints = checkpoints;
        if !ran {
            return None;
        }
        self.b.refresh(trace, &mut self.replay);
        Some(())
    }

    /// The timeline of the whole of `trace` (fed to its end first): what was never given
    /// back is found now, and each lane's level of detail is built for its final length.
    pub fn finish(mut self, trace: &Trace) -> Timeline {
        if self.fed() < trace.events.len() {
            let _ = self.feed_with(trace, trace.events.len(), None);
        }
        let mut b = self.b;
        self.replay.finish(trace, &mut b.tl.report);
        b.stretch();
        // Grown by inserts, the jobs' room doubled as it filled.
        b.tl.jobs.shrink_to_fit();
        for lane in &mut b.tl.lanes {
            lane.states_lod = Pyramid::build(&lane.states);
            for p in &mut lane.planes {
                #[cfg(debug_assertions)]
                assert_eq!(super::build::backfill_offsets(p.assoc.clone()), p.assoc);
                for t in &mut p.tracks {
                    t.lod = Pyramid::build(&t.spans);
                }
            }
        }
        b.tl
    }
}

impl Builder {
    /// Takes in event `i`, which `model` has just replayed.
    fn note(&mut self, trace: &Trace, i: usize, model: &Model) {
        let Some(e) = trace.events.get(i) else {
            return;
        };
        let tl = &mut self.tl;
        if tl.event_times.is_empty() {
            (tl.start_ns, tl.end_ns) = (e.t_ns, e.t_ns);
        }
        tl.end_ns = tl.end_ns.max(e.t_ns);
        tl.event_times.push(e.t_ns);
        let closed = self.video_fds.follow(&e.body);
        self.jobs.note(trace, &e.body, e.t_ns, &self.video_fds);
        if let Some(m) = mark(trace, i, &self.video_fds, closed) {
            tl.marks.push(m);
        }
        // Only the queue an event addresses can change, except for process-wide events
        // (open, close, dup, mmap…), after which every queue is sampled.
        let only = touched(trace, e, &self.video_fds);
        self.infos.note(trace, e, only, &self.video_fds);
        if buffer_activity(e, only) {
            let (a, b) = tl.activity.get_or_insert((e.t_ns, e.t_ns));
            *a = (*a).min(e.t_ns);
            *b = (*b).max(e.t_ns);
        }
        let known = self.queues.len();
        self.queues
            .extend(model.queues.iter().skip(known).map(QueueB::new));
        let mut out = Out {
            lanes: &mut tl.lanes,
            lod: self.lod,
        };
        for (q, qb) in model.queues.iter().zip(&mut self.queues) {
            if only.is_none_or(|k| k == q.key) {
                sample(qb, q, e.t_ns, i as u32, self.how, &mut out);
            }
        }
        if model.requests_version != self.requests_seen {
            self.requests_seen = model.requests_version;
            sample_requests(
                &mut tl.requests,
                &mut self.requests,
                model,
                e.t_ns,
                i as u32,
            );
        }
        if model.drains_version != self.drains_seen {
            self.drains_seen = model.drains_version;
            sample_drains(&mut tl.drains, &mut self.drains, model, e.t_ns, i as u32);
        }
    }

    /// Brings what is summed up over the whole trace to the events replayed so far.
    fn refresh(&mut self, trace: &Trace, replay: &mut Replay) {
        update_dmabuf_infos(
            &mut self.tl.dmabufs,
            &mut self.dmabufs_seen,
            trace,
            replay.model(),
        );
        self.jobs.update(&mut self.tl.jobs);
        self.tl.queue_info = self.infos.infos(trace);
        replay.deliver(&mut self.tl.report);
        self.stretch();
    }

    /// Every span still open runs to the latest event.
    fn stretch(&mut self) {
        let end = self.tl.end_ns;
        for qb in &self.queues {
            for (i, lc) in qb.lanes().iter().enumerate() {
                let Some(lc) = lc else { continue };
                let Some(pos) = self.tl.lane_of(qb.key(), i as u32) else {
                    continue;
                };
                let Some(lane) = self.tl.lanes.get_mut(pos) else {
                    continue;
                };
                lc.stretch(lane, end, self.lod);
            }
        }
        for (l, c) in self.tl.requests.iter_mut().zip(&self.requests) {
            c.stretch(&mut l.phases, end);
        }
        for (l, c) in self.tl.drains.iter_mut().zip(&self.drains) {
            c.stretch(&mut l.phases, end);
        }
    }
}
