#!/usr/bin/env bash
# Runs inside the test VM (tests/vm/vm.sh run), after capture-guest.sh: the scenarios of
# traces/ that a real device can play, each on vivid with the kernel's side recorded
# (`vb2scope run --device --kernel-trace`), so the fidelity table has the model's own teaching
# examples next to the applications. Writes scenario-NAME.jsonl (the merged trace, whose
# header names the kernel) and its raw kernel text scenario-NAME.jsonl.ftrace.txt into OUT.
#
#   scenarios-guest.sh OUT [NAME...]
set -uo pipefail

OUT=${1:?usage: scenarios-guest.sh OUT [NAME...]}
shift
mkdir -p "$OUT"
VB2SCOPE=${VB2SCOPE:-target/debug/vb2scope}

# As tests/real_device.rs's RUNNABLE: those whose `driver` lines only complete buffers.
ALL=(2012-report clean-session dmabuf-reassociation dqbuf-not-streaming non-owner-access
    qbuf-queued-buffer remove-bufs-queued reqbufs0-with-mmapped-buffers
    streamoff-without-streamon userptr-freed-while-queued userptr-pin-after-streamoff)
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=("${ALL[@]}")

# dma-bufs from what this kernel has: the system heap, udmabuf, else vivid's output queue.
if [ -e /dev/dma_heap/system ]; then
    FROM=heap
elif [ -e /dev/udmabuf ]; then
    FROM=udmabuf
else
    FROM=vivid-000-vid-out
fi

for name in "${WANT[@]}"; do
    # Names of applications (capture-guest.sh's) are not ours.
    [ -f "traces/$name.vb2s" ] || continue
    base=$OUT/scenario-$name
    echo "scenario $name (dma-bufs from $FROM)" >&2
    printf '$ vb2scope run traces/%s.vb2s --device vivid-000-vid-cap --dmabuf-from %s --kernel-trace\n# kernel %s\n' \
        "$name" "$FROM" "$(uname -r)" >"$base.cmd.txt"
    timeout 300 "$VB2SCOPE" run "traces/$name.vb2s" --device vivid-000-vid-cap \
        --dmabuf-from "$FROM" --kernel-trace -o "$base.jsonl" >"$base.out.txt" 2>&1
    echo "exit $?" >>"$base.out.txt"
done
exit 0
