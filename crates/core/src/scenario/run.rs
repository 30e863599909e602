//! Runs a scenario on the model: its lowered script recorded under a policy. The trace holds
//! the scenario's operations as `scripted` events with the model's answers, and their
//! consequences (memops, driver completions, kernel messages) as `inferred` events.

use thiserror::Error;

use crate::check::record;
use crate::policy::Policy;
use crate::trace::Trace;

use super::ast::Scenario;
use super::lower::lower;

/// A scenario line that cannot be carried out (beyond what the model itself refuses).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct RunError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// Runs `sc` under `policy` and returns the trace it records.
pub fn run(sc: &Scenario, policy: Policy) -> Result<Trace, RunError> {
    let script = lower(sc)?;
    record(&script.trace, &script.maps, policy).map_err(|e| RunError {
        file: sc.file.clone(),
        line: e.line,
        message: e.message,
    })
}
