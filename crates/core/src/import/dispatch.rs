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

/// `bytes`, unpacked when they are zstd-compressed (a text capture kept as `.zst`).
pub fn unpacked(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, ImportError> {
    if !bytes.starts_with(&super::detect::ZSTD_MAGIC) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let plain = zstd::decode_all(bytes).map_err(|e| ImportError::Compressed(e.to_string()))?;
    Ok(std::borrow::Cow::Owned(plain))
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
        let plain = unpacked(bytes)?;
        if !plain.starts_with(&super::detect::ZSTD_MAGIC) {
            return import_bytes(&plain, name, format, progress);
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
