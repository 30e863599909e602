//! Rules of memory-to-memory devices, stateful codecs and the Request API (R23–R49 of the
//! codec reference, `m2m-codecs.md` section 6). None of this exists in vb2 of 2012 or 3.8
//! (no LAST flag, no EPIPE, no requests), so those columns are `None`.
//!
//! Where the kernel and the spec disagree (the errno of R23, the reply of R37), the modern
//! column expects the kernel's behaviour and the rule reports only what the application did.

use super::Severity::{Error as E, Info as I, Warning as W};
use super::{RuleId, RuleInfo, Severity};

const fn new_only(spec: Severity, modern: Severity) -> [Option<Severity>; 4] {
    [Some(spec), None, None, Some(modern)]
}

const QBUF_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-qbuf.rst";
const STREAMON_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-streamon.rst";
const BUFFER_RST: &str = "Documentation/userspace-api/media/v4l/buffer.rst";
const STATELESS_RST: &str = "Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst";
const DECODER_RST: &str = "Documentation/userspace-api/media/v4l/dev-decoder.rst";
const REQ_QUEUE_RST: &str =
    "Documentation/userspace-api/media/mediactl/media-request-ioc-queue.rst";
const REQ_REINIT_RST: &str =
    "Documentation/userspace-api/media/mediactl/media-request-ioc-reinit.rst";

const REQUEST_API_RST: &str = "Documentation/userspace-api/media/mediactl/request-api.rst";
const REQ_POLL_RST: &str = "Documentation/userspace-api/media/mediactl/request-func-poll.rst";
const EXT_CTRLS_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-g-ext-ctrls.rst";
const M2M_H: &str = "include/media/v4l2-mem2mem.h";

const NO_REQUESTS: &str = "vb2 of this era has no Request API: not applicable.";
const M2M_RST: &str = "Documentation/userspace-api/media/v4l/dev-mem2mem.rst";
const NO_REQUESTS_M2M: &str =
    "v4l2-mem2mem's job scheduling was not modelled for this era: not applicable.";
const NO_HOLD: &str = "vb2 of this era has no M2M_HOLD_CAPTURE_BUF: not applicable.";
const NO_LAST: &str = "vb2 of this era has no LAST flag and no EPIPE: not applicable.";

/// R23–R49 as far as the model checks them, in the order of [`RuleId::ALL`].
pub static CODEC_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: RuleId::R23,
        title: "Request fd on an M2M CAPTURE buffer",
        severity: new_only(W, W),
        source: QBUF_RST,
        quote: "For memory-to-memory devices you can specify the request_fd only for output \
                buffers, not for capture buffers. Attempting to specify this for a capture \
                buffer will result in an EBADR error.",
        explanation: "On a memory-to-memory device only the OUTPUT side (what the application \
            feeds in) takes part in requests; CAPTURE buffers are queued directly. A QBUF of a \
            CAPTURE buffer with V4L2_BUF_FLAG_REQUEST_FD is refused before vb2 looks at it. The \
            spec names EBADR; v4l2-mem2mem returns EPERM (v4l2_m2m_qbuf: \"requests cannot be \
            used with capture buffers\"). Queue CAPTURE buffers without a request.",
        per_policy: [
            "The spec refuses the QBUF with EBADR.",
            NO_REQUESTS,
            NO_REQUESTS,
            "v4l2-mem2mem refuses it with EPERM, not the EBADR the spec names; the finding is \
             about the application's request, not the errno.",
        ],
    },
    RuleInfo {
        id: RuleId::R24,
        title: "Direct QBUF and request QBUF mixed on one queue",
        severity: new_only(W, W),
        source: QBUF_RST,
        quote: "It is not allowed to mix queuing requests with queuing buffers directly. EBUSY \
                will be returned if the first buffer was queued directly and then the \
                application tries to queue a request, or vice versa.",
        explanation: "The first QBUF after a queue was set up decides its mode: direct, or \
            through requests (vb2's uses_qbuf and uses_requests). The other kind is refused \
            with EBUSY until STREAMOFF, REQBUFS or close resets the queue; even a request QBUF \
            that failed sets the mode. Queue every buffer of a stream the same way.",
        per_policy: [
            "The spec refuses the other kind of QBUF with EBUSY.",
            NO_REQUESTS,
            NO_REQUESTS,
            "vb2 refuses it with EBUSY (\"queue uses requests\" or \"queue does not use \
             requests\") until STREAMOFF, REQBUFS or close.",
        ],
    },
    RuleInfo {
        id: RuleId::R25,
        title: "Request queued without a buffer",
        severity: new_only(W, W),
        source: REQ_QUEUE_RST,
        quote: "A request must contain at least one buffer, otherwise this ioctl will return \
                an ENOENT error.",
        explanation: "MEDIA_REQUEST_IOC_QUEUE validates the request first: with no buffer in \
            it (none was queued into it since it was allocated or re-initialised, or \
            STREAMOFF took it back) it fails with ENOENT. A stateless decoder also returns \
            ENOENT when a required control is missing. Put the OUTPUT buffer and the codec \
            controls into the request before queueing it.",
        per_policy: [
            "The spec refuses the request with ENOENT.",
            NO_REQUESTS,
            NO_REQUESTS,
            "vb2_request_validate refuses it with ENOENT (drivers add their own checks first).",
        ],
    },
    RuleInfo {
        id: RuleId::R26,
        title: "Request touched while in flight",
        severity: new_only(W, W),
        source: REQ_REINIT_RST,
        quote: "A request can only be re-initialized if it either has not been queued yet, or \
                if it was queued and completed. Otherwise it will set errno to EBUSY.",
        explanation: "A queued request belongs to the driver until it completes: queueing it \
            again, re-initialising it or adding a buffer to it fails with EBUSY, and a \
            completed request must be re-initialised before it is used again. Wait for \
            completion (poll the request fd for POLLPRI), then MEDIA_REQUEST_IOC_REINIT.",
        per_policy: [
            "The spec refuses the call with EBUSY.",
            NO_REQUESTS,
            NO_REQUESTS,
            "The media core refuses the call with EBUSY.",
        ],
    },
    RuleInfo {
        id: RuleId::R27,
        title: "Buffer silently taken out of an unqueued request",
        severity: new_only(I, I),
        source: REQUEST_API_RST,
        quote: "The MEDIA_REQUEST_IOC_REINIT will clear a request's state and make it \
                available again. No state is retained by this operation: the request is as if \
                it had just been allocated.",
        explanation: "A buffer QBUF'd into a request waits there (IN_REQUEST) until the \
            request is queued. Re-initialising the request, or closing its last fd, before it \
            was queued empties it: the buffer goes back to the application as if never \
            queued, and nothing reports it. Queuing the emptied request then fails with \
            ENOENT, and waiting for the buffer waits for nothing. Only reported where the \
            trace named the request the buffer went into.",
        per_policy: [
            "The spec clears the request and drops its buffer silently.",
            NO_REQUESTS,
            NO_REQUESTS,
            "media_request_clean unbinds the buffer; vb2 returns it to DEQUEUED silently.",
        ],
    },
    RuleInfo {
        id: RuleId::R28,
        title: "REQUEST_FD on an ioctl other than QBUF",
        severity: new_only(W, W),
        source: BUFFER_RST,
        quote: "Applications should not set V4L2_BUF_FLAG_REQUEST_FD for any ioctls other \
                than VIDIOC_QBUF.",
        explanation: "Only QBUF puts a buffer into a request. PREPARE_BUF with \
            V4L2_BUF_FLAG_REQUEST_FD fails with EINVAL, silently; prepare the buffer without \
            the flag, then QBUF it into the request.",
        per_policy: [
            "The spec forbids the flag outside QBUF.",
            NO_REQUESTS,
            NO_REQUESTS,
            "vb2_prepare_buf refuses it with EINVAL and no kernel message.",
        ],
    },
    RuleInfo {
        id: RuleId::R29,
        title: "Request controls read before the request completed",
        severity: new_only(W, W),
        source: EXT_CTRLS_RST,
        quote: "If the request is not yet completed, then this will result in an EACCES \
                error.",
        explanation: "G_EXT_CTRLS with which = V4L2_CTRL_WHICH_REQUEST_VAL reads the values a \
            request holds, and only once the request completed: while it is idle or queued \
            the driver may still change them. The call fails with EACCES; request-api.rst \
            names EBUSY for the same case, the kernel returns EACCES. Wait for the request's \
            POLLPRI first. Reported where the trace named the request and the kernel answered \
            EACCES.",
        per_policy: [
            "The spec refuses the read (vidioc-g-ext-ctrls.rst says EACCES, request-api.rst \
             EBUSY).",
            NO_REQUESTS,
            NO_REQUESTS,
            "v4l2_g_ext_ctrls_request refuses it with EACCES.",
        ],
    },
    RuleInfo {
        id: RuleId::R30,
        title: "Buffer put into a request while not dequeued",
        severity: new_only(W, W),
        source: BUFFER_RST,
        quote: "The buffer has been queued for the media request associated with the \
                request_fd, but the request has not been queued yet.",
        explanation: "A buffer can go into a request only from the DEQUEUED state: one already \
            in a request, queued or done is refused with EINVAL (\"buffer is not in dequeued \
            state\"). Dequeue it first, or use another buffer.",
        per_policy: [
            "The spec allows only a dequeued buffer into a request.",
            NO_REQUESTS,
            NO_REQUESTS,
            "vb2 refuses it with EINVAL (\"qbuf: buffer is not in dequeued state\").",
        ],
    },
    RuleInfo {
        id: RuleId::R31,
        title: "Request completion awaited without POLLPRI",
        severity: new_only(W, W),
        source: REQ_POLL_RST,
        quote: "Request file descriptor set the POLLPRI flag in revents when the request was \
                completed.",
        explanation: "A media request tells its completion with POLLPRI (select's exceptfds) \
            only. media_request_poll reports nothing to a poll that does not ask for POLLPRI \
            (and registers no wait for it; select always asks for the except set, but its \
            read and write sets never see the completion), so poll() on a request fd for \
            POLLIN or POLLOUT sleeps until its timeout even after the request completed. Ask \
            for POLLPRI.",
        per_policy: [
            "The spec signals completion with POLLPRI only.",
            NO_REQUESTS,
            NO_REQUESTS,
            "media_request_poll ignores a poll without EPOLLPRI.",
        ],
    },
    RuleInfo {
        id: RuleId::R32,
        title: "DQBUF loops on EPIPE after LAST",
        severity: new_only(W, W),
        source: BUFFER_RST,
        quote: "Any subsequent call to the VIDIOC_DQBUF ioctl will not block anymore, but \
                return an EPIPE error code.",
        explanation: "Once a capture queue has returned a buffer with V4L2_BUF_FLAG_LAST (the \
            end of a drain, or a decoder's resolution change), every DQBUF fails with EPIPE at \
            once, and poll reports the queue readable, until STREAMOFF of that queue or a \
            START command that the driver honours. One EPIPE is how an application learns the \
            stream ended; calling DQBUF again and again is a busy loop (the CPU goes to 100%). \
            Stop dequeuing at LAST, or restart the queue.",
        per_policy: [
            "After LAST every DQBUF returns EPIPE; a loop on it is reported.",
            NO_LAST,
            NO_LAST,
            "vb2 returns EPIPE (\"last buffer dequeued already, will not wait for buffers\"); \
             one EPIPE is expected, a loop of them is reported.",
        ],
    },
    RuleInfo {
        id: RuleId::R33,
        title: "Drain abandoned before its LAST buffer",
        severity: new_only(I, I),
        source: DECODER_RST,
        quote: "Once the drain sequence is initiated, the client needs to drive it to \
                completion, as described by the steps above, unless it aborts the process by \
                issuing VIDIOC_STREAMOFF on any of the OUTPUT or CAPTURE queues.",
        explanation: "A STOP command starts a drain: every OUTPUT buffer queued before it is \
            processed, and the last CAPTURE result comes back with V4L2_BUF_FLAG_LAST. Here \
            the CAPTURE queue was stopped (or the file closed) before the LAST buffer was \
            dequeued: results still in the driver or on the done list are discarded. That is \
            allowed, an abort; it is a lost frame only if the application meant to finish the \
            stream. Dequeue until LAST to get every frame.",
        per_policy: [
            "The spec allows the abort; shown for information.",
            NO_LAST,
            NO_LAST,
            "STREAMOFF of the CAPTURE queue clears the drain (v4l2_m2m_update_stop_streaming_state); \
             shown for information.",
        ],
    },
    RuleInfo {
        id: RuleId::R34,
        title: "Drain cancelled by a resolution change restart",
        severity: new_only(I, I),
        source: DECODER_RST,
        quote: "handling any operations triggered as a result of processing those buffers, \
                such as the Dynamic Resolution Change sequence, before continuing with the \
                drain sequence",
        explanation: "A STOP was accepted, then the decoder reported a source change and the \
            application restarted the CAPTURE queue (STREAMOFF, new buffers, STREAMON), as the \
            resolution change sequence asks. The spec keeps the drain going across the \
            restart; v4l2-mem2mem's helpers clear it when the CAPTURE queue stops, so on \
            those drivers no LAST buffer comes unless the application sends STOP again after \
            the restart.",
        per_policy: [
            "The spec continues the drain after the restart; shown for information.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem clears the drain at the CAPTURE queue's stop_streaming; send STOP \
             again after the restart to finish it.",
        ],
    },
    RuleInfo {
        id: RuleId::R35,
        title: "STOP while a queue is not streaming",
        severity: new_only(W, I),
        source: DECODER_RST,
        quote: "The sequence can be only initiated if both OUTPUT and CAPTURE queues are \
                streaming. For compatibility reasons, the call to VIDIOC_DECODER_CMD will not \
                fail even if any of the queues is not streaming, but at the same time it will \
                not initiate the Drain sequence and so the steps described below would not be \
                applicable.",
        explanation: "A STOP command drains a codec that is running: both queues must be \
            streaming. Sent earlier, the spec says it is accepted and does nothing, so an \
            application that then waits for the LAST buffer may wait forever. Drivers built \
            on v4l2-mem2mem's helpers start the drain anyway (vicodec does when only OUTPUT \
            streams), which is why such code works on them. Send STOP after both STREAMONs.",
        per_policy: [
            "The spec starts no drain: a LAST buffer should not be awaited.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem checks neither queue and drains anyway; whether a LAST comes depends \
             on the driver. Shown for information.",
        ],
    },
    RuleInfo {
        id: RuleId::R36,
        title: "STOP or START during a drain",
        severity: new_only(W, W),
        source: DECODER_RST,
        quote: "The client is not allowed to issue V4L2_DEC_CMD_START or V4L2_DEC_CMD_STOP \
                again while the drain sequence is in progress and they will fail with -EBUSY \
                error code if attempted.",
        explanation: "Between a STOP and the LAST buffer the codec is draining: another STOP, \
            or a START, is refused with EBUSY (v4l2-mem2mem's is_draining). The command did \
            nothing. Wait for the LAST buffer, then send START (or restart the CAPTURE queue).",
        per_policy: [
            "The spec refuses the command with EBUSY.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem refuses it with EBUSY while is_draining; reported only where the \
             kernel did.",
        ],
    },
    RuleInfo {
        id: RuleId::R37,
        title: "QBUF reply already DONE and LAST",
        severity: new_only(W, I),
        source: QBUF_RST,
        quote: "the driver sets the V4L2_BUF_FLAG_MAPPED and V4L2_BUF_FLAG_QUEUED flags and \
                clears the V4L2_BUF_FLAG_DONE flag in the flags field",
        explanation: "When a drain has nothing left to process, v4l2-mem2mem completes the \
            next CAPTURE buffer as the empty LAST buffer inside its own QBUF: the reply \
            already says DONE and LAST, not QUEUED, and the buffer waits on the done list. \
            This is how the kernel ends a drain; DQBUF returns that buffer, then EPIPE.",
        per_policy: [
            "The reply contradicts the spec's QBUF: QUEUED is not set and DONE is.",
            NO_LAST,
            NO_LAST,
            "The immediate LAST buffer of a drain (next_buf_last, force_last_buf_done); shown \
             for information.",
        ],
    },
    RuleInfo {
        id: RuleId::R38,
        title: "Resolution change never completed",
        severity: new_only(I, I),
        source: DECODER_RST,
        quote: "The decoding process must be resumed with either a pair of calls to \
                VIDIOC_STREAMOFF and VIDIOC_STREAMON on the CAPTURE queue, or a call to \
                VIDIOC_DECODER_CMD with the V4L2_DEC_CMD_START command.",
        explanation: "A stateful decoder that meets a new stream resolution sends \
            SOURCE_CHANGE and stops decoding until the application restarts CAPTURE with \
            buffers of the new format. Here the application dequeued that event while \
            CAPTURE was streaming, kept queueing OUTPUT buffers, and neither stopped CAPTURE \
            (to restart it) nor sent DECODER_CMD START before the trace ended, with CAPTURE \
            still streaming: the decoder decodes nothing more. Information only: a trace cut \
            short in the middle of the sequence looks the same. A STREAMOFF of OUTPUT (a \
            seek, which the spec lets abort the sequence), the context's last close, or the \
            decoder going on (more pictures than CAPTURE could hold from before the event) \
            ends it without a finding.",
        per_policy: [
            "dev-decoder.rst: CAPTURE must be restarted after a resolution change.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem decoders schedule no job until the CAPTURE queue is restarted.",
        ],
    },
    RuleInfo {
        id: RuleId::R39,
        title: "Empty CAPTURE buffer without LAST from a decoder (legacy end of stream)",
        severity: new_only(I, I),
        source: DECODER_RST,
        quote: "The last buffer may be empty (with v4l2_buffer bytesused = 0) and in that \
                case it must be ignored by the client, as it does not contain a decoded \
                frame.",
        explanation: "A stateful decoder marks the end of a drain or of a resolution change \
            with V4L2_BUF_FLAG_LAST, and that last buffer may be empty. A CAPTURE buffer that \
            comes back with no bytes, without LAST and without ERROR, holds no frame either: \
            old drivers and old applications used it as the end of the stream before the \
            LAST flag existed. An application must not show it as a picture; one that waits \
            for LAST to end its stream will not find it here. Reported only where the \
            source recorded the buffer's size (strace prints none for multi-planar buffers).",
        per_policy: [
            "The spec has LAST for the end of a stream; an empty buffer without it is noted.",
            NO_LAST,
            NO_LAST,
            "Noted: the driver returned an empty result that is not the LAST buffer.",
        ],
    },
    RuleInfo {
        id: RuleId::R40,
        title: "Waiting on one M2M queue while the other is stopped",
        severity: new_only(W, W),
        source: M2M_RST,
        quote: "An application will have to setup the stream I/O for both sides and finally \
                call VIDIOC_STREAMON for both capture and output to start the hardware.",
        explanation: "A memory-to-memory job needs a buffer on both queues of the context, \
            and both queues streaming: v4l2-mem2mem schedules nothing while one of them is \
            stopped. A blocking DQBUF on the other queue, with its buffers still in the \
            driver and none done, then waits for a result that cannot come. Reported where \
            the trace shows that wait ended by a signal with nothing (EINTR), or, in a \
            scenario, where the model sees it could never end. Stop both queues, or dequeue \
            what is done before stopping the other side.",
        per_policy: [
            "The spec runs the hardware only with both sides streaming.",
            NO_REQUESTS_M2M,
            NO_REQUESTS_M2M,
            "v4l2-mem2mem's job_ready needs both queues streaming: no job, no completion.",
        ],
    },
    RuleInfo {
        id: RuleId::R41,
        title: "A job's result dropped by STREAMOFF",
        severity: new_only(I, I),
        source: STREAMON_RST,
        quote: "If VIDIOC_STREAMOFF is called ... it removes all buffers from the incoming \
                and outgoing queues",
        explanation: "STREAMOFF of one queue of a memory-to-memory context first waits for \
            the job the driver is running (v4l2_m2m_cancel_job). That job may finish while \
            the call waits and complete its CAPTURE buffer DONE; STREAMOFF then drops it with \
            the queue, and the application never dequeues that result. This is allowed \
            (STREAMOFF discards completed buffers), but for a codec it is a lost frame: drain \
            first (DECODER_CMD or ENCODER_CMD STOP, then the LAST buffer) to keep every \
            result. Reported where a kernel trace shows the driver's completion of a CAPTURE \
            buffer, from another context, between the start and the end of a STREAMOFF the \
            source timed (or right after an untimed one, before any other call).",
        per_policy: [
            "STREAMOFF removes done buffers: the result is gone, as the spec allows.",
            NO_REQUESTS_M2M,
            NO_REQUESTS_M2M,
            "v4l2_m2m_streamoff cancels the running job, which may finish first; vb2 then \
             drops its DONE buffer.",
        ],
    },
    RuleInfo {
        id: RuleId::R42,
        title: "HOLD_CAPTURE_BUF on a queue without the capability",
        severity: new_only(W, W),
        source: BUFFER_RST,
        quote: "Only valid if struct v4l2_requestbuffers flag \
                V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF is set.",
        explanation: "An application asked a stateless decoder to keep the CAPTURE buffer \
            for the next slice (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF on an OUTPUT buffer), but \
            the queue does not support it: vb2 drops the flag silently, and the driver \
            returns the CAPTURE buffer after this slice, with part of a frame. Reported \
            where the trace shows both what the application passed and the kernel's reply \
            without the flag (a `vb2scope record` of the program; strace and the kernel \
            print only the reply). Check V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF in the \
            capabilities REQBUFS or CREATE_BUFS return, and send whole frames otherwise.",
        per_policy: [
            "buffer.rst makes the flag valid only with the capability.",
            NO_HOLD,
            NO_HOLD,
            "vb2 clears the flag unless the queue sets \
             VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF; the QBUF reply shows it gone.",
        ],
    },
    RuleInfo {
        id: RuleId::R43,
        title: "Held CAPTURE buffer never released",
        severity: new_only(I, I),
        source: STATELESS_RST,
        quote: "If the last submitted request resulted in a CAPTURE buffer being held by the \
                use of the V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF flag, then the last frame is not \
                available on the CAPTURE queue. In this case, a V4L2_DEC_CMD_FLUSH command \
                shall be sent.",
        explanation: "A stateless decoder fed one slice per OUTPUT buffer keeps the frame's \
            CAPTURE buffer while the OUTPUT buffers carry \
            V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF: the next slice of the frame lands in it. The \
            buffer is released by an OUTPUT buffer without the flag, by one with a new \
            timestamp, or by DECODER_CMD FLUSH. Here the last OUTPUT buffer before STREAMOFF \
            (or close) held it, and no FLUSH came: that frame is never returned decoded. \
            Intended when the stream is abandoned; at the end of a stream, send FLUSH first.",
        per_policy: [
            "Shown for information: the last frame is lost unless FLUSH is sent.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem keeps the held buffer until FLUSH or the next slice; shown for \
             information.",
        ],
    },
    RuleInfo {
        id: RuleId::R44,
        title: "Decoder CAPTURE buffer re-associated while streaming",
        severity: [Some(W), Some(W), Some(W), Some(W)],
        source: DECODER_RST,
        quote: "Similarly, when using a memory type other than V4L2_MEMORY_MMAP, the client \
                should make sure that each CAPTURE buffer is always queued with the same \
                backing memory for as long as the CAPTURE queue is streaming.",
        explanation: "A stateful decoder keeps decoded frames as references for the frames \
            that follow, and it knows them by the CAPTURE buffer. Queuing an index with \
            another dma-buf or user address while the queue streams (R16) makes vb2 swap \
            the memory under the decoder: the next frames may be decoded from the wrong \
            reference. Keep each index on the same memory until STREAMOFF. Only devices the \
            trace shows are decoders (a DECODER_CMD they took, a source change) are checked.",
        per_policy: [
            "The spec asks for stable CAPTURE memory while streaming.",
            "vb2 releases and acquires the plane again (R16); the decoder's references do \
             not follow.",
            "vb2 releases and acquires the plane again (R16); the decoder's references do \
             not follow.",
            "vb2 allows the change (R16); the decoder's references do not.",
        ],
    },
    RuleInfo {
        id: RuleId::R45,
        title: "Continuing after a fatal queue error",
        severity: new_only(W, W),
        source: REQ_QUEUE_RST,
        quote: "The exception is the EIO error which signals a fatal error that requires the \
                application to stop streaming to reset the hardware state.",
        explanation: "When a driver meets an error it cannot recover from (a hung codec, a \
            lost device), it calls vb2_queue_error(): from then on every QBUF and DQBUF on \
            the queue fails with EIO at once, and poll reports an error, until STREAMOFF or \
            REQBUFS resets the queue. An application that keeps calling QBUF or DQBUF gets \
            EIO forever: a busy loop, and no frames. Here the third such call came with no \
            reset in between. Stop streaming on EIO, then restart or give up.",
        per_policy: [
            "The spec asks the application to stop streaming after EIO.",
            "vb2 of 2012 had no vb2_queue_error: not applicable.",
            "vb2 of 3.8 had no vb2_queue_error: not applicable.",
            "vb2 fails QBUF and DQBUF with EIO while q->error is set (\"fatal error occurred \
             on queue\", \"Queue in error state, will not wait for buffers\").",
        ],
    },
    RuleInfo {
        id: RuleId::R46,
        title: "Result after the LAST buffer (driver)",
        severity: new_only(E, E),
        source: DECODER_RST,
        quote: "Any OUTPUT buffers queued by the client before the VIDIOC_DECODER_CMD was \
                issued will be processed and decoded as normal.",
        explanation: "The LAST buffer ends a capture stream: every result of the OUTPUT \
            buffers queued before the STOP must come before it, and nothing after it until \
            the application restarts (STREAMOFF of CAPTURE, a START command, or STREAMOFF \
            and STREAMON of OUTPUT, the decoder's seek). A driver \
            that completes another CAPTURE buffer with a result after the LAST one was \
            dequeued marked LAST too early: the frame is stranded, since DQBUF now answers \
            EPIPE. Found from the kernel's own completions (vb2_buffer_done) after a LAST \
            buffer the trace shows dequeued; never after a codec command of unknown kind.",
        per_policy: [
            "The spec delivers every result before LAST.",
            NO_LAST,
            NO_LAST,
            "vb2 refuses DQBUF with EPIPE after LAST: a result completed after it is lost.",
        ],
    },
    RuleInfo {
        id: RuleId::R47,
        title: "v4l2-mem2mem warned at the end of a job (driver)",
        severity: new_only(E, E),
        source: M2M_H,
        quote: "Drivers that set V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF must use this \
                function instead of job_finish() to take held buffers into account.",
        explanation: "A stateless decoder that lets an OUTPUT buffer hold its CAPTURE buffer \
            (several slices into one frame) must end each job with \
            v4l2_m2m_buf_done_and_job_finish(), which releases a held buffer when its frame is \
            done. v4l2_m2m_job_finish() on such a queue warns (WARN_ON in v4l2-mem2mem.c) and \
            held frames are lost; v4l2_m2m_buf_done_and_job_finish() warns when the job has no \
            source or destination buffer. Found from the kernel's WARNING in the log: a driver \
            bug, not the application's.",
        per_policy: [
            "The helper's contract is broken by the driver.",
            NO_HOLD,
            NO_HOLD,
            "v4l2-mem2mem warns (WARN_ON) and the held CAPTURE buffer is not returned.",
        ],
    },
    RuleInfo {
        id: RuleId::R48,
        title: "M2M context wedged by a failed STREAMOFF (driver)",
        severity: new_only(W, E),
        source: STREAMON_RST,
        quote: "EINVAL The buffer type is not supported, or no buffers have been allocated \
                (memory mapping) or enqueued (output) yet.",
        explanation: "A failed ioctl should change nothing. But v4l2_m2m_streamoff() cancels \
            the context's job, which sets TRANS_ABORT, before vb2 checks the call, and \
            clears the job flags only when vb2's STREAMOFF succeeds. A STREAMOFF the kernel \
            refuses (a buffer type the node has not, as an application probing the \
            multi-planar API sends) leaves the context aborted: QBUF and STREAMON still \
            succeed, but no job of the context runs again, and the application waits for \
            buffers that never come. A STREAMOFF that succeeds, on either queue, clears it. \
            Reported once the application has waited three times with a job ready and no \
            buffer queued after the failure has come back.",
        per_policy: [
            "A failed STREAMOFF must leave the context as it was; the application also \
             passed a type the node has not.",
            "Not checked: v4l2-mem2mem of this era was not read; the abort was seen from \
             5.10 on.",
            "Not checked: v4l2-mem2mem of this era was not read; the abort was seen from \
             5.10 on.",
            "v4l2-mem2mem cancels the job before vb2_streamoff() and keeps TRANS_ABORT \
             when it fails (\"Aborted context\" in its debug log); the kernel's fault.",
        ],
    },
    RuleInfo {
        id: RuleId::R49,
        title: "START does not re-arm DQBUF after a drain (driver)",
        severity: new_only(E, E),
        source: DECODER_RST,
        quote: "V4L2_DEC_CMD_START - the decoder will not be reset and will resume operation \
                normally, with all the state from before the drain.",
        explanation: "After a drain the capture queue returns EPIPE until it is restarted. A \
            START command must restart it: the driver has to call \
            vb2_clear_last_buffer_dequeued(), since v4l2-mem2mem's helpers do not. Here DQBUF \
            still returned EPIPE after a successful START with no STREAMOFF between: the \
            driver forgot it (vicodec does, up to at least Linux 6.12). STREAMOFF and \
            STREAMON of the CAPTURE queue restart it on any driver.",
        per_policy: [
            "The spec resumes operation after START; EPIPE after it is the driver's fault.",
            NO_LAST,
            NO_LAST,
            "v4l2-mem2mem leaves vb2's last_buffer_dequeued to the driver; this driver did \
             not clear it at START.",
        ],
    },
];
