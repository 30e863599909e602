//! The media requests, below the dma-bufs: one row per request, its state over time (idle,
//! queued, complete) and, inside, the buffer bound to it. A stateless decoder's requests
//! show how each frame's OUTPUT buffer went through them.

use egui::{Align2, Color32, FontId, Rect, RichText, Stroke, pos2, vec2};

use vb2scope_core::model::{BufState, ReqState};
use vb2scope_core::timeline::{RequestLane, Timeline};

use super::dmabuf_view::Place;
use super::palette;

/// At most this many requests are drawn (v4l2-compliance allocates hundreds); the rest
/// are counted.
pub const MAX_SHOWN: usize = 64;
const ROW_H: f32 = 12.0;
const ROW_GAP: f32 = 3.0;
/// The section's title line.
const HEAD_H: f32 = 20.0;

/// The height of the section.
pub fn height(tl: &Timeline) -> f32 {
    match tl.requests.len().min(MAX_SHOWN) {
        0 => 0.0,
        n => HEAD_H + n as f32 * (ROW_H + ROW_GAP) + 6.0,
    }
}

fn color(s: ReqState) -> Color32 {
    match s {
        ReqState::Idle => palette::state(BufState::Dequeued),
        ReqState::Queued => palette::state(BufState::Queued),
        ReqState::Complete => palette::state(BufState::Done),
    }
}

/// Draws the section from `y`; returns the hover text of what is under the pointer.
pub fn draw(p: &mut Place, tl: &Timeline, mut y: f32) -> Option<String> {
    if tl.requests.is_empty() {
        return None;
    }
    let more = tl.requests.len().saturating_sub(MAX_SHOWN);
    let title = match more {
        0 => format!("media requests · {}", tl.requests.len()),
        n => format!(
            "media requests · {} ({n} more not shown)",
            tl.requests.len()
        ),
    };
    p.painter.text(
        pos2(p.full.left() + 4.0, y + 4.0),
        Align2::LEFT_TOP,
        title,
        FontId::proportional(13.0),
        p.text,
    );
    y += HEAD_H;
    let visible = p.painter.clip_rect();
    let mut hover = None;
    for r in tl.requests.iter().take(MAX_SHOWN) {
        if y + ROW_H >= visible.top()
            && y <= visible.bottom()
            && let Some(h) = row(p, r, y)
        {
            hover = Some(h);
        }
        y += ROW_H + ROW_GAP;
    }
    hover
}

/// One request's row: its label (a widget, with the request's whole story as hover text)
/// and its phases in the visible time window.
fn row(p: &mut Place, r: &RequestLane, y: f32) -> Option<String> {
    let label_rect = Rect::from_min_size(
        pos2(p.full.left() + 8.0, y),
        vec2(p.area.left() - p.full.left() - 10.0, ROW_H),
    );
    let story: Vec<String> = r
        .phases
        .iter()
        .map(|s| format!("{} {}", p.tb.rel(s.start_ns), s.value.describe()))
        .take(12)
        .collect();
    let label = egui::Label::new(
        RichText::new(format!("request {}", r.id))
            .size(10.0)
            .color(p.weak),
    );
    p.ui.put(label_rect, label).on_hover_text(story.join("\n"));
    let (t0, t1) = (
        p.view.t(p.area, p.area.left()),
        p.view.t(p.area, p.area.right()),
    );
    // Phases are in time order: start at the first that ends in sight.
    let first = r.phases.partition_point(|s| (s.end_ns as f64) < t0);
    let mut last_px = f32::NEG_INFINITY;
    let mut hover = None;
    for s in r.phases.iter().skip(first) {
        if s.start_ns as f64 > t1 {
            break;
        }
        let x0 = p.view.x(p.area, s.start_ns as f64).max(p.area.left());
        let x1 = p.view.x(p.area, s.end_ns as f64).min(p.area.right());
        // Many phases in one pixel: one mark for them.
        if x1 - x0 < 1.0 {
            if x0.floor() > last_px {
                last_px = x0.floor();
                let px = Rect::from_min_max(pos2(x0, y), pos2(x0 + 1.0, y + ROW_H));
                p.painter.rect_filled(px, 0.0, palette::MIXED);
            }
            continue;
        }
        let rect = Rect::from_min_max(pos2(x0, y), pos2(x1, y + ROW_H));
        p.painter.rect_filled(rect, 1.0, color(s.value.state));
        if let Some((q, i)) = s.value.buffer {
            let text = format!("{} #{i}", q.ty.short());
            if rect.width() > 7.0 * text.len() as f32 {
                p.painter.text(
                    rect.left_center() + vec2(3.0, 0.0),
                    Align2::LEFT_CENTER,
                    text,
                    FontId::proportional(9.0),
                    Color32::BLACK,
                );
            }
        }
        if p.pointer.is_some_and(|pt| rect.contains(pt)) {
            p.painter.rect_stroke(
                rect,
                1.0,
                Stroke::new(1.5, p.highlight),
                egui::StrokeKind::Inside,
            );
            hover = Some(format!(
                "request {}: {}\n{} to {}",
                r.id,
                s.value.describe(),
                p.tb.rel(s.start_ns),
                p.tb.rel(s.end_ns)
            ));
        }
    }
    hover
}
