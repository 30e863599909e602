//! File descriptors, file handles, dma-bufs and memory mappings: the process side of the
//! model (open/close/dup, dma-buf lifetime, mmap/munmap).

use super::state::DmabufId;
use super::{KMsg, Model, Qi};
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::QueueKey;
use crate::v4l2::{BufType, Errno, MemopKind, Outcome};

/// What an fd number refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum FdObj {
    #[default]
    Free,
    /// A video device file handle.
    Video(u32),
    Dmabuf(DmabufId),
    /// A media request (its index in `Model::requests`).
    Request(u32),
}

/// A dma-buf object.
#[derive(Clone, Debug)]
pub(super) struct Dmabuf {
    /// `u64::MAX`: unknown.
    pub size: u64,
    pub fds: u32,
    /// References vb2 holds (one per attached plane).
    pub vb2_refs: u32,
    /// The MMAP plane that exported it: (buffer uid, plane).
    pub exporter: Option<(u32, u8)>,
    /// The exporter's plane still counts this dma-buf among its users; dropped when the
    /// dma-buf dies, taken again if the trace shows it alive after all.
    pub export_held: bool,
    /// Where it was exported from: queue, buffer index, plane.
    pub exported_from: Option<(QueueKey, u32, u8)>,
    /// Its inode, the same through every fd and process (0: unknown).
    pub ino: u64,
    /// The trace's label for it (a `Sym` of the trace).
    pub name: Option<u32>,
}

impl Dmabuf {
    fn view(&self, id: DmabufId) -> DmabufView {
        DmabufView {
            id,
            size: (self.size != u64::MAX).then_some(self.size),
            ino: (self.ino != 0).then_some(self.ino),
            name: self.name,
            exported_from: self.exported_from,
            fds: self.fds,
            vb2_refs: self.vb2_refs,
        }
    }
}

/// What a `dmabuf` event says of the dma-buf an fd refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmabufIdent {
    /// `u64::MAX`: unknown.
    pub size: u64,
    /// 0: unknown.
    pub ino: u64,
    pub name: Option<u32>,
}

/// What the model knows of one dma-buf, for views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmabufView {
    pub id: DmabufId,
    pub size: Option<u64>,
    pub ino: Option<u64>,
    /// The trace's label (a `Sym` of the trace).
    pub name: Option<u32>,
    pub exported_from: Option<(QueueKey, u32, u8)>,
    /// fds referring to it now, and planes vb2 attached it to.
    pub fds: u32,
    pub vb2_refs: u32,
}

/// A live mmap(): of a vb2 MMAP plane (`uid`), or of user memory (`uid == None`).
#[derive(Clone, Debug)]
pub(super) struct Mapping {
    pub addr: u64,
    pub len: u64,
    pub target: Option<(u32, u8)>,
}

/// MMAP memory freed by vb2 while still mmapped or exported ("orphaned").
#[derive(Clone, Debug)]
pub(super) struct Orphan {
    pub key: QueueKey,
    pub index: u32,
    pub uid: u32,
    pub plane: u8,
    pub users: u32,
}

/// The process's fd table and the objects behind it.
#[derive(Clone, Debug, Default)]
pub(super) struct FdTable {
    pub fds: Vec<FdObj>,
    pub fhs: super::handles::Handles,
    pub dmabufs: Vec<Dmabuf>,
    /// dma-bufs by inode, for those whose inode the trace gave.
    pub by_ino: std::collections::HashMap<u64, DmabufId>,
    /// Every dma-buf made, and every change to one's size, inode, name or export, in order:
    /// a view brings what it shows up to date from the changes since it last looked.
    pub ident_changes: Vec<DmabufId>,
    pub maps: Vec<Mapping>,
    pub orphans: Vec<Orphan>,
    /// USERPTR planes whose memory was unmapped while pinned: (uid, plane).
    pub stale_pins: Vec<(u32, u8)>,
}

/// fd numbers above this are refused rather than grown into.
const MAX_FD: i32 = 1 << 20;

impl FdTable {
    pub fn get(&self, fd: i32) -> FdObj {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .copied()
            .unwrap_or_default()
    }
    /// Whether `fd` can be given an object ([`FdTable::set`] refuses the others).
    pub fn settable(&self, fd: i32) -> bool {
        (0..MAX_FD).contains(&fd)
    }
    pub fn set(&mut self, fd: i32, obj: FdObj) -> bool {
        if !self.settable(fd) {
            return false;
        }
        let i = fd as usize;
        if self.fds.len() <= i {
            self.fds.resize(i + 1, FdObj::Free);
        }
        if let Some(slot) = self.fds.get_mut(i) {
            *slot = obj;
        }
        true
    }
    pub fn new_dmabuf(&mut self, size: u64, exporter: Option<(u32, u8)>) -> DmabufId {
        self.dmabufs.push(Dmabuf {
            size,
            fds: 0,
            vb2_refs: 0,
            exporter,
            export_held: exporter.is_some(),
            exported_from: None,
            ino: 0,
            name: None,
        });
        let id = (self.dmabufs.len() - 1) as DmabufId;
        self.ident_changes.push(id);
        id
    }
    pub fn dmabuf(&self, id: DmabufId) -> Option<&Dmabuf> {
        self.dmabufs.get(id as usize)
    }
}

impl Model {
    /// The file handle behind a video fd; lenient mode opens one on device 0.
    pub(super) fn fh_of(&mut self, fd: i32) -> Option<u32> {
        match self.fds.get(fd) {
            FdObj::Video(fh) => Some(fh),
            FdObj::Free if self.lenient => {
                let fh = self.fds.fhs.open(0);
                self.fds.set(fd, FdObj::Video(fh)).then_some(fh)
            }
            _ => None,
        }
    }

    /// The queue a video ioctl on `fd` for buffer type `ty` addresses, and the file handle.
    pub(super) fn target(&mut self, fd: i32, ty: BufType) -> Result<(Qi, u32), Errno> {
        let fh = self.fh_of(fd).ok_or(Errno::EBADF)?;
        let dev = self.fds.fhs.dev(fh).unwrap_or(0);
        Ok((self.queue_index(QueueKey { dev, ty }), fh))
    }

    /// The device of video fd `fd`, if it is one.
    pub(super) fn dev_of(&self, fd: i32) -> Option<u16> {
        match self.fds.get(fd) {
            FdObj::Video(fh) => self.fds.fhs.dev(fh),
            _ => None,
        }
    }

    /// `vb2_queue_is_busy`: the queue has an owner and it is not `fh`. Reports R20.
    pub(super) fn busy(&mut self, qi: Qi, fh: u32) -> bool {
        let Some(q) = self.queues.get(qi) else {
            return false;
        };
        // An owner whose fds are all closed lives on in its mmaps until its process exits,
        // which no source shows: another handle's call the kernel took says it is gone.
        if let Some(o) = q.owner
            && o != fh
            && self.forced_ok
            && self.fds.fhs.held_only_by_mmaps(o)
        {
            self.fds.fhs.set_held_by_mmaps(o, false);
            self.release_fh(o);
        }
        let Some(q) = self.queues.get(qi) else {
            return false;
        };
        let busy = q.owner.is_some_and(|o| o != fh);
        if busy {
            let key = q.key;
            self.find(RuleId::R20, Some(key), None, None, FindingDetail::None);
        }
        busy
    }

    pub(super) fn open(&mut self, fd: i32, dev: u16, forced: Option<Outcome>) -> Outcome {
        let r = self.decide("open", None, Ok(()), forced);
        if r.is_ok() {
            let fh = self.fds.fhs.open(dev);
            self.fds.set(fd, FdObj::Video(fh));
        }
        r
    }

    pub(super) fn dup(&mut self, fd: i32, new_fd: i32, forced: Option<Outcome>) -> Outcome {
        let obj = self.fds.get(fd);
        let pred = if obj == FdObj::Free && !self.lenient {
            Err((Errno::EBADF, None))
        } else {
            Ok(())
        };
        let r = self.decide("dup", None, pred, forced);
        if r.is_ok() {
            // Closing whatever new_fd referred to first, as dup2() does.
            if self.fds.get(new_fd) != FdObj::Free {
                let _ = self.close(new_fd, None);
            }
            match obj {
                FdObj::Video(fh) => self.fds.fhs.add_ref(fh),
                FdObj::Dmabuf(id) => {
                    if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
                        d.fds += 1;
                    }
                }
                FdObj::Request(id) => {
                    if let Some(r) = self.requests.get_mut(id as usize) {
                        r.fds += 1;
                    }
                }
                FdObj::Free => {}
            }
            self.fds.set(new_fd, obj);
        }
        r
    }

    /// A `dmabuf` event: `fd` refers to the dma-buf `ident` describes. The trace's word on
    /// identity wins: an inode already known is that dma-buf (an fd received from another
    /// process), whatever the fd number; on an fd that refers to a dma-buf of no known inode
    /// (an EXPBUF's, described just after it) it names that one.
    pub(super) fn dmabuf_ref(
        &mut self,
        fd: i32,
        ident: DmabufIdent,
        forced: Option<Outcome>,
    ) -> Outcome {
        self.decide("dmabuf", None, Ok(()), forced)?;
        let current = match self.fds.get(fd) {
            FdObj::Dmabuf(id) => Some(id),
            _ => None,
        };
        let known = (ident.ino != 0)
            .then(|| self.fds.by_ino.get(&ident.ino).copied())
            .flatten();
        let cur_ino = current.and_then(|c| self.fds.dmabuf(c)).map(|d| d.ino);
        // Without an inode, or with this one's (or one it had none of, known nowhere else),
        // the line describes the dma-buf the fd refers to: an EXPBUF's, just made.
        if let Some(cur) = current
            && (ident.ino == 0
                || cur_ino == Some(ident.ino)
                || (cur_ino == Some(0) && known.is_none()))
        {
            self.describe_dmabuf(cur, ident);
            return Ok(());
        }
        // The number was reused without a close the trace shows.
        if self.fds.get(fd) != FdObj::Free {
            let _ = self.close(fd, None);
        }
        let id = match known {
            Some(id) => {
                self.dmabuf_revive(id);
                id
            }
            None => self.fds.new_dmabuf(u64::MAX, None),
        };
        self.describe_dmabuf(id, ident);
        if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
            d.fds += 1;
        }
        self.fds.set(fd, FdObj::Dmabuf(id));
        Ok(())
    }

    fn describe_dmabuf(&mut self, id: DmabufId, ident: DmabufIdent) {
        let Some(d) = self.fds.dmabufs.get_mut(id as usize) else {
            return;
        };
        let was = (d.size, d.name, d.ino);
        if ident.size != u64::MAX && ident.size != 0 {
            d.size = ident.size;
        }
        if ident.name.is_some() {
            d.name = ident.name;
        }
        if ident.ino != 0 {
            d.ino = ident.ino;
            self.fds.by_ino.insert(ident.ino, id);
        }
        if (d.size, d.name, d.ino) != was {
            self.fds.ident_changes.push(id);
        }
    }

    /// A dma-buf the model had let die is shown alive by the trace (a holder it cannot see,
    /// such as a socket in flight, kept it): its exporter's plane counts it again.
    fn dmabuf_revive(&mut self, id: DmabufId) {
        let Some(d) = self.fds.dmabufs.get(id as usize) else {
            return;
        };
        let Some((uid, plane)) = d.exporter.filter(|_| !d.export_held) else {
            return;
        };
        let p = self
            .buf_by_uid_mut(uid)
            .and_then(|b| b.planes.get_mut(usize::from(plane)));
        if let Some(p) = p {
            p.exports += 1;
            if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
                d.export_held = true;
            }
        }
    }

    /// Every dma-buf the model has known, by id.
    pub fn dmabufs(&self) -> impl Iterator<Item = DmabufView> + '_ {
        self.fds
            .dmabufs
            .iter()
            .enumerate()
            .map(|(i, d)| d.view(i as DmabufId))
    }

    /// The dma-bufs made, or whose size, inode, name or export changed, after the first
    /// `since` such changes (ids in order, with repeats); and how many changes there have
    /// been, the `since` of the next look.
    pub fn dmabufs_changed(&self, since: usize) -> (&[DmabufId], usize) {
        let all = &self.fds.ident_changes;
        // Past the log: the caller looked at another model's.
        debug_assert!(since <= all.len(), "{since} changes seen of {}", all.len());
        (all.get(since..).unwrap_or_default(), all.len())
    }

    pub fn dmabuf_view(&self, id: DmabufId) -> Option<DmabufView> {
        self.fds.dmabuf(id).map(|d| d.view(id))
    }

    /// The dma-buf `fd` refers to now, if any.
    pub fn dmabuf_at(&self, fd: i32) -> Option<DmabufView> {
        match self.fds.get(fd) {
            FdObj::Dmabuf(id) => self.fds.dmabuf(id).map(|d| d.view(id)),
            _ => None,
        }
    }

    /// The size of the dma-buf `fd` refers to, if it refers to one of known size.
    pub fn dmabuf_size(&self, fd: i32) -> Option<u64> {
        match self.fds.get(fd) {
            FdObj::Dmabuf(id) => self
                .fds
                .dmabuf(id)
                .map(|d| d.size)
                .filter(|&s| s != u64::MAX),
            _ => None,
        }
    }

    /// Resolves a DMABUF fd to its dma-buf; lenient mode adopts unknown fds.
    pub(super) fn dmabuf_of_fd(&mut self, fd: i32) -> Option<DmabufId> {
        match self.fds.get(fd) {
            FdObj::Dmabuf(id) => Some(id),
            FdObj::Free if self.lenient && fd >= 0 => {
                let id = self.fds.new_dmabuf(u64::MAX, None);
                if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
                    d.fds = 1;
                }
                self.fds.set(fd, FdObj::Dmabuf(id)).then_some(id)
            }
            _ => None,
        }
    }

    /// vb2 drops its reference on a dma-buf; it dies when no fd and no vb2 plane holds it.
    pub(super) fn dmabuf_unref(&mut self, id: DmabufId) {
        if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
            d.vb2_refs = d.vb2_refs.saturating_sub(1);
        }
        self.dmabuf_maybe_release(id);
    }

    fn dmabuf_maybe_release(&mut self, id: DmabufId) {
        let Some(d) = self.fds.dmabufs.get_mut(id as usize) else {
            return;
        };
        if d.fds == 0
            && d.vb2_refs == 0
            && d.export_held
            && let Some((uid, plane)) = d.exporter
        {
            d.export_held = false;
            self.mmap_user_gone(uid, plane, false);
        }
    }

    /// Live mmaps of the buffers of the queues `fh` owns.
    fn mmaps_of(&self, fh: u32) -> u32 {
        let Some(dev) = self.fds.fhs.dev(fh) else {
            return 0;
        };
        self.queues_on(dev)
            .filter(|q| q.owner == Some(fh))
            .flat_map(|q| q.iter())
            .flat_map(|(_, b)| b.planes.iter())
            .map(|p| p.mmaps)
            .sum()
    }

    /// A handle whose fds are all closed is released with its last mapping.
    fn release_unmapped_handles(&mut self) {
        let ready: Vec<u32> = self
            .fds
            .fhs
            .held_by_mmaps()
            .filter(|&fh| self.mmaps_of(fh) == 0)
            .collect();
        for fh in ready {
            self.fds.fhs.set_held_by_mmaps(fh, false);
            self.release_fh(fh);
        }
    }

    /// One user of an MMAP plane (an mmap or an exported dma-buf) went away.
    pub(super) fn mmap_user_gone(&mut self, uid: u32, plane: u8, was_mmap: bool) {
        if let Some(b) = self.buf_by_uid_mut(uid) {
            if let Some(p) = b.planes.get_mut(plane as usize) {
                if was_mmap {
                    p.mmaps = p.mmaps.saturating_sub(1);
                } else {
                    p.exports = p.exports.saturating_sub(1);
                }
            }
            if was_mmap {
                self.release_unmapped_handles();
            }
            return;
        }
        // Not a live buffer: an orphan. The memory is freed when its last user goes.
        let pos = self
            .fds
            .orphans
            .iter()
            .position(|o| o.uid == uid && o.plane == plane);
        if let Some(pos) = pos {
            let free = match self.fds.orphans.get_mut(pos) {
                Some(o) => {
                    o.users = o.users.saturating_sub(1);
                    o.users == 0
                }
                None => false,
            };
            if free {
                let o = self.fds.orphans.remove(pos);
                let qi = self.queue_index(o.key);
                self.memop(qi, o.index, o.plane as usize, MemopKind::Put);
            }
        }
    }

    pub(super) fn close(&mut self, fd: i32, forced: Option<Outcome>) -> Outcome {
        let obj = self.fds.get(fd);
        let pred = if obj == FdObj::Free && !self.lenient {
            Err((Errno::EBADF, None))
        } else {
            Ok(())
        };
        let r = self.decide("close", None, pred, forced);
        r?;
        self.fds.set(fd, FdObj::Free);
        match obj {
            FdObj::Video(fh) => {
                let last = self.fds.fhs.drop_ref(fh);
                if last && self.mmaps_of(fh) > 0 {
                    // A mapping holds the struct file: no release yet.
                    self.fds.fhs.set_held_by_mmaps(fh, true);
                } else if last {
                    self.release_fh(fh);
                }
            }
            FdObj::Dmabuf(id) => {
                if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
                    d.fds = d.fds.saturating_sub(1);
                }
                self.dmabuf_maybe_release(id);
            }
            FdObj::Request(id) => self.request_fd_closed(id),
            FdObj::Free => {}
        }
        Ok(())
    }

    /// `vb2_fop_release`: the owner's close releases its queues (and, ≥6.8, a close when the
    /// queue has no owner); another handle's close leaves them alone.
    fn release_fh(&mut self, fh: u32) {
        let dev = self.fds.fhs.dev(fh);
        // The last handle on a device ends its codec context (an M2M open is one).
        if let Some(d) = dev
            && !self.fds.fhs.any_open(d)
        {
            self.drain_on_release(d);
            self.abort_on_release(d);
            self.resolution_resumed(d);
        }
        let unowned = self.policy.close_releases_unowned();
        let qis = dev.map_or_else(Vec::new, |d| self.qis_on(d).to_vec());
        for qi in qis {
            let Some(q) = self.queues.get(qi) else {
                continue;
            };
            let releases = q.owner == Some(fh) || (unowned && q.owner.is_none());
            if releases {
                self.held_at_end(qi);
                self.cancel(qi, false);
                self.free_all(qi);
                if let Some(q) = self.queues.get_mut(qi) {
                    q.owner = None;
                }
            }
        }
    }

    pub(super) fn mmap(
        &mut self,
        fd: i32,
        offset: u64,
        len: u64,
        addr: u64,
        forced: Option<Outcome>,
    ) -> Outcome {
        if fd < 0 {
            // Anonymous memory for USERPTR.
            let r = self.decide("mmap", None, Ok(()), forced);
            if r.is_ok() {
                self.fds.maps.push(Mapping {
                    addr,
                    len,
                    target: None,
                });
            }
            return r;
        }
        let dev = match self.fds.get(fd) {
            FdObj::Video(fh) => self.fds.fhs.dev(fh).unwrap_or(0),
            FdObj::Dmabuf(id) => return self.mmap_dmabuf(id, addr, len, forced),
            // An fd the trace never showed opened: not known to be a video node (it may be a
            // dma-buf whose export the source did not decode), so nothing to tie the mapping to.
            FdObj::Free if self.lenient => {
                let r = self.decide("mmap", None, Ok(()), forced);
                if r.is_ok() {
                    self.fds.maps.push(Mapping {
                        addr,
                        len,
                        target: None,
                    });
                }
                return r;
            }
            FdObj::Free => return self.decide("mmap", None, Err((Errno::EBADF, None)), forced),
            // A request fd cannot be mapped.
            FdObj::Request(_) => {
                return self.decide("mmap", None, Err((Errno::ENODEV, None)), forced);
            }
        };
        // Find the plane whose cookie is `offset` on a queue of this fd's device.
        let found = self.plane_at(dev, offset);
        let mmap_queue = self.qis_on(dev).iter().copied().find(|&qi| {
            self.queues
                .get(qi)
                .is_some_and(|q| q.memory == Some(super::Memory::Mmap))
        });
        let key = found
            .as_ref()
            .and_then(|f| self.key(f.qi))
            .or_else(|| mmap_queue.and_then(|qi| self.key(qi)));
        let pred = match &found {
            Some(f) if f.exact => Ok(()),
            // Another release's cookie for a plane that exists: the kernel decides.
            Some(_) if forced.is_some() => Ok(()),
            Some(_) => Err((Errno::EINVAL, None)),
            None if mmap_queue.is_none() => Err((Errno::EINVAL, Some(KMsg::NotSetUpForMmap))),
            None => Err((Errno::EINVAL, None)),
        };
        // Which plane a cookie names is an encoding detail: a kernel that answers otherwise
        // tells which release it is (a value for `auto`), not that vb2 behaved differently.
        let r = match forced {
            Some(actual) => {
                let exact = found.as_ref().is_some_and(|f| f.exact);
                self.value_seen("MMAP offsets", u64::from(exact), u64::from(actual.is_ok()));
                if let (Err((_, Some(msg))), Some(k)) = (pred, key) {
                    self.fx
                        .push(super::Effect::Msg(super::KMsgRec { msg, queue: k }));
                }
                actual
            }
            None => self.decide("mmap", key, pred, None),
        };
        if r.is_ok()
            && let Some(f) = found
        {
            if let Some(p) = self
                .queues
                .get_mut(f.qi)
                .and_then(|q| q.buf_mut(f.index))
                .and_then(|b| b.planes.get_mut(f.plane))
            {
                p.mmaps += 1;
            }
            self.memop(f.qi, f.index, f.plane, MemopKind::Mmap);
            self.fds.maps.push(Mapping {
                addr,
                len,
                target: Some((f.uid, f.plane as u8)),
            });
        }
        r
    }

    /// mmap() of a dma-buf fd: the exporter's memory, which the mapping keeps alive (vb2's
    /// dma-buf mmap takes a reference on the plane, like a mapping of the video node).
    fn mmap_dmabuf(
        &mut self,
        id: DmabufId,
        addr: u64,
        len: u64,
        forced: Option<Outcome>,
    ) -> Outcome {
        self.decide("mmap", None, Ok(()), forced)?;
        let exporter = self.fds.dmabuf(id).and_then(|d| d.exporter);
        if let Some((uid, plane)) = exporter
            && let Some(p) = self
                .buf_by_uid_mut(uid)
                .and_then(|b| b.planes.get_mut(usize::from(plane)))
        {
            p.mmaps += 1;
        }
        self.fds.maps.push(Mapping {
            addr,
            len,
            target: exporter,
        });
        Ok(())
    }

    pub(super) fn munmap(&mut self, addr: u64, len: u64) -> Outcome {
        let end = addr.saturating_add(len.max(1));
        let mut gone = Vec::new();
        self.fds.maps.retain(|m| {
            let hit = m.addr < end && addr < m.addr.saturating_add(m.len.max(1));
            if hit {
                gone.push(m.clone());
            }
            !hit
        });
        for m in gone {
            match m.target {
                Some((uid, plane)) => self.mmap_user_gone(uid, plane, true),
                None => self.user_memory_gone(m.addr, m.len),
            }
        }
        Ok(())
    }

    /// User memory went away: a pinned USERPTR plane over it is now stale (R18).
    fn user_memory_gone(&mut self, addr: u64, len: u64) {
        let end = addr.saturating_add(len);
        let mut hits = Vec::new();
        for q in &self.queues {
            if q.memory != Some(super::Memory::Userptr) {
                continue;
            }
            for (i, b) in q.iter() {
                for (pi, p) in b.planes.iter().enumerate() {
                    let overlaps = p.userptr != 0
                        && p.userptr < end
                        && addr < p.userptr.saturating_add(u64::from(p.length));
                    if overlaps && p.inferred.pinned {
                        hits.push((q.key, i, b.uid, pi as u8, b.state.is_queued()));
                    }
                }
            }
        }
        for (key, i, uid, pi, queued) in hits {
            self.fds.stale_pins.push((uid, pi));
            if queued {
                self.find(
                    RuleId::R18,
                    Some(key),
                    Some(i),
                    Some(pi),
                    FindingDetail::None,
                );
            }
        }
    }
}
