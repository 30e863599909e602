//! Each stopped call: what the program passed at its entry, what the kernel wrote back at
//! its exit, decoded into one event; dma-buf fds described when first met.

use nix::unistd::Pid;

use vb2scope_core::trace::{Body, Capability, DriverAction, Extent, IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::Errno as KErrno;

use super::super::procfs::{DmabufIdent, dmabuf_ident, fd_nonblock, fd_path};
use super::super::uapi::{self, Request};
use super::{AUDIT_ARCH_X86_64, Call, Kind, Pending, Tracer};
use crate::raw::{SyscallStop, syscall_stop};
use crate::session::now_ns;

impl Tracer<'_> {
    pub(super) fn entry(&mut self, pid: Pid, arch: u32, nr: u64, args: [u64; 6]) {
        let t = now_ns();
        let i386 = arch == super::super::filter::AUDIT_ARCH_I386;
        if arch != AUDIT_ARCH_X86_64 && !i386 {
            return;
        }
        let nr = nr as i64;
        let call = if i386 {
            // Only its ioctls stop; its fds are adopted at first use.
            (nr == i64::from(super::super::filter::I386_IOCTL))
                .then(|| self.compat_ioctl_entry(pid, args, t))
                .flatten()
        } else if nr == nix::libc::SYS_ioctl {
            self.ioctl_entry(pid, args, t)
        } else if nr == nix::libc::SYS_poll || nr == nix::libc::SYS_ppoll {
            self.poll_entry(pid, args)
        } else if nr == nix::libc::SYS_select || nr == nix::libc::SYS_pselect6 {
            self.select_entry(pid, args)
        } else if nr == nix::libc::SYS_epoll_ctl {
            self.epoll_ctl_entry(pid, args)
        } else {
            Some(Call::Other)
        };
        if let Some(call) = call {
            self.pending.insert(pid, Pending { t, nr, args, call });
        }
    }

    /// A 32-bit program's buffer ioctl, written as a call of that kind whose argument is
    /// unknown. Even those laid out as a 64-bit program's are not decoded: the program's
    /// open, close and dup are not followed (the filter stops only its ioctls), so which
    /// queue and file handle an fd stands for is not known for sure.
    pub(super) fn compat_ioctl_entry(&mut self, pid: Pid, args: [u64; 6], t: u64) -> Option<Call> {
        let cmd = uapi::compat_cmd(args[1])?;
        if self.adopt(pid, args[0] as i32, t) != Some(Kind::Video) {
            return None;
        }
        self.stats.compat += 1;
        Some(Call::Undecoded(cmd))
    }

    pub(super) fn ioctl_entry(&mut self, pid: Pid, args: [u64; 6], t: u64) -> Option<Call> {
        let fd = args[0] as i32;
        let req = uapi::request(args[1])?;
        let kind = self.adopt(pid, fd, t);
        let on = match req {
            Request::Media(IoctlCmd::RequestAlloc) => Kind::Media,
            Request::Media(_) => Kind::Request,
            _ => Kind::Video,
        };
        if kind != Some(on) {
            return None;
        }
        if let Request::Media(_) = req {
            // Nothing is read on entry: ALLOC's argument is written by the kernel.
            return Some(Call::Ioctl {
                req,
                input: Vec::new(),
                planes: None,
                nonblock: false,
            });
        }
        let Some(input) = self.read(pid, args[2], uapi::arg_size(req)) else {
            self.stats.unreadable += 1;
            return None;
        };
        let buffer_call = matches!(
            req,
            Request::Buffer(
                IoctlCmd::Querybuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf | IoctlCmd::PrepareBuf
            )
        );
        let planes = if buffer_call {
            uapi::planes_ptr(&input)
        } else {
            None
        };
        if matches!(req, Request::Buffer(IoctlCmd::Qbuf | IoctlCmd::PrepareBuf)) {
            self.identify_planes(pid, &input, planes, t);
        }
        let nonblock = req == Request::Buffer(IoctlCmd::Dqbuf) && fd_nonblock(pid.as_raw(), fd);
        Some(Call::Ioctl {
            req,
            input,
            planes,
            nonblock,
        })
    }

    pub(super) fn exit(&mut self, pid: Pid) {
        let Some(p) = self.pending.remove(&pid) else {
            return;
        };
        let Ok(SyscallStop::Exit { rval, is_error }) = syscall_stop(pid) else {
            return;
        };
        let result = if is_error {
            // A call a signal interrupted (ERESTART*) is what the program sees as EINTR.
            let e = (-rval).clamp(0, i64::from(u16::MAX)) as u16;
            Err(KErrno(if (512..=516).contains(&e) { 4 } else { e }))
        } else {
            Ok(())
        };
        match &p.call {
            &Call::Ioctl {
                req,
                ref input,
                planes,
                nonblock,
            } => self.ioctl_exit(pid, &p, req, input, planes, nonblock, result),
            &Call::Undecoded(cmd) => {
                let fd = self.label(pid, p.args[0] as i32);
                let body = Body::Ioctl {
                    fd,
                    cmd,
                    result,
                    arg: 0,
                };
                self.emit(pid, p.t, body, |o| o.arg = Some(IoctlArg::Undecoded));
            }
            Call::Wait { wants } => self.wait_exit(pid, &p, wants, rval),
            Call::Other => self.fd_call(pid, &p, rval, result),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn ioctl_exit(
        &mut self,
        pid: Pid,
        p: &Pending,
        req: Request,
        input: &[u8],
        planes: Option<(u64, usize)>,
        nonblock: bool,
        result: Result<(), KErrno>,
    ) {
        let fd = p.args[0] as i32;
        let label = self.label(pid, fd);
        if let Request::Media(cmd) = req {
            return self.media_exit(pid, p, cmd, label, result);
        }
        // The kernel writes the argument back only when the call succeeds.
        let out = result
            .ok()
            .and_then(|()| self.read(pid, p.args[2], input.len()));
        let cmd = match req {
            Request::Format { .. } => {
                if let Some((ty, cfg)) = out.as_deref().and_then(uapi::format) {
                    let dev = self.dev_of(pid, fd);
                    let body = Body::Driver {
                        dev,
                        ty,
                        action: DriverAction::Config(cfg),
                    };
                    self.emit(pid, p.t, body, |_| {});
                }
                return;
            }
            Request::Querycap => {
                return self.querycap_exit(pid, p, label, out.as_deref(), result);
            }
            // Handled above.
            Request::Buffer(cmd) | Request::Media(cmd) => cmd,
        };
        let mut exported = None;
        // What the kernel dropped of what the program asked (HOLD_CAPTURE_BUF without the
        // capability): only the entry shows it.
        let flags_in = match cmd {
            IoctlCmd::Qbuf | IoctlCmd::PrepareBuf => {
                out.as_deref().and_then(|o| uapi::flags_dropped(input, o))
            }
            _ => None,
        };
        let (arg, plane_list) = match cmd {
            IoctlCmd::Querybuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf | IoctlCmd::PrepareBuf => {
                let bytes = out.as_deref().unwrap_or(input);
                let plane_bytes = planes
                    .and_then(|(at, n)| self.read(pid, at, n * uapi::PLANE_SIZE))
                    .unwrap_or_default();
                let Some((b, ps)) = uapi::buffer(bytes, &plane_bytes, nonblock) else {
                    return;
                };
                (
                    IoctlArg::Buffer(label_buffer(self, pid, b)),
                    label_planes(self, pid, &b, ps),
                )
            }
            _ => {
                let Some(a) = uapi::other(cmd, input, out.as_deref()) else {
                    return;
                };
                let a = match a {
                    IoctlArg::Controls {
                        which,
                        count,
                        request_fd,
                    } => IoctlArg::Controls {
                        which,
                        count,
                        request_fd: request_fd.map(|r| self.label(pid, r)),
                    },
                    IoctlArg::Expbuf {
                        ty,
                        index,
                        plane,
                        fd_out: Some(new),
                    } => {
                        self.set_kind(pid, new, Some(Kind::Dmabuf));
                        exported = Some(new);
                        IoctlArg::Expbuf {
                            ty,
                            index,
                            plane,
                            fd_out: Some(self.label(pid, new)),
                        }
                    }
                    a => a,
                };
                (a, Vec::new())
            }
        };
        let body = Body::Ioctl {
            fd: label,
            cmd,
            result,
            arg: 0,
        };
        self.emit(pid, p.t, body, |o| {
            o.arg = Some(arg);
            o.planes = plane_list;
            o.flags_in = flags_in;
        });
        // What the EXPBUF made, so that its importers, in any process, are tied to it.
        if let Some(fd) = exported
            && let Some(id) = dmabuf_ident(pid.as_raw(), fd)
        {
            self.describe_dmabuf(pid, fd, id, p.t);
        }
    }

    /// A media request ioctl: ALLOC's new fd becomes a followed request; QUEUE and REINIT
    /// name theirs by the fd they were called on.
    fn media_exit(
        &mut self,
        pid: Pid,
        p: &Pending,
        cmd: IoctlCmd,
        fd: i32,
        result: Result<(), KErrno>,
    ) {
        let fd_out = match cmd {
            IoctlCmd::RequestAlloc => result
                .ok()
                .and_then(|()| self.read(pid, p.args[2], 4))
                .and_then(|o| uapi::request_fd(&o))
                .map(|new| {
                    self.set_kind(pid, new, Some(Kind::Request));
                    self.label(pid, new)
                }),
            _ => None,
        };
        let body = Body::Ioctl {
            fd,
            cmd,
            result,
            arg: 0,
        };
        self.emit(pid, p.t, body, |o| {
            o.arg = Some(IoctlArg::Request { fd_out })
        });
    }

    /// QUERYCAP: what the kernel filled in (nothing when it failed), for the trace's names.
    fn querycap_exit(
        &mut self,
        pid: Pid,
        p: &Pending,
        fd: i32,
        out: Option<&[u8]>,
        result: Result<(), KErrno>,
    ) {
        let c = out.map(uapi::capability);
        let body = Body::Ioctl {
            fd,
            cmd: IoctlCmd::Querycap,
            result,
            arg: 0,
        };
        self.emit(pid, p.t, body, |o| {
            o.arg = Some(IoctlArg::Querycap(Capability {
                driver: Default::default(),
                card: Default::default(),
                bus_info: Default::default(),
                caps: c.as_ref().map(|c| c.caps),
                device_caps: c.as_ref().map(|c| c.device_caps),
            }));
            if let Some(c) = c {
                (o.text, o.detail, o.extra) = (c.driver, c.card, c.bus_info);
            }
        });
    }

    /// The dma-buf fds a QBUF or PREPARE_BUF passes, as it starts: each one not yet seen
    /// (received from another process, made by a heap or another device) is written with
    /// its identity, before the call. Not at DQBUF: the fd it returns is the one given at
    /// QBUF, which may have been closed or reused since.
    pub(super) fn identify_planes(
        &mut self,
        pid: Pid,
        input: &[u8],
        planes: Option<(u64, usize)>,
        t: u64,
    ) {
        let plane_bytes = match planes {
            Some((at, n)) => match self.read(pid, at, n * uapi::PLANE_SIZE) {
                Some(b) => b,
                // Unreadable planes: no fds to read (the kernel refuses the call too).
                None => return,
            },
            None => Vec::new(),
        };
        let Some((b, ps)) = uapi::buffer(input, &plane_bytes, false) else {
            return;
        };
        if b.memory != Some(vb2scope_core::v4l2::Memory::Dmabuf)
            || b.ty.is_mplane() && ps.is_empty()
        {
            return;
        }
        let fds: Vec<i32> = if ps.is_empty() {
            vec![b.m as i64 as i32]
        } else {
            ps.iter().map(|p| p.m as i64 as i32).collect()
        };
        for fd in fds {
            self.identify(pid, fd, t);
        }
    }

    /// Writes the identity of the dma-buf behind `fd` the first time the trace meets it.
    /// Nothing is remembered of an fd that is no dma-buf: it may be a video node not yet
    /// adopted (a program that passes the wrong fd; a first mmap before any ioctl).
    pub(super) fn identify(&mut self, pid: Pid, fd: i32, t: u64) {
        if fd < 0 || self.kind(pid, fd).is_some() {
            return;
        }
        if let Some(id) = dmabuf_ident(pid.as_raw(), fd) {
            self.set_kind(pid, fd, Some(Kind::Dmabuf));
            self.describe_dmabuf(pid, fd, id, t);
        }
    }

    pub(super) fn describe_dmabuf(&mut self, pid: Pid, fd: i32, id: DmabufIdent, t: u64) {
        let body = Body::Dmabuf {
            fd: self.label(pid, fd),
            name: Default::default(),
            ext: 0,
        };
        self.emit(pid, t, body, |o| {
            o.text = id.exporter;
            o.extent = Some(Extent {
                offset: id.ino,
                len: id.size,
                addr: 0,
            });
        });
    }

    pub(super) fn dev_of(&mut self, pid: Pid, fd: i32) -> u16 {
        match fd_path(pid.as_raw(), fd) {
            Some(path) => self.dev_number(&path),
            None => 0,
        }
    }
}

/// A buffer with its DMABUF fds written as the trace's.
pub(super) fn label_buffer(
    t: &Tracer,
    pid: Pid,
    mut b: vb2scope_core::trace::V4l2Buffer,
) -> vb2scope_core::trace::V4l2Buffer {
    if b.memory == Some(vb2scope_core::v4l2::Memory::Dmabuf) && b.m_known {
        b.m = t.label(pid, b.m as i64 as i32) as i64 as u64;
    }
    b
}

pub(super) fn label_planes(
    t: &Tracer,
    pid: Pid,
    b: &vb2scope_core::trace::V4l2Buffer,
    mut ps: Vec<vb2scope_core::trace::V4l2Plane>,
) -> Vec<vb2scope_core::trace::V4l2Plane> {
    if b.memory == Some(vb2scope_core::v4l2::Memory::Dmabuf) {
        for p in &mut ps {
            p.m = t.label(pid, p.m as i64 as i32) as i64 as u64;
        }
    }
    ps
}
