//! Scenarios lowered once: the script of every curated scenario (golden), what recording it
//! on the model keeps of it, and what a kernel would answer to the values it leaves open.

mod common;

use std::fmt::Write as _;

use proptest::prelude::*;

use vb2scope_core::format::write_native;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{self, Script};
use vb2scope_core::trace::{Body, IoctlArg, Trace};
use vb2scope_core::v4l2::{Errno, Origin};

fn curated() -> Vec<std::path::PathBuf> {
    common::curated_scenarios()
}

fn render(s: &Script) -> String {
    let mut out = Vec::new();
    write_native(&mut out, &s.trace).expect("writes to memory");
    // A script's results are the player's to give: not shown.
    let mut text = String::from_utf8(out)
        .expect("utf-8")
        .replace("\"result\":\"ok\",", "");
    for (addr, p) in &s.maps {
        let _ = writeln!(
            text,
            "map {addr:#x}: {} {}/{}",
            p.ty.as_str(),
            p.index,
            p.plane
        );
    }
    for (i, n) in &s.names {
        let _ = writeln!(text, "name {i}: {n}");
    }
    text
}

#[test]
fn the_script_of_every_curated_scenario() {
    for path in curated() {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let text = std::fs::read_to_string(&path).expect("readable");
        let sc = scenario::parse(name, &text).expect("parses");
        let script = scenario::lower(&sc).expect("lowers");
        insta::assert_snapshot!(format!("script_{name}"), render(&script));
    }
}

/// The scripted events of a recording: what the model and a device both play.
fn scripted(t: &Trace) -> Vec<(u32, u64, String)> {
    t.events
        .iter()
        .filter(|e| e.origin() == Origin::Scripted)
        .map(|e| {
            let what = match e.body {
                Body::Ioctl { fd, cmd, .. } => format!("ioctl {fd} {cmd:?}"),
                Body::Open { fd, .. } => format!("open {fd}"),
                Body::Close { fd } => format!("close {fd}"),
                Body::Dup { fd, new_fd } => format!("dup {fd} {new_fd}"),
                Body::Dmabuf { fd, .. } => format!("dmabuf {fd}"),
                Body::Mmap { fd, .. } => format!("mmap {fd}"),
                Body::Munmap { .. } => "munmap".into(),
                Body::Driver { ty, .. } => format!("driver {}", ty.as_str()),
                Body::Expect { want } => format!("expect {want:?}"),
                Body::Marker { .. } => "marker".into(),
                _ => "other".into(),
            };
            (e.line(), e.t_ns, what)
        })
        .collect()
}

fn stmt() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "queue capture",
            "queue output size=4096",
            "queue capture mplane planes=2 size=8192",
        ])
        .prop_map(str::to_string),
        (
            0u32..4,
            prop::sample::select(vec!["mmap", "userptr", "dmabuf"])
        )
            .prop_map(|(n, m)| format!("reqbufs {n} {m}")),
        (0u32..3).prop_map(|i| format!("qbuf {i}")),
        (
            0u32..3,
            prop::sample::select(vec!["fd=a", "fd=b", "ptr=u", "fd=a,b"])
        )
            .prop_map(|(i, m)| format!("qbuf {i} {m}")),
        (0u32..3).prop_map(|i| format!("mmap {i}")),
        (0u32..3).prop_map(|i| format!("munmap {i}")),
        (0u32..3).prop_map(|i| format!("expbuf {i} as e")),
        prop::sample::select(vec![
            "dqbuf",
            "dqbuf nonblock",
            "streamon",
            "streamoff",
            "driver done",
            "driver error",
            "driver keep-on-stop",
            "create_bufs 1",
            "querybuf 0",
            "remove_bufs 0 1",
            "free u",
            "close a",
            "dup a as c",
            "use h",
            "use main",
            "streamon\nexpect ok",
            "marker m",
        ])
        .prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Recording fills in what the kernel chooses and adds what it implies, nothing else:
    /// the scripted events of every recording are the script's, under every policy.
    #[test]
    fn recording_keeps_the_script(lines in prop::collection::vec(stmt(), 0..30)) {
        let text = format!(
            "open h\nuse main\ndmabuf a 8192\ndmabuf b 8192\nuserptr u 614400\n{}",
            lines.join("\n")
        );
        let sc = scenario::parse("p.vb2s", &text).expect("the generator writes valid lines");
        let script = scenario::lower(&sc).expect("lowers");
        for p in Policy::ALL {
            if let Ok(t) = scenario::run(&sc, p) {
                prop_assert_eq!(scripted(&t), scripted(&script.trace), "{}", p);
            }
        }
    }
}

/// A plane of a DMABUF queue passed a dma-buf larger than the format's plane size was given
/// the format's size as its length; an application (and a device run of the same scenario)
/// passes the dma-buf's size, which vb2 keeps as the plane's length.
#[test]
fn a_dmabuf_plane_is_as_long_as_its_dmabuf() {
    let text = "queue output size=4096\nreqbufs 1 dmabuf\ndmabuf b 8192\nqbuf 0 fd=b\nquerybuf 0\n";
    for p in Policy::ALL {
        let t = common::run(text, p);
        let length = t.events.iter().find_map(|e| match e.body {
            Body::Ioctl { arg, .. } if e.line() == 5 => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(b.length),
                _ => None,
            },
            _ => None,
        });
        assert_eq!(length, Some(8192), "{p}");
    }
}

/// A dma-buf's fd queued on a USERPTR queue is an address with no length: vb2 refuses it
/// (EINVAL). The recorded argument passed the format's length instead, so the replay of the
/// recorded trace accepted what the recording refused.
#[test]
fn a_dmabuf_fd_on_a_userptr_queue_is_refused_and_recorded_as_passed() {
    let text = "reqbufs 1 userptr\ndmabuf a 614400\nqbuf 0 fd=a\n";
    for p in Policy::ALL {
        let t = common::run(text, p);
        assert_eq!(common::result_at(&t, 3), Err(Errno::EINVAL), "{p}");
        let length = t.events.iter().find_map(|e| match e.body {
            Body::Ioctl { arg, .. } if e.line() == 3 => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(b.length),
                _ => None,
            },
            _ => None,
        });
        assert_eq!(length, Some(0), "{p}");
    }
}
