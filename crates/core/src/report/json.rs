//! JSON output, documented in docs/check-output.md.

use serde::Serialize;

use crate::rules::info;

use super::{
    InputResult, Item, Outcome, RunInfo, Summary, checked, count_files, items_of_outcomes,
    items_of_results, summarize_checked,
};

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    inputs: Vec<JsonEntry<'a>>,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
}

/// `summary`: the counts of findings (as in version 1 from the start), then of files, and
/// the wall time of the run when known. Fields were only added, never changed.
#[derive(Serialize)]
struct JsonSummary {
    #[serde(flatten)]
    counts: Summary,
    /// Findings of every severity.
    findings: usize,
    files: usize,
    files_checked: usize,
    files_with_errors: usize,
    files_with_warnings: usize,
    files_with_info: usize,
    files_clean: usize,
    files_unreadable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    wall_time_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jobs: Option<usize>,
}

/// One entry of `inputs`: a checked input, or one that could not be used.
#[derive(Serialize)]
#[serde(untagged)]
enum JsonEntry<'a> {
    Checked(JsonInput<'a>),
    Unreadable { path: &'a str, error: &'a str },
}

#[derive(Serialize)]
struct JsonInput<'a> {
    path: &'a str,
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_reason: Option<&'a str>,
    events: u64,
    /// What finding times count from: the first buffer event, on the trace's clock.
    origin_ns: u64,
    /// The trace's clock: `realtime`, `time-of-day`, `boot`, `order`, `unknown`.
    clock: &'static str,
    /// The origin on the wall clock, when the trace's clock gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_wall: Option<String>,
    /// Why severities were capped: the calls were rebuilt from kernel events.
    #[serde(skip_serializing_if = "Option::is_none")]
    calls_rebuilt: Option<&'static str>,
    /// The event from which the kernel's side is incomplete, and why that matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete_from: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete: Option<&'static str>,
    /// Queues in use before the trace set them up, and why their findings are capped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unseen_setup: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unseen_setup_note: Option<&'static str>,
    /// The first buffer call not decoded, and why findings after it are capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    undecoded_from: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undecoded: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    input: &'a str,
    rule: &'static str,
    title: &'static str,
    severity: &'static str,
    event: u32,
    t_ns: u64,
    /// From the input's `origin_ns` (its first buffer event).
    t_rel_ns: i64,
    queue: Option<String>,
    index: Option<u32>,
    plane: Option<u8>,
    message: String,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    input: &'a str,
    severity: crate::format::DiagSeverity,
    line: u32,
    byte: u64,
    message: &'a str,
}

/// The whole result as one JSON object.
pub fn to_json(results: &[InputResult]) -> String {
    json_of(&items_of_results(results), RunInfo::default())
}

/// [`to_json`] of a whole run: an input that could not be used is an entry of `inputs` with
/// its `path` and an `error`, and `summary` has the wall time of the run.
pub fn to_json_outcomes(outcomes: &[Outcome], run: RunInfo) -> String {
    json_of(&items_of_outcomes(outcomes), run)
}

fn input<'a>(r: &'a InputResult) -> JsonInput<'a> {
    JsonInput {
        path: &r.path,
        policy: r.report.policy.name().into_owned(),
        policy_reason: r.policy_reason.as_deref(),
        events: r.report.stats.events,
        origin_ns: r.time.origin_ns,
        clock: r.time.clock.name(),
        origin_wall: r.time.clock.wall(r.time.origin_ns),
        calls_rebuilt: r
            .report
            .rebuilt_calls
            .then_some(crate::check::REBUILT_CALLS),
        incomplete_from: r.report.incomplete_from,
        incomplete: r.report.incomplete_from.map(|_| crate::check::INCOMPLETE),
        unseen_setup: r
            .report
            .unseen_setup
            .iter()
            .map(|(q, _)| q.ty.short().to_string())
            .collect(),
        unseen_setup_note: (!r.report.unseen_setup.is_empty())
            .then_some(crate::check::UNSEEN_SETUP),
        undecoded_from: r.report.undecoded_from,
        undecoded: r.report.undecoded_from.map(|_| crate::check::UNDECODED),
    }
}

fn json_of(items: &[Item<'_>], run: RunInfo) -> String {
    let counts = summarize_checked(checked(items));
    let files = count_files(items);
    let j = Json {
        version: 1,
        inputs: items
            .iter()
            .map(|i| match *i {
                Item::Checked(r) => JsonEntry::Checked(input(r)),
                Item::Unreadable(u) => JsonEntry::Unreadable {
                    path: &u.path,
                    error: &u.error,
                },
            })
            .collect(),
        findings: checked(items)
            .flat_map(|r| {
                r.report.findings.iter().map(move |f| JsonFinding {
                    input: &r.path,
                    rule: f.rule.as_str(),
                    title: info(f.rule).title,
                    severity: r.report.severity(f).as_str(),
                    event: f.event,
                    t_ns: f.t_ns,
                    t_rel_ns: r.time.rel_i64(f.t_ns),
                    queue: f.queue.map(|q| q.to_string()),
                    index: f.index,
                    plane: f.plane,
                    message: f.message(),
                })
            })
            .collect(),
        diagnostics: checked(items)
            .flat_map(|r| {
                r.diagnostics.iter().map(move |d| JsonDiagnostic {
                    input: &r.path,
                    severity: d.severity,
                    line: d.line,
                    byte: d.byte,
                    message: &d.message,
                })
            })
            .collect(),
        summary: JsonSummary {
            counts,
            findings: counts.error + counts.warning + counts.info,
            files: files.files,
            files_checked: files.checked,
            files_with_errors: files.with_errors,
            files_with_warnings: files.with_warnings,
            files_with_info: files.with_info,
            files_clean: files.clean,
            files_unreadable: files.unreadable,
            // Milliseconds are plenty, and keep the number short.
            wall_time_s: run
                .wall
                .map(|w| (w.as_secs_f64() * 1000.0).round() / 1000.0),
            jobs: run.jobs,
        },
    };
    let mut s =
        serde_json::to_string_pretty(&j).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
