//! Memory-to-memory jobs: which OUTPUT buffer became which CAPTURE buffer.
//!
//! Two kinds of evidence, both the kernel's own:
//! * the timestamp a job copies from its OUTPUT buffer to its CAPTURE buffer
//!   (`V4L2_BUF_FLAG_TIMESTAMP_COPY`), as DQBUF returned them: a CAPTURE buffer is linked to
//!   the OUTPUT buffers dequeued with the same timestamp on its device, when it is the only
//!   CAPTURE buffer with that timestamp (v4l2-ctl gives every buffer one timestamp: no links;
//!   a stateless decoder's slices share their frame's: several OUTPUT buffers to one). A
//!   STREAMOFF on the device starts afresh (a seek or a loop reuses timestamps), and
//!   timestamp 0 (not set, or an empty LAST buffer) ties nothing;
//! * where the trace has no DQBUF timestamps on a device, the driver's completions (the
//!   `vb2_buf_done` tracepoint): one OUTPUT and one CAPTURE buffer done back to back on a
//!   device, within [`SAME_JOB_NS`], with no other completion of that device between them.
//!
//! Nothing is inferred from order alone.

use std::collections::{BTreeMap, BTreeSet};

use super::{Job, JobEvidence};
use crate::trace::{Body, DriverAction, IoctlArg, IoctlCmd, Trace, VideoFds};
use crate::v4l2::{DoneState, QueueKey};

/// Two completions this close belong to one job's `v4l2_m2m_buf_done_and_job_finish` (or
/// the driver's two `v4l2_m2m_buf_done` calls), microseconds apart; the next job needs a
/// `device_run` in between.
pub const SAME_JOB_NS: u64 = 100_000;

/// At most this many OUTPUT buffers feed one CAPTURE buffer (a frame's slices); a bigger
/// group of one timestamp is not a job.
const MAX_OUTPUTS: usize = 32;

/// One buffer seen at one time.
#[derive(Clone, Copy, Debug)]
struct Seen {
    key: QueueKey,
    index: u32,
    t_ns: u64,
}

/// What the timeline build hands over event by event.
#[derive(Clone, Default)]
pub struct JobFinder {
    /// DQBUF results with their timestamp, per device, streaming run and timestamp.
    dequeued: BTreeMap<(u16, u32, u64), Vec<Seen>>,
    /// Each device's streaming run: STREAMOFFs so far.
    runs: BTreeMap<u16, u32>,
    /// Devices whose DQBUFs showed a timestamp.
    stamped: Vec<u16>,
    /// Observed completions per device in order, and whether each was DONE.
    done: BTreeMap<u16, Vec<(Seen, bool)>>,
    /// Timestamp groups changed since the jobs were last worked out, and the jobs of each
    /// group that has some: a growing timeline works out only what changed.
    changed: BTreeSet<(u16, u32, u64)>,
    by_group: BTreeMap<(u16, u32, u64), Vec<Job>>,
    /// Per device, the completions paired so far and where the pairing goes on.
    pairs: BTreeMap<u16, (usize, Vec<Job>)>,
    dirty: bool,
}

impl JobFinder {
    /// Notes event `e` (`video_fds` already follows it).
    pub fn note(&mut self, trace: &Trace, body: &Body, t_ns: u64, video_fds: &VideoFds) {
        match *body {
            Body::Ioctl {
                fd,
                cmd: IoctlCmd::Dqbuf,
                result: Ok(()),
                arg,
            } => {
                let Some(IoctlArg::Buffer(b)) = trace.arg(arg) else {
                    return;
                };
                let dev = video_fds.dev(fd);
                if b.timestamp_ns == 0 {
                    return;
                }
                if !self.stamped.contains(&dev) {
                    self.stamped.push(dev);
                }
                let run = self.runs.get(&dev).copied().unwrap_or(0);
                let group = (dev, run, b.timestamp_ns);
                self.changed.insert(group);
                self.dirty = true;
                self.dequeued.entry(group).or_default().push(Seen {
                    key: QueueKey { dev, ty: b.ty },
                    index: b.index,
                    t_ns,
                });
            }
            Body::Ioctl {
                fd,
                cmd: IoctlCmd::Streamoff,
                result: Ok(()),
                ..
            } => *self.runs.entry(video_fds.dev(fd)).or_default() += 1,
            Body::Driver {
                dev,
                ty,
                action:
                    DriverAction::BufferDone {
                        index: Some(index),
                        state,
                    },
            } => {
                self.dirty = true;
                self.done.entry(dev).or_default().push((
                    Seen {
                        key: QueueKey { dev, ty },
                        index,
                        t_ns,
                    },
                    state == DoneState::Done,
                ));
            }
            _ => {}
        }
    }

    /// The jobs found, in time order of their CAPTURE end, when they may have changed
    /// since the last call: only the groups and completions that came since are worked out.
    pub fn update(&mut self) -> Option<Vec<Job>> {
        if !std::mem::take(&mut self.dirty) {
            return None;
        }
        for group in std::mem::take(&mut self.changed) {
            let jobs = self
                .dequeued
                .get(&group)
                .map(|seen| group_jobs(seen))
                .unwrap_or_default();
            if jobs.is_empty() {
                self.by_group.remove(&group);
            } else {
                self.by_group.insert(group, jobs);
            }
        }
        for (dev, done) in &self.done {
            let (at, jobs) = self.pairs.entry(*dev).or_default();
            *at = paired_completions(done, *at, jobs);
        }
        let mut jobs: Vec<Job> = Vec::new();
        for (&(dev, _, _), group) in &self.by_group {
            if self.stamped.contains(&dev) {
                jobs.extend_from_slice(group);
            }
        }
        for (dev, (_, paired)) in &self.pairs {
            if !self.stamped.contains(dev) {
                jobs.extend_from_slice(paired);
            }
        }
        jobs.sort_by_key(|j| (j.capture_t_ns, j.output_t_ns));
        Some(jobs)
    }
}

/// The jobs of one timestamp group: its one CAPTURE buffer and the OUTPUT buffers that fed
/// it; none when it has several CAPTURE buffers, or too many OUTPUT ones.
fn group_jobs(seen: &[Seen]) -> Vec<Job> {
    let (caps, outs): (Vec<&Seen>, Vec<&Seen>) = seen.iter().partition(|s| !s.key.ty.is_output());
    let [cap] = caps.as_slice() else {
        return Vec::new();
    };
    if outs.is_empty() || outs.len() > MAX_OUTPUTS {
        return Vec::new();
    }
    outs.iter()
        .map(|o| job(o, cap, JobEvidence::Timestamp))
        .collect()
}

fn job(o: &Seen, c: &Seen, by: JobEvidence) -> Job {
    Job {
        output: (o.key, o.index),
        output_t_ns: o.t_ns,
        capture: (c.key, c.index),
        capture_t_ns: c.t_ns,
        by,
    }
}

/// Back-to-back completions of one OUTPUT and one CAPTURE buffer, both DONE, paired from
/// completion `i` on (where the last pairing stopped) into `jobs`; returns where it stops.
fn paired_completions(done: &[(Seen, bool)], mut i: usize, jobs: &mut Vec<Job>) -> usize {
    while let (Some((a, a_ok)), Some((b, b_ok))) = (done.get(i), done.get(i + 1)) {
        let close = *a_ok && *b_ok && b.t_ns.saturating_sub(a.t_ns) <= SAME_JOB_NS;
        if close && a.key.ty.is_output() != b.key.ty.is_output() {
            let (o, c) = if a.key.ty.is_output() { (a, b) } else { (b, a) };
            jobs.push(job(o, c, JobEvidence::Completion));
            i += 2;
        } else {
            i += 1;
        }
    }
    i
}
