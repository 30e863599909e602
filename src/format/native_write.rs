//! Writes a native trace: the header line, then one line per event.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::model::{DriverCfg, outcome_str};
use crate::trace::{Body, DriverAction, Event, IoctlArg, Trace, TraceHeader, V4l2Buffer};

use super::NATIVE_VERSION;
use super::native_json::{BufLine, EventLine, HeaderLine};

pub fn write_header<W: Write>(w: &mut W, h: &TraceHeader) -> io::Result<()> {
    let line = HeaderLine {
        vb2scope: "trace".into(),
        version: NATIVE_VERSION,
        source: Cow::Borrowed(&h.source),
        policy: h.policy.map(|p| p.name().into()),
        title: Cow::Borrowed(&h.title),
    };
    serde_json::to_writer(&mut *w, &line)?;
    w.write_all(b"\n")
}

/// Writes a whole trace.
pub fn write_native<W: Write>(w: &mut W, trace: &Trace) -> io::Result<()> {
    write_header(w, &trace.header)?;
    for e in &trace.events {
        write_event(w, trace, e)?;
    }
    w.flush()
}

fn buf_line<'a>(trace: &Trace, b: &V4l2Buffer) -> BufLine<'a> {
    let m = |line: &mut BufLine, v: u64| match b.memory {
        Some(crate::model::Memory::Dmabuf) => line.fd = Some(v as i64),
        Some(crate::model::Memory::Userptr) => line.userptr = Some(v),
        Some(crate::model::Memory::Mmap) => line.offset = Some(v),
        None => {}
    };
    let mut l = BufLine {
        index: Some(b.index),
        ty: Some(b.ty.as_str().into()),
        memory: b.memory.map(|m| m.as_str().into()),
        flags: Some(b.flags),
        field: (b.field != 0).then_some(b.field),
        bytesused: Some(b.bytesused),
        length: Some(b.length),
        sequence: (b.sequence != 0).then_some(b.sequence),
        timestamp_ns: (b.timestamp_ns != 0).then_some(b.timestamp_ns),
        ..BufLine::default()
    };
    let planes = trace.planes_of(b);
    if planes.is_empty() {
        m(&mut l, b.m);
    }
    for p in planes {
        let mut pl = BufLine {
            bytesused: Some(p.bytesused),
            length: Some(p.length),
            data_offset: (p.data_offset != 0).then_some(p.data_offset),
            ..BufLine::default()
        };
        m(&mut pl, p.m);
        l.planes.push(pl);
    }
    l
}

/// Writes one event line.
pub fn write_event<W: Write>(w: &mut W, trace: &Trace, e: &Event) -> io::Result<()> {
    let mut l = EventLine {
        t: e.t_ns,
        pid: (e.pid != 0).then_some(e.pid),
        tid: (e.tid != 0 && e.tid != e.pid).then_some(e.tid),
        origin: Some(e.origin),
        line: (e.line != 0).then_some(e.line),
        ..EventLine::default()
    };
    let dev = |l: &mut EventLine, d: u16| {
        if d != 0 {
            l.dev = Some(trace.device_path(d).to_string().into());
        }
    };
    match e.body {
        Body::Ioctl { fd, cmd, result, arg } => {
            l.ev = "ioctl".into();
            l.fd = Some(fd);
            l.op = Some(cmd.name().into());
            l.result = Some(outcome_str(result).into());
            match trace.arg(arg) {
                Some(IoctlArg::Alloc { ty, memory, count, count_out, index }) => {
                    l.ty = Some(ty.as_str().into());
                    l.memory = Some(memory.as_str().into());
                    l.count = Some(*count);
                    l.count_out = *count_out;
                    l.index = *index;
                }
                Some(IoctlArg::Remove { ty, index, count }) => {
                    l.ty = Some(ty.as_str().into());
                    l.index = Some(*index);
                    l.count = Some(*count);
                }
                Some(IoctlArg::Stream { ty }) => l.ty = Some(ty.as_str().into()),
                Some(IoctlArg::Expbuf { ty, index, plane, fd_out }) => {
                    l.ty = Some(ty.as_str().into());
                    l.index = Some(*index);
                    l.plane = Some(*plane);
                    l.fd_out = *fd_out;
                }
                Some(IoctlArg::Buffer { buf, nonblock }) => {
                    if buf.index == u32::MAX {
                        l.ty = Some(buf.ty.as_str().into());
                        l.memory = buf.memory.map(|m| m.as_str().into());
                    } else {
                        l.buf = Some(buf_line(trace, buf));
                    }
                    l.nonblock = nonblock.then_some(true);
                }
                None => {}
            }
        }
        Body::Open { fd, path, .. } => {
            l.ev = "open".into();
            l.fd = Some(fd);
            l.path = Some(trace.str(path).into());
        }
        Body::Close { fd } => {
            l.ev = "close".into();
            l.fd = Some(fd);
        }
        Body::Dup { fd, new_fd } => {
            l.ev = "dup".into();
            l.fd = Some(fd);
            l.new_fd = Some(new_fd);
        }
        Body::Mmap { fd, offset, len, addr } => {
            l.ev = "mmap".into();
            l.fd = Some(fd);
            l.offset = (fd >= 0).then_some(offset);
            l.len = Some(len);
            l.addr = Some(addr);
        }
        Body::Munmap { addr, len } => {
            l.ev = "munmap".into();
            l.addr = Some(addr);
            l.len = Some(len);
        }
        Body::Dmabuf { fd, size, name } => {
            l.ev = "dmabuf".into();
            l.fd = Some(fd);
            l.size = Some(size);
            l.name = Some(trace.str(name).into());
        }
        Body::Tracepoint { name, text } => {
            l.ev = "tracepoint".into();
            l.name = Some(trace.str(name).into());
            l.text = Some(trace.str(text).into());
        }
        Body::Memop { kind, dev: d, ty, index, plane } => {
            l.ev = "memop".into();
            l.op = Some(kind.as_str().into());
            dev(&mut l, d);
            l.ty = Some(ty.as_str().into());
            l.index = Some(index);
            l.plane = Some(plane);
        }
        Body::Driver { dev: d, ty, action } => {
            l.ev = "driver".into();
            dev(&mut l, d);
            l.ty = Some(ty.as_str().into());
            match action {
                DriverAction::BufferDone { index, state } => {
                    l.op = Some("buffer_done".into());
                    l.index = index;
                    l.state = Some(state.as_str().into());
                }
                DriverAction::Config(DriverCfg::KeepOnStop(k)) => {
                    l.op = Some("keep_on_stop".into());
                    l.keep = Some(k);
                }
                DriverAction::Config(DriverCfg::FailStart { keep }) => {
                    l.op = Some("fail_start".into());
                    l.keep = Some(keep);
                }
                DriverAction::Config(DriverCfg::MinQueued(n)) => {
                    l.op = Some("min_queued".into());
                    l.count = Some(n);
                }
                DriverAction::Config(DriverCfg::Format { planes, size }) => {
                    l.op = Some("format".into());
                    l.planes = Some(planes);
                    l.size = Some(u64::from(size));
                }
            }
        }
        Body::Klog { text } => {
            l.ev = "klog".into();
            l.text = Some(trace.str(text).into());
        }
        Body::Marker { text } => {
            l.ev = "marker".into();
            l.text = Some(trace.str(text).into());
        }
        Body::Expect { want } => {
            l.ev = "expect".into();
            l.want = Some(outcome_str(want).into());
        }
    }
    serde_json::to_writer(&mut *w, &l)?;
    w.write_all(b"\n")
}
