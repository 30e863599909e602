//! The timeline: what every buffer was, held and was tied to, over time. One lane per
//! (queue, buffer index), built by replaying a trace and sampling the model after each event.
//! Pure data for views (the desktop inspector, exporters) and for teaching dumps.

mod build;
mod dump;
mod grow;
mod holders;
mod jobs;
mod lane_findings;
pub mod layout;
mod lod;
mod marks;
mod names;
pub mod palette;
mod pyramid;
mod span;

pub use crate::time::{duration, ms, ms_ns, tick_label, tick_step};
pub use build::{build, build_with};
pub use grow::Growing;
pub use holders::{DmabufLane, Holder, Role};
pub use jobs::SAME_JOB_NS;
pub use lane_findings::{FindingMark, LaneFindings};
pub use lod::{Segment, segments};
pub use marks::{MarkGroup, mark_groups};
pub use names::{QueueInfo, queue_memory};
pub use pyramid::Pyramid;
pub use span::Span;

use crate::check::CheckReport;
use crate::model::{BufState, DmabufId};
use crate::v4l2::{Memory, Outcome, QueueKey};

/// What a plane is tied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assoc {
    /// MMAP memory, known by its mmap cookie; `observed`: the kernel reported it (QUERYBUF),
    /// rather than the policy predicting it.
    Mmap { offset: u32, observed: bool },
    /// USERPTR memory: address (`None`: not recorded) and length.
    Userptr {
        addr: Option<u64>,
        len: u32,
        inferred: bool,
    },
    /// A dma-buf (by identity), the fd number last used for it (`None`: not recorded), and
    /// the length.
    Dmabuf {
        id: DmabufId,
        fd: Option<i32>,
        len: u32,
        inferred: bool,
    },
}

impl Assoc {
    /// What plane `p` of a queue with `memory` is tied to, if anything.
    pub fn of(memory: Option<Memory>, p: &crate::model::Plane) -> Option<Assoc> {
        match memory? {
            Memory::Mmap => Some(Assoc::Mmap {
                offset: p.mem_offset,
                observed: p.offset_observed,
            }),
            Memory::Userptr => (p.userptr != 0 || (p.handle_inferred && p.inferred.pinned))
                .then_some(Assoc::Userptr {
                    addr: (p.userptr != 0).then_some(p.userptr),
                    len: p.length,
                    inferred: p.handle_inferred,
                }),
            Memory::Dmabuf => p.dbuf.map(|id| Assoc::Dmabuf {
                id,
                fd: (p.fd >= 0).then_some(p.fd),
                len: p.length,
                inferred: p.handle_inferred,
            }),
        }
    }

    /// The association in words; `bytes`: with a dma-buf's size (the exports have room).
    pub fn label(&self, bytes: bool) -> String {
        let h = self.handle_text();
        let inferred = if self.inferred() { ", inferred" } else { "" };
        match *self {
            Assoc::Mmap { .. } => format!("mmap {h}"),
            Assoc::Userptr { len, .. } if self.inferred() => {
                format!("userptr {h} +{len} (inferred)")
            }
            Assoc::Userptr { len, .. } => format!("userptr {h} +{len}"),
            Assoc::Dmabuf { id, len, .. } if bytes => {
                format!("dma-buf #{id} (fd {h}, {len} bytes{inferred})")
            }
            Assoc::Dmabuf { id, .. } => format!("dma-buf #{id} (fd {h}{inferred})"),
        }
    }

    /// The address or fd as text; `?` when the trace did not record it.
    pub fn handle_text(&self) -> String {
        match *self {
            Assoc::Mmap { offset, .. } => format!("{offset:#x}"),
            Assoc::Userptr { addr, .. } => addr.map_or("?".into(), |a| format!("{a:#x}")),
            Assoc::Dmabuf { fd, .. } => fd.map_or("?".into(), |f| f.to_string()),
        }
    }

    /// The trace did not record the fd or address of the call that made this association
    /// (or kept it): the model inferred which memory it is.
    pub fn inferred(&self) -> bool {
        match *self {
            Assoc::Mmap { .. } => false,
            Assoc::Userptr { inferred, .. } | Assoc::Dmabuf { inferred, .. } => inferred,
        }
    }
}

/// A resource a plane can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Allocated,
    Pinned,
    Attached,
    Mapped,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::Allocated,
        Resource::Pinned,
        Resource::Attached,
        Resource::Mapped,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Allocated => "allocated",
            Resource::Pinned => "pinned",
            Resource::Attached => "attached",
            Resource::Mapped => "mapped",
        }
    }
}

/// Where the knowledge of a resource comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// The model's inference under the policy.
    Inferred,
    /// Memops seen on the kernel.
    Observed,
}

/// The spans during which one resource was held, by one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceTrack {
    pub resource: Resource,
    pub source: Source,
    pub spans: Vec<Span<()>>,
    /// Level of detail over `spans`.
    pub lod: Pyramid<()>,
}

impl ResourceTrack {
    pub fn new(resource: Resource, source: Source, spans: Vec<Span<()>>) -> ResourceTrack {
        ResourceTrack {
            resource,
            source,
            lod: Pyramid::build(&spans),
            spans,
        }
    }

    /// The segments to draw in `[t0, t1)` at resolution `min_ns`, appended to `out`.
    pub fn segments(&self, t0: u64, t1: u64, min_ns: u64, out: &mut Vec<Segment<()>>) {
        self.lod.segments(&self.spans, t0, t1, min_ns, out);
    }
}

/// One plane of a lane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaneLane {
    pub assoc: Vec<Span<Assoc>>,
    /// Only tracks with at least one span.
    pub tracks: Vec<ResourceTrack>,
}

/// One buffer index of one queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    pub queue: QueueKey,
    pub index: u32,
    /// The buffer's state while it exists; gaps are times it was not allocated.
    pub states: Vec<Span<BufState>>,
    /// Level of detail over `states`, for drawing much of a long trace at once.
    pub states_lod: Pyramid<BufState>,
    pub planes: Vec<PlaneLane>,
}

impl Lane {
    /// The state segments to draw in `[t0, t1)` at a resolution of `min_ns` (about one
    /// pixel), appended to `out`.
    pub fn state_segments(&self, t0: u64, t1: u64, min_ns: u64, out: &mut Vec<Segment<BufState>>) {
        self.states_lod.segments(&self.states, t0, t1, min_ns, out);
    }
}

/// A queue-wide event drawn across its lanes: STREAMON, STREAMOFF, REQBUFS, a close…
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueMark {
    pub t_ns: u64,
    pub event: u32,
    /// `None` for events of a whole device (open, close).
    pub queue: Option<QueueKey>,
    pub label: String,
    pub result: Outcome,
}

/// One dma-buf of the trace: what it is and where it was exported from. Planes that
/// imported it are the lanes whose associations name its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmabufInfo {
    pub id: DmabufId,
    /// Its inode: the one identity it has in every fd and process, when the trace gave it.
    pub ino: Option<u64>,
    pub size: Option<u64>,
    /// The trace's label: for a recording, the exporter's name (`videobuf2_vmalloc`, a
    /// dma-heap's `system`).
    pub name: String,
    /// The MMAP plane it was exported from (EXPBUF): queue, buffer index, plane.
    pub exported_from: Option<(QueueKey, u32, u8)>,
}

impl DmabufInfo {
    /// Its identity in words: `ino 25` when the trace gave the inode, else `#id`.
    pub fn identity(&self) -> String {
        match self.ino {
            Some(ino) => format!("ino {ino}"),
            None => format!("#{}", self.id),
        }
    }

    /// Everything known of it, in one line.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("dma-buf {}", self.identity())];
        if !self.name.is_empty() {
            parts.push(self.name.clone());
        }
        if let Some(s) = self.size {
            parts.push(format!("{s} bytes"));
        }
        if let Some((q, i, p)) = self.exported_from {
            parts.push(format!("exported by {q} #{i} plane {p}"));
        }
        parts.join(" · ")
    }
}

/// A media request over time: its state and the buffer bound to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLane {
    /// The model's number for it, in the order requests were first met.
    pub id: u32,
    pub phases: Vec<Span<RequestPhase>>,
}

/// What a request is at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestPhase {
    pub state: crate::model::ReqState,
    /// Its first bound buffer: queue and index.
    pub buffer: Option<(QueueKey, u32)>,
    /// Control values set into it.
    pub ctrls: u32,
}

impl RequestPhase {
    /// `queued: out #2`, `idle`, …
    pub fn describe(&self) -> String {
        let state = match self.state {
            crate::model::ReqState::Idle => "idle",
            crate::model::ReqState::Queued => "queued",
            crate::model::ReqState::Complete => "complete",
        };
        let ctrls = match self.ctrls {
            0 => String::new(),
            1 => ", 1 control".to_owned(),
            n => format!(", {n} controls"),
        };
        match self.buffer {
            Some((q, i)) => format!("{state}: {q} #{i}{ctrls}"),
            None => format!("{state}{ctrls}"),
        }
    }
}

/// A codec context's drain over time (running, draining, stopped), from its first codec
/// command on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrainLane {
    pub dev: u16,
    pub phases: Vec<Span<crate::model::DrainPhase>>,
}

/// How a job's two buffers were tied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvidence {
    /// The CAPTURE buffer came back with the OUTPUT buffer's timestamp, and no other
    /// CAPTURE buffer of its device did.
    Timestamp,
    /// The driver completed the two back to back.
    Completion,
}

/// One memory-to-memory job: an OUTPUT buffer whose result is a CAPTURE buffer. Times are
/// where each end is drawn: its DQBUF (timestamp evidence) or its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub output: (QueueKey, u32),
    pub output_t_ns: u64,
    pub capture: (QueueKey, u32),
    pub capture_t_ns: u64,
    pub by: JobEvidence,
}

/// Everything a view needs to draw a trace.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Sorted by queue, then index.
    pub lanes: Vec<Lane>,
    /// Every dma-buf, by id.
    pub dmabufs: Vec<DmabufInfo>,
    /// Every media request, by id.
    pub requests: Vec<RequestLane>,
    /// Every codec context a codec command reached, by device.
    pub drains: Vec<DrainLane>,
    /// Memory-to-memory jobs, in time order of their CAPTURE end.
    pub jobs: Vec<Job>,
    /// The device node and users of each queue.
    pub queue_info: std::collections::BTreeMap<QueueKey, QueueInfo>,
    pub marks: Vec<QueueMark>,
    pub report: CheckReport,
    pub start_ns: u64,
    pub end_ns: u64,
    /// The first and the last buffer event (a buffer ioctl, a memop, a buffer the driver
    /// completed): what a view frames. Kernel events before the program started (another
    /// process's release, a probe's open) or after it ended lie outside. `None` when the
    /// trace has none.
    pub activity: Option<(u64, u64)>,
    /// The time of every event, by event number (for cursors and selections).
    pub event_times: Vec<u64>,
    /// The replay's state every 65 536 events, so that a look at the model around a
    /// selected event replays at most that many (`Checkpoints::resume`).
    pub checkpoints: crate::check::Checkpoints,
}

impl Timeline {
    /// The time of an event of the timeline's trace, as recorded by its marks, lanes or
    /// findings; `None` if the timeline never saw it.
    pub fn event_time(&self, event: u32) -> Option<u64> {
        self.event_times.get(event as usize).copied()
    }

    /// The bytes the timeline takes on the heap: lanes, their levels of detail, marks, event
    /// times and findings (not the checkpoints, a bounded number of model states).
    pub fn heap_bytes(&self) -> usize {
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        let mut n = vec(&self.lanes);
        for l in &self.lanes {
            n += vec(&l.states) + l.states_lod.heap_bytes();
            n += vec(&l.planes);
            for p in &l.planes {
                n += vec(&p.assoc) + vec(&p.tracks);
                for t in &p.tracks {
                    n += vec(&t.spans) + t.lod.heap_bytes();
                }
            }
        }
        n += vec(&self.marks);
        n += self.marks.iter().map(|m| m.label.capacity()).sum::<usize>();
        n += vec(&self.event_times);
        n += vec(&self.report.findings);
        n += vec(&self.jobs) + vec(&self.dmabufs);
        for r in &self.requests {
            n += vec(&r.phases);
        }
        n
    }

    /// The span a view frames: the buffer activity, else the whole trace.
    pub fn activity_range(&self) -> (u64, u64) {
        self.activity.unwrap_or((self.start_ns, self.end_ns))
    }

    /// Where relative times count from, for `origin`: an event the timeline does not know
    /// and a trace without STREAMON fall back to the first buffer event.
    pub fn origin_ns(&self, origin: crate::time::Origin) -> u64 {
        use crate::time::Origin;
        let activity = self.activity_range().0;
        match origin {
            Origin::Activity => activity,
            Origin::TraceStart => self.start_ns,
            Origin::FirstStreamon => self
                .marks
                .iter()
                .find(|m| m.result.is_ok() && m.label == "STREAMON")
                .map_or(activity, |m| m.t_ns),
            Origin::Event(e) => self.event_time(e).unwrap_or(activity),
        }
    }

    /// The time base of every view of this timeline: times from `origin`, on `clock`.
    pub fn time_base(
        &self,
        origin: crate::time::Origin,
        clock: crate::time::TraceClock,
    ) -> crate::time::TimeBase {
        crate::time::TimeBase::new(self.origin_ns(origin), clock)
    }

    pub fn dmabuf(&self, id: DmabufId) -> Option<&DmabufInfo> {
        self.dmabufs.get(id as usize)
    }

    /// The planes that imported dma-buf `id`: (queue, buffer index, plane), each once.
    pub fn importers(&self, id: DmabufId) -> Vec<(QueueKey, u32, u8)> {
        let mut out = Vec::new();
        for l in &self.lanes {
            for (pi, p) in l.planes.iter().enumerate() {
                let hit = p
                    .assoc
                    .iter()
                    .any(|s| matches!(s.value, Assoc::Dmabuf { id: d, .. } if d == id));
                if hit {
                    out.push((l.queue, l.index, pi as u8));
                }
            }
        }
        out
    }

    /// What a plane is tied to, in words, with the dma-buf's identity; `long`: with its
    /// exporter, size and origin too.
    pub fn assoc_text(&self, a: &Assoc, long: bool) -> String {
        let Assoc::Dmabuf { id, .. } = *a else {
            return a.label(long);
        };
        let Some(info) = self.dmabuf(id).filter(|d| d.ino.is_some() || long) else {
            return a.label(long);
        };
        let h = a.handle_text();
        let inferred = if a.inferred() { ", inferred" } else { "" };
        if long {
            format!("{} (fd {h}{inferred})", info.describe())
        } else {
            format!("dma-buf {} (fd {h}{inferred})", info.identity())
        }
    }
}
