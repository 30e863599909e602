//! The findings under the shown policy, grouped by severity (errors first), then rule, with
//! counts, each group saying what it means, filtered by rule and queue; and the reader's
//! diagnostics.

use egui::{RichText, Ui};

use vb2scope_core::check::{CheckReport, FindingGroup};
use vb2scope_core::rules::{Finding, RuleId, Severity};
use vb2scope_core::time::TimeBase;
use vb2scope_core::timeline::Timeline;
use vb2scope_core::v4l2::QueueKey;

use super::document::Document;
use super::minimap::DocKey;
use super::palette;

/// Above this many findings in a group, its rows are virtualized.
const MANY_FINDINGS: usize = 200;
/// Up to this many findings in all, every group starts open; above, only errors do.
const FEW_FINDINGS: usize = 50;

/// Which findings are shown: one rule or all (`None`); one queue, the findings on no queue
/// (`Some(None)`), or all (`None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Filter {
    rule: Option<RuleId>,
    queue: Option<Option<QueueKey>>,
}

/// One group of the document, with its findings split by queue once, so that choosing a
/// queue costs no pass over the findings.
struct Group {
    all: FindingGroup,
    by_queue: Vec<(Option<QueueKey>, Vec<usize>)>,
}

/// What the panel computed for one document.
struct Cache {
    key: DocKey,
    groups: Vec<Group>,
    /// The rules present, with their counts; the queues present, with name and count.
    rules: Vec<(RuleId, usize)>,
    queues: Vec<(Option<QueueKey>, String, usize)>,
    /// The groups the filter leaves (none empty), made again only when the filter changes.
    shown: Vec<FindingGroup>,
    shown_for: Filter,
}

impl Cache {
    fn of(tl: &Timeline) -> Cache {
        let report = &tl.report;
        let mut rules: Vec<(RuleId, usize)> = Vec::new();
        let mut queues: std::collections::BTreeMap<Option<QueueKey>, usize> = Default::default();
        let groups: Vec<Group> = report
            .groups()
            .into_iter()
            .map(|g| {
                let mut by: std::collections::BTreeMap<Option<QueueKey>, Vec<usize>> =
                    Default::default();
                for &k in &g.findings {
                    let q = report.findings.get(k).and_then(|f| f.queue);
                    by.entry(q).or_default().push(k);
                }
                for (q, ks) in &by {
                    *queues.entry(*q).or_default() += ks.len();
                }
                match rules.iter_mut().find(|(r, _)| *r == g.rule) {
                    Some((_, n)) => *n += g.findings.len(),
                    None => rules.push((g.rule, g.findings.len())),
                }
                Group {
                    by_queue: by.into_iter().collect(),
                    all: g,
                }
            })
            .collect();
        rules.sort();
        let queues = queues
            .into_iter()
            .map(|(q, n)| (q, q.map_or("no queue".into(), |q| tl.queue_title(q)), n))
            .collect();
        let mut c = Cache {
            key: DocKey::of(tl),
            groups,
            rules,
            queues,
            shown: Vec::new(),
            shown_for: Filter::default(),
        };
        c.refilter(Filter::default());
        c
    }

    fn refilter(&mut self, f: Filter) {
        self.shown = self
            .groups
            .iter()
            .filter(|g| f.rule.is_none_or(|r| r == g.all.rule))
            .filter_map(|g| {
                let Some(q) = f.queue else {
                    return Some(g.all.clone());
                };
                let (_, ks) = g.by_queue.iter().find(|(k, _)| *k == q)?;
                Some(FindingGroup {
                    findings: ks.clone(),
                    ..g.all.clone()
                })
            })
            .collect();
        self.shown_for = f;
    }
}

/// The panel's state: its filters and what it computed for the shown document.
#[derive(Default)]
pub struct FindingsPanel {
    filter: Filter,
    cache: Option<Cache>,
}

impl FindingsPanel {
    /// Shows the findings (`selected` highlighted); returns the one clicked.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        d: &Document,
        selected: Option<usize>,
        tb: &TimeBase,
    ) -> Option<usize> {
        let tl = d.timeline();
        let report = &tl.report;
        ui.heading(format!(
            "Findings ({}) under {}",
            report.findings.len(),
            d.policy
        ));
        let key = DocKey::of(tl);
        if self.cache.as_ref().is_none_or(|c| c.key != key) {
            self.cache = Some(Cache::of(tl));
        }
        let Some(cache) = &mut self.cache else {
            return None;
        };
        if cache.rules.len() > 1 || cache.queues.len() > 1 || self.filter != Filter::default() {
            filters(ui, cache, &mut self.filter);
        }
        if cache.shown_for != self.filter {
            cache.refilter(self.filter);
        }
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .id_salt("findings")
            .max_height(ui.available_height() * 0.45)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if d.trace.cut {
                    ui.label(format!(
                        "The first {} events only: a part of a trace is drawn, not judged. \
                         The whole trace is judged once it is read.",
                        d.trace.events.len()
                    ));
                } else if report.findings.is_empty() {
                    ui.label("Nothing to report under this policy.");
                } else if cache.shown.is_empty() {
                    ui.label("No finding matches the filters.");
                }
                for g in &cache.shown {
                    if let Some(k) = group(ui, report, g, selected, tb) {
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
}

/// The rule and queue filters, each listing what the document holds, with counts.
fn filters(ui: &mut Ui, cache: &Cache, f: &mut Filter) {
    let total: usize = cache.rules.iter().map(|(_, n)| n).sum();
    ui.horizontal(|ui| {
        let rule_text = match f.rule {
            None => format!("All rules ({total})"),
            Some(r) => format!("{r}"),
        };
        egui::ComboBox::from_label("Rule")
            .selected_text(rule_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.rule, None, format!("All rules ({total})"));
                for &(r, n) in &cache.rules {
                    ui.selectable_value(&mut f.rule, Some(r), format!("{r} ({n})"));
                }
            });
        let queue_text = match f.queue {
            None => "All queues".to_owned(),
            Some(q) => cache
                .queues
                .iter()
                .find(|(k, _, _)| *k == q)
                .map_or("a queue without findings".into(), |(_, name, _)| {
                    name.clone()
                }),
        };
        // Not "Queue": the event table has a filter of that name.
        egui::ComboBox::from_label("On queue")
            .selected_text(queue_text)
            .width(180.0)
            .truncate()
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.queue, None, "All queues");
                for (q, name, n) in &cache.queues {
                    ui.selectable_value(&mut f.queue, Some(*q), format!("{name} ({n})"));
                }
            });
        let shown: usize = cache.shown.iter().map(|g| g.findings.len()).sum();
        if *f != Filter::default() && cache.shown_for == *f {
            ui.weak(format!("{shown} shown"));
        }
    });
}

/// One group: its headline (open at first for errors, or when there are few findings; open
/// when it holds the selected finding), the rule's meaning, and its findings.
fn group(
    ui: &mut Ui,
    report: &CheckReport,
    g: &FindingGroup,
    selected: Option<usize>,
    tb: &TimeBase,
) -> Option<usize> {
    // Indices are in ascending order: a search, not a pass over a million findings a frame.
    let holds_selected = selected.is_some_and(|s| g.findings.binary_search(&s).is_ok());
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
                    "{} {} {}: {}",
                    f.rule,
                    sev.as_str(),
                    tb.rel(f.t_ns),
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
