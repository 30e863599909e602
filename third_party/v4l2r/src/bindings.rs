#![allow(dead_code)]
#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(non_snake_case)]
#![allow(deref_nullptr)]
#![allow(clippy::all)]

// Patched for vb2scope: the bindings are generated ahead of time by `regenerate.sh`, one file
// per architecture, instead of by bindgen in a build script, so that building needs no libclang.
#[cfg(target_arch = "x86_64")]
include!("../bindings/videodev2_x86_64.rs");
#[cfg(target_arch = "aarch64")]
include!("../bindings/videodev2_aarch64.rs");
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "v4l2r (third_party/v4l2r) has no V4L2 bindings for this architecture: generate them with \
     `third_party/v4l2r/regenerate.sh <target_arch>` (needs libclang) and include the new \
     bindings/videodev2_<target_arch>.rs in third_party/v4l2r/src/bindings.rs"
);
