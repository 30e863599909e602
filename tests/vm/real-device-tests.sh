#!/usr/bin/env bash
# The real-device tests: tests/real_device.rs, run inside a QEMU guest that boots Debian's
# kernel with the vivid driver (see tests/vm/README.md). Needs root for the packages on a
# fresh machine; about 20 s of setup plus a few minutes of guest time.
#
#   real-device-tests.sh [--kernel 5.10|6.1|6.12|newest|all] [TEST-FILTER and libtest args...]
#
# Without --kernel: $VM_KERNEL, else 6.12. "all" runs the four kernels one after another and
# fails if any of them failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
kernel=${VM_KERNEL:-6.12}
args=()
while [ $# -gt 0 ]; do
    case $1 in
    --kernel)
        [ $# -ge 2 ] || {
            echo "real-device-tests.sh: --kernel needs a value" >&2
            exit 2
        }
        kernel=$2
        shift 2
        ;;
    --kernel=*) kernel=${1#--kernel=} && shift ;;
    *) args+=("$1") && shift ;;
    esac
done
kernels=("$kernel")
[ "$kernel" != all ] || kernels=(5.10 6.1 6.12 newest)
bash tests/vm/vm.sh setup --kernel "$kernel"
# The tests also run the command-line binary.
cargo build --locked --quiet --bin vb2scope
# The recorded programs (FFmpeg, GStreamer and its plugin scanner) and the test binary do
# not all fit in the harness's 1 GiB: FFmpeg's run once took the guest to its OOM killer.
export VM_MEM=${VM_MEM:-2G}
rc=0
for k in "${kernels[@]}"; do
    [ ${#kernels[@]} -eq 1 ] || echo "== real-device tests on kernel $k"
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/tests/vm/vm.sh run --kernel $k --timeout 1200 --" \
        cargo test --locked --test real_device -- --ignored --test-threads=1 ${args[@]+"${args[@]}"} ||
        rc=$?
done
exit "$rc"
