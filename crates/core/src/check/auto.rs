//! `--policy auto`: the release the trace says it was recorded on, or else the policy that
//! best explains what the kernel was seen doing (ioctl results, the values it chose, memops,
//! kernel log lines), replaying under each.

use crate::policy::{Kernel, Policy};
use crate::trace::Trace;

use super::{CheckReport, check_trace};

/// How well one policy explains a trace. Lower `cost` is better.
#[derive(Clone, Debug)]
pub struct PolicyScore {
    pub policy: Policy,
    pub cost: u64,
    pub report: CheckReport,
}

/// The chosen policy, the reason in words, and every policy tried with its score.
#[derive(Clone, Debug)]
pub struct AutoChoice {
    pub policy: Policy,
    pub reason: String,
    pub scores: Vec<PolicyScore>,
}

/// The policies tried, in order of preference when they explain a trace equally well: the
/// newest vb2 first.
fn candidates() -> Vec<Policy> {
    Kernel::NAMED
        .iter()
        .rev()
        .map(|&k| Policy::Linux(k))
        .chain([Policy::Vb2_3_8, Policy::Vb2_2012, Policy::Spec])
        .collect()
}

fn cost(r: &CheckReport) -> u64 {
    let s = r.stats;
    // A wrong ioctl result weighs more than a memop, which the allocator may hide, or a value
    // the kernel chose (a cookie, a count), which tells the release but not its behaviour.
    u64::from(s.divergences) * 10
        + u64::from(s.memops_unpredicted)
        + u64::from(s.memops_missing)
        + u64::from(s.klogs_unpredicted) * 5
        + u64::from(s.values_unpredicted) * 2
}

fn describe(r: &CheckReport) -> String {
    let s = r.stats;
    let mut parts = vec![format!(
        "{} of {} observed results differ",
        s.divergences, s.observed_results
    )];
    if s.values_unpredicted > 0 {
        parts.push(format!(
            "{} of {} values the kernel chose differ ({})",
            s.values_unpredicted,
            s.values_observed,
            r.value_notes.join(", ")
        ));
    }
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

/// The policy of the release a trace's header names, with the reason.
fn from_header(trace: &Trace) -> Option<(Policy, String)> {
    let release = trace.header.kernel.as_deref()?;
    let k = Kernel::parse(release)?;
    let p = Policy::for_kernel(k);
    let mut reason = format!("the trace was recorded on Linux {release}: {p}");
    if k < Kernel::OLDEST {
        reason.push_str(&format!(
            " (Linux {k} is older than the oldest release modelled, {}, which is assumed)",
            Kernel::OLDEST
        ));
    }
    Some((p, reason))
}

/// Picks the policy that explains `trace` best.
pub fn choose_policy(trace: &Trace) -> AutoChoice {
    if let Some((policy, reason)) = from_header(trace) {
        let report = check_trace(trace, policy);
        return AutoChoice {
            policy,
            reason,
            scores: vec![PolicyScore {
                policy,
                cost: cost(&report),
                report,
            }],
        };
    }
    let scores: Vec<PolicyScore> = candidates()
        .into_iter()
        .map(|p| {
            let report = check_trace(trace, p);
            PolicyScore {
                policy: p,
                cost: cost(&report),
                report,
            }
        })
        .collect();
    let evidence = scores.first().map_or(0, |s| {
        let st = s.report.stats;
        st.observed_results + st.observed_memops + st.observed_klogs + st.values_observed
    });
    if evidence == 0 {
        return AutoChoice {
            policy: Policy::MODERN,
            reason: "the trace holds no observed kernel results, values, memops or warnings; \
                modern assumed"
                .into(),
            scores,
        };
    }
    let best_cost = scores.iter().map(|s| s.cost).min().unwrap_or(0);
    let best = scores
        .iter()
        .find(|s| s.cost == best_cost)
        .map_or(Policy::MODERN, |s| s.policy);
    AutoChoice {
        policy: best,
        reason: reason(&scores, best, best_cost),
        scores,
    }
}

/// "X explains the trace best (…); Y and Z equally; others: …", policies of one score and
/// one description named together.
fn reason(scores: &[PolicyScore], best: Policy, best_cost: u64) -> String {
    let chosen = scores
        .iter()
        .find(|s| s.policy == best)
        .map(|s| describe(&s.report))
        .unwrap_or_default();
    let mut out = format!("{best} explains the trace best ({chosen})");
    let equal: Vec<String> = scores
        .iter()
        .filter(|s| s.cost == best_cost && s.policy != best)
        .map(|s| s.policy.to_string())
        .collect();
    if !equal.is_empty() {
        out.push_str(&format!(
            "; {} explain it equally well, the newest is named",
            equal.join(", ")
        ));
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for s in scores.iter().filter(|s| s.cost != best_cost) {
        let d = describe(&s.report);
        match groups.iter_mut().find(|(g, _)| *g == d) {
            Some((_, names)) => names.push(s.policy.to_string()),
            None => groups.push((d, vec![s.policy.to_string()])),
        }
    }
    for (d, names) in groups {
        out.push_str(&format!("; {}: {d}", names.join(", ")));
    }
    out
}
