//! Compare mode: the document shown (A) above a second one (B: another trace, or the same
//! under another policy), aligned by the core's `diff` (calls matched per buffer, queue and
//! device by what the application asked). Each timeline has a strip with a tick per
//! difference; the selected difference puts the step cursor on its call on both, and the
//! side panel shows both sides of it.

use egui::{Color32, RichText, Sense, Stroke, Ui, vec2};

use vb2scope_core::diff::{Comparison, Difference, Step, compare, digest};
use vb2scope_core::timeline::Timeline;

use super::document::Document;
use super::timeline_view::View;

/// What B is, and how it compares with A.
pub struct Compare {
    pub b: Box<Document>,
    /// B's visible window.
    pub view: View,
    pub diff: Comparison,
    /// The difference selected.
    pub at: Option<usize>,
}

impl Compare {
    /// `b` compared with `a`.
    pub fn new(a: &Document, b: Document) -> Compare {
        let da = digest(&a.trace, a.policy, a.report());
        let db = digest(&b.trace, b.policy, b.report());
        let diff = compare(&da, &db);
        let view = View::fit(b.timeline());
        Compare {
            b: Box::new(b),
            view,
            diff,
            at: None,
        }
    }

    pub fn selected(&self) -> Option<&Difference> {
        self.diff.differences.get(self.at?)
    }

    /// A's event of the selected difference (or B's alone, none).
    pub fn a_event(&self) -> Option<u32> {
        self.selected()?.a.as_ref().map(|s| s.event)
    }

    pub fn b_event(&self) -> Option<u32> {
        self.selected()?.b.as_ref().map(|s| s.event)
    }

    /// The lane, in A's timeline (`b`: B's), of the buffer the selected difference is about.
    pub fn lane(&self, tl: &Timeline, b: bool) -> Option<usize> {
        let d = self.selected()?;
        let step = if b { d.b.as_ref() } else { d.a.as_ref() };
        let (q, i) = step?.buffer?;
        tl.lanes.iter().position(|l| l.queue == q && l.index == i)
    }

    /// Moves `delta` differences on (wrapping), from none to the first.
    pub fn step(&mut self, delta: i64) {
        let n = self.diff.differences.len() as i64;
        if n == 0 {
            return;
        }
        let next = match self.at {
            None if delta >= 0 => 0,
            None => n - 1,
            Some(k) => (k as i64 + delta).rem_euclid(n),
        };
        self.at = usize::try_from(next).ok();
        self.follow();
    }

    /// Puts B's window around its side of the selected difference.
    fn follow(&mut self) {
        let t = self.b_event().and_then(|e| self.b.timeline().event_time(e));
        if let Some(t) = t {
            center(&mut self.view, t as f64);
        }
    }

    /// The side panel: the selected difference, both sides. Returns whether the selection
    /// moved (A's view then follows).
    pub fn panel(&mut self, ui: &mut Ui) -> bool {
        let n = self.diff.differences.len();
        let mut moved = false;
        ui.horizontal(|ui| {
            ui.heading("Compare");
            if ui
                .add_enabled(n > 0, egui::Button::new("< Previous difference"))
                .on_hover_text("Shift+N")
                .clicked()
            {
                self.step(-1);
                moved = true;
            }
            if ui
                .add_enabled(n > 0, egui::Button::new("Next difference >"))
                .on_hover_text("N")
                .clicked()
            {
                self.step(1);
                moved = true;
            }
        });
        ui.label(format!("B: {} under {}", self.b.name, self.b.policy));
        if n == 0 {
            ui.label(format!(
                "Same lifecycle: {} calls compared, answered alike, with the same memops, \
                 states and findings.",
                self.diff.calls_compared
            ));
            return moved;
        }
        let head = match self.at {
            Some(k) => format!("difference {} of {n}", k + 1),
            None => format!("{n} differences (N: the first)"),
        };
        ui.label(RichText::new(head).strong());
        if let Some(d) = self.selected() {
            let aspects: Vec<&str> = d.aspects.iter().map(|a| a.as_str()).collect();
            ui.label(format!("{}: {}", d.lane, aspects.join(", ")));
            egui::Grid::new("compare-sides")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    ui.label("");
                    ui.strong("A");
                    ui.strong("B");
                    ui.end_row();
                    row(ui, "call", d, |s| s.op.clone());
                    row(ui, "event", d, |s| s.event.to_string());
                    row(ui, "result", d, |s| s.result.clone());
                    row(ui, "memops", d, memops);
                    row(ui, "state", d, |s| s.state.clone());
                    row(ui, "findings", d, |s| list(&s.findings));
                });
        }
        moved
    }
}

fn row(ui: &mut Ui, what: &str, d: &Difference, f: impl Fn(&Step) -> String) {
    ui.label(what);
    for side in [&d.a, &d.b] {
        ui.label(side.as_ref().map_or("(no such call)".to_owned(), &f));
    }
    ui.end_row();
}

fn memops(s: &Step) -> String {
    let source = if s.memops_observed { "kernel" } else { "model" };
    format!("{} ({source})", list(&s.memops))
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Centres `view` on `t`, keeping its span.
pub fn center(view: &mut View, t: f64) {
    let half = (view.t1 - view.t0) / 2.0;
    view.t0 = t - half;
    view.t1 = t + half;
}

/// A strip over a timeline with a tick at each difference's call on this side (`b`: B's
/// side), the selected one strong. Returns the difference clicked.
pub fn strip(
    ui: &mut Ui,
    tl: &Timeline,
    view: &View,
    diff: &Comparison,
    at: Option<usize>,
    b: bool,
) -> Option<usize> {
    let (resp, painter) = ui.allocate_painter(vec2(ui.available_width(), 10.0), Sense::click());
    let rect = resp.rect;
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let colour = Color32::from_rgb(0xe0, 0x60, 0x30);
    let mut nearest: Option<(f32, usize)> = None;
    let click = resp.interact_pointer_pos().filter(|_| resp.clicked());
    for (k, d) in diff.differences.iter().enumerate() {
        let step = if b { &d.b } else { &d.a };
        let Some(t) = step.as_ref().and_then(|s| tl.event_time(s.event)) else {
            continue;
        };
        let x = view.x(rect, t as f64);
        if !(rect.left()..=rect.right()).contains(&x) {
            continue;
        }
        let strong = at == Some(k);
        let stroke = Stroke::new(if strong { 3.0 } else { 1.0 }, colour);
        painter.vline(x, rect.y_range(), stroke);
        if let Some(p) = click {
            let dist = (p.x - x).abs();
            if nearest.is_none_or(|(best, _)| dist < best) {
                nearest = Some((dist, k));
            }
        }
    }
    resp.on_hover_text("A tick per difference: click one to go there");
    nearest.filter(|&(d, _)| d <= 6.0).map(|(_, k)| k)
}
