//! One test per row of the reference's policy matrix (vb2-semantics.md §3): what the spec,
//! vb2 of 2012, vb2 3.8 and modern vb2 do differently.

mod common;

use common::{check, flags_at, klogs_at, memops_at, result_at, rules, run};
use vb2scope_core::policy::Policy;
use vb2scope_core::v4l2::{Errno, flags};

const ALL: [Policy; 4] = Policy::ALL;
use Policy::{Spec, Vb2_3_8 as P38, Vb2_2012 as P2012};
const MODERN: Policy = Policy::MODERN;

fn has(v: &[String], s: &str) -> bool {
    v.iter().any(|x| x == s)
}

#[test]
fn userptr_pin_at_streamoff() {
    let s = "reqbufs 1 userptr\nuserptr a 614400\nqbuf 0 ptr=a\nstreamon\nstreamoff\n";
    for p in ALL {
        let t = run(s, p);
        assert_eq!(has(&memops_at(&t, 5), "put_userptr 0/0"), p == Spec, "{p}");
    }
}

#[test]
fn userptr_pin_after_dqbuf() {
    let s = "reqbufs 1 userptr\nuserptr a 614400\nqbuf 0 ptr=a\nstreamon\ndriver done\ndqbuf\n";
    for p in ALL {
        let t = run(s, p);
        assert_eq!(has(&memops_at(&t, 6), "put_userptr 0/0"), p == Spec, "{p}");
    }
}

#[test]
fn userptr_pin_released_by_reassociation_reqbufs_remove_and_close() {
    let s = "reqbufs 2 userptr\nuserptr a 614400\nuserptr b 614400\nqbuf 0 ptr=a\nstreamon\ndriver done\ndqbuf\nqbuf 0 ptr=b\nqbuf 1 ptr=a\nstreamoff\nremove_bufs 1 1\nreqbufs 0 userptr\n";
    for p in ALL {
        let t = run(s, p);
        let requeue = memops_at(&t, 8);
        assert!(has(&requeue, "get_userptr 0/0"), "{p}: {requeue:?}");
        // The spec already unlocked at DQBUF; vb2 swaps the old pin for the new one here.
        assert_eq!(
            has(&requeue, "put_userptr 0/0"),
            p != Spec,
            "{p}: {requeue:?}"
        );
        if matches!(p, MODERN | Spec) {
            assert_eq!(result_at(&t, 11), Ok(()), "{p}");
            assert_eq!(
                has(&memops_at(&t, 11), "put_userptr 1/0"),
                p == MODERN,
                "{p}"
            );
            assert_eq!(
                has(&memops_at(&t, 12), "put_userptr 0/0"),
                p == MODERN,
                "{p}"
            );
        } else {
            assert_eq!(result_at(&t, 11), Err(Errno::ENOTTY), "{p}");
            let free = memops_at(&t, 12);
            assert!(
                has(&free, "put_userptr 0/0") && has(&free, "put_userptr 1/0"),
                "{p}: {free:?}"
            );
        }
    }
    let close = "reqbufs 1 userptr\nuserptr a 614400\nqbuf 0 ptr=a\nclose\n";
    for p in [P2012, P38, MODERN] {
        assert!(has(&memops_at(&run(close, p), 4), "put_userptr 0/0"), "{p}");
    }
}

const DMABUF_STREAM: &str = "reqbufs 1 dmabuf\ndmabuf a 614400\nqbuf 0 fd=a\nstreamon\ndriver done\ndqbuf\nqbuf 0 fd=a\nstreamoff\n";

#[test]
fn dmabuf_map_at_streamoff() {
    for p in ALL {
        let t = run(DMABUF_STREAM, p);
        let off = memops_at(&t, 8);
        assert_eq!(
            has(&off, "unmap_dmabuf 0/0"),
            matches!(p, Spec | P38),
            "{p}: {off:?}"
        );
        assert!(
            !has(&off, "detach_dmabuf 0/0"),
            "{p}: nothing detaches at STREAMOFF"
        );
    }
    // R03 reports the lingering map: an error under 2012, info under modern, absent otherwise.
    assert_eq!(rules(&check(DMABUF_STREAM, P2012)), ["R03"]);
    assert_eq!(rules(&check(DMABUF_STREAM, MODERN)), ["R03"]);
    assert!(rules(&check(DMABUF_STREAM, P38)).is_empty());
}

#[test]
fn dmabuf_map_at_dqbuf() {
    for p in ALL {
        let t = run(DMABUF_STREAM, p);
        assert_eq!(
            has(&memops_at(&t, 6), "unmap_dmabuf 0/0"),
            p != MODERN,
            "{p}"
        );
    }
}

#[test]
fn dmabuf_attachment_kept_until_free() {
    let s = format!("{DMABUF_STREAM}reqbufs 0 dmabuf\n");
    for p in ALL {
        let t = run(&s, p);
        for line in 1..=8 {
            assert!(
                !has(&memops_at(&t, line), "detach_dmabuf 0/0"),
                "{p} line {line}"
            );
        }
        let free = memops_at(&t, 9);
        assert!(
            has(&free, "detach_dmabuf 0/0") && has(&free, "dma_buf_put 0/0"),
            "{p}: {free:?}"
        );
    }
    let remove =
        "reqbufs 1 dmabuf\ndmabuf a 614400\nqbuf 0 fd=a\nstreamon\nstreamoff\nremove_bufs 0 1\n";
    assert!(has(
        &memops_at(&run(remove, MODERN), 6),
        "detach_dmabuf 0/0"
    ));
}

#[test]
fn requeue_same_dmabuf_after_streamoff() {
    let s = "reqbufs 1 dmabuf\ndmabuf a 614400\nqbuf 0 fd=a\nstreamon\nstreamoff\nqbuf 0 fd=a\n";
    for p in ALL {
        let t = run(s, p);
        let q = memops_at(&t, 6);
        assert!(
            !has(&q, "attach_dmabuf 0/0"),
            "{p}: the attachment is reused"
        );
        assert_eq!(has(&q, "map_dmabuf 0/0"), p != MODERN, "{p}: {q:?}");
        let pinned = klogs_at(&t, 6)
            .iter()
            .any(|l| l == "dmabuf buffer is already pinned");
        assert_eq!(pinned, p == P2012, "{p}");
        assert_eq!(
            rules(&check(s, p)).contains(&"R05".to_string()),
            p == P2012,
            "{p}"
        );
    }
}

#[test]
fn new_dmabuf_on_existing_index_replaces_one_plane_or_all() {
    let s = "queue capture mplane planes=2 size=4096\nreqbufs 1 dmabuf\ndmabuf y 4096\ndmabuf u 4096\ndmabuf v 4096\nqbuf 0 fd=y,u\nstreamon\ndriver done\ndqbuf\nqbuf 0 fd=y,v\n";
    for p in ALL {
        let t = run(s, p);
        let q = memops_at(&t, 10);
        assert!(
            has(&q, "detach_dmabuf 0/1") && has(&q, "attach_dmabuf 0/1"),
            "{p}: {q:?}"
        );
        assert_eq!(has(&q, "detach_dmabuf 0/0"), p == MODERN, "{p}: {q:?}");
        assert_eq!(has(&q, "attach_dmabuf 0/0"), p == MODERN, "{p}: {q:?}");
        assert_eq!(
            rules(&check(s, p)).first().map(String::as_str),
            Some("R16"),
            "{p}"
        );
    }
}

#[test]
fn association_key_is_identity_and_length_not_fd_number() {
    let s = "reqbufs 1 dmabuf\ndmabuf a 614400\nqbuf 0 fd=a\nstreamon\ndriver done\ndqbuf\ndup a as a2\nclose a\nqbuf 0 fd=a2\n";
    for p in ALL {
        let t = run(s, p);
        assert!(!has(&memops_at(&t, 9), "attach_dmabuf 0/0"), "{p}");
        assert!(rules(&check(s, p)).contains(&"R17".to_string()), "{p}");
    }
    let u = "reqbufs 1 userptr\nuserptr a 700000\nqbuf 0 ptr=a\nstreamon\ndriver done\ndqbuf\nqbuf 0 ptr=a\n";
    for p in [P2012, P38, MODERN] {
        assert!(
            !has(&memops_at(&run(u, p), 7), "get_userptr 0/0"),
            "{p}: same address and length keep the pin"
        );
    }
}

#[test]
fn streamon_while_streaming() {
    let s = "reqbufs 1 mmap\nqbuf 0\nstreamon\nstreamon\n";
    for p in ALL {
        let want = if matches!(p, P2012 | P38) {
            Err(Errno::EBUSY)
        } else {
            Ok(())
        };
        assert_eq!(result_at(&run(s, p), 4), want, "{p}");
    }
}

#[test]
fn streamoff_while_not_streaming() {
    let s = "reqbufs 1 mmap\nqbuf 0\nstreamoff\nquerybuf 0\n";
    for p in ALL {
        let t = run(s, p);
        let old = matches!(p, P2012 | P38);
        assert_eq!(
            result_at(&t, 3),
            if old { Err(Errno::EINVAL) } else { Ok(()) },
            "{p}"
        );
        assert_eq!(
            flags_at(&t, 4) & flags::QUEUED != 0,
            old,
            "{p}: buffer still queued"
        );
    }
}

#[test]
fn streamon_failure_leaves_buffers_queued_or_dequeued() {
    let s = "reqbufs 2 mmap\nqbuf 0\nqbuf 1\ndriver fail-start\nstreamon\nquerybuf 0\n";
    for p in ALL {
        let t = run(s, p);
        assert_eq!(result_at(&t, 5), Err(Errno::EIO), "{p}");
        let queued = flags_at(&t, 6) & flags::QUEUED != 0;
        assert_eq!(queued, matches!(p, Spec | MODERN), "{p}");
    }
}

#[test]
fn reqbufs_while_streaming() {
    let s = "reqbufs 1 mmap\nqbuf 0\nstreamon\nreqbufs 2 mmap\nreqbufs 0 mmap\n";
    for p in ALL {
        let t = run(s, p);
        assert_eq!(result_at(&t, 4), Err(Errno::EBUSY), "{p}");
        // The spec's REQBUFS(0) is an implicit STREAMOFF; vb2 refuses while streaming.
        assert_eq!(
            result_at(&t, 5),
            if p == Spec { Ok(()) } else { Err(Errno::EBUSY) },
            "{p}"
        );
        assert!(rules(&check(s, p)).contains(&"R15".to_string()), "{p}");
    }
}

#[test]
fn reqbufs_with_mmapped_buffers() {
    let s = "reqbufs 1 mmap\nmmap 0\nreqbufs 0 mmap\nmunmap 0\n";
    for p in ALL {
        let t = run(s, p);
        if p == MODERN {
            assert_eq!(result_at(&t, 3), Ok(()));
            assert!(
                klogs_at(&t, 3)
                    .iter()
                    .any(|l| l.ends_with("memory in use, orphaning buffers"))
            );
            assert!(
                has(&memops_at(&t, 4), "put 0/0"),
                "the orphan is freed at the last munmap"
            );
        } else {
            assert_eq!(result_at(&t, 3), Err(Errno::EBUSY), "{p}");
        }
        assert!(
            rules(&check(s, p)).is_empty(),
            "{p}: each policy is consistent with itself"
        );
    }
}

#[test]
fn close_by_owner_frees_and_by_other_handle_does_nothing() {
    let s = "reqbufs 1 mmap\nqbuf 0\nstreamon\nopen other\nuse other\nclose\nuse main\nquerybuf 0\nclose\n";
    for p in ALL {
        let t = run(s, p);
        assert!(memops_at(&t, 6).is_empty(), "{p}: non-owner close");
        assert_ne!(flags_at(&t, 8) & flags::QUEUED, 0, "{p}: still queued");
        assert!(has(&memops_at(&t, 9), "put 0/0"), "{p}: owner close frees");
    }
}

#[test]
fn selective_destroy_with_remove_bufs() {
    let s = "reqbufs 2 mmap\nremove_bufs 1 1\ncreate_bufs 1\n";
    for p in ALL {
        let t = run(s, p);
        let has_it = matches!(p, Spec | MODERN);
        assert_eq!(
            result_at(&t, 2),
            if has_it { Ok(()) } else { Err(Errno::ENOTTY) },
            "{p}"
        );
        if has_it {
            assert!(has(&memops_at(&t, 2), "put 1/0"), "{p}");
            assert!(
                has(&memops_at(&t, 3), "alloc 1/0"),
                "{p}: the hole is reused"
            );
        }
    }
}

#[test]
fn minimum_queued_before_start() {
    let s = "driver min-queued 2\nreqbufs 1 mmap\nqbuf 0\nstreamon\nqbuf 1\n";
    for p in ALL {
        let t = run(s, p);
        let starts_at_streamon = t.events.iter().any(|e| {
            e.line() == 4 && matches!(e.body, vb2scope_core::trace::Body::Tracepoint { .. })
        });
        let defers = matches!(p, Spec | MODERN);
        assert_eq!(starts_at_streamon, !defers, "{p}");
        assert_eq!(result_at(&t, 2), Ok(()));
        if defers {
            assert!(rules(&check(s, p)).contains(&"R22".to_string()), "{p}");
        }
    }
    // REQBUFS allocates at least min_queued_buffers + 1 where the minimum exists.
    let t = run("driver min-queued 2\nreqbufs 1 mmap\n", MODERN);
    assert_eq!(memops_at(&t, 2).len(), 3);
    let t = run("driver min-queued 2\nreqbufs 1 mmap\n", P38);
    assert_eq!(memops_at(&t, 2).len(), 1);
}

#[test]
fn driver_leaving_buffers_active_after_stop_streaming() {
    let s = "reqbufs 1 mmap\nqbuf 0\nstreamon\ndriver keep-on-stop\nstreamoff\n";
    for p in ALL {
        let t = run(s, p);
        let warned = klogs_at(&t, 5).iter().any(|l| {
            l.contains("driver bug: stop_streaming operation is leaving buffer 0 in active state")
        });
        assert_eq!(warned, p == MODERN, "{p}");
        assert_eq!(rules(&check(s, p)), ["R08"], "{p}");
    }
}
