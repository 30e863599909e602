//! Plain text: one line per finding, for people and grep.

use std::fmt::Write as _;

use crate::format::DiagSeverity;

use super::{
    InputResult, Item, Outcome, RunInfo, checked, count_files, items_of_outcomes, items_of_results,
    summarize_checked,
};

/// One line per finding: `PATH: RULE SEVERITY t=+SECONDS queue=Q index=I plane=P: MESSAGE`,
/// times from the first buffer event, which a note line places on the trace's clock.
pub fn to_text(results: &[InputResult]) -> String {
    text_of(&items_of_results(results), RunInfo::default())
}

/// [`to_text`] of a whole run: an unreadable input is a `PATH: error: MESSAGE` line in its
/// place, and with several inputs a last line counts the files.
pub fn to_text_outcomes(outcomes: &[Outcome], run: RunInfo) -> String {
    text_of(&items_of_outcomes(outcomes), run)
}

/// The lines of one input alone, as [`to_text_outcomes`] prints them: to print each input
/// as soon as it and those before it are done, then [`text_footer`].
pub fn text_entry(outcome: &Outcome) -> String {
    let mut out = String::new();
    write_item(&mut out, outcome.into());
    out
}

/// The last lines of [`to_text_outcomes`]: the totals, and with several inputs the files.
pub fn text_footer(outcomes: &[Outcome], run: RunInfo) -> String {
    let mut out = String::new();
    write_footer(&mut out, &items_of_outcomes(outcomes), run);
    out
}

fn text_of(items: &[Item<'_>], run: RunInfo) -> String {
    let mut out = String::new();
    for &item in items {
        write_item(&mut out, item);
    }
    write_footer(&mut out, items, run);
    out
}

fn write_item(out: &mut String, item: Item<'_>) {
    match item {
        Item::Checked(r) => write_checked(out, r),
        Item::Unreadable(u) => {
            let _ = writeln!(out, "{}: error: {}", u.path, u.error);
        }
    }
}

fn write_checked(out: &mut String, r: &InputResult) {
    if let Some(reason) = &r.policy_reason {
        let _ = writeln!(out, "{}: policy {}: {reason}", r.path, r.report.policy);
    }
    if r.report.rebuilt_calls {
        let _ = writeln!(out, "{}: note: {}", r.path, crate::check::REBUILT_CALLS);
    }
    if let Some(e) = r.report.incomplete_from {
        let _ = writeln!(
            out,
            "{}: note: event {e}: {}",
            r.path,
            crate::check::INCOMPLETE
        );
    }
    if let Some(e) = r.report.undecoded_from {
        let _ = writeln!(
            out,
            "{}: note: event {e}: {}",
            r.path,
            crate::check::UNDECODED
        );
    }
    for &(q, _) in &r.report.unseen_setup {
        let _ = writeln!(
            out,
            "{}: note: queue {}: {}",
            r.path,
            q.ty.short(),
            crate::check::UNSEEN_SETUP
        );
    }
    for d in &r.diagnostics {
        let sev = match d.severity {
            DiagSeverity::Info => "info",
            DiagSeverity::Warning => "warning",
            DiagSeverity::Error => "error",
        };
        let _ = writeln!(
            out,
            "{}:{}: {sev}: {} (byte {})",
            r.path, d.line, d.message, d.byte
        );
    }
    if !r.report.findings.is_empty() {
        let _ = writeln!(
            out,
            "{}: note: times are from the first buffer event, at {}",
            r.path,
            r.time.absolute(r.time.origin_ns)
        );
    }
    for f in &r.report.findings {
        let dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{}: {} {} t={} queue={} index={} plane={} event={}: {}",
            r.path,
            f.rule,
            r.report.severity(f).as_str(),
            r.time.rel_seconds(f.t_ns),
            dash(f.queue.map(|q| q.to_string())),
            dash(f.index.map(|i| i.to_string())),
            dash(f.plane.map(|p| p.to_string())),
            f.event,
            f.message()
        );
    }
    // What to triage first: errors, then warnings, then notes, by rule, with counts.
    if r.report.findings.len() > 1 {
        for g in r.report.groups() {
            let _ = writeln!(out, "{}: summary: {}", r.path, g.headline());
        }
    }
}

/// `E error(s), W warning(s), I info under policy P[; N unreadable input line(s)][; K
/// unreadable file(s)]`, then, with several inputs, the counts of files.
fn write_footer(out: &mut String, items: &[Item<'_>], run: RunInfo) {
    let s = summarize_checked(checked(items));
    let files = count_files(items);
    let policies: Vec<String> = checked(items)
        .map(|r| r.report.policy.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = write!(
        out,
        "{} error(s), {} warning(s), {} info",
        s.error, s.warning, s.info
    );
    if !policies.is_empty() {
        let _ = write!(out, " under policy {}", policies.join(", "));
    }
    if s.input_errors > 0 {
        let _ = write!(out, "; {} unreadable input line(s)", s.input_errors);
    }
    if files.unreadable > 0 {
        let _ = write!(out, "; {} unreadable file(s)", files.unreadable);
    }
    out.push('\n');
    if items.len() < 2 {
        return;
    }
    let _ = write!(
        out,
        "{} file(s): {} checked ({} with errors, {} with warnings, {} with info, {} clean), {} unreadable; {} finding(s)",
        files.files,
        files.checked,
        files.with_errors,
        files.with_warnings,
        files.with_info,
        files.clean,
        files.unreadable,
        s.error + s.warning + s.info,
    );
    if let Some(wall) = run.wall {
        let _ = write!(out, "; {:.3} s wall time", wall.as_secs_f64());
        if let Some(jobs) = run.jobs {
            let _ = write!(out, ", {jobs} job(s)");
        }
    }
    out.push('\n');
}
