//! The toolbar, the colour legend and the keyboard: each turns what the user did into
//! [`Action`]s for the inspector.

use egui::{RichText, Ui};

use vb2scope_core::time::Origin;
use vb2scope_core::timeline::Resource;

use super::document::{Document, PolicyChoice};
use super::palette;

/// What the user asked for from the toolbar or the keyboard.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenDialog,
    OpenRecent(String),
    ShowLive(super::record_panel::LiveTab),
    Policy(PolicyChoice),
    Fit,
    FitAll,
    Step(i64),
    /// Count times from another origin.
    Origin(Origin),
    ToggleHelp,
    ZoomToCursor,
    /// Open lesson `k` of `lesson_panel::LESSONS`.
    OpenLesson(usize),
    /// Show or hide the scenario editor.
    ToggleEditor,
    /// Pick a trace to compare with the one shown.
    CompareDialog,
    /// Compare the document shown with itself under another policy.
    ComparePolicy(PolicyChoice),
    StopCompare,
    /// The next (1) or previous (-1) difference of the comparison.
    NextDifference(i64),
}

/// The toolbar: file menu, the policy selector (with what `auto` chose), navigation.
pub fn show(
    ui: &mut Ui,
    recent: &[String],
    doc: Option<&Document>,
    choice: PolicyChoice,
    (origin, cursor): (Origin, Option<u32>),
) -> Vec<Action> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.strong("vb2scope");
        ui.menu_button("File", |ui| {
            if ui.button("Open…").clicked() {
                out.push(Action::OpenDialog);
                ui.close();
            }
            if ui.button("Scenario editor").clicked() {
                out.push(Action::ToggleEditor);
                ui.close();
            }
            if ui.button("Compare with a trace…").clicked() {
                out.push(Action::CompareDialog);
                ui.close();
            }
            ui.menu_button("Compare under a policy", |ui| {
                for c in PolicyChoice::all() {
                    if ui.button(c.label()).clicked() {
                        out.push(Action::ComparePolicy(c));
                        ui.close();
                    }
                }
            });
            if ui.button("Stop comparing").clicked() {
                out.push(Action::StopCompare);
                ui.close();
            }
            for (text, tab) in [
                ("Live device…", super::record_panel::LiveTab::Device),
                ("Record application…", super::record_panel::LiveTab::Program),
                ("Attach to process…", super::record_panel::LiveTab::Process),
            ] {
                if ui.button(text).clicked() {
                    out.push(Action::ShowLive(tab));
                    ui.close();
                }
            }
            if !recent.is_empty() {
                ui.separator();
                ui.label("Recent");
                for r in recent {
                    if ui.button(r).clicked() {
                        out.push(Action::OpenRecent(r.clone()));
                        ui.close();
                    }
                }
            }
        });
        if let Some(d) = doc {
            ui.label(&d.name);
        }
        ui.separator();
        let mut picked = choice;
        egui::ComboBox::from_label("Policy")
            .selected_text(picked.label())
            .show_ui(ui, |ui| {
                for c in PolicyChoice::all() {
                    ui.selectable_value(&mut picked, c, c.label());
                }
            });
        if picked != choice {
            out.push(Action::Policy(picked));
        }
        if let Some(d) = doc
            && choice == PolicyChoice::Auto
        {
            ui.label(format!("(auto chose {})", d.policy))
                .on_hover_text(d.reason.clone().unwrap_or_default());
        }
        ui.separator();
        if ui
            .button("Fit")
            .on_hover_text("Frame the buffer activity (F)")
            .clicked()
        {
            out.push(Action::Fit);
        }
        if ui
            .button("Fit all")
            .on_hover_text("Show the whole trace, kernel events before and after (Shift+F)")
            .clicked()
        {
            out.push(Action::FitAll);
        }
        if let Some(o) = origin_menu(ui, origin, cursor) {
            out.push(Action::Origin(o));
        }
        if ui.button("< Step back").clicked() {
            out.push(Action::Step(-1));
        }
        if ui.button("Step forward >").clicked() {
            out.push(Action::Step(1));
        }
        ui.menu_button("Help", |ui| {
            if ui.button("Keyboard shortcuts").clicked() {
                out.push(Action::ToggleHelp);
                ui.close();
            }
            ui.menu_button("Lessons", |ui| {
                for k in 0..super::lesson_panel::LESSONS.len() {
                    let title = format!("{}. {}", k + 1, super::lesson_panel::title(k));
                    if ui.button(title).clicked() {
                        out.push(Action::OpenLesson(k));
                        ui.close();
                    }
                }
            });
        });
        if ui.button("?").on_hover_text("Keyboard shortcuts").clicked() {
            out.push(Action::ToggleHelp);
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
            out.push(Action::ZoomToCursor);
        }
    });
    out
}

/// Where times count from: the first buffer event, the trace's start, the first STREAMON
/// or the selected event. Returns a new choice.
fn origin_menu(ui: &mut Ui, origin: Origin, cursor: Option<u32>) -> Option<Origin> {
    let mut picked = origin;
    let short = |o: Origin| match o {
        Origin::Activity => "first buffer event".to_owned(),
        Origin::TraceStart => "trace start".to_owned(),
        Origin::FirstStreamon => "first STREAMON".to_owned(),
        Origin::Event(e) => format!("event {e}"),
    };
    egui::ComboBox::from_label("Time from")
        .selected_text(short(origin))
        .show_ui(ui, |ui| {
            for o in [Origin::Activity, Origin::TraceStart, Origin::FirstStreamon] {
                ui.selectable_value(&mut picked, o, short(o));
            }
            let here = cursor.map(Origin::Event);
            let text = match cursor {
                Some(c) => format!("the selected event ({c})"),
                None => "the selected event (select one first)".to_owned(),
            };
            if ui
                .add_enabled(
                    here.is_some(),
                    egui::Button::selectable(here == Some(origin), text),
                )
                .clicked()
                && let Some(h) = here
            {
                picked = h;
            }
        })
        .response
        .on_hover_text(
            "Every time shown counts from here; the absolute time is on hover and in the details",
        );
    (picked != origin).then_some(picked)
}

/// What the colors mean.
pub fn legend(ui: &mut Ui) {
    ui.horizontal(|ui| {
        ui.small("states:");
        for s in palette::STATES {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, palette::state(s));
            ui.small(s.as_str());
        }
        ui.separator();
        ui.small("held:");
        for r in Resource::ALL {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 7.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 0.0, palette::resource(r));
            ui.small(r.as_str());
        }
        ui.small("(filled: observed by the kernel, outlined: inferred by the model; a dashed tie: the trace has no fd or address for it)");
    });
}

/// The keyboard help window, when shown.
pub fn help(ui: &mut Ui) {
    egui::Window::new("Keyboard")
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            for (k, what) in [
                ("W / S, wheel, pinch", "zoom in / out"),
                ("A / D, drag", "pan"),
                ("F", "frame the buffer activity"),
                ("Shift+F", "show the whole trace"),
                ("Left / Right arrow", "step back / forward one event"),
                ("N / Shift+N", "next / previous difference (comparing)"),
                ("?", "this help"),
            ] {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(k).strong());
                    ui.label(what);
                });
            }
        });
}

/// The window-wide keys (not while typing: in a text field the arrows move the caret and
/// `?` is a character).
pub fn keys(ui: &Ui) -> Vec<Action> {
    let typing = ui.ctx().text_edit_focused();
    ui.input(|i| {
        let mut out = Vec::new();
        if typing {
            return out;
        }
        if i.key_pressed(egui::Key::ArrowLeft) {
            out.push(Action::Step(-1));
        }
        if i.key_pressed(egui::Key::ArrowRight) {
            out.push(Action::Step(1));
        }
        if i.key_pressed(egui::Key::Questionmark) {
            out.push(Action::ToggleHelp);
        }
        if i.key_pressed(egui::Key::N) {
            out.push(Action::NextDifference(if i.modifiers.shift {
                -1
            } else {
                1
            }));
        }
        out
    })
}
