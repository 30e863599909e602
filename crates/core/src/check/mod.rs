//! Checking a trace: replay its events through the model under a policy and collect the
//! findings (the rules, failed `expect` lines, results the policy does not predict).
//! Pure: a trace in, findings out.

mod auto;
mod record;
mod replay;
mod stopping;

pub use auto::{
    AutoChoice, PolicyScore, choose_policy, choose_policy_seeded, choose_policy_with,
    first_candidate,
};
pub use record::{PlaneRef, RecordError, record};
pub use replay::{
    Checkpoints, Replay, ReplayStats, check_trace, reads_ahead_until, replay, replay_until,
    replay_until_checkpointed,
};

use crate::policy::Policy;
use crate::rules::{Finding, RuleId, Severity, info};

/// The result of checking one trace under one policy.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub policy: Policy,
    pub findings: Vec<Finding>,
    pub stats: ReplayStats,
    /// Which values the kernel chose differed from the policy's prediction, in words.
    pub value_notes: Vec<String>,
    /// The trace's calls were rebuilt from the kernel's events (an ftrace capture alone):
    /// calls that failed before vb2 or never reached it are not in it.
    pub rebuilt_calls: bool,
    /// The event from which the kernel's side is incomplete: a capture that lost events
    /// (`[LOST n EVENTS]`).
    pub incomplete_from: Option<u32>,
    /// Queues the kernel showed in use before the trace set them up (it starts mid-session:
    /// a recording attached to a running program), with the event of their setup if the
    /// trace has one.
    pub unseen_setup: Vec<(crate::v4l2::QueueKey, Option<u32>)>,
    /// The first call that can change a buffer's state whose argument the source did not
    /// decode (strace printing a pointer; a 32-bit program under `record`).
    pub undecoded_from: Option<u32>,
}

/// Why findings of a trace whose calls were rebuilt are information at most.
pub const REBUILT_CALLS: &str = "the calls were rebuilt from the kernel's events: calls that \
    failed, or never reached vb2, are not seen, so a finding that rests on every call being \
    known is information at most";

/// Why findings on a queue the trace never saw set up are information at most.
pub const UNSEEN_SETUP: &str = "the trace starts after a queue was set up (a recording \
    attached to a running program): the kernel's answers show buffers the trace never saw \
    allocated, so a finding on that queue before it is set up again is information at most";

/// Why findings after a call the model cannot follow are information at most.
pub const UNDECODED: &str = "a buffer call here is one the model cannot follow (its source \
    showed no argument, or it came from a 32-bit program): which buffer it changed, or when, \
    is not known for sure, so a finding after it is information at most";

/// Why findings after the kernel lost events are information at most.
pub const INCOMPLETE: &str = "the kernel lost events here (its ring buffer overflowed): from \
    this point memops may be missing, so a finding after it is information at most";

impl CheckReport {
    /// A report of nothing yet, under `policy`.
    pub fn empty(policy: Policy) -> CheckReport {
        CheckReport {
            policy,
            findings: Vec::new(),
            stats: ReplayStats::default(),
            value_notes: Vec::new(),
            rebuilt_calls: false,
            incomplete_from: None,
            unseen_setup: Vec::new(),
            undecoded_from: None,
        }
    }

    /// The severity of a finding under this report's policy. In a trace whose calls were
    /// rebuilt, only what the kernel's memops show themselves (a double map, an unbalanced
    /// unmap or detach) keeps its severity: the rest rests on calls the kernel may not show.
    /// After the kernel lost events nothing does: any memop may be missing. Nor does a
    /// finding on a queue the trace never saw set up.
    pub fn severity(&self, f: &Finding) -> Severity {
        let s = info(f.rule)
            .severity_under(self.policy)
            .unwrap_or(Severity::Info);
        let seen_itself = matches!(f.rule, RuleId::R05 | RuleId::R06);
        let after_gap = self.incomplete_from.is_some_and(|g| f.event >= g)
            || self.undecoded_from.is_some_and(|u| f.event >= u);
        let before_setup = f.queue.is_some_and(|q| {
            self.unseen_setup
                .iter()
                .any(|&(k, setup)| k == q && setup.is_none_or(|s| f.event < s))
        });
        if after_gap || before_setup || (self.rebuilt_calls && !seen_itself) {
            s.min(Severity::Info)
        } else {
            s
        }
    }

    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| self.severity(f)).max()
    }

    /// The findings grouped by severity (errors first), then rule: what to triage first.
    pub fn groups(&self) -> Vec<FindingGroup> {
        let mut by: std::collections::BTreeMap<(std::cmp::Reverse<Severity>, RuleId), Vec<usize>> =
            std::collections::BTreeMap::new();
        for (k, f) in self.findings.iter().enumerate() {
            by.entry((std::cmp::Reverse(self.severity(f)), f.rule))
                .or_default()
                .push(k);
        }
        by.into_iter()
            .map(
                |((std::cmp::Reverse(severity), rule), findings)| FindingGroup {
                    rule,
                    severity,
                    findings,
                },
            )
            .collect()
    }
}

/// The findings of one rule at one severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingGroup {
    pub rule: RuleId,
    pub severity: Severity,
    /// Indices into the report's findings, in time order.
    pub findings: Vec<usize>,
}

impl FindingGroup {
    /// What the group means, in one sentence: the first of its rule's explanation.
    pub fn meaning(&self) -> &'static str {
        let text = info(self.rule).explanation;
        match text.find(". ") {
            Some(at) => text.get(..=at).unwrap_or(text),
            None => text,
        }
    }

    /// `R03 info × 13608: dma-buf still mapped after STREAMOFF`.
    pub fn headline(&self) -> String {
        format!(
            "{} {} × {}: {}",
            self.rule,
            self.severity.as_str(),
            self.findings.len(),
            info(self.rule).title
        )
    }
}
