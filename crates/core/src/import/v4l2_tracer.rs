//! v4l2-tracer JSON (v4l-utils `utils/v4l2-tracer`): a JSON array of one object per traced
//! call, pretty or compact. It has no timestamps, so event times are the order of calls, 1 µs
//! apart. A tracer that was killed leaves no closing `]` and maybe half an object: every whole
//! object before the cut is kept and the cut is reported.

use serde_json::{Map, Value};

use crate::format::{DiagSeverity, Diagnostic};
use crate::trace::{
    Body, Capability, DriverAction, Event, Extent, IoctlArg, IoctlCmd, Trace, TraceHeader,
    V4l2Buffer, V4l2Plane, VideoFds,
};
use crate::v4l2::{DriverCfg, Memory, Origin, Outcome};

use super::Imported;

mod values;

use values::{buf_flags, buf_type, dev_caps, errno, field, memory, num, u32_of};

type Obj = Map<String, Value>;

/// `O_NONBLOCK` in open()'s `oflag`, which the tracer records: it makes DQBUF non-blocking.
const O_NONBLOCK: u64 = 0o4000;

/// Reads a v4l2-tracer JSON file. Never fails: what cannot be read becomes a diagnostic.
pub fn import_v4l2_tracer(bytes: &[u8]) -> Imported {
    let mut r = Reader::default();
    r.read(bytes);
    let source = match (&r.version, &r.argv) {
        (Some(v), Some(a)) => format!("v4l2-tracer {v}: {}", a.trim()),
        (Some(v), None) => format!("v4l2-tracer {v}"),
        (None, Some(a)) => format!("v4l2-tracer: {}", a.trim()),
        (None, None) => "v4l2-tracer".to_string(),
    };
    crate::trace::split_m2m_contexts(&mut r.trace);
    r.trace.header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: format!("{source} (clock none: t is the order of calls, 1 µs apart)"),
        policy: None,
        title: String::new(),
        kernel: None,
        clock: crate::time::TraceClock::Order,
    };
    Imported {
        trace: r.trace,
        diagnostics: r.diags,
    }
}

#[derive(Default)]
struct Reader {
    trace: Trace,
    diags: Vec<Diagnostic>,
    fds: VideoFds,
    /// Fds opened with `O_NONBLOCK`.
    nonblock: Vec<i32>,
    version: Option<String>,
    argv: Option<String>,
    /// Incremental line counting for diagnostics: offsets only grow.
    line_at: (usize, u32),
}

impl Reader {
    fn read(&mut self, bytes: &[u8]) {
        let mut pos = skip_ws(bytes, 0);
        match bytes.get(pos) {
            Some(b'[') => pos += 1,
            None => {
                self.diag(bytes, DiagSeverity::Error, 0, "the file is empty".into());
                return;
            }
            // Tolerated: objects without the array around them (a hand-cut excerpt).
            Some(_) => {}
        }
        loop {
            pos = skip_ws(bytes, pos);
            match bytes.get(pos) {
                None => {
                    let msg = format!(
                        "the file stops at byte {} without the closing `]`: the tracer was \
                         stopped; every complete call is kept",
                        bytes.len()
                    );
                    self.diag(bytes, DiagSeverity::Warning, bytes.len(), msg);
                    return;
                }
                Some(b']') => {
                    let after = skip_ws(bytes, pos + 1);
                    if after < bytes.len() {
                        let msg = "text after the closing `]` is ignored".to_string();
                        self.diag(bytes, DiagSeverity::Warning, after, msg);
                    }
                    return;
                }
                Some(b',') => {
                    pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            let rest = bytes.get(pos..).unwrap_or(&[]);
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
            match stream.next() {
                Some(Ok(Value::Object(o))) => {
                    let end = pos + stream.byte_offset();
                    self.object(bytes, pos, &o);
                    pos = end;
                }
                Some(Ok(_)) => {
                    let end = pos + stream.byte_offset();
                    let msg = "an array element that is not an object is skipped".to_string();
                    self.diag(bytes, DiagSeverity::Error, pos, msg);
                    pos = end;
                }
                Some(Err(e)) if e.is_eof() => {
                    let msg = format!(
                        "the file is cut at byte {} inside the call that starts here; \
                         every complete call before it is kept",
                        bytes.len()
                    );
                    self.diag(bytes, DiagSeverity::Warning, pos, msg);
                    return;
                }
                Some(Err(e)) => {
                    self.diag(bytes, DiagSeverity::Error, pos, format!("not JSON: {e}"));
                    // Resynchronise on the next object that starts a line.
                    match find(bytes, pos + 1, b"\n{") {
                        Some(p) => pos = p + 1,
                        None => return,
                    }
                }
                None => return,
            }
        }
    }

    fn diag(&mut self, bytes: &[u8], severity: DiagSeverity, byte: usize, message: String) {
        let (from, mut line) = self.line_at;
        let upto = byte.min(bytes.len()).max(from);
        line += bytes
            .get(from..upto)
            .unwrap_or(&[])
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        self.line_at = (upto, line);
        self.diags.push(Diagnostic {
            severity,
            line: line + 1,
            byte: byte as u64,
            message,
        });
    }

    fn push(&mut self, body: Body) {
        self.fds.follow(&body);
        let t_ns = self.trace.events.len() as u64 * 1000;
        let thread = self.trace.thread_id(0, 0);
        self.trace
            .push(Event::new(t_ns, thread, Origin::Observed, body));
    }

    /// One traced call.
    fn object(&mut self, bytes: &[u8], pos: usize, o: &Obj) {
        if let Some(v) = o.get("package_version").and_then(Value::as_str) {
            self.version = Some(v.to_string());
            return;
        }
        if let Some(a) = o.get("Trace").and_then(Value::as_str) {
            self.argv = Some(a.to_string());
            return;
        }
        let fd = o.get("fd").and_then(num).map(|n| n as i32);
        if let Some(open) = o.get("open").or_else(|| o.get("open64")) {
            let path = open.get("path").and_then(Value::as_str);
            match (fd, path) {
                (Some(fd), Some(path)) if fd >= 0 => {
                    if open.get("oflag").and_then(num).unwrap_or(0) & O_NONBLOCK != 0 {
                        self.nonblock.push(fd);
                    }
                    let sym = self.trace.intern(path);
                    let dev = self.trace.device(path);
                    self.push(Body::Open { fd, path: sym, dev });
                }
                _ => self.bad(bytes, pos, "an open without fd or path"),
            }
        } else if o.contains_key("close") {
            match fd {
                Some(fd) => {
                    self.nonblock.retain(|&f| f != fd);
                    self.push(Body::Close { fd });
                }
                None => self.bad(bytes, pos, "a close without fd"),
            }
        } else if let Some(m) = o.get("mmap") {
            let len = m.get("len").and_then(num);
            let addr = o.get("buffer_address").and_then(num);
            let fd = m.get("fildes").and_then(num).map_or(-1, |n| n as i32);
            let offset = m.get("off").and_then(num).unwrap_or(0);
            match (len, addr) {
                (Some(len), Some(addr)) => {
                    let ext = self.trace.add_extent(Extent { offset, len, addr });
                    self.push(Body::Mmap { fd, ext });
                }
                _ => self.bad(bytes, pos, "an mmap without len or buffer_address"),
            }
        } else if let Some(m) = o.get("munmap") {
            match (m.get("start").and_then(num), m.get("length").and_then(num)) {
                (Some(addr), Some(len)) => {
                    let ext = self.trace.add_extent(Extent {
                        offset: 0,
                        len,
                        addr,
                    });
                    self.push(Body::Munmap { ext });
                }
                _ => self.bad(bytes, pos, "a munmap without start or length"),
            }
        } else if let Some(text) = o.get("write").and_then(Value::as_str) {
            // The application's own annotations: kept for display.
            let text = self.trace.intern(text);
            self.push(Body::Marker { text });
        } else if let Some(name) = o.get("ioctl").and_then(Value::as_str) {
            match fd {
                Some(fd) => self.ioctl(bytes, pos, fd, name, o),
                None => self.bad(bytes, pos, "an ioctl without fd"),
            }
        }
        // Anything else (mem_dump, media requests…) says nothing about buffer lifetimes.
    }

    fn bad(&mut self, bytes: &[u8], pos: usize, what: &str) {
        self.diag(
            bytes,
            DiagSeverity::Error,
            pos,
            format!("{what} is skipped"),
        );
    }

    fn ioctl(&mut self, bytes: &[u8], pos: usize, fd: i32, name: &str, o: &Obj) {
        let result: Outcome = match o.get("errno") {
            None | Some(Value::Null) => Ok(()),
            Some(v) => match errno(v) {
                Some(e) => Err(e),
                None => {
                    let msg = format!("{name} with an unknown errno {v} is skipped");
                    self.diag(bytes, DiagSeverity::Error, pos, msg);
                    return;
                }
            },
        };
        let user = o.get("from_userspace");
        let driver = o.get("from_driver");
        if matches!(name, "VIDIOC_S_FMT" | "VIDIOC_G_FMT") {
            if result.is_ok()
                && let Some(f) = driver.and_then(|d| d.get("v4l2_format"))
            {
                self.format(fd, f);
            }
            return;
        }
        let Some(cmd) = IoctlCmd::parse(name) else {
            return; // ENUM_FMT, controls…: not buffer lifetimes.
        };
        // The struct as the application passed it (QBUF, PREPARE_BUF) or as the kernel left it.
        let (first, second) = match cmd {
            IoctlCmd::Qbuf | IoctlCmd::PrepareBuf => (user, driver),
            _ => (driver, user),
        };
        let arg = match cmd {
            IoctlCmd::Querycap => Some(self.capability(driver)),
            IoctlCmd::Reqbufs => alloc(user, driver, "v4l2_requestbuffers", result),
            IoctlCmd::CreateBufs => alloc(user, driver, "v4l2_create_buffers", result),
            IoctlCmd::RemoveBufs => field_of(first, second, "v4l2_remove_buffers").and_then(|r| {
                Some(IoctlArg::Remove {
                    ty: buf_type(r.get("type")?)?,
                    index: r.get("index").and_then(num)? as u32,
                    count: r.get("count").and_then(num)? as u32,
                })
            }),
            IoctlCmd::Streamon | IoctlCmd::Streamoff => first
                .or(second)
                .and_then(|s| s.get("type"))
                .and_then(buf_type)
                .map(|ty| IoctlArg::Stream { ty }),
            IoctlCmd::Expbuf => field_of(first, second, "v4l2_exportbuffer").and_then(|x| {
                Some(IoctlArg::Expbuf {
                    ty: buf_type(x.get("type")?)?,
                    index: x.get("index").and_then(num)? as u32,
                    plane: x.get("plane").and_then(num).unwrap_or(0).min(255) as u8,
                    fd_out: result
                        .is_ok()
                        .then(|| x.get("fd").and_then(num).map(|n| n as i32))
                        .flatten(),
                })
            }),
            IoctlCmd::DecoderCmd
            | IoctlCmd::EncoderCmd
            | IoctlCmd::TryDecoderCmd
            | IoctlCmd::TryEncoderCmd => {
                let key = if cmd.is_encoder_cmd() {
                    "v4l2_encoder_cmd"
                } else {
                    "v4l2_decoder_cmd"
                };
                let c = field_of(first, second, key);
                Some(IoctlArg::Command {
                    cmd: c.and_then(|c| c.get("cmd")).and_then(|v| {
                        num(v)
                            .map(|n| n as u32)
                            .or_else(|| v.as_str().and_then(crate::v4l2::codec::cmd_by_name))
                    }),
                    flags: c.and_then(|c| c.get("flags")).and_then(num).unwrap_or(0) as u32,
                })
            }
            IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent | IoctlCmd::Dqevent => {
                let e = field_of(first, second, "v4l2_event_subscription")
                    .or_else(|| field_of(first, second, "v4l2_event"));
                Some(IoctlArg::Event {
                    ty: e.and_then(|e| e.get("type")).and_then(|v| {
                        num(v)
                            .map(|n| n as u32)
                            .or_else(|| v.as_str().and_then(crate::v4l2::codec::event_by_name))
                    }),
                    changes: 0,
                })
            }
            IoctlCmd::RequestAlloc | IoctlCmd::RequestQueue | IoctlCmd::RequestReinit => {
                Some(IoctlArg::Request { fd_out: None })
            }
            IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls => {
                match request_controls(field_of(first, second, "v4l2_ext_controls")) {
                    Some(a) => Some(a),
                    // Controls outside a media request: not buffer lifetimes.
                    None => return,
                }
            }
            IoctlCmd::Querybuf | IoctlCmd::PrepareBuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf => {
                match field_of(first, second, "v4l2_buffer") {
                    Some(b) => self.buffer(b, cmd == IoctlCmd::Dqbuf && self.is_nonblock(fd)),
                    None => None,
                }
            }
        };
        match arg {
            Some(a) => {
                let arg = self.trace.add_arg(a);
                self.push(Body::Ioctl {
                    fd,
                    cmd,
                    result,
                    arg,
                });
            }
            None => {
                // Typically a buffer type outside the video queues vb2scope models, or the
                // tracer's `0x2a`-style number for an invalid one.
                let msg = format!("{name} on a queue or with arguments vb2scope does not read");
                self.diag(bytes, DiagSeverity::Info, pos, format!("{msg} is skipped"));
            }
        }
    }

    /// QUERYCAP's `v4l2_capability`, as the driver filled it; what is missing stays unknown.
    fn capability(&mut self, driver: Option<&Value>) -> IoctlArg {
        let c = driver.and_then(|d| d.get("v4l2_capability"));
        let mut text = |k: &str| {
            let s = c.and_then(|c| c.get(k)).and_then(Value::as_str);
            self.trace.intern(s.unwrap_or(""))
        };
        IoctlArg::Querycap(Capability {
            driver: text("driver"),
            card: text("card"),
            bus_info: text("bus_info"),
            caps: c.and_then(|c| c.get("capabilities")).and_then(dev_caps),
            device_caps: c.and_then(|c| c.get("device_caps")).and_then(dev_caps),
        })
    }

    fn is_nonblock(&self, fd: i32) -> bool {
        self.nonblock.contains(&fd)
    }

    fn buffer(&mut self, b: &Value, nonblock: bool) -> Option<IoctlArg> {
        let ty = buf_type(b.get("type")?)?;
        let memory = b.get("memory").and_then(memory);
        let m = b.get("m");
        // v4l2-tracer writes `m.offset` for every memory type (0 for USERPTR: the address is
        // not recorded), and nothing for DMABUF: only an MMAP offset is known.
        let single_m = m
            .and_then(|m| m.get("offset"))
            .and_then(num)
            .filter(|_| memory == Some(Memory::Mmap));
        let mut planes = Vec::new();
        if let Some(ps) = m.and_then(|m| m.get("planes")).and_then(Value::as_array) {
            for p in ps {
                // Only MMAP's mem_offset is recorded; userptr and fd stay unknown.
                let pm = p.get("m").and_then(|m| m.get("mem_offset")).and_then(num);
                planes.push(V4l2Plane {
                    bytesused: u32_of(p.get("bytesused")),
                    length: u32_of(p.get("length")),
                    data_offset: u32_of(p.get("data_offset")),
                    m: pm.unwrap_or(0),
                    m_known: pm.is_some(),
                });
            }
        }
        let (planes_first, planes_count) = if planes.is_empty() {
            (0, 0)
        } else {
            self.trace.add_planes(&planes)
        };
        Some(IoctlArg::Buffer(V4l2Buffer {
            index: b.get("index").and_then(num)? as u32,
            ty,
            memory,
            flags: b.get("flags").map_or(0, buf_flags),
            field: b.get("field").map_or(0, field),
            bytesused: u32_of(b.get("bytesused")),
            length: u32_of(b.get("length")),
            m: single_m.unwrap_or(0),
            m_known: single_m.is_some(),
            sequence: u32_of(b.get("sequence")),
            timestamp_ns: b.get("timestamp_ns").and_then(num).unwrap_or(0),
            planes_first,
            planes_count,
            request_fd: V4l2Buffer::NO_REQUEST,
            nonblock,
        }))
    }

    /// S_FMT/G_FMT: the queue's planes and their size, as an observed driver configuration.
    fn format(&mut self, fd: i32, f: &Value) {
        let Some(ty) = f.get("type").and_then(buf_type) else {
            return;
        };
        let (planes, size) = if let Some(mp) = f.get("v4l2_pix_format_mplane") {
            let sizes: Vec<u64> = mp
                .get("plane_fmt")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.get("sizeimage").and_then(num))
                        .collect()
                })
                .unwrap_or_default();
            let n = mp
                .get("num_planes")
                .and_then(num)
                .unwrap_or(sizes.len() as u64);
            // One size for all planes in the model: the smallest, so that no plane that
            // fits its own format is taken as too small.
            let take = (n as usize).min(sizes.len());
            let Some(min) = sizes.get(..take).and_then(|s| s.iter().min().copied()) else {
                return;
            };
            (n.min(255) as u8, min)
        } else if let Some(sp) = f.get("v4l2_pix_format") {
            match sp.get("sizeimage").and_then(num) {
                Some(s) => (1, s),
                None => return,
            }
        } else {
            return;
        };
        let dev = self.fds.dev(fd);
        self.push(Body::Driver {
            dev,
            ty,
            action: DriverAction::Config(DriverCfg::Format {
                planes,
                size: size.min(u32::MAX as u64) as u32,
            }),
        });
    }
}

/// REQBUFS/CREATE_BUFS. The tracer writes `from_userspace` only with `-u`; without it the
/// requested count is not recorded, and the granted count stands for it (the kernel allocated
/// exactly that many). After a failure the struct holds what the application passed.
fn alloc(
    user: Option<&Value>,
    driver: Option<&Value>,
    key: &str,
    result: Outcome,
) -> Option<IoctlArg> {
    let u = user.and_then(|v| v.get(key));
    let d = driver.and_then(|v| v.get(key));
    let any = u.or(d)?;
    let ty_of = |v: &Value| {
        v.get("type")
            .or_else(|| v.get("format").and_then(|f| f.get("type")))
            .and_then(buf_type)
    };
    let ty = ty_of(any).or_else(|| d.and_then(ty_of))?;
    let memory = any.get("memory").and_then(memory)?;
    let granted = d
        .and_then(|d| d.get("count"))
        .and_then(num)
        .map(|n| n as u32);
    let count = u
        .and_then(|u| u.get("count"))
        .and_then(num)
        .map(|n| n as u32)
        .or(granted)?;
    let ok = result.is_ok();
    let caps = if ok {
        d.and_then(|d| d.get("capabilities"))
            .and_then(values::buf_caps)
    } else {
        None
    };
    // Meaningful only where the kernel says it wrote it (6.10 on).
    let has_max = caps.is_some_and(|c| c & crate::v4l2::BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS != 0);
    Some(IoctlArg::Alloc {
        ty,
        memory,
        count,
        count_out: if ok { granted } else { None },
        index: if ok && key == "v4l2_create_buffers" {
            d.and_then(|d| d.get("index"))
                .and_then(num)
                .map(|n| n as u32)
        } else {
            None
        },
        caps,
        max_buffers: if has_max && key == "v4l2_create_buffers" {
            d.and_then(|d| d.get("max_num_buffers"))
                .and_then(num)
                .map(|n| n as u32)
        } else {
            None
        },
    })
}

fn field_of<'a>(
    first: Option<&'a Value>,
    second: Option<&'a Value>,
    key: &str,
) -> Option<&'a Value> {
    first
        .and_then(|v| v.get(key))
        .or_else(|| second.and_then(|v| v.get(key)))
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `v4l2_ext_controls` of a media request (`which` = `V4L2_CTRL_WHICH_REQUEST_VAL`, as a
/// number or by name); `None` for other controls.
fn request_controls(c: Option<&Value>) -> Option<IoctlArg> {
    let c = c?;
    let which = c.get("which").and_then(|v| {
        num(v).map(|n| n as u32).or_else(|| {
            v.as_str()
                .filter(|s| s.contains("V4L2_CTRL_WHICH_REQUEST_VAL"))
                .map(|_| crate::v4l2::ctrls::WHICH_REQUEST_VAL)
        })
    })?;
    if which != crate::v4l2::ctrls::WHICH_REQUEST_VAL {
        return None;
    }
    Some(IoctlArg::Controls {
        which,
        count: c.get("count").and_then(num).unwrap_or(0) as u32,
        request_fd: c.get("request_fd").and_then(num).map(|n| n as i32),
    })
}
