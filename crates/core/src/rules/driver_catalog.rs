//! Rules R50–R55: what a driver or its allocator decided on its own. vb2 asks the driver
//! (`queue_setup`, `buf_prepare`, `start_streaming`) and the allocator (`get_userptr`,
//! `attach_dmabuf`, `map_dmabuf`) at several points, and each may refuse or adjust. These are
//! facts about the driver, not about vb2, so they are information under every policy: they
//! explain a result the policy alone would not predict, and never count as a divergence.

use super::Severity::Info as I;
use super::{RuleId, RuleInfo, Severity};

const fn info_everywhere() -> [Option<Severity>; 4] {
    [Some(I), Some(I), Some(I), Some(I)]
}

const REQBUFS_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-reqbufs.rst";
const QBUF_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-qbuf.rst";
const STREAMON_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-streamon.rst";

/// The same words under every policy: the driver's choice does not depend on vb2's version.
const SAME: &str = "The driver decides this, whatever the vb2 version; shown for information.";

/// R50–R55, in the order of [`RuleId::ALL`].
pub static DRIVER_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: RuleId::R50,
        title: "Driver does not offer this memory type",
        severity: info_everywhere(),
        source: REQBUFS_RST,
        quote: "When the I/O method is not supported the ioctl returns an EINVAL error code.",
        explanation: "Each driver declares which memory types a queue supports (its io_modes). \
            vb2 refuses REQBUFS and CREATE_BUFS for any other with EINVAL before allocating \
            anything; a dma-contig driver, for example, usually offers no USERPTR. This is the \
            driver's choice, not a vb2 fault. An application should read the capabilities \
            REQBUFS returns (V4L2_BUF_CAP_SUPPORTS_MMAP, _USERPTR, _DMABUF; a REQBUFS with \
            count 0 asks without allocating) and pick a memory type the queue offers.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
    RuleInfo {
        id: RuleId::R51,
        title: "Driver or allocator refused the buffer's memory",
        severity: info_everywhere(),
        source: QBUF_RST,
        quote: "The buffer type is not supported, or the index is out of bounds, or no buffers \
                have been allocated yet, or the userptr or length are invalid",
        explanation: "When a USERPTR or DMABUF buffer is queued or prepared, vb2 hands the \
            memory to the allocator (get_userptr, attach_dmabuf, map_dmabuf) and then to the \
            driver's buf_prepare; either may refuse it. dma-contig, for one, needs physically \
            contiguous memory and refuses a scattered dma-buf with EFAULT (\"contiguous chunk \
            is too small\"); a driver refuses a buffer smaller than its format. vb2 gives the \
            error back and the buffer stays dequeued, holding nothing. Import from an exporter \
            whose memory the device can use (for dma-contig, another dma-contig device or a \
            CMA heap), or let this device allocate (MMAP) and export with EXPBUF.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
    RuleInfo {
        id: RuleId::R52,
        title: "Driver allocated more buffers than asked",
        severity: info_everywhere(),
        source: REQBUFS_RST,
        quote: "A larger number is also possible when the driver requires more buffers to \
                function correctly.",
        explanation: "A driver may need a minimum number of buffers to stream (one being \
            filled while another is displayed or processed), and vb2 allocates at least \
            min_reqbufs_allocation (min_buffers_needed before 6.10). The count REQBUFS or \
            CREATE_BUFS returns is the number that exists; an application must use that \
            number, not the one it asked for.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
    RuleInfo {
        id: RuleId::R53,
        title: "Driver allocated fewer buffers than asked",
        severity: info_everywhere(),
        source: REQBUFS_RST,
        quote: "It can be smaller than the number requested, even zero, when the driver runs \
                out of free memory.",
        explanation: "vb2 caps a queue at max_num_buffers (32 before 6.8, VB2_MAX_FRAME; a \
            driver may allow more since), and a driver or allocator may run out of memory. \
            The count REQBUFS or CREATE_BUFS returns is the number that exists: indices at or \
            above it are invalid, and an application must not queue them.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
    RuleInfo {
        id: RuleId::R54,
        title: "Driver refused to start streaming",
        severity: info_everywhere(),
        source: STREAMON_RST,
        quote: "If VIDIOC_STREAMON fails then any already queued buffers will remain queued.",
        explanation: "STREAMON reaches the driver's start_streaming (once enough buffers are \
            queued), which may fail: no signal, a pipeline that does not validate, too few \
            buffers allocated for the driver's minimum, or an injected error. That is the \
            driver's answer rather than vb2's. Modern vb2 leaves the queued buffers queued; \
            vb2 of 3.8 cancelled the queue and returned them to the application.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
    RuleInfo {
        id: RuleId::R55,
        title: "Driver could not set up the buffers",
        severity: info_everywhere(),
        source: REQBUFS_RST,
        quote: "It can be smaller than the number requested, even zero, when the driver runs \
                out of free memory.",
        explanation: "REQBUFS and CREATE_BUFS ask the driver's queue_setup for the plane \
            count and sizes and then allocate; queue_setup may refuse a format it cannot \
            stream, and the allocator may run out of memory. vb2 has already freed the \
            buffers the queue held before asking. Check the format (S_FMT) and the memory \
            available, then ask again.",
        per_policy: [SAME, SAME, SAME, SAME],
    },
];
