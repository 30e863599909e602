//! Media requests on a real device: the media device of the session's video node
//! (the one registered for the same device), MEDIA_IOC_REQUEST_ALLOC on it, and
//! MEDIA_REQUEST_IOC_QUEUE / _REINIT and close on each request's fd, every call recorded
//! with the kernel's result. A buffer is put into a request by QBUF with
//! `V4L2_BUF_FLAG_REQUEST_FD` (`ops.rs`).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use vb2scope_core::trace::{Body, IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::ctrls::CtrlAccess;
use vb2scope_core::v4l2::{Errno, Outcome};

use super::error::DeviceError;
use super::session::{Session, now_ns};

/// The media device node of the video node's own device, if any: a media device sits in
/// sysfs under the device it was registered for (`/sys/devices/platform/vim2m/media3`), which
/// is the video node's `device`.
pub(super) fn media_node_of(video: &Path) -> Option<PathBuf> {
    let name = std::fs::canonicalize(video).ok()?;
    let name = name.file_name()?.to_str()?;
    let parent = std::fs::canonicalize(format!("/sys/class/video4linux/{name}/device")).ok()?;
    let mut found: Vec<PathBuf> = std::fs::read_dir("/sys/bus/media/devices")
        .ok()?
        .filter_map(Result::ok)
        .filter(|m| {
            std::fs::canonicalize(m.path())
                .ok()
                .is_some_and(|real| real.parent() == Some(parent.as_path()))
        })
        .map(|m| PathBuf::from("/dev").join(m.file_name()))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn errno(e: nix::errno::Errno) -> Errno {
    Errno(e as i32 as u16)
}

impl Session {
    /// The media device, opened once.
    fn media(&mut self) -> Result<&File, DeviceError> {
        if self.media.is_none() {
            let path = media_node_of(&self.path).ok_or_else(|| {
                DeviceError::Scenario(format!(
                    "{}: no media device shares its parent: media requests need one",
                    self.path.display()
                ))
            })?;
            let f = File::options()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|source| DeviceError::Open { path, source })?;
            self.media = Some(f);
        }
        self.media
            .as_ref()
            .ok_or_else(|| DeviceError::Scenario("no media device".into()))
    }

    /// Whether the session's node has a media device to make requests on.
    pub fn has_media_device(&self) -> bool {
        self.media.is_some() || media_node_of(&self.path).is_some()
    }

    /// `request NAME`: MEDIA_IOC_REQUEST_ALLOC.
    pub fn request_alloc(&mut self, name: &str) -> Result<Outcome, DeviceError> {
        let media = self.media()?;
        let media_fd = media.as_raw_fd();
        let t = now_ns();
        let r = crate::raw::request_alloc(media).map_err(errno);
        let fd_out = r.as_ref().ok().map(AsRawFd::as_raw_fd);
        let res = r.as_ref().map(|_| ()).map_err(|e| *e);
        self.record_ioctl_on(
            media_fd,
            t,
            IoctlCmd::RequestAlloc,
            res,
            IoctlArg::Request { fd_out },
            Vec::new(),
        );
        if let Ok(owned) = r
            && let Some(old) = self.requests.insert(name.to_owned(), owned)
        {
            self.kept_fds.push(old);
        }
        Ok(res)
    }

    /// `queue_request NAME` or `reinit NAME`.
    pub fn request_call(&mut self, name: &str, reinit: bool) -> Result<Outcome, DeviceError> {
        let fd = self.request_fd(name)?;
        let t = now_ns();
        let r = match self.requests.get(name) {
            Some(req) => crate::raw::request_ioctl(req, reinit).map_err(errno),
            None => Err(Errno::EBADF),
        };
        let cmd = if reinit {
            IoctlCmd::RequestReinit
        } else {
            IoctlCmd::RequestQueue
        };
        self.record_ioctl_on(
            fd,
            t,
            cmd,
            r,
            IoctlArg::Request { fd_out: None },
            Vec::new(),
        );
        Ok(r)
    }

    /// `set_ctrls`, `get_ctrls` or `try_ctrls NAME`: S/G/TRY_EXT_CTRLS of request `name`
    /// (no control: the node's handler bound to the request, or its values read back).
    pub fn request_controls(
        &mut self,
        name: &str,
        access: CtrlAccess,
    ) -> Result<Outcome, DeviceError> {
        let request_fd = self.request_fd(name)?;
        let cmd = IoctlCmd::controls(access);
        let t = now_ns();
        let r = crate::raw::request_ext_ctrls(self.file()?, access, request_fd).map_err(errno);
        let arg = IoctlArg::Controls {
            which: vb2scope_core::v4l2::ctrls::WHICH_REQUEST_VAL,
            count: 0,
            request_fd: Some(request_fd),
        };
        self.record_ioctl(t, cmd, r, arg, Vec::new());
        Ok(r)
    }

    /// `poll NAME EVENTS`: poll() of request `name` for `events` (`POLL*` bits), waiting at
    /// most `timeout_ms`.
    pub fn poll_request(
        &mut self,
        name: &str,
        events: u16,
        timeout_ms: u16,
    ) -> Result<Outcome, DeviceError> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let fd = self.request_fd(name)?;
        let Some(req) = self.requests.get(name) else {
            return Err(DeviceError::Scenario(format!("no media request {name:?}")));
        };
        let t = now_ns();
        let flags = PollFlags::from_bits_truncate(events as i16);
        let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(req), flags)];
        let r = poll(&mut fds, PollTimeout::from(timeout_ms)).map_err(errno);
        let revents = fds[0].revents().map_or(0, |f| f.bits() as u16);
        let res = r.map(|_| ());
        self.emit(
            t,
            Body::Poll {
                fd,
                events,
                revents,
            },
            |_| {},
        );
        Ok(res)
    }

    /// The fd of request `name`.
    pub(super) fn request_fd(&self, name: &str) -> Result<i32, DeviceError> {
        self.requests
            .get(name)
            .map(AsRawFd::as_raw_fd)
            .ok_or_else(|| DeviceError::Scenario(format!("no media request {name:?}")))
    }

    /// Closes request `name`, if it is one; whether it was.
    pub(super) fn close_request(&mut self, name: &str) -> bool {
        let Some(fd) = self.requests.remove(name) else {
            return false;
        };
        let raw = fd.as_raw_fd();
        let t = now_ns();
        drop(fd);
        self.emit(t, Body::Close { fd: raw }, |_| {});
        true
    }
}
