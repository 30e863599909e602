//! The STREAMOFF under way. On a memory-to-memory context it first waits for the job the
//! driver is running (`v4l2_m2m_cancel_job`); a completion of the stopped queue's buffer
//! from the driver's thread in that time is that job's, and STREAMOFF then drops it with the
//! queue (R41). The window ends with the call when the source timed it, else at the
//! caller's next call.

use crate::v4l2::QueueKey;

#[derive(Clone, Copy, Debug)]
pub(super) struct Stopping {
    key: QueueKey,
    tid: u32,
    from: u64,
    to: u64,
}

impl Stopping {
    /// A successful STREAMOFF of `key` by thread `tid` at `t_ns`, that took `dur` ns if known.
    pub(super) fn new(key: QueueKey, tid: u32, t_ns: u64, dur: Option<u64>) -> Stopping {
        Stopping {
            key,
            tid,
            from: t_ns,
            to: dur.map_or(u64::MAX, |d| t_ns.saturating_add(d)),
        }
    }

    /// Thread `tid` made a call at `t_ns`: an untimed STREAMOFF of it had returned by then.
    pub(super) fn caller_moved_on(&mut self, tid: u32, t_ns: u64) {
        if tid == self.tid && t_ns > self.from {
            self.to = self.to.min(t_ns);
        }
    }

    /// Whether a completion on `key` by thread `tid` at `t_ns` happened inside this call,
    /// from a thread other than the caller's (the caller's own are stop_streaming's).
    pub(super) fn covers(&self, key: QueueKey, tid: u32, t_ns: u64) -> bool {
        key == self.key && tid != self.tid && tid != 0 && (self.from..=self.to).contains(&t_ns)
    }
}
