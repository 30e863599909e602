//! dma-bufs: from a dma-heap, udmabuf or another V4L2 node (EXPBUF), named by scenarios,
//! dup'ed, closed, and exported from the session's own queue. Each is recorded.

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use vb2scope_core::trace::{Body, Extent, IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::{BufType, Memory};

use super::error::DeviceError;
use super::memory::page_round;
use super::raw;
use super::session::{Session, now_ns};
use super::v4l2;

/// Where dma-bufs for DMABUF queues come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DmabufSource {
    /// A dma-heap node, `/dev/dma_heap/system` by default.
    Heap(PathBuf),
    /// `/dev/udmabuf` over a sealed memfd: page-scattered memory.
    Udmabuf,
    /// EXPBUF of MMAP buffers of another V4L2 node (its first queue).
    Export(PathBuf),
}

impl DmabufSource {
    pub fn parse(s: &str) -> Result<DmabufSource, DeviceError> {
        Ok(match s {
            "heap" | "system" => DmabufSource::Heap("/dev/dma_heap/system".into()),
            "udmabuf" => DmabufSource::Udmabuf,
            _ if s.starts_with("/dev/dma_heap/") => DmabufSource::Heap(s.into()),
            _ => DmabufSource::Export(super::discover::resolve(s)?),
        })
    }
}

impl Default for DmabufSource {
    fn default() -> Self {
        DmabufSource::Heap("/dev/dma_heap/system".into())
    }
}

/// The other node EXPBUF dma-bufs come from, with its MMAP buffers.
pub struct Exporter {
    file: File,
    fd: i32,
    ty: BufType,
    count: u32,
    next: u32,
}

impl Session {
    /// `dmabuf NAME SIZE`: a dma-buf from the session's source, recorded with its fd.
    pub fn dmabuf(&mut self, name: &str, size: u64) -> Result<(), DeviceError> {
        let (fd, len) = self.new_dmabuf(size)?;
        self.name_dmabuf(name, fd, len);
        Ok(())
    }

    pub(super) fn new_dmabuf(&mut self, size: u64) -> Result<(OwnedFd, u64), DeviceError> {
        let len = page_round(size);
        let t = now_ns();
        let (fd, label) = match self.source.clone() {
            DmabufSource::Heap(path) => {
                let heap = File::open(&path)
                    .map_err(|e| DeviceError::NoDmabufSource(format!("{}: {e}", path.display())))?;
                let fd = raw::dma_heap_allocate(&heap, len).map_err(|e| {
                    DeviceError::NoDmabufSource(format!(
                        "{}: allocation of {len} bytes: {e}",
                        path.display()
                    ))
                })?;
                (fd, path.display().to_string())
            }
            DmabufSource::Udmabuf => {
                let fd = udmabuf(len)?;
                (fd, "/dev/udmabuf".to_owned())
            }
            DmabufSource::Export(path) => return self.export_from(&path, len),
        };
        let raw_fd = fd.as_raw_fd();
        // Its inode: the dma-buf's identity, whatever fd later refers to it (when it has one
        // of its own).
        let me = std::process::id() as i32;
        let ino = crate::app::procfs::dmabuf_ident(me, raw_fd).map_or(0, |d| d.ino);
        self.emit(
            t,
            Body::Dmabuf {
                fd: raw_fd,
                name: Default::default(),
                ext: 0,
            },
            |o| {
                o.text = label;
                o.extent = Some(Extent {
                    offset: ino,
                    len,
                    addr: 0,
                });
            },
        );
        Ok((fd, len))
    }

    /// The next MMAP buffer of the exporting node, exported (EXPBUF, recorded).
    fn export_from(
        &mut self,
        path: &std::path::Path,
        len: u64,
    ) -> Result<(OwnedFd, u64), DeviceError> {
        if self.exporter.is_none() {
            let t = now_ns();
            let file = super::discover::open(path, false)?;
            let fd = file.as_raw_fd();
            let p = path.display().to_string();
            let dev = self.dev_number(&p);
            self.emit(
                t,
                Body::Open {
                    fd,
                    path: Default::default(),
                    dev,
                },
                |o| o.text = p.clone(),
            );
            let caps = v4l2::querycap(&file).map_err(|e| {
                DeviceError::call(format!("{}: VIDIOC_QUERYCAP", path.display()), e)
            })?;
            let ty = *caps.queues().first().ok_or_else(|| {
                DeviceError::NoDmabufSource(format!("{} has no video queue", path.display()))
            })?;
            // Its format, as for the session's own queues: the model sizes its buffers by it.
            let t = now_ns();
            if let Ok(sizes) = v4l2::plane_sizes(&file, ty) {
                let cfg = vb2scope_core::v4l2::DriverCfg::Format {
                    planes: sizes.len().min(8) as u8,
                    size: sizes.iter().copied().min().unwrap_or(0),
                };
                let action = vb2scope_core::trace::DriverAction::Config(cfg);
                self.emit(t, Body::Driver { dev, ty, action }, |_| {});
            }
            let want = 32;
            let t = now_ns();
            let r = v4l2::reqbufs(&file, ty, Memory::Mmap, want);
            let arg = IoctlArg::Alloc {
                ty,
                memory: Memory::Mmap,
                count: want,
                count_out: r.ok().map(|x| x.0),
                index: None,
                caps: r.ok().map(|x| x.1),
                max_buffers: None,
            };
            self.record_ioctl_on(fd, t, IoctlCmd::Reqbufs, r.map(|_| ()), arg, Vec::new());
            let (count, _) =
                r.map_err(|e| DeviceError::call(format!("{}: VIDIOC_REQBUFS", path.display()), e))?;
            self.exporter = Some(Exporter {
                file,
                fd,
                ty,
                count,
                next: 0,
            });
        }
        let Some(ex) = self.exporter.as_mut() else {
            return Err(DeviceError::NoDmabufSource(path.display().to_string()));
        };
        if ex.next >= ex.count {
            return Err(DeviceError::NoDmabufSource(format!(
                "{} has only {} buffers to export",
                path.display(),
                ex.count
            )));
        }
        let (index, ty, fd) = (ex.next, ex.ty, ex.fd);
        ex.next += 1;
        // The exported buffer's own size, not the size asked for: vb2 refuses a dma-buf
        // smaller than the plane at QBUF, and that answer belongs to the kernel.
        let t = now_ns();
        let q = v4l2::querybuf(&ex.file, ty, index);
        let t2 = now_ns();
        let r = v4l2::expbuf(&ex.file, ty, index, 0);
        let (buf, planes) = match &q {
            Ok(u) => v4l2::decode(u, false),
            Err(_) => v4l2::decode_in(
                ty,
                &v4l2::BufferIn {
                    index,
                    ..Default::default()
                },
                false,
            ),
        };
        let size = planes.first().map(|p| p.length).unwrap_or(buf.length);
        let qres = q.as_ref().map(|_| ()).map_err(|e| *e);
        self.record_ioctl_on(
            fd,
            t,
            IoctlCmd::Querybuf,
            qres,
            IoctlArg::Buffer(buf),
            planes,
        );
        let fd_out = r.as_ref().ok().map(|f| f.as_raw_fd());
        let res = r.as_ref().map(|_| ()).map_err(|e| *e);
        let arg = IoctlArg::Expbuf {
            ty,
            index,
            plane: 0,
            fd_out,
        };
        self.record_ioctl_on(fd, t2, IoctlCmd::Expbuf, res, arg, Vec::new());
        let f =
            r.map_err(|e| DeviceError::call(format!("{}: VIDIOC_EXPBUF", path.display()), e))?;
        Ok((f, if qres.is_ok() { u64::from(size) } else { len }))
    }

    /// Gives a dma-buf fd a name. An fd the name had stays open, as in a program that
    /// reuses a variable without closing what it held (the model does the same).
    fn name_dmabuf(&mut self, name: &str, fd: OwnedFd, len: u64) {
        if let Some((old, _)) = self.dmabufs.insert(name.to_owned(), (fd, len)) {
            self.kept_fds.push(old);
        }
    }

    /// Closes an fd the session holds, recorded.
    pub(super) fn close_recorded(&mut self, fd: OwnedFd) {
        let raw_fd = fd.as_raw_fd();
        let t = now_ns();
        drop(fd);
        self.emit(t, Body::Close { fd: raw_fd }, |_| {});
    }

    /// Closes the exporting node, recorded; the kernel frees its buffers with it.
    pub(super) fn close_exporter(&mut self) {
        if let Some(ex) = self.exporter.take() {
            let t = now_ns();
            let fd = ex.fd;
            drop(ex);
            self.emit(t, Body::Close { fd }, |_| {});
        }
    }

    /// The fd and size `fd=NAME` passes.
    pub(super) fn named_dmabuf(&self, name: &str) -> Option<(i32, u64)> {
        self.dmabufs.get(name).map(|(f, l)| (f.as_raw_fd(), *l))
    }

    /// `dup NAME as NEW`.
    pub fn dup(&mut self, name: &str, as_name: &str) -> Result<(), DeviceError> {
        let (fd, len) = self
            .dmabufs
            .get(name)
            .ok_or_else(|| DeviceError::Scenario(format!("no dma-buf named {name}")))?;
        let t = now_ns();
        let new = fd
            .try_clone()
            .map_err(|e| DeviceError::Scenario(format!("dup {name}: {e}")))?;
        let (old_fd, new_fd, len) = (fd.as_raw_fd(), new.as_raw_fd(), *len);
        self.emit(t, Body::Dup { fd: old_fd, new_fd }, |_| {});
        self.name_dmabuf(as_name, new, len);
        Ok(())
    }

    /// `close NAME` of a dma-buf fd, or of a video handle of that name.
    pub fn close_name(&mut self, name: &str) -> Result<(), DeviceError> {
        if self.close_request(name) {
            return Ok(());
        }
        if let Some((fd, _)) = self.dmabufs.remove(name) {
            let raw_fd = fd.as_raw_fd();
            let t = now_ns();
            drop(fd);
            self.emit(t, Body::Close { fd: raw_fd }, |_| {});
            return Ok(());
        }
        self.close_handle(Some(name))
    }

    /// `expbuf INDEX plane=N as NAME`.
    pub fn expbuf(
        &mut self,
        index: u32,
        plane: u8,
        name: &str,
    ) -> Result<vb2scope_core::v4l2::Outcome, DeviceError> {
        let ty = self.queue;
        let t = now_ns();
        let r = v4l2::expbuf(self.file()?, ty, index, plane);
        let fd_out = r.as_ref().ok().map(|f| f.as_raw_fd());
        let res = r.as_ref().map(|_| ()).map_err(|e| *e);
        self.record_ioctl(
            t,
            IoctlCmd::Expbuf,
            res,
            IoctlArg::Expbuf {
                ty,
                index,
                plane,
                fd_out,
            },
            Vec::new(),
        );
        if let Ok(f) = r {
            let size = self
                .queues
                .get(&ty)
                .and_then(|q| q.sizes.get(usize::from(plane)).copied())
                .unwrap_or(0);
            self.name_dmabuf(name, f, u64::from(size));
        }
        Ok(res)
    }
}

/// A dma-buf over a sealed memfd of `len` bytes, through /dev/udmabuf.
fn udmabuf(len: u64) -> Result<OwnedFd, DeviceError> {
    use nix::fcntl::{FcntlArg, SealFlag, fcntl};
    use nix::sys::memfd::{MFdFlags, memfd_create};
    let err = |what: &str, e: nix::errno::Errno| {
        DeviceError::NoDmabufSource(format!("udmabuf: {what}: {e}"))
    };
    let dev = File::open("/dev/udmabuf")
        .map_err(|e| DeviceError::NoDmabufSource(format!("/dev/udmabuf: {e}")))?;
    let memfd = memfd_create(
        "vb2scope-udmabuf",
        MFdFlags::MFD_ALLOW_SEALING | MFdFlags::MFD_CLOEXEC,
    )
    .map_err(|e| err("memfd_create", e))?;
    nix::unistd::ftruncate(&memfd, len as i64).map_err(|e| err("ftruncate", e))?;
    fcntl(&memfd, FcntlArg::F_ADD_SEALS(SealFlag::F_SEAL_SHRINK))
        .map_err(|e| err("F_ADD_SEALS", e))?;
    raw::udmabuf_from_memfd(&dev, &memfd, len).map_err(|e| err("UDMABUF_CREATE", e))
}
