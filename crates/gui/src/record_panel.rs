//! The Live panel's other two sources: a program started under the recorder (command line,
//! working directory), and a running process attached to, picked from those that hold video,
//! media or dma-buf files. Either records on a thread; this form only says what to start.

use egui::{Button, RichText, Ui};

use vb2scope_device::{MediaProcess, ProgramSpec};

/// Where the Live panel's session comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LiveTab {
    #[default]
    Device,
    Program,
    Process,
}

impl LiveTab {
    pub const ALL: [LiveTab; 3] = [LiveTab::Device, LiveTab::Program, LiveTab::Process];

    pub fn title(self) -> &'static str {
        match self {
            LiveTab::Device => "Device",
            LiveTab::Program => "Record application",
            LiveTab::Process => "Attach to process",
        }
    }
}

/// What the user asked the form for.
#[derive(Clone, Debug)]
pub enum AppAction {
    Start(ProgramSpec),
    Attach(i32),
    Stop,
}

/// The command line, working directory and process choice.
pub struct AppForm {
    pub command: String,
    pub cwd: String,
    /// Under the seccomp filter (unchecked: every call stops, for comparison).
    pub filtered: bool,
    /// The processes found at the last refresh; `None` before the first.
    processes: Option<Vec<MediaProcess>>,
    pub pid: Option<i32>,
    /// Why the last Start was refused.
    pub error: Option<String>,
}

impl Default for AppForm {
    fn default() -> Self {
        AppForm {
            command: String::new(),
            cwd: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            filtered: true,
            processes: None,
            pid: None,
            error: None,
        }
    }
}

impl AppForm {
    /// The program to start, from the command line as a shell would split it.
    pub fn spec(&self) -> Result<ProgramSpec, String> {
        let words = shlex::split(self.command.trim())
            .ok_or_else(|| "the command line has an unclosed quote".to_string())?;
        if words.is_empty() {
            return Err("no command: type the program and its arguments".into());
        }
        let cwd = self.cwd.trim();
        let cwd = (!cwd.is_empty()).then(|| std::path::PathBuf::from(cwd));
        if let Some(d) = &cwd
            && !d.is_dir()
        {
            return Err(format!("{}: no such directory", d.display()));
        }
        Ok(ProgramSpec {
            command: words,
            cwd,
            filtered: self.filtered,
            ..ProgramSpec::default()
        })
    }

    /// Command line, directory, Start and Stop.
    pub fn program_ui(&mut self, ui: &mut Ui, running: bool) -> Option<AppAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let l = ui.label("Command:");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.command)
                        .hint_text("gst-launch-1.0 v4l2src ! fakesink")
                        .desired_width(260.0),
                )
                .labelled_by(l.id);
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !running {
                action = self.start();
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Working directory:");
            ui.add(egui::TextEdit::singleline(&mut self.cwd).desired_width(220.0))
                .labelled_by(l.id);
        });
        ui.checkbox(
            &mut self.filtered,
            "Stop only at buffer calls (seccomp filter)",
        )
        .on_hover_text("Unchecked, every system call stops: slower, for comparison");
        ui.horizontal(|ui| {
            if ui.add_enabled(!running, Button::new("Start")).clicked() {
                action = self.start();
            }
            if ui
                .add_enabled(running, Button::new("Stop"))
                .on_hover_text(
                    "Send SIGTERM to the program and what it started; the recording ends \
                     when they have",
                )
                .clicked()
            {
                action = Some(AppAction::Stop);
            }
        });
        self.error_ui(ui);
        action
    }

    /// Start, when the form says a program to start; else why not, shown under it.
    fn start(&mut self) -> Option<AppAction> {
        match self.spec() {
            Ok(spec) => {
                self.error = None;
                Some(AppAction::Start(spec))
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn error_ui(&self, ui: &mut Ui) {
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(super::palette::severity(
                vb2scope_core::rules::Severity::Error,
            )));
        }
    }

    /// The processes holding media files, Refresh, Attach and Detach.
    pub fn process_ui(&mut self, ui: &mut Ui, running: bool) -> Option<AppAction> {
        if self.processes.is_none() {
            self.processes = Some(vb2scope_device::media_processes());
        }
        let mut action = None;
        ui.horizontal(|ui| {
            ui.label("Processes holding video, media or dma-buf files:");
            if ui.button("Refresh").clicked() {
                self.processes = Some(vb2scope_device::media_processes());
            }
        });
        let list = self.processes.as_deref().unwrap_or(&[]);
        egui::ScrollArea::vertical()
            .id_salt("process-list")
            .max_height(160.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if list.is_empty() {
                    ui.label("none found (another user's processes are not listed)");
                }
                for p in list {
                    let text = format!("{}  {}  [{}]", p.pid, p.command, p.holds.join(", "));
                    if ui.selectable_label(self.pid == Some(p.pid), text).clicked() {
                        self.pid = Some(p.pid);
                    }
                }
            });
        ui.horizontal(|ui| {
            let can = !running && self.pid.is_some();
            if ui.add_enabled(can, Button::new("Attach")).clicked()
                && let Some(pid) = self.pid
            {
                action = Some(AppAction::Attach(pid));
            }
            if ui
                .add_enabled(running, Button::new("Detach"))
                .on_hover_text("Stop recording; the process runs on")
                .clicked()
            {
                action = Some(AppAction::Stop);
            }
        });
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_split_as_a_shell_would() {
        let f = AppForm {
            command: r#"gst-launch-1.0 v4l2src "device=/dev/video 0" ! fakesink"#.into(),
            cwd: String::new(),
            ..AppForm::default()
        };
        let spec = f.spec().expect("a command");
        assert_eq!(
            spec.command,
            [
                "gst-launch-1.0",
                "v4l2src",
                "device=/dev/video 0",
                "!",
                "fakesink"
            ]
        );
        assert_eq!(spec.cwd, None);
    }

    #[test]
    fn an_empty_command_a_bad_quote_or_directory_is_refused() {
        let mut f = AppForm::default();
        assert!(f.spec().is_err());
        f.command = "v4l2-ctl \"--all".into();
        assert!(f.spec().expect_err("refused").contains("quote"));
        f.command = "v4l2-ctl --all".into();
        f.cwd = "/no/such/dir".into();
        assert!(f.spec().expect_err("refused").contains("no such directory"));
    }
}
