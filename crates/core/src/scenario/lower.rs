//! Lowers a scenario, once, to the events its application side makes: one scripted event per
//! line that does something. Whoever plays the script (the model's recorder in
//! [`crate::check::record`], or a real device) answers it.
//!
//! The script holds what the application chooses. What the kernel chooses is left open:
//! results, counts, the indexes DQBUF returns, MMAP offsets and plane lengths, mmap()
//! addresses. fds are numbered as a kernel would number them if every call that makes one
//! succeeded; user memory and mappings get placeholder addresses that the player binds.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::check::PlaneRef;
use crate::trace::{
    Body, DriverAction, Event, Extent, IoctlArg, IoctlCmd, Trace, TraceHeader, V4l2Buffer,
    V4l2Plane,
};
use crate::v4l2::{BufType, DriverCfg, Memory, Origin};

use super::ast::{DriverStmt, Name, Scenario, StmtKind};
use super::run::RunError;

/// The device every scenario runs on.
pub const DEVICE: &str = "/dev/video0";
const PID: u32 = 1000;
/// Time between two scenario lines.
const STEP_NS: u64 = 1_000_000;
/// Where placeholder addresses start.
const USER_BASE: u64 = 0x7f3a_0000_0000;

/// A scenario lowered to scripted events.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// The events, in order; the first opens the device as `main`.
    pub trace: Trace,
    /// The plane each placeholder address of an mmap or munmap names (`mmap INDEX plane=N`;
    /// a munmap unmaps that plane's newest mapping).
    pub maps: BTreeMap<u64, PlaneRef>,
    /// The scenario name each event makes or acts on, by event index: the handle an open,
    /// the dma-buf a `dmabuf`, `dup` or `expbuf`, the user memory a `userptr` or `free`,
    /// and what a `close` closes.
    pub names: BTreeMap<u32, Name>,
    /// The bitstreams a scenario defines: the path each `bitstream` line gives.
    pub bitstreams: BTreeMap<Name, String>,
    /// The bitstream each `qbuf … data=NAME` feeds, by event index.
    pub data: BTreeMap<u32, Name>,
}

struct Lowering {
    script: Script,
    used_fds: BTreeSet<i32>,
    handles: HashMap<Name, i32>,
    current: Name,
    dmabufs: HashMap<Name, i32>,
    userptrs: HashMap<Name, (u64, u64)>,
    requests: HashMap<Name, i32>,
    ty: BufType,
    next_addr: u64,
    t: u64,
}

impl Lowering {
    fn alloc_fd(&mut self) -> i32 {
        let fd = (3..).find(|fd| !self.used_fds.contains(fd)).unwrap_or(3);
        self.used_fds.insert(fd);
        fd
    }

    fn placeholder(&mut self) -> u64 {
        let a = self.next_addr;
        self.next_addr += 0x10_0000;
        a
    }

    fn fd(&self) -> i32 {
        self.handles.get(&self.current).copied().unwrap_or(-1)
    }

    fn push(&mut self, line: u32, body: Body) -> u32 {
        let t = &mut self.script.trace;
        let thread = t.thread_id(PID, PID);
        t.push(Event::new(self.t, thread, Origin::Scripted, body).on_line(line));
        (t.events.len() - 1) as u32
    }

    fn named(&mut self, line: u32, body: Body, name: &str) {
        let i = self.push(line, body);
        self.script.names.insert(i, name.to_owned());
    }

    fn ioctl(&mut self, line: u32, cmd: IoctlCmd, arg: IoctlArg) -> u32 {
        let fd = self.fd();
        let arg = self.script.trace.add_arg(arg);
        self.push(
            line,
            Body::Ioctl {
                fd,
                cmd,
                result: Ok(()),
                arg,
            },
        )
    }

    /// The buffer argument a buffer ioctl passes: index and type, and for QBUF and
    /// PREPARE_BUF the planes the line names, as given, with `memory` saying what they are
    /// (DMABUF fds or USERPTR memory).
    fn buffer(&mut self, index: u32, fds: &[Name], ptrs: &[Name]) -> V4l2Buffer {
        let memory = if !fds.is_empty() {
            Some(Memory::Dmabuf)
        } else if !ptrs.is_empty() {
            Some(Memory::Userptr)
        } else {
            None
        };
        let planes: Vec<V4l2Plane> = if !fds.is_empty() {
            fds.iter()
                .map(|n| {
                    let fd = self.dmabufs.get(n).copied().unwrap_or(-1);
                    plane(fd as u64, 0)
                })
                .collect()
        } else {
            ptrs.iter()
                .map(|n| {
                    // A name never defined passes address 0, which vb2 refuses.
                    let (addr, size) = self.userptrs.get(n).copied().unwrap_or((0, 0));
                    plane(addr, u32::try_from(size).unwrap_or(u32::MAX))
                })
                .collect()
        };
        let (planes_first, planes_count) = self.script.trace.add_planes(&planes);
        V4l2Buffer {
            index,
            ty: self.ty,
            memory,
            flags: 0,
            field: 1,
            nonblock: false,
            bytesused: 0,
            length: 0,
            m: 0,
            m_known: false,
            sequence: 0,
            timestamp_ns: 0,
            planes_first,
            planes_count,
            request_fd: V4l2Buffer::NO_REQUEST,
        }
    }
}

impl Lowering {
    /// A QBUF or PREPARE_BUF into media request `request`: the flag and its fd.
    fn to_request(&self, mut b: V4l2Buffer, request: Option<&str>) -> V4l2Buffer {
        if let Some(name) = request {
            let fd = self.requests.get(name).copied().unwrap_or(-1);
            b.flags |= crate::v4l2::flags::REQUEST_FD;
            b.request_fd = u16::try_from(fd).unwrap_or(V4l2Buffer::NO_REQUEST);
        }
        b
    }
}

fn plane(m: u64, length: u32) -> V4l2Plane {
    V4l2Plane {
        bytesused: 0,
        length,
        data_offset: 0,
        m,
        m_known: true,
    }
}

/// Lowers `sc`. Fails on a line that cannot be written as a call (a `free` of memory no
/// line defined).
pub fn lower(sc: &Scenario) -> Result<Script, RunError> {
    let header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: format!("vb2scope run {}", sc.file),
        policy: None,
        title: sc.title.clone(),
        kernel: None,
        clock: crate::time::TraceClock::Order,
    };
    let mut l = Lowering {
        script: Script {
            trace: Trace::new(header),
            ..Script::default()
        },
        used_fds: BTreeSet::new(),
        handles: HashMap::new(),
        current: "main".into(),
        dmabufs: HashMap::new(),
        userptrs: HashMap::new(),
        requests: HashMap::new(),
        ty: BufType::VideoCapture,
        next_addr: USER_BASE,
        t: 0,
    };
    let dev = l.script.trace.device(DEVICE);
    let fd = l.alloc_fd();
    l.handles.insert("main".into(), fd);
    let path = l.script.trace.intern(DEVICE);
    l.named(0, Body::Open { fd, path, dev }, "main");
    for s in &sc.stmts {
        l.t += STEP_NS;
        statement(&mut l, s.line, &s.kind).map_err(|message| RunError {
            file: sc.file.clone(),
            line: s.line,
            message,
        })?;
    }
    Ok(l.script)
}

fn statement(l: &mut Lowering, line: u32, k: &StmtKind) -> Result<(), String> {
    let ty = l.ty;
    let dev = 0;
    match k {
        StmtKind::Queue { ty, planes, size } => {
            l.ty = *ty;
            if planes.is_some() || size.is_some() {
                // 0: what the queue has now, which the player knows.
                let cfg = DriverCfg::Format {
                    planes: planes.unwrap_or(0),
                    size: size.unwrap_or(0),
                };
                let action = DriverAction::Config(cfg);
                l.push(
                    line,
                    Body::Driver {
                        dev,
                        ty: *ty,
                        action,
                    },
                );
            }
        }
        &StmtKind::Reqbufs { count, memory } => {
            let arg = alloc(ty, memory, count);
            l.ioctl(line, IoctlCmd::Reqbufs, arg);
        }
        // The queue's memory, which the player knows.
        &StmtKind::CreateBufs { count } => {
            let arg = alloc(ty, Memory::Mmap, count);
            l.ioctl(line, IoctlCmd::CreateBufs, arg);
        }
        &StmtKind::RemoveBufs { index, count } => {
            let arg = IoctlArg::Remove { ty, index, count };
            l.ioctl(line, IoctlCmd::RemoveBufs, arg);
        }
        &StmtKind::Querybuf { index } => {
            let b = l.buffer(index, &[], &[]);
            l.ioctl(line, IoctlCmd::Querybuf, IoctlArg::Buffer(b));
        }
        StmtKind::PrepareBuf {
            index,
            fds,
            ptrs,
            request,
        } => {
            let b = l.buffer(*index, fds, ptrs);
            let b = l.to_request(b, request.as_deref());
            l.ioctl(line, IoctlCmd::PrepareBuf, IoctlArg::Buffer(b));
        }
        StmtKind::Qbuf {
            index,
            fds,
            ptrs,
            request,
            data,
        } => {
            let b = l.buffer(*index, fds, ptrs);
            let b = l.to_request(b, request.as_deref());
            let i = l.ioctl(line, IoctlCmd::Qbuf, IoctlArg::Buffer(b));
            if let Some(name) = data {
                l.script.data.insert(i, name.clone());
            }
        }
        &StmtKind::Command { encoder, cmd } => {
            let c = IoctlCmd::codec_cmd(encoder);
            let arg = IoctlArg::Command {
                cmd: Some(cmd),
                flags: 0,
            };
            l.ioctl(line, c, arg);
        }
        &StmtKind::Dqevent { ty } => {
            let arg = IoctlArg::Event {
                ty: Some(ty),
                changes: if ty == crate::v4l2::codec::EVENT_SOURCE_CHANGE {
                    crate::v4l2::codec::SRC_CH_RESOLUTION
                } else {
                    0
                },
            };
            l.ioctl(line, IoctlCmd::Dqevent, arg);
        }
        &StmtKind::Subscribe { ty, on } => {
            let c = IoctlCmd::event_subscription(on);
            let arg = IoctlArg::Event {
                ty: Some(ty),
                changes: 0,
            };
            l.ioctl(line, c, arg);
        }
        // The model does not look at payloads: only a device player reads the file.
        StmtKind::Bitstream { name, path } => {
            l.script.bitstreams.insert(name.clone(), path.clone());
        }
        StmtKind::Request { name } => {
            // MEDIA_IOC_REQUEST_ALLOC goes to the media device; the model asks only for
            // the fd it makes.
            let fd_out = l.alloc_fd();
            l.requests.insert(name.clone(), fd_out);
            let arg = IoctlArg::Request {
                fd_out: Some(fd_out),
            };
            let i = l.ioctl(line, IoctlCmd::RequestAlloc, arg);
            l.script.names.insert(i, name.clone());
        }
        StmtKind::QueueRequest { name } | StmtKind::Reinit { name } => {
            let cmd = if matches!(k, StmtKind::Reinit { .. }) {
                IoctlCmd::RequestReinit
            } else {
                IoctlCmd::RequestQueue
            };
            let fd = l.requests.get(name).copied().unwrap_or(-1);
            let arg = l.script.trace.add_arg(IoctlArg::Request { fd_out: None });
            let body = Body::Ioctl {
                fd,
                cmd,
                result: Ok(()),
                arg,
            };
            l.named(line, body, name);
        }
        StmtKind::Ctrls { name, access } => {
            let cmd = IoctlCmd::controls(*access);
            let arg = IoctlArg::Controls {
                which: crate::v4l2::ctrls::WHICH_REQUEST_VAL,
                count: 0,
                request_fd: l.requests.get(name).copied(),
            };
            let i = l.ioctl(line, cmd, arg);
            l.script.names.insert(i, name.clone());
        }
        StmtKind::Poll { name, events } => {
            let fd = l.requests.get(name).copied().unwrap_or(-1);
            let body = Body::Poll {
                fd,
                events: *events,
                revents: 0,
            };
            l.named(line, body, name);
        }
        &StmtKind::Dqbuf { nonblock } => {
            let b = V4l2Buffer {
                nonblock,
                ..l.buffer(0, &[], &[])
            };
            l.ioctl(line, IoctlCmd::Dqbuf, IoctlArg::Buffer(b));
        }
        StmtKind::Streamon => {
            l.ioctl(line, IoctlCmd::Streamon, IoctlArg::Stream { ty });
        }
        StmtKind::Streamoff => {
            l.ioctl(line, IoctlCmd::Streamoff, IoctlArg::Stream { ty });
        }
        StmtKind::Expbuf { index, plane, name } => {
            let new_fd = l.alloc_fd();
            let (index, plane) = (*index, *plane);
            let arg = IoctlArg::Expbuf {
                ty,
                index,
                plane,
                fd_out: Some(new_fd),
            };
            let i = l.ioctl(line, IoctlCmd::Expbuf, arg);
            l.script.names.insert(i, name.clone());
            l.handles.remove(name);
            l.dmabufs.insert(name.clone(), new_fd);
        }
        &StmtKind::Mmap { index, plane } => {
            let addr = l.placeholder();
            let fd = l.fd();
            let ext = l.script.trace.add_extent(Extent {
                offset: 0,
                len: 0,
                addr,
            });
            l.push(line, Body::Mmap { fd, ext });
            l.script.maps.insert(addr, PlaneRef { ty, index, plane });
        }
        // The newest mapping of the plane that the player made.
        &StmtKind::Munmap { index, plane } => {
            let addr = l.placeholder();
            let ext = l.script.trace.add_extent(Extent {
                offset: 0,
                len: 0,
                addr,
            });
            l.push(line, Body::Munmap { ext });
            l.script.maps.insert(addr, PlaneRef { ty, index, plane });
        }
        StmtKind::Dmabuf { name, size } => {
            let fd = l.alloc_fd();
            l.handles.remove(name);
            l.dmabufs.insert(name.clone(), fd);
            let n = l.script.trace.intern(name);
            let ext = l.script.trace.add_extent(Extent {
                len: *size,
                ..Extent::default()
            });
            l.named(line, Body::Dmabuf { fd, name: n, ext }, name);
        }
        StmtKind::Userptr { name, size } => {
            let addr = l.placeholder();
            l.userptrs.insert(name.clone(), (addr, *size));
            let ext = l.script.trace.add_extent(Extent {
                offset: 0,
                len: *size,
                addr,
            });
            l.named(line, Body::Mmap { fd: -1, ext }, name);
        }
        StmtKind::Free { name } => {
            // The name keeps its address: queueing it again passes memory that is gone.
            let Some(&(addr, len)) = l.userptrs.get(name) else {
                return Err(format!("user memory {name:?} is not defined"));
            };
            let ext = l.script.trace.add_extent(Extent {
                offset: 0,
                len,
                addr,
            });
            l.named(line, Body::Munmap { ext }, name);
        }
        StmtKind::Dup { name, as_name } => {
            let handle = l.handles.contains_key(name) && !l.dmabufs.contains_key(name);
            let fd = if handle {
                l.handles.get(name)
            } else {
                l.dmabufs.get(name)
            }
            .copied()
            .unwrap_or(-1);
            let new_fd = l.alloc_fd();
            l.named(line, Body::Dup { fd, new_fd }, as_name);
            if handle {
                l.dmabufs.remove(as_name);
                l.handles.insert(as_name.clone(), new_fd);
            } else {
                l.handles.remove(as_name);
                l.dmabufs.insert(as_name.clone(), new_fd);
            }
        }
        StmtKind::CloseName { name } => {
            let fd = l
                .dmabufs
                .get(name)
                .or_else(|| l.handles.get(name))
                .or_else(|| l.requests.get(name))
                .copied()
                .unwrap_or(-1);
            l.used_fds.remove(&fd);
            l.named(line, Body::Close { fd }, name);
        }
        StmtKind::Close => {
            let fd = l.fd();
            l.used_fds.remove(&fd);
            let name = l.current.clone();
            l.named(line, Body::Close { fd }, &name);
        }
        StmtKind::Open { name } => {
            let fd = l.alloc_fd();
            l.dmabufs.remove(name);
            l.handles.insert(name.clone(), fd);
            let path = l.script.trace.intern(DEVICE);
            l.named(line, Body::Open { fd, path, dev }, name);
        }
        StmtKind::Use { name } => l.current = name.clone(),
        StmtKind::Driver(d) => {
            let action = match *d {
                DriverStmt::Done { index, state } => DriverAction::BufferDone { index, state },
                DriverStmt::KeepOnStop => DriverAction::Config(DriverCfg::KeepOnStop(true)),
                DriverStmt::FailStart { keep } => {
                    DriverAction::Config(DriverCfg::FailStart { keep })
                }
                DriverStmt::MinQueued(n) => DriverAction::Config(DriverCfg::MinQueued(n)),
                DriverStmt::QueueError => DriverAction::Config(DriverCfg::QueueError),
            };
            l.push(line, Body::Driver { dev, ty, action });
        }
        &StmtKind::Expect(want) => {
            l.push(line, Body::Expect { want });
        }
        StmtKind::Marker(text) => {
            let text = l.script.trace.intern(text);
            l.push(line, Body::Marker { text });
        }
    }
    Ok(())
}

fn alloc(ty: BufType, memory: Memory, count: u32) -> IoctlArg {
    IoctlArg::Alloc {
        ty,
        memory,
        count,
        count_out: None,
        index: None,
        caps: None,
        max_buffers: None,
    }
}
