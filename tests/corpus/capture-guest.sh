#!/usr/bin/env bash
# Runs inside the test VM (tests/vm/vm.sh run): real applications on vivid (and vim2m where it
# was built), each run under strace and, around that, `vb2scope trace-kernel`, so every
# capture is one run seen from both sides. Writes NAME.{cmd,out,strace,ftrace}.txt into OUT.
# Some (those in RECORDED) then run once more under vb2scope's own recorder
# (`vb2scope record -- CMD`): NAME.record.jsonl, with what it printed in NAME.record.out.txt.
#
#   capture-guest.sh [--record-only] OUT [NAME...]      (all captures when no NAME is given)
#
# --record-only   only the recordings of RECORDED (no strace, no ftrace)
#
# Devices are found by their sysfs names, never by number. Needs: strace, v4l2-ctl,
# v4l2-compliance, gst-launch-1.0 with the good and bad plugins (v4l2codecs, ivfparse,
# h264parse), ffmpeg with libx264 and libvpx, python3-gi (for the restart capture).
# The codec captures (vicodec, visl) run where those modules were loaded; their inputs are
# made here at run time, in the guest's /tmp.
set -uo pipefail

RECORD_ONLY=0
if [ "${1:-}" = --record-only ]; then
    RECORD_ONLY=1
    shift
fi
OUT=${1:?usage: capture-guest.sh [--record-only] OUT [NAME...]}
shift
mkdir -p "$OUT"
VB2SCOPE=${VB2SCOPE:-target/release/vb2scope}
[ -x "$VB2SCOPE" ] || VB2SCOPE=target/debug/vb2scope
HERE=$(cd "$(dirname "$0")" && pwd)

node() { # sysfs name -> /dev path
    local f
    for f in /sys/class/video4linux/*/name; do
        if [ "$(cat "$f")" = "$1" ]; then
            echo "/dev/$(basename "$(dirname "$f")")"
            return 0
        fi
    done
    return 1
}

CAP=$(node vivid-000-vid-cap)
OUTDEV=$(node vivid-000-vid-out)
DC_CAP=$(node vivid-001-vid-cap)
DC_OUT=$(node vivid-001-vid-out)
M2M=$(node vim2m || true)
# vicodec's three instances and visl (6.2 and later), where loaded.
ENC=$(node stateful-encoder || true)
DEC=$(node stateful-decoder || true)
SL_DEC=$(node stateless-decoder || true)
VISL=$(node visl || true)
KERNEL=$(uname -r)

# Every capture starts from the same formats (vivid keeps what the last program set):
# 640x480 YUYV, progressive, Rec. 709, and 60 fps, since vivid's webcam input defaults to 5.
# The outputs use their HDMI connector, which takes any size (S-Video takes PAL/NTSC only)
# but only Rec. 709: the colorspace a zero-copy pipeline passes through unchanged.
reset_formats() {
    local d
    for d in "$CAP" "$DC_CAP"; do
        v4l2-ctl -d "$d" -c colorspace=1 >/dev/null 2>&1 || true
        v4l2-ctl -d "$d" -v width=640,height=480,pixelformat=YUYV,field=none -p 60 >/dev/null 2>&1 || true
    done
    for d in "$OUTDEV" "$DC_OUT"; do
        v4l2-ctl -d "$d" --set-output=1 >/dev/null 2>&1 || true
        v4l2-ctl -d "$d" -x width=640,height=480,pixelformat=YUYV,field=none >/dev/null 2>&1 || true
    done
}

# strace: every call that changes what a buffer is tied to, with results and durations, and
# the waits (on a device, or on a request fd for its completion).
STRACE=(strace -f -v -ttt -T -y
    -e trace=openat,ioctl,mmap,munmap,close,dup,dup2,dup3,poll,ppoll,pselect6,select,epoll_wait,epoll_pwait)

# The captures also recorded by `vb2scope record`: the programs whose buffers cross queues
# as dma-bufs (exported by one, imported by another), FFmpeg's many MMAP buffers, and the
# codecs, whose commands and events strace prints only as pointers.
RECORDED=" gst-zero-copy v4l2ctl-dmabuf-import ffmpeg-v4l2 vicodec-enc vicodec-dec vicodec-dec-drc vicodec-stateless visl-gst-h264 compliance-vicodec-enc compliance-vim2m compliance-visl probe-m2m-bad-streamoff probe-vicodec-start-after-drain probe-m2m-request-misuse visl-gst-vp9 visl-gst-mpeg2 gst-fwhtdec-drc vicodec-dec-drc-userptr probe-m2m-hold-unsupported probe-m2m-streamoff-mid-job "

wanted() { # NAME: whether this run makes that capture
    [ "$RECORD_ONLY" = 0 ] || [[ "$RECORDED" == *" $1 "* ]] || return 1
    [ ${#WANT[@]} -eq 0 ] || [[ " ${WANT[*]} " == *" $1 "* ]]
}

# capture NAME CMD ARGS...; with NOTE=TEXT in its environment, TEXT goes into NAME.cmd.txt and,
# before the exit status, into NAME.out.txt.
capture() {
    local name=$1
    shift
    wanted "$name" || return 0
    local base=$OUT/$name rc
    printf '$ %s\n# kernel %s\n' "$*" "$KERNEL" >"$base.cmd.txt"
    [ -z "${NOTE:-}" ] || printf '# note: %s\n' "$NOTE" >>"$base.cmd.txt"
    if [ "$RECORD_ONLY" = 0 ]; then
        echo "capture $name: $*" >&2
        reset_formats
        timeout 300 "$VB2SCOPE" trace-kernel -o "$base.ftrace.txt" -- \
            "${STRACE[@]}" -o "$base.strace.txt" "$@" >"$base.out.txt" 2>&1
        rc=$?
        [ -z "${NOTE:-}" ] || printf '# note: %s\n' "$NOTE" >>"$base.out.txt"
        echo "exit $rc" >>"$base.out.txt"
        echo "capture $name: exit $rc" >&2
    fi
    if [[ "$RECORDED" == *" $name "* ]]; then
        # The same program once more, seen by vb2scope's recorder. A failure here is
        # reported and leaves the other captures as they are.
        echo "record $name: $*" >&2
        reset_formats
        rm -f "$base.record.jsonl"
        timeout 300 "$VB2SCOPE" record -o "$base.record.jsonl" -- "$@" >"$base.record.out.txt" 2>&1
        rc=$?
        echo "exit $rc" >>"$base.record.out.txt"
        # vb2scope exits with the program's status; it says `recorded` when the trace is whole.
        if grep -q '^vb2scope: recorded ' "$base.record.out.txt" && [ -s "$base.record.jsonl" ]; then
            echo "record $name: exit $rc" >&2
        else
            echo "record $name: FAILED (exit $rc): $(tail -n 3 "$base.record.out.txt" | tr '\n' ' ')" >&2
        fi
    fi
}

WANT=("$@")
RAW=video/x-raw,format=YUY2,width=640,height=480,interlace-mode=progressive

# GStreamer's v4l2src in each io-mode.
capture gst-v4l2src-mmap gst-launch-1.0 -q v4l2src device="$CAP" io-mode=mmap num-buffers=20 ! fakesink
# USERPTR needs a downstream pool to take memory from: the output queue's MMAP buffers.
capture gst-v4l2src-userptr gst-launch-1.0 -q v4l2src device="$CAP" io-mode=userptr num-buffers=20 ! "$RAW" ! v4l2sink device="$OUTDEV" io-mode=mmap
capture gst-v4l2src-dmabuf gst-launch-1.0 -q v4l2src device="$CAP" io-mode=dmabuf num-buffers=20 ! fakesink
# Zero copy: the capture queue's buffers exported and imported by vivid's output queue.
capture gst-zero-copy gst-launch-1.0 -q v4l2src device="$CAP" io-mode=dmabuf num-buffers=20 ! "$RAW" ! v4l2sink device="$OUTDEV" io-mode=dmabuf-import
# PLAYING -> READY -> PLAYING: the stream stopped and started again on the same buffers.
capture gst-restart /usr/bin/python3 "$HERE/gst-restart.py" "$CAP"
# FFmpeg's v4l2 input (it asks for 256 buffers). Left to itself it picks vivid's largest
# size, 3840x2160, whose 64 buffers do not fit the guest's memory.
capture ffmpeg-v4l2 ffmpeg -hide_banner -loglevel error -f v4l2 -video_size 640x480 -i "$CAP" -frames:v 20 -f null -
# v4l2-ctl in every memory mode, on vmalloc and on dma-contig.
capture v4l2ctl-mmap v4l2-ctl -d "$CAP" --stream-mmap=4 --stream-count=10
capture v4l2ctl-userptr v4l2-ctl -d "$CAP" --stream-user=4 --stream-count=10
capture v4l2ctl-dmabuf-import v4l2-ctl -d "$CAP" -e "$OUTDEV" --stream-dmabuf --stream-out-mmap=4 --stream-count=10
capture v4l2ctl-out-dmabuf v4l2-ctl -d "$CAP" -e "$OUTDEV" --stream-mmap=4 --stream-out-dmabuf --stream-count=10
capture v4l2ctl-dc-mmap v4l2-ctl -d "$DC_CAP" --stream-mmap=4 --stream-count=10
capture v4l2ctl-dc-userptr v4l2-ctl -d "$DC_CAP" --stream-user=4 --stream-count=10
capture v4l2ctl-dc-import-vmalloc v4l2-ctl -d "$DC_CAP" -E "$OUTDEV" --stream-dmabuf --stream-count=10
capture v4l2ctl-dc-dmabuf-import v4l2-ctl -d "$DC_CAP" -e "$DC_OUT" --stream-dmabuf --stream-out-mmap=4 --stream-count=10
if [ -n "$M2M" ]; then
    capture vim2m-mmap v4l2-ctl -d "$M2M" --stream-mmap=4 --stream-out-mmap=4 --stream-count=10
    capture vim2m-userptr v4l2-ctl -d "$M2M" --stream-user=4 --stream-out-user=4 --stream-count=10
    capture vim2m-dmabuf v4l2-ctl -d "$M2M" -E "$OUTDEV" --stream-dmabuf --stream-out-mmap=4 --stream-count=10
    # RGB in, BGR out: with equal caps on both sides v4l2convert passes buffers through
    # without touching the device.
    capture gst-vim2m gst-launch-1.0 -q videotestsrc num-buffers=20 ! video/x-raw,format=RGB,width=640,height=480 ! v4l2convert ! video/x-raw,format=BGR ! fakesink
    # v4l2-mem2mem's bug: a STREAMOFF the kernel refuses leaves the context aborted (R48).
    capture probe-m2m-bad-streamoff python3 "$HERE/probes/m2m_probe.py" bad-streamoff "$M2M"
    # Media requests used wrongly on purpose: controls read early (R29), a POLLIN wait on a
    # request (R31), a request holding a buffer re-initialised unqueued (R27).
    capture probe-m2m-request-misuse python3 "$HERE/probes/m2m_probe.py" request-misuse "$M2M"
    # STREAMOFF of CAPTURE while a job runs: it waits for the job (40 ms), whose CAPTURE
    # result is then dropped with the queue. Every reading must be clean: the kernel merge
    # puts the job's completion before the call (vb2_core_streamoff, the call's pinned
    # probe, fires only after the wait), so R41 is not claimed from it.
    capture probe-m2m-streamoff-mid-job python3 "$HERE/probes/m2m_probe.py" streamoff-mid-job "$M2M"
    # HOLD_CAPTURE_BUF on vim2m, which cannot hold: vb2 drops the flag (R42).
    capture probe-m2m-hold-unsupported python3 "$HERE/probes/m2m_probe.py" hold-unsupported "$M2M"
fi

# --- codecs: vicodec (stateful encoder and decoder, stateless decoder) and visl ---------------
# Inputs are made at run time: raw I420 from FFmpeg's testsrc, FWHT by vicodec's own encoder,
# H.264 and VP8 by libx264 and libvpx.
MEDIA=/tmp/vb2scope-corpus-media
mkdir -p "$MEDIA"
# v4l-utils 1.22.1 (October 2021) has the uAPI of about 5.15: older than 6.x, newer than 5.10.
than=older
[ "$(printf '%s\n' "$KERNEL" 5.15 | sort -V | head -n1)" = 5.15 ] || than=newer
COMPLIANCE_NOTE="v4l2-compliance 1.22.1 is $than than this kernel: a non-zero exit status (failed tests) is kept, the calls it made are real"

raw_i420() { # W H FRAMES FILE
    [ -s "$4" ] || ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc=size=$1x$2:rate=25" \
        -frames:v "$3" -pix_fmt yuv420p -f rawvideo -y "$4" >&2
}
# v4l2-ctl on vicodec's stateful encoder: raw I420 of W x H from RAW in, the FWHT stream out,
# plain (--stream-to) or each frame behind a length header (--stream-to-hdr).
# vicodec rounds the coded height up to a multiple of 16 (360 -> 368) and makes that the
# visible size: the crop rectangle brings it back to H, so v4l2-ctl reads H lines a frame.
ENC_ARGS() { # W H RAW --stream-to|--stream-to-hdr FWHT
    echo -d "$ENC" -x "width=$1,height=$2,pixelformat=YU12" \
        --set-selection-output "target=crop,width=$1,height=$2" --stream-mmap=4 --stream-out-mmap=4 \
        --stream-from "$3" "$4" "$5"
}
fwht() { # W H FRAMES --stream-to|--stream-to-hdr FWHT: encoded untraced, unless it is there
    [ -s "$5" ] && return 0
    raw_i420 "$1" "$2" "$3" "$MEDIA/in-$1x$2-$3.yuv"
    # shellcheck disable=SC2046 # the arguments are words without blanks
    v4l2-ctl $(ENC_ARGS "$1" "$2" "$MEDIA/in-$1x$2-$3.yuv" "$4" "$5") >/dev/null 2>&1
    [ -s "$5" ] || echo "capture-guest.sh: encoding $5 with vicodec failed" >&2
}

if [ -n "$ENC" ] && [ -n "$DEC" ] && [ -n "$SL_DEC" ]; then
    FWHT=$MEDIA/vicodec-enc-640x360.fwht
    ! wanted vicodec-enc || raw_i420 640 360 20 "$MEDIA/in-640x360-20.yuv"
    # Stateful encoder, MMAP on both queues, 20 frames of 640x360 (vicodec's smallest size)
    # read from a file: at its end v4l2-ctl sends ENCODER_CMD STOP and stops at the LAST buffer.
    # shellcheck disable=SC2046
    capture vicodec-enc v4l2-ctl $(ENC_ARGS 640 360 "$MEDIA/in-640x360-20.yuv" --stream-to "$FWHT")
    # vicodec's bug: START after a drain does not clear EPIPE (R49).
    capture probe-vicodec-start-after-drain python3 "$HERE/probes/m2m_probe.py" start-after-drain "$ENC"
    if wanted vicodec-dec || wanted vicodec-dec-drc-bytestream || wanted vicodec-stateless; then
        fwht 640 360 20 --stream-to "$FWHT"
    fi
    # Stateful decoder on that stream, fed as a byte stream: each OUTPUT buffer is filled from
    # the file, and the 20 frames (420 KB) fit in the first one. SOURCE_CHANGE sets up
    # CAPTURE, DECODER_CMD STOP at the end of the file (sent before CAPTURE streams), LAST.
    capture vicodec-dec v4l2-ctl -d "$DEC" -x width=640,height=360 --stream-mmap=4 --stream-out-mmap=4 \
        --stream-from "$FWHT" --stream-to "$MEDIA/vicodec-dec.yuv"
    # Dynamic resolution change, one frame an OUTPUT buffer (--stream-from-hdr): 20 frames of
    # 640x360 then 10 of 800x480. At the first 800x480 header the decoder returns an empty
    # LAST buffer and sends SOURCE_CHANGE; v4l2-ctl's capture_setup restarts CAPTURE
    # (STREAMOFF, REQBUFS 0, G_FMT, REQBUFS, STREAMON) while OUTPUT keeps streaming; at the
    # end of the file DECODER_CMD STOP and LAST.
    if wanted vicodec-dec-drc; then
        fwht 640 360 20 --stream-to-hdr "$MEDIA/enc-640x360.hdr.fwht"
        fwht 800 480 10 --stream-to-hdr "$MEDIA/enc-800x480.hdr.fwht"
        cat "$MEDIA/enc-640x360.hdr.fwht" "$MEDIA/enc-800x480.hdr.fwht" >"$MEDIA/drc.hdr.fwht"
    fi
    capture vicodec-dec-drc v4l2-ctl -d "$DEC" -x width=640,height=360 --stream-mmap=4 --stream-out-mmap=4 \
        --stream-from-hdr "$MEDIA/drc.hdr.fwht" --stream-to "$MEDIA/vicodec-dec-drc.yuv"
    # The same two streams as one byte stream (both in the first OUTPUT buffer): STOP goes out
    # before the resolution change, whose CAPTURE restart cancels that drain, so no LAST
    # comes; v4l2-ctl ends on its 0.5 s select timeout.
    if wanted vicodec-dec-drc-bytestream; then
        fwht 800 480 10 --stream-to "$MEDIA/enc-800x480.fwht"
        cat "$FWHT" "$MEDIA/enc-800x480.fwht" >"$MEDIA/drc.fwht"
    fi
    capture vicodec-dec-drc-bytestream v4l2-ctl -d "$DEC" -x width=640,height=360 --stream-mmap=4 \
        --stream-out-mmap=4 --stream-from "$MEDIA/drc.fwht" --stream-to "$MEDIA/vicodec-dec-drc-bytestream.yuv"
    # The resolution change in two more applications, on the stream of
    # traces/decoder-resolution-change-device.vb2s (two FWHT frames of 640x360, one of
    # 800x480). GStreamer's v4l2fwhtdec is fed filesrc's 4 KiB blocks, no parser: it handles
    # both SOURCE_CHANGEs by STREAMOFF and reallocation of CAPTURE, without dequeuing the
    # LAST buffer. v4l2-ctl with USERPTR on both queues: one byte stream, STOP at its end.
    DRC_FWHT=$HERE/../../traces/media/drc-640x360-800x480.fwht
    capture gst-fwhtdec-drc gst-launch-1.0 -q filesrc location="$DRC_FWHT" ! \
        video/x-fwht,width=640,height=360,framerate=25/1,colorimetry=bt709 ! v4l2fwhtdec ! fakesink
    capture vicodec-dec-drc-userptr v4l2-ctl -d "$DEC" -x width=640,height=360 --stream-user=3 \
        --stream-out-user=3 --stream-from "$DRC_FWHT" --stream-to /dev/null
    # Stateless decoder (Request API): per frame a request from the media device
    # (MEDIA_IOC_REQUEST_ALLOC), S_EXT_CTRLS of the FWHT parameters and QBUF(OUTPUT) in it,
    # MEDIA_REQUEST_IOC_QUEUE, select() on the request fd, REINIT for reuse.
    capture vicodec-stateless v4l2-ctl -d "$SL_DEC" -x width=640,height=360 -v width=640,height=360 \
        --stream-mmap=4 --stream-out-mmap=4 --stream-from "$FWHT" --stream-to "$MEDIA/vicodec-stateless.yuv"
    NOTE=$COMPLIANCE_NOTE capture compliance-vicodec-enc v4l2-compliance -d "$ENC" -s
fi
if [ -n "$VISL" ]; then
    # visl: a stateless decoder that decodes nothing (it draws its debug pattern) but takes
    # the real controls and requests of GStreamer's v4l2codecs decoders. H.264 with two slices
    # a frame: GStreamer queues one request per slice and holds the CAPTURE buffer
    # (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) until the frame's last slice.
    if wanted visl-gst-h264; then
        ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 \
            -pix_fmt yuv420p -c:v libx264 -x264-params slices=2 -f h264 -y "$MEDIA/visl.h264" >&2
    fi
    capture visl-gst-h264 gst-launch-1.0 filesrc location="$MEDIA/visl.h264" ! h264parse ! v4l2slh264dec ! fakesink
    if wanted visl-gst-vp8; then
        ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 \
            -c:v libvpx -b:v 300k -f ivf -y "$MEDIA/visl.ivf" >&2
    fi
    capture visl-gst-vp8 gst-launch-1.0 filesrc location="$MEDIA/visl.ivf" ! ivfparse ! v4l2slvp8dec ! fakesink
    # More of GStreamer's stateless decoders, each with its own controls in its requests.
    if wanted visl-gst-vp9; then
        ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 \
            -c:v libvpx-vp9 -b:v 300k -f ivf -y "$MEDIA/visl-vp9.ivf" >&2
    fi
    capture visl-gst-vp9 gst-launch-1.0 filesrc location="$MEDIA/visl-vp9.ivf" ! ivfparse ! vp9parse ! v4l2slvp9dec ! fakesink
    if wanted visl-gst-mpeg2; then
        ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 10 \
            -c:v mpeg2video -f mpeg2video -y "$MEDIA/visl.m2v" >&2
    fi
    capture visl-gst-mpeg2 gst-launch-1.0 filesrc location="$MEDIA/visl.m2v" ! mpegvideoparse ! v4l2slmpeg2dec ! fakesink
    NOTE=$COMPLIANCE_NOTE capture compliance-visl v4l2-compliance -d "$VISL" -s
fi
if [ -n "$M2M" ]; then
    NOTE=$COMPLIANCE_NOTE capture compliance-vim2m v4l2-compliance -d "$M2M" -s
fi
exit 0
