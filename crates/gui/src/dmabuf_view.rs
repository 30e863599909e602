//! The dma-buf view, below the queues: one group per dma-buf, one row per plane that held it
//! (the exporter first, then the importers), with an arrow from the exporter to each
//! importer where it got the dma-buf. Each row shows when the plane was tied to the dma-buf
//! and, inside, what it had of it then (attached, mapped, pinned: its plane's tracks,
//! filled when observed, light when inferred). A mapping left after STREAMOFF is the bar
//! still drawn past the queue's STREAMOFF mark.

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Stroke, pos2, vec2};

use vb2scope_core::model::DmabufId;
use vb2scope_core::time::TimeBase;
use vb2scope_core::timeline::layout::{
    DMABUF_GAP, DMABUF_HEAD_H, DMABUF_RES_GAP, DMABUF_RES_H, DMABUF_ROW_H, GROUP_H,
    dmabuf_holder_height, dmabuf_tracks,
};
use vb2scope_core::timeline::{DmabufLane, Holder, ResourceTrack, Role, Segment, Source, Timeline};

use super::palette;
use super::timeline_view::View;

/// At most this many dma-bufs are drawn: a program that makes one per frame would make the
/// view miles long; the rest are counted.
pub const MAX_SHOWN: usize = 64;

/// The height of the section for `lanes` (the layout the SVG export draws too).
pub fn height(tl: &Timeline, lanes: &[DmabufLane]) -> f32 {
    if lanes.is_empty() {
        return 0.0;
    }
    GROUP_H * 2.0
        + lanes
            .iter()
            .take(MAX_SHOWN)
            .map(|d| {
                DMABUF_HEAD_H
                    + DMABUF_GAP
                    + d.holders
                        .iter()
                        .map(|h| dmabuf_holder_height(tracks_of(tl, h).count()))
                        .sum::<f32>()
            })
            .sum::<f32>()
}

/// The tracks a holder's thin bars show: what its plane held (attached, mapped, pinned).
fn tracks_of<'a>(tl: &'a Timeline, h: &Holder) -> impl Iterator<Item = &'a ResourceTrack> {
    let tracks = tl
        .lanes
        .get(h.lane)
        .and_then(|l| l.planes.get(usize::from(h.plane)))
        .map(|p| p.tracks.as_slice())
        .unwrap_or(&[]);
    dmabuf_tracks(tracks)
}

/// Where the section is drawn and what the pointer does there.
pub struct Place<'a> {
    /// For the row labels, which are widgets: they can be hovered, read by a screen reader
    /// and found by tests.
    pub ui: &'a mut egui::Ui,
    pub painter: &'a egui::Painter,
    pub view: &'a View,
    /// The whole widget and its time area (right of the labels).
    pub full: Rect,
    pub area: Rect,
    pub pointer: Option<Pos2>,
    pub tb: &'a TimeBase,
    pub text: Color32,
    pub weak: Color32,
    pub highlight: Color32,
}

/// Draws the section from `y`; returns the dma-buf under the pointer and, unless a row label
/// shows its own, the hover text.
pub fn draw(
    p: &mut Place,
    tl: &Timeline,
    lanes: &[DmabufLane],
    mut y: f32,
    lit: Option<DmabufId>,
) -> Option<(DmabufId, Option<String>)> {
    if lanes.is_empty() {
        return None;
    }
    let mut hovered = None;
    y += 4.0;
    let more = lanes.len().saturating_sub(MAX_SHOWN);
    let title = match more {
        0 => format!("dma-bufs · {}", lanes.len()),
        n => format!("dma-bufs · {} ({n} more not shown)", lanes.len()),
    };
    p.painter.text(
        pos2(p.full.left() + 4.0, y),
        Align2::LEFT_TOP,
        title,
        FontId::proportional(13.0),
        p.text,
    );
    y += GROUP_H;
    let visible = p.painter.clip_rect();
    for d in lanes.iter().take(MAX_SHOWN) {
        // A group scrolled out of sight costs its height only.
        let group_h = DMABUF_HEAD_H
            + DMABUF_GAP
            + d.holders
                .iter()
                .map(|h| dmabuf_holder_height(tracks_of(tl, h).count()))
                .sum::<f32>();
        if y + group_h < visible.top() || y > visible.bottom() {
            y += group_h;
            continue;
        }
        let info = tl.dmabuf(d.id).map(|i| tl.describe_dmabuf(i));
        let name = info.unwrap_or_else(|| format!("dma-buf #{}", d.id));
        let head = Rect::from_min_size(pos2(p.full.left(), y), vec2(p.full.width(), DMABUF_HEAD_H));
        if lit == Some(d.id) {
            p.painter
                .rect_filled(head, 0.0, p.highlight.gamma_multiply(0.25));
        }
        let label = egui::Label::new(RichText::new(&name).size(10.5).color(p.text))
            .truncate()
            .selectable(false);
        put_left(p.ui, head.shrink2(vec2(4.0, 0.0)), label);
        y += DMABUF_HEAD_H;
        let exporter_y = d
            .holders
            .first()
            .filter(|h| h.role == Role::Exporter)
            .map(|_| y + DMABUF_ROW_H / 2.0);
        for h in &d.holders {
            let row =
                Rect::from_min_size(pos2(p.area.left(), y), vec2(p.area.width(), DMABUF_ROW_H));
            if let Some(text) = holder_row(p, tl, h, row, lit == Some(d.id)) {
                hovered = Some((d.id, Some(format!("{name}\n{text}"))));
            }
            let label_rect = Rect::from_min_max(
                pos2(p.full.left() + 10.0, row.top()),
                pos2(p.area.left() - 2.0, row.bottom()),
            );
            let label = egui::Label::new(
                RichText::new(format!("{} {}", short_role(h.role), tl.holder_name(h)))
                    .size(9.5)
                    .color(p.weak),
            )
            .truncate()
            .selectable(false);
            let r = put_left(p.ui, label_rect, label);
            if r.hovered() {
                let text = format!("{name}\n{} {}", h.role.as_str(), tl.holder_name(h));
                hovered = Some((d.id, None));
                r.on_hover_text(text);
            }
            if let (Some(ey), Role::Importer) = (exporter_y, h.role) {
                arrow_to(p, h, ey, row.center().y);
            }
            y += dmabuf_holder_height(tracks_of(tl, h).count());
        }
        y += DMABUF_GAP;
    }
    hovered
}

/// One holder's row; returns its hover text when the pointer is on it.
fn holder_row(p: &Place, tl: &Timeline, h: &Holder, row: Rect, lit: bool) -> Option<String> {
    let bar_color = if lit {
        p.highlight
    } else {
        Color32::from_gray(140)
    };
    let runs = p.runs(&h.tied);
    for &(s, e, merged) in &runs {
        let x0 = p.view_x(s).max(p.area.left());
        let x1 = p.view_x(e).min(p.area.right()).max(x0 + 1.0);
        let r = Rect::from_min_max(pos2(x0, row.top() + 1.0), pos2(x1, row.bottom() - 1.0));
        if merged {
            p.painter.rect_filled(r, 0.0, bar_color.gamma_multiply(0.6));
        } else {
            p.painter.rect_stroke(
                r,
                2.0,
                Stroke::new(if lit { 2.0 } else { 1.0 }, bar_color),
                egui::StrokeKind::Inside,
            );
        }
    }
    held_tracks(p, tl, h, (row, &runs));
    let on = p.pointer.filter(|q| row.contains(*q))?;
    let t = p.time_at(on.x);
    let mut text = format!(
        "{} {} · tied {}",
        h.role.as_str(),
        tl.holder_name(h),
        ranges_text(p.tb, &h.tied)
    );
    if let Some(held) = held_at(tl, h, t) {
        text.push_str(&format!("\nat {}: {held}", p.tb.rel(t)));
    }
    Some(text)
}

/// The plane's attached, mapped and pinned tracks (observed and inferred each their own)
/// inside the times it was tied to the dma-buf (`runs`, from [`Place::runs`]): thin bars
/// under its row. A merged run (ties too close to tell apart) shows whether the track was
/// held in it at all.
fn held_tracks(p: &Place, tl: &Timeline, h: &Holder, (row, runs): (Rect, &[(u64, u64, bool)])) {
    let ns_px = p.ns_per_px();
    let mut segs: Vec<Segment<()>> = Vec::new();
    let mut top = row.bottom() + DMABUF_RES_GAP;
    for track in tracks_of(tl, h) {
        let color = palette::resource(track.resource);
        let paint = |a: u64, b: u64| {
            let x0 = p.view_x(a).max(p.area.left());
            let x1 = p.view_x(b).min(p.area.right()).max(x0 + 1.0);
            let rr = Rect::from_min_max(pos2(x0, top), pos2(x1, top + DMABUF_RES_H));
            if track.source == Source::Observed {
                p.painter.rect_filled(rr, 0.0, color);
            } else {
                p.painter.rect_filled(rr, 0.0, color.gamma_multiply(0.35));
                if rr.width() >= 6.0 {
                    let stroke = Stroke::new(1.0, color);
                    p.painter
                        .rect_stroke(rr, 0.0, stroke, egui::StrokeKind::Inside);
                }
            }
        };
        for &(a, b, merged) in runs {
            if merged {
                let k = track.spans.partition_point(|s| s.end_ns <= a);
                if track.spans.get(k).is_some_and(|s| s.start_ns < b) {
                    paint(a, b);
                }
                continue;
            }
            segs.clear();
            track.segments(a, b, ns_px * 3, &mut segs);
            for s in &segs {
                paint(s.start_ns().max(a), s.end_ns().min(b));
            }
        }
        top += DMABUF_RES_H + DMABUF_RES_GAP;
    }
}

/// The parts of `[s, e)` inside the sorted, disjoint `ranges`.
fn clip(ranges: &[(u64, u64)], s: u64, e: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
    let first = ranges.partition_point(|&(_, re)| re <= s);
    ranges
        .get(first..)
        .unwrap_or(&[])
        .iter()
        .take_while(move |&&(rs, _)| rs < e)
        .map(move |&(rs, re)| (rs.max(s), re.min(e)))
}

/// What the holder had of the dma-buf at `t`, from its plane's tracks.
fn held_at(tl: &Timeline, h: &Holder, t: u64) -> Option<String> {
    if !h.tied_at(t) {
        return None;
    }
    let plane = tl.lanes.get(h.lane)?.planes.get(usize::from(h.plane))?;
    let held: Vec<String> = plane
        .tracks
        .iter()
        .filter(|tr| {
            let k = tr.spans.partition_point(|s| s.end_ns <= t);
            tr.spans.get(k).is_some_and(|s| s.start_ns <= t)
        })
        .map(|tr| {
            let src = match tr.source {
                Source::Observed => "observed",
                Source::Inferred => "inferred",
            };
            format!("{} ({src})", tr.resource.as_str())
        })
        .collect();
    Some(if held.is_empty() {
        "tied, nothing held".into()
    } else {
        held.join(", ")
    })
}

fn ranges_text(tb: &TimeBase, r: &[(u64, u64)]) -> String {
    let shown: Vec<String> = r
        .iter()
        .take(3)
        .map(|&(s, e)| format!("{} to {}", tb.rel(s), tb.rel(e)))
        .collect();
    match r.len() {
        0..=3 => shown.join(", "),
        n => format!("{} and {} more", shown.join(", "), n - 3),
    }
}

fn short_role(r: Role) -> &'static str {
    match r {
        Role::Exporter => "exp",
        Role::Importer => "imp",
    }
}

/// The arrow from the exporter's row down to an importer's, where the importer first got
/// the dma-buf (at the view's edge when that is outside it).
fn arrow_to(p: &Place, h: &Holder, from_y: f32, to_y: f32) {
    let Some(&(s, _)) = h.tied.first() else {
        return;
    };
    let x = p.view_x(s).clamp(p.area.left() + 2.0, p.area.right() - 2.0);
    arrow(p.painter, pos2(x, from_y), pos2(x, to_y), p.weak);
}

/// A widget placed at the left of `rect`, centred vertically (`Ui::put` centres it).
fn put_left(ui: &mut egui::Ui, rect: Rect, w: impl egui::Widget) -> egui::Response {
    let layout = egui::Layout::left_to_right(egui::Align::Center);
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), |ui| {
        ui.add(w)
    })
    .inner
}

/// A line with a head at `to`.
pub fn arrow(painter: &egui::Painter, from: Pos2, to: Pos2, color: Color32) {
    let stroke = Stroke::new(1.2, color);
    painter.line_segment([from, to], stroke);
    let dir = (to - from).normalized();
    let side = vec2(-dir.y, dir.x) * 3.5;
    let back = to - dir * 6.0;
    painter.add(egui::Shape::convex_polygon(
        vec![to, back + side, back - side],
        color,
        Stroke::NONE,
    ));
}

impl Place<'_> {
    fn ns_per_px(&self) -> u64 {
        ((self.view.t1 - self.view.t0) / f64::from(self.area.width().max(1.0))).max(1.0) as u64
    }

    /// The visible parts of `ranges`, those closer than three pixels merged into one run:
    /// `(start, end, merged)`. A holder tied now and then costs pixels, not ranges.
    fn runs(&self, ranges: &[(u64, u64)]) -> Vec<(u64, u64, bool)> {
        let (w0, w1) = (
            self.view.t0.max(0.0) as u64,
            self.view.t1.max(0.0) as u64 + 1,
        );
        let near = self.ns_per_px() * 3;
        let mut out: Vec<(u64, u64, bool)> = Vec::new();
        for (a, b) in clip(ranges, w0, w1) {
            match out.last_mut() {
                Some(last) if a.saturating_sub(last.1) < near || b - a < near => {
                    if a.saturating_sub(last.1) < near {
                        last.1 = b;
                        last.2 = true;
                    } else {
                        out.push((a, b, true));
                    }
                }
                _ => out.push((a, b, b - a < near)),
            }
        }
        out
    }

    fn view_x(&self, t: u64) -> f32 {
        self.view.x(self.area, t as f64)
    }
    fn time_at(&self, x: f32) -> u64 {
        self.view.t(self.area, x).max(0.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_parts_inside_the_ranges() {
        let r = [(10, 20), (30, 40)];
        assert_eq!(
            clip(&r, 0, 100).collect::<Vec<_>>(),
            vec![(10, 20), (30, 40)]
        );
        assert_eq!(
            clip(&r, 15, 35).collect::<Vec<_>>(),
            vec![(15, 20), (30, 35)]
        );
        assert_eq!(clip(&r, 20, 30).count(), 0);
    }
}
