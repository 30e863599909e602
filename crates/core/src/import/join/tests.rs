use super::*;

const TY: BufType = BufType::VideoCapture;

fn buf(dq: bool, index: u32) -> Key {
    Key::Buf { dq, ty: TY, index }
}

fn u(key: Key, start: u64, end: Option<u64>) -> UserCall {
    UserCall {
        key,
        tid: 0,
        start,
        end,
        event: 0,
        timed: false,
        file: (0, 3),
    }
}

fn k(key: Key, t: u64) -> KernelCall {
    KernelCall {
        key,
        tid: 0,
        t,
        line: 0,
        q: None,
    }
}

#[test]
fn alignment_without_ends_takes_the_largest_lower_bound() {
    let pairs = [
        (u(buf(false, 0), 1_000_100, None), k(buf(false, 0), 110)),
        (u(buf(false, 1), 1_000_300, None), k(buf(false, 1), 290)),
        (u(buf(true, 0), 1_000_900, None), k(buf(true, 0), 920)),
    ];
    let (off, n, _) = align(&pairs).expect("aligned");
    assert_eq!(n, 3);
    assert_eq!(off, 1_000_010 - SLACK_NS as i64);
}

#[test]
fn alignment_takes_a_quarter_of_the_way_between_the_bounds() {
    // Lower bound 1_000_010 (the second call); upper bound 1_000_090: the first call's
    // tracepoint (110) before the thread's next call (1_000_200); each widened by the µs of
    // slack: a quarter of 80 + 2 µs from 1_000_009.
    let pairs = [
        (
            u(buf(false, 0), 1_000_100, Some(1_000_200)),
            k(buf(false, 0), 110),
        ),
        (
            u(buf(false, 1), 1_000_300, Some(1_000_500)),
            k(buf(false, 1), 290),
        ),
        (u(buf(true, 0), 1_000_900, None), k(buf(true, 0), 920)),
    ];
    let lo = 1_000_010 - 1_000;
    let hi = 1_000_090 + 1_000;
    assert_eq!(align(&pairs).map(|a| a.0), Some(lo + (hi - lo) / 4));
}

#[test]
fn a_mismatched_call_is_outvoted() {
    // Three calls agree on an offset near 1_000_000; a fourth, paired wrongly, does not.
    let pairs = [
        (
            u(buf(false, 0), 1_000_100, Some(1_000_150)),
            k(buf(false, 0), 120),
        ),
        (
            u(buf(false, 1), 1_000_300, Some(1_000_350)),
            k(buf(false, 1), 320),
        ),
        (
            u(buf(true, 0), 1_000_900, Some(1_000_950)),
            k(buf(true, 0), 920),
        ),
        (
            u(buf(true, 1), 5_000_000, Some(5_000_050)),
            k(buf(true, 1), 930),
        ),
    ];
    let (off, n, _) = align(&pairs).expect("aligned");
    assert_eq!(n, 3);
    assert!((999_000..=1_001_000).contains(&off), "{off}");
}

#[test]
fn reqbufs_and_streamon_kprobes_align_as_well_as_qbuf() {
    let reqbufs = Key::Alloc {
        create: false,
        memory: 1,
        count: 4,
    };
    let on = Key::Stream { on: true, ty: 1 };
    let user = [
        u(reqbufs, 2_000_000, Some(2_000_400)),
        u(on, 3_000_000, Some(3_000_100)),
    ];
    let kern = [k(reqbufs, 1_050), k(on, 1_001_020)];
    let pairs = pair(&user, &kern);
    assert_eq!(pairs.len(), 2);
    let (off, n, _) = align(&pairs).expect("aligned");
    assert_eq!(n, 2);
    // Both kernel events fall inside their calls.
    for (u, k) in &pairs {
        let t = k.t as i64 + off;
        assert!(t + SLACK_NS as i64 >= u.start as i64, "{t} {u:?}");
        assert!(
            u.end.is_some_and(|e| t <= e as i64 + SLACK_NS as i64),
            "{t} {u:?}"
        );
    }
}

#[test]
fn threads_pair_their_own_calls() {
    let on = Key::Stream { on: true, ty: 1 };
    let user = [
        UserCall {
            tid: 11,
            ..u(on, 100, None)
        },
        UserCall {
            tid: 10,
            ..u(on, 200, None)
        },
    ];
    let kern = [
        KernelCall {
            tid: 10,
            ..k(on, 5)
        },
        KernelCall {
            tid: 11,
            ..k(on, 6)
        },
    ];
    let pairs = pair(&user, &kern);
    assert!(pairs.iter().all(|(u, k)| u.tid == k.tid), "{pairs:?}");
}

#[test]
fn the_next_call_is_the_same_threads() {
    let strace = "\
10 1796408612.000000 openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3
10 1796408612.000100 ioctl(3, VIDIOC_QBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, index=0, memory=V4L2_MEMORY_MMAP, m.offset=0, length=4096, bytesused=0, flags=V4L2_BUF_FLAG_MAPPED|V4L2_BUF_FLAG_QUEUED, field=V4L2_FIELD_ANY, timestamp={tv_sec=0, tv_usec=0}, timecode={type=0, flags=0, frames=0, seconds=0, minutes=0, hours=0, userbits=\"\\0\\0\\0\\0\"}, sequence=0}) = 0
11 1796408612.000150 ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0
10 1796408612.000300 ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0
";
    let t = crate::import::strace::import_strace(strace).trace;
    let calls = user_calls(&t);
    let qbuf = calls.iter().find(|c| matches!(c.key, Key::Buf { .. }));
    assert_eq!(
        qbuf.and_then(|c| c.end),
        Some(1_796_408_612_000_300_000),
        "{calls:?}"
    );
}

#[test]
fn durations_bound_the_call() {
    let strace = "\
10 1796408612.000000 openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3 <0.000020>
10 1796408612.000100 ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE]) = 0 <0.000050>
10 1796408612.000300 close(3) = 0 <0.000010>
";
    let t = crate::import::strace::import_strace(strace).trace;
    let calls = user_calls(&t);
    // The STREAMON, and the close (which a `queue_release` may mark).
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].end, Some(1_796_408_612_000_150_000));
    assert_eq!(calls[1].key, Key::Close);
    assert_eq!(calls[1].end, Some(1_796_408_612_000_310_000));
}
