//! The timeline as an SVG, drawn as the desktop inspector draws it: lanes grouped by queue,
//! state bands, association rows, the four resource sub-tracks (filled when observed,
//! outlined when inferred), finding markers, queue-wide operations, a time axis and a legend;
//! under the lanes, who held each dma-buf (exporter and importers, when each was tied to it
//! and what it held meanwhile, an arrow where an importer got it). Every time counts from the
//! first buffer event, as the window's do.
//!
//! The width is fixed; spans narrower than a pixel merge (`timeline::segments` / `Pyramid`)
//! and touching rectangles of one class merge into one, so the file grows with lanes and
//! pixels, not with events.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::check::CheckReport;
use crate::rules::{Severity, info};
use crate::time::TimeBase;
use crate::timeline::{DmabufLane, Resource, Role, Segment, Source, Timeline, segments};
use crate::timeline::{duration, layout, palette, tick_label};
use crate::trace::Trace;
use crate::v4l2::QueueKey;

use super::{MAX_DMABUFS, escape, queue_groups, report_title, time_base};

pub const WIDTH: f64 = 1600.0;
const LABEL_W: f64 = 130.0;
const RIGHT_PAD: f64 = 16.0;
const HEADER_H: f64 = 66.0;
const AXIS_H: f64 = 44.0;
const STATE_H: f64 = layout::STATE_H as f64;
const ASSOC_H: f64 = layout::ASSOC_H as f64;
const RES_H: f64 = layout::RES_H as f64;
const GROUP_H: f64 = layout::GROUP_H as f64;
const ROW_H: f64 = layout::DMABUF_ROW_H as f64;
const DRES_H: f64 = layout::DMABUF_RES_H as f64;
const LEGEND_H: f64 = 64.0;
/// The legend's row for the dma-bufs, when they are drawn.
const LEGEND_DMABUF_H: f64 = 18.0;
/// At most this many holders drawn per dma-buf (and `MAX_DMABUFS` dma-bufs).
const MAX_HOLDERS: usize = 16;
/// Rough width of one character of the 10 px sans-serif labels, to decide what fits.
const CHAR_W: f64 = 5.6;

/// The standalone SVG document, titled with the trace's own title.
pub fn to_string(trace: &Trace, tl: &Timeline, report: &CheckReport) -> String {
    render(trace, tl, report, &report_title("", trace), true)
}

/// The standalone SVG document, titled with the file name of `source`, the input as the user
/// named it.
pub fn to_string_named(trace: &Trace, tl: &Timeline, report: &CheckReport, source: &str) -> String {
    render(trace, tl, report, &report_title(source, trace), true)
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

pub(super) fn state_class(s: crate::model::BufState) -> String {
    format!("s-{}", s.as_str().replace(' ', "-"))
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
         .f-error,.f-warning,.f-info{stroke:#000;stroke-width:1}\
         .dh{font-size:10px;font-weight:bold;fill:#333}\
         .tie{fill:#E0E0E0;stroke:#999;stroke-width:.5}.tie-x{fill:#C8C8C8;stroke:#777;stroke-width:.5}\
         .link{stroke:#444;stroke-width:1}.head{fill:#444}",
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
pub(super) struct Scale {
    t0: u64,
    span: f64,
    x0: f64,
    w: f64,
}

impl Scale {
    /// Times outside the drawn window land on its edges.
    pub(super) fn x(&self, t: u64) -> f64 {
        (self.x0 + t.saturating_sub(self.t0) as f64 / self.span * self.w).min(self.x0 + self.w)
    }

    fn shows(&self, t: u64) -> bool {
        t >= self.t0 && t as f64 <= self.t0 as f64 + self.span
    }
}

/// Rectangles of one row, merged while they touch and share a class.
pub(super) struct Row<'o> {
    out: &'o mut String,
    y: f64,
    h: f64,
    pending: Option<(f64, f64, String)>,
    /// Inferred tracks are outlines: inset by half a stroke so neighbours stay apart.
    inset: f64,
}

impl<'o> Row<'o> {
    /// A row of plain (observed-style) rectangles at `y`, `h` high.
    pub(super) fn new(out: &'o mut String, y: f64, h: f64) -> Row<'o> {
        Row {
            out,
            y,
            h,
            pending: None,
            inset: 0.0,
        }
    }

    pub(super) fn push(&mut self, x0: f64, x1: f64, class: String) {
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

    pub(super) fn flush(&mut self) {
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
    title: &str,
    standalone: bool,
) -> String {
    let tb = time_base(trace, tl);
    // The buffer activity with a margin, as the window's Fit frames it: real captures spend
    // most of their time before and after it (device probing, the program's start and end).
    let (a0, a1) = tl.activity_range();
    let pad = ((a1.saturating_sub(a0) as f64 * 0.03) as u64).max(1000);
    let t0 = a0.saturating_sub(pad).max(tl.start_ns);
    let t1 = a1.saturating_add(pad).min(tl.end_ns).max(t0);
    let sc = Scale {
        t0,
        span: t1.saturating_sub(t0).max(1) as f64,
        x0: LABEL_W,
        w: WIDTH - LABEL_W - RIGHT_PAD,
    };
    let (w0, w1) = (t0, t1.saturating_add(1));
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
    let dmabuf_lanes = tl.dmabuf_lanes();
    let y = dmabuf_section(&mut body, tl, &dmabuf_lanes, &sc, ns_per_px, &tb, y);
    let y = super::svg_codec::section(&mut body, tl, &sc, &tb, y);
    let content_bottom = y;
    let legend_h = if dmabuf_lanes.is_empty() {
        LEGEND_H
    } else {
        LEGEND_H + LEGEND_DMABUF_H
    };

    let mut out = String::with_capacity(body.len() + 16_384);
    let height = (content_bottom + legend_h).ceil();
    let ns = if standalone {
        r#" xmlns="http://www.w3.org/2000/svg""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<svg{ns} width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img">"#
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>{}</style>", style());
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#FFF"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text class="t1" x="8" y="20">{}</text>"#,
        escape(title)
    );
    let whole = if (t0, t1) == (tl.start_ns, tl.end_ns) {
        String::new()
    } else {
        format!(
            " · drawn around it; the whole trace runs from {} to {}",
            tb.rel(tl.start_ns),
            tb.rel(tl.end_ns)
        )
    };
    let _ = writeln!(
        out,
        r#"<text class="t2" x="8" y="38">policy {} · {} events · {} buffers · {} findings · buffer activity {} to {} ({}){whole}</text>"#,
        report.policy,
        trace.events.len(),
        tl.lanes.len(),
        report.findings.len(),
        tb.rel(a0),
        tb.rel(a1),
        duration(a1.saturating_sub(a0))
    );
    let made_by = if trace.header.source.is_empty() {
        String::new()
    } else {
        format!(" · made by {}", trace.header.source)
    };
    let _ = writeln!(
        out,
        r#"<text class="t2" x="8" y="54">times from the first buffer event, at {}{}</text>"#,
        escape(&tb.absolute(tb.origin_ns)),
        escape(&made_by)
    );

    // Time axis, from the first buffer event (ticks before it negative), and its grid.
    let step = crate::timeline::tick_step(sc.span, (sc.w / 110.0).max(2.0));
    let from_origin = sc.t0 as f64 - tb.origin_ns as f64;
    let mut k = (from_origin / step).ceil();
    while k * step <= from_origin + sc.span {
        let rel = k * step;
        let x = sc.x0 + (rel - from_origin) / sc.span * sc.w;
        let label = tick_label(rel, step);
        // The last label ends at its line rather than past the picture's edge.
        let (lx, anchor) = if x + label.chars().count() as f64 * CHAR_W + 4.0 > WIDTH {
            (x - 2.0, r#" text-anchor="end""#)
        } else {
            (x + 2.0, "")
        };
        let _ = writeln!(
            out,
            r#"<line class="grid" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{content_bottom:.1}"/><text class="t2" x="{lx:.1}" y="{:.1}"{anchor}>{label}</text>"#,
            HEADER_H + 12.0,
            HEADER_H + 10.0,
        );
        k += 1.0;
    }
    out.push_str(&body);

    // Queue-wide operations: a line over the queue's lanes (all lanes for device-wide ones),
    // one per pixel; labels on two rows above the lanes where they fit.
    let mut seen: BTreeMap<(Option<QueueKey>, i64), ()> = BTreeMap::new();
    let mut row_end = [f64::MIN; 2];
    for m in tl.marks.iter().filter(|m| sc.shows(m.t_ns)) {
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
        let text = format!(
            "{} {}: {} ({})",
            f.rule,
            info(f.rule).title,
            f.message(),
            tb.rel(f.t_ns)
        );
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
    legend(&mut out, content_bottom + 10.0, !dmabuf_lanes.is_empty());
    out.push_str("</svg>\n");
    out
}

/// Time ranges merged where they are less than a pixel apart: what a bar of them draws, in
/// at most one range per pixel however many times the plane was tied.
fn merge_px(ranges: &[(u64, u64)], ns_per_px: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &(s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_add(ns_per_px) => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The dma-bufs under the lanes, from `y`: per dma-buf a header line, then per holder a bar
/// of when it was tied to it and a thin bar per resource its plane held meanwhile; an arrow
/// from the exporter's row to each importer's where the importer first got it. Returns the
/// y under the section.
fn dmabuf_section(
    body: &mut String,
    tl: &Timeline,
    lanes: &[DmabufLane],
    sc: &Scale,
    ns_per_px: u64,
    tb: &TimeBase,
    mut y: f64,
) -> f64 {
    if lanes.is_empty() {
        return y;
    }
    y += 10.0;
    let _ = writeln!(
        body,
        r#"<g class="dmabufs"><text class="q" x="4" y="{:.1}">dma-bufs ({})</text>"#,
        y + 13.0,
        lanes.len()
    );
    y += GROUP_H;
    let mut segs = Vec::new();
    for d in lanes.iter().take(MAX_DMABUFS) {
        let head = tl
            .dmabuf(d.id)
            .map_or_else(|| format!("dma-buf #{}", d.id), |i| i.describe());
        let _ = writeln!(
            body,
            r#"<g class="dmabuf" data-id="{}"><text class="dh" x="8" y="{:.1}">{}</text>"#,
            d.id,
            y + 12.0,
            escape(&head)
        );
        y += f64::from(layout::DMABUF_HEAD_H);
        // The top of each holder's bar, for the arrows.
        let mut tops = Vec::new();
        for h in d.holders.iter().take(MAX_HOLDERS) {
            let tied = merge_px(&h.tied, ns_per_px);
            let (first, n) = (h.tied.first().map_or(tb.origin_ns, |r| r.0), h.tied.len());
            let _ = writeln!(
                body,
                r#"<g class="holder"><title>{} {}: tied {n} time(s), first at {}</title><text class="sub" x="8" y="{:.1}">{} {}</text>"#,
                h.role.as_str(),
                escape(&h.name()),
                tb.rel(first),
                y + 8.5,
                h.role.as_str(),
                escape(&h.name())
            );
            tops.push((h, y));
            let mut row = Row {
                out: &mut *body,
                y,
                h: ROW_H,
                pending: None,
                inset: 0.0,
            };
            let class = match h.role {
                Role::Exporter => "tie-x",
                Role::Importer => "tie",
            };
            for &(s, e) in &tied {
                row.push(sc.x(s), sc.x(e), class.to_string());
            }
            row.flush();
            y += ROW_H + f64::from(layout::DMABUF_RES_GAP);
            let tracks = tl
                .lanes
                .get(h.lane)
                .and_then(|l| l.planes.get(usize::from(h.plane)))
                .map(|p| p.tracks.as_slice())
                .unwrap_or(&[]);
            for track in layout::dmabuf_tracks(tracks) {
                let inset = if track.source == Source::Inferred {
                    0.5
                } else {
                    0.0
                };
                let class = res_class(track.resource, track.source);
                let mut row = Row {
                    out: &mut *body,
                    y,
                    h: DRES_H,
                    pending: None,
                    inset,
                };
                for &(s, e) in &tied {
                    segs.clear();
                    track.segments(s, e, ns_per_px, &mut segs);
                    for g in &segs {
                        let (a, b) = (g.start_ns().max(s), g.end_ns().min(e));
                        if a < b {
                            row.push(sc.x(a), sc.x(b), class.clone());
                        }
                    }
                }
                row.flush();
                y += DRES_H + f64::from(layout::DMABUF_RES_GAP);
            }
            body.push_str("</g>\n");
            y += f64::from(layout::DMABUF_ROW_GAP);
        }
        // Arrows: the exporter's bar down to where each importer first got the dma-buf.
        if let Some(&(exp, ey)) = tops.first().filter(|(h, _)| h.role == Role::Exporter) {
            for &(h, iy) in tops.iter().skip(1) {
                let Some(&(t, _)) = h.tied.first() else {
                    continue;
                };
                let x = sc.x(t);
                let _ = writeln!(
                    body,
                    r#"<g class="link"><title>{} {} gets it from {} at {}</title><line class="link" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><polygon class="head" points="{:.1},{:.1} {:.1},{:.1} {x:.1},{iy:.1}"/></g>"#,
                    h.role.as_str(),
                    escape(&h.name()),
                    escape(&exp.name()),
                    tb.rel(t),
                    ey + ROW_H / 2.0,
                    iy - 4.0,
                    x - 3.0,
                    iy - 5.0,
                    x + 3.0,
                    iy - 5.0
                );
            }
        }
        if d.holders.len() > MAX_HOLDERS {
            let _ = writeln!(
                body,
                r#"<text class="sub" x="8" y="{:.1}">{} more holders not shown</text>"#,
                y + 8.0,
                d.holders.len() - MAX_HOLDERS
            );
            y += 12.0;
        }
        body.push_str("</g>\n");
        y += f64::from(layout::DMABUF_GAP);
    }
    if lanes.len() > MAX_DMABUFS {
        let _ = writeln!(
            body,
            r#"<text class="t2" x="8" y="{:.1}">{} more dma-bufs not shown</text>"#,
            y + 12.0,
            lanes.len() - MAX_DMABUFS
        );
        y += 18.0;
    }
    body.push_str("</g>\n");
    y
}

fn legend(out: &mut String, y: f64, dmabufs: bool) {
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
        r#"<line class="mark" x1="{x:.1}" y1="{y3:.1}" x2="{x:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}">queue-wide operation (REQBUFS, STREAMON, STREAMOFF…; red: failed)</text>"#,
        y3 + 10.0,
        x + 6.0,
        y3 + 8.0
    );
    if dmabufs {
        let y4 = y + 58.0;
        let _ = writeln!(
            out,
            r#"<rect class="tie-x" x="{LABEL_W:.1}" y="{y4:.1}" width="14" height="10"/><text x="{:.1}" y="{:.1}">exporter: its memory exists</text><rect class="tie" x="{:.1}" y="{y4:.1}" width="14" height="10"/><text x="{:.1}" y="{:.1}">importer: its plane tied to the dma-buf (thin bars: what it held meanwhile)</text><line class="link" x1="{:.1}" y1="{y4:.1}" x2="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}">an importer gets it</text>"#,
            LABEL_W + 18.0,
            y4 + 9.0,
            LABEL_W + 180.0,
            LABEL_W + 198.0,
            y4 + 9.0,
            LABEL_W + 600.0,
            LABEL_W + 600.0,
            y4 + 10.0,
            LABEL_W + 606.0,
            y4 + 9.0
        );
    }
    out.push_str("</g>\n");
}
