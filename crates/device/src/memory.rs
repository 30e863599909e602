//! Memory for buffers: USERPTR areas the tool allocates, mmap() of MMAP planes, and the
//! memory a session provides by itself for planes no name was given for. Each is recorded.

use std::os::fd::{AsRawFd, OwnedFd};

use vb2scope_core::trace::{Extent, IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::Memory;

use super::error::DeviceError;
use super::session::{Mapping, Session, now_ns};
use super::v4l2;

const PAGE: u64 = 4096;

pub(super) fn page_round(n: u64) -> u64 {
    n.div_ceil(PAGE).max(1) * PAGE
}

/// A page-aligned anonymous mapping for USERPTR buffers.
pub struct Area {
    map: memmap2::MmapMut,
}

impl Area {
    pub fn new(len: u64) -> std::io::Result<Area> {
        Ok(Area {
            map: memmap2::MmapMut::map_anon(page_round(len) as usize)?,
        })
    }
    pub fn addr(&self) -> u64 {
        self.map.as_ptr() as u64
    }
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }
}

impl Session {
    /// `userptr NAME SIZE`: an anonymous mapping, recorded as mmap(fd -1).
    pub fn userptr(&mut self, name: &str, size: u64) -> Result<(), DeviceError> {
        let a = self.map_area(size, &format!("userptr {name}"))?;
        self.freed.remove(name);
        if let Some(old) = self.userptrs.insert(name.to_owned(), a) {
            self.kept_areas.push(old);
        }
        Ok(())
    }

    /// `free NAME`: unmaps a user area; the name keeps its address (a dangling pointer).
    pub fn free(&mut self, name: &str) -> Result<(), DeviceError> {
        let (addr, len) = match self.userptrs.remove(name) {
            Some(a) => {
                let r = (a.addr(), a.len());
                let t = now_ns();
                drop(a);
                self.record_munmap(
                    t,
                    Extent {
                        offset: 0,
                        len: r.1,
                        addr: r.0,
                    },
                );
                r
            }
            None => *self
                .freed
                .get(name)
                .ok_or_else(|| DeviceError::Scenario(format!("no user area named {name}")))?,
        };
        self.freed.insert(name.to_owned(), (addr, len));
        Ok(())
    }

    /// The address and length `ptr=NAME` passes: live or dangling.
    pub(super) fn user_area(&self, name: &str) -> Option<(u64, u64)> {
        self.userptrs
            .get(name)
            .map(|a| (a.addr(), a.len()))
            .or_else(|| self.freed.get(name).copied())
    }

    /// `mmap INDEX plane=N`: QUERYBUF for the offset (recorded), then mmap().
    pub fn mmap(&mut self, index: u32, plane: u8) -> Result<(), DeviceError> {
        let ty = self.queue;
        let (offset, length) = self.query_plane(index, plane)?;
        let t = now_ns();
        let fd = self.fd();
        let r = v4l2r::ioctl::mmap(self.file()?, offset as u32, length);
        match r {
            Ok(map) => {
                let addr = map.data.as_ptr() as u64;
                let len = u64::from(length);
                self.record_mmap(t, fd, Extent { offset, len, addr });
                self.maps.push(Mapping {
                    ty,
                    index,
                    plane,
                    addr,
                    len,
                    _map: map,
                });
                Ok(())
            }
            Err(e) => Err(DeviceError::call(
                format!("mmap of buffer {index} plane {plane}"),
                super::v4l2::errno_of(e),
            )),
        }
    }

    /// QUERYBUF (recorded): the offset and length of one plane.
    pub(super) fn query_plane(&mut self, index: u32, plane: u8) -> Result<(u64, u32), DeviceError> {
        match self.querybuf_planes(index)? {
            Err(e) => Err(DeviceError::call(
                format!("VIDIOC_QUERYBUF of buffer {index}"),
                e,
            )),
            Ok(planes) => planes.get(usize::from(plane)).copied().ok_or_else(|| {
                DeviceError::Scenario(format!("buffer {index} has no plane {plane}"))
            }),
        }
    }

    /// QUERYBUF (recorded): each plane's offset and length, or the kernel's errno.
    pub(super) fn querybuf_planes(
        &mut self,
        index: u32,
    ) -> Result<Result<Vec<(u64, u32)>, vb2scope_core::v4l2::Errno>, DeviceError> {
        let ty = self.queue;
        let t = now_ns();
        let r = v4l2::querybuf(self.file()?, ty, index);
        let nb = self.nonblock();
        let (buf, planes) = match &r {
            Ok(u) => v4l2::decode(u, nb),
            // What v4l2r passed: the index and type, nothing else.
            Err(_) => v4l2::decode_in(
                ty,
                &v4l2::BufferIn {
                    index,
                    ..Default::default()
                },
                nb,
            ),
        };
        let res = r.as_ref().map(|_| ()).map_err(|e| *e);
        self.record_ioctl(
            t,
            IoctlCmd::Querybuf,
            res,
            IoctlArg::Buffer(buf),
            planes.clone(),
        );
        Ok(res.map(|()| {
            if planes.is_empty() {
                vec![(buf.m, buf.length)]
            } else {
                planes.iter().map(|p| (p.m, p.length)).collect()
            }
        }))
    }

    /// `munmap INDEX plane=N`: the newest live mapping of that plane.
    pub fn munmap(&mut self, index: u32, plane: u8) -> Result<(), DeviceError> {
        let ty = self.queue;
        let i = self
            .maps
            .iter()
            .rposition(|m| m.ty == ty && m.index == index && m.plane == plane)
            .ok_or_else(|| {
                DeviceError::Scenario(format!("buffer {index} plane {plane} is not mapped"))
            })?;
        let m = self.maps.remove(i);
        self.unmap_mapping(m);
        Ok(())
    }

    /// A new user area, its anonymous mmap() recorded.
    fn map_area(&mut self, size: u64, what: &str) -> Result<Area, DeviceError> {
        let t = now_ns();
        let a = Area::new(size).map_err(|e| DeviceError::Scenario(format!("{what}: {e}")))?;
        let ext = Extent {
            offset: 0,
            len: a.len(),
            addr: a.addr(),
        };
        self.record_mmap(t, -1, ext);
        Ok(a)
    }

    /// Unmaps a user area the session holds, recorded.
    pub(super) fn unmap_recorded(&mut self, a: Area) {
        let (addr, len) = (a.addr(), a.len());
        let t = now_ns();
        drop(a);
        self.record_munmap(
            t,
            Extent {
                offset: 0,
                len,
                addr,
            },
        );
    }

    /// After REQBUFS(0): the memory the session provided for the queue's buffers goes, as
    /// an application frees what it allocated for them.
    pub(super) fn retire_auto_memory(&mut self, ty: vb2scope_core::v4l2::BufType) {
        let areas: Vec<_> = self
            .auto_userptr
            .keys()
            .filter(|k| k.0 == ty)
            .copied()
            .collect();
        for k in areas {
            if let Some(a) = self.auto_userptr.remove(&k) {
                self.unmap_recorded(a);
            }
        }
        let fds: Vec<_> = self
            .auto_dmabuf
            .keys()
            .filter(|k| k.0 == ty)
            .copied()
            .collect();
        for k in fds {
            if let Some((fd, _)) = self.auto_dmabuf.remove(&k) {
                self.close_recorded(fd);
            }
        }
    }

    /// Releases everything the session holds, each step recorded: mappings, dma-buf fds,
    /// user memory, the exporting node, then the video handles (closing the last one makes
    /// the kernel stop streaming and free the buffers, as for any program that exits).
    pub fn close_all(&mut self) {
        self.munmap_all();
        let mut fds: Vec<OwnedFd> = self.dmabufs.drain().map(|(_, (f, _))| f).collect();
        fds.extend(self.requests.drain().map(|(_, f)| f));
        fds.extend(self.auto_dmabuf.drain().map(|(_, (f, _))| f));
        fds.append(&mut self.kept_fds);
        fds.sort_by_key(|f| f.as_raw_fd());
        for f in fds {
            self.close_recorded(f);
        }
        let mut areas: Vec<Area> = self.userptrs.drain().map(|(_, a)| a).collect();
        areas.extend(self.auto_userptr.drain().map(|(_, a)| a));
        areas.append(&mut self.kept_areas);
        for a in areas {
            self.unmap_recorded(a);
        }
        self.close_exporter();
        while !self.handles.is_empty() {
            let _ = self.close_handle(self.handles.last().map(|h| h.name.clone()).as_deref());
        }
    }

    /// mmap() of every plane of every buffer of the queue.
    pub fn mmap_all(&mut self) -> Result<(), DeviceError> {
        let (_, count, sizes) = self.queue_info(self.queue);
        for i in 0..count {
            for p in 0..sizes.len().max(1) as u8 {
                self.mmap(i, p)?;
            }
        }
        Ok(())
    }

    /// Unmaps every mapping, newest first (the end of a session).
    pub fn munmap_all(&mut self) {
        while let Some(m) = self.maps.pop() {
            self.unmap_mapping(m);
        }
    }

    /// munmap() of a buffer plane's mapping, recorded.
    fn unmap_mapping(&mut self, m: Mapping) {
        let (addr, len) = (m.addr, m.len);
        let t = now_ns();
        drop(m);
        let ext = Extent {
            offset: 0,
            len,
            addr,
        };
        self.record_munmap(t, ext);
    }

    /// Memory the session provides itself for a plane no name was given for: a user area or
    /// a dma-buf of the plane's size, kept per buffer and plane so requeues reuse it.
    pub(super) fn auto_plane(
        &mut self,
        index: u32,
        plane: u8,
        memory: Memory,
    ) -> Result<(u64, u32), DeviceError> {
        let ty = self.queue;
        let size = self
            .queues
            .get(&ty)
            .and_then(|q| q.sizes.get(usize::from(plane)).copied())
            .unwrap_or(0);
        let key = (ty, index, plane);
        match memory {
            Memory::Mmap => Ok((0, 0)),
            Memory::Userptr => {
                if !self.auto_userptr.contains_key(&key) {
                    let a = self.map_area(u64::from(size), "user memory")?;
                    self.auto_userptr.insert(key, a);
                }
                let a = &self.auto_userptr[&key];
                Ok((a.addr(), size.min(a.len() as u32)))
            }
            Memory::Dmabuf => {
                if !self.auto_dmabuf.contains_key(&key) {
                    let d = self.new_dmabuf(u64::from(size))?;
                    self.auto_dmabuf.insert(key, d);
                }
                let (fd, len) = &self.auto_dmabuf[&key];
                Ok((
                    fd.as_raw_fd() as u64,
                    (*len).min(u64::from(u32::MAX)) as u32,
                ))
            }
        }
    }
}
