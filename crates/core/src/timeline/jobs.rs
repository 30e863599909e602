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

use std::collections::BTreeMap;

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
#[derive(Default)]
pub struct JobFinder {
    /// DQBUF results with their timestamp, per device, streaming run and timestamp.
    dequeued: BTreeMap<(u16, u32, u64), Vec<Seen>>,
    /// Each device's streaming run: STREAMOFFs so far.
    runs: BTreeMap<u16, u32>,
    /// Devices whose DQBUFs showed a timestamp.
    stamped: Vec<u16>,
    /// Observed completions per device in order, and whether each was DONE.
    done: BTreeMap<u16, Vec<(Seen, bool)>>,
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
                self.dequeued
                    .entry((dev, run, b.timestamp_ns))
                    .or_default()
                    .push(Seen {
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
            } => self.done.entry(dev).or_default().push((
                Seen {
                    key: QueueKey { dev, ty },
                    index,
                    t_ns,
                },
                state == DoneState::Done,
            )),
            _ => {}
        }
    }

    /// The jobs found, in time order of their CAPTURE end.
    pub fn finish(self) -> Vec<Job> {
        let mut jobs = Vec::new();
        for (&(dev, _, _), seen) in &self.dequeued {
            if !self.stamped.contains(&dev) {
                continue;
            }
            let (caps, outs): (Vec<&Seen>, Vec<&Seen>) =
                seen.iter().partition(|s| !s.key.ty.is_output());
            let [cap] = caps.as_slice() else { continue };
            if outs.is_empty() || outs.len() > MAX_OUTPUTS {
                continue;
            }
            for o in outs {
                jobs.push(job(o, cap, JobEvidence::Timestamp));
            }
        }
        for (dev, done) in &self.done {
            if self.stamped.contains(dev) {
                continue;
            }
            jobs.extend(paired_completions(done));
        }
        jobs.sort_by_key(|j| (j.capture_t_ns, j.output_t_ns));
        jobs
    }
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

/// Back-to-back completions of one OUTPUT and one CAPTURE buffer, both DONE.
fn paired_completions(done: &[(Seen, bool)]) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut i = 0;
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
    jobs
}
