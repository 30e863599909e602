//! The V4L2 and vb2 vocabulary: memory and buffer types, errnos, memop kinds, buffer flags and
//! capability bits, as the kernel defines them. A leaf: every layer may use it, it uses none.

use serde::{Deserialize, Serialize};

/// The memory type of a queue (`enum v4l2_memory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Memory {
    Mmap,
    Userptr,
    Dmabuf,
}

impl Memory {
    pub fn as_str(self) -> &'static str {
        match self {
            Memory::Mmap => "MMAP",
            Memory::Userptr => "USERPTR",
            Memory::Dmabuf => "DMABUF",
        }
    }
    pub fn parse(s: &str) -> Option<Memory> {
        match s {
            "MMAP" => return Some(Memory::Mmap),
            "USERPTR" => return Some(Memory::Userptr),
            "DMABUF" => return Some(Memory::Dmabuf),
            _ => {}
        }
        match s.to_ascii_uppercase().as_str() {
            "MMAP" | "1" => Some(Memory::Mmap),
            "USERPTR" | "2" => Some(Memory::Userptr),
            "DMABUF" | "4" => Some(Memory::Dmabuf),
            _ => None,
        }
    }
}

/// A buffer type (`enum v4l2_buf_type`), restricted to the video types vb2 queues serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BufType {
    #[serde(rename = "VIDEO_CAPTURE")]
    VideoCapture,
    #[serde(rename = "VIDEO_OUTPUT")]
    VideoOutput,
    #[serde(rename = "VIDEO_CAPTURE_MPLANE")]
    VideoCaptureMplane,
    #[serde(rename = "VIDEO_OUTPUT_MPLANE")]
    VideoOutputMplane,
}

impl BufType {
    pub fn new(output: bool, mplane: bool) -> BufType {
        match (output, mplane) {
            (false, false) => BufType::VideoCapture,
            (true, false) => BufType::VideoOutput,
            (false, true) => BufType::VideoCaptureMplane,
            (true, true) => BufType::VideoOutputMplane,
        }
    }
    pub fn is_output(self) -> bool {
        matches!(self, BufType::VideoOutput | BufType::VideoOutputMplane)
    }
    pub fn is_mplane(self) -> bool {
        matches!(
            self,
            BufType::VideoCaptureMplane | BufType::VideoOutputMplane
        )
    }
    /// The numeric value of `enum v4l2_buf_type`.
    pub fn raw(self) -> u32 {
        match self {
            BufType::VideoCapture => 1,
            BufType::VideoOutput => 2,
            BufType::VideoCaptureMplane => 9,
            BufType::VideoOutputMplane => 10,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            BufType::VideoCapture => "VIDEO_CAPTURE",
            BufType::VideoOutput => "VIDEO_OUTPUT",
            BufType::VideoCaptureMplane => "VIDEO_CAPTURE_MPLANE",
            BufType::VideoOutputMplane => "VIDEO_OUTPUT_MPLANE",
        }
    }
    /// Short queue label used in reports: `cap`, `out`, `cap-mp`, `out-mp`.
    pub fn short(self) -> &'static str {
        match self {
            BufType::VideoCapture => "cap",
            BufType::VideoOutput => "out",
            BufType::VideoCaptureMplane => "cap-mp",
            BufType::VideoOutputMplane => "out-mp",
        }
    }
    pub fn parse(s: &str) -> Option<BufType> {
        // The names this program writes, without allocating: the trace reader's hot path.
        match s {
            "VIDEO_CAPTURE" => return Some(BufType::VideoCapture),
            "VIDEO_OUTPUT" => return Some(BufType::VideoOutput),
            "VIDEO_CAPTURE_MPLANE" => return Some(BufType::VideoCaptureMplane),
            "VIDEO_OUTPUT_MPLANE" => return Some(BufType::VideoOutputMplane),
            _ => {}
        }
        let s = s.trim().trim_start_matches("V4L2_BUF_TYPE_");
        match s.to_ascii_uppercase().as_str() {
            "VIDEO_CAPTURE" | "1" | "CAP" => Some(BufType::VideoCapture),
            "VIDEO_OUTPUT" | "2" | "OUT" => Some(BufType::VideoOutput),
            "VIDEO_CAPTURE_MPLANE" | "9" | "CAP-MP" => Some(BufType::VideoCaptureMplane),
            "VIDEO_OUTPUT_MPLANE" | "10" | "OUT-MP" => Some(BufType::VideoOutputMplane),
            _ => None,
        }
    }
}

/// A Linux errno, kept as its number so that any value a kernel returns can be carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

const ERRNO_NAMES: &[(u16, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (4, "EINTR"),
    (5, "EIO"),
    (9, "EBADF"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (16, "EBUSY"),
    (19, "ENODEV"),
    (22, "EINVAL"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (28, "ENOSPC"),
    (32, "EPIPE"),
    (53, "EBADR"),
    (95, "EOPNOTSUPP"),
    (105, "ENOBUFS"),
    (110, "ETIMEDOUT"),
];

impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ENOENT: Errno = Errno(2);
    pub const EINTR: Errno = Errno(4);
    pub const EIO: Errno = Errno(5);
    pub const EBADF: Errno = Errno(9);
    pub const EAGAIN: Errno = Errno(11);
    pub const ENODEV: Errno = Errno(19);
    pub const ETIMEDOUT: Errno = Errno(110);
    pub const ENOMEM: Errno = Errno(12);
    pub const EACCES: Errno = Errno(13);
    pub const EBUSY: Errno = Errno(16);
    pub const EFAULT: Errno = Errno(14);
    pub const EINVAL: Errno = Errno(22);
    pub const ENOTTY: Errno = Errno(25);
    pub const EPIPE: Errno = Errno(32);
    pub const EBADR: Errno = Errno(53);
    pub const ENOBUFS: Errno = Errno(105);

    pub fn name(self) -> Option<&'static str> {
        ERRNO_NAMES
            .iter()
            .rev()
            .find(|(n, _)| *n == self.0)
            .map(|(_, s)| *s)
    }

    /// Parses `EINVAL`, `einval` or a number such as `22`.
    pub fn parse(s: &str) -> Option<Errno> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u16>() {
            // 0 is success, not an errno.
            return (n != 0).then_some(Errno(n));
        }
        ERRNO_NAMES
            .iter()
            .rev()
            .find(|(_, name)| name.eq_ignore_ascii_case(s))
            .map(|(n, _)| Errno(*n))
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "errno {}", self.0),
        }
    }
}

impl Serialize for Errno {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u16(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Errno {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u16),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Errno(n)),
            Raw::S(s) => Errno::parse(&s)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown errno {s:?}"))),
        }
    }
}

/// The outcome of a call: success, or the errno it failed with.
pub type Outcome = Result<(), Errno>;

/// An outcome as one number (0: success, else the errno), for binary encodings: the named
/// form [`Errno`] serializes to needs a self-describing format.
pub mod outcome_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Errno, Outcome};

    pub fn serialize<S: Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(match o {
            Ok(()) => 0,
            Err(e) => e.0,
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        Ok(match u16::deserialize(d)? {
            0 => Ok(()),
            n => Err(Errno(n)),
        })
    }
}

/// Shows an outcome as `ok` or the errno name.
/// An errno without a name is written as its number, which [`parse_outcome`] reads back.
pub fn outcome_str(o: Outcome) -> String {
    match o {
        Ok(()) => "ok".to_string(),
        Err(e) => e
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| e.0.to_string()),
    }
}

/// A memory operation of the vb2 allocator (`struct vb2_mem_ops`) or of the dma-buf core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemopKind {
    Alloc,
    Put,
    GetUserptr,
    PutUserptr,
    AttachDmabuf,
    DetachDmabuf,
    MapDmabuf,
    UnmapDmabuf,
    Prepare,
    Finish,
    GetDmabuf,
    Mmap,
    /// `dma_buf_get()` by vb2 on an imported fd.
    DmabufGet,
    /// `dma_buf_put()` by vb2.
    DmabufPut,
}

impl MemopKind {
    /// Memops that make or undo a buffer's memory (alloc, pin, attach, map and their undoing),
    /// not the cache syncs of every frame nor the references of mmaps and exports.
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            MemopKind::Alloc
                | MemopKind::Put
                | MemopKind::GetUserptr
                | MemopKind::PutUserptr
                | MemopKind::AttachDmabuf
                | MemopKind::DetachDmabuf
                | MemopKind::MapDmabuf
                | MemopKind::UnmapDmabuf
        )
    }

    /// The memop an allocator event names (`vmalloc_alloc`, `dc_map_dmabuf`, `sg_put`…: vb2's
    /// `vb2_<allocator>_<memop>` functions, as vb2scope's kprobes name them); the allocator
    /// prefix does not matter.
    pub fn of_allocator_event(event: &str) -> Option<MemopKind> {
        let base = ["vmalloc_", "dc_", "sg_"]
            .iter()
            .find_map(|p| event.strip_prefix(p))?;
        match base {
            "alloc" => Some(MemopKind::Alloc),
            "put" => Some(MemopKind::Put),
            "get_userptr" => Some(MemopKind::GetUserptr),
            "put_userptr" => Some(MemopKind::PutUserptr),
            "attach_dmabuf" => Some(MemopKind::AttachDmabuf),
            "detach_dmabuf" => Some(MemopKind::DetachDmabuf),
            "map_dmabuf" => Some(MemopKind::MapDmabuf),
            "unmap_dmabuf" => Some(MemopKind::UnmapDmabuf),
            "prepare" => Some(MemopKind::Prepare),
            "finish" => Some(MemopKind::Finish),
            "get_dmabuf" => Some(MemopKind::GetDmabuf),
            "mmap" => Some(MemopKind::Mmap),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemopKind::Alloc => "alloc",
            MemopKind::Put => "put",
            MemopKind::GetUserptr => "get_userptr",
            MemopKind::PutUserptr => "put_userptr",
            MemopKind::AttachDmabuf => "attach_dmabuf",
            MemopKind::DetachDmabuf => "detach_dmabuf",
            MemopKind::MapDmabuf => "map_dmabuf",
            MemopKind::UnmapDmabuf => "unmap_dmabuf",
            MemopKind::Prepare => "prepare",
            MemopKind::Finish => "finish",
            MemopKind::GetDmabuf => "get_dmabuf",
            MemopKind::Mmap => "mmap",
            MemopKind::DmabufGet => "dma_buf_get",
            MemopKind::DmabufPut => "dma_buf_put",
        }
    }
}

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Seen on a real kernel or device.
    #[default]
    Observed,
    /// Computed by the model; a replay recomputes it and ignores the recorded copy.
    Inferred,
    /// An input written by hand in a scenario; replayed as given, its result not compared.
    Scripted,
    /// A call not seen itself but rebuilt from the kernel events it caused (an ftrace capture
    /// alone): what happened inside it was observed, its result is the model's prediction.
    Rebuilt,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Observed => "observed",
            Origin::Inferred => "inferred",
            Origin::Scripted => "scripted",
            Origin::Rebuilt => "rebuilt",
        }
    }

    /// Seen on a kernel, itself or through what it caused: what happened inside it was.
    pub fn seen(self) -> bool {
        matches!(self, Origin::Observed | Origin::Rebuilt)
    }
}

/// What the driver does with a buffer (`vb2_buffer_done` states).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DoneState {
    Done,
    Error,
    Queued,
    /// DONE with `V4L2_BUF_FLAG_LAST`: the last buffer of a drain or before a resolution
    /// change (`v4l2_m2m_last_buffer_done`).
    Last,
}

impl MemopKind {
    pub const ALL: [MemopKind; 14] = [
        MemopKind::Alloc,
        MemopKind::Put,
        MemopKind::GetUserptr,
        MemopKind::PutUserptr,
        MemopKind::AttachDmabuf,
        MemopKind::DetachDmabuf,
        MemopKind::MapDmabuf,
        MemopKind::UnmapDmabuf,
        MemopKind::Prepare,
        MemopKind::Finish,
        MemopKind::GetDmabuf,
        MemopKind::Mmap,
        MemopKind::DmabufGet,
        MemopKind::DmabufPut,
    ];
    pub fn parse(s: &str) -> Option<MemopKind> {
        MemopKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl DoneState {
    pub fn as_str(self) -> &'static str {
        match self {
            DoneState::Done => "DONE",
            DoneState::Error => "ERROR",
            DoneState::Queued => "QUEUED",
            DoneState::Last => "LAST",
        }
    }
    pub fn parse(s: &str) -> Option<DoneState> {
        match s.to_ascii_uppercase().as_str() {
            "DONE" => Some(DoneState::Done),
            "ERROR" => Some(DoneState::Error),
            "QUEUED" => Some(DoneState::Queued),
            "LAST" => Some(DoneState::Last),
            _ => None,
        }
    }
}

/// Parses `ok` or an errno name into an outcome.
pub fn parse_outcome(s: &str) -> Option<Outcome> {
    if s.eq_ignore_ascii_case("ok") || s == "0" {
        Some(Ok(()))
    } else {
        Errno::parse(s).map(Err)
    }
}

/// `VIDEO_MAX_PLANES`.
pub const MAX_PLANES: usize = 8;

/// Identifies a queue: the device it belongs to and its buffer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QueueKey {
    pub dev: u16,
    pub ty: BufType,
}

impl std::fmt::Display for QueueKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.dev == 0 {
            f.write_str(self.ty.short())
        } else {
            write!(f, "dev{}:{}", self.dev, self.ty.short())
        }
    }
}

/// A driver-side configuration change (scenario `driver` lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriverCfg {
    KeepOnStop(bool),
    /// The next start_streaming fails; `true`: without returning its buffers.
    FailStart {
        keep: bool,
    },
    MinQueued(u32),
    /// The driver calls `vb2_queue_error`: a fatal error; QBUF and DQBUF fail with EIO
    /// until STREAMOFF or REQBUFS.
    QueueError,
    /// Queue parameters: planes per buffer and the size of each.
    Format {
        planes: u8,
        size: u32,
    },
}

impl DriverCfg {
    /// The configuration in words, for event tables and reports.
    pub fn describe(&self) -> String {
        match *self {
            DriverCfg::KeepOnStop(true) => {
                "the driver keeps its buffers at STREAMOFF (stop_streaming returns none)".into()
            }
            DriverCfg::KeepOnStop(false) => "the driver returns its buffers at STREAMOFF".into(),
            DriverCfg::FailStart { keep: false } => {
                "the next start_streaming fails and returns its buffers".into()
            }
            DriverCfg::FailStart { keep: true } => {
                "the next start_streaming fails and keeps its buffers".into()
            }
            DriverCfg::MinQueued(n) => {
                format!("streaming starts once {n} buffer(s) are queued (min_queued_buffers)")
            }
            DriverCfg::QueueError => {
                "the driver reports a fatal error on the queue (vb2_queue_error)".into()
            }
            DriverCfg::Format { planes: 1, size } => format!("format: 1 plane of {size} bytes"),
            DriverCfg::Format { planes, size } => {
                format!("format: {planes} planes, {size} bytes each at least")
            }
        }
    }
}

/// `V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS`: CREATE_BUFS wrote `max_num_buffers` (6.10 on).
pub const BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS: u32 = 1 << 7;

/// V4L2 buffer flags the model reports (`V4L2_BUF_FLAG_*`).
pub mod flags {
    pub const MAPPED: u32 = 0x0000_0001;
    pub const QUEUED: u32 = 0x0000_0002;
    pub const DONE: u32 = 0x0000_0004;
    pub const ERROR: u32 = 0x0000_0040;
    pub const PREPARED: u32 = 0x0000_0400;
    /// The buffer sits in a media request, waiting for the request to be queued.
    pub const IN_REQUEST: u32 = 0x0000_0080;
    /// An OUTPUT buffer of a stateless decoder: keep the CAPTURE buffer for the next slice.
    pub const M2M_HOLD_CAPTURE_BUF: u32 = 0x0000_0200;
    /// Cache hints an application may pass; vb2 drops them unless the queue allows them.
    pub const NO_CACHE_INVALIDATE: u32 = 0x0000_0800;
    pub const NO_CACHE_CLEAN: u32 = 0x0000_1000;
    /// The last buffer of a stream (a drain, a resolution change): DQBUF then gives EPIPE.
    pub const LAST: u32 = 0x0010_0000;
    /// The buffer goes to the media request `request_fd`, queued when the request is.
    pub const REQUEST_FD: u32 = 0x0080_0000;

    /// Every `V4L2_BUF_FLAG_*` by name (without the prefix), as importers read them; the
    /// zero-valued names add nothing.
    pub const ALL: &[(&str, u32)] = &[
        ("MAPPED", 0x1),
        ("QUEUED", 0x2),
        ("DONE", 0x4),
        ("KEYFRAME", 0x8),
        ("PFRAME", 0x10),
        ("BFRAME", 0x20),
        ("ERROR", 0x40),
        ("IN_REQUEST", 0x80),
        ("TIMECODE", 0x100),
        ("M2M_HOLD_CAPTURE_BUF", 0x200),
        // The bit's name before 5.5: strace 6.1 still prints HOLD_CAPTURE_BUF as INPUT.
        ("INPUT", 0x200),
        ("PREPARED", 0x400),
        ("NO_CACHE_INVALIDATE", 0x800),
        ("NO_CACHE_CLEAN", 0x1000),
        ("TIMESTAMP_UNKNOWN", 0),
        ("TIMESTAMP_MONOTONIC", 0x2000),
        ("TIMESTAMP_COPY", 0x4000),
        ("TSTAMP_SRC_EOF", 0),
        ("TSTAMP_SRC_SOE", 0x10000),
        ("LAST", 0x100000),
        ("REQUEST_FD", 0x800000),
    ];

    /// The bit of a flag name without its `V4L2_BUF_FLAG_` prefix.
    pub fn by_name(name: &str) -> Option<u32> {
        ALL.iter().find(|(n, _)| *n == name).map(|&(_, b)| b)
    }

    /// The names of the flags set in `f`, joined with `|`.
    pub fn names(f: u32) -> String {
        let names: Vec<&str> = [
            (MAPPED, "MAPPED"),
            (QUEUED, "QUEUED"),
            (DONE, "DONE"),
            (ERROR, "ERROR"),
            (IN_REQUEST, "IN_REQUEST"),
            (PREPARED, "PREPARED"),
            (LAST, "LAST"),
        ]
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect();
        names.join("|")
    }
}

/// The capabilities REQBUFS and CREATE_BUFS report (`V4L2_BUF_CAP_*`).
pub mod caps {
    /// `V4L2_BUF_CAP_SUPPORTS_REQUESTS`.
    pub const SUPPORTS_REQUESTS: u32 = 0x8;
    /// `V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF`.
    pub const SUPPORTS_M2M_HOLD_CAPTURE_BUF: u32 = 0x20;
    /// Every `V4L2_BUF_CAP_*` by name, without the prefix.
    pub const ALL: &[(&str, u32)] = &[
        ("SUPPORTS_MMAP", 0x1),
        ("SUPPORTS_USERPTR", 0x2),
        ("SUPPORTS_DMABUF", 0x4),
        ("SUPPORTS_REQUESTS", 0x8),
        ("SUPPORTS_ORPHANED_BUFS", 0x10),
        ("SUPPORTS_M2M_HOLD_CAPTURE_BUF", 0x20),
        ("SUPPORTS_MMAP_CACHE_HINTS", 0x40),
        ("SUPPORTS_MAX_NUM_BUFFERS", 0x80),
        ("SUPPORTS_REMOVE_BUFS", 0x100),
    ];

    /// The bit of a capability name, with or without its `V4L2_BUF_CAP_` prefix.
    pub fn by_name(name: &str) -> Option<u32> {
        let name = name.trim().trim_start_matches("V4L2_BUF_CAP_");
        ALL.iter().find(|(n, _)| *n == name).map(|&(_, b)| b)
    }
}

/// The capabilities QUERYCAP reports of a device and of a node (`V4L2_CAP_*`).
pub mod dev_caps {
    /// Every `V4L2_CAP_*` by name, without the prefix (`ASYNCIO`, gone from the headers,
    /// shares its bit with `EDID`).
    pub const ALL: &[(&str, u32)] = &[
        ("VIDEO_CAPTURE", 0x1),
        ("VIDEO_OUTPUT", 0x2),
        ("VIDEO_OVERLAY", 0x4),
        ("VBI_CAPTURE", 0x10),
        ("VBI_OUTPUT", 0x20),
        ("SLICED_VBI_CAPTURE", 0x40),
        ("SLICED_VBI_OUTPUT", 0x80),
        ("RDS_CAPTURE", 0x100),
        ("VIDEO_OUTPUT_OVERLAY", 0x200),
        ("HW_FREQ_SEEK", 0x400),
        ("RDS_OUTPUT", 0x800),
        ("VIDEO_CAPTURE_MPLANE", 0x1000),
        ("VIDEO_OUTPUT_MPLANE", 0x2000),
        ("VIDEO_M2M_MPLANE", 0x4000),
        ("VIDEO_M2M", 0x8000),
        ("TUNER", 0x1_0000),
        ("AUDIO", 0x2_0000),
        ("RADIO", 0x4_0000),
        ("MODULATOR", 0x8_0000),
        ("SDR_CAPTURE", 0x10_0000),
        ("EXT_PIX_FORMAT", 0x20_0000),
        ("SDR_OUTPUT", 0x40_0000),
        ("META_CAPTURE", 0x80_0000),
        ("READWRITE", 0x100_0000),
        ("EDID", 0x200_0000),
        ("ASYNCIO", 0x200_0000),
        ("STREAMING", 0x400_0000),
        ("META_OUTPUT", 0x800_0000),
        ("TOUCH", 0x1000_0000),
        ("IO_MC", 0x2000_0000),
        ("DEVICE_CAPS", 0x8000_0000),
    ];

    /// The bit of a capability name, with or without its `V4L2_CAP_` prefix.
    pub fn by_name(name: &str) -> Option<u32> {
        let name = name.trim().trim_start_matches("V4L2_CAP_");
        ALL.iter().find(|(n, _)| *n == name).map(|&(_, b)| b)
    }
}

/// Codec commands and events (`V4L2_DEC_CMD_*`, `V4L2_ENC_CMD_*`, `V4L2_EVENT_*`).
pub mod codec {
    /// `V4L2_DEC_CMD_START` and `V4L2_ENC_CMD_START`: resume after a drain.
    pub const CMD_START: u32 = 0;
    /// `V4L2_DEC_CMD_STOP` and `V4L2_ENC_CMD_STOP`: drain, the last result carries LAST.
    pub const CMD_STOP: u32 = 1;
    pub const CMD_PAUSE: u32 = 2;
    pub const CMD_RESUME: u32 = 3;
    /// `V4L2_DEC_CMD_FLUSH` (stateless decoders): release a held CAPTURE buffer.
    pub const DEC_CMD_FLUSH: u32 = 4;
    pub const EVENT_EOS: u32 = 2;
    pub const EVENT_SOURCE_CHANGE: u32 = 5;
    /// `V4L2_EVENT_SRC_CH_RESOLUTION`.
    pub const SRC_CH_RESOLUTION: u32 = 1;

    /// A command's name without its prefix: `STOP`, `START`, …; `encoder` picks the
    /// encoder's names (the same numbers, no FLUSH).
    pub fn cmd_name(cmd: u32, encoder: bool) -> Option<&'static str> {
        Some(match cmd {
            CMD_START => "START",
            CMD_STOP => "STOP",
            CMD_PAUSE => "PAUSE",
            CMD_RESUME => "RESUME",
            DEC_CMD_FLUSH if !encoder => "FLUSH",
            _ => return None,
        })
    }

    /// A command's number from its name, with or without the `V4L2_DEC_CMD_` or
    /// `V4L2_ENC_CMD_` prefix.
    pub fn cmd_by_name(name: &str) -> Option<u32> {
        let n = name.trim();
        let n = n
            .strip_prefix("V4L2_DEC_CMD_")
            .or_else(|| n.strip_prefix("V4L2_ENC_CMD_"))
            .unwrap_or(n);
        Some(match n {
            "START" => CMD_START,
            "STOP" => CMD_STOP,
            "PAUSE" => CMD_PAUSE,
            "RESUME" => CMD_RESUME,
            "FLUSH" => DEC_CMD_FLUSH,
            _ => return None,
        })
    }

    /// An event type's name without its `V4L2_EVENT_` prefix.
    pub fn event_name(ty: u32) -> Option<&'static str> {
        Some(match ty {
            0 => "ALL",
            1 => "VSYNC",
            EVENT_EOS => "EOS",
            3 => "CTRL",
            4 => "FRAME_SYNC",
            EVENT_SOURCE_CHANGE => "SOURCE_CHANGE",
            6 => "MOTION_DET",
            _ => return None,
        })
    }

    /// An event type's number from its name, with or without the `V4L2_EVENT_` prefix.
    pub fn event_by_name(name: &str) -> Option<u32> {
        let n = name.trim();
        let n = n.strip_prefix("V4L2_EVENT_").unwrap_or(n);
        (0..=6).find(|&t| event_name(t) == Some(n))
    }
}

/// Controls of a media request (`struct v4l2_ext_controls`).
pub mod ctrls {
    /// `V4L2_CTRL_WHICH_REQUEST_VAL`: the controls of the request `request_fd` names.
    pub const WHICH_REQUEST_VAL: u32 = 0x0f01_0000;

    /// Which of the three control ioctls.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum CtrlAccess {
        Set,
        Get,
        Try,
    }

    impl CtrlAccess {
        pub fn ioctl_name(self) -> &'static str {
            match self {
                CtrlAccess::Set => "VIDIOC_S_EXT_CTRLS",
                CtrlAccess::Get => "VIDIOC_G_EXT_CTRLS",
                CtrlAccess::Try => "VIDIOC_TRY_EXT_CTRLS",
            }
        }
    }
}

/// `POLL*` bits of poll(2); select(2)'s sets map to IN, OUT and PRI.
pub mod poll {
    pub const IN: u16 = 0x001;
    pub const PRI: u16 = 0x002;
    pub const OUT: u16 = 0x004;
    pub const ERR: u16 = 0x008;
    pub const HUP: u16 = 0x010;
    pub const NVAL: u16 = 0x020;
    pub const RDNORM: u16 = 0x040;
    pub const WRNORM: u16 = 0x100;

    const NAMES: [(&str, u16); 8] = [
        ("POLLIN", IN),
        ("POLLPRI", PRI),
        ("POLLOUT", OUT),
        ("POLLERR", ERR),
        ("POLLHUP", HUP),
        ("POLLNVAL", NVAL),
        ("POLLRDNORM", RDNORM),
        ("POLLWRNORM", WRNORM),
    ];

    /// A bit's number from its name (`POLLPRI`, or `EPOLLPRI`).
    pub fn by_name(name: &str) -> Option<u16> {
        let n = name.trim();
        let n = n
            .strip_prefix('E')
            .filter(|r| r.starts_with("POLL"))
            .unwrap_or(n);
        NAMES.iter().find(|(k, _)| *k == n).map(|&(_, b)| b)
    }

    /// `POLLIN|POLLPRI`, or `0`.
    pub fn names(bits: u16) -> String {
        let v: Vec<&str> = NAMES
            .iter()
            .filter(|(_, b)| bits & b != 0)
            .map(|&(n, _)| n)
            .collect();
        if v.is_empty() {
            "0".into()
        } else {
            v.join("|")
        }
    }
}

/// Kernel log lines of the V4L2 core that tell a driver bug.
pub mod klog {
    /// A WARNING raised in `v4l2_m2m_job_finish` (a queue that may hold CAPTURE buffers) or
    /// `v4l2_m2m_buf_done_and_job_finish` (a job without both buffers): R47. Stack lines
    /// naming these functions are not the warning itself.
    pub fn is_m2m_job_finish_warning(text: &str) -> bool {
        text.contains("WARNING:")
            && (text.contains("v4l2_m2m_job_finish")
                || text.contains("v4l2_m2m_buf_done_and_job_finish"))
    }
}

/// `VB2_MAX_FRAME`: the most buffers a vb2 queue had before 6.8, and the default since.
pub const VB2_MAX_FRAME: u32 = 32;
