//! JUnit XML for CI systems: a test suite per input, a test case per rule; a case fails when
//! the rule has findings at or above the `--fail-on` threshold. An input that could not be
//! used is a suite of one case, `input is readable`, in error.

use std::fmt::Write as _;

use crate::format::DiagSeverity;
use crate::rules::{RuleId, Severity, info};

use super::{FailOn, InputResult, Item, Outcome, RunInfo, items_of_outcomes, items_of_results};

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

fn fails(s: Severity, on: FailOn) -> bool {
    match on {
        FailOn::Error => s == Severity::Error,
        FailOn::Warning => s >= Severity::Warning,
        FailOn::Never => false,
    }
}

/// One suite per input, in the order given.
pub fn to_junit(results: &[InputResult], fail_on: FailOn) -> String {
    junit_of(&items_of_results(results), fail_on, RunInfo::default())
}

/// [`to_junit`] of a whole run: an input that could not be used is a suite whose one case
/// has an `<error>`, and `<testsuites>` has the totals and the wall time.
pub fn to_junit_outcomes(outcomes: &[Outcome], fail_on: FailOn, run: RunInfo) -> String {
    junit_of(&items_of_outcomes(outcomes), fail_on, run)
}

/// Totals of the suites, for `<testsuites>`.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
}

fn junit_of(items: &[Item<'_>], fail_on: FailOn, run: RunInfo) -> String {
    let mut suites = String::new();
    let mut total = Counts::default();
    for &item in items {
        let c = match item {
            Item::Checked(r) => write_checked(&mut suites, r, fail_on),
            Item::Unreadable(u) => {
                let _ = writeln!(
                    suites,
                    "  <testsuite name=\"{p}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"{p}\" name=\"input is readable\">\n      <error message=\"{e}\" type=\"unreadable\">{p}: {e}</error>\n    </testcase>\n  </testsuite>",
                    p = esc(&u.path),
                    e = esc(&u.error)
                );
                Counts {
                    tests: 1,
                    failures: 0,
                    errors: 1,
                }
            }
        };
        total.tests += c.tests;
        total.failures += c.failures;
        total.errors += c.errors;
    }
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"vb2scope check\" tests=\"{}\" failures=\"{}\" errors=\"{}\"",
        total.tests, total.failures, total.errors
    );
    if let Some(wall) = run.wall {
        let _ = write!(out, " time=\"{:.3}\"", wall.as_secs_f64());
    }
    out.push_str(">\n");
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

/// The suite of one checked input: a case per rule, then `input is readable`.
fn write_checked(out: &mut String, r: &InputResult, fail_on: FailOn) -> Counts {
    let mut cases = String::new();
    let mut failures = 0;
    let mut tests = 0;
    for rule in RuleId::ALL {
        let mine: Vec<_> = r
            .report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .collect();
        let inf = info(rule);
        tests += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}: {}\"",
            esc(&r.path),
            rule,
            esc(inf.title)
        );
        let failing: Vec<_> = mine
            .iter()
            .filter(|f| fails(r.report.severity(f), fail_on))
            .collect();
        if mine.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        let lines: Vec<String> = mine
            .iter()
            .map(|f| {
                format!(
                    "[{}] t={} event {}: {}",
                    r.report.severity(f).as_str(),
                    r.time.rel_seconds(f.t_ns),
                    f.event,
                    f.message()
                )
            })
            .collect();
        if failing.is_empty() {
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                esc(&lines.join("\n"))
            );
        } else {
            failures += 1;
            let _ = writeln!(
                cases,
                "      <failure message=\"{} finding(s) under policy {}\" type=\"{}\">{}</failure>",
                failing.len(),
                r.report.policy,
                rule,
                esc(&lines.join("\n"))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    let bad: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Error)
        .collect();
    tests += 1;
    let _ = write!(
        cases,
        "    <testcase classname=\"{}\" name=\"input is readable\"",
        esc(&r.path)
    );
    if bad.is_empty() || fail_on == FailOn::Never {
        cases.push_str("/>\n");
    } else {
        failures += 1;
        let text: Vec<String> = bad.iter().map(|d| d.to_string()).collect();
        let _ = writeln!(
            cases,
            ">\n      <failure message=\"{} unreadable line(s)\">{}</failure>\n    </testcase>",
            bad.len(),
            esc(&text.join("\n"))
        );
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        esc(&r.path)
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"policy\" value=\"{}\"/></properties>",
        r.report.policy
    );
    out.push_str(&cases);
    out.push_str("  </testsuite>\n");
    Counts {
        tests,
        failures,
        errors: 0,
    }
}
