//! `vb2scope export TRACE --to perfetto|svg|html|native -o OUT`.

use std::path::Path;

use anyhow::{Context as _, Result};

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::export::{ExportFormat, export_native, html, perfetto, svg};

use super::input::{load, print_diagnostics};

/// Exports `input` to `output` in format `to`. Returns the exit code.
pub fn run(input: &Path, to: ExportFormat, output: &Path, choice: PolicyChoice) -> Result<i32> {
    // The native trace needs no timeline; the others draw it, and its replay is the check.
    let depth = match to {
        ExportFormat::Native => Depth::Findings,
        _ => Depth::Timeline,
    };
    let a = load(input, choice, depth)?;
    print_diagnostics(&a);
    let bytes = match (to, a.timeline()) {
        (ExportFormat::Native, _) if super::output::is_binary_name(output) => {
            return super::output::write_trace(output, &a.trace).map(|()| 0);
        }
        (ExportFormat::Native, _) => export_native(&a.trace),
        (ExportFormat::Perfetto, Some(tl)) => {
            perfetto::to_string(&a.trace, tl, &tl.report).into_bytes()
        }
        (ExportFormat::Svg, Some(tl)) => {
            svg::to_string_named(&a.trace, tl, &tl.report, &a.name).into_bytes()
        }
        (_, Some(tl)) => {
            let scores = a.every_score();
            let cx = html::Context {
                source: &a.name,
                policy_reason: a.reason.as_deref(),
                diagnostics: &a.diagnostics,
                scores: &scores,
            };
            html::to_string(&a.trace, tl, &tl.report, &cx).into_bytes()
        }
        (_, None) => anyhow::bail!("{}: no timeline was built", input.display()),
    };
    std::fs::write(output, bytes).with_context(|| format!("{}: cannot write", output.display()))?;
    Ok(0)
}
