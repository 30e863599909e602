//! A recorded session on a real device: every call it makes is timed, made, and recorded
//! with the kernel's answer as an observed event, handed to a sink as it happens.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use vb2scope_core::trace::{
    Body, Capability, DriverAction, Event, Extent, IoctlArg, IoctlCmd, OwnedEvent, Thread, ThreadId,
};
use vb2scope_core::v4l2::{BufType, DriverCfg, Errno, Memory, Origin, Outcome};

use super::discover;
use super::dmabuf::{DmabufSource, Exporter};
use super::error::DeviceError;
use super::memory::Area;
use super::v4l2::{self, Caps};

/// Where recorded events go: a recorder thread, a window, a test.
pub type Sink = Box<dyn FnMut(OwnedEvent) + Send>;

/// CLOCK_MONOTONIC in ns: the clock ftrace uses with `trace_clock=mono`, so kernel events
/// merge onto the same time axis.
pub fn now_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| (t.tv_sec().max(0) as u64) * 1_000_000_000 + t.tv_nsec().max(0) as u64)
        .unwrap_or(0)
}

/// The clock of a recording: CLOCK_MONOTONIC, with what turns it into wall-clock time now
/// (a later clock step is not followed: the offset is the one of the recording's start).
pub fn recording_clock() -> vb2scope_core::time::TraceClock {
    let ns = |id| {
        nix::time::clock_gettime(id)
            .map(|t| i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec()))
            .ok()
    };
    match (
        ns(nix::time::ClockId::CLOCK_REALTIME),
        ns(nix::time::ClockId::CLOCK_MONOTONIC),
    ) {
        (Some(r), Some(m)) => vb2scope_core::time::TraceClock::Realtime {
            offset_ns: i64::try_from(r - m).unwrap_or(0),
        },
        _ => vb2scope_core::time::TraceClock::Unknown,
    }
}

/// An open file handle on a video node.
pub(super) struct Handle {
    pub name: String,
    pub file: File,
    pub nonblock: bool,
}

/// What the session knows about one queue.
#[derive(Clone, Debug, Default)]
pub(super) struct QueueInfo {
    pub memory: Option<Memory>,
    pub count: u32,
    /// Bytes per plane, from G_FMT.
    pub sizes: Vec<u32>,
}

/// A live mmap() of a buffer plane.
pub(super) struct Mapping {
    pub ty: BufType,
    pub index: u32,
    pub plane: u8,
    pub addr: u64,
    pub len: u64,
    pub _map: v4l2r::ioctl::PlaneMapping,
}

pub struct Session {
    pub(super) path: PathBuf,
    pub(super) caps: Caps,
    pub(super) handles: Vec<Handle>,
    pub(super) cur: usize,
    pub(super) queue: BufType,
    pub(super) queues: HashMap<BufType, QueueInfo>,
    pub(super) maps: Vec<Mapping>,
    pub(super) userptrs: HashMap<String, Area>,
    /// Freed user areas keep their address, as a dangling pointer does.
    pub(super) freed: HashMap<String, (u64, u64)>,
    pub(super) dmabufs: HashMap<String, (OwnedFd, u64)>,
    pub(super) auto_userptr: HashMap<(BufType, u32, u8), Area>,
    pub(super) auto_dmabuf: HashMap<(BufType, u32, u8), (OwnedFd, u64)>,
    pub(super) source: DmabufSource,
    pub(super) exporter: Option<Exporter>,
    /// dma-buf fds and user areas a name no longer refers to, still held.
    pub(super) kept_fds: Vec<OwnedFd>,
    pub(super) kept_areas: Vec<Area>,
    pub(super) watchdog: super::watchdog::Watchdog,
    /// The media device of the node, opened at the first media request.
    pub(super) media: Option<File>,
    /// Media requests by name.
    pub(super) requests: HashMap<String, OwnedFd>,
    devices: Vec<String>,
    pid: u32,
    sink: Sink,
    /// The scenario line being run, recorded with each event.
    pub line: u32,
}

impl Session {
    /// Opens `path`, checks it is a streaming V4L2 node, and records the open.
    pub fn open(
        path: &Path,
        nonblock: bool,
        source: DmabufSource,
        sink: Sink,
    ) -> Result<Session, DeviceError> {
        let caps = discover::query(path)?;
        // A node without streaming I/O (read()/write() only) has no vb2 queue to drive.
        let queues = if caps.streaming() {
            caps.queues()
        } else {
            Vec::new()
        };
        let Some(&queue) = queues.first() else {
            return Err(DeviceError::NoQueue {
                path: path.to_path_buf(),
                ty: BufType::VideoCapture,
                have: "no video queue".into(),
            });
        };
        let mut s = Session {
            path: path.to_path_buf(),
            caps,
            handles: Vec::new(),
            cur: 0,
            queue,
            queues: HashMap::new(),
            maps: Vec::new(),
            userptrs: HashMap::new(),
            freed: HashMap::new(),
            dmabufs: HashMap::new(),
            auto_userptr: HashMap::new(),
            auto_dmabuf: HashMap::new(),
            source,
            exporter: None,
            kept_fds: Vec::new(),
            kept_areas: Vec::new(),
            watchdog: super::watchdog::Watchdog::new(),
            media: None,
            requests: HashMap::new(),
            devices: Vec::new(),
            pid: std::process::id(),
            sink,
            line: 0,
        };
        s.open_handle("main", nonblock)?;
        s.record_querycap();
        s.select_queue(queue)?;
        Ok(s)
    }

    /// Whether the node still answers: after its driver is unbound (a USB unplug, a module
    /// removed) every call on an open handle gets ENODEV, while the call that was waiting
    /// when it went may have got something else (a blocking DQBUF gets EINVAL). Not recorded.
    pub fn alive(&self) -> bool {
        match self.file() {
            Ok(f) => v4l2::querycap(f) != Err(Errno::ENODEV),
            Err(_) => true,
        }
    }

    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn queue(&self) -> BufType {
        self.queue
    }

    pub fn queue_info(&self, ty: BufType) -> (Option<Memory>, u32, Vec<u32>) {
        let q = self.queues.get(&ty).cloned().unwrap_or_default();
        (q.memory, q.count, q.sizes)
    }

    pub(super) fn dev_number(&mut self, path: &str) -> u16 {
        if let Some(i) = self.devices.iter().position(|d| d == path) {
            return i as u16;
        }
        self.devices.push(path.to_owned());
        (self.devices.len() - 1) as u16
    }

    /// The calling thread's kernel id, asked once per thread: it is in every event.
    fn tid() -> u32 {
        thread_local!(static TID: u32 = nix::unistd::gettid().as_raw() as u32);
        TID.with(|t| *t)
    }

    /// The calling thread of this session's process.
    fn thread(&self) -> Thread {
        Thread {
            pid: self.pid,
            tid: Self::tid(),
        }
    }

    pub(super) fn emit(&mut self, t_ns: u64, body: Body, fill: impl FnOnce(&mut OwnedEvent)) {
        let event =
            Event::new(t_ns, ThreadId::default(), Origin::Observed, body).on_line(self.line);
        let mut o = OwnedEvent::plain(self.thread(), event);
        fill(&mut o);
        (self.sink)(o);
    }

    /// Records a marker (a user's note, a phase of a streaming run).
    pub fn marker(&mut self, text: &str) {
        let t = now_ns();
        self.emit(
            t,
            Body::Marker {
                text: Default::default(),
            },
            |o| o.text = text.to_owned(),
        );
    }

    /// Records a scenario `expect` line: the check compares it with the call before.
    pub fn expect(&mut self, want: Outcome) {
        let t = now_ns();
        let event = Event::new(
            t,
            ThreadId::default(),
            Origin::Scripted,
            Body::Expect { want },
        )
        .on_line(self.line);
        let o = OwnedEvent::plain(self.thread(), event);
        (self.sink)(o);
    }

    pub(super) fn fd(&self) -> i32 {
        self.handles
            .get(self.cur)
            .map(|h| h.file.as_raw_fd())
            .unwrap_or(-1)
    }

    pub(super) fn file(&self) -> Result<&File, DeviceError> {
        self.handles
            .get(self.cur)
            .map(|h| &h.file)
            .ok_or_else(|| DeviceError::Scenario("the current file handle is closed".into()))
    }

    pub(super) fn nonblock(&self) -> bool {
        self.handles.get(self.cur).is_some_and(|h| h.nonblock)
    }

    /// Opens another handle on the device (`open NAME`) and records it.
    pub fn open_handle(&mut self, name: &str, nonblock: bool) -> Result<(), DeviceError> {
        let t = now_ns();
        let file = discover::open(&self.path, nonblock)?;
        let fd = file.as_raw_fd();
        let path = self.path.display().to_string();
        let dev = self.dev_number(&path);
        let node_name = discover::sysfs_name(&self.path).unwrap_or_default();
        self.emit(
            t,
            Body::Open {
                fd,
                path: Default::default(),
                dev,
            },
            |o| {
                o.text = path.clone();
                o.detail = node_name;
            },
        );
        self.handles.push(Handle {
            name: name.to_owned(),
            file,
            nonblock,
        });
        if self.handles.len() == 1 {
            self.cur = 0;
        }
        Ok(())
    }

    /// QUERYCAP on the current handle, recorded: the trace then names the driver behind the
    /// node (it changes no buffer). The answer was checked at open; this one is only told.
    fn record_querycap(&mut self) {
        let Ok(file) = self.file() else { return };
        let t = now_ns();
        let got = v4l2::querycap_with_device(file);
        let fd = self.fd();
        let body = Body::Ioctl {
            fd,
            cmd: IoctlCmd::Querycap,
            result: got.as_ref().map(|_| ()).map_err(|&e| e),
            arg: 0,
        };
        let known = got.as_ref().ok();
        let cap = Capability {
            driver: Default::default(),
            card: Default::default(),
            bus_info: Default::default(),
            caps: known.map(|(_, all)| *all),
            device_caps: known.map(|(c, _)| c.device_caps),
        };
        let strings = known.map(|(c, _)| (c.driver.clone(), c.card.clone(), c.bus_info.clone()));
        self.emit(t, body, |o| {
            o.arg = Some(IoctlArg::Querycap(cap));
            if let Some(s) = strings {
                (o.text, o.detail, o.extra) = s;
            }
        });
    }

    /// Makes `name` the handle later calls go through (`use NAME`).
    pub fn use_handle(&mut self, name: &str) -> Result<(), DeviceError> {
        match self.handles.iter().rposition(|h| h.name == name) {
            Some(i) => {
                self.cur = i;
                Ok(())
            }
            None => Err(DeviceError::Scenario(format!(
                "no open handle named {name}"
            ))),
        }
    }

    /// Closes a video handle and records it; its mappings stay, as they do in a process.
    pub fn close_handle(&mut self, name: Option<&str>) -> Result<(), DeviceError> {
        let i = match name {
            Some(n) => self.handles.iter().rposition(|h| h.name == n),
            None => (self.cur < self.handles.len()).then_some(self.cur),
        }
        .ok_or_else(|| DeviceError::Scenario("no such open handle".into()))?;
        let h = self.handles.remove(i);
        let fd = h.file.as_raw_fd();
        let t = now_ns();
        drop(h);
        self.emit(t, Body::Close { fd }, |_| {});
        if self.cur >= i && self.cur > 0 {
            self.cur -= 1;
        }
        Ok(())
    }

    /// Selects the queue later calls use; `capture`/`output` fall back to the multi-planar
    /// API when that is all the node has. Records the format the device reports.
    pub fn select_queue(&mut self, want: BufType) -> Result<BufType, DeviceError> {
        let have = self.caps.queues();
        let ty = if have.contains(&want) {
            want
        } else {
            let other = BufType::new(want.is_output(), !want.is_mplane());
            if have.contains(&other) {
                other
            } else {
                return Err(DeviceError::NoQueue {
                    path: self.path.clone(),
                    ty: want,
                    have: have
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        };
        self.queue = ty;
        if self.queues.get(&ty).is_none_or(|q| q.sizes.is_empty()) {
            self.refresh_format(ty)?;
        }
        Ok(ty)
    }

    /// Reads the queue's format (G_FMT) and records it when it is new or changed: a
    /// decoder's CAPTURE format changes at a source change, and the buffers allocated next
    /// are of the new size. Called only while the queue has no buffers, when the model takes
    /// a format (it keeps the old one while buffers exist).
    pub(super) fn refresh_format(&mut self, ty: BufType) -> Result<(), DeviceError> {
        let t = now_ns();
        let sizes = v4l2::plane_sizes(self.file()?, ty)
            .map_err(|e| DeviceError::call("VIDIOC_G_FMT", e))?;
        if self.queues.get(&ty).is_some_and(|q| q.sizes == sizes) {
            return Ok(());
        }
        let path = self.path.display().to_string();
        let dev = self.dev_number(&path);
        let size = sizes.iter().copied().min().unwrap_or(0);
        self.emit(
            t,
            Body::Driver {
                dev,
                ty,
                action: DriverAction::Config(DriverCfg::Format {
                    planes: sizes.len().min(8) as u8,
                    size,
                }),
            },
            |_| {},
        );
        self.queues.entry(ty).or_default().sizes = sizes;
        Ok(())
    }

    /// Records an ioctl on the current handle with its argument.
    pub(super) fn record_ioctl(
        &mut self,
        t: u64,
        cmd: IoctlCmd,
        result: Result<(), Errno>,
        arg: IoctlArg,
        planes: Vec<vb2scope_core::trace::V4l2Plane>,
    ) {
        let fd = self.fd();
        self.record_ioctl_on(fd, t, cmd, result, arg, planes);
    }

    /// Records an ioctl on any fd the session made it on.
    pub(super) fn record_ioctl_on(
        &mut self,
        fd: i32,
        t: u64,
        cmd: IoctlCmd,
        result: Result<(), Errno>,
        arg: IoctlArg,
        planes: Vec<vb2scope_core::trace::V4l2Plane>,
    ) {
        self.emit(
            t,
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg: 0,
            },
            |o| {
                o.arg = Some(arg);
                o.planes = planes;
            },
        );
    }

    pub(super) fn record_mmap(&mut self, t: u64, fd: i32, ext: Extent) {
        self.emit(t, Body::Mmap { fd, ext: 0 }, |o| o.extent = Some(ext));
    }

    pub(super) fn record_munmap(&mut self, t: u64, ext: Extent) {
        self.emit(t, Body::Munmap { ext: 0 }, |o| o.extent = Some(ext));
    }
}

impl Drop for Session {
    /// Whatever path ends a session, what it held is released and recorded.
    fn drop(&mut self) {
        self.close_all();
    }
}
