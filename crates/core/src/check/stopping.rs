//! STREAMOFFs under way. On a memory-to-memory context STREAMOFF first waits for the job the
//! driver is running (`v4l2_m2m_cancel_job`); a completion of the stopped queue's buffer
//! from another context in that time is that job's, and STREAMOFF then drops it with the
//! queue (R41). A call the source timed lasts until its end; an untimed one only until the
//! next call anyone makes in the trace (the kernel events right after it).

use crate::v4l2::QueueKey;

#[derive(Clone, Copy, Debug)]
pub(super) struct Stopping {
    key: QueueKey,
    tid: u32,
    from: u64,
    to: u64,
    untimed: bool,
}

impl Stopping {
    /// A successful STREAMOFF of `key` by thread `tid` at `t_ns` that took `dur` ns, if
    /// known; none when the thread is unknown.
    pub(super) fn new(key: QueueKey, tid: u32, t_ns: u64, dur: Option<u64>) -> Option<Stopping> {
        (tid != 0).then_some(Stopping {
            key,
            tid,
            from: t_ns,
            to: dur.map_or(u64::MAX, |d| t_ns.saturating_add(d)),
            untimed: dur.is_none(),
        })
    }

    /// Whether the call's end is unknown: its window closes at the next call in the trace.
    pub(super) fn untimed(&self) -> bool {
        self.untimed
    }

    /// Whether the call is over by `t_ns`.
    pub(super) fn ended_by(&self, t_ns: u64) -> bool {
        self.to < t_ns
    }

    /// Whether a completion on `key` by thread `tid` (0: an interrupt on an idle CPU) at
    /// `t_ns` happened inside this call, from another context than the caller (the caller's
    /// own completions are stop_streaming's).
    pub(super) fn covers(&self, key: QueueKey, tid: u32, t_ns: u64) -> bool {
        key == self.key && tid != self.tid && (self.from..=self.to).contains(&t_ns)
    }
}
