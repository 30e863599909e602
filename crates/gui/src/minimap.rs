//! The overview: the whole trace in a thin strip beside the timeline. How many buffers the
//! kernel held, where the findings are, the buffer activity, and the visible window, which a click
//! centres and a drag moves (or resizes, by its edges).

use egui::{Color32, CursorIcon, Mesh, Rect, Response, Sense, Stroke, StrokeKind, Ui, pos2, vec2};

use vb2scope_core::model::BufState;
use vb2scope_core::policy::Policy;
use vb2scope_core::rules::Severity;
use vb2scope_core::time::TimeBase;
use vb2scope_core::timeline::Timeline;

use super::palette;
use super::timeline_view::View;

const HEIGHT: f32 = 36.0;
/// Bins over the whole trace, filled once per document: finer than any screen, so that a
/// pixel column is a run of whole bins and a new width costs `BINS`, not the trace.
const BINS: usize = 16_384;
/// How near (in points) to an edge of the window's frame a press takes that edge.
const EDGE: f32 = 4.0;
/// The narrowest window an edge drag leaves, as `View::zoom` does.
const MIN_SPAN: f64 = 1_000.0;

/// Which document something was computed for. A timeline has no identity of its own, but a
/// new one (another input, another policy, a live rebuild) comes with new allocations, and
/// its lengths, bounds and policy tell apart the rare one that reuses an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DocKey {
    lanes: (usize, usize),
    findings: (usize, usize),
    events: usize,
    bounds: (u64, u64),
    policy: Policy,
}

impl DocKey {
    pub(crate) fn of(tl: &Timeline) -> DocKey {
        DocKey {
            lanes: (tl.lanes.as_ptr().addr(), tl.lanes.len()),
            findings: (tl.report.findings.as_ptr().addr(), tl.report.findings.len()),
            events: tl.event_times.len(),
            bounds: (tl.start_ns, tl.end_ns),
            policy: tl.report.policy,
        }
    }
}

/// The trace's whole span on the strip.
#[derive(Clone, Copy)]
struct Scale {
    start: f64,
    span: f64,
    rect: Rect,
}

impl Scale {
    fn x(&self, t: f64) -> f32 {
        self.rect.left() + ((t - self.start) / self.span) as f32 * self.rect.width()
    }
    fn t(&self, x: f32) -> f64 {
        self.start + f64::from((x - self.rect.left()) / self.rect.width().max(1.0)) * self.span
    }
}

/// What each bin holds, for one document.
struct Bins {
    key: DocKey,
    /// How many buffers were out of the application's hands (queued, active, done…), on
    /// average over the bin.
    busy: Vec<f32>,
    /// The worst finding: 0 for none, else its severity + 1.
    worst: Vec<u8>,
}

impl Bins {
    fn of(tl: &Timeline) -> Bins {
        let span = tl.end_ns.saturating_sub(tl.start_ns).max(1) as f64;
        // A time's place in bins, fractional.
        let at =
            |t: u64| (t.saturating_sub(tl.start_ns) as f64 / span * BINS as f64).min(BINS as f64);
        let bin = |t: u64| (at(t) as usize).min(BINS - 1);
        // Each span adds its share to the bins at its ends and, through a difference array,
        // 1 to every bin between: O(spans + bins), however long the spans.
        let (mut part, mut diff) = (vec![0f64; BINS + 1], vec![0f64; BINS + 1]);
        let busy = tl.lanes.iter().flat_map(|l| &l.states);
        for s in busy.filter(|s| s.value != BufState::Dequeued) {
            let (a, b) = (at(s.start_ns), at(s.end_ns.max(s.start_ns)));
            let (i, j) = (a as usize, b as usize);
            if i == j {
                add(&mut part, i, b - a);
            } else {
                add(&mut part, i, (i + 1) as f64 - a);
                add(&mut part, j, b - j as f64);
                add(&mut diff, i + 1, 1.0);
                add(&mut diff, j, -1.0);
            }
        }
        let mut run = 0.0;
        let busy = (0..BINS)
            .map(|k| {
                run += diff.get(k).copied().unwrap_or(0.0);
                (run + part.get(k).copied().unwrap_or(0.0)) as f32
            })
            .collect();
        let mut worst = vec![0u8; BINS];
        for f in &tl.report.findings {
            if let Some(w) = worst.get_mut(bin(f.t_ns)) {
                *w = (*w).max(tl.report.severity(f) as u8 + 1);
            }
        }
        Bins {
            key: DocKey::of(tl),
            busy,
            worst,
        }
    }
}

fn add(v: &mut [f64], k: usize, x: f64) {
    if let Some(e) = v.get_mut(k) {
        *e += x;
    }
}

/// The bins gathered into pixel columns, for one width.
struct Columns {
    width: usize,
    /// Bar heights, 0 to 1 of the busiest bin.
    density: Vec<f32>,
    worst: Vec<Option<Severity>>,
}

impl Columns {
    fn of(bins: &Bins, width: usize) -> Columns {
        let width = width.max(1);
        let max = bins.busy.iter().copied().fold(0.0, f32::max).max(1e-6);
        let (mut density, mut worst) = (Vec::with_capacity(width), Vec::with_capacity(width));
        for x in 0..width {
            let a = (x * BINS / width).min(BINS - 1);
            let b = ((x + 1) * BINS / width).clamp(a + 1, BINS);
            let c = bins.busy.get(a..b).unwrap_or(&[]);
            let w = bins.worst.get(a..b).unwrap_or(&[]);
            density.push(c.iter().sum::<f32>() / c.len().max(1) as f32 / max);
            worst.push(match w.iter().copied().max().unwrap_or(0) {
                0 => None,
                1 => Some(Severity::Info),
                2 => Some(Severity::Warning),
                _ => Some(Severity::Error),
            });
        }
        Columns {
            width,
            density,
            worst,
        }
    }
}

/// What a drag holds.
#[derive(Clone, Copy, Debug)]
enum Grab {
    /// The whole window, this far (ns) behind the pointer.
    Window(f64),
    Start,
    End,
}

/// The overview's state: what it drew, cached, and what a drag holds.
#[derive(Default)]
pub struct Minimap {
    bins: Option<Bins>,
    columns: Option<Columns>,
    grab: Option<Grab>,
}

impl Minimap {
    /// Draws the strip for `tl` and applies clicks and drags to `view`; hovering shows the
    /// time under the pointer in `tb`.
    pub fn show(&mut self, ui: &mut Ui, tl: &Timeline, view: &mut View, tb: &TimeBase) -> Response {
        let (resp, painter) =
            ui.allocate_painter(vec2(ui.available_width(), HEIGHT), Sense::click_and_drag());
        let scale = Scale {
            start: tl.start_ns as f64,
            span: tl.end_ns.saturating_sub(tl.start_ns).max(1) as f64,
            rect: resp.rect,
        };
        self.interact(ui, &resp, scale, view);
        let frame = window_rect(scale, *view);
        let visuals = ui.visuals();
        painter.rect_filled(scale.rect, 0.0, visuals.extreme_bg_color);
        let (a, b) = tl.activity_range();
        let shade = Rect::from_x_y_ranges(
            scale.x(a as f64)..=scale.x(b as f64).max(scale.x(a as f64) + 1.0),
            scale.rect.y_range(),
        );
        painter.rect_filled(shade, 0.0, visuals.selection.bg_fill.gamma_multiply(0.25));
        painter.add(self.marks(tl, scale.rect, visuals.weak_text_color()));
        painter.rect_filled(frame, 0.0, visuals.text_color().gamma_multiply(0.08));
        painter.rect_stroke(
            frame,
            1.0,
            Stroke::new(1.5, visuals.strong_text_color()),
            StrokeKind::Inside,
        );
        ui.interact(frame, resp.id.with("window"), Sense::hover())
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, "Visible window"));
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ScrollBar, true, "Overview"));
        if let Some(p) = resp.hover_pos() {
            let x = p.x;
            painter.vline(
                x,
                scale.rect.y_range(),
                Stroke::new(1.0, visuals.text_color()),
            );
            let icon = match grab_at(frame, x) {
                Some(Grab::Window(_)) => CursorIcon::Grab,
                Some(_) => CursorIcon::ResizeHorizontal,
                None => CursorIcon::PointingHand,
            };
            ui.ctx().set_cursor_icon(icon);
            let t = scale.t(x).max(0.0) as u64;
            return resp.on_hover_text_at_pointer(format!("{}\n{}", tb.rel(t), tb.absolute(t)));
        }
        resp
    }

    /// A click centres the window on the time under the pointer, keeping its width; a drag
    /// moves what the press took: the window, one of its edges, or (outside it) the window
    /// centred under the pointer.
    fn interact(&mut self, ui: &Ui, resp: &Response, scale: Scale, view: &mut View) {
        let width = view.t1 - view.t0;
        if resp.drag_started() {
            let frame = window_rect(scale, *view);
            let press = ui.input(|i| i.pointer.press_origin()).map(|p| p.x);
            self.grab = Some(match press.and_then(|x| grab_at(frame, x)) {
                Some(Grab::Window(_)) => {
                    Grab::Window(press.map_or(width / 2.0, |x| scale.t(x) - view.t0))
                }
                Some(edge) => edge,
                None => Grab::Window(width / 2.0),
            });
        }
        let Some(p) = resp.interact_pointer_pos() else {
            return;
        };
        let t = scale.t(p.x);
        if resp.clicked() {
            *view = View {
                t0: t - width / 2.0,
                t1: t + width / 2.0,
            };
        } else if resp.dragged() {
            match self.grab {
                Some(Grab::Window(behind)) => {
                    *view = View {
                        t0: t - behind,
                        t1: t - behind + width,
                    }
                }
                Some(Grab::Start) => view.t0 = t.min(view.t1 - MIN_SPAN),
                Some(Grab::End) => view.t1 = t.max(view.t0 + MIN_SPAN),
                None => {}
            }
        }
        if resp.drag_stopped() {
            self.grab = None;
        }
    }

    /// The density bars and the findings' ticks (errors last, on top) as one mesh, from the
    /// bins of this document gathered for this width.
    fn marks(&mut self, tl: &Timeline, rect: Rect, bar: Color32) -> Mesh {
        let key = DocKey::of(tl);
        if self.bins.as_ref().is_none_or(|b| b.key != key) {
            self.bins = Some(Bins::of(tl));
            self.columns = None;
        }
        let width = rect.width().round().max(1.0) as usize;
        let mut mesh = Mesh::default();
        let Some(bins) = &self.bins else {
            return mesh;
        };
        if self.columns.as_ref().is_none_or(|c| c.width != width) {
            self.columns = Some(Columns::of(bins, width));
        }
        let Some(cols) = &self.columns else {
            return mesh;
        };
        let dx = rect.width() / width as f32;
        // Bars in the lower part, ticks from the top: neither hides the other.
        let bars = rect.height() - 6.0;
        for (x, h) in cols.density.iter().enumerate() {
            if *h > 0.0 {
                let left = rect.left() + x as f32 * dx;
                let top = rect.bottom() - (h * bars).max(1.0);
                let r = Rect::from_min_max(pos2(left, top), pos2(left + dx, rect.bottom()));
                mesh.add_colored_rect(r, bar.gamma_multiply(0.6));
            }
        }
        for sev in [Severity::Info, Severity::Warning, Severity::Error] {
            let len = match sev {
                Severity::Info => 8.0,
                Severity::Warning => 12.0,
                Severity::Error => 16.0,
            };
            let color = palette::severity(sev);
            for (x, w) in cols.worst.iter().enumerate() {
                if *w == Some(sev) {
                    let left = rect.left() + x as f32 * dx;
                    let r = Rect::from_min_size(pos2(left, rect.top()), vec2(dx.max(2.0), len));
                    mesh.add_colored_rect(r, color);
                }
            }
        }
        mesh
    }
}

/// The visible window on the strip, at least a few points wide so it can be seen and held.
fn window_rect(scale: Scale, view: View) -> Rect {
    let r = scale.rect;
    let (mut a, mut b) = (
        scale.x(view.t0).clamp(r.left(), r.right()),
        scale.x(view.t1).clamp(r.left(), r.right()),
    );
    if b - a < 3.0 {
        let mid = (a + b) / 2.0;
        (a, b) = ((mid - 1.5).max(r.left()), (mid + 1.5).min(r.right()));
    }
    Rect::from_x_y_ranges(a..=b, r.y_range())
}

/// What a press at `x` takes of the window's frame: an edge, the window, or nothing.
fn grab_at(frame: Rect, x: f32) -> Option<Grab> {
    if (x - frame.left()).abs() <= EDGE && frame.width() > 2.0 * EDGE {
        Some(Grab::Start)
    } else if (x - frame.right()).abs() <= EDGE && frame.width() > 2.0 * EDGE {
        Some(Grab::End)
    } else if frame.x_range().contains(x) {
        Some(Grab::Window(0.0))
    } else {
        None
    }
}
