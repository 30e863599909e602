//! The Live panel: pick a device, queue, memory type and buffer count, open it, press the
//! V4L2 operations one by one or stream; or record a program, or a running process; and save
//! what was recorded. The session runs on its own thread ([`vb2scope_device::Live`],
//! [`vb2scope_device::AppRecording`]); this panel only starts it, sends commands and shows
//! results.

use crossbeam_channel::{Receiver, Sender};
use egui::{Button, RichText, Ui};

use vb2scope_core::v4l2::{BufType, Memory};
use vb2scope_device::{DeviceEntry, DmabufSource, LiveConfig, LiveOp, Update};

use super::Request;
use super::live::{LiveSession, Log, LogKind, Streaming};
use super::palette;
use super::record_panel::{AppAction, AppForm, LiveTab};
use super::timeline_view::View;

/// Where DMABUF buffers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Heap,
    Udmabuf,
    /// EXPBUF of another V4L2 device's MMAP buffers.
    Device,
}

/// What the user chose for the next session and for the next operation.
pub struct Form {
    /// A path or a sysfs name.
    pub device: String,
    /// `None`: the device's first queue.
    pub queue: Option<BufType>,
    pub memory: Memory,
    pub buffers: u32,
    pub source: SourceKind,
    /// The heap's path, or the exporting device.
    pub source_text: String,
    /// The buffer index of QBUF, QUERYBUF, PREPARE_BUF and EXPBUF.
    pub index: u32,
    pub marker: String,
    /// A `.vb2s` file to play on the session.
    pub scenario: String,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            device: "/dev/video0".into(),
            queue: None,
            memory: Memory::Mmap,
            buffers: 4,
            source: SourceKind::Heap,
            source_text: "/dev/dma_heap/system".into(),
            index: 0,
            marker: "mark".into(),
            scenario: "traces/decoder-resolution-change-device.vb2s".into(),
        }
    }
}

impl Form {
    fn config(&self) -> Result<LiveConfig, String> {
        let device = self.device.trim();
        if device.is_empty() {
            return Err("no device: pick one, or type a path or a sysfs name".into());
        }
        let source = match (self.memory, self.source) {
            (Memory::Dmabuf, SourceKind::Heap) => DmabufSource::parse(self.source_text.trim()),
            (Memory::Dmabuf, SourceKind::Udmabuf) => DmabufSource::parse("udmabuf"),
            (Memory::Dmabuf, SourceKind::Device) => DmabufSource::parse(self.source_text.trim()),
            _ => Ok(DmabufSource::default()),
        }
        .map_err(|e| e.to_string())?;
        Ok(LiveConfig {
            device: device.to_owned(),
            queue: self.queue,
            memory: self.memory,
            buffers: self.buffers,
            source,
        })
    }
}

#[derive(Default)]
pub struct LivePanel {
    /// The panel is visible (a session runs on while it is hidden).
    pub(crate) open: bool,
    /// Which source the panel shows.
    pub tab: LiveTab,
    pub form: Form,
    /// The program or process to record.
    pub app: AppForm,
    /// The V4L2 nodes found at the last refresh; `None` before the first.
    devices: Option<Vec<DeviceEntry>>,
    pub(crate) session: Option<LiveSession>,
    pub(crate) log: Log,
    /// The window shows the live recording (or will, at its first events).
    pub(crate) shown: bool,
    /// The next live document replaces another one: cursor and view start afresh.
    pub(super) replaced: bool,
    /// The view follows the newest events until the user zooms or pans.
    pub(crate) follow: bool,
    /// The view this panel last set, to tell the user's zooming from its own.
    pub(super) followed: Option<View>,
}

impl LivePanel {
    /// The session shown, running or ended.
    pub fn session(&self) -> Option<&LiveSession> {
        self.session.as_ref()
    }

    /// Whether the view follows the newest events.
    pub fn follows(&self) -> bool {
        self.follow
    }

    /// The panel's log: results, errors, a recorded program's output.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The panel's log, for what happens to the recording outside it (a save).
    pub fn log_mut(&mut self) -> &mut Log {
        &mut self.log
    }

    /// Opens the device of the form on a session thread.
    pub fn start(&mut self) {
        match self.form.config() {
            Ok(cfg) => {
                self.log.info(format!("opening {}", cfg.device));
                self.begin(LiveSession::start(cfg));
            }
            Err(e) => self.log.error(e),
        }
    }

    /// Shows a session whose updates come from any channel (a test's script, a replay).
    pub fn attach(
        &mut self,
        device: &str,
        updates: Receiver<Update>,
        commands: Option<Sender<LiveOp>>,
    ) {
        self.begin(LiveSession::attach(device, updates, commands));
    }

    /// Shows a recording that runs elsewhere (`record --view`): its events come from
    /// `updates`, and the panel is open on its log.
    pub fn watch(&mut self, name: &str, updates: Receiver<Update>) {
        self.open = true;
        self.tab = LiveTab::Program;
        self.begin(LiveSession::watching(name, updates));
    }

    /// Records a program, or a running process, as the panel's session.
    pub fn record(&mut self, action: AppAction) {
        match action {
            AppAction::Start(spec) => {
                self.log
                    .info(format!("starting {}", spec.command.join(" ")));
                self.begin(LiveSession::program(spec));
            }
            AppAction::Attach(pid) => {
                self.log.info(format!("attaching to process {pid}"));
                self.begin(LiveSession::process(pid));
            }
            AppAction::Stop => {
                if let Some(s) = self.running() {
                    s.stop();
                }
            }
        }
    }

    fn begin(&mut self, s: LiveSession) {
        self.session = Some(s);
        self.shown = true;
        self.replaced = true;
        self.follow = true;
        self.followed = None;
    }

    /// The session if it still runs.
    fn running(&self) -> Option<&LiveSession> {
        self.session.as_ref().filter(|s| s.running())
    }

    fn send(&self, op: LiveOp) {
        if let Some(s) = self.running() {
            s.send(op);
        }
    }

    /// The recording as native trace bytes, for the program to save.
    pub fn save_request(&mut self) -> Option<Request> {
        let s = self.session.as_ref()?;
        let mut bytes = Vec::new();
        if let Err(e) = vb2scope_core::format::write_native(&mut bytes, s.trace()) {
            self.log.error(format!("cannot write the recording: {e}"));
            return None;
        }
        let name = match s.target() {
            Some(vb2scope_device::AppTarget::Program(c)) => c.first().cloned().unwrap_or_default(),
            Some(vb2scope_device::AppTarget::Process(pid)) => format!("pid-{pid}"),
            None => s.device.clone(),
        };
        let stem: String = name
            .rsplit('/')
            .next()
            .unwrap_or("device")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let prefix = if s.is_recording() { "rec" } else { "live" };
        Some(Request::SaveRecording {
            name: format!("{prefix}-{stem}.jsonl"),
            bytes,
        })
    }

    /// The panel; returns what the program around the window must do.
    pub fn ui(&mut self, ui: &mut Ui) -> Option<Request> {
        let mut request = None;
        ui.horizontal(|ui| {
            ui.heading("Live");
            if ui.button("Hide").clicked() {
                self.open = false;
            }
        });
        ui.horizontal(|ui| {
            for t in LiveTab::ALL {
                ui.selectable_value(&mut self.tab, t, t.title());
            }
        });
        ui.separator();
        let running = self.running().is_some();
        match self.tab {
            LiveTab::Device => self.setup(ui),
            LiveTab::Program => {
                if let Some(a) = self.app.program_ui(ui, running) {
                    self.record(a);
                }
            }
            LiveTab::Process => {
                if let Some(a) = self.app.process_ui(ui, running) {
                    self.record(a);
                }
            }
        }
        ui.separator();
        ui.label(self.status());
        ui.separator();
        if self.tab == LiveTab::Device {
            self.operations(ui);
            ui.separator();
        }
        ui.horizontal_wrapped(|ui| {
            let has_events = self
                .session
                .as_ref()
                .is_some_and(|s| !s.trace().events.is_empty());
            if ui
                .add_enabled(has_events, Button::new("Save recording…"))
                .clicked()
            {
                request = self.save_request();
            }
            if ui
                .checkbox(&mut self.follow, "Follow newest events")
                .changed()
            {
                self.followed = None;
            }
            if has_events && !self.shown && ui.button("Show recording").clicked() {
                self.shown = true;
                self.replaced = true;
                if let Some(s) = &mut self.session {
                    s.touch();
                }
            }
        });
        ui.separator();
        self.log_ui(ui);
        request
    }

    /// Device, queue, memory, buffer count, dma-buf source; Open and Close.
    fn setup(&mut self, ui: &mut Ui) {
        if self.devices.is_none() {
            self.devices = Some(vb2scope_device::list());
        }
        let devices = self.devices.as_deref().unwrap_or(&[]);
        let (mut picked, mut relist) = (None, false);
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Device")
                .selected_text(self.form.device.clone())
                .width(200.0)
                .show_ui(ui, |ui| {
                    if devices.is_empty() {
                        ui.label("no V4L2 devices found");
                    }
                    for d in devices {
                        let what = match &d.caps {
                            Ok(c) => c.card.clone(),
                            Err(e) => e.clone(),
                        };
                        let text = format!("{}  {}  ({what})", d.path.display(), d.name);
                        if ui.selectable_label(false, text).clicked() {
                            picked = Some(d.path.display().to_string());
                        }
                    }
                });
            relist = ui
                .button("Refresh")
                .on_hover_text("List the devices again")
                .clicked();
        });
        if let Some(p) = picked {
            self.form.device = p;
        }
        if relist {
            self.devices = Some(vb2scope_device::list());
        }
        ui.horizontal(|ui| {
            let l = ui.label("Path or name:");
            ui.text_edit_singleline(&mut self.form.device)
                .labelled_by(l.id);
        });
        let queues = self.known_queues();
        ui.horizontal(|ui| {
            let qtext = self.form.queue.map_or("the first", BufType::as_str);
            egui::ComboBox::from_label("Queue type")
                .selected_text(qtext)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.form.queue, None, "the first");
                    for q in queues {
                        ui.selectable_value(&mut self.form.queue, Some(q), q.as_str());
                    }
                });
        });
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Memory type")
                .selected_text(self.form.memory.as_str())
                .show_ui(ui, |ui| {
                    for m in [Memory::Mmap, Memory::Userptr, Memory::Dmabuf] {
                        ui.selectable_value(&mut self.form.memory, m, m.as_str());
                    }
                });
            let l = ui.label("Buffers:");
            ui.add(egui::DragValue::new(&mut self.form.buffers).range(1..=32))
                .labelled_by(l.id);
        });
        if self.form.memory == Memory::Dmabuf {
            ui.horizontal(|ui| {
                let label = |k| match k {
                    SourceKind::Heap => "dma-heap",
                    SourceKind::Udmabuf => "udmabuf",
                    SourceKind::Device => "another device",
                };
                egui::ComboBox::from_label("dma-buf source")
                    .selected_text(label(self.form.source))
                    .show_ui(ui, |ui| {
                        for k in [SourceKind::Heap, SourceKind::Udmabuf, SourceKind::Device] {
                            ui.selectable_value(&mut self.form.source, k, label(k));
                        }
                    });
                if self.form.source != SourceKind::Udmabuf {
                    ui.text_edit_singleline(&mut self.form.source_text)
                        .on_hover_text("the heap's path, or the device that exports buffers");
                }
            });
        }
        let running = self.running().is_some();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running, Button::new("Open device"))
                .clicked()
            {
                self.start();
            }
            if ui
                .add_enabled(running, Button::new("Close device"))
                .clicked()
            {
                self.send(LiveOp::Close);
            }
        });
    }

    /// The queues of the chosen device when known, else every kind.
    fn known_queues(&self) -> Vec<BufType> {
        let from_session = self
            .session
            .as_ref()
            .and_then(|s| s.opened.as_ref())
            .filter(|_| self.running().is_some())
            .map(|(_, caps, _)| caps.queues());
        let from_list = || {
            self.devices
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .find(|d| d.path.display().to_string() == self.form.device.trim())
                .and_then(|d| d.caps.as_ref().ok())
                .map(|c| c.queues())
        };
        from_session.or_else(from_list).unwrap_or_else(|| {
            vec![
                BufType::VideoCapture,
                BufType::VideoOutput,
                BufType::VideoCaptureMplane,
                BufType::VideoOutputMplane,
            ]
        })
    }

    /// One line: the device, its queue, streaming or not, the events recorded.
    fn status(&self) -> String {
        let Some(s) = &self.session else {
            return "No session: pick a device and open it.".into();
        };
        let n = s.trace().events.len();
        if let Some(why) = &s.ended {
            return format!("Ended ({why}): {n} events recorded, kept.");
        }
        if s.is_recording() {
            return format!("Recording {}: {n} events so far.", s.device);
        }
        let Some((path, caps, queue)) = &s.opened else {
            return format!("Opening {}: {n} events recorded.", s.device);
        };
        let streaming = match s.streaming {
            Streaming::Off => "not streaming",
            Streaming::On => "streaming, DQBUF by hand",
            Streaming::Looping => "streaming",
        };
        format!(
            "{path} ({}), {}, {streaming}: {n} events recorded.",
            caps.card,
            queue.as_str()
        )
    }

    /// A button per operation; disabled when no session runs.
    fn operations(&mut self, ui: &mut Ui) {
        let running = self.running().is_some();
        let (n, i) = (self.form.buffers, self.form.index);
        let mut op = None;
        ui.horizontal(|ui| {
            let l = ui.label("Index:");
            ui.add(egui::DragValue::new(&mut self.form.index).range(0..=63))
                .labelled_by(l.id);
        });
        // An M2M node: which of its two queues the buttons act on, and the codec commands.
        let m2m = self
            .session
            .as_ref()
            .and_then(|s| s.opened.as_ref())
            .and_then(|(_, caps, cur)| {
                let q = caps.queues();
                let out = q.iter().copied().find(|t| t.is_output())?;
                let cap = q.iter().copied().find(|t| !t.is_output())?;
                Some((out, cap, *cur))
            });
        if let Some((out, cap, cur)) = m2m {
            ui.horizontal(|ui| {
                ui.label("Queue:");
                for q in [out, cap] {
                    if ui
                        .add_enabled(running, egui::Button::selectable(q == cur, q.as_str()))
                        .clicked()
                    {
                        op = Some(LiveOp::Queue(q));
                    }
                }
            });
        }
        let mut row = |ui: &mut Ui, buttons: &[(String, LiveOp)]| {
            ui.horizontal_wrapped(|ui| {
                for (text, o) in buttons {
                    if ui
                        .add_enabled(running, Button::new(text.as_str()))
                        .clicked()
                    {
                        op = Some(o.clone());
                    }
                }
            });
        };
        if m2m.is_some() {
            use vb2scope_core::v4l2::codec::{CMD_START, CMD_STOP, EVENT_EOS, EVENT_SOURCE_CHANGE};
            row(
                ui,
                &[
                    (
                        "SUBSCRIBE SOURCE_CHANGE".into(),
                        LiveOp::Subscribe(EVENT_SOURCE_CHANGE),
                    ),
                    ("SUBSCRIBE EOS".into(), LiveOp::Subscribe(EVENT_EOS)),
                    ("DQEVENT".into(), LiveOp::Dqevent),
                ],
            );
            row(
                ui,
                &[
                    (
                        "DECODER_CMD STOP".into(),
                        LiveOp::Command {
                            encoder: false,
                            cmd: CMD_STOP,
                        },
                    ),
                    (
                        "DECODER_CMD START".into(),
                        LiveOp::Command {
                            encoder: false,
                            cmd: CMD_START,
                        },
                    ),
                    (
                        "ENCODER_CMD STOP".into(),
                        LiveOp::Command {
                            encoder: true,
                            cmd: CMD_STOP,
                        },
                    ),
                    (
                        "ENCODER_CMD START".into(),
                        LiveOp::Command {
                            encoder: true,
                            cmd: CMD_START,
                        },
                    ),
                ],
            );
        }
        row(
            ui,
            &[
                (format!("REQBUFS {n}"), LiveOp::Reqbufs(n)),
                (format!("CREATE_BUFS {n}"), LiveOp::CreateBufs(n)),
                ("REQBUFS 0".into(), LiveOp::Reqbufs(0)),
            ],
        );
        row(
            ui,
            &[
                (format!("QUERYBUF {i}"), LiveOp::Querybuf(i)),
                (format!("PREPARE_BUF {i}"), LiveOp::PrepareBuf(i)),
                (format!("EXPBUF {i}"), LiveOp::Expbuf(i)),
            ],
        );
        row(
            ui,
            &[
                (format!("QBUF {i}"), LiveOp::Qbuf(i)),
                ("QBUF all".into(), LiveOp::QbufAll),
                ("DQBUF".into(), LiveOp::Dqbuf),
            ],
        );
        row(
            ui,
            &[
                ("STREAMON".into(), LiveOp::Streamon),
                ("STREAMOFF".into(), LiveOp::Streamoff),
                ("mmap all".into(), LiveOp::MmapAll),
                ("munmap all".into(), LiveOp::MunmapAll),
            ],
        );
        row(
            ui,
            &[
                ("Start streaming".into(), LiveOp::StartStreaming),
                ("Stop streaming".into(), LiveOp::StopStreaming),
            ],
        );
        ui.horizontal(|ui| {
            if ui.add_enabled(running, Button::new("Marker")).clicked() {
                op = Some(LiveOp::Marker(self.form.marker.clone()));
            }
            ui.text_edit_singleline(&mut self.form.marker)
                .on_hover_text("the marker's text");
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(running, Button::new("Run scenario"))
                .clicked()
            {
                op = Some(LiveOp::RunScenario(self.form.scenario.clone()));
            }
            ui.text_edit_singleline(&mut self.form.scenario)
                .on_hover_text("a .vb2s file played on the device, as `run --device` does");
        });
        if let Some(op) = op {
            self.send(op);
        }
    }

    fn log_ui(&self, ui: &mut Ui) {
        ui.strong("Results and errors");
        egui::ScrollArea::vertical()
            .id_salt("live-log")
            .stick_to_bottom(true)
            .max_height(240.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for (kind, text) in &self.log.lines {
                    let t = RichText::new(text).small();
                    ui.label(match kind {
                        LogKind::Error => {
                            t.color(palette::severity(vb2scope_core::rules::Severity::Error))
                        }
                        LogKind::Result | LogKind::Info => t,
                    });
                }
            });
    }
}
