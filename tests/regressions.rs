//! One test per fixed bug, named after what went wrong.

mod common;

use vb2scope::check::check_trace;
use vb2scope::model::{BufTarget, BufType, Errno, Memory, Model, Op, PlaneArgs, Policy};

fn model_with_queued_buffer(p: Policy) -> Model {
    let mut m = Model::new(p);
    let ty = BufType::VideoCapture;
    let _ = m.step(&Op::Open { fd: 3, dev: 0 }, 0, 0, None);
    let _ = m.step(&Op::Reqbufs { fd: 3, ty, memory: Memory::Mmap, count: 2 }, 1, 0, None);
    let t = BufTarget { fd: 3, ty, index: 0, memory: None };
    let _ = m.step(&Op::Qbuf(t, PlaneArgs::default()), 2, 0, None);
    m
}

/// A QBUF of a queued buffer that the kernel accepted counted the buffer twice.
#[test]
fn forced_qbuf_of_queued_buffer_does_not_count_it_twice() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let t = BufTarget { fd: 3, ty: BufType::VideoCapture, index: 0, memory: None };
        let _ = m.step(&Op::Qbuf(t, PlaneArgs::default()), 3, 0, Some(Ok(())));
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
        assert!(m.findings.iter().any(|f| f.rule == vb2scope::rules::RuleId::Diverge), "{p}");
    }
}

/// A PREPARE_BUF of a queued buffer that the kernel accepted turned it PREPARED (3.8).
#[test]
fn forced_prepare_of_queued_buffer_keeps_it_queued() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let t = BufTarget { fd: 3, ty: BufType::VideoCapture, index: 0, memory: None };
        let _ = m.step(&Op::PrepareBuf(t, PlaneArgs::default()), 3, 0, Some(Ok(())));
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
    }
}

/// A REMOVE_BUFS over a queued buffer that the kernel accepted left queued_count behind.
#[test]
fn forced_remove_bufs_over_queued_buffer_keeps_counters() {
    for p in Policy::ALL {
        let mut m = model_with_queued_buffer(p);
        let _ = m.step(&Op::RemoveBufs { fd: 3, ty: BufType::VideoCapture, index: 0, count: 2 }, 3, 0, Some(Ok(())));
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
        let _ = m.step(&Op::Reqbufs { fd: 3, ty, memory: Memory::Userptr, count: 1 }, 1, 0, None);
        let (r, _) = m.step(&Op::CreateBufs { fd: 3, ty, memory: Memory::Mmap, count: 1 }, 2, 0, None);
        assert_eq!(r, Err(Errno::EINVAL), "{p}: predicted");
        let _ = m.step(&Op::CreateBufs { fd: 3, ty, memory: Memory::Mmap, count: 1 }, 3, 0, Some(Ok(())));
        assert_eq!(m.check_invariants(), Ok(()), "{p}");
        assert_eq!(m.queues.first().and_then(|q| q.memory), Some(Memory::Userptr), "{p}");
    }
}

/// `driver done` without an index was recorded with the index the recording policy chose, so
/// the trace replayed differently from its scenario under another policy.
#[test]
fn driver_done_without_index_replays_like_its_scenario() {
    let s = "driver min-queued 2\nreqbufs 2 mmap\nqbuf 0\nstreamon\ndqbuf\nqbuf 1\ndriver done\ndqbuf\n";
    let recorded = common::run(s, Policy::Modern);
    for p in Policy::ALL {
        let direct = common::check(s, p);
        assert_eq!(common::render(&check_trace(&recorded, p)), common::render(&direct), "{p}");
    }
}

/// A failed start under 3.8 reported R08 (stop_streaming leaving buffers), though 3.8 never
/// calls stop_streaming for a queue that did not start.
#[test]
fn failed_start_under_3_8_is_not_a_stop_streaming_bug() {
    let s = "reqbufs 2 mmap\nqbuf 0\ndriver fail-start keep\nstreamon\n";
    assert!(common::rules(&common::check(s, Policy::Vb2_3_8)).is_empty());
    assert_eq!(common::rules(&common::check(s, Policy::Modern)), ["R09"]);
}
