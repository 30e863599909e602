//! `--policy auto`: replay under every policy and keep the one that best explains what the
//! kernel was seen doing (ioctl results, memops, kernel log lines).

use crate::model::Policy;
use crate::trace::Trace;

use super::{CheckReport, check_trace};

/// How well one policy explains a trace. Lower `cost` is better.
#[derive(Clone, Debug)]
pub struct PolicyScore {
    pub policy: Policy,
    pub cost: u64,
    pub report: CheckReport,
}

/// The chosen policy, the reason in words, and every policy's score.
#[derive(Clone, Debug)]
pub struct AutoChoice {
    pub policy: Policy,
    pub reason: String,
    pub scores: Vec<PolicyScore>,
}

/// Preference when policies explain the trace equally well: the newest vb2 first.
const TIE_ORDER: [Policy; 4] = [
    Policy::MODERN,
    Policy::Vb2_3_8,
    Policy::Vb2_2012,
    Policy::Spec,
];

fn cost(r: &CheckReport) -> u64 {
    let s = r.stats;
    // A wrong ioctl result weighs more than a memop, which the allocator may hide.
    u64::from(s.divergences) * 10
        + u64::from(s.memops_unpredicted)
        + u64::from(s.memops_missing)
        + u64::from(s.klogs_unpredicted) * 5
}

fn describe(r: &CheckReport) -> String {
    let s = r.stats;
    let mut parts = vec![format!(
        "{} of {} observed results differ",
        s.divergences, s.observed_results
    )];
    if s.observed_memops > 0 || s.memops_missing > 0 {
        parts.push(format!(
            "{} of {} observed memops predicted, {} predicted but not seen",
            s.memops_matched, s.observed_memops, s.memops_missing
        ));
    }
    if s.observed_klogs > 0 {
        parts.push(format!(
            "{} of {} kernel warnings unexplained",
            s.klogs_unpredicted, s.observed_klogs
        ));
    }
    parts.join(", ")
}

/// Picks the policy that explains `trace` best.
pub fn choose_policy(trace: &Trace) -> AutoChoice {
    let scores: Vec<PolicyScore> = TIE_ORDER
        .iter()
        .map(|&p| {
            let report = check_trace(trace, p);
            PolicyScore {
                policy: p,
                cost: cost(&report),
                report,
            }
        })
        .collect();
    let best = scores
        .iter()
        .min_by_key(|s| s.cost)
        .map(|s| s.policy)
        .unwrap_or(Policy::MODERN);
    let evidence = scores.first().map(|s| {
        let st = s.report.stats;
        st.observed_results + st.observed_memops + st.observed_klogs
    });
    let reason = if evidence == Some(0) {
        "the trace holds no observed kernel results, memops or warnings; modern assumed".to_string()
    } else {
        let others: Vec<String> = scores
            .iter()
            .filter(|s| s.policy != best)
            .map(|s| format!("{}: {}", s.policy, describe(&s.report)))
            .collect();
        let chosen = scores
            .iter()
            .find(|s| s.policy == best)
            .map(|s| describe(&s.report))
            .unwrap_or_default();
        format!(
            "{best} explains the trace best ({chosen}); {}",
            others.join("; ")
        )
    };
    let policy = if evidence == Some(0) {
        Policy::MODERN
    } else {
        best
    };
    AutoChoice {
        policy,
        reason,
        scores,
    }
}
