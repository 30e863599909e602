//! The rule catalog: one [`RuleInfo`] per [`RuleId`], in the order of [`RuleId::ALL`].
//!
//! The driver's own rules (R50–R55) are in `driver_catalog.rs`.
//!
//! Severities follow section 4 of the reference (`vb2-semantics.md`), in policy order
//! `spec`, `vb2-2012`, `vb2-3.8`, `modern`. `None` means the behaviour is expected under that
//! policy and is not reported. Quotes are copied verbatim from the documents named in `source`.

use super::codec_catalog::CODEC_RULES;
use super::driver_catalog::DRIVER_RULES;
use super::{RuleId, RuleInfo, Severity};

use super::Severity::{Error as E, Info as I, Warning as W};

const fn all(s: Severity) -> [Option<Severity>; 4] {
    [Some(s), Some(s), Some(s), Some(s)]
}

const STREAMON_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-streamon.rst";
const QBUF_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-qbuf.rst";
const REQBUFS_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-reqbufs.rst";
const REMOVE_BUFS_RST: &str = "Documentation/userspace-api/media/v4l/vidioc-remove-bufs.rst";
const USERP_RST: &str = "Documentation/userspace-api/media/v4l/userp.rst";
const DMABUF_RST: &str = "Documentation/userspace-api/media/v4l/dmabuf.rst";
const MMAP_RST: &str = "Documentation/userspace-api/media/v4l/mmap.rst";
const BUFFER_RST: &str = "Documentation/userspace-api/media/v4l/buffer.rst";
const DMA_CONTIG_C: &str = "drivers/media/common/videobuf2/videobuf2-dma-contig.c";
const CORE_H: &str = "include/media/videobuf2-core.h";
const V4L2_H: &str = "include/media/videobuf2-v4l2.h";

/// Every rule, in the order of [`RuleId::ALL`].
pub static RULES: &[RuleInfo] = &[
    // ------------------------------------------------------------------ R01
    RuleInfo {
        id: RuleId::R01,
        title: "USERPTR pin lingers after STREAMOFF",
        severity: [Some(W), Some(I), Some(I), Some(I)],
        source: STREAMON_RST,
        quote: "unlocks any user pointer buffers locked in physical memory",
        explanation: "A USERPTR buffer's user pages are pinned (locked in physical memory) by \
            get_userptr when the buffer is first queued or prepared. The spec says STREAMOFF \
            releases that lock, but vb2 keeps the pin until the index is queued with another \
            address, the buffers are freed with REQBUFS, or the queue owner closes the device. \
            If the pages really must be released, call REQBUFS(0) after STREAMOFF.",
        per_policy: [
            "STREAMOFF must unlock every USERPTR buffer, so a pin still held after it is a \
             deviation from the spec.",
            "vb2 never calls put_userptr at STREAMOFF; the surviving pin is the design and is \
             shown for information.",
            "Same as vb2-2012: __vb2_queue_cancel does not unpin USERPTR pages, so the \
             lingering pin is expected and shown for information.",
            "Still by design: STREAMOFF only runs the finish cache op, and the pages stay \
             pinned until re-association, REQBUFS, REMOVE_BUFS or close.",
        ],
    },
    // ------------------------------------------------------------------ R02
    RuleInfo {
        id: RuleId::R02,
        title: "USERPTR pin while DEQUEUED",
        severity: [Some(I), None, None, None],
        source: QBUF_RST,
        quote: "Buffers remain locked until dequeued, until the VIDIOC_STREAMOFF or \
                VIDIOC_REQBUFS ioctl is called, or until the device is closed.",
        explanation: "After DQBUF the buffer belongs to the application again, yet vb2 keeps \
            its user pages pinned so that queueing the same address again is cheap. The spec \
            describes the lock as lasting until the buffer is dequeued, so a pin on a dequeued \
            buffer goes beyond its wording, although it is harmless for most applications. \
            Treat it as a reminder that the kernel still holds those pages.",
        per_policy: [
            "Locks are described as lasting until DQBUF, so a pin held on a dequeued buffer is \
             noted for information.",
            "vb2 keeps the pin at DQBUF as a cache for the next QBUF of the same address; \
             expected, not reported.",
            "__vb2_dqbuf does not call put_userptr, so the pin on a dequeued buffer is \
             expected and not reported.",
            "DQBUF keeps the pin until re-association, REQBUFS, REMOVE_BUFS or close; \
             expected, not reported.",
        ],
    },
    // ------------------------------------------------------------------ R03
    RuleInfo {
        id: RuleId::R03,
        title: "DMABUF map lingers after STREAMOFF",
        severity: [Some(W), Some(E), Some(E), Some(I)],
        source: DMABUF_RST,
        quote: "The memory is also unlocked when VIDIOC_STREAMOFF is called",
        explanation: "For a DMABUF buffer vb2 first attaches to the imported dma-buf and then \
            maps it for the device (dma_buf_map_attachment), which pins the exporter's memory. \
            A plane still mapped after STREAMOFF stays pinned although the application owns \
            the buffer again. On 2012-era vb2 this was a bug: the next QBUF of the same dma-buf \
            mapped it a second time and dma-contig warned \"dmabuf buffer is already pinned\". \
            Since Linux 5.1 the mapping is kept on purpose until the buffer is freed or \
            re-associated; REQBUFS(0) or REMOVE_BUFS drops it.",
        per_policy: [
            "STREAMOFF unlocks all buffers, so a mapping left after it is a deviation.",
            "__vb2_queue_cancel does not unmap: the mapping lingers and the next QBUF of the \
             same dma-buf warns 'dmabuf buffer is already pinned' (R05 is predicted).",
            "__vb2_queue_cancel calls __vb2_dqbuf, which unmaps every plane, so a mapping left \
             after STREAMOFF is a kernel bug.",
            "Since v5.1 ('Keep dma-buf buffers mapped until they are freed') the mapping is \
             kept by design and shown for information.",
        ],
    },
    // ------------------------------------------------------------------ R04
    RuleInfo {
        id: RuleId::R04,
        title: "DMABUF map while DEQUEUED",
        severity: [Some(I), Some(E), Some(E), None],
        source: DMABUF_RST,
        quote: "The driver can unlock the buffer at any time between the completion of the DMA \
                and this ioctl.",
        explanation: "A dequeued buffer is owned by the application, and the spec lets the \
            driver unlock a DMABUF buffer at any point between the end of the DMA and DQBUF. \
            Older vb2 unmapped every plane inside DQBUF, so a plane still mapped there means \
            the kernel did not do what that version is supposed to do. Modern vb2 keeps the \
            mapping across DQBUF so that decoders can reuse reference frames without remapping \
            them.",
        per_policy: [
            "The spec allows unlocking up to DQBUF but does not require it; a mapping kept \
             after DQBUF is noted for information.",
            "vb2_dqbuf unmaps the DMABUF planes, so a mapped dequeued buffer is an error.",
            "__vb2_dqbuf unmaps every mapped plane, so a mapped dequeued buffer is an error.",
            "Mappings are kept at DQBUF until the buffer is freed or re-associated \
             (2cc1802f62e5); expected, not reported.",
        ],
    },
    // ------------------------------------------------------------------ R05
    RuleInfo {
        id: RuleId::R05,
        title: "Double map (\"already pinned\")",
        severity: all(E),
        source: DMA_CONTIG_C,
        quote: "dmabuf buffer is already pinned",
        explanation: "map_dmabuf was called on a plane that is already mapped. dma-contig \
            catches this with WARN_ON(buf->dma_sgt), logs \"dmabuf buffer is already pinned\" \
            with a backtrace and returns 0, so the QBUF still succeeds and reuses the old \
            mapping. It shows that vb2 lost track of the map state, typically because \
            STREAMOFF left a plane mapped and the same dma-buf was queued again. Freeing the \
            buffers with REQBUFS(0) clears the stale mapping.",
        per_policy: [
            "A buffer is never locked twice under the spec, so a double map is an error.",
            "Expected after STREAMOFF followed by a QBUF of the same dma-buf, because cancel \
             left the plane mapped; still reported as an error.",
            "DQBUF and cancel both unmap, so a double map should never happen; it is an error.",
            "Mapped planes are skipped or released before re-mapping, so a double map should \
             never happen; it is an error.",
        ],
    },
    // ------------------------------------------------------------------ R06
    RuleInfo {
        id: RuleId::R06,
        title: "Unbalanced unmap/detach",
        severity: all(E),
        source: DMA_CONTIG_C,
        quote: "if vb2 works correctly you should never detach mapped buffer",
        explanation: "Unmapping a plane that is not mapped (\"dmabuf buffer is already \
            unpinned\"), or detaching an attachment that is still mapped (WARN_ON(buf->dma_addr) \
            in vb2_dc_detach_dmabuf), means the attach/map bookkeeping is broken. Debug kernels \
            (CONFIG_VIDEO_ADV_DEBUG) also report \"unbalanced counters\" when memop calls did \
            not pair up by the time the queue is freed. Such imbalances can leave device \
            mappings behind or upset the exporter's reference counts, and they point to a vb2 \
            or driver bug rather than to the application.",
        per_policy: [
            "Every lock must be matched by exactly one unlock; an imbalance is an error.",
            "The allocator warns on an unbalanced unmap or a detach while mapped; reported as \
             an error.",
            "The allocator warns on an unbalanced unmap or a detach while mapped; reported as \
             an error.",
            "The allocator warns, and debug kernels check the memop counters when the queue is \
             freed; reported as an error.",
        ],
    },
    // ------------------------------------------------------------------ R07
    RuleInfo {
        id: RuleId::R07,
        title: "Buffer not returned after STREAMOFF",
        severity: all(E),
        source: STREAMON_RST,
        quote: "removes all buffers from the incoming and outgoing queues … I/O returns to the \
                same state as after calling VIDIOC_REQBUFS",
        explanation: "After a successful STREAMOFF every buffer must be DEQUEUED and owned by \
            the application: the incoming (queued) and outgoing (done) lists are empty and the \
            driver owns nothing. A buffer left QUEUED, ACTIVE or DONE cannot be queued again \
            (QBUF fails with EINVAL), and the frame it holds is lost. Look at the driver's \
            stop_streaming and at the vb2 cancel path.",
        per_policy: [
            "STREAMOFF returns the queue to its state after REQBUFS; any buffer not DEQUEUED is \
             an error.",
            "__vb2_queue_cancel sets every buffer to DEQUEUED and empties both lists; anything \
             left is an error.",
            "Cancel empties the lists, zeroes the driver-owned count and dequeues every buffer; \
             anything left is an error.",
            "Cancel forces ACTIVE buffers to ERROR, empties the lists and resets every buffer \
             to DEQUEUED; anything left is an error.",
        ],
    },
    // ------------------------------------------------------------------ R07b
    RuleInfo {
        id: RuleId::R07b,
        title: "STREAMOFF without STREAMON",
        severity: [Some(W), Some(I), Some(I), Some(W)],
        source: STREAMON_RST,
        quote: "If buffers have been queued with VIDIOC_QBUF and VIDIOC_STREAMOFF is called \
                without ever having called VIDIOC_STREAMON, then those queued buffers will also \
                be removed from the incoming queue",
        explanation: "Buffers queued before any STREAMON wait on the incoming queue. The \
            current spec says STREAMOFF removes them even if streaming never started, but early \
            vb2 returned EINVAL (\"streamoff: not streaming\") and left them QUEUED. Such \
            buffers cannot be queued again until REQBUFS or close resets the queue. Portable \
            applications should use REQBUFS(0) to drop buffers queued before STREAMON.",
        per_policy: [
            "STREAMOFF without STREAMON must return 0 and remove the queued buffers; buffers \
             left queued are a deviation.",
            "STREAMOFF fails with EINVAL and cancels nothing, so the buffers stay QUEUED; \
             expected for this policy and shown for information.",
            "STREAMOFF fails with EINVAL 'streamoff: not streaming' and the buffers stay \
             QUEUED; expected and shown for information.",
            "STREAMOFF returns 0 and always cancels, so buffers left queued are a deviation.",
        ],
    },
    // ------------------------------------------------------------------ R08
    RuleInfo {
        id: RuleId::R08,
        title: "Driver left buffers ACTIVE after stop_streaming",
        severity: all(E),
        source: CORE_H,
        quote: "give back all buffers it got from &buf_queue callback by calling \
                vb2_buffer_done() with either %VB2_BUF_STATE_DONE or %VB2_BUF_STATE_ERROR",
        explanation: "A buffer is ACTIVE while the driver owns it, from buf_queue until the \
            driver calls vb2_buffer_done. stop_streaming must give every such buffer back; one \
            left ACTIVE may still be written by DMA after the application gets it back. Modern \
            vb2 warns (\"driver bug: stop_streaming operation is leaving buffer %u in active \
            state\") and forces the buffer to ERROR, while older kernels reset it silently. The \
            fix belongs in the driver's stop_streaming.",
        per_policy: [
            "stop_streaming must return every buffer; one left with the driver is an error.",
            "The kernel resets such buffers silently; the checker reports what the kernel \
             hides.",
            "Cancel silently clears the driver-owned count without a warning; still a driver \
             error.",
            "Cancel hits WARN_ON(owned_by_drv_count), logs 'driver bug: ...' and forces the \
             buffer to ERROR.",
        ],
    },
    // ------------------------------------------------------------------ R09
    RuleInfo {
        id: RuleId::R09,
        title: "start_streaming failed without returning buffers",
        severity: [Some(E), None, None, Some(E)],
        source: STREAMON_RST,
        quote: "If VIDIOC_STREAMON fails then any already queued buffers will remain queued.",
        explanation: "When start_streaming fails, the driver must hand back every buffer it \
            received with vb2_buffer_done(VB2_BUF_STATE_QUEUED), so that they stay on the \
            incoming queue as the spec promises. Buffers kept ACTIVE or put on the done list \
            in that situation are inconsistent; modern vb2 warns and forces them back to \
            QUEUED. The fix belongs in the driver's start_streaming error path.",
        per_policy: [
            "A failed STREAMON must leave queued buffers queued; buffers kept by the driver or \
             marked done are an error.",
            "There is no such contract: a failed start cancels the queue and every buffer \
             becomes DEQUEUED; not reported.",
            "A failed start_streaming calls __vb2_queue_cancel, so every buffer becomes \
             DEQUEUED; not reported.",
            "vb2 warns about owned_by_drv_count or a non-empty done list and forces the \
             buffers back to QUEUED; reported as an error.",
        ],
    },
    // ------------------------------------------------------------------ R10
    RuleInfo {
        id: RuleId::R10,
        title: "buffer_done on a non-ACTIVE buffer",
        severity: all(E),
        source: CORE_H,
        quote: "Only buffers previously queued to the driver by &vb2_ops->buf_queue can be \
                passed to this function.",
        explanation: "vb2_buffer_done is how a driver gives a buffer back, and it is only valid \
            for a buffer the driver owns (ACTIVE). Calling it for a buffer in another state, or \
            with a result other than DONE, ERROR or (modern) QUEUED, means the driver completes \
            a buffer twice or one it never received. That corrupts the done list and the \
            counters; the driver's bookkeeping must be fixed.",
        per_policy: [
            "Only buffers the driver received may be completed; anything else is an error.",
            "The call returns silently for a non-ACTIVE buffer; the checker still reports the \
             driver error.",
            "vb2_buffer_done silently ignores non-ACTIVE buffers and invalid states; still a \
             driver error.",
            "WARN_ON fires: a non-ACTIVE buffer is ignored and an invalid state is treated as \
             ERROR.",
        ],
    },
    // ------------------------------------------------------------------ R11
    RuleInfo {
        id: RuleId::R11,
        title: "QBUF of a buffer already queued",
        severity: all(W),
        source: BUFFER_RST,
        quote: "After (successful) calling the VIDIOC_QBUF ioctl it is always set [QUEUED] and \
                after VIDIOC_DQBUF always cleared.",
        explanation: "A buffer that is QUEUED, ACTIVE, DONE or ERROR is already on the incoming \
            or outgoing queue and must be dequeued before it can be queued again. vb2 rejects \
            such a QBUF with EINVAL, which usually means the application lost track of which \
            buffers it owns. Keep a per-index ownership record and only queue buffers that \
            DQBUF returned or that were never queued.",
        per_policy: [
            "The QBUF must fail; the attempt is an application error reported as a warning.",
            "QBUF fails with EINVAL 'qbuf: buffer already in use'; warning.",
            "QBUF fails with EINVAL 'qbuf: buffer already in use'; warning.",
            "QBUF fails with EINVAL 'invalid buffer state ...' (e.g. 'invalid buffer state \
             queued'); warning.",
        ],
    },
    // ------------------------------------------------------------------ R12
    RuleInfo {
        id: RuleId::R12,
        title: "DQBUF when not streaming",
        severity: all(W),
        source: QBUF_RST,
        quote: "no buffers have been allocated yet",
        explanation: "DQBUF returns buffers that the driver filled while streaming. With \
            streaming off nothing can complete, so vb2 refuses with EINVAL instead of waiting \
            forever. Call STREAMON before dequeuing, and stop calling DQBUF after STREAMOFF.",
        per_policy: [
            "DQBUF is expected to fail with EINVAL; the call is reported as a warning.",
            "DQBUF fails with EINVAL 'Streaming off, will not wait for buffers'; warning.",
            "DQBUF fails with EINVAL 'Streaming off, will not wait for buffers'; warning.",
            "DQBUF fails with EINVAL 'streaming off, will not wait for buffers'; warning.",
        ],
    },
    // ------------------------------------------------------------------ R12b
    RuleInfo {
        id: RuleId::R12b,
        title: "DQBUF will block forever",
        severity: all(W),
        source: MMAP_RST,
        quote: "By default VIDIOC_DQBUF blocks when no buffer is in the outgoing queue.",
        explanation: "A blocking DQBUF sleeps until a buffer reaches the outgoing queue. If the \
            queue is streaming but no buffer is queued and none is done, nothing can ever \
            complete, so the call hangs until a signal, a STREAMOFF from another thread or a \
            queue error. Queue buffers before dequeuing, or open the device with O_NONBLOCK and \
            handle EAGAIN.",
        per_policy: [
            "DQBUF blocks with an empty outgoing queue and nothing can fill it; warning.",
            "vb2 sleeps waiting for a done buffer that can never come; warning.",
            "vb2 sleeps waiting for a done buffer that can never come; warning.",
            "vb2 sleeps until a buffer, STREAMOFF, a queue error or a signal arrives; warning.",
        ],
    },
    // ------------------------------------------------------------------ R13
    RuleInfo {
        id: RuleId::R13,
        title: "Resources held after free",
        severity: all(E),
        source: REQBUFS_RST,
        quote: "A count value of zero frees or orphans all buffers",
        explanation: "When buffers are freed (REQBUFS(0) or a reallocation, the owner's close, \
            or REMOVE_BUFS), vb2 must release every plane resource: put_userptr for pinned \
            USERPTR pages, unmap, detach and dma_buf_put for DMABUF, put for MMAP memory. A \
            resource that survives is a leak of pinned pages or dma-buf references that nothing \
            will ever return. The only legitimate survivor is MMAP memory that is still \
            mmapped or exported, which stays alive until its last user goes away.",
        per_policy: [
            "Freeing buffers or closing the device releases all their resources; anything left \
             is an error.",
            "REQBUFS and the owner's close free every plane (__vb2_plane_dmabuf_put unmaps \
             first); leftovers are an error.",
            "REQBUFS frees directly and close cancels and frees every plane; leftovers are an \
             error.",
            "REQBUFS, close and REMOVE_BUFS release every plane; only MMAP memory orphaned by \
             live mappings or exports may survive.",
        ],
    },
    // ------------------------------------------------------------------ R14
    RuleInfo {
        id: RuleId::R14,
        title: "REQBUFS refused/accepted wrongly with users",
        severity: all(E),
        source: REQBUFS_RST,
        quote: "can only succeed if the V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS capability is set. \
                Otherwise VIDIOC_REQBUFS will return the EBUSY error code.",
        explanation: "An MMAP buffer is in use while it is mmapped or exported as a dma-buf. \
            REQBUFS must then either fail with EBUSY, or succeed and orphan the memory if the \
            queue reports V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS; orphaned memory lives on until \
            the last munmap or dma-buf close. A result that contradicts the reported capability \
            leaves applications unable to rely on it. Portable code unmaps and closes exported \
            fds before REQBUFS(0).",
        per_policy: [
            "Success without the ORPHANED_BUFS capability, or EBUSY with it, is an error.",
            "There is no orphaning: REQBUFS must fail with EBUSY while buffers are mapped or \
             exported.",
            "REQBUFS must fail with EBUSY 'reqbufs: memory in use, cannot free'; success is an \
             error.",
            "Since v5.0 the capability is always reported: REQBUFS succeeds and orphans the \
             buffers ('memory in use, orphaning buffers'); EBUSY is an error.",
        ],
    },
    // ------------------------------------------------------------------ R15
    RuleInfo {
        id: RuleId::R15,
        title: "REQBUFS/CREATE while streaming",
        severity: all(W),
        source: REQBUFS_RST,
        quote: "A count value of zero frees or orphans all buffers, after aborting or finishing \
                any DMA in progress, an implicit VIDIOC_STREAMOFF",
        explanation: "vb2 refuses to free or reallocate buffers while the queue is streaming, \
            because the driver may still be using them for DMA. REQBUFS then fails with EBUSY, \
            even though the spec describes REQBUFS(0) as an implicit STREAMOFF. Call STREAMOFF \
            first and then REQBUFS.",
        per_policy: [
            "The spec's implicit STREAMOFF suggests count 0 could succeed, but vb2 refuses; the \
             call is reported as a warning.",
            "REQBUFS fails with EBUSY 'reqbufs: streaming active'; warning.",
            "REQBUFS fails with EBUSY 'reqbufs: streaming active'; warning.",
            "REQBUFS fails with EBUSY 'streaming active'; warning.",
        ],
    },
    // ------------------------------------------------------------------ R16
    RuleInfo {
        id: RuleId::R16,
        title: "fd / userptr re-association",
        severity: all(I),
        source: USERP_RST,
        quote: "applications can pass different addresses and sizes at each VIDIOC_QBUF call",
        explanation: "vb2 ties each buffer index to a user address and length (USERPTR) or to a \
            dma-buf object and length (DMABUF). Queuing a different one on the same index is \
            allowed, but vb2 then releases the old pin or attachment and acquires the new one: \
            put_userptr and get_userptr, or unmap, detach, attach and map. Keeping a stable \
            one-to-one mapping between indices and memory avoids that cost on every QBUF.",
        per_policy: [
            "Allowed: an application may pass a different address or descriptor at each QBUF; \
             information.",
            "Allowed; the changed planes are released and acquired again one by one.",
            "Allowed; the changed planes are released and acquired again one by one, and \
             buf_init runs on every prepare.",
            "Allowed; since 6.12 a change on any plane re-attaches and re-maps all planes \
             (5.1 to 6.11 worked per plane).",
        ],
    },
    // ------------------------------------------------------------------ R17
    RuleInfo {
        id: RuleId::R17,
        title: "Same dma-buf, different fd number",
        severity: all(I),
        source: QBUF_RST,
        quote: "a file descriptor numerically the same as the one given to VIDIOC_QBUF … the \
                value is only for the application convenience",
        explanation: "vb2 identifies an imported buffer by its dma-buf object, not by the fd \
            number. A dup()ed fd, or another fd for the same dma-buf, counts as unchanged: no \
            re-attach and no re-map, only a reference taken and dropped again. The fd number \
            that QUERYBUF reports is just the last one passed in, so do not use it to identify \
            buffers.",
        per_policy: [
            "The fd number is informational only; the same dma-buf under a new fd is noted for \
             information.",
            "The plane is kept because the dma-buf pointer and length match; information.",
            "The plane is kept because the dma-buf pointer and length match; information.",
            "The plane is kept; in 6.12.0 only, QUERYBUF m.fd may still show the old number \
             (fixed by 702a47ce6dde).",
        ],
    },
    // ------------------------------------------------------------------ R18
    RuleInfo {
        id: RuleId::R18,
        title: "App frees or unmaps USERPTR memory that is still locked",
        severity: all(W),
        source: USERP_RST,
        quote: "Applications must take care not to free buffers without dequeuing.",
        explanation: "While a USERPTR buffer is QUEUED or ACTIVE the device may write into its \
            pages, so the application must not free or unmap that memory before DQBUF. In \
            addition, vb2 recognises a buffer by address and length only: if the same address \
            is later backed by other memory and queued again, vb2 reuses the old pin and the \
            device keeps using the old pages. Dequeue first, and after remapping use a new \
            address or free the buffers with REQBUFS(0).",
        per_policy: [
            "Freeing memory that is still queued breaks the spec's rule; warning.",
            "vb2 cannot notice the change: the old pin stays and its stale pages are used; \
             warning.",
            "The keep rule on (address, length) reuses the stale pin; warning.",
            "__prepare_userptr keeps the pin when address and length match, so the stale pages \
             are reused; warning.",
        ],
    },
    // ------------------------------------------------------------------ R19
    RuleInfo {
        id: RuleId::R19,
        title: "STREAMON/STREAMOFF idempotency",
        severity: [Some(W), None, None, Some(W)],
        source: STREAMON_RST,
        quote: "If VIDIOC_STREAMON is called when streaming is already in progress, or if \
                VIDIOC_STREAMOFF is called when streaming is already stopped, then 0 is \
                returned.",
        explanation: "The spec makes a second STREAMON, or a STREAMOFF on a stopped queue, a \
            harmless call that returns 0. Early vb2 returned EBUSY (\"streamon: already \
            streaming\") and EINVAL (\"streamoff: not streaming\") instead, and applications had \
            to tolerate both. A non-zero result where 0 is expected usually means the driver \
            wraps these ioctls with checks of its own.",
        per_policy: [
            "Both calls must return 0; any other result is a deviation.",
            "EBUSY for a repeated STREAMON and EINVAL for STREAMOFF while stopped are \
             expected; not reported.",
            "EBUSY 'streamon: already streaming' and EINVAL 'streamoff: not streaming' are \
             expected; not reported.",
            "Both calls return 0 ('already streaming' at debug level 3); a non-zero result is \
             a warning.",
        ],
    },
    // ------------------------------------------------------------------ R20
    RuleInfo {
        id: RuleId::R20,
        title: "Non-owner queue access",
        severity: [Some(I), Some(W), Some(W), Some(W)],
        source: V4L2_H,
        quote: "The queue is considered busy if it has an owner and the owner is not the @file.",
        explanation: "The file handle that allocates buffers (REQBUFS or CREATE_BUFS) becomes \
            the owner of the queue. Other handles on the same device get EBUSY for the queueing \
            ioctls (QBUF, DQBUF, STREAMON, STREAMOFF, REQBUFS, CREATE_BUFS, EXPBUF, \
            PREPARE_BUF) until the owner frees the buffers with REQBUFS(0); QUERYBUF stays \
            allowed. Only the owner's close releases the queue, so closing another handle \
            changes nothing.",
        per_policy: [
            "The spec does not define queue ownership; access from another handle is noted for \
             information.",
            "The vb2 ioctl helpers return EBUSY to a non-owner; warning.",
            "The vb2 ioctl helpers return EBUSY to a non-owner; warning.",
            "EBUSY to a non-owner, QUERYBUF allowed; since about 6.8 a close also releases a \
             queue that has no owner.",
        ],
    },
    // ------------------------------------------------------------------ R21
    RuleInfo {
        id: RuleId::R21,
        title: "REMOVE_BUFS on a busy buffer",
        severity: [Some(W), None, None, Some(W)],
        source: REMOVE_BUFS_RST,
        quote: "EBUSY … One or more of the buffers in the range index to index + count - 1 are \
                not in DEQUEUED state.",
        explanation: "VIDIOC_REMOVE_BUFS (Linux 6.10) frees a range of buffers, but only if \
            every buffer in the range is DEQUEUED, that is owned by the application. If any of \
            them is queued, active or done, the whole call fails with EBUSY and nothing is \
            removed. Dequeue those buffers, or call STREAMOFF, before removing them.",
        per_policy: [
            "The call must fail with EBUSY; warning.",
            "REMOVE_BUFS does not exist in this era; not applicable.",
            "REMOVE_BUFS does not exist in this era; not applicable.",
            "All-or-nothing EBUSY when any buffer in the range is not DEQUEUED; warning \
             (kernels before 6.10 return ENOTTY).",
        ],
    },
    // ------------------------------------------------------------------ R22
    RuleInfo {
        id: RuleId::R22,
        title: "Start deferred by min_queued_buffers",
        severity: [Some(I), None, None, Some(I)],
        source: CORE_H,
        quote: "the minimum number of queued buffers needed before @start_streaming can be \
                called.",
        explanation: "Some DMA engines cannot start until a certain number of buffers is \
            queued. vb2 then marks the queue as streaming at STREAMON but calls the driver's \
            start_streaming only once enough buffers are queued, so the first frames arrive \
            later than the STREAMON call suggests. This is intended; queue at least \
            min_queued_buffers buffers before expecting data.",
        per_policy: [
            "The spec allows a driver minimum; a streaming queue whose driver has not started \
             yet is noted for information.",
            "There is no minimum: start_streaming is called at STREAMON; not applicable.",
            "There is no minimum: start_streaming is called at STREAMON; not applicable.",
            "start_streaming is deferred until queued_count reaches min_queued_buffers; \
             information.",
        ],
    },
    // ------------------------------------------------------------------ EXPECT
    RuleInfo {
        id: RuleId::Expect,
        title: "Expectation failed",
        severity: all(E),
        source: "scenario",
        quote: "expect checks the result of the previous line",
        explanation: "An expect line in a scenario states what the previous operation should \
            return or which state it should leave. The model's result under the selected \
            policy differs, so either the scenario's assumption or the choice of policy is \
            wrong. Check the expected value against the policy's behaviour, or run the \
            scenario under another policy.",
        per_policy: [
            "The expectation is checked against the result the spec policy predicts.",
            "The expectation is checked against the result the vb2-2012 policy predicts.",
            "The expectation is checked against the result the vb2-3.8 policy predicts.",
            "The expectation is checked against the result the modern policy predicts.",
        ],
    },
    // ------------------------------------------------------------------ DIVERGE
    RuleInfo {
        id: RuleId::Diverge,
        title: "Kernel diverges from policy",
        severity: all(W),
        source: "the selected policy",
        quote: "The kernel's observed result is compared with the result the selected policy \
                predicts.",
        explanation: "When a trace or a live run shows what the kernel actually did, the \
            checker compares it with what the selected policy predicts. A divergence means the \
            kernel behaves like another era (for example a backported fix), the driver adds \
            checks of its own, or the model is incomplete. Try another policy, or check the \
            kernel version and the driver.",
        per_policy: [
            "A kernel result that the spec policy does not predict is reported.",
            "A kernel result that the vb2-2012 policy does not predict is reported.",
            "A kernel result that the vb2-3.8 policy does not predict is reported.",
            "A kernel result that the modern policy does not predict is reported.",
        ],
    },
];

/// Returned only if [`RULES`] were ever missing an entry; never expected in practice.
static FALLBACK: RuleInfo = RuleInfo {
    id: RuleId::Diverge,
    title: "Unknown rule",
    severity: [None, None, None, None],
    source: "vb2scope",
    quote: "no catalog entry exists for this rule",
    explanation: "The rule catalog has no entry for this rule. This is a bug in vb2scope.",
    per_policy: [
        "No catalog entry.",
        "No catalog entry.",
        "No catalog entry.",
        "No catalog entry.",
    ],
};

/// Every rule: vb2's and the scenario's ([`RULES`]), the codecs' and requests'
/// ([`CODEC_RULES`]), then the driver's ([`DRIVER_RULES`]).
pub fn all_rules() -> impl Iterator<Item = &'static RuleInfo> {
    RULES
        .iter()
        .chain(CODEC_RULES.iter())
        .chain(DRIVER_RULES.iter())
}

/// The catalog entry for `id`. Never panics.
pub fn info(id: RuleId) -> &'static RuleInfo {
    all_rules().find(|r| r.id == id).unwrap_or(&FALLBACK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_one_entry_in_rule_id_order() {
        let ids: Vec<RuleId> = all_rules().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_by_key(|id| RuleId::ALL.iter().position(|r| r == id));
        sorted.dedup();
        assert_eq!(ids.len(), RuleId::ALL.len());
        assert_eq!(sorted.len(), ids.len());
    }

    #[test]
    fn every_entry_is_complete() {
        for rule in all_rules() {
            let id = rule.id;
            assert!(!rule.title.trim().is_empty(), "{id}: empty title");
            assert!(!rule.source.trim().is_empty(), "{id}: empty source");
            assert!(!rule.quote.trim().is_empty(), "{id}: empty quote");
            assert!(
                !rule.explanation.trim().is_empty(),
                "{id}: empty explanation"
            );
            for (i, text) in rule.per_policy.iter().enumerate() {
                assert!(!text.trim().is_empty(), "{id}: empty per_policy[{i}]");
            }
            assert!(
                !rule.quote.starts_with('"'),
                "{id}: quote has surrounding quotes"
            );
            let texts = [rule.title, rule.quote, rule.explanation];
            for text in texts.iter().chain(rule.per_policy.iter()) {
                assert!(!text.contains("  "), "{id}: double space in {text:?}");
            }
        }
    }

    #[test]
    fn info_returns_matching_entry() {
        for id in RuleId::ALL {
            assert_eq!(info(id).id, id);
        }
    }

    #[test]
    fn decided_severities() {
        let sev = |id| info(id).severity;
        assert_eq!(sev(RuleId::R02), [Some(I), None, None, None]);
        assert_eq!(sev(RuleId::R03), [Some(W), Some(E), Some(E), Some(I)]);
        assert_eq!(sev(RuleId::R07b), [Some(W), Some(I), Some(I), Some(W)]);
        assert_eq!(sev(RuleId::R09), [Some(E), None, None, Some(E)]);
        assert_eq!(sev(RuleId::R19), [Some(W), None, None, Some(W)]);
        assert_eq!(sev(RuleId::R20), [Some(I), Some(W), Some(W), Some(W)]);
        assert_eq!(sev(RuleId::R21), [Some(W), None, None, Some(W)]);
        assert_eq!(sev(RuleId::R22), [Some(I), None, None, Some(I)]);
        assert_eq!(sev(RuleId::Expect), all(E));
        assert_eq!(sev(RuleId::Diverge), all(W));
    }
}
