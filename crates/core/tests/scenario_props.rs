//! The scenario parser and runner on arbitrary text: an error or a trace, never a panic.

use proptest::prelude::*;

use vb2scope_core::check::check_trace;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run};

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "queue",
            "capture",
            "output",
            "mplane",
            "planes=2",
            "size=4k",
            "reqbufs",
            "create_bufs",
            "remove_bufs",
            "querybuf",
            "prepare_buf",
            "qbuf",
            "dqbuf",
            "nonblock",
            "streamon",
            "streamoff",
            "expbuf",
            "as",
            "mmap",
            "munmap",
            "plane=1",
            "dmabuf",
            "userptr",
            "dup",
            "close",
            "open",
            "use",
            "free",
            "driver",
            "done",
            "error",
            "queued",
            "keep-on-stop",
            "fail-start",
            "keep",
            "min-queued",
            "expect",
            "ok",
            "EINVAL",
            "EBUSY",
            "marker",
            "0",
            "1",
            "2",
            "3",
            "31",
            "32",
            "a",
            "b",
            "main",
            "fd=a",
            "ptr=b",
            "fd=a,b",
            "mmap",
            "dmabuf",
            "userptr",
            "614400",
            "0x10",
            "#",
            "fd=",
            "=",
            ",",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(word(), 0..6).prop_map(|w| w.join(" ")),
        0..40,
    )
    .prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_fails_cleanly(t in text()) {
        if let Ok(sc) = parse("fuzz.vb2s", &t) {
            for p in Policy::ALL {
                if let Ok(trace) = run(&sc, p) {
                    let _ = check_trace(&trace, p);
                }
            }
        }
    }
}
