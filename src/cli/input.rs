//! Loading what the user names on the command line: a trace in any format, or a scenario.

use std::path::Path;

use anyhow::{Context, Result, bail};

use vb2scope_core::format::Diagnostic;
use vb2scope_core::import::{Format, import_bytes};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario;
use vb2scope_core::trace::Trace;

/// What kind of file a path is, by its name.
pub fn is_scenario(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "vb2s")
}

/// Reads a scenario file and runs it under `policy`.
pub fn run_scenario(path: &Path, policy: Policy) -> Result<Trace> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let sc = scenario::parse(&path.display().to_string(), &text)?;
    Ok(scenario::run(&sc, policy)?)
}

/// Reads a trace in any format vb2scope reads (native, strace, ftrace, v4l2-tracer, dmesg),
/// told apart by content.
pub fn read_trace(path: &Path) -> Result<(Trace, Vec<Diagnostic>)> {
    read_trace_from(path, forced_format())
}

/// `--from`: one format for every input of this run, set once by `main`.
static FORCED: std::sync::OnceLock<Option<Format>> = std::sync::OnceLock::new();

pub fn force_format(from: Option<Format>) {
    let _ = FORCED.set(from);
}

pub fn forced_format() -> Option<Format> {
    FORCED.get().copied().flatten()
}

/// [`read_trace`], with the format forced when `from` names one.
pub fn read_trace_from(path: &Path, from: Option<Format>) -> Result<(Trace, Vec<Diagnostic>)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    read_bytes_from(path, &bytes, from)
}

fn read_bytes_from(
    path: &Path,
    bytes: &[u8],
    from: Option<Format>,
) -> Result<(Trace, Vec<Diagnostic>)> {
    match import_bytes(bytes, &path.display().to_string(), from, None) {
        Ok((imported, _)) => Ok((imported.trace, imported.diagnostics)),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}
