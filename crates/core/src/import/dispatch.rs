//! One entry for every format: what `check`, `timeline`, `export`, `import` and the window
//! call with a file's bytes.

use crate::format::{self, Diagnostic};
use crate::progress::Progress;

use super::{Format, Imported, detect};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "not a format vb2scope reads (native trace, scenario, strace, ftrace, v4l2-tracer JSON, dmesg); name one with --from"
    )]
    Unknown,
    #[error(transparent)]
    Native(#[from] format::LoadError),
    #[error("a scenario is run, not imported")]
    Scenario,
    #[error("cannot decompress: {0}")]
    Compressed(String),
}

/// `bytes`, unpacked when they are zstd-compressed (a text capture kept as `.zst`); and why
/// the unpacking stopped early, if it did: a frame cut short (a file still being written)
/// or bytes after the last frame leave what came before them to read.
pub fn unpacked(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, [u8]>, Option<String>), ImportError> {
    use std::io::Read;
    if !bytes.starts_with(&super::detect::ZSTD_MAGIC) {
        return Ok((std::borrow::Cow::Borrowed(bytes), None));
    }
    let compressed = |e: std::io::Error| ImportError::Compressed(e.to_string());
    let mut dec = zstd::stream::read::Decoder::new(bytes).map_err(compressed)?;
    let mut plain = Vec::new();
    // On an error, what was unpacked before it is kept.
    match dec.read_to_end(&mut plain) {
        Ok(_) => Ok((std::borrow::Cow::Owned(plain), None)),
        Err(e) if !plain.is_empty() => Ok((std::borrow::Cow::Owned(plain), Some(e.to_string()))),
        Err(e) => Err(compressed(e)),
    }
}

/// The warning for compressed input that stopped unpacking early (`why`), after `byte`
/// bytes of what it holds.
pub fn cut_short(why: &str, byte: usize) -> Diagnostic {
    Diagnostic {
        severity: format::DiagSeverity::Warning,
        line: 0,
        byte: byte as u64,
        message: format!(
            "the compressed data ends early ({why}): what came before it was read, after it nothing"
        ),
    }
}

/// Reads `bytes` as `format`, or as what they look like when `None`.
pub fn import_bytes(
    bytes: &[u8],
    name: &str,
    format: Option<Format>,
    progress: Option<&Progress>,
) -> Result<(Imported, Format), ImportError> {
    // Any format may come zstd-compressed (`app.strace.txt.zst`); the native reader unpacks
    // its own as it reads.
    if bytes.starts_with(&super::detect::ZSTD_MAGIC)
        && format != Some(Format::Native)
        && detect(bytes, name) != Some(Format::Native)
    {
        let (plain, cut) = unpacked(bytes)?;
        if !plain.starts_with(&super::detect::ZSTD_MAGIC) {
            let (mut imported, format) = import_bytes(&plain, name, format, progress)?;
            if let Some(why) = cut {
                imported.diagnostics.push(cut_short(&why, plain.len()));
            }
            return Ok((imported, format));
        }
    }
    let format = format
        .or_else(|| detect(bytes, name))
        .ok_or(ImportError::Unknown)?;
    // Whether bad bytes were replaced: told by the one UTF-8 check of the text formats.
    let text_import = |import: fn(&str) -> Imported| {
        let text = text_of(bytes);
        (import(&text), matches!(text, std::borrow::Cow::Owned(_)))
    };
    let (mut imported, replaced) = match format {
        Format::Native => {
            let (trace, diagnostics) = format::read_native_bytes_with(bytes, progress)?;
            (Imported { trace, diagnostics }, false)
        }
        Format::Scenario => return Err(ImportError::Scenario),
        Format::Strace => text_import(super::strace::import_strace),
        Format::Ftrace => text_import(super::import_ftrace),
        Format::V4l2Tracer => (
            super::v4l2_tracer::import_v4l2_tracer(bytes),
            simdutf8::basic::from_utf8(bytes).is_err(),
        ),
        Format::Dmesg => text_import(super::dmesg::import_dmesg),
    };
    if replaced {
        let at = std::str::from_utf8(bytes)
            .err()
            .map_or(0, |e| e.valid_up_to());
        imported.diagnostics.push(Diagnostic {
            severity: format::DiagSeverity::Warning,
            line: 0,
            byte: at as u64,
            message: "bytes that are not UTF-8 were replaced".into(),
        });
    }
    Ok((imported, format))
}

/// Text input as UTF-8, with bad bytes replaced: a line with them is then still read, and a
/// diagnostic says where. Valid UTF-8 (the usual case) is borrowed, checked with SIMD at
/// several GB/s; only invalid input is walked again to be replaced.
pub fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compressed capture cut short (still being written), or with bytes after its frame,
    /// gives the events that unpacked before the cut, with a warning saying so.
    #[test]
    fn compressed_input_cut_short_gives_what_came_before() {
        let line = |i: usize| {
            format!(
                "{}.{:06} ioctl(3, VIDIOC_QBUF, {{type=V4L2_BUF_TYPE_VIDEO_CAPTURE, index=0, memory=V4L2_MEMORY_MMAP}}) = 0\n",
                100 + i / 1000,
                i % 1000
            )
        };
        let open = "99.000000 openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3\n";
        let text: String = std::iter::once(open.to_owned())
            .chain((0..20_000).map(line))
            .collect();
        let packed = zstd::encode_all(text.as_bytes(), 1).expect("zstd");
        let whole = import_bytes(&packed, "a.zst", None, None)
            .expect("imports")
            .0;
        assert_eq!(whole.trace.events.len(), 20_001);
        assert!(
            whole
                .diagnostics
                .iter()
                .all(|d| !d.message.contains("ends early"))
        );
        let cut = packed.get(..packed.len() / 2).unwrap_or_default();
        let mut junk = packed.clone();
        junk.extend_from_slice(b"not a frame");
        for (what, bytes) in [("cut", cut), ("junk after", junk.as_slice())] {
            let (got, format) = import_bytes(bytes, "a.zst", None, None).expect(what);
            assert_eq!(format, Format::Strace, "{what}");
            let n = got.trace.events.len();
            assert!(n > 1_000 && n <= 20_001, "{what}: {n} events");
            let warned = got
                .diagnostics
                .iter()
                .filter(|d| d.message.contains("ends early"));
            assert_eq!(warned.count(), 1, "{what}: {:?}", got.diagnostics);
        }
        // Nothing unpacks: an error (the native reader's), not an empty trace.
        let head = packed.get(..8).unwrap_or_default();
        assert!(import_bytes(head, "a.zst", None, None).is_err());
    }
}
