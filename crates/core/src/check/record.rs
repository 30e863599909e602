//! Recording a script on the model: the replay, answering what a kernel would. Each scripted
//! event is bound (the values the kernel chooses filled in from the model: queue memory,
//! plane lengths, MMAP offsets, mmap() addresses), stepped through the same replay as any
//! trace, completed with the model's answer (result, granted count, the index DQBUF returns,
//! the exported fd) and followed by what it implies (memops, driver completions, kernel
//! messages) as `inferred` events, 1 µs apart.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::model::{DEFAULT_PLANE_SIZE, Effect, Handle, Model, PlaneArg, PlaneArgs, Ret};
use crate::policy::Policy;
use crate::trace::{
    Body, DriverAction, Event, Extent, IoctlArg, IoctlCmd, Trace, V4l2Buffer, V4l2Plane,
};
use crate::v4l2::{BufType, DriverCfg, Memory, Origin, QueueKey};

use super::replay::Replayer;

/// The plane an mmap() or munmap() of a script names (its offset and address are the
/// kernel's to choose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaneRef {
    pub ty: BufType,
    pub index: u32,
    pub plane: u8,
}

/// A scripted event that cannot be carried out.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct RecordError {
    pub line: u32,
    pub message: String,
}

/// Where the recorder puts mappings and user memory.
const USER_BASE: u64 = 0x7f3a_0000_0000;

/// Plays `script` (scripted events; `maps` names the plane of each mmap/munmap placeholder
/// address) on the model under `policy` and returns the trace a kernel of that policy would
/// give.
pub fn record(
    script: &Trace,
    maps: &BTreeMap<u64, PlaneRef>,
    policy: Policy,
) -> Result<Trace, RecordError> {
    let mut header = script.header.clone();
    header.policy = Some(policy);
    let mut r = Replayer::new(Cow::Owned(Trace::new(header)), policy);
    let mut b = Binder {
        maps,
        addrs: HashMap::new(),
        mapped: HashMap::new(),
        next_addr: USER_BASE,
    };
    for e in &script.events {
        let i = r.trace.events.len();
        let (bound, mapping) = b.bind(script, e, &mut r)?;
        r.stepped = None;
        r.event(i, &bound);
        if let Some((out, ret)) = r.stepped {
            if out.is_ok()
                && let Some((p, ext)) = mapping
            {
                b.mapped.entry(p).or_default().push(ext);
            }
            complete(&mut r, i, out, ret);
            consequences(&mut r, &bound);
        }
    }
    Ok(r.trace.into_owned())
}

/// A mapping made: the plane, and its address and length.
type Mapping = ((BufType, u32, u8), (u64, u64));

struct Binder<'m> {
    maps: &'m BTreeMap<u64, PlaneRef>,
    /// User memory: placeholder address to the address and length bound.
    addrs: HashMap<u64, (u64, u64)>,
    /// Live mappings of each plane, newest last.
    mapped: HashMap<(BufType, u32, u8), Vec<(u64, u64)>>,
    next_addr: u64,
}

impl Binder<'_> {
    fn alloc_addr(&mut self, len: u64) -> u64 {
        let a = self.next_addr;
        self.next_addr += len.div_ceil(4096) * 4096 + 0x10_0000;
        a
    }

    /// Writes `e` into the recorder's trace with the kernel's values filled in; returns it,
    /// and for an mmap() of a plane, the mapping it makes if it succeeds.
    fn bind(
        &mut self,
        script: &Trace,
        e: &Event,
        r: &mut Replayer,
    ) -> Result<(Event, Option<Mapping>), RecordError> {
        let mut mapping = None;
        let body = match e.body {
            Body::Open { fd, path, .. } => {
                let p = script.str(path);
                let out = r.trace.to_mut();
                let dev = out.device(p);
                let path = out.intern(p);
                Body::Open { fd, path, dev }
            }
            Body::Dmabuf { fd, name, ext } => {
                let out = r.trace.to_mut();
                let name = out.intern(script.str(name));
                let ext = out.add_extent(script.extent(ext));
                Body::Dmabuf { fd, name, ext }
            }
            Body::Mmap { fd, ext } => {
                let (ext, made) = self.mmap(script.extent(ext), fd, r);
                mapping = made;
                Body::Mmap { fd, ext }
            }
            Body::Munmap { ext } => Body::Munmap {
                ext: self.munmap(script.extent(ext), e.line(), r)?,
            },
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            } => {
                let a = script.arg(arg).copied().unwrap_or(IoctlArg::Undecoded);
                let a = self.bind_arg(script, r, fd, cmd, a);
                let arg = r.trace.to_mut().add_arg(a);
                Body::Ioctl {
                    fd,
                    cmd,
                    result,
                    arg,
                }
            }
            Body::Driver {
                dev,
                ty,
                action: DriverAction::Config(DriverCfg::Format { planes, size }),
            } => {
                let cfg = format(&r.model, QueueKey { dev, ty }, planes, size);
                let action = DriverAction::Config(cfg);
                Body::Driver { dev, ty, action }
            }
            Body::Marker { text } => Body::Marker {
                text: r.trace.to_mut().intern(script.str(text)),
            },
            Body::Klog { text } => Body::Klog {
                text: r.trace.to_mut().intern(script.str(text)),
            },
            Body::Tracepoint { name, text } => {
                let out = r.trace.to_mut();
                Body::Tracepoint {
                    name: out.intern(script.str(name)),
                    text: out.intern(script.str(text)),
                }
            }
            body @ (Body::Close { .. }
            | Body::Dup { .. }
            | Body::Poll { .. }
            | Body::Memop { .. }
            | Body::Driver { .. }
            | Body::Expect { .. }) => body,
        };
        let out = r.trace.to_mut();
        let th = script.thread(e.thread);
        let thread = out.thread_id(th.pid, th.tid);
        let mut bound = *e;
        bound.body = body;
        bound.thread = thread;
        out.push(bound);
        Ok((bound, mapping))
    }

    /// An mmap(): of a plane, at the model's offset and length (the mapping it makes, if
    /// it succeeds, is returned); of user memory, as long as the script says. Either gets
    /// the next free address.
    fn mmap(&mut self, x: Extent, fd: i32, r: &mut Replayer) -> (u32, Option<Mapping>) {
        let plane = self.maps.get(&x.addr).copied();
        let (offset, len) = match plane {
            Some(p) => plane_extent(&r.model, r.key_of(fd, p.ty), p),
            None => (x.offset, x.len),
        };
        let addr = self.alloc_addr(len);
        let made = match plane {
            Some(p) => Some(((p.ty, p.index, p.plane), (addr, len))),
            None => {
                self.addrs.insert(x.addr, (addr, len));
                None
            }
        };
        (
            r.trace.to_mut().add_extent(Extent { offset, len, addr }),
            made,
        )
    }

    /// A munmap(): of a plane, its newest mapping; of user memory, the memory.
    fn munmap(&mut self, x: Extent, line: u32, r: &mut Replayer) -> Result<u32, RecordError> {
        let (addr, len) = match self.maps.get(&x.addr) {
            Some(p) => self
                .mapped
                .get_mut(&(p.ty, p.index, p.plane))
                .and_then(Vec::pop)
                .ok_or_else(|| RecordError {
                    line,
                    message: format!(
                        "buffer {} plane {} is not mmapped (no successful mmap line before \
                         this one)",
                        p.index, p.plane
                    ),
                })?,
            None => self.addrs.get(&x.addr).copied().unwrap_or((x.addr, x.len)),
        };
        let ext = Extent {
            offset: 0,
            len,
            addr,
        };
        Ok(r.trace.to_mut().add_extent(ext))
    }

    /// An ioctl's argument as the application passes it: a buffer's memory is the queue's,
    /// and the planes QBUF and PREPARE_BUF name are bound to the fds and memory they stand
    /// for, one per plane of the queue.
    fn bind_arg(
        &self,
        script: &Trace,
        r: &mut Replayer,
        fd: i32,
        cmd: IoctlCmd,
        a: IoctlArg,
    ) -> IoctlArg {
        match (cmd, a) {
            (IoctlCmd::CreateBufs, IoctlArg::Alloc { ty, .. }) => {
                let key = r.key_of(fd, ty);
                let memory = r
                    .model
                    .queue(key)
                    .and_then(|q| q.memory)
                    .unwrap_or(Memory::Mmap);
                match a {
                    IoctlArg::Alloc {
                        count,
                        count_out,
                        index,
                        caps,
                        max_buffers,
                        ..
                    } => IoctlArg::Alloc {
                        ty,
                        memory,
                        count,
                        count_out,
                        index,
                        caps,
                        max_buffers,
                    },
                    other => other,
                }
            }
            (IoctlCmd::Qbuf | IoctlCmd::PrepareBuf, IoctlArg::Buffer(b)) => {
                let key = r.key_of(fd, b.ty);
                let planes = self.plane_args(&r.model, key, b.memory, script.planes_of(&b));
                let (model, out) = (&r.model, r.trace.to_mut());
                // A buffer for a media request keeps its flag and request fd.
                let request = b.flags & crate::v4l2::flags::REQUEST_FD;
                IoctlArg::Buffer(V4l2Buffer {
                    request_fd: b.request_fd,
                    ..buffer(model, out, key, b.index, request, &planes)
                })
            }
            (_, IoctlArg::Buffer(b)) => {
                let key = r.key_of(fd, b.ty);
                let memory = r.model.queue(key).and_then(|q| q.memory);
                IoctlArg::Buffer(V4l2Buffer {
                    memory,
                    planes_count: 0,
                    ..b
                })
            }
            (_, a) => a,
        }
    }

    /// The planes a QBUF passes for the names of its line (dma-buf fds or user memory, as
    /// `passed` says): one name for every plane, or one per plane (a plane without a name
    /// passes fd -1 or address 0).
    fn plane_args(
        &self,
        model: &Model,
        key: QueueKey,
        passed: Option<Memory>,
        named: &[V4l2Plane],
    ) -> PlaneArgs {
        let dmabuf = passed == Some(Memory::Dmabuf);
        let memory = model.queue(key).and_then(|q| q.memory);
        let np = model.queue(key).map(|q| q.num_planes).unwrap_or(1).max(1) as usize;
        let mut a = PlaneArgs::default();
        if named.is_empty() {
            a.n = np as u8;
            return a;
        }
        for p in 0..np {
            let one = named.get(p).or(if named.len() == 1 {
                named.first()
            } else {
                None
            });
            let (m, length) = match (one, dmabuf) {
                // On a DMABUF queue, a plane's length is the dma-buf's size, as the
                // application that made it knows it.
                (Some(n), true) => {
                    let size = i32::try_from(n.m)
                        .ok()
                        .filter(|_| memory == Some(Memory::Dmabuf))
                        .and_then(|fd| model.dmabuf_size(fd));
                    (
                        n.m,
                        size.map_or(0, |s| u32::try_from(s).unwrap_or(u32::MAX)),
                    )
                }
                (None, true) => (-1i64 as u64, 0),
                (Some(n), false) => {
                    let addr = self.addrs.get(&n.m).map_or(n.m, |&(addr, _)| addr);
                    (addr, n.length)
                }
                (None, false) => (0, 0),
            };
            a.push(PlaneArg {
                m: Handle::Known(m),
                length: Some(length),
                bytesused: 0,
            });
        }
        a
    }
}

/// A format the script leaves partly open (0: what the queue has now).
fn format(model: &Model, key: QueueKey, planes: u8, size: u32) -> DriverCfg {
    let q = model.queue(key);
    DriverCfg::Format {
        planes: Some(planes)
            .filter(|&p| p != 0)
            .or(q.map(|q| q.num_planes))
            .unwrap_or(1),
        size: Some(size)
            .filter(|&s| s != 0)
            .or(q.map(|q| q.plane_size))
            .unwrap_or(DEFAULT_PLANE_SIZE),
    }
}

/// The offset and length an mmap() of plane `p` passes: the model's, or for a buffer it
/// does not have, the cookie the plane would get and the queue's plane size.
fn plane_extent(model: &Model, key: QueueKey, p: PlaneRef) -> (u64, u64) {
    let q = model.queue(key);
    let pl = q
        .and_then(|q| q.buf(p.index))
        .and_then(|b| b.planes.get(usize::from(p.plane)));
    let offset = pl.map_or_else(
        || crate::model::mem_offset_cookie(p.index, u32::from(p.plane)),
        |pl| pl.mem_offset,
    );
    let len = pl
        .map(|pl| pl.length)
        .or(q.map(|q| q.plane_size))
        .unwrap_or(4096);
    (u64::from(offset), u64::from(len))
}

/// The buffer a call passes or gets back, as the model has it: memory, plane lengths, MMAP
/// offsets, DMABUF fds; `planes` are what the application passes, where it passes any.
fn buffer(
    model: &Model,
    out: &mut Trace,
    key: QueueKey,
    index: u32,
    flags: u32,
    planes: &PlaneArgs,
) -> V4l2Buffer {
    let q = model.queue(key);
    let memory = q.and_then(|q| q.memory);
    let np = q.map(|q| q.num_planes).unwrap_or(1).max(1);
    let b = q.and_then(|q| q.buf(index));
    let lengths: Vec<u32> =
        b.map_or_else(Vec::new, |b| b.planes.iter().map(|p| p.length).collect());
    let offsets: Vec<u32> = b.map_or_else(Vec::new, |b| {
        b.planes.iter().map(|p| p.mem_offset).collect()
    });
    let fds: Vec<i32> = b.map_or_else(Vec::new, |b| b.planes.iter().map(|p| p.fd).collect());
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
        let passed = planes.get(p).and_then(|a| a.length);
        // USERPTR memory is the application's: its length is what it passes, even 0.
        if memory == Some(Memory::Userptr)
            && let Some(l) = passed
        {
            return l;
        }
        passed
            .filter(|&l| l != 0)
            .or(lengths.get(p).copied())
            .unwrap_or(0)
    };
    let mut v = V4l2Buffer {
        index,
        ty: key.ty,
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
        request_fd: V4l2Buffer::NO_REQUEST,
    };
    if key.ty.is_mplane() {
        let ps: Vec<V4l2Plane> = (0..np as usize)
            .map(|p| V4l2Plane {
                bytesused: 0,
                length: plane_len(p),
                data_offset: 0,
                m: plane_m(p),
                m_known: memory.is_some(),
            })
            .collect();
        let (first, count) = out.add_planes(&ps);
        v.planes_first = first;
        v.planes_count = count;
        v.length = u32::from(count);
        v.m = 0;
        v.m_known = false;
    }
    v
}

/// Writes the model's answer into the ioctl event `i`: its result, and what the kernel
/// fills in (the count granted, the first index, the buffer returned, the exported fd).
fn complete(r: &mut Replayer, i: usize, out: crate::v4l2::Outcome, ret: Ret) {
    let Some(Body::Ioctl { fd, cmd, arg, .. }) = r.trace.events.get(i).map(|e| e.body) else {
        return;
    };
    let Some(a) = r.trace.arg(arg).copied() else {
        return;
    };
    let filled = match (cmd, a) {
        (
            IoctlCmd::Reqbufs | IoctlCmd::CreateBufs,
            IoctlArg::Alloc {
                ty,
                memory,
                count,
                caps,
                ..
            },
        ) => IoctlArg::Alloc {
            ty,
            memory,
            count,
            count_out: Some(ret.count),
            index: (cmd == IoctlCmd::CreateBufs).then_some(ret.index),
            caps,
            max_buffers: None,
        },
        (IoctlCmd::Querybuf, IoctlArg::Buffer(b)) => {
            let key = r.key_of(fd, b.ty);
            let (model, t) = (&r.model, r.trace.to_mut());
            IoctlArg::Buffer(buffer(
                model,
                t,
                key,
                b.index,
                ret.flags,
                &PlaneArgs::default(),
            ))
        }
        (IoctlCmd::Dqbuf, IoctlArg::Buffer(b)) => {
            let key = r.key_of(fd, b.ty);
            let (model, t) = (&r.model, r.trace.to_mut());
            let mut got = buffer(model, t, key, ret.index, ret.flags, &PlaneArgs::default());
            if out.is_err() {
                // A failed DQBUF fills in no buffer.
                got.index = u32::MAX;
            }
            IoctlArg::Buffer(V4l2Buffer {
                nonblock: b.nonblock,
                ..got
            })
        }
        (
            IoctlCmd::Expbuf,
            IoctlArg::Expbuf {
                ty,
                index,
                plane,
                fd_out,
            },
        ) => IoctlArg::Expbuf {
            ty,
            index,
            plane,
            fd_out: fd_out.filter(|_| out.is_ok()),
        },
        (_, a) => a,
    };
    let t = r.trace.to_mut();
    t.set_arg(arg, filled);
    if let Some(Body::Ioctl { result, .. }) = t.events.get_mut(i).map(|e| &mut e.body) {
        *result = out;
    }
}

/// The inferred events the last step implies, after `e`, 1 µs apart.
fn consequences(r: &mut Replayer, e: &Event) {
    let fx = std::mem::take(&mut r.model.fx);
    let policy = r.model.policy;
    let t = r.trace.to_mut();
    for (k, item) in fx.items.iter().enumerate() {
        let body = match *item {
            Effect::BufQueue(q, index) => Body::Tracepoint {
                name: t.intern("vb2_buf_queue"),
                text: t.intern(&format!("index = {index}, type = {}", q.ty.raw())),
            },
            Effect::Memop(m) => Body::Memop {
                kind: m.kind,
                dev: m.queue.dev,
                ty: m.queue.ty,
                index: m.index,
                plane: m.plane,
            },
            Effect::Done(d) => Body::Driver {
                dev: d.queue.dev,
                ty: d.queue.ty,
                action: DriverAction::BufferDone {
                    index: Some(d.index),
                    state: d.state,
                },
            },
            Effect::Msg(m) => Body::Klog {
                text: t.intern(&m.msg.text(policy, m.queue)),
            },
        };
        // On the bound event's thread and line (it is in this trace already).
        let mut inferred = *e;
        inferred.t_ns = e.t_ns + (k as u64 + 1) * 1_000;
        inferred.body = body;
        inferred.set_origin(Origin::Inferred);
        inferred.set_within(false);
        t.push(inferred);
    }
    r.model.fx = fx;
}
