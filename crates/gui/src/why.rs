//! Why vb2 does what it does at a step, in words, with the sentence of the specification
//! behind it: the teaching text of step mode.

use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, info};
use vb2scope_core::trace::{Body, IoctlArg, IoctlCmd, Trace};

/// A paragraph and, where one applies, the rule whose spec sentence stands behind it.
pub struct Why {
    pub text: String,
    pub rule: Option<RuleId>,
}

fn policy_text(p: Policy, spec: &str, old2012: &str, v38: &str, modern: &str) -> String {
    match p {
        Policy::Spec => spec,
        Policy::Vb2_2012 => old2012,
        Policy::Vb2_3_8 => v38,
        Policy::Linux(_) => modern,
    }
    .to_string()
}

/// Why event `i` does what it does under `policy`; `None` for events with nothing to teach.
pub fn why(trace: &Trace, i: usize, policy: Policy) -> Option<Why> {
    let e = trace.events.get(i)?;
    let (text, rule) = match e.body {
        Body::Ioctl { cmd, arg, .. } => {
            let zero = matches!(trace.arg(arg), Some(IoctlArg::Alloc { count: 0, .. }));
            match cmd {
                IoctlCmd::Reqbufs if zero => (
                    policy_text(
                        policy,
                        "REQBUFS(0) frees every buffer: pins, attachments and mappings are given back. Buffers still mmapped may only be freed if the driver reports V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS; otherwise EBUSY.",
                        "REQBUFS(0) frees every buffer and gives back pins, attachments and mappings, but refuses with EBUSY while any MMAP buffer is still mmapped or exported.",
                        "REQBUFS(0) frees every buffer and gives back pins, attachments and mappings, but refuses with EBUSY while any MMAP buffer is still mmapped or exported.",
                        "REQBUFS(0) cancels the queue and frees every buffer. MMAP memory still mmapped or exported is orphaned, not refused: it lives until the last munmap or close.",
                    ),
                    Some(RuleId::R14),
                ),
                IoctlCmd::Reqbufs | IoctlCmd::CreateBufs => (
                    "The queue gets its buffers, all DEQUEUED: owned by the application. MMAP memory is allocated now; USERPTR pages and dma-bufs come with each QBUF or PREPARE_BUF. The file handle that allocates owns the queue from now on.".to_string(),
                    Some(RuleId::R20),
                ),
                IoctlCmd::Qbuf | IoctlCmd::PrepareBuf => (
                    policy_text(
                        policy,
                        "The buffer is handed to vb2. Its memory is locked for the device: USERPTR pages pinned, a dma-buf attached and mapped. It stays locked until it is dequeued, STREAMOFF, REQBUFS or close.",
                        "The buffer is prepared: USERPTR pages pinned, the dma-buf attached if it is new, and map_dmabuf called on every plane, mapped or not. A plane left mapped by STREAMOFF is mapped a second time: \"dmabuf buffer is already pinned\".",
                        "The buffer is prepared: USERPTR pages pinned, the dma-buf attached if it is new, and mapped (DQBUF and STREAMOFF unmapped it). Once streaming, the buffer goes on to the driver (buf_queue) and the cache is synced.",
                        "The buffer is prepared: the same user address and length or the same dma-buf (by identity, not fd number) keep their pin or mapping; a change re-acquires every plane. Once start_streaming has run, the buffer goes on to the driver (buf_queue).",
                    ),
                    Some(RuleId::R16),
                ),
                IoctlCmd::Dqbuf => (
                    policy_text(
                        policy,
                        "DQBUF takes the oldest completed buffer back; from now on the application owns it, and the spec lets the driver unlock its memory by now.",
                        "DQBUF takes the oldest completed buffer back and unmaps its dma-buf planes; USERPTR pages stay pinned.",
                        "DQBUF takes the oldest completed buffer back and unmaps its dma-buf planes; USERPTR pages stay pinned.",
                        "DQBUF takes the oldest completed buffer back. Since Linux 5.1 its dma-buf stays mapped and its USERPTR pages stay pinned until the buffer is freed or given other memory.",
                    ),
                    Some(RuleId::R04),
                ),
                IoctlCmd::Streamon => (
                    policy_text(
                        policy,
                        "STREAMON starts the queue: queued buffers go to the driver, which may wait for a minimum number of them. A second STREAMON returns 0.",
                        "STREAMON calls start_streaming at once with whatever is queued; a second STREAMON fails with EBUSY.",
                        "STREAMON calls start_streaming at once with whatever is queued; a second STREAMON fails with EBUSY.",
                        "STREAMON marks the queue streaming; start_streaming runs once min_queued_buffers are queued, and every queued buffer then goes to the driver. A second STREAMON returns 0.",
                    ),
                    Some(RuleId::R19),
                ),
                IoctlCmd::Streamoff => (
                    policy_text(
                        policy,
                        "STREAMOFF stops the driver, takes every buffer back (DEQUEUED, on no queue) and unlocks all of them: USERPTR pages unpinned, dma-bufs unmapped.",
                        "STREAMOFF stops the driver and takes every buffer back, but __vb2_queue_cancel does not unmap: planes queued at this point stay mapped, and USERPTR pages stay pinned.",
                        "STREAMOFF stops the driver, takes every buffer back and unmaps their dma-buf planes (__vb2_dqbuf). USERPTR pages stay pinned and attachments stay.",
                        "STREAMOFF stops the driver and takes every buffer back (the driver must return them from stop_streaming). Mappings and pins are kept on purpose until the buffers are freed.",
                    ),
                    Some(RuleId::R03),
                ),
                IoctlCmd::RemoveBufs => (
                    "REMOVE_BUFS frees a range of buffers, all of which must be DEQUEUED; otherwise nothing is freed and it fails with EBUSY.".to_string(),
                    Some(RuleId::R21),
                ),
                IoctlCmd::Expbuf => (
                    "EXPBUF exports an MMAP plane as a dma-buf fd. The buffer is now in use (MAPPED) until that dma-buf is released.".to_string(),
                    Some(RuleId::R14),
                ),
                IoctlCmd::Querybuf => ("QUERYBUF only reports: the buffer's state as flags, and its memory.".to_string(), None),
                IoctlCmd::Querycap => ("QUERYCAP only reports which driver serves the node and what it can do; it changes no buffer.".to_string(), None),
                IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd => (
                    "A codec command. STOP starts a drain: the OUTPUT buffers queued so far are processed, and the last CAPTURE result comes back with V4L2_BUF_FLAG_LAST; after it DQBUF(CAPTURE) returns EPIPE. START resumes after a drain (the driver must re-arm DQBUF); STREAMOFF of CAPTURE also does.".to_string(),
                    Some(RuleId::R32),
                ),
                IoctlCmd::TryDecoderCmd | IoctlCmd::TryEncoderCmd => ("TRY_DECODER_CMD and TRY_ENCODER_CMD only ask whether a command would be accepted; they change nothing.".to_string(), None),
                IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent => ("Subscribing to an event (a decoder's SOURCE_CHANGE, EOS) only says what the application wants to hear of; it changes no buffer.".to_string(), None),
                IoctlCmd::Dqevent => ("DQEVENT takes a pending event. After a SOURCE_CHANGE a decoder's CAPTURE queue is set up again: STREAMOFF, REQBUFS(0), the new format, REQBUFS and STREAMON, while OUTPUT keeps streaming.".to_string(), None),
                IoctlCmd::RequestAlloc => ("MEDIA_IOC_REQUEST_ALLOC makes a media request: an fd that gathers a buffer and the controls that go with it, queued together.".to_string(), None),
                IoctlCmd::RequestQueue => ("MEDIA_REQUEST_IOC_QUEUE queues a request: its buffer is queued to vb2 now (not at QBUF), and the request completes when the driver is done with everything in it.".to_string(), None),
                IoctlCmd::RequestReinit => ("MEDIA_REQUEST_IOC_REINIT empties an idle or completed request for reuse; a buffer still in it goes back to the application.".to_string(), Some(RuleId::R27)),
                IoctlCmd::SExtCtrls | IoctlCmd::TryExtCtrls => ("S_EXT_CTRLS with which = V4L2_CTRL_WHICH_REQUEST_VAL puts control values into a request (a stateless decoder's slice and frame parameters); they apply when the request is queued. Only an idle request takes them: a queued or completed one answers EBUSY.".to_string(), Some(RuleId::R26)),
                IoctlCmd::GExtCtrls => ("G_EXT_CTRLS with which = V4L2_CTRL_WHICH_REQUEST_VAL reads the values a request held, once it completed; before that the kernel answers EACCES.".to_string(), Some(RuleId::R29)),
            }
        }
        Body::Poll { .. } => (
            "poll() or select() waits until a file is ready. A video node is readable when a buffer waits to be dequeued; a media request signals its completion with POLLPRI (select's exceptfds) only, and a poll without it is never woken by the request.".to_string(),
            Some(RuleId::R31),
        ),
        Body::Driver { .. } => (
            "The driver completes a buffer (vb2_buffer_done): it leaves the driver and waits on the done list for DQBUF. Only buffers the driver got through buf_queue may be completed.".to_string(),
            Some(RuleId::R10),
        ),
        Body::Close { .. } => (
            "Closing the handle that owns the queue stops it and frees every buffer, as REQBUFS(0) would; another handle's close changes nothing.".to_string(),
            Some(RuleId::R13),
        ),
        _ => return None,
    };
    Some(Why { text, rule })
}

/// The rule's spec sentence and its source, for quoting under the explanation.
pub fn quote(rule: RuleId) -> (&'static str, &'static str) {
    let r = info(rule);
    (r.quote, r.source)
}
