//! The v4l2-tracer importer on the generated samples (v4l-utils 1.33.0 against an emulated
//! vivid-like device, copied from shared/samples/synthetic/v4l2-tracer), on a file cut short,
//! and on arbitrary bytes. Expected counts come from reading the JSON files.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use vb2scope_core::check::check_trace;
use vb2scope_core::format::DiagSeverity;
use vb2scope_core::import::Imported;
use vb2scope_core::import::v4l2_tracer::import_v4l2_tracer;
use vb2scope_core::policy::Policy;
use vb2scope_core::trace::{Body, DriverAction, IoctlArg, IoctlCmd, Trace};
use vb2scope_core::v4l2::{BufType, DriverCfg, Memory, Origin};

fn fixture(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/import/v4l2-tracer/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Ioctls per command name, `+err` appended for failed ones.
fn ioctls(t: &Trace) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in &t.events {
        if let Body::Ioctl { cmd, result, .. } = e.body {
            let k = format!(
                "{}{}",
                cmd.name(),
                if result.is_err() { "+err" } else { "" }
            );
            *m.entry(k).or_insert(0) += 1;
        }
    }
    m
}

fn count(t: &Trace, f: impl Fn(&Body) -> bool) -> usize {
    t.events.iter().filter(|e| f(&e.body)).count()
}

/// Buffer indices named by successful buffer ioctls.
fn indices(t: &Trace) -> Vec<u32> {
    let mut v: Vec<u32> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                arg,
                result: Ok(()),
                ..
            } => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(b.index),
                _ => None,
            },
            _ => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn no_errors(name: &str, imp: &Imported) {
    let errs: Vec<_> = imp
        .diagnostics
        .iter()
        .filter(|d| d.severity >= DiagSeverity::Warning)
        .collect();
    assert!(errs.is_empty(), "{name}: {errs:?}");
    assert!(
        imp.trace
            .events
            .iter()
            .all(|e| e.origin() == Origin::Observed)
    );
    // Time is the order of calls, 1 µs apart.
    for (i, e) in imp.trace.events.iter().enumerate() {
        assert_eq!(e.t_ns, i as u64 * 1000, "{name}");
    }
    assert!(imp.trace.header.source.contains("clock none"));
}

fn map(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

fn snapshot(name: &str, imp: &Imported) {
    let mut out = String::new();
    for d in &imp.diagnostics {
        out.push_str(&format!("diag {d}\n"));
    }
    out.push_str("== findings (modern)\n");
    for l in common::render(&check_trace(&imp.trace, Policy::MODERN)) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("== timeline (modern)\n");
    out.push_str(&vb2scope_core::timeline::build(&imp.trace, Policy::MODERN).dump());
    insta::assert_snapshot!(name, out);
}

#[test]
fn sp_mmap_pretty() {
    let imp = import_v4l2_tracer(&fixture("sp_mmap_pretty.json"));
    no_errors("sp_mmap", &imp);
    let t = &imp.trace;
    assert_eq!(
        ioctls(t),
        map(&[
            ("VIDIOC_QUERYCAP", 1),
            ("VIDIOC_REQBUFS", 2),
            ("VIDIOC_QUERYBUF", 2),
            ("VIDIOC_QBUF", 8),
            ("VIDIOC_QBUF+err", 1),
            ("VIDIOC_DQBUF", 6),
            ("VIDIOC_DQBUF+err", 1),
            ("VIDIOC_STREAMON", 1),
            ("VIDIOC_STREAMOFF", 1),
        ])
    );
    // QUERYCAP's `v4l2_capability`, capabilities by name.
    let cap = t.events.iter().find_map(|e| match e.body {
        Body::Ioctl { arg, .. } => match t.arg(arg) {
            Some(IoctlArg::Querycap(c)) => Some(*c),
            _ => None,
        },
        _ => None,
    });
    let cap = cap.expect("a QUERYCAP");
    let strings = [cap.driver, cap.card, cap.bus_info].map(|s| t.str(s));
    assert_eq!(strings, ["vivid", "vivid", "platform:vivid-000"]);
    assert_eq!(cap.device_caps, Some(0x0400_1001));
    assert_eq!(cap.caps, Some(0x8520_8000));
    assert_eq!(count(t, |b| matches!(b, Body::Mmap { fd: 3, .. })), 2);
    assert_eq!(count(t, |b| matches!(b, Body::Munmap { .. })), 2);
    assert_eq!(count(t, |b| matches!(b, Body::Open { fd: 3, .. })), 1);
    assert_eq!(count(t, |b| matches!(b, Body::Close { fd: 3 })), 1);
    assert_eq!(indices(t), vec![0, 1]);
    // The second mmap: offset 614400 at 140526306017280, as QUERYBUF index 1 said.
    let ext: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Mmap { ext, .. } => Some(t.extent(ext)),
            _ => None,
        })
        .collect();
    assert_eq!(
        (ext[1].offset, ext[1].len, ext[1].addr),
        (614400, 614400, 140526306017280)
    );
    // S_FMT: one plane of 614400 bytes.
    assert_eq!(
        count(t, |b| matches!(
            b,
            Body::Driver {
                ty: BufType::VideoCapture,
                action: DriverAction::Config(DriverCfg::Format {
                    planes: 1,
                    size: 614400
                }),
                ..
            }
        )),
        1
    );
    // The ERROR flag on the sixth DQBUF, and the open's O_NONBLOCK (oflag 0x802).
    let dq: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Dqbuf,
                arg,
                result: Ok(()),
                ..
            } => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(*b),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(dq.len(), 6);
    assert_eq!(dq[5].flags & 0x40, 0x40);
    assert!(dq.iter().all(|b| b.nonblock && b.field == 1));
    assert_eq!(dq[0].timestamp_ns, 594663155000);
    snapshot("sp_mmap_pretty", &imp);
}

#[test]
fn mp_dmabuf_compact() {
    let imp = import_v4l2_tracer(&fixture("mp_dmabuf_compact.json"));
    no_errors("mp_dmabuf", &imp);
    let t = &imp.trace;
    assert_eq!(
        ioctls(t),
        map(&[
            ("VIDIOC_REQBUFS", 2),
            ("VIDIOC_QBUF", 5),
            ("VIDIOC_DQBUF", 2),
            ("VIDIOC_STREAMON", 1),
            ("VIDIOC_STREAMOFF", 1),
        ])
    );
    assert_eq!(indices(t), vec![0, 1]);
    // Two planes of 921600 and 460800: the model's one size is the smaller.
    assert_eq!(
        count(t, |b| matches!(
            b,
            Body::Driver {
                action: DriverAction::Config(DriverCfg::Format {
                    planes: 2,
                    size: 460800
                }),
                ..
            }
        )),
        1
    );
    // DMABUF fds are not recorded: the planes' m stays 0 (unknown), lengths are kept.
    let qb = t.events.iter().find_map(|e| match e.body {
        Body::Ioctl {
            cmd: IoctlCmd::Qbuf,
            arg,
            ..
        } => match t.arg(arg) {
            Some(IoctlArg::Buffer(b)) => Some(*b),
            _ => None,
        },
        _ => None,
    });
    let qb = qb.expect("a QBUF");
    assert_eq!(qb.memory, Some(Memory::Dmabuf));
    let planes = t.planes_of(&qb);
    assert_eq!(planes.len(), 2);
    assert_eq!((planes[0].length, planes[0].m), (921600, 0));
    assert_eq!((planes[1].length, planes[1].m), (460800, 0));
    snapshot("mp_dmabuf_compact", &imp);
}

#[test]
fn mp_expbuf_compact() {
    let imp = import_v4l2_tracer(&fixture("mp_expbuf_compact.json"));
    no_errors("mp_expbuf", &imp);
    let t = &imp.trace;
    assert_eq!(
        ioctls(t),
        map(&[
            ("VIDIOC_REQBUFS", 1),
            ("VIDIOC_QUERYBUF", 1),
            ("VIDIOC_EXPBUF", 1),
            ("VIDIOC_EXPBUF+err", 1),
        ])
    );
    let exp: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl { arg, .. } => match t.arg(arg) {
                Some(IoctlArg::Expbuf {
                    index,
                    plane,
                    fd_out,
                    ..
                }) => Some((*index, *plane, *fd_out)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(exp, vec![(0, 1, Some(5)), (9, 0, None)]);
    snapshot("mp_expbuf_compact", &imp);
}

#[test]
fn userptr_compact() {
    let imp = import_v4l2_tracer(&fixture("userptr_compact.json"));
    no_errors("userptr", &imp);
    let t = &imp.trace;
    // The STREAMON on type 0x2a (EINVAL) names no video queue: skipped with an info.
    assert_eq!(
        ioctls(t),
        map(&[
            ("VIDIOC_REQBUFS", 2),
            ("VIDIOC_QBUF", 1),
            ("VIDIOC_STREAMON", 1),
            ("VIDIOC_DQBUF", 1),
            ("VIDIOC_STREAMOFF", 1),
            ("VIDIOC_CREATE_BUFS", 1),
            ("VIDIOC_PREPARE_BUF", 1),
        ])
    );
    assert_eq!(imp.diagnostics.len(), 1);
    assert_eq!(imp.diagnostics[0].severity, DiagSeverity::Info);
    let create = t.events.iter().find_map(|e| match e.body {
        Body::Ioctl {
            cmd: IoctlCmd::CreateBufs,
            arg,
            ..
        } => t.arg(arg).copied(),
        _ => None,
    });
    assert_eq!(
        create,
        Some(IoctlArg::Alloc {
            ty: BufType::VideoCapture,
            memory: Memory::Mmap,
            count: 2,
            count_out: Some(2),
            index: Some(0),
            // MMAP | DMABUF, from the names the tracer wrote.
            caps: Some(5),
            max_buffers: None,
        })
    );
    snapshot("userptr_compact", &imp);
}

/// Cuts `sp_mmap_pretty.json` inside the object of its 9th call: calls before are kept.
#[test]
fn truncated_file_keeps_complete_calls_and_reports_the_cut() {
    let full = fixture("sp_mmap_pretty.json");
    let text = String::from_utf8(full.clone()).expect("utf-8");
    // The start of the object holding the first DQBUF, and a cut 40 bytes into it.
    let dq = text.find("\"VIDIOC_DQBUF\"").expect("a DQBUF");
    let obj = text
        .get(..dq)
        .and_then(|s| s.rfind("{\n"))
        .expect("its object");
    let cut = &full[..obj + 40];
    let imp = import_v4l2_tracer(cut);
    let t = &imp.trace;
    // Calls before it: open, QUERYCAP, REQBUFS, 2 QUERYBUF, 2 mmap, 2 QBUF, STREAMON, S_FMT.
    assert_eq!(
        ioctls(t),
        map(&[
            ("VIDIOC_QUERYCAP", 1),
            ("VIDIOC_REQBUFS", 1),
            ("VIDIOC_QUERYBUF", 2),
            ("VIDIOC_QBUF", 2),
            ("VIDIOC_STREAMON", 1),
        ])
    );
    assert_eq!(count(t, |b| matches!(b, Body::Mmap { .. })), 2);
    assert_eq!(imp.diagnostics.len(), 1, "{:?}", imp.diagnostics);
    let d = &imp.diagnostics[0];
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(d.byte, obj as u64);
    assert_eq!(d.line as usize, text[..obj].matches('\n').count() + 1);
    assert!(
        d.message.contains(&format!("byte {}", obj + 40)),
        "{}",
        d.message
    );

    // Cut right after a complete object and its `,\n`: no `]`, nothing half-written.
    let after = text.get(..obj).expect("prefix");
    let imp = import_v4l2_tracer(after.as_bytes());
    assert_eq!(imp.diagnostics.len(), 1);
    assert!(imp.diagnostics[0].message.contains("without the closing"));
    // QUERYCAP, REQBUFS, 2 QUERYBUF, 2 QBUF, STREAMON.
    assert_eq!(ioctls(&imp.trace).values().sum::<usize>(), 7);
}

#[test]
fn malformed_objects_are_reported_with_their_line() {
    let text = "[\n\
        {\"fd\":3,\"open\":{\"path\":\"/dev/video0\",\"oflag\":\"0x2\"}},\n\
        {\"fd\":3,\"ioctl\":\"VIDIOC_STREAMON\",\"from_userspace\":{\"type\":\"V4L2_BUF_TYPE_VIDEO_CAPTURE\"},\"errno\":\"Invalid argument\"},\n\
        {\"fd\":3,\"ioctl\":\"VIDIOC_QBUF\" oops},\n\
        {\"ioctl\":\"VIDIOC_QBUF\"},\n\
        {\"fd\":3,\"ioctl\":\"VIDIOC_STREAMOFF\",\"from_userspace\":{\"type\":\"V4L2_BUF_TYPE_VIDEO_CAPTURE\"},\"errno\":\"Mystery\"},\n\
        {\"fd\":3,\"close\":\"/dev/video0\"}\n\
        ]\n";
    let imp = import_v4l2_tracer(text.as_bytes());
    let lines: Vec<(u32, DiagSeverity)> = imp
        .diagnostics
        .iter()
        .map(|d| (d.line, d.severity))
        .collect();
    assert_eq!(
        lines,
        vec![
            (4, DiagSeverity::Error),
            (5, DiagSeverity::Error),
            (6, DiagSeverity::Error)
        ],
        "{:?}",
        imp.diagnostics
    );
    let line4 = text.split('\n').take(3).map(|l| l.len() + 1).sum::<usize>();
    assert_eq!(imp.diagnostics[0].byte, line4 as u64);
    // The strerror text is read as EINVAL; open and close are kept.
    assert_eq!(ioctls(&imp.trace), map(&[("VIDIOC_STREAMON+err", 1)]));
    assert_eq!(imp.trace.events.len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = import_v4l2_tracer(&bytes);
    }

    #[test]
    fn json_like_noise_never_panics(s in "[\\[\\]{}\":,0-9a-zA-Z_ \n-]{0,400}") {
        let _ = import_v4l2_tracer(s.as_bytes());
    }
}

#[test]
fn every_truncation_of_the_samples_is_safe() {
    for name in ["mp_expbuf_compact.json", "userptr_compact.json"] {
        let full = fixture(name);
        for n in 0..=full.len() {
            let imp = import_v4l2_tracer(&full[..n]);
            // A cut never costs a complete call: every call of the whole file that ends
            // before the cut is there.
            assert!(imp.trace.events.len() <= import_v4l2_tracer(&full).trace.events.len());
        }
    }
    let full = fixture("sp_mmap_pretty.json");
    for n in (0..=full.len()).step_by(7) {
        let _ = import_v4l2_tracer(&full[..n]);
    }
}

#[test]
fn text_after_the_closing_bracket_is_a_warning() {
    let text = "[\n{\"fd\":3,\"close\":\"/dev/video0\"}\n]\n{\"fd\":4,\"close\":\"x\"}\n";
    let imp = import_v4l2_tracer(text.as_bytes());
    assert_eq!(imp.trace.events.len(), 1);
    assert_eq!(imp.diagnostics.len(), 1);
    assert_eq!(
        (imp.diagnostics[0].line, imp.diagnostics[0].severity),
        (4, DiagSeverity::Warning)
    );
}

#[test]
fn fixtures_are_detected_as_v4l2_tracer() {
    use vb2scope_core::import::{Format, detect};
    for name in [
        "sp_mmap_pretty.json",
        "mp_dmabuf_compact.json",
        "mp_expbuf_compact.json",
        "userptr_compact.json",
    ] {
        assert_eq!(
            detect(&fixture(name), name),
            Some(Format::V4l2Tracer),
            "{name}"
        );
    }
}
