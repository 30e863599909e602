//! The queue ioctls of a session, each timed, made and recorded with the kernel's answer.
//! A failing call is a result, not an error: `Err(DeviceError)` means the session itself
//! could not go on (no such handle, no memory for a plane).

use vb2scope_core::trace::{IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::{Errno, Memory, Outcome};

use super::error::DeviceError;
use super::session::{Session, now_ns};
use super::v4l2::{self, BufferIn};

/// What poll() says about dequeuing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ready {
    Yes,
    No,
    Error,
}

fn set_nonblock(f: &std::fs::File, on: bool) -> nix::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let fl = OFlag::from_bits_truncate(fcntl(f, FcntlArg::F_GETFL)?);
    let fl = if on {
        fl | OFlag::O_NONBLOCK
    } else {
        fl - OFlag::O_NONBLOCK
    };
    fcntl(f, FcntlArg::F_SETFL(fl)).map(|_| ())
}

/// What a QBUF or PREPARE_BUF puts in each plane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaneMem {
    /// Whatever the session keeps for this buffer and plane (allocated on first use).
    Auto,
    /// A named dma-buf (`fd=NAME`).
    Dmabuf(String),
    /// A named user area (`ptr=NAME`), live or freed.
    User(String),
    /// Nothing: fd -1 or address 0.
    None,
}

impl Session {
    pub fn reqbufs(&mut self, count: u32, memory: Memory) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        if count > 0 && self.queue_info(ty).1 == 0 {
            self.refresh_format(ty)?;
        }
        let t = now_ns();
        let r = v4l2::reqbufs(self.file()?, ty, memory, count);
        let arg = IoctlArg::Alloc {
            ty,
            memory,
            count,
            count_out: r.ok().map(|x| x.0),
            index: None,
            caps: r.ok().map(|x| x.1),
            max_buffers: None,
        };
        let res = r.map(|_| ());
        self.record_ioctl(t, IoctlCmd::Reqbufs, res, arg, Vec::new());
        if let Ok((granted, _)) = r {
            let q = self.queues.entry(ty).or_default();
            q.count = granted;
            q.memory = (granted > 0).then_some(memory);
            if granted == 0 {
                self.retire_auto_memory(ty);
            }
        }
        Ok(res)
    }

    /// CREATE_BUFS with the queue's memory type (MMAP before any allocation).
    pub fn create_bufs(&mut self, count: u32) -> Result<Outcome, DeviceError> {
        self.create_bufs_of(count, Memory::Mmap)
    }

    /// CREATE_BUFS with the queue's memory type, or `fresh` when it has no buffers yet.
    pub fn create_bufs_of(&mut self, count: u32, fresh: Memory) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        if self.queue_info(ty).1 == 0 {
            self.refresh_format(ty)?;
        }
        let memory = self.queues.get(&ty).and_then(|q| q.memory).unwrap_or(fresh);
        let t = now_ns();
        let r = v4l2::create_bufs(self.file()?, ty, memory, count);
        let arg = IoctlArg::Alloc {
            ty,
            memory,
            count,
            count_out: r.ok().map(|x| x.1),
            index: r.ok().map(|x| x.0),
            caps: None,
            max_buffers: None,
        };
        let res = r.map(|_| ());
        self.record_ioctl(t, IoctlCmd::CreateBufs, res, arg, Vec::new());
        if let Ok((first, n)) = r {
            let q = self.queues.entry(ty).or_default();
            q.count = q.count.max(first.saturating_add(n));
            q.memory = Some(memory);
        }
        Ok(res)
    }

    pub fn remove_bufs(&mut self, index: u32, count: u32) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        let t = now_ns();
        let r = v4l2::remove_bufs(self.file()?, ty, index, count);
        self.record_ioctl(
            t,
            IoctlCmd::RemoveBufs,
            r,
            IoctlArg::Remove { ty, index, count },
            Vec::new(),
        );
        Ok(r)
    }

    pub fn querybuf(&mut self, index: u32) -> Result<Outcome, DeviceError> {
        Ok(self.querybuf_planes(index)?.map(|_| ()))
    }

    fn buffer_in(&mut self, index: u32, mems: &[PlaneMem]) -> Result<BufferIn, DeviceError> {
        let ty = self.queue;
        let (memory, _, sizes) = self.queue_info(ty);
        let memory = memory.unwrap_or(Memory::Mmap);
        let nplanes = sizes.len().max(1);
        let mut b = BufferIn {
            index,
            memory: Some(memory),
            ..BufferIn::default()
        };
        for p in 0..nplanes {
            let mem = match mems {
                [] => &PlaneMem::Auto,
                [one] => one,
                many => many.get(p).unwrap_or(&PlaneMem::None),
            };
            let plane = match (memory, mem) {
                (Memory::Mmap, _) => (0, 0),
                (_, PlaneMem::Auto) => self.auto_plane(index, p as u8, memory)?,
                (Memory::Dmabuf, PlaneMem::Dmabuf(n)) => {
                    let (fd, len) = self
                        .named_dmabuf(n)
                        .ok_or_else(|| DeviceError::Scenario(format!("no dma-buf named {n}")))?;
                    (fd as i64 as u64, len.min(u64::from(u32::MAX)) as u32)
                }
                (Memory::Userptr, PlaneMem::User(n)) => {
                    let (addr, len) = self
                        .user_area(n)
                        .ok_or_else(|| DeviceError::Scenario(format!("no user area named {n}")))?;
                    (addr, len.min(u64::from(u32::MAX)) as u32)
                }
                (Memory::Dmabuf, _) => (-1i64 as u64, 0),
                _ => (0, 0),
            };
            b.planes.push(plane);
        }
        if self.queue.is_output() {
            b.bytesused = sizes.clone();
        }
        Ok(b)
    }

    fn buffer_call(
        &mut self,
        cmd: IoctlCmd,
        index: u32,
        mems: &[PlaneMem],
        request: Option<&str>,
        payload: Option<u32>,
    ) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        let mut b = self.buffer_in(index, mems)?;
        if let Some(r) = request {
            b.request_fd = Some(self.request_fd(r)?);
        }
        if let Some(n) = payload {
            b.bytesused.resize(b.bytesused.len().max(1), 0);
            b.bytesused[0] = n;
        }
        let nb = self.nonblock();
        let t = now_ns();
        let r = match cmd {
            IoctlCmd::PrepareBuf => v4l2::prepare_buf(self.file()?, ty, &b),
            _ => v4l2::qbuf(self.file()?, ty, &b),
        };
        let (buf, planes) = match &r {
            Ok(u) => v4l2::decode(u, nb),
            Err(_) => v4l2::decode_in(ty, &b, nb),
        };
        let res = r.map(|_| ());
        self.record_ioctl(t, cmd, res, IoctlArg::Buffer(buf), planes);
        Ok(res)
    }

    pub fn qbuf(&mut self, index: u32, mems: &[PlaneMem]) -> Result<Outcome, DeviceError> {
        self.buffer_call(IoctlCmd::Qbuf, index, mems, None, None)
    }

    /// QBUF of a mapped MMAP buffer after `fill` wrote into its plane 0 (given the whole
    /// mapping, it returns how many bytes it wrote, the `bytesused`): a coded frame for a
    /// decoder. As in an application, the plane must have been mapped (`mmap INDEX`).
    pub fn qbuf_filled(
        &mut self,
        index: u32,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, DeviceError>,
    ) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        let m = self
            .maps
            .iter_mut()
            .rfind(|m| m.ty == ty && m.index == index && m.plane == 0)
            .ok_or_else(|| {
                DeviceError::Scenario(format!(
                    "data= needs buffer {index} mapped: add `mmap {index}` before"
                ))
            })?;
        let n = fill(m._map.as_mut())?;
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.buffer_call(IoctlCmd::Qbuf, index, &[], None, Some(n))
    }

    pub fn prepare_buf(&mut self, index: u32, mems: &[PlaneMem]) -> Result<Outcome, DeviceError> {
        self.buffer_call(IoctlCmd::PrepareBuf, index, mems, None, None)
    }

    /// QBUF (or PREPARE_BUF) into media request `request` (`V4L2_BUF_FLAG_REQUEST_FD`).
    pub fn to_request(
        &mut self,
        prepare: bool,
        index: u32,
        mems: &[PlaneMem],
        request: &str,
    ) -> Result<Outcome, DeviceError> {
        let cmd = if prepare {
            IoctlCmd::PrepareBuf
        } else {
            IoctlCmd::Qbuf
        };
        self.buffer_call(cmd, index, mems, Some(request), None)
    }

    /// DQBUF. `nonblock` on a blocking handle sets O_NONBLOCK on its open file for this one
    /// call (the same file, so vb2 still sees the queue's owner). A blocking call that gets
    /// nothing within `timeout_ms` is interrupted by the watchdog and recorded with the EINTR
    /// the kernel gives; the result is then `Err(ETIMEDOUT)`, to tell it from a real EINTR.
    pub fn dqbuf(
        &mut self,
        nonblock: bool,
        timeout_ms: u16,
    ) -> Result<(Outcome, Option<u32>), DeviceError> {
        let ty = self.queue;
        let handle_nonblock = self.nonblock();
        let call_nonblock = handle_nonblock || nonblock;
        let f = self.file()?;
        let switched = nonblock && !handle_nonblock && set_nonblock(f, true).is_ok();
        if nonblock && !handle_nonblock && !switched {
            return Err(DeviceError::Scenario(
                "cannot make the handle non-blocking".into(),
            ));
        }
        let t = now_ns();
        let (r, fired) = if call_nonblock {
            (v4l2::dqbuf(f, ty), false)
        } else {
            self.watchdog.guard(
                std::time::Duration::from_millis(u64::from(timeout_ms)),
                || v4l2::dqbuf(f, ty),
            )
        };
        if switched {
            let _ = set_nonblock(f, false);
        }
        let (mut buf, planes) = match &r {
            Ok(u) => v4l2::decode(u, call_nonblock),
            Err(_) => v4l2::decode_in(ty, &BufferIn::default(), call_nonblock),
        };
        buf.nonblock = call_nonblock;
        let index = r.as_ref().ok().map(|_| buf.index);
        let res = r.map(|_| ());
        self.record_ioctl(t, IoctlCmd::Dqbuf, res, IoctlArg::Buffer(buf), planes);
        if fired && res == Err(Errno(nix::libc::EINTR as u16)) {
            return Ok((Err(Errno::ETIMEDOUT), None));
        }
        Ok((res, index))
    }

    /// Waits up to `timeout_ms` for a buffer to dequeue (poll(), not recorded), so a live
    /// loop can look at commands between frames. `Ready::Error` is vb2's EPOLLERR: not
    /// streaming, or streaming with nothing queued since STREAMON; a DQBUF then would fail
    /// or block.
    pub fn wait_ready(&self, timeout_ms: u16) -> Result<Ready, DeviceError> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let f = self.file()?;
        let want = if self.queue.is_output() {
            PollFlags::POLLOUT
        } else {
            PollFlags::POLLIN
        };
        let mut fds = [PollFd::new(f.as_fd(), want)];
        match poll(&mut fds, PollTimeout::from(timeout_ms)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => Ok(Ready::No),
            Ok(_) => {
                let rev = fds[0].revents().unwrap_or(PollFlags::empty());
                Ok(if rev.intersects(PollFlags::POLLERR | PollFlags::POLLHUP) {
                    Ready::Error
                } else if rev.intersects(want) {
                    Ready::Yes
                } else {
                    Ready::No
                })
            }
            Err(e) => Err(DeviceError::call("poll", Errno(e as i32 as u16))),
        }
    }

    pub fn streamon(&mut self) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        let t = now_ns();
        let r = v4l2::streamon(self.file()?, ty);
        self.record_ioctl(
            t,
            IoctlCmd::Streamon,
            r,
            IoctlArg::Stream { ty },
            Vec::new(),
        );
        Ok(r)
    }

    pub fn streamoff(&mut self) -> Result<Outcome, DeviceError> {
        let ty = self.queue;
        let t = now_ns();
        let r = v4l2::streamoff(self.file()?, ty);
        self.record_ioctl(
            t,
            IoctlCmd::Streamoff,
            r,
            IoctlArg::Stream { ty },
            Vec::new(),
        );
        Ok(r)
    }

    /// DECODER_CMD / ENCODER_CMD (`v4l2::codec::CMD_*`): a drain (STOP), a restart (START).
    pub fn codec_command(&mut self, encoder: bool, cmd: u32) -> Result<Outcome, DeviceError> {
        let t = now_ns();
        let r = crate::raw::codec_cmd(self.file()?, encoder, cmd)
            .map_err(|e| vb2scope_core::v4l2::Errno(e as i32 as u16));
        let what = IoctlCmd::codec_cmd(encoder);
        let arg = IoctlArg::Command {
            cmd: Some(cmd),
            flags: 0,
        };
        self.record_ioctl(t, what, r, arg, Vec::new());
        Ok(r)
    }

    /// Asks for a fast frame rate so streaming runs do not wait on a 5 fps default.
    pub fn fast_frame_rate(&mut self) {
        if let Ok(f) = self.file() {
            let _ = v4l2::set_frame_rate(f, self.queue, 60);
        }
    }
}
