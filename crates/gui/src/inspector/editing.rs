//! The scenario editor's part of the inspector: its text evaluated into the document
//! shown, and its run on a device, compared with the model's.

use egui::Ui;

use super::{Inspector, Shown, shown_document};
use crate::Request;
use crate::compare::Compare;
use crate::document::{Document, LoadError};
use crate::editor_panel::EditorRequest;
use crate::timeline_view::View;

/// A scenario's run on a device: the device, and the trace recorded with what the run
/// skipped, or why it could not run.
pub struct DeviceRun {
    pub dev: String,
    pub run: Result<(vb2scope_core::trace::Trace, vb2scope_device::ScenarioReport), String>,
}

impl Inspector {
    /// The scenario editor's panel, when open, and what it asks for; its text evaluated again
    /// when it changed.
    pub(super) fn editor_ui(&mut self, ui: &mut Ui) {
        self.poll_device_run(ui.ctx());
        if !self.editor.open {
            return;
        }
        let device = self
            .live
            .session
            .as_ref()
            .and_then(|s| s.device())
            .map(str::to_owned);
        let running = self.device_run.is_some();
        let asked = egui::Panel::left("editor")
            .default_size(420.0)
            .resizable(true)
            .show(ui, |ui| self.editor.ui(ui, device.as_deref(), running))
            .inner;
        match asked {
            Some(EditorRequest::Open) => self.requests.push(Request::OpenDialog),
            Some(EditorRequest::RunOnDevice(dev)) => self.run_on_device(dev),
            Some(EditorRequest::Save { name, text }) => {
                self.requests.push(Request::SaveScenario { name, text });
            }
            None => {}
        }
        if self.editor.changed() {
            self.evaluate_editor();
            // The panels drawn before it show the new run next frame.
            ui.ctx().request_repaint();
        }
    }

    /// Plays the editor's scenario on `dev` on a thread; its run is compared with the model's
    /// when it ends ([`Inspector::poll_device_run`]).
    fn run_on_device(&mut self, dev: String) {
        let name = self.editor.name().to_owned();
        let text = self.editor.text().to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("scenario-on-device".into())
            .spawn(move || {
                let run = vb2scope_core::scenario::parse(&name, &text)
                    .map_err(|e| e.to_string())
                    .and_then(|sc| {
                        let stop = std::sync::atomic::AtomicBool::new(false);
                        let source = vb2scope_device::DmabufSource::default();
                        vb2scope_device::scenario_trace(&dev, &sc, source, &stop)
                            .map_err(|e| e.to_string())
                    });
                let _ = tx.send(DeviceRun { dev, run });
            });
        match spawned {
            Ok(_) => self.device_run = Some(rx),
            Err(e) => self.editor.note = Some(format!("cannot run on the device: {e}")),
        }
    }

    /// Takes a device run's result once it is there: the model's run (A) above the device's (B).
    fn poll_device_run(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.device_run else { return };
        let done = match rx.try_recv() {
            Ok(d) => d,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                return;
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.device_run = None;
                self.editor.note = Some("the run on the device stopped without an answer".into());
                return;
            }
        };
        self.device_run = None;
        self.show_device_run(done);
    }

    /// Shows a scenario's run on a device beside the model's run of the same text.
    pub fn show_device_run(&mut self, done: DeviceRun) {
        let (trace, report) = match done.run {
            Ok(r) => r,
            Err(e) => {
                self.editor.note = Some(format!("cannot run on {}: {e}", done.dev));
                return;
            }
        };
        let mut note = format!("ran {} statements on {}", report.statements, done.dev);
        if !report.skipped_driver_lines.is_empty() {
            note.push_str(&format!(
                "; skipped the driver lines {:?} (a real driver does what it does)",
                report.skipped_driver_lines
            ));
        }
        self.editor.note = Some(note);
        let name = format!("{} on {}", self.editor.name(), done.dev);
        let Some(a) = shown_document(&self.shown, &self.live) else {
            return;
        };
        match Document::from_trace(&name, trace, self.choice) {
            Ok(b) => self.compare = Some(Compare::new(a, b)),
            Err(e) => self.compare_error = Some(e.to_string()),
        }
    }

    pub fn editor(&self) -> &crate::editor_panel::EditorPanel {
        &self.editor
    }
    pub fn editor_mut(&mut self) -> &mut crate::editor_panel::EditorPanel {
        &mut self.editor
    }

    /// Evaluates the editor's text as it stands: the document shown becomes its run (the
    /// cursor kept where it still is); a text that does not parse keeps the last good run
    /// shown and the error beside the text.
    fn evaluate_editor(&mut self) {
        use crate::editor_panel::EditError;
        use vb2scope_core::analysis::AnalysisError;
        let started = std::time::Instant::now();
        let name = self.editor.name().to_owned();
        let loaded = Document::load(&name, self.editor.text().as_bytes(), self.choice);
        let first = !matches!(&self.shown, Shown::Document(d) if d.name == name);
        let error = match loaded {
            Ok(d) => {
                if first {
                    self.view = View::fit(d.timeline());
                }
                let n = d.trace.events.len() as u32;
                self.selection.cursor = self.selection.cursor.filter(|&c| c < n);
                self.selection.finding = None;
                self.policy_error = None;
                self.compare = None;
                self.shown = Shown::Document(Box::new(d));
                None
            }
            Err(LoadError::Analysis(AnalysisError::Scenario(e))) => Some(EditError {
                line: e.line,
                col: e.col,
                message: e.message,
            }),
            Err(e) => Some(EditError {
                line: 0,
                col: 0,
                message: e.to_string(),
            }),
        };
        self.editor.evaluated(error, started);
    }
}
