#!/usr/bin/env bash
# Regenerates bindings/videodev2_<arch>.rs, the V4L2 bindings v4l2r compiles in, from the uapi
# headers in third_party/v4l2-headers. Not part of the build: a maintainer runs it after changing
# those headers, bindgen.rs or the wrapper headers, and commits the result.
#
#   third_party/v4l2r/regenerate.sh [ARCH...]      (default: x86_64 aarch64)
#
# ARCH is a Rust target_arch. It runs bindgen (the library, in a throwaway cargo project, because
# v4l2r's builder configuration in bindgen.rs has a parse callback the bindgen CLI cannot
# express) over v4l2r_wrapper.h, exactly as v4l2r's own build script did, with
# --target=<ARCH>-linux-gnu. It needs cargo, libclang (Debian: libclang1-14 or newer) and the
# target's C library and kernel headers: the host's own for the host's architecture, else a
# cross set (Debian, for aarch64 on x86_64: libc6-dev-arm64-cross linux-libc-dev-arm64-cross).
set -euo pipefail

bindgen_version=0.72.1

here=$(cd "$(dirname "$0")" && pwd)
headers=$(cd "$here/../v4l2-headers" && pwd)
[ $# -gt 0 ] || set -- x86_64 aarch64

# The clang search path for the target's libc and asm/ headers. Nothing extra when the system
# has the target's multiarch include directory (the host's architecture); else the cross
# headers of Debian's *-cross packages, which clang does not look at by itself.
target_includes() {
    local triple=$1
    if [ -d "/usr/include/$triple" ]; then
        return
    elif [ -f "/usr/$triple/include/sys/time.h" ] && [ -d "/usr/$triple/include/asm" ]; then
        echo "-isystem/usr/$triple/include"
    else
        echo "regenerate.sh: no C library and kernel headers for $triple: neither" \
            "/usr/include/$triple nor /usr/$triple/include (Debian: apt-get install" \
            "libc6-dev-<debian-arch>-cross linux-libc-dev-<debian-arch>-cross)" >&2
        return 1
    fi
}

# Check every target's headers before building anything.
declare -A extra
for arch in "$@"; do
    extra[$arch]=$(target_includes "$arch-linux-gnu")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
cp "$here/bindgen.rs" "$work/src/bindgen.rs"
cat >"$work/Cargo.toml" <<EOF
[package]
name = "v4l2r-regenerate-bindings"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
bindgen = "=$bindgen_version"

[workspace]
EOF
cat >"$work/src/main.rs" <<'EOF'
// Usage: v4l2r-regenerate-bindings HEADER OUTPUT [CLANG_ARG...]
include!("bindgen.rs");

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [header, output, clang_args @ ..] = args.as_slice() else {
        panic!("usage: v4l2r-regenerate-bindings HEADER OUTPUT [CLANG_ARG...]");
    };
    v4l2r_bindgen_builder(bindgen::Builder::default())
        .header(header)
        .clang_args(clang_args)
        .generate()
        .expect("unable to generate bindings")
        .write_to_file(output)
        .expect("cannot write the bindings");
}
EOF
echo "regenerate.sh: building bindgen $bindgen_version" >&2
cargo build --quiet --release --manifest-path "$work/Cargo.toml" --target-dir "$work/target"
generator="$work/target/release/v4l2r-regenerate-bindings"

mkdir -p "$here/bindings"
# As v4l2r's build script: the header path relative to the crate, the wrapper's directory.
cd "$here"
for arch in "$@"; do
    out="bindings/videodev2_$arch.rs"
    # shellcheck disable=SC2086 # empty or one word
    "$generator" v4l2r_wrapper.h "$work/$arch.rs" "-I$headers" "--target=$arch-linux-gnu" ${extra[$arch]}
    mv "$work/$arch.rs" "$out"
    echo "regenerate.sh: wrote third_party/v4l2r/$out" >&2
done
