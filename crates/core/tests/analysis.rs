//! The one analysis path: inputs of each kind in, the policy with its reason, findings and
//! timeline out.

use std::path::Path;

use vb2scope_core::analysis::{
    Analysis, AnalysisError, Depth, PolicyChoice, SCENARIO_AUTO, analyze,
};
use vb2scope_core::import::Format;
use vb2scope_core::policy::Policy;
use vb2scope_core::progress::Progress;

fn traces(name: &str) -> Vec<u8> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("traces")
        .join(name);
    std::fs::read(p).expect("bundled trace")
}

fn rules(a: &Analysis) -> Vec<String> {
    a.report()
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .collect()
}

#[test]
fn a_scenario_under_auto_runs_under_modern_and_says_why() {
    let a = analyze(
        "2012-report.vb2s",
        &traces("2012-report.vb2s"),
        None,
        PolicyChoice::Auto,
        Depth::Findings,
        None,
    )
    .expect("analyses");
    assert!(a.is_scenario());
    assert_eq!(a.policy, Policy::MODERN);
    assert_eq!(a.reason.as_deref(), Some(SCENARIO_AUTO));
    assert!(a.timeline().is_none(), "findings only");
    assert!(a.scores.is_empty());
}

#[test]
fn rejudging_a_scenario_runs_it_again_under_the_new_policy() {
    let bytes = traces("2012-report.vb2s");
    let fixed = PolicyChoice::Fixed(Policy::Vb2_2012);
    let mut a = analyze(
        "2012-report.vb2s",
        &bytes,
        None,
        fixed,
        Depth::Timeline,
        None,
    )
    .expect("analyses");
    assert!(rules(&a).contains(&"R05".to_string()), "{:?}", rules(&a));
    assert_eq!(a.reason, None, "a fixed policy needs no reason");
    let tl = a.timeline().expect("a timeline");
    assert_eq!(tl.report.findings.len(), a.report().findings.len());
    a.rejudge(PolicyChoice::Fixed(Policy::MODERN), Depth::Timeline, None)
        .expect("rejudged");
    assert_eq!(a.policy, Policy::MODERN);
    assert!(!rules(&a).contains(&"R05".to_string()), "{:?}", rules(&a));
}

#[test]
fn a_trace_under_auto_keeps_every_score_and_the_chosen_report() {
    let a = analyze(
        "2012-report.jsonl",
        &traces("2012-report.jsonl"),
        None,
        PolicyChoice::Auto,
        Depth::Findings,
        None,
    )
    .expect("analyses");
    assert!(!a.is_scenario());
    assert!(a.reason.is_some());
    let chosen = a
        .scores
        .iter()
        .find(|s| s.policy == a.policy)
        .expect("scored");
    assert_eq!(chosen.report.findings.len(), a.report().findings.len());
}

#[test]
fn findings_and_timeline_depths_agree() {
    let bytes = traces("clean-session.jsonl");
    let fixed = PolicyChoice::Fixed(Policy::MODERN);
    let f = analyze("c.jsonl", &bytes, None, fixed, Depth::Findings, None).expect("findings");
    let t = analyze("c.jsonl", &bytes, None, fixed, Depth::Timeline, None).expect("timeline");
    assert_eq!(rules(&f), rules(&t));
    assert!(!t.timeline().expect("built").lanes.is_empty());
}

#[test]
fn errors_are_typed() {
    let e = analyze(
        "x.bin",
        b"\x00\x01 nothing",
        None,
        PolicyChoice::Auto,
        Depth::Findings,
        None,
    )
    .expect_err("not a trace");
    assert!(matches!(e, AnalysisError::Import { .. }), "{e}");
    assert!(e.to_string().starts_with("x.bin: "), "{e}");
    let e = analyze(
        "bad.vb2s",
        b"frobnicate 0\n",
        None,
        PolicyChoice::Auto,
        Depth::Findings,
        None,
    )
    .expect_err("no such statement");
    assert!(matches!(e, AnalysisError::Scenario(_)), "{e}");
    let e = analyze(
        "a.jsonl",
        &[0xff, 0xfe],
        Some(Format::Scenario),
        PolicyChoice::Auto,
        Depth::Findings,
        None,
    )
    .expect_err("a forced scenario must be text");
    assert!(matches!(e, AnalysisError::NotText { .. }), "{e}");
}

#[test]
fn a_cancelled_read_is_cancelled_not_an_error_in_the_input() {
    let p = Progress::default();
    p.cancel();
    let bytes = traces("2012-report.jsonl");
    let e = analyze(
        "a.jsonl",
        &bytes,
        None,
        PolicyChoice::Auto,
        Depth::Timeline,
        Some(&p),
    )
    .expect_err("cancelled");
    assert!(matches!(e, AnalysisError::Cancelled), "{e}");
}

#[test]
fn policy_choices_parse_and_print_back() {
    for c in PolicyChoice::all() {
        assert_eq!(c.to_string().parse::<PolicyChoice>(), Ok(c));
    }
    assert_eq!("AUTO".parse::<PolicyChoice>(), Ok(PolicyChoice::Auto));
    assert_eq!(
        "linux-6.1".parse::<PolicyChoice>().map(|c| c.to_string()),
        Ok("linux-6.1".to_string())
    );
    let e = "vb2-1999".parse::<PolicyChoice>().expect_err("unknown");
    assert!(e.contains("auto"), "{e}");
    assert_eq!(PolicyChoice::default(), PolicyChoice::Auto);
}

/// Under `auto`, the window's analysis replays the first policy with the timeline and keeps
/// that replay when the choice stays; `check` replays a trace that shows nothing of the
/// kernel once. Both must say exactly what choosing among every policy says: the same
/// policy, reason and findings, on real captures (strace, the recorder, scenarios' records)
/// of every kernel the corpus holds.
#[test]
fn auto_with_one_replay_says_what_every_replay_says() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut inputs: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("traces"))
        .expect("traces/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    let corpus = root.join("tests/fixtures/corpus/linux-6.12.118+deb12-amd64");
    inputs.extend(
        std::fs::read_dir(&corpus)
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.to_string_lossy();
                n.ends_with(".strace.txt.zst") || n.ends_with(".record.jsonl.zst")
            }),
    );
    inputs.sort();
    assert!(inputs.len() > 40, "{}", inputs.len());
    let said = |a: &Analysis| {
        let findings: Vec<String> = a
            .report()
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {:?} {}",
                    f.rule,
                    f.event,
                    a.report().severity(f).as_str()
                )
            })
            .collect();
        (a.policy, a.reason.clone(), findings, a.report().stats)
    };
    for p in inputs {
        let bytes = std::fs::read(&p).expect("input");
        let name = p.display().to_string();
        let run = |depth| {
            analyze(&name, &bytes, None, PolicyChoice::Auto, depth, None).expect("analyses")
        };
        let (check, window) = (run(Depth::Findings), run(Depth::Timeline));
        let (trace, _) =
            vb2scope_core::import::import_bytes(&bytes, &name, None, None).expect("imports");
        let every = vb2scope_core::check::choose_policy(&trace.trace);
        assert_eq!(check.policy, every.policy, "{name}");
        assert_eq!(
            check.reason.as_deref(),
            Some(every.reason.as_str()),
            "{name}"
        );
        assert_eq!(said(&check), said(&window), "{name}");
        let full = every
            .scores
            .iter()
            .find(|s| s.policy == every.policy)
            .expect("the chosen policy's score");
        assert_eq!(
            check.report().findings.len(),
            full.report.findings.len(),
            "{name}"
        );
        assert_eq!(check.report().stats, full.report.stats, "{name}");
    }
}

/// Resuming the replay from the timeline's checkpoints gives the model exactly as replaying
/// from the start does, at every event around a checkpoint and between them.
#[test]
fn a_replay_resumed_from_a_checkpoint_is_the_replay_from_the_start() {
    use vb2scope_core::check::{Checkpoints, replay_until};
    use vb2scope_core::scenario::{parse, run, streaming_workload};
    let every = Checkpoints::EVERY;
    let sc = parse(
        "w.vb2s",
        &streaming_workload(every * 2 / 8 + 100, vb2scope_core::v4l2::Memory::Dmabuf),
    )
    .expect("parses");
    let t = run(&sc, Policy::MODERN).expect("runs");
    assert!(t.events.len() > 2 * every);
    let tl = vb2scope_core::timeline::build(&t, Policy::MODERN);
    assert!(tl.checkpoints.len() >= 3);
    let state = |m: &vb2scope_core::model::Model| format!("{:?}", m.queues);
    for c in [
        0,
        1,
        every - 1,
        every,
        every + 1,
        every + 777,
        2 * every + 3,
    ] {
        let mut fresh = None;
        replay_until(&t, Policy::MODERN, |i, m| {
            if i == c {
                fresh = Some(state(m));
            }
            i < c
        });
        let mut resumed = None;
        tl.checkpoints.resume(&t, Policy::MODERN, c, |i, m| {
            if i == c {
                resumed = Some(state(m));
            }
            i < c
        });
        assert!(fresh.is_some());
        assert_eq!(fresh, resumed, "at event {c}");
    }
    // Another policy than the checkpoints' replays from the start, and agrees too.
    let mut other = None;
    tl.checkpoints
        .resume(&t, Policy::Vb2_2012, every + 5, |i, m| {
            if i == every + 5 {
                other = Some(state(m));
            }
            i < every + 5
        });
    let mut fresh = None;
    replay_until(&t, Policy::Vb2_2012, |i, m| {
        if i == every + 5 {
            fresh = Some(state(m));
        }
        i < every + 5
    });
    assert_eq!(other, fresh);
}
