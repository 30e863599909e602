#!/usr/bin/env python3
"""Provokes the two M2M driver bugs of the codec reference on a real kernel, with plain
ioctls (no codec logic), so that their captures show what the kernel really does:

  bad-streamoff DEV       vim2m: STREAMOFF with a type the node has not (EINVAL) leaves
                          v4l2-mem2mem's TRANS_ABORT set; buffers queued after it never
                          complete until a STREAMOFF succeeds (R48).
  start-after-drain DEV   vicodec's encoder: STOP, the LAST buffer, then START; DQBUF on
                          the capture queue still fails with EPIPE (R49).
  hold-unsupported DEV    vim2m, whose OUTPUT queue lacks SUPPORTS_M2M_HOLD_CAPTURE_BUF: an
                          OUTPUT buffer queued with M2M_HOLD_CAPTURE_BUF; vb2 drops the flag
                          and the reply shows it gone (R42, seen by `vb2scope record`).
  streamoff-mid-job DEV   vim2m (a job takes it 40 ms): STREAMOFF of CAPTURE while a job runs;
                          v4l2_m2m_cancel_job waits for it, the job completes its CAPTURE
                          buffer DONE, and vb2 drops it with the queue (what R41 describes).
  request-misuse DEV      vim2m with media requests, used wrongly on purpose: the request's
                          controls read before it completed (EACCES, R29), its completion
                          awaited with POLLIN (the poll times out, R31; then POLLPRI, right),
                          and a request holding a buffer re-initialised unqueued (R27).

x86-64 layouts of the uAPI structures; MMAP buffers on single-planar queues.
"""

import errno
import fcntl
import os
import select
import struct
import sys
import time

OUT, CAP = 2, 1  # V4L2_BUF_TYPE_VIDEO_OUTPUT, _CAPTURE
CAP_MPLANE = 9  # V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
MMAP = 1
FLAG_LAST = 0x00100000

REQBUFS = 0xC0145608  # _IOWR('V', 8, struct v4l2_requestbuffers), 20 bytes
QUERYBUF = 0xC0585609  # _IOWR('V', 9, struct v4l2_buffer), 88 bytes
QBUF = 0xC058560F
DQBUF = 0xC0585611
STREAMON = 0x40045612  # _IOW('V', 18, int)
STREAMOFF = 0x40045613
ENCODER_CMD = 0xC028564D  # _IOWR('V', 77, struct v4l2_encoder_cmd), 40 bytes
CMD_START, CMD_STOP = 0, 1
FLAG_REQUEST_FD = 0x00800000
FLAG_HOLD = 0x00000200
CAP_SUPPORTS_HOLD = 0x20
G_EXT_CTRLS = 0xC0205647  # _IOWR('V', 71, struct v4l2_ext_controls), 32 bytes
S_EXT_CTRLS = 0xC0205648
WHICH_REQUEST_VAL = 0x0F010000
REQUEST_ALLOC = 0x80047C05  # _IOR('|', 0x05, int)
REQUEST_QUEUE, REQUEST_REINIT = 0x7C80, 0x7C81



def say(*a):
    print(*a, flush=True)


def ioctl(fd, req, buf):
    """The ioctl's result: (0, reply) or (errno, None)."""
    b = bytearray(buf)
    try:
        fcntl.ioctl(fd, req, b, True)
        return 0, bytes(b)
    except OSError as e:
        return e.errno, None


def reqbufs_caps(fd, ty, n):
    """(count granted or -errno, the queue's capabilities)."""
    e, r = ioctl(fd, REQBUFS, struct.pack("=IIII4x", n, ty, MMAP, 0))
    return (struct.unpack_from("=I", r, 0)[0], struct.unpack_from("=I", r, 12)[0]) if e == 0 else (-e, 0)


def reqbufs(fd, ty, n):
    return reqbufs_caps(fd, ty, n)[0]


def buf(ty, index, bytesused=0, offset=0, length=0):
    b = bytearray(88)
    struct.pack_into("=IIIII", b, 0, index, ty, bytesused, 0, 0)
    struct.pack_into("=I", b, 60, MMAP)
    struct.pack_into("=II", b, 64, offset, 0)
    struct.pack_into("=I", b, 72, length)
    return bytes(b)


def length_of(fd, ty, index):
    e, r = ioctl(fd, QUERYBUF, buf(ty, index))
    return struct.unpack_from("=I", r, 72)[0] if e == 0 else 0


def qbuf(fd, ty, index):
    n = length_of(fd, ty, index)
    e, _ = ioctl(fd, QBUF, buf(ty, index, bytesused=n if ty == OUT else 0, length=n))
    say(f"QBUF {'out' if ty == OUT else 'cap'} #{index}: {errno.errorcode.get(e, 'ok')}")
    return e


def dqbuf(fd, ty):
    """(errno, index, flags) of a non-blocking DQBUF."""
    e, r = ioctl(fd, DQBUF, buf(ty, 0))
    if e:
        return e, None, 0
    return 0, struct.unpack_from("=I", r, 0)[0], struct.unpack_from("=I", r, 12)[0]


def stream(fd, req, ty):
    e, _ = ioctl(fd, req, struct.pack("=i", ty))
    name = "STREAMON" if req == STREAMON else "STREAMOFF"
    say(f"{name} type {ty}: {errno.errorcode.get(e, 'ok')}")
    return e


def wait_dq(fd, ty, tries=10, timeout=0.2):
    """Waits for one buffer on queue `ty`: (errno, index, flags) of the last DQBUF."""
    r = (errno.EAGAIN, None, 0)
    for _ in range(tries):
        select.select([fd], [], [fd], timeout)
        r = dqbuf(fd, ty)
        if r[0] != errno.EAGAIN:
            break
    say(f"DQBUF {'out' if ty == OUT else 'cap'}: {errno.errorcode.get(r[0], 'ok')} index {r[1]} flags {r[2]:#x}")
    return r


def setup(dev, n):
    fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    for ty in (OUT, CAP):
        say(f"REQBUFS type {ty}: {reqbufs(fd, ty, n)}")
    return fd


def bad_streamoff(dev):
    fd = setup(dev, 2)
    for ty in (OUT, CAP):
        for i in range(2):
            qbuf(fd, ty, i)
    stream(fd, STREAMON, OUT)
    stream(fd, STREAMON, CAP)
    # The context runs: a job completes.
    e, i, _ = wait_dq(fd, CAP)
    e2, j, _ = wait_dq(fd, OUT)
    # A STREAMOFF the kernel refuses: the multi-planar type on a single-planar node, as an
    # application probing both APIs sends.
    stream(fd, STREAMOFF, CAP_MPLANE)
    if e == 0:
        qbuf(fd, CAP, i)
    if e2 == 0:
        qbuf(fd, OUT, j)
    # What was queued before the refusal may still come back; what was queued after it
    # never does: wait up to a second each time, until a wait finds nothing.
    for _ in range(3):
        if wait_dq(fd, CAP, tries=5)[0] == errno.EAGAIN:
            break
    # A STREAMOFF that succeeds clears the abort.
    stream(fd, STREAMOFF, CAP)
    stream(fd, STREAMOFF, OUT)
    for ty in (OUT, CAP):
        reqbufs(fd, ty, 0)
    os.close(fd)


def encoder_cmd(fd, cmd):
    e, _ = ioctl(fd, ENCODER_CMD, struct.pack("=II32x", cmd, 0))
    say(f"ENCODER_CMD {'STOP' if cmd == CMD_STOP else 'START'}: {errno.errorcode.get(e, 'ok')}")
    return e


def start_after_drain(dev):
    fd = setup(dev, 2)
    for i in range(2):
        qbuf(fd, CAP, i)
    qbuf(fd, OUT, 0)
    stream(fd, STREAMON, OUT)
    stream(fd, STREAMON, CAP)
    encoder_cmd(fd, CMD_STOP)
    # Dequeue until LAST, giving capture buffers back.
    last = None
    for _ in range(8):
        e, i, f = wait_dq(fd, CAP)
        if e or f & FLAG_LAST:
            last = i
            break
        qbuf(fd, CAP, i)
    wait_dq(fd, OUT)
    # EPIPE now: the stream has ended.
    wait_dq(fd, CAP, tries=1)
    encoder_cmd(fd, CMD_START)
    # The encoder should resume: one more frame in, its result out.
    qbuf(fd, OUT, 0)
    if last is not None:
        qbuf(fd, CAP, last)
    time.sleep(0.2)
    wait_dq(fd, CAP, tries=3)
    wait_dq(fd, CAP, tries=1)
    stream(fd, STREAMOFF, CAP)
    stream(fd, STREAMOFF, OUT)
    for ty in (OUT, CAP):
        reqbufs(fd, ty, 0)
    os.close(fd)


def media_of(dev):
    """The media device registered for the video node's own device."""
    name = os.path.basename(os.path.realpath(dev))
    parent = os.path.realpath(f"/sys/class/video4linux/{name}/device")
    for m in sorted(os.listdir("/sys/bus/media/devices")):
        if os.path.dirname(os.path.realpath(f"/sys/bus/media/devices/{m}")) == parent:
            return f"/dev/{m}"
    sys.exit(f"{dev}: no media device")


def request_alloc(media):
    e, r = ioctl(media, REQUEST_ALLOC, struct.pack("=i", -1))
    fd = struct.unpack("=i", r)[0] if e == 0 else -1
    say(f"REQUEST_ALLOC: {errno.errorcode.get(e, 'ok')} fd {fd}")
    return fd


def request_call(req, code):
    try:
        fcntl.ioctl(req, code)
        e = 0
    except OSError as x:
        e = x.errno
    say(f"{'QUEUE' if code == REQUEST_QUEUE else 'REINIT'} request {req}: {errno.errorcode.get(e, 'ok')}")
    return e


def request_ctrls(fd, code, req):
    """S or G_EXT_CTRLS of no control in request `req` (binds or reads the handler)."""
    e, _ = ioctl(fd, code, struct.pack("=IIIiI4xQ", WHICH_REQUEST_VAL, 0, 0, req, 0, 0))
    say(f"{'S' if code == S_EXT_CTRLS else 'G'}_EXT_CTRLS request {req}: {errno.errorcode.get(e, 'ok')}")
    return e


def qbuf_request(fd, index, req):
    n = length_of(fd, OUT, index)
    b = bytearray(buf(OUT, index, bytesused=n, length=n))
    struct.pack_into("=I", b, 12, FLAG_REQUEST_FD)
    struct.pack_into("=i", b, 80, req)
    e, _ = ioctl(fd, QBUF, bytes(b))
    say(f"QBUF out #{index} into request {req}: {errno.errorcode.get(e, 'ok')}")
    return e


def poll_request(req, events, timeout_ms):
    p = select.poll()
    p.register(req, events)
    got = p.poll(timeout_ms)
    say(f"poll request {req} for {events:#x}: {got or 'timeout'}")
    return got


def request_misuse(dev):
    fd = setup(dev, 2)
    media = os.open(media_of(dev), os.O_RDWR)
    r0, r1 = request_alloc(media), request_alloc(media)
    request_ctrls(fd, S_EXT_CTRLS, r0)
    # Too early: the request is not even queued (EACCES).
    request_ctrls(fd, G_EXT_CTRLS, r0)
    qbuf_request(fd, 0, r0)
    for i in range(2):
        qbuf(fd, CAP, i)
    stream(fd, STREAMON, OUT)
    stream(fd, STREAMON, CAP)
    request_call(r0, REQUEST_QUEUE)
    # POLLIN on a request never wakes: this sleeps its whole timeout.
    poll_request(r0, select.POLLIN, 300)
    poll_request(r0, select.POLLPRI, 1000)
    request_ctrls(fd, G_EXT_CTRLS, r0)
    wait_dq(fd, CAP)
    wait_dq(fd, OUT)
    # A buffer put into a request, then the request emptied before it was queued.
    qbuf_request(fd, 1, r1)
    request_call(r1, REQUEST_REINIT)
    stream(fd, STREAMOFF, CAP)
    stream(fd, STREAMOFF, OUT)
    for r in (r0, r1):
        os.close(r)
    for ty in (OUT, CAP):
        reqbufs(fd, ty, 0)
    os.close(media)
    os.close(fd)


def hold_unsupported(dev):
    fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    for ty in (OUT, CAP):
        count, caps = reqbufs_caps(fd, ty, 2)
        say(f"REQBUFS type {ty}: {count}, capabilities {caps:#x}, hold {bool(caps & CAP_SUPPORTS_HOLD)}")
    n = length_of(fd, OUT, 0)
    b = bytearray(buf(OUT, 0, bytesused=n, length=n))
    struct.pack_into("=I", b, 12, FLAG_HOLD)
    e, r = ioctl(fd, QBUF, bytes(b))
    kept = struct.unpack_from("=I", r, 12)[0] if e == 0 else 0
    say(f"QBUF out #0 with HOLD_CAPTURE_BUF: {errno.errorcode.get(e, 'ok')}, reply flags {kept:#x}")
    for i in range(2):
        qbuf(fd, CAP, i)
    stream(fd, STREAMON, OUT)
    stream(fd, STREAMON, CAP)
    wait_dq(fd, CAP)
    wait_dq(fd, OUT)
    stream(fd, STREAMOFF, CAP)
    stream(fd, STREAMOFF, OUT)
    for ty in (OUT, CAP):
        reqbufs(fd, ty, 0)
    os.close(fd)


def streamoff_mid_job(dev):
    fd = setup(dev, 2)
    for ty in (OUT, CAP):
        for i in range(2):
            qbuf(fd, ty, i)
    stream(fd, STREAMON, OUT)
    stream(fd, STREAMON, CAP)
    # The first job started at STREAMON and runs for vim2m's 40 ms.
    time.sleep(0.005)
    t = time.monotonic()
    stream(fd, STREAMOFF, CAP)
    say(f"STREAMOFF of CAPTURE took {(time.monotonic() - t) * 1000:.1f} ms")
    r = dqbuf(fd, OUT)
    say(f"DQBUF out after it: {errno.errorcode.get(r[0], 'ok')} index {r[1]}")
    stream(fd, STREAMOFF, OUT)
    for ty in (OUT, CAP):
        reqbufs(fd, ty, 0)
    os.close(fd)


MODES = {
    "streamoff-mid-job": streamoff_mid_job,
    "hold-unsupported": hold_unsupported,
    "bad-streamoff": bad_streamoff,
    "start-after-drain": start_after_drain,
    "request-misuse": request_misuse,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in MODES:
        sys.exit(f"usage: m2m_probe.py {'|'.join(MODES)} DEV")
    MODES[sys.argv[1]](sys.argv[2])
