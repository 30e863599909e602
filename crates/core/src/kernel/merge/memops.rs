//! Attributing an allocator memop to a buffer plane, in order of certainty:
//! 1. the probe fetched `vb->index` and `vb->type` itself (our definitions);
//! 2. `priv` was returned by (or given to) an earlier memop of a known plane: the
//!    allocator's own identity of the memory, whichever syscall the event is placed in;
//! 3. the syscall names the buffer it allocates, maps, exports or queues;
//! 4. `vb` was seen for a known buffer;
//! 5. within a QBUF/PREPARE_BUF/DQBUF, the n-th call of a kind is plane n.
//!
//! Otherwise the memop is left unattributed, with the reasons.

use crate::format::DiagSeverity;
use crate::trace::Body;
use crate::v4l2::{MAX_PLANES, MemopKind, Memory};

use super::KEv;
use super::resolve::{
    Args, Pending, PrivInfo, Resolver, Tag, Target, buf_type, memop_body, push_pending, valid_ptr,
};
use super::window::{Win, kind_index};

/// Memops that have a return probe.
fn returns(k: MemopKind) -> bool {
    matches!(
        k,
        MemopKind::Alloc | MemopKind::GetUserptr | MemopKind::AttachDmabuf | MemopKind::MapDmabuf
    )
}

impl Resolver<'_> {
    pub(super) fn memop(
        &mut self,
        k: usize,
        ev: &KEv,
        kind: MemopKind,
        win: Option<&mut Win>,
    ) -> (Body, Tag) {
        let mut a = Args::parse(ev.rec.body);
        let tid = ev.rec.tid;
        // A memop that does not take its buffer is about the one vb2 last named on this
        // thread (__vb2_buf_mem_alloc, __prepare_userptr, __prepare_dmabuf).
        if a.vb.is_none()
            && matches!(
                kind,
                MemopKind::Alloc | MemopKind::GetUserptr | MemopKind::AttachDmabuf
            )
            && let Some(c) = self.context.get(&tid)
        {
            a.vb = c.vb;
            a.q = c.q;
            a.index = c.index;
            a.ty = c.ty;
        }
        let raw = self.tracepoint(ev).0;
        // This call's rank among the window's calls of its kind.
        let nth = win
            .as_ref()
            .and_then(|w| w.seen.get(kind_index(kind)).copied())
            .unwrap_or(0);
        let win = win.map(|w| {
            if let Some(n) = w.seen.get_mut(kind_index(kind)) {
                *n += 1;
            }
            &*w
        });
        if kind == MemopKind::Alloc {
            self.alloc_run = match (self.alloc_run, a.vb) {
                (Some((v, n)), Some(vb)) if v == vb => Some((vb, n.saturating_add(1))),
                (_, vb) => vb.map(|vb| (vb, 0)),
            };
        }
        if kind == MemopKind::Put {
            // The put an exporter's release makes, when it is not inlined: counted there.
            if let Some(p) = a.priv_
                && self.export_released.get(&tid) == Some(&p)
            {
                self.export_released.remove(&tid);
                return (raw, Tag::RefDrop);
            }
            let frees = win.is_some_and(|w| w.frees);
            return match a.priv_.and_then(|p| self.put(p, frees)) {
                Some((t, true)) => (memop_body(kind, t), Tag::Memop),
                Some((_, false)) => (raw, Tag::RefDrop),
                None => {
                    self.unresolved(ev, &a, win);
                    (raw, Tag::Unresolved)
                }
            };
        }
        let target = match self.attribute(kind, &a, win, nth) {
            Ok(t) => Some(t),
            Err(Some(why)) => {
                let msg = format!(
                    "{} not attributed to a buffer: {why}; kept as a tracepoint",
                    ev.rec.name
                );
                self.note(DiagSeverity::Warning, ev, msg);
                None
            }
            Err(None) => {
                self.unresolved(ev, &a, win);
                None
            }
        };
        if returns(kind) {
            let v = self.pending.entry((tid, kind)).or_default();
            push_pending(v, Pending { k, target, raw });
        }
        let Some(t) = target else {
            return (raw, Tag::Unresolved);
        };
        if kind == MemopKind::GetDmabuf
            && let Some(p) = a.priv_
        {
            self.exporting.insert(tid, p);
        }
        self.learn(kind, &a, t, tid);
        (memop_body(kind, t), Tag::Memop)
    }

    /// Steps 1 to 5 of the module comment. `Err(Some(why))` when the probe named its buffer
    /// but its device or plane is unknown.
    fn attribute(
        &mut self,
        kind: MemopKind,
        a: &Args,
        win: Option<&Win>,
        nth: u32,
    ) -> Result<Target, Option<String>> {
        if let (Some(index), Some(raw)) = (a.index, a.ty) {
            let ty = buf_type(raw).ok_or(Some(format!("type {raw} is not a video buffer type")))?;
            let dev = self.dev_of(a.q, win).ok_or_else(|| {
                let q = a.q.map(|q| format!(" {q:#x}")).unwrap_or_default();
                Some(format!(
                    "no syscall or earlier event tells the device of queue{q}"
                ))
            })?;
            let plane = self.plane_of(kind, a, win, ty, index, nth).ok_or(Some(
                "which plane of the multi-planar buffer is not known".into(),
            ))?;
            return Ok(Target {
                dev,
                ty,
                index,
                plane,
            });
        }
        if let Some(info) = a.priv_.and_then(|p| self.privs.get(&p)) {
            return Ok(info.target);
        }
        if let Some(t) = win.and_then(|w| self.in_window(kind, a, w, nth)) {
            return Ok(t);
        }
        if let Some(&(dev, ty, index)) = a.vb.and_then(|vb| self.vb_buf.get(&vb))
            && let Some(plane) = self.plane_of(kind, a, win, ty, index, nth)
        {
            return Ok(Target {
                dev,
                ty,
                index,
                plane,
            });
        }
        if let Some(t) = win.and_then(|w| in_buffer(kind, a, w, nth)) {
            return Ok(t);
        }
        Err(None)
    }

    /// The device of a queue: what an earlier event told of `q` (the vb2 core probes of
    /// REQBUFS and the like, in the very call that names the fd), else the syscall's video fd,
    /// else the only device of the trace. A memop's `q` outranks the call it was placed in: a
    /// queue's memory is used through other calls too (an exported buffer mmapped through its
    /// dma-buf fd, or a neighbouring call on another device when the clocks jitter).
    fn dev_of(&mut self, q: Option<u64>, win: Option<&Win>) -> Option<u16> {
        if let Some(d) = q.and_then(|q| self.q_dev.get(&q).copied()) {
            return Some(d);
        }
        if let Some(d) = win.and_then(|w| w.dev) {
            if let Some(q) = q {
                self.q_dev.insert(q, d);
            }
            return Some(d);
        }
        self.single_dev.then_some(0)
    }

    fn plane_of(
        &self,
        kind: MemopKind,
        a: &Args,
        win: Option<&Win>,
        ty: crate::v4l2::BufType,
        index: u32,
        nth: u32,
    ) -> Option<u8> {
        if !ty.is_mplane() {
            return Some(0);
        }
        match kind {
            MemopKind::Alloc => self.alloc_run.map(|r| r.1),
            MemopKind::GetDmabuf => a
                .priv_
                .and_then(|p| self.privs.get(&p))
                .map(|i| i.target.plane)
                .or_else(|| {
                    let (i, p) = win?.expbuf?;
                    (i == index).then_some(p)
                }),
            _ => {
                let w = win?;
                let t = in_buffer(kind, a, w, nth)?;
                (t.index == index).then_some(t.plane)
            }
        }
    }

    /// Step 3: what the syscall itself says.
    fn in_window(&self, kind: MemopKind, a: &Args, w: &Win, nth: u32) -> Option<Target> {
        let dev = w.dev?;
        match kind {
            MemopKind::Alloc => {
                let (first, granted) = w.alloc?;
                let total = *w.total.get(kind_index(kind))?;
                if granted == 0 || total % granted != 0 {
                    return None;
                }
                let planes = total / granted;
                if planes == 0 || planes as usize > MAX_PLANES {
                    return None;
                }
                Some(Target {
                    dev,
                    ty: w.ty?,
                    index: first?.checked_add(nth / planes)?,
                    plane: (nth % planes) as u8,
                })
            }
            MemopKind::Mmap => {
                let &(ty, index, plane) = self.offsets.get(&(dev, w.mmap_offset?))?;
                Some(Target {
                    dev,
                    ty,
                    index,
                    plane,
                })
            }
            MemopKind::GetDmabuf => {
                let (index, plane) = w.expbuf?;
                Some(Target {
                    dev,
                    ty: w.ty?,
                    index,
                    plane,
                })
            }
            MemopKind::GetUserptr | MemopKind::AttachDmabuf => in_buffer(kind, a, w, nth),
            _ => None,
        }
    }

    /// What an attributed memop tells about pointers.
    fn learn(&mut self, kind: MemopKind, a: &Args, t: Target, tid: u32) {
        let buf = (t.dev, t.ty, t.index);
        match kind {
            MemopKind::Alloc | MemopKind::GetUserptr => {
                if let Some(vb) = a.vb {
                    self.vb_buf.insert(vb, buf);
                }
            }
            MemopKind::AttachDmabuf => {
                if let Some(vb) = a.vb {
                    self.vb_buf.insert(vb, buf);
                }
                if let Some(d) = a.dbuf {
                    self.attached.retain(|&(_, x)| x != t);
                    self.attached.push((d, t));
                }
            }
            MemopKind::GetDmabuf | MemopKind::Mmap => {
                // A new user of the buffer: the export, or the mapping.
                if let Some(vb) = a.vb {
                    self.vb_buf.insert(vb, buf);
                }
                if let Some(p) = a.priv_ {
                    let e = self.privs.entry(p).or_insert(PrivInfo {
                        target: t,
                        core_holds: true,
                        users: 0,
                    });
                    if e.target != t {
                        *e = PrivInfo {
                            target: t,
                            core_holds: true,
                            users: 0,
                        };
                    }
                    e.users = e.users.saturating_add(1);
                }
            }
            MemopKind::PutUserptr => {
                if let Some(p) = a.priv_ {
                    self.privs.remove(&p);
                }
            }
            MemopKind::DetachDmabuf => {
                if let Some(p) = a.priv_ {
                    self.privs.remove(&p);
                }
                self.last_detach.insert(tid, t);
            }
            _ => {}
        }
    }

    /// An allocator `put(priv)`: `Some((plane, true))` when it is vb2 freeing the buffer (the
    /// core's put) or the last user letting go of an orphan, `false` for a reference drop.
    pub(super) fn put(&mut self, p: u64, frees: bool) -> Option<(Target, bool)> {
        let info = self.privs.get_mut(&p)?;
        let freed = if info.core_holds && (frees || info.users == 0) {
            info.core_holds = false;
            true
        } else if info.users > 0 {
            info.users -= 1;
            !info.core_holds && info.users == 0
        } else {
            true
        };
        let t = info.target;
        if !info.core_holds && info.users == 0 {
            self.privs.remove(&p);
        }
        Some((t, freed))
    }

    /// A return probe: learn `priv`, or note the failure.
    pub(super) fn mem_ret(&mut self, ev: &KEv, kind: MemopKind) {
        let Some(p) = self
            .pending
            .get_mut(&(ev.rec.tid, kind))
            .and_then(|v| v.pop())
        else {
            return;
        };
        let Some(ret) = Args::parse(ev.rec.body).ret else {
            return;
        };
        if kind == MemopKind::MapDmabuf {
            // An int: 0 or -errno (printed as s32, or as a wider hex).
            if (ret as i64) as i32 != 0 {
                self.failed(ev, p, false);
            }
            return;
        }
        match valid_ptr(ret) {
            None => self.failed(ev, p, kind == MemopKind::AttachDmabuf),
            Some(priv_) => {
                if let Some(target) = p.target {
                    let info = PrivInfo {
                        target,
                        core_holds: kind == MemopKind::Alloc,
                        users: 0,
                    };
                    self.privs.insert(priv_, info);
                }
            }
        }
    }

    fn unresolved(&mut self, ev: &KEv, a: &Args, win: Option<&Win>) {
        let mut why = Vec::new();
        match win {
            None => why.push(format!(
                "it is outside the recorded syscalls (thread {})",
                ev.rec.tid
            )),
            Some(_) => why.push("the syscall it happened in does not tell the buffer".into()),
        }
        if let Some(p) = a.priv_ {
            why.push(format!("no earlier event tells the buffer of priv {p:#x}"));
        } else if let Some(vb) = a.vb {
            why.push(format!("no earlier event tells the buffer of vb {vb:#x}"));
        }
        let msg = format!(
            "{} not attributed to a buffer: {}; kept as a tracepoint",
            ev.rec.name,
            why.join("; ")
        );
        self.note(DiagSeverity::Warning, ev, msg);
    }
}

/// Step 5: the buffer a QBUF, PREPARE_BUF or DQBUF works on, for the memops vb2 calls there
/// on that memory type. A multi-planar buffer's plane comes from the user address or the
/// dma-buf, else from the call's rank when every plane had one.
fn in_buffer(kind: MemopKind, a: &Args, w: &Win, nth: u32) -> Option<Target> {
    use MemopKind as K;
    let b = w.buf.as_ref()?;
    let plausible = match b.memory {
        Some(Memory::Mmap) => matches!(kind, K::Prepare | K::Finish),
        Some(Memory::Userptr) => {
            matches!(kind, K::GetUserptr | K::PutUserptr | K::Prepare | K::Finish)
        }
        Some(Memory::Dmabuf) => matches!(
            kind,
            K::AttachDmabuf
                | K::DetachDmabuf
                | K::MapDmabuf
                | K::UnmapDmabuf
                | K::Prepare
                | K::Finish
        ),
        None => !matches!(kind, K::Alloc | K::Put | K::GetDmabuf | K::Mmap),
    };
    if !plausible {
        return None;
    }
    let ty = w.ty?;
    let n = w.planes();
    let plane = if !ty.is_mplane() || n == 1 {
        0
    } else {
        let by_value = match kind {
            K::GetUserptr => a
                .vaddr
                .and_then(|v| b.planes.iter().position(|&m| m == Some(v))),
            K::AttachDmabuf => a
                .dbuf
                .and_then(|d| w.got.iter().find(|g| g.0 == d).map(|g| usize::from(g.1))),
            _ => None,
        };
        match by_value {
            Some(p) => p,
            None if w.total.get(kind_index(kind)).copied() == Some(n as u32) => nth as usize,
            None => return None,
        }
    };
    Some(Target {
        dev: w.dev?,
        ty,
        index: b.index,
        plane: u8::try_from(plane).ok()?,
    })
}
