//! Help → Lessons: the bundled lessons (`traces/lessons/`), and the panel beside the
//! timeline that says what the step under the cursor teaches, with the sentence it rests on.

use egui::{RichText, Ui};

use vb2scope_core::scenario::Lesson;
use vb2scope_core::v4l2::Origin;

use super::document::Document;

/// A bundled lesson: its file name and its text.
macro_rules! lesson {
    ($file:literal) => {
        (
            $file,
            include_str!(concat!("../../../traces/lessons/", $file)),
        )
    };
}

/// The lessons, in teaching order: file name and text.
pub const LESSONS: [(&str, &str); 8] = [
    lesson!("01-buffer-states.vb2s"),
    lesson!("02-mmap-life.vb2s"),
    lesson!("03-userptr-pinning.vb2s"),
    lesson!("04-dmabuf-already-pinned.vb2s"),
    lesson!("05-streamoff-returns.vb2s"),
    lesson!("06-reqbufs0-mapped.vb2s"),
    lesson!("07-driver-keeps-buffers.vb2s"),
    lesson!("08-remove-bufs.vb2s"),
];

/// A lesson's title, for the menu.
pub fn title(k: usize) -> String {
    LESSONS
        .get(k)
        .map(|(_, text)| Lesson::parse(text).title)
        .unwrap_or_default()
}

/// The lesson being followed, if any.
#[derive(Default)]
pub struct LessonPanel {
    open: Option<(String, Lesson)>,
    /// The step shown last frame: the list scrolls to a step once, when it becomes current.
    shown_step: Option<usize>,
}

impl LessonPanel {
    /// Starts lesson `k`: the document name and scenario text the window opens for it.
    pub fn start(&mut self, k: usize) -> Option<(String, &'static str)> {
        let &(file, text) = LESSONS.get(k)?;
        let name = format!("lessons/{file}");
        self.offer(&name, text);
        Some((name, text))
    }

    /// Follows the scenario `name` as a lesson when its text narrates steps (`##` lines): a
    /// lesson opened as a file reads as one from Help → Lessons.
    pub fn offer(&mut self, name: &str, text: &str) {
        let lesson = Lesson::parse(text);
        if !lesson.steps.is_empty() {
            self.open = Some((name.to_owned(), lesson));
            self.shown_step = None;
        }
    }

    /// Whether the panel belongs beside `d` (the lesson's own scenario is shown).
    pub fn is_for(&self, d: &Document) -> bool {
        self.open.as_ref().is_some_and(|(name, _)| *name == d.name)
    }

    /// The first event of step `k`: the statement's own (scripted) event.
    pub fn event_of_step(&self, d: &Document, k: usize) -> Option<u32> {
        let (_, lesson) = self.open.as_ref()?;
        let line = lesson.steps.get(k)?.line;
        let events = &d.trace.events;
        let first = |scripted: bool| {
            events
                .iter()
                .position(|e| e.line() == line && (!scripted || e.origin() != Origin::Inferred))
        };
        first(true).or_else(|| first(false)).map(|i| i as u32)
    }

    /// The step the event under the cursor belongs to.
    fn current(&self, d: &Document, cursor: Option<u32>) -> Option<usize> {
        let (_, lesson) = self.open.as_ref()?;
        let e = d.trace.events.get(cursor? as usize)?;
        lesson.step_at(e.line())
    }

    /// Draws the lesson; returns the event the user asked to go to.
    pub fn show(&mut self, ui: &mut Ui, d: &Document, cursor: Option<u32>) -> Option<u32> {
        let current = self.current(d, cursor);
        let moved = std::mem::replace(&mut self.shown_step, current) != current;
        let (_, lesson) = self.open.as_ref()?;
        let mut go = None;
        let mut close = false;
        ui.horizontal(|ui| {
            ui.heading("Lesson");
            if ui.button("Close lesson").clicked() {
                close = true;
            }
        });
        ui.label(RichText::new(&lesson.title).strong());
        let n = lesson.steps.len();
        ui.horizontal(|ui| {
            let back = current.and_then(|c| c.checked_sub(1));
            let next = current.map_or(0, |c| c + 1);
            if ui
                .add_enabled(back.is_some(), egui::Button::new("< Previous step"))
                .clicked()
            {
                go = back.and_then(|k| self.event_of_step(d, k));
            }
            if ui
                .add_enabled(next < n, egui::Button::new("Next step >"))
                .clicked()
            {
                go = self.event_of_step(d, next);
            }
            match current {
                Some(c) => ui.label(format!("step {} of {n}", c + 1)),
                None => ui.label(format!("{n} steps")),
            };
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("lesson")
            .show(ui, |ui| {
                egui::CollapsingHeader::new("Introduction")
                    .default_open(current.is_none())
                    .show(ui, |ui| ui.label(&lesson.intro));
                for (k, s) in lesson.steps.iter().enumerate() {
                    let here = current == Some(k);
                    let head = format!("{}. {}   (line {})", k + 1, s.statement, s.line);
                    let r = ui.selectable_label(here, RichText::new(head).strong());
                    if r.clicked() {
                        go = self.event_of_step(d, k);
                    }
                    if here && moved {
                        r.scroll_to_me(Some(egui::Align::Center));
                    }
                    let text = RichText::new(&s.text);
                    ui.label(if here { text } else { text.weak() });
                    for q in &s.quotes {
                        ui.label(RichText::new(format!("“{q}”")).italics());
                    }
                    ui.add_space(4.0);
                }
            });
        if close {
            self.open = None;
        }
        go
    }
}
