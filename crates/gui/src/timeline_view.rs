//! The timeline widget: one lane per buffer, grouped by queue; state bands, what each plane
//! is tied to, held resources (filled when observed, outlined when inferred), findings and
//! queue-wide marks. Paints only the visible window, at pixel resolution (level of detail).

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Ui, Vec2, pos2, vec2};

use vb2scope_core::model::DmabufId;
use vb2scope_core::rules::info;
use vb2scope_core::time::TimeBase;
use vb2scope_core::timeline::layout::{
    ASSOC_H, GROUP_H, LANE_GAP, RES_GAP, RES_H, STATE_GAP, STATE_H, lane_height,
};
use vb2scope_core::timeline::{
    Assoc, DmabufLane, LaneFindings, Role, Segment, Source, Timeline, mark_groups, segments,
    tick_label,
};

use super::{codec_view, dmabuf_view, job_view, palette};

/// The visible time window, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub t0: f64,
    pub t1: f64,
}

impl View {
    /// The buffer activity, with a margin: what a developer came to see.
    pub fn fit(t: &Timeline) -> View {
        let (a, b) = t.activity_range();
        View::around(a, b)
    }

    /// The whole trace, kernel events before and after the activity included.
    pub fn fit_all(t: &Timeline) -> View {
        View::around(t.start_ns, t.end_ns)
    }

    fn around(a: u64, b: u64) -> View {
        let pad = (b.saturating_sub(a) as f64 * 0.03).max(1000.0);
        View {
            t0: a as f64 - pad,
            t1: b as f64 + pad,
        }
    }
    pub(crate) fn x(&self, rect: Rect, t: f64) -> f32 {
        rect.left() + ((t - self.t0) / (self.t1 - self.t0).max(1.0)) as f32 * rect.width()
    }
    pub(crate) fn t(&self, rect: Rect, x: f32) -> f64 {
        self.t0 + f64::from((x - rect.left()) / rect.width().max(1.0)) * (self.t1 - self.t0)
    }
    /// Zooms by `factor` (< 1 zooms in) around time `at`.
    pub fn zoom(&mut self, factor: f64, at: f64) {
        let factor = factor.clamp(0.01, 100.0);
        let min_span = 1_000.0;
        let t0 = at - (at - self.t0) * factor;
        let t1 = at + (self.t1 - at) * factor;
        if t1 - t0 >= min_span {
            self.t0 = t0;
            self.t1 = t1;
        }
    }
    pub fn pan(&mut self, dt: f64) {
        self.t0 += dt;
        self.t1 += dt;
    }
}

/// Merges touching rectangles of one color into one shape: at a coarse zoom a lane is
/// thousands of one-pixel segments, and tessellation cost follows the shape count.
#[derive(Default)]
struct Batch {
    pending: Option<(Rect, Color32, bool)>,
}

impl Batch {
    /// Adds a rectangle; `outline` draws it as an inferred resource (light fill, outline).
    fn push(&mut self, painter: &egui::Painter, r: Rect, color: Color32, outline: bool) {
        if let Some((p, c, o)) = &mut self.pending
            && *c == color
            && *o == outline
            && p.top() == r.top()
            && r.left() <= p.right() + 0.5
        {
            p.max.x = p.max.x.max(r.right());
            return;
        }
        self.flush(painter);
        self.pending = Some((r, color, outline));
    }

    fn flush(&mut self, painter: &egui::Painter) {
        if let Some((r, c, outline)) = self.pending.take() {
            if outline {
                painter.rect_filled(r, 0.0, c.gamma_multiply(0.35));
                // Outlines only where they can be seen: strokes cost more than fills.
                if r.width() >= 6.0 {
                    painter.rect_stroke(r, 0.0, Stroke::new(1.0, c), egui::StrokeKind::Inside);
                }
            } else {
                painter.rect_filled(r, 0.0, c);
            }
        }
    }
}

/// What the user did in the widget this frame.
#[derive(Default)]
pub struct Picked {
    pub event: Option<u32>,
    pub lane: Option<usize>,
}

const LABEL_W: f32 = 96.0;
const AXIS_H: f32 = 40.0;

/// What the timeline draws besides the lanes, each computed once per judgement of a
/// document (never per frame).
pub struct Extras<'a> {
    pub dmabufs: &'a [DmabufLane],
    pub findings: &'a LaneFindings,
}

/// Draws the timeline with times in `tb`; returns what was clicked.
pub fn show_at(
    ui: &mut Ui,
    tl: &Timeline,
    view: &mut View,
    (cursor, selected_lane): (Option<u32>, Option<usize>),
    tb: &TimeBase,
    extras: &Extras,
    lit_state: &mut Option<DmabufId>,
) -> Picked {
    let dmabufs = extras.dmabufs;
    let mut picked = Picked::default();
    let height: f32 = AXIS_H
        + tl.lanes.iter().map(lane_height).sum::<f32>()
        + GROUP_H * 4.0
        + 10.0
        + dmabuf_view::height(tl, dmabufs)
        + codec_view::height(tl);
    // The dma-buf under the pointer last frame is highlighted on every lane this frame.
    let lit = *lit_state;
    let mut now_lit: Option<DmabufId> = None;
    let highlight = ui.visuals().selection.stroke.color;
    let size = vec2(ui.available_width(), height.max(ui.available_height()));
    let (resp, painter) = ui.allocate_painter(size, Sense::click_and_drag());
    let full = resp.rect;
    let area = Rect::from_min_max(pos2(full.left() + LABEL_W, full.top()), full.max);
    let visuals = ui.visuals().clone();
    let text = visuals.text_color();
    let weak = visuals.weak_text_color();
    painter.rect_filled(full, 0.0, visuals.extreme_bg_color);

    // Input: wheel and pinch zoom, drag and keys pan, F fits.
    if let Some(p) = resp.hover_pos() {
        let at = view.t(area, p.x);
        let (zoom, scroll) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta));
        if zoom != 1.0 {
            view.zoom(1.0 / f64::from(zoom), at);
        } else if scroll.y != 0.0 {
            view.zoom((-f64::from(scroll.y) / 300.0).exp(), at);
        }
        if scroll.x != 0.0 {
            view.pan(-f64::from(scroll.x) / f64::from(area.width()) * (view.t1 - view.t0));
        }
    }
    if resp.dragged() {
        let dx = resp.drag_delta().x;
        view.pan(-f64::from(dx) / f64::from(area.width().max(1.0)) * (view.t1 - view.t0));
    }
    let mid = (view.t0 + view.t1) / 2.0;
    // Letters typed into a text field (the search, the Live panel's device) are not shortcuts.
    let typing = ui.ctx().text_edit_focused();
    ui.input(|i| {
        if typing {
            return;
        }
        let w = view.t1 - view.t0;
        if i.key_pressed(egui::Key::W) {
            view.zoom(0.8, mid);
        }
        if i.key_pressed(egui::Key::S) {
            view.zoom(1.25, mid);
        }
        if i.key_pressed(egui::Key::A) {
            view.pan(-0.2 * w);
        }
        if i.key_pressed(egui::Key::D) {
            view.pan(0.2 * w);
        }
        if i.key_pressed(egui::Key::F) {
            *view = if i.modifiers.shift {
                View::fit_all(tl)
            } else {
                View::fit(tl)
            };
        }
    });

    // Time axis.
    let step = vb2scope_core::timeline::tick_step(
        view.t1 - view.t0,
        f64::from(area.width() / 110.0).max(2.0),
    );
    // Ticks fall on whole steps from the origin, which reads as 0.
    let origin = tb.origin_ns as f64;
    let mut t = origin + ((view.t0 - origin) / step).ceil() * step;
    while t <= view.t1 {
        let x = view.x(area, t);
        painter.line_segment(
            [pos2(x, area.top() + AXIS_H - 5.0), pos2(x, area.bottom())],
            Stroke::new(1.0, visuals.faint_bg_color),
        );
        painter.text(
            pos2(x + 2.0, area.top() + 2.0),
            Align2::LEFT_TOP,
            tick_label(t - origin, step),
            FontId::proportional(11.0),
            weak,
        );
        t += step;
    }
    let ns_per_px = ((view.t1 - view.t0) / f64::from(area.width().max(1.0))).max(1.0) as u64;
    // Spans under three pixels are drawn merged: more would be noise, and cost per shape.
    let min_ns = ns_per_px * 3;
    let (w0, w1) = (view.t0.max(0.0) as u64, view.t1.max(0.0) as u64 + 1);

    // Lanes.
    let mut y = full.top() + AXIS_H;
    let mut last_queue = None;
    let mut segs: Vec<Segment<vb2scope_core::model::BufState>> = Vec::with_capacity(2048);
    let mut hover: Option<String> = None;
    let mut batch = Batch::default();
    // Reused across lanes: the paint loop allocates nothing per row.
    let mut assoc_segs: Vec<Segment<Assoc>> = Vec::new();
    let mut track_segs: Vec<Segment<()>> = Vec::new();
    let mut labels: Vec<(Pos2, &'static str)> = Vec::new();
    let mut lane_tops: Vec<f32> = Vec::with_capacity(tl.lanes.len());
    let mut finding_marks = Vec::new();
    let visible = painter.clip_rect();
    let pointer = resp.hover_pos();
    let clicked = resp.clicked();
    for (li, lane) in tl.lanes.iter().enumerate() {
        if last_queue != Some(lane.queue) {
            last_queue = Some(lane.queue);
            y += 4.0;
            painter.text(
                pos2(full.left() + 4.0, y),
                Align2::LEFT_TOP,
                tl.queue_title(lane.queue),
                FontId::proportional(13.0),
                text,
            );
            y += GROUP_H;
        }
        let lane_top = y;
        lane_tops.push(lane_top);
        // Lanes scrolled out of sight cost their height only.
        let h = lane_height(lane);
        if lane_top + h < visible.top() || lane_top > visible.bottom() {
            y += h;
            continue;
        }
        let band = Rect::from_min_size(pos2(area.left(), y), vec2(area.width(), STATE_H));
        segs.clear();
        lane.state_segments(w0, w1, min_ns, &mut segs);
        for s in &segs {
            let (x0, x1) = (
                view.x(area, s.start_ns() as f64),
                view.x(area, s.end_ns() as f64)
                    .max(view.x(area, s.start_ns() as f64) + 1.0),
            );
            let r = Rect::from_min_max(
                pos2(x0.max(area.left()), band.top()),
                pos2(x1.min(area.right()), band.bottom()),
            );
            let color = match s {
                Segment::One(sp) => palette::state(sp.value),
                Segment::Mixed { .. } => palette::MIXED,
            };
            batch.push(&painter, r, color, false);
            if let Segment::One(sp) = s {
                if r.width() > 60.0 {
                    labels.push((r.left_center() + vec2(3.0, 0.0), sp.value.as_str()));
                }
                if pointer.is_some_and(|p| r.contains(p)) {
                    hover = Some(format!(
                        "{} #{}: {} from {} to {} (event {})\nfrom {}",
                        lane.queue,
                        lane.index,
                        sp.value.as_str(),
                        tb.rel(sp.start_ns),
                        tb.rel(sp.end_ns),
                        sp.event,
                        tb.absolute(sp.start_ns)
                    ));
                    if clicked {
                        picked.event = Some(sp.event);
                        picked.lane = Some(li);
                    }
                }
            } else if let Segment::Mixed { count, .. } = s
                && pointer.is_some_and(|p| r.contains(p))
            {
                hover = Some(format!(
                    "{} #{}: {count} states too close to show apart; zoom in",
                    lane.queue, lane.index
                ));
            }
        }
        batch.flush(&painter);
        for (at, l) in labels.drain(..) {
            painter.text(
                at,
                Align2::LEFT_CENTER,
                l,
                FontId::proportional(10.0),
                Color32::BLACK,
            );
        }
        y += STATE_H + STATE_GAP;
        for (pi, plane) in lane.planes.iter().enumerate() {
            let row = Rect::from_min_size(pos2(area.left(), y), vec2(area.width(), ASSOC_H));
            assoc_segs.clear();
            segments(&plane.assoc, w0, w1, ns_per_px, &mut assoc_segs);
            let lit_here = draw_assoc(
                &painter,
                view,
                (area, row),
                &assoc_segs,
                (text, highlight),
                pointer,
                &mut hover,
                (tl, lane),
                pi,
                lit,
            );
            now_lit = now_lit.or(lit_here);
            painter.text(
                pos2(full.left() + 14.0, row.center().y),
                Align2::LEFT_CENTER,
                format!("plane {pi}"),
                FontId::proportional(9.5),
                weak,
            );
            y += ASSOC_H;
            for track in &plane.tracks {
                let color = palette::resource(track.resource);
                let r = Rect::from_min_size(pos2(area.left(), y), vec2(area.width(), RES_H));
                track_segs.clear();
                track.segments(w0, w1, min_ns, &mut track_segs);
                for s in &track_segs {
                    let x0 = view.x(area, s.start_ns() as f64).max(area.left());
                    let x1 = view
                        .x(area, s.end_ns() as f64)
                        .min(area.right())
                        .max(x0 + 1.0);
                    let rr = Rect::from_min_max(pos2(x0, r.top()), pos2(x1, r.bottom()));
                    batch.push(&painter, rr, color, track.source == Source::Inferred);
                    if pointer.is_some_and(|p| rr.contains(p)) {
                        let src = if track.source == Source::Observed {
                            "observed"
                        } else {
                            "inferred"
                        };
                        hover = Some(format!(
                            "{} #{} plane {pi}: {} ({src}) {} to {}",
                            lane.queue,
                            lane.index,
                            track.resource.as_str(),
                            tb.rel(s.start_ns()),
                            tb.rel(s.end_ns())
                        ));
                    }
                }
                batch.flush(&painter);
                painter.text(
                    pos2(full.left() + 14.0, r.center().y),
                    Align2::LEFT_CENTER,
                    track.resource.as_str(),
                    FontId::proportional(9.0),
                    color,
                );
                y += RES_H + RES_GAP;
            }
        }
        let lane_rect = Rect::from_min_max(pos2(full.left(), lane_top), pos2(full.right(), y));
        if selected_lane == Some(li) {
            painter.rect_stroke(
                lane_rect,
                2.0,
                Stroke::new(1.5, visuals.selection.stroke.color),
                egui::StrokeKind::Outside,
            );
        }
        painter.text(
            pos2(full.left() + 4.0, lane_top + STATE_H / 2.0),
            Align2::LEFT_CENTER,
            format!("#{}", lane.index),
            FontId::monospace(12.0),
            text,
        );
        // Findings on this buffer: the worst of each slot, counted.
        extras
            .findings
            .marks(li, (w0, w1), ns_per_px * 6, &mut finding_marks);
        for m in &finding_marks {
            let Some(f) = tl.report.findings.get(m.finding as usize) else {
                continue;
            };
            let x = view.x(area, f.t_ns as f64);
            let color = palette::severity(m.severity);
            let top = lane_top - 1.0;
            painter.add(egui::Shape::convex_polygon(
                vec![pos2(x - 5.0, top), pos2(x + 5.0, top), pos2(x, top + 8.0)],
                color,
                Stroke::new(1.0, Color32::BLACK),
            ));
            if pointer.is_some_and(|p| (p - pos2(x, top + 4.0)).length() < 7.0) {
                let more = match m.count {
                    1 => String::new(),
                    n => format!("\n{} more here; zoom in to see them apart", n - 1),
                };
                hover = Some(format!(
                    "{} {} at {}: {}{more}",
                    f.rule,
                    info(f.rule).title,
                    tb.rel(f.t_ns),
                    f.message()
                ));
                if clicked {
                    picked.event = Some(f.event);
                    picked.lane = Some(li);
                }
            }
        }
        y += LANE_GAP;
    }

    // The dma-bufs below the queues, and the links of the lit one across the lanes.
    let mut place = dmabuf_view::Place {
        ui,
        painter: &painter,
        view,
        full,
        area,
        pointer,
        tb,
        text,
        weak,
        highlight,
    };
    if let Some((id, h)) = dmabuf_view::draw(&mut place, tl, dmabufs, y, lit) {
        now_lit = Some(id);
        if h.is_some() {
            hover = h;
        }
    }
    // The media requests below the dma-bufs.
    let requests_y = y + dmabuf_view::height(tl, dmabufs);
    if let Some(h) = codec_view::draw(&mut place, tl, requests_y) {
        hover = Some(h);
    }
    if let Some(id) = lit {
        link_lanes(&place, tl, dmabufs, id, &lane_tops);
    }
    job_view::draw(&place, tl, &lane_tops, selected_lane);
    *lit_state = now_lit;
    // Queue-wide marks and the cursor.
    draw_marks(&painter, tl, view, area, pointer, &mut hover, weak);
    if let Some(ev) = cursor
        && let Some(t) = tl.event_time(ev)
    {
        let x = view.x(area, t as f64);
        painter.line_segment(
            [pos2(x, area.top()), pos2(x, area.bottom())],
            Stroke::new(2.0, visuals.selection.stroke.color),
        );
    }
    // Over the axis: the time under the pointer, relative and absolute.
    if let Some(p) = pointer
        && hover.is_none()
        && p.y < area.top() + AXIS_H
        && area.x_range().contains(p.x)
    {
        let t = view.t(area, p.x).max(0.0) as u64;
        painter.line_segment(
            [pos2(p.x, area.top()), pos2(p.x, area.bottom())],
            Stroke::new(1.0, weak.gamma_multiply(0.5)),
        );
        hover = Some(format!("{}\n{}", tb.rel(t), tb.absolute(t)));
    }
    if let Some(h) = hover {
        resp.on_hover_text_at_pointer(h);
    }
    picked
}

/// Marks four pixels apart or closer are one, with a count.
const MARK_SLOT_PX: f32 = 4.0;

/// Queue-wide marks (STREAMON, REQBUFS, close…) merged by slot. When there are more than a
/// label every few pixels could say, they are a density strip under the axis instead of
/// lines. Labels take the lower of two rows, else the upper, else none; a label that would
/// run off the right edge goes left of its line.
fn draw_marks(
    painter: &egui::Painter,
    tl: &Timeline,
    view: &View,
    area: Rect,
    pointer: Option<Pos2>,
    hover: &mut Option<String>,
    weak: Color32,
) {
    let slot_ns = ((view.t1 - view.t0) / f64::from(area.width().max(1.0)) * f64::from(MARK_SLOT_PX))
        .max(1.0) as u64;
    let (t0, t1) = (view.t0.max(0.0) as u64, view.t1.max(0.0) as u64 + 1);
    let groups = mark_groups(&tl.marks, t0, t1, slot_ns);
    let error = palette::severity(vb2scope_core::rules::Severity::Error);
    let dense = groups.len() as f32 > area.width() / 12.0;
    let axis_bottom = area.top() + AXIS_H;
    let mut row_end = [f32::MIN; 2];
    for g in &groups {
        let x = view.x(area, g.first.t_ns as f64);
        let color = if g.failed > 0 { error } else { weak };
        let hit = pointer.is_some_and(|p| (p.x - x).abs() <= MARK_SLOT_PX / 2.0 + 1.0);
        if dense {
            let strip = Rect::from_min_max(
                pos2(x - MARK_SLOT_PX / 2.0, axis_bottom - 6.0),
                pos2(x + MARK_SLOT_PX / 2.0, axis_bottom - 1.0),
            );
            let alpha = (0.35 + 0.15 * (g.count as f32).log2()).min(1.0);
            painter.rect_filled(strip, 0.0, color.gamma_multiply(alpha));
            if hit && pointer.is_some_and(|p| p.y < axis_bottom) {
                *hover = Some(format!("{} here; zoom in to see them apart", g.label()));
            }
            continue;
        }
        let width = if g.count > 1 { 2.0 } else { 1.0 };
        painter.line_segment(
            [pos2(x, axis_bottom), pos2(x, area.bottom())],
            Stroke::new(width, color.gamma_multiply(0.6)),
        );
        let galley = painter.layout_no_wrap(g.label(), FontId::proportional(10.0), color);
        let w = galley.size().x;
        let right = x + 2.0 + w <= area.right();
        let (left_x, end) = if right {
            (x + 2.0, x + 2.0 + w)
        } else {
            (x - 2.0 - w, x - 2.0)
        };
        let fits = |e: f32| left_x > e + 4.0 && left_x >= area.left();
        if let Some(row) = (0..2).find(|&r| row_end.get(r).is_some_and(|&e| fits(e))) {
            let y = axis_bottom - 1.0 - row as f32 * 12.0 - galley.size().y;
            painter.galley(pos2(left_x, y), galley, color);
            if let Some(e) = row_end.get_mut(row) {
                *e = end;
            }
        }
        if hit && pointer.is_some_and(|p| p.y < axis_bottom) {
            *hover = Some(match g.count {
                1 => format!("{} (event {})", g.label(), g.first.event),
                _ => format!(
                    "{} from event {}; zoom in to see them apart",
                    g.label(),
                    g.first.event
                ),
            });
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_assoc(
    painter: &egui::Painter,
    view: &View,
    (area, row): (Rect, Rect),
    segs: &[Segment<Assoc>],
    (text, highlight): (Color32, Color32),
    pointer: Option<Pos2>,
    hover: &mut Option<String>,
    (tl, lane): (&Timeline, &vb2scope_core::timeline::Lane),
    pi: usize,
    lit: Option<DmabufId>,
) -> Option<DmabufId> {
    let mut hovered = None;
    for (k, s) in segs.iter().enumerate() {
        let x0 = view.x(area, s.start_ns() as f64).max(area.left());
        let x1 = view
            .x(area, s.end_ns() as f64)
            .min(area.right())
            .max(x0 + 1.0);
        let r = Rect::from_min_max(pos2(x0, row.top() + 1.0), pos2(x1, row.bottom() - 1.0));
        // Neighbouring associations alternate shades, so a change stands out.
        let shade = if k % 2 == 0 {
            Color32::from_gray(120)
        } else {
            Color32::from_gray(160)
        };
        let inferred = matches!(s, Segment::One(sp) if sp.value.inferred());
        let dmabuf = match s {
            Segment::One(sp) => dmabuf_of(tl, &sp.value, (lane, pi)),
            Segment::Mixed { .. } => None,
        };
        if dmabuf.is_some() && dmabuf == lit {
            painter.rect_filled(r, 2.0, highlight.gamma_multiply(0.3));
            painter.rect_stroke(
                r,
                2.0,
                Stroke::new(2.0, highlight),
                egui::StrokeKind::Inside,
            );
        }
        if inferred {
            // Dashed: the trace did not record the fd or address; the model inferred it.
            let pts = [
                r.left_top(),
                r.right_top(),
                r.right_bottom(),
                r.left_bottom(),
                r.left_top(),
            ];
            painter.extend(egui::Shape::dashed_line(
                &pts,
                Stroke::new(1.0, shade),
                4.0,
                3.0,
            ));
        } else {
            painter.rect_stroke(r, 2.0, Stroke::new(1.0, shade), egui::StrokeKind::Inside);
        }
        let label = || match s {
            Segment::One(sp) => tl.assoc_text(&sp.value, false),
            Segment::Mixed { count, .. } => format!("{count} changes"),
        };
        if r.width() > 50.0 {
            painter.with_clip_rect(r).text(
                r.left_center() + Vec2::new(3.0, 0.0),
                Align2::LEFT_CENTER,
                label(),
                FontId::proportional(9.5),
                text,
            );
        }
        if pointer.is_some_and(|p| r.contains(p)) {
            let why = if inferred {
                "\nThe trace does not record this call's fd or address: the plane keeps the \
                 memory it held unless the kernel was seen attaching or pinning anew."
            } else {
                ""
            };
            let label = match s {
                Segment::One(sp) => {
                    tl.assoc_text(&sp.value, true) + &shared_with(tl, &sp.value, (lane, pi))
                }
                Segment::Mixed { .. } => label(),
            };
            *hover = Some(format!(
                "{} #{} plane {pi} tied to {label}{why}",
                lane.queue, lane.index
            ));
            hovered = dmabuf;
        }
    }
    hovered
}

/// The dma-buf a tie is: the one a DMABUF plane imported, or the first one exported from an
/// MMAP plane.
fn dmabuf_of(
    tl: &Timeline,
    a: &Assoc,
    (lane, pi): (&vb2scope_core::timeline::Lane, usize),
) -> Option<DmabufId> {
    match *a {
        Assoc::Dmabuf { id, .. } => Some(id),
        Assoc::Mmap { .. } => tl
            .dmabufs
            .iter()
            .find(|d| d.exported_from == Some((lane.queue, lane.index, pi as u8)))
            .map(|d| d.id),
        Assoc::Userptr { .. } => None,
    }
}

/// The vertical middle of plane `pi`'s tie row in a lane drawn from `top`.
fn plane_row_y(lane: &vb2scope_core::timeline::Lane, pi: usize, top: f32) -> f32 {
    let above: f32 = lane
        .planes
        .iter()
        .take(pi)
        .map(|p| ASSOC_H + p.tracks.len() as f32 * (RES_H + RES_GAP))
        .sum();
    top + STATE_H + STATE_GAP + above + ASSOC_H / 2.0
}

/// Arrows from the lit dma-buf's exporter plane to each importer plane, across the lanes.
fn link_lanes(
    p: &dmabuf_view::Place,
    tl: &Timeline,
    dmabufs: &[DmabufLane],
    id: DmabufId,
    lane_tops: &[f32],
) {
    let Some(d) = dmabufs.iter().find(|d| d.id == id) else {
        return;
    };
    let y_of = |h: &vb2scope_core::timeline::Holder| {
        let lane = tl.lanes.get(h.lane)?;
        Some(plane_row_y(
            lane,
            usize::from(h.plane),
            *lane_tops.get(h.lane)?,
        ))
    };
    let Some(exp) = d.holders.iter().find(|h| h.role == Role::Exporter) else {
        return;
    };
    let Some(from_y) = y_of(exp) else {
        return;
    };
    for h in d.holders.iter().filter(|h| h.role == Role::Importer) {
        let (Some(to_y), Some(&(s, _))) = (y_of(h), h.tied.first()) else {
            continue;
        };
        let x = p
            .view
            .x(p.area, s as f64)
            .clamp(p.area.left() + 2.0, p.area.right() - 2.0);
        dmabuf_view::arrow(p.painter, pos2(x, from_y), pos2(x, to_y), p.highlight);
    }
}

/// Where the memory of a tie is shared, for its hover text (the other ends of a zero-copy
/// link): the planes that import a dma-buf; for an MMAP plane, the dma-bufs exported from it
/// and who imported them.
fn shared_with(
    tl: &Timeline,
    a: &Assoc,
    (lane, pi): (&vb2scope_core::timeline::Lane, usize),
) -> String {
    let names = |id| -> String {
        let by: Vec<String> = tl
            .importers(id)
            .into_iter()
            .map(|(q, i, p)| format!("{q} #{i}.{p}"))
            .collect();
        if by.is_empty() {
            "none".into()
        } else {
            by.join(", ")
        }
    };
    match *a {
        Assoc::Dmabuf { id, .. } => format!("\nimported by {}", names(id)),
        Assoc::Mmap { .. } => tl
            .dmabufs
            .iter()
            .filter(|d| d.exported_from == Some((lane.queue, lane.index, pi as u8)))
            .map(|d| {
                format!(
                    "\nexported as dma-buf {}, imported by {}",
                    d.identity(),
                    names(d.id)
                )
            })
            .collect(),
        Assoc::Userptr { .. } => String::new(),
    }
}
