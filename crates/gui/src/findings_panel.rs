//! The findings under the shown policy, and the reader's diagnostics.

use egui::{RichText, Ui};

use vb2scope_core::rules::Finding;
use vb2scope_core::time::ms;

use super::document::Document;
use super::palette;

/// Above this many findings, the list shows one truncated line each, virtualized.
const MANY_FINDINGS: usize = 200;

/// Shows the findings (`selected` highlighted); returns the one clicked.
pub fn show(ui: &mut Ui, d: &Document, selected: Option<usize>) -> Option<usize> {
    let report = &d.timeline().report;
    ui.heading(format!(
        "Findings ({}) under {}",
        report.findings.len(),
        d.policy
    ));
    let mut clicked = None;
    let area = egui::ScrollArea::vertical()
        .id_salt("findings")
        .max_height(ui.available_height() * 0.45)
        .auto_shrink([false, true]);
    let text_of = |f: &Finding| {
        let sev = report.severity(f);
        RichText::new(format!(
            "{} {} {} ms: {}",
            f.rule,
            sev.as_str(),
            ms(f.t_ns),
            f.message()
        ))
        .color(palette::severity(sev))
    };
    if report.findings.len() <= MANY_FINDINGS {
        area.show(ui, |ui| {
            if report.findings.is_empty() {
                ui.label("Nothing to report under this policy.");
            }
            for (k, f) in report.findings.iter().enumerate() {
                if ui
                    .selectable_label(selected == Some(k), text_of(f))
                    .clicked()
                {
                    clicked = Some(k);
                }
            }
        });
    } else {
        // Many findings: one truncated line each, laid out only where visible.
        let row_h = ui.text_style_height(&egui::TextStyle::Button) + 4.0;
        area.show_rows(ui, row_h, report.findings.len(), |ui, range| {
            for k in range {
                let Some(f) = report.findings.get(k) else {
                    continue;
                };
                let b = egui::Button::selectable(selected == Some(k), text_of(f)).truncate();
                if ui.add(b).clicked() {
                    clicked = Some(k);
                }
            }
        });
    }
    if !d.diagnostics.is_empty() {
        ui.separator();
        ui.strong(format!("Input problems ({})", d.diagnostics.len()));
        for diag in d.diagnostics.iter().take(50) {
            ui.small(diag.to_string());
        }
    }
    clicked
}
