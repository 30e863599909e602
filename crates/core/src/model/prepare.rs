//! Preparing a buffer's memory (`__prepare_userptr`, `__prepare_dmabuf`): which plane keeps
//! its pin or attachment, which is re-acquired, and the map that may happen twice.

use super::op::{Handle, PlaneArg, PlaneArgs};
use super::state::{Plane, Resources};
use super::{KMsg, Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::{Errno, MemopKind, Memory};

pub(super) type Refusal = (Errno, Option<KMsg>);

impl Model {
    /// Makes a buffer's planes hold the memory the application passed (`__prepare_userptr`,
    /// `__prepare_dmabuf`), then `buf_prepare` and the cache `prepare`.
    pub(super) fn prepare_planes(
        &mut self,
        qi: Qi,
        index: u32,
        args: &PlaneArgs,
    ) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let memory = q.memory;
        match memory {
            Some(Memory::Userptr) => self.prepare_userptr(qi, index, args)?,
            Some(Memory::Dmabuf) => self.prepare_dmabuf(qi, index, args)?,
            _ => {}
        }
        let at_queue = self.policy.prepare_at_buf_queue();
        let np = self.plane_count(qi, index);
        if !at_queue {
            for p in 0..np {
                self.memop(qi, index, p, MemopKind::Prepare);
            }
        }
        if let Some(b) = self.queues.get_mut(qi).and_then(|q| q.buf_mut(index)) {
            b.prepared = true;
            b.synced = !at_queue;
        }
        Ok(())
    }

    fn prepare_userptr(&mut self, qi: Qi, index: u32, args: &PlaneArgs) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let key = q.key;
        let Some(b) = q.buf(index) else {
            return Err((Errno::EINVAL, None));
        };
        let uid = b.uid;
        let np = b.planes.len();
        if let Err(e) = self.userptr_refusal(qi, index, args) {
            // On error every plane gives its pages back.
            self.unpin_all(qi, index);
            return Err(e);
        }
        for p in 0..np {
            let a = args.get(p).copied().unwrap_or_default();
            let Some(pl) = self.plane(qi, index, p) else {
                continue;
            };
            let length = a.length.unwrap_or(pl.length);
            let (addr, kept, moved) = match a.m {
                Handle::Known(addr) => (
                    addr,
                    pl.inferred.pinned && pl.userptr == addr && pl.length == length,
                    pl.userptr != 0 && (pl.userptr != addr || pl.length != length),
                ),
                // Unrecorded: the same memory unless the kernel was seen pinning anew.
                Handle::Unknown { changed } => {
                    let repinned = changed == Some(true);
                    let kept = pl.inferred.pinned && !repinned;
                    (
                        if kept { pl.userptr } else { 0 },
                        kept,
                        pl.inferred.pinned && repinned,
                    )
                }
            };
            let was_pinned = pl.inferred.pinned;
            let inferred = matches!(a.m, Handle::Unknown { .. });
            if kept {
                if !inferred && self.fds.stale_pins.contains(&(uid, p as u8)) {
                    self.find(
                        RuleId::R18,
                        Some(key),
                        Some(index),
                        Some(p as u8),
                        FindingDetail::State("reused"),
                    );
                }
                if let Some(pl) = self.plane_mut(qi, index, p) {
                    pl.handle_inferred = inferred;
                }
                continue;
            }
            if moved {
                self.find(
                    RuleId::R16,
                    Some(key),
                    Some(index),
                    Some(p as u8),
                    FindingDetail::Reassociated { dmabuf: false },
                );
                self.decoder_capture_moved(qi, index, p as u8);
                self.msg(qi, KMsg::UserptrChanged(p as u8));
            }
            if was_pinned {
                self.memop(qi, index, p, MemopKind::PutUserptr);
            }
            self.memop(qi, index, p, MemopKind::GetUserptr);
            self.fds.stale_pins.retain(|&x| x != (uid, p as u8));
            if let Some(pl) = self.plane_mut(qi, index, p) {
                pl.userptr = addr;
                pl.length = length;
                pl.inferred.pinned = true;
                pl.handle_inferred = inferred;
            }
        }
        Ok(())
    }

    /// Whether `__prepare_userptr` refuses the planes, before anything changes. What the
    /// trace did not record cannot be refused. A short plane is vb2's EINVAL; address 0 is
    /// the allocator's pin failing.
    fn userptr_refusal(&self, qi: Qi, index: u32, args: &PlaneArgs) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let min = self.min_plane_length(q);
        let Some(b) = q.buf(index) else {
            return Err((Errno::EINVAL, None));
        };
        for p in 0..b.planes.len() {
            let a = args.get(p).copied().unwrap_or_default();
            if a.length.is_some_and(|l| l < min) {
                return Err((Errno::EINVAL, None));
            }
            if a.m == Handle::Known(0) {
                return Err((self.policy.bad_userptr_errno(), None));
            }
        }
        Ok(())
    }

    /// Whether vb2's preparation of the planes (`__prepare_userptr`, `__prepare_dmabuf`)
    /// refuses them: what [`Model::prepare_planes`] answers, asked without changing anything.
    /// Every refusal comes before the first change.
    pub(super) fn prepare_refusal(
        &self,
        qi: Qi,
        index: u32,
        args: &PlaneArgs,
    ) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        match q.memory {
            Some(Memory::Userptr) => self.userptr_refusal(qi, index, args),
            Some(Memory::Dmabuf) => self.dmabuf_refusal(qi, index, args),
            _ => Ok(()),
        }
    }

    /// The shortest plane `__prepare_*` accepts: the queue's size, unless the trace never
    /// told it; a guessed size cannot refuse what the kernel took.
    fn min_plane_length(&self, q: &super::Queue) -> u32 {
        if q.size_known || !self.lenient {
            q.plane_size
        } else {
            0
        }
    }

    pub(super) fn unpin_all(&mut self, qi: Qi, index: u32) {
        self.release_planes(qi, index, MemopKind::PutUserptr, |r| &mut r.pinned);
    }

    /// Gives back one kind of resource on every plane of a buffer that holds it.
    fn release_planes(
        &mut self,
        qi: Qi,
        index: u32,
        memop: MemopKind,
        held: fn(&mut Resources) -> &mut bool,
    ) {
        for p in 0..self.plane_count(qi, index) {
            let was = self
                .plane_mut(qi, index, p)
                .is_some_and(|pl| std::mem::replace(held(&mut pl.inferred), false));
            if was {
                self.memop(qi, index, p, memop);
            }
        }
    }

    /// How many planes buffer `index` has (0 when there is no such buffer).
    pub(super) fn plane_count(&self, qi: Qi, index: u32) -> usize {
        self.queues
            .get(qi)
            .and_then(|q| q.buf(index))
            .map(|b| b.planes.len())
            .unwrap_or(0)
    }

    fn prepare_dmabuf(&mut self, qi: Qi, index: u32, args: &PlaneArgs) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let key = q.key;
        let setup = q.plane_size;
        let min = self.min_plane_length(q);
        let np = q.buf(index).map(|b| b.planes.len()).unwrap_or(0);
        // dma_buf_get() for every plane, and the length checks.
        let mut new = [(0u32, 0u32, 0i32); crate::v4l2::MAX_PLANES];
        let mut inferred = [false; crate::v4l2::MAX_PLANES];
        self.dmabuf_refusal(qi, index, args)?;
        for p in 0..np {
            let a = args.get(p).copied().unwrap_or_default();
            let (id, fd) = match a.m {
                Handle::Known(m) => {
                    let fd = i32::try_from(m).unwrap_or(-1);
                    let Some(id) = self.dmabuf_of_fd(fd) else {
                        return Err((Errno::EINVAL, Some(KMsg::InvalidDmabufFd(p as u8))));
                    };
                    (id, fd)
                }
                Handle::Unknown { changed } => {
                    if let Some(slot) = inferred.get_mut(p) {
                        *slot = true;
                    }
                    self.unrecorded_dmabuf(qi, index, p, changed)
                }
            };
            let size = self.fds.dmabuf(id).map(|d| d.size).unwrap_or(0);
            let len = dmabuf_plane_length(a, size, setup, min)?;
            if let Some(slot) = new.get_mut(p) {
                *slot = (id, len, fd);
            }
        }
        let mut planes = [(None, 0u32, 0i32, Resources::default()); crate::v4l2::MAX_PLANES];
        for (p, slot) in planes.iter_mut().enumerate().take(np) {
            if let Some(pl) = self.plane(qi, index, p) {
                *slot = (pl.dbuf, pl.length, pl.fd, pl.inferred);
            }
        }
        let changed = |p: usize| -> bool {
            match (planes.get(p), new.get(p)) {
                (Some(&(dbuf, len, _, res)), Some(&(id, nlen, _))) => {
                    !res.attached || dbuf != Some(id) || len != nlen
                }
                _ => true,
            }
        };
        let any_changed = (0..np).any(changed);
        for p in 0..np {
            let (Some(&(dbuf, _, fd, res)), Some(&(id, _, nfd))) = (planes.get(p), new.get(p))
            else {
                continue;
            };
            if res.attached && dbuf.is_some() && dbuf != Some(id) {
                self.find(
                    RuleId::R16,
                    Some(key),
                    Some(index),
                    Some(p as u8),
                    FindingDetail::Reassociated { dmabuf: true },
                );
                self.decoder_capture_moved(qi, index, p as u8);
                self.msg(qi, KMsg::DmabufChanged(p as u8));
            } else if res.attached && dbuf == Some(id) && fd != nfd {
                self.find(
                    RuleId::R17,
                    Some(key),
                    Some(index),
                    Some(p as u8),
                    FindingDetail::FdChanged { old: fd, new: nfd },
                );
            }
        }
        let all = self.policy.reacquire_all_planes();
        for p in 0..np {
            let Some(&(id, len, fd)) = new.get(p) else {
                continue;
            };
            let replace = if all { any_changed } else { changed(p) };
            self.memop(qi, index, p, MemopKind::DmabufGet);
            if !replace {
                // Same dma-buf: only the extra reference is taken and dropped.
                self.memop(qi, index, p, MemopKind::DmabufPut);
                if let Some(pl) = self.plane_mut(qi, index, p) {
                    pl.fd = fd;
                    pl.handle_inferred = inferred.get(p).copied().unwrap_or(false);
                }
                continue;
            }
            self.release_dmabuf_plane(qi, index, p);
            self.memop(qi, index, p, MemopKind::AttachDmabuf);
            if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
                d.vb2_refs += 1;
            }
            if let Some(pl) = self.plane_mut(qi, index, p) {
                pl.dbuf = Some(id);
                pl.length = len;
                pl.fd = fd;
                pl.inferred.attached = true;
                pl.handle_inferred = inferred.get(p).copied().unwrap_or(false);
            }
        }
        // map_dmabuf: old cores call it on every plane; later ones only on unmapped planes.
        let always = self.policy.map_unconditionally();
        for p in 0..np {
            let mapped = self
                .plane(qi, index, p)
                .is_some_and(|pl| pl.inferred.mapped);
            if mapped && !always {
                continue;
            }
            self.memop(qi, index, p, MemopKind::MapDmabuf);
            if mapped {
                // dma-contig: WARN_ON(buf->dma_sgt), "dmabuf buffer is already pinned", returns 0.
                self.find(
                    RuleId::R05,
                    Some(key),
                    Some(index),
                    Some(p as u8),
                    FindingDetail::None,
                );
                self.msg(qi, KMsg::AlreadyPinned);
            }
            if let Some(pl) = self.plane_mut(qi, index, p) {
                pl.inferred.mapped = true;
            }
        }
        Ok(())
    }

    /// Whether `__prepare_dmabuf` refuses the planes, before anything changes: an fd that
    /// is no dma-buf, a length too short or past the dma-buf. An fd the model does not know,
    /// in a lenient replay, and memory the trace did not name, are dma-bufs of unknown size.
    fn dmabuf_refusal(&self, qi: Qi, index: u32, args: &PlaneArgs) -> Result<(), Refusal> {
        let Some(q) = self.queues.get(qi) else {
            return Err((Errno::EINVAL, None));
        };
        let (setup, min) = (q.plane_size, self.min_plane_length(q));
        let np = q.buf(index).map(|b| b.planes.len()).unwrap_or(0);
        for p in 0..np {
            let a = args.get(p).copied().unwrap_or_default();
            let size = match a.m {
                Handle::Known(m) => {
                    let fd = i32::try_from(m).unwrap_or(-1);
                    match self.fds.get(fd) {
                        super::files::FdObj::Dmabuf(id) => {
                            self.fds.dmabuf(id).map(|d| d.size).unwrap_or(0)
                        }
                        super::files::FdObj::Free if self.lenient && self.fds.settable(fd) => {
                            u64::MAX
                        }
                        _ => return Err((Errno::EINVAL, Some(KMsg::InvalidDmabufFd(p as u8)))),
                    }
                }
                Handle::Unknown { changed } => self
                    .plane(qi, index, p)
                    .filter(|pl| pl.inferred.attached && changed != Some(true))
                    .and_then(|pl| pl.dbuf)
                    .map_or(u64::MAX, |id| {
                        self.fds.dmabuf(id).map(|d| d.size).unwrap_or(0)
                    }),
            };
            dmabuf_plane_length(a, size, setup, min)?;
        }
        Ok(())
    }

    /// The dma-buf a plane was given when the trace did not record its fd: the one it holds,
    /// unless the kernel was seen attaching anew or it holds none; then a dma-buf the model
    /// knows only by this use, held by an fd it never sees closed.
    fn unrecorded_dmabuf(
        &mut self,
        qi: Qi,
        index: u32,
        p: usize,
        changed: Option<bool>,
    ) -> (super::DmabufId, i32) {
        let held = self
            .plane(qi, index, p)
            .filter(|pl| pl.inferred.attached && changed != Some(true))
            .and_then(|pl| Some((pl.dbuf?, pl.fd)));
        if let Some(h) = held {
            return h;
        }
        let id = self.fds.new_dmabuf(u64::MAX, None);
        if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
            d.fds = 1;
        }
        (id, -1)
    }

    /// `__vb2_plane_dmabuf_put`: unmap if mapped, detach, drop the reference.
    fn release_dmabuf_plane(&mut self, qi: Qi, index: u32, p: usize) {
        let Some(pl) = self.plane(qi, index, p) else {
            return;
        };
        let (res, dbuf) = (pl.inferred, pl.dbuf);
        if res.mapped {
            self.memop(qi, index, p, MemopKind::UnmapDmabuf);
        }
        if res.attached {
            self.memop(qi, index, p, MemopKind::DetachDmabuf);
            self.memop(qi, index, p, MemopKind::DmabufPut);
        }
        if let Some(pl) = self.plane_mut(qi, index, p) {
            pl.inferred.mapped = false;
            pl.inferred.attached = false;
            pl.dbuf = None;
        }
        if let (true, Some(id)) = (res.attached, dbuf) {
            self.dmabuf_unref(id);
        }
    }

    /// Unmaps every mapped DMABUF plane of a buffer (3.8 `__vb2_dqbuf`; the spec's unlock).
    pub(super) fn unmap_buffer(&mut self, qi: Qi, index: u32) {
        self.release_planes(qi, index, MemopKind::UnmapDmabuf, |r| &mut r.mapped);
    }

    pub(super) fn plane(&self, qi: Qi, index: u32, p: usize) -> Option<&Plane> {
        self.queues.get(qi)?.buf(index)?.planes.get(p)
    }
    pub(super) fn plane_mut(&mut self, qi: Qi, index: u32, p: usize) -> Option<&mut Plane> {
        self.queues.get_mut(qi)?.buf_mut(index)?.planes.get_mut(p)
    }
}

/// The length a DMABUF plane takes (0 or unrecorded: the dma-buf's size, or the queue's when
/// that is unknown), refused when shorter than `min` or past the dma-buf.
fn dmabuf_plane_length(a: PlaneArg, size: u64, setup: u32, min: u32) -> Result<u32, Refusal> {
    let len = match a.length {
        Some(0) | None if size == u64::MAX => setup,
        Some(0) | None => u32::try_from(size).unwrap_or(u32::MAX),
        Some(l) => l,
    };
    if len < min || (size != u64::MAX && u64::from(len) > size) {
        return Err((Errno::EINVAL, None));
    }
    Ok(len)
}
