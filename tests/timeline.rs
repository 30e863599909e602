//! Timelines: golden text for every curated trace, and the shape rules every timeline keeps.

use std::path::Path;

use vb2scope::format::read_native_bytes;
use vb2scope::model::{Memory, Policy};
use vb2scope::scenario::{parse, run, streaming_workload};
use vb2scope::timeline::{Resource, Source, Span, Timeline, build};

#[test]
fn timeline_of_every_curated_trace() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("traces/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let (trace, _) =
            read_native_bytes(&std::fs::read(&path).expect("readable")).expect("loads");
        let policy = trace.header.policy.unwrap_or(Policy::Modern);
        let t = build(&trace, policy);
        check_shape(&t);
        insta::assert_snapshot!(name, t.dump());
    }
}

fn ordered<T>(spans: &[Span<T>]) -> bool {
    spans.iter().all(|s| s.start_ns <= s.end_ns)
        && spans.windows(2).all(|w| w[0].end_ns <= w[1].start_ns)
}

fn within<T, U>(inner: &[Span<T>], outer: &[Span<U>]) -> bool {
    // Adjacent outer spans make one stretch of time.
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for o in outer {
        match merged.last_mut() {
            Some(last) if last.1 == o.start_ns => last.1 = o.end_ns,
            _ => merged.push((o.start_ns, o.end_ns)),
        }
    }
    inner.iter().all(|i| {
        merged
            .iter()
            .any(|&(s, e)| s <= i.start_ns && i.end_ns <= e)
    })
}

/// Spans are ordered and disjoint; a mapped plane is attached; lanes are sorted.
fn check_shape(t: &Timeline) {
    assert!(
        t.lanes
            .windows(2)
            .all(|w| (w[0].queue, w[0].index) < (w[1].queue, w[1].index))
    );
    for l in &t.lanes {
        assert!(ordered(&l.states), "{} #{}", l.queue, l.index);
        for p in &l.planes {
            assert!(ordered(&p.assoc));
            for tr in &p.tracks {
                assert!(ordered(&tr.spans));
                assert!(
                    within(&tr.spans, &l.states),
                    "{} #{} holds {:?} while not allocated",
                    l.queue,
                    l.index,
                    tr.resource
                );
            }
            let track = |r: Resource| {
                p.tracks
                    .iter()
                    .find(|t| t.resource == r && t.source == Source::Inferred)
                    .map(|t| t.spans.as_slice())
                    .unwrap_or(&[])
            };
            assert!(
                within(track(Resource::Mapped), track(Resource::Attached)),
                "{} #{}: mapped outside attached",
                l.queue,
                l.index
            );
        }
    }
    assert!(t.marks.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
}

#[test]
fn long_sessions_keep_the_shape_under_every_policy() {
    for memory in [Memory::Mmap, Memory::Userptr, Memory::Dmabuf] {
        let sc = parse("w.vb2s", &streaming_workload(2500, memory)).expect("parses");
        for p in Policy::ALL {
            let trace = run(&sc, p).expect("runs");
            let t = build(&trace, p);
            check_shape(&t);
            assert_eq!(t.lanes.len(), 8, "{memory:?} {p}");
            // Every lane spends time in each of the streaming states.
            for l in &t.lanes {
                for s in ["queued", "active", "done", "dequeued"] {
                    assert!(
                        l.states.iter().any(|x| x.value.as_str() == s),
                        "{memory:?} {p} #{} never {s}",
                        l.index
                    );
                }
            }
        }
    }
}
