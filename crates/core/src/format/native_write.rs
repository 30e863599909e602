//! Writes a native trace: the header line, then one line per event.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::trace::{Body, DriverAction, Event, IoctlArg, IoctlCmd, Trace, TraceHeader, V4l2Buffer};
use crate::v4l2::{DriverCfg, outcome_str};

use super::NATIVE_VERSION;
use super::native_json::{BufLine, EventLine, HeaderLine};

pub fn write_header<W: Write>(w: &mut W, h: &TraceHeader) -> io::Result<()> {
    let line = HeaderLine {
        vb2scope: "trace".into(),
        version: NATIVE_VERSION,
        source: (!h.source.is_empty()).then_some(Cow::Borrowed(&h.source)),
        policy: h.policy.map(|p| p.name()),
        title: (!h.title.is_empty()).then_some(Cow::Borrowed(&h.title)),
        kernel: h.kernel.as_deref().map(Cow::Borrowed),
        clock: (h.clock != crate::time::TraceClock::Unknown)
            .then_some(Cow::Borrowed(h.clock.name())),
        realtime_offset_ns: match h.clock {
            crate::time::TraceClock::Realtime { offset_ns } if offset_ns != 0 => Some(offset_ns),
            _ => None,
        },
    };
    serde_json::to_writer(&mut *w, &line)?;
    w.write_all(b"\n")
}

/// Writes a whole trace.
pub fn write_native<W: Write>(w: &mut W, trace: &Trace) -> io::Result<()> {
    write_header(w, &trace.header)?;
    for (i, e) in trace.events.iter().enumerate() {
        write_event(w, trace, e, EventExtra::of(trace, i as u32))?;
    }
    w.flush()
}

fn buf_line<'a>(trace: &Trace, b: &V4l2Buffer) -> BufLine<'a> {
    // An `m` the source did not record is left out: absent means unknown.
    let m = |line: &mut BufLine, v: Option<u64>| match (b.memory, v) {
        (Some(crate::v4l2::Memory::Dmabuf), Some(v)) => line.fd = Some(v as i64),
        (Some(crate::v4l2::Memory::Userptr), Some(v)) => line.userptr = Some(v),
        (Some(crate::v4l2::Memory::Mmap), Some(v)) => line.offset = Some(v),
        _ => {}
    };
    let mut l = BufLine {
        index: Some(b.index),
        ty: Some(b.ty.as_str()),
        memory: b.memory.map(|m| m.as_str()),
        flags: (b.flags != 0).then_some(b.flags),
        field: (b.field != 0).then_some(u32::from(b.field)),
        bytesused: (b.bytesused != 0).then_some(b.bytesused),
        length: Some(b.length),
        sequence: (b.sequence != 0).then_some(b.sequence),
        timestamp_ns: (b.timestamp_ns != 0).then_some(b.timestamp_ns),
        request_fd: b.request_fd(),
        ..BufLine::default()
    };
    let planes = trace.planes_of(b);
    if planes.is_empty() {
        m(&mut l, b.known_m());
    }
    for p in planes {
        let mut pl = BufLine {
            bytesused: (p.bytesused != 0).then_some(p.bytesused),
            length: Some(p.length),
            data_offset: (p.data_offset != 0).then_some(p.data_offset),
            ..BufLine::default()
        };
        m(&mut pl, p.known_m());
        l.planes.push(pl);
    }
    l
}

/// What side tables hold for one event by its index.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventExtra {
    /// How long the syscall took, if known.
    pub dur: Option<u64>,
    /// The flags the application passed to a buffer call, where they differ from the reply's.
    pub flags_in: Option<u32>,
}

impl EventExtra {
    pub fn of(trace: &Trace, i: u32) -> EventExtra {
        EventExtra {
            dur: trace.duration(i),
            flags_in: trace.flags_in(i),
        }
    }
}

/// Writes one event line with what side tables hold for it.
pub fn write_event<W: Write>(
    w: &mut W,
    trace: &Trace,
    e: &Event,
    extra: EventExtra,
) -> io::Result<()> {
    let th = trace.thread(e.thread);
    let mut l = EventLine {
        t: e.t_ns,
        dur: extra.dur,
        flags_in: extra.flags_in,
        within: e.within().then_some(true),
        pid: (th.pid != 0).then_some(th.pid),
        tid: (th.tid != 0 && th.tid != th.pid).then_some(th.tid),
        origin: Some(e.origin()),
        line: (e.line() != 0).then_some(e.line()),
        ..EventLine::default()
    };
    let dev = |l: &mut EventLine, d: u16| {
        if d != 0 {
            l.dev = Some(trace.device_path(d).to_string().into());
        }
    };
    match e.body {
        Body::Ioctl {
            fd,
            cmd,
            result,
            arg,
        } => {
            l.ev = "ioctl";
            l.fd = Some(fd);
            l.op = Some(cmd.name());
            l.result = Some(outcome_str(result).into());
            match trace.arg(arg) {
                Some(IoctlArg::Alloc {
                    ty,
                    memory,
                    count,
                    count_out,
                    index,
                    caps,
                    max_buffers,
                }) => {
                    l.max_num_buffers = *max_buffers;
                    l.ty = Some(ty.as_str());
                    l.memory = Some(memory.as_str());
                    l.count = Some(*count);
                    l.count_out = *count_out;
                    l.index = *index;
                    l.caps = *caps;
                }
                Some(IoctlArg::Remove { ty, index, count }) => {
                    l.ty = Some(ty.as_str());
                    l.index = Some(*index);
                    l.count = Some(*count);
                }
                Some(IoctlArg::Stream { ty }) => l.ty = Some(ty.as_str()),
                Some(IoctlArg::Querycap(c)) => {
                    let s = |sym| {
                        Some(trace.str(sym))
                            .filter(|s| !s.is_empty())
                            .map(Cow::from)
                    };
                    l.driver = s(c.driver);
                    l.card = s(c.card);
                    l.bus_info = s(c.bus_info);
                    l.caps = c.caps;
                    l.device_caps = c.device_caps;
                }
                Some(IoctlArg::Undecoded) => l.undecoded = Some(true),
                Some(IoctlArg::Command { cmd, flags }) => {
                    l.cmd = *cmd;
                    l.cmd_flags = (*flags != 0).then_some(*flags);
                }
                Some(IoctlArg::Event { ty, changes }) => {
                    l.event = *ty;
                    l.changes = (*changes != 0).then_some(*changes);
                }
                Some(IoctlArg::Request { fd_out }) => l.fd_out = *fd_out,
                Some(IoctlArg::Controls {
                    which,
                    count,
                    request_fd,
                }) => {
                    l.which = Some(*which);
                    l.count = Some(*count);
                    l.request_fd = *request_fd;
                }
                Some(IoctlArg::Expbuf {
                    ty,
                    index,
                    plane,
                    fd_out,
                }) => {
                    l.ty = Some(ty.as_str());
                    l.index = Some(*index);
                    l.plane = Some(*plane);
                    l.fd_out = *fd_out;
                }
                Some(IoctlArg::Buffer(buf)) => {
                    // A failed DQBUF fills in no buffer: only its type and memory are known.
                    if cmd == IoctlCmd::Dqbuf && result.is_err() && buf.index == u32::MAX {
                        l.ty = Some(buf.ty.as_str());
                        l.memory = buf.memory.map(|m| m.as_str());
                    } else {
                        l.buf = Some(Box::new(buf_line(trace, buf)));
                    }
                    l.nonblock = buf.nonblock.then_some(true);
                }
                None => {}
            }
        }
        Body::Open { fd, path, dev } => {
            l.ev = "open";
            l.fd = Some(fd);
            l.path = Some(trace.str(path).into());
            l.name = trace.device_name(dev).map(Cow::from);
            // An M2M context of its own (`/dev/video12 (open 2)`).
            if trace.device_path(dev) != trace.str(path) {
                l.dev = Some(trace.device_path(dev).to_string().into());
            }
        }
        Body::Close { fd } => {
            l.ev = "close";
            l.fd = Some(fd);
        }
        Body::Poll {
            fd,
            events,
            revents,
        } => {
            l.ev = "poll";
            l.fd = Some(fd);
            l.events = Some(events);
            l.revents = Some(revents);
        }
        Body::Dup { fd, new_fd } => {
            l.ev = "dup";
            l.fd = Some(fd);
            l.new_fd = Some(new_fd);
        }
        Body::Mmap { fd, ext } => {
            let x = trace.extent(ext);
            l.ev = "mmap";
            l.fd = Some(fd);
            l.offset = (fd >= 0).then_some(x.offset);
            l.len = Some(x.len);
            l.addr = Some(x.addr);
        }
        Body::Munmap { ext } => {
            let x = trace.extent(ext);
            l.ev = "munmap";
            l.addr = Some(x.addr);
            l.len = Some(x.len);
        }
        Body::Dmabuf { fd, name, ext } => {
            l.ev = "dmabuf";
            l.fd = Some(fd);
            let x = trace.extent(ext);
            l.size = Some(x.len);
            l.ino = (x.offset != 0).then_some(x.offset);
            l.name = Some(trace.str(name).into());
        }
        Body::Tracepoint { name, text } => {
            l.ev = "tracepoint";
            l.name = Some(trace.str(name).into());
            l.text = Some(trace.str(text).into());
        }
        Body::Memop {
            kind,
            dev: d,
            ty,
            index,
            plane,
        } => {
            l.ev = "memop";
            l.op = Some(kind.as_str());
            dev(&mut l, d);
            l.ty = Some(ty.as_str());
            l.index = Some(index);
            l.plane = Some(plane);
        }
        Body::Driver { dev: d, ty, action } => {
            l.ev = "driver";
            dev(&mut l, d);
            l.ty = Some(ty.as_str());
            match action {
                DriverAction::BufferDone { index, state } => {
                    l.op = Some("buffer_done");
                    l.index = index;
                    l.state = Some(state.as_str());
                }
                DriverAction::Config(DriverCfg::KeepOnStop(k)) => {
                    l.op = Some("keep_on_stop");
                    l.keep = Some(k);
                }
                DriverAction::Config(DriverCfg::FailStart { keep }) => {
                    l.op = Some("fail_start");
                    l.keep = Some(keep);
                }
                DriverAction::Config(DriverCfg::MinQueued(n)) => {
                    l.op = Some("min_queued");
                    l.count = Some(n);
                }
                DriverAction::Config(DriverCfg::QueueError) => {
                    l.op = Some("queue_error");
                }
                DriverAction::Config(DriverCfg::Format { planes, size }) => {
                    l.op = Some("format");
                    l.planes = Some(planes);
                    l.size = Some(u64::from(size));
                }
            }
        }
        Body::Klog { text } => {
            l.ev = "klog";
            l.text = Some(trace.str(text).into());
        }
        Body::Marker { text } => {
            l.ev = "marker";
            l.text = Some(trace.str(text).into());
        }
        Body::Expect { want } => {
            l.ev = "expect";
            l.want = Some(outcome_str(want).into());
        }
    }
    serde_json::to_writer(&mut *w, &l)?;
    w.write_all(b"\n")
}
