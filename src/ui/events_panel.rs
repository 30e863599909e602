//! The event table: every event of the trace, filtered and searched, laid out only where
//! visible.

use egui::{RichText, Ui};

use super::describe;
use super::document::Document;

/// What the table shows, and the rows that match (kept until the filter or document change).
#[derive(Default)]
pub struct EventFilter {
    pub text: String,
    pub hide_inferred: bool,
    rows: Vec<u32>,
    key: Option<(String, bool, usize, &'static str)>,
}

impl EventFilter {
    fn refresh(&mut self, d: &Document) {
        let key = (
            self.text.to_lowercase(),
            self.hide_inferred,
            d.trace.events.len(),
            d.policy.name(),
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let needle = key.0.clone();
        self.rows = d
            .trace
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| !(self.hide_inferred && e.origin == crate::model::Origin::Inferred))
            .filter(|(i, _)| {
                needle.is_empty()
                    || describe::event(&d.trace, *i)
                        .to_lowercase()
                        .contains(&needle)
            })
            .map(|(i, _)| i as u32)
            .collect();
        self.key = Some(key);
    }

    /// The matching event after (or before, `dir < 0`) `from`, wrapping around.
    pub fn next(&mut self, d: &Document, from: Option<u32>, dir: i64) -> Option<u32> {
        self.refresh(d);
        let first = self.rows.first().copied();
        let last = self.rows.last().copied();
        match (from, dir >= 0) {
            (None, true) => first,
            (None, false) => last,
            (Some(c), true) => self.rows.iter().copied().find(|&r| r > c).or(first),
            (Some(c), false) => self.rows.iter().rev().copied().find(|&r| r < c).or(last),
        }
    }

    /// Draws the filter bar and the table; returns a clicked event.
    pub fn ui(&mut self, ui: &mut Ui, d: &Document, cursor: Option<u32>) -> Option<u32> {
        let mut jump = None;
        ui.horizontal(|ui| {
            let label = ui.label("Search:");
            ui.add(egui::TextEdit::singleline(&mut self.text).desired_width(220.0))
                .labelled_by(label.id);
            if ui.button("Previous").clicked() {
                jump = self.next(d, cursor, -1);
            }
            if ui.button("Next").clicked() {
                jump = self.next(d, cursor, 1);
            }
            ui.checkbox(&mut self.hide_inferred, "Hide inferred events");
            self.refresh(d);
            ui.label(format!(
                "{} of {} events",
                self.rows.len(),
                d.trace.events.len()
            ));
        });
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
        let rows = &self.rows;
        egui::ScrollArea::vertical()
            .id_salt("event-table")
            .auto_shrink([false, false])
            .show_rows(ui, row_h, rows.len(), |ui, range| {
                for &i in rows.get(range).unwrap_or(&[]) {
                    let t = d.trace.events.get(i as usize).map(|e| e.t_ns).unwrap_or(0);
                    let text = RichText::new(format!(
                        "{i:>6}  {:>12.6} ms  {}",
                        t as f64 / 1e6,
                        describe::event(&d.trace, i as usize)
                    ))
                    .monospace();
                    if ui.selectable_label(cursor == Some(i), text).clicked() {
                        jump = Some(i);
                    }
                }
            });
        jump
    }
}
