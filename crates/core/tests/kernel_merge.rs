//! Merging ftrace text into userspace traces: every case in tests/fixtures/kernel/ (a
//! `NAME.ftrace.txt`, with the `NAME.user.jsonl` recorded beside it, if any) merged and shown
//! event by event, with the counts, the diagnostics and what a replay under `modern` makes of
//! the observed memops. Plus: replay accepts a merged MMAP session, and merge never panics.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use vb2scope_core::check::check_trace;
use vb2scope_core::format::read_native_bytes;
use vb2scope_core::kernel::{Merged, merge};
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::RuleId;
use vb2scope_core::trace::{Body, DriverAction, Event, Trace};
use vb2scope_core::v4l2::{Origin, outcome_str};

fn dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures/kernel")
}

fn load(name: &str) -> (Trace, String) {
    let user = match std::fs::read(dir().join(format!("{name}.user.jsonl"))) {
        Ok(bytes) => {
            let (t, diags) = read_native_bytes(&bytes).expect("user trace loads");
            assert!(diags.is_empty(), "{name}: {diags:?}");
            t
        }
        Err(_) => Trace::default(),
    };
    let text = std::fs::read_to_string(dir().join(format!("{name}.ftrace.txt"))).expect("ftrace");
    (user, text)
}

fn secs(t: u64) -> String {
    format!("{}.{:06}", t / 1_000_000_000, (t % 1_000_000_000) / 1_000)
}

/// One line per event: time, task, origin, what.
fn describe(t: &Trace, e: &Event) -> String {
    let what = match e.body {
        Body::Ioctl {
            fd, cmd, result, ..
        } => format!("ioctl fd {fd} {} -> {}", cmd.name(), outcome_str(result)),
        Body::Open { fd, path, .. } => format!("open {} -> fd {fd}", t.str(path)),
        Body::Close { fd } => format!("close fd {fd}"),
        Body::Dup { fd, new_fd } => format!("dup fd {fd} -> {new_fd}"),
        Body::Mmap { fd, ext } => {
            let x = t.extent(ext);
            format!("mmap fd {fd} offset {:#x}", x.offset)
        }
        Body::Munmap { ext } => format!("munmap {:#x}", t.extent(ext).addr),
        Body::Dmabuf { fd, name, .. } => format!("dmabuf {} fd {fd}", t.str(name)),
        Body::Tracepoint { name, text } => {
            let text: String = t.str(text).chars().take(72).collect();
            format!("tracepoint {}: {text}", t.str(name))
        }
        Body::Memop {
            kind,
            dev,
            ty,
            index,
            plane,
        } => format!(
            "MEMOP {} dev{dev} {} #{index}/{plane}",
            kind.as_str(),
            ty.short()
        ),
        Body::Driver { dev, ty, action } => match action {
            DriverAction::BufferDone { index, state } => format!(
                "DRIVER buffer_done dev{dev} {} #{} {}",
                ty.short(),
                index.map(|i| i.to_string()).unwrap_or("?".into()),
                state.as_str()
            ),
            DriverAction::Config(c) => format!("driver {c:?}"),
        },
        Body::Klog { text } => format!("KLOG {}", t.str(text)),
        Body::Marker { text } => format!("MARKER {}", t.str(text)),
        Body::Expect { want } => format!("expect {}", outcome_str(want)),
        Body::Poll {
            fd,
            events,
            revents,
        } => format!("POLL fd{fd} {events:#x} -> {revents:#x}"),
    };
    let origin = match e.origin() {
        Origin::Observed => "",
        Origin::Inferred => " inferred",
        Origin::Scripted => " scripted",
        Origin::Rebuilt => " rebuilt",
    };
    format!("{} {}/{}{origin} {what}", secs(e.t_ns), t.pid(e), t.tid(e))
}

fn render(m: &Merged) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:?}\n", m.counts));
    out.push_str("== diagnostics\n");
    for d in &m.diagnostics {
        out.push_str(&format!("{d}\n"));
    }
    out.push_str("== replay under modern\n");
    let r = check_trace(&m.trace, Policy::MODERN);
    out.push_str(&format!("{:?}\n", r.stats));
    for f in &r.findings {
        out.push_str(&format!(
            "{} at {}: {}\n",
            f.rule,
            secs(f.t_ns),
            f.message()
        ));
    }
    out.push_str("== events\n");
    for e in &m.trace.events {
        out.push_str(&describe(&m.trace, e));
        out.push('\n');
    }
    out
}

#[test]
fn every_fixture_merges_as_recorded() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().into_string().ok()?;
            n.strip_suffix(".ftrace.txt").map(str::to_string)
        })
        .collect();
    names.sort();
    for name in &names {
        let (user, text) = load(name);
        let m = merge(&user, &text);
        // Every userspace event is kept, in its order.
        let kept: Vec<&Event> = m
            .trace
            .events
            .iter()
            .filter(|e| user.events.contains(e))
            .collect();
        assert_eq!(kept.len(), user.events.len(), "{name}");
        // Time never goes back.
        assert!(
            m.trace.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns),
            "{name}"
        );
        insta::assert_snapshot!(name.clone(), render(&m));
    }
    assert!(names.len() >= 5, "{names:?}");
}

#[test]
fn replay_accepts_a_merged_mmap_session() {
    let (user, text) = load("mmap-session");
    let m = merge(&user, &text);
    assert_eq!(m.counts.memops_unresolved, 0, "{:?}", m.diagnostics);
    let r = check_trace(&m.trace, Policy::MODERN);
    let s = r.stats;
    assert_eq!(s.observed_memops, 8, "{s:?}");
    assert_eq!(
        (s.memops_matched, s.memops_unpredicted, s.memops_missing),
        (8, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.divergences, 0, "{s:?}");
    assert!(
        r.findings.iter().all(|f| f.rule != RuleId::Diverge),
        "{:?}",
        r.findings
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn without_userspace_events_nothing_is_guessed() {
    let (_, text) = load("mmap-session");
    let m = merge(&Trace::default(), &text);
    // The probes name index and type, but with no syscall and several possible devices,
    // the device of queue q=… is unknown.
    assert_eq!(m.counts.memops_resolved, 0, "{:?}", m.counts);
    assert!(m.counts.memops_unresolved > 0);
    assert!(
        m.trace
            .events
            .iter()
            .all(|e| !matches!(e.body, Body::Memop { .. } | Body::Driver { .. }))
    );
}

fn line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "vmalloc_alloc",
        "vmalloc_alloc_ret",
        "vmalloc_put",
        "dc_mmap",
        "sg_attach_dmabuf",
        "dc_map_dmabuf_ret",
        "get",
        "get_ret",
        "put",
        "vb2_buf_done",
        "vb2_v4l2_buf_done",
        "vb2_qbuf",
        "console",
        "tracing_mark_write",
        "reqbufs",
        "x",
    ]);
    let arg = prop::sample::select(vec![
        "vb", "q", "index", "type", "priv", "dbuf", "vaddr", "fd", "ret", "owner", "flags",
    ]);
    let value = prop_oneof![
        any::<u64>().prop_map(|v| format!("{v:#x}")),
        (0u32..12).prop_map(|v| v.to_string()),
        Just("-14".to_string()),
        Just("ERROR".to_string()),
        "[ -~]{0,6}",
    ];
    let args = prop::collection::vec((arg, value), 0..6).prop_map(|v| {
        v.iter()
            .map(|(k, v)| format!("{k}={v} {k} = {v},"))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let event = (
        prop::sample::select(vec![270u32, 271, 0, 4_000_000_000]),
        17_000_000u64..21_000_000,
        names,
        any::<bool>(),
        args,
        prop::sample::select(vec![".....", "d.h1.", "", "..s.."]),
    )
        .prop_map(|(tid, us, name, probe, args, flags)| {
            let body = if probe {
                format!("(f+0x4/0x10 [m]) {args}")
            } else {
                args
            };
            format!(
                "  comm-{tid} [001] {flags} {}.{:06}: {name}: {body}",
                us / 1_000_000,
                us % 1_000_000
            )
        });
    prop_oneof![event, "[ -~]{0,80}", "\\PC{0,40}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn merge_never_panics(lines in prop::collection::vec(line(), 0..40), with_user in any::<bool>()) {
        let user = if with_user { load("mmap-session").0 } else { Trace::default() };
        let text = lines.join("\n");
        let m = merge(&user, &text);
        prop_assert_eq!(m.trace.events.len() as u64, user.events.len() as u64 + m.counts.events);
        prop_assert!(m.trace.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
    }
}
