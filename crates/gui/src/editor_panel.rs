//! The scenario editor: a `.vb2s` edited beside its timeline, evaluated again at every
//! change (the model replays a scenario of a few hundred lines within a frame), with the
//! statement keywords coloured and completed, a parse error shown at its line and column,
//! and what every vb2 generation says of the scenario as it stands.

use std::time::Instant;

use egui::text::{CCursor, CCursorRange, LayoutJob, TextFormat};
use egui::{Color32, FontId, RichText, Ui};

use vb2scope_core::analysis::{Depth, PolicyChoice, analyze};
use vb2scope_core::import::Format;
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::highlight::{Class, classes, complete};

/// What a new scenario starts from.
const TEMPLATE: &str = "# A new scenario\n#\n# Edit it: the timeline and the findings follow as you type.\nqueue capture\nreqbufs 2 mmap\nexpect ok\nqbuf 0\nqbuf 1\nstreamon\ndriver done\ndqbuf\nstreamoff\n";

/// A parse error, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditError {
    /// 1-based; 0 when the error is not the text's (a run that failed).
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// What the editor asks of the inspector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditorRequest {
    /// Save the text (the program asks where).
    Save { name: String, text: String },
    /// Pick a scenario file to edit.
    Open,
    /// Run the text on this device and show the run beside the model's.
    RunOnDevice(String),
}

/// The editor's state.
pub struct EditorPanel {
    pub open: bool,
    name: String,
    text: String,
    /// The text the window last evaluated.
    evaluated: Option<String>,
    error: Option<EditError>,
    /// Each policy's verdict on the text as it stands.
    verdicts: Vec<(Policy, String)>,
    /// How long the last evaluation took, in ms.
    took_ms: f64,
    /// Said after a save.
    pub note: Option<String>,
}

impl Default for EditorPanel {
    fn default() -> Self {
        EditorPanel {
            open: false,
            name: "untitled.vb2s".into(),
            text: TEMPLATE.into(),
            evaluated: None,
            error: None,
            verdicts: Vec::new(),
            took_ms: 0.0,
            note: None,
        }
    }
}

impl EditorPanel {
    /// Takes a scenario to edit (one opened from a file).
    pub fn set_source(&mut self, name: &str, text: &str) {
        self.name = if name.ends_with(".vb2s") {
            name.to_owned()
        } else {
            format!("{name}.vb2s")
        };
        self.text = text.to_owned();
        self.evaluated = None;
        self.error = None;
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_owned();
    }
    pub fn error(&self) -> Option<&EditError> {
        self.error.as_ref()
    }
    /// How long the last evaluation took, in ms.
    pub fn took_ms(&self) -> f64 {
        self.took_ms
    }

    /// Whether the text changed since it was last evaluated.
    pub fn changed(&self) -> bool {
        self.evaluated.as_deref() != Some(self.text.as_str())
    }

    /// Records the outcome of evaluating the text, and works out every policy's verdict.
    pub fn evaluated(&mut self, error: Option<EditError>, started: Instant) {
        self.evaluated = Some(self.text.clone());
        self.verdicts = if error.is_none() {
            verdicts(&self.name, &self.text)
        } else {
            Vec::new()
        };
        self.error = error;
        self.took_ms = started.elapsed().as_secs_f64() * 1e3;
    }

    /// Draws the editor; returns what it asks of the inspector. `device`: the device the
    /// Live panel drives, if any; `running`: a run on it is under way.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        device: Option<&str>,
        running: bool,
    ) -> Option<EditorRequest> {
        let mut out = None;
        ui.horizontal(|ui| {
            ui.heading("Scenario");
            if ui.button("Open…").clicked() {
                out = Some(EditorRequest::Open);
            }
            if ui.button("Save…").clicked() {
                out = Some(EditorRequest::Save {
                    name: self.name.clone(),
                    text: self.text.clone(),
                });
            }
            if ui.button("Close editor").clicked() {
                self.open = false;
            }
        });
        let hint = match device {
            Some(d) => format!("Play the scenario on {d} and show its run under the model's"),
            None => "Open a device in the Live panel (File → Live device…) first".to_owned(),
        };
        let can = device.is_some() && !running && self.error.is_none();
        let label = if running {
            "Running on the device…"
        } else {
            "Run on device"
        };
        if ui
            .add_enabled(can, egui::Button::new(label))
            .on_hover_text(hint)
            .on_disabled_hover_text("Open a device in the Live panel, and fix the text's errors")
            .clicked()
            && let Some(d) = device
        {
            out = Some(EditorRequest::RunOnDevice(d.to_owned()));
        }
        let label = ui.label(RichText::new(format!("Scenario text: {}", self.name)).weak());
        let id = ui.make_persistent_id("scenario-text");
        let caret = egui::TextEdit::load_state(ui.ctx(), id)
            .and_then(|s| s.cursor.char_range())
            .map(|r| r.primary.index.0);
        let offers = caret
            .map(|c| completions(&self.text, c))
            .unwrap_or_default();
        // Tab takes the first completion (before the text field sees the key).
        let focused = ui.ctx().memory(|m| m.has_focus(id));
        if focused
            && !offers.is_empty()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab))
            && let (Some(c), Some(v)) = (caret, offers.first())
        {
            self.accept(ui, id, c, v);
        }
        let error = self.error.clone();
        let mut layouter = |ui: &Ui, text: &dyn egui::TextBuffer, wrap: f32| {
            let mut job = highlighted(ui, text.as_str(), error.as_ref());
            job.wrap.max_width = wrap;
            ui.painter().layout_job(job)
        };
        egui::ScrollArea::vertical()
            .id_salt("scenario-scroll")
            .max_height(ui.available_height() - 90.0)
            .show(ui, |ui| {
                egui::TextEdit::multiline(&mut self.text)
                    .id(id)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(20)
                    .layouter(&mut layouter)
                    .show(ui)
                    .response
                    .response
                    .labelled_by(label.id)
            });
        if let Some(c) = caret
            && !offers.is_empty()
        {
            ui.horizontal_wrapped(|ui| {
                ui.small("complete (Tab):");
                for v in &offers {
                    if ui.small_button(*v).clicked() {
                        self.accept(ui, id, c, v);
                    }
                }
            });
        }
        match &self.error {
            Some(e) if e.line > 0 => {
                let text = format!("line {}, column {}: {}", e.line, e.col, e.message);
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            Some(e) => {
                ui.colored_label(ui.visuals().error_fg_color, &e.message);
            }
            None => {
                ui.horizontal_wrapped(|ui| {
                    for (p, v) in &self.verdicts {
                        ui.small(format!("{p}: {v}"));
                        ui.small("·");
                    }
                });
                ui.small(format!("evaluated in {:.1} ms", self.took_ms));
            }
        }
        if let Some(n) = &self.note {
            ui.small(n);
        }
        out
    }

    /// Completes the word before the caret (`caret`, in chars) with verb `v`.
    fn accept(&mut self, ui: &Ui, id: egui::Id, caret: usize, v: &str) {
        let Some((at, typed)) = typed_before(&self.text, caret) else {
            return;
        };
        let rest = v.get(typed.len()..).unwrap_or("");
        self.text.insert_str(at, rest);
        self.text.insert(at + rest.len(), ' ');
        if let Some(mut state) = egui::TextEdit::load_state(ui.ctx(), id) {
            let c = CCursor::new(caret + rest.chars().count() + 1);
            state.cursor.set_char_range(Some(CCursorRange::one(c)));
            state.store(ui.ctx(), id);
        }
    }
}

/// The byte offset of char `c` of `text`.
fn byte_of_char(text: &str, c: usize) -> Option<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .nth(c)
}

/// Where char `caret` of `text` is (in bytes), and what its line holds before it, leading
/// blanks left out.
fn typed_before(text: &str, caret: usize) -> Option<(usize, &str)> {
    let at = byte_of_char(text, caret)?;
    let line_start = text
        .get(..at)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    Some((at, text.get(line_start..at).unwrap_or("").trim_start()))
}

/// The verbs completing the first word of the caret's line, while the caret ends it.
fn completions(text: &str, caret: usize) -> Vec<&'static str> {
    let Some((at, word)) = typed_before(text, caret) else {
        return Vec::new();
    };
    let at_word_end = text
        .get(at..)
        .and_then(|r| r.chars().next())
        .is_none_or(|c| c.is_whitespace());
    if word.contains(char::is_whitespace) || word.starts_with('#') || !at_word_end {
        return Vec::new();
    }
    complete(word)
}

/// The text coloured by [`classes`], the error's word on a red ground.
fn highlighted(ui: &Ui, text: &str, error: Option<&EditError>) -> LayoutJob {
    let font = FontId::monospace(13.0);
    let v = ui.visuals();
    let colour = |c: Class| match c {
        Class::Verb => v.hyperlink_color,
        Class::Unknown => v.error_fg_color,
        Class::Number => Color32::from_rgb(0xd0, 0x90, 0x40),
        Class::Key => v.weak_text_color(),
        Class::Word => v.text_color(),
        Class::Comment => v.weak_text_color(),
        Class::Narration => Color32::from_rgb(0x60, 0xa0, 0x60),
        Class::Quote => Color32::from_rgb(0x80, 0x80, 0xc0),
    };
    let mut job = LayoutJob::default();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let number = n as u32 + 1;
        let bad = error
            .filter(|e| e.line == number)
            .map(|e| e.col.saturating_sub(1) as usize);
        let mut at = 0;
        let push = |job: &mut LayoutJob, s: &str, color: Color32, start: usize| {
            let mut f = TextFormat::simple(font.clone(), color);
            if bad.is_some_and(|b| b >= start && b < start + s.len().max(1)) {
                f.background = v.error_fg_color.gamma_multiply(0.35);
                f.underline = egui::Stroke::new(1.5, v.error_fg_color);
            }
            job.append(s, 0.0, f);
        };
        for (r, class) in classes(line.trim_end_matches('\n')) {
            if r.start > at {
                let gap = line.get(at..r.start).unwrap_or("");
                push(&mut job, gap, v.text_color(), at);
            }
            let s = line.get(r.clone()).unwrap_or("");
            push(&mut job, s, colour(class), r.start);
            at = r.end;
        }
        if at < line.len() {
            let tail = line.get(at..).unwrap_or("");
            push(&mut job, tail, v.text_color(), at);
        }
    }
    job
}

/// Each policy's verdict on a scenario: its findings by severity, or why it cannot run.
fn verdicts(name: &str, text: &str) -> Vec<(Policy, String)> {
    Policy::ALL
        .into_iter()
        .map(|p| {
            let verdict = match analyze(
                name,
                text.as_bytes(),
                Some(Format::Scenario),
                PolicyChoice::Fixed(p),
                Depth::Findings,
                None,
            ) {
                Ok(a) => {
                    let r = a.report();
                    let count = |s| r.findings.iter().filter(|f| r.severity(f) == s).count();
                    use vb2scope_core::rules::Severity;
                    match (count(Severity::Error), count(Severity::Warning)) {
                        (0, 0) => "clean".to_owned(),
                        (e, w) => format!("{e} error(s), {w} warning(s)"),
                    }
                }
                Err(e) => format!("cannot run: {e}"),
            };
            (p, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_offers_verbs_for_the_first_word_only() {
        let t = "queue capture\nstr";
        assert_eq!(completions(t, t.chars().count()), ["streamon", "streamoff"]);
        let t = "qbuf 0 str";
        assert!(completions(t, t.chars().count()).is_empty());
        let t = "# str";
        assert!(completions(t, t.chars().count()).is_empty());
        // In the middle of a word: nothing.
        assert!(completions("streamon", 3).is_empty());
    }
}
