//! Writing a trace file, in the form its name asks for: `.vb2b` the binary form (chunks,
//! zstd, an index), `.zst` compressed JSON Lines, anything else JSON Lines.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use vb2scope_core::format::{write_binary, write_native};
use vb2scope_core::trace::Trace;

/// Whether `path` names a binary trace.
pub fn is_binary_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "vb2b")
}

/// Writes `trace` to `path` in the form its extension names.
pub fn write_trace(path: &Path, trace: &Trace) -> Result<()> {
    let cannot = || format!("{}: cannot write", path.display());
    let file = std::fs::File::create(path).with_context(cannot)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    if is_binary_name(path) {
        w = write_binary(w, trace).with_context(cannot)?;
    } else if path.extension().is_some_and(|e| e == "zst") {
        let mut z = zstd::stream::write::Encoder::new(w, 3)?;
        write_native(&mut z, trace).with_context(cannot)?;
        w = z.finish().with_context(cannot)?;
    } else {
        write_native(&mut w, trace).with_context(cannot)?;
    }
    w.flush().with_context(cannot)?;
    Ok(())
}
