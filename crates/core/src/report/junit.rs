//! JUnit XML for CI systems: a test suite per input, a test case per rule; a case fails when
//! the rule has findings at or above the `--fail-on` threshold.

use std::fmt::Write as _;

use crate::format::DiagSeverity;
use crate::rules::{RuleId, Severity, info};

use super::{FailOn, InputResult};

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

pub fn to_junit(results: &[InputResult], fail_on: FailOn) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"vb2scope check\">\n",
    );
    for r in results {
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
    }
    out.push_str("</testsuites>\n");
    out
}
