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
# gst-launch-1.0 with the good plugins, ffmpeg, python3-gi (for the restart capture).
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

# strace: every call that changes what a buffer is tied to, with results and durations.
STRACE=(strace -f -v -ttt -T -y -e trace=openat,ioctl,mmap,munmap,close,dup,dup2,dup3)

# The captures also recorded by `vb2scope record`: the programs whose buffers cross queues
# as dma-bufs (exported by one, imported by another), and FFmpeg's many MMAP buffers.
RECORDED=" gst-zero-copy v4l2ctl-dmabuf-import ffmpeg-v4l2 "

capture() { # NAME CMD ARGS...
    local name=$1
    shift
    if [ ${#WANT[@]} -gt 0 ] && [[ " ${WANT[*]} " != *" $name "* ]]; then return 0; fi
    if [ "$RECORD_ONLY" = 1 ] && [[ "$RECORDED" != *" $name "* ]]; then return 0; fi
    local base=$OUT/$name rc
    printf '$ %s\n# kernel %s\n' "$*" "$KERNEL" >"$base.cmd.txt"
    if [ "$RECORD_ONLY" = 0 ]; then
        echo "capture $name: $*" >&2
        reset_formats
        timeout 300 "$VB2SCOPE" trace-kernel -o "$base.ftrace.txt" -- \
            "${STRACE[@]}" -o "$base.strace.txt" "$@" >"$base.out.txt" 2>&1
        rc=$?
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
fi
exit 0
