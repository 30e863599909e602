//! The inspector: what is shown (a document, a load in progress, or why nothing can be),
//! the view and selection on it, and the panels around the timeline.

use egui::{RichText, Ui};

use super::document::{Document, LoadError, PolicyChoice};
use super::events_panel::EventFilter;
use super::explain_panel::ExplainPanel;
use super::live_panel::LivePanel;
use super::loader::{Loaded, Loader};
use super::selection::{Selection, zoom_to};
use super::timeline_view::{self, View};
use super::toolbar::{self, Action};
use super::{BIG_TRACE, Request, findings_panel, live};
use vb2scope_core::time::Origin;

mod comparing;
mod editing;

pub use editing::DeviceRun;

/// What the central area shows.
#[derive(Debug)]
enum Shown {
    /// Nothing yet (a load may be on its way).
    Nothing,
    Document(Box<Document>),
    /// The live session's recording, growing.
    Live,
    /// Why the input could not be shown.
    Failed(LoadError),
}

/// Everything the window shows.
pub struct Inspector {
    shown: Shown,
    choice: PolicyChoice,
    view: View,
    /// Where every time shown counts from.
    origin: Origin,
    /// The dma-buf under the pointer: highlighted on every lane that held it.
    lit_dmabuf: Option<vb2scope_core::model::DmabufId>,
    selection: Selection,
    show_help: bool,
    filter: EventFilter,
    /// A document loading in the background; the current one stays shown meanwhile.
    loading: Option<Loader>,
    /// Recently opened files, newest first (kept by the program around the window).
    recent: Vec<String>,
    /// What the user asked for that the window cannot do itself.
    requests: Vec<Request>,
    /// The Live panel and its device session, which outlive the documents shown.
    live: LivePanel,
    explain: ExplainPanel,
    /// The lesson followed (Help → Lessons), beside its scenario.
    lesson: super::lesson_panel::LessonPanel,
    /// The scenario editor (File → Scenario editor).
    editor: super::editor_panel::EditorPanel,
    /// A second document compared with the one shown (File → Compare…).
    compare: Option<super::compare::Compare>,
    /// Why the last comparison could not be made.
    compare_error: Option<String>,
    /// The editor's scenario being run on a device, on its own thread.
    device_run: Option<std::sync::mpsc::Receiver<DeviceRun>>,
    findings: findings_panel::FindingsPanel,
    minimap: super::minimap::Minimap,
    /// Why the last policy change could not be made (the document stays as it was).
    policy_error: Option<LoadError>,
}

impl Inspector {
    /// A window showing nothing yet, judging what it will show under `choice`.
    pub fn empty(choice: PolicyChoice) -> Inspector {
        Inspector {
            shown: Shown::Nothing,
            choice,
            view: View { t0: 0.0, t1: 1.0 },
            origin: Origin::default(),
            lit_dmabuf: None,
            selection: Selection::default(),
            show_help: false,
            filter: EventFilter::default(),
            loading: None,
            recent: Vec::new(),
            requests: Vec::new(),
            live: LivePanel::default(),
            explain: ExplainPanel::default(),
            lesson: Default::default(),
            editor: Default::default(),
            compare: None,
            compare_error: None,
            device_run: None,
            findings: Default::default(),
            minimap: Default::default(),
            policy_error: None,
        }
    }

    /// Opens `bytes` named `name` (a trace, or a scenario when the name ends in `.vb2s`).
    pub fn open(name: &str, bytes: &[u8], choice: PolicyChoice) -> Inspector {
        let mut i = Inspector::empty(choice);
        i.offer_lesson(name, bytes);
        i.show_result(Document::load(name, bytes, choice));
        i
    }

    /// Shows why an input could not be opened, keeping the recent files and the Live panel
    /// (a load on its way is given up).
    pub fn fail(&mut self, error: LoadError) {
        if let Some(l) = self.loading.take() {
            l.cancel();
        }
        self.show_result(Err(error));
    }

    /// The document shown, if any.
    pub fn document(&self) -> Option<&Document> {
        shown_document(&self.shown, &self.live)
    }

    /// Why nothing is shown, if that is the case.
    pub fn error(&self) -> Option<&LoadError> {
        match &self.shown {
            Shown::Failed(e) => Some(e),
            _ => None,
        }
    }

    pub fn choice(&self) -> PolicyChoice {
        self.choice
    }
    pub fn view(&self) -> View {
        self.view
    }
    /// The dma-buf highlighted on every lane (the one under the pointer).
    pub fn lit_dmabuf(&self) -> Option<vb2scope_core::model::DmabufId> {
        self.lit_dmabuf
    }
    /// Where times count from.
    pub fn origin(&self) -> Origin {
        self.origin
    }
    pub fn view_mut(&mut self) -> &mut View {
        &mut self.view
    }
    pub fn selection(&self) -> Selection {
        self.selection
    }
    /// Puts the step cursor on an event (`None`: no event selected).
    pub fn set_cursor(&mut self, cursor: Option<u32>) {
        self.selection.cursor = cursor;
        self.selection.finding = None;
    }
    /// Why the last policy change could not be made, if it could not.
    pub fn policy_error(&self) -> Option<&LoadError> {
        self.policy_error.as_ref()
    }
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Whether a document is shown (while loading: a preview of the input).
    pub fn shows_document(&self) -> bool {
        self.document().is_some()
    }
    pub fn recent(&self) -> &[String] {
        &self.recent
    }
    pub fn recent_mut(&mut self) -> &mut Vec<String> {
        &mut self.recent
    }
    /// What the user asked for that the program around the window must do.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }
    pub fn live(&self) -> &LivePanel {
        &self.live
    }
    pub fn live_mut(&mut self) -> &mut LivePanel {
        &mut self.live
    }
    /// Shows a new load's result: a new document starts with a fitted view and no
    /// selection. A live session records on; the window shows the file.
    fn show_result(&mut self, result: Result<Document, LoadError>) {
        self.compare = None;
        self.selection = Selection::default();
        self.show_help = false;
        self.filter = EventFilter::default();
        self.explain.reset();
        self.policy_error = None;
        self.live.shown = false;
        self.view = match &result {
            Ok(d) => View::fit(d.timeline()),
            Err(_) => View { t0: 0.0, t1: 1.0 },
        };
        self.shown = match result {
            Ok(d) => Shown::Document(Box::new(d)),
            Err(e) => Shown::Failed(e),
        };
    }

    /// Re-evaluates under another policy: at once for small traces, in the background (with
    /// progress) for big ones, so the window stays responsive.
    /// A policy the input cannot be judged under (a scenario that cannot run there) leaves the
    /// document and the choice as they were, and says why.
    pub fn set_policy(&mut self, choice: PolicyChoice) {
        // A comparison is of A under the policy it was made with.
        self.compare = None;
        self.choice = choice;
        self.selection.finding = None;
        self.policy_error = None;
        if self.loading.as_ref().is_some_and(|l| !l.same_document) {
            // An input is loading (a preview may be shown): its result is judged under the
            // new choice when it comes.
            return;
        }
        if matches!(self.shown, Shown::Live) {
            // The live session judges its recording again under it.
            return;
        }
        let big = self
            .document()
            .is_some_and(|d| d.trace.events.len() > BIG_TRACE);
        if big && self.loading.is_none() {
            if let Shown::Document(d) = std::mem::replace(&mut self.shown, Shown::Nothing) {
                self.loading = Some(Loader::repolicy(*d, choice));
            }
        } else if let Shown::Document(d) = &mut self.shown
            && let Err(e) = d.set_policy(choice)
        {
            self.choice = d.choice;
            self.policy_error = Some(e);
        }
    }

    /// Moves the cursor `delta` events, skipping the model's inferred consequences.
    pub fn step(&mut self, delta: i64) {
        if let Some(d) = shown_document(&self.shown, &self.live) {
            self.selection.step(d, &mut self.view, delta);
        }
    }

    pub fn select_finding(&mut self, k: usize) {
        if let Some(d) = shown_document(&self.shown, &self.live) {
            self.selection.select_finding(d, &mut self.view, k);
        }
    }

    /// Centers the cursor with a window of about twenty events around it.
    pub fn zoom_to_cursor(&mut self) {
        if let Some(v) = self
            .document()
            .and_then(|d| zoom_to(self.selection.cursor, d))
        {
            self.view = v;
        }
    }

    /// Starts loading another input in the background. A scenario is also what the editor
    /// edits from now on.
    pub fn open_in_background(&mut self, name: String, bytes: Vec<u8>) {
        if let Some(l) = self.loading.take() {
            l.cancel();
        }
        if name.ends_with(".vb2s")
            && let Ok(text) = std::str::from_utf8(&bytes)
        {
            self.editor.set_source(&name, text);
        }
        self.offer_lesson(&name, &bytes);
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
                    // Only the progress bar moves: the loader wakes the window when done.
                    .request_repaint_after(std::time::Duration::from_millis(100));
            }
            Some(Loaded::Preview(d)) => {
                // Shown at once; the load goes on, and its result replaces it.
                if !l.same_document {
                    self.show_result(Ok(*d));
                    ui.ctx().request_repaint();
                }
            }
            Some(Loaded::Done(Err(e))) if e.is_cancelled() => self.loading = None,
            Some(Loaded::Kept(d, e)) => {
                self.loading = None;
                self.choice = d.choice;
                self.policy_error = Some(e);
                self.shown = Shown::Document(d);
            }
            Some(Loaded::Done(result)) if l.same_document => {
                self.loading = None;
                self.explain.reset();
                self.shown = match result {
                    Ok(d) => Shown::Document(d),
                    Err(e) => Shown::Failed(e),
                };
            }
            Some(Loaded::Done(Ok(d))) if d.choice != self.choice => {
                // Another policy was chosen while it loaded: judged again under it (the
                // preview, if any, stays shown meanwhile).
                self.view = View::fit(d.timeline());
                self.loading = Some(Loader::repolicy(*d, self.choice));
            }
            Some(Loaded::Done(result)) => {
                self.loading = None;
                self.show_result(result.map(|d| *d));
            }
        }
        // Whatever loads now (this one, or a re-evaluation it started) wakes the window when
        // done: an idle window may get no other frame. One done before this is seen by the
        // progress bar's next repaint.
        if let Some(l) = &self.loading {
            l.wake(ui.ctx());
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
        let refresh = s.poll_document(self.choice, std::time::Instant::now());
        let recorded = !s.trace().events.is_empty();
        let first = !matches!(self.shown, Shown::Live);
        if recorded && (refresh != live::Refresh::None || first) {
            self.show_live(refresh);
        }
    }

    /// Shows the live recording as it is now.
    fn show_live(&mut self, refresh: live::Refresh) {
        if std::mem::take(&mut self.live.replaced) {
            self.selection = Selection::default();
            self.explain.reset();
            self.live.follow = true;
            self.live.followed = None;
        } else if refresh == live::Refresh::Rejudged {
            // Judged again (another policy, or `auto` changed its mind): findings are
            // numbered anew.
            self.selection.finding = None;
        }
        // The user zoomed or panned since the view was last set: leave it alone.
        if self.live.followed.is_some_and(|v| v != self.view) {
            self.live.follow = false;
        }
        self.shown = Shown::Live;
        let newest = self
            .live
            .session
            .as_ref()
            .map(|s| live::follow_view(s.document().timeline()));
        if let Some(v) = newest.filter(|_| self.live.follow) {
            self.view = v;
            self.live.followed = Some(v);
        }
    }

    fn act(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::OpenDialog => self.requests.push(Request::OpenDialog),
                Action::OpenRecent(r) => self.requests.push(Request::Open(r)),
                Action::ShowLive(tab) => {
                    self.live.open = true;
                    self.live.tab = tab;
                }
                Action::Policy(c) => self.set_policy(c),
                Action::Fit => {
                    if let Some(d) = self.document() {
                        self.view = View::fit(d.timeline());
                    }
                }
                Action::FitAll => {
                    if let Some(d) = self.document() {
                        self.view = View::fit_all(d.timeline());
                    }
                }
                Action::Step(n) => self.step(n),
                Action::ToggleHelp => self.show_help = !self.show_help,
                Action::Origin(o) => self.origin = o,
                Action::ZoomToCursor => self.zoom_to_cursor(),
                Action::OpenLesson(k) => self.open_lesson(k),
                Action::ToggleEditor => self.editor.open = !self.editor.open,
                Action::CompareDialog => self.requests.push(Request::OpenToCompare),
                Action::ComparePolicy(c) => self.compare_policy(c),
                Action::StopCompare => {
                    self.compare = None;
                    self.compare_error = None;
                }
                Action::NextDifference(n) => self.step_difference(n),
            }
        }
    }

    /// A scenario that narrates its steps opens with its lesson beside it.
    fn offer_lesson(&mut self, name: &str, bytes: &[u8]) {
        if name.ends_with(".vb2s")
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            self.lesson.offer(name, text);
        }
    }

    /// Opens lesson `k` (Help → Lessons): its scenario, under the policy chosen, with the
    /// cursor on its first narrated step.
    pub fn open_lesson(&mut self, k: usize) {
        let Some((name, text)) = self.lesson.start(k) else {
            return;
        };
        if let Some(l) = self.loading.take() {
            l.cancel();
        }
        self.show_result(Document::load(&name, text.as_bytes(), self.choice));
        if let Shown::Document(d) = &self.shown
            && let Some(c) = self.lesson.event_of_step(d, 0)
        {
            self.selection.go_to(d, &mut self.view, c);
        }
    }

    /// The whole window's contents.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.poll_loading(ui);
        self.poll_live(ui.ctx());
        let r = egui::Panel::top("toolbar").show(ui, |ui| {
            let at = (self.origin, self.selection.cursor);
            let a = toolbar::show(ui, &self.recent, self.document(), self.choice, at);
            if let Some(e) = &self.policy_error {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("cannot change the policy: {e}"),
                );
            }
            toolbar::legend(ui);
            a
        });
        self.act(r.inner);
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
        self.editor_ui(ui);
        let Some(d) = shown_document(&self.shown, &self.live) else {
            self.nothing_to_show(ui);
            return;
        };
        let tb = d.time_base(self.origin);
        if self.lesson.is_for(d) {
            let go = egui::Panel::left("lesson")
                .default_size(340.0)
                .resizable(true)
                .show(ui, |ui| self.lesson.show(ui, d, self.selection.cursor))
                .inner;
            if let Some(c) = go {
                self.selection.go_to(d, &mut self.view, c);
            }
        }
        let mut compare_moved = false;
        let mut pending_difference = None;
        let clicked = egui::Panel::right("side")
            .default_size(380.0)
            .show(ui, |ui| {
                if let Some(e) = &self.compare_error {
                    ui.colored_label(ui.visuals().error_fg_color, format!("cannot compare: {e}"));
                }
                if let Some(c) = &mut self.compare {
                    compare_moved = c.panel(ui);
                    ui.separator();
                }
                let clicked = self.findings.show(ui, d, self.selection.finding, &tb);
                ui.separator();
                self.explain.show(ui, d, self.selection.cursor, &tb);
                clicked
            })
            .inner;
        if compare_moved && let Some(c) = &self.compare {
            comparing::follow_difference(&mut self.selection, &mut self.view, d, c);
        }
        // What a panel picked shows in the panels drawn after it, this frame.
        if let Some(k) = clicked {
            self.selection.select_finding(d, &mut self.view, k);
        }
        let picked = egui::Panel::bottom("events")
            .default_size(170.0)
            .resizable(true)
            .show(ui, |ui| self.filter.ui(ui, d, self.selection.cursor, &tb))
            .inner;
        if let Some(c) = picked {
            self.selection.go_to(d, &mut self.view, c);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(c) = &self.compare {
                pending_difference = comparing::header(ui, d, &self.view, c, false);
            } else {
                self.minimap.show(ui, d.timeline(), &mut self.view, &tb);
            }
            let half = self
                .compare
                .as_ref()
                .map(|_| ui.available_height() / 2.0 - 30.0);
            timeline_a(
                ui,
                d,
                (&mut self.view, &mut self.selection),
                &tb,
                &mut self.lit_dmabuf,
                half,
            );
            if let Some(c) = &mut self.compare {
                ui.separator();
                pending_difference = c.show_b(ui, &self.view, self.origin).or(pending_difference);
            }
        });
        if let Some(k) = pending_difference
            && let Some(c) = &mut self.compare
        {
            c.at = Some(k);
            c.step(0);
            comparing::follow_difference(&mut self.selection, &mut self.view, d, c);
        }
        if self.show_help {
            toolbar::help(ui);
        }
        let keys = toolbar::keys(ui);
        self.act(keys);
    }

    /// The central area when no document is shown: a load on its way, or why it failed.
    fn nothing_to_show(&self, ui: &mut Ui) {
        let loading = self.loading.as_ref().map(|l| l.name.clone());
        let error = self.error().map(|e| e.to_string()).unwrap_or_default();
        egui::CentralPanel::default().show(ui, |ui| match loading {
            Some(name) => {
                ui.heading(format!("Loading {name}"));
            }
            None => {
                ui.heading("This input cannot be shown");
                ui.label(RichText::new(error).monospace());
            }
        });
    }
}

/// The document's timeline, under the step cursor; a click moves the cursor and the lane.
/// `max_height`: the share of the area it takes when another timeline is under it.
fn timeline_a(
    ui: &mut Ui,
    d: &Document,
    (view, s): (&mut View, &mut Selection),
    tb: &vb2scope_core::time::TimeBase,
    lit: &mut Option<vb2scope_core::model::DmabufId>,
    max_height: Option<f32>,
) {
    egui::ScrollArea::vertical()
        .id_salt("timeline-a")
        .max_height(max_height.unwrap_or(f32::INFINITY))
        .show(ui, |ui| {
            let p = timeline_view::show_at(
                ui,
                d.timeline(),
                view,
                (s.cursor, s.lane),
                tb,
                &timeline_view::Extras {
                    dmabufs: d.dmabuf_lanes(),
                    findings: d.lane_findings(),
                },
                lit,
            );
            if p.event.is_some() {
                s.cursor = p.event;
                s.lane = p.lane;
                s.finding = None;
            }
        });
}

/// The document shown: a loaded one, or the live session's recording.
fn shown_document<'a>(shown: &'a Shown, live: &'a LivePanel) -> Option<&'a Document> {
    match shown {
        Shown::Document(d) => Some(d),
        // A new session shows once it recorded something.
        Shown::Live => live
            .session
            .as_ref()
            .map(|s| s.document())
            .filter(|d| !d.trace.events.is_empty()),
        _ => None,
    }
}
