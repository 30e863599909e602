//! CPU time of one frame of the timeline view (egui layout plus tessellation), headless, at
//! 10 million state spans in 64 lanes, 1600×900: the whole trace, 1 %, and 0.01 % of it.
//! Target: ≤ 8 ms at any zoom.

use criterion::{Criterion, criterion_group, criterion_main};

use vb2scope_core::check::CheckReport;
use vb2scope_core::model::BufState;
use vb2scope_core::policy::Policy;
use vb2scope_core::timeline::{
    Lane, PlaneLane, Pyramid, Resource, ResourceTrack, Source, Span, Timeline,
};
use vb2scope_core::v4l2::{BufType, QueueKey};
use vb2scope_gui::{View, show_timeline};

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

criterion_group!(benches, frame);
criterion_main!(benches);
