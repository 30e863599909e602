//! The timeline as an SVG, drawn as the desktop inspector draws it: lanes grouped by queue,
//! state bands, association rows, the four resource sub-tracks (filled when observed,
//! outlined when inferred), finding markers, queue-wide operations, a time axis and a legend.
//!
//! The width is fixed; spans narrower than a pixel merge (`timeline::segments` / `Pyramid`)
//! and touching rectangles of one class merge into one, so the file grows with lanes and
//! pixels, not with events.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::check::CheckReport;
use crate::rules::{Severity, info};
use crate::timeline::{Resource, Segment, Source, Timeline, segments};
use crate::timeline::{duration, layout, palette, tick_label};
use crate::trace::Trace;
use crate::v4l2::QueueKey;

use super::{escape, queue_groups, trace_title};

pub const WIDTH: f64 = 1600.0;
const LABEL_W: f64 = 130.0;
const RIGHT_PAD: f64 = 16.0;
const HEADER_H: f64 = 52.0;
const AXIS_H: f64 = 44.0;
const STATE_H: f64 = layout::STATE_H as f64;
const ASSOC_H: f64 = layout::ASSOC_H as f64;
const RES_H: f64 = layout::RES_H as f64;
const GROUP_H: f64 = layout::GROUP_H as f64;
const LEGEND_H: f64 = 64.0;
/// Rough width of one character of the 10 px sans-serif labels, to decide what fits.
const CHAR_W: f64 = 5.6;

/// The standalone SVG document.
pub fn to_string(trace: &Trace, tl: &Timeline, report: &CheckReport) -> String {
    render(trace, tl, report, true)
}

/// Writes [`to_string`].
pub fn write<W: Write>(
    w: &mut W,
    trace: &Trace,
    tl: &Timeline,
    report: &CheckReport,
) -> io::Result<()> {
    w.write_all(to_string(trace, tl, report).as_bytes())
}

fn state_class(s: crate::model::BufState) -> String {
    format!("s-{}", s.as_str())
}

fn res_class(r: Resource, src: Source) -> String {
    match src {
        Source::Observed => format!("r-{}", r.as_str()),
        Source::Inferred => format!("i-{}", r.as_str()),
    }
}

fn sev_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "f-error",
        Severity::Warning => "f-warning",
        Severity::Info => "f-info",
    }
}

fn style() -> String {
    let mut s = String::from(
        "text{font-family:sans-serif;font-size:10px;fill:#222}\
         .t1{font-size:16px;font-weight:bold}.t2{font-size:11px;fill:#555}\
         .q{font-size:12px;font-weight:bold}.ln{font-family:monospace;font-size:12px}\
         .sub{font-size:8.5px;fill:#666}.in{fill:#000;font-size:9.5px}\
         .grid{stroke:#E4E4E4}.mark{stroke:#888;stroke-opacity:.6}\
         .mark-err{stroke:#D55E00;stroke-opacity:.7}.ml{font-size:9.5px;fill:#666}\
         .ml-err{font-size:9.5px;fill:#D55E00}\
         .a0{fill:#EFEFEF;stroke:#BBB;stroke-width:.5}.a1{fill:#E0E0E0;stroke:#BBB;stroke-width:.5}\
         .f-error,.f-warning,.f-info{stroke:#000;stroke-width:1}",
    );
    for st in palette::STATES {
        let _ = write!(
            s,
            ".{}{{fill:{}}}",
            state_class(st),
            palette::state(st).hex()
        );
    }
    let _ = write!(s, ".mixed{{fill:{}}}", palette::MIXED.hex());
    for r in Resource::ALL {
        let c = palette::resource(r).hex();
        let _ = write!(
            s,
            ".{}{{fill:{c}}}.{}{{fill:none;stroke:{c};stroke-width:1}}",
            res_class(r, Source::Observed),
            res_class(r, Source::Inferred)
        );
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let _ = write!(
            s,
            ".{}{{fill:{}}}",
            sev_class(sev),
            palette::severity(sev).hex()
        );
    }
    s
}

/// Time to x.
#[derive(Clone, Copy)]
struct Scale {
    t0: u64,
    span: f64,
    x0: f64,
    w: f64,
}

impl Scale {
    fn x(&self, t: u64) -> f64 {
        self.x0 + t.saturating_sub(self.t0) as f64 / self.span * self.w
    }
}

/// Rectangles of one row, merged while they touch and share a class.
struct Row<'o> {
    out: &'o mut String,
    y: f64,
    h: f64,
    pending: Option<(f64, f64, String)>,
    /// Inferred tracks are outlines: inset by half a stroke so neighbours stay apart.
    inset: f64,
}

impl Row<'_> {
    fn push(&mut self, x0: f64, x1: f64, class: String) {
        let x1 = x1.max(x0 + 1.0);
        if let Some((_, e, c)) = &mut self.pending
            && *c == class
            && x0 <= *e + 0.05
        {
            *e = e.max(x1);
            return;
        }
        self.flush();
        self.pending = Some((x0, x1, class));
    }

    fn flush(&mut self) {
        if let Some((x0, x1, c)) = self.pending.take() {
            let i = self.inset;
            let _ = writeln!(
                self.out,
                r#"<rect class="{c}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
                x0 + i,
                self.y + i,
                (x1 - x0 - 2.0 * i).max(0.5),
                self.h - 2.0 * i
            );
        }
    }
}

/// Where a finding marker goes: the lane's top, its queue's header, or above all lanes.
type MarkerKey = (i64, i64);

fn add_marker(
    markers: &mut BTreeMap<MarkerKey, (f64, f64, Severity, usize, String)>,
    x: f64,
    y: f64,
    sev: Severity,
    text: String,
) {
    let e = markers
        .entry(((y * 10.0) as i64, x.round() as i64))
        .or_insert((x, y, sev, 0, text));
    e.2 = e.2.max(sev);
    e.3 += 1;
}

pub(crate) fn render(
    trace: &Trace,
    tl: &Timeline,
    report: &CheckReport,
    standalone: bool,
) -> String {
    let sc = Scale {
        t0: tl.start_ns,
        span: tl.end_ns.saturating_sub(tl.start_ns).max(1) as f64,
        x0: LABEL_W,
        w: WIDTH - LABEL_W - RIGHT_PAD,
    };
    let (w0, w1) = (tl.start_ns, tl.end_ns.saturating_add(1));
    // One pixel of time: narrower spans merge.
    let ns_per_px = ((sc.span / sc.w) as u64).max(1);
    let mut body = String::new();
    let mut y = HEADER_H + AXIS_H;
    let lanes_top = y;
    let mut lane_tops: BTreeMap<(QueueKey, u32), f64> = BTreeMap::new();
    let mut groups: BTreeMap<QueueKey, (f64, f64)> = BTreeMap::new();
    let mut state_segs = Vec::new();
    let mut assoc_segs = Vec::new();
    let mut track_segs = Vec::new();
    for group in queue_groups(&tl.lanes) {
        let Some(q) = group.first().map(|l| l.queue) else {
            continue;
        };
        y += 4.0;
        let group_top = y;
        let _ = writeln!(
            body,
            r#"<text class="q" x="4" y="{:.1}">{}</text>"#,
            y + 13.0,
            escape(&tl.queue_title(q))
        );
        y += GROUP_H;
        for lane in group {
            let lane_top = y;
            lane_tops.insert((lane.queue, lane.index), lane_top);
            let _ = writeln!(
                body,
                r#"<g class="lane" data-queue="{}" data-index="{}"><text class="ln" x="6" y="{:.1}">#{}</text>"#,
                escape(&lane.queue.to_string()),
                lane.index,
                y + 14.0,
                lane.index
            );
            state_segs.clear();
            lane.state_segments(w0, w1, ns_per_px, &mut state_segs);
            let mut labels = String::new();
            let mut row = Row {
                out: &mut body,
                y,
                h: STATE_H,
                pending: None,
                inset: 0.0,
            };
            for s in &state_segs {
                let (x0, x1) = (sc.x(s.start_ns()), sc.x(s.end_ns()));
                let class = match s {
                    Segment::One(sp) => {
                        if x1 - x0 > 60.0 {
                            let _ = writeln!(
                                labels,
                                r#"<text class="in" x="{:.1}" y="{:.1}">{}</text>"#,
                                x0 + 3.0,
                                y + 14.0,
                                sp.value.as_str()
                            );
                        }
                        state_class(sp.value)
                    }
                    Segment::Mixed { .. } => "mixed".to_string(),
                };
                row.push(x0, x1, class);
            }
            row.flush();
            body.push_str(&labels);
            y += STATE_H + f64::from(layout::STATE_GAP);
            for (pi, plane) in lane.planes.iter().enumerate() {
                let _ = writeln!(
                    body,
                    r#"<text class="sub" x="16" y="{:.1}">plane {pi}</text>"#,
                    y + 11.0
                );
                assoc_segs.clear();
                segments(&plane.assoc, w0, w1, ns_per_px, &mut assoc_segs);
                let mut labels = String::new();
                let mut row = Row {
                    out: &mut body,
                    y: y + 1.0,
                    h: ASSOC_H - 2.0,
                    pending: None,
                    inset: 0.0,
                };
                for (k, s) in assoc_segs.iter().enumerate() {
                    let (x0, x1) = (sc.x(s.start_ns()), sc.x(s.end_ns()));
                    let class = match s {
                        Segment::One(sp) => {
                            let t = tl.assoc_text(&sp.value, true);
                            if x1 - x0 > t.chars().count() as f64 * CHAR_W * 0.9 + 6.0 {
                                let _ = writeln!(
                                    labels,
                                    r#"<text class="sub" x="{:.1}" y="{:.1}">{}</text>"#,
                                    x0 + 3.0,
                                    y + 11.0,
                                    escape(&t)
                                );
                            }
                            // Alternate shades so a change of association shows.
                            if k % 2 == 0 { "a0" } else { "a1" }
                        }
                        Segment::Mixed { .. } => "mixed",
                    };
                    // Association rows keep their boundaries: no merging across segments.
                    row.flush();
                    row.push(x0, x1, class.to_string());
                }
                row.flush();
                body.push_str(&labels);
                y += ASSOC_H;
                for track in &plane.tracks {
                    let src = match track.source {
                        Source::Observed => "observed",
                        Source::Inferred => "inferred",
                    };
                    let _ = writeln!(
                        body,
                        r#"<text class="sub" x="16" y="{:.1}" style="fill:{}">{} ({src})</text>"#,
                        y + 7.5,
                        palette::resource(track.resource).hex(),
                        track.resource.as_str()
                    );
                    track_segs.clear();
                    track.segments(w0, w1, ns_per_px, &mut track_segs);
                    let inset = if track.source == Source::Inferred {
                        0.5
                    } else {
                        0.0
                    };
                    let class = res_class(track.resource, track.source);
                    let mut row = Row {
                        out: &mut body,
                        y,
                        h: RES_H,
                        pending: None,
                        inset,
                    };
                    for s in &track_segs {
                        row.push(sc.x(s.start_ns()), sc.x(s.end_ns()), class.clone());
                    }
                    row.flush();
                    y += RES_H + f64::from(layout::RES_GAP);
                }
            }
            body.push_str("</g>\n");
            y += f64::from(layout::LANE_GAP);
        }
        groups.insert(q, (group_top, y));
    }
    if tl.lanes.is_empty() {
        let _ = writeln!(
            body,
            r#"<text class="t2" x="{LABEL_W}" y="{:.1}">no buffers in this trace</text>"#,
            y + 20.0
        );
        y += 30.0;
    }
    let lanes_bottom = y;

    let mut out = String::with_capacity(body.len() + 16_384);
    let height = (lanes_bottom + LEGEND_H).ceil();
    let ns = if standalone {
        r#" xmlns="http://www.w3.org/2000/svg""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<svg{ns} width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img">"#
    );
    let title = trace_title(trace);
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(out, "<style>{}</style>", style());
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#FFF"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text class="t1" x="8" y="20">{}</text>"#,
        escape(&title)
    );
    let _ = writeln!(
        out,
        r#"<text class="t2" x="8" y="40">policy {} · {} events · {} buffers · {} findings · {} from {} ms · {}</text>"#,
        report.policy,
        trace.events.len(),
        tl.lanes.len(),
        report.findings.len(),
        duration(tl.end_ns.saturating_sub(tl.start_ns)),
        super::ms(tl.start_ns),
        escape(&trace.header.source)
    );

    // Time axis, relative to the start, and its grid.
    let step = crate::timeline::tick_step(sc.span, (sc.w / 110.0).max(2.0));
    let mut k = 0u64;
    while (k as f64) * step <= sc.span {
        let rel = k as f64 * step;
        let x = sc.x0 + rel / sc.span * sc.w;
        let _ = writeln!(
            out,
            r#"<line class="grid" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{lanes_bottom:.1}"/><text class="t2" x="{:.1}" y="{:.1}">{}</text>"#,
            HEADER_H + 12.0,
            x + 2.0,
            HEADER_H + 10.0,
            tick_label(rel, step)
        );
        k += 1;
    }
    out.push_str(&body);

    // Queue-wide operations: a line over the queue's lanes (all lanes for device-wide ones),
    // one per pixel; labels on two rows above the lanes where they fit.
    let mut seen: BTreeMap<(Option<QueueKey>, i64), ()> = BTreeMap::new();
    let mut row_end = [f64::MIN; 2];
    for m in &tl.marks {
        let x = sc.x(m.t_ns);
        if seen.insert((m.queue, x.round() as i64), ()).is_some() {
            continue;
        }
        let (top, bottom) = m
            .queue
            .and_then(|q| groups.get(&q).copied())
            .unwrap_or((lanes_top, lanes_bottom));
        let err = m.result.is_err();
        let _ = writeln!(
            out,
            r#"<line class="{}" x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}"><title>{}</title></line>"#,
            if err { "mark-err" } else { "mark" },
            escape(&format!(
                "{} {}",
                m.label,
                crate::v4l2::outcome_str(m.result)
            ))
        );
        let w = m.label.chars().count() as f64 * CHAR_W * 0.95;
        if let Some(r) = (0..2).find(|&r| row_end.get(r).is_some_and(|&e| x > e + 4.0)) {
            let ly = lanes_top - 4.0 - r as f64 * 12.0;
            let _ = writeln!(
                out,
                r#"<text class="{}" x="{:.1}" y="{ly:.1}">{}</text>"#,
                if err { "ml-err" } else { "ml" },
                x + 2.0,
                escape(&m.label)
            );
            if let Some(e) = row_end.get_mut(r) {
                *e = x + 2.0 + w;
            }
        }
    }

    // Findings: a triangle at the top of the buffer's lane, one per pixel (the worst).
    let mut markers = BTreeMap::new();
    for f in &report.findings {
        let x = sc.x(f.t_ns);
        let y = f
            .queue
            .and_then(|q| {
                f.index
                    .and_then(|i| lane_tops.get(&(q, i)).copied())
                    .or_else(|| groups.get(&q).map(|g| g.0 + 2.0))
            })
            .unwrap_or(lanes_top - 30.0);
        let text = format!("{} {}: {}", f.rule, info(f.rule).title, f.message());
        add_marker(&mut markers, x, y - 1.0, report.severity(f), text);
    }
    for (x, y, sev, n, text) in markers.into_values() {
        let title = if n > 1 {
            format!("{n} findings here; first: {text}")
        } else {
            text
        };
        let _ = writeln!(
            out,
            r#"<polygon class="finding {}" points="{:.1},{y:.1} {:.1},{y:.1} {x:.1},{:.1}"><title>{}</title></polygon>"#,
            sev_class(sev),
            x - 5.0,
            x + 5.0,
            y + 8.0,
            escape(&title)
        );
    }
    legend(&mut out, lanes_bottom + 10.0);
    out.push_str("</svg>\n");
    out
}

fn legend(out: &mut String, y: f64) {
    let _ = writeln!(
        out,
        r#"<g class="legend"><text class="q" x="8" y="{:.1}">legend</text>"#,
        y + 12.0
    );
    let mut x = LABEL_W;
    for st in palette::STATES {
        let _ = writeln!(
            out,
            r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="14" height="10"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            state_class(st),
            y + 3.0,
            x + 18.0,
            y + 12.0,
            st.as_str()
        );
        x += 90.0;
    }
    let _ = writeln!(
        out,
        r#"<rect class="mixed" x="{x:.1}" y="{:.1}" width="14" height="10"/><text x="{:.1}" y="{:.1}">several states in one pixel</text>"#,
        y + 3.0,
        x + 18.0,
        y + 12.0
    );
    let y2 = y + 22.0;
    x = LABEL_W;
    for r in Resource::ALL {
        let _ = writeln!(
            out,
            r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="14" height="8"/><rect class="{}" x="{:.1}" y="{:.1}" width="13" height="7"/><text x="{:.1}" y="{:.1}">{} (filled: observed, outlined: inferred)</text>"#,
            res_class(r, Source::Observed),
            y2 + 3.0,
            res_class(r, Source::Inferred),
            x + 18.5,
            y2 + 3.5,
            x + 38.0,
            y2 + 11.0,
            r.as_str()
        );
        x += 270.0;
    }
    let y3 = y + 40.0;
    x = LABEL_W;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let _ = writeln!(
            out,
            r#"<polygon class="{}" points="{:.1},{y3:.1} {:.1},{y3:.1} {x:.1},{:.1}"/><text x="{:.1}" y="{:.1}">{} finding</text>"#,
            sev_class(sev),
            x - 5.0,
            x + 5.0,
            y3 + 8.0,
            x + 10.0,
            y3 + 8.0,
            sev.as_str()
        );
        x += 110.0;
    }
    let _ = writeln!(
        out,
        r#"<line class="mark" x1="{x:.1}" y1="{y3:.1}" x2="{x:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}">queue-wide operation (REQBUFS, STREAMON, STREAMOFF…; red: failed)</text></g>"#,
        y3 + 10.0,
        x + 6.0,
        y3 + 8.0
    );
}
