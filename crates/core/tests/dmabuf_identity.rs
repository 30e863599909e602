//! dma-buf identity: a recorder gives each dma-buf fd its inode, so one dma-buf is followed
//! across fds and processes, and an exporter's EXPBUF is tied to the importer's QBUF.

use vb2scope_core::check::check_trace;
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, Severity};
use vb2scope_core::trace::Trace;

fn fixture(name: &str) -> Trace {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/identity")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (t, diags) = vb2scope_core::format::read_native_bytes(&bytes).expect("a trace");
    assert!(diags.is_empty(), "{diags:?}");
    t
}

fn rules(t: &Trace, p: Policy) -> Vec<(RuleId, Severity)> {
    let r = check_trace(t, p);
    r.findings.iter().map(|f| (f.rule, r.severity(f))).collect()
}

/// The same dma-buf received twice over a socket, under two fd numbers in a process that did
/// not export it: vb2 sees one dma-buf (no re-attach) under every policy, and today's vb2
/// reports nothing worse than notes.
#[test]
fn one_inode_is_one_dmabuf_across_fds_and_processes() {
    let t = fixture("broker.jsonl");
    for p in Policy::ALL {
        let found = rules(&t, p);
        assert!(
            !found.iter().any(|&(r, _)| r == RuleId::R16),
            "{p}: {found:?}"
        );
        assert!(
            found.contains(&(RuleId::R17, Severity::Info)),
            "{p}: {found:?}"
        );
    }
    let found = rules(&t, Policy::MODERN);
    assert!(found.iter().all(|&(_, s)| s <= Severity::Info), "{found:?}");
    let tl = vb2scope_core::timeline::build(&t, Policy::MODERN);
    insta::assert_snapshot!("broker", tl.dump());
    // The exporter's buffer 0 and the importer's buffer 0 hold the same dma-buf.
    let d = tl
        .dmabufs
        .iter()
        .find(|d| d.ino == Some(25))
        .expect("ino 25");
    assert!(d.exported_from.is_some_and(|(_, i, p)| i == 0 && p == 0));
    assert_eq!(tl.importers(d.id).len(), 1);
}

/// Without inodes the second fd looks like another dma-buf: the model then predicts a
/// re-attach (R16). The inode is what tells them apart.
#[test]
fn without_inodes_another_fd_is_another_dmabuf() {
    let t = fixture("broker-no-ino.jsonl");
    let found = rules(&t, Policy::MODERN);
    assert!(found.iter().any(|&(r, _)| r == RuleId::R16), "{found:?}");
    let tl = vb2scope_core::timeline::build(&t, Policy::MODERN);
    assert!(tl.dmabufs.iter().all(|d| d.ino.is_none()));
}

/// A `dmabuf` line for an inode the model already let die (the exporter closed its fd while
/// the dma-buf sat in a socket) shows it alive: it is that dma-buf again, still tied to the
/// plane that exported it.
#[test]
fn a_dmabuf_shown_alive_again_keeps_its_exporter() {
    let t = fixture("broker.jsonl");
    let tl = vb2scope_core::timeline::build(&t, Policy::MODERN);
    let d = tl
        .dmabufs
        .iter()
        .find(|d| d.ino == Some(25))
        .expect("ino 25");
    assert_eq!(
        d.size,
        Some(618_496),
        "the recorded size wins over PAGE_ALIGN(length)"
    );
    assert_eq!(tl.dmabufs.len(), 2, "{:?}", tl.dmabufs);
}
