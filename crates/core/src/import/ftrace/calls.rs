//! The calls a capture of the kernel alone shows, rebuilt as observed events of a userspace
//! trace, so that the merge puts the kernel's memops and completions on buffer lanes as it
//! does with an strace log. Each call comes from the kernel event that marks it, which is
//! also its pin:
//! - `reqbufs`, `create_bufs`, `streamon`, `streamoff`, `expbuf` kprobes (at vb2's entry):
//!   REQBUFS, CREATE_BUFS, STREAMON, STREAMOFF, EXPBUF;
//! - `v4l2_qbuf`, `v4l2_dqbuf` (as a call returns 0): QBUF, DQBUF, which start with the
//!   buffer's own events before them (its `vb2_qbuf`, the memory it took);
//! - `queue_release` kprobes: the close of the device.
//!
//! What the kernel does not show stays unknown: a call that failed before vb2 (no event), an
//! fd number, a user address. A call is placed 1 µs before its first event.

use rustc_hash::FxHashMap;

use crate::kernel::ftrace::{Record, kprobe_args, parse_int, tp_field};
use crate::kernel::merge::Pin;
use crate::trace::{Body, Event, IoctlArg, IoctlCmd, Trace, V4l2Buffer};
use crate::v4l2::{BufType, Memory, Origin};

use super::devices::{Devices, Name, NameOf, Numbered};

/// The rebuilt calls, and each one's pin.
pub(super) struct Calls {
    pub trace: Trace,
    pub pins: Vec<Pin>,
}

/// fd numbers given to rebuilt devices: the kernel does not show the real ones.
const FD_BASE: i32 = 1000;

/// Events that belong to the QBUF or DQBUF whose `v4l2_*` return event follows them: the
/// buffer's memory taken or given back, the dma-buf core under it, its `vb2_qbuf`. Never an
/// allocation, a free, an mmap or an export: those are other calls'.
fn part_of_buffer_call(name: &str, dq: bool) -> bool {
    use crate::v4l2::MemopKind as K;
    let dmabuf_core = [
        "get",
        "get_ret",
        "put",
        "dynamic_attach",
        "detach",
        "map_attachment",
        "map_attachment_unlocked",
        "unmap_attachment",
        "unmap_attachment_unlocked",
        "vmap",
        "vunmap",
        "vmap_unlocked",
        "vunmap_unlocked",
        "console",
    ];
    let memop = crate::kernel::kprobes::memop_kind(name.trim_end_matches("_ret"));
    let of_a_queued_buffer = match memop {
        Some(K::GetUserptr | K::PutUserptr | K::AttachDmabuf | K::DetachDmabuf) => !dq,
        Some(K::MapDmabuf | K::Prepare) => !dq,
        // Older vb2 unmapped DMABUF planes at DQBUF; the cache sync runs there too.
        Some(K::UnmapDmabuf | K::Finish) => true,
        _ => false,
    };
    let own = if dq {
        name == "vb2_dqbuf"
    } else {
        matches!(name, "vb2_qbuf" | "vb2_buf_queue")
    };
    own || of_a_queued_buffer || dmabuf_core.contains(&name)
}

fn arg_u32(r: &Record, k: &str) -> Option<u32> {
    kprobe_args(r.body)
        .find(|(n, _)| *n == k)
        .and_then(|(_, v)| parse_int(v))
        .and_then(|v| u32::try_from(v).ok())
}

fn memory_of(raw: u32) -> Option<Memory> {
    match raw {
        1 => Some(Memory::Mmap),
        2 => Some(Memory::Userptr),
        4 => Some(Memory::Dmabuf),
        _ => None,
    }
}

fn buf_type(raw: u32) -> Option<BufType> {
    BufType::parse(&raw.to_string())
}

/// One event line with its number.
pub(super) struct Line<'a> {
    pub no: u32,
    pub rec: &'a Record<'a>,
    /// What names the device the event is on, and its buffer: worked out once per line.
    pub named: Option<NameOf>,
}

/// A rebuilt call before the calls are put in time order: when, by whom, what, how long,
/// and the line of the kernel event that marks it.
struct Call {
    t: u64,
    tid: u32,
    /// Observed when the marking event shows the call succeeded (`v4l2_qbuf` fires only
    /// then); rebuilt when it fires at vb2's entry, whatever the result.
    origin: Origin,
    body: Body,
    dur: Option<u64>,
    pin: Option<(u32, u64, bool)>,
}

struct Builder<'a> {
    lines: &'a [Line<'a>],
    devs: Numbered,
    trace: Trace,
    calls: Vec<Call>,
    /// Each queue's memory type, from its REQBUFS or its memops.
    memory: FxHashMap<(u16, BufType), Memory>,
    /// Each queue pointer's buffer type.
    q_type: FxHashMap<u64, BufType>,
    opened: Vec<bool>,
    /// Devices with some event besides the release of a queue: a program that opens every
    /// node to look at it and closes it (a device probe) leaves only releases.
    used: Vec<bool>,
    /// By thread: the position (in `lines`) after the last event that ended or began a call.
    boundary: FxHashMap<u32, usize>,
}

pub(super) fn rebuild(lines: &[Line], header: crate::trace::TraceHeader) -> Calls {
    let devs = Devices::learn(lines).number();
    let mut b = Builder {
        lines,
        opened: vec![false; devs.labels.len()],
        used: vec![false; devs.labels.len()],
        devs,
        trace: Trace::new(header),
        calls: Vec::new(),
        memory: FxHashMap::default(),
        q_type: FxHashMap::default(),
        boundary: FxHashMap::default(),
    };
    b.learn_types();
    for (pos, l) in lines.iter().enumerate() {
        b.line(pos, l);
    }
    b.finish()
}

impl Builder<'_> {
    /// Queue pointers' types, from every event that shows them, and the devices used.
    fn learn_types(&mut self) {
        for l in self.lines {
            let r = &l.rec;
            if r.name != "queue_release"
                && let Some(d) = self.dev(l)
                && let Some(u) = self.used.get_mut(usize::from(d))
            {
                *u = true;
            }
            if !r.body.starts_with('(') {
                continue;
            }
            let q = kprobe_args(r.body)
                .find(|(n, _)| *n == "q")
                .and_then(|(_, v)| parse_int(v))
                .and_then(|v| u64::try_from(v).ok());
            let ty = arg_u32(r, "type")
                .or_else(|| arg_u32(r, "qtype"))
                .and_then(buf_type);
            if let (Some(q), Some(ty)) = (q, ty) {
                self.q_type.entry(q).or_insert(ty);
            }
        }
    }

    fn dev(&self, l: &Line) -> Option<u16> {
        let (name, _, _) = l.named?;
        self.devs.dev.get(&name).copied()
    }

    fn queue_type(&self, l: &Line) -> Option<BufType> {
        match l.named {
            Some((Name::Queue(q), ty, _)) => ty
                .and_then(buf_type)
                .or_else(|| self.q_type.get(&q).copied()),
            Some((_, ty, _)) => ty.and_then(buf_type),
            None => None,
        }
    }

    fn line(&mut self, pos: usize, l: &Line) {
        let r = &l.rec;
        let kprobe = r.body.starts_with('(');
        match r.name {
            "reqbufs" | "create_bufs" if kprobe => self.alloc(pos, l),
            "streamon" | "streamoff" if kprobe => {
                let cmd = if r.name == "streamon" {
                    IoctlCmd::Streamon
                } else {
                    IoctlCmd::Streamoff
                };
                if let (Some(dev), Some(ty)) = (self.dev(l), self.queue_type(l)) {
                    let arg = self.trace.add_arg(IoctlArg::Stream { ty });
                    self.entry_call(pos, l, dev, cmd, arg);
                }
            }
            "expbuf" if kprobe => self.expbuf(pos, l),
            "queue_release" if kprobe => self.close(pos, l),
            "v4l2_qbuf" | "v4l2_dqbuf" => self.buffer_call(pos, l),
            _ => {
                self.learn_memory(l);
            }
        }
    }

    /// A memop tells its queue's memory type when REQBUFS was not captured.
    fn learn_memory(&mut self, l: &Line) {
        let Some(kind) = crate::kernel::kprobes::memop_kind(l.rec.name) else {
            return;
        };
        let memory = match kind {
            crate::v4l2::MemopKind::Alloc => Memory::Mmap,
            crate::v4l2::MemopKind::GetUserptr => Memory::Userptr,
            crate::v4l2::MemopKind::AttachDmabuf => Memory::Dmabuf,
            _ => return,
        };
        if let (Some(dev), Some(ty)) = (self.dev(l), self.queue_type(l)) {
            self.memory.entry((dev, ty)).or_insert(memory);
        }
    }

    /// Opens device `dev` (once), just before `t`.
    fn open(&mut self, dev: u16, t: u64, tid: u32) {
        let Some(done) = self.opened.get_mut(usize::from(dev)) else {
            return;
        };
        if *done {
            return;
        }
        *done = true;
        let label = self
            .devs
            .labels
            .get(usize::from(dev))
            .cloned()
            .unwrap_or_default();
        let d = self.trace.device(&label);
        let path = self.trace.intern(&label);
        self.push(
            t.saturating_sub(2_000),
            tid,
            Body::Open {
                fd: FD_BASE + i32::from(dev),
                path,
                dev: d,
            },
        );
    }

    fn push(&mut self, t: u64, tid: u32, body: Body) -> usize {
        // QBUF and DQBUF are read from the V4L2 tracepoints of calls that succeeded; the
        // rest (the device's open among them) are rebuilt from what they caused.
        let origin = match body {
            Body::Ioctl {
                cmd: IoctlCmd::Qbuf | IoctlCmd::Dqbuf,
                ..
            } => Origin::Observed,
            _ => Origin::Rebuilt,
        };
        self.calls.push(Call {
            t,
            tid,
            origin,
            body,
            dur: None,
            pin: None,
        });
        self.calls.len() - 1
    }

    /// The calls in time order (a QBUF starts before its return event, so after calls marked
    /// meanwhile by other threads), with their pins.
    fn finish(mut self) -> Calls {
        let mut order: Vec<usize> = (0..self.calls.len()).collect();
        order.sort_by_key(|&c| self.calls.get(c).map_or(0, |c| c.t));
        let mut pins = Vec::new();
        for c in order {
            let Some(call) = self.calls.get(c) else {
                continue;
            };
            let thread = self.trace.thread_id(call.tid, call.tid);
            self.trace
                .push(Event::new(call.t, thread, call.origin, call.body));
            let at = self.trace.events.len() - 1;
            if let Some(d) = call.dur {
                self.trace.set_duration(at as u32, d);
            }
            if let Some((line, kernel_ns, at_return)) = call.pin {
                pins.push(Pin {
                    line,
                    user_event: at,
                    kernel_ns,
                    user_ns: call.t,
                    at_return,
                });
            }
        }
        Calls {
            trace: self.trace,
            pins,
        }
    }

    /// A call whose vb2 entry is `l`: placed just before it, pinned to it.
    fn entry_call(&mut self, pos: usize, l: &Line, dev: u16, cmd: IoctlCmd, arg: u32) {
        let r = &l.rec;
        self.open(dev, r.ts_ns, r.tid);
        let body = Body::Ioctl {
            fd: FD_BASE + i32::from(dev),
            cmd,
            result: Ok(()),
            arg,
        };
        let at = self.push(r.ts_ns.saturating_sub(1_000), r.tid, body);
        self.pin(l, at, false);
        self.boundary.insert(r.tid, pos + 1);
    }

    fn pin(&mut self, l: &Line, at: usize, at_return: bool) {
        if let Some(c) = self.calls.get_mut(at) {
            c.pin = Some((l.no, l.rec.ts_ns, at_return));
        }
    }

    /// The events of thread `tid` after `pos`, up to its next call's marking event.
    fn following(&self, pos: usize, tid: u32) -> impl Iterator<Item = &Line<'_>> {
        self.lines
            .get(pos + 1..)
            .unwrap_or(&[])
            .iter()
            .filter(move |x| x.rec.tid == tid)
            .take_while(|x| !is_marking(x.rec))
    }

    fn alloc(&mut self, pos: usize, l: &Line) {
        let r = &l.rec;
        let (Some(dev), Some(ty)) = (self.dev(l), self.queue_type(l)) else {
            return;
        };
        let create = r.name == "create_bufs";
        let Some(memory) = arg_u32(r, "memory").and_then(memory_of) else {
            return;
        };
        let count = arg_u32(r, "count").unwrap_or(0);
        // MMAP buffers are allocated in the call: their allocs tell how many were granted
        // (by index; or one per alloc for a single-planar queue whose probes did not fetch
        // the index) and from which. Otherwise the kernel does not say.
        let allocs: Vec<Option<u32>> = self
            .following(pos, r.tid)
            .filter(|x| {
                crate::kernel::kprobes::memop_kind(x.rec.name)
                    == Some(crate::v4l2::MemopKind::Alloc)
            })
            .map(|x| arg_u32(x.rec, "index"))
            .collect();
        let mut granted: Vec<u32> = allocs.iter().flatten().copied().collect();
        granted.sort_unstable();
        granted.dedup();
        let by_count = (allocs.iter().all(Option::is_none) && !ty.is_mplane())
            .then_some(allocs.len() as u32)
            .filter(|&n| n > 0);
        let count_out = if count == 0 {
            Some(0)
        } else if memory != Memory::Mmap {
            None
        } else if !granted.is_empty() {
            Some(granted.len() as u32)
        } else {
            by_count
        };
        self.memory.insert((dev, ty), memory);
        let arg = self.trace.add_arg(IoctlArg::Alloc {
            ty,
            memory,
            count,
            count_out,
            index: if create {
                granted.first().copied()
            } else {
                None
            },
            caps: None,
            max_buffers: None,
        });
        let cmd = if create {
            IoctlCmd::CreateBufs
        } else {
            IoctlCmd::Reqbufs
        };
        self.entry_call(pos, l, dev, cmd, arg);
    }

    fn expbuf(&mut self, pos: usize, l: &Line) {
        let r = &l.rec;
        let (Some(dev), Some(ty)) = (self.dev(l), self.queue_type(l)) else {
            return;
        };
        // The buffer: the kprobe's own index (older kernels), else the get_dmabuf memop's.
        let index = arg_u32(r, "index").or_else(|| {
            self.following(pos, r.tid)
                .find(|x| {
                    crate::kernel::kprobes::memop_kind(x.rec.name)
                        == Some(crate::v4l2::MemopKind::GetDmabuf)
                })
                .and_then(|x| arg_u32(x.rec, "index"))
        });
        let Some(index) = index else { return };
        let plane = arg_u32(r, "plane").unwrap_or(0);
        let arg = self.trace.add_arg(IoctlArg::Expbuf {
            ty,
            index,
            plane: u8::try_from(plane).unwrap_or(0),
            fd_out: None,
        });
        self.entry_call(pos, l, dev, IoctlCmd::Expbuf, arg);
    }

    fn close(&mut self, pos: usize, l: &Line) {
        let r = &l.rec;
        let Some(dev) = self.dev(l) else { return };
        if !self.used.get(usize::from(dev)).copied().unwrap_or(false) {
            return;
        }
        // One close releases every queue of its device: one call for them all.
        let same_close = self.calls.last().is_some_and(|c| {
            c.tid == r.tid
                && c.body
                    == Body::Close {
                        fd: FD_BASE + i32::from(dev),
                    }
        });
        if same_close {
            self.boundary.insert(r.tid, pos + 1);
            return;
        }
        self.open(dev, r.ts_ns, r.tid);
        let at = self.push(
            r.ts_ns.saturating_sub(1_000),
            r.tid,
            Body::Close {
                fd: FD_BASE + i32::from(dev),
            },
        );
        self.pin(l, at, false);
        self.boundary.insert(r.tid, pos + 1);
        // The device may be used again by a later open.
        if let Some(o) = self.opened.get_mut(usize::from(dev)) {
            *o = false;
        }
    }

    /// QBUF/DQBUF, from its `v4l2_qbuf`/`v4l2_dqbuf`: it began with the buffer's own events
    /// just before on the same thread.
    fn buffer_call(&mut self, pos: usize, l: &Line) {
        let r = &l.rec;
        let dq = r.name == "v4l2_dqbuf";
        let (Some(dev), Some(ty)) = (self.dev(l), self.queue_type(l)) else {
            return;
        };
        let field = |k| tp_field(r.body, k);
        let num = |k| field(k).and_then(|s| s.trim().parse::<u32>().ok());
        let Some(index) = num("index") else { return };
        let flags = field("flags").map_or(0, parse_flags);
        let from = self.boundary.get(&r.tid).copied().unwrap_or(0);
        // vb2 traces the buffer it queues or dequeues (`vb2_qbuf`, `vb2_dqbuf`); a QBUF
        // without one bound the buffer to a request (Request API) and queued nothing yet.
        let own = if dq { "vb2_dqbuf" } else { "vb2_qbuf" };
        let vb2_saw_it = self.lines.get(from..pos).unwrap_or(&[]).iter().any(|x| {
            x.rec.tid == r.tid
                && x.rec.name == own
                && tp_field(x.rec.body, "index").and_then(|s| s.trim().parse::<u32>().ok())
                    == Some(index)
        });
        if !vb2_saw_it {
            return;
        }
        let first = self
            .lines
            .get(from..pos)
            .unwrap_or(&[])
            .iter()
            .rev()
            .filter(|x| x.rec.tid == r.tid)
            .take_while(|x| part_of_buffer_call(x.rec.name, dq))
            .last()
            .map_or(r.ts_ns, |x| x.rec.ts_ns);
        let memory = self.memory.get(&(dev, ty)).copied();
        // A DMABUF QBUF's fd is the one dma_buf_get was given inside it.
        let fd = (!dq && memory == Some(Memory::Dmabuf))
            .then(|| {
                self.lines
                    .get(from..pos)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|x| x.rec.tid == r.tid && x.rec.name == "get")
                    .find_map(|x| {
                        kprobe_args(x.rec.body)
                            .find(|(n, _)| *n == "fd")
                            .and_then(|(_, v)| parse_int(v))
                    })
            })
            .flatten();
        let buf = V4l2Buffer {
            index,
            ty,
            memory,
            flags,
            field: 0,
            bytesused: num("bytesused").unwrap_or(0),
            length: 0,
            m: fd.and_then(|f| u64::try_from(f).ok()).unwrap_or(0),
            m_known: fd.is_some(),
            sequence: num("sequence").unwrap_or(0),
            timestamp_ns: 0,
            planes_first: 0,
            planes_count: 0,
            request_fd: V4l2Buffer::NO_REQUEST,
            nonblock: false,
        };
        self.open(dev, first, r.tid);
        let arg = self.trace.add_arg(IoctlArg::Buffer(buf));
        let cmd = if dq { IoctlCmd::Dqbuf } else { IoctlCmd::Qbuf };
        let body = Body::Ioctl {
            fd: FD_BASE + i32::from(dev),
            cmd,
            result: Ok(()),
            arg,
        };
        let at = self.push(first.saturating_sub(1_000), r.tid, body);
        // It ends as its return event fires.
        if let Some(c) = self.calls.get_mut(at) {
            c.dur = Some(r.ts_ns.saturating_sub(first) + 2_000);
        }
        self.pin(l, at, true);
        self.boundary.insert(r.tid, pos + 1);
    }
}

/// An event that marks a call of its own.
fn is_marking(r: &Record) -> bool {
    let kprobe = r.body.starts_with('(');
    matches!(r.name, "v4l2_qbuf" | "v4l2_dqbuf")
        || (kprobe
            && matches!(
                r.name,
                "reqbufs" | "create_bufs" | "streamon" | "streamoff" | "expbuf" | "queue_release"
            ))
}

/// `MAPPED|QUEUED|TIMESTAMP_MONOTONIC` as `V4L2_BUF_FLAG_*` bits.
fn parse_flags(s: &str) -> u32 {
    s.split('|')
        .filter_map(|f| crate::v4l2::flags::by_name(f.trim()))
        .fold(0, |a, b| a | b)
}
