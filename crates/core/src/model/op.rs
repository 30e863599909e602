//! The model's input: one operation at a time, with raw values as the kernel sees them
//! (fd numbers, addresses, indices). Strings and names are resolved before this point.

use crate::v4l2::MAX_PLANES;
pub use crate::v4l2::ctrls::CtrlAccess;
use crate::v4l2::{BufType, DoneState, DriverCfg, Memory};

/// The memory a plane argument names: `m.fd` (DMABUF) or `m.userptr` (USERPTR), or what is
/// known of it when the trace's source did not record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handle {
    Known(u64),
    /// Not recorded. `changed`: whether the kernel was seen taking new memory for the plane in
    /// this call (an attach or a pin among its memops); `None` when the kernel's side was not
    /// traced. The model then infers the association and marks it so.
    Unknown {
        changed: Option<bool>,
    },
}

impl Default for Handle {
    fn default() -> Handle {
        Handle::Known(0)
    }
}

/// One plane of a QBUF/PREPARE_BUF argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneArg {
    /// Unused for MMAP.
    pub m: Handle,
    /// `length`; 0 for DMABUF means the dma-buf's size. `None`: not recorded.
    pub length: Option<u32>,
    pub bytesused: u32,
}

/// The planes of a buffer argument, inline so that a step never allocates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneArgs {
    pub n: u8,
    pub p: [PlaneArg; MAX_PLANES],
}

impl PlaneArgs {
    pub fn one(m: u64, length: u32) -> PlaneArgs {
        let mut a = PlaneArgs {
            n: 1,
            ..Default::default()
        };
        a.p[0] = PlaneArg {
            m: Handle::Known(m),
            length: Some(length),
            bytesused: 0,
        };
        a
    }
    pub fn get(&self, i: usize) -> Option<&PlaneArg> {
        self.p.get(..self.n as usize).and_then(|s| s.get(i))
    }
    pub fn push(&mut self, a: PlaneArg) {
        if let Some(slot) = self.p.get_mut(self.n as usize) {
            *slot = a;
            self.n += 1;
        }
    }
}

/// A buffer ioctl's target: the video fd, the queue type and the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufTarget {
    pub fd: i32,
    pub ty: BufType,
    pub index: u32,
    pub memory: Option<Memory>,
}

/// One operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// open() of device `dev` returned `fd`.
    Open {
        fd: i32,
        dev: u16,
    },
    /// close() of any fd: a video fd, or a dma-buf fd.
    Close {
        fd: i32,
    },
    Dup {
        fd: i32,
        new_fd: i32,
    },
    /// `fd` refers to a dma-buf: one made outside V4L2 (dma-heap, another driver), or,
    /// when `ino` names one already known, that one (received over a socket, from a broker);
    /// on an fd that already refers to a dma-buf of no known inode (an EXPBUF's), its
    /// identity. `ino` 0: unknown; `size` `u64::MAX`: unknown; `name`: the trace's label.
    Dmabuf {
        fd: i32,
        size: u64,
        ino: u64,
        name: Option<u32>,
    },
    /// mmap() of a video fd at `offset`, mapped at `addr`; or anonymous user memory when
    /// `fd < 0` (USERPTR memory).
    Mmap {
        fd: i32,
        offset: u64,
        len: u64,
        addr: u64,
    },
    Munmap {
        addr: u64,
        len: u64,
    },
    Reqbufs {
        fd: i32,
        ty: BufType,
        memory: Memory,
        count: u32,
    },
    CreateBufs {
        fd: i32,
        ty: BufType,
        memory: Memory,
        count: u32,
    },
    RemoveBufs {
        fd: i32,
        ty: BufType,
        index: u32,
        count: u32,
    },
    Querybuf(BufTarget),
    PrepareBuf(BufTarget, PlaneArgs),
    Qbuf(BufTarget, PlaneArgs),
    Dqbuf {
        fd: i32,
        ty: BufType,
        memory: Option<Memory>,
        nonblock: bool,
    },
    Streamon {
        fd: i32,
        ty: BufType,
    },
    Streamoff {
        fd: i32,
        ty: BufType,
    },
    Expbuf {
        fd: i32,
        ty: BufType,
        index: u32,
        plane: u8,
        new_fd: i32,
    },
    /// QBUF (or PREPARE_BUF, which refuses it) with `V4L2_BUF_FLAG_REQUEST_FD`: the buffer
    /// goes into media request `request_fd`, `None` when the source did not record which.
    BufToRequest {
        t: BufTarget,
        planes: PlaneArgs,
        prepare: bool,
        request_fd: Option<i32>,
    },
    /// `MEDIA_IOC_REQUEST_ALLOC` on a media device gave `new_fd` (`None`: not recorded).
    RequestAlloc {
        new_fd: Option<i32>,
    },
    /// `MEDIA_REQUEST_IOC_QUEUE` on request `fd`. `near`: the device of the calling
    /// thread's last buffer into a request, where a buffer whose request the source did not
    /// name is looked for.
    RequestQueue {
        fd: i32,
        near: Option<u16>,
    },
    /// `MEDIA_REQUEST_IOC_REINIT` on request `fd` (`near` as for QUEUE).
    RequestReinit {
        fd: i32,
        near: Option<u16>,
    },
    /// DECODER_CMD / ENCODER_CMD on a video fd; `cmd` is `None` when not recorded.
    Command {
        fd: i32,
        cmd: Option<u32>,
        encoder: bool,
    },
    /// VIDIOC_QUERYCAP on a video fd; the node's own capabilities when recorded.
    Querycap {
        fd: i32,
        device_caps: Option<u32>,
    },
    /// VIDIOC_DQEVENT on a video fd; `ty` is the event's type when recorded.
    Dqevent {
        fd: i32,
        ty: Option<u32>,
    },
    /// S/G/TRY_EXT_CTRLS with `which` = `V4L2_CTRL_WHICH_REQUEST_VAL` on video fd `fd`:
    /// `count` controls set into, tried against or read from request `request_fd` (`None`:
    /// not recorded).
    Controls {
        fd: i32,
        access: CtrlAccess,
        count: u32,
        request_fd: Option<i32>,
    },
    /// poll()/select() waiting on `fd` for `events` (`POLL*` bits); `revents`: what it
    /// returned (0: nothing, or a scenario's poll).
    Poll {
        fd: i32,
        events: u16,
        revents: u16,
    },
    /// The driver calls `vb2_buffer_done`; `None`: the oldest ACTIVE buffer.
    BufferDone {
        dev: u16,
        ty: BufType,
        index: Option<u32>,
        state: DoneState,
    },
    Driver {
        dev: u16,
        ty: BufType,
        cfg: DriverCfg,
    },
}

impl Op {
    /// Whether a trace's result for this operation is taken as given, never predicted: a
    /// codec command's acceptance is the driver's, and whether an event was pending is not
    /// modelled. Such results are not counted as predictions.
    pub fn result_is_the_kernels(&self) -> bool {
        matches!(
            self,
            Op::Command { .. }
                | Op::Dqevent { .. }
                | Op::Querycap { .. }
                | Op::Controls { .. }
                | Op::Poll { .. }
        )
    }

    /// The ioctl or call name, as in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Open { .. } => "open",
            Op::Close { .. } => "close",
            Op::Dup { .. } => "dup",
            Op::Dmabuf { .. } => "dmabuf",
            Op::Mmap { .. } => "mmap",
            Op::Munmap { .. } => "munmap",
            Op::Reqbufs { .. } => "VIDIOC_REQBUFS",
            Op::CreateBufs { .. } => "VIDIOC_CREATE_BUFS",
            Op::RemoveBufs { .. } => "VIDIOC_REMOVE_BUFS",
            Op::Querybuf(_) => "VIDIOC_QUERYBUF",
            Op::PrepareBuf(..) => "VIDIOC_PREPARE_BUF",
            Op::Qbuf(..) => "VIDIOC_QBUF",
            Op::Dqbuf { .. } => "VIDIOC_DQBUF",
            Op::Streamon { .. } => "VIDIOC_STREAMON",
            Op::Streamoff { .. } => "VIDIOC_STREAMOFF",
            Op::Expbuf { .. } => "VIDIOC_EXPBUF",
            Op::Command { .. } => "codec command",
            Op::Dqevent { .. } => "VIDIOC_DQEVENT",
            Op::Querycap { .. } => "VIDIOC_QUERYCAP",
            Op::BufToRequest { prepare: true, .. } => "VIDIOC_PREPARE_BUF",
            Op::BufToRequest { .. } => "VIDIOC_QBUF",
            Op::RequestAlloc { .. } => "MEDIA_IOC_REQUEST_ALLOC",
            Op::RequestQueue { .. } => "MEDIA_REQUEST_IOC_QUEUE",
            Op::RequestReinit { .. } => "MEDIA_REQUEST_IOC_REINIT",
            Op::Controls { access, .. } => access.ioctl_name(),
            Op::Poll { .. } => "poll",
            Op::BufferDone { .. } => "vb2_buffer_done",
            Op::Driver { .. } => "driver",
        }
    }
}

/// What a successful step returns besides "ok".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ret {
    /// REQBUFS/CREATE_BUFS: buffers granted.
    pub count: u32,
    /// CREATE_BUFS: first index; DQBUF: the index dequeued.
    pub index: u32,
    /// QUERYBUF/DQBUF: the V4L2 flags.
    pub flags: u32,
}

/// What a trace showed the kernel answer besides the result: values the kernel or the driver
/// chose. Where one is known the model takes it rather than its prediction, and counts the
/// difference (evidence for `auto`) without calling it a divergence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// REQBUFS/CREATE_BUFS: buffers granted.
    pub count: Option<u32>,
    /// CREATE_BUFS: the first new index; DQBUF: the buffer the kernel returned.
    pub index: Option<u32>,
    /// REQBUFS/CREATE_BUFS: `capabilities` (`V4L2_BUF_CAP_*`).
    pub caps: Option<u32>,
    /// DQBUF: the flags of the buffer it returned (LAST ends the stream); QBUF: the flags
    /// of its reply (HOLD_CAPTURE_BUF kept on an OUTPUT buffer).
    pub flags: Option<u32>,
    /// DQBUF: the bytes the returned buffer holds, all planes together, when the source
    /// recorded them.
    pub bytesused: Option<u32>,
    /// QBUF: the flags the application passed, where the source saw them and the reply
    /// dropped one of them.
    pub flags_in: Option<u32>,
}
