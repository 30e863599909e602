//! Plays a `.vb2s` scenario on a real device: the same lowered script the model records
//! ([`vb2scope_core::scenario::lower`]), with the device answering instead of the model.
//! The script's fds and placeholder addresses stand for the scenario's names; the session
//! holds the real objects by those names. `expect` lines are recorded for the check to
//! compare, `driver` lines are skipped (the driver does what it does), and sizes come from
//! the device's format.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use vb2scope_core::scenario::{Name, Scenario, Script, lower};
use vb2scope_core::trace::{
    Body, DriverAction, Event, IoctlArg, IoctlCmd, OwnedEvent, Trace, TraceHeader, V4l2Buffer,
};
use vb2scope_core::v4l2::{BufType, DriverCfg, Errno, Memory};

use super::bitstream::Bitstream;
use super::error::DeviceError;
use super::ops::PlaneMem;
use super::session::Session;

/// How long a blocking DQBUF waits for a buffer before the run notes it and goes on.
pub const DQBUF_TIMEOUT_MS: u16 = 5000;

/// What a run did besides the recorded calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioReport {
    pub statements: u32,
    /// `driver` lines, which a real device cannot obey.
    pub skipped_driver_lines: Vec<u32>,
    /// Media request lines (`request`, `queue_request`, `reinit`, `qbuf … request=`) on a
    /// node with no media device to make requests on.
    pub skipped_request_lines: Vec<u32>,
    /// Blocking DQBUFs that got nothing within the timeout (interrupted: EINTR).
    pub timed_out: Vec<u32>,
    pub stopped: bool,
}

/// A statement the device run could not carry out, with its line. The device's error is
/// part of the message, not a cause to print again after it.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {error}")]
pub struct ScenarioError {
    pub file: String,
    pub line: u32,
    pub error: DeviceError,
}

/// What a script fd stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Named {
    Handle(Name),
    Dmabuf(Name),
    /// A media request, by name; `None` when the node has no media device (its lines are
    /// skipped).
    Request(Option<Name>),
}

struct Player<'s> {
    script: &'s Script,
    fds: HashMap<i32, Named>,
    /// User memory by placeholder address.
    areas: HashMap<u64, Name>,
    /// The handle and the queue type calls go through now.
    handle: Name,
    queue: Option<BufType>,
    /// The script fd of the ioctl being played (a request's for QUEUE and REINIT).
    cur_fd: i32,
    /// Where `bitstream` paths start: the scenario file's folder.
    dir: std::path::PathBuf,
    /// Bitstreams by name, read at their first `data=`.
    streams: HashMap<Name, Bitstream>,
    rep: ScenarioReport,
}

pub fn run_scenario(
    s: &mut Session,
    sc: &Scenario,
    stop: &AtomicBool,
) -> Result<ScenarioReport, ScenarioError> {
    let script = lower(sc).map_err(|e| ScenarioError {
        file: sc.file.clone(),
        line: e.line,
        error: DeviceError::Scenario(e.message),
    })?;
    let mut p = Player {
        script: &script,
        fds: HashMap::new(),
        areas: HashMap::new(),
        handle: "main".into(),
        queue: None,
        cur_fd: -1,
        dir: std::path::Path::new(&sc.file)
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        streams: HashMap::new(),
        rep: ScenarioReport::default(),
    };
    let mut last_line = 0;
    for (i, e) in script.trace.events.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            p.rep.stopped = true;
            break;
        }
        s.line = e.line();
        last_line = e.line();
        if let Err(error) = p.event(s, i, e) {
            // Later calls on the session (the Live panel's buttons) are no line's.
            s.line = 0;
            return Err(ScenarioError {
                file: sc.file.clone(),
                line: e.line(),
                error,
            });
        }
    }
    s.line = 0;
    let done = |st: &&vb2scope_core::scenario::Stmt| !p.rep.stopped || st.line <= last_line;
    p.rep.statements = sc.stmts.iter().filter(done).count() as u32;
    Ok(p.rep)
}

impl Player<'_> {
    fn name(&self, i: usize) -> Result<&Name, DeviceError> {
        self.script
            .names
            .get(&(i as u32))
            .ok_or_else(|| DeviceError::Scenario("a line names nothing".into()))
    }

    /// The request script fd `fd` stands for, when the device made it.
    fn request_at(&self, fd: i32) -> Option<Name> {
        match self.fds.get(&fd) {
            Some(Named::Request(n)) => n.clone(),
            _ => None,
        }
    }

    /// Makes the handle `fd` stands for the current one.
    fn through(&mut self, s: &mut Session, fd: i32) -> Result<(), DeviceError> {
        if let Some(Named::Handle(n)) = self.fds.get(&fd)
            && *n != self.handle
        {
            s.use_handle(n)?;
            self.handle = n.clone();
        }
        Ok(())
    }

    fn on_queue(&mut self, s: &mut Session, ty: BufType) -> Result<(), DeviceError> {
        if self.queue != Some(ty) {
            s.select_queue(ty)?;
            self.queue = Some(ty);
        }
        Ok(())
    }

    fn event(&mut self, s: &mut Session, i: usize, e: &Event) -> Result<(), DeviceError> {
        let t = &self.script.trace;
        match e.body {
            // The session opened the device as `main` already.
            Body::Open { fd, .. } if i == 0 => {
                self.fds.insert(fd, Named::Handle("main".into()));
            }
            Body::Open { fd, .. } => {
                let name = self.name(i)?.clone();
                s.open_handle(&name, false)?;
                self.fds.insert(fd, Named::Handle(name));
            }
            Body::Close { fd } if matches!(self.fds.get(&fd), Some(Named::Request(None))) => {
                self.fds.remove(&fd);
                self.rep.skipped_request_lines.push(e.line());
            }
            Body::Close { fd } => {
                let name = self.name(i)?.clone();
                s.close_name(&name)?;
                self.fds.remove(&fd);
            }
            Body::Dmabuf { fd, ext, .. } => {
                let name = self.name(i)?.clone();
                s.dmabuf(&name, t.extent(ext).len)?;
                self.fds.insert(fd, Named::Dmabuf(name));
            }
            Body::Dup { fd, new_fd } => {
                let as_name = self.name(i)?.clone();
                let from = match self.fds.get(&fd) {
                    Some(Named::Dmabuf(n) | Named::Handle(n)) => n.clone(),
                    Some(Named::Request(n)) => n.clone().unwrap_or_default(),
                    None => String::new(),
                };
                s.dup(&from, &as_name)?;
                self.fds.insert(new_fd, Named::Dmabuf(as_name));
            }
            Body::Mmap { fd, ext } => {
                let x = t.extent(ext);
                match self.script.maps.get(&x.addr) {
                    Some(p) => {
                        self.through(s, fd)?;
                        self.on_queue(s, p.ty)?;
                        s.mmap(p.index, p.plane)?;
                    }
                    None => {
                        let name = self.name(i)?.clone();
                        s.userptr(&name, x.len)?;
                        self.areas.insert(x.addr, name);
                    }
                }
            }
            Body::Munmap { ext } => {
                let x = t.extent(ext);
                match self.script.maps.get(&x.addr) {
                    Some(p) => {
                        self.on_queue(s, p.ty)?;
                        s.munmap(p.index, p.plane)?;
                    }
                    None => s.free(self.name(i)?)?,
                }
            }
            Body::Ioctl { fd, cmd, arg, .. } => {
                let a = t.arg(arg).copied().unwrap_or(IoctlArg::Undecoded);
                self.through(s, fd)?;
                self.cur_fd = fd;
                self.ioctl(s, i, e.line(), cmd, a)?;
            }
            Body::Driver {
                ty,
                action: DriverAction::Config(DriverCfg::Format { .. }),
                ..
            } => self.on_queue(s, ty)?,
            Body::Driver { .. } => self.rep.skipped_driver_lines.push(e.line()),
            // A request's completion arrives within a frame or two: 200 ms is plenty, and
            // bounds a wait that can never end (a poll without POLLPRI, R31).
            Body::Poll { fd, events, .. } => match self.request_at(fd) {
                Some(name) => {
                    let _ = s.poll_request(&name, events, 200)?;
                }
                None => self.rep.skipped_request_lines.push(e.line()),
            },
            Body::Expect { want } => s.expect(want),
            Body::Marker { text } => s.marker(t.str(text)),
            Body::Memop { .. } | Body::Klog { .. } | Body::Tracepoint { .. } => {}
        }
        Ok(())
    }

    fn ioctl(
        &mut self,
        s: &mut Session,
        i: usize,
        line: u32,
        cmd: IoctlCmd,
        a: IoctlArg,
    ) -> Result<(), DeviceError> {
        match (cmd, a) {
            (
                IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd,
                IoctlArg::Command { cmd: Some(c), .. },
            ) => {
                let _ = s.codec_command(cmd == IoctlCmd::EncoderCmd, c)?;
                return Ok(());
            }
            (IoctlCmd::RequestAlloc, IoctlArg::Request { fd_out }) => {
                let name = if s.has_media_device() {
                    let name = self.name(i)?.clone();
                    let _ = s.request_alloc(&name)?;
                    Some(name)
                } else {
                    self.rep.skipped_request_lines.push(line);
                    None
                };
                if let Some(fd) = fd_out {
                    self.fds.insert(fd, Named::Request(name));
                }
                return Ok(());
            }
            (IoctlCmd::RequestQueue | IoctlCmd::RequestReinit, _) => {
                match self.request_at(self.cur_fd) {
                    Some(name) => {
                        let _ = s.request_call(&name, cmd == IoctlCmd::RequestReinit)?;
                    }
                    None => self.rep.skipped_request_lines.push(line),
                }
                return Ok(());
            }
            (
                IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls,
                IoctlArg::Controls { request_fd, .. },
            ) => {
                let name = request_fd.and_then(|fd| self.request_at(fd));
                match (name, cmd.ctrl_access()) {
                    (Some(name), Some(access)) => {
                        let _ = s.request_controls(&name, access)?;
                    }
                    _ => self.rep.skipped_request_lines.push(line),
                }
                return Ok(());
            }
            (IoctlCmd::Qbuf | IoctlCmd::PrepareBuf, IoctlArg::Buffer(b))
                if b.flags & vb2scope_core::v4l2::flags::REQUEST_FD != 0 =>
            {
                let request = b.request_fd().and_then(|fd| self.request_at(fd));
                match request {
                    Some(name) => {
                        self.on_queue(s, b.ty)?;
                        let mems = self.mems(&b);
                        let prepare = cmd == IoctlCmd::PrepareBuf;
                        let _ = s.to_request(prepare, b.index, &mems, &name)?;
                    }
                    None => self.rep.skipped_request_lines.push(line),
                }
                return Ok(());
            }
            (IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent, IoctlArg::Event { ty, .. }) => {
                let on = cmd == IoctlCmd::SubscribeEvent;
                let _ = s.subscribe_event(ty.unwrap_or(0), on)?;
                return Ok(());
            }
            (IoctlCmd::Dqevent, _) => {
                if s.dqevent(DQBUF_TIMEOUT_MS)? == Err(Errno::ETIMEDOUT) {
                    self.rep.timed_out.push(line);
                    s.marker("blocking DQEVENT: no event within 5 s, interrupted");
                }
                return Ok(());
            }
            _ => {}
        }
        // Undecoded calls and QUERYCAP (which names no queue) are not played.
        let Some(ty) = a.buf_type() else {
            return Ok(());
        };
        self.on_queue(s, ty)?;
        match (cmd, a) {
            (IoctlCmd::Reqbufs, IoctlArg::Alloc { memory, count, .. }) => {
                let _ = s.reqbufs(count, memory)?;
            }
            (IoctlCmd::CreateBufs, IoctlArg::Alloc { count, .. }) => {
                let _ = s.create_bufs(count)?;
            }
            (IoctlCmd::RemoveBufs, IoctlArg::Remove { index, count, .. }) => {
                let _ = s.remove_bufs(index, count)?;
            }
            (IoctlCmd::Querybuf, IoctlArg::Buffer(b)) => {
                let _ = s.querybuf(b.index)?;
            }
            (IoctlCmd::Qbuf, IoctlArg::Buffer(b)) => match self.script.data.get(&(i as u32)) {
                Some(name) => {
                    let name = name.clone();
                    let stream = self.stream(&name)?;
                    let _ = s.qbuf_filled(b.index, |dst| {
                        let chunk = stream.next_chunk(dst.len()).ok_or_else(|| {
                            DeviceError::Scenario(format!("bitstream {name} has no frame left"))
                        })?;
                        let n = chunk.len().min(dst.len());
                        dst[..n].copy_from_slice(&chunk[..n]);
                        Ok(n)
                    })?;
                }
                None => {
                    let _ = s.qbuf(b.index, &self.mems(&b))?;
                }
            },
            (IoctlCmd::PrepareBuf, IoctlArg::Buffer(b)) => {
                let _ = s.prepare_buf(b.index, &self.mems(&b))?;
            }
            (IoctlCmd::Dqbuf, IoctlArg::Buffer(b)) => {
                let (r, _) = s.dqbuf(b.nonblock, DQBUF_TIMEOUT_MS)?;
                if r == Err(Errno::ETIMEDOUT) {
                    self.rep.timed_out.push(line);
                    s.marker("blocking DQBUF: no buffer within 5 s, interrupted");
                }
            }
            (IoctlCmd::Streamon, _) => {
                let _ = s.streamon()?;
            }
            (IoctlCmd::Streamoff, _) => {
                let _ = s.streamoff()?;
            }
            (
                IoctlCmd::Expbuf,
                IoctlArg::Expbuf {
                    index,
                    plane,
                    fd_out,
                    ..
                },
            ) => {
                let name = self.name(i)?.clone();
                if s.expbuf(index, plane, &name)?.is_ok()
                    && let Some(fd) = fd_out
                {
                    self.fds.insert(fd, Named::Dmabuf(name));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Bitstream `name`, read from its file at the first use.
    fn stream(&mut self, name: &Name) -> Result<&mut Bitstream, DeviceError> {
        if !self.streams.contains_key(name) {
            let rel = self
                .script
                .bitstreams
                .get(name)
                .cloned()
                .unwrap_or_default();
            let path = self.dir.join(&rel);
            let bytes = std::fs::read(&path).map_err(|e| {
                DeviceError::Scenario(format!("bitstream {name}: {}: {e}", path.display()))
            })?;
            self.streams.insert(name.clone(), Bitstream::new(bytes));
        }
        self.streams
            .get_mut(name)
            .ok_or_else(|| DeviceError::Scenario(format!("no bitstream {name}")))
    }

    /// The memory a QBUF line names, plane by plane; as on the model, a DMABUF or USERPTR
    /// plane with no memory named (or memory no longer there) is passed empty.
    fn mems(&self, b: &V4l2Buffer) -> Vec<PlaneMem> {
        let planes = self.script.trace.planes_of(b);
        let one = |m: u64| match b.memory {
            Some(Memory::Dmabuf) => match i32::try_from(m).ok().and_then(|fd| self.fds.get(&fd)) {
                Some(Named::Dmabuf(n)) => PlaneMem::Dmabuf(n.clone()),
                _ => PlaneMem::None,
            },
            Some(Memory::Userptr) => self
                .areas
                .get(&m)
                .map_or(PlaneMem::None, |n| PlaneMem::User(n.clone())),
            _ => PlaneMem::None,
        };
        if planes.is_empty() {
            vec![PlaneMem::None]
        } else {
            planes.iter().map(|p| one(p.m)).collect()
        }
    }
}

/// A scenario run on the device `dev` (a path or a sysfs name) into a trace in memory, as
/// `vb2scope run --device` records it to a file: every call with what the device answered.
/// The window runs the scenario it edits this way, to show it beside the model's run.
pub fn scenario_trace(
    dev: &str,
    sc: &Scenario,
    source: crate::DmabufSource,
    stop: &AtomicBool,
) -> Result<(Trace, ScenarioReport), ScenarioError> {
    let fail = |error| ScenarioError {
        file: sc.file.clone(),
        line: 0,
        error,
    };
    let path = crate::resolve(dev).map_err(fail)?;
    let (tx, rx) = std::sync::mpsc::channel::<OwnedEvent>();
    let sink: crate::Sink = Box::new(move |e| {
        let _ = tx.send(e);
    });
    let mut session = Session::open(&path, false, source, sink).map_err(fail)?;
    let report = run_scenario(&mut session, sc, stop);
    // Closing the session records its last calls (the close of every handle).
    drop(session);
    let mut trace = Trace::new(TraceHeader {
        version: vb2scope_core::format::NATIVE_VERSION,
        source: format!("vb2scope run {} --device {dev}", sc.file),
        policy: None,
        title: sc.title.clone(),
        kernel: crate::kernel_release(),
        clock: crate::recording_clock(),
    });
    for e in rx.try_iter() {
        e.append_to(&mut trace);
    }
    Ok((trace, report?))
}
