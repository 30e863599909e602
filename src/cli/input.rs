//! Loading what the user names on the command line: a trace in any format, or a scenario,
//! through the core's one analysis path.

use std::path::Path;

use anyhow::Result;

use vb2scope_core::analysis::{Analysis, Depth, PolicyChoice, analyze};
use vb2scope_core::import::Format;

/// `--from`: one format for every input of this run, set once by `main`.
static FORCED: std::sync::OnceLock<Option<Format>> = std::sync::OnceLock::new();

pub fn force_format(from: Option<Format>) {
    let _ = FORCED.set(from);
}

pub fn forced_format() -> Option<Format> {
    FORCED.get().copied().flatten()
}

/// Reads `path` (a trace in any format vb2scope reads, or a `.vb2s` scenario) and judges it
/// under `choice`, as far as `depth`. A `.vb2s` is a scenario whatever `--from` says.
pub fn load(path: &Path, choice: PolicyChoice, depth: Depth) -> Result<Analysis> {
    let format = if path.extension().is_some_and(|e| e == "vb2s") {
        Some(Format::Scenario)
    } else {
        forced_format()
    };
    load_as(path, format, choice, depth)
}

/// [`load`], reading `path` as `format` (told from its content when `None`).
pub fn load_as(
    path: &Path,
    format: Option<Format>,
    choice: PolicyChoice,
    depth: Depth,
) -> Result<Analysis> {
    let bytes = super::mapped::read(path)?;
    let name = path.display().to_string();
    Ok(analyze(&name, &bytes, format, choice, depth, None)?)
}

/// Prints the reader's diagnostics, `file:line: message`.
pub fn print_diagnostics(a: &Analysis) {
    for d in &a.diagnostics {
        eprintln!("{}:{}: {}", a.name, d.line, d.message);
    }
}

/// Reads a trace to merge or rewrite, without judging it.
pub fn read_trace(path: &Path) -> Result<vb2scope_core::trace::Trace> {
    let bytes = super::mapped::read(path)?;
    let name = path.display().to_string();
    let (imported, _) = vb2scope_core::import::import_bytes(&bytes, &name, forced_format(), None)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(imported.trace)
}
