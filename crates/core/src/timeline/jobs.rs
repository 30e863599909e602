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

/// A job's place among all jobs: by the time of its CAPTURE end, then of its OUTPUT end,
/// then by where it was found (timestamp groups by device, run and timestamp, before
/// pairings by device), which no two jobs share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    capture_t_ns: u64,
    output_t_ns: u64,
    from: From,
    /// Its place among the jobs of where it was found.
    pos: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum From {
    Group(u16, u32, u64),
    Pairs(u16),
}

impl Order {
    fn of(j: &Job, from: From, pos: usize) -> Order {
        Order {
            capture_t_ns: j.capture_t_ns,
            output_t_ns: j.output_t_ns,
            from,
            pos: pos as u32,
        }
    }
}

/// The jobs `from` found, from the `skip`th on, each with its place.
fn placed(jobs: &[Job], from: From, skip: usize) -> impl Iterator<Item = (Order, Job)> + '_ {
    (jobs.iter().enumerate().skip(skip)).map(move |(p, j)| (Order::of(j, from, p), *j))
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
    /// The place of each job handed out, in the order handed out: a growing timeline's
    /// jobs are updated where they changed, not listed again from the first.
    order: Vec<Order>,
    /// The devices with timestamps when the jobs were last handed out.
    stamped_then: usize,
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

    /// Brings `jobs` (those this finder handed out last, in time order of their CAPTURE
    /// end) up to the events noted since: only the groups and completions that came since
    /// are worked out, and their jobs put in place. A device whose DQBUFs show timestamps
    /// for the first time trades its pairings for its groups: then all are listed again.
    pub fn update(&mut self, jobs: &mut Vec<Job>) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        let again = self.stamped.len() != self.stamped_then || self.order.len() != jobs.len();
        // Taken out one by one (a changed group's jobs are few), put in all at once.
        let mut fresh: Vec<(Order, Job)> = Vec::new();
        for group in std::mem::take(&mut self.changed) {
            let found = self
                .dequeued
                .get(&group)
                .map(|seen| group_jobs(seen))
                .unwrap_or_default();
            let from = From::Group(group.0, group.1, group.2);
            if !again {
                if let Some(old) = self.by_group.get(&group) {
                    for (pos, j) in old.iter().enumerate() {
                        take_out(jobs, &mut self.order, Order::of(j, from, pos));
                    }
                }
                fresh.extend(placed(&found, from, 0));
            }
            if found.is_empty() {
                self.by_group.remove(&group);
            } else {
                self.by_group.insert(group, found);
            }
        }
        for (dev, done) in &self.done {
            let (at, paired) = self.pairs.entry(*dev).or_default();
            let before = paired.len();
            *at = paired_completions(done, *at, paired);
            if !again && !self.stamped.contains(dev) {
                fresh.extend(placed(paired, From::Pairs(*dev), before));
            }
        }
        if again {
            self.list_again(jobs);
        } else {
            put_in(jobs, &mut self.order, fresh);
        }
    }

    /// Every job, listed from the first: each device's groups when its DQBUFs showed
    /// timestamps, else its pairings.
    fn list_again(&mut self, jobs: &mut Vec<Job>) {
        let mut all: Vec<(Order, Job)> = Vec::new();
        for (&(dev, run, ts), group) in &self.by_group {
            if self.stamped.contains(&dev) {
                all.extend(placed(group, From::Group(dev, run, ts), 0));
            }
        }
        for (&dev, (_, paired)) in &self.pairs {
            if !self.stamped.contains(&dev) {
                all.extend(placed(paired, From::Pairs(dev), 0));
            }
        }
        jobs.clear();
        self.order.clear();
        put_in(jobs, &mut self.order, all);
        self.stamped_then = self.stamped.len();
    }
}

/// Removes the job at `o` from `jobs` (and its place from `order`, which lists them).
fn take_out(jobs: &mut Vec<Job>, order: &mut Vec<Order>, o: Order) {
    let found = order.binary_search(&o);
    debug_assert!(found.is_ok(), "a job handed out is missing: {o:?}");
    if let Ok(at) = found
        && at < jobs.len()
    {
        order.remove(at);
        jobs.remove(at);
    }
}

/// Puts the `fresh` jobs in their places: sorted, then merged into the list from where the
/// first of them goes. New jobs are mostly the latest, so what is merged is short; the jobs
/// of a whole trace, found in one update, are merged in one pass, not inserted one by one.
fn put_in(jobs: &mut Vec<Job>, order: &mut Vec<Order>, mut fresh: Vec<(Order, Job)>) {
    fresh.sort_unstable_by_key(|&(o, _)| o);
    let Some(&(first, _)) = fresh.first() else {
        return;
    };
    let at = order.partition_point(|x| *x < first);
    let (tail_order, tail_jobs) = (order.split_off(at), jobs.split_off(at.min(jobs.len())));
    let mut old = tail_order.into_iter().zip(tail_jobs).peekable();
    let mut new = fresh.into_iter().peekable();
    loop {
        let next = match (old.peek(), new.peek()) {
            (Some(a), Some(b)) if a.0 < b.0 => old.next(),
            (Some(_), Some(_)) | (None, Some(_)) => new.next(),
            (Some(_), None) => old.next(),
            (None, None) => break,
        };
        if let Some((o, j)) = next {
            order.push(o);
            jobs.push(j);
        }
    }
    debug_assert_eq!(order.len(), jobs.len());
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::trace::{Sym, V4l2Buffer};
    use crate::v4l2::{BufType, DoneState};

    /// One thing a recording shows, for the finder, on device 0, 1 or 2.
    #[derive(Clone, Debug)]
    enum Step {
        /// A DQBUF (OUTPUT or CAPTURE) returning `index` with `timestamp`.
        Dqbuf(u16, bool, u32, u64),
        /// A driver completion, DONE or not.
        Done(u16, bool, u32, bool),
        Streamoff(u16),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u16..3, any::<bool>(), 0u32..4, 0u64..8)
                .prop_map(|(d, o, i, t)| Step::Dqbuf(d, o, i, t)),
            6 => (0u16..3, any::<bool>(), 0u32..4, prop::bool::weighted(0.9))
                .prop_map(|(d, o, i, ok)| Step::Done(d, o, i, ok)),
            1 => (0u16..3).prop_map(Step::Streamoff),
        ]
    }

    /// Device `d`'s node is open as fd `10 + d`.
    fn fds() -> VideoFds {
        let mut fds = VideoFds::default();
        for dev in 0..3u16 {
            fds.follow(&Body::Open {
                fd: 10 + i32::from(dev),
                path: Sym(0),
                dev,
            });
        }
        fds
    }

    /// Notes `s` at `t_ns` (several events may share a time, as a coarse clock gives).
    fn note(f: &mut JobFinder, trace: &mut Trace, fds: &VideoFds, s: &Step, t_ns: u64) {
        let ty = |output| BufType::new(output, false);
        let body = match *s {
            Step::Dqbuf(dev, output, index, timestamp_ns) => {
                let arg = trace.add_arg(IoctlArg::Buffer(V4l2Buffer {
                    index,
                    ty: ty(output),
                    memory: None,
                    flags: 0,
                    field: 0,
                    bytesused: 0,
                    length: 0,
                    m: 0,
                    m_known: false,
                    sequence: 0,
                    timestamp_ns,
                    planes_first: 0,
                    planes_count: 0,
                    nonblock: false,
                    request_fd: V4l2Buffer::NO_REQUEST,
                }));
                Body::Ioctl {
                    fd: 10 + i32::from(dev),
                    cmd: IoctlCmd::Dqbuf,
                    result: Ok(()),
                    arg,
                }
            }
            Step::Done(dev, output, index, ok) => Body::Driver {
                dev,
                ty: ty(output),
                action: DriverAction::BufferDone {
                    index: Some(index),
                    state: if ok {
                        DoneState::Done
                    } else {
                        DoneState::Error
                    },
                },
            },
            Step::Streamoff(dev) => Body::Ioctl {
                fd: 10 + i32::from(dev),
                cmd: IoctlCmd::Streamoff,
                result: Ok(()),
                arg: u32::MAX,
            },
        };
        f.note(trace, &body, t_ns, fds);
    }

    /// Every job of what `f` has worked out, listed as the finder once did at every update:
    /// each stamped device's groups, then each other device's pairings, in a stable sort by
    /// the times of their CAPTURE and OUTPUT ends.
    fn listed_from_scratch(f: &JobFinder) -> Vec<Job> {
        let mut jobs: Vec<Job> = Vec::new();
        for (&(dev, _, _), group) in &f.by_group {
            if f.stamped.contains(&dev) {
                jobs.extend_from_slice(group);
            }
        }
        for (dev, (_, paired)) in &f.pairs {
            if !f.stamped.contains(dev) {
                jobs.extend_from_slice(paired);
            }
        }
        jobs.sort_by_key(|j| (j.capture_t_ns, j.output_t_ns));
        jobs
    }

    proptest! {
        /// Jobs brought up to date in place, at any points of a recording, are those listed
        /// from scratch: groups that gain or lose jobs, timestamps out of order and 0, ties in
        /// time, several devices, devices that trade their pairings for timestamps.
        #[test]
        fn jobs_updated_in_place_are_those_listed_from_scratch(
            steps in prop::collection::vec((step(), 0u64..3, any::<bool>()), 0..300)
        ) {
            let fds = fds();
            let mut f = JobFinder::default();
            let mut trace = Trace::default();
            let (mut jobs, mut t) = (Vec::new(), 0u64);
            for (s, dt, update) in &steps {
                t += dt * 40_000;
                note(&mut f, &mut trace, &fds, s, t);
                if *update {
                    f.update(&mut jobs);
                    prop_assert_eq!(&jobs, &listed_from_scratch(&f));
                }
            }
            f.update(&mut jobs);
            prop_assert_eq!(&jobs, &listed_from_scratch(&f));
        }
    }

    /// The order of the jobs listed at once: by CAPTURE end, then OUTPUT end, then where
    /// they were found (timestamp groups before pairings), as a stable sort of the groups
    /// then the pairings gives.
    #[test]
    fn jobs_listed_at_once_are_in_time_order() {
        let (fds, mut f, mut trace) = (fds(), JobFinder::default(), Trace::default());
        for (t, s) in [
            (10, Step::Done(1, true, 0, true)),
            (20, Step::Done(1, false, 0, true)),
            (30, Step::Dqbuf(0, true, 1, 7)),
            (30, Step::Dqbuf(0, true, 2, 7)),
            (40, Step::Dqbuf(0, false, 3, 7)),
            (15, Step::Dqbuf(0, true, 0, 5)),
            (25, Step::Dqbuf(0, false, 0, 5)),
            // Another device's job at the same two times: found by its completions.
            (30, Step::Done(1, true, 1, true)),
            (40, Step::Done(1, false, 1, true)),
        ] {
            note(&mut f, &mut trace, &fds, &s, t);
        }
        let mut jobs = Vec::new();
        f.update(&mut jobs);
        let got: Vec<(u64, u64, JobEvidence)> = (jobs.iter())
            .map(|j| (j.capture_t_ns, j.output_t_ns, j.by))
            .collect();
        assert_eq!(
            got,
            vec![
                (20, 10, JobEvidence::Completion),
                (25, 15, JobEvidence::Timestamp),
                (40, 30, JobEvidence::Timestamp),
                (40, 30, JobEvidence::Timestamp),
                (40, 30, JobEvidence::Completion),
            ]
        );
        assert_eq!((jobs[2].output.1, jobs[3].output.1), (1, 2));
    }
}
