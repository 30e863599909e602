//! Plain text: one line per finding, for people and grep.

use std::fmt::Write as _;

use crate::format::DiagSeverity;

use super::{InputResult, summarize};

/// One line per finding: `PATH: RULE SEVERITY t=+SECONDS queue=Q index=I plane=P: MESSAGE`,
/// times from the first buffer event, which a note line places on the trace's clock.
pub fn to_text(results: &[InputResult]) -> String {
    let mut out = String::new();
    for r in results {
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
    let s = summarize(results);
    let policies: Vec<String> = results
        .iter()
        .map(|r| r.report.policy.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} info under policy {}{}",
        s.error,
        s.warning,
        s.info,
        policies.join(", "),
        if s.input_errors > 0 {
            format!("; {} unreadable input line(s)", s.input_errors)
        } else {
            String::new()
        }
    );
    out
}
