//! `vb2scope export TRACE --to perfetto|svg|html|native -o OUT`.

use std::path::Path;

use anyhow::{Context as _, Result};

use vb2scope_core::check::{PolicyScore, choose_policy};
use vb2scope_core::export::{ExportFormat, export_native, html, perfetto, svg};
use vb2scope_core::format::Diagnostic;
use vb2scope_core::policy::Policy;
use vb2scope_core::timeline;
use vb2scope_core::trace::Trace;

use super::input::{is_scenario, read_trace, run_scenario};

/// The trace to export, with how its policy was chosen.
struct Loaded {
    trace: Trace,
    diagnostics: Vec<Diagnostic>,
    policy: Policy,
    reason: Option<String>,
    scores: Vec<PolicyScore>,
}

/// Reads `input` as `check` does: a scenario runs under the policy (modern for auto, since it
/// has no observed kernel behaviour), a trace is read and, for auto, scored under every policy.
fn load(input: &Path, policy: Option<Policy>) -> Result<Loaded> {
    if is_scenario(input) {
        let (policy, reason) = match policy {
            Some(p) => (p, None),
            None => (
                Policy::MODERN,
                Some("a scenario has no observed kernel behaviour; modern assumed".to_string()),
            ),
        };
        return Ok(Loaded {
            trace: run_scenario(input, policy)?,
            diagnostics: Vec::new(),
            policy,
            reason,
            scores: Vec::new(),
        });
    }
    let (trace, diagnostics) = read_trace(input)?;
    Ok(match policy {
        Some(policy) => Loaded {
            trace,
            diagnostics,
            policy,
            reason: None,
            scores: Vec::new(),
        },
        None => {
            let choice = choose_policy(&trace);
            Loaded {
                trace,
                diagnostics,
                policy: choice.policy,
                reason: Some(choice.reason),
                scores: choice.scores,
            }
        }
    })
}

/// Exports `input` to `output` in format `to`; `policy` `None` is auto. Returns the exit code.
pub fn run(input: &Path, to: ExportFormat, output: &Path, policy: Option<Policy>) -> Result<i32> {
    let l = load(input, policy)?;
    for d in &l.diagnostics {
        eprintln!("{}:{}: {}", input.display(), d.line, d.message);
    }
    let bytes = if to == ExportFormat::Native {
        // The native trace needs no replay.
        export_native(&l.trace)
    } else {
        // The timeline's replay is the check under the same policy: no second replay.
        let tl = timeline::build(&l.trace, l.policy);
        let report = &tl.report;
        match to {
            ExportFormat::Perfetto => perfetto::to_string(&l.trace, &tl, report).into_bytes(),
            ExportFormat::Svg => svg::to_string(&l.trace, &tl, report).into_bytes(),
            _ => {
                let name = input.display().to_string();
                let cx = html::Context {
                    source: &name,
                    policy_reason: l.reason.as_deref(),
                    diagnostics: &l.diagnostics,
                    scores: &l.scores,
                };
                html::to_string(&l.trace, &tl, report, &cx).into_bytes()
            }
        }
    };
    std::fs::write(output, bytes).with_context(|| format!("{}: cannot write", output.display()))?;
    Ok(0)
}
