//! Real runs on real kernels (tests/fixtures/corpus/linux-KREL/, made by
//! tests/corpus/capture.sh, see tests/corpus/README.md):
//! * applications (GStreamer, FFmpeg, v4l2-ctl on vivid and vim2m), each run recorded with
//!   strace and `vb2scope trace-kernel` at once. These programs are correct, so every capture
//!   must check clean (nothing at warning or error) read from strace alone, from ftrace alone
//!   and joined, under `auto` and under the model of its kernel;
//! * the scenarios of traces/ played on vivid with the kernel's side (`vb2scope run --device
//!   --kernel-trace`). They break rules on purpose, so their findings are reported, not
//!   failed on;
//! * some of the applications run once more under vb2scope's own recorder (`vb2scope record
//!   -- CMD`, NAME.record.jsonl.zst beside the NAME's other files). Those must check clean
//!   too, and where one queue's exported buffers are another's imported ones (the zero-copy
//!   pipeline), the timeline must tie each dma-buf's exporter to its importers.
//!
//! Both kinds must show, joined, the kernel's results and memops as the model of their kernel
//! predicts them. docs/fidelity.md is this test's table;
//! `VB2SCOPE_UPDATE_DOCS=1 cargo test -p vb2scope-core --test corpus` rewrites it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vb2scope_core::check::{CheckReport, check_trace, choose_policy};
use vb2scope_core::format::{DiagSeverity, read_native_bytes};
use vb2scope_core::import::strace::import_strace;
use vb2scope_core::import::{Imported, import_ftrace, join};
use vb2scope_core::kernel::ftrace::{Line, parse_line};
use vb2scope_core::kernel::kprobes::memop_kind;
use vb2scope_core::policy::{Kernel, Policy};
use vb2scope_core::rules::Severity;
use vb2scope_core::timeline::Role;
use vb2scope_core::trace::{Body, IoctlArg, Trace};
use vb2scope_core::v4l2::MemopKind;

const DIR: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/fixtures/corpus"
);
const DOC: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/docs/fidelity.md"
);

/// What one run holds.
enum Run {
    /// An application: its strace log and ftrace capture.
    App { strace: String, ftrace: String },
    /// A scenario played on a device: the trace vb2scope recorded (the kernel's side merged
    /// in by the recording binary) and the raw kernel text, merged again here so that the
    /// merge under test is the one checked.
    Scenario { trace: Vec<u8>, ftrace: String },
}

struct Capture {
    kernel: String,
    name: String,
    run: Run,
    /// The program's exit status, the last line of NAME.out.txt.
    exit: String,
}

fn unpack(p: &Path) -> Vec<u8> {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    zstd::decode_all(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(p: &Path) -> String {
    String::from_utf8_lossy(&unpack(p)).into_owned()
}

fn sorted_dir(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    v.sort();
    v
}

fn captures() -> Vec<Capture> {
    let mut out = Vec::new();
    for kdir in sorted_dir(Path::new(DIR)) {
        let Some(kernel) = kdir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("linux-"))
        else {
            continue;
        };
        for cmd in sorted_dir(&kdir) {
            let Some(name) = cmd
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".cmd.txt"))
            else {
                continue;
            };
            let part = |p: &str| kdir.join(format!("{name}.{p}.zst"));
            let run = if name.starts_with("scenario-") {
                Run::Scenario {
                    trace: unpack(&part("jsonl")),
                    ftrace: text(&part("jsonl.ftrace.txt")),
                }
            } else {
                Run::App {
                    strace: text(&part("strace.txt")),
                    ftrace: text(&part("ftrace.txt")),
                }
            };
            let out_txt =
                std::fs::read_to_string(kdir.join(format!("{name}.out.txt"))).unwrap_or_default();
            out.push(Capture {
                kernel: kernel.to_owned(),
                name: name.to_owned(),
                run,
                exit: out_txt
                    .lines()
                    .last()
                    .and_then(|l| l.strip_prefix("exit "))
                    .unwrap_or("?")
                    .to_owned(),
            });
        }
    }
    out
}

/// v4l2-compliance makes wrong calls on purpose, to see the driver refuse them: findings
/// about the application's own calls are right there. Any other loud finding (a divergence,
/// a driver fault) is still a failure.
fn provokes_errors(name: &str) -> bool {
    name.starts_with("compliance-")
}

/// The rules about an application's misuse of the API, which a run that provokes errors
/// may break on purpose.
const APP_MISUSE: &[&str] = &[
    "R11", "R12", "R12b", "R14", "R15", "R19", "R20", "R21", "R22", "R23", "R24", "R25", "R26",
    "R28", "R30", "R32", "R35", "R36",
];

/// Runs that provoke a kernel bug of the reference, or an application's misuse, on purpose
/// (tests/corpus/probes), the loud rules that must find it, and the readings that can see
/// each: strace prints codec commands as pointers, so a START is seen by the recorder, and
/// by strace joined with the kernel side (whose probe on the command helper reads it); a
/// refused STREAMOFF only by a reading with the program's calls; a request's fd, which
/// strace does not print for controls, only by the recorder.
type Provoked = (&'static str, &'static [&'static str]);
const PROVOKED: &[(&str, &[Provoked])] = &[
    (
        "probe-m2m-bad-streamoff",
        &[("R48", &["strace", "joined", "record"])],
    ),
    (
        "probe-vicodec-start-after-drain",
        &[("R49", &["joined", "record"])],
    ),
    (
        "probe-m2m-request-misuse",
        &[
            ("R31", &["strace", "joined", "record"]),
            ("R29", &["record"]),
        ],
    ),
    // Only the recording sees the flag the program passed: strace and the kernel print the
    // reply, which no longer has it.
    ("probe-m2m-hold-unsupported", &[("R42", &["record"])]),
];

fn provoked(name: &str) -> &'static [Provoked] {
    PROVOKED
        .iter()
        .find(|(n, ..)| *n == name)
        .map_or(&[], |&(_, rules)| rules)
}

fn rule_of(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// What may be loud in a run: nothing; for a run that provokes errors, its misuse; for a
/// run that provokes a kernel bug or a misuse, those rules.
fn unexpected<'a>(name: &str, loud: &'a [String]) -> Vec<&'a String> {
    loud.iter()
        .filter(|l| !provokes_errors(name) || !APP_MISUSE.contains(&rule_of(l)))
        .filter(|l| provoked(name).iter().all(|(rule, _)| rule_of(l) != *rule))
        .collect()
}

/// A run's name in the table, with what it provokes.
fn labelled(name: &str) -> String {
    match provoked(name) {
        [] => name.to_owned(),
        rules => {
            let r: Vec<&str> = rules.iter().map(|(r, _)| *r).collect();
            format!("{name} (provokes {})", r.join(", "))
        }
    }
}

/// A provoked finding that a reading able to see it did not find.
fn missed(name: &str, how: &str, loud: &[String]) -> Option<String> {
    let lost: Vec<&str> = provoked(name)
        .iter()
        .filter(|(rule, seen_by)| {
            seen_by.contains(&how) && !loud.iter().any(|l| rule_of(l) == *rule)
        })
        .map(|(rule, _)| *rule)
        .collect();
    (!lost.is_empty()).then(|| format!("{how}: the provoked {} not found", lost.join(", ")))
}

/// Runs whose kernel side the model does not yet follow in full, and why. Their findings
/// are checked as every run's; the agreement of results and memops is reported, not
/// required.
const AGREEMENT_GAPS: &[(&str, &str)] = &[
    (
        "compliance-vim2m",
        "strace prints PREPARE_BUF's argument as a pointer: the model takes no step for it, so it predicts at the next QBUF the pin that PREPARE_BUF made",
    ),
    (
        "compliance-vicodec-enc",
        "strace prints PREPARE_BUF's argument as a pointer (the pin it made is not seen); and after REQBUFS(0) orphans two mmapped buffers, the frees at their munmaps come in the other order than the model places them",
    ),
    (
        "compliance-visl",
        "CREATE_BUFS with a format of more planes than the queue's: the model gives the new buffers the queue's plane count",
    ),
];

fn agreement_gap(name: &str) -> Option<&'static str> {
    AGREEMENT_GAPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, why)| why)
}

/// The findings at warning or error, in words.
fn loud(r: &CheckReport) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| r.severity(f) >= Severity::Warning)
        .map(|f| {
            format!(
                "{} {} event {}: {}",
                f.rule,
                r.severity(f).as_str(),
                f.event,
                f.message()
            )
        })
        .collect()
}

fn dmabuf_core(k: MemopKind) -> bool {
    matches!(k, MemopKind::DmabufGet | MemopKind::DmabufPut)
}

/// Allocator memop entries in the ftrace text, as grep counts them
/// (`grep -cE ': (vmalloc|dc|sg)_KIND: '` summed over the kinds).
fn allocator_memops_in(ftrace: &str) -> usize {
    ftrace
        .lines()
        .filter(|l| {
            matches!(parse_line(l), Ok(Line::Event(r))
                if memop_kind(r.name).is_some_and(|k| !dmabuf_core(k)))
        })
        .count()
}

/// Allocator memops the trace put on a buffer.
fn allocator_memops_on_buffers(t: &Trace) -> usize {
    t.events
        .iter()
        .filter(|e| matches!(e.body, Body::Memop { kind, .. } if !dmabuf_core(kind)))
        .count()
}

/// The memory types the trace's REQBUFS and CREATE_BUFS allocated buffers of (GStreamer
/// probes each type with REQBUFS 0 first: those do not count).
fn memories(t: &Trace) -> String {
    let mut m = BTreeSet::new();
    for e in &t.events {
        if let Body::Ioctl { arg, result, .. } = e.body
            && result.is_ok()
            && let Some(IoctlArg::Alloc {
                memory,
                count,
                count_out,
                ..
            }) = t.arg(arg)
            && count_out.unwrap_or(*count) > 0
        {
            m.insert(memory.as_str().to_ascii_lowercase());
        }
    }
    if m.is_empty() {
        "-".into()
    } else {
        m.into_iter().collect::<Vec<_>>().join(", ")
    }
}

/// How one reading of a run checked.
struct Reading {
    auto: Policy,
    loud_auto: Vec<String>,
    own: CheckReport,
    loud_own: Vec<String>,
}

impl Reading {
    fn of(t: &Trace, own: Policy) -> Reading {
        let auto = choose_policy(t).policy;
        let own_report = check_trace(t, own);
        Reading {
            auto,
            loud_auto: loud(&check_trace(t, auto)),
            loud_own: loud(&own_report),
            own: own_report,
        }
    }

    fn loud(&self) -> usize {
        self.loud_auto.len().max(self.loud_own.len())
    }

    /// For an application: `clean (N info)` or the number of loud findings.
    fn verdict(&self) -> String {
        match self.loud() {
            0 => format!("clean ({} info)", self.own.findings.len()),
            n => format!("**{n} loud**"),
        }
    }

    /// For a scenario: its findings under its kernel, by rule and severity.
    fn findings(&self) -> String {
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for f in &self.own.findings {
            *by.entry(format!("{} {}", f.rule, self.own.severity(f).as_str()))
                .or_default() += 1;
        }
        if by.is_empty() {
            return "none".into();
        }
        let v: Vec<String> = by
            .into_iter()
            .map(|(k, n)| if n > 1 { format!("{k} ×{n}") } else { k })
            .collect();
        v.join(", ")
    }
}

fn imported_ok(what: &str, i: &Imported, failures: &mut Vec<String>) {
    for d in &i.diagnostics {
        if d.severity >= DiagSeverity::Error {
            failures.push(format!("{what}: import: {d}"));
        }
    }
}

/// What the device session itself recorded: the trace without the kernel events the
/// recording merged in (memops, tracepoints, completions, log lines).
fn device_side(t: &Trace) -> Trace {
    assert!(
        t.durations().is_empty(),
        "a device session times no syscall"
    );
    let mut user = t.clone();
    user.events.retain(|e| {
        !matches!(
            e.body,
            Body::Memop { .. }
                | Body::Tracepoint { .. }
                | Body::Klog { .. }
                | Body::Driver {
                    action: vb2scope_core::trace::DriverAction::BufferDone { .. },
                    ..
                }
        )
    });
    user
}

/// One row of the table, and what the totals add.
struct Row {
    kernel: String,
    line: String,
    results: (u32, u32),
    memops: (u32, u32),
    clean: Option<bool>,
}

fn agreement(r: &Reading) -> ((u32, u32), (u32, u32)) {
    let s = &r.own.stats;
    (
        (s.observed_results - s.divergences, s.observed_results),
        (s.memops_matched, s.observed_memops),
    )
}

fn app_row(c: &Capture, strace: &Reading, ftrace: &Reading, joined: &Reading, t: &Trace) -> Row {
    let Run::App { ftrace: text, .. } = &c.run else {
        unreachable!("an application")
    };
    let (results, memops) = agreement(joined);
    let name = match (agreement_gap(&c.name), provokes_errors(&c.name)) {
        (Some(_), _) => format!("{} (known gap)", c.name),
        (None, true) => format!("{} (wrong calls on purpose)", c.name),
        (None, false) => labelled(&c.name),
    };
    let line = format!(
        "| {} | {} | {} | {} | {}/{} | {}/{} | {}/{} | {} | {} | {} | {} |",
        c.kernel,
        name,
        memories(t),
        c.exit,
        results.0,
        results.1,
        memops.0,
        memops.1,
        allocator_memops_on_buffers(t),
        allocator_memops_in(text),
        joined.own.stats.memops_missing,
        strace.verdict(),
        ftrace.verdict(),
        joined.verdict(),
    );
    Row {
        kernel: c.kernel.clone(),
        line,
        results,
        memops,
        clean: Some([strace, ftrace, joined].iter().all(|r| {
            unexpected(&c.name, &r.loud_auto).is_empty()
                && unexpected(&c.name, &r.loud_own).is_empty()
        })),
    }
}

fn scenario_row(c: &Capture, r: &Reading, t: &Trace) -> Row {
    let (results, memops) = agreement(r);
    let line = format!(
        "| {} | {} | {} | {} | {}/{} | {}/{} | {} | {} |",
        c.kernel,
        c.name.trim_start_matches("scenario-"),
        memories(t),
        c.exit,
        results.0,
        results.1,
        memops.0,
        memops.1,
        r.own.stats.memops_missing,
        r.findings(),
    );
    Row {
        kernel: c.kernel.clone(),
        line,
        results,
        memops,
        clean: None,
    }
}

const TABLE_START: &str = "<!-- fidelity table: generated by crates/core/tests/corpus.rs -->";
const TABLE_END: &str = "<!-- end of fidelity table -->";

fn table(apps: &[Row], scenarios: &[Row], recorded: &[String]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{TABLE_START}");
    let _ = writeln!(t, "### Totals\n");
    let _ = writeln!(
        t,
        "| kernel | applications clean (all three readings) | scenarios | results as predicted | memops as predicted |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|");
    let mut kernels: BTreeMap<&str, [u32; 7]> = BTreeMap::new();
    for r in apps.iter().chain(scenarios) {
        let k = kernels.entry(&r.kernel).or_default();
        match r.clean {
            Some(clean) => {
                k[0] += u32::from(clean);
                k[1] += 1;
            }
            None => k[2] += 1,
        }
        k[3] += r.results.0;
        k[4] += r.results.1;
        k[5] += r.memops.0;
        k[6] += r.memops.1;
    }
    for (k, [clean, apps, scen, r_ok, r, m_ok, m]) in &kernels {
        let _ = writeln!(
            t,
            "| {k} | {clean}/{apps} | {scen} | {r_ok}/{r} | {m_ok}/{m} |"
        );
    }
    let _ = writeln!(t, "\n### Applications\n");
    let _ = writeln!(
        t,
        "| kernel | capture | memory | exit | results as predicted | memops as predicted | allocator memops on buffers | predicted, not seen | strace alone | ftrace alone | joined |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in apps {
        let _ = writeln!(t, "{}", r.line);
    }
    let _ = writeln!(
        t,
        "\nRuns marked *wrong calls on purpose* are conformance tests: their findings about the \
         application's own calls are expected; any other is a failure. Runs marked *known gap* \
         are checked for findings like every run, but the model does not yet follow their \
         kernel side in full:\n"
    );
    for (name, why) in AGREEMENT_GAPS {
        let _ = writeln!(t, "- `{name}`: {why}.");
    }
    let _ = writeln!(t, "\n### Scenarios on vivid\n");
    let _ = writeln!(
        t,
        "| kernel | scenario | memory | exit | results as predicted | memops as predicted | predicted, not seen | findings under its kernel |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|");
    for r in scenarios {
        let _ = writeln!(t, "{}", r.line);
    }
    let _ = writeln!(t, "\n### Applications recorded by `vb2scope record`\n");
    let _ = writeln!(
        t,
        "| kernel | capture | memory | exit | events | results as predicted | dma-bufs from one queue to another | check |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|");
    for l in recorded {
        let _ = writeln!(t, "{l}");
    }
    let _ = writeln!(t, "{TABLE_END}");
    t
}

/// Joined, the kernel must have done what the model of its release predicts.
fn check_agreement(what: &str, r: &Reading, failures: &mut Vec<String>) {
    let s = &r.own.stats;
    if s.divergences > 0 || s.memops_unpredicted > 0 || s.memops_missing > 0 {
        failures.push(format!(
            "{what} under {}: the kernel and the model differ: {s:?}",
            r.own.policy
        ));
    }
}

/// An application's run under `vb2scope record -- CMD`: NAME.record.jsonl.zst.
struct Recording {
    kernel: String,
    name: String,
    trace: Trace,
    /// The program's exit status, the last line of NAME.record.out.txt.
    exit: String,
}

const RECORDING: &str = ".record.jsonl.zst";

/// Every recording of the corpus, read; what did not read is in `failures`.
fn recordings(failures: &mut Vec<String>) -> Vec<Recording> {
    let mut out = Vec::new();
    for kdir in sorted_dir(Path::new(DIR)) {
        let Some(kernel) = kdir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("linux-"))
        else {
            continue;
        };
        for f in sorted_dir(&kdir) {
            let Some(name) = f
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(RECORDING))
            else {
                continue;
            };
            let what = format!("linux-{kernel}/{name}{RECORDING}");
            let trace = match read_native_bytes(&unpack(&f)) {
                Ok((t, diags)) => {
                    for d in diags.iter().filter(|d| d.severity >= DiagSeverity::Warning) {
                        failures.push(format!("{what}: {d}"));
                    }
                    t
                }
                Err(e) => {
                    failures.push(format!("{what}: {e}"));
                    continue;
                }
            };
            let out_txt = std::fs::read_to_string(kdir.join(format!("{name}.record.out.txt")))
                .unwrap_or_default();
            out.push(Recording {
                kernel: kernel.to_owned(),
                name: name.to_owned(),
                trace,
                exit: out_txt
                    .lines()
                    .last()
                    .and_then(|l| l.strip_prefix("exit "))
                    .unwrap_or("?")
                    .to_owned(),
            });
        }
    }
    out
}

/// The recordings whose program hands one queue's exported buffers to another queue.
const CROSSING: [&str; 2] = ["gst-zero-copy", "v4l2ctl-dmabuf-import"];

/// Of the dma-bufs some plane held: those exported by one queue and imported by another.
fn linked_dmabufs(t: &Trace, policy: Policy) -> (usize, usize) {
    let lanes = vb2scope_core::timeline::build(t, policy).dmabuf_lanes();
    let linked = lanes
        .iter()
        .filter(|d| {
            d.holders.iter().any(|e| {
                e.role == Role::Exporter
                    && d.holders
                        .iter()
                        .any(|i| i.role == Role::Importer && i.queue != e.queue)
            })
        })
        .count();
    (linked, lanes.len())
}

fn recording_row(r: &Recording, reading: &Reading) -> String {
    let (results, _) = agreement(reading);
    let linked = match linked_dmabufs(&r.trace, reading.auto) {
        (_, 0) => "-".to_owned(),
        (linked, held) => format!("{linked}/{held}"),
    };
    let name = if provokes_errors(&r.name) {
        format!("{} (wrong calls on purpose)", r.name)
    } else {
        labelled(&r.name)
    };
    format!(
        "| {} | {} | {} | {} | {} | {}/{} | {} | {} |",
        r.kernel,
        name,
        memories(&r.trace),
        r.exit,
        r.trace.events.len(),
        results.0,
        results.1,
        linked,
        reading.verdict(),
    )
}

#[test]
fn recordings_check_clean_and_tie_exported_dmabufs_to_their_importers() {
    let mut failures = Vec::new();
    let recs = recordings(&mut failures);
    assert!(!recs.is_empty(), "no recordings (*{RECORDING}) under {DIR}");
    for kdir in sorted_dir(Path::new(DIR)) {
        let Some(kernel) = kdir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("linux-"))
        else {
            continue;
        };
        if !recs
            .iter()
            .any(|r| r.kernel == kernel && r.name == "gst-zero-copy")
        {
            failures.push(format!("linux-{kernel}: no gst-zero-copy{RECORDING}"));
        }
    }
    for r in &recs {
        let what = format!("linux-{}/{}{RECORDING}", r.kernel, r.name);
        let own = Kernel::parse(&r.kernel).map_or(Policy::MODERN, Policy::for_kernel);
        let reading = Reading::of(&r.trace, own);
        if reading.auto != own {
            failures.push(format!(
                "{what}: auto chose {} though the trace names its kernel",
                reading.auto
            ));
        }
        if let Some(m) = missed(&r.name, "record", &reading.loud_own) {
            failures.push(format!("{what} {m}"));
        }
        for l in unexpected(&r.name, &reading.loud_auto) {
            failures.push(format!("{what} under {}: {l}", reading.auto));
        }
        for l in unexpected(&r.name, &reading.loud_own) {
            failures.push(format!("{what} under {own}: {l}"));
        }
        let s = &reading.own.stats;
        if s.divergences > 0 {
            failures.push(format!(
                "{what} under {own}: the kernel and the model differ: {s:?}"
            ));
        }
        if CROSSING.contains(&r.name.as_str()) {
            // Every dma-buf a plane held was exported by one queue for the other.
            let (linked, held) = linked_dmabufs(&r.trace, reading.auto);
            if linked == 0 || linked < held {
                failures.push(format!(
                    "{what}: {linked} of the {held} dma-bufs a plane held are tied to an \
                     exporter and to an importer on another queue"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn real_runs_check_as_the_model_of_their_kernel_predicts() {
    let caps = captures();
    assert!(!caps.is_empty(), "no captures under {DIR}");
    let mut failures = Vec::new();
    let (mut apps, mut scenarios) = (Vec::new(), Vec::new());
    for c in &caps {
        let what = format!("linux-{}/{}", c.kernel, c.name);
        let own = Kernel::parse(&c.kernel).map_or(Policy::MODERN, Policy::for_kernel);
        match &c.run {
            Run::App { strace, ftrace } => {
                let user = import_strace(strace);
                imported_ok(&format!("{what} strace"), &user, &mut failures);
                let alone = import_ftrace(ftrace);
                imported_ok(&format!("{what} ftrace"), &alone, &mut failures);
                let s = Reading::of(&user.trace, own);
                let f = Reading::of(&alone.trace, own);
                let (joined, _) = join(user, ftrace);
                imported_ok(&format!("{what} joined"), &joined, &mut failures);
                let j = Reading::of(&joined.trace, own);
                for (how, r) in [("strace", &s), ("ftrace", &f), ("joined", &j)] {
                    if let Some(m) = missed(&c.name, how, &r.loud_own) {
                        failures.push(format!("{what} {m}"));
                    }
                    for l in unexpected(&c.name, &r.loud_auto) {
                        failures.push(format!("{what} {how} under {}: {l}", r.auto));
                    }
                    for l in unexpected(&c.name, &r.loud_own) {
                        failures.push(format!("{what} {how} under {own}: {l}"));
                    }
                }
                if agreement_gap(&c.name).is_none() {
                    check_agreement(&what, &j, &mut failures);
                }
                apps.push(app_row(c, &s, &f, &j, &joined.trace));
            }
            Run::Scenario { trace, ftrace } => {
                let (recorded, diags) =
                    read_native_bytes(trace).unwrap_or_else(|e| panic!("{what}: {e}"));
                if let Some(d) = diags.iter().find(|d| d.severity >= DiagSeverity::Warning) {
                    failures.push(format!("{what}: {d}"));
                }
                let merged = vb2scope_core::kernel::merge(&device_side(&recorded), ftrace);
                if let Some(d) = merged
                    .diagnostics
                    .iter()
                    .find(|d| d.severity >= DiagSeverity::Error)
                {
                    failures.push(format!("{what}: merge: {d}"));
                }
                let t = merged.trace;
                let r = Reading::of(&t, own);
                if r.auto != own {
                    failures.push(format!(
                        "{what}: auto chose {} though the trace names its kernel",
                        r.auto
                    ));
                }
                check_agreement(&what, &r, &mut failures);
                scenarios.push(scenario_row(c, &r, &t));
            }
        }
    }
    let recorded: Vec<String> = recordings(&mut failures)
        .iter()
        .map(|r| {
            let own = Kernel::parse(&r.kernel).map_or(Policy::MODERN, Policy::for_kernel);
            recording_row(r, &Reading::of(&r.trace, own))
        })
        .collect();
    let generated = table(&apps, &scenarios, &recorded);
    let doc = std::fs::read_to_string(DOC).unwrap_or_default();
    if std::env::var_os("VB2SCOPE_UPDATE_DOCS").is_some() {
        let new = match doc.split_once(TABLE_START) {
            Some((head, rest)) => {
                let tail = rest.split_once(TABLE_END).map_or("", |(_, t)| t);
                format!("{head}{}{tail}", generated.trim_end())
            }
            None => format!("{doc}\n{generated}"),
        };
        std::fs::write(DOC, new).unwrap_or_else(|e| panic!("{DOC}: {e}"));
    } else {
        let current = doc
            .split_once(TABLE_START)
            .and_then(|(_, rest)| rest.split_once(TABLE_END))
            .map(|(mid, _)| format!("{TABLE_START}{mid}{TABLE_END}\n"));
        assert_eq!(
            current.as_deref(),
            Some(generated.as_str()),
            "docs/fidelity.md is out of date: VB2SCOPE_UPDATE_DOCS=1 cargo test -p vb2scope-core --test corpus"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
