#!/bin/sh
# Makes drc-640x360-800x480.fwht: two FWHT frames of 640x360 then one of 800x480, coded by
# vicodec's own stateful encoder, for traces/decoder-resolution-change-device.vb2s. Run where
# vicodec is loaded (as root), e.g. in the test VM:
#   bash tests/vm/vm.sh run --modules vicodec -- sh traces/media/make-drc-fwht.sh
# The pictures are a gradient that moves by a few pixels a frame.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/drc-640x360-800x480.fwht}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ENC=
for d in /sys/class/video4linux/video*; do
    [ "$(cat "$d/name")" = stateful-encoder ] && ENC=/dev/$(basename "$d") && break
done
[ -n "$ENC" ] || { echo "make-drc-fwht.sh: no vicodec stateful encoder" >&2; exit 1; }
raw() { # W H FRAMES FILE: I420
    python3 - "$@" <<'PY'
import sys
w, h, n, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(path, "wb") as f:
    for i in range(n):
        f.write(bytes(((x + 4 * i) * 255 // w) & 0xff for _ in range(h) for x in range(w)))
        f.write(bytes([96]) * (w // 2 * h // 2))
        f.write(bytes([160]) * (w // 2 * h // 2))
PY
}
enc() { # W H FRAMES OUT
    raw "$1" "$2" "$3" "$TMP/in.yuv"
    v4l2-ctl -d "$ENC" -x "width=$1,height=$2,pixelformat=YU12" \
        --set-selection-output "target=crop,width=$1,height=$2" \
        --stream-mmap=2 --stream-out-mmap=2 --stream-count="$3" \
        --stream-from "$TMP/in.yuv" --stream-to "$4" >/dev/null 2>&1
    [ -s "$4" ]
}
enc 640 360 2 "$TMP/a.fwht"
enc 800 480 1 "$TMP/b.fwht"
cat "$TMP/a.fwht" "$TMP/b.fwht" >"$OUT"
ls -l "$OUT"
