//! A finding: one rule broken at one place in a trace.

use crate::v4l2::{Errno, MemopKind, Memory, Outcome, QueueKey, outcome_str};

use super::RuleId;

/// Rule-specific facts of a finding, rendered into its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingDetail {
    None,
    /// A result that differs from the expected one (EXPECT, DIVERGE, R14, R19…).
    Result {
        op: &'static str,
        expected: Outcome,
        actual: Outcome,
    },
    /// A failed `expect` line: the line it stands on.
    Expect {
        line: u32,
        op_line: u32,
        expected: Outcome,
        actual: Outcome,
    },
    /// A memop that was not expected in the plane's state (R05, R06).
    Memop(MemopKind),
    /// A buffer state the rule is about (R07, R10, R11, R21).
    State(&'static str),
    /// A count (R07: buffers not returned, R22: queued vs needed).
    Count {
        have: u32,
        need: u32,
    },
    /// R16: the association changed; the kind of memory.
    Reassociated {
        dmabuf: bool,
    },
    /// R17: same dma-buf through another fd number.
    FdChanged {
        old: i32,
        new: i32,
    },
    /// A kernel log line that gave the finding away.
    Log(String),
    /// A driver or allocator callback refused where vb2 itself would have gone on
    /// (R50, R51, R54, R55).
    Refused {
        op: &'static str,
        errno: Errno,
        memory: Option<Memory>,
    },
    /// A poll on fd `fd` asking for `events` (`POLL*` bits) (R31).
    Poll {
        fd: i32,
        events: u16,
    },
    /// REQBUFS/CREATE_BUFS granted another number of buffers than asked (R52, R53).
    Granted {
        asked: u32,
        got: u32,
    },
}

/// One rule broken at one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    /// The event's position in the trace (0-based).
    pub event: u32,
    pub t_ns: u64,
    pub queue: Option<QueueKey>,
    pub index: Option<u32>,
    pub plane: Option<u8>,
    pub detail: FindingDetail,
}

fn mem_str(m: Option<Memory>) -> &'static str {
    m.map_or("its", Memory::as_str)
}

fn plane_str(plane: Option<u8>) -> String {
    plane.map(|p| format!(" plane {p}")).unwrap_or_default()
}

impl Finding {
    /// A one-line message saying what happened at this place.
    pub fn message(&self) -> String {
        let b = self
            .index
            .map(|i| format!("buffer {i}"))
            .unwrap_or_else(|| "a buffer".into());
        let p = plane_str(self.plane);
        let d = &self.detail;
        match (self.rule, d) {
            (
                RuleId::Expect,
                FindingDetail::Expect {
                    line,
                    op_line,
                    expected,
                    actual,
                },
            ) => format!(
                "expect on line {line} failed: line {op_line} was expected to give {}, got {}",
                outcome_str(*expected),
                outcome_str(*actual)
            ),
            (
                _,
                FindingDetail::Result {
                    op,
                    expected,
                    actual,
                },
            ) => match self.rule {
                RuleId::R36 => format!(
                    "{op} command during a drain refused ({}): wait for the LAST buffer",
                    outcome_str(*actual)
                ),
                RuleId::Diverge => format!(
                    "{op} returned {} where the policy predicts {}",
                    outcome_str(*actual),
                    outcome_str(*expected)
                ),
                _ => format!(
                    "{op} returned {} (expected {})",
                    outcome_str(*actual),
                    outcome_str(*expected)
                ),
            },
            (RuleId::R01, _) => format!("USERPTR pages of {b}{p} are still pinned after STREAMOFF"),
            (RuleId::R02, _) => format!("USERPTR pages of {b}{p} are still pinned after DQBUF"),
            (RuleId::R03, _) => format!("dma-buf of {b}{p} is still mapped after STREAMOFF"),
            (RuleId::R04, _) => format!("dma-buf of {b}{p} is still mapped after DQBUF"),
            (RuleId::R05, FindingDetail::Log(l)) => format!("kernel: {l}"),
            (RuleId::R05, _) => format!(
                "map_dmabuf on {b}{p}, which is already mapped: \"dmabuf buffer is already pinned\""
            ),
            (RuleId::R06, FindingDetail::Log(l)) => format!("kernel: {l}"),
            (RuleId::R06, FindingDetail::Memop(m)) => {
                format!("unbalanced {} on {b}{p}", m.as_str())
            }
            (RuleId::R07, FindingDetail::State(s)) => {
                format!("{b} is {s} after STREAMOFF returned 0")
            }
            (RuleId::R07b, FindingDetail::Count { have, .. }) => {
                format!("STREAMOFF without STREAMON left {have} queued buffer(s) on the queue")
            }
            (RuleId::R08, FindingDetail::Log(l)) => format!("kernel: {l}"),
            (RuleId::R08, _) => format!("stop_streaming returned without giving back {b}"),
            (RuleId::R09, _) => {
                format!("start_streaming failed and did not return {b} with VB2_BUF_STATE_QUEUED")
            }
            (RuleId::R10, FindingDetail::None) => {
                "the driver completes a buffer, but no buffer is active".into()
            }
            (RuleId::R10, FindingDetail::State(s)) => {
                format!("vb2_buffer_done on {b}, which is {s}, not active")
            }
            (RuleId::R11, FindingDetail::State(s)) => format!("QBUF of {b}, which is already {s}"),
            (RuleId::R12, _) => "DQBUF while the queue is not streaming".into(),
            (RuleId::R12b, _) => {
                "blocking DQBUF with no buffer in the driver or on the done list: it waits forever"
                    .into()
            }
            (RuleId::R13, _) => format!("{b}{p} still holds memory after it was freed"),
            (RuleId::R15, _) => "REQBUFS/CREATE_BUFS while streaming".into(),
            (RuleId::R16, FindingDetail::Reassociated { dmabuf: true }) => {
                format!("{b}{p} gets a different dma-buf than last time")
            }
            (RuleId::R16, _) => format!("{b}{p} gets a different user address or length"),
            (RuleId::R17, FindingDetail::FdChanged { old, new }) => {
                format!("{b}{p}: same dma-buf through fd {new} (was fd {old})")
            }
            (RuleId::R18, FindingDetail::State(_)) => format!(
                "{b}{p} is queued again at an address whose memory was freed; vb2 reuses its stale pin"
            ),
            (RuleId::R18, _) => {
                format!("user memory of {b}{p} is freed while the buffer is queued")
            }
            (RuleId::R20, _) => "queue ioctl from a file handle that does not own the queue".into(),
            (RuleId::R21, FindingDetail::State(s)) => {
                format!("REMOVE_BUFS over {b}, which is {s}")
            }
            (RuleId::R22, FindingDetail::Count { have, need }) => format!(
                "streaming, but start_streaming waits: {have} buffer(s) queued, driver needs {need}"
            ),
            (RuleId::R23, _) => format!(
                "QBUF of {b} on an M2M CAPTURE queue with a request fd: only OUTPUT buffers go \
                 into requests"
            ),
            (RuleId::R24, _) => format!(
                "QBUF of {b}: direct queueing and media requests mixed on one queue (EBUSY until \
                 STREAMOFF or REQBUFS)"
            ),
            (RuleId::R25, _) => "a media request queued with no buffer in it (ENOENT)".into(),
            (RuleId::R26, _) => {
                "a media request used while queued or completed (EBUSY): re-initialise it first"
                    .into()
            }
            (RuleId::R27, _) => format!(
                "{b} taken out of a media request that was never queued: it is back with the \
                 application, and the request is empty"
            ),
            (RuleId::R28, _) => {
                format!("PREPARE_BUF of {b} with REQUEST_FD: only QBUF takes a request (EINVAL)")
            }
            (RuleId::R29, FindingDetail::State(s)) => format!(
                "a media request's controls read while it is {s}: they can be read once it \
                 completed (EACCES)"
            ),
            (RuleId::R31, FindingDetail::Poll { fd, events }) => format!(
                "poll on media request fd {fd} for {} without POLLPRI: a request signals its \
                 completion with POLLPRI only, so this wait never ends by it",
                crate::v4l2::poll::names(*events)
            ),
            (RuleId::R30, FindingDetail::State(s)) => {
                format!("{b} put into a media request while {s}, not dequeued (EINVAL)")
            }
            (RuleId::R32, FindingDetail::Count { have, .. }) => format!(
                "DQBUF returned EPIPE {have} times in a row after the LAST buffer: a busy loop"
            ),
            (RuleId::R33, FindingDetail::State(how)) => format!(
                "a drain abandoned by {how} before its LAST buffer was dequeued: results not \
                 yet dequeued are discarded"
            ),
            (RuleId::R34, _) => "the CAPTURE queue was restarted after a source change during a \
                 drain: v4l2-mem2mem clears the drain, send STOP again to finish it"
                .into(),
            (RuleId::R35, _) => "STOP while a queue is not streaming: the spec starts no drain \
                 (drivers using v4l2-mem2mem's helpers drain anyway)"
                .into(),
            (RuleId::R37, _) => format!(
                "QBUF of {b} came back DONE and LAST: the drain's last buffer, completed at once"
            ),
            (RuleId::R38, _) => "the decoder reported a resolution change and OUTPUT buffers \
                 were queued after it, but CAPTURE was never restarted (STREAMOFF and STREAMON, \
                 or DECODER_CMD START) before the trace ended: the decoder decodes nothing more"
                .into(),
            (RuleId::R39, _) => format!(
                "{b} came back from the decoder empty, without LAST or ERROR: no frame (the \
                 end of the stream as drivers before the LAST flag said it)"
            ),
            (RuleId::R40, _) => "a blocking DQBUF on one queue of an M2M context while the \
                 other queue is stopped: no job can run, so the wait never ends"
                .into(),
            (RuleId::R41, _) => format!(
                "{b} was completed DONE by the driver while STREAMOFF stopped its queue: the \
                 job's result was dropped, never dequeued"
            ),
            (RuleId::R42, _) => format!(
                "QBUF of {b} asked M2M_HOLD_CAPTURE_BUF and the kernel dropped it: the queue \
                 does not support holding the CAPTURE buffer"
            ),
            (RuleId::R43, _) => "the last OUTPUT buffer held its CAPTURE buffer \
                 (M2M_HOLD_CAPTURE_BUF) and no FLUSH followed: the last frame is not delivered"
                .into(),
            (RuleId::R44, _) => format!(
                "{b}{p} of a decoder's CAPTURE queue queued with other memory while it streams: \
                 the decoder may still read the old memory as a reference frame"
            ),
            (RuleId::R45, FindingDetail::Count { have, .. }) => {
                format!("{have} calls on a queue in error (EIO): stop streaming to reset it")
            }
            (RuleId::R46, _) => format!(
                "the driver completed {b} after the LAST buffer and before a restart: the \
                 result comes after the end of the stream, and DQBUF answers EPIPE"
            ),
            (RuleId::R48, FindingDetail::Count { have, need }) => format!(
                "no job of this M2M context ran after STREAMOFF failed at event {have} \
                 ({need} waits found nothing): v4l2-mem2mem leaves the context aborted until \
                 a STREAMOFF succeeds"
            ),
            (RuleId::R49, _) => "DQBUF still returns EPIPE after a START command: the driver did \
                 not re-arm the queue"
                .into(),
            (RuleId::R50, FindingDetail::Refused { op, errno, memory }) => format!(
                "{op}: the driver does not offer {} buffers on this queue ({errno})",
                mem_str(*memory)
            ),
            (RuleId::R51, FindingDetail::Refused { op, errno, memory }) => format!(
                "{op} of {b}: the driver or its allocator refused the {} memory ({errno})",
                mem_str(*memory)
            ),
            (RuleId::R52, FindingDetail::Granted { asked, got }) => {
                format!("asked for {asked} buffer(s), the driver allocated {got}: its minimum")
            }
            (RuleId::R53, FindingDetail::Granted { asked, got }) => format!(
                "asked for {asked} buffer(s), the driver allocated {got}: its maximum, or all \
                 the memory it had"
            ),
            (RuleId::R54, FindingDetail::Refused { op, errno, .. }) => {
                format!("{op}: the driver refused to start streaming ({errno})")
            }
            (RuleId::R55, FindingDetail::Refused { op, errno, memory }) => format!(
                "{op}: the driver could not set up {} buffers ({errno})",
                mem_str(*memory)
            ),
            (rule, FindingDetail::Log(l)) => format!("{rule}: kernel: {l}"),
            (rule, _) => format!("{rule} on {b}{p}"),
        }
    }
}
