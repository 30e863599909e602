//! The lessons of `traces/lessons/`: each runs, keeps its `expect` lines under today's vb2,
//! narrates steps the window can reach, quotes sentences the rule catalogue holds word for
//! word, and shows what it says it shows under each policy.

mod common;

use std::path::{Path, PathBuf};

use vb2scope_core::check::{CheckReport, check_trace};
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, all_rules};
use vb2scope_core::scenario::{self, Lesson};
use vb2scope_core::trace::Trace;

fn lessons() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../traces/lessons");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("traces/lessons")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "vb2s"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("lesson");
            (p, text)
        })
        .collect();
    out.sort();
    out
}

fn policy(name: &str) -> Policy {
    Policy::parse(name).expect("policy")
}

fn run(text: &str, p: Policy) -> (Trace, CheckReport) {
    let trace = common::run(text, p);
    let report = check_trace(&trace, p);
    (trace, report)
}

fn has(r: &CheckReport, rule: RuleId) -> bool {
    r.findings.iter().any(|f| f.rule == rule)
}

#[test]
fn every_lesson_runs_narrates_and_quotes_the_catalogue() {
    let all = lessons();
    assert_eq!(all.len(), 8, "the eight lessons");
    let quotes: Vec<&str> = all_rules().map(|r| r.quote).collect();
    for (path, text) in &all {
        let name = path.display();
        let lesson = Lesson::parse(text);
        assert!(
            !lesson.title.is_empty() && !lesson.intro.is_empty(),
            "{name}"
        );
        assert!(
            lesson.steps.len() >= 5,
            "{name}: {} steps",
            lesson.steps.len()
        );
        let quoted: Vec<&String> = lesson.steps.iter().flat_map(|s| &s.quotes).collect();
        assert!(!quoted.is_empty(), "{name} quotes nothing");
        for q in quoted {
            assert!(
                quotes.contains(&q.as_str()),
                "{name}: not a catalogue quote: {q}"
            );
        }
        let (trace, report) = run(text, Policy::MODERN);
        assert!(
            !has(&report, RuleId::Expect),
            "{name}: {:?}",
            report.findings
        );
        // Each narrated statement records an event the step cursor can stop on.
        for s in &lesson.steps {
            assert!(
                trace.events.iter().any(|e| e.line() == s.line),
                "{name}: nothing recorded on narrated line {}",
                s.line
            );
            assert!(
                !s.text.is_empty(),
                "{name}: line {} has only a quote",
                s.line
            );
        }
    }
}

fn lesson(prefix: &str) -> String {
    lessons()
        .into_iter()
        .find(|(p, _)| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .map(|(_, t)| t)
        .expect("lesson")
}

/// What each lesson says each policy does.
#[test]
fn lessons_show_what_they_say() {
    // 04: the double map of vb2 2012, a plain map under 3.8, nothing to map under modern.
    let dma = lesson("04");
    assert!(has(&run(&dma, policy("vb2-2012")).1, RuleId::R05));
    for p in ["vb2-3.8", "modern"] {
        assert!(!has(&run(&dma, policy(p)).1, RuleId::R05), "{p}");
    }
    // 03: the pin outlives STREAMOFF everywhere; only the spec calls that a deviation.
    let up = lesson("03");
    assert!(has(&run(&up, Policy::MODERN).1, RuleId::R01));
    // 05: a second STREAMOFF is 0 today, EINVAL in 2012.
    let off = lesson("05");
    assert!(has(&run(&off, policy("vb2-2012")).1, RuleId::Expect));
    assert!(has(&run(&off, Policy::MODERN).1, RuleId::R12));
    // 06: 3.8 refuses to free mapped buffers; today they are orphaned.
    let orphan = lesson("06");
    assert!(has(&run(&orphan, policy("vb2-3.8")).1, RuleId::Expect));
    // 07: a driver keeping buffers is R08 under every policy.
    let keeps = lesson("07");
    for p in Policy::ALL {
        assert!(has(&run(&keeps, p).1, RuleId::R08), "{p}");
    }
    // 08: REMOVE_BUFS over a queued buffer is R21; vb2 of 2012 has no REMOVE_BUFS.
    let remove = lesson("08");
    assert!(has(&run(&remove, Policy::MODERN).1, RuleId::R21));
    assert!(has(&run(&remove, policy("vb2-2012")).1, RuleId::Expect));
}

/// The scenario parser takes a lesson as any scenario: the narration is only comments.
#[test]
fn lessons_are_plain_scenarios() {
    for (path, text) in lessons() {
        let sc = scenario::parse(&path.display().to_string(), &text).expect("parses");
        assert!(!sc.title.is_empty());
    }
}
