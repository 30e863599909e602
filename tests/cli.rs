//! The command line as a user runs it: exit codes, output formats, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vb2scope_core::format::{read_native_bytes, write_native};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario;
use vb2scope_core::v4l2::Origin;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vb2scope"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vb2scope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(
        !e.contains("panicked") && !e.contains("RUST_BACKTRACE"),
        "{e}"
    );
}

#[test]
fn exit_codes_follow_the_threshold() {
    let o = run(&["check", "traces/clean-session.vb2s"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(&["check", "traces/2012-report.vb2s", "--policy", "vb2-2012"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("R05 error"), "{}", stdout(&o));
    let o = run(&[
        "check",
        "traces/2012-report.vb2s",
        "--policy",
        "vb2-2012",
        "--fail-on",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["check", "traces/2012-report.jsonl", "--policy", "modern"]);
    assert_eq!(o.status.code(), Some(0), "R03 is info under modern");
    let o = run(&[
        "check",
        "traces/dqbuf-not-streaming.vb2s",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(o.status.code(), Some(1), "R12 is a warning");
}

#[test]
fn text_lines_name_rule_severity_time_queue_index_plane() {
    let o = run(&["check", "traces/2012-report.jsonl", "--policy", "vb2-2012"]);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains(" R05 "))
        .expect("an R05 line");
    // Times count from the first buffer event (REQBUFS at 2 ms), which a note places.
    assert!(
        line.contains("R05 error t=+0.015000 queue=cap index=0 plane=0"),
        "{line}"
    );
    assert!(
        out.contains("note: times are from the first buffer event, at 0.002000 s"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("under policy vb2-2012"), "{out}");
}

#[test]
fn json_output_is_the_documented_object() {
    let o = run(&[
        "check",
        "traces/2012-report.jsonl",
        "traces/clean-session.vb2s",
        "--policy",
        "vb2-2012",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 5);
    for key in [
        "rule", "severity", "event", "t_ns", "queue", "index", "plane", "message",
    ] {
        assert!(findings.iter().all(|f| f.get(key).is_some()), "{key}");
    }
    assert_eq!(findings[2]["rule"], "R05");
    assert_eq!(findings[2]["t_ns"], 17_000_000);
    assert!(v["diagnostics"].is_array());
    assert_eq!(v["inputs"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["summary"]["error"], 5);
}

#[test]
fn junit_fails_the_rules_with_errors() {
    let o = run(&[
        "check",
        "traces/2012-report.jsonl",
        "--policy",
        "vb2-2012",
        "--format",
        "junit",
    ]);
    let x = stdout(&o);
    assert!(x.starts_with("<?xml"));
    assert!(
        x.contains(&format!(
            "<testsuite name=\"traces/2012-report.jsonl\" tests=\"{}\" failures=\"2\"",
            vb2scope_core::rules::RuleId::ALL.len() + 1
        )),
        "{x}"
    );
    assert!(x.contains("name=\"R05: "), "{x}");
    assert!(
        x.contains("<failure message=\"2 finding(s) under policy vb2-2012\" type=\"R05\">"),
        "{x}"
    );
}

/// The 2012 scenario as a real kernel would have shown it: every result and memop observed.
fn observed_2012_trace() -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/2012-report.vb2s"),
    )
    .expect("scenario");
    let sc = scenario::parse("2012.vb2s", &text).expect("parses");
    let mut t = scenario::run(&sc, Policy::Vb2_2012).expect("runs");
    for e in &mut t.events {
        e.set_origin(Origin::Observed);
    }
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    assert!(read_native_bytes(&bytes).is_ok());
    tmp("observed-2012.jsonl", &bytes)
}

#[test]
fn auto_policy_recognizes_a_2012_kernel_and_says_why() {
    let p = observed_2012_trace();
    let o = run(&["check", p.to_str().expect("utf-8"), "--policy", "auto"]);
    let out = stdout(&o);
    assert!(
        out.contains("policy vb2-2012: vb2-2012 explains the trace best"),
        "{out}"
    );
    assert!(out.contains("R05 error"), "{out}");
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["check", "traces/clean-session.vb2s", "--policy", "auto"]);
    assert!(stdout(&o).contains("modern assumed"), "{}", stdout(&o));
}

/// A header naming a release older than any modelled: the oldest is assumed, and said so.
#[test]
fn auto_policy_says_what_it_assumes_for_a_kernel_older_than_modelled() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/clean-session.jsonl"),
    )
    .expect("trace");
    let text = text.replacen("\"policy\":\"modern\"", "\"kernel\":\"4.19.0-27-amd64\"", 1);
    let p = tmp("linux-4.19.jsonl", text.as_bytes());
    let o = run(&["check", p.to_str().expect("utf-8"), "--policy", "auto"]);
    let out = stdout(&o);
    assert!(out.contains("recorded on Linux 4.19.0-27-amd64"), "{out}");
    assert!(
        out.contains("older than the oldest release modelled, 5.10, which is assumed"),
        "{out}"
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
}

#[test]
fn explain_prints_a_rule_in_full() {
    let o = run(&["explain", "R03"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with("R03  DMABUF map lingers after STREAMOFF"),
        "{out}"
    );
    assert!(
        out.contains("vb2-2012=error") && out.contains("modern=info"),
        "{out}"
    );
    assert!(out.contains("dmabuf.rst"), "{out}");
    assert_eq!(stdout(&run(&["explain", "r3"])), out);
    let o = run(&["explain", "R99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown rule"));
    let all = stdout(&run(&["explain"]));
    assert_eq!(
        all.lines()
            .filter(|l| l.starts_with('R') || l.starts_with('E') || l.starts_with('D'))
            .count(),
        vb2scope_core::rules::RuleId::ALL.len()
    );
}

#[test]
fn run_writes_a_trace_that_check_reads() {
    let out = std::env::temp_dir().join(format!("vb2scope-run-{}.jsonl.zst", std::process::id()));
    let o = run(&[
        "run",
        "traces/2012-report.vb2s",
        "--policy",
        "vb2-2012",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "check",
        out.to_str().expect("utf-8"),
        "--policy",
        "vb2-2012",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("5 error(s)"));
    let _ = std::fs::remove_file(out);
}

#[test]
fn bad_input_exits_2_with_file_and_line() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "unknown-op.vb2s",
            "reqbufs 2 mmap\nfrobnicate 3\n",
            "unknown-op.vb2s:2:1: unknown operation \"frobnicate\"",
        ),
        (
            "index.vb2s",
            "reqbufs 2 mmap\nqbuf 99\n",
            "index.vb2s:2:6: buffer index 99 out of range (0..=31)",
        ),
        (
            "undefined.vb2s",
            "reqbufs 2 dmabuf\nqbuf 0 fd=nowhere\n",
            "undefined.vb2s:2:11: dma-buf \"nowhere\" is never defined before this line",
        ),
        (
            "expect-first.vb2s",
            "expect ok\n",
            "expect-first.vb2s:1:1: expect must follow an operation",
        ),
        (
            "munmap.vb2s",
            "reqbufs 1 mmap\nmunmap 0\n",
            "munmap.vb2s:2: buffer 0 plane 0 is not mmapped",
        ),
    ];
    for (name, text, want) in cases {
        let p = tmp(name, text.as_bytes());
        let o = run(&["check", p.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
        no_panic(&o);
    }
    let o = run(&["check", "/nonexistent/trace.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/trace.jsonl: cannot read"),
        "{}",
        stderr(&o)
    );
    let p = tmp("notes.txt", b"hello\nthis is not a trace\n");
    let o = run(&["check", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a format vb2scope reads"),
        "{}",
        stderr(&o)
    );
    no_panic(&o);
    let o = run(&[
        "check",
        "traces/clean-session.vb2s",
        "--policy",
        "linux-2.4",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn malformed_trace_lines_are_reported_and_fail_the_check() {
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/clean-session.jsonl"),
    )
    .expect("trace");
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(5, "{\"t\":1,\"ev\":\"ioctl\"");
    let p = tmp("broken.jsonl", lines.join("\n").as_bytes());
    let o = run(&["check", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains(":6: error: malformed event"),
        "{}",
        stdout(&o)
    );
    no_panic(&o);
}

#[test]
fn help_lists_the_window_and_every_command() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for w in [
        "check",
        "run",
        "timeline",
        "explain",
        "--screenshot",
        "[FILE]",
    ] {
        assert!(out.contains(w), "{w}: {out}");
    }
    let o = run(&["/nonexistent/trace.jsonl", "--screenshot", "/tmp/never.png"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable file fails before any window opens"
    );
    assert!(stderr(&o).contains("cannot read"));
}

#[test]
fn timeline_prints_every_lane() {
    let o = run(&[
        "timeline",
        "traces/2012-report.vb2s",
        "--policy",
        "vb2-2012",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("lane cap #0") && out.contains("lane cap #1"),
        "{out}"
    );
    assert!(
        out.contains("plane 0 mapped (inferred) [6.000, 12.000) [14.000, 23.000)"),
        "{out}"
    );
    assert!(out.contains("mark 15.000 cap STREAMOFF -> ok"), "{out}");
    let o = run(&["timeline", "/nonexistent.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    no_panic(&o);
}

const JOINED: &str = "tests/fixtures/import/joined/";

#[test]
fn import_joins_strace_and_ftrace_and_check_reads_any_format() {
    let out = tmp("joined.jsonl", b"");
    let s = format!("{JOINED}03-vmalloc-dmabuf-import-from-out.strace.txt");
    let f = format!("{JOINED}03-vmalloc-dmabuf-import-from-out.ftrace.txt");
    let o = run(&["import", &s, &f, "-o", &out.display().to_string()]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("kernel clock moved by"),
        "{}",
        stderr(&o)
    );
    // Regression: the strace log's diagnostics were printed a second time, as the ftrace's.
    assert!(
        !stderr(&o).contains("ftrace.txt: line 165: info: VIDIOC_EXPBUF"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).matches("line 165: info").count(), 1);
    let (t, d) = read_native_bytes(&std::fs::read(&out).expect("written")).expect("native");
    assert!(d.is_empty(), "{d:?}");
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.body, vb2scope_core::trace::Body::Memop { .. }))
    );
    // check, timeline and export take the other tools' formats directly.
    let o = run(&["check", &s, "--policy", "auto"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("modern"), "{}", stdout(&o));
    let o = run(&["timeline", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = tmp("joined.json", b"");
    let o = run(&[
        "export",
        &out.display().to_string(),
        "--to",
        "perfetto",
        "-o",
        &json.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("written")).expect("JSON");
    assert!(v["traceEvents"].as_array().is_some_and(|a| !a.is_empty()));
}

/// Regression: `import` of a zstd-compressed strace log or ftrace capture stopped with "not a
/// vb2scope trace" (compressed bytes were taken for a native trace), while `check` read it;
/// and a compressed ftrace capture, joined or named with `--from ftrace`, was read as text
/// while still compressed. Compressed or not, an import writes the same trace.
#[test]
fn import_reads_compressed_captures_as_it_reads_plain_ones() {
    let pack = |path: &str| {
        let plain = std::fs::read(path).expect("fixture");
        let name = Path::new(path)
            .file_name()
            .expect("a file")
            .to_string_lossy();
        tmp(
            &format!("{name}.zst"),
            &zstd::encode_all(plain.as_slice(), 3).expect("zstd"),
        )
    };
    let s = format!("{JOINED}03-vmalloc-dmabuf-import-from-out.strace.txt");
    let f = format!("{JOINED}03-vmalloc-dmabuf-import-from-out.ftrace.txt");
    let (sz, fz) = (pack(&s), pack(&f));
    let (sz, fz) = (sz.display().to_string(), fz.display().to_string());
    let import = |args: &[&str], out: &str| {
        let out = tmp(out, b"");
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        let o = run(&[all.as_slice(), &["-o", &out.display().to_string()]].concat());
        no_panic(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        std::fs::read(&out).expect("written")
    };
    let cases: [(&[&str], &[&str]); 4] = [
        (&[&s], &[&sz]),
        (&[&f], &[&fz]),
        (&["--from", "ftrace", &f], &["--from", "ftrace", &fz]),
        (&[&s, &f], &[&sz, &fz]),
    ];
    for (i, (plain, packed)) in cases.into_iter().enumerate() {
        let a = import(plain, &format!("plain-{i}.jsonl"));
        let b = import(packed, &format!("packed-{i}.jsonl"));
        let (t, _) = read_native_bytes(&a).expect("native");
        assert!(t.events.len() > 50, "{plain:?}: {} events", t.events.len());
        assert!(a == b, "{plain:?} and {packed:?} imported differently");
    }
}

#[test]
fn an_unknown_format_or_a_bad_from_exits_2() {
    let junk = tmp("junk.bin", b"\x00\x01 not a trace at all\n");
    let o = run(&["check", &junk.display().to_string()]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--from"), "{}", stderr(&o));
    let o = run(&["check", &junk.display().to_string(), "--from", "pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format"), "{}", stderr(&o));
    // Forcing a format that does not fit reads what it can and reports the rest.
    let s = format!("{JOINED}01-vmalloc-mmap.strace.txt");
    let o = run(&["check", &s, "--from", "dmesg"]);
    no_panic(&o);
    assert_ne!(o.status.code(), Some(101));
}

/// An error is printed once, not once per link of its chain.
#[test]
fn an_unreadable_trace_is_reported_once() {
    let p = tmp("v99.jsonl", b"{\"vb2scope\":\"trace\",\"version\":99}\n");
    let o = run(&["check", p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(
        err.matches("newer than this vb2scope reads").count(),
        1,
        "{err}"
    );
}

/// `run` reads its argument as a scenario whatever its name; `--from` does not turn a `.vb2s`
/// into something else.
#[test]
fn scenarios_are_scenarios_whatever_the_name_or_from() {
    let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/2012-report.vb2s"))
        .expect("scenario");
    let p = tmp("2012-report.txt", &text);
    let o = run(&["run", p.to_str().expect("utf-8"), "--policy", "vb2-2012"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("{\"vb2scope\":\"trace\""));
    let o = run(&["run", "traces/2012-report.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "a trace is not a scenario");
    let o = run(&[
        "check",
        "--from",
        "strace",
        "traces/2012-report.vb2s",
        "--policy",
        "vb2-2012",
    ]);
    assert!(stdout(&o).contains("R05 error"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
}

/// `record -- CMD` runs the program to its end under the tracer and exits with its status;
/// a program that touches no video node leaves a trace with its header only.
#[test]
fn record_runs_a_program_and_exits_with_its_status() {
    let out = tmp("record-exit.jsonl", b"");
    let o = run(&[
        "record",
        "-o",
        &out.display().to_string(),
        "--",
        "sh",
        "-c",
        "cat /proc/self/status > /dev/null; exec 3</dev/null; exit 7",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let bytes = std::fs::read(&out).expect("the trace is written");
    let (t, diags) = read_native_bytes(&bytes).expect("a trace");
    assert!(diags.is_empty(), "{diags:?}");
    assert!(t.events.is_empty(), "{:?}", t.events);
    assert!(
        t.header.source.contains("record -- sh -c"),
        "{}",
        t.header.source
    );
    // Killed by a signal: 128 + its number, as a shell says it.
    let o = run(&[
        "record",
        "-o",
        &out.display().to_string(),
        "--",
        "sh",
        "-c",
        "kill -TERM $$",
    ]);
    assert_eq!(o.status.code(), Some(128 + 15), "{}", stderr(&o));
}

#[test]
fn record_refuses_a_program_that_does_not_exist() {
    let out = tmp("record-missing.jsonl", b"");
    let o = run(&[
        "record",
        "-o",
        &out.display().to_string(),
        "--",
        "/no/such/program",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/no/such/program: no such program"),
        "{}",
        stderr(&o)
    );
}

/// `--no-filter`: every call stops and vb2scope chooses; the program runs the same.
#[test]
fn record_without_the_filter_runs_the_program_the_same() {
    let out = tmp("record-nofilter.jsonl", b"");
    let o = run(&[
        "record",
        "--no-filter",
        "-o",
        &out.display().to_string(),
        "--",
        "sh",
        "-c",
        "exec 3</dev/null; exit 4",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("every call of the program stopped"),
        "{}",
        stderr(&o)
    );
}

/// `record --view` with no display to open a window on: said, and the recording goes on to
/// the same trace and status.
#[test]
fn record_view_without_a_display_records_all_the_same() {
    let out = tmp("record-view.jsonl", b"");
    let o = Command::new(env!("CARGO_BIN_EXE_vb2scope"))
        .args(["record", "--view", "-o"])
        .arg(&out)
        .args(["--", "sh", "-c", "exec 3</dev/null; exit 6"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    no_panic(&o);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("recording on without the window"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("window was closed"), "{}", stderr(&o));
    let bytes = std::fs::read(&out).expect("the trace is written");
    assert!(read_native_bytes(&bytes).is_ok());
}

/// `bench-scale` runs from a clean clone with no set-up: small sizes, every column filled,
/// and the importers measured.
#[test]
fn bench_scale_measures_against_the_floor() {
    let o = run(&[
        "bench-scale",
        "--events",
        "2k,4k",
        "--jsonl-max",
        "4k",
        "--text-mb",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("| ") && l.as_bytes().get(2).is_some_and(u8::is_ascii_digit))
        .collect();
    // Each size four times: the tool's figures, then taken in as a live recording, then an
    // M2M recording and a recording with a dma-buf per frame of that size taken in.
    assert_eq!(rows.len(), 8, "{out}");
    for r in &rows {
        assert!(!r.contains("| - |"), "a column left empty: {r}");
    }
    assert!(out.contains("growth from"), "{out}");
    assert!(out.contains("live: the same sessions"), "{out}");
    assert!(out.contains("live: M2M sessions"), "{out}");
    assert!(
        out.contains("live: DMABUF sessions with a new dma-buf"),
        "{out}"
    );
    assert!(out.contains("running each scenario"), "{out}");
    assert!(out.contains("| strace (dense"), "{out}");
    assert!(out.contains("| ftrace"), "{out}");
    // check of the long captures, a compliance run's among them, at two sizes.
    assert!(
        out.contains("| check of 0.25 MiB | check of 1 MiB |"),
        "{out}"
    );
    assert!(out.contains("| strace (v4l2-compliance on vim2m"), "{out}");
}

/// `convert` writes the binary form by the output's name, and every command reads it back
/// as the same trace.
#[test]
fn convert_to_binary_and_back_keeps_the_trace() {
    let dir = std::env::temp_dir().join(format!("vb2scope-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (bin_path, back) = (dir.join("t.vb2b"), dir.join("t.jsonl"));
    let src = "traces/dmabuf-reassociation.jsonl";
    let o = run(&["convert", src, "-o", &bin_path.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&bin_path).expect("written");
    assert!(bytes.starts_with(b"\x89VB2S"), "not the binary form");
    let o = run(&[
        "convert",
        &bin_path.display().to_string(),
        "-o",
        &back.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = |p: &Path| {
        let (t, _) = read_native_bytes(&std::fs::read(p).expect("read")).expect("reads");
        let mut out = Vec::new();
        write_native(&mut out, &t).expect("write");
        out
    };
    assert_eq!(
        text(&back),
        text(Path::new(env!("CARGO_MANIFEST_DIR")).join(src).as_path())
    );
    let check = |p: &str| stdout(&run(&["check", p]));
    assert_eq!(
        check(&bin_path.display().to_string()).replace(&bin_path.display().to_string(), "X"),
        check(src).replace(src, "X")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `diff`: 0 for the same lifecycle, 1 when it differs (text and JSON say where), 2 for an
/// input it cannot use or arguments that do not make a comparison.
#[test]
fn diff_exits_by_whether_the_lifecycles_differ() {
    let t = "traces/2012-report.jsonl";
    let same = run(&["diff", t, t]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert!(stdout(&same).contains("same lifecycle"));

    let two = run(&["diff", t, "--policies", "vb2-2012,modern"]);
    assert_eq!(two.status.code(), Some(1), "{}", stderr(&two));
    let out = stdout(&two);
    assert!(
        out.contains("A: traces/2012-report.jsonl under vb2-2012"),
        "{out}"
    );
    assert!(
        out.contains("1. first:") && out.contains("unmap_dmabuf 0.0"),
        "{out}"
    );

    let json = run(&[
        "diff",
        t,
        "--policies",
        "vb2-2012,modern",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(v["same"], false);
    assert_eq!(v["differences"][0]["aspects"][0], "memops");
    assert_eq!(v["differences"][0]["a"]["memops"][0], "unmap_dmabuf 0.0");

    // One trace under one policy compares nothing; a missing file is no trace.
    let one = run(&["diff", t]);
    assert_eq!(one.status.code(), Some(2));
    assert!(stderr(&one).contains("--policies"), "{}", stderr(&one));
    let missing = run(&["diff", t, "no-such-trace.jsonl"]);
    assert_eq!(missing.status.code(), Some(2));
    no_panic(&missing);
}
