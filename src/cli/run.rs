//! `vb2scope run`: a scenario in, a native trace out.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::format::write_native;
use vb2scope_core::import::Format;

use super::input::load_as;
use super::output::write_trace;

pub fn run(scenario: &Path, choice: PolicyChoice, output: Option<&Path>) -> Result<i32> {
    // The file is a scenario, whatever its name.
    let a = load_as(scenario, Some(Format::Scenario), choice, Depth::Findings)?;
    let (trace, policy) = (&a.trace, a.policy);
    match output {
        Some(o) => {
            write_trace(o, trace)?;
            eprintln!(
                "vb2scope: wrote {} events to {} (policy {policy})",
                trace.events.len(),
                o.display()
            );
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write_native(&mut out, trace)?;
            out.flush()?;
        }
    }
    Ok(0)
}
