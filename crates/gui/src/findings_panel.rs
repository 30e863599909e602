//! The findings under the shown policy, grouped by severity (errors first), then rule, with
//! counts, each group saying what it means; and the reader's diagnostics.

use egui::{RichText, Ui};

use vb2scope_core::check::{CheckReport, FindingGroup};
use vb2scope_core::rules::{Finding, Severity};
use vb2scope_core::time::ms;

use super::document::Document;
use super::palette;

/// Above this many findings in a group, its rows are virtualized.
const MANY_FINDINGS: usize = 200;
/// Up to this many findings in all, every group starts open; above, only errors do.
const FEW_FINDINGS: usize = 50;

/// Shows the findings (`selected` highlighted); returns the one clicked.
pub fn show(ui: &mut Ui, d: &Document, selected: Option<usize>) -> Option<usize> {
    let report = &d.timeline().report;
    ui.heading(format!(
        "Findings ({}) under {}",
        report.findings.len(),
        d.policy
    ));
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("findings")
        .max_height(ui.available_height() * 0.45)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            if report.findings.is_empty() {
                ui.label("Nothing to report under this policy.");
            }
            for g in report.groups() {
                if let Some(k) = group(ui, report, &g, selected) {
                    clicked = Some(k);
                }
            }
        });
    if !d.diagnostics.is_empty() {
        ui.separator();
        ui.strong(format!("Input problems ({})", d.diagnostics.len()));
        for diag in d.diagnostics.iter().take(50) {
            ui.small(diag.to_string());
        }
    }
    clicked
}

/// One group: its headline (open at first for errors, or when there are few findings; open
/// when it holds the selected finding), the rule's meaning, and its findings.
fn group(
    ui: &mut Ui,
    report: &CheckReport,
    g: &FindingGroup,
    selected: Option<usize>,
) -> Option<usize> {
    let holds_selected = selected.is_some_and(|s| g.findings.contains(&s));
    let head = RichText::new(g.headline())
        .color(palette::severity(g.severity))
        .strong();
    let mut clicked = None;
    egui::CollapsingHeader::new(head)
        .id_salt(("finding-group", g.rule, g.severity))
        .default_open(g.severity == Severity::Error || report.findings.len() <= FEW_FINDINGS)
        .open(holds_selected.then_some(true))
        .show(ui, |ui| {
            ui.small(g.meaning());
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
            if g.findings.len() <= MANY_FINDINGS {
                for &k in &g.findings {
                    let Some(f) = report.findings.get(k) else {
                        continue;
                    };
                    if ui
                        .selectable_label(selected == Some(k), text_of(f))
                        .clicked()
                    {
                        clicked = Some(k);
                    }
                }
            } else {
                // Many: one truncated line each, laid out only where visible.
                let row_h = ui.text_style_height(&egui::TextStyle::Button) + 4.0;
                egui::ScrollArea::vertical()
                    .id_salt(("finding-rows", g.rule, g.severity))
                    .max_height(row_h * 12.0)
                    .show_rows(ui, row_h, g.findings.len(), |ui, range| {
                        for &k in g.findings.get(range).unwrap_or(&[]) {
                            let Some(f) = report.findings.get(k) else {
                                continue;
                            };
                            let b = egui::Button::selectable(selected == Some(k), text_of(f))
                                .truncate();
                            if ui.add(b).clicked() {
                                clicked = Some(k);
                            }
                        }
                    });
            }
        });
    clicked
}
