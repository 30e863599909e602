//! What happened at the cursor and why: the event, what the kernel returned against the
//! policy's prediction, the spec sentence, the model's state before and after, and the
//! findings there.

use egui::{RichText, Ui};

use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, info};
use vb2scope_core::time::TimeBase;
use vb2scope_core::trace::Body;
use vb2scope_core::v4l2::Origin;

use super::document::Document;
use super::{describe, palette, state_view, why};

/// The model around the cursor, kept while the cursor and the policy stay.
#[derive(Default)]
pub struct ExplainPanel {
    around: Option<(u32, Policy, state_view::Around)>,
}

impl ExplainPanel {
    /// Forgets what it computed (a new document).
    pub fn reset(&mut self) {
        self.around = None;
    }

    pub fn show(&mut self, ui: &mut Ui, d: &Document, cursor: Option<u32>, tb: &TimeBase) {
        self.refresh(d, cursor);
        egui::ScrollArea::vertical()
            .id_salt("explain")
            .show(ui, |ui| match cursor {
                Some(c) => self.event(ui, d, c, tb),
                None => {
                    ui.label("Select an event, a finding or a lane, or step with the Left and Right arrow keys.");
                }
            });
    }

    /// Recomputes the model's state around the cursor when the cursor or policy moved.
    fn refresh(&mut self, d: &Document, cursor: Option<u32>) {
        let Some(c) = cursor else {
            self.around = None;
            return;
        };
        if self
            .around
            .as_ref()
            .is_some_and(|(sc, p, ..)| *sc == c && *p == d.policy)
        {
            return;
        }
        self.around = Some((
            c,
            d.policy,
            state_view::around(&d.trace, d.policy, &d.timeline().checkpoints, c),
        ));
    }

    fn event(&self, ui: &mut Ui, d: &Document, c: u32, tb: &TimeBase) {
        match d.trace.events.get(c as usize) {
            Some(e) => {
                ui.strong(format!("Event {c} at {}", tb.rel_ns(e.t_ns)));
                ui.small(tb.absolute(e.t_ns));
            }
            None => {
                ui.strong(format!("Event {c}"));
            }
        }
        ui.label(RichText::new(describe::event(&d.trace, c as usize)).monospace());
        egui::CollapsingHeader::new("Decoded fields")
            .default_open(false)
            .show(ui, |ui| {
                egui::Grid::new("fields").num_columns(2).show(ui, |ui| {
                    for (k, v) in describe::fields(&d.trace, c as usize, tb) {
                        ui.small(k);
                        ui.label(RichText::new(v).monospace().small());
                        ui.end_row();
                    }
                });
            });
        observed_vs_predicted(ui, d, c);
        if let Some(w) = why::why(&d.trace, c as usize, d.policy) {
            ui.label(RichText::new("Why").strong());
            ui.label(w.text);
            if let Some(rule) = w.rule {
                let (q, src) = why::quote(rule);
                ui.label(RichText::new(format!("\u{201c}{q}\u{201d}")).italics());
                ui.small(src);
            }
        }
        self.model_state(ui, d);
        findings_at(ui, d, c);
    }

    /// The model's consequences of this step under the chosen policy (a recorded trace's
    /// own inferred events belong to the policy it was recorded under), and its state.
    fn model_state(&self, ui: &mut Ui, d: &Document) {
        let Some((_, _, around)) = &self.around else {
            return;
        };
        if !around.effects.is_empty() {
            ui.label(format!("What vb2 does in turn under {}:", d.policy));
            for f in &around.effects {
                ui.small(f);
            }
        }
        egui::CollapsingHeader::new("Model state before and after")
            .default_open(true)
            .show(ui, |ui| {
                ui.small("before:");
                for l in &around.before {
                    ui.label(RichText::new(l).monospace().small());
                }
                ui.small("after:");
                for l in &around.after {
                    ui.label(RichText::new(l).monospace().small());
                }
            });
    }
}

/// What the kernel returned against what the policy predicts.
fn observed_vs_predicted(ui: &mut Ui, d: &Document, c: u32) {
    let observed_ioctl =
        d.trace.events.get(c as usize).is_some_and(|e| {
            e.origin() == Origin::Observed && matches!(e.body, Body::Ioctl { .. })
        });
    if !observed_ioctl {
        return;
    }
    let diverged = d
        .timeline()
        .report
        .findings
        .iter()
        .find(|f| f.event == c && f.rule == RuleId::Diverge);
    ui.label(match diverged {
        Some(f) => format!("Observed vs predicted: {}", f.message()),
        None => format!("Observed result: as {} predicts.", d.policy),
    });
}

/// Each finding at event `c`, with its rule in full.
fn findings_at(ui: &mut Ui, d: &Document, c: u32) {
    let report = &d.timeline().report;
    for f in report.findings.iter().filter(|f| f.event == c) {
        let r = info(f.rule);
        ui.separator();
        let sev = report.severity(f);
        ui.label(
            RichText::new(format!("{} {}: {}", f.rule, sev.as_str(), r.title))
                .strong()
                .color(palette::severity(sev)),
        );
        ui.label(f.message());
        ui.label(r.explanation);
        ui.label(RichText::new(format!("“{}”", r.quote)).italics());
        ui.small(r.source);
        if let Some(p) = Policy::ALL.iter().position(|p| *p == d.policy)
            && let Some(text) = r.per_policy.get(p)
        {
            ui.small(format!("Under {}: {text}", d.policy));
        }
    }
}
