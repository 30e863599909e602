//! `vb2scope check`.

use std::path::Path;

use anyhow::Result;

use vb2scope_core::check::{check_trace, choose_policy};
use vb2scope_core::policy::Policy;
use vb2scope_core::report::{FailOn, InputResult, exit_code, to_json, to_junit, to_text};

use super::input::{is_scenario, read_trace, run_scenario};
use super::{FailOnArg, FormatArg, PolicyArg};

pub fn policy_of(p: PolicyArg) -> Option<Policy> {
    p.0
}

fn check_one(path: &Path, policy: PolicyArg) -> Result<InputResult> {
    let name = path.display().to_string();
    if is_scenario(path) {
        let (p, reason) = match policy_of(policy) {
            Some(p) => (p, None),
            None => (
                Policy::MODERN,
                Some("a scenario has no observed kernel behaviour; modern assumed".to_string()),
            ),
        };
        let trace = run_scenario(path, p)?;
        return Ok(InputResult {
            path: name,
            report: check_trace(&trace, p),
            policy_reason: reason,
            diagnostics: Vec::new(),
        });
    }
    let (trace, diagnostics) = read_trace(path)?;
    Ok(match policy_of(policy) {
        Some(p) => InputResult {
            path: name,
            report: check_trace(&trace, p),
            policy_reason: None,
            diagnostics,
        },
        None => {
            let choice = choose_policy(&trace);
            let report = choice
                .scores
                .into_iter()
                .find(|s| s.policy == choice.policy)
                .map(|s| s.report);
            let report = report.unwrap_or_else(|| check_trace(&trace, choice.policy));
            InputResult {
                path: name,
                report,
                policy_reason: Some(choice.reason),
                diagnostics,
            }
        }
    })
}

fn print(results: &[InputResult], format: FormatArg, fail_on: FailOn) {
    let out = match format {
        FormatArg::Text => to_text(results),
        FormatArg::Json => to_json(results),
        FormatArg::Junit => to_junit(results, fail_on),
    };
    print!("{out}");
}

pub fn run(
    inputs: &[std::path::PathBuf],
    policy: PolicyArg,
    format: FormatArg,
    fail_on: FailOnArg,
) -> Result<i32> {
    let fail_on = match fail_on {
        FailOnArg::Error => FailOn::Error,
        FailOnArg::Warning => FailOn::Warning,
        FailOnArg::Never => FailOn::Never,
    };
    let results = inputs
        .iter()
        .map(|p| check_one(p, policy))
        .collect::<Result<Vec<_>>>()?;
    print(&results, format, fail_on);
    Ok(exit_code(&results, fail_on))
}

/// `vb2scope timeline`: every lane of one input, as text.
pub fn timeline(path: &Path, policy: PolicyArg) -> Result<i32> {
    let (trace, diagnostics, p) = if is_scenario(path) {
        let p = policy_of(policy).unwrap_or(Policy::MODERN);
        (run_scenario(path, p)?, Vec::new(), p)
    } else {
        let (t, d) = read_trace(path)?;
        let p = policy_of(policy).unwrap_or_else(|| choose_policy(&t).policy);
        (t, d, p)
    };
    for d in &diagnostics {
        eprintln!("{}:{}: {}", path.display(), d.line, d.message);
    }
    print!("{}", vb2scope_core::timeline::build(&trace, p).dump());
    Ok(0)
}

/// The trace shipped inside the binary, shown when vb2scope runs without arguments.
pub const DEFAULT_TRACE: &[u8] = include_bytes!("../../assets/default-trace.jsonl");
