//! The JSON shape of one native trace line. Flat, with optional fields, so that reading is a
//! single pass without buffering; documented in docs/trace-format.md and
//! docs/trace-format.schema.json.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::v4l2::Origin;

/// The first line of a native trace.
#[derive(Serialize, Deserialize, Debug)]
pub struct HeaderLine<'a> {
    /// Always `"trace"`: tells a vb2scope trace from other JSON Lines.
    #[serde(borrow)]
    pub vb2scope: Cow<'a, str>,
    pub version: u32,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub source: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub title: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Cow<'a, str>>,
    /// What `t` counts: `realtime`, `time-of-day`, `boot`, `order`; absent: unknown.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Cow<'a, str>>,
    /// Added to `t`, the wall-clock time in ns since 1970 (with `clock: realtime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_offset_ns: Option<i64>,
}

/// A buffer (`struct v4l2_buffer`) or one of its planes.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct BufLine<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(
        default,
        borrow,
        rename = "type",
        skip_serializing_if = "Option::is_none"
    )]
    pub ty: Option<&'a str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub memory: Option<&'a str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytesused: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_offset: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userptr: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
    /// A buffer given to a media request: the request's fd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fd: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ns: Option<u64>,
    #[serde(default, borrow, skip_serializing_if = "Vec::is_empty")]
    pub planes: Vec<BufLine<'a>>,
}

/// One event line. Which fields apply depends on `ev`.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct EventLine<'a> {
    pub t: u64,
    #[serde(borrow)]
    pub ev: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// A kernel event that happened inside the syscall before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<bool>,
    /// How long the syscall took, in ns, when its source timed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dur: Option<u64>,
    /// QBUF/PREPARE_BUF: the buffer flags the application passed, where the source saw them
    /// and the kernel's reply (`buf.flags`) does not show them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags_in: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<i32>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub op: Option<&'a str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub result: Option<Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        rename = "type",
        skip_serializing_if = "Option::is_none"
    )]
    pub ty: Option<&'a str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub memory: Option<&'a str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_out: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_buffers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plane: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd_out: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonblock: Option<bool>,
    /// DECODER_CMD / ENCODER_CMD: the command (`V4L2_DEC_CMD_*`) and its flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd_flags: Option<u32>,
    /// SUBSCRIBE_EVENT / DQEVENT: the event type (`V4L2_EVENT_*`) and a source change's
    /// `changes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<u32>,
    /// S/G/TRY_EXT_CTRLS: `which` (`V4L2_CTRL_WHICH_*`) and the request's fd (`count` holds
    /// the number of controls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub which: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fd: Option<i32>,
    /// poll: the `POLL*` bits asked for and returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revents: Option<u16>,
    /// The call's argument was not decoded by the source (`IoctlArg::Undecoded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<bool>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub buf: Option<Box<BufLine<'a>>>,
    /// QUERYCAP's `driver`, `card`, `bus_info` and `device_caps` (`caps` holds its
    /// `capabilities`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub driver: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub card: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub bus_info: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_caps: Option<u32>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub path: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub dev: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_fd: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// A dma-buf's inode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planes: Option<u8>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub want: Option<Cow<'a, str>>,
}
