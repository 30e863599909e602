//! Checking a trace: replay its events through the model under a policy and collect the
//! findings (the rules, failed `expect` lines, results the policy does not predict).
//! Pure: a trace in, findings out.

mod auto;
mod replay;

pub use auto::{AutoChoice, PolicyScore, choose_policy};
pub use replay::{ReplayStats, check_trace, replay, replay_until};

use crate::model::Policy;
use crate::rules::{Finding, Severity, info};

/// The result of checking one trace under one policy.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub policy: Policy,
    pub findings: Vec<Finding>,
    pub stats: ReplayStats,
    /// Which values the kernel chose differed from the policy's prediction, in words.
    pub value_notes: Vec<String>,
}

impl CheckReport {
    /// The severity of a finding under this report's policy.
    pub fn severity(&self, f: &Finding) -> Severity {
        info(f.rule)
            .severity_under(self.policy)
            .unwrap_or(Severity::Info)
    }

    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| self.severity(f)).max()
    }
}
