//! The end of a capture stream: LAST, EPIPE and the codec commands, on a real vim2m capture
//! (v4l2-ctl, Linux 6.12) whose tail is changed the way a drain ends it: its last CAPTURE
//! DQBUF returns LAST, then DQBUF gives EPIPE.

use vb2scope_core::check::{CheckReport, check_trace};
use vb2scope_core::import::{Format, import_bytes};
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, Severity};

const VIM2M: &str =
    include_str!("../../../tests/fixtures/import/strace/k612-31-vim2m-mmap.strace.txt");

/// The capture with `after_last` (strace lines, `{t}` replaced by a time just after it)
/// inserted after its last CAPTURE DQBUF, which is given the LAST flag.
fn drained(after_last: &[&str]) -> String {
    let lines: Vec<&str> = VIM2M.lines().collect();
    let last = lines
        .iter()
        .rposition(|l| l.contains("VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE"))
        .expect("the capture dequeues CAPTURE buffers");
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == last {
            out.push_str(&l.replacen(
                "flags=V4L2_BUF_FLAG_MAPPED",
                "flags=V4L2_BUF_FLAG_MAPPED|V4L2_BUF_FLAG_LAST",
                1,
            ));
            out.push('\n');
            let pid = l.split_whitespace().next().unwrap_or("1");
            for (k, extra) in after_last.iter().enumerate() {
                out.push_str(&format!(
                    "{pid}   1795609712.1141{k:02} {extra} <0.000010>\n"
                ));
            }
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn check(text: &str, policy: Policy) -> CheckReport {
    let (imported, _) = import_bytes(
        text.as_bytes(),
        "drain.strace.txt",
        Some(Format::Strace),
        None,
    )
    .expect("the edited capture imports");
    check_trace(&imported.trace, policy)
}

/// The rules a scenario's run on the model breaks under `modern`, in order.
fn scenario_rules(text: &str) -> Vec<RuleId> {
    use vb2scope_core::scenario::{parse, run};
    let sc = parse("test.vb2s", text).expect("parses");
    let t = run(&sc, Policy::MODERN).expect("runs");
    let r = check_trace(&t, Policy::MODERN);
    r.findings.iter().map(|f| f.rule).collect()
}

fn loud(r: &CheckReport) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| r.severity(f) > Severity::Info)
        .map(|f| format!("{} {}", f.rule, f.message()))
        .collect()
}

const EPIPE: &str =
    "ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE}) = -1 EPIPE (Broken pipe)";

/// Regression: an EPIPE after the LAST buffer, which is how every drain ends, was a DIVERGE
/// warning ("the policy predicts ok").
#[test]
fn one_epipe_after_last_is_what_the_kernel_does() {
    for policy in [Policy::MODERN, Policy::Spec] {
        let r = check(&drained(&[EPIPE]), policy);
        assert_eq!(loud(&r), Vec::<String>::new(), "{policy}");
        assert_eq!(r.stats.divergences, 0, "{policy}");
    }
}

#[test]
fn a_loop_of_epipes_is_a_warning_once() {
    let r = check(
        &drained(&[EPIPE, EPIPE, EPIPE, EPIPE, EPIPE]),
        Policy::MODERN,
    );
    let r32: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::R32)
        .collect();
    assert_eq!(r32.len(), 1);
    assert_eq!(r.severity(r32[0]), Severity::Warning);
    assert!(r.findings.iter().all(|f| f.rule != RuleId::Diverge));
}

/// Kernels without LAST (vb2 of 2012 and 3.8) would not have said EPIPE: that is a
/// divergence there, and `auto` picks a policy that explains it.
#[test]
fn old_vb2_does_not_explain_epipe() {
    let r = check(&drained(&[EPIPE]), Policy::Vb2_3_8);
    assert!(r.findings.iter().any(|f| f.rule == RuleId::Diverge));
}

/// STREAMOFF of the capture queue re-arms DQBUF (`vb2_core_streamoff`).
#[test]
fn streamoff_rearms_dequeue() {
    let r = check(
        &drained(&[
            EPIPE,
            "ioctl(3, VIDIOC_STREAMOFF, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0",
            "ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0",
            "ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE}) = -1 EAGAIN (Resource temporarily unavailable)",
        ]),
        Policy::MODERN,
    );
    assert!(
        r.findings.iter().all(|f| f.rule != RuleId::Diverge),
        "{:?}",
        loud(&r)
    );
}

/// A START the driver honours re-arms DQBUF; one it does not (vicodec up to 6.12) leaves
/// EPIPE, which is the driver's fault (R49), not a divergence.
#[test]
fn start_after_a_drain() {
    let start = "ioctl(3, VIDIOC_ENCODER_CMD, {cmd=V4L2_ENC_CMD_START, flags=0}) = 0";
    let r = check(&drained(&[EPIPE, start, EPIPE]), Policy::MODERN);
    let rules: Vec<RuleId> = r.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::R49]);
    assert_eq!(r.severity(&r.findings[0]), Severity::Error);
}

/// strace prints a pointer for DECODER_CMD: after a command of unknown kind, whether DQBUF
/// gives EPIPE is believed as the kernel shows it, either way.
#[test]
fn a_command_strace_did_not_decode_is_no_evidence() {
    let cmd = "ioctl(3, VIDIOC_DECODER_CMD, 0x7ffd8c0c4f40) = 0";
    let again = "ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE}) = -1 EINTR (Interrupted system call)";
    for tail in [[EPIPE, cmd, EPIPE], [EPIPE, cmd, again]] {
        let r = check(&drained(&tail), Policy::MODERN);
        let about_epipe: Vec<String> = r
            .findings
            .iter()
            .map(|f| f.message())
            .filter(|m| m.contains("EPIPE"))
            .collect();
        assert_eq!(about_epipe, Vec::<String>::new(), "{tail:?}");
        assert!(r.findings.iter().all(|f| f.rule != RuleId::R49), "{tail:?}");
    }
}

mod requests {
    use vb2scope_core::model::{BufState, BufTarget, CtrlAccess, Model, Op, PlaneArgs, ReqState};
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::RuleId;
    use vb2scope_core::v4l2::{BufType, Errno, Memory, Outcome};

    const OUT: BufType = BufType::VideoOutput;
    const CAP: BufType = BufType::VideoCapture;

    /// An M2M file handle (fd 3) with two buffers on each queue and request fd 10.
    fn m2m(policy: Policy) -> Model {
        let mut m = Model::new(policy);
        let mut step = |op: Op| assert_eq!(m.step(&op, 0, 0, None).0, Ok(()), "{op:?}");
        step(Op::Open { fd: 3, dev: 0 });
        for ty in [OUT, CAP] {
            step(Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 2,
            });
        }
        step(Op::RequestAlloc { new_fd: Some(10) });
        m
    }

    fn t(ty: BufType, index: u32) -> BufTarget {
        BufTarget {
            fd: 3,
            ty,
            index,
            memory: Some(Memory::Mmap),
        }
    }

    fn to_request(m: &mut Model, ty: BufType, index: u32) -> Outcome {
        let op = Op::BufToRequest {
            t: t(ty, index),
            planes: PlaneArgs::default(),
            prepare: false,
            request_fd: Some(10),
        };
        m.step(&op, 0, 0, None).0
    }

    fn state(m: &Model, ty: BufType, index: u32) -> Option<BufState> {
        let q = m.queues.iter().find(|q| q.key.ty == ty)?;
        q.buf(index).map(|b| b.state)
    }

    fn rules(m: &Model) -> Vec<RuleId> {
        m.findings.iter().map(|f| f.rule).collect()
    }

    /// Regression (v4l2-compliance recorded on vim2m, 6.12): a QBUF into a request fd the
    /// trace never showed made (0xdead, on purpose) is refused with EINVAL; in a recording
    /// (lenient) that is believed, not a divergence.
    #[test]
    fn an_unknown_request_fd_refused_is_believed() {
        let mut m = m2m(Policy::MODERN);
        m.lenient = true;
        let op = Op::BufToRequest {
            t: t(OUT, 0),
            planes: PlaneArgs::default(),
            prepare: false,
            request_fd: Some(0xdead),
        };
        let (r, _) = m.step(&op, 0, 0, Some(Err(Errno::EINVAL)));
        assert_eq!(r, Err(Errno::EINVAL));
        assert_eq!(m.divergences, 0, "{:?}", m.findings);
        assert_eq!(state(&m, OUT, 0), Some(BufState::Dequeued));
    }

    /// ALLOC, QBUF into the request, QUEUE, the driver's completion, DQBUF, REINIT: the
    /// buffer is IN_REQUEST until the request is queued, and the request completes with it.
    #[test]
    fn a_request_goes_round() {
        let mut m = m2m(Policy::MODERN);
        for ty in [OUT, CAP] {
            let _ = m.step(&Op::Streamon { fd: 3, ty }, 0, 0, None);
        }
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        assert_eq!(state(&m, OUT, 0), Some(BufState::InRequest));
        assert_eq!(
            m.step(&Op::RequestQueue { fd: 10, near: None }, 0, 0, None)
                .0,
            Ok(())
        );
        assert_eq!(state(&m, OUT, 0), Some(BufState::Active));
        assert_eq!(m.requests[0].state, ReqState::Queued);
        let done = Op::BufferDone {
            dev: 0,
            ty: OUT,
            index: Some(0),
            state: vb2scope_core::v4l2::DoneState::Done,
        };
        let _ = m.step(&done, 0, 0, None);
        assert_eq!(m.requests[0].state, ReqState::Complete);
        let dq = Op::Dqbuf {
            fd: 3,
            ty: OUT,
            memory: None,
            nonblock: true,
        };
        assert_eq!(m.step(&dq, 0, 0, None).0, Ok(()));
        assert_eq!(
            m.step(&Op::RequestReinit { fd: 10, near: None }, 0, 0, None)
                .0,
            Ok(())
        );
        assert_eq!(m.requests[0].state, ReqState::Idle);
        assert_eq!(rules(&m), vec![]);
        assert_eq!(m.check_invariants(), Ok(()));
    }

    #[test]
    fn direct_and_request_qbuf_do_not_mix() {
        let mut m = m2m(Policy::MODERN);
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let direct = Op::Qbuf(t(OUT, 1), PlaneArgs::default());
        assert_eq!(m.step(&direct, 0, 0, None).0, Err(Errno::EBUSY));
        assert_eq!(rules(&m), vec![RuleId::R24]);
        // STREAMOFF resets the mode and gives the buffer back.
        let _ = m.step(&Op::Streamoff { fd: 3, ty: OUT }, 0, 0, None);
        assert_eq!(state(&m, OUT, 0), Some(BufState::Dequeued));
        assert_eq!(m.step(&direct, 0, 0, None).0, Ok(()));
        assert_eq!(m.check_invariants(), Ok(()));
    }

    /// The spec names EBADR; v4l2-mem2mem answers EPERM.
    #[test]
    fn a_request_on_an_m2m_capture_buffer() {
        for (policy, errno) in [(Policy::MODERN, Errno::EPERM), (Policy::Spec, Errno::EBADR)] {
            let mut m = m2m(policy);
            assert_eq!(to_request(&mut m, CAP, 0), Err(errno), "{policy}");
            assert_eq!(rules(&m), vec![RuleId::R23], "{policy}");
            assert_eq!(state(&m, CAP, 0), Some(BufState::Dequeued));
        }
    }

    #[test]
    fn an_empty_request_and_a_busy_one() {
        let mut m = m2m(Policy::MODERN);
        let queue = Op::RequestQueue { fd: 10, near: None };
        // Findings are one per rule and event: each call is its own event here.
        assert_eq!(m.step(&queue, 1, 0, None).0, Err(Errno::ENOENT));
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        assert_eq!(m.step(&queue, 2, 0, None).0, Ok(()));
        assert_eq!(m.step(&queue, 3, 0, None).0, Err(Errno::EBUSY));
        let reinit = Op::RequestReinit { fd: 10, near: None };
        assert_eq!(m.step(&reinit, 4, 0, None).0, Err(Errno::EBUSY));
        assert_eq!(rules(&m), vec![RuleId::R25, RuleId::R26, RuleId::R26]);
        // Not streaming: the request's buffer waits QUEUED in vb2 for STREAMON.
        assert_eq!(state(&m, OUT, 0), Some(BufState::Queued));
        assert_eq!(m.check_invariants(), Ok(()));
    }

    /// REINIT (or the last close) of a request that was never queued gives its buffer back,
    /// silently: R27 says so.
    #[test]
    fn reinit_and_close_give_the_buffer_back() {
        let mut m = m2m(Policy::MODERN);
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let _ = m.step(&Op::RequestReinit { fd: 10, near: None }, 1, 0, None);
        assert_eq!(state(&m, OUT, 0), Some(BufState::Dequeued));
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let _ = m.step(&Op::Close { fd: 10 }, 2, 0, None);
        assert_eq!(state(&m, OUT, 0), Some(BufState::Dequeued));
        assert_eq!(rules(&m), vec![RuleId::R27, RuleId::R27]);
    }

    /// Regression (review): a QUEUE the kernel refused leaves the request idle with its
    /// buffer; REINIT is the right clean-up (GStreamer's), not R27.
    #[test]
    fn reinit_after_a_failed_queue_is_no_r27() {
        let mut m = m2m(Policy::MODERN);
        m.lenient = true;
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let queue = Op::RequestQueue { fd: 10, near: None };
        let r = m.step(&queue, 1, 0, Some(Err(Errno::ENOENT)));
        assert_eq!(r.0, Err(Errno::ENOENT));
        let reinit = Op::RequestReinit { fd: 10, near: None };
        assert_eq!(m.step(&reinit, 2, 0, Some(Ok(()))).0, Ok(()));
        assert!(
            rules(&m).iter().all(|r| *r != RuleId::R27),
            "{:?}",
            rules(&m)
        );
    }

    /// POLLPRI returned on a request says it completed: reading its controls then is right.
    #[test]
    fn pollpri_returned_completes_the_request() {
        use vb2scope_core::v4l2::poll;
        let mut m = m2m(Policy::MODERN);
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let queue = Op::RequestQueue { fd: 10, near: None };
        assert_eq!(m.step(&queue, 1, 0, None).0, Ok(()));
        let waited = Op::Poll {
            fd: 10,
            events: poll::PRI,
            revents: poll::PRI,
        };
        assert_eq!(m.step(&waited, 2, 0, None).0, Ok(()));
        assert_eq!(m.requests[0].state, ReqState::Complete);
        assert_eq!(m.step(&ctrls(CtrlAccess::Get), 3, 0, None).0, Ok(()));
        assert_eq!(rules(&m), vec![]);
    }

    /// A buffer the source did not say was in this request (strace): no R27, since which
    /// request held it is the model's guess.
    #[test]
    fn a_guessed_binding_emptied_is_not_reported() {
        let mut m = m2m(Policy::MODERN);
        m.lenient = true;
        let op = Op::BufToRequest {
            t: t(OUT, 0),
            planes: PlaneArgs::default(),
            prepare: false,
            request_fd: None,
        };
        assert_eq!(m.step(&op, 1, 0, Some(Ok(()))).0, Ok(()));
        let reinit = Op::RequestReinit { fd: 10, near: None };
        assert_eq!(m.step(&reinit, 2, 0, Some(Ok(()))).0, Ok(()));
        assert_eq!(state(&m, OUT, 0), Some(BufState::Dequeued));
        assert_eq!(rules(&m), vec![]);
    }

    fn ctrls(access: CtrlAccess) -> Op {
        Op::Controls {
            fd: 3,
            access,
            count: 2,
            request_fd: Some(10),
        }
    }

    /// Controls go into an idle request only (R26 for a queued one); they are read back
    /// once it completed (R29 before, EACCES).
    #[test]
    fn request_controls_follow_the_request_state() {
        let mut m = m2m(Policy::MODERN);
        assert_eq!(m.step(&ctrls(CtrlAccess::Set), 1, 0, None).0, Ok(()));
        assert_eq!(m.requests[0].ctrls, 2);
        assert_eq!(
            m.step(&ctrls(CtrlAccess::Get), 2, 0, None).0,
            Err(Errno::EACCES)
        );
        assert_eq!(to_request(&mut m, OUT, 0), Ok(()));
        let queue = Op::RequestQueue { fd: 10, near: None };
        assert_eq!(m.step(&queue, 3, 0, None).0, Ok(()));
        assert_eq!(
            m.step(&ctrls(CtrlAccess::Set), 4, 0, None).0,
            Err(Errno::EBUSY)
        );
        assert_eq!(rules(&m), vec![RuleId::R29, RuleId::R26]);
    }

    /// In a trace the kernel's answer stands: a driver may refuse a control (EINVAL,
    /// ERANGE), and an EACCES on a request the model thinks complete is believed, unflagged.
    #[test]
    fn request_controls_results_are_the_kernels() {
        let mut m = m2m(Policy::MODERN);
        m.lenient = true;
        let r = m.step(&ctrls(CtrlAccess::Set), 1, 0, Some(Err(Errno::EINVAL)));
        assert_eq!(r.0, Err(Errno::EINVAL));
        assert_eq!(m.requests[0].ctrls, 0);
        // Idle, so the model predicts EACCES; the kernel agrees: R29.
        let r = m.step(&ctrls(CtrlAccess::Get), 2, 0, Some(Err(Errno::EACCES)));
        assert_eq!(r.0, Err(Errno::EACCES));
        // The kernel took a read the model would refuse: believed, not flagged.
        let r = m.step(&ctrls(CtrlAccess::Get), 3, 0, Some(Ok(())));
        assert_eq!(r.0, Ok(()));
        assert_eq!(rules(&m), vec![RuleId::R29]);
        assert_eq!(m.divergences, 0);
    }

    /// A request signals completion with POLLPRI only: a poll without it is R31; with it,
    /// or on a video fd, nothing.
    #[test]
    fn polling_a_request_needs_pollpri() {
        use vb2scope_core::v4l2::poll;
        let mut m = m2m(Policy::MODERN);
        let pri = Op::Poll {
            fd: 10,
            events: poll::PRI | poll::ERR,
            revents: 0,
        };
        let video = Op::Poll {
            fd: 3,
            events: poll::IN,
            revents: 0,
        };
        // A slot the application disabled is no wait.
        let disabled = Op::Poll {
            fd: 10,
            events: 0,
            revents: 0,
        };
        let wrong = Op::Poll {
            fd: 10,
            events: poll::IN,
            revents: 0,
        };
        for (i, op) in [pri, video, disabled, wrong].iter().enumerate() {
            assert_eq!(m.step(op, i as u32, 0, None).0, Ok(()));
        }
        assert_eq!(rules(&m), vec![RuleId::R31]);
        // vb2 of 2012 had no requests: nothing to say.
        let mut old = Model::new(Policy::Vb2_2012);
        assert_eq!(old.step(&wrong, 0, 0, Some(Ok(()))).0, Ok(()));
        assert!(old.findings.is_empty());
    }
}

/// strace never prints `request_fd`: two buffers put into two requests, then the requests
/// queued one after the other, each take one buffer; neither queue is called empty.
#[test]
fn requests_strace_did_not_name_take_one_buffer_each() {
    use vb2scope_core::model::{BufTarget, Model, Op, PlaneArgs};
    use vb2scope_core::v4l2::{BufType, Memory};
    let mut m = Model::new(Policy::MODERN);
    let mut step = |op: Op| assert_eq!(m.step(&op, 0, 0, Some(Ok(()))).0, Ok(()));
    step(Op::Open { fd: 3, dev: 0 });
    step(Op::Reqbufs {
        fd: 3,
        ty: BufType::VideoOutput,
        memory: Memory::Mmap,
        count: 2,
    });
    step(Op::RequestAlloc { new_fd: Some(10) });
    step(Op::RequestAlloc { new_fd: Some(11) });
    for index in 0..2 {
        let t = BufTarget {
            fd: 3,
            ty: BufType::VideoOutput,
            index,
            memory: None,
        };
        step(Op::BufToRequest {
            t,
            planes: PlaneArgs::default(),
            prepare: false,
            request_fd: None,
        });
    }
    step(Op::RequestQueue { fd: 10, near: None });
    step(Op::RequestQueue { fd: 11, near: None });
    assert_eq!(m.findings, vec![]);
    assert_eq!(m.requests[0].bufs, vec![(0, 0)]);
    assert_eq!(m.requests[1].bufs, vec![(0, 1)]);
}

/// Fixes found on real codec captures (Linux 6.12 and 6.1, vicodec, visl, vim2m), each
/// checked here on the capture that showed it: the whole run, strace and ftrace joined,
/// must check without a finding above info.
mod on_real_captures {
    use vb2scope_core::check::check_trace;
    use vb2scope_core::import::{Format, import_bytes, join};
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::Severity;

    fn joined(kernel: &str, name: &str) -> vb2scope_core::trace::Trace {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("tests/fixtures/corpus")
            .join(kernel);
        let read = |part: &str| {
            let p = dir.join(format!("{name}.{part}.zst"));
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            zstd::decode_all(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let (user, _) = import_bytes(&read("strace.txt"), name, Some(Format::Strace), None)
            .expect("strace imports");
        let ftrace = String::from_utf8_lossy(&read("ftrace.txt")).into_owned();
        join(user, &ftrace).0.trace
    }

    fn loud(kernel: &str, name: &str, policy: Policy) -> Vec<String> {
        let r = check_trace(&joined(kernel, name), policy);
        r.findings
            .iter()
            .filter(|f| r.severity(f) > Severity::Info)
            .map(|f| format!("{} {}", f.rule, f.message()))
            .collect()
    }

    fn linux(release: &str) -> Policy {
        Policy::parse(&format!("linux-{release}")).expect("a modelled release")
    }

    const K612: &str = "linux-6.12.118+deb12-amd64";
    const K61: &str = "linux-6.1.0-57-amd64";

    /// Regression: vicodec decodes inside the caller's STREAMON and QBUF (an M2M job run
    /// at once); those completions were taken as a failed start returning its buffers, and
    /// the next DQBUF dequeued the wrong buffer (R10 errors, R11 warnings, DIVERGE).
    #[test]
    fn a_job_run_inside_streamon_is_a_real_completion() {
        for name in ["vicodec-dec", "vicodec-enc"] {
            assert_eq!(
                loud(K612, name, linux("6.12")),
                Vec::<String>::new(),
                "{name}"
            );
        }
    }

    /// Regression: visl completes a request's buffers inside MEDIA_REQUEST_IOC_QUEUE, on
    /// the request's fd; those completions were put on the first video device (R10 ×30).
    #[test]
    fn completions_inside_a_request_queue_go_to_their_owner() {
        assert_eq!(
            loud(K612, "visl-gst-h264", linux("6.12")),
            Vec::<String>::new()
        );
    }

    /// Regression: v4l2-compliance's blocking DQBUF, woken with EINVAL by another thread's
    /// STREAMOFF, was "DQBUF will block forever" and a DIVERGE.
    #[test]
    fn a_dqbuf_woken_by_streamoff() {
        assert_eq!(
            loud(K612, "compliance-visl", linux("6.12")),
            Vec::<String>::new()
        );
    }

    /// Regression: each open of an M2M node has its own two queues; v4l2-compliance opens
    /// vim2m again and sets up buffers on the new handle, which the model, sharing one
    /// queue per node and type, refused as another handle's (R20, DIVERGE on REQBUFS).
    #[test]
    fn each_open_of_an_m2m_node_has_its_own_queues() {
        for kernel in [K612, K61] {
            let t = joined(kernel, "compliance-vim2m");
            let r = check_trace(&t, linux(if kernel == K612 { "6.12" } else { "6.1" }));
            assert_eq!(r.stats.divergences, 0, "{kernel}: {:?}", r.stats);
            assert!(
                r.findings
                    .iter()
                    .all(|f| f.rule != vb2scope_core::rules::RuleId::R20),
                "{kernel}"
            );
        }
    }

    /// Regression: v4l2-ctl exits with buffers of a resolution change still mmapped; the
    /// kernel releases the queue at exit, after the close returned, and the join put that
    /// release in the close and the frees before it in the last REQBUFS.
    #[test]
    fn a_release_after_the_close_is_not_the_closes() {
        for kernel in [K612, K61] {
            let t = joined(kernel, "vicodec-dec-drc");
            let r = check_trace(&t, linux(if kernel == K612 { "6.12" } else { "6.1" }));
            assert_eq!(
                (r.stats.memops_missing, r.stats.memops_unpredicted),
                (0, 0),
                "{kernel}: {:?}",
                r.stats
            );
        }
    }

    /// Regression: a close of the fd kept mmaps of the buffers alive: the queue is released
    /// only with the last mapping, not at the close (the frees predicted there never came).
    #[test]
    fn a_close_with_live_mappings_does_not_release_the_queue() {
        let t = joined(K61, "vicodec-dec");
        let r = check_trace(&t, linux("6.1"));
        assert_eq!(r.stats.memops_missing, 0, "{:?}", r.stats);
        assert_eq!(r.stats.memops_unpredicted, 0, "{:?}", r.stats);
    }
}

/// A capture node's queue is shared by all its handles: two opens of one stay one queue,
/// and the second handle's REQBUFS is another handle's access (R20), M2M split or not.
#[test]
fn a_capture_node_opened_twice_keeps_one_queue() {
    let text = r#"100 1.000000 openat(AT_FDCWD, "/dev/video0", O_RDWR) = 3</dev/video0>
100 1.000100 ioctl(3</dev/video0>, VIDIOC_QUERYCAP, {driver="vivid", card="vivid", bus_info="platform:vivid-000", version=KERNEL_VERSION(6, 12, 0), capabilities=0x85200001, device_caps=0x5200001}) = 0
100 1.000200 ioctl(3</dev/video0>, VIDIOC_REQBUFS, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, memory=V4L2_MEMORY_MMAP, count=2 => 2}) = 0
100 1.000300 openat(AT_FDCWD, "/dev/video0", O_RDWR) = 4</dev/video0>
100 1.000400 ioctl(4</dev/video0>, VIDIOC_REQBUFS, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, memory=V4L2_MEMORY_MMAP, count=2}) = -1 EBUSY (Device or resource busy)
"#;
    let r = check(text, Policy::MODERN);
    assert!(
        r.findings.iter().any(|f| f.rule == RuleId::R20),
        "{:?}",
        r.findings
    );
    assert_eq!(r.stats.divergences, 0);
}

/// Cases a review of the model found, each a correct program the model must not flag.
mod believed {
    use vb2scope_core::check::check_trace;
    use vb2scope_core::model::{BufTarget, Model, Op, PlaneArgs};
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::RuleId;
    use vb2scope_core::v4l2::{BufType, Errno, Memory};

    fn rules(m: &Model) -> Vec<RuleId> {
        m.findings.iter().map(|f| f.rule).collect()
    }

    /// The kernel returned a buffer where the model thought LAST had been dequeued (a
    /// START its source did not decode, a driver that re-armed the queue): believed.
    #[test]
    fn a_buffer_after_last_is_believed() {
        let r = super::check(
            &super::drained(&[
                "ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE}) = -1 EINTR (Interrupted system call)",
            ]),
            Policy::MODERN,
        );
        assert!(
            r.findings.iter().all(|f| f.rule != RuleId::Diverge),
            "{:?}",
            r.findings
        );
    }

    /// A request QBUF refused (EBUSY: the queue is in direct mode) does not put the queue
    /// in request mode: the direct QBUFs after it are fine.
    #[test]
    fn a_refused_request_qbuf_leaves_the_mode() {
        let mut m = Model::new(Policy::MODERN);
        m.lenient = true;
        let ty = BufType::VideoOutput;
        let t = |index| BufTarget {
            fd: 3,
            ty,
            index,
            memory: Some(Memory::Mmap),
        };
        let mut ev = 0;
        // Each step ends as the kernel said (its result is forced).
        let mut step = |m: &mut Model, op: Op, r| {
            ev += 1;
            assert_eq!(m.step(&op, ev, 0, Some(r)).0, r);
        };
        step(&mut m, Op::Open { fd: 3, dev: 0 }, Ok(()));
        step(
            &mut m,
            Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 2,
            },
            Ok(()),
        );
        step(&mut m, Op::Qbuf(t(0), PlaneArgs::default()), Ok(()));
        let req = Op::BufToRequest {
            t: t(1),
            planes: PlaneArgs::default(),
            prepare: false,
            request_fd: None,
        };
        step(&mut m, req, Err(Errno::EBUSY));
        step(&mut m, Op::Qbuf(t(1), PlaneArgs::default()), Ok(()));
        assert_eq!(
            rules(&m),
            vec![RuleId::R24],
            "only the refused request QBUF"
        );
        assert_eq!(m.check_invariants(), Ok(()));
    }

    /// A program that closes its fd and exits with its buffers still mmapped: the kernel
    /// frees its queue at exit, which no source shows; the next program's REQBUFS, which
    /// the kernel takes, is not another handle's access.
    #[test]
    fn a_handle_held_by_mmaps_is_gone_when_another_takes_the_queue() {
        let text = r#"{"vb2scope":"trace","version":1,"source":"hand-written"}
{"t":1000,"ev":"open","pid":100,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":1,"count_out":1}
{"t":3000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_QUERYBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
{"t":4000,"ev":"mmap","pid":100,"fd":3,"offset":0,"len":614400,"addr":139887084830720}
{"t":5000,"ev":"close","pid":100,"fd":3}
{"t":9000,"ev":"open","pid":200,"fd":3,"path":"/dev/video0"}
{"t":10000,"ev":"ioctl","pid":200,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":1,"count_out":1}
"#;
        let (t, _) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("a trace");
        let r = check_trace(&t, Policy::MODERN);
        let loud: Vec<_> = r
            .findings
            .iter()
            .filter(|f| matches!(f.rule, RuleId::R20 | RuleId::Diverge))
            .collect();
        assert!(loud.is_empty(), "{loud:?}");
    }

    /// A source that writes calls as they end puts another thread's STREAMOFF before the
    /// blocking DQBUF it woke (EINVAL): not a DQBUF on a stopped queue.
    #[test]
    fn a_woken_dqbuf_written_after_the_stop() {
        let text = r#"{"vb2scope":"trace","version":1,"source":"hand-written"}
{"t":1000,"ev":"open","pid":100,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":9000,"ev":"ioctl","pid":100,"tid":102,"fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
{"t":4000,"ev":"ioctl","pid":100,"tid":101,"dur":6000,"fd":3,"op":"VIDIOC_DQBUF","result":"EINVAL","type":"VIDEO_CAPTURE"}
"#;
        let (t, _) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("a trace");
        let r = check_trace(&t, Policy::MODERN);
        let loud: Vec<_> = r
            .findings
            .iter()
            .filter(|f| r.severity(f) > vb2scope_core::rules::Severity::Info)
            .collect();
        assert!(loud.is_empty(), "{loud:?}");
    }
}

/// `force_last_buf_done`: on an M2M device whose CAPTURE queue streams but has not started
/// (fewer buffers than its driver's minimum), a QBUF during a drain comes back at once as
/// the LAST buffer; DQBUF returns the buffer the model held QUEUED. Believed, and EPIPE
/// follows.
#[test]
fn a_forced_last_buffer_on_a_queue_not_started() {
    let text = r#"{"vb2scope":"trace","version":1,"source":"hand-written"}
{"t":1000,"ev":"open","pid":100,"fd":3,"path":"/dev/video0"}
{"t":2000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"MMAP","count":2,"count_out":2}
{"t":3000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":3500,"ev":"driver","pid":100,"type":"VIDEO_CAPTURE","op":"min_queued","count":2}
{"t":4000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":5000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","flags":3,"length":614400}}
{"t":6000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_DQBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","flags":1048577,"length":614400}}
{"t":7000,"ev":"ioctl","pid":100,"fd":3,"op":"VIDIOC_DQBUF","result":"EPIPE","type":"VIDEO_CAPTURE"}
"#;
    let (t, diags) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("a trace");
    assert!(diags.is_empty(), "{diags:?}");
    let r = check_trace(&t, Policy::MODERN);
    let loud: Vec<_> = r
        .findings
        .iter()
        .filter(|f| r.severity(f) > Severity::Info)
        .map(|f| f.message())
        .collect();
    assert_eq!(loud, Vec::<String>::new());
    assert_eq!(r.stats.divergences, 0);
}

/// The drain of a codec context as the trace shows it: only a command of known kind and
/// the kernel's answer to it move it, and what a driver accepts is believed.
mod drain {
    use vb2scope_core::model::{DrainPhase, Model, Op};
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::RuleId;
    use vb2scope_core::v4l2::{BufType, Errno, Memory, Outcome, codec};

    /// Fd 3 on an M2M node, both queues set up and streaming.
    fn streaming() -> Model {
        let mut m = Model::new(Policy::MODERN);
        m.lenient = true;
        let mut step = |op: Op| assert_eq!(m.step(&op, 0, 0, None).0, Ok(()), "{op:?}");
        step(Op::Open { fd: 3, dev: 0 });
        for ty in [BufType::VideoOutput, BufType::VideoCapture] {
            step(Op::Reqbufs {
                fd: 3,
                ty,
                memory: Memory::Mmap,
                count: 2,
            });
            step(Op::Streamon { fd: 3, ty });
        }
        m
    }

    fn command(m: &mut Model, cmd: Option<u32>, seen: Outcome) {
        let _ = m.step(
            &Op::Command {
                fd: 3,
                cmd,
                encoder: false,
            },
            1,
            1,
            Some(seen),
        );
    }

    fn phase(m: &Model) -> Option<DrainPhase> {
        m.drain(0).map(|d| d.phase)
    }

    fn rules(m: &Model) -> Vec<RuleId> {
        m.findings.iter().map(|f| f.rule).collect()
    }

    /// Regression guard: strace prints DECODER_CMD as a pointer. A command of unknown kind
    /// leaves the drain unknown, and nothing is drawn from it when the queue stops.
    #[test]
    fn a_command_of_unknown_kind_draws_nothing() {
        let mut m = streaming();
        command(&mut m, None, Ok(()));
        assert_eq!(phase(&m), Some(DrainPhase::Unknown));
        let _ = m.step(
            &Op::Streamoff {
                fd: 3,
                ty: BufType::VideoCapture,
            },
            2,
            2,
            Some(Ok(())),
        );
        assert_eq!(rules(&m), vec![]);
        assert_eq!(phase(&m), Some(DrainPhase::Running));
    }

    /// A driver that does not use the drain helpers may accept a second STOP: believed,
    /// no R36 and no divergence; only the kernel's EBUSY is R36.
    #[test]
    fn a_second_stop_is_the_drivers_to_answer() {
        let mut m = streaming();
        command(&mut m, Some(codec::CMD_STOP), Ok(()));
        command(&mut m, Some(codec::CMD_STOP), Ok(()));
        assert_eq!(rules(&m), vec![]);
        command(&mut m, Some(codec::CMD_START), Err(Errno::EBUSY));
        assert_eq!(rules(&m), vec![RuleId::R36]);
        assert_eq!(m.divergences, 0);
    }

    /// LAST ends the drain; a STOP after it is a no-op (`has_stopped`), and closing the
    /// context then abandons nothing.
    #[test]
    fn last_ends_the_drain_and_a_close_after_it_is_quiet() {
        let mut m = streaming();
        command(&mut m, Some(codec::CMD_STOP), Ok(()));
        assert_eq!(phase(&m), Some(DrainPhase::Draining));
        let _ = m.step(
            &Op::Qbuf(
                vb2scope_core::model::BufTarget {
                    fd: 3,
                    ty: BufType::VideoCapture,
                    index: 0,
                    memory: Some(Memory::Mmap),
                },
                Default::default(),
            ),
            3,
            3,
            None,
        );
        let _ = m.step(
            &Op::BufferDone {
                dev: 0,
                ty: BufType::VideoCapture,
                index: Some(0),
                state: vb2scope_core::v4l2::DoneState::Last,
            },
            4,
            4,
            None,
        );
        let (r, ret) = m.step(
            &Op::Dqbuf {
                fd: 3,
                ty: BufType::VideoCapture,
                memory: None,
                nonblock: true,
            },
            5,
            5,
            None,
        );
        assert_eq!(r, Ok(()));
        assert_ne!(ret.flags & vb2scope_core::v4l2::flags::LAST, 0);
        assert_eq!(phase(&m), Some(DrainPhase::Stopped));
        command(&mut m, Some(codec::CMD_STOP), Ok(()));
        assert_eq!(phase(&m), Some(DrainPhase::Stopped));
        let _ = m.step(&Op::Close { fd: 3 }, 6, 6, Some(Ok(())));
        assert_eq!(rules(&m), vec![]);
    }

    /// Closing the context mid-drain abandons it (R33, information only).
    #[test]
    fn a_close_mid_drain_is_an_abandon() {
        let mut m = streaming();
        command(&mut m, Some(codec::CMD_STOP), Ok(()));
        let _ = m.step(&Op::Close { fd: 3 }, 2, 2, Some(Ok(())));
        assert_eq!(rules(&m), vec![RuleId::R33]);
    }
}

/// EIO from a driver's `vb2_queue_error`, which no trace shows: the kernel's EIO says the
/// queue is in error, and the next result settles it.
mod queue_error {
    use vb2scope_core::check::check_trace;
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::RuleId;

    fn trace(calls: &str) -> vb2scope_core::trace::Trace {
        let text = format!(
            r#"{{"vb2scope":"trace","version":1}}
{{"t":1000,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video0"}}
{{"t":2000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}}
{{"t":3000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}}}
{{"t":4000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}}
{calls}"#
        );
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        t
    }

    const DQBUF_EIO: &str = r#"{"t":5000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQBUF","result":"EIO","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP"}}
"#;

    /// One EIO, then STREAMOFF: what a correct application does; no finding, no divergence.
    #[test]
    fn one_eio_then_a_reset_is_quiet() {
        let calls = format!(
            "{DQBUF_EIO}{}",
            r#"{"t":6000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_CAPTURE"}
{"t":7000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
"#
        );
        let r = check_trace(&trace(&calls), Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    /// A QBUF's EIO may be the driver's buf_prepare: a QBUF that then succeeds says the
    /// queue was not in error.
    #[test]
    fn a_qbuf_eio_then_success_was_no_queue_error() {
        let calls = r#"{"t":5000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"EIO","buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
{"t":6000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"MMAP","length":614400,"offset":0}}
"#;
        let r = check_trace(&trace(calls), Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
        assert!(
            !r.findings.iter().any(|f| f.rule == RuleId::R45),
            "{:?}",
            r.findings
        );
    }

    /// Three DQBUFs answered EIO with no reset: a loop (R45, once).
    #[test]
    fn a_loop_on_eio_is_r45() {
        let calls = DQBUF_EIO.repeat(4);
        let r = check_trace(&trace(&calls), Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
        let rules: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![RuleId::R45]);
    }
}

/// A STREAMOFF the kernel refuses on an M2M context (R48), judged by what comes back.
mod aborted_context {
    use vb2scope_core::check::check_trace;
    use vb2scope_core::policy::Policy;
    use vb2scope_core::rules::RuleId;

    /// An M2M node (QUERYCAP: single-planar M2M), both queues streaming, a STREAMOFF of the
    /// multi-planar type refused, buffers queued again, then `after`.
    fn trace(after: &str) -> vb2scope_core::trace::Trace {
        let mut clock = 100;
        let mut line = |_: u32, rest: &str| {
            clock += 10;
            format!(r#"{{"t":{clock},"ev":"ioctl","pid":1,"origin":"observed","fd":3,{rest}}}"#)
        };
        let buf = |ty: &str, i: u32| {
            format!(
                r#""buf":{{"index":{i},"type":"{ty}","memory":"MMAP","length":4096,"offset":{}}}"#,
                if ty == "VIDEO_OUTPUT" {
                    i * 4096
                } else {
                    0x4000_0000 + i * 4096
                }
            )
        };
        let mut l = vec![
            r#"{"vb2scope":"trace","version":1}"#.to_string(),
            r#"{"t":50,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video12"}"#
                .into(),
            line(
                200,
                r#""op":"VIDIOC_QUERYCAP","result":"ok","caps":2216722432,"driver":"vim2m","card":"vim2m","bus_info":"platform:vim2m","device_caps":69238784"#,
            ),
        ];
        for ty in ["VIDEO_OUTPUT", "VIDEO_CAPTURE"] {
            l.push(line(300, &format!(r#""op":"VIDIOC_REQBUFS","result":"ok","type":"{ty}","memory":"MMAP","count":2,"count_out":2"#)));
            l.push(line(
                400,
                &format!(r#""op":"VIDIOC_QBUF","result":"ok",{}"#, buf(ty, 0)),
            ));
            l.push(line(
                500,
                &format!(r#""op":"VIDIOC_STREAMON","result":"ok","type":"{ty}""#),
            ));
        }
        l.push(line(
            600,
            r#""op":"VIDIOC_STREAMOFF","result":"EINVAL","type":"VIDEO_CAPTURE_MPLANE""#,
        ));
        for ty in ["VIDEO_OUTPUT", "VIDEO_CAPTURE"] {
            l.push(line(
                700,
                &format!(r#""op":"VIDIOC_QBUF","result":"ok",{}"#, buf(ty, 1)),
            ));
        }
        let eagain = line(
            800,
            r#""op":"VIDIOC_DQBUF","result":"EAGAIN","nonblock":true,"buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP"}"#,
        );
        for _ in 0..3 {
            l.push(eagain.clone());
        }
        let mut text = l.join("\n");
        text.push('\n');
        text.push_str(after);
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        t
    }

    fn rules(after: &str) -> Vec<RuleId> {
        let r = check_trace(&trace(after), Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
        r.findings.iter().map(|f| f.rule).collect()
    }

    /// Nothing came back before the trace ended: the context stayed aborted. The refused
    /// STREAMOFF of a type QUERYCAP says the node has not is no divergence.
    #[test]
    fn waits_that_find_nothing_until_the_end() {
        assert_eq!(rules(""), vec![RuleId::R48]);
    }

    /// Regression guard: three empty waits may just be a slow job. A buffer queued after
    /// the refusal that comes back says jobs run: no finding.
    #[test]
    fn a_buffer_queued_after_that_comes_back() {
        let done = r#"{"t":9000,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQBUF","result":"ok","nonblock":true,"buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","flags":1,"bytesused":4096,"length":4096,"offset":1073741824}}
{"t":9500,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQBUF","result":"ok","nonblock":true,"buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"MMAP","flags":1,"bytesused":4096,"length":4096,"offset":1073745920}}
"#;
        assert_eq!(rules(done), vec![]);
    }
}

/// R44: a stateful decoder's CAPTURE buffer given another dma-buf while the queue streams;
/// the same change on a device not known to decode is R16 alone.
#[test]
fn a_decoders_capture_memory_swapped_while_streaming() {
    let run = |decoder: bool| {
        let cmd = if decoder { "decoder_cmd start\n" } else { "" };
        let text = format!(
            "queue output\nreqbufs 1 mmap\nqbuf 0\nstreamon\nqueue capture\nreqbufs 2 dmabuf\n\
             dmabuf a 614400\ndmabuf b 614400\nqbuf 0 fd=a\nstreamon\n{cmd}driver done 0\n\
             dqbuf\nqbuf 0 fd=b\n"
        );
        let sc = vb2scope_core::scenario::parse("r44.vb2s", &text).expect("parses");
        let trace = vb2scope_core::scenario::run(&sc, Policy::MODERN).expect("runs");
        let r = check_trace(&trace, Policy::MODERN);
        let mut rules: Vec<RuleId> = r.findings.iter().map(|f| f.rule).collect();
        rules.retain(|&r| r == RuleId::R16 || r == RuleId::R44);
        rules
    };
    assert_eq!(run(true), vec![RuleId::R16, RuleId::R44]);
    assert_eq!(run(false), vec![RuleId::R16]);
}

/// R43 from the QBUF replies of a recording: the last OUTPUT buffer kept HOLD_CAPTURE_BUF
/// at STREAMOFF; a FLUSH (or a last slice without the flag) releases the held buffer.
#[test]
fn a_held_capture_buffer_at_streamoff() {
    let run = |between: &str| {
        let text = format!(
            r#"{{"vb2scope":"trace","version":1}}
{{"t":100,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video16"}}
{{"t":200,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"MMAP","count":1,"count_out":1}}
{{"t":300,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":1,"count_out":1}}
{{"t":400,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{{"index":0,"type":"VIDEO_OUTPUT","memory":"MMAP","flags":515,"bytesused":100,"length":4096,"offset":0}}}}
{between}{{"t":900,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMOFF","result":"ok","type":"VIDEO_OUTPUT"}}
"#
        );
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        let r = check_trace(&t, Policy::MODERN);
        assert_eq!(r.stats.divergences, 0, "{:?}", r.findings);
        r.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    };
    assert_eq!(run(""), vec![RuleId::R43]);
    let flush = r#"{"t":500,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DECODER_CMD","result":"ok","cmd":4}
"#;
    assert_eq!(run(flush), vec![]);
}

/// `vb2scope run --device` of traces/stateless-requests.vb2s on real vim2m (Linux 6.12 in
/// the test VM): the requests were made on vim2m's media device, every `expect` held (the
/// EBUSY of the mode lock-in, the EPERM of a request on CAPTURE), and the check finds just
/// the two misuses the scenario makes on purpose.
#[test]
fn the_request_scenario_run_on_vim2m() {
    let bytes =
        include_bytes!("../../../tests/fixtures/device/k612-vim2m-stateless-requests.jsonl");
    let (t, d) = vb2scope_core::format::read_native_bytes(bytes).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    let cmds: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            vb2scope_core::trace::Body::Ioctl { cmd, .. } => Some(cmd),
            _ => None,
        })
        .filter(|c| c.name().starts_with("MEDIA_"))
        .collect();
    assert_eq!(cmds.len(), 6, "{cmds:?}");
    let r = check_trace(
        &t,
        Policy::for_kernel(vb2scope_core::policy::Kernel::new(6, 12)),
    );
    let rules: Vec<RuleId> = r.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::R24, RuleId::R23]);
    assert_eq!(r.stats.divergences, 0);
}

/// `vb2scope run --device` of traces/decoder-drain-device.vb2s on vicodec's real stateful
/// decoder (Linux 6.12 in the test VM): the decoder consumed both OUTPUT buffers, STOP made
/// v4l2-mem2mem complete the next CAPTURE buffer at once, empty and LAST, and DQBUF then
/// failed with EPIPE without waiting; every `expect` held and the check is clean.
#[test]
fn the_decoder_drain_scenario_run_on_vicodec() {
    let bytes = include_bytes!("../../../tests/fixtures/device/k612-vicodec-decoder-drain.jsonl");
    let (t, d) = vb2scope_core::format::read_native_bytes(bytes).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    let last = t.events.iter().find_map(|e| match e.body {
        vb2scope_core::trace::Body::Ioctl {
            cmd: vb2scope_core::trace::IoctlCmd::Dqbuf,
            result: Ok(()),
            arg,
            ..
        } => match t.arg(arg) {
            Some(vb2scope_core::trace::IoctlArg::Buffer(b))
                if !b.ty.is_output() && b.flags & vb2scope_core::v4l2::flags::LAST != 0 =>
            {
                Some(b.bytesused)
            }
            _ => None,
        },
        _ => None,
    });
    assert_eq!(last, Some(0), "an empty LAST buffer on CAPTURE");
    let r = check_trace(
        &t,
        Policy::for_kernel(vb2scope_core::policy::Kernel::new(6, 12)),
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.stats.divergences, 0);
}

/// `traces/decoder-resolution-change-device.vb2s` run on vicodec's real stateful decoder
/// (Linux 6.12 in the test VM), fed real FWHT frames (640x360, 640x360, 800x480): the
/// decoder sent SOURCE_CHANGE for the first header and again for the new size, returned the
/// oldest CAPTURE buffer empty with LAST, and after the CAPTURE restart decoded the third
/// frame into a buffer of the new format. Every `expect` held and the check is clean.
#[test]
fn the_resolution_change_scenario_run_on_vicodec() {
    use vb2scope_core::trace::{Body, DriverAction, IoctlArg, IoctlCmd};
    let bytes = include_bytes!(
        "../../../tests/fixtures/device/k612-vicodec-decoder-resolution-change.jsonl"
    );
    let (t, d) = vb2scope_core::format::read_native_bytes(bytes).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    let events: Vec<u32> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Dqevent,
                result: Ok(()),
                arg,
                ..
            } => match t.arg(arg) {
                Some(IoctlArg::Event { ty: Some(ty), .. }) => Some(*ty),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let sc = vb2scope_core::v4l2::codec::EVENT_SOURCE_CHANGE;
    assert_eq!(events, vec![sc, sc], "two source changes");
    // The CAPTURE format the device reported: its default, 640x368 and 800x480 in NV12.
    let sizes: Vec<u32> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Driver {
                ty,
                action: DriverAction::Config(vb2scope_core::v4l2::DriverCfg::Format { size, .. }),
                ..
            } if !ty.is_output() => Some(size),
            _ => None,
        })
        .collect();
    assert_eq!(sizes[1..], [640 * 368 * 3 / 2, 800 * 480 * 3 / 2]);
    // CAPTURE results in order: two pictures, the empty LAST of the change, one picture of
    // the new size, the drain's empty LAST.
    let capture: Vec<(u32, bool)> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Dqbuf,
                result: Ok(()),
                arg,
                ..
            } => match t.arg(arg) {
                Some(IoctlArg::Buffer(b)) if !b.ty.is_output() => {
                    Some((b.bytesused, b.flags & vb2scope_core::v4l2::flags::LAST != 0))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let (small, big) = (640 * 368 * 3 / 2, 800 * 480 * 3 / 2);
    assert_eq!(
        capture,
        vec![
            (small, false),
            (small, false),
            (0, true),
            (big, false),
            (0, true)
        ]
    );
    let r = check_trace(
        &t,
        Policy::for_kernel(vb2scope_core::policy::Kernel::new(6, 12)),
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.stats.divergences, 0);
}

/// The same scenario on the model gives the same lifecycle: the LAST buffers where the
/// device put them, and no finding.
#[test]
fn the_resolution_change_scenario_on_the_model() {
    let text = include_str!("../../../traces/decoder-resolution-change-device.vb2s");
    assert_eq!(scenario_rules(text), vec![]);
}

/// R42: where the trace shows what the application passed (a recording reads QBUF's entry)
/// and the reply without HOLD_CAPTURE_BUF, the kernel dropped it; a reply that keeps it, or
/// a source that shows only the reply (strace), says nothing.
#[test]
fn hold_capture_buf_dropped_by_the_kernel() {
    let trace = |reply: u32, flags_in: &str, caps: &str| {
        format!(
            "{{\"vb2scope\":\"trace\",\"version\":1,\"source\":\"test\",\"title\":\"\"}}\n\
             {{\"t\":1,\"ev\":\"open\",\"pid\":7,\"origin\":\"observed\",\"fd\":4,\"path\":\"/dev/video5\"}}\n\
             {{\"t\":2,\"ev\":\"ioctl\",\"pid\":7,\"origin\":\"observed\",\"fd\":4,\"op\":\"VIDIOC_REQBUFS\",\"result\":\"ok\",\"type\":\"VIDEO_OUTPUT\",\"memory\":\"MMAP\",\"count\":2,\"count_out\":2{caps}}}\n\
             {{\"t\":3,\"ev\":\"ioctl\",\"pid\":7,\"origin\":\"observed\",\"fd\":4,\"op\":\"VIDIOC_REQBUFS\",\"result\":\"ok\",\"type\":\"VIDEO_CAPTURE\",\"memory\":\"MMAP\",\"count\":2,\"count_out\":2,\"caps\":279}}\n\
             {{\"t\":4,\"ev\":\"ioctl\",\"pid\":7,\"origin\":\"observed\",{flags_in}\"fd\":4,\"op\":\"VIDIOC_QBUF\",\"result\":\"ok\",\"buf\":{{\"index\":0,\"type\":\"VIDEO_OUTPUT\",\"memory\":\"MMAP\",\"flags\":{reply},\"bytesused\":100,\"length\":4096,\"offset\":0}}}}\n"
        )
    };
    let rules = |text: String| {
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        let r = check_trace(&t, Policy::MODERN);
        r.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    };
    let (asked, no_hold, hold) = ("\"flags_in\":512,", ",\"caps\":279", ",\"caps\":311");
    // QUEUED|MAPPED back, HOLD gone, and the queue says it cannot hold.
    assert_eq!(rules(trace(0x4003, asked, no_hold)), vec![RuleId::R42]);
    // Kept: the queue supports it.
    assert_eq!(rules(trace(0x4203, asked, hold)), vec![]);
    // Gone on a queue that can hold: a buffer prepared before keeps its PREPARE_BUF flags.
    assert_eq!(rules(trace(0x4003, asked, hold)), vec![]);
    // The capabilities not recorded: not enough to say.
    assert_eq!(rules(trace(0x4003, asked, "")), vec![]);
    // Only the reply: nothing to say.
    assert_eq!(rules(trace(0x4003, "", no_hold)), vec![]);
    // The flags survive a write and a read.
    let (t, _) = vb2scope_core::format::read_native_bytes(trace(0x4003, asked, no_hold).as_bytes())
        .expect("loads");
    let mut out = Vec::new();
    vb2scope_core::format::write_native(&mut out, &t).expect("writes");
    assert!(String::from_utf8_lossy(&out).contains("\"flags_in\":512"));
}

/// R41: a job's CAPTURE result completed by the driver's thread inside a STREAMOFF of that
/// queue (v4l2_m2m_cancel_job waited for it) is dropped with the queue: information, and not
/// the R10 error it used to be (the model's STREAMOFF had already taken the buffer). An
/// ERROR says nothing; a completion after the call returned is the driver's bug.
#[test]
fn a_job_result_dropped_by_streamoff() {
    let trace_of = |done_t: u64, tid: u32, state: &str, dur: &str, stopped: &str, between: bool| {
        let ev = |t: u64, rest: &str| {
            format!("{{\"t\":{t},\"pid\":7,\"origin\":\"observed\",{rest}}}\n")
        };
        let mut s = String::from(
            "{\"vb2scope\":\"trace\",\"version\":1,\"source\":\"test\",\"title\":\"\"}\n",
        );
        s += &ev(1, "\"ev\":\"open\",\"fd\":4,\"path\":\"/dev/video5\"");
        let mut t = 2;
        for ty in ["VIDEO_OUTPUT", "VIDEO_CAPTURE"] {
            s += &ev(
                t,
                &format!(
                    "\"ev\":\"ioctl\",\"fd\":4,\"op\":\"VIDIOC_REQBUFS\",\"result\":\"ok\",\"type\":\"{ty}\",\"memory\":\"MMAP\",\"count\":2,\"count_out\":2"
                ),
            );
            t += 1;
            for i in 0..2 {
                s += &ev(
                    t,
                    &format!(
                        "\"ev\":\"ioctl\",\"fd\":4,\"op\":\"VIDIOC_QBUF\",\"result\":\"ok\",\"buf\":{{\"index\":{i},\"type\":\"{ty}\",\"memory\":\"MMAP\",\"flags\":16387,\"length\":4096,\"offset\":0}}"
                    ),
                );
                t += 1;
            }
        }
        for ty in ["VIDEO_OUTPUT", "VIDEO_CAPTURE"] {
            s += &ev(
                t,
                &format!(
                    "\"ev\":\"ioctl\",\"fd\":4,\"op\":\"VIDIOC_STREAMON\",\"result\":\"ok\",\"type\":\"{ty}\""
                ),
            );
            t += 1;
        }
        s += &ev(
            1000,
            &format!(
                "{dur}\"ev\":\"ioctl\",\"fd\":4,\"op\":\"VIDIOC_STREAMOFF\",\"result\":\"ok\",\"type\":\"{stopped}\""
            ),
        );
        if between {
            s += &ev(
                2000,
                "\"ev\":\"ioctl\",\"fd\":4,\"op\":\"VIDIOC_QUERYBUF\",\"result\":\"ok\",\"buf\":{\"index\":1,\"type\":\"VIDEO_OUTPUT\",\"memory\":\"MMAP\",\"length\":4096,\"offset\":0}",
            );
        }
        for ty in ["VIDEO_OUTPUT", "VIDEO_CAPTURE"] {
            s += &format!(
                "{{\"t\":{done_t},\"pid\":{tid},\"origin\":\"observed\",\"ev\":\"driver\",\"op\":\"buffer_done\",\"type\":\"{ty}\",\"index\":0,\"state\":\"{state}\"}}\n"
            );
        }
        s
    };
    let rules = |text: String| {
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        let r = check_trace(&t, Policy::MODERN);
        r.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    };
    let trace = |done_t: u64, tid: u32, state: &str, dur: &str| {
        trace_of(done_t, tid, state, dur, "VIDEO_CAPTURE", false)
    };
    let timed = "\"dur\":40000000,";
    assert_eq!(
        rules(trace(30_000_000, 99, "DONE", timed)),
        vec![RuleId::R41]
    );
    // Given back by the job with an error: nothing lost to tell.
    assert_eq!(rules(trace(30_000_000, 99, "ERROR", timed)), vec![]);
    // After STREAMOFF returned, the driver had no buffer to complete: its bug (R10).
    assert_eq!(
        rules(trace(50_000_000, 99, "DONE", timed)),
        vec![RuleId::R10]
    );
    // Untimed: only the kernel events right after the call count as inside it.
    assert_eq!(rules(trace(30_000_000, 99, "DONE", "")), vec![RuleId::R41]);
    let later = trace_of(30_000_000, 99, "DONE", "", "VIDEO_CAPTURE", true);
    assert_eq!(rules(later), vec![RuleId::R10]);
    // A seek (STREAMOFF of OUTPUT) during a job: the OUTPUT buffer's DONE loses nothing;
    // the CAPTURE one, on a queue still streaming, is an ordinary completion.
    let seek = trace_of(30_000_000, 99, "DONE", timed, "VIDEO_OUTPUT", false);
    assert_eq!(rules(seek), vec![]);
    // Completed in an interrupt on an idle CPU (pid 0): another context too.
    assert_eq!(
        rules(trace(30_000_000, 0, "DONE", timed)),
        vec![RuleId::R41]
    );
}

/// R46: a result the driver completes after the LAST buffer was dequeued, with no restart,
/// is the driver's premature LAST. A STREAMOFF or a START in between makes it legitimate.
#[test]
fn a_result_after_last_is_the_drivers_fault() {
    let base = "queue output\nreqbufs 2 mmap\nqueue capture\nreqbufs 2 mmap\n\
                queue output\nqbuf 0\nstreamon\nqueue capture\nqbuf 0\nqbuf 1\nstreamon\n\
                decoder_cmd stop\ndriver last 0\ndqbuf\n";
    let rules = |tail: &str| scenario_rules(&format!("{base}{tail}"));
    assert_eq!(rules("driver done 1\n"), vec![RuleId::R46]);
    assert_eq!(rules("decoder_cmd start\ndriver done 1\n"), vec![]);
    // The spec's third way to resume a stopped decoder: STREAMOFF and STREAMON of OUTPUT.
    assert_eq!(
        rules("queue output\nstreamoff\nstreamon\nqbuf 0\nqueue capture\ndriver done 1\n"),
        vec![]
    );
    // A completion of a buffer the driver does not have is R10's, not a result.
    assert_eq!(rules("driver done 0\n"), vec![RuleId::R10]);
    assert_eq!(rules("streamoff\n"), vec![]);
    // An error completion (a cancel) is no result.
    assert_eq!(rules("driver error 1\n"), vec![]);
}

/// Regression: the kernel capture alone of vicodec's START after a drain (6.12) shows the
/// LAST buffer but not the START (no syscalls): the results after it are no R46.
#[test]
fn a_kernel_capture_alone_says_nothing_of_results_after_last() {
    let bytes = include_bytes!(
        "../../../tests/fixtures/corpus/linux-6.12.118+deb12-amd64/probe-vicodec-start-after-drain.ftrace.txt.zst"
    );
    let (imported, _) = import_bytes(bytes, "probe.ftrace.txt.zst", None, None).expect("imports");
    let r = check_trace(&imported.trace, Policy::MODERN);
    assert!(
        r.findings.iter().all(|f| f.rule != RuleId::R46),
        "{:?}",
        r.findings
    );
}

/// R39: a decoder's CAPTURE buffer that comes back empty without LAST is noted; the empty
/// LAST buffer itself is the spec's way and is not; nor is an empty buffer of a node not
/// known to decode.
#[test]
fn an_empty_capture_buffer_without_last_is_noted() {
    let head = r#"{"vb2scope":"trace","version":1,"source":"test"}
{"t":1,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video0"}
{"t":2,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_OUTPUT","memory":"MMAP","count":1,"count_out":1}
{"t":3,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":4,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":4096}}
{"t":5,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"MMAP","length":4096}}
{"t":6,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":7,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_OUTPUT","memory":"MMAP","bytesused":100,"length":4096}}
{"t":8,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_OUTPUT"}
"#;
    let stop = r#"{"t":9,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DECODER_CMD","result":"ok","cmd":1}
"#;
    let empty = r#"{"t":10,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":4096}}
"#;
    let last = r#"{"t":11,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQBUF","result":"ok","buf":{"index":1,"type":"VIDEO_CAPTURE","memory":"MMAP","flags":1048576,"length":4096}}
"#;
    let rules = |text: String| {
        let (t, d) = vb2scope_core::format::read_native_bytes(text.as_bytes()).expect("loads");
        assert!(d.is_empty(), "{d:?}");
        let r = check_trace(&t, Policy::MODERN);
        r.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    };
    assert_eq!(
        rules(format!("{head}{stop}{empty}{last}")),
        vec![RuleId::R39]
    );
    assert_eq!(rules(format!("{head}{stop}{last}")), vec![]);
    assert_eq!(rules(format!("{head}{empty}")), vec![]);
    // An HDMI receiver's source change makes no decoder: a capture-only node.
    let hdmi = r#"{"vb2scope":"trace","version":1,"source":"test"}
{"t":1,"ev":"open","pid":1,"origin":"observed","fd":3,"path":"/dev/video0"}
{"t":3,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}
{"t":4,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_QBUF","result":"ok","buf":{"index":0,"type":"VIDEO_CAPTURE","memory":"MMAP","length":4096}}
{"t":6,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_STREAMON","result":"ok","type":"VIDEO_CAPTURE"}
{"t":7,"ev":"ioctl","pid":1,"origin":"observed","fd":3,"op":"VIDIOC_DQEVENT","result":"ok","event":5,"changes":1}
"#;
    assert_eq!(rules(format!("{hdmi}{empty}")), vec![]);
}

/// R40: a blocking DQBUF on CAPTURE of an M2M context whose OUTPUT queue was stopped, with
/// CAPTURE buffers still in the driver: no job runs, the wait never ends. With OUTPUT
/// streaming, or non-blocking, nothing is said.
#[test]
fn waiting_on_a_stalled_m2m_context() {
    let base = "queue output\nreqbufs 2 mmap\nqueue capture\nreqbufs 2 mmap\n\
                queue output\nstreamon\nqueue capture\nqbuf 0\nqbuf 1\nstreamon\n";
    let rules = |tail: &str| scenario_rules(&format!("{base}{tail}"));
    assert_eq!(
        rules("queue output\nstreamoff\nqueue capture\ndqbuf\nexpect EAGAIN\n"),
        vec![RuleId::R40]
    );
    assert_eq!(rules("dqbuf\nexpect ok\n"), vec![]);
    assert_eq!(
        rules("queue output\nstreamoff\nqueue capture\ndqbuf nonblock\nexpect EAGAIN\n"),
        vec![]
    );
}

/// `vb2scope run --device` of traces/m2m-stalled-wait.vb2s on real vim2m (6.12 in the test
/// VM): with OUTPUT stopped, the blocking DQBUF on CAPTURE got nothing for 5 s and the
/// runner's watchdog ended it (EINTR): R40, and nothing else.
#[test]
fn the_stalled_wait_run_on_vim2m() {
    let bytes = include_bytes!("../../../tests/fixtures/device/k612-vim2m-stalled-wait.jsonl");
    let (t, d) = vb2scope_core::format::read_native_bytes(bytes).expect("loads");
    assert!(d.is_empty(), "{d:?}");
    let r = check_trace(
        &t,
        Policy::for_kernel(vb2scope_core::policy::Kernel::new(6, 12)),
    );
    let rules: Vec<RuleId> = r.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::R40]);
    assert_eq!(r.stats.divergences, 0);
}

/// An epoll set's registration of a request fd says what the wait asks for: EPOLLIN alone
/// is R31, EPOLLPRI is right; another process's fd of the same number (a socket, as `-y`
/// says) is no request.
#[test]
fn an_epoll_registration_of_a_request_fd() {
    let head = "100   1.000000 openat(AT_FDCWD, \"/dev/video12\", O_RDWR) = 3</dev/video12>\n\
                100   1.000100 ioctl(27<anon_inode:request>, MEDIA_REQUEST_IOC_REINIT, 0) = 0\n";
    let rules = |line: &str| {
        let r = check(&format!("{head}{line}\n"), Policy::MODERN);
        r.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
    };
    assert_eq!(
        rules(
            "100   1.000200 epoll_ctl(5<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, 27<anon_inode:request>, {events=EPOLLIN, data={u32=27, u64=27}}) = 0"
        ),
        vec![RuleId::R31]
    );
    assert_eq!(
        rules(
            "100   1.000200 epoll_ctl(5<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, 27<anon_inode:request>, {events=EPOLLPRI|EPOLLET, data={u32=27, u64=27}}) = 0"
        ),
        vec![]
    );
    assert_eq!(
        rules(
            "200   1.000200 epoll_ctl(5<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, 27<socket:[99]>, {events=EPOLLIN, data={u32=27, u64=27}}) = 0"
        ),
        vec![]
    );
}

/// Regression (a real strace, vim2m on 6.12): the request fd is added to an epoll set with
/// EPOLLIN before its first QUEUE, so the model meets it first in the registration. The
/// kernel never reported it (0.3 s, though the request completed); EPOLLPRI did at once.
#[test]
fn an_epoll_registration_before_the_first_queue() {
    let text = include_str!("../../../tests/fixtures/regressions/k612-epoll-request.strace.txt");
    let r = check(text, Policy::MODERN);
    let rules: Vec<RuleId> = r.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::R31]);
}

/// A call the model does not follow answers no `expect` on the model: the scripted result
/// is a placeholder, not a prediction (an `expect` after it used to check that placeholder,
/// or the call before it).
#[test]
fn an_expect_after_a_call_the_model_does_not_follow_checks_nothing() {
    let text = "queue output\nreqbufs 1 mmap\nsubscribe eos\nexpect EINVAL\n";
    assert_eq!(scenario_rules(text), vec![]);
}

/// `data=` feeds a decoder's frame; with `request=` the frame would need its controls,
/// which a scenario does not set: refused at parse time, with the column.
#[test]
fn data_with_a_request_is_refused() {
    let text = "bitstream clip x.fwht\nrequest r\nqueue output\nreqbufs 1 mmap\nqbuf 0 request=r data=clip\n";
    let e = vb2scope_core::scenario::parse("t.vb2s", text).expect_err("refused");
    let msg = e.to_string();
    assert!(msg.contains("t.vb2s:5:18"), "{msg}");
    assert!(msg.contains("data= with request="), "{msg}");
}

/// R38 (information): a resolution change reported while CAPTURE streams, OUTPUT fed after
/// it, and CAPTURE never restarted before the trace ends. A restart, a START, a seek
/// (STREAMOFF of OUTPUT), the initial source change (CAPTURE not yet streaming) or no
/// feeding after it say nothing.
#[test]
fn a_resolution_change_never_completed() {
    let setup = "queue output\nreqbufs 2 mmap\nqueue capture\nreqbufs 2 mmap\n\
                 queue output\nqbuf 0\nstreamon\nqueue capture\nqbuf 0\nqbuf 1\nstreamon\n";
    let rules = |tail: &str| scenario_rules(&format!("{setup}{tail}"));
    let change = "dqevent source_change\ndriver last 0\ndqbuf\n";
    assert_eq!(
        rules(&format!("{change}queue output\nqbuf 1\n")),
        vec![RuleId::R38]
    );
    assert_eq!(
        rules(&format!(
            "{change}queue output\nqbuf 1\nqueue capture\nstreamoff\nreqbufs 0 mmap\n\
             reqbufs 2 mmap\nqbuf 0\nstreamon\n"
        )),
        vec![]
    );
    assert_eq!(
        rules(&format!(
            "{change}queue output\nqbuf 1\ndecoder_cmd start\n"
        )),
        vec![]
    );
    assert_eq!(
        rules(&format!("{change}queue output\nqbuf 1\nstreamoff\n")),
        vec![]
    );
    assert_eq!(rules(change), vec![]);
    // No LAST, and more pictures than CAPTURE could hold from before the event: the decoder
    // went on (FFmpeg answers a change of the same size so), nothing stalled.
    let went_on = "dqevent source_change\nqueue output\nqbuf 1\nqueue capture\n\
                   driver done 0\ndqbuf\nqbuf 0\ndriver done 1\ndqbuf\nqbuf 1\n\
                   driver done 0\ndqbuf\n";
    assert_eq!(rules(went_on), vec![]);
    // Two pictures only: they may be from before the change.
    let two = "dqevent source_change\nqueue output\nqbuf 1\nqueue capture\n\
               driver done 0\ndqbuf\nqbuf 0\ndriver done 1\ndqbuf\n";
    assert_eq!(rules(two), vec![RuleId::R38]);
    let initial = "queue output\nreqbufs 2 mmap\nqbuf 0\nstreamon\ndqevent source_change\nqbuf 1\n";
    assert_eq!(scenario_rules(initial), vec![]);
    // The owner's close stops CAPTURE while another handle stays open: it ended.
    let closed = format!("open other\n{setup}{change}queue output\nqbuf 1\nclose\n");
    assert_eq!(scenario_rules(&closed), vec![]);
}

/// A preview (the first chunks of a binary trace) is not the trace's end: what is judged
/// at the end, R38 here, is not judged on it; the whole trace still gives it.
#[test]
fn a_preview_is_not_judged_as_an_end() {
    let text = "queue output\nreqbufs 2 mmap\nqueue capture\nreqbufs 2 mmap\n\
                queue output\nqbuf 0\nstreamon\nqueue capture\nqbuf 0\nqbuf 1\nstreamon\n\
                dqevent source_change\ndriver last 0\ndqbuf\nqueue output\nqbuf 1\n";
    let sc = vb2scope_core::scenario::parse("t.vb2s", text).expect("parses");
    let mut t = vb2scope_core::scenario::run(&sc, Policy::MODERN).expect("runs");
    let rules = |t: &vb2scope_core::trace::Trace| -> Vec<RuleId> {
        check_trace(t, Policy::MODERN)
            .findings
            .iter()
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(rules(&t), vec![RuleId::R38]);
    // The same trace written in chunks of 4 events, previewed by its first 8.
    let mut w = vb2scope_core::format::BinaryWriter::new(Vec::new(), &t.header).expect("header");
    let n = t.events.len();
    for start in (0..n).step_by(4) {
        w.chunk(&t, start..(start + 4).min(n)).expect("chunk");
    }
    let bytes = w.finish().expect("written");
    let part = vb2scope_core::format::binary::read_binary_prefix(&bytes, 8).expect("a preview");
    assert!(part.cut);
    assert_eq!(part.events.len(), 8);
    assert!(vb2scope_core::format::binary::read_binary_prefix(&bytes, n).is_none());
    // Cut after the change was fed: the end is not judged.
    let fed = n - 1;
    let part = vb2scope_core::format::binary::read_binary_prefix(&bytes, fed).expect("a preview");
    assert!(rules(&part).is_empty(), "{:?}", rules(&part));
    t.cut = true;
    assert!(rules(&t).is_empty());
}
