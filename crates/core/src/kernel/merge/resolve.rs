//! What each kernel event becomes, and the tables that tell which buffer a pointer belongs to:
//! `q` → device, `vb` → buffer, `priv` → buffer plane (from return probes, EXPBUF and mmap),
//! dma-buf → attached plane, `owner` → device. Tables are learned in merged order, so an
//! event is only ever explained by what came before it.

use rustc_hash::FxHashMap;

use crate::format::{DiagSeverity, Diagnostic};
use crate::trace::{Body, DriverAction, Trace, VideoFds};
use crate::v4l2::{BufType, DoneState, MemopKind, Memory, QueueKey};

use super::super::ftrace::{kprobe_args, parse_int, parse_pointer, tp_field};
use super::super::kprobes::{Probe, classify};
use super::window::Win;
use super::{KEv, diag};

/// What a kernel event became, for the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Memop,
    Unresolved,
    Failed,
    RefDrop,
    Done,
    DoneUnattributed,
    Klog,
    Marker,
    Tracepoint,
}

/// What each kernel event became, by its index.
pub(crate) type Bodies = Vec<Option<(Body, Tag)>>;

/// A buffer plane of a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Target {
    pub dev: u16,
    pub ty: BufType,
    pub index: u32,
    pub plane: u8,
}

/// An allocator's buffer: whom it belongs to and who holds references on it. vb2 allocators
/// count references: the core's own (from alloc to the put that frees the queue's buffers)
/// and one per mmap or export, dropped by munmap or the dma-buf's release through `put`.
#[derive(Clone, Copy, Debug)]
pub(super) struct PrivInfo {
    pub target: Target,
    pub core_holds: bool,
    pub users: u32,
}

/// A memop entry waiting for its return probe.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    pub k: usize,
    pub target: Option<Target>,
    pub raw: Body,
}

/// The numbers a probe line carries.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Args {
    pub vb: Option<u64>,
    pub q: Option<u64>,
    pub priv_: Option<u64>,
    pub dbuf: Option<u64>,
    pub vaddr: Option<u64>,
    pub index: Option<u32>,
    pub ty: Option<u32>,
    pub fd: Option<i64>,
    pub ret: Option<i128>,
    /// A codec command (`V4L2_DEC_CMD_*`, `V4L2_ENC_CMD_*`).
    pub cmd: Option<u32>,
}

impl Args {
    pub fn parse(body: &str) -> Args {
        let mut a = Args::default();
        for (k, v) in kprobe_args(body) {
            let n = parse_int(v);
            let u = n.and_then(|n| u64::try_from(n).ok());
            let u32_ = u.and_then(|u| u32::try_from(u).ok());
            match k {
                "vb" => a.vb = u,
                "q" => a.q = u,
                "priv" => a.priv_ = u,
                "dbuf" => a.dbuf = u,
                "vaddr" => a.vaddr = u,
                "index" => a.index = u32_,
                "cmd" => a.cmd = u32_,
                "type" => a.ty = u32_,
                "fd" => a.fd = n.and_then(|n| i64::try_from(n).ok()),
                "ret" => a.ret = n,
                _ => {}
            }
        }
        a
    }
}

/// Whether a vb2 core probe is the entry of the kind of call `w` is.
fn core_probe_of(name: &str, w: &Win) -> bool {
    use crate::trace::IoctlCmd as C;
    match name {
        "reqbufs" => w.cmd == Some(C::Reqbufs),
        "create_bufs" => w.cmd == Some(C::CreateBufs),
        "expbuf" => w.cmd == Some(C::Expbuf),
        "streamon" => w.cmd == Some(C::Streamon),
        "streamoff" => w.cmd == Some(C::Streamoff),
        // Closing a video fd, or a REQBUFS/STREAMOFF cancelling the queue.
        "queue_release" => w.cmd.is_none() && w.frees,
        _ => false,
    }
}

/// `enum v4l2_buf_type` values of the queues vb2scope models.
pub(super) fn buf_type(raw: u32) -> Option<BufType> {
    match raw {
        1 => Some(BufType::VideoCapture),
        2 => Some(BufType::VideoOutput),
        9 => Some(BufType::VideoCaptureMplane),
        10 => Some(BufType::VideoOutputMplane),
        _ => None,
    }
}

/// The attribution state, and what each kernel event became.
pub(crate) struct Resolver<'u> {
    pub(super) user: &'u Trace,
    pub(super) out: Trace,
    pub(super) fds: VideoFds,
    /// MMAP offsets from QUERYBUF & co: (device, offset) → (type, index, plane).
    pub(super) offsets: FxHashMap<(u16, u64), (BufType, u32, u8)>,
    pub(super) user_queues: Vec<Option<QueueKey>>,
    /// The user trace names one device only: every queue is on it.
    pub(super) single_dev: bool,
    pub(super) q_dev: FxHashMap<u64, u16>,
    pub(super) owner_dev: FxHashMap<u64, u16>,
    pub(super) vb_buf: FxHashMap<u64, (u16, BufType, u32)>,
    pub(super) privs: FxHashMap<u64, PrivInfo>,
    /// Attached dma-bufs and the plane they are attached to.
    pub(super) attached: Vec<(u64, Target)>,
    pub(super) pending: FxHashMap<(u32, MemopKind), Vec<Pending>>,
    pub(super) pending_get: FxHashMap<u32, Vec<Pending>>,
    pub(super) last_detach: FxHashMap<u32, Target>,
    last_done: FxHashMap<u32, usize>,
    /// The last alloc's `vb` and how many allocs in a row it had: its planes.
    pub(super) alloc_run: Option<(u64, u8)>,
    /// By thread: the buffer a vb2 core function was last given, for memops that do not take
    /// it (kernels before 5.16).
    pub(super) context: FxHashMap<u32, Args>,
    /// Exports: by thread, the `priv` of the get_dmabuf under way; then each exported dma-buf
    /// (from `dma_buf_export`'s return) → that `priv`.
    pub(super) exporting: FxHashMap<u32, u64>,
    pub(super) exported: FxHashMap<u64, u64>,
    /// `priv`s whose export reference an exporter's release already dropped: an allocator
    /// `put` of one of them right after is that same drop, not another.
    pub(super) export_released: FxHashMap<u32, u64>,
    pub(super) bodies: Bodies,
    pub(super) diags: Vec<Diagnostic>,
}

impl<'u> Resolver<'u> {
    pub fn new(user: &'u Trace, kernel_events: usize) -> Resolver<'u> {
        let has_ioctls = user
            .events
            .iter()
            .any(|e| matches!(e.body, Body::Ioctl { .. }));
        Resolver {
            user,
            out: user.clone(),
            fds: VideoFds::default(),
            offsets: FxHashMap::default(),
            user_queues: vec![None; user.events.len()],
            single_dev: user.devices.len() == 1 || (user.devices.is_empty() && has_ioctls),
            q_dev: FxHashMap::default(),
            owner_dev: FxHashMap::default(),
            vb_buf: FxHashMap::default(),
            privs: FxHashMap::default(),
            attached: Vec::new(),
            pending: FxHashMap::default(),
            pending_get: FxHashMap::default(),
            last_detach: FxHashMap::default(),
            last_done: FxHashMap::default(),
            alloc_run: None,
            context: FxHashMap::default(),
            exporting: FxHashMap::default(),
            exported: FxHashMap::default(),
            export_released: FxHashMap::default(),
            bodies: vec![None; kernel_events],
            diags: Vec::new(),
        }
    }

    pub fn finish(self) -> (Trace, Bodies, Vec<Diagnostic>) {
        (self.out, self.bodies, self.diags)
    }

    pub fn body(&self, k: usize) -> Option<Body> {
        self.bodies.get(k).and_then(|b| b.map(|(b, _)| b))
    }

    pub fn user_queue(&self, u: usize) -> Option<QueueKey> {
        self.user_queues.get(u).copied().flatten()
    }

    pub(super) fn tracepoint(&mut self, ev: &KEv) -> (Body, Tag) {
        let name = self.out.intern(ev.rec.name);
        let text = self.out.intern(ev.rec.body);
        (Body::Tracepoint { name, text }, Tag::Tracepoint)
    }

    pub(super) fn note(&mut self, severity: DiagSeverity, ev: &KEv, message: String) {
        self.diags.push(diag(severity, ev, message));
    }

    /// Turns kernel event `k` into its body. `win`: the syscall it happened in, if any.
    pub fn event(&mut self, k: usize, ev: &KEv, mut win: Option<&mut Win>) {
        let rec = &ev.rec;
        let tid = rec.tid;
        let prev_done = self.last_done.remove(&tid);
        let probe = if rec.body.starts_with('(') {
            classify(rec.name)
        } else {
            None
        };
        // An exporter's release is followed by its put at once, when that is not inlined:
        // anything else on the thread means it was.
        if !matches!(probe, Some(Probe::Mem(MemopKind::Put))) {
            self.export_released.remove(&tid);
        }
        let out = match (probe, rec.name) {
            (Some(Probe::Mem(kind)), _) => self.memop(k, ev, kind, win.as_deref_mut()),
            (Some(Probe::MemRet(kind)), _) => {
                self.mem_ret(ev, kind);
                self.tracepoint(ev)
            }
            (Some(Probe::DmabufGet), _) => self.dmabuf_get(k, ev, win.as_deref_mut()),
            (Some(Probe::DmabufGetRet), _) => {
                self.dmabuf_get_ret(ev, win.as_deref_mut());
                self.tracepoint(ev)
            }
            (Some(Probe::DmabufPut), _) => self.dmabuf_put(ev, win.as_deref()),
            (Some(Probe::BufferContext), _) => {
                let a = Args::parse(rec.body);
                if let (Some(q), Some(dev)) = (a.q, win.as_ref().and_then(|w| w.dev)) {
                    self.q_dev.insert(q, dev);
                }
                self.context.insert(tid, a);
                self.tracepoint(ev)
            }
            (Some(Probe::CodecCommand), _) => {
                // The command the source printed as a pointer, read by the helper.
                let cmd = Args::parse(rec.body).cmd;
                let arg = win.as_deref_mut().and_then(|w| w.command_arg.take());
                if let (Some(c), Some(arg)) = (cmd, arg)
                    && let Some(crate::trace::IoctlArg::Command { flags, .. }) =
                        self.out.arg(arg).copied()
                {
                    self.out.set_arg(
                        arg,
                        crate::trace::IoctlArg::Command {
                            cmd: Some(c),
                            flags,
                        },
                    );
                }
                self.tracepoint(ev)
            }
            (Some(Probe::Core), name) => {
                // The vb2 entry point of the very call it was placed in tells that call's
                // device; placed in another call (one the userspace log did not decode),
                // it tells nothing.
                let q = Args::parse(rec.body).q;
                let w = win.as_ref().filter(|w| core_probe_of(name, w));
                if let (Some(q), Some(dev)) = (q, w.and_then(|w| w.dev)) {
                    self.q_dev.insert(q, dev);
                }
                self.tracepoint(ev)
            }
            (Some(Probe::ExportRelease), _) => self.export_release(ev),
            (Some(Probe::Dmabuf), "export_ret") => {
                let a = Args::parse(rec.body);
                if let (Some(p), Some(dbuf)) =
                    (self.exporting.remove(&tid), a.ret.and_then(valid_ptr))
                {
                    self.exported.insert(dbuf, p);
                }
                self.tracepoint(ev)
            }
            (None, "tracing_mark_write") => {
                let text = self.out.intern(rec.body);
                (Body::Marker { text }, Tag::Marker)
            }
            (None, "console") => {
                let text = self.out.intern(console_text(rec.body));
                (Body::Klog { text }, Tag::Klog)
            }
            (None, "vb2_buf_done") => {
                let out = self.buf_done(ev, win.as_deref());
                if out.1 == Tag::Done {
                    self.last_done.insert(tid, k);
                }
                out
            }
            (None, "vb2_v4l2_buf_done") => {
                // It follows vb2_buf_done and has the flags that one lacks.
                let error = tp_field(rec.body, "flags").is_some_and(|f| f.contains("ERROR"));
                if let (true, Some(p)) = (error, prev_done) {
                    set_done_state(self.bodies.get_mut(p), DoneState::Error);
                }
                self.tracepoint(ev)
            }
            (None, "vb2_qbuf" | "vb2_dqbuf" | "vb2_buf_queue") => {
                self.learn_owner(ev, win.as_deref());
                self.tracepoint(ev)
            }
            _ => self.tracepoint(ev),
        };
        if let Some(b) = self.bodies.get_mut(k) {
            *b = Some(out);
        }
    }

    fn learn_owner(&mut self, ev: &KEv, win: Option<&Win>) -> Option<u64> {
        let owner = tp_field(ev.rec.body, "owner").and_then(parse_pointer);
        if let (Some(o), Some(dev)) = (owner, win.and_then(|w| w.dev)) {
            self.owner_dev.insert(o, dev);
        }
        owner
    }

    /// `vb2_buf_done`: a driver completion, when its device is known.
    fn buf_done(&mut self, ev: &KEv, win: Option<&Win>) -> (Body, Tag) {
        let owner = self.learn_owner(ev, win);
        let body = ev.rec.body;
        let index = tp_field(body, "index").and_then(|s| s.parse::<u32>().ok());
        let ty = tp_field(body, "type").and_then(BufType::parse);
        let dev = win
            .and_then(|w| w.dev)
            .or_else(|| owner.and_then(|o| self.owner_dev.get(&o).copied()))
            .or(self.single_dev.then_some(0));
        let (Some(dev), Some(ty), Some(index)) = (dev, ty, index) else {
            return (self.tracepoint(ev).0, Tag::DoneUnattributed);
        };
        // Older kernels print the flags here; newer ones in vb2_v4l2_buf_done.
        let state = if tp_field(body, "flags").is_some_and(|f| f.contains("ERROR")) {
            DoneState::Error
        } else {
            DoneState::Done
        };
        let action = DriverAction::BufferDone {
            index: Some(index),
            state,
        };
        (Body::Driver { dev, ty, action }, Tag::Done)
    }

    /// The exporter's release of a dma-buf it exported: vb2's allocator drops the reference
    /// the export took (`vb2_*_put(priv)`, inlined there in Debian's builds). When that is the
    /// last reference, the buffer's memory is freed here.
    fn export_release(&mut self, ev: &KEv) -> (Body, Tag) {
        let raw = self.tracepoint(ev).0;
        let Some(p) = Args::parse(ev.rec.body)
            .dbuf
            .and_then(|d| self.exported.remove(&d))
        else {
            return (raw, Tag::Tracepoint);
        };
        self.export_released.insert(ev.rec.tid, p);
        match self.put(p, false) {
            Some((t, true)) => (memop_body(MemopKind::Put, t), Tag::Memop),
            Some((_, false)) => (raw, Tag::RefDrop),
            None => (raw, Tag::Tracepoint),
        }
    }

    /// `dma_buf_get(fd)` by vb2 while queuing a DMABUF buffer whose plane has that fd. vb2
    /// gets each plane's fd in plane order, so where the source did not record a plane's fd
    /// (strace never prints a DMABUF `m.fd`), the first plane not yet filled in takes it.
    fn dmabuf_get(&mut self, k: usize, ev: &KEv, win: Option<&mut Win>) -> (Body, Tag) {
        let raw = self.tracepoint(ev).0;
        let fd = Args::parse(ev.rec.body).fd;
        let mut fill = None;
        let target = win.zip(fd).and_then(|(w, fd)| {
            let nth = w.gets.iter().filter(|&&f| f == fd).count();
            w.gets.push(fd);
            let (dev, ty) = (w.dev?, w.ty?);
            let b = w.buf.as_mut()?;
            if matches!(b.memory, Some(Memory::Mmap | Memory::Userptr)) {
                return None;
            }
            let known = b
                .planes
                .iter()
                .enumerate()
                .filter(|&(_, &m)| m.and_then(|m| i64::try_from(m).ok()) == Some(fd))
                .nth(nth)
                .map(|(p, _)| p as u8);
            let plane = match known {
                Some(p) => p,
                None if b.memory == Some(Memory::Dmabuf) => {
                    let p = (0..b.planes.len())
                        .find(|&p| b.planes[p].is_none() && !b.filled.contains(&(p as u8)))?
                        as u8;
                    b.filled.push(p);
                    fill = Some((b.arg, p, u64::try_from(fd).ok()?));
                    p
                }
                None => return None,
            };
            Some(Target {
                dev,
                ty,
                index: b.index,
                plane,
            })
        });
        if let Some((arg, plane, fd)) = fill {
            self.out.fill_plane_m(arg, plane, fd);
        }
        push_pending(
            self.pending_get.entry(ev.rec.tid).or_default(),
            Pending { k, target, raw },
        );
        match target {
            Some(t) => (memop_body(MemopKind::DmabufGet, t), Tag::Memop),
            None => (raw, Tag::Tracepoint),
        }
    }

    fn dmabuf_get_ret(&mut self, ev: &KEv, win: Option<&mut Win>) {
        let Some(p) = self.pending_get.get_mut(&ev.rec.tid).and_then(|v| v.pop()) else {
            return;
        };
        let ret = Args::parse(ev.rec.body).ret;
        match ret.and_then(valid_ptr) {
            None => self.failed(ev, p, false),
            Some(dbuf) => {
                if let (Some(t), Some(w)) = (p.target, win) {
                    w.got.push((dbuf, t.plane));
                }
            }
        }
    }

    /// `dma_buf_put(dbuf)`: by vb2 when it drops an imported dma-buf it knows.
    fn dmabuf_put(&mut self, ev: &KEv, win: Option<&Win>) -> (Body, Tag) {
        let tid = ev.rec.tid;
        let Some(x) = Args::parse(ev.rec.body).dbuf else {
            return self.tracepoint(ev);
        };
        // The same dma-buf queued again: the reference just taken is dropped.
        let same = win.and_then(|w| {
            let b = w.buf.as_ref()?;
            let &(_, plane) = w.got.iter().find(|g| g.0 == x)?;
            Some(Target {
                dev: w.dev?,
                ty: w.ty?,
                index: b.index,
                plane,
            })
        });
        let target = same.or_else(|| {
            let last = self.last_detach.remove(&tid);
            let pos = self
                .attached
                .iter()
                .position(|&(d, t)| d == x && Some(t) == last)
                .or_else(|| self.attached.iter().position(|&(d, _)| d == x))?;
            Some(self.attached.remove(pos).1)
        });
        match target {
            Some(t) => (memop_body(MemopKind::DmabufPut, t), Tag::Memop),
            None => self.tracepoint(ev),
        }
    }

    /// A call whose return probe says it failed: its entry is kept as a tracepoint.
    pub(super) fn failed(&mut self, ev: &KEv, p: Pending, was_attach: bool) {
        let ret = super::super::ftrace::kprobe_arg(ev.rec.body, "ret").unwrap_or("?");
        if let Some(slot) = self.bodies.get_mut(p.k)
            && matches!(slot, Some((_, Tag::Memop)))
        {
            *slot = Some((p.raw, Tag::Failed));
        }
        if let (true, Some(t)) = (was_attach, p.target) {
            self.attached.retain(|&(_, a)| a != t);
        }
        self.note(
            DiagSeverity::Info,
            ev,
            format!(
                "{} returned {ret}: the call failed, so it holds nothing; kept as a tracepoint",
                ev.rec.name
            ),
        );
    }
}

pub(super) fn memop_body(kind: MemopKind, t: Target) -> Body {
    Body::Memop {
        kind,
        dev: t.dev,
        ty: t.ty,
        index: t.index,
        plane: t.plane,
    }
}

/// A kernel pointer, not NULL and not an `ERR_PTR`.
pub(super) fn valid_ptr(v: i128) -> Option<u64> {
    let p = v as u64;
    (p != 0 && p < 0xffff_ffff_ffff_f001).then_some(p)
}

/// Keeps a few pending entries per thread: captures without return probes never pop them.
pub(super) fn push_pending(v: &mut Vec<Pending>, p: Pending) {
    if v.len() >= 16 {
        v.remove(0);
    }
    v.push(p);
}

fn set_done_state(slot: Option<&mut Option<(Body, Tag)>>, s: DoneState) {
    if let Some(Some((
        Body::Driver {
            action: DriverAction::BufferDone { state, .. },
            ..
        },
        _,
    ))) = slot
    {
        *state = s;
    }
}

/// printk's console text, without the `[    1.234567] ` time prefix older kernels add.
fn console_text(body: &str) -> &str {
    let t = body.trim_end();
    if let Some((ts, msg)) = t.strip_prefix('[').and_then(|r| r.split_once("] "))
        && ts.trim().bytes().all(|c| c.is_ascii_digit() || c == b'.')
    {
        return msg;
    }
    t
}
