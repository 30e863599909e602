//! The exporters: Perfetto JSON, SVG, HTML. Golden snapshots of the 2012 report, structure
//! checks on the parsed output, every trace in traces/ exporting, the reports titled with
//! the input's name and timed from the first buffer event, who held each dma-buf, and the
//! SVG of a long session staying small.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vb2scope_core::check::CheckReport;
use vb2scope_core::export::{ExportFormat, export_native, html, perfetto, svg};
use vb2scope_core::format::{DiagSeverity, Diagnostic, read_native_bytes};
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{Finding, FindingDetail, RuleId};
use vb2scope_core::scenario::{parse, run, streaming_workload};
use vb2scope_core::time::{TimeBase, TraceClock};
use vb2scope_core::timeline::{Role, Timeline, build};
use vb2scope_core::trace::Trace;
use vb2scope_core::v4l2::Memory;

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn scenario(name: &str, p: Policy) -> (Trace, Timeline) {
    let path = root().join("traces").join(name);
    let text = std::fs::read_to_string(&path).expect("scenario readable");
    let sc = parse(name, &text).expect("parses");
    let trace = run(&sc, p).expect("runs");
    let tl = build(&trace, p);
    (trace, tl)
}

fn native(path: &Path) -> (Trace, Timeline) {
    let bytes = std::fs::read(path).expect("trace readable");
    let (trace, _) = read_native_bytes(&bytes).expect("reads");
    let p = trace.header.policy.unwrap_or(Policy::MODERN);
    let tl = build(&trace, p);
    (trace, tl)
}

fn events(json: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(v["displayTimeUnit"], "ns");
    assert!(v["metadata"].is_object());
    v["traceEvents"].as_array().expect("traceEvents").clone()
}

/// Thread names by (pid, tid).
fn threads(ev: &[Value]) -> BTreeMap<(u64, u64), String> {
    ev.iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            let k = (
                e["pid"].as_u64().expect("pid"),
                e["tid"].as_u64().expect("tid"),
            );
            (k, e["args"]["name"].as_str().expect("name").to_string())
        })
        .collect()
}

/// Complete events never overlap on one track, and every track they are on is named.
fn assert_tracks_well_formed(ev: &[Value]) {
    let names = threads(ev);
    let mut by_track: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for e in ev.iter().filter(|e| e["ph"] == "X" || e["ph"] == "i") {
        let k = (
            e["pid"].as_u64().expect("pid"),
            e["tid"].as_u64().expect("tid"),
        );
        assert!(names.contains_key(&k), "unnamed track {k:?}");
        if e["ph"] == "X" {
            let ts = e["ts"].as_f64().expect("ts");
            let dur = e["dur"].as_f64().expect("dur");
            assert!(dur >= 0.0);
            by_track.entry(k).or_default().push((ts, ts + dur));
        }
    }
    for (k, mut v) in by_track {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in v.windows(2) {
            assert!(w[0].1 <= w[1].0 + 1e-6, "overlap on {}: {w:?}", names[&k]);
        }
    }
}

/// Tags open and close in order (a tiny XML check: no attributes containing `>`).
fn assert_balanced(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let j = rest.find('>').expect("tag closes");
        let tag = &rest[..j];
        rest = &rest[j + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "unbalanced </{name}>"
            );
        } else if !tag.ends_with('/') && !matches!(name.as_str(), "meta" | "br") {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn format_names_parse() {
    for f in ExportFormat::ALL {
        assert_eq!(f.name().parse::<ExportFormat>(), Ok(f));
    }
    assert_eq!("Chrome".parse::<ExportFormat>(), Ok(ExportFormat::Perfetto));
    assert!("pdf".parse::<ExportFormat>().is_err());
}

#[test]
fn perfetto_2012_report() {
    let (trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    let report = &tl.report;
    assert!(!report.findings.is_empty());
    let json = perfetto::to_string(&trace, &tl, report);
    insta::assert_snapshot!("perfetto_2012_report", json);
    let ev = events(&json);
    assert_tracks_well_formed(&ev);
    let names = threads(&ev);
    for l in &tl.lanes {
        let want = format!("buf {}", l.index);
        assert!(names.values().any(|n| *n == want), "no thread {want}");
    }
    // A process per queue, named after its device.
    assert!(ev.iter().any(|e| {
        e["name"] == "process_name"
            && e["args"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("/dev/video0 · capture · DMABUF"))
    }));
    assert!(names.values().any(|n| n == "buf 0 mapped (inferred)"));
    assert!(names.values().any(|n| n == "buf 0 attached (inferred)"));
    assert!(
        ev.iter()
            .any(|e| e["ph"] == "X" && e["name"] == "mapped (inferred)")
    );
    assert!(
        ev.iter().any(|e| e["cat"] == "assoc"
            && e["args"]["dmabuf"].is_u64()
            && e["args"]["fd"].is_i64())
    );
    for f in &report.findings {
        let ts = (f.t_ns - tl.start_ns) as f64 / 1000.0;
        let hit = ev.iter().find(|e| {
            e["ph"] == "i"
                && e["cat"] == "finding"
                && e["args"]["rule"] == f.rule.as_str()
                && e["args"]["buffer"].as_u64() == f.index.map(u64::from)
                && e["ts"].as_f64().is_some_and(|t| (t - ts).abs() < 1e-6)
        });
        let hit = hit.unwrap_or_else(|| panic!("no instant for {} at {ts}", f.rule));
        assert_eq!(hit["s"], "t");
        assert_eq!(hit["args"]["severity"], report.severity(f).as_str());
        assert!(
            hit["args"]["spec_quote"]
                .as_str()
                .is_some_and(|q| !q.is_empty())
        );
        let k = (
            hit["pid"].as_u64().expect("pid"),
            hit["tid"].as_u64().expect("tid"),
        );
        if let Some(i) = f.index {
            assert_eq!(
                names[&k],
                format!("buf {i}"),
                "finding on its buffer's track"
            );
        }
    }
    for label in ["STREAMON", "STREAMOFF", "REQBUFS 2 DMABUF"] {
        assert!(
            ev.iter()
                .any(|e| e["ph"] == "i" && e["cat"] == "queue" && e["name"] == label),
            "{label}"
        );
    }
}

#[test]
fn perfetto_observed_and_inferred_resources() {
    let dir = root().join("tests/fixtures/observed");
    for (file, track) in [
        ("userptr-pin-kept-after-free.jsonl", "pinned"),
        ("dmabuf-unbalanced-unmap.jsonl", "mapped"),
    ] {
        let (trace, tl) = native(&dir.join(file));
        let ev = events(&perfetto::to_string(&trace, &tl, &tl.report));
        assert_tracks_well_formed(&ev);
        let names = threads(&ev);
        for src in ["observed", "inferred"] {
            let want = format!("{track} ({src})");
            assert!(
                names.values().any(|n| n.ends_with(&want)),
                "{file}: no {want} track in {names:?}"
            );
            assert!(
                ev.iter()
                    .any(|e| e["ph"] == "X" && e["name"] == want.as_str())
            );
        }
    }
}

#[test]
fn svg_2012_report() {
    let (trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    let s = svg::to_string(&trace, &tl, &tl.report);
    insta::assert_snapshot!("svg_2012_report", s);
    assert_balanced(&s);
    assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(s.matches("<g class=\"lane\"").count(), tl.lanes.len());
    assert!(s.contains("class=\"legend\""));
    assert!(s.contains("policy vb2-2012"));
    let markers = s.matches("<polygon class=\"finding ").count();
    assert!(markers >= 1 && markers <= tl.report.findings.len());
    for f in &tl.report.findings {
        assert!(s.contains(&format!("<title>{} ", f.rule)), "{}", f.rule);
    }
    for unit in [" ms<", "STREAMOFF<"] {
        assert!(s.contains(unit), "{unit}");
    }
    // Titled with the trace's own title when no input is named, with the input's file name
    // when one is; never with the long "made by" text.
    assert!(s.contains("<title>The 2012 report: DMABUF buffers queued again"));
    let named = svg::to_string_named(&trace, &tl, &tl.report, "traces/2012-report.vb2s");
    assert!(named.contains("<title>2012-report.vb2s</title>"));
    assert!(named.contains(">2012-report.vb2s</text>"));
    assert!(named.contains("made by vb2scope run 2012-report.vb2s"));
    // One time base: the axis and the header count from the first buffer event.
    let tb = TimeBase::new(tl.activity_range().0, trace.header.clock);
    assert!(
        s.contains(">0 ms</text>"),
        "a tick at the first buffer event"
    );
    assert!(s.contains(&format!(
        "buffer activity +0.000 ms to {}",
        tb.rel(tl.activity_range().1)
    )));
    assert!(s.contains("times from the first buffer event, at "));
    // The dma-bufs each buffer imported, under the lanes.
    assert!(s.contains("<g class=\"dmabufs\">"));
    assert_eq!(
        s.matches("<g class=\"dmabuf\" ").count(),
        tl.dmabuf_lanes().len()
    );
}

fn hostile_report(p: Policy) -> CheckReport {
    let f = Finding {
        rule: RuleId::R05,
        event: 3,
        t_ns: 1_000,
        queue: None,
        index: Some(0),
        plane: None,
        detail: FindingDetail::Log("<script>alert('x')</script> & more".into()),
    };
    CheckReport {
        findings: vec![f],
        ..CheckReport::empty(p)
    }
}

#[test]
fn html_2012_report() {
    let (trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    let cx = html::Context {
        source: "traces/2012-report.vb2s",
        ..Default::default()
    };
    let h = html::to_string(&trace, &tl, &tl.report, &cx);
    insta::assert_snapshot!("html_2012_report", h);
    assert_balanced(&h);
    assert_eq!(
        h.matches("<tr class=\"finding\"").count(),
        tl.report.findings.len()
    );
    for f in &tl.report.findings {
        assert!(h.contains(&format!("<td>{} ", f.rule)));
    }
    assert!(h.contains("<details>") && h.contains("<blockquote>"));
    // Titled with the input's file name; the trace's source is what made it.
    assert!(h.contains("<title>2012-report.vb2s</title>"));
    assert!(h.contains("<h1>2012-report.vb2s</h1>"));
    assert!(h.contains("<tr><th>made by</th><td>vb2scope run 2012-report.vb2s</td></tr>"));
    // Times from the first buffer event, the absolute one in the tooltip.
    let tb = TimeBase::new(tl.activity_range().0, trace.header.clock);
    assert!(h.contains("<tr><th>buffer activity</th><td>+0.000 ms to "));
    assert!(h.contains("time (from the first buffer event)"));
    for f in &tl.report.findings {
        let cell = format!(
            "<td class=\"num\" title=\"{}\">{}</td>",
            tb.absolute(f.t_ns).replace('\'', "&#39;"),
            tb.rel(f.t_ns)
        );
        assert!(h.contains(&cell), "{cell}");
    }
    // The dma-bufs the capture queue imported, in a table.
    assert!(h.contains("<h2 id=\"dmabufs\">dma-bufs (2)</h2>"));
    assert!(h.contains("<td>importer cap #0.0</td>"));
    // Self-contained: nothing fetched, no scripts.
    for bad in [
        "=\"http", "='http", "url(", "src=", "href=", "<script", "<link", "xmlns=",
    ] {
        assert!(!h.contains(bad), "{bad}");
    }
}

#[test]
fn html_escapes_everything() {
    let (mut trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    trace.header.title = "a <b>title</b> & \"quotes\"".into();
    let report = hostile_report(Policy::Vb2_2012);
    let diags = [Diagnostic {
        severity: DiagSeverity::Warning,
        line: 7,
        byte: 99,
        message: "bad <line>".into(),
    }];
    let choice = vb2scope_core::check::choose_policy(&trace);
    let cx = html::Context {
        source: "x<y>.jsonl",
        policy_reason: Some("because <reasons>"),
        diagnostics: &diags,
        scores: &choice.scores,
    };
    let h = html::to_string(&trace, &tl, &report, &cx);
    assert_balanced(&h);
    assert!(!h.contains("<script") && !h.contains("<b>") && !h.contains("<line>"));
    assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert!(h.contains("x&lt;y&gt;.jsonl") && h.contains("because &lt;reasons&gt;"));
    assert!(h.contains("bad &lt;line&gt;"));
    assert_eq!(h.matches("<tr class=\"finding\"").count(), 1);
    assert!(h.contains("class=\"policies\""));
    let s = svg::to_string(&trace, &tl, &report);
    assert_balanced(&s);
    assert!(s.contains("a &lt;b&gt;title&lt;/b&gt; &amp; &quot;quotes&quot;"));
    let j = perfetto::to_string(&trace, &tl, &report);
    let ev = events(&j);
    assert!(ev.iter().any(|e| {
        e["args"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("<script>"))
    }));
}

#[test]
fn html_groups_come_errors_first() {
    let (trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    let mut report = hostile_report(Policy::Vb2_2012);
    let mut info = report.findings[0].clone();
    info.rule = RuleId::R17;
    info.t_ns = 500;
    report.findings.insert(0, info);
    let h = html::to_string(&trace, &tl, &report, &html::Context::default());
    let error = h.find(">R05 error × 1: ").expect("the R05 group");
    let info = h.find(">R17 info × 1: ").expect("the R17 group");
    assert!(error < info, "errors first");
    assert!(h.contains("<details class=\"group\" open><summary style=\"color:#D55E00\">R05"));
    // No input named: the trace's own title, never what made it.
    assert!(h.contains("<title>The 2012 report: DMABUF buffers queued again"));
    assert!(!h.contains("<th>source</th>"));
}

#[test]
fn html_times_carry_the_wall_clock_when_the_trace_knows_it() {
    let (mut trace, tl) = scenario("2012-report.vb2s", Policy::Vb2_2012);
    // 2026-12-05T00:00:00Z, as an strace -ttt log or a recording would say.
    trace.header.clock = TraceClock::Realtime {
        offset_ns: 1_796_428_800_000_000_000,
    };
    let cx = html::Context {
        source: "/tmp/captures/run 1.jsonl",
        ..Default::default()
    };
    let h = html::to_string(&trace, &tl, &tl.report, &cx);
    assert!(h.contains("<title>run 1.jsonl</title>"));
    assert!(
        h.contains("<tr><th>times count from</th><td>the first buffer event, at "),
        "the origin in absolute terms"
    );
    assert!(h.contains("wall clock 2026-12-05T00:00:00.00"));
    let f = &tl.report.findings[0];
    let tb = TimeBase::new(tl.activity_range().0, trace.header.clock);
    assert!(tb.absolute(f.t_ns).contains("wall clock 2026-12-05T"));
    assert!(h.contains(&format!(
        "title=\"{}\">{}</td>",
        tb.absolute(f.t_ns).replace('\'', "&#39;"),
        tb.rel(f.t_ns)
    )));
}

/// The SVG's and the HTML's dma-bufs: a group per dma-buf with its description, a row per
/// holder, exporter first, an arrow to each importer.
fn assert_dmabuf_section(name: &str, tl: &Timeline, s: &str, h: &str) {
    let lanes = tl.dmabuf_lanes();
    assert!(!lanes.is_empty(), "{name}: dma-bufs");
    assert_eq!(
        s.matches("<g class=\"dmabuf\" ").count(),
        lanes.len(),
        "{name}"
    );
    assert!(h.contains(&format!(
        "<h2 id=\"dmabufs\">dma-bufs ({})</h2>",
        lanes.len()
    )));
    let mut arrows = 0;
    for d in &lanes {
        let info = tl.dmabuf(d.id).expect("known dma-buf");
        assert!(s.contains(&info.describe()), "{name}: {}", info.describe());
        for h0 in &d.holders {
            let label = format!("{} {}", h0.role.as_str(), h0.name());
            assert!(s.contains(&format!(">{label}</text>")), "{name}: {label}");
            assert!(h.contains(&format!("<td>{label}</td>")), "{name}: {label}");
        }
        if d.holders.first().is_some_and(|x| x.role == Role::Exporter) {
            arrows += d.holders.len() - 1;
        }
    }
    assert_eq!(s.matches("<g class=\"link\">").count(), arrows, "{name}");
}

#[test]
fn dmabuf_holders_are_drawn_and_listed() {
    // Exported by one process, imported by another (one inode, two fds).
    let (trace, tl) = native(&root().join("tests/fixtures/identity/broker.jsonl"));
    let s = svg::to_string(&trace, &tl, &tl.report);
    let h = html::to_string(&trace, &tl, &tl.report, &html::Context::default());
    assert_balanced(&s);
    assert_balanced(&h);
    assert_dmabuf_section("broker", &tl, &s, &h);
    assert!(
        s.contains("<g class=\"link\">"),
        "the exporter links to its importer"
    );
    assert!(
        s.contains(">exporter out #0.0</text>") && s.contains(">importer dev1:cap #0.0</text>")
    );
    assert!(h.contains("ino 25"));
    insta::assert_snapshot!("svg_dmabuf_broker", s);
    // Imported only: dma-bufs from a heap, one index given another.
    let (trace, tl) = native(&root().join("traces/dmabuf-reassociation.jsonl"));
    let s = svg::to_string(&trace, &tl, &tl.report);
    let h = html::to_string(&trace, &tl, &tl.report, &html::Context::default());
    assert_dmabuf_section("reassociation", &tl, &s, &h);
    assert!(!s.contains("<g class=\"link\">"));
    // What each importer held of it: its attached and mapped tracks, clipped to the tie.
    assert!(s.contains("class=\"i-attached\"") || s.contains("class=\"r-attached\""));
}

#[test]
fn many_dmabufs_are_capped() {
    let mut sc = String::from("reqbufs 1 dmabuf\ndmabuf d0 614400\nqbuf 0 fd=d0\nstreamon\n");
    for i in 1..80 {
        sc.push_str(&format!(
            "driver done\ndqbuf\ndmabuf d{i} 614400\nqbuf 0 fd=d{i}\n"
        ));
    }
    sc.push_str("streamoff\n");
    let sc = parse("many.vb2s", &sc).expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let tl = build(&trace, Policy::MODERN);
    let n = tl.dmabuf_lanes().len();
    assert_eq!(n, 80);
    let s = svg::to_string(&trace, &tl, &tl.report);
    assert_balanced(&s);
    assert_eq!(s.matches("<g class=\"dmabuf\" ").count(), 64);
    assert!(s.contains(">16 more dma-bufs not shown</text>"));
    let h = html::to_string(&trace, &tl, &tl.report, &html::Context::default());
    assert_balanced(&h);
    assert_eq!(h.matches("<tr class=\"dmabuf\">").count(), 64);
    assert!(h.contains("<p>16 more dma-bufs not shown.</p>"));
}

#[test]
fn every_trace_exports() {
    let mut n = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("traces"))
        .expect("traces/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    for p in paths {
        let (trace, tl) = native(&p);
        let ev = events(&perfetto::to_string(&trace, &tl, &tl.report));
        assert_tracks_well_formed(&ev);
        let s = svg::to_string(&trace, &tl, &tl.report);
        assert_balanced(&s);
        assert_eq!(
            s.matches("<g class=\"lane\"").count(),
            tl.lanes.len(),
            "{}",
            p.display()
        );
        let h = html::to_string(&trace, &tl, &tl.report, &html::Context::default());
        assert_balanced(&h);
        let again = read_native_bytes(&export_native(&trace)).expect("native reads back");
        assert_eq!(again.0.events.len(), trace.events.len());
        n += 1;
    }
    assert!(n >= 10, "{n} traces");
}

#[test]
fn empty_trace_exports() {
    let trace = Trace::default();
    let tl = build(&trace, Policy::MODERN);
    events(&perfetto::to_string(&trace, &tl, &tl.report));
    assert_balanced(&svg::to_string(&trace, &tl, &tl.report));
    assert_balanced(&html::to_string(
        &trace,
        &tl,
        &tl.report,
        &html::Context::default(),
    ));
}

#[test]
fn svg_of_a_long_session_stays_small() {
    let sc = parse("w.vb2s", &streaming_workload(200_000, Memory::Dmabuf)).expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let tl = build(&trace, Policy::MODERN);
    let s = svg::to_string(&trace, &tl, &tl.report);
    eprintln!("{} events, svg {} bytes", trace.events.len(), s.len());
    assert!(s.len() < 3_000_000, "{} bytes", s.len());
    assert_balanced(&s);
    assert_eq!(s.matches("<g class=\"lane\"").count(), 8);
}
