#!/usr/bin/env bash
# The real-device tests: tests/real_device.rs, run inside a QEMU guest that boots Debian's
# kernel with the vivid driver (see tests/vm/README.md). Needs root for the packages on a
# fresh machine; about 20 s of setup plus a few minutes of guest time.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/vm/vm.sh setup
# The tests also run the command-line binary.
cargo build --locked --quiet --bin vb2scope
CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/tests/vm/vm.sh run --timeout 1200 --" \
    cargo test --locked --test real_device -- --ignored --test-threads=1 "$@"
