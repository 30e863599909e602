//! The desktop inspector's widgets and state. It takes bytes, not files: opening files,
//! the window and screenshots live in the binary (`cli/gui.rs`).

mod describe;
mod document;
mod events_panel;
mod live;
mod live_panel;
mod loader;
pub(crate) mod palette;
mod state_view;
mod timeline_view;
mod why;

pub use document::{Document, PolicyChoice};
pub use live::{LiveSession, Log, LogKind, Streaming};
pub use live_panel::{Form, LivePanel, SourceKind};
pub use loader::Loader;

pub use timeline_view::{View, show as show_timeline};

use egui::{RichText, Ui};

use vb2scope_core::rules::info;

/// Above this many findings, the list shows one truncated line each, virtualized.
const MANY_FINDINGS: usize = 200;

/// Traces with more events than this are re-evaluated in the background.
const BIG_TRACE: usize = 200_000;

/// Something the window asks of the program around it (which owns files and dialogs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Show the native file dialog and open what the user picks.
    OpenDialog,
    /// Open a file from the recent list.
    Open(String),
    /// Ask where to save a live recording (`name` is the suggested file name) and write
    /// `bytes`, a native trace, there.
    SaveRecording { name: String, bytes: Vec<u8> },
}

/// Everything the window shows.
pub struct Inspector {
    pub doc: Result<Document, String>,
    pub choice: PolicyChoice,
    pub view: View,
    /// The selected event: the step cursor.
    pub cursor: Option<u32>,
    pub lane: Option<usize>,
    pub finding: Option<usize>,
    pub show_help: bool,
    pub filter: events_panel::EventFilter,
    /// A document loading in the background; the current one stays shown meanwhile.
    pub loading: Option<Loader>,
    /// Recently opened files, newest first (kept by the program around the window).
    pub recent: Vec<String>,
    /// What the user asked for this frame that the window cannot do itself.
    pub requests: Vec<Request>,
    /// The Live panel and its device session, which outlive the documents shown.
    pub live: LivePanel,
    /// The model around the cursor: (cursor, policy, what it shows).
    state_at: Option<(u32, vb2scope_core::policy::Policy, state_view::Around)>,
}

impl Inspector {
    /// Opens `bytes` named `name` (a trace, or a scenario when the name ends in `.vb2s`).
    pub fn open(name: &str, bytes: &[u8], choice: PolicyChoice) -> Inspector {
        let doc = Document::load(name, bytes, choice);
        let view = match &doc {
            Ok(d) => View::fit(&d.timeline),
            Err(_) => View { t0: 0.0, t1: 1.0 },
        };
        Inspector {
            doc,
            view,
            ..Inspector::failed(String::new(), choice)
        }
    }

    /// A window that shows why an input could not be opened.
    pub fn failed(message: String, choice: PolicyChoice) -> Inspector {
        Inspector {
            doc: Err(message),
            choice,
            view: View { t0: 0.0, t1: 1.0 },
            cursor: None,
            lane: None,
            finding: None,
            show_help: false,
            filter: Default::default(),
            loading: None,
            recent: Vec::new(),
            requests: Vec::new(),
            live: LivePanel::default(),
            state_at: None,
        }
    }

    /// Shows why an input could not be opened, keeping the recent files and the Live panel.
    pub fn fail(&mut self, message: String) {
        let recent = std::mem::take(&mut self.recent);
        let mut live = std::mem::take(&mut self.live);
        live.shown = false;
        *self = Inspector {
            recent,
            live,
            ..Inspector::failed(message, self.choice)
        };
    }

    /// Re-evaluates under another policy: at once for small traces, in the background (with
    /// progress) for big ones, so the window stays responsive.
    pub fn set_policy(&mut self, choice: PolicyChoice) {
        self.choice = choice;
        self.finding = None;
        let big = self
            .doc
            .as_ref()
            .is_ok_and(|d| d.trace.events.len() > BIG_TRACE);
        if big && self.loading.is_none() {
            let doc = std::mem::replace(&mut self.doc, Err(String::new()));
            if let Ok(d) = doc {
                self.loading = Some(Loader::repolicy(d, choice));
            }
        } else if let Ok(d) = &mut self.doc {
            d.set_policy(choice);
        }
    }

    /// Moves the cursor `delta` events, skipping the model's inferred consequences.
    pub fn step(&mut self, delta: i64) {
        let Ok(d) = &self.doc else { return };
        let n = d.trace.events.len() as i64;
        if n == 0 {
            return;
        }
        let mut i = self
            .cursor
            .map(i64::from)
            .unwrap_or(if delta > 0 { -1 } else { n });
        loop {
            i += delta.signum();
            if i < 0 || i >= n {
                return;
            }
            let inferred = d
                .trace
                .events
                .get(i as usize)
                .is_some_and(|e| e.origin == vb2scope_core::v4l2::Origin::Inferred);
            if !inferred {
                break;
            }
        }
        self.cursor = Some(i as u32);
        self.finding = None;
        self.follow_cursor();
    }

    pub fn select_finding(&mut self, k: usize) {
        let Ok(d) = &self.doc else { return };
        let Some(f) = d.timeline.report.findings.get(k) else {
            return;
        };
        self.finding = Some(k);
        self.cursor = Some(f.event);
        self.lane = d
            .timeline
            .lanes
            .iter()
            .position(|l| Some(l.queue) == f.queue && Some(l.index) == f.index);
        self.follow_cursor();
    }

    /// Centers the cursor with a window of about twenty events around it.
    pub fn zoom_to_cursor(&mut self) {
        let Ok(d) = &self.doc else { return };
        let Some(c) = self.cursor else { return };
        let times = &d.timeline.event_times;
        let lo = times
            .get((c as usize).saturating_sub(10))
            .copied()
            .unwrap_or(0) as f64;
        let hi = times
            .get((c as usize + 10).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64;
        let pad = ((hi - lo) * 0.1).max(2_000.0);
        self.view = View {
            t0: lo - pad,
            t1: hi + pad,
        };
    }

    /// Keeps the cursor inside the visible window.
    fn follow_cursor(&mut self) {
        let Ok(d) = &self.doc else { return };
        let Some(t) = self.cursor.and_then(|c| d.timeline.event_time(c)) else {
            return;
        };
        let t = t as f64;
        if t < self.view.t0 || t > self.view.t1 {
            let w = self.view.t1 - self.view.t0;
            self.view = View {
                t0: t - w / 2.0,
                t1: t + w / 2.0,
            };
        }
    }

    /// Starts loading another input in the background.
    pub fn open_in_background(&mut self, name: String, bytes: Vec<u8>) {
        if let Some(l) = self.loading.take() {
            l.cancel();
        }
        self.loading = Some(Loader::spawn(name, bytes, self.choice));
    }

    /// Takes the background load's result once it is there.
    fn poll_loading(&mut self, ui: &mut Ui) {
        let Some(l) = &self.loading else { return };
        match l.poll() {
            None => {
                let (stage, done) = l.progress.get();
                let name = l.name.clone();
                let same = l.same_document;
                let mut cancel = false;
                egui::Window::new("Loading")
                    .collapsible(false)
                    .resizable(false)
                    .show(ui.ctx(), |ui| {
                        ui.label(format!("{name}: {stage}"));
                        ui.add(egui::ProgressBar::new(done).show_percentage());
                        // Re-evaluation holds the only copy of the document: it runs to its end.
                        if !same {
                            cancel = ui.button("Cancel").clicked();
                        }
                    });
                if cancel {
                    l.cancel();
                }
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(50));
            }
            Some(Err(e)) if e.ends_with("cancelled") => self.loading = None,
            Some(result) if l.same_document => {
                self.loading = None;
                self.state_at = None;
                self.doc = result;
            }
            Some(result) => {
                self.loading = None;
                let choice = self.choice;
                let recent = std::mem::take(&mut self.recent);
                // A live session records on; the window shows the file.
                let mut live = std::mem::take(&mut self.live);
                live.shown = false;
                *self = Inspector {
                    doc: result,
                    recent,
                    live,
                    ..Inspector::failed(String::new(), choice)
                };
                if let Ok(d) = &self.doc {
                    self.view = View::fit(&d.timeline);
                }
            }
        }
    }

    /// Takes a live session's updates and, a few times a second, shows its recording.
    fn poll_live(&mut self, ctx: &egui::Context) {
        let Some(s) = &mut self.live.session else {
            return;
        };
        if s.drain(&mut self.live.log) {
            ctx.request_repaint();
        } else if s.running() || s.rebuilding() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        // A background re-evaluation holds the document: the recording waits for it.
        if !self.live.shown || self.loading.is_some() {
            return;
        }
        let Some((doc, built_for)) = s.poll_document(self.choice, std::time::Instant::now()) else {
            return;
        };
        if built_for == self.choice {
            self.show_live(doc);
        } else {
            // The policy changed while it was being built.
            s.touch();
        }
    }

    /// Replaces the shown document by a newer one of the live recording.
    fn show_live(&mut self, doc: Document) {
        let same_policy = self.doc.as_ref().is_ok_and(|d| d.policy == doc.policy);
        if std::mem::take(&mut self.live.replaced) {
            self.cursor = None;
            self.lane = None;
            self.finding = None;
            self.state_at = None;
            self.live.follow = true;
            self.live.followed = None;
        } else if !same_policy {
            // `auto` may change its mind as events arrive: findings are numbered anew.
            self.finding = None;
        }
        // The user zoomed or panned since the view was last set: leave it alone.
        if self.live.followed.is_some_and(|v| v != self.view) {
            self.live.follow = false;
        }
        if self.live.follow {
            self.view = live::follow_view(&doc.timeline);
            self.live.followed = Some(self.view);
        }
        self.doc = Ok(doc);
    }

    /// The whole window's contents.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.poll_loading(ui);
        self.poll_live(ui.ctx());
        egui::Panel::top("toolbar").show(ui, |ui| {
            self.toolbar(ui);
            Self::legend(ui);
        });
        if self.live.open {
            let r = egui::Panel::left("live")
                .default_size(340.0)
                .resizable(true)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("live-panel")
                        .show(ui, |ui| self.live.ui(ui))
                        .inner
                });
            self.requests.extend(r.inner);
        }
        if let Err(e) = &self.doc {
            let loading = self.loading.as_ref().map(|l| l.name.clone());
            egui::CentralPanel::default().show(ui, |ui| match loading {
                Some(name) => {
                    ui.heading(format!("Loading {name}"));
                }
                None => {
                    ui.heading("This input cannot be shown");
                    ui.label(RichText::new(e).monospace());
                }
            });
            return;
        }
        egui::Panel::right("side")
            .default_size(380.0)
            .show(ui, |ui| self.side(ui));
        egui::Panel::bottom("events")
            .default_size(170.0)
            .resizable(true)
            .show(ui, |ui| self.events(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let Ok(d) = &self.doc else { return };
            egui::ScrollArea::vertical().show(ui, |ui| {
                let picked =
                    timeline_view::show(ui, &d.timeline, &mut self.view, self.cursor, self.lane);
                if picked.event.is_some() {
                    self.cursor = picked.event;
                    self.lane = picked.lane;
                    self.finding = None;
                }
            });
        });
        if self.show_help {
            egui::Window::new("Keyboard")
                .collapsible(false)
                .show(ui.ctx(), |ui| {
                    for (k, what) in [
                        ("W / S, wheel, pinch", "zoom in / out"),
                        ("A / D, drag", "pan"),
                        ("F", "fit the whole trace"),
                        ("Left / Right arrow", "step back / forward one event"),
                        ("?", "this help"),
                    ] {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(k).strong());
                            ui.label(what);
                        });
                    }
                });
        }
        // In a text field the arrows move the caret and `?` is a character.
        let typing = ui.ctx().text_edit_focused();
        let (back, fwd, help) = ui.input(|i| {
            (
                !typing && i.key_pressed(egui::Key::ArrowLeft),
                !typing && i.key_pressed(egui::Key::ArrowRight),
                !typing && i.key_pressed(egui::Key::Questionmark),
            )
        });
        if back {
            self.step(-1);
        }
        if fwd {
            self.step(1);
        }
        if help {
            self.show_help = !self.show_help;
        }
    }

    fn toolbar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.strong("vb2scope");
            ui.menu_button("File", |ui| {
                if ui.button("Open…").clicked() {
                    self.requests.push(Request::OpenDialog);
                    ui.close();
                }
                if ui.button("Live device…").clicked() {
                    self.live.open = true;
                    ui.close();
                }
                if !self.recent.is_empty() {
                    ui.separator();
                    ui.label("Recent");
                    for r in &self.recent {
                        if ui.button(r).clicked() {
                            self.requests.push(Request::Open(r.clone()));
                            ui.close();
                        }
                    }
                }
            });
            if let Ok(d) = &self.doc {
                ui.label(&d.name);
            }
            ui.separator();
            let mut choice = self.choice;
            egui::ComboBox::from_label("Policy")
                .selected_text(choice.label())
                .show_ui(ui, |ui| {
                    for c in PolicyChoice::all() {
                        ui.selectable_value(&mut choice, c, c.label());
                    }
                });
            if choice != self.choice {
                self.set_policy(choice);
            }
            if let Ok(d) = &self.doc
                && self.choice == PolicyChoice::Auto
            {
                ui.label(format!("(auto chose {})", d.policy))
                    .on_hover_text(d.reason.clone().unwrap_or_default());
            }
            ui.separator();
            if ui.button("Fit").clicked()
                && let Ok(d) = &self.doc
            {
                self.view = View::fit(&d.timeline);
            }
            if ui.button("< Step back").clicked() {
                self.step(-1);
            }
            if ui.button("Step forward >").clicked() {
                self.step(1);
            }
            if ui.button("?").on_hover_text("Keyboard shortcuts").clicked() {
                self.show_help = !self.show_help;
            }
            let dark = ui.ctx().theme() == egui::Theme::Dark;
            if ui
                .button(if dark { "Light theme" } else { "Dark theme" })
                .clicked()
            {
                ui.ctx().set_theme(if dark {
                    egui::Theme::Light
                } else {
                    egui::Theme::Dark
                });
            }
            if ui
                .button("Zoom to event")
                .on_hover_text("Center the selected event, zoomed in")
                .clicked()
            {
                self.zoom_to_cursor();
            }
        });
    }

    /// What the colors mean.
    fn legend(ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.small("states:");
            for s in palette::STATES {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, palette::state(s));
                ui.small(s.as_str());
            }
            ui.separator();
            ui.small("held:");
            for r in vb2scope_core::timeline::Resource::ALL {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 7.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 0.0, palette::resource(r));
                ui.small(r.as_str());
            }
            ui.small("(filled: observed by the kernel, outlined: inferred by the model; a dashed tie: the trace has no fd or address for it)");
        });
    }

    fn side(&mut self, ui: &mut Ui) {
        let Ok(d) = &self.doc else { return };
        let report = &d.timeline.report;
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
        let text_of = |f: &vb2scope_core::rules::Finding| {
            let sev = report.severity(f);
            RichText::new(format!(
                "{} {} {:.3} ms: {}",
                f.rule,
                sev.as_str(),
                f.t_ns as f64 / 1e6,
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
                        .selectable_label(self.finding == Some(k), text_of(f))
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
                    let b =
                        egui::Button::selectable(self.finding == Some(k), text_of(f)).truncate();
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
        ui.separator();
        self.refresh_state();
        self.explain(ui);
        if let Some(k) = clicked {
            self.select_finding(k);
        }
    }

    /// Recomputes the model's state around the cursor when the cursor or policy moved.
    fn refresh_state(&mut self) {
        let Ok(d) = &self.doc else { return };
        let Some(c) = self.cursor else {
            self.state_at = None;
            return;
        };
        if self
            .state_at
            .as_ref()
            .is_some_and(|(sc, p, ..)| *sc == c && *p == d.policy)
        {
            return;
        }
        self.state_at = Some((c, d.policy, state_view::around(&d.trace, d.policy, c)));
    }

    /// What happened at the cursor, and why.
    fn explain(&self, ui: &mut Ui) {
        let Ok(d) = &self.doc else { return };
        egui::ScrollArea::vertical().id_salt("explain").show(ui, |ui| {
            let Some(c) = self.cursor else {
                ui.label("Select an event, a finding or a lane, or step with the Left and Right arrow keys.");
                return;
            };
            ui.strong(format!("Event {c}"));
            ui.label(RichText::new(describe::event(&d.trace, c as usize)).monospace());
            egui::CollapsingHeader::new("Decoded fields").default_open(false).show(ui, |ui| {
                egui::Grid::new("fields").num_columns(2).show(ui, |ui| {
                    for (k, v) in describe::fields(&d.trace, c as usize) {
                        ui.small(k);
                        ui.label(RichText::new(v).monospace().small());
                        ui.end_row();
                    }
                });
            });
            // What the kernel returned against what the policy predicts.
            let observed = d.trace.events.get(c as usize).is_some_and(|e| e.origin == vb2scope_core::v4l2::Origin::Observed);
            if observed && matches!(d.trace.events.get(c as usize).map(|e| &e.body), Some(vb2scope_core::trace::Body::Ioctl { .. })) {
                let diverged = d.timeline.report.findings.iter().find(|f| f.event == c && f.rule == vb2scope_core::rules::RuleId::Diverge);
                ui.label(match diverged {
                    Some(f) => format!("Observed vs predicted: {}", f.message()),
                    None => format!("Observed result: as {} predicts.", d.policy),
                });
            }
            if let Some(w) = why::why(&d.trace, c as usize, d.policy) {
                ui.label(RichText::new("Why").strong());
                ui.label(w.text);
                if let Some(rule) = w.rule {
                    let (q, src) = why::quote(rule);
                    ui.label(RichText::new(format!("\u{201c}{q}\u{201d}")).italics());
                    ui.small(src);
                }
            }
            // The model's consequences of this step under the chosen policy (a recorded
            // trace's own inferred events belong to the policy it was recorded under).
            if let Some((_, _, around)) = &self.state_at
                && !around.effects.is_empty()
            {
                ui.label(format!("What vb2 does in turn under {}:", d.policy));
                for f in &around.effects {
                    ui.small(f);
                }
            }
            if let Some((_, _, state_view::Around { before, after, .. })) = &self.state_at {
                egui::CollapsingHeader::new("Model state before and after").default_open(true).show(ui, |ui| {
                    ui.small("before:");
                    for l in before {
                        ui.label(RichText::new(l).monospace().small());
                    }
                    ui.small("after:");
                    for l in after {
                        ui.label(RichText::new(l).monospace().small());
                    }
                });
            }
            for (k, f) in d.timeline.report.findings.iter().enumerate().filter(|(_, f)| f.event == c) {
                let r = info(f.rule);
                ui.separator();
                let sev = d.timeline.report.severity(f);
                ui.label(RichText::new(format!("{} {}: {}", f.rule, sev.as_str(), r.title)).strong().color(palette::severity(sev)));
                ui.label(f.message());
                ui.label(r.explanation);
                ui.label(RichText::new(format!("“{}”", r.quote)).italics());
                ui.small(r.source);
                if let Some(p) = vb2scope_core::policy::Policy::ALL.iter().position(|p| *p == d.policy)
                    && let Some(text) = r.per_policy.get(p) {
                        ui.small(format!("Under {}: {text}", d.policy));
                    }
                let _ = k;
            }
        });
    }

    fn events(&mut self, ui: &mut Ui) {
        let Ok(d) = &self.doc else { return };
        if let Some(c) = self.filter.ui(ui, d, self.cursor) {
            self.cursor = Some(c);
            self.finding = None;
            self.follow_cursor();
        }
    }
}
