//! `vb2scope run`: a scenario in, a native trace out.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::format::write_native;
use vb2scope_core::import::Format;

use super::input::load_as;

pub fn run(scenario: &Path, choice: PolicyChoice, output: Option<&Path>) -> Result<i32> {
    // The file is a scenario, whatever its name.
    let a = load_as(scenario, Some(Format::Scenario), choice, Depth::Findings)?;
    let (trace, policy) = (&a.trace, a.policy);
    let mut bytes = Vec::new();
    write_native(&mut bytes, trace)?;
    match output {
        Some(o) => {
            let data = if o.extension().is_some_and(|e| e == "zst") {
                zstd::encode_all(&bytes[..], 3)?
            } else {
                bytes
            };
            std::fs::write(o, data).with_context(|| format!("{}: cannot write", o.display()))?;
            eprintln!(
                "vb2scope: wrote {} events to {} (policy {policy})",
                trace.events.len(),
                o.display()
            );
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(0)
}
