//! Timelines: golden text for every curated trace, and the shape rules every timeline keeps.

use std::path::Path;

use vb2scope_core::format::read_native_bytes;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{parse, run, streaming_workload};
use vb2scope_core::timeline::{Resource, Segment, Source, Span, Timeline, build};
use vb2scope_core::v4l2::Memory;

#[test]
fn timeline_of_every_curated_trace() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("traces");
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
        let policy = trace.header.policy.unwrap_or(Policy::MODERN);
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
            // Every lane spends time in each of the streaming states, and a full view
            // 1600 pixels wide accounts for every state span in a few thousand segments.
            let mut segs = Vec::new();
            for l in &t.lanes {
                segs.clear();
                l.state_segments(
                    t.start_ns,
                    t.end_ns + 1,
                    (t.end_ns - t.start_ns) / 1600,
                    &mut segs,
                );
                let counted: usize = segs
                    .iter()
                    .map(|s| match s {
                        Segment::One(_) => 1,
                        Segment::Mixed { count, .. } => *count as usize,
                    })
                    .sum();
                assert_eq!(counted, l.states.len());
                assert!(segs.len() <= 2 * 1600 + 8, "{} segments", segs.len());
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

mod lod {
    use proptest::prelude::*;
    use vb2scope_core::timeline::{Pyramid, Segment, Span, segments};

    fn lane() -> impl Strategy<Value = Vec<Span<u8>>> {
        prop::collection::vec((0u64..50, 1u64..40, any::<u8>()), 0..300).prop_map(|v| {
            let mut t = 0;
            v.into_iter()
                .enumerate()
                .map(|(i, (gap, len, value))| {
                    let start = t + gap;
                    t = start + len;
                    Span {
                        start_ns: start,
                        end_ns: t,
                        event: i as u32,
                        value,
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn segments_account_for_every_visible_span(spans in lane(), t0 in 0u64..5000, w in 1u64..8000, min_ns in 0u64..200) {
            let t1 = t0 + w;
            let mut out = Vec::new();
            segments(&spans, t0, t1, min_ns, &mut out);
            let visible = spans.iter().filter(|s| s.end_ns > t0 && s.start_ns < t1).count();
            let counted: usize = out.iter().map(|s| match s { Segment::One(_) => 1, Segment::Mixed { count, .. } => *count as usize }).sum();
            prop_assert_eq!(counted, visible);
            prop_assert!(out.windows(2).all(|p| p[0].end_ns() <= p[1].start_ns()));
            for s in &out {
                if let Segment::Mixed { count, .. } = s {
                    prop_assert!(*count >= 2);
                }
            }
            if let Some(steps) = w.checked_div(min_ns) {
                prop_assert!(out.len() as u64 <= 2 * (steps + 2), "{} segments", out.len());
            }
        }
    }

    proptest! {
        #[test]
        fn pyramid_accounts_for_every_visible_span(spans in lane(), t0 in 0u64..5000, w in 1u64..30000, min_ns in 0u64..20000) {
            let t1 = t0 + w;
            let p = Pyramid::build(&spans);
            let mut out = Vec::new();
            p.segments(&spans, t0, t1, min_ns, &mut out);
            let visible = spans.iter().filter(|s| s.end_ns > t0 && s.start_ns < t1).count();
            let counted: usize = out.iter().map(|s| match s { Segment::One(_) => 1, Segment::Mixed { count, .. } => *count as usize }).sum();
            prop_assert_eq!(counted, visible, "{:?}", out);
            prop_assert!(out.windows(2).all(|p| p[0].start_ns() <= p[1].start_ns()));
            if let Some(steps) = w.checked_div(min_ns) {
                prop_assert!(out.len() as u64 <= 4 * (steps + 4), "{} segments", out.len());
            }
        }
    }

    /// A lane's pyramid grown span by span (a live recording's: each span opens with no
    /// length and is stretched as time goes on, until the next one opens) answers as the one
    /// built over the finished lane: every visible span accounted for, in order, a bounded
    /// number of segments.
    fn grown(spans: &[Span<u8>]) -> (Vec<Span<u8>>, Pyramid<u8>) {
        let mut p = Pyramid::default();
        let mut out: Vec<Span<u8>> = Vec::new();
        for s in spans {
            if let Some(last) = out.last() {
                p.stretch(last.end_ns);
            }
            out.push(Span {
                end_ns: s.start_ns,
                ..*s
            });
            p.push(
                out.len(),
                &Span {
                    end_ns: s.start_ns,
                    ..*s
                },
            );
            // Stretched while open (by refreshes, one past where it will end: a call stamped
            // at its start closes it earlier), then to its end.
            let mid = s.start_ns + (s.end_ns - s.start_ns) / 2;
            p.stretch(mid);
            p.stretch(s.end_ns + 1000);
            if let Some(last) = out.last_mut() {
                last.end_ns = s.end_ns;
            }
            p.stretch(s.end_ns);
        }
        (out, p)
    }

    proptest! {
        #[test]
        fn a_grown_pyramid_accounts_for_every_visible_span(spans in lane(), t0 in 0u64..5000, w in 1u64..30000, min_ns in 0u64..20000) {
            let t1 = t0 + w;
            let (spans, p) = grown(&spans);
            let mut out = Vec::new();
            p.segments(&spans, t0, t1, min_ns, &mut out);
            // No segment reaches past the spans it stands for.
            let last_end = spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
            prop_assert!(out.iter().all(|s| s.end_ns() <= last_end), "{:?}", out);
            let visible = spans.iter().filter(|s| s.end_ns > t0 && s.start_ns < t1).count();
            let counted: usize = out.iter().map(|s| match s { Segment::One(_) => 1, Segment::Mixed { count, .. } => *count as usize }).sum();
            prop_assert_eq!(counted, visible, "{:?}", out);
            prop_assert!(out.windows(2).all(|p| p[0].start_ns() <= p[1].start_ns()));
            if let Some(steps) = w.checked_div(min_ns) {
                prop_assert!(out.len() as u64 <= 4 * (steps + 4), "{} segments", out.len());
            }
        }
    }
}

/// A buffer queued again and again: its findings (R11 each time) are one mark with their
/// count when the view is too coarse to tell them apart, and one mark each when it is not.
#[test]
fn findings_on_a_lane_merge_by_slot() {
    let text = format!("reqbufs 1 mmap\nqbuf 0\n{}", "qbuf 0\n".repeat(40));
    let sc = parse("requeue.vb2s", &text).expect("parses");
    let trace = run(&sc, Policy::MODERN).expect("runs");
    let tl = build(&trace, Policy::MODERN);
    let on_lane = tl
        .report
        .findings
        .iter()
        .filter(|f| f.index == Some(0))
        .count();
    assert_eq!(on_lane, 40);
    let lf = vb2scope_core::timeline::LaneFindings::of(&tl);
    let mut marks = Vec::new();
    lf.marks(0, (tl.start_ns, tl.end_ns + 1), tl.end_ns + 1, &mut marks);
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].count, 40);
    assert_eq!(marks[0].severity, vb2scope_core::rules::Severity::Warning);
    lf.marks(0, (tl.start_ns, tl.end_ns + 1), 1, &mut marks);
    assert_eq!(marks.len(), 40);
    // Half the window: half of them.
    let mid = tl.report.findings[20].t_ns;
    lf.marks(0, (mid, tl.end_ns + 1), 1, &mut marks);
    assert_eq!(marks.len(), 20);
}

/// M2M jobs from the timestamps a real vim2m run (v4l2-ctl, 6.12) copied from OUTPUT to
/// CAPTURE: each of its ten frames pairs OUTPUT #i with CAPTURE #i; with one timestamp on
/// every buffer (as v4l2-ctl's decoder gives), nothing is linked.
#[test]
fn jobs_come_from_copied_timestamps_and_never_from_a_shared_one() {
    use vb2scope_core::import::{Format, import_bytes};
    let text = include_str!("../../../tests/fixtures/import/strace/k612-31-vim2m-mmap.strace.txt");
    let read = |text: &str| {
        let (imported, _) =
            import_bytes(text.as_bytes(), "x.strace.txt", Some(Format::Strace), None)
                .expect("imports");
        build(&imported.trace, Policy::MODERN)
    };
    let t = read(text);
    assert_eq!(t.jobs.len(), 9, "{:?}", t.jobs);
    for j in &t.jobs {
        assert!(j.output.0.ty.is_output() && !j.capture.0.ty.is_output());
        assert_eq!(j.output.1, j.capture.1, "{j:?}");
        assert_eq!(j.by, vb2scope_core::timeline::JobEvidence::Timestamp);
    }
    // Every timestamp the same: no CAPTURE buffer is the only one of its timestamp.
    let same: String = text
        .lines()
        .map(|l| match l.find("timestamp={") {
            Some(a) => {
                let b = a + l[a..].find('}').unwrap_or(0);
                format!("{}timestamp={{tv_sec=1, tv_usec=0{}", &l[..a], &l[b..])
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(read(&same).jobs, vec![]);
}
