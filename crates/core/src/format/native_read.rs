//! Reads a native trace. Never fails on a bad line: the line is skipped with a diagnostic
//! (line number and byte offset) and reading goes on. Only an unreadable file or a file that
//! is not a vb2scope trace at all is an error.

use std::io::{BufRead, BufReader};

use thiserror::Error;

use crate::policy::Policy;
use crate::trace::{
    Body, Capability, DriverAction, Event, Extent, IoctlArg, IoctlCmd, Trace, TraceHeader,
    V4l2Buffer, V4l2Plane,
};
use crate::v4l2::{BufType, DoneState, DriverCfg, MemopKind, Memory, parse_outcome};

use super::NATIVE_VERSION;
use super::binary::BINARY_VERSION;
use super::diagnostic::{DiagSeverity, Diagnostic};
use super::native_json::{BufLine, EventLine, HeaderLine};
use crate::progress::Progress;

/// Why a whole file could not be read.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a vb2scope trace: the first line is not a vb2scope header ({0})")]
    NotATrace(String),
    #[error("trace format version {0} is newer than this vb2scope reads ({NATIVE_VERSION})")]
    TooNew(u32),
    #[error("binary trace version {0} is newer than this vb2scope reads ({BINARY_VERSION})")]
    BinaryTooNew(u32),
    #[error("the file is empty")]
    Empty,
    #[error("cancelled")]
    Cancelled,
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Reads a native trace from bytes (zstd-compressed or not).
pub fn read_native_bytes(bytes: &[u8]) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
    read_native_bytes_with(bytes, None)
}

/// [`read_native_bytes`], reporting progress and stopping with [`LoadError::Cancelled`]
/// when asked to.
pub fn read_native_bytes_with(
    bytes: &[u8],
    progress: Option<&Progress>,
) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
    if super::binary::is_binary(bytes) {
        return super::binary::read_binary_bytes(bytes, progress);
    }
    if bytes.starts_with(&ZSTD_MAGIC) {
        let dec = zstd::stream::read::Decoder::new(bytes)?;
        // The uncompressed size is unknown: progress is measured against a typical ratio.
        return read_lines(
            BufReader::with_capacity(1 << 16, dec),
            progress,
            bytes.len() as u64 * 8,
        );
    }
    // In memory already: walk the lines in place, without copying them. Valid UTF-8 as a
    // whole (the usual case) is checked once, not string by string.
    let mut r = LineReader::new(bytes.len() / 160);
    r.progress = progress;
    r.total = bytes.len() as u64;
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            for line in text.split_inclusive('\n') {
                r.line_str(line)?;
            }
        }
        Err(_) => {
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                r.line(line)?;
            }
        }
    }
    r.finish()
}

/// Reads a native trace from a reader of uncompressed JSON Lines.
pub fn read_native<R: BufRead>(input: R) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
    read_lines(input, None, 0)
}

fn read_lines<R: BufRead>(
    mut input: R,
    progress: Option<&Progress>,
    total: u64,
) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
    let mut r = LineReader::new(0);
    r.progress = progress;
    r.total = total;
    let mut buf = Vec::with_capacity(512);
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => r.line(&buf)?,
            // A damaged compressed stream: keep what was read, say where it stopped.
            Err(e) if r.header.is_none() => return Err(LoadError::Io(e)),
            Err(e) => {
                let (line, byte) = (r.lineno + 1, r.byte);
                r.diags.push(diag(
                    DiagSeverity::Error,
                    line,
                    byte,
                    format!("input stops here: {e}"),
                ));
                break;
            }
        }
    }
    r.finish()
}

/// The reading state, fed one raw line at a time.
struct LineReader<'p> {
    progress: Option<&'p Progress>,
    total: u64,
    header: Option<Trace>,
    diags: Vec<Diagnostic>,
    lineno: u32,
    byte: u64,
    capacity: usize,
    last_t: u64,
    time_warned: bool,
}

impl<'p> LineReader<'p> {
    fn new(capacity: usize) -> LineReader<'p> {
        LineReader {
            progress: None,
            total: 0,
            header: None,
            diags: Vec::new(),
            lineno: 0,
            byte: 0,
            capacity,
            last_t: 0,
            time_warned: false,
        }
    }

    /// One line of bytes, with its newline if it has one.
    fn line(&mut self, raw: &[u8]) -> Result<(), LoadError> {
        match std::str::from_utf8(raw) {
            Ok(s) => self.line_str(s),
            Err(e) if self.header.is_none() => {
                Err(LoadError::NotATrace(format!("not UTF-8 text: {e}")))
            }
            Err(e) => {
                let start = self.byte;
                self.lineno += 1;
                self.byte += raw.len() as u64;
                let msg = format!("not UTF-8 text: {e}");
                self.diags
                    .push(diag(DiagSeverity::Error, self.lineno, start, msg));
                Ok(())
            }
        }
    }

    /// One line of text, with its newline if it has one.
    fn line_str(&mut self, raw: &str) -> Result<(), LoadError> {
        let start = self.byte;
        self.lineno += 1;
        if self.lineno.is_multiple_of(8192)
            && let Some(p) = self.progress
        {
            if p.cancelled() {
                return Err(LoadError::Cancelled);
            }
            p.set(0, self.byte, self.total.max(self.byte + 1));
        }
        self.byte += raw.len() as u64;
        let complete = raw.ends_with('\n');
        let text = raw.trim_end_matches('\n').trim_end_matches('\r').trim();
        if text.is_empty() {
            return Ok(());
        }
        let Some(trace) = self.header.as_mut() else {
            let header = parse_header(text, &mut self.diags, self.lineno, start)?;
            let mut t = Trace::new(header);
            t.reserve(self.capacity);
            self.header = Some(t);
            return Ok(());
        };
        match serde_json::from_str::<EventLine>(text) {
            Ok(l) => match to_event(&l, trace) {
                Ok(e) => {
                    if e.t_ns < self.last_t && !self.time_warned {
                        self.time_warned = true;
                        let msg =
                            "time goes back here; events are replayed in file order".to_string();
                        self.diags
                            .push(diag(DiagSeverity::Warning, self.lineno, start, msg));
                    }
                    self.last_t = e.t_ns;
                    trace.push(e);
                    let i = trace.events.len() as u32 - 1;
                    if let Some(d) = l.dur {
                        trace.set_duration(i, d);
                    }
                    if let Some(f) = l.flags_in {
                        trace.set_flags_in(i, f);
                    }
                }
                Err(msg) => self
                    .diags
                    .push(diag(DiagSeverity::Error, self.lineno, start, msg)),
            },
            Err(e) if !complete => self.diags.push(diag(
                DiagSeverity::Warning,
                self.lineno,
                start,
                format!("truncated last line ({} bytes) ignored: {e}", text.len()),
            )),
            Err(e) => self.diags.push(diag(
                DiagSeverity::Error,
                self.lineno,
                start,
                format!("malformed event: {e}"),
            )),
        }
        Ok(())
    }

    fn finish(self) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
        let mut trace = self.header.ok_or(LoadError::Empty)?;
        after_load(&mut trace);
        trace.shrink();
        Ok((trace, self.diags))
    }
}

/// What every reader of the native format does once the events are in. A recording of a
/// program (observed calls) with no kernel side yet: each open of an M2M node gets queues
/// of its own, as an importer gives them. A trace with kernel events keeps its devices:
/// those events were placed on them. A driver's format, which the recorder writes with the
/// program's calls, is not the kernel side: the split moves it with its thread's open.
pub(super) fn after_load(trace: &mut Trace) {
    let recorded = trace
        .events
        .iter()
        .any(|e| e.origin() == crate::v4l2::Origin::Observed);
    let kernel_side = || {
        trace.events.iter().any(|e| match e.body {
            Body::Memop { .. } => true,
            Body::Driver { action, .. } => !matches!(action, crate::trace::DriverAction::Config(_)),
            _ => false,
        })
    };
    if recorded && !kernel_side() {
        crate::trace::split_m2m_contexts(trace);
    }
}

fn diag(severity: DiagSeverity, line: u32, byte: u64, message: String) -> Diagnostic {
    Diagnostic {
        severity,
        line,
        byte,
        message,
    }
}

/// The header line of a trace (JSON Lines, or the header of a binary trace).
pub(super) fn parse_header(
    text: &str,
    diags: &mut Vec<Diagnostic>,
    line: u32,
    byte: u64,
) -> Result<TraceHeader, LoadError> {
    let h = match serde_json::from_str::<HeaderLine>(text) {
        Ok(h) if h.vb2scope == "trace" => h,
        Ok(_) => return Err(LoadError::NotATrace("\"vb2scope\" is not \"trace\"".into())),
        Err(e) => return Err(LoadError::NotATrace(e.to_string())),
    };
    h_to_header(&h, diags, line, byte)
}

fn h_to_header(
    h: &HeaderLine,
    diags: &mut Vec<Diagnostic>,
    line: u32,
    byte: u64,
) -> Result<TraceHeader, LoadError> {
    if h.version > NATIVE_VERSION {
        return Err(LoadError::TooNew(h.version));
    }
    let policy = match &h.policy {
        Some(p) => {
            let parsed = Policy::parse(p);
            if parsed.is_none() {
                diags.push(diag(
                    DiagSeverity::Warning,
                    line,
                    byte,
                    format!("unknown policy {p:?} in header"),
                ));
            }
            parsed
        }
        None => None,
    };
    let clock = match h.clock.as_deref() {
        None => crate::time::TraceClock::Unknown,
        Some(name) => {
            crate::time::TraceClock::parse(name, h.realtime_offset_ns).unwrap_or_else(|| {
                diags.push(diag(
                    DiagSeverity::Warning,
                    line,
                    byte,
                    format!(
                        "unknown clock {name:?} in header: times are shown without a wall clock"
                    ),
                ));
                crate::time::TraceClock::Unknown
            })
        }
    };
    Ok(TraceHeader {
        clock,
        version: h.version,
        source: h.source.as_deref().unwrap_or("").to_string(),
        policy,
        title: h.title.as_deref().unwrap_or("").to_string(),
        kernel: h.kernel.as_deref().map(str::to_string),
    })
}

fn req<T>(v: Option<T>, what: &str, ev: &str) -> Result<T, String> {
    v.ok_or_else(|| format!("{ev} event without \"{what}\""))
}

fn buf_type(s: Option<&str>, ev: &str) -> Result<BufType, String> {
    let s = req(s, "type", ev)?;
    BufType::parse(s).ok_or_else(|| format!("unknown buffer type {s:?}"))
}

fn memory(s: Option<&str>) -> Result<Option<Memory>, String> {
    match s {
        None => Ok(None),
        Some(s) => Memory::parse(s)
            .map(Some)
            .ok_or_else(|| format!("unknown memory {s:?}")),
    }
}

fn to_buffer(b: &BufLine, ev: &str, trace: &mut Trace) -> Result<V4l2Buffer, String> {
    let ty = buf_type(b.ty, ev).map_err(|e| e.replace("\"type\"", "\"buf.type\""))?;
    let memory = memory(b.memory)?;
    // Absent means the source did not record it.
    let m_of = |p: &BufLine| -> Option<u64> { p.fd.map(|f| f as u64).or(p.userptr).or(p.offset) };
    let planes: Vec<V4l2Plane> = b
        .planes
        .iter()
        .map(|p| {
            let m = m_of(p);
            V4l2Plane {
                bytesused: p.bytesused.unwrap_or(0),
                length: p.length.unwrap_or(0),
                data_offset: p.data_offset.unwrap_or(0),
                m: m.unwrap_or(0),
                m_known: m.is_some(),
            }
        })
        .collect();
    if planes.len() > crate::v4l2::MAX_PLANES {
        return Err(format!(
            "{} planes; at most {} are supported",
            planes.len(),
            crate::v4l2::MAX_PLANES
        ));
    }
    let (planes_first, planes_count) = if planes.is_empty() {
        (0, 0)
    } else {
        trace.add_planes(&planes)
    };
    let m = m_of(b);
    Ok(V4l2Buffer {
        index: req(b.index, "buf.index", ev)?,
        ty,
        memory,
        flags: b.flags.unwrap_or(0),
        field: u8::try_from(b.field.unwrap_or(0))
            .map_err(|_| "buf.field out of range".to_string())?,
        nonblock: false,
        bytesused: b.bytesused.unwrap_or(0),
        length: b.length.unwrap_or(0),
        m: m.unwrap_or(0),
        m_known: m.is_some(),
        sequence: b.sequence.unwrap_or(0),
        timestamp_ns: b.timestamp_ns.unwrap_or(0),
        planes_first,
        planes_count,
        request_fd: b
            .request_fd
            .and_then(|f| u16::try_from(f).ok())
            .unwrap_or(V4l2Buffer::NO_REQUEST),
    })
}

/// QUERYCAP: every field optional (a source may know only the driver).
fn querycap(l: &EventLine, trace: &mut Trace) -> IoctlArg {
    let mut s = |v: &Option<std::borrow::Cow<str>>| trace.intern(v.as_deref().unwrap_or(""));
    IoctlArg::Querycap(Capability {
        driver: s(&l.driver),
        card: s(&l.card),
        bus_info: s(&l.bus_info),
        caps: l.caps,
        device_caps: l.device_caps,
    })
}

fn dev_of(l: &EventLine, trace: &mut Trace) -> u16 {
    match l.dev.as_deref() {
        Some(p) => trace.device(p),
        None => 0,
    }
}

/// Converts one parsed line into an event, or says what is wrong with it.
fn to_event(l: &EventLine, trace: &mut Trace) -> Result<Event, String> {
    let ev = l.ev;
    let body = match ev {
        "ioctl" => {
            let fd = req(l.fd, "fd", ev)?;
            let op = req(l.op, "op", ev)?;
            let cmd = IoctlCmd::parse(op).ok_or_else(|| format!("unknown ioctl {op:?}"))?;
            let result = match l.result.as_deref() {
                Some(r) => parse_outcome(r).ok_or_else(|| format!("unknown result {r:?}"))?,
                None => return Err("ioctl event without \"result\"".into()),
            };
            let ty = || buf_type(l.ty.or(l.buf.as_ref().and_then(|b| b.ty)), ev);
            let a = match cmd {
                _ if l.undecoded == Some(true) => IoctlArg::Undecoded,
                IoctlCmd::Reqbufs | IoctlCmd::CreateBufs => IoctlArg::Alloc {
                    ty: ty()?,
                    memory: memory(l.memory)?.ok_or("alloc ioctl without \"memory\"")?,
                    count: req(l.count, "count", ev)?,
                    count_out: l.count_out,
                    index: l.index,
                    caps: l.caps,
                    max_buffers: l.max_num_buffers,
                },
                IoctlCmd::RemoveBufs => IoctlArg::Remove {
                    ty: ty()?,
                    index: req(l.index, "index", ev)?,
                    count: req(l.count, "count", ev)?,
                },
                IoctlCmd::Streamon | IoctlCmd::Streamoff => IoctlArg::Stream { ty: ty()? },
                IoctlCmd::Querycap => querycap(l, trace),
                IoctlCmd::DecoderCmd
                | IoctlCmd::EncoderCmd
                | IoctlCmd::TryDecoderCmd
                | IoctlCmd::TryEncoderCmd => IoctlArg::Command {
                    cmd: l.cmd,
                    flags: l.cmd_flags.unwrap_or(0),
                },
                IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent | IoctlCmd::Dqevent => {
                    IoctlArg::Event {
                        ty: l.event,
                        changes: l.changes.unwrap_or(0),
                    }
                }
                IoctlCmd::RequestAlloc | IoctlCmd::RequestQueue | IoctlCmd::RequestReinit => {
                    IoctlArg::Request { fd_out: l.fd_out }
                }
                IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls => {
                    IoctlArg::Controls {
                        which: req(l.which, "which", ev)?,
                        count: l.count.unwrap_or(0),
                        request_fd: l.request_fd,
                    }
                }
                IoctlCmd::Expbuf => IoctlArg::Expbuf {
                    ty: ty()?,
                    index: req(l.index, "index", ev)?,
                    plane: l.plane.unwrap_or(0),
                    fd_out: l.fd_out,
                },
                IoctlCmd::Querybuf | IoctlCmd::PrepareBuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf => {
                    let b = match &l.buf {
                        Some(b) => to_buffer(b, ev, trace)?,
                        // A failed DQBUF returns no buffer: keep the type alone.
                        None if cmd == IoctlCmd::Dqbuf => V4l2Buffer {
                            index: u32::MAX,
                            ty: ty()?,
                            memory: memory(l.memory)?,
                            flags: 0,
                            field: 0,
                            nonblock: false,
                            bytesused: 0,
                            length: 0,
                            m: 0,
                            m_known: false,
                            sequence: 0,
                            timestamp_ns: 0,
                            planes_first: 0,
                            planes_count: 0,
                            request_fd: V4l2Buffer::NO_REQUEST,
                        },
                        None => return Err(format!("{op} without \"buf\"")),
                    };
                    if cmd == IoctlCmd::Dqbuf && l.buf.is_none() && result.is_ok() {
                        return Err("a successful VIDIOC_DQBUF without \"buf\"".into());
                    }
                    IoctlArg::Buffer(V4l2Buffer {
                        nonblock: l.nonblock.unwrap_or(false),
                        ..b
                    })
                }
            };
            let arg = trace.add_arg(a);
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            }
        }
        "open" => {
            let path = req(l.path.as_deref(), "path", ev)?;
            let dev = trace.device(l.dev.as_deref().unwrap_or(path));
            trace.set_device_name(dev, l.name.as_deref().unwrap_or(""));
            Body::Open {
                fd: req(l.fd, "fd", ev)?,
                path: trace.intern(path),
                dev,
            }
        }
        "close" => Body::Close {
            fd: req(l.fd, "fd", ev)?,
        },
        "poll" => Body::Poll {
            fd: req(l.fd, "fd", ev)?,
            events: req(l.events, "events", ev)?,
            revents: l.revents.unwrap_or(0),
        },
        "dup" => Body::Dup {
            fd: req(l.fd, "fd", ev)?,
            new_fd: req(l.new_fd, "new_fd", ev)?,
        },
        "mmap" => {
            let e = Extent {
                offset: l.offset.unwrap_or(0),
                len: req(l.len, "len", ev)?,
                addr: req(l.addr, "addr", ev)?,
            };
            Body::Mmap {
                fd: l.fd.unwrap_or(-1),
                ext: trace.add_extent(e),
            }
        }
        "munmap" => {
            let e = Extent {
                offset: 0,
                len: req(l.len, "len", ev)?,
                addr: req(l.addr, "addr", ev)?,
            };
            Body::Munmap {
                ext: trace.add_extent(e),
            }
        }
        "dmabuf" => {
            let name = trace.intern(l.name.as_deref().unwrap_or(""));
            let ext = trace.add_extent(Extent {
                len: req(l.size, "size", ev)?,
                offset: l.ino.unwrap_or(0),
                addr: 0,
            });
            Body::Dmabuf {
                fd: req(l.fd, "fd", ev)?,
                name,
                ext,
            }
        }
        "tracepoint" => {
            let name = trace.intern(req(l.name.as_deref(), "name", ev)?);
            let text = trace.intern(l.text.as_deref().unwrap_or(""));
            Body::Tracepoint { name, text }
        }
        "memop" => {
            let op = req(l.op, "op", ev)?;
            let kind = MemopKind::parse(op).ok_or_else(|| format!("unknown memop {op:?}"))?;
            let dev = dev_of(l, trace);
            Body::Memop {
                kind,
                dev,
                ty: buf_type(l.ty, ev)?,
                index: req(l.index, "index", ev)?,
                plane: l.plane.unwrap_or(0),
            }
        }
        "driver" => {
            let op = req(l.op, "op", ev)?;
            let action = match op {
                "buffer_done" => {
                    let s = req(l.state, "state", ev)?;
                    let state =
                        DoneState::parse(s).ok_or_else(|| format!("unknown buffer state {s:?}"))?;
                    DriverAction::BufferDone {
                        index: l.index,
                        state,
                    }
                }
                "keep_on_stop" => {
                    DriverAction::Config(DriverCfg::KeepOnStop(l.keep.unwrap_or(true)))
                }
                "fail_start" => DriverAction::Config(DriverCfg::FailStart {
                    keep: l.keep.unwrap_or(false),
                }),
                "min_queued" => {
                    DriverAction::Config(DriverCfg::MinQueued(req(l.count, "count", ev)?))
                }
                "queue_error" => DriverAction::Config(DriverCfg::QueueError),
                "format" => DriverAction::Config(DriverCfg::Format {
                    planes: l.planes.unwrap_or(1),
                    size: u32::try_from(req(l.size, "size", ev)?)
                        .map_err(|_| "size too large".to_string())?,
                }),
                other => return Err(format!("unknown driver op {other:?}")),
            };
            let dev = dev_of(l, trace);
            Body::Driver {
                dev,
                ty: buf_type(l.ty, ev)?,
                action,
            }
        }
        "klog" => Body::Klog {
            text: trace.intern(req(l.text.as_deref(), "text", ev)?),
        },
        "marker" => Body::Marker {
            text: trace.intern(l.text.as_deref().unwrap_or("")),
        },
        "expect" => {
            let w = req(l.want.as_deref(), "want", ev)?;
            let want = parse_outcome(w).ok_or_else(|| format!("unknown expected result {w:?}"))?;
            Body::Expect { want }
        }
        other => return Err(format!("unknown event kind {other:?}")),
    };
    let thread = trace.thread_id(l.pid.unwrap_or(0), l.tid.or(l.pid).unwrap_or(0));
    let mut e =
        Event::new(l.t, thread, l.origin.unwrap_or_default(), body).on_line(l.line.unwrap_or(0));
    e.set_within(l.within.unwrap_or(false));
    Ok(e)
}
