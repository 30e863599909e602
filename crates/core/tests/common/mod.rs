//! Helpers shared by the integration tests.
#![allow(dead_code)]

use vb2scope_core::check::{CheckReport, check_trace};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario;
use vb2scope_core::trace::{Body, Trace};
use vb2scope_core::v4l2::{BufType, MemopKind, Origin, Outcome};

/// Runs scenario text under a policy; panics with the parse error (a test input bug).
pub fn run(text: &str, policy: Policy) -> Trace {
    let sc = scenario::parse("test.vb2s", text).unwrap_or_else(|e| panic!("{e}"));
    scenario::run(&sc, policy).unwrap_or_else(|e| panic!("{e}"))
}

/// The result of the operation on scenario line `line`.
pub fn result_at(t: &Trace, line: u32) -> Outcome {
    t.events
        .iter()
        .find(|e| e.line() == line && e.origin() == Origin::Scripted)
        .map(|e| match e.body {
            Body::Ioctl { result, .. } => result,
            _ => Ok(()),
        })
        .unwrap_or_else(|| panic!("no operation on line {line}"))
}

/// The memops inferred for scenario line `line`, as `kind index/plane`.
pub fn memops_at(t: &Trace, line: u32) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.line() == line && e.origin() == Origin::Inferred)
        .filter_map(|e| match e.body {
            Body::Memop {
                kind, index, plane, ..
            } => Some(format!("{} {index}/{plane}", kind.as_str())),
            _ => None,
        })
        .collect()
}

/// The kernel messages inferred for scenario line `line`.
pub fn klogs_at(t: &Trace, line: u32) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.line() == line && e.origin() == Origin::Inferred)
        .filter_map(|e| match e.body {
            Body::Klog { text } => Some(t.str(text).to_string()),
            _ => None,
        })
        .collect()
}

/// The V4L2 flags a QUERYBUF/DQBUF on line `line` returned.
pub fn flags_at(t: &Trace, line: u32) -> u32 {
    t.events
        .iter()
        .find(|e| e.line() == line && e.origin() == Origin::Scripted)
        .and_then(|e| match e.body {
            Body::Ioctl { arg, .. } => match t.arg(arg) {
                Some(vb2scope_core::trace::IoctlArg::Buffer(buf)) => Some(buf.flags),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| panic!("no buffer ioctl on line {line}"))
}

/// Checks scenario text under a policy.
pub fn check(text: &str, policy: Policy) -> CheckReport {
    check_trace(&run(text, policy), policy)
}

/// The rules of a report's findings, in order, e.g. `["R03", "R05"]`.
pub fn rules(r: &CheckReport) -> Vec<String> {
    r.findings.iter().map(|f| f.rule.to_string()).collect()
}

/// Findings rendered without event numbers, for comparing two traces of one scenario.
pub fn render(r: &CheckReport) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} t={} queue={} index={} plane={}: {}",
                f.rule,
                r.severity(f).as_str(),
                f.t_ns,
                f.queue.map(|q| q.to_string()).unwrap_or("-".into()),
                f.index.map(|i| i.to_string()).unwrap_or("-".into()),
                f.plane.map(|p| p.to_string()).unwrap_or("-".into()),
                f.message()
            )
        })
        .collect()
}

/// Observed memops of one kind, as (queue type, buffer index), sorted.
pub fn memops_per_buffer(t: &Trace, kind: MemopKind) -> Vec<(BufType, u32)> {
    let mut v: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.origin() == Origin::Observed)
        .filter_map(|e| match e.body {
            Body::Memop {
                kind: k, ty, index, ..
            } if k == kind => Some((ty, index)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

/// The curated scenarios in `traces/`, sorted.
pub fn curated_scenarios() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("traces");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("traces/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "vb2s"))
        .collect();
    v.sort();
    v
}
