//! One test per fixed bug, named after what went wrong.

mod common;

use vb2scope_core::check::check_trace;
use vb2scope_core::model::{BufTarget, Model, Op, PlaneArgs};
use vb2scope_core::policy::{OffsetScheme, Policy};
use vb2scope_core::v4l2::{BufType, Errno, Memory};

fn model_with_queued_buffer(p: Policy) -> Model {
    let mut m = Model::new(p);
    let ty = BufType::VideoCapture;
    let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
    let _ = m.step(
        &Op::Reqbufs {
            fd: 3,
            ty,
            memory: Memory::Mmap,
            count: 2,
        },
        1,
        0,
        None,
    );
    let t = BufTarget {
        fd: 3,
        ty,
        index: 0,
        memory: None,
    };
    let _ = m.step(&Op::Qbuf(t, PlaneArgs::default()), 2, 0, None);
    m
}

/// A QBUF of a queued buffer that the kernel accepted counted the buffer twice.
#[test]
fn forced_qbuf_of_queued_buffer_does_not_count_it_twice() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let t = BufTarget {
            fd: 3,
            ty: BufType::VideoCapture,
            index: 0,
            memory: None,
        };
        let _ = m.step(&Op::Qbuf(t, PlaneArgs::default()), 3, 0, Some(Ok(())));
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
        assert!(
            m.findings
                .iter()
                .any(|f| f.rule == vb2scope_core::rules::RuleId::Diverge),
            "{p}"
        );
    }
}

/// A PREPARE_BUF of a queued buffer that the kernel accepted turned it PREPARED (3.8).
#[test]
fn forced_prepare_of_queued_buffer_keeps_it_queued() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let t = BufTarget {
            fd: 3,
            ty: BufType::VideoCapture,
            index: 0,
            memory: None,
        };
        let _ = m.step(&Op::PrepareBuf(t, PlaneArgs::default()), 3, 0, Some(Ok(())));
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
    }
}

/// A REMOVE_BUFS over a queued buffer that the kernel accepted left queued_count behind.
#[test]
fn forced_remove_bufs_over_queued_buffer_keeps_counters() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let _ = m.step(
            &Op::RemoveBufs {
                fd: 3,
                ty: BufType::VideoCapture,
                index: 0,
                count: 2,
            },
            3,
            0,
            Some(Ok(())),
        );
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
    }
}

/// A CREATE_BUFS with another memory type that the kernel accepted changed the queue's
/// memory under its existing buffers.
#[test]
fn forced_create_bufs_memory_mismatch_keeps_queue_memory() {
    for p in Policy::ALL {
        let mut m = Model::new(p);
        let ty = BufType::VideoCapture;
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        let _ = m.step(
            &Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Userptr,
                count: 1,
            },
            1,
            0,
            None,
        );
        let (r, _) = m.step(
            &Op::CreateBufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 1,
            },
            2,
            0,
            None,
        );
        assert_eq!(r, Err(Errno::EINVAL), "{p}: predicted");
        let _ = m.step(
            &Op::CreateBufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 1,
            },
            3,
            0,
            Some(Ok(())),
        );
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
        assert_eq!(
            m.queues.first().and_then(|q| q.memory),
            Some(Memory::Userptr),
            "{p}"
        );
    }
}

/// `driver done` without an index was recorded with the index the recording policy chose, so
/// the trace replayed differently from its scenario under another policy.
#[test]
fn driver_done_without_index_replays_like_its_scenario() {
    let s = "driver min-queued 2\nreqbufs 2 mmap\nqbuf 0\nstreamon\ndqbuf\nqbuf 1\ndriver done\ndqbuf\n";
    let recorded = common::run(s, Policy::MODERN);
    for p in Policy::ALL {
        let direct = common::check(s, p);
        assert_eq!(
            common::render(&check_trace(&recorded, p)),
            common::render(&direct),
            "{p}"
        );
    }
}

/// A failed start under 3.8 reported R08 (stop_streaming leaving buffers), though 3.8 never
/// calls stop_streaming for a queue that did not start.
#[test]
fn failed_start_under_3_8_is_not_a_stop_streaming_bug() {
    let s = "reqbufs 2 mmap\nqbuf 0\ndriver fail-start keep\nstreamon\n";
    assert!(common::rules(&common::check(s, Policy::Vb2_3_8)).is_empty());
    assert_eq!(common::rules(&common::check(s, Policy::MODERN)), ["R09"]);
}

/// `expect` after a line that performs no call (`use`, a bare `queue`) checked the hidden
/// opening of the main handle instead of failing to parse.
#[test]
fn expect_after_a_line_without_a_call_is_a_parse_error() {
    for s in [
        "queue capture\nexpect EINVAL\n",
        "open b\nuse b\nexpect ok\n",
    ] {
        let e = vb2scope_core::scenario::parse("x.vb2s", s).expect_err("refused");
        assert!(e.message.contains("expect must follow an operation"), "{e}");
    }
    assert!(
        vb2scope_core::scenario::parse("x.vb2s", "queue capture planes=2\nexpect ok\n").is_ok()
    );
}

/// Queueing user memory that was freed stopped the run with "not defined"; it is the
/// stale-pin case R18 describes.
#[test]
fn queueing_freed_user_memory_again_reports_the_stale_pin() {
    let s = "reqbufs 1 userptr\nuserptr a 614400\nqbuf 0 ptr=a\nstreamon\ndriver done\ndqbuf\nfree a\nqbuf 0 ptr=a\n";
    let r = common::check(s, Policy::MODERN);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == vb2scope_core::rules::RuleId::R18 && f.t_ns == 8_000_000),
        "{:?}",
        common::rules(&r)
    );
}

/// A plane mapped twice could be unmapped only once.
#[test]
fn a_plane_mapped_twice_is_unmapped_twice() {
    let t = common::run(
        "reqbufs 1 mmap\nmmap 0\nmmap 0\nmunmap 0\nmunmap 0\nreqbufs 0 mmap\n",
        Policy::MODERN,
    );
    assert_eq!(common::result_at(&t, 6), Ok(()));
}

/// With observed memops, R05 was reported twice for one QBUF: predicted and observed.
#[test]
fn one_double_map_is_one_finding() {
    let text = std::fs::read_to_string(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/traces/2012-report.vb2s"
    ))
    .expect("scenario");
    let mut t = common::run(&text, Policy::Vb2_2012);
    for e in &mut t.events {
        e.set_origin(vb2scope_core::v4l2::Origin::Observed);
    }
    let r = check_trace(&t, Policy::Vb2_2012);
    assert_eq!(common::rules(&r), ["R03", "R03", "R05", "R05", "R03"]);
}

/// A completion with no active buffer gave a garbled message.
#[test]
fn buffer_done_with_no_active_buffer_says_so() {
    let r = common::check("reqbufs 1 mmap\ndriver done\n", Policy::MODERN);
    assert_eq!(
        r.findings.first().map(|f| f.message()).as_deref(),
        Some("the driver completes a buffer, but no buffer is active")
    );
}

/// A blocking DQBUF with nothing in flight logged vb2's non-blocking message.
#[test]
fn blocking_dqbuf_with_nothing_in_flight_prints_no_kernel_message() {
    let t = common::run(
        "reqbufs 1 mmap\nstreamon\ndqbuf\ndqbuf nonblock\n",
        Policy::MODERN,
    );
    assert!(common::klogs_at(&t, 3).is_empty());
    assert_eq!(common::klogs_at(&t, 4).len(), 1);
}

/// The consequences of a step were grouped by kind, so a completion's `finish` came before
/// the completion itself.
#[test]
fn consequences_are_recorded_in_the_order_they_happen() {
    let t = common::run("reqbufs 1 mmap\nqbuf 0\nstreamon\ndqbuf\n", Policy::MODERN);
    let kinds: Vec<&str> = t
        .events
        .iter()
        .filter(|e| e.line() == 4 && e.origin() == vb2scope_core::v4l2::Origin::Inferred)
        .map(|e| match e.body {
            vb2scope_core::trace::Body::Driver { .. } => "done",
            vb2scope_core::trace::Body::Memop { .. } => "memop",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["done", "memop"]);
}

fn mmap_result(m: &mut Model, fd: i32, offset: u64) -> vb2scope_core::v4l2::Outcome {
    m.step(
        &Op::Mmap {
            fd,
            offset,
            len: 4096,
            addr: 0x7000_0000 + offset,
        },
        9,
        0,
        None,
    )
    .0
}

/// An output node's MMAP planes were given cookies with bit 30 set, an m2m convention for
/// capture queues: mmap() at the offsets a real output node returns (vivid-000-vid-out:
/// 0, 0x8000…) was predicted EINVAL.
#[test]
fn output_node_mmap_offsets_are_vb2s_own() {
    for p in Policy::ALL {
        let mut m = Model::new(p);
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        let ty = BufType::VideoOutput;
        let _ = m.step(
            &Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 2,
            },
            1,
            0,
            None,
        );
        // Buffer 1 sits at the policy's cookie: indexed (6.8 on) or right after buffer 0.
        let second = match p.offset_scheme() {
            OffsetScheme::Indexed => 0x8000,
            OffsetScheme::Cumulative => 0x96000,
        };
        assert_eq!(mmap_result(&mut m, 3, 0), Ok(()), "{p}");
        assert_eq!(mmap_result(&mut m, 3, second), Ok(()), "{p}");
    }
}

/// On an m2m node both queues have buffer 0; bit 30 of the offset picks the capture one.
#[test]
fn m2m_capture_offsets_carry_bit_30() {
    let mut m = Model::new(Policy::MODERN);
    let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
    for ty in [BufType::VideoOutput, BufType::VideoCapture] {
        let _ = m.step(
            &Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 1,
            },
            1,
            0,
            None,
        );
    }
    assert_eq!(mmap_result(&mut m, 3, 1 << 30), Ok(()));
    let mapped = |ty| {
        m.queue(vb2scope_core::v4l2::QueueKey { dev: 0, ty })
            .and_then(|q| q.buf(0))
            .and_then(|b| b.planes.first().map(|p| p.mmaps))
    };
    assert_eq!(mapped(BufType::VideoCapture), Some(1));
    assert_eq!(mapped(BufType::VideoOutput), Some(0));
}

/// A dup of a video fd was not followed: ioctls on the copy went to device 0's queues.
#[test]
fn ioctls_on_a_dup_of_a_video_fd_reach_its_device() {
    let text = r#"{"vb2scope":"trace","version":1}
{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":1100,"ev":"open","pid":1,"fd":4,"path":"/dev/video1"}
{"t":1200,"ev":"dup","pid":1,"fd":4,"new_fd":5}
{"t":2000,"ev":"ioctl","pid":1,"fd":5,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":1,"fd":5,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
"#;
    let (trace, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    let r = check_trace(&trace, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.stats);
    let tl = vb2scope_core::timeline::build(&trace, Policy::MODERN);
    let devs: Vec<u16> = tl.lanes.iter().map(|l| l.queue.dev).collect();
    // /dev/video1 is the trace's second device.
    assert_eq!(devs, [1, 1], "{:?}", tl.lanes);
}

fn observed_trace(lines: &str) -> vb2scope_core::trace::Trace {
    let text = format!("{{\"vb2scope\":\"trace\",\"version\":1}}\n{lines}");
    let (trace, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    trace
}

/// A QBUF whose memory the model refused but the kernel took passed silently, and the buffer
/// was left without its memory.
#[test]
fn memory_the_kernel_took_but_the_model_refuses_is_a_divergence() {
    let trace = observed_trace(
        r#"{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":1500,"ev":"driver","pid":1,"op":"format","type":"VIDEO_CAPTURE","size":614400,"planes":1}
{"t":2000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"USERPTR","count":1,"count_out":1}
{"t":3000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"USERPTR","length":4096,"userptr":140000000000000}}
"#,
    );
    let r = check_trace(&trace, Policy::MODERN);
    assert_eq!(r.stats.divergences, 1, "{:?}", r.findings);
    assert!(
        r.findings.iter().any(|f| f
            .message()
            .contains("VIDIOC_QBUF returned ok where the policy predicts EINVAL")),
        "{:?}",
        r.findings
    );
}

/// A trace that never showed the format was checked against the model's default plane size:
/// a kernel-accepted 460800-byte USERPTR plane diverged. QUERYBUF tells the size; without it
/// the length is not checked.
#[test]
fn an_untold_plane_size_refuses_nothing_and_querybuf_tells_it() {
    let head = r#"{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"USERPTR","count":1,"count_out":1}
"#;
    let querybuf = r#"{"t":2500,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QUERYBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"USERPTR","length":460800,"userptr":0}}
"#;
    let qbuf = |len: u32| {
        format!(
            r#"{{"t":3000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{{"index":0,"type":"VIDEO_CAPTURE","memory":"USERPTR","length":{len},"userptr":140000000000000}}}}
"#
        )
    };
    let divergences = |lines: String| {
        check_trace(&observed_trace(&lines), Policy::MODERN)
            .stats
            .divergences
    };
    assert_eq!(divergences(format!("{head}{}", qbuf(460_800))), 0);
    assert_eq!(divergences(format!("{head}{querybuf}{}", qbuf(460_800))), 0);
    // Once QUERYBUF said 460800, a shorter plane is refused: the kernel taking it diverges.
    assert_eq!(divergences(format!("{head}{querybuf}{}", qbuf(4096))), 1);
}

/// A multi-planar queue whose format the trace never showed was taken as one plane: a QBUF's
/// second plane was dropped. QUERYBUF tells the plane count and sizes.
#[test]
fn querybuf_tells_the_plane_count_of_an_untold_format() {
    let trace = observed_trace(
        r#"{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT_MPLANE","memory":"DMABUF","count":1,"count_out":1}
{"t":2500,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QUERYBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT_MPLANE","memory":"DMABUF","length":2,"planes":[{"length":921600,"fd":0},{"length":460800,"fd":0}]}}
{"t":2600,"ev":"dmabuf","pid":1,"fd":5,"size":921600,"name":"heap"}
{"t":2700,"ev":"dmabuf","pid":1,"fd":6,"size":462848,"name":"heap"}
{"t":3000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT_MPLANE","memory":"DMABUF","length":2,"planes":[{"length":921600,"fd":5},{"length":460800,"fd":6}]}}
"#,
    );
    let r = check_trace(&trace, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
    let tl = vb2scope_core::timeline::build(&trace, Policy::MODERN);
    let fds: Vec<String> = tl.lanes[0]
        .planes
        .iter()
        .flat_map(|p| p.assoc.iter().map(|s| s.value.handle_text()))
        .collect();
    assert_eq!(fds, ["5", "6"]);
}

/// A second STREAMOFF (v4l2-ctl stops twice) reported every lingering mapping again.
#[test]
fn a_repeated_streamoff_reports_what_lingers_once() {
    let head = r#"{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":1500,"ev":"dmabuf","pid":1,"fd":4,"size":614400,"name":"heap"}
{"t":2000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"DMABUF","count":1,"count_out":1}
{"t":3000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"DMABUF","length":614400,"fd":4}}
{"t":4000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":5000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
{"t":6000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
"#;
    let requeue = r#"{"t":7000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"DMABUF","length":614400,"fd":4}}
{"t":8000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
"#;
    let r03 = |lines: String| -> Vec<u64> {
        let trace = observed_trace(&lines);
        let r = check_trace(&trace, Policy::MODERN);
        r.findings
            .iter()
            .filter(|f| f.rule == vb2scope_core::rules::RuleId::R03)
            .map(|f| f.t_ns)
            .collect()
    };
    assert_eq!(r03(head.to_string()), [5000]);
    // Queued again after the stop: the next STREAMOFF finds it anew.
    assert_eq!(r03(format!("{head}{requeue}")), [5000, 8000]);
}

/// mmap() of an exported dma-buf's fd was predicted EBADF (only video fds were taken), so
/// every capture whose output maps the capture's dma-bufs had false DIVERGE findings. The
/// mapping keeps the exporter's memory in use, like one of the video node.
#[test]
fn mmap_of_an_exported_dmabuf_is_a_user_of_the_exporter() {
    for p in Policy::ALL {
        let mut m = Model::new(p);
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        let ty = BufType::VideoCapture;
        let reqbufs = Op::Reqbufs {
            fd: 3,
            ty,
            memory: Memory::Mmap,
            count: 2,
        };
        let _ = m.step(&reqbufs, 1, 0, None);
        let expbuf = Op::Expbuf {
            fd: 3,
            ty,
            index: 0,
            plane: 0,
            new_fd: 7,
        };
        assert_eq!(m.step(&expbuf, 2, 0, None).0, Ok(()), "{p}");
        assert_eq!(mmap_result(&mut m, 7, 0), Ok(()), "{p}");
        let plane = m
            .queues
            .first()
            .and_then(|q| q.buf(0))
            .and_then(|b| b.planes.first());
        assert_eq!(plane.map(|p| (p.mmaps, p.exports)), Some((1, 1)), "{p}");
        // An fd the trace never showed opened is no video node to the model: no finding.
        let mut lenient = Model::new(p);
        lenient.lenient = true;
        let r = lenient.step(
            &Op::Mmap {
                fd: 9,
                offset: 0,
                len: 4096,
                addr: 0x1000,
            },
            0,
            0,
            Some(Ok(())),
        );
        assert_eq!(r.0, Ok(()), "{p}");
        assert!(lenient.findings.is_empty(), "{p}: {:?}", lenient.findings);
    }
}

/// A blocking DQBUF that a signal interrupted while the driver had completed nothing (vivid of
/// 5.10 starts streaming at its second queued buffer, and the program had queued one) was a
/// DIVERGE: "returned EINTR where the policy predicts ok". vb2 was waiting, as predicted; the
/// signal ended the wait. With a buffer done, vb2 returns at once, so EINTR is not predicted.
#[test]
fn a_blocking_dqbuf_interrupted_while_waiting_is_not_a_divergence() {
    let head = r#"{"t":1000,"ev":"open","pid":1,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
{"t":4000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
"#;
    let interrupted = r#"{"t":5000,"ev":"ioctl","pid":1,"fd":3,"op":"VIDIOC_DQBUF","result":"EINTR","type":"VIDEO_CAPTURE","memory":"MMAP"}
"#;
    // The driver's thread completes the buffer.
    let done = r#"{"t":4500,"ev":"driver","pid":1,"tid":7,"op":"buffer_done","type":"VIDEO_CAPTURE","index":0,"state":"DONE"}
"#;
    for p in [
        Policy::for_kernel(vb2scope_core::policy::Kernel::new(5, 10)),
        Policy::MODERN,
    ] {
        let waiting = observed_trace(&format!("{head}{interrupted}"));
        assert_eq!(check_trace(&waiting, p).stats.divergences, 0, "{p}");
        let ready = observed_trace(&format!("{head}{done}{interrupted}"));
        assert_eq!(check_trace(&ready, p).stats.divergences, 1, "{p}");
    }
}

fn observed(lines: &[&str]) -> vb2scope_core::trace::Trace {
    let mut text = String::from("{\"vb2scope\":\"trace\",\"version\":1}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    let (t, diags) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("a trace");
    assert!(diags.is_empty(), "{diags:?}");
    t
}

/// A recording attached to a program that was already streaming starts with DQBUF and QBUF
/// on a queue whose REQBUFS it never saw: the kernel's answers contradicted the empty queue
/// the model assumed, and DIVERGE and R12 were reported as errors on correct code. Findings
/// on such a queue, before it is set up again, are information at most, and say why.
#[test]
fn a_trace_that_starts_mid_session_is_not_blamed_for_what_it_did_not_see() {
    let buf = |op: &str, t: u64, flags: u32| {
        format!(
            "{{\"t\":{t},\"ev\":\"ioctl\",\"pid\":7,\"origin\":\"observed\",\"fd\":3,\"op\":\"{op}\",\"result\":\"ok\",\"buf\":{{\"index\":0,\"type\":\"VIDEO_CAPTURE\",\"memory\":\"MMAP\",\"flags\":{flags},\"length\":460800,\"offset\":0}}}}"
        )
    };
    let open = "{\"t\":1,\"ev\":\"open\",\"pid\":7,\"origin\":\"observed\",\"fd\":3,\"path\":\"/dev/video0\"}";
    let (dq, q) = (buf("VIDIOC_DQBUF", 10, 1), buf("VIDIOC_QBUF", 20, 3));
    let t = observed(&[open, &dq, &q]);
    for p in Policy::ALL {
        let r = check_trace(&t, p);
        assert!(!r.findings.is_empty(), "{p}: the model still disagrees");
        assert!(
            r.worst() <= Some(vb2scope_core::rules::Severity::Info),
            "{p}: {:?}",
            r.findings
        );
        assert_eq!(r.unseen_setup.len(), 1, "{p}");
    }
    // A program that never set the queue up and was refused: the kernel agrees with the
    // model, so nothing is capped.
    let refused = dq.replace("\"result\":\"ok\"", "\"result\":\"EINVAL\"");
    let t = observed(&[open, &refused]);
    let r = check_trace(&t, Policy::MODERN);
    assert!(r.unseen_setup.is_empty(), "{:?}", r.unseen_setup);
}

/// A QBUF whose argument the source did not decode (a 32-bit program under `record`, an
/// strace that printed a pointer) left the model without the buffer it queued: the DQBUF of
/// that buffer was an error (R12b, DIVERGE) on correct code. Findings after such a call are
/// information at most, with the note saying why.
#[test]
fn findings_after_an_undecoded_buffer_call_are_information_at_most() {
    let bytes = fixture("undecoded-qbuf.jsonl");
    let (t, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("a trace");
    for p in Policy::ALL {
        let r = check_trace(&t, p);
        assert_eq!(r.undecoded_from, Some(2), "{p}");
        assert!(
            !r.findings.is_empty(),
            "{p}: the model still says what it saw"
        );
        assert!(
            r.findings
                .iter()
                .all(|f| r.severity(f) == vb2scope_core::rules::Severity::Info),
            "{p}: {:?}",
            r.findings
        );
    }
}

/// A `dmabuf` line without an inode on an EXPBUF's fd (what a recorder writes where dma-bufs
/// have no inode of their own) replaced the exported dma-buf with a new one: the exporting
/// plane lost its export, and a REQBUFS(0) the kernel refused (EBUSY, 3.8) was a DIVERGE.
/// The line describes the dma-buf the fd refers to; the findings are those without it.
#[test]
fn a_dmabuf_line_without_inode_describes_an_exported_dmabuf() {
    let bytes = fixture("expbuf-described-without-inode.jsonl");
    let (with, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("a trace");
    let text = String::from_utf8_lossy(&bytes);
    let without: String = text
        .lines()
        .filter(|l| !l.contains("\"ev\":\"dmabuf\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let (without, _) =
        vb2scope_core::format::read_native_bytes(without.as_bytes()).expect("a trace");
    for p in Policy::ALL {
        let rules = |t| -> Vec<_> { check_trace(t, p).findings.iter().map(|f| f.rule).collect() };
        assert_eq!(rules(&with), rules(&without), "{p}");
    }
}

/// A buffer given to a media request (QBUF with REQUEST_FD) is queued when the request is.
/// Here the request's queueing is not in the trace, but the kernel returns the buffer: the
/// model believes it (the request was queued out of sight) and finds nothing to report.
#[test]
fn a_request_queued_out_of_sight_is_believed() {
    let bytes = fixture("request-qbuf.jsonl");
    let (t, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("a trace");
    for p in [Policy::Spec, Policy::MODERN] {
        let r = check_trace(&t, p);
        assert_eq!(r.undecoded_from, None, "{p}");
        assert_eq!(r.findings, vec![], "{p}");
    }
}

/// A trace of `tests/fixtures/regressions/`, as bytes.
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/regressions")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A buffer queued again after STREAMOFF (v4l2-compliance re-queues before streaming) was
/// an R07 error when QUERYBUF showed it QUEUED.
#[test]
fn a_buffer_queued_again_after_streamoff_is_not_left_over() {
    let trace = observed_trace(
        r#"{"t":1000,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT","memory":"MMAP","flags":3,"bytesused":100,"length":614400,"offset":0}}
{"t":4000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_OUTPUT"}
{"t":5000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT","memory":"MMAP","flags":3,"bytesused":100,"length":614400,"offset":0}}
{"t":6000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QUERYBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT","memory":"MMAP","flags":3,"length":614400,"offset":0}}
"#,
    );
    let r = check_trace(&trace, Policy::MODERN);
    let rules: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
    assert!(
        !rules.contains(&vb2scope_core::rules::RuleId::R07),
        "{rules:?}"
    );
}

/// A USERPTR QBUF of address 0 fails with EFAULT on every modern kernel (the allocator's
/// pin fails); the model predicted vb2-3.8's EINVAL and reported a divergence.
#[test]
fn a_userptr_of_address_zero_is_efault_on_modern_kernels() {
    let trace = observed_trace(
        r#"{"t":1000,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"USERPTR","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"EFAULT","buf":{"index":1,"type":"VIDEO_OUTPUT","memory":"USERPTR","flags":0,"bytesused":1382400,"length":1382400,"userptr":0}}
"#,
    );
    let r = check_trace(&trace, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
    let m = Model::new(Policy::MODERN);
    assert_eq!(m.policy.bad_userptr_errno(), Errno::EFAULT);
    assert_eq!(
        Model::new(Policy::Spec).policy.bad_userptr_errno(),
        Errno::EINVAL
    );
}

/// A recording whose recorder wrote the driver's formats (every `vb2scope record` does)
/// was taken for one with a kernel side, and its M2M opens shared one context (on the
/// 5.10 recording of v4l2-compliance, a REQBUFS on a fresh open was predicted EBUSY).
#[test]
fn a_recordings_formats_do_not_stop_the_m2m_split() {
    let trace = observed_trace(
        r#"{"t":1000,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video13"}
{"t":1100,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QUERYCAP","result":"ok","caps":2216722432,"driver":"vicodec","card":"vicodec","bus_info":"platform:vicodec","device_caps":69238784}
{"t":1200,"ev":"driver","pid":1,"origin":"observed","op":"format","type":"VIDEO_OUTPUT","size":614400,"planes":1}
{"t":2000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"close","pid":1,"origin":"observed","fd":3}
{"t":4000,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video13"}
{"t":4100,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QUERYCAP","result":"ok","caps":2216722432,"driver":"vicodec","card":"vicodec","bus_info":"platform:vicodec","device_caps":69238784}
{"t":4200,"ev":"driver","pid":1,"origin":"observed","op":"format","type":"VIDEO_OUTPUT","size":614400,"planes":1}
{"t":5000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"USERPTR","count":2,"count_out":2}
"#,
    );
    let devs: Vec<u16> = trace
        .events
        .iter()
        .filter_map(|e| match e.body {
            vb2scope_core::trace::Body::Open { dev, .. }
            | vb2scope_core::trace::Body::Driver { dev, .. } => Some(dev),
            _ => None,
        })
        .collect();
    assert_eq!(devs.len(), 4);
    assert_eq!(devs[0], devs[1], "the first open's format stays with it");
    assert_eq!(devs[2], devs[3], "the second open's format moves with it");
    assert_ne!(devs[0], devs[2], "each open is a context of its own");
}

/// A review of the codec and M2M rules found correct sequences they flagged; each is a
/// trace in tests/fixtures/regressions/review-m2m-*.jsonl, checked under Linux 6.1 and
/// modern with nothing above information:
/// a. DQBUF → EIO (a queue in error), then PREPARE_BUF → EIO: vb2 refuses it too;
/// b. QBUF → EIO (a driver's buf_prepare), then DQBUF → EAGAIN: the queue was not in error;
/// c. a SOURCE_CHANGE on an HDMI receiver's capture node, then a new dma-buf on an index:
///    R16 only, not the decoder's R44;
/// d. DQBUF → EIO, then another thread hands two buffers back (QBUF → EIO) before
///    STREAMOFF: no loop (R45);
/// e. a decoder drained, restarted with START, drained again;
/// f. STOP, SOURCE_CHANGE, the resolution change's empty LAST, the CAPTURE restart: the
///    drain was cleared by the restart (R34, information), not ended by that LAST;
/// g. REMOVE_BUFS and CREATE_BUFS answered ENOTTY on a node whose QUERYCAP lacks the type;
/// h. a QUERYCAP on an fd from before the trace: not filed under another node.
#[test]
fn review_of_the_m2m_rules() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/regressions"
    );
    for name in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        let path = format!("{dir}/review-m2m-{name}.jsonl");
        let bytes = std::fs::read(&path).expect("fixture");
        let (t, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("loads");
        for p in [
            Policy::for_kernel(vb2scope_core::policy::Kernel::new(6, 1)),
            Policy::MODERN,
        ] {
            let r = check_trace(&t, p);
            let loud: Vec<String> = r
                .findings
                .iter()
                .filter(|f| r.severity(f) > vb2scope_core::rules::Severity::Info)
                .map(|f| format!("{} {}", f.rule, f.message()))
                .collect();
            assert!(loud.is_empty(), "{name} under {p}: {loud:?}");
            let rules: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
            if name == "c" {
                assert!(
                    !rules.contains(&vb2scope_core::rules::RuleId::R44),
                    "{rules:?}"
                );
            }
            if name == "f" {
                assert!(
                    rules.contains(&vb2scope_core::rules::RuleId::R34),
                    "{rules:?}"
                );
            }
        }
    }
}

/// Damaged values a reader takes as they are must not stop the check: a REQBUFS whose
/// `count_out` says four billion buffers (the model grew its slots toward it and ran out of
/// memory), and plane `bytesused` whose sum overflows 32 bits (a panic in debug builds).
#[test]
fn damaged_counts_and_sizes_are_checked_not_fatal() {
    for name in [
        "reqbufs-count-out-4g.jsonl",
        "mplane-bytesused-overflow.jsonl",
    ] {
        let (t, _) = vb2scope_core::format::read_native_bytes(&fixture(name)).expect("reads");
        for p in [Policy::Spec, Policy::Vb2_2012, Policy::MODERN] {
            let r = check_trace(&t, p);
            assert!(r.stats.observed_results > 0, "{name} under {p}");
        }
    }
}

/// Regression: the scenario parser kept its names in a list it searched, and cleaned, at
/// every definition: a generated scenario that makes a dma-buf per frame took 2 min 19 s to
/// run at 200 000 frames (0.71 s at 20 000, 5.95 s at 40 000). Names are now a table; what
/// a name means is unchanged: its last definition's kind, each listed once per kind, in the
/// order first defined.
#[test]
fn scenario_names_defined_again_take_their_last_kind() {
    let text = "reqbufs 2 dmabuf\ndmabuf a 4096\nuserptr b 4096\ndmabuf b 4096\n\
                dmabuf a 8192\nqbuf 0 fd=b\nqbuf 1 fd=a\n";
    let sc = vb2scope_core::scenario::parse("x.vb2s", text).expect("parses");
    assert_eq!(sc.names.dmabufs, ["a", "b"]);
    assert_eq!(sc.names.userptrs, ["b"]);
    assert_eq!(sc.names.handles, ["main"]);
    // `b` is a dma-buf now, no longer user memory.
    let e = vb2scope_core::scenario::parse("x.vb2s", &format!("{text}free b\n"))
        .expect_err("b is a dma-buf");
    assert!(
        e.message
            .contains("\"b\" is a dma-buf, not a user memory area"),
        "{e}"
    );
    assert_eq!((e.line, e.col), (8, 6));
    let e = vb2scope_core::scenario::parse("x.vb2s", "close c\n").expect_err("never defined");
    assert!(e.message.contains("never defined"), "{e}");
}

/// vb2's own refusals of the memory a QBUF passes (`__prepare_userptr`,
/// `__prepare_dmabuf`): predicted, and believed when the kernel gives them. They are asked
/// of the model without a copy of it now; a copy per refused QBUF made a test suite's
/// capture quadratic to check.
#[test]
fn prepare_refusals_are_predicted_and_believed() {
    use vb2scope_core::model::Handle;
    let ty = BufType::VideoCapture;
    let queue = |p: Policy, memory: Memory| {
        let mut m = Model::new(p);
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        let op = Op::Reqbufs {
            fd: 3,
            ty,
            memory,
            count: 2,
        };
        assert_eq!(m.step(&op, 1, 0, None).0, Ok(()), "{p}");
        m
    };
    let qbuf = |memory, args| {
        let t = BufTarget {
            fd: 3,
            ty,
            index: 0,
            memory: Some(memory),
        };
        Op::Qbuf(t, args)
    };
    let big = 1 << 24;
    for p in Policy::ALL {
        let userptr = |addr, len| qbuf(Memory::Userptr, PlaneArgs::one(addr, len));
        // Address 0: the allocator's pin fails.
        let mut m = queue(p, Memory::Userptr);
        let got = m.step(&userptr(0, big), 2, 0, None).0;
        assert_eq!(got, Err(p.bad_userptr_errno()), "{p}");
        // A plane shorter than the format's: EINVAL.
        let mut m = queue(p, Memory::Userptr);
        let got = m.step(&userptr(0x1000, 1), 2, 0, None).0;
        assert_eq!(got, Err(Errno::EINVAL), "{p}");
        // The kernel's refusal of an address 0 is vb2's own, not a divergence.
        let mut m = queue(p, Memory::Userptr);
        let e = p.bad_userptr_errno();
        let _ = m.step(&userptr(0, big), 2, 0, Some(Err(e)));
        assert_eq!(m.divergences, 0, "{p}");
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
        // DMABUF: an fd that is no dma-buf is refused with EINVAL, predicted or given.
        let mut args = PlaneArgs::default();
        args.push(vb2scope_core::model::PlaneArg {
            m: Handle::Known(9),
            length: None,
            bytesused: 0,
        });
        let mut m = queue(p, Memory::Dmabuf);
        let got = m.step(&qbuf(Memory::Dmabuf, args), 2, 0, None).0;
        assert_eq!(got, Err(Errno::EINVAL), "{p}");
        let mut m = queue(p, Memory::Dmabuf);
        let _ = m.step(&qbuf(Memory::Dmabuf, args), 2, 0, Some(Err(Errno::EINVAL)));
        assert_eq!(m.divergences, 0, "{p}");
    }
}
