//! The parsed form of a scenario.

use crate::v4l2::{BufType, DoneState, Memory, Outcome};

/// A named object of a scenario: a dma-buf, a user memory area or a file handle.
pub type Name = String;

/// What the driver does (`driver …` lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriverStmt {
    Done {
        index: Option<u32>,
        state: DoneState,
    },
    KeepOnStop,
    FailStart {
        keep: bool,
    },
    MinQueued(u32),
    /// `driver queue-error`: `vb2_queue_error`.
    QueueError,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    Queue {
        ty: BufType,
        planes: Option<u8>,
        size: Option<u32>,
    },
    Reqbufs {
        count: u32,
        memory: Memory,
    },
    CreateBufs {
        count: u32,
    },
    RemoveBufs {
        index: u32,
        count: u32,
    },
    Querybuf {
        index: u32,
    },
    PrepareBuf {
        index: u32,
        fds: Vec<Name>,
        ptrs: Vec<Name>,
        request: Option<Name>,
    },
    Qbuf {
        index: u32,
        fds: Vec<Name>,
        ptrs: Vec<Name>,
        request: Option<Name>,
        /// `data=NAME`: the next frame of bitstream `NAME` goes into the buffer.
        data: Option<Name>,
    },
    /// `decoder_cmd CMD` / `encoder_cmd CMD` (`v4l2::codec::CMD_*`).
    Command {
        encoder: bool,
        cmd: u32,
    },
    /// `dqevent EVENT`: VIDIOC_DQEVENT returned this event (`v4l2::codec::EVENT_*`).
    Dqevent {
        ty: u32,
    },
    /// `subscribe EVENT` / `unsubscribe EVENT`: VIDIOC_(UN)SUBSCRIBE_EVENT.
    Subscribe {
        ty: u32,
        on: bool,
    },
    /// `bitstream NAME PATH`: a coded stream, in a file relative to the scenario's, whose
    /// frames `qbuf … data=NAME` feeds to a device. The model does not read it.
    Bitstream {
        name: Name,
        path: String,
    },
    /// `request NAME`: MEDIA_IOC_REQUEST_ALLOC.
    Request {
        name: Name,
    },
    /// `queue_request NAME`: MEDIA_REQUEST_IOC_QUEUE.
    QueueRequest {
        name: Name,
    },
    /// `reinit NAME`: MEDIA_REQUEST_IOC_REINIT.
    Reinit {
        name: Name,
    },
    /// `set_ctrls`, `get_ctrls` or `try_ctrls NAME`: S/G/TRY_EXT_CTRLS with `which` =
    /// `V4L2_CTRL_WHICH_REQUEST_VAL` on request `NAME`.
    Ctrls {
        name: Name,
        access: crate::v4l2::ctrls::CtrlAccess,
    },
    /// `poll NAME [in] [out] [pri]`: poll() of request `NAME` for these events.
    Poll {
        name: Name,
        events: u16,
    },
    Dqbuf {
        nonblock: bool,
    },
    Streamon,
    Streamoff,
    Expbuf {
        index: u32,
        plane: u8,
        name: Name,
    },
    Mmap {
        index: u32,
        plane: u8,
    },
    Munmap {
        index: u32,
        plane: u8,
    },
    Dmabuf {
        name: Name,
        size: u64,
    },
    Userptr {
        name: Name,
        size: u64,
    },
    Free {
        name: Name,
    },
    Dup {
        name: Name,
        as_name: Name,
    },
    /// `close NAME`: a dma-buf fd or a named handle.
    CloseName {
        name: Name,
    },
    /// `close`: the current video handle.
    Close,
    Open {
        name: Name,
    },
    Use {
        name: Name,
    },
    Driver(DriverStmt),
    Expect(Outcome),
    Marker(String),
}

/// A statement with the line (1-based) it stands on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub line: u32,
    pub kind: StmtKind,
}

/// The names a scenario defines, by kind, in definition order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub dmabufs: Vec<Name>,
    pub userptrs: Vec<Name>,
    pub handles: Vec<Name>,
    pub requests: Vec<Name>,
    pub bitstreams: Vec<Name>,
}

/// A parsed scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    /// The file name, for messages.
    pub file: String,
    /// The leading comment block: what the scenario shows.
    pub title: String,
    pub stmts: Vec<Stmt>,
    pub names: Names,
}
