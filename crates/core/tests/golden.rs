//! Golden findings: every scenario in traces/ under every policy, and its recorded trace
//! giving the same findings.

mod common;

use vb2scope_core::check::check_trace;
use vb2scope_core::format::read_native_bytes;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario;

fn scenarios() -> Vec<std::path::PathBuf> {
    common::curated_scenarios()
}

#[test]
fn at_least_ten_curated_scenarios_with_traces() {
    let s = scenarios();
    assert!(s.len() >= 10, "{} scenarios", s.len());
    for p in s {
        assert!(
            p.with_extension("jsonl").exists(),
            "{} has no recorded trace",
            p.display()
        );
        let text = std::fs::read_to_string(&p).expect("readable");
        assert!(
            text.starts_with('#'),
            "{} has no header comment",
            p.display()
        );
    }
}

#[test]
fn findings_of_every_scenario_under_every_policy() {
    for path in scenarios() {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let sc = scenario::parse(&name, &text).expect("parses");
        let bytes = std::fs::read(path.with_extension("jsonl")).expect("trace");
        let (recorded, diags) = read_native_bytes(&bytes).expect("trace loads");
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let mut out = String::new();
        for p in Policy::ALL {
            let trace = scenario::run(&sc, p).expect("runs");
            let report = check_trace(&trace, p);
            let lines = common::render(&report);
            // The recorded trace replays to the same findings (event numbers aside: the
            // recording policy changes how many inferred events there are).
            assert_eq!(
                common::render(&check_trace(&recorded, p)),
                lines,
                "{name} under {p}"
            );
            out.push_str(&format!("== {p}\n"));
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
        insta::assert_snapshot!(name, out);
    }
}
