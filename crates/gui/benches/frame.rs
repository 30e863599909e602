//! CPU time of one frame of the timeline view (egui layout plus tessellation), headless, at
//! 10 million state spans in 64 lanes, 1600×900: the whole trace, 1 %, and 0.01 % of it.
//! Target: ≤ 8 ms at any zoom. Then the same frame with the overview strip above it and a
//! million findings in the report.

use criterion::{Criterion, criterion_group, criterion_main};

use vb2scope_core::check::CheckReport;
use vb2scope_core::model::BufState;
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{Finding, FindingDetail, RuleId};
use vb2scope_core::time::{TimeBase, TraceClock};
use vb2scope_core::timeline::{
    Lane, PlaneLane, Pyramid, Resource, ResourceTrack, Source, Span, Timeline,
};
use vb2scope_core::v4l2::{BufType, QueueKey};
use vb2scope_gui::{Minimap, View, show_timeline};

const STATES: [BufState; 4] = [
    BufState::Queued,
    BufState::Active,
    BufState::Done,
    BufState::Dequeued,
];

fn timeline() -> Timeline {
    const LANES: u32 = 64;
    const PER_LANE: u64 = 10_000_000 / LANES as u64;
    let lanes = (0..LANES)
        .map(|l| {
            let states: Vec<Span<BufState>> = (0..PER_LANE)
                .map(|i| {
                    let start = i * 1_000_000 + u64::from(l) * 977;
                    Span {
                        start_ns: start,
                        end_ns: start + 1_000_000,
                        event: i as u32,
                        value: STATES[(i % 4) as usize],
                    }
                })
                .collect();
            let end = PER_LANE * 1_000_000;
            let held = |r: Resource, every: u64| {
                ResourceTrack::new(
                    r,
                    Source::Inferred,
                    (0..PER_LANE / every)
                        .map(|k| Span {
                            start_ns: k * every * 1_000_000,
                            end_ns: (k * every + every / 2) * 1_000_000,
                            event: 0,
                            value: (),
                        })
                        .collect(),
                )
            };
            Lane {
                queue: QueueKey {
                    dev: (l / 8) as u16,
                    ty: BufType::VideoCapture,
                },
                index: l % 8,
                states_lod: Pyramid::build(&states),
                states,
                planes: vec![PlaneLane {
                    assoc: vec![Span {
                        start_ns: 0,
                        end_ns: end,
                        event: 0,
                        value: vb2scope_core::timeline::Assoc::Mmap {
                            offset: 0,
                            observed: true,
                        },
                    }],
                    tracks: vec![held(Resource::Attached, 8), held(Resource::Mapped, 4)],
                }],
            }
        })
        .collect();
    let report = CheckReport {
        policy: Policy::MODERN,
        findings: Vec::new(),
        stats: Default::default(),
        value_notes: Vec::new(),
        rebuilt_calls: false,
        incomplete_from: None,
        unseen_setup: Vec::new(),
        undecoded_from: None,
    };
    Timeline {
        dmabufs: Vec::new(),
        activity: None,
        queue_info: Default::default(),
        lanes,
        marks: Vec::new(),
        report,
        start_ns: 0,
        end_ns: PER_LANE * 1_000_000,
        event_times: Vec::new(),
    }
}

fn frame(c: &mut Criterion) {
    let tl = timeline();
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        ..Default::default()
    };
    let full = View::fit(&tl);
    let mut g = c.benchmark_group("frame-10M-spans-64-lanes");
    for (name, fraction) in [
        ("all", 1.0),
        ("ten-percent", 0.1),
        ("one-percent", 0.01),
        ("one-permille", 0.001),
        ("one-in-ten-thousand", 0.0001),
    ] {
        let w = (full.t1 - full.t0) * fraction;
        let mid = (full.t0 + full.t1) / 2.0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut view = View {
                    t0: mid - w / 2.0,
                    t1: mid + w / 2.0,
                };
                let out = ctx.run_ui(input(), |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        show_timeline(ui, &tl, &mut view, None, None);
                    });
                });
                ctx.tessellate(out.shapes, out.pixels_per_point).len()
            })
        });
    }
    g.finish();
}

/// The frame with the overview strip, at 10 M spans and 1 M findings of three rules spread
/// over the trace. The overview's bins are filled by the first frame, once per document.
fn frame_with_overview(c: &mut Criterion) {
    let mut tl = timeline();
    let n = 1_000_000u64;
    let step = tl.end_ns / n;
    let rules = [RuleId::R03, RuleId::R05, RuleId::R12];
    tl.report.findings = (0..n)
        .map(|k| Finding {
            rule: rules[(k % 3) as usize],
            event: k as u32,
            t_ns: k * step,
            queue: tl.lanes.first().map(|l| l.queue),
            index: Some((k % 8) as u32),
            plane: Some(0),
            detail: FindingDetail::None,
        })
        .collect();
    let tb = TimeBase::new(tl.activity_range().0, TraceClock::default());
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        ..Default::default()
    };
    let full = View::fit(&tl);
    let mut minimap = Minimap::default();
    let mut g = c.benchmark_group("frame-10M-spans-1M-findings-overview");
    // The timeline draws each finding in view: at a million that takes most of a second.
    g.sample_size(10);
    for (name, fraction) in [("all", 1.0), ("one-percent", 0.01)] {
        let w = (full.t1 - full.t0) * fraction;
        let mid = (full.t0 + full.t1) / 2.0;
        // (overview, timeline): which of the two the frame draws.
        let mut run = |(overview, timeline): (bool, bool)| {
            let mut view = View {
                t0: mid - w / 2.0,
                t1: mid + w / 2.0,
            };
            let out = ctx.run_ui(input(), |ui| {
                if overview {
                    minimap.show(ui, &tl, &mut view, &tb);
                }
                if timeline {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        show_timeline(ui, &tl, &mut view, None, None);
                    });
                }
            });
            ctx.tessellate(out.shapes, out.pixels_per_point).len()
        };
        run((true, false));
        g.bench_function(format!("{name}-overview-only"), |b| {
            b.iter(|| run((true, false)))
        });
        g.bench_function(format!("{name}-timeline-only"), |b| {
            b.iter(|| run((false, true)))
        });
        g.bench_function(format!("{name}-both"), |b| b.iter(|| run((true, true))));
    }
    // What a new document costs the overview once: its bins, filled in the first frame.
    g.bench_function("first-frame-of-a-document", |b| {
        b.iter(|| {
            let mut view = full;
            ctx.run_ui(input(), |ui| {
                Minimap::default().show(ui, &tl, &mut view, &tb);
            })
            .shapes
            .len()
        })
    });
    g.finish();
}

criterion_group!(benches, frame, frame_with_overview);
criterion_main!(benches);
