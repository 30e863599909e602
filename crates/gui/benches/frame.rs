//! CPU time of one frame of the timeline view (egui layout plus tessellation), headless, at
//! 10 million state spans in 64 lanes (half importing 32 dma-bufs the other half exported,
//! with the dma-buf view under them), 1600×900: the whole trace, 1 %, and 0.01 % of it.
//! Target: ≤ 8 ms at any zoom. Then the same frame with the overview strip above it and a
//! million findings in the report.

use criterion::{Criterion, criterion_group, criterion_main};

use vb2scope_core::check::CheckReport;
use vb2scope_core::model::BufState;
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{Finding, FindingDetail, RuleId};
use vb2scope_core::time::{TimeBase, TraceClock};
use vb2scope_core::timeline::{
    Assoc, DmabufInfo, Lane, LaneFindings, PlaneLane, Pyramid, Resource, ResourceTrack, Source,
    Span, Timeline,
};
use vb2scope_core::v4l2::{BufType, QueueKey};
use vb2scope_gui::{Extras, Minimap, View, show_timeline};

const STATES: [BufState; 4] = [
    BufState::Queued,
    BufState::Active,
    BufState::Done,
    BufState::Dequeued,
];

/// The first half of the lanes are MMAP buffers, each exporting a dma-buf; the second half
/// import those, a different one every 64 frames (a zero-copy pipeline whose buffers rotate).
const DMABUFS: u32 = 32;

fn assoc(lane: u32, end: u64) -> Vec<Span<Assoc>> {
    if lane < DMABUFS {
        return vec![Span {
            start_ns: 0,
            end_ns: end,
            event: 0,
            value: Assoc::Mmap {
                offset: lane * 4096,
                observed: true,
            },
        }];
    }
    let every = 64 * 1_000_000;
    (0..end / every)
        .map(|k| Span {
            start_ns: k * every,
            end_ns: (k + 1) * every,
            event: k as u32,
            value: Assoc::Dmabuf {
                id: ((k + u64::from(lane)) % u64::from(DMABUFS)) as u32,
                fd: Some(100 + (k % 8) as i32),
                len: 614_400,
                inferred: false,
            },
        })
        .collect()
}

fn dmabufs() -> Vec<DmabufInfo> {
    (0..DMABUFS)
        .map(|id| DmabufInfo {
            id,
            ino: Some(u64::from(id) + 9000),
            size: Some(614_400),
            name: "videobuf2_vmalloc".into(),
            exported_from: Some((
                QueueKey {
                    dev: (id / 8) as u16,
                    ty: BufType::VideoCapture,
                },
                id % 8,
                0,
            )),
        })
        .collect()
}

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
                    assoc: assoc(l, end),
                    tracks: vec![held(Resource::Attached, 8), held(Resource::Mapped, 4)],
                }],
            }
        })
        .collect();
    let report = CheckReport::empty(Policy::MODERN);
    Timeline {
        dmabufs: dmabufs(),
        requests: Vec::new(),
        drains: Vec::new(),
        jobs: Vec::new(),
        activity: None,
        queue_info: Default::default(),
        lanes,
        marks: Vec::new(),
        report,
        start_ns: 0,
        end_ns: PER_LANE * 1_000_000,
        event_times: Vec::new(),
        checkpoints: Default::default(),
    }
}

/// Draws the timeline as the window does: with what it computes once per document.
fn draw(ui: &mut egui::Ui, tl: &Timeline, view: &mut View, tb: &TimeBase, extras: &Extras) {
    draw_from(ui, tl, view, tb, extras, 0.0);
}

/// [`draw`], scrolled down by `offset` pixels.
fn draw_from(
    ui: &mut egui::Ui,
    tl: &Timeline,
    view: &mut View,
    tb: &TimeBase,
    extras: &Extras,
    offset: f32,
) {
    let area = egui::ScrollArea::vertical().vertical_scroll_offset(offset);
    area.show(ui, |ui| {
        show_timeline(ui, tl, view, (None, None), tb, extras, &mut None);
    });
}

fn frame(c: &mut Criterion) {
    let tl = timeline();
    let (dmabufs, findings) = (tl.dmabuf_lanes(), LaneFindings::of(&tl));
    let extras = Extras {
        dmabufs: &dmabufs,
        findings: &findings,
    };
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
                let out = ctx.run_ui(input(), |ui| draw(ui, &tl, &mut view, &tb, &extras));
                ctx.tessellate(out.shapes, out.pixels_per_point).len()
            })
        });
    }
    // Scrolled to the dma-buf view under the lanes: 32 dma-bufs, each held by its exporter
    // and by the 32 importing lanes in turn, the whole trace and 1 % of it.
    let below_lanes: f32 = tl
        .lanes
        .iter()
        .map(vb2scope_core::timeline::layout::lane_height)
        .sum::<f32>()
        + 200.0;
    for (name, fraction) in [("dmabuf-view-all", 1.0), ("dmabuf-view-one-percent", 0.01)] {
        let w = (full.t1 - full.t0) * fraction;
        let mid = (full.t0 + full.t1) / 2.0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut view = View {
                    t0: mid - w / 2.0,
                    t1: mid + w / 2.0,
                };
                let out = ctx.run_ui(input(), |ui| {
                    draw_from(ui, &tl, &mut view, &tb, &extras, below_lanes)
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
    let (dmabufs, lane_findings) = (tl.dmabuf_lanes(), LaneFindings::of(&tl));
    let extras = Extras {
        dmabufs: &dmabufs,
        findings: &lane_findings,
    };
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
                    draw(ui, &tl, &mut view, &tb, &extras);
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
