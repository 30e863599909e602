//! Traces as a kernel shows them (every event observed): the rules that only observation can
//! break (R06, R07, R13, R14, DIVERGE, log-derived R08) and `--policy auto`.

mod common;

use std::path::Path;

use vb2scope_core::check::{check_trace, choose_policy};
use vb2scope_core::format::read_native_bytes;
use vb2scope_core::policy::Policy;

#[test]
fn findings_of_every_observed_fixture() {
    let dir =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures/observed");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5);
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let (trace, diags) =
            read_native_bytes(&std::fs::read(&path).expect("readable")).expect("loads");
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let mut out = String::new();
        for p in Policy::ALL {
            out.push_str(&format!("== {p}\n"));
            for l in common::render(&check_trace(&trace, p)) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        let auto = choose_policy(&trace);
        out.push_str(&format!("== auto: {}\n", auto.policy));
        insta::assert_snapshot!(name, out);
    }
}

#[test]
fn auto_tells_an_orphaning_kernel_from_an_old_one() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/observed/reqbufs0-while-mapped.jsonl");
    let (trace, _) = read_native_bytes(&std::fs::read(path).expect("readable")).expect("loads");
    let choice = choose_policy(&trace);
    assert_eq!(choice.policy, Policy::MODERN);
    assert!(
        choice
            .reason
            .contains("vb2-3.8, vb2-2012, spec: 1 of 3 observed results differ"),
        "{}",
        choice.reason
    );
}

/// A DMABUF QBUF whose fd the source did not record: the kernel's detach and attach inside
/// the second QBUF say the memory changed; the third QBUF, without them, kept it.
#[test]
fn unrecorded_dmabuf_fds_follow_the_kernels_attaches() {
    use vb2scope_core::timeline::Assoc;
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/observed/dmabuf-fd-unrecorded.jsonl");
    let (trace, _) = read_native_bytes(&std::fs::read(path).expect("readable")).expect("loads");
    let r = check_trace(&trace, Policy::MODERN);
    assert_eq!(r.stats.divergences, 0, "{:?}", r.stats);
    assert_eq!(r.stats.memops_unpredicted, 0, "{:?}", r.stats);
    assert_eq!(r.stats.memops_missing, 0, "{:?}", r.stats);
    let tl = vb2scope_core::timeline::build(&trace, Policy::MODERN);
    let ties: Vec<(u64, Assoc)> = tl.lanes[0].planes[0]
        .assoc
        .iter()
        .map(|s| (s.start_ns, s.value))
        .collect();
    let dmabuf = |id| Assoc::Dmabuf {
        id,
        fd: None,
        len: 614_400,
        inferred: true,
    };
    assert_eq!(ties, vec![(3000, dmabuf(0)), (6000, dmabuf(1))]);
}
