//! V4L2 ioctl arguments as strace decodes them (strace's `src/v4l2.c`): symbolic, raw
//! (`-X raw`) or both (`-X verbose`). A field strace does not print stays unknown.

use crate::trace::{IoctlArg, IoctlCmd, V4l2Buffer};
use crate::v4l2::{BufType, Memory};

use super::lex::{self, Fields};

/// The ioctls the importer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Req {
    Buf(IoctlCmd),
    GFmt,
    SFmt,
    Querycap,
}

/// `VIDIOC_QBUF`, `VIDIOC_QBUF_TIME32`, `0xc058560f` or `0xc058560f /* VIDIOC_QBUF */`.
pub(super) fn request(s: &str) -> Option<Req> {
    let s = lex::token(lex::unname(s));
    if s.starts_with("0x") {
        // Codes differ by ABI (struct sizes); the type ('V', or '|' for the media
        // requests) and the number do not.
        let code = lex::uint(s)?;
        if (code >> 8) & 0xff == 0x7c {
            return Some(Req::Buf(match code & 0xff {
                0x05 => IoctlCmd::RequestAlloc,
                0x80 => IoctlCmd::RequestQueue,
                0x81 => IoctlCmd::RequestReinit,
                _ => return None,
            }));
        }
        if (code >> 8) & 0xff != 0x56 {
            return None;
        }
        return Some(match code & 0xff {
            0 => Req::Querycap,
            4 => Req::GFmt,
            5 => Req::SFmt,
            8 => Req::Buf(IoctlCmd::Reqbufs),
            9 => Req::Buf(IoctlCmd::Querybuf),
            15 => Req::Buf(IoctlCmd::Qbuf),
            16 => Req::Buf(IoctlCmd::Expbuf),
            17 => Req::Buf(IoctlCmd::Dqbuf),
            18 => Req::Buf(IoctlCmd::Streamon),
            19 => Req::Buf(IoctlCmd::Streamoff),
            92 => Req::Buf(IoctlCmd::CreateBufs),
            93 => Req::Buf(IoctlCmd::PrepareBuf),
            104 => Req::Buf(IoctlCmd::RemoveBufs),
            77 => Req::Buf(IoctlCmd::EncoderCmd),
            78 => Req::Buf(IoctlCmd::TryEncoderCmd),
            89 => Req::Buf(IoctlCmd::Dqevent),
            90 => Req::Buf(IoctlCmd::SubscribeEvent),
            91 => Req::Buf(IoctlCmd::UnsubscribeEvent),
            96 => Req::Buf(IoctlCmd::DecoderCmd),
            97 => Req::Buf(IoctlCmd::TryDecoderCmd),
            71 => Req::Buf(IoctlCmd::GExtCtrls),
            72 => Req::Buf(IoctlCmd::SExtCtrls),
            73 => Req::Buf(IoctlCmd::TryExtCtrls),
            _ => return None,
        });
    }
    if s.starts_with("MEDIA_") {
        return IoctlCmd::parse(s).map(Req::Buf);
    }
    let name = s.strip_prefix("VIDIOC_")?;
    let name = name.strip_suffix("_TIME32").unwrap_or(name);
    match name {
        "G_FMT" => Some(Req::GFmt),
        "S_FMT" => Some(Req::SFmt),
        "QUERYCAP" => Some(Req::Querycap),
        _ => IoctlCmd::parse(name).map(Req::Buf),
    }
}

/// Why an argument could not be turned into an event.
#[derive(Debug, thiserror::Error)]
pub(super) enum Skip {
    /// strace printed a pointer: the struct was not decoded.
    #[error("argument not decoded by strace (pointer only)")]
    Undecoded,
    /// A buffer type or memory the model has no queue for.
    #[error("{0} is not a video queue the model covers")]
    Unsupported(String),
    #[error("{0}")]
    Malformed(&'static str),
    /// A call the model has nothing to do with (controls outside a media request).
    #[error("not about buffers")]
    NotOurs,
}

fn buf_type(v: &str) -> Result<BufType, Skip> {
    let t = lex::token(v);
    let ty = match t {
        "V4L2_BUF_TYPE_VIDEO_CAPTURE" => Some(BufType::VideoCapture),
        "V4L2_BUF_TYPE_VIDEO_OUTPUT" => Some(BufType::VideoOutput),
        "V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE" => Some(BufType::VideoCaptureMplane),
        "V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE" => Some(BufType::VideoOutputMplane),
        _ => match lex::uint(t) {
            Some(1) => Some(BufType::VideoCapture),
            Some(2) => Some(BufType::VideoOutput),
            Some(9) => Some(BufType::VideoCaptureMplane),
            Some(10) => Some(BufType::VideoOutputMplane),
            _ => None,
        },
    };
    ty.ok_or_else(|| Skip::Unsupported(format!("buffer type {t}")))
}

fn memory(v: &str) -> Result<Memory, Skip> {
    let t = lex::token(v);
    match t {
        "V4L2_MEMORY_MMAP" => Ok(Memory::Mmap),
        "V4L2_MEMORY_USERPTR" => Ok(Memory::Userptr),
        "V4L2_MEMORY_DMABUF" => Ok(Memory::Dmabuf),
        _ => match lex::uint(t) {
            Some(1) => Ok(Memory::Mmap),
            Some(2) => Ok(Memory::Userptr),
            Some(4) => Ok(Memory::Dmabuf),
            _ => Err(Skip::Unsupported(format!("memory {t}"))),
        },
    }
}

/// `V4L2_BUF_FLAG_A|V4L2_BUF_FLAG_B|0x200000`, `0x2003`, or `-X verbose` with comments.
/// Names strace prints for zero values (`TSTAMP_SRC_EOF`) or does not know add nothing.
fn buf_flags(v: &str) -> u32 {
    flag_bits(v, "V4L2_BUF_FLAG_", crate::v4l2::flags::by_name)
}

/// Flags as strace prints them: names with `prefix`, numbers, or both.
fn flag_bits(v: &str, prefix: &str, by_name: fn(&str) -> Option<u32>) -> u32 {
    let mut out = 0;
    for t in lex::flag_names(v) {
        if let Some(n) = lex::u32v(t) {
            out |= n;
        } else if let Some(name) = t.strip_prefix(prefix)
            && let Some(bit) = by_name(name)
        {
            out |= bit;
        }
    }
    out
}

/// What QUERYCAP returned, as strace printed it (`{driver="vim2m", card="vim2m",
/// bus_info="platform:vim2m", version=…, capabilities=…, device_caps=…}`); a field it left
/// out stays unknown.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct CapText {
    pub driver: String,
    pub card: String,
    pub bus_info: String,
    pub caps: Option<u32>,
    pub device_caps: Option<u32>,
}

pub(super) fn querycap(arg: &str) -> Result<CapText, Skip> {
    let f = fields(arg)?;
    let text = |k| {
        f.get(k)
            .and_then(lex::c_string)
            .map(|(s, _cut)| s)
            .unwrap_or_default()
    };
    let caps = |k| {
        f.get(k)
            .map(|v| flag_bits(v, "V4L2_CAP_", crate::v4l2::dev_caps::by_name))
    };
    Ok(CapText {
        driver: text("driver"),
        card: text("card"),
        bus_info: text("bus_info"),
        caps: caps("capabilities"),
        device_caps: caps("device_caps"),
    })
}

fn num(f: &Fields, key: &str) -> Result<Option<u32>, Skip> {
    match f.get(key) {
        None => Ok(None),
        Some(v) => lex::u32v(v)
            .map(Some)
            .ok_or(Skip::Malformed("a field is not a number")),
    }
}

fn need<T>(v: Option<T>, what: &'static str) -> Result<T, Skip> {
    v.ok_or(Skip::Malformed(what))
}

fn fields(arg: &str) -> Result<Fields<'_>, Skip> {
    let a = arg.trim_start();
    if !a.starts_with('{') {
        return Err(Skip::Undecoded);
    }
    Fields::of(a).ok_or(Skip::Malformed("unbalanced braces in the argument"))
}

/// What the ioctl says, given its third argument, whether it succeeded, and the text after
/// its return value. A buffer's `nonblock` is the fd's: the importer sets it.
pub(super) fn arg(cmd: IoctlCmd, arg: &str, ok: bool, aux: &str) -> Result<IoctlArg, Skip> {
    match cmd {
        IoctlCmd::Streamon | IoctlCmd::Streamoff => {
            let inner = arg
                .trim()
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .ok_or(Skip::Undecoded)?;
            Ok(IoctlArg::Stream {
                ty: buf_type(inner)?,
            })
        }
        IoctlCmd::Reqbufs => {
            let f = fields(arg)?;
            let (count, out) = lex::arrow(need(f.get("count"), "REQBUFS without count")?);
            let count = need(lex::u32v(count), "REQBUFS count is not a number")?;
            // strace ≥ 7.1 prints ` => N` only when the kernel changed the count.
            let count_out = match (ok, out) {
                (false, _) => None,
                (true, Some(o)) => Some(need(lex::u32v(o), "REQBUFS count is not a number")?),
                (true, None) => Some(count),
            };
            Ok(IoctlArg::Alloc {
                ty: buf_type(need(f.get("type"), "REQBUFS without type")?)?,
                memory: memory(need(f.get("memory"), "REQBUFS without memory")?)?,
                count,
                count_out,
                index: None,
                caps: None,
                max_buffers: None,
            })
        }
        IoctlCmd::CreateBufs => {
            let f = fields(arg)?;
            let fmt = Fields::of(need(f.get("format"), "CREATE_BUFS without format")?)
                .ok_or(Skip::Malformed("CREATE_BUFS format is not a struct"))?;
            // The kernel's answer is the aux text `({index=I, count=C})`.
            let back = aux
                .trim()
                .strip_prefix('(')
                .and_then(|a| Fields::of(a.trim_start()));
            let (index, count_out) = match (&back, ok) {
                (Some(b), true) => (num(b, "index")?, num(b, "count")?),
                _ => (None, None),
            };
            Ok(IoctlArg::Alloc {
                ty: buf_type(need(fmt.get("type"), "CREATE_BUFS without type")?)?,
                memory: memory(need(f.get("memory"), "CREATE_BUFS without memory")?)?,
                count: need(num(&f, "count")?, "CREATE_BUFS without count")?,
                count_out,
                index,
                caps: None,
                max_buffers: None,
            })
        }
        IoctlCmd::RemoveBufs => {
            let f = fields(arg)?;
            Ok(IoctlArg::Remove {
                ty: buf_type(need(f.get("type"), "REMOVE_BUFS without type")?)?,
                index: need(num(&f, "index")?, "REMOVE_BUFS without index")?,
                count: need(num(&f, "count")?, "REMOVE_BUFS without count")?,
            })
        }
        IoctlCmd::Expbuf => {
            let (input, output) = lex::in_out(arg);
            let f = fields(input)?;
            let fd_out = match (ok, output.and_then(Fields::of)) {
                // `-y` decorates it: `{fd=4</dmabuf:>}`.
                (true, Some(o)) => o.get("fd").and_then(lex::fd_arg).map(|(fd, _)| fd),
                _ => None,
            };
            Ok(IoctlArg::Expbuf {
                ty: buf_type(need(f.get("type"), "EXPBUF without type")?)?,
                index: need(num(&f, "index")?, "EXPBUF without index")?,
                plane: num(&f, "plane")?
                    .and_then(|p| u8::try_from(p).ok())
                    .unwrap_or(0),
                fd_out,
            })
        }
        IoctlCmd::Querybuf | IoctlCmd::PrepareBuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf => {
            buffer(cmd, arg, ok).map(IoctlArg::Buffer)
        }
        // Its strings go to the trace's table: read by `querycap` (`Req::Querycap`).
        IoctlCmd::Querycap => Err(Skip::Undecoded),
        // strace (6.1 to 7.2) prints a pointer for these; a struct is read when printed. A
        // pointer is kept as a command or event of unknown kind: the call still happened.
        IoctlCmd::DecoderCmd
        | IoctlCmd::EncoderCmd
        | IoctlCmd::TryDecoderCmd
        | IoctlCmd::TryEncoderCmd => Ok(command(arg)),
        IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent | IoctlCmd::Dqevent => Ok(event(arg)),
        // `[5]`, or `[5</anon_inode:[media_request]>]` with `-y`.
        IoctlCmd::RequestAlloc => Ok(IoctlArg::Request {
            fd_out: ok
                .then(|| arg.trim().strip_prefix('['))
                .flatten()
                .and_then(lex::fd_arg)
                .map(|(fd, _)| fd),
        }),
        IoctlCmd::RequestQueue | IoctlCmd::RequestReinit => Ok(IoctlArg::Request { fd_out: None }),
        IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls => ext_controls(arg),
    }
}

/// `{ctrl_class=0xf010000 /* V4L2_CTRL_CLASS_??? */, count=5, controls=[…]}` (older strace
/// names `which` `ctrl_class`); only a media request's controls are kept. strace prints no
/// `request_fd` (6.1 to 7.2); one printed is read.
fn ext_controls(arg: &str) -> Result<IoctlArg, Skip> {
    let (input, _) = lex::in_out(arg);
    // A pointer: which controls is unknown, so nothing says they were a request's.
    let f = fields(input).map_err(|_| Skip::NotOurs)?;
    let which = f.get("which").or_else(|| f.get("ctrl_class"));
    let which = which.and_then(|v| {
        let t = lex::token(v);
        lex::u32v(t).or_else(|| {
            (t == "V4L2_CTRL_WHICH_REQUEST_VAL").then_some(crate::v4l2::ctrls::WHICH_REQUEST_VAL)
        })
    });
    if which != Some(crate::v4l2::ctrls::WHICH_REQUEST_VAL) {
        return Err(Skip::NotOurs);
    }
    let request_fd = f.get("request_fd").and_then(lex::fd_arg).map(|(fd, _)| fd);
    Ok(IoctlArg::Controls {
        which: crate::v4l2::ctrls::WHICH_REQUEST_VAL,
        count: num(&f, "count")?.unwrap_or(0),
        request_fd,
    })
}

/// `{cmd=V4L2_DEC_CMD_STOP, flags=0, …}`, or a pointer.
fn command(arg: &str) -> IoctlArg {
    let f = fields(arg).ok();
    let cmd = f.as_ref().and_then(|f| f.get("cmd")).and_then(|v| {
        let t = lex::token(v);
        lex::u32v(t).or_else(|| crate::v4l2::codec::cmd_by_name(t))
    });
    let flags = f
        .as_ref()
        .and_then(|f| f.get("flags"))
        .and_then(lex::u32v)
        .unwrap_or(0);
    IoctlArg::Command { cmd, flags }
}

/// `{type=V4L2_EVENT_SOURCE_CHANGE, …}`, or a pointer.
fn event(arg: &str) -> IoctlArg {
    let f = fields(arg).ok();
    let ty = f.as_ref().and_then(|f| f.get("type")).and_then(|v| {
        let t = lex::token(v);
        lex::u32v(t).or_else(|| crate::v4l2::codec::event_by_name(t))
    });
    let changes = f
        .as_ref()
        .and_then(|f| f.get("u.src_change.changes").or_else(|| f.get("changes")))
        .and_then(lex::u32v)
        .unwrap_or(0);
    IoctlArg::Event { ty, changes }
}

fn buffer(cmd: IoctlCmd, arg: &str, ok: bool) -> Result<V4l2Buffer, Skip> {
    let f = fields(arg)?;
    let ty = buf_type(need(f.get("type"), "buffer without type")?)?;
    let index = match num(&f, "index")? {
        Some(i) => i,
        // A failed DQBUF returns no buffer (the native format's convention).
        None if cmd == IoctlCmd::Dqbuf && !ok => u32::MAX,
        None => return Err(Skip::Malformed("buffer without index")),
    };
    let memory = f.get("memory").map(memory).transpose()?;
    // Multi-planar: strace prints the low bits of the `m.planes` pointer as `m.offset`, and
    // never the planes themselves; `length` is the number of planes.
    // DMABUF's `m.fd` is never printed: it stays unknown, as does anything on an error.
    let m = if ty.is_mplane() {
        None
    } else {
        f.get("m.offset")
            .or_else(|| f.get("m.userptr"))
            .or_else(|| f.get("m.fd"))
            .map(|v| lex::uint(v).ok_or(Skip::Malformed("m is not a number")))
            .transpose()?
    };
    let timestamp_ns = match f.get("timestamp").and_then(Fields::of) {
        Some(ts) => {
            let s = ts.get("tv_sec").and_then(lex::uint).unwrap_or(0);
            let us = ts.get("tv_usec").and_then(lex::uint).unwrap_or(0);
            s.checked_mul(1_000_000_000)
                .and_then(|n| n.checked_add(us.checked_mul(1000)?))
                .ok_or(Skip::Malformed("timestamp out of range"))?
        }
        None => 0,
    };
    Ok(V4l2Buffer {
        index,
        ty,
        memory,
        flags: f.get("flags").map_or(0, buf_flags),
        field: 0,
        bytesused: num(&f, "bytesused")?.unwrap_or(0),
        length: num(&f, "length")?.unwrap_or(0),
        m: m.unwrap_or(0),
        m_known: m.is_some(),
        sequence: num(&f, "sequence")?.unwrap_or(0),
        timestamp_ns,
        planes_first: 0,
        planes_count: 0,
        request_fd: V4l2Buffer::NO_REQUEST,
        nonblock: false,
    })
}

/// A G_FMT/S_FMT that succeeded: the queue and its planes and size, when strace printed a
/// non-zero `sizeimage`. The model keeps one size per queue: for several planes, the
/// smallest, so that it never predicts a plane too small that the kernel accepted.
pub(super) fn format(arg: &str, set: bool) -> Option<(BufType, u8, u32)> {
    let (input, output) = lex::in_out(arg);
    let fin = Fields::of(input)?;
    let ty = buf_type(fin.get("type")?).ok()?;
    let fout = match (set, output) {
        (true, Some(o)) => Fields::of(o)?,
        (true, None) => return None,
        (false, _) => fin,
    };
    if let Some(pix) = fout.get("fmt.pix").and_then(Fields::of) {
        let size = pix.get("sizeimage").and_then(lex::u32v)?;
        return (size > 0).then_some((ty, 1, size));
    }
    let mp = Fields::of(fout.get("fmt.pix_mp")?)?;
    let list = mp.get("plane_fmt")?.trim();
    let inner = list.strip_prefix('[')?.strip_suffix(']')?;
    let mut n = 0u8;
    let mut size = u32::MAX;
    for p in lex::TopSplit::new(inner, b',') {
        let s = Fields::of(p)?.get("sizeimage").and_then(lex::u32v)?;
        n = n.saturating_add(1);
        size = size.min(s);
    }
    let planes = mp
        .get("num_planes")
        .and_then(lex::u32v)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(n)
        .min(n);
    (planes > 0 && size > 0 && size != u32::MAX).then_some((ty, planes, size))
}
