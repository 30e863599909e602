//! `vb2scope check` and `vb2scope timeline`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::report::{FailOn, InputResult, exit_code, to_json, to_junit, to_text};

use super::input::{load, print_diagnostics};
use super::{FailOnArg, FormatArg};

fn check_one(path: &Path, choice: PolicyChoice) -> Result<InputResult> {
    let a = load(path, choice, Depth::Findings)?;
    let report = a.report().clone();
    Ok(InputResult::new(
        path.display().to_string(),
        &a.trace,
        report,
        a.reason,
        a.diagnostics,
    ))
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
    inputs: &[PathBuf],
    choice: PolicyChoice,
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
        .map(|p| check_one(p, choice))
        .collect::<Result<Vec<_>>>()?;
    print(&results, format, fail_on);
    Ok(exit_code(&results, fail_on))
}

/// `vb2scope timeline`: every lane of one input, as text.
pub fn timeline(path: &Path, choice: PolicyChoice) -> Result<i32> {
    let a = load(path, choice, Depth::Timeline)?;
    print_diagnostics(&a);
    let Some(tl) = a.timeline() else {
        bail!("{}: no timeline was built", path.display());
    };
    print!("{}", tl.dump());
    Ok(0)
}

/// The trace shipped inside the binary, shown when vb2scope runs without arguments.
pub const DEFAULT_TRACE: &[u8] = include_bytes!("../../assets/default-trace.jsonl");
