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
    /// Whether candidates were left untried (nothing observed, and not every score asked
    /// for): [`choose_policy`] gives them all.
    pub partial: bool,
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

/// Picks the policy that explains `trace` best, with every candidate's score.
pub fn choose_policy(trace: &Trace) -> AutoChoice {
    choose_policy_with(trace, true)
}

/// [`choose_policy`]; with `every` false, a trace with no observed kernel behaviour is
/// replayed once (the newest release's vb2, which it then gets) rather than under every
/// candidate: the choice and its reason are the same, only the table of scores is short.
pub fn choose_policy_with(trace: &Trace, every: bool) -> AutoChoice {
    choose_policy_seeded(trace, every, None)
}

/// The policy `auto` replays first: the trace's kernel's when its header names one, else
/// the newest.
pub fn first_candidate(trace: &Trace) -> Policy {
    from_header(trace).map_or(Policy::MODERN, |(p, _)| p)
}

/// [`choose_policy_with`], given the report of [`first_candidate`] when the caller already
/// replayed it (building a timeline).
pub fn choose_policy_seeded(
    trace: &Trace,
    every: bool,
    seed: Option<(Policy, CheckReport)>,
) -> AutoChoice {
    // A policy's score: the caller's replay when it made this one, else a replay now.
    let score = |p: Policy| {
        let report = seed
            .as_ref()
            .filter(|(sp, _)| *sp == p)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| check_trace(trace, p));
        PolicyScore {
            policy: p,
            cost: cost(&report),
            report,
        }
    };
    if let Some((policy, reason)) = from_header(trace) {
        return AutoChoice {
            policy,
            reason,
            scores: vec![score(policy)],
            partial: false,
        };
    }
    let cands = candidates();
    let first = cands.first().map(|&p| score(p));
    let partial = !every && first.as_ref().is_some_and(|s| evidence(s) == 0);
    let scores: Vec<PolicyScore> = if partial {
        first.into_iter().collect()
    } else {
        first
            .into_iter()
            .chain(replay_all(cands.get(1..).unwrap_or(&[]), &score))
            .collect()
    };
    if scores.first().map_or(0, evidence) == 0 {
        return AutoChoice {
            policy: Policy::MODERN,
            reason: "the trace holds no observed kernel results, values, memops or warnings; \
                modern assumed"
                .into(),
            scores,
            partial,
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
        partial: false,
    }
}

/// "X explains the trace best (…); Y and Z equally; others: …", policies of one score and
/// one description named together.
/// How much the kernel showed of its behaviour in a replay.
fn evidence(s: &PolicyScore) -> u32 {
    let st = s.report.stats;
    st.observed_results + st.observed_memops + st.observed_klogs + st.values_observed
}

/// `score` of every policy, on every core, in order.
fn replay_all(
    policies: &[Policy],
    score: &(dyn Fn(Policy) -> PolicyScore + Sync),
) -> Vec<PolicyScore> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = policies.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = policies
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(|&p| score(p)).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            // A candidate that panicked is not dropped from the choice: the panic goes on.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

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
