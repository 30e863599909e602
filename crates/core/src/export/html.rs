//! A self-contained HTML report for CI artifacts: what was checked and under which policy,
//! the timeline as inline SVG, every finding with its rule's explanation and spec quote, who
//! held each dma-buf, the input diagnostics and, for `--policy auto`, how each policy scored.
//! It is titled with the input's file name; every time in it counts from the first buffer
//! event (the absolute time is in the facts and in each finding's tooltip). No scripts, no
//! external resources; every piece of text is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::check::{CheckReport, PolicyScore};
use crate::format::Diagnostic;
use crate::rules::{Severity, info};
use crate::time::TimeBase;
use crate::timeline::{DmabufLane, Timeline, palette};
use crate::trace::Trace;

use super::{MAX_DMABUFS, escape, report_title, time_base};

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
    .svg{overflow-x:auto;border:1px solid #DDD}.svg svg{max-width:100%;height:auto}\
    blockquote{margin:.4em 0;padding-left:.8em;border-left:3px solid #CCC;font-style:italic}\
    code{font-size:90%}.sev{font-weight:bold}.dmabufs td{white-space:nowrap}";

/// At most this many tied ranges written per holder.
const MAX_RANGES: usize = 8;

/// The report as one HTML document.
pub fn to_string(trace: &Trace, tl: &Timeline, report: &CheckReport, cx: &Context) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let title = report_title(cx.source, trace);
    let tb = time_base(trace, tl);
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&title));
    // The trace's own description (a scenario's comment) under the name, a paragraph per
    // paragraph of it.
    for para in trace.header.title.split("\n\n").map(str::trim) {
        if !para.is_empty() {
            let _ = writeln!(o, "<p class=\"about\">{}</p>", escape(para));
        }
    }
    facts(&mut o, trace, tl, report, cx, &tb);
    let _ = writeln!(o, "<h2>Timeline</h2>\n<div class=\"svg\">");
    o.push_str(&super::svg::render(trace, tl, report, &title, false));
    o.push_str("</div>\n");
    findings(&mut o, report, &tb);
    dmabufs(&mut o, tl, &tb);
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

fn facts(
    o: &mut String,
    trace: &Trace,
    tl: &Timeline,
    report: &CheckReport,
    cx: &Context,
    tb: &TimeBase,
) {
    o.push_str("<table class=\"facts\">\n");
    if !cx.source.is_empty() {
        row(o, "source", cx.source);
    }
    if !trace.header.source.is_empty() && cx.source != trace.header.source {
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
    let (a0, a1) = tl.activity_range();
    row(
        o,
        "buffer activity",
        &format!(
            "{} to {} ({})",
            tb.rel(a0),
            tb.rel(a1),
            crate::time::duration(a1.saturating_sub(a0))
        ),
    );
    if (tl.start_ns, tl.end_ns) != (a0, a1) {
        row(
            o,
            "whole trace",
            &format!("{} to {}", tb.rel(tl.start_ns), tb.rel(tl.end_ns)),
        );
    }
    row(
        o,
        "times count from",
        &format!("the first buffer event, at {}", tb.absolute(tb.origin_ns)),
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

fn findings(o: &mut String, report: &CheckReport, tb: &TimeBase) {
    let _ = writeln!(o, "<h2>Findings ({})</h2>", report.findings.len());
    if report.findings.is_empty() {
        let _ = writeln!(o, "<p>No findings under {}.</p>", report.policy);
        return;
    }
    // Grouped by severity, then rule (`groups` puts errors first); errors open.
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
        o.push_str("<table class=\"findings\">\n<tr><th>severity</th><th>rule</th><th>time (from the first buffer event)</th><th>queue</th><th>buffer</th><th>message</th></tr>\n");
        for &k in &g.findings {
            if let Some(f) = report.findings.get(k) {
                finding_row(o, report, f, tb);
            }
        }
        o.push_str("</table>\n</details>\n");
    }
}

fn finding_row(o: &mut String, report: &CheckReport, f: &crate::rules::Finding, tb: &TimeBase) {
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
        "<tr class=\"finding\" id=\"event-{}\"><td class=\"sev\" style=\"color:{}\">{}</td><td>{} {}</td><td class=\"num\" title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}\n<details><summary>why</summary><p>{}</p><blockquote>{}</blockquote><p><code>{}</code></p><p>Under {}: {}</p></details></td></tr>",
        f.event,
        palette::severity(sev).hex(),
        sev.as_str(),
        escape(f.rule.as_str()),
        escape(r.title),
        escape(&tb.absolute(f.t_ns)),
        tb.rel(f.t_ns),
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

/// Who held each dma-buf: its exporter, every plane tied to it and when, relative.
fn dmabufs(o: &mut String, tl: &Timeline, tb: &TimeBase) {
    let lanes = tl.dmabuf_lanes();
    if lanes.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<h2 id=\"dmabufs\">dma-bufs ({})</h2>\n<p>Each dma-buf a buffer held: the plane that exported it and the planes that imported it, with the times each was tied to it.</p>",
        lanes.len()
    );
    o.push_str("<table class=\"dmabufs\">\n<tr><th>dma-buf</th><th>exporter</th><th>holder</th><th>tied (from the first buffer event)</th></tr>\n");
    for d in lanes.iter().take(MAX_DMABUFS) {
        dmabuf_rows(o, tl, d, tb);
    }
    o.push_str("</table>\n");
    if lanes.len() > MAX_DMABUFS {
        let _ = writeln!(
            o,
            "<p>{} more dma-bufs not shown.</p>",
            lanes.len() - MAX_DMABUFS
        );
    }
    let never = tl.dmabufs.len().saturating_sub(lanes.len());
    if never > 0 {
        let _ = writeln!(
            o,
            "<p>{never} other dma-buf(s) of the trace were never tied to a buffer.</p>"
        );
    }
}

fn dmabuf_rows(o: &mut String, tl: &Timeline, d: &DmabufLane, tb: &TimeBase) {
    let info = tl.dmabuf(d.id);
    let identity = info.map_or_else(|| format!("#{}", d.id), |i| i.identity());
    let mut what = Vec::new();
    if let Some(i) = info {
        if !i.name.is_empty() {
            what.push(i.name.clone());
        }
        if let Some(s) = i.size {
            what.push(format!("{s} bytes"));
        }
        if let Some((q, idx, p)) = i.exported_from {
            what.push(format!("exported by {q} #{idx}.{p}"));
        }
    }
    if what.is_empty() {
        what.push("exporter not in the trace".to_string());
    }
    let span = d.holders.len().max(1);
    let _ = write!(
        o,
        "<tr class=\"dmabuf\"><td rowspan=\"{span}\">{}</td><td rowspan=\"{span}\">{}</td>",
        escape(&identity),
        escape(&what.join(", "))
    );
    if d.holders.is_empty() {
        o.push_str("<td></td><td></td></tr>\n");
    }
    for (k, h) in d.holders.iter().enumerate() {
        if k > 0 {
            o.push_str("<tr>");
        }
        let mut when: Vec<String> = h
            .tied
            .iter()
            .take(MAX_RANGES)
            .map(|&(s, e)| format!("{} to {}", tb.rel(s), tb.rel(e)))
            .collect();
        if h.tied.len() > MAX_RANGES {
            when.push(format!("and {} more", h.tied.len() - MAX_RANGES));
        }
        let first = h.tied.first().map_or(tb.origin_ns, |r| r.0);
        let _ = writeln!(
            o,
            "<td>{} {}</td><td title=\"first: {}\">{}</td></tr>",
            h.role.as_str(),
            escape(&h.name()),
            escape(&tb.absolute(first)),
            escape(&when.join("; "))
        );
    }
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
