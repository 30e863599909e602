//! Kernel log lines of V4L2 `dev_debug` ioctl logging (`v4l2-ioctl.c`, `__video_do_ioctl()`):
//! `video0: VIDIOC_QBUF: 00:00:30.838612 index=0, type=vid-cap, …`, with or without the
//! `[ 12.345678]` printk time, plus the vb2 messages that rules read. Multi-planar buffers and
//! formats continue on `plane N:` lines, which are gathered into the ioctl before it.
//!
//! The log has no fds: each device node stands for one file, opened (fd 1000 + its device
//! number) where the node is first seen, so that queues of different nodes stay apart.

use crate::format::{DiagSeverity, Diagnostic};
use crate::trace::{
    Body, Capability, DriverAction, Event, IoctlArg, IoctlCmd, Trace, TraceHeader, V4l2Buffer,
    V4l2Plane,
};
use crate::v4l2::{BufType, DriverCfg, Errno, Memory, Origin, Outcome};

use super::Imported;

mod fields;

use fields::{Fields, buf_type, field, memory, num};

/// The fd that stands for device node number `dev`.
const NODE_FD_BASE: i32 = 1000;

/// The vb2 messages that rules read (see `check::replay::klog_rule`).
const KLOG_TEXTS: [&str; 5] = [
    "dmabuf buffer is already pinned",
    "dmabuf buffer is already unpinned",
    "trying to unpin a not attached buffer",
    "unbalanced counters",
    "stop_streaming operation is leaving",
];

/// Reads dmesg text. Never fails: unreadable V4L2 lines become diagnostics.
pub fn import_dmesg(text: &str) -> Imported {
    let mut r = Reader::default();
    let mut byte = 0usize;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        r.line(i as u32 + 1, byte as u64, line);
        byte += raw.len() + 1;
    }
    r.flush();
    let clock = if r.timed {
        "clock printk: seconds since boot"
    } else {
        "clock none: t is the order of lines, 1 µs apart"
    };
    r.trace.header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: format!("dmesg (V4L2 dev_debug; {clock}; one fd per device node)"),
        policy: None,
        title: String::new(),
        kernel: None,
        clock: if r.timed {
            crate::time::TraceClock::Boot
        } else {
            crate::time::TraceClock::Order
        },
    };
    Imported {
        trace: r.trace,
        diagnostics: r.diags,
    }
}

/// An ioctl waiting for its `plane N:` lines.
enum Pending {
    Buffer {
        event: Event,
        buf: V4l2Buffer,
        planes: Vec<V4l2Plane>,
    },
    Format {
        t: u64,
        dev: u16,
        ty: BufType,
        planes: u8,
        sizes: Vec<u64>,
    },
}

#[derive(Default)]
struct Reader {
    trace: Trace,
    diags: Vec<Diagnostic>,
    pending: Option<Pending>,
    /// Device nodes seen, by device number.
    nodes: Vec<String>,
    last_t: Option<u64>,
    timed: bool,
    warned_no_args: bool,
}

impl Reader {
    fn line(&mut self, no: u32, byte: u64, line: &str) {
        let (t, body) = split_time(line);
        if let Some(rest) = body.trim_start().strip_prefix("plane ") {
            self.plane(no, byte, rest);
            return;
        }
        if let Some(pos) = body.find("VIDIOC_") {
            // `<node>: VIDIOC_…`: the node is the word before the `: `.
            let Some(head) = body.get(..pos).and_then(|h| h.strip_suffix(": ")) else {
                return;
            };
            let node = head.rsplit([' ', ']', ':']).next().unwrap_or("");
            if !is_node(node) {
                return;
            }
            self.flush();
            let t = self.time(t);
            let rest = body.get(pos..).unwrap_or("");
            self.ioctl(no, byte, t, node, rest);
        } else if KLOG_TEXTS.iter().any(|k| body.contains(k))
            || crate::v4l2::klog::is_m2m_job_finish_warning(body)
        {
            self.flush();
            let t = self.time(t);
            let text = self.trace.intern(body.trim());
            self.push(t, Body::Klog { text });
        }
        // Anything else is not ours: skipped silently.
    }

    fn time(&mut self, t: Option<u64>) -> u64 {
        let t = match (t, self.last_t) {
            (Some(t), _) => {
                self.timed = true;
                t
            }
            (None, Some(prev)) => prev.saturating_add(1000),
            (None, None) => 0,
        };
        self.last_t = Some(t);
        t
    }

    /// An event of the log, which names no thread.
    fn event(&mut self, t: u64, body: Body) -> Event {
        let thread = self.trace.thread_id(0, 0);
        Event::new(t, thread, Origin::Observed, body)
    }

    fn push(&mut self, t: u64, body: Body) {
        let e = self.event(t, body);
        self.trace.push(e);
    }

    fn diag(&mut self, severity: DiagSeverity, line: u32, byte: u64, message: String) {
        self.diags.push(Diagnostic {
            severity,
            line,
            byte,
            message,
        });
    }

    /// The fd standing for `node`, opening it on first sight.
    fn node_fd(&mut self, t: u64, node: &str) -> (i32, u16) {
        if let Some(i) = self.nodes.iter().position(|n| n == node) {
            return (NODE_FD_BASE + i as i32, i as u16);
        }
        let path = format!("/dev/{node}");
        let sym = self.trace.intern(&path);
        let dev = self.trace.device(&path);
        self.nodes.push(node.to_string());
        let fd = NODE_FD_BASE + (self.nodes.len() as i32 - 1);
        self.push(t, Body::Open { fd, path: sym, dev });
        (fd, dev)
    }

    /// `VIDIOC_NAME[: error -N][: args]`.
    fn ioctl(&mut self, no: u32, byte: u64, t: u64, node: &str, rest: &str) {
        let (name, mut args) = rest.split_once(": ").unwrap_or((rest, ""));
        let name = name.trim();
        let mut result: Outcome = Ok(());
        if let Some(e) = args.strip_prefix("error ") {
            let (code, more) = e.split_once(": ").unwrap_or((e, ""));
            match code.trim().trim_start_matches('-').parse::<u16>() {
                Ok(n) if n != 0 => result = Err(Errno(n)),
                _ => {
                    let msg = format!("{name}: unreadable error code {code:?}");
                    self.diag(DiagSeverity::Error, no, byte, msg);
                    return;
                }
            }
            args = more;
        }
        let is_fmt = matches!(name, "VIDIOC_S_FMT" | "VIDIOC_G_FMT");
        let cmd = IoctlCmd::parse(name);
        if cmd.is_none() && !is_fmt {
            return; // Controls, formats enumerated…: not buffer lifetimes.
        }
        if args.trim().is_empty() {
            // dev_debug without 0x02 logs names only: nothing to replay.
            if !self.warned_no_args {
                self.warned_no_args = true;
                let msg = format!(
                    "{name} is logged without its arguments (dev_debug without 0x02); \
                     such lines are skipped"
                );
                self.diag(DiagSeverity::Warning, no, byte, msg);
            }
            return;
        }
        let f = Fields::new(args);
        let (fd, dev) = self.node_fd(t, node);
        if is_fmt {
            if result.is_ok() {
                self.format(no, byte, t, dev, &f);
            }
            return;
        }
        let Some(cmd) = cmd else { return };
        let arg = match cmd {
            IoctlCmd::Reqbufs | IoctlCmd::CreateBufs => self.alloc(cmd, &f, result),
            IoctlCmd::RemoveBufs => (|| {
                Some(IoctlArg::Remove {
                    ty: buf_type(f.get("type")?)?,
                    index: num(f.get("index")?)? as u32,
                    count: num(f.get("count")?)? as u32,
                })
            })(),
            IoctlCmd::Streamon | IoctlCmd::Streamoff => f
                .get("type")
                .and_then(buf_type)
                .map(|ty| IoctlArg::Stream { ty }),
            IoctlCmd::Expbuf => (|| {
                Some(IoctlArg::Expbuf {
                    ty: buf_type(f.get("type")?)?,
                    index: num(f.get("index")?)? as u32,
                    plane: f.get("plane").and_then(num).unwrap_or(0).min(255) as u8,
                    fd_out: result
                        .is_ok()
                        .then(|| f.get("fd").and_then(num).map(|n| n as i32))
                        .flatten(),
                })
            })(),
            IoctlCmd::Querycap => Some(self.querycap(args, &f)),
            // `v4l_print_decoder_cmd` / `_encoder_cmd`: `cmd=1, flags=0x0`.
            IoctlCmd::DecoderCmd
            | IoctlCmd::EncoderCmd
            | IoctlCmd::TryDecoderCmd
            | IoctlCmd::TryEncoderCmd => Some(IoctlArg::Command {
                cmd: f.get("cmd").and_then(num).map(|n| n as u32),
                flags: f.get("flags").and_then(num).unwrap_or(0) as u32,
            }),
            // `v4l_print_event`: `type=0x5, pending=0, …` (a source change's `changes` is not
            // printed); `v4l_print_event_subscription`: `type=0x5, id=0x0, flags=0x0`.
            IoctlCmd::Dqevent | IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent => {
                Some(IoctlArg::Event {
                    ty: f.get("type").and_then(num).map(|n| n as u32),
                    changes: 0,
                })
            }
            // `v4l_print_ext_controls`: `which=0xf010000, count=5, error_idx=0,
            // request_fd=27, id/size=…`. Controls outside a request are not buffer lifetimes.
            IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls => {
                let which = f.get("which").and_then(num).map(|n| n as u32);
                if which != Some(crate::v4l2::ctrls::WHICH_REQUEST_VAL) {
                    return;
                }
                Some(IoctlArg::Controls {
                    which: crate::v4l2::ctrls::WHICH_REQUEST_VAL,
                    count: f.get("count").and_then(num).unwrap_or(0) as u32,
                    request_fd: f.get("request_fd").and_then(num).map(|n| n as i32),
                })
            }
            _ => {
                let Some(mut buf) = buffer(&f) else {
                    return self.unreadable(no, byte, name, &f);
                };
                // The log does not show O_NONBLOCK, but vb2's DQBUF fails with EAGAIN only
                // on a non-blocking file: the errno tells it.
                buf.nonblock = cmd == IoctlCmd::Dqbuf && result == Err(Errno::EAGAIN);
                let event = self.event(
                    t,
                    Body::Ioctl {
                        fd,
                        cmd,
                        result,
                        arg: 0,
                    },
                );
                self.pending = Some(Pending::Buffer {
                    event,
                    buf,
                    planes: Vec::new(),
                });
                return;
            }
        };
        match arg {
            Some(a) => {
                let arg = self.trace.add_arg(a);
                self.push(
                    t,
                    Body::Ioctl {
                        fd,
                        cmd,
                        result,
                        arg,
                    },
                );
            }
            None => self.unreadable(no, byte, name, &f),
        }
    }

    /// QUERYCAP: who drives the node (`v4l_print_querycap`).
    fn querycap(&mut self, args: &str, f: &Fields) -> IoctlArg {
        let [driver, card, bus] = fields::querycap_strings(args);
        let caps = |k| {
            f.get(k)
                .and_then(num)
                .map(|n| n.min(u32::MAX as u64) as u32)
        };
        IoctlArg::Querycap(Capability {
            driver: self.trace.intern(driver),
            card: self.trace.intern(card),
            bus_info: self.trace.intern(bus),
            caps: caps("capabilities"),
            device_caps: caps("device_caps"),
        })
    }

    /// A V4L2 line whose arguments do not make an ioctl vb2scope reads.
    fn unreadable(&mut self, no: u32, byte: u64, name: &str, f: &Fields) {
        // A queue outside the video types (meta, vbi…) is not an error, just not modelled.
        if let Some(ty) = f.get("type")
            && buf_type(ty).is_none()
            && !ty.is_empty()
        {
            let msg =
                format!("{name} on queue type {ty}, which vb2scope does not model, is skipped");
            return self.diag(DiagSeverity::Info, no, byte, msg);
        }
        let msg = format!("{name}: arguments not understood; the line is skipped");
        self.diag(DiagSeverity::Error, no, byte, msg);
    }

    /// REQBUFS/CREATE_BUFS. The log shows the struct after the call: the granted count, which
    /// stands for the requested one (not logged); after a failure, what the application passed.
    fn alloc(&self, cmd: IoctlCmd, f: &Fields, result: Outcome) -> Option<IoctlArg> {
        let count = num(f.get("count")?)? as u32;
        Some(IoctlArg::Alloc {
            ty: buf_type(f.get("type")?)?,
            memory: memory(f.get("memory")?)?,
            count,
            count_out: result.is_ok().then_some(count),
            index: if cmd == IoctlCmd::CreateBufs && result.is_ok() {
                f.get("index").and_then(num).map(|n| n as u32)
            } else {
                None
            },
            caps: None,
            max_buffers: None,
        })
    }

    /// S_FMT/G_FMT: `sizeimage=` (single-planar) or `num_planes=` then `plane N:` lines.
    fn format(&mut self, no: u32, byte: u64, t: u64, dev: u16, f: &Fields) {
        let Some(ty) = f.get("type").and_then(buf_type) else {
            return; // Formats of other queue types are not modelled.
        };
        if ty.is_mplane() {
            let planes = f.get("num_planes").and_then(num).unwrap_or(1).min(255) as u8;
            self.pending = Some(Pending::Format {
                t,
                dev,
                ty,
                planes,
                sizes: Vec::new(),
            });
        } else if let Some(size) = f.get("sizeimage").and_then(num) {
            self.push_format(t, dev, ty, 1, size);
        } else {
            let msg = "VIDIOC_S_FMT/G_FMT without sizeimage; the line is skipped".to_string();
            self.diag(DiagSeverity::Error, no, byte, msg);
        }
    }

    fn push_format(&mut self, t: u64, dev: u16, ty: BufType, planes: u8, size: u64) {
        let size = size.min(u32::MAX as u64) as u32;
        let action = DriverAction::Config(DriverCfg::Format { planes, size });
        self.push(t, Body::Driver { dev, ty, action });
    }

    /// `plane N: …` continues the pending buffer or format.
    fn plane(&mut self, no: u32, byte: u64, rest: &str) {
        let Some((_, args)) = rest.split_once(": ") else {
            return;
        };
        let f = Fields::new(args);
        match &mut self.pending {
            Some(Pending::Buffer { planes, .. }) => {
                let m = f.get("offset/userptr").and_then(num);
                planes.push(V4l2Plane {
                    bytesused: f.u32("bytesused"),
                    length: f.u32("length"),
                    data_offset: f.u32("data_offset"),
                    m: m.unwrap_or(0),
                    m_known: m.is_some(),
                })
            }
            Some(Pending::Format { sizes, .. }) => match f.get("sizeimage").and_then(num) {
                Some(s) => sizes.push(s),
                None => {
                    let msg = "a format plane line without sizeimage is skipped".to_string();
                    self.diag(DiagSeverity::Error, no, byte, msg);
                }
            },
            // A plane line of an ioctl not kept, or of another subsystem.
            None => {}
        }
    }

    /// Stores the pending ioctl with the planes gathered for it.
    fn flush(&mut self) {
        match self.pending.take() {
            Some(Pending::Buffer {
                mut event,
                mut buf,
                mut planes,
            }) => {
                if buf.memory == Some(Memory::Dmabuf) {
                    // `offset/userptr` prints the whole union: the fd is its low 32 bits.
                    buf.m &= 0xffff_ffff;
                    for p in &mut planes {
                        p.m &= 0xffff_ffff;
                    }
                }
                if !planes.is_empty() {
                    let (first, count) = self.trace.add_planes(&planes);
                    buf.planes_first = first;
                    buf.planes_count = count;
                    buf.length = count as u32;
                }
                let a = self.trace.add_arg(IoctlArg::Buffer(buf));
                if let Body::Ioctl { arg, .. } = &mut event.body {
                    *arg = a;
                }
                self.trace.push(event);
            }
            Some(Pending::Format {
                t,
                dev,
                ty,
                planes,
                sizes,
            }) => {
                // One size for all planes in the model: the smallest, so that no plane that
                // fits its own format is taken as too small.
                let take = (planes as usize).min(sizes.len());
                if let Some(min) = sizes.get(..take).and_then(|s| s.iter().min().copied()) {
                    self.push_format(t, dev, ty, planes, min);
                }
            }
            None => {}
        }
    }
}

/// `HH:MM:SS.ffffff index=0, type=…, memory=…[, bytesused=…, offset/userptr=0x…, length=…]`.
fn buffer(f: &Fields) -> Option<V4l2Buffer> {
    let ty = buf_type(f.get("type")?)?;
    let m = f.get("offset/userptr").and_then(num);
    Some(V4l2Buffer {
        index: num(f.get("index")?)? as u32,
        ty,
        memory: f.get("memory").and_then(memory),
        flags: f.u32("flags"),
        field: f.get("field").map_or(0, field),
        bytesused: f.u32("bytesused"),
        length: f.u32("length"),
        m: m.unwrap_or(0),
        m_known: m.is_some(),
        sequence: f.u32("sequence"),
        timestamp_ns: f.timestamp_ns().unwrap_or(0),
        planes_first: 0,
        planes_count: 0,
        request_fd: V4l2Buffer::NO_REQUEST,
        nonblock: false,
    })
}

/// Splits off `[ 12.345678] ` (and a `<7>` level); returns the time in ns if there is one.
fn split_time(line: &str) -> (Option<u64>, &str) {
    let mut s = line;
    if s.starts_with('<')
        && let Some((lvl, rest)) = s.get(1..).and_then(|r| r.split_once('>'))
        && lvl.bytes().all(|b| b.is_ascii_digit())
    {
        s = rest;
    }
    let Some(inner) = s.strip_prefix('[') else {
        return (None, s);
    };
    let Some((stamp, rest)) = inner.split_once(']') else {
        return (None, s);
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (secs, frac) = stamp.trim().split_once('.').unwrap_or((stamp.trim(), ""));
    let Ok(secs) = secs.parse::<u64>() else {
        // `dmesg -T` wall-clock times: not a number, taken as no time.
        return (None, rest);
    };
    (
        fields::frac_ns(frac).map(|ns| secs.saturating_mul(1_000_000_000).saturating_add(ns)),
        rest,
    )
}

/// `video0`, `vbi1`, `radio0`, `swradio0`, `v4l-subdev2`, `v4l-touch0`: a V4L2 node name.
fn is_node(s: &str) -> bool {
    let stem = s.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.len() < s.len()
        && matches!(
            stem,
            "video" | "vbi" | "radio" | "swradio" | "v4l-subdev" | "v4l-touch"
        )
}
