//! Runs a scenario on the model and records what happens as a native trace: the scenario's
//! operations as `scripted` events with the model's results, and their consequences
//! (memops, driver completions, kernel messages) as `inferred` events.

use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

use crate::model::{
    BufTarget, Effect, Handle, Model, Op, PlaneArg, PlaneArgs, Ret, mem_offset_cookie,
};
use crate::policy::Policy;
use crate::trace::{
    Body, DriverAction, Event, Extent, IoctlArg, IoctlCmd, Trace, TraceHeader, V4l2Buffer,
    V4l2Plane,
};
use crate::v4l2::{BufType, DriverCfg, Memory, Origin, Outcome, QueueKey};

use super::ast::{DriverStmt, Scenario, StmtKind};

/// A scenario line that cannot be carried out (beyond what the model itself refuses).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct RunError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

const DEVICE: &str = "/dev/video0";
const PID: u32 = 1000;
/// Time between two scenario lines; consequences of a line follow it 1 µs apart.
const STEP_NS: u64 = 1_000_000;
const USER_BASE: u64 = 0x7f3a_0000_0000;

struct Runner {
    model: Model,
    trace: Trace,
    used_fds: BTreeSet<i32>,
    handles: HashMap<String, i32>,
    current: String,
    dmabufs: HashMap<String, i32>,
    userptrs: HashMap<String, (u64, u64)>,
    /// Live mappings of each plane, newest last.
    mmaps: HashMap<(QueueKey, u32, u8), Vec<(u64, u64)>>,
    ty: BufType,
    next_addr: u64,
    t: u64,
    file: String,
}

impl Runner {
    fn alloc_fd(&mut self) -> i32 {
        let fd = (3..).find(|fd| !self.used_fds.contains(fd)).unwrap_or(3);
        self.used_fds.insert(fd);
        fd
    }

    fn alloc_addr(&mut self, len: u64) -> u64 {
        let a = self.next_addr;
        self.next_addr += len.div_ceil(4096) * 4096 + 0x10_0000;
        a
    }

    fn fd(&self) -> i32 {
        self.handles.get(&self.current).copied().unwrap_or(-1)
    }

    fn key(&self) -> QueueKey {
        QueueKey {
            dev: 0,
            ty: self.ty,
        }
    }

    fn err<T>(&self, line: u32, message: impl Into<String>) -> Result<T, RunError> {
        Err(RunError {
            file: self.file.clone(),
            line,
            message: message.into(),
        })
    }

    fn push(&mut self, line: u32, origin: Origin, body: Body) {
        self.trace.push(Event {
            t_ns: self.t,
            pid: PID,
            tid: PID,
            origin,
            line,
            within: false,
            body,
        });
    }

    /// Steps the model and records the scripted event plus its inferred consequences.
    fn step(
        &mut self,
        line: u32,
        op: Op,
        body: impl FnOnce(&mut Self, Outcome, Ret) -> Body,
    ) -> bool {
        let n = self.trace.events.len() as u32;
        let (out, ret) = self.model.step(&op, n, self.t, None);
        let b = body(self, out, ret);
        self.push(line, Origin::Scripted, b);
        self.consequences(line);
        out.is_ok()
    }

    fn consequences(&mut self, line: u32) {
        let fx = std::mem::take(&mut self.model.fx);
        let base = self.t;
        let mut k = 0;
        let mut tick = |r: &mut Self| {
            k += 1;
            r.t = base + k * 1_000;
        };
        for item in &fx.items {
            tick(self);
            let body = match *item {
                Effect::BufQueue(q, index) => {
                    let name = self.trace.intern("vb2_buf_queue");
                    let text = self
                        .trace
                        .intern(&format!("index = {index}, type = {}", q.ty.raw()));
                    Body::Tracepoint { name, text }
                }
                Effect::Memop(m) => Body::Memop {
                    kind: m.kind,
                    dev: m.queue.dev,
                    ty: m.queue.ty,
                    index: m.index,
                    plane: m.plane,
                },
                Effect::Done(d) => {
                    let action = DriverAction::BufferDone {
                        index: Some(d.index),
                        state: d.state,
                    };
                    Body::Driver {
                        dev: d.queue.dev,
                        ty: d.queue.ty,
                        action,
                    }
                }
                Effect::Msg(m) => Body::Klog {
                    text: self.trace.intern(&m.msg.text(self.model.policy, m.queue)),
                },
            };
            self.push(line, Origin::Inferred, body);
        }
        self.t = base;
        self.model.fx = fx;
    }

    fn buffer(&mut self, index: u32, flags: u32, planes: &PlaneArgs) -> V4l2Buffer {
        let q = self.model.queue(self.key());
        let memory = q.and_then(|q| q.memory);
        let np = q.map(|q| q.num_planes).unwrap_or(1).max(1);
        let lengths: Vec<u32> = q
            .and_then(|q| q.buf(index))
            .map(|b| b.planes.iter().map(|p| p.length).collect())
            .unwrap_or_default();
        let offsets: Vec<u32> = q
            .and_then(|q| q.buf(index))
            .map(|b| b.planes.iter().map(|p| p.mem_offset).collect())
            .unwrap_or_default();
        let fds: Vec<i32> = q
            .and_then(|q| q.buf(index))
            .map(|b| b.planes.iter().map(|p| p.fd).collect())
            .unwrap_or_default();
        let plane_m = |p: usize| -> u64 {
            match memory {
                Some(Memory::Mmap) => u64::from(offsets.get(p).copied().unwrap_or(0)),
                Some(Memory::Dmabuf) if planes.n == 0 => fds.get(p).map(|&f| f as u64).unwrap_or(0),
                _ => match planes.get(p).map(|a| a.m) {
                    Some(Handle::Known(m)) => m,
                    _ => 0,
                },
            }
        };
        let plane_len = |p: usize| {
            planes
                .get(p)
                .and_then(|a| a.length)
                .filter(|&l| l != 0)
                .or(lengths.get(p).copied())
                .unwrap_or(0)
        };
        let mut b = V4l2Buffer {
            index,
            ty: self.ty,
            memory,
            flags,
            field: 1,
            nonblock: false,
            bytesused: 0,
            length: plane_len(0),
            m: plane_m(0),
            m_known: memory.is_some(),
            sequence: 0,
            timestamp_ns: 0,
            planes_first: 0,
            planes_count: 0,
        };
        if self.ty.is_mplane() {
            let v: Vec<V4l2Plane> = (0..np as usize)
                .map(|p| V4l2Plane {
                    bytesused: 0,
                    length: plane_len(p),
                    data_offset: 0,
                    m: plane_m(p),
                    m_known: memory.is_some(),
                })
                .collect();
            let (first, count) = self.trace.add_planes(&v);
            b.planes_first = first;
            b.planes_count = count;
            b.length = u32::from(count);
            b.m = 0;
            b.m_known = false;
        }
        b
    }

    fn ioctl(
        &mut self,
        line: u32,
        op: Op,
        cmd: IoctlCmd,
        arg: impl FnOnce(&mut Self, Outcome, Ret) -> IoctlArg,
    ) -> bool {
        let fd = self.fd();
        self.step(line, op, |r, result, ret| {
            let a = arg(r, result, ret);
            let arg = r.trace.add_arg(a);
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            }
        })
    }

    fn plane_args(&self, fds: &[String], ptrs: &[String]) -> PlaneArgs {
        let np = self
            .model
            .queue(self.key())
            .map(|q| q.num_planes)
            .unwrap_or(1)
            .max(1) as usize;
        let mut a = PlaneArgs::default();
        if !fds.is_empty() {
            for p in 0..np {
                let name = fds
                    .get(p)
                    .or(if fds.len() == 1 { fds.first() } else { None });
                let fd = name
                    .and_then(|n| self.dmabufs.get(n))
                    .copied()
                    .unwrap_or(-1);
                a.push(PlaneArg {
                    m: Handle::Known(fd as u64),
                    length: Some(0),
                    bytesused: 0,
                });
            }
        } else if !ptrs.is_empty() {
            for p in 0..np {
                // A plane without memory is passed as address 0, which vb2 refuses.
                let name = ptrs
                    .get(p)
                    .or(if ptrs.len() == 1 { ptrs.first() } else { None });
                let (addr, size) = name
                    .and_then(|n| self.userptrs.get(n))
                    .copied()
                    .unwrap_or((0, 0));
                a.push(PlaneArg {
                    m: Handle::Known(addr),
                    length: Some(u32::try_from(size).unwrap_or(u32::MAX)),
                    bytesused: 0,
                });
            }
        } else {
            a.n = np as u8;
        }
        a
    }
}

/// Runs `sc` under `policy` and returns the trace it records.
pub fn run(sc: &Scenario, policy: Policy) -> Result<Trace, RunError> {
    let header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: format!("vb2scope run {}", sc.file),
        policy: Some(policy),
        title: sc.title.clone(),
        kernel: None,
    };
    let mut r = Runner {
        model: Model::new(policy),
        trace: Trace::new(header),
        used_fds: BTreeSet::new(),
        handles: HashMap::new(),
        current: "main".into(),
        dmabufs: HashMap::new(),
        userptrs: HashMap::new(),
        mmaps: HashMap::new(),
        ty: BufType::VideoCapture,
        next_addr: USER_BASE,
        t: 0,
        file: sc.file.clone(),
    };
    let dev = r.trace.device(DEVICE);
    let fd = r.alloc_fd();
    r.handles.insert("main".into(), fd);
    let path = r.trace.intern(DEVICE);
    let _ = r.step(0, Op::Open { fd, dev }, |_, _, _| Body::Open {
        fd,
        path,
        dev,
    });
    for s in &sc.stmts {
        r.t += STEP_NS;
        statement(&mut r, s.line, &s.kind)?;
    }
    Ok(r.trace)
}

fn statement(r: &mut Runner, line: u32, k: &StmtKind) -> Result<(), RunError> {
    let ty = r.ty;
    let fd = r.fd();
    let dev = 0;
    match k {
        StmtKind::Queue { ty, planes, size } => {
            r.ty = *ty;
            if planes.is_some() || size.is_some() {
                let q = r.model.queue(r.key());
                let cfg = DriverCfg::Format {
                    planes: planes.or(q.map(|q| q.num_planes)).unwrap_or(1),
                    size: size
                        .or(q.map(|q| q.plane_size))
                        .unwrap_or(crate::model::DEFAULT_PLANE_SIZE),
                };
                let ty = *ty;
                let _ = r.step(line, Op::Driver { dev, ty, cfg }, |_, _, _| Body::Driver {
                    dev,
                    ty,
                    action: DriverAction::Config(cfg),
                });
            }
        }
        &StmtKind::Reqbufs { count, memory } => {
            let _ = r.ioctl(
                line,
                Op::Reqbufs {
                    fd,
                    ty,
                    memory,
                    count,
                },
                IoctlCmd::Reqbufs,
                |_, _, ret| IoctlArg::Alloc {
                    ty,
                    memory,
                    count,
                    count_out: Some(ret.count),
                    index: None,
                    caps: None,
                },
            );
        }
        &StmtKind::CreateBufs { count } => {
            let memory = r
                .model
                .queue(r.key())
                .and_then(|q| q.memory)
                .unwrap_or(Memory::Mmap);
            let _ = r.ioctl(
                line,
                Op::CreateBufs {
                    fd,
                    ty,
                    memory,
                    count,
                },
                IoctlCmd::CreateBufs,
                |_, _, ret| IoctlArg::Alloc {
                    ty,
                    memory,
                    count,
                    count_out: Some(ret.count),
                    index: Some(ret.index),
                    caps: None,
                },
            );
        }
        &StmtKind::RemoveBufs { index, count } => {
            let _ = r.ioctl(
                line,
                Op::RemoveBufs {
                    fd,
                    ty,
                    index,
                    count,
                },
                IoctlCmd::RemoveBufs,
                |_, _, _| IoctlArg::Remove { ty, index, count },
            );
        }
        &StmtKind::Querybuf { index } => {
            let memory = r.model.queue(r.key()).and_then(|q| q.memory);
            let t = BufTarget {
                fd,
                ty,
                index,
                memory,
            };
            let _ = r.ioctl(line, Op::Querybuf(t), IoctlCmd::Querybuf, |r, _, ret| {
                IoctlArg::Buffer(r.buffer(index, ret.flags, &PlaneArgs::default()))
            });
        }
        StmtKind::PrepareBuf { index, fds, ptrs } | StmtKind::Qbuf { index, fds, ptrs } => {
            let index = *index;
            let planes = r.plane_args(fds, ptrs);
            let memory = r.model.queue(r.key()).and_then(|q| q.memory);
            let t = BufTarget {
                fd,
                ty,
                index,
                memory,
            };
            let (op, cmd) = if matches!(k, StmtKind::Qbuf { .. }) {
                (Op::Qbuf(t, planes), IoctlCmd::Qbuf)
            } else {
                (Op::PrepareBuf(t, planes), IoctlCmd::PrepareBuf)
            };
            // The argument is what the application passes, before the call.
            let buf = r.buffer(index, 0, &planes);
            let _ = r.ioctl(line, op, cmd, |_, _, _| IoctlArg::Buffer(buf));
        }
        &StmtKind::Dqbuf { nonblock } => {
            let memory = r.model.queue(r.key()).and_then(|q| q.memory);
            let _ = r.ioctl(
                line,
                Op::Dqbuf {
                    fd,
                    ty,
                    memory,
                    nonblock,
                },
                IoctlCmd::Dqbuf,
                |r, out, ret| {
                    let mut buf = r.buffer(ret.index, ret.flags, &PlaneArgs::default());
                    if out.is_err() {
                        // A failed DQBUF fills in no buffer.
                        buf.index = u32::MAX;
                    }
                    IoctlArg::Buffer(V4l2Buffer { nonblock, ..buf })
                },
            );
        }
        StmtKind::Streamon => {
            let _ = r.ioctl(
                line,
                Op::Streamon { fd, ty },
                IoctlCmd::Streamon,
                |_, _, _| IoctlArg::Stream { ty },
            );
        }
        StmtKind::Streamoff => {
            let _ = r.ioctl(
                line,
                Op::Streamoff { fd, ty },
                IoctlCmd::Streamoff,
                |_, _, _| IoctlArg::Stream { ty },
            );
        }
        StmtKind::Expbuf { index, plane, name } => {
            let (index, plane) = (*index, *plane);
            let new_fd = r.alloc_fd();
            let out = r.ioctl(
                line,
                Op::Expbuf {
                    fd,
                    ty,
                    index,
                    plane,
                    new_fd,
                },
                IoctlCmd::Expbuf,
                |_, res, _| IoctlArg::Expbuf {
                    ty,
                    index,
                    plane,
                    fd_out: res.is_ok().then_some(new_fd),
                },
            );
            if out {
                r.handles.remove(name);
                r.dmabufs.insert(name.clone(), new_fd);
            } else {
                r.used_fds.remove(&new_fd);
            }
        }
        &StmtKind::Mmap { index, plane } => {
            let key = r.key();
            let q = r.model.queue(key);
            let p = q
                .and_then(|q| q.buf(index))
                .and_then(|b| b.planes.get(plane as usize));
            let offset = p
                .map(|p| p.mem_offset)
                .unwrap_or_else(|| mem_offset_cookie(index, u32::from(plane)));
            let len = u64::from(
                p.map(|p| p.length)
                    .or(q.map(|q| q.plane_size))
                    .unwrap_or(4096),
            );
            let addr = r.alloc_addr(len);
            let offset = u64::from(offset);
            let ext = r.trace.add_extent(Extent { offset, len, addr });
            let out = r.step(
                line,
                Op::Mmap {
                    fd,
                    offset,
                    len,
                    addr,
                },
                |_, _, _| Body::Mmap { fd, ext },
            );
            if out {
                r.mmaps
                    .entry((key, index, plane))
                    .or_default()
                    .push((addr, len));
            }
        }
        &StmtKind::Munmap { index, plane } => {
            let Some((addr, len)) = r.mmaps.get_mut(&(r.key(), index, plane)).and_then(Vec::pop)
            else {
                return r.err(line, format!("buffer {index} plane {plane} is not mmapped (no successful mmap line before this one)"));
            };
            let ext = r.trace.add_extent(Extent {
                offset: 0,
                len,
                addr,
            });
            let _ = r.step(line, Op::Munmap { addr, len }, |_, _, _| Body::Munmap {
                ext,
            });
        }
        StmtKind::Dmabuf { name, size } => {
            let fd = r.alloc_fd();
            let size = *size;
            r.handles.remove(name);
            r.dmabufs.insert(name.clone(), fd);
            let n = r.trace.intern(name);
            let ext = r.trace.add_extent(Extent {
                len: size,
                ..Extent::default()
            });
            let _ = r.step(line, Op::DmabufNew { fd, size }, |_, _, _| Body::Dmabuf {
                fd,
                name: n,
                ext,
            });
        }
        StmtKind::Userptr { name, size } => {
            let len = *size;
            let addr = r.alloc_addr(len);
            r.userptrs.insert(name.clone(), (addr, len));
            let ext = r.trace.add_extent(Extent {
                offset: 0,
                len,
                addr,
            });
            let _ = r.step(
                line,
                Op::Mmap {
                    fd: -1,
                    offset: 0,
                    len,
                    addr,
                },
                |_, _, _| Body::Mmap { fd: -1, ext },
            );
        }
        StmtKind::Free { name } => {
            // The name keeps its address: queueing it again passes memory that is gone.
            let Some(&(addr, len)) = r.userptrs.get(name) else {
                return r.err(line, format!("user memory {name:?} is not defined"));
            };
            let ext = r.trace.add_extent(Extent {
                offset: 0,
                len,
                addr,
            });
            let _ = r.step(line, Op::Munmap { addr, len }, |_, _, _| Body::Munmap {
                ext,
            });
        }
        StmtKind::Dup { name, as_name } => {
            let handle = r.handles.contains_key(name) && !r.dmabufs.contains_key(name);
            let old = if handle {
                r.handles.get(name)
            } else {
                r.dmabufs.get(name)
            }
            .copied()
            .unwrap_or(-1);
            let new_fd = r.alloc_fd();
            let _ = r.step(line, Op::Dup { fd: old, new_fd }, |_, _, _| Body::Dup {
                fd: old,
                new_fd,
            });
            if handle {
                r.dmabufs.remove(as_name);
                r.handles.insert(as_name.clone(), new_fd);
            } else {
                r.handles.remove(as_name);
                r.dmabufs.insert(as_name.clone(), new_fd);
            }
        }
        StmtKind::CloseName { name } => {
            let fd = r
                .dmabufs
                .get(name)
                .or_else(|| r.handles.get(name))
                .copied()
                .unwrap_or(-1);
            r.used_fds.remove(&fd);
            let _ = r.step(line, Op::Close { fd }, |_, _, _| Body::Close { fd });
        }
        StmtKind::Close => {
            r.used_fds.remove(&fd);
            let _ = r.step(line, Op::Close { fd }, |_, _, _| Body::Close { fd });
        }
        StmtKind::Open { name } => {
            let fd = r.alloc_fd();
            r.dmabufs.remove(name);
            r.handles.insert(name.clone(), fd);
            let path = r.trace.intern(DEVICE);
            let _ = r.step(line, Op::Open { fd, dev }, |_, _, _| Body::Open {
                fd,
                path,
                dev,
            });
        }
        StmtKind::Use { name } => r.current = name.clone(),
        StmtKind::Driver(d) => {
            let (op, action) = match *d {
                DriverStmt::Done { index, state } => (
                    Op::BufferDone {
                        dev,
                        ty,
                        index,
                        state,
                    },
                    DriverAction::BufferDone { index, state },
                ),
                DriverStmt::KeepOnStop => {
                    let c = DriverCfg::KeepOnStop(true);
                    (Op::Driver { dev, ty, cfg: c }, DriverAction::Config(c))
                }
                DriverStmt::FailStart { keep } => {
                    let c = DriverCfg::FailStart { keep };
                    (Op::Driver { dev, ty, cfg: c }, DriverAction::Config(c))
                }
                DriverStmt::MinQueued(n) => {
                    let c = DriverCfg::MinQueued(n);
                    (Op::Driver { dev, ty, cfg: c }, DriverAction::Config(c))
                }
            };
            let _ = r.step(line, op, |_, _, _| Body::Driver { dev, ty, action });
        }
        &StmtKind::Expect(want) => r.push(line, Origin::Scripted, Body::Expect { want }),
        StmtKind::Marker(text) => {
            let text = r.trace.intern(text);
            r.push(line, Origin::Scripted, Body::Marker { text });
        }
    }
    Ok(())
}
