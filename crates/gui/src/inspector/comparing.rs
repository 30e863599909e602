//! Compare mode's part of the inspector: a second document compared with the one shown,
//! moving through the differences, and drawing B's side (`crate::compare` holds the
//! comparison itself).

use egui::{RichText, Ui};

use super::{Inspector, shown_document};
use crate::compare::{Compare, strip};
use crate::document::{Document, PolicyChoice};
use crate::selection::Selection;
use crate::timeline_view::{self, View};

impl Inspector {
    /// The comparison shown, if any.
    pub fn comparison(&self) -> Option<&Compare> {
        self.compare.as_ref()
    }
    pub fn compare_error(&self) -> Option<&str> {
        self.compare_error.as_deref()
    }

    /// Compares the document shown with `bytes` (a trace or a scenario named `name`), judged
    /// under the same policy choice.
    pub fn compare_with(&mut self, name: &str, bytes: &[u8]) {
        self.compare_error = None;
        let Some(a) = shown_document(&self.shown, &self.live) else {
            self.compare_error = Some("open a trace first, then compare another with it".into());
            return;
        };
        match Document::load(name, bytes, self.choice) {
            Ok(b) => self.compare = Some(Compare::new(a, b)),
            Err(e) => self.compare_error = Some(e.to_string()),
        }
    }

    /// Says why a comparison could not be made (the program could not read the file).
    pub fn compare_failed(&mut self, why: String) {
        self.compare_error = Some(why);
    }

    /// Compares the document shown with itself judged under `choice`.
    pub fn compare_policy(&mut self, choice: PolicyChoice) {
        self.compare_error = None;
        let Some(a) = shown_document(&self.shown, &self.live) else {
            return;
        };
        let mut b = a.clone();
        match b.set_policy(choice) {
            Ok(()) => self.compare = Some(Compare::new(a, b)),
            Err(e) => self.compare_error = Some(e.to_string()),
        }
    }

    /// Moves to the next (`delta` 1) or previous (-1) difference, on both sides.
    pub fn step_difference(&mut self, delta: i64) {
        let Some(c) = &mut self.compare else { return };
        c.step(delta);
        if let (Some(c), Some(d)) = (&self.compare, shown_document(&self.shown, &self.live)) {
            follow_difference(&mut self.selection, &mut self.view, d, c);
        }
    }
}

/// Puts A's step cursor on the call of the difference selected, and its lane selected.
pub(super) fn follow_difference(s: &mut Selection, view: &mut View, d: &Document, c: &Compare) {
    if let Some(e) = c.a_event() {
        s.go_to(d, view, e);
    }
    s.lane = c.lane(d.timeline(), false).or(s.lane);
}

/// Over a timeline in compare mode: which side it is, and a tick per difference (`b`: B's
/// side). Returns the difference clicked.
pub(super) fn header(
    ui: &mut Ui,
    d: &Document,
    view: &View,
    c: &Compare,
    b: bool,
) -> Option<usize> {
    let side = if b { "B" } else { "A" };
    ui.label(RichText::new(format!("{side}: {} under {}", d.name, d.policy)).strong());
    strip(ui, d.timeline(), view, &c.diff, c.at, b)
}

impl Compare {
    /// B's side under A's: its header and timeline, with B's cursor and lane on the
    /// selected difference. B keeps its own centre and takes A's zoom: the two read at one
    /// scale. Returns the difference clicked.
    pub(super) fn show_b(
        &mut self,
        ui: &mut Ui,
        a_view: &View,
        origin: vb2scope_core::time::Origin,
    ) -> Option<usize> {
        let half = (a_view.t1 - a_view.t0) / 2.0;
        let mid = (self.view.t0 + self.view.t1) / 2.0;
        self.view = View {
            t0: mid - half,
            t1: mid + half,
        };
        let clicked = header(ui, &self.b, &self.view, self, true);
        let tb = self.b.time_base(origin);
        let cursor = self.b_event();
        let lane = self.lane(self.b.timeline(), true);
        let b = &self.b;
        let view = &mut self.view;
        egui::ScrollArea::vertical()
            .id_salt("timeline-b")
            .show(ui, |ui| {
                let mut lit = None;
                timeline_view::show_at(
                    ui,
                    b.timeline(),
                    view,
                    (cursor, lane),
                    &tb,
                    &timeline_view::Extras {
                        dmabufs: b.dmabuf_lanes(),
                        findings: b.lane_findings(),
                    },
                    &mut lit,
                );
            });
        clicked
    }
}
