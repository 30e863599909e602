//! `diff`: a trace compared with itself is the same lifecycle; one trace under two policies,
//! and the same program on two kernels, differ where vb2 or the program changed.

use std::path::{Path, PathBuf};

use vb2scope_core::analysis::{Depth, PolicyChoice, analyze};
use vb2scope_core::diff::{Aspect, Digest, Report, Side, compare, digest, text};
use vb2scope_core::policy::Policy;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn side(path: &Path, choice: PolicyChoice) -> (Side, Digest) {
    let bytes = std::fs::read(path).expect("input");
    let name = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string();
    let a = analyze(&name, &bytes, None, choice, Depth::Findings, None).expect("analysis");
    let d = digest(&a.trace, a.policy, a.report());
    let side = Side {
        name,
        policy: a.policy.name().into_owned(),
        reason: None,
    };
    (side, d)
}

fn diff(a: &Path, ca: PolicyChoice, b: &Path, cb: PolicyChoice) -> Report {
    let (sa, da) = side(a, ca);
    let (sb, db) = side(b, cb);
    Report::new(sa, sb, compare(&da, &db))
}

fn fixed(name: &str) -> PolicyChoice {
    PolicyChoice::Fixed(Policy::parse(name).expect("policy"))
}

/// Every bundled trace and scenario, and every strace capture of one kernel's corpus,
/// compared with itself: nothing differs.
#[test]
fn a_trace_against_itself_is_the_same() {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in ["traces", "tests/fixtures/corpus/linux-6.12.118+deb12-amd64"] {
        for e in std::fs::read_dir(repo().join(dir)).expect("dir").flatten() {
            let p = e.path();
            let n = p.display().to_string();
            if n.ends_with(".jsonl") || n.ends_with(".vb2s") || n.ends_with(".strace.txt.zst") {
                inputs.push(p);
            }
        }
    }
    inputs.sort();
    assert!(inputs.len() > 60, "{} inputs", inputs.len());
    for p in &inputs {
        let r = diff(p, PolicyChoice::Auto, p, PolicyChoice::Auto);
        assert!(r.same, "{}:\n{}", p.display(), text(&r, 5));
        assert!(r.comparison.calls_compared > 0 || p.display().to_string().contains("dc-userptr"));
    }
}

/// The 2012 report under the vb2 it was written against and under today's: vb2 of 2012
/// unmapped a DMABUF plane at every DQBUF and mapped it again at QBUF (the double map of
/// the report); today's keeps it mapped until the buffer is freed or given another dma-buf.
#[test]
fn one_trace_under_two_policies() {
    let p = repo().join("traces/2012-report.jsonl");
    let r = diff(&p, fixed("vb2-2012"), &p, fixed("modern"));
    assert!(!r.same);
    let first = r.comparison.differences.first().expect("a difference");
    assert_eq!(first.aspects, [Aspect::Memops]);
    let a = first.a.as_ref().expect("A");
    assert!(a.op.contains("DQBUF"), "{}", a.op);
    assert_eq!(a.memops, ["unmap_dmabuf 0.0"]);
    assert!(first.b.as_ref().is_some_and(|b| b.memops.is_empty()));
    insta::assert_snapshot!(text(&r, usize::MAX));
}

/// The same v4l2-ctl decode on vicodec under Debian's 6.1 and 6.12 (the corpus): 6.12's
/// drain ends with a buffer flagged LAST, and its v4l2-ctl then stops both queues and frees
/// their buffers (the fidelity table's 62 and 67 results); the rest is the same.
#[test]
fn one_program_on_two_kernels() {
    let dir = repo().join("tests/fixtures/corpus");
    let a = dir.join("linux-6.1.0-57-amd64/vicodec-dec.strace.txt.zst");
    let b = dir.join("linux-6.12.118+deb12-amd64/vicodec-dec.strace.txt.zst");
    let r = diff(&a, fixed("linux-6.1"), &b, fixed("linux-6.12"));
    insta::assert_snapshot!(text(&r, usize::MAX));
    // The same program, a capture that differs by nothing but fds, addresses and times.
    let a = dir.join("linux-5.10.0-46-amd64/v4l2ctl-mmap.strace.txt.zst");
    let b = dir.join("linux-7.2.13+deb14-amd64/v4l2ctl-mmap.strace.txt.zst");
    let r = diff(&a, PolicyChoice::Auto, &b, PolicyChoice::Auto);
    assert!(r.same, "{}", text(&r, 5));
}

/// Every program of the corpus on each pair of kernels next to each other (5.10 → 6.1 →
/// 6.12 → 7.2), from its strace log under `auto`: how many calls differ, by what. A golden
/// table, so that a change to the model, the importers or the alignment that moves any of
/// these real differences shows up in review.
#[test]
fn the_corpus_across_kernels() {
    let dir = repo().join("tests/fixtures/corpus");
    let kernels = [
        "linux-5.10.0-46-amd64",
        "linux-6.1.0-57-amd64",
        "linux-6.12.118+deb12-amd64",
        "linux-7.2.13+deb14-amd64",
    ];
    let mut table = String::from("program | kernels | calls | differences (by aspect)\n");
    for pair in kernels.windows(2) {
        let [ka, kb] = pair else { continue };
        let mut names: Vec<String> = std::fs::read_dir(dir.join(ka))
            .expect("corpus")
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".strace.txt.zst"))
            .filter(|n| dir.join(kb).join(n).exists())
            .collect();
        names.sort();
        for n in names {
            let r = diff(
                &dir.join(ka).join(&n),
                PolicyChoice::Auto,
                &dir.join(kb).join(&n),
                PolicyChoice::Auto,
            );
            let c = &r.comparison;
            let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
            for d in &c.differences {
                for a in &d.aspects {
                    *by.entry(a.as_str()).or_default() += 1;
                }
            }
            let what = if c.same() {
                "same lifecycle".to_owned()
            } else {
                let parts: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
                format!("{} ({})", c.differences.len(), parts.join(", "))
            };
            let short = |k: &str| {
                k.trim_start_matches("linux-")
                    .split('-')
                    .next()
                    .unwrap_or(k)
                    .to_owned()
            };
            table.push_str(&format!(
                "{} | {} → {} | {} | {what}\n",
                n.trim_end_matches(".strace.txt.zst"),
                short(ka),
                short(kb),
                c.calls_compared
            ));
        }
    }
    insta::assert_snapshot!(table);
}

/// Regression: a failed DQBUF recorded without its memory type (vivid's answer to a DQBUF
/// after STREAMOFF, as a device run records it) made the call differ from the model's same
/// call. What DQBUF returns is the kernel's; the call is the call alone.
#[test]
fn a_dqbuf_without_its_memory_type_is_the_same_call() {
    use vb2scope_core::trace::{Body, IoctlArg, IoctlCmd};
    let text = std::fs::read_to_string(repo().join("traces/lessons/05-streamoff-returns.vb2s"))
        .expect("lesson");
    let sc = vb2scope_core::scenario::parse("05.vb2s", &text).expect("parses");
    let model = vb2scope_core::scenario::run(&sc, Policy::MODERN).expect("runs");
    let mut device = model.clone();
    let mut stripped = 0;
    for e in &model.events {
        if let Body::Ioctl {
            cmd: IoctlCmd::Dqbuf,
            result: Err(_),
            arg,
            ..
        } = e.body
            && let Some(IoctlArg::Buffer(mut b)) = model.arg(arg).cloned()
        {
            b.memory = None;
            device.set_arg(arg, IoctlArg::Buffer(b));
            stripped += 1;
        }
    }
    assert!(stripped > 0, "the lesson has a failed DQBUF");
    let digest_of = |t: &vb2scope_core::trace::Trace| {
        let r = vb2scope_core::check::check_trace(t, Policy::MODERN);
        digest(t, Policy::MODERN, &r)
    };
    let c = compare(&digest_of(&model), &digest_of(&device));
    assert!(c.same(), "{:?}", c.differences);
}
