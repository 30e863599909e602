//! Event types. `Event` stays small (32 bytes): anything large sits in the trace's side tables.

use serde::{Deserialize, Serialize};

use crate::v4l2::{BufType, DoneState, DriverCfg, MemopKind, Memory, Origin, Outcome};

use super::store::Sym;

/// The name of the tracepoint event that marks where a kernel capture lost events (ftrace's
/// `[LOST n EVENTS]`): from there the kernel's side of the trace is incomplete.
pub const LOST_EVENTS: &str = "lost_events";

/// The V4L2 ioctls the model understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IoctlCmd {
    Reqbufs,
    CreateBufs,
    RemoveBufs,
    Querybuf,
    PrepareBuf,
    Qbuf,
    Dqbuf,
    Streamon,
    Streamoff,
    Expbuf,
    /// Says which driver serves the node; changes no buffer (the model takes no step).
    Querycap,
    /// Codec commands: a drain (STOP), a restart (START), a stateless FLUSH.
    DecoderCmd,
    EncoderCmd,
    /// What a command would do, without doing it (the model takes no step).
    TryDecoderCmd,
    TryEncoderCmd,
    /// Events: a codec's source change and end of stream (the model takes no step).
    SubscribeEvent,
    UnsubscribeEvent,
    Dqevent,
    /// `MEDIA_IOC_REQUEST_ALLOC` on a media device: a new request fd.
    RequestAlloc,
    /// `MEDIA_REQUEST_IOC_QUEUE` and `_REINIT`, on a request fd.
    RequestQueue,
    RequestReinit,
    /// Controls into (S/TRY) or read from (G) a media request: `which` =
    /// `V4L2_CTRL_WHICH_REQUEST_VAL`. Other control calls change no buffer and are not kept.
    SExtCtrls,
    GExtCtrls,
    TryExtCtrls,
}

impl IoctlCmd {
    pub const ALL: [IoctlCmd; 24] = [
        IoctlCmd::Reqbufs,
        IoctlCmd::CreateBufs,
        IoctlCmd::RemoveBufs,
        IoctlCmd::Querybuf,
        IoctlCmd::PrepareBuf,
        IoctlCmd::Qbuf,
        IoctlCmd::Dqbuf,
        IoctlCmd::Streamon,
        IoctlCmd::Streamoff,
        IoctlCmd::Expbuf,
        IoctlCmd::Querycap,
        IoctlCmd::DecoderCmd,
        IoctlCmd::EncoderCmd,
        IoctlCmd::TryDecoderCmd,
        IoctlCmd::TryEncoderCmd,
        IoctlCmd::SubscribeEvent,
        IoctlCmd::UnsubscribeEvent,
        IoctlCmd::Dqevent,
        IoctlCmd::RequestAlloc,
        IoctlCmd::RequestQueue,
        IoctlCmd::RequestReinit,
        IoctlCmd::SExtCtrls,
        IoctlCmd::GExtCtrls,
        IoctlCmd::TryExtCtrls,
    ];
    pub fn name(self) -> &'static str {
        match self {
            IoctlCmd::Reqbufs => "VIDIOC_REQBUFS",
            IoctlCmd::CreateBufs => "VIDIOC_CREATE_BUFS",
            IoctlCmd::RemoveBufs => "VIDIOC_REMOVE_BUFS",
            IoctlCmd::Querybuf => "VIDIOC_QUERYBUF",
            IoctlCmd::PrepareBuf => "VIDIOC_PREPARE_BUF",
            IoctlCmd::Qbuf => "VIDIOC_QBUF",
            IoctlCmd::Dqbuf => "VIDIOC_DQBUF",
            IoctlCmd::Streamon => "VIDIOC_STREAMON",
            IoctlCmd::Streamoff => "VIDIOC_STREAMOFF",
            IoctlCmd::Expbuf => "VIDIOC_EXPBUF",
            IoctlCmd::Querycap => "VIDIOC_QUERYCAP",
            IoctlCmd::DecoderCmd => "VIDIOC_DECODER_CMD",
            IoctlCmd::EncoderCmd => "VIDIOC_ENCODER_CMD",
            IoctlCmd::TryDecoderCmd => "VIDIOC_TRY_DECODER_CMD",
            IoctlCmd::TryEncoderCmd => "VIDIOC_TRY_ENCODER_CMD",
            IoctlCmd::SubscribeEvent => "VIDIOC_SUBSCRIBE_EVENT",
            IoctlCmd::UnsubscribeEvent => "VIDIOC_UNSUBSCRIBE_EVENT",
            IoctlCmd::Dqevent => "VIDIOC_DQEVENT",
            IoctlCmd::RequestAlloc => "MEDIA_IOC_REQUEST_ALLOC",
            IoctlCmd::RequestQueue => "MEDIA_REQUEST_IOC_QUEUE",
            IoctlCmd::RequestReinit => "MEDIA_REQUEST_IOC_REINIT",
            IoctlCmd::SExtCtrls => "VIDIOC_S_EXT_CTRLS",
            IoctlCmd::GExtCtrls => "VIDIOC_G_EXT_CTRLS",
            IoctlCmd::TryExtCtrls => "VIDIOC_TRY_EXT_CTRLS",
        }
    }
    /// `VIDIOC_QBUF` or `QBUF`; the media ioctls by their full names only.
    pub fn parse(s: &str) -> Option<IoctlCmd> {
        IoctlCmd::ALL
            .into_iter()
            .find(|c| c.name() == s || c.name().strip_prefix("VIDIOC_") == Some(s))
    }
    /// DECODER_CMD, or ENCODER_CMD for an encoder.
    pub fn codec_cmd(encoder: bool) -> IoctlCmd {
        if encoder {
            IoctlCmd::EncoderCmd
        } else {
            IoctlCmd::DecoderCmd
        }
    }
    /// VIDIOC_SUBSCRIBE_EVENT (`on`) or VIDIOC_UNSUBSCRIBE_EVENT.
    pub fn event_subscription(on: bool) -> IoctlCmd {
        if on {
            IoctlCmd::SubscribeEvent
        } else {
            IoctlCmd::UnsubscribeEvent
        }
    }
    /// S/G/TRY_EXT_CTRLS for `access`.
    pub fn controls(access: crate::v4l2::ctrls::CtrlAccess) -> IoctlCmd {
        use crate::v4l2::ctrls::CtrlAccess;
        match access {
            CtrlAccess::Set => IoctlCmd::SExtCtrls,
            CtrlAccess::Get => IoctlCmd::GExtCtrls,
            CtrlAccess::Try => IoctlCmd::TryExtCtrls,
        }
    }
    /// Which control access this ioctl is, if it is one of S/G/TRY_EXT_CTRLS.
    pub fn ctrl_access(self) -> Option<crate::v4l2::ctrls::CtrlAccess> {
        use crate::v4l2::ctrls::CtrlAccess;
        Some(match self {
            IoctlCmd::SExtCtrls => CtrlAccess::Set,
            IoctlCmd::GExtCtrls => CtrlAccess::Get,
            IoctlCmd::TryExtCtrls => CtrlAccess::Try,
            _ => return None,
        })
    }
    /// A codec command (or its TRY_ form) of an encoder.
    pub fn is_encoder_cmd(self) -> bool {
        matches!(self, IoctlCmd::EncoderCmd | IoctlCmd::TryEncoderCmd)
    }
}

/// One plane of a `v4l2_buffer` (`struct v4l2_plane`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct V4l2Plane {
    pub bytesused: u32,
    pub length: u32,
    pub data_offset: u32,
    /// `m.mem_offset`, `m.userptr` or `m.fd`, as the memory type says.
    pub m: u64,
    /// Whether the source recorded `m`; when not, `m` is 0 and means nothing.
    pub m_known: bool,
}

/// A decoded `struct v4l2_buffer`. A multi-planar buffer without stored planes is one whose
/// planes the source did not record (strace); its `length` is then the number of planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct V4l2Buffer {
    pub index: u32,
    pub ty: BufType,
    pub memory: Option<Memory>,
    pub flags: u32,
    pub field: u8,
    pub bytesused: u32,
    pub length: u32,
    /// Single-planar `m.offset`, `m.userptr` or `m.fd`.
    pub m: u64,
    /// Whether the source recorded `m` (strace never prints a DMABUF `m.fd`); when not, `m`
    /// is 0 and means nothing. Multi-planar buffers carry theirs in their planes.
    pub m_known: bool,
    pub sequence: u32,
    pub timestamp_ns: u64,
    /// Multi-planar: `planes[first .. first + count]` in the trace's plane table.
    pub planes_first: u32,
    pub planes_count: u8,
    /// DQBUF on an `O_NONBLOCK` file.
    pub nonblock: bool,
    /// `request_fd` of a buffer given to a media request (`V4L2_BUF_FLAG_REQUEST_FD`), as
    /// far as the source recorded it; [`V4l2Buffer::NO_REQUEST`] when not (strace never
    /// prints it), or for an fd above 65534. Two bytes keep the argument small.
    pub request_fd: u16,
}

impl V4l2Buffer {
    /// `request_fd` not recorded.
    pub const NO_REQUEST: u16 = u16::MAX;

    /// The request fd, if the source recorded it.
    pub fn request_fd(&self) -> Option<i32> {
        (self.request_fd != Self::NO_REQUEST).then_some(i32::from(self.request_fd))
    }

    /// `m`, if the source recorded it.
    pub fn known_m(&self) -> Option<u64> {
        self.m_known.then_some(self.m)
    }
}

impl V4l2Plane {
    /// `m`, if the source recorded it.
    pub fn known_m(&self) -> Option<u64> {
        self.m_known.then_some(self.m)
    }
}

/// The numbers of an mmap()/munmap() or of a dma-buf allocation, kept in a side table since
/// they are rare and large.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extent {
    pub offset: u64,
    pub len: u64,
    pub addr: u64,
}

/// What QUERYCAP returned (`struct v4l2_capability`): who drives the node. A string the
/// source did not record is empty; a number it did not record is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    pub driver: Sym,
    pub card: Sym,
    pub bus_info: Sym,
    /// `capabilities`: those of the whole device (`V4L2_CAP_*`).
    pub caps: Option<u32>,
    /// `device_caps`: those of this node.
    pub device_caps: Option<u32>,
}

/// The argument of an ioctl, beyond fd and result. Stored in the trace's side table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IoctlArg {
    /// REQBUFS / CREATE_BUFS: requested count, granted count, and (CREATE_BUFS) first index.
    Alloc {
        ty: BufType,
        memory: Memory,
        count: u32,
        count_out: Option<u32>,
        index: Option<u32>,
        /// The `capabilities` the kernel returned (`V4L2_BUF_CAP_*`), if recorded.
        caps: Option<u32>,
        /// CREATE_BUFS: the `max_num_buffers` the kernel returned (Linux 6.10 on, when
        /// `caps` has `SUPPORTS_MAX_NUM_BUFFERS`), if recorded.
        max_buffers: Option<u32>,
    },
    /// REMOVE_BUFS.
    Remove { ty: BufType, index: u32, count: u32 },
    /// STREAMON / STREAMOFF.
    Stream { ty: BufType },
    /// EXPBUF: the exported fd.
    Expbuf {
        ty: BufType,
        index: u32,
        plane: u8,
        fd_out: Option<i32>,
    },
    /// QUERYBUF, PREPARE_BUF, QBUF, DQBUF.
    Buffer(V4l2Buffer),
    /// QUERYCAP: what the kernel returned (all unknown when the call failed).
    Querycap(Capability),
    /// DECODER_CMD / ENCODER_CMD and their TRY_ forms: the command (`v4l2::codec::CMD_*`)
    /// and its flags; `cmd` is `None` when the source printed only a pointer (strace does).
    Command { cmd: Option<u32>, flags: u32 },
    /// SUBSCRIBE_EVENT / UNSUBSCRIBE_EVENT / DQEVENT: the event type
    /// (`v4l2::codec::EVENT_*`) and, for a source change, its `changes` bits; `ty` is `None`
    /// when not decoded.
    Event { ty: Option<u32>, changes: u32 },
    /// MEDIA_IOC_REQUEST_ALLOC: the new request's fd, if recorded. QUEUE and REINIT take
    /// no argument: the call's fd is the request.
    Request { fd_out: Option<i32> },
    /// S/G/TRY_EXT_CTRLS of a media request's controls: `which` (`V4L2_CTRL_WHICH_*`), how
    /// many controls, and the request's fd when the source recorded it (strace does not).
    Controls {
        which: u32,
        count: u32,
        request_fd: Option<i32>,
    },
    /// The source printed only a pointer (strace before 6.x does for EXPBUF): what was asked
    /// is unknown. The call is kept so that what the kernel did inside it lands in it; the
    /// model takes no step for it.
    Undecoded,
}

/// What the driver did (scenario `driver` lines, or `vb2_buf_done` seen in the kernel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriverAction {
    BufferDone {
        index: Option<u32>,
        state: DoneState,
    },
    Config(DriverCfg),
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    Ioctl {
        fd: i32,
        cmd: IoctlCmd,
        #[serde(with = "crate::v4l2::outcome_code")]
        result: Outcome,
        arg: u32,
    },
    Open {
        fd: i32,
        path: Sym,
        dev: u16,
    },
    Close {
        fd: i32,
    },
    Dup {
        fd: i32,
        new_fd: i32,
    },
    /// mmap(); `fd < 0` for anonymous memory (USERPTR areas). `ext`: offset, len, addr.
    Mmap {
        fd: i32,
        ext: u32,
    },
    /// munmap(); `ext`: addr, len.
    Munmap {
        ext: u32,
    },
    /// `fd` refers to a dma-buf: one made outside V4L2 (a dma-heap, another device), one
    /// received from elsewhere, or (right after an EXPBUF) the one the EXPBUF made. `ext`:
    /// its size as len and its inode as offset (0: unknown); `name`: a label, for recorders
    /// the exporter's name.
    Dmabuf {
        fd: i32,
        name: Sym,
        ext: u32,
    },
    /// poll(), ppoll(), select() or pselect6() waiting on `fd` (one event per fd of a video
    /// node or a media request in the set): the `POLL*` bits asked for (select's exceptfds
    /// as `POLLPRI`) and those returned (0 on a timeout).
    Poll {
        fd: i32,
        events: u16,
        revents: u16,
    },
    /// A kernel tracepoint line: its name and its text.
    Tracepoint {
        name: Sym,
        text: Sym,
    },
    Memop {
        kind: MemopKind,
        dev: u16,
        ty: BufType,
        index: u32,
        plane: u8,
    },
    Driver {
        dev: u16,
        ty: BufType,
        action: DriverAction,
    },
    Klog {
        text: Sym,
    },
    Marker {
        text: Sym,
    },
    /// A scenario's `expect` line, checked against the previous operation's result.
    Expect {
        #[serde(with = "crate::v4l2::outcome_code")]
        want: Outcome,
    },
}

impl Body {
    /// A system call of the traced process: kernel events in between happen inside the one
    /// before (on its thread).
    pub fn is_syscall(&self) -> bool {
        matches!(
            self,
            Body::Ioctl { .. }
                | Body::Open { .. }
                | Body::Close { .. }
                | Body::Dup { .. }
                | Body::Mmap { .. }
                | Body::Munmap { .. }
                | Body::Dmabuf { .. }
                | Body::Poll { .. }
        )
    }
}

/// A thread of a traced process: what the trace's thread table holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Thread {
    pub pid: u32,
    /// 0 when the source did not say.
    pub tid: u32,
}

/// A thread, as an index into its trace's thread table ([`super::Trace::thread`]): it only
/// means something inside the trace that holds the event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(pub u32);

impl ThreadId {
    /// No thread of the table: reads as (0, 0), "not known", in any trace. An index a table
    /// lacks is carried over as this, never as another trace's first thread.
    pub const UNKNOWN: ThreadId = ThreadId(u32::MAX);
}

/// One event of a trace. The thread is an index into the trace's thread table, and the
/// scenario line, the origin and `within` share one word: 32 bytes an event.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub t_ns: u64,
    pub thread: ThreadId,
    /// Bits 0..29 the line, 29..31 the origin, 31 `within`.
    meta: u32,
    pub body: Body,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("t_ns", &self.t_ns)
            .field("thread", &self.thread)
            .field("origin", &self.origin())
            .field("line", &self.line())
            .field("within", &self.within())
            .field("body", &self.body)
            .finish()
    }
}

const LINE_BITS: u32 = 29;
/// The highest scenario line an event can name; a higher one is stored as this (the source
/// line of an input of half a billion lines and more).
pub const MAX_LINE: u32 = (1 << LINE_BITS) - 1;
const ORIGIN_SHIFT: u32 = LINE_BITS;
const WITHIN_BIT: u32 = 1 << 31;

impl Event {
    /// An event on line 0 (of no scenario), not marked within a call.
    pub fn new(t_ns: u64, thread: ThreadId, origin: Origin, body: Body) -> Event {
        let mut e = Event {
            t_ns,
            thread,
            meta: 0,
            body,
        };
        e.set_origin(origin);
        e
    }

    /// The same event on scenario line `line`.
    pub fn on_line(mut self, line: u32) -> Event {
        self.set_line(line);
        self
    }

    /// Source line of a scenario, or 0.
    pub fn line(&self) -> u32 {
        self.meta & MAX_LINE
    }

    /// Sets the line; one above [`MAX_LINE`] is stored as `MAX_LINE` (no room for more).
    pub fn set_line(&mut self, line: u32) {
        self.meta = (self.meta & !MAX_LINE) | line.min(MAX_LINE);
    }

    pub fn origin(&self) -> Origin {
        match (self.meta >> ORIGIN_SHIFT) & 3 {
            0 => Origin::Observed,
            1 => Origin::Inferred,
            2 => Origin::Scripted,
            _ => Origin::Rebuilt,
        }
    }

    pub fn set_origin(&mut self, o: Origin) {
        let bits = match o {
            Origin::Observed => 0,
            Origin::Inferred => 1,
            Origin::Scripted => 2,
            Origin::Rebuilt => 3,
        };
        self.meta = (self.meta & !(3 << ORIGIN_SHIFT)) | (bits << ORIGIN_SHIFT);
    }

    /// A kernel event that happened inside the syscall before it (as the merge placed it),
    /// rather than on its own (another thread, or between calls).
    pub fn within(&self) -> bool {
        self.meta & WITHIN_BIT != 0
    }

    pub fn set_within(&mut self, within: bool) {
        if within {
            self.meta |= WITHIN_BIT;
        } else {
            self.meta &= !WITHIN_BIT;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        // The memory budget of a loaded trace (≤ 48 bytes per event) rests on these.
        assert_eq!(std::mem::size_of::<super::Event>(), 32);
        assert!(
            std::mem::size_of::<super::IoctlArg>() <= 48,
            "{}",
            std::mem::size_of::<super::IoctlArg>()
        );
    }

    #[test]
    fn meta_fields_keep_apart() {
        use super::{Body, Event, MAX_LINE, ThreadId};
        use crate::v4l2::Origin;
        let body = Body::Close { fd: 3 };
        for o in [
            Origin::Observed,
            Origin::Inferred,
            Origin::Scripted,
            Origin::Rebuilt,
        ] {
            for line in [0, 1, 77, MAX_LINE] {
                for within in [false, true] {
                    let mut e = Event::new(5, ThreadId(9), o, body).on_line(line);
                    e.set_within(within);
                    assert_eq!((e.origin(), e.line(), e.within()), (o, line, within));
                }
            }
        }
        // A line beyond the range saturates rather than spilling into the origin.
        let e = Event::new(0, ThreadId(0), Origin::Inferred, body).on_line(u32::MAX);
        assert_eq!(
            (e.line(), e.origin(), e.within()),
            (MAX_LINE, Origin::Inferred, false)
        );
    }
}
