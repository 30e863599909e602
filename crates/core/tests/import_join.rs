//! A userspace log and an ftrace capture of the same real run (Linux 6.12, vivid), joined:
//! the kernel's memops must land on the buffers the userspace calls name.

mod common;

use common::memops_per_buffer;
use vb2scope_core::check::check_trace;
use vb2scope_core::import::{Format, detect, import_bytes, join};
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::RuleId;
use vb2scope_core::timeline::Assoc;
use vb2scope_core::trace::{Body, Trace};
use vb2scope_core::v4l2::{BufType, MemopKind};

const DIR: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/fixtures/import/joined/"
);

fn joined(name: &str) -> (Trace, vb2scope_core::import::Alignment) {
    let strace = std::fs::read(format!("{DIR}{name}.strace.txt")).expect("fixture");
    let ftrace = std::fs::read_to_string(format!("{DIR}{name}.ftrace.txt")).expect("fixture");
    assert_eq!(detect(&strace, name), Some(Format::Strace));
    assert_eq!(detect(ftrace.as_bytes(), name), Some(Format::Ftrace));
    let (user, _) = import_bytes(&strace, name, None, None).expect("strace imports");
    let (j, a) = join(user, &ftrace);
    (j.trace, a)
}

#[test]
fn dmabuf_attach_and_map_land_on_the_capture_buffers() {
    let (t, a) = joined("03-vmalloc-dmabuf-import-from-out");
    // The capture queue imports 4 dma-bufs exported from the output queue: the ftrace has 4
    // vmalloc_attach_dmabuf and 4 vmalloc_map_dmabuf calls, one per capture buffer.
    let cap = |i| (BufType::VideoCapture, i);
    assert_eq!(
        memops_per_buffer(&t, MemopKind::AttachDmabuf),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    assert_eq!(
        memops_per_buffer(&t, MemopKind::MapDmabuf),
        vec![cap(0), cap(1), cap(2), cap(3)]
    );
    // The exporter's allocations are the output queue's.
    let allocs = memops_per_buffer(&t, MemopKind::Alloc);
    assert_eq!(allocs.len(), 4, "{allocs:?}");
    assert!(
        allocs.iter().all(|(ty, _)| *ty == BufType::VideoOutput),
        "{allocs:?}"
    );
    assert!(a.matched >= 10, "{a}");
    assert!(
        t.header.source.contains("kernel clock moved"),
        "{}",
        t.header.source
    );
    // Under modern the kernel and the model agree on every result and memop.
    let r = check_trace(&t, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.stats);
    assert_eq!(r.stats.memops_unpredicted, 0, "{:?}", r.stats);
    assert!(r.findings.iter().all(|f| f.rule != RuleId::Diverge));
    // Modern vb2 keeps imported dma-bufs mapped after STREAMOFF: R03, as information.
    assert!(r.findings.iter().any(|f| f.rule == RuleId::R03));
    let auto = vb2scope_core::check::choose_policy(&t);
    assert_eq!(auto.policy, Policy::MODERN, "{}", auto.reason);
}

#[test]
fn mmap_session_allocations_are_observed_per_buffer() {
    let (t, _) = joined("01-vmalloc-mmap");
    let allocs = memops_per_buffer(&t, MemopKind::Alloc);
    let cap: Vec<_> = (0..4).map(|i| (BufType::VideoCapture, i)).collect();
    assert_eq!(allocs, cap);
    let r = check_trace(&t, Policy::MODERN);
    assert_eq!(
        (r.stats.divergences, r.stats.memops_unpredicted),
        (0, 0),
        "{:?}",
        r.stats
    );
}

#[test]
fn a_userspace_log_alone_still_imports() {
    let strace = std::fs::read(format!("{DIR}12-dmacontig-userptr.strace.txt")).expect("fixture");
    let (imp, f) = import_bytes(&strace, "x", None, None).expect("imports");
    assert_eq!(f, Format::Strace);
    assert!(
        imp.trace
            .events
            .iter()
            .any(|e| matches!(e.body, Body::Ioctl { .. }))
    );
}

/// The DMABUF association of each capture buffer's plane over the whole run.
fn capture_assoc(t: &Trace) -> Vec<Vec<Assoc>> {
    let tl = vb2scope_core::timeline::build(t, Policy::MODERN);
    tl.lanes
        .iter()
        .filter(|l| l.queue.ty == BufType::VideoCapture)
        .map(|l| l.planes[0].assoc.iter().map(|s| s.value).collect())
        .collect()
}

/// strace never prints a DMABUF `m.fd`. Alone, the fd stays unknown, and the model infers one
/// dma-buf per capture buffer, kept across re-queues, and marks it inferred (regression: all
/// four buffers showed "dma-buf #0 (fd 0)"). Joined, the `dma_buf_get(fd)` vb2 makes inside
/// each QBUF fills the fd in: observed, not inferred.
#[test]
fn unrecorded_dmabuf_fds_are_inferred_one_dmabuf_per_buffer() {
    let (joined, _) = joined("03-vmalloc-dmabuf-import-from-out");
    let strace = std::fs::read(format!("{DIR}03-vmalloc-dmabuf-import-from-out.strace.txt"))
        .expect("fixture");
    let (alone, _) = import_bytes(&strace, "03", None, None).expect("strace imports");
    for (t, kernel_seen) in [(&joined, true), (&alone.trace, false)] {
        let lanes = capture_assoc(t);
        assert_eq!(lanes.len(), 4);
        let mut ids = Vec::new();
        let mut fds = Vec::new();
        for spans in &lanes {
            // One association per buffer, from its first QBUF to REQBUFS(0).
            let [
                Assoc::Dmabuf {
                    id,
                    fd,
                    len: 831_488,
                    inferred,
                },
            ] = spans[..]
            else {
                panic!("{spans:?}");
            };
            assert_eq!((fd.is_some(), inferred), (kernel_seen, !kernel_seen));
            ids.push(id);
            fds.push(fd);
        }
        ids.dedup();
        assert_eq!(ids.len(), 4, "{ids:?}");
        if kernel_seen {
            // `grep -o 'get: (dma_buf_get+0x4/0x50) fd=[0-9]*' | sort -u`: 6, 9, 10, 11.
            fds.sort();
            assert_eq!(fds, vec![Some(6), Some(9), Some(10), Some(11)]);
        }
        let r = check_trace(t, Policy::MODERN);
        // Nothing said about fds no source recorded.
        assert!(
            r.findings
                .iter()
                .all(|f| f.rule != RuleId::R16 && f.rule != RuleId::R17),
            "{:?}",
            r.findings
        );
    }
}

/// The flags a recording kept of a QBUF (`flags_in`) stay with that QBUF when the kernel's
/// events are merged in between (they used to stay at their old event numbers, on other
/// events): the real probe of HOLD_CAPTURE_BUF on vim2m (6.12), recorded and joined with its
/// ftrace capture, gives R42 on OUTPUT buffer 0's QBUF and nowhere else.
#[test]
fn flags_passed_stay_with_their_call_through_a_join() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/corpus/linux-6.12.118+deb12-amd64/probe-m2m-hold-unsupported"
    );
    let unzip = |ext: &str| {
        let bytes = std::fs::read(format!("{dir}.{ext}.zst")).expect("corpus capture");
        zstd::decode_all(&bytes[..]).expect("zstd")
    };
    let (rec, _) = import_bytes(&unzip("record.jsonl"), "rec", None, None).expect("imports");
    let ftrace = String::from_utf8(unzip("ftrace.txt")).expect("utf-8");
    let before: Vec<u32> = (0..rec.trace.events.len() as u32)
        .filter(|&i| rec.trace.flags_in(i).is_some())
        .collect();
    assert_eq!(before.len(), 1, "one QBUF kept what it was passed");
    let (j, _) = join(rec, &ftrace);
    let t = &j.trace;
    let at: Vec<u32> = (0..t.events.len() as u32)
        .filter(|&i| t.flags_in(i).is_some())
        .collect();
    assert_eq!(at.len(), 1);
    assert!(matches!(
        t.events[at[0] as usize].body,
        Body::Ioctl {
            cmd: vb2scope_core::trace::IoctlCmd::Qbuf,
            ..
        }
    ));
    let r = check_trace(t, Policy::MODERN);
    let r42: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::R42)
        .collect();
    assert_eq!(r42.len(), 1, "{:?}", r.findings);
    assert_eq!(r42[0].event, at[0]);
    assert_eq!(r42[0].index, Some(0));
}
