//! Small value types shared by the model, the trace and the rules.

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
    pub const EINTR: Errno = Errno(4);
    pub const EIO: Errno = Errno(5);
    pub const EBADF: Errno = Errno(9);
    pub const EAGAIN: Errno = Errno(11);
    pub const ENODEV: Errno = Errno(19);
    pub const ETIMEDOUT: Errno = Errno(110);
    pub const ENOMEM: Errno = Errno(12);
    pub const EBUSY: Errno = Errno(16);
    pub const EINVAL: Errno = Errno(22);
    pub const ENOTTY: Errno = Errno(25);
    pub const EPIPE: Errno = Errno(32);
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
        }
    }
    pub fn parse(s: &str) -> Option<DoneState> {
        match s.to_ascii_uppercase().as_str() {
            "DONE" => Some(DoneState::Done),
            "ERROR" => Some(DoneState::Error),
            "QUEUED" => Some(DoneState::Queued),
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
