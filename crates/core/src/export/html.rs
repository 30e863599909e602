//! A self-contained HTML report for CI artifacts: what was checked and under which policy,
//! the timeline as inline SVG, every finding with its rule's explanation and spec quote,
//! the input diagnostics and, for `--policy auto`, how each policy scored. No scripts, no
//! external resources; every piece of text is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::check::{CheckReport, PolicyScore};
use crate::format::Diagnostic;
use crate::rules::{Severity, info};
use crate::timeline::Timeline;
use crate::timeline::palette;
use crate::trace::Trace;

use super::{escape, ms, trace_title};

/// What the report says besides the trace: where it came from and how the policy was chosen.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The input as the user named it; the trace header's source when empty.
    pub source: &'a str,
    /// Why the policy was chosen (`--policy auto`).
    pub policy_reason: Option<&'a str>,
    pub diagnostics: &'a [Diagnostic],
    /// Every policy's score, from `check::choose_policy`; empty when one policy was given.
    pub scores: &'a [PolicyScore],
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
    table{border-collapse:collapse;margin:.5em 0}\
    th,td{border:1px solid #CCC;padding:3px 8px;text-align:left;vertical-align:top}\
    th{background:#F2F2F2}.facts th{width:12em}.num{text-align:right}\
    .svg{overflow-x:auto;border:1px solid #DDD}\
    blockquote{margin:.4em 0;padding-left:.8em;border-left:3px solid #CCC;font-style:italic}\
    code{font-size:90%}.sev{font-weight:bold}";

/// The report as one HTML document.
pub fn to_string(trace: &Trace, tl: &Timeline, report: &CheckReport, cx: &Context) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let title = trace_title(trace);
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>vb2scope: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&title));
    let rest: Vec<&str> = trace.header.title.lines().skip(1).collect();
    let rest = rest.join("\n");
    if !rest.trim().is_empty() {
        let _ = writeln!(o, "<p>{}</p>", escape(rest.trim()));
    }
    facts(&mut o, trace, tl, report, cx);
    let _ = writeln!(o, "<h2>Timeline</h2>\n<div class=\"svg\">");
    o.push_str(&super::svg::render(trace, tl, report, false));
    o.push_str("</div>\n");
    findings(&mut o, report);
    diagnostics(&mut o, cx.diagnostics);
    scores(&mut o, cx.scores, report);
    let _ = writeln!(
        o,
        "<p><small>Made by vb2scope {}.</small></p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    o
}

/// Writes [`to_string`].
pub fn write<W: Write>(
    w: &mut W,
    trace: &Trace,
    tl: &Timeline,
    report: &CheckReport,
    cx: &Context,
) -> io::Result<()> {
    w.write_all(to_string(trace, tl, report, cx).as_bytes())
}

fn row(o: &mut String, k: &str, v: &str) {
    let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
}

fn facts(o: &mut String, trace: &Trace, tl: &Timeline, report: &CheckReport, cx: &Context) {
    o.push_str("<table class=\"facts\">\n");
    let source = if cx.source.is_empty() {
        trace.header.source.as_str()
    } else {
        cx.source
    };
    row(o, "source", source);
    if !cx.source.is_empty() && !trace.header.source.is_empty() && cx.source != trace.header.source
    {
        row(o, "made by", &trace.header.source);
    }
    row(o, "policy", &report.policy.name());
    if let Some(r) = cx.policy_reason {
        row(o, "why this policy", r);
    }
    row(o, "events", &trace.events.len().to_string());
    let queues = super::queue_groups(&tl.lanes).len();
    row(
        o,
        "buffers",
        &format!("{} in {queues} queue(s)", tl.lanes.len()),
    );
    row(
        o,
        "time",
        &format!("{} ms to {} ms", ms(tl.start_ns), ms(tl.end_ns)),
    );
    let count = |s: Severity| {
        report
            .findings
            .iter()
            .filter(|f| report.severity(f) == s)
            .count()
    };
    row(
        o,
        "findings",
        &format!(
            "{} ({} error, {} warning, {} info)",
            report.findings.len(),
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        ),
    );
    row(o, "input diagnostics", &cx.diagnostics.len().to_string());
    o.push_str("</table>\n");
}

fn findings(o: &mut String, report: &CheckReport) {
    let _ = writeln!(o, "<h2>Findings ({})</h2>", report.findings.len());
    if report.findings.is_empty() {
        let _ = writeln!(o, "<p>No findings under {}.</p>", report.policy);
        return;
    }
    // Grouped by severity, then rule; errors first and open.
    for g in report.groups() {
        let open = if g.severity == crate::rules::Severity::Error {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<details class=\"group\"{open}><summary style=\"color:{}\">{}</summary><p>{}</p>",
            palette::severity(g.severity).hex(),
            escape(&g.headline()),
            escape(g.meaning())
        );
        o.push_str("<table class=\"findings\">\n<tr><th>severity</th><th>rule</th><th>time (ms)</th><th>queue</th><th>buffer</th><th>message</th></tr>\n");
        for &k in &g.findings {
            if let Some(f) = report.findings.get(k) {
                finding_row(o, report, f);
            }
        }
        o.push_str("</table>\n</details>\n");
    }
}

fn finding_row(o: &mut String, report: &CheckReport, f: &crate::rules::Finding) {
    let sev = report.severity(f);
    let r = info(f.rule);
    let buffer = match (f.index, f.plane) {
        (Some(i), Some(p)) => format!("{i} plane {p}"),
        (Some(i), None) => i.to_string(),
        _ => String::new(),
    };
    let queue = f.queue.map(|q| q.to_string()).unwrap_or_default();
    let _ = writeln!(
        o,
        "<tr class=\"finding\" id=\"event-{}\"><td class=\"sev\" style=\"color:{}\">{}</td><td>{} {}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}\n<details><summary>why</summary><p>{}</p><blockquote>{}</blockquote><p><code>{}</code></p><p>Under {}: {}</p></details></td></tr>",
        f.event,
        palette::severity(sev).hex(),
        sev.as_str(),
        escape(f.rule.as_str()),
        escape(r.title),
        ms(f.t_ns),
        escape(&queue),
        escape(&buffer),
        escape(&f.message()),
        escape(r.explanation),
        escape(r.quote),
        escape(r.source),
        report.policy,
        escape(
            r.per_policy
                .get(report.policy.generation())
                .copied()
                .unwrap_or("")
        )
    );
}

fn diagnostics(o: &mut String, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let _ = writeln!(o, "<h2>Input diagnostics ({})</h2>\n<ul>", diags.len());
    for d in diags {
        let _ = writeln!(
            o,
            "<li class=\"diagnostic\">{}</li>",
            escape(&d.to_string())
        );
    }
    o.push_str("</ul>\n");
}

fn scores(o: &mut String, scores: &[PolicyScore], report: &CheckReport) {
    if scores.is_empty() {
        return;
    }
    o.push_str("<h2>Policies</h2>\n<table class=\"policies\">\n<tr><th>policy</th><th>cost</th><th>findings</th><th>worst</th><th>divergences</th></tr>\n");
    for s in scores {
        let chosen = if s.policy == report.policy {
            " (chosen)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<tr><td>{}{chosen}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            s.policy,
            s.cost,
            s.report.findings.len(),
            s.report.worst().map(Severity::as_str).unwrap_or("none"),
            s.report.stats.divergences
        );
    }
    o.push_str("</table>\n");
}
