//! The codec objects, below the dma-bufs: one row per codec context with its drain
//! (running, draining, stopped), then one row per media request with its state over time
//! (idle, queued, complete) and, inside, the buffer bound to it. A stateless decoder's
//! requests show how each frame's OUTPUT buffer went through them.

use egui::{Align2, Color32, FontId, Rect, RichText, Stroke, pos2, vec2};

use vb2scope_core::model::{DrainPhase, ReqState};
use vb2scope_core::timeline::palette as core_palette;
use vb2scope_core::timeline::{Span, Timeline};

use super::dmabuf_view::Place;
use super::palette;

/// At most this many requests are drawn (v4l2-compliance allocates hundreds); the rest
/// are counted.
pub const MAX_SHOWN: usize = 64;
const ROW_H: f32 = 12.0;
const ROW_GAP: f32 = 3.0;
/// A section's title line.
const HEAD_H: f32 = 20.0;

fn section_height(rows: usize) -> f32 {
    match rows {
        0 => 0.0,
        n => HEAD_H + n as f32 * (ROW_H + ROW_GAP) + 6.0,
    }
}

/// The height of both sections.
pub fn height(tl: &Timeline) -> f32 {
    section_height(tl.drains.len()) + section_height(tl.requests.len().min(MAX_SHOWN))
}

fn request_color(s: ReqState) -> Color32 {
    palette::state(core_palette::request_state(s))
}

fn drain_color(s: DrainPhase) -> Color32 {
    core_palette::drain_phase(s).map_or(palette::MIXED, palette::state)
}

/// One row's look: its label, and per phase a colour, an inner text and a description.
struct RowStyle<'a, T> {
    label: String,
    color: &'a dyn Fn(&T) -> Color32,
    inner: &'a dyn Fn(&T) -> Option<String>,
    describe: &'a dyn Fn(&T) -> String,
}

/// Draws both sections from `y`; returns the hover text of what is under the pointer.
pub fn draw(p: &mut Place, tl: &Timeline, mut y: f32) -> Option<String> {
    let mut hover = None;
    if !tl.drains.is_empty() {
        title(p, y, format!("codec drains · {}", tl.drains.len()));
        y += HEAD_H;
        for d in &tl.drains {
            let style = RowStyle {
                label: tl.device_label(d.dev),
                color: &|s: &DrainPhase| drain_color(*s),
                inner: &|s: &DrainPhase| Some(s.as_str().to_owned()),
                describe: &|s: &DrainPhase| s.as_str().to_owned(),
            };
            if let Some(h) = visible_row(p, &style, &d.phases, y) {
                hover = Some(h);
            }
            y += ROW_H + ROW_GAP;
        }
        y += 6.0;
    }
    if tl.requests.is_empty() {
        return hover;
    }
    let title_text = match tl.requests.len().saturating_sub(MAX_SHOWN) {
        0 => format!("media requests · {}", tl.requests.len()),
        n => format!(
            "media requests · {} ({n} more not shown)",
            tl.requests.len()
        ),
    };
    title(p, y, title_text);
    y += HEAD_H;
    for r in tl.requests.iter().take(MAX_SHOWN) {
        let style = RowStyle {
            label: format!("request {}", r.id),
            color: &|s: &vb2scope_core::timeline::RequestPhase| request_color(s.state),
            inner: &|s: &vb2scope_core::timeline::RequestPhase| {
                s.buffer.map(|(q, i)| format!("{} #{i}", q.ty.short()))
            },
            describe: &|s: &vb2scope_core::timeline::RequestPhase| s.describe(),
        };
        if let Some(h) = visible_row(p, &style, &r.phases, y) {
            hover = Some(h);
        }
        y += ROW_H + ROW_GAP;
    }
    hover
}

fn title(p: &Place, y: f32, text: String) {
    p.painter.text(
        pos2(p.full.left() + 4.0, y + 4.0),
        Align2::LEFT_TOP,
        text,
        FontId::proportional(13.0),
        p.text,
    );
}

/// A row, if it is on screen.
fn visible_row<T>(
    p: &mut Place,
    style: &RowStyle<T>,
    phases: &[Span<T>],
    y: f32,
) -> Option<String> {
    let visible = p.painter.clip_rect();
    if y + ROW_H < visible.top() || y > visible.bottom() {
        return None;
    }
    row(p, style, phases, y)
}

/// One object's row: its label (a widget, with the object's whole story as hover text) and
/// its phases in the visible time window.
fn row<T>(p: &mut Place, style: &RowStyle<T>, phases: &[Span<T>], y: f32) -> Option<String> {
    let label_rect = Rect::from_min_size(
        pos2(p.full.left() + 8.0, y),
        vec2(p.area.left() - p.full.left() - 10.0, ROW_H),
    );
    let story: Vec<String> = phases
        .iter()
        .map(|s| format!("{} {}", p.tb.rel(s.start_ns), (style.describe)(&s.value)))
        .take(12)
        .collect();
    let label = egui::Label::new(RichText::new(&style.label).size(10.0).color(p.weak));
    p.ui.put(label_rect, label).on_hover_text(story.join("\n"));
    let (t0, t1) = (
        p.view.t(p.area, p.area.left()),
        p.view.t(p.area, p.area.right()),
    );
    // Phases are in time order: start at the first that ends in sight.
    let first = phases.partition_point(|s| (s.end_ns as f64) < t0);
    let mut last_px = f32::NEG_INFINITY;
    let mut hover = None;
    for s in phases.iter().skip(first) {
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
        p.painter.rect_filled(rect, 1.0, (style.color)(&s.value));
        if let Some(text) = (style.inner)(&s.value)
            && rect.width() > 7.0 * text.len() as f32
        {
            p.painter.text(
                rect.left_center() + vec2(3.0, 0.0),
                Align2::LEFT_CENTER,
                text,
                FontId::proportional(9.0),
                Color32::BLACK,
            );
        }
        if p.pointer.is_some_and(|pt| rect.contains(pt)) {
            p.painter.rect_stroke(
                rect,
                1.0,
                Stroke::new(1.5, p.highlight),
                egui::StrokeKind::Inside,
            );
            hover = Some(format!(
                "{}: {}\n{} to {}",
                style.label,
                (style.describe)(&s.value),
                p.tb.rel(s.start_ns),
                p.tb.rel(s.end_ns)
            ));
        }
    }
    hover
}
