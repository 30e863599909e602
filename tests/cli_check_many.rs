//! `vb2scope check` of many inputs at once: one entry per input in the order given, inputs
//! that cannot be used reported in their place (exit status 2) while the others are checked,
//! one summary, the same findings as checking each input alone, whatever the number of jobs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vb2scope"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vb2scope-cli-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

fn tmp(name: &str, content: &[u8]) -> String {
    let p = tmp_dir().join(name);
    std::fs::write(&p, content).expect("write");
    p.display().to_string()
}

/// The bundled traces, `traces/*.jsonl`, by name, as paths relative to the repository.
fn traces() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("traces"))
        .expect("traces/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl"))
        .map(|n| format!("traces/{n}"))
        .collect();
    v.sort();
    assert!(v.len() >= 20, "{v:?}");
    v
}

/// Inputs that cannot be used, each for another reason, with what the error says.
fn broken() -> Vec<(String, &'static str)> {
    vec![
        (
            tmp("v99.jsonl", b"{\"vb2scope\":\"trace\",\"version\":99}\n"),
            "newer than this vb2scope reads",
        ),
        (
            tmp("junk.bin", b"\x00\x01 not a trace at all\n"),
            "not a format vb2scope reads",
        ),
        (
            tmp("bad.vb2s", b"reqbufs 2 mmap\nfrobnicate 3\n"),
            "unknown operation \"frobnicate\"",
        ),
        (
            tmp_dir().join("missing.jsonl").display().to_string(),
            "cannot read",
        ),
    ]
}

fn check(inputs: &[String], extra: &[&str]) -> Output {
    let mut args: Vec<&str> = vec!["check"];
    args.extend(extra);
    args.extend(inputs.iter().map(String::as_str));
    let o = run(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

/// The text of one input alone, without the totals line: what a run over many inputs prints
/// for it, in its place.
fn alone(path: &str, extra: &[&str]) -> (Vec<String>, Option<i32>) {
    let o = check(&[path.to_string()], extra);
    let out = stdout(&o);
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    let last = lines.pop().expect("a totals line");
    assert!(last.contains(" error(s), "), "{last}");
    (lines, o.status.code())
}

/// The lines of a run's text output, grouped by the input they name (in order of
/// appearance), and the footer lines that name none.
fn by_input(out: &str, inputs: &[String]) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut footer = Vec::new();
    for line in out.lines() {
        // The longest input name that the line starts with, followed by `:`.
        let owner = inputs
            .iter()
            .filter(|p| {
                line.strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with(':'))
            })
            .max_by_key(|p| p.len());
        match owner {
            Some(p) => match groups.last_mut() {
                Some((q, lines)) if q == p => lines.push(line.to_string()),
                _ => groups.push((p.clone(), vec![line.to_string()])),
            },
            None => footer.push(line.to_string()),
        }
    }
    (groups, footer)
}

/// The run's output with its wall time and job count taken out.
fn timeless(s: &str) -> String {
    s.lines()
        .filter(|l| !l.contains("\"wall_time_s\"") && !l.contains("\"jobs\""))
        .map(|l| {
            if l.contains(" file(s): ") && l.contains(" s wall time") {
                l[..l.rfind("; ").expect("a wall time part")].to_string()
            } else if let Some(i) = l.find(" time=\"").filter(|_| l.starts_with("<testsuites ")) {
                format!("{}>", &l[..i])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each input's lines, in the order given, are exactly what it prints alone; the unusable
/// ones are one `PATH: error: …` line each, in their place; the status is 2 with them and
/// the worst status of the inputs alone without them.
#[test]
fn many_inputs_give_an_entry_each_in_order_and_one_summary() {
    let traces = traces();
    let broken = broken();
    // The broken inputs among the good ones: first, in the middle, last.
    let mut inputs = traces.clone();
    inputs.insert(0, broken[0].0.clone());
    inputs.insert(inputs.len() / 2, broken[1].0.clone());
    inputs.insert(inputs.len() / 2 + 3, broken[2].0.clone());
    inputs.push(broken[3].0.clone());

    let o = check(&inputs, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    let (groups, footer) = by_input(&out, &inputs);
    let order: Vec<&String> = groups.iter().map(|(p, _)| p).collect();
    assert_eq!(
        order,
        inputs.iter().collect::<Vec<_>>(),
        "one entry per input, in order (`--policy auto` gives every input a line):\n{out}"
    );
    let mut worst = 0;
    for (path, lines) in &groups {
        if let Some((_, why)) = broken.iter().find(|(b, _)| b == path) {
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(
                lines[0].starts_with(&format!("{path}: error: ")) && lines[0].contains(why),
                "{lines:?}"
            );
            assert!(
                stderr(&o).contains(&format!("vb2scope: error: {path}")),
                "{}",
                stderr(&o)
            );
        } else {
            let (want, code) = alone(path, &[]);
            assert_eq!(lines, &want, "{path}");
            worst = worst.max(code.expect("an exit status"));
        }
    }
    // The summary: totals (as for one input, with the unreadable files), then the files.
    assert_eq!(footer.len(), 2, "{footer:?}");
    assert!(
        footer[0].ends_with(&format!("; {} unreadable file(s)", broken.len())),
        "{}",
        footer[0]
    );
    let json = check(&traces, &["--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let s = &v["summary"];
    let files = format!(
        "{} file(s): {} checked ({} with errors, {} with warnings, {} with info, {} clean), {} unreadable; {} finding(s); ",
        inputs.len(),
        traces.len(),
        s["files_with_errors"],
        s["files_with_warnings"],
        s["files_with_info"],
        s["files_clean"],
        broken.len(),
        s["findings"],
    );
    assert!(footer[1].starts_with(&files), "{}\n{files}", footer[1]);
    assert!(footer[1].contains(" s wall time, "), "{}", footer[1]);

    // Without the broken inputs: the worst status of the inputs alone.
    let o = check(&traces, &[]);
    assert_eq!(o.status.code(), Some(worst), "{}", stdout(&o));
    assert!(worst < 2);
    let o = check(&traces, &["--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0));
    // --fail-on never does not hide an input that could not be used.
    let mut with_one = traces.clone();
    with_one.push(broken[3].0.clone());
    let o = check(&with_one, &["--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(2));
}

/// On every bundled trace, under a fixed policy and under `auto`: the findings of a run over
/// all of them are those of each checked alone, in the same order; and the number of jobs
/// changes nothing but the wall time.
#[test]
fn checking_together_finds_what_checking_alone_finds() {
    let traces = traces();
    for policy in ["auto", "vb2-2012", "spec"] {
        let together = check(&traces, &["--policy", policy, "--format", "json"]);
        let v: Value = serde_json::from_slice(&together.stdout).expect("JSON");
        let mut findings = Vec::new();
        let mut inputs = Vec::new();
        let mut diagnostics = Vec::new();
        let mut worst = 0;
        for t in &traces {
            let o = check(
                std::slice::from_ref(t),
                &["--policy", policy, "--format", "json"],
            );
            worst = worst.max(o.status.code().expect("a status"));
            let one: Value = serde_json::from_slice(&o.stdout).expect("JSON");
            findings.extend(one["findings"].as_array().expect("findings").clone());
            inputs.extend(one["inputs"].as_array().expect("inputs").clone());
            diagnostics.extend(one["diagnostics"].as_array().expect("diagnostics").clone());
        }
        assert_eq!(v["findings"].as_array(), Some(&findings), "{policy}");
        assert_eq!(v["inputs"].as_array(), Some(&inputs), "{policy}");
        assert_eq!(v["diagnostics"].as_array(), Some(&diagnostics), "{policy}");
        assert_eq!(together.status.code(), Some(worst), "{policy}");
        assert_eq!(v["summary"]["files"], traces.len(), "{policy}");
        assert_eq!(v["summary"]["findings"], findings.len(), "{policy}");

        // One job or many: the same output, byte for byte but for the wall time.
        for format in ["text", "json", "junit"] {
            let outs: Vec<String> = ["1", "3", "0"]
                .iter()
                .map(|j| {
                    let o = check(&traces, &["--policy", policy, "--format", format, "-j", j]);
                    assert_eq!(o.status.code(), Some(worst), "{policy} {format} -j {j}");
                    timeless(&stdout(&o))
                })
                .collect();
            assert_eq!(outs[0], outs[1], "{policy} {format}");
            assert_eq!(outs[0], outs[2], "{policy} {format}");
        }
    }
}

/// JUnit: one suite per input in the order given, an unusable input a suite whose one case
/// is in error, and `<testsuites>` adding them up.
#[test]
fn junit_has_a_suite_per_input_and_the_totals() {
    let traces = traces();
    let broken = broken();
    let mut inputs = vec![traces[0].clone(), broken[3].0.clone()];
    inputs.extend(traces[1..4].iter().cloned());
    let o = check(&inputs, &["--format", "junit", "--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(2));
    let x = stdout(&o);
    let suites: Vec<(String, [usize; 3])> = x
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("<testsuite name=\""))
        .map(|l| {
            let name = l.split('"').next().expect("a name").to_string();
            let attr = |a: &str| -> usize {
                let i = l.find(&format!(" {a}=\"")).expect(a) + a.len() + 3;
                l[i..].split('"').next().expect(a).parse().expect(a)
            };
            (name, [attr("tests"), attr("failures"), attr("errors")])
        })
        .collect();
    let names: Vec<&String> = suites.iter().map(|(n, _)| n).collect();
    assert_eq!(names, inputs.iter().collect::<Vec<_>>());
    let sum = |k: usize| suites.iter().map(|(_, c)| c[k]).sum::<usize>();
    assert!(
        x.contains(&format!(
            "<testsuites name=\"vb2scope check\" tests=\"{}\" failures=\"{}\" errors=\"1\" time=\"",
            sum(0),
            sum(1)
        )),
        "{x}"
    );
    assert_eq!(suites[1].1, [1, 0, 1]);
    assert!(
        x.contains("<error message=\"cannot read: No such file or directory"),
        "{x}"
    );
    // Each checked input's suite is the one it has alone.
    for t in &inputs[2..] {
        let alone = stdout(&check(
            std::slice::from_ref(t),
            &["--format", "junit", "--fail-on", "warning"],
        ));
        let suite = |x: &str| -> String {
            let start = x
                .find(&format!("  <testsuite name=\"{t}\""))
                .expect("its suite");
            let end = start + x[start..].find("  </testsuite>\n").expect("the end");
            x[start..end].to_string()
        };
        assert_eq!(suite(&x), suite(&alone), "{t}");
    }
}

/// `--json FILE` and `--junit FILE` write what `--format json` and `--format junit` print,
/// beside the text on standard output.
#[test]
fn json_and_junit_files_beside_the_text() {
    let traces = traces();
    let mut inputs = traces[..5].to_vec();
    inputs.push(broken()[0].0.clone());
    let json = tmp_dir().join("report.json").display().to_string();
    let junit = tmp_dir().join("report.xml").display().to_string();
    let o = check(&inputs, &["--json", &json, "--junit", &junit]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains(" file(s): 5 checked ("),
        "{}",
        stdout(&o)
    );
    let read = |p: &str| std::fs::read_to_string(p).expect("written");
    let printed = |f: &str| stdout(&check(&inputs, &["--format", f]));
    assert_eq!(timeless(&read(&json)), timeless(&printed("json")));
    assert_eq!(timeless(&read(&junit)), timeless(&printed("junit")));
    let v: Value = serde_json::from_str(&read(&json)).expect("JSON");
    let last = &v["inputs"][5];
    assert_eq!(last["path"], inputs[5].as_str());
    assert!(
        last["error"]
            .as_str()
            .is_some_and(|e| e.contains("newer than this vb2scope reads")),
        "{last}"
    );
    assert!(v["summary"]["wall_time_s"].is_number());
    assert_eq!(v["summary"]["files_unreadable"], 1);

    // A report that cannot be written: status 2, said on standard error.
    let o = check(&traces[..1], &["--junit", "/nonexistent/dir/report.xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/dir/report.xml: cannot write"),
        "{}",
        stderr(&o)
    );
}
