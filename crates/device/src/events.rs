//! V4L2 events of a session: SUBSCRIBE/UNSUBSCRIBE_EVENT and a DQEVENT that waits, as an
//! application waiting for a decoder's source change does.

use std::time::Duration;

use vb2scope_core::trace::{IoctlArg, IoctlCmd};
use vb2scope_core::v4l2::{Errno, Outcome};

use super::error::DeviceError;
use super::session::{Session, now_ns};

fn errno(e: nix::errno::Errno) -> Errno {
    Errno(e as i32 as u16)
}

impl Session {
    /// VIDIOC_SUBSCRIBE_EVENT (or UNSUBSCRIBE) of event type `ty` on the handle in use.
    pub fn subscribe_event(&mut self, ty: u32, on: bool) -> Result<Outcome, DeviceError> {
        let t = now_ns();
        let r = crate::raw::subscribe_event(self.file()?, ty, on).map_err(errno);
        let cmd = IoctlCmd::event_subscription(on);
        let arg = IoctlArg::Event {
            ty: Some(ty),
            changes: 0,
        };
        self.record_ioctl(t, cmd, r, arg, Vec::new());
        Ok(r)
    }

    /// VIDIOC_DQEVENT. On a blocking handle it waits for an event; one that gets none within
    /// `timeout_ms` is interrupted by the watchdog, recorded with the kernel's EINTR, and
    /// answered `Err(ETIMEDOUT)`. Records the event the kernel returned, whatever it was.
    pub fn dqevent(&mut self, timeout_ms: u16) -> Result<Outcome, DeviceError> {
        let f = self.file()?;
        let t = now_ns();
        let (r, fired) = if self.nonblock() {
            (crate::raw::dqevent(f), false)
        } else {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            self.watchdog.guard(timeout, || crate::raw::dqevent(f))
        };
        let arg = match r {
            Ok((ty, changes)) => IoctlArg::Event {
                ty: Some(ty),
                changes,
            },
            Err(_) => IoctlArg::Event {
                ty: None,
                changes: 0,
            },
        };
        let r = r.map(|_| ()).map_err(errno);
        self.record_ioctl(t, IoctlCmd::Dqevent, r, arg, Vec::new());
        if fired && r == Err(Errno(nix::libc::EINTR as u16)) {
            return Ok(Err(Errno::ETIMEDOUT));
        }
        Ok(r)
    }
}
