//! Loading what the user names on the command line: a native trace or a scenario.

use std::path::Path;

use anyhow::{Context, Result, bail};

use vb2scope::format::{Diagnostic, read_native_bytes};
use vb2scope::model::Policy;
use vb2scope::scenario;
use vb2scope::trace::Trace;

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

/// Reads a native trace (plain or zstd).
pub fn read_trace(path: &Path) -> Result<(Trace, Vec<Diagnostic>)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    read_bytes(path, &bytes)
}

pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<(Trace, Vec<Diagnostic>)> {
    match read_native_bytes(bytes) {
        Ok(t) => Ok(t),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}
