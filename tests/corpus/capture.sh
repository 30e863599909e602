#!/usr/bin/env bash
# Captures the corpus on the test kernels: for each kernel label, boots the test VM
# (tests/vm/vm.sh) with vivid, vim2m, vicodec and visl (where the kernel has them) and runs capture-guest.sh (applications) and
# scenarios-guest.sh (the scenarios of traces/ on vivid) in it, then stores every capture
# zstd-compressed under tests/fixtures/corpus/linux-KREL/, where crates/core/tests/corpus.rs checks them.
# See tests/corpus/README.md. The raw captures stay in target/corpus/LABEL.
#
#   capture.sh [--kernel K[,K...]|all] [--apps|--scenarios|--record-only] [NAME...]
#
# --kernel      labels of tests/vm/vm.sh (default: all, i.e. 5.10, 6.1, 6.12 and newest)
# --apps        only the applications; --scenarios: only the scenarios
# --record-only only the applications' `vb2scope record` runs (capture-guest.sh's RECORDED):
#               NAME.record.jsonl.zst and NAME.record.out.txt, the rest stored stays as it is
# NAME...       only these (capture-guest.sh's names, or scenario names); the others stored
#               stay as they are
#
# Needs on the host what the guest runs (it chroots into the host's root): strace, v4l2-ctl,
# v4l2-compliance, gst-launch-1.0 with the good and bad plugins, ffmpeg, python3-gi; and zstd.
set -euo pipefail
cd "$(dirname "$0")/../.."

KERNELS=(5.10 6.1 6.12 newest)
WANT=()
APPS=1
SCENARIOS=1
RECORD_ONLY=
RECORD_FAILED=()
while [ $# -gt 0 ]; do
    case $1 in
        --kernel)
            [ "$2" = all ] || IFS=, read -ra KERNELS <<<"$2"
            shift 2
            ;;
        --kernel=*)
            v=${1#--kernel=}
            [ "$v" = all ] || IFS=, read -ra KERNELS <<<"$v"
            shift
            ;;
        --apps) SCENARIOS=0 && shift ;;
        --scenarios) APPS=0 && shift ;;
        --record-only) SCENARIOS=0 && RECORD_ONLY=--record-only && shift ;;
        -*) echo "capture.sh: unknown option $1" >&2 && exit 2 ;;
        *) WANT+=("$1") && shift ;;
    esac
done

for tool in strace v4l2-ctl v4l2-compliance gst-launch-1.0 ffmpeg zstd; do
    command -v "$tool" >/dev/null || { echo "capture.sh: $tool is needed" >&2; exit 2; }
done

cargo build --quiet --bin vb2scope
# The guest runs a copy, so a rebuild meanwhile does not change the binary under it.
BIN=target/corpus/bin/vb2scope
mkdir -p target/corpus/bin
cp target/debug/vb2scope "$BIN"

bash tests/vm/vm.sh setup --kernel "$(IFS=,; echo "${KERNELS[*]}")"
bash tests/vm/vm.sh modules --kernel "$(IFS=,; echo "${KERNELS[*]}")"

for k in "${KERNELS[@]}"; do
    raw=target/corpus/$k
    rm -rf "$raw"
    mkdir -p "$raw"
    echo "== kernel $k" >&2
    # One boot per kernel for both parts.
    guest="true"
    [ "$APPS" = 0 ] || guest+=" && bash tests/corpus/capture-guest.sh $RECORD_ONLY $raw ${WANT[*]}"
    [ "$SCENARIOS" = 0 ] || guest+=" && bash tests/corpus/scenarios-guest.sh $raw ${WANT[*]}"
    # visl is from 6.2, so it is optional; so is vicodec, so that the rest goes on without it.
    VB2SCOPE=$BIN VM_PASS_ENV=VB2SCOPE bash tests/vm/vm.sh run --kernel "$k" \
        --modules "vim2m vicodec? visl?" --timeout 2400 -- bash -c "$guest"
    krel=$(sed -n 's/^# kernel //p' "$(ls "$raw"/*.cmd.txt | head -1)")
    store=tests/fixtures/corpus/linux-$krel
    mkdir -p "$store"
    for cmd in "$raw"/*.cmd.txt; do
        name=$(basename "$cmd" .cmd.txt)
        if [ -z "$RECORD_ONLY" ]; then
            cp "$cmd" "$store/$name.cmd.txt"
            # What the program printed, for a reader; its exit status is on the last line.
            tail -n 20 "$raw/$name.out.txt" >"$store/$name.out.txt"
            for part in strace.txt ftrace.txt jsonl jsonl.ftrace.txt; do
                [ -e "$raw/$name.$part" ] || continue
                zstd -q -19 -f "$raw/$name.$part" -o "$store/$name.$part.zst"
            done
        fi
        # The run under `vb2scope record`, stored when the recorder finished its trace
        # (whatever the program's own exit status, the last line of NAME.record.out.txt).
        [ -e "$raw/$name.record.out.txt" ] || continue
        if grep -q '^vb2scope: recorded ' "$raw/$name.record.out.txt" && [ -s "$raw/$name.record.jsonl" ]; then
            tail -n 20 "$raw/$name.record.out.txt" >"$store/$name.record.out.txt"
            zstd -q -19 -f "$raw/$name.record.jsonl" -o "$store/$name.record.jsonl.zst"
        else
            echo "capture.sh: kernel $k: vb2scope record of $name failed, not stored:" >&2
            tail -n 5 "$raw/$name.record.out.txt" >&2
            RECORD_FAILED+=("$k/$name")
        fi
    done
    echo "== kernel $k: stored in $store" >&2
done
if [ ${#RECORD_FAILED[@]} -gt 0 ]; then
    echo "capture.sh: vb2scope record failed for: ${RECORD_FAILED[*]}" >&2
    exit 1
fi
