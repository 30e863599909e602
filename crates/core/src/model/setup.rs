//! Setup and teardown: REQBUFS, CREATE_BUFS, REMOVE_BUFS, QUERYBUF, EXPBUF, and freeing.

use super::files::{FdObj, Orphan};
use super::observed::{Callback, mem_bit};
use super::state::{BufState, Buffer, Plane};
use super::{KMsg, Model, Qi, Ret};
use crate::model::BufTarget;
use crate::rules::{FindingDetail, RuleId};
use crate::v4l2::flags;
use crate::v4l2::{BufType, Errno, MemopKind, Memory, Outcome};

impl Model {
    pub(super) fn reqbufs(
        &mut self,
        fd: i32,
        ty: BufType,
        memory: Memory,
        count: u32,
        forced: Option<Outcome>,
    ) -> Result<Ret, Errno> {
        let (qi, fh) = self.target(fd, ty)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let streaming = q.streaming;
        let in_use = q.memory == Some(Memory::Mmap)
            && q.iter().any(|(_, b)| b.planes.iter().any(Plane::in_use));
        let has_bufs = q.num_buffers() > 0;
        let implicit_off = streaming && count == 0 && self.policy.reqbufs0_implicit_streamoff();
        if streaming {
            self.find(RuleId::R15, Some(key), None, None, FindingDetail::None);
        }
        let refused = self
            .queues
            .get(qi)
            .is_some_and(|q| q.refused_memory & mem_bit(memory) != 0);
        let pred = if refused {
            Err((Errno::EINVAL, None))
        } else if self.busy(qi, fh) {
            Err((Errno::EBUSY, None))
        } else if streaming && !implicit_off {
            Err((Errno::EBUSY, Some(KMsg::StreamingActive)))
        } else if in_use && has_bufs && !self.policy.orphans_buffers() {
            Err((Errno::EBUSY, Some(KMsg::MemoryInUseCannotFree)))
        } else {
            Ok(())
        };
        let r = self.decide_at(
            "VIDIOC_REQBUFS",
            Some(key),
            pred,
            forced,
            Callback::Setup(memory),
        );
        // queue_setup refused (not the memory type) after vb2 had freed what the queue held.
        let setup_refused = pred.is_ok()
            && r.is_err()
            && self
                .queues
                .get(qi)
                .is_some_and(|q| q.refused_memory & mem_bit(memory) == 0);
        if setup_refused && (has_bufs || streaming) {
            self.cancel(qi, false);
            self.free_all(qi);
            if let Some(q) = self.queues.get_mut(qi) {
                q.owner = None;
            }
        }
        // R14: the answer to "REQBUFS with users" must match the ORPHANED_BUFS capability.
        if in_use && has_bufs && !streaming {
            let wrong = match r {
                Ok(()) => !self.policy.orphans_buffers(),
                Err(e) => e == Errno::EBUSY && self.policy.orphans_buffers(),
            };
            if wrong {
                let expected = if self.policy.orphans_buffers() {
                    Ok(())
                } else {
                    Err(Errno::EBUSY)
                };
                self.find(
                    RuleId::R14,
                    Some(key),
                    None,
                    None,
                    FindingDetail::Result {
                        op: "VIDIOC_REQBUFS",
                        expected,
                        actual: r,
                    },
                );
            }
        }
        r?;
        self.setup_succeeded(qi, memory);
        if in_use && has_bufs && self.policy.orphans_buffers() {
            self.msg(qi, KMsg::MemoryInUseOrphaning);
        }
        if has_bufs || streaming {
            self.cancel(qi, false);
            self.free_all(qi);
        }
        let granted = if count == 0 {
            0
        } else {
            let q = self.queues.get(qi);
            let min_q = q.map(|q| q.min_queued).unwrap_or(0);
            let min_alloc = q.map(|q| q.min_reqbufs).unwrap_or(1);
            let max = q.map(|q| q.max_buffers).unwrap_or(32);
            let floor = if self.policy.has_min_queued() {
                min_alloc.max(min_q + 1)
            } else {
                min_alloc
            };
            count.max(floor).min(max)
        };
        let granted = self.granted(qi, count, granted);
        if granted > 0 {
            self.alloc(qi, memory, 0, granted);
        }
        if let Some(q) = self.queues.get_mut(qi) {
            q.owner = if granted > 0 { Some(fh) } else { None };
            q.memory = if granted > 0 { Some(memory) } else { None };
        }
        Ok(Ret {
            count: granted,
            ..Ret::default()
        })
    }

    pub(super) fn create_bufs(
        &mut self,
        fd: i32,
        ty: BufType,
        memory: Memory,
        count: u32,
        forced: Option<Outcome>,
    ) -> Result<Ret, Errno> {
        let (qi, fh) = self.target(fd, ty)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let have = q.num_buffers();
        let max = q.max_buffers;
        let mismatch = have > 0 && q.memory.is_some_and(|m| m != memory);
        // Since 6.8 the limit is the driver's max_num_buffers: the model's is a guess until
        // the kernel grants more.
        let full = have >= max;
        let max_guessed = full && self.policy.driver_sets_max_buffers() && forced == Some(Ok(()));
        let pred = if self.busy(qi, fh) {
            Err((Errno::EBUSY, None))
        } else if count == 0 {
            Ok(())
        } else if mismatch {
            Err((Errno::EINVAL, Some(KMsg::MemoryModelMismatch)))
        } else if full && !max_guessed {
            Err((Errno::ENOBUFS, Some(KMsg::MaxBuffers)))
        } else {
            Ok(())
        };
        if max_guessed {
            self.value_seen("the driver's maximum number of buffers", 0, 1);
        }
        self.decide_at(
            "VIDIOC_CREATE_BUFS",
            Some(key),
            pred,
            forced,
            Callback::Setup(memory),
        )?;
        self.setup_succeeded(qi, memory);
        // A queue holds one memory type; a mismatch the kernel accepted keeps the existing one.
        let memory = if mismatch {
            self.queues.get(qi).and_then(|q| q.memory).unwrap_or(memory)
        } else {
            memory
        };
        let predicted_first = self.first_free_range(qi, count.max(1));
        let first = match self.seen.index {
            Some(i) => {
                self.value_seen(
                    "CREATE_BUFS first index",
                    u64::from(predicted_first),
                    u64::from(i),
                );
                i
            }
            None => predicted_first,
        };
        if count == 0 {
            return Ok(Ret {
                count: 0,
                index: first,
                flags: 0,
            });
        }
        let predicted = count.min(max.saturating_sub(first)).max(1);
        let n = self.granted(qi, count, predicted);
        if let Some(q) = self.queues.get_mut(qi) {
            q.max_buffers = q.max_buffers.max(first.saturating_add(n));
        }
        self.alloc(qi, memory, first, n);
        if let Some(q) = self.queues.get_mut(qi) {
            q.owner = Some(fh);
            q.memory = Some(memory);
        }
        Ok(Ret {
            count: n,
            index: first,
            flags: 0,
        })
    }

    /// The first index of `n` consecutive free slots (`bitmap_find_next_zero_area`).
    fn first_free_range(&self, qi: Qi, n: u32) -> u32 {
        let Some(q) = self.queues.get(qi) else {
            return 0;
        };
        let mut run = 0;
        for i in 0..q.max_buffers {
            if q.buf(i).is_some() {
                run = 0;
            } else {
                run += 1;
                if run == n {
                    return i + 1 - n;
                }
            }
        }
        q.bufs.len() as u32
    }

    /// Allocates `n` buffers from index `first` (`__vb2_queue_alloc`).
    pub(super) fn alloc(&mut self, qi: Qi, memory: Memory, first: u32, n: u32) {
        let Some(q) = self.queues.get(qi) else { return };
        let (np, size) = (q.num_planes.max(1) as usize, q.plane_size);
        for i in first..first + n {
            let uid = self.next_uid;
            self.next_uid += 1;
            self.queue_of_uid.push(qi);
            let offsets = self.new_offsets(qi, i, &vec![size; np]);
            let planes = offsets
                .into_iter()
                .map(|mem_offset| Plane {
                    length: size,
                    mem_offset,
                    inferred: super::Resources {
                        allocated: memory == Memory::Mmap,
                        ..Default::default()
                    },
                    ..Plane::default()
                })
                .collect();
            let b = Buffer {
                uid,
                state: BufState::Dequeued,
                prepared: false,
                synced: false,
                qseq: 0,
                request: None,
                last: false,
                planes,
            };
            if let Some(q) = self.queues.get_mut(qi) {
                let slot = i as usize;
                let bufs = q.bufs_mut();
                if bufs.len() <= slot {
                    bufs.resize(slot + 1, None);
                }
                if let Some(s) = bufs.get_mut(slot) {
                    *s = Some(b);
                }
            }
            if memory == Memory::Mmap {
                for p in 0..np {
                    self.memop(qi, i, p, MemopKind::Alloc);
                }
            }
        }
    }

    pub(super) fn remove_bufs(
        &mut self,
        fd: i32,
        ty: BufType,
        index: u32,
        count: u32,
        forced: Option<Outcome>,
    ) -> Outcome {
        let (qi, fh) = self.target(fd, ty)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let end = index.checked_add(count);
        let mut busy_bufs = Vec::new();
        let mut hole = false;
        if let Some(end) = end {
            for i in index..end.min(q.max_buffers) {
                match q.buf(i) {
                    None => hole = true,
                    Some(b) if b.state != BufState::Dequeued && b.state != BufState::Prepared => {
                        busy_bufs.push((i, b.state))
                    }
                    Some(_) => {}
                }
            }
        }
        let out_of_range = end.is_none_or(|e| e > q.max_buffers);
        let pred = if !self.policy.has_remove_bufs() {
            Err((Errno::ENOTTY, None))
        } else if count == 0 {
            Ok(())
        } else if self.busy(qi, fh) {
            Err((Errno::EBUSY, None))
        } else if out_of_range || hole {
            Err((Errno::EINVAL, None))
        } else if !busy_bufs.is_empty() {
            Err((Errno::EBUSY, None))
        } else {
            Ok(())
        };
        if self.policy.has_remove_bufs() {
            for &(i, s) in &busy_bufs {
                self.find(
                    RuleId::R21,
                    Some(key),
                    Some(i),
                    None,
                    FindingDetail::State(s.as_str()),
                );
            }
        }
        self.decide("VIDIOC_REMOVE_BUFS", Some(key), pred, forced)?;
        if count == 0 {
            return Ok(());
        }
        let mut removed = 0;
        for i in index..index.saturating_add(count) {
            if self.queues.get(qi).and_then(|q| q.buf(i)).is_some() {
                self.free_buffer(qi, i);
                removed += 1;
            }
        }
        self.msg(qi, KMsg::BuffersRemoved(removed));
        if let Some(q) = self.queues.get_mut(qi)
            && q.num_buffers() == 0
        {
            q.memory = None;
        }
        Ok(())
    }

    pub(super) fn querybuf(&mut self, t: BufTarget, forced: Option<Outcome>) -> Result<Ret, Errno> {
        let (qi, _) = self.target(t.fd, t.ty)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        let pred = if q.buf(t.index).is_some() {
            Ok(())
        } else {
            Err((Errno::EINVAL, Some(KMsg::InvalidIndex(t.index))))
        };
        self.decide("VIDIOC_QUERYBUF", Some(key), pred, forced)?;
        Ok(Ret {
            flags: self.buffer_flags(qi, t.index),
            ..Ret::default()
        })
    }

    /// The V4L2 flags vb2 reports for a buffer (`__fill_v4l2_buffer`).
    pub fn buffer_flags(&self, qi: usize, index: u32) -> u32 {
        let Some(b) = self.queues.get(qi).and_then(|q| q.buf(index)) else {
            return 0;
        };
        let mut f = match b.state {
            BufState::Queued | BufState::Active => flags::QUEUED,
            BufState::Done => flags::DONE,
            BufState::Error => flags::DONE | flags::ERROR,
            BufState::Prepared => flags::PREPARED,
            BufState::InRequest => flags::IN_REQUEST | flags::REQUEST_FD,
            BufState::Dequeued if b.prepared && b.synced => flags::PREPARED,
            BufState::Dequeued => 0,
        };
        if b.planes.iter().any(Plane::in_use) {
            f |= flags::MAPPED;
        }
        f
    }

    pub(super) fn expbuf(
        &mut self,
        fd: i32,
        ty: BufType,
        index: u32,
        plane: u8,
        new_fd: i32,
        forced: Option<Outcome>,
    ) -> Outcome {
        let (qi, fh) = self.target(fd, ty)?;
        let Some(q) = self.queues.get(qi) else {
            return Err(Errno::EINVAL);
        };
        let key = q.key;
        // The queue keeps one size for all planes (the smallest); a plane of several is
        // known only when the kernel reported its length.
        let target = q.buf(index).and_then(|b| {
            let p = b.planes.get(plane as usize)?;
            let known = b.planes.len() == 1 || p.length_observed || !self.lenient;
            Some((b.uid, known.then_some(p.length)))
        });
        let is_mmap = q.memory == Some(Memory::Mmap);
        let pred = if self.busy(qi, fh) {
            Err((Errno::EBUSY, None))
        } else if !is_mmap {
            Err((Errno::EINVAL, Some(KMsg::NotSetUpForMmap)))
        } else if target.is_none() {
            Err((Errno::EINVAL, None))
        } else {
            Ok(())
        };
        self.decide("VIDIOC_EXPBUF", Some(key), pred, forced)?;
        let Some((uid, len)) = target else {
            return Ok(());
        };
        if let Some(p) = self
            .queues
            .get_mut(qi)
            .and_then(|q| q.buf_mut(index))
            .and_then(|b| b.planes.get_mut(plane as usize))
        {
            p.exports += 1;
        }
        self.memop(qi, index, plane as usize, MemopKind::GetDmabuf);
        // vb2 allocates PAGE_ALIGN(length) and exports all of it (4 KiB pages assumed).
        let size = len.map_or(u64::MAX, |l| u64::from(l).next_multiple_of(4096));
        let id = self.fds.new_dmabuf(size, Some((uid, plane)));
        if let Some(d) = self.fds.dmabufs.get_mut(id as usize) {
            d.fds = 1;
            d.exported_from = Some((key, index, plane));
            self.fds.ident_changes.push(id);
        }
        if self.fds.get(new_fd) != FdObj::Free {
            let _ = self.close(new_fd, None);
        }
        self.fds.set(new_fd, FdObj::Dmabuf(id));
        Ok(())
    }

    /// Frees every buffer of a queue (`__vb2_queue_free`).
    pub(super) fn free_all(&mut self, qi: Qi) {
        let n = self.queues.get(qi).map(|q| q.bufs.len()).unwrap_or(0);
        for i in 0..n as u32 {
            self.free_buffer(qi, i);
        }
        if let Some(q) = self.queues.get_mut(qi) {
            q.bufs_mut().clear();
            q.memory = None;
        }
    }

    /// Frees one buffer: `buf_cleanup` and the memops that give its planes' resources back.
    /// Observed resources still held then break R13.
    pub(super) fn free_buffer(&mut self, qi: Qi, index: u32) {
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let key = q.key;
        let memory = q.memory;
        let observed = q.memops_observed;
        let Some(b) = q.bufs_mut().get_mut(index as usize).and_then(Option::take) else {
            return;
        };
        // Only a kernel result the model did not predict frees a buffer still in use; keep
        // the counters true to what is left.
        if b.state.is_queued() {
            q.queued_count = q.queued_count.saturating_sub(1);
        }
        if b.state == BufState::Active {
            q.owned_by_drv = q.owned_by_drv.saturating_sub(1);
        }
        q.done_list.retain(|&i| i != index);
        for (pi, p) in b.planes.iter().enumerate() {
            match memory {
                Some(Memory::Mmap) => {
                    self.memop(qi, index, pi, MemopKind::Put);
                    let users = p.mmaps + p.exports;
                    if users > 0 {
                        self.fds.orphans.push(Orphan {
                            key,
                            index,
                            uid: b.uid,
                            plane: pi as u8,
                            users,
                        });
                    }
                }
                Some(Memory::Userptr) if p.inferred.pinned => {
                    self.memop(qi, index, pi, MemopKind::PutUserptr);
                }
                Some(Memory::Userptr) => {}
                Some(Memory::Dmabuf) => {
                    if p.inferred.mapped {
                        self.memop(qi, index, pi, MemopKind::UnmapDmabuf);
                    }
                    if p.inferred.attached {
                        self.memop(qi, index, pi, MemopKind::DetachDmabuf);
                        self.memop(qi, index, pi, MemopKind::DmabufPut);
                        if let Some(id) = p.dbuf {
                            self.dmabuf_unref(id);
                        }
                    }
                }
                None => {}
            }
            let o = p.observed;
            let orphaned = memory == Some(Memory::Mmap) && p.in_use();
            let held = o.pinned || o.attached || o.mapped || (o.allocated && !orphaned);
            if observed && held && !self.unsure_frees {
                self.find(
                    RuleId::R13,
                    Some(key),
                    Some(index),
                    Some(pi as u8),
                    FindingDetail::None,
                );
            }
        }
        self.fds.stale_pins.retain(|&(uid, _)| uid != b.uid);
    }
}
