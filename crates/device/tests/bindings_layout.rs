//! v4l2r's V4L2 bindings are committed (third_party/v4l2r/bindings, made by
//! third_party/v4l2r/regenerate.sh) rather than generated at build time. bindgen's own layout
//! assertions in them check the layout clang saw when they were made; this test checks them
//! against the C compiler of this machine: a small C program built against
//! third_party/v4l2-headers prints the size, alignment and field offsets of the structs the
//! device layer hands to the kernel, and they must equal those of the Rust bindings.
//!
//! A C compiler (`cc`, or `$CC`) is a prerequisite of the build; without one this test fails.

use std::fmt::{Display, Write as _};
use std::mem::{align_of, offset_of, size_of};
use std::path::Path;
use std::process::Command;

use v4l2r::bindings::*;

/// One C type: how C names it, and the size, alignment and field offsets of its Rust binding.
struct Layout {
    c_type: &'static str,
    size: usize,
    align: usize,
    /// (C field name, offset of the Rust field)
    fields: Vec<(&'static str, usize)>,
}

/// `"C type" => RustType { c_field, c_field as rust_field, ... }`: the Rust name is the C one
/// unless given (bindgen renames Rust keywords and names anonymous unions `__bindgen_anon_N`).
macro_rules! layouts {
    ($($c_type:literal => $rust:ty { $($c_field:tt $(as $rust_field:ident)?),* $(,)? })*) => {
        vec![$(Layout {
            c_type: $c_type,
            size: size_of::<$rust>(),
            align: align_of::<$rust>(),
            fields: vec![$((stringify!($c_field), field_offset!($rust, $c_field $(, $rust_field)?))),*],
        }),*]
    };
}

macro_rules! field_offset {
    ($rust:ty, $c_field:tt) => {
        offset_of!($rust, $c_field)
    };
    ($rust:ty, $c_field:tt, $rust_field:ident) => {
        offset_of!($rust, $rust_field)
    };
}

fn layouts() -> Vec<Layout> {
    layouts! {
        "struct v4l2_capability" => v4l2_capability {
            driver, card, bus_info, version, capabilities, device_caps, reserved,
        }
        "struct v4l2_requestbuffers" => v4l2_requestbuffers {
            count, type as type_, memory, capabilities, flags, reserved,
        }
        "struct v4l2_create_buffers" => v4l2_create_buffers {
            index, count, memory, format, capabilities, flags, max_num_buffers, reserved,
        }
        "struct v4l2_remove_buffers" => v4l2_remove_buffers {
            index, count, type as type_, reserved,
        }
        "struct v4l2_timecode" => v4l2_timecode {
            type as type_, flags, frames, seconds, minutes, hours, userbits,
        }
        "struct v4l2_buffer" => v4l2_buffer {
            index, type as type_, bytesused, flags, field, timestamp, timecode, sequence, memory,
            m, length, reserved2, request_fd as __bindgen_anon_1,
        }
        "__typeof__(((struct v4l2_buffer *)0)->m)" => v4l2_buffer__bindgen_ty_1 {
            offset, userptr, planes, fd,
        }
        "struct v4l2_plane" => v4l2_plane {
            bytesused, length, m, data_offset, reserved,
        }
        "__typeof__(((struct v4l2_plane *)0)->m)" => v4l2_plane__bindgen_ty_1 {
            mem_offset, userptr, fd,
        }
        "struct v4l2_exportbuffer" => v4l2_exportbuffer {
            type as type_, index, plane, flags, fd, reserved,
        }
        "struct v4l2_format" => v4l2_format {
            type as type_, fmt,
        }
        "struct v4l2_pix_format" => v4l2_pix_format {
            width, height, pixelformat, field, bytesperline, sizeimage, colorspace, priv as priv_,
            flags, ycbcr_enc as __bindgen_anon_1, quantization, xfer_func,
        }
        "struct v4l2_plane_pix_format" => v4l2_plane_pix_format {
            sizeimage, bytesperline, reserved,
        }
        "struct v4l2_pix_format_mplane" => v4l2_pix_format_mplane {
            width, height, pixelformat, field, colorspace, plane_fmt, num_planes, flags,
            ycbcr_enc as __bindgen_anon_1, quantization, xfer_func, reserved,
        }
        "struct v4l2_fract" => v4l2_fract {
            numerator, denominator,
        }
        "struct v4l2_captureparm" => v4l2_captureparm {
            capability, capturemode, timeperframe, extendedmode, readbuffers, reserved,
        }
        "struct v4l2_outputparm" => v4l2_outputparm {
            capability, outputmode, timeperframe, extendedmode, writebuffers, reserved,
        }
        "struct v4l2_streamparm" => v4l2_streamparm {
            type as type_, parm,
        }
    }
}

/// The lines the C program prints, and the same computed from the Rust bindings (given `%zu`
/// for the numbers, the C program's printf formats).
fn line_size(c_type: &str, size: impl Display, align: impl Display) -> String {
    format!("{c_type}: size {size} align {align}")
}

fn line_field(c_type: &str, field: &str, offset: impl Display) -> String {
    format!("{c_type}: .{field} at {offset}")
}

fn c_program(layouts: &[Layout]) -> String {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/videodev2.h>\n\nint main(void)\n{\n",
    );
    for l in layouts {
        let t = l.c_type;
        let line = line_size(t, "%zu", "%zu");
        writeln!(c, "    printf(\"{line}\\n\", sizeof({t}), _Alignof({t}));").expect("write");
        for (field, _) in &l.fields {
            let line = line_field(t, field, "%zu");
            writeln!(c, "    printf(\"{line}\\n\", offsetof({t}, {field}));").expect("write");
        }
    }
    c.push_str("    return 0;\n}\n");
    c
}

#[test]
fn bindings_match_the_c_compilers_layout() {
    let layouts = layouts();
    let rust: Vec<String> = layouts
        .iter()
        .flat_map(|l| {
            std::iter::once(line_size(l.c_type, l.size, l.align)).chain(
                l.fields
                    .iter()
                    .map(|(field, offset)| line_field(l.c_type, field, *offset)),
            )
        })
        .collect();

    let headers =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("third_party/v4l2-headers");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bindings_layout");
    std::fs::create_dir_all(&dir).expect("create the test's directory");
    let source = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&source, c_program(&layouts)).expect("write layout.c");

    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .arg("-std=gnu11")
        .arg("-I")
        .arg(&headers)
        .arg("-o")
        .arg(&exe)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the C compiler `{cc}` ({e}): a C compiler is a prerequisite \
                 (Debian: build-essential)"
            )
        });
    assert!(
        status.success(),
        "`{cc}` failed to compile {}",
        source.display()
    );
    let output = Command::new(&exe)
        .output()
        .expect("run the compiled C program");
    assert!(output.status.success(), "{} failed", exe.display());
    let c: Vec<String> = String::from_utf8(output.stdout)
        .expect("the C program prints ASCII")
        .lines()
        .map(str::to_string)
        .collect();

    assert_eq!(c.len(), rust.len(), "the C program printed {c:#?}");
    let differences: Vec<String> = c
        .iter()
        .zip(&rust)
        .filter(|(c, rust)| c != rust)
        .map(|(c, rust)| format!("C: {c}\n   Rust: {rust}"))
        .collect();
    assert!(
        differences.is_empty(),
        "the Rust bindings disagree with the C compiler:\n   {}",
        differences.join("\n   ")
    );
}
