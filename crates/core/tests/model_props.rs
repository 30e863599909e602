//! Property tests: random operation sequences never panic the model and keep its invariants,
//! under every policy, predicted or forced to arbitrary kernel results.

use proptest::prelude::*;

use vb2scope_core::model::{BufTarget, Handle, Model, Op, PlaneArg, PlaneArgs};
use vb2scope_core::policy::Policy;
use vb2scope_core::v4l2::{BufType, DoneState, DriverCfg, Errno, Memory, Outcome};

fn ty() -> impl Strategy<Value = BufType> {
    prop_oneof![
        6 => Just(BufType::VideoCapture),
        1 => Just(BufType::VideoOutput),
        1 => Just(BufType::VideoCaptureMplane),
    ]
}

fn memory() -> impl Strategy<Value = Memory> {
    prop_oneof![4 => Just(Memory::Mmap), 1 => Just(Memory::Userptr), 1 => Just(Memory::Dmabuf)]
}

/// A plane's memory: mostly recorded; sometimes not (strace's DMABUF), with or without the
/// kernel's word on whether it changed.
fn handle() -> impl Strategy<Value = Handle> {
    prop_oneof![
        6 => (0u64..12).prop_map(|m| {
            // Small numbers act as fds; larger ones as user addresses.
            Handle::Known(if m > 8 { 0x7f00_0000_0000 + m * 0x10_0000 } else { m })
        }),
        1 => proptest::option::of(any::<bool>()).prop_map(|changed| Handle::Unknown { changed }),
    ]
}

fn planes() -> impl Strategy<Value = PlaneArgs> {
    prop::collection::vec(
        (handle(), proptest::option::weighted(0.9, 0u32..2_000_000)),
        0..4,
    )
    .prop_map(|v| {
        let mut a = PlaneArgs::default();
        for (m, length) in v {
            a.push(PlaneArg {
                m,
                length,
                bytesused: 0,
            });
        }
        a
    })
}

fn op() -> impl Strategy<Value = Op> {
    let fd = prop_oneof![4 => Just(3i32), 1 => 4i32..8];
    let idx = 0u32..6;
    prop_oneof![
        1 => (4i32..8, 0u16..2).prop_map(|(fd, dev)| Op::Open { fd, dev }),
        // Closing the main handle ends everything; keep it rare.
        1 => prop_oneof![1 => Just(3i32), 8 => 4i32..8].prop_map(|fd| Op::Close { fd }),
        1 => (fd.clone(), 4i32..8).prop_map(|(fd, new_fd)| Op::Dup { fd, new_fd }),
        2 => (4i32..8, 0u64..2_000_000, 0u64..3).prop_map(|(fd, size, ino)| Op::Dmabuf { fd, size, ino, name: None }),
        1 => (fd.clone(), 0u64..8, 0u64..4).prop_map(|(fd, o, a)| Op::Mmap { fd, offset: o << 12, len: 614_400, addr: 0x7f00_0000_0000 + a * 0x10_0000 }),
        1 => (0u64..4).prop_map(|a| Op::Munmap { addr: 0x7f00_0000_0000 + a * 0x10_0000, len: 4096 }),
        3 => (fd.clone(), ty(), memory(), 0u32..6).prop_map(|(fd, ty, memory, count)| Op::Reqbufs { fd, ty, memory, count }),
        1 => (fd.clone(), ty(), memory(), 0u32..4).prop_map(|(fd, ty, memory, count)| Op::CreateBufs { fd, ty, memory, count }),
        1 => (fd.clone(), ty(), idx.clone(), 0u32..4).prop_map(|(fd, ty, index, count)| Op::RemoveBufs { fd, ty, index, count }),
        1 => (fd.clone(), ty(), idx.clone()).prop_map(|(fd, ty, index)| Op::Querybuf(BufTarget { fd, ty, index, memory: None })),
        1 => (fd.clone(), ty(), idx.clone(), planes()).prop_map(|(fd, ty, index, p)| Op::PrepareBuf(BufTarget { fd, ty, index, memory: None }, p)),
        8 => (fd.clone(), ty(), idx.clone(), planes()).prop_map(|(fd, ty, index, p)| Op::Qbuf(BufTarget { fd, ty, index, memory: None }, p)),
        4 => (fd.clone(), ty(), any::<bool>()).prop_map(|(fd, ty, nonblock)| Op::Dqbuf { fd, ty, memory: None, nonblock }),
        3 => (fd.clone(), ty()).prop_map(|(fd, ty)| Op::Streamon { fd, ty }),
        2 => (fd.clone(), ty()).prop_map(|(fd, ty)| Op::Streamoff { fd, ty }),
        1 => (fd.clone(), ty(), idx.clone(), 0u8..3, 4i32..8).prop_map(|(fd, ty, index, plane, new_fd)| Op::Expbuf { fd, ty, index, plane, new_fd }),
        // Codec commands (a known START or STOP, or one a source did not decode), and media
        // requests: buffers into them, queued, re-initialised, closed (fds 8..10).
        1 => (fd.clone(), proptest::option::of(0u32..5), any::<bool>()).prop_map(|(fd, cmd, encoder)| Op::Command { fd, cmd, encoder }),
        1 => (fd.clone(), proptest::option::of(prop_oneof![Just(2u32), Just(5u32)])).prop_map(|(fd, ty)| Op::Dqevent { fd, ty }),
        1 => (fd.clone(), proptest::option::of(prop_oneof![Just(0x0420_8000u32), Just(0x0420_4000u32), Just(0x0420_0001u32)])).prop_map(|(fd, device_caps)| Op::Querycap { fd, device_caps }),
        1 => proptest::option::of(8i32..10).prop_map(|new_fd| Op::RequestAlloc { new_fd }),
        3 => (fd.clone(), ty(), idx.clone(), planes(), any::<bool>(), proptest::option::of(8i32..10))
            .prop_map(|(fd, ty, index, planes, prepare, request_fd)| Op::BufToRequest {
                t: BufTarget { fd, ty, index, memory: None },
                planes,
                prepare: prepare && index == 0,
                request_fd,
            }),
        2 => (8i32..10).prop_map(|fd| Op::RequestQueue { fd, near: None }),
        1 => (8i32..10).prop_map(|fd| Op::RequestReinit { fd, near: None }),
        1 => (8i32..10).prop_map(|fd| Op::Close { fd }),
        5 => (0u16..2, ty(), proptest::option::of(idx.clone()), prop_oneof![Just(DoneState::Done), Just(DoneState::Error), Just(DoneState::Queued), Just(DoneState::Last)])
            .prop_map(|(dev, ty, index, state)| Op::BufferDone { dev, ty, index, state }),
        1 => (0u16..2, ty(), prop_oneof![
            any::<bool>().prop_map(DriverCfg::KeepOnStop),
            any::<bool>().prop_map(|keep| DriverCfg::FailStart { keep }),
            (0u32..4).prop_map(DriverCfg::MinQueued),
            Just(DriverCfg::QueueError),
            (1u8..4, 1u32..1_000_000).prop_map(|(planes, size)| DriverCfg::Format { planes, size }),
        ])
            .prop_map(|(dev, ty, cfg)| Op::Driver { dev, ty, cfg }),
    ]
}

fn forced() -> impl Strategy<Value = Option<Outcome>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(Ok(()))),
        1 => Just(Some(Err(Errno::EINVAL))),
        1 => Just(Some(Err(Errno::EBUSY))),
        1 => Just(Some(Err(Errno::EPIPE))),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::Spec),
        Just(Policy::Vb2_2012),
        Just(Policy::Vb2_3_8),
        Just(Policy::MODERN)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_invariants(p in policy(), lenient in any::<bool>(), ops in prop::collection::vec((op(), forced()), 1..80)) {
        let mut m = Model::new(p);
        m.lenient = lenient;
        // A video handle to start from, so that most operations reach a queue.
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        for (i, (op, forced)) in ops.iter().enumerate() {
            let _ = m.step(op, i as u32 + 1, i as u64 * 1000, *forced);
            if let Err(e) = m.check_invariants() {
                panic!("after step {i} {op:?} (forced {forced:?}) under {p}: {e}");
            }
        }
    }

    #[test]
    fn predicted_steps_never_diverge(p in policy(), ops in prop::collection::vec(op(), 1..60)) {
        let mut m = Model::new(p);
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        for (i, op) in ops.iter().enumerate() {
            let _ = m.step(op, i as u32 + 1, 0, None);
        }
        prop_assert!(m.findings.iter().all(|f| f.rule != vb2scope_core::rules::RuleId::Diverge));
    }
}

#[test]
fn random_sequences_reach_streaming_states() {
    // Guards the generator: a useful share of runs must get buffers queued and streaming.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut ok, mut total, mut streamed) = (0, 0, 0);
    for _ in 0..200 {
        let ops = prop::collection::vec(op(), 40..80)
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        let mut m = Model::new(Policy::MODERN);
        let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
        let mut did_stream = false;
        for (i, op) in ops.iter().enumerate() {
            let (r, _) = m.step(op, i as u32, 0, None);
            total += 1;
            ok += usize::from(r.is_ok());
            did_stream |= m.queues.iter().any(|q| q.streaming && q.queued_count > 0);
        }
        streamed += usize::from(did_stream);
    }
    assert!(ok * 5 > total, "only {ok} of {total} steps succeeded");
    assert!(
        streamed > 20,
        "only {streamed} of 200 runs streamed with buffers queued"
    );
}
