//! Turning check results into text, JSON (docs/check-output.md) or JUnit XML, and deciding
//! the exit status. Pure: results in, strings out.

mod json;
mod junit;
mod text;

pub use json::to_json;
pub use junit::to_junit;
pub use text::to_text;

use crate::check::CheckReport;
use crate::format::{DiagSeverity, Diagnostic};
use crate::rules::Severity;

/// Everything known about one checked input.
#[derive(Clone, Debug)]
pub struct InputResult {
    pub path: String,
    pub report: CheckReport,
    /// Why the policy was chosen, with `--policy auto`.
    pub policy_reason: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// What finding times count from (the first buffer event) and on which clock.
    pub time: crate::time::TimeBase,
}

impl InputResult {
    /// The result of checking `trace`: finding times count from its first buffer event.
    pub fn new(
        path: String,
        trace: &crate::trace::Trace,
        report: CheckReport,
        policy_reason: Option<String>,
        diagnostics: Vec<Diagnostic>,
    ) -> InputResult {
        let origin = crate::trace::activity_start(trace)
            .or_else(|| trace.events.first().map(|e| e.t_ns))
            .unwrap_or(0);
        InputResult {
            path,
            report,
            policy_reason,
            diagnostics,
            time: crate::time::TimeBase::new(origin, trace.header.clock),
        }
    }
}

/// The `--fail-on` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

/// Counts by severity, findings and error diagnostics together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// Diagnostics of severity error (malformed input lines); they count as errors.
    pub input_errors: usize,
}

pub fn summarize(results: &[InputResult]) -> Summary {
    let mut s = Summary::default();
    for r in results {
        for f in &r.report.findings {
            match r.report.severity(f) {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s.input_errors += r
            .diagnostics
            .iter()
            .filter(|d| d.severity == DiagSeverity::Error)
            .count();
    }
    s
}

/// Exit status: 1 when anything is at or above the threshold, else 0.
pub fn exit_code(results: &[InputResult], fail_on: FailOn) -> i32 {
    let s = summarize(results);
    let failed = match fail_on {
        FailOn::Error => s.error + s.input_errors > 0,
        FailOn::Warning => s.error + s.input_errors + s.warning > 0,
        FailOn::Never => false,
    };
    i32::from(failed)
}

pub use crate::time::seconds as fmt_time;
