//! The dmesg (V4L2 `dev_debug`) importer, on real captures (`k612-*`: Linux 6.12 and vivid in
//! the test VM, `dev_debug=11`, made by `capture-k612.sh` beside them; expected counts by grep)
//! and on hand-written fixtures from the `v4l_print_*` formats of `v4l2-ioctl.c` (see
//! shared/reference/trace-formats.md §3) for what the captures do not show: errors,
//! multi-planar DMABUF, kernel warnings.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use vb2scope_core::check::check_trace;
use vb2scope_core::format::DiagSeverity;
use vb2scope_core::import::Imported;
use vb2scope_core::import::dmesg::import_dmesg;
use vb2scope_core::policy::Policy;
use vb2scope_core::trace::{Body, DriverAction, IoctlArg, IoctlCmd, Trace, V4l2Buffer};
use vb2scope_core::v4l2::{BufType, DriverCfg, Errno, Memory, Origin};

fn fixture(name: &str) -> String {
    let p = format!(
        "{}/tests/fixtures/import/dmesg/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Ioctls per `node cmd`, `+err` appended for failed ones.
fn ioctls(t: &Trace) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for e in &t.events {
        match e.body {
            Body::Open { fd, path, .. } => {
                nodes.insert(fd, t.str(path).to_string());
            }
            Body::Ioctl {
                fd, cmd, result, ..
            } => {
                let node = nodes.get(&fd).cloned().unwrap_or_default();
                let err = if result.is_err() { "+err" } else { "" };
                *m.entry(format!("{node} {}{err}", cmd.name())).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    m
}

fn map(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

fn buffers(t: &Trace, cmd: IoctlCmd) -> Vec<V4l2Buffer> {
    t.events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl { cmd: c, arg, .. } if c == cmd => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(*b),
                _ => None,
            },
            _ => None,
        })
        .collect()
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
}

fn snapshot(name: &str, imp: &Imported) {
    let mut out = format!("source: {}\n", imp.trace.header.source);
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
fn vivid_mmap_with_printk_times() {
    let imp = import_dmesg(&fixture("vivid-mmap.dmesg.txt"));
    no_errors("vivid-mmap", &imp);
    assert!(imp.diagnostics.is_empty(), "{:?}", imp.diagnostics);
    let t = &imp.trace;
    assert_eq!(
        ioctls(t),
        map(&[
            ("/dev/video0 VIDIOC_QUERYCAP", 1),
            ("/dev/video0 VIDIOC_REQBUFS", 2),
            ("/dev/video0 VIDIOC_QUERYBUF", 4),
            ("/dev/video0 VIDIOC_QBUF", 10),
            ("/dev/video0 VIDIOC_DQBUF", 6),
            ("/dev/video0 VIDIOC_DQBUF+err", 1),
            ("/dev/video0 VIDIOC_STREAMON", 1),
            ("/dev/video0 VIDIOC_STREAMOFF", 1),
        ])
    );
    // `driver=vivid, card=vivid, bus=platform:vivid-000, …, device_caps=0x05a00001`.
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
    assert_eq!(cap.device_caps, Some(0x05a0_0001));
    // One node, one stand-in open; the S_FMT size; printk times in ns.
    assert_eq!(t.devices.len(), 1);
    let fmt: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Driver {
                ty: BufType::VideoCapture,
                action: DriverAction::Config(c),
                ..
            } => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(
        fmt,
        vec![DriverCfg::Format {
            planes: 1,
            size: 460800
        }]
    );
    assert!(t.header.source.contains("clock printk"));
    let first_ioctl = t
        .events
        .iter()
        .find(|e| matches!(e.body, Body::Ioctl { .. }));
    assert_eq!(first_ioctl.map(|e| e.t_ns), Some(18_101_462_000));
    assert!(t.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
    let qb = buffers(t, IoctlCmd::Querybuf);
    let idx: Vec<u32> = qb.iter().map(|b| b.index).collect();
    assert_eq!(idx, vec![0, 1, 2, 3]);
    assert_eq!(qb[1].m, 0x8000);
    assert_eq!(qb[1].length, 460800);
    assert_eq!(qb[1].memory, Some(Memory::Mmap));
    let dq = buffers(t, IoctlCmd::Dqbuf);
    // Buffer timestamp 00:00:18.203000 of the second DQBUF, sequence 1, field none.
    assert_eq!(
        (dq[1].timestamp_ns, dq[1].sequence, dq[1].field),
        (18_203_000_000, 1, 1)
    );
    assert_eq!(dq[1].flags, 0x2001);
    // The last DQBUF failed with EAGAIN: the file was non-blocking.
    assert_eq!(dq.len(), 7);
    assert!(dq[6].nonblock && !dq[0].nonblock);
    snapshot("vivid-mmap", &imp);
}

#[test]
fn two_nodes_mplane_dmabuf_and_klog() {
    let imp = import_dmesg(&fixture("two-nodes-mplane-dmabuf.dmesg.txt"));
    no_errors("two-nodes", &imp);
    let t = &imp.trace;
    assert_eq!(
        ioctls(t),
        map(&[
            ("/dev/video0 VIDIOC_REQBUFS", 2),
            ("/dev/video0 VIDIOC_EXPBUF", 2),
            ("/dev/video1 VIDIOC_REQBUFS", 2),
            ("/dev/video1 VIDIOC_QBUF", 1),
            ("/dev/video1 VIDIOC_QBUF+err", 1),
            ("/dev/video1 VIDIOC_STREAMON", 1),
            ("/dev/video1 VIDIOC_STREAMOFF", 1),
        ])
    );
    assert_eq!(t.devices.len(), 2);
    assert!(t.header.source.contains("clock none"));
    // The QBUF's planes carry the dma-buf fds from offset/userptr.
    let qb = buffers(t, IoctlCmd::Qbuf);
    let planes: Vec<_> = t
        .planes_of(&qb[0])
        .iter()
        .map(|p| (p.m, p.length))
        .collect();
    assert_eq!(planes, vec![(5, 921600), (6, 460800)]);
    assert_eq!(qb[0].length, 2);
    let failed = t.events.iter().find_map(|e| match e.body {
        Body::Ioctl {
            cmd: IoctlCmd::Qbuf,
            result: Err(e),
            ..
        } => Some(e),
        _ => None,
    });
    assert_eq!(failed, Some(Errno::EINVAL));
    // The two-plane format: the smaller size for the model; the vb2 message as a klog.
    assert!(t.events.iter().any(|e| matches!(
        e.body,
        Body::Driver {
            action: DriverAction::Config(DriverCfg::Format {
                planes: 2,
                size: 460800
            }),
            ..
        }
    )));
    let klogs: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Klog { text } => Some(t.str(text)),
            _ => None,
        })
        .collect();
    assert_eq!(
        klogs,
        vec![
            "videobuf2_common: driver bug: stop_streaming operation is leaving buffer 0 in active state"
        ]
    );
    snapshot("two-nodes-mplane-dmabuf", &imp);
}

#[test]
fn malformed_lines_have_line_numbers_and_offsets() {
    let text = fixture("malformed.dmesg.txt");
    let imp = import_dmesg(&text);
    let got: Vec<(u32, DiagSeverity)> = imp
        .diagnostics
        .iter()
        .map(|d| (d.line, d.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, DiagSeverity::Error),
            (3, DiagSeverity::Error),
            (5, DiagSeverity::Info),
            (6, DiagSeverity::Error),
        ],
        "{:?}",
        imp.diagnostics
    );
    let starts: Vec<u64> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i as u64 + 1))
        .collect();
    for d in &imp.diagnostics {
        assert_eq!(d.byte, starts[d.line as usize - 1], "{d}");
    }
    // The good lines are kept: REQBUFS and the second QBUF.
    assert_eq!(
        ioctls(&imp.trace),
        map(&[
            ("/dev/video0 VIDIOC_REQBUFS", 1),
            ("/dev/video0 VIDIOC_QBUF", 1)
        ])
    );
}

#[test]
fn names_only_logging_is_one_warning() {
    let text = "video0: VIDIOC_QBUF\nvideo0: VIDIOC_DQBUF: error -11\nvideo0: VIDIOC_QBUF\n";
    let imp = import_dmesg(text);
    assert_eq!(imp.diagnostics.len(), 1);
    assert_eq!(imp.diagnostics[0].severity, DiagSeverity::Warning);
    assert!(imp.trace.events.is_empty());
}

#[test]
fn other_lines_are_skipped_silently() {
    let text =
        "[    1.0] usb 1-1: VIDIOC_QBUF\nsomething: VIDIOC_QBUF: index=0\n\n\r\nplane 0: x\n";
    let imp = import_dmesg(text);
    assert!(imp.diagnostics.is_empty(), "{:?}", imp.diagnostics);
    assert!(imp.trace.events.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,600}") {
        let _ = import_dmesg(&s);
    }

    #[test]
    fn dmesg_like_noise_never_panics(s in "(\\[ *[0-9.]{0,9}\\] )?(video[0-9]: VIDIOC_[A-Z_]{2,9}(: error -?[0-9x]{0,4})?: )?([a-z/_ ]{0,9}=[0-9a-fx:.-]{0,12}, ){0,12}\n?(plane [0-9]: [a-z_=0-9x, ]{0,40}\n)?") {
        let _ = import_dmesg(&s);
    }
}

#[test]
fn every_truncation_of_the_samples_is_safe() {
    for name in ["vivid-mmap.dmesg.txt", "two-nodes-mplane-dmabuf.dmesg.txt"] {
        let full = fixture(name);
        for n in (0..=full.len()).filter(|&n| full.is_char_boundary(n)) {
            let _ = import_dmesg(&full[..n]);
        }
    }
}

#[test]
fn fixtures_are_detected_as_dmesg() {
    use vb2scope_core::import::{Format, detect};
    for name in ["vivid-mmap.dmesg.txt", "two-nodes-mplane-dmabuf.dmesg.txt"] {
        assert_eq!(
            detect(fixture(name).as_bytes(), name),
            Some(Format::Dmesg),
            "{name}"
        );
    }
}

/// Real captures: every buffer ioctl kept, with the counts
/// `grep -cE "video[0-9]+: VIDIOC_<CMD>:"` gives (none of them failed), no warning, and a
/// replay under modern without divergence.
#[test]
fn real_captures_import_with_the_counts_grep_gives() {
    let session = |node: &str, reqbufs, querybuf, qbuf, dqbuf, streamoff| {
        map(&[
            (&format!("{node} VIDIOC_REQBUFS"), reqbufs),
            (&format!("{node} VIDIOC_QUERYBUF"), querybuf),
            (&format!("{node} VIDIOC_QBUF"), qbuf),
            (&format!("{node} VIDIOC_DQBUF"), dqbuf),
            (&format!("{node} VIDIOC_STREAMON"), 1),
            (&format!("{node} VIDIOC_STREAMOFF"), streamoff),
            // v4l2-ctl asks QUERYCAP twice: when it opens the node and before streaming.
            (&format!("{node} VIDIOC_QUERYCAP"), 2),
        ])
    };
    // Counted per node (`grep -cE "video0: VIDIOC_<CMD>:"`): v4l2-ctl exports the output
    // queue's buffers and queues them as its capture memory.
    // v4l2-ctl subscribes to SOURCE_CHANGE on a capture node first; vivid refuses it.
    let subscribed = |node: &str, mut m: BTreeMap<String, usize>| {
        m.insert(format!("{node} VIDIOC_SUBSCRIBE_EVENT+err"), 1);
        m
    };
    let mut dmabuf = session("/dev/video0", 2, 13, 7, 6, 2);
    dmabuf.extend(session("/dev/video1", 2, 14, 6, 3, 2));
    dmabuf.insert("/dev/video1 VIDIOC_EXPBUF".into(), 4);
    for (name, want) in [
        (
            "k612-mmap.dmesg.txt",
            subscribed("/dev/video0", session("/dev/video0", 2, 4, 10, 6, 2)),
        ),
        (
            "k612-userptr.dmesg.txt",
            subscribed("/dev/video0", session("/dev/video0", 2, 4, 10, 6, 2)),
        ),
        (
            "k612-mplane-mmap.dmesg.txt",
            subscribed("/dev/video8", session("/dev/video8", 2, 3, 7, 4, 2)),
        ),
        ("k612-dmabuf-import-from-out.dmesg.txt", dmabuf),
    ] {
        let imp = import_dmesg(&fixture(name));
        no_errors(name, &imp);
        assert_eq!(ioctls(&imp.trace), want, "{name}");
        let r = check_trace(&imp.trace, Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{name}: {:?}", r.findings);
    }
}

/// dev_debug prints the `m` union whole: for DMABUF it carries the fd each QBUF passed, the
/// only text source that shows it. Each capture buffer gets its own exported dma-buf.
#[test]
fn real_dmabuf_capture_shows_the_fd_of_every_qbuf() {
    let imp = import_dmesg(&fixture("k612-dmabuf-import-from-out.dmesg.txt"));
    let fds: Vec<(u32, Option<u64>)> = buffers(&imp.trace, IoctlCmd::Qbuf)
        .iter()
        .filter(|b| b.memory == Some(Memory::Dmabuf))
        .map(|b| (b.index, b.known_m()))
        .take(4)
        .collect();
    assert_eq!(
        fds,
        [(0, Some(6)), (1, Some(7)), (2, Some(8)), (3, Some(9))]
    );
    snapshot("k612-dmabuf-import-from-out", &imp);
}

/// Real `dev_debug=11` logs of v4l2-ctl encoding and decoding with vicodec (Linux 6.12 in
/// the test VM, `capture-codec.sh`): the codec commands and events are read, the drain is
/// followed to its LAST buffer, and the runs check clean.
#[test]
fn vicodec_codec_commands_and_events() {
    for name in ["k612-vicodec-enc.dmesg.txt", "k612-vicodec-dec.dmesg.txt"] {
        let imp = import_dmesg(&fixture(name));
        assert!(imp.diagnostics.is_empty(), "{name}: {:?}", imp.diagnostics);
        let t = &imp.trace;
        let commands: Vec<Option<u32>> = t
            .events
            .iter()
            .filter_map(|e| match e.body {
                Body::Ioctl {
                    cmd: IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd,
                    arg,
                    ..
                } => match t.arg(arg) {
                    Some(IoctlArg::Command { cmd, .. }) => Some(*cmd),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(commands, vec![Some(1)], "{name}: one STOP");
        let r = check_trace(t, Policy::MODERN);
        let loud: Vec<_> = r
            .findings
            .iter()
            .filter(|f| r.severity(f) > vb2scope_core::rules::Severity::Info)
            .map(|f| f.message())
            .collect();
        assert!(loud.is_empty(), "{name}: {loud:?}");
        assert_eq!(r.stats.divergences, 0, "{name}");
        let tl = vb2scope_core::timeline::build(t, Policy::MODERN);
        let phases: Vec<&str> = tl
            .drains
            .iter()
            .flat_map(|d| d.phases.iter().map(|p| p.value.as_str()))
            .collect();
        assert_eq!(phases.first(), Some(&"draining"), "{name}: {phases:?}");
        assert!(phases.contains(&"stopped"), "{name}: {phases:?}");
    }
    // The decoder's source change and end of stream, by type.
    let imp = import_dmesg(&fixture("k612-vicodec-dec.dmesg.txt"));
    let events: Vec<Option<u32>> = imp
        .trace
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Dqevent,
                result: Ok(()),
                arg,
                ..
            } => match imp.trace.arg(arg) {
                Some(IoctlArg::Event { ty, .. }) => Some(*ty),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(events, vec![Some(5), Some(2)]);
}

/// R47: a WARNING raised in v4l2-mem2mem's job finish is a driver bug found from the log;
/// the call trace lines that name the same function are not the warning again, and a
/// warning elsewhere is not R47.
#[test]
fn a_job_finish_warning_is_r47() {
    let text = "\
[  123.456700] video12: VIDIOC_STREAMON: type=vid-out-mplane
[  123.456789] ------------[ cut here ]------------
[  123.456790] WARNING: CPU: 1 PID: 234 at drivers/media/v4l2-core/v4l2-mem2mem.c:480 v4l2_m2m_job_finish+0x8e/0xa0 [v4l2_mem2mem]
[  123.456800] Call Trace:
[  123.456802]  v4l2_m2m_job_finish+0x8e/0xa0 [v4l2_mem2mem]
[  123.456803]  ? v4l2_m2m_buf_done_and_job_finish+0x20/0x90 [v4l2_mem2mem]
[  123.456900] WARNING: CPU: 1 PID: 234 at drivers/media/common/videobuf2/videobuf2-core.c:1100 vb2_buffer_done+0x1/0x2
";
    let imp = import_dmesg(text);
    let r = check_trace(&imp.trace, Policy::MODERN);
    let r47: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == vb2scope_core::rules::RuleId::R47)
        .collect();
    assert_eq!(r47.len(), 1, "{:?}", r.findings);
    assert!(r47[0].message().contains("v4l2_m2m_job_finish"));
}
