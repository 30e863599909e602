//! Turning check results into text, JSON (docs/check-output.md) or JUnit XML, and deciding
//! the exit status. Pure: results in, strings out.

mod json;
mod junit;
mod text;

pub use json::{to_json, to_json_outcomes};
pub use junit::{to_junit, to_junit_outcomes};
pub use text::{text_entry, text_footer, to_text, to_text_outcomes};

use std::time::Duration;

use crate::check::CheckReport;
use crate::format::{DiagSeverity, Diagnostic};
use crate::rules::Severity;

/// Everything known about one checked input.
#[derive(Clone, Debug)]
pub struct InputResult {
    pub path: String,
    pub report: CheckReport,
    /// Why the policy was chosen, with `--policy auto`.
    pub policy_reason: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// What finding times count from (the first buffer event) and on which clock.
    pub time: crate::time::TimeBase,
}

impl InputResult {
    /// The result of checking `trace`: finding times count from its first buffer event.
    pub fn new(
        path: String,
        trace: &crate::trace::Trace,
        report: CheckReport,
        policy_reason: Option<String>,
        diagnostics: Vec<Diagnostic>,
    ) -> InputResult {
        let origin = crate::trace::activity_start(trace)
            .or_else(|| trace.events.first().map(|e| e.t_ns))
            .unwrap_or(0);
        InputResult {
            path,
            report,
            policy_reason,
            diagnostics,
            time: crate::time::TimeBase::new(origin, trace.header.clock),
        }
    }

    /// Diagnostics of severity error: malformed input lines, which count as errors.
    fn input_errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == DiagSeverity::Error)
            .count()
    }
}

/// An input that could not be used at all: unreadable, empty, not a format vb2scope reads, a
/// scenario that does not parse or run. It is reported in its place and makes the exit
/// status 2; the other inputs are checked all the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The input as given on the command line.
    pub path: String,
    /// What is wrong, without the leading `PATH: ` (see [`Unreadable::new`]).
    pub error: String,
}

impl Unreadable {
    /// `message` is the error as a whole; a leading `PATH: ` is dropped, since every
    /// output names the input already.
    pub fn new(path: String, message: &str) -> Unreadable {
        let error = message
            .strip_prefix(path.as_str())
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(message)
            .to_string();
        Unreadable { path, error }
    }
}

/// What became of one input of `vb2scope check`.
#[derive(Clone, Debug)]
pub enum Outcome {
    Checked(Box<InputResult>),
    Unreadable(Unreadable),
}

impl Outcome {
    pub fn path(&self) -> &str {
        match self {
            Outcome::Checked(r) => &r.path,
            Outcome::Unreadable(u) => &u.path,
        }
    }

    pub fn checked(&self) -> Option<&InputResult> {
        match self {
            Outcome::Checked(r) => Some(r.as_ref()),
            Outcome::Unreadable(_) => None,
        }
    }
}

/// One input, borrowed: how the writers see both kinds of input.
#[derive(Clone, Copy)]
enum Item<'a> {
    Checked(&'a InputResult),
    Unreadable(&'a Unreadable),
}

impl<'a> From<&'a Outcome> for Item<'a> {
    fn from(o: &'a Outcome) -> Item<'a> {
        match o {
            Outcome::Checked(r) => Item::Checked(r),
            Outcome::Unreadable(u) => Item::Unreadable(u),
        }
    }
}

fn items_of_results(results: &[InputResult]) -> Vec<Item<'_>> {
    results.iter().map(Item::Checked).collect()
}

fn items_of_outcomes(outcomes: &[Outcome]) -> Vec<Item<'_>> {
    outcomes.iter().map(Item::from).collect()
}

fn checked<'a>(items: &[Item<'a>]) -> impl Iterator<Item = &'a InputResult> {
    items.iter().filter_map(|i| match *i {
        Item::Checked(r) => Some(r),
        Item::Unreadable(_) => None,
    })
}

/// The `--fail-on` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

/// Counts by severity, findings and error diagnostics together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// Diagnostics of severity error (malformed input lines); they count as errors.
    pub input_errors: usize,
}

pub fn summarize(results: &[InputResult]) -> Summary {
    summarize_checked(results.iter())
}

fn summarize_checked<'a>(results: impl Iterator<Item = &'a InputResult>) -> Summary {
    let mut s = Summary::default();
    for r in results {
        for f in &r.report.findings {
            match r.report.severity(f) {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s.input_errors += r.input_errors();
    }
    s
}

/// Counts of inputs (files), for the summary of a run over many of them. A file is counted
/// once under each severity it has findings of, so `with_errors`, `with_warnings` and
/// `with_info` may overlap; `clean` and `unreadable` do not overlap with anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Every input given.
    pub files: usize,
    /// Inputs read and checked (`files - unreadable`).
    pub checked: usize,
    /// Checked inputs with at least one finding of severity error or a malformed line.
    pub with_errors: usize,
    /// Checked inputs with at least one finding of severity warning.
    pub with_warnings: usize,
    /// Checked inputs with at least one finding of severity info.
    pub with_info: usize,
    /// Checked inputs with no finding and no malformed line.
    pub clean: usize,
    /// Inputs that could not be used at all.
    pub unreadable: usize,
}

fn count_files(items: &[Item<'_>]) -> FileCounts {
    let mut c = FileCounts {
        files: items.len(),
        ..FileCounts::default()
    };
    for item in items {
        let r = match *item {
            Item::Checked(r) => r,
            Item::Unreadable(_) => {
                c.unreadable += 1;
                continue;
            }
        };
        c.checked += 1;
        let mut has = [false; 3];
        for f in &r.report.findings {
            has[match r.report.severity(f) {
                Severity::Error => 0,
                Severity::Warning => 1,
                Severity::Info => 2,
            }] = true;
        }
        has[0] |= r.input_errors() > 0;
        c.with_errors += usize::from(has[0]);
        c.with_warnings += usize::from(has[1]);
        c.with_info += usize::from(has[2]);
        c.clean += usize::from(has == [false; 3]);
    }
    c
}

/// Counts of the inputs of a run, by what was found in them.
pub fn count_outcomes(outcomes: &[Outcome]) -> FileCounts {
    count_files(&items_of_outcomes(outcomes))
}

/// Facts about a run as a whole that the results do not hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// Wall time of the whole run, reading and checking every input.
    pub wall: Option<Duration>,
    /// How many inputs were checked at once.
    pub jobs: Option<usize>,
}

fn failed(s: Summary, fail_on: FailOn) -> bool {
    match fail_on {
        FailOn::Error => s.error + s.input_errors > 0,
        FailOn::Warning => s.error + s.input_errors + s.warning > 0,
        FailOn::Never => false,
    }
}

/// Exit status: 1 when anything is at or above the threshold, else 0.
pub fn exit_code(results: &[InputResult], fail_on: FailOn) -> i32 {
    i32::from(failed(summarize(results), fail_on))
}

/// Exit status of a run: 2 when any input could not be used, else [`exit_code`] of the
/// inputs checked (1 when anything is at or above the threshold, else 0).
pub fn exit_code_outcomes(outcomes: &[Outcome], fail_on: FailOn) -> i32 {
    if outcomes.iter().any(|o| matches!(o, Outcome::Unreadable(_))) {
        return 2;
    }
    i32::from(failed(
        summarize_checked(outcomes.iter().filter_map(Outcome::checked)),
        fail_on,
    ))
}

pub use crate::time::seconds as fmt_time;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn result(name: &str, policy: Policy) -> InputResult {
        let path = format!("{}/../../traces/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("a bundled trace");
        let (trace, diagnostics) = crate::format::read_native_bytes(&bytes).expect("native");
        let report = crate::check::check_trace(&trace, policy);
        InputResult::new(format!("traces/{name}"), &trace, report, None, diagnostics)
    }

    fn run() -> (Vec<Outcome>, RunInfo) {
        let outcomes = vec![
            Outcome::Checked(Box::new(result("2012-report.jsonl", Policy::Vb2_2012))),
            Outcome::Unreadable(Unreadable::new(
                "missing.jsonl".into(),
                "missing.jsonl: cannot read: No such file or directory (os error 2)",
            )),
            Outcome::Checked(Box::new(result("clean-session.jsonl", Policy::Vb2_2012))),
        ];
        let info = RunInfo {
            wall: Some(Duration::from_millis(1234)),
            jobs: Some(2),
        };
        (outcomes, info)
    }

    #[test]
    fn report_unreadable_drops_only_a_leading_path() {
        let u = Unreadable::new("a.jsonl".into(), "a.jsonl: cannot read: gone");
        assert_eq!(u.error, "cannot read: gone");
        let u = Unreadable::new("a.vb2s".into(), "a.vb2s:2:1: unknown operation");
        assert_eq!(u.error, "a.vb2s:2:1: unknown operation");
    }

    #[test]
    fn report_exit_status_2_wins_over_findings() {
        let (mut outcomes, _) = run();
        assert_eq!(exit_code_outcomes(&outcomes, FailOn::Error), 2);
        assert_eq!(exit_code_outcomes(&outcomes, FailOn::Never), 2);
        outcomes.remove(1);
        assert_eq!(exit_code_outcomes(&outcomes, FailOn::Error), 1);
        assert_eq!(exit_code_outcomes(&outcomes, FailOn::Never), 0);
        let checked: Vec<InputResult> = outcomes
            .iter()
            .filter_map(Outcome::checked)
            .cloned()
            .collect();
        for on in [FailOn::Error, FailOn::Warning, FailOn::Never] {
            assert_eq!(exit_code_outcomes(&outcomes, on), exit_code(&checked, on));
        }
    }

    #[test]
    fn report_files_are_counted_by_severity() {
        let (outcomes, _) = run();
        let c = count_outcomes(&outcomes);
        assert_eq!(
            c,
            FileCounts {
                files: 3,
                checked: 2,
                with_errors: 1,
                with_warnings: 0,
                with_info: 0,
                clean: 1,
                unreadable: 1,
            }
        );
    }

    #[test]
    fn report_text_has_the_error_line_in_place_and_the_files_line_last() {
        let (outcomes, info) = run();
        let text = to_text_outcomes(&outcomes, info);
        let lines: Vec<&str> = text.lines().collect();
        let err = lines
            .iter()
            .position(|l| l.starts_with("missing.jsonl: "))
            .expect("the unreadable input's line");
        assert_eq!(
            lines[err],
            "missing.jsonl: error: cannot read: No such file or directory (os error 2)"
        );
        assert!(
            lines[..err]
                .iter()
                .all(|l| l.starts_with("traces/2012-report.jsonl"))
        );
        assert_eq!(
            lines[lines.len() - 2],
            "5 error(s), 0 warning(s), 0 info under policy vb2-2012; 1 unreadable file(s)"
        );
        assert_eq!(
            lines[lines.len() - 1],
            "3 file(s): 2 checked (1 with errors, 0 with warnings, 0 with info, 1 clean), \
             1 unreadable; 5 finding(s); 1.234 s wall time, 2 job(s)"
        );
        // Printed piece by piece, it is the same.
        let pieces: String =
            outcomes.iter().map(text_entry).collect::<String>() + &text_footer(&outcomes, info);
        assert_eq!(pieces, text);
        // One input: no files line, as before.
        let one = to_text(&[result("2012-report.jsonl", Policy::Vb2_2012)]);
        assert!(one.trim_end().ends_with("under policy vb2-2012"), "{one}");
    }

    #[test]
    fn report_json_has_an_entry_per_input_and_the_summary() {
        let (outcomes, info) = run();
        let v: serde_json::Value =
            serde_json::from_str(&to_json_outcomes(&outcomes, info)).expect("JSON");
        assert_eq!(v["version"], 1);
        let inputs = v["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), 3);
        assert_eq!(inputs[1]["path"], "missing.jsonl");
        assert_eq!(
            inputs[1]["error"],
            "cannot read: No such file or directory (os error 2)"
        );
        assert!(inputs[1].get("policy").is_none());
        assert!(inputs[0].get("error").is_none());
        assert_eq!(inputs[2]["policy"], "vb2-2012");
        let s = &v["summary"];
        for (k, n) in [
            ("error", 5),
            ("warning", 0),
            ("info", 0),
            ("input_errors", 0),
            ("findings", 5),
            ("files", 3),
            ("files_checked", 2),
            ("files_with_errors", 1),
            ("files_with_warnings", 0),
            ("files_with_info", 0),
            ("files_clean", 1),
            ("files_unreadable", 1),
            ("jobs", 2),
        ] {
            assert_eq!(s[k], n, "{k}");
        }
        assert_eq!(s["wall_time_s"], 1.234);
        // Without a run's facts, no wall time: the output of one input stays the same.
        let v: serde_json::Value =
            serde_json::from_str(&to_json(&[result("clean-session.jsonl", Policy::MODERN)]))
                .expect("JSON");
        assert!(v["summary"].get("wall_time_s").is_none());
    }

    #[test]
    fn report_junit_has_a_suite_per_input_and_the_totals() {
        let (outcomes, info) = run();
        let x = to_junit_outcomes(&outcomes, FailOn::Error, info);
        let per = crate::rules::RuleId::ALL.len() + 1;
        assert!(
            x.contains(&format!(
                "<testsuites name=\"vb2scope check\" tests=\"{}\" failures=\"2\" errors=\"1\" time=\"1.234\">",
                2 * per + 1
            )),
            "{x}"
        );
        assert!(x.contains(
            "  <testsuite name=\"missing.jsonl\" tests=\"1\" failures=\"0\" errors=\"1\">\n    \
             <testcase classname=\"missing.jsonl\" name=\"input is readable\">\n      \
             <error message=\"cannot read: No such file or directory (os error 2)\" type=\"unreadable\">"
        ), "{x}");
        let names: Vec<&str> = x
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("<testsuite name=\""))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(
            names,
            [
                "traces/2012-report.jsonl",
                "missing.jsonl",
                "traces/clean-session.jsonl"
            ]
        );
    }
}
