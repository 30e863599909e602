//! The desktop window: eframe around the library's `Inspector`, plus what touches the
//! outside world (reading dropped files, saving a screenshot).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};

use vb2scope_gui::{Inspector, LoadError, PolicyChoice, Request};

use super::check::DEFAULT_TRACE;

/// The window's icon: `assets/vb2scope.svg` rendered at 256×256.
const ICON: &[u8] = include_bytes!("../../assets/vb2scope.png");

/// Opens the window on `file`, or on the bundled trace. With `screenshot`, saves the window
/// as a PNG once it has settled and exits.
pub fn run(file: Option<&Path>, screenshot: Option<PathBuf>) -> Result<i32> {
    let inspector = match file {
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
            // A user's file: the policy that explains it best (modern when nothing was
            // observed), loaded in the background so a big trace keeps the window alive.
            let mut i = Inspector::empty(PolicyChoice::Auto);
            i.open_in_background(p.display().to_string(), bytes);
            remember(i.recent_mut(), &p.display().to_string());
            i
        }
        // The bundled 2012 report, under the vb2 it was reported against.
        None => Inspector::open(
            "2012-report (bundled)",
            DEFAULT_TRACE,
            PolicyChoice::Fixed(vb2scope_core::policy::Policy::Vb2_2012),
        ),
    };
    show(inspector, screenshot)
}

/// Opens the window on a recording in progress: `updates` are its events, then how it ended.
/// Returns when the window is closed (the recording may go on).
pub fn run_live(
    name: &str,
    updates: crossbeam_channel::Receiver<vb2scope_device::Update>,
    screenshot: Option<PathBuf>,
) -> Result<i32> {
    let mut inspector = Inspector::empty(PolicyChoice::Auto);
    inspector.live_mut().watch(name, updates);
    show(inspector, screenshot)
}

fn show(mut inspector: Inspector, screenshot: Option<PathBuf>) -> Result<i32> {
    if inspector.recent().is_empty() {
        *inspector.recent_mut() = recent_files();
    }
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1400.0, 820.0])
        .with_title("vb2scope");
    // The desktop entry's icon, for the title bar and the task switcher (X11).
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let outcome: Arc<Mutex<Option<Result<(), String>>>> = Arc::new(Mutex::new(None));
    let shot = screenshot.map(|path| Shot {
        path,
        frames: 0,
        preview_reported: false,
        requested: false,
        outcome: outcome.clone(),
    });
    eframe::run_native(
        "vb2scope",
        options,
        Box::new(move |_cc| Ok(Box::new(Gui { inspector, shot }))),
    )
    .map_err(|e| anyhow!("cannot open a window: {e}"))?;
    let result = outcome.lock().map(|mut o| o.take()).unwrap_or(None);
    match result {
        Some(Err(e)) => Err(anyhow!(e)),
        _ => Ok(0),
    }
}

struct Shot {
    path: PathBuf,
    frames: u32,
    /// Whether the first frame of a preview was reported (`VB2SCOPE_REPORT_PEAK`).
    preview_reported: bool,
    requested: bool,
    outcome: Arc<Mutex<Option<Result<(), String>>>>,
}

struct Gui {
    inspector: Inspector,
    shot: Option<Shot>,
}

/// Where the list of recent files is kept.
fn recent_store() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("vb2scope").join("recent"))
}

fn recent_files() -> Vec<String> {
    recent_store()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|s| {
            s.lines()
                .filter(|l| !l.is_empty())
                .take(10)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Puts `path` first in the recent list and saves it; a list that cannot be saved is only
/// remembered for this run.
fn remember(list: &mut Vec<String>, path: &str) {
    if list.is_empty() {
        *list = recent_files();
    }
    list.retain(|p| p != path);
    list.insert(0, path.to_string());
    list.truncate(10);
    if let Some(store) = recent_store() {
        let saved = store
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&store, list.join("\n") + "\n"));
        if let Err(e) = saved {
            eprintln!(
                "vb2scope: cannot remember recent files in {}: {e}",
                store.display()
            );
        }
    }
}

/// Opens a file the user chose, in the background.
fn open_path(inspector: &mut Inspector, path: &Path) {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => {
            remember(inspector.recent_mut(), &name);
            inspector.open_in_background(name, bytes);
        }
        Err(e) => inspector.fail(LoadError::Unreadable(format!("{name}: cannot read: {e}"))),
    }
}

/// Asks for a trace to compare with the one shown, and compares it.
fn compare_picked(inspector: &mut Inspector) {
    let Some(path) = rfd::FileDialog::new()
        .set_title("Compare with a trace or a scenario")
        .add_filter(
            "vb2scope traces and scenarios",
            &["jsonl", "zst", "vb2b", "vb2s", "json", "txt"],
        )
        .add_filter("all files", &["*"])
        .pick_file()
    else {
        return;
    };
    let name = path.display().to_string();
    match std::fs::read(&path) {
        Ok(bytes) => inspector.compare_with(&name, &bytes),
        Err(e) => inspector.compare_failed(format!("{name}: cannot read: {e}")),
    }
}

/// Asks where to save the scenario being edited and writes it there; the editor says how it
/// went.
fn save_scenario(inspector: &mut Inspector, name: &str, text: &str) {
    let file = Path::new(name)
        .file_name()
        .map_or(name.into(), |f| f.to_string_lossy());
    let Some(path) = rfd::FileDialog::new()
        .set_title("Save the scenario")
        .set_file_name(file.as_ref())
        .add_filter("vb2scope scenarios", &["vb2s"])
        .save_file()
    else {
        return;
    };
    let note = match std::fs::write(&path, text) {
        Ok(()) => {
            let shown = path.display().to_string();
            inspector.editor_mut().set_source(&shown, text);
            format!("saved to {shown}")
        }
        Err(e) => format!("cannot save to {}: {e}", path.display()),
    };
    inspector.editor_mut().note = Some(note);
}

/// Asks where to save a live recording and writes it there (compressed for `.zst`); the
/// outcome goes to the Live panel's log.
fn save_recording(inspector: &mut Inspector, name: &str, bytes: &[u8]) {
    let Some(path) = rfd::FileDialog::new()
        .set_title("Save the live recording")
        .set_file_name(name)
        .add_filter("vb2scope traces", &["jsonl", "zst"])
        .save_file()
    else {
        return;
    };
    let compressed;
    let data = if path.extension().is_some_and(|e| e == "zst") {
        match zstd::encode_all(bytes, 3) {
            Ok(c) => {
                compressed = c;
                &compressed[..]
            }
            Err(e) => {
                inspector
                    .live_mut()
                    .log_mut()
                    .error(format!("cannot compress: {e}"));
                return;
            }
        }
    } else {
        bytes
    };
    match std::fs::write(&path, data) {
        Ok(()) => inspector
            .live_mut()
            .log_mut()
            .info(format!("saved the recording to {}", path.display())),
        Err(e) => inspector
            .live_mut()
            .log_mut()
            .error(format!("{}: cannot write: {e}", path.display())),
    }
}

fn save_png(path: &Path, w: u32, h: u32, rgba: &[u8]) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgba).map_err(|e| e.to_string())
}

impl eframe::App for Gui {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let dropped: Vec<egui::DroppedFileHandle> = ui.ctx().input(|i| i.raw.dropped_files.clone());
        if let Some(f) = dropped.first() {
            let name = f.path().display().to_string();
            match f.bytes() {
                Ok(b) => self.inspector.open_in_background(name, b),
                Err(e) => self
                    .inspector
                    .fail(LoadError::Unreadable(format!("{name}: cannot read: {e}"))),
            }
        }
        self.inspector.ui(ui);
        for r in self.inspector.take_requests() {
            let path = match r {
                Request::OpenDialog => rfd::FileDialog::new()
                    .set_title("Open a trace or a scenario")
                    .add_filter(
                        "vb2scope traces and scenarios",
                        &["jsonl", "zst", "vb2b", "vb2s", "json"],
                    )
                    .add_filter("all files", &["*"])
                    .pick_file(),
                Request::Open(p) => Some(PathBuf::from(p)),
                Request::SaveRecording { name, bytes } => {
                    save_recording(&mut self.inspector, &name, &bytes);
                    None
                }
                Request::OpenToCompare => {
                    compare_picked(&mut self.inspector);
                    None
                }
                Request::SaveScenario { name, text } => {
                    save_scenario(&mut self.inspector, &name, &text);
                    None
                }
            };
            if let Some(p) = path {
                open_path(&mut self.inspector, &p);
            }
        }
        let Some(shot) = &mut self.shot else { return };
        if self.inspector.is_loading() {
            if self.inspector.shows_document()
                && !shot.preview_reported
                && std::env::var_os("VB2SCOPE_REPORT_PEAK").is_some()
            {
                shot.preview_reported = true;
                eprintln!(
                    "vb2scope: first frame (a preview) after {:.3} s",
                    super::started().elapsed().as_secs_f64()
                );
            }
            // The picture is of the loaded input, not of the progress bar, which repaints as
            // it does in a window (drawing it flat out would take a core from the loader); the
            // loader wakes the window when it is done.
            return;
        }
        shot.frames += 1;
        if shot.frames == 1 && std::env::var_os("VB2SCOPE_REPORT_PEAK").is_some() {
            // The first frame of the loaded input is being laid out (bench-scale reads it).
            eprintln!(
                "vb2scope: first frame after {:.3} s",
                super::started().elapsed().as_secs_f64()
            );
        }
        ui.ctx().request_repaint();
        if shot.frames >= 5 && !shot.requested {
            shot.requested = true;
            let (path, outcome, ctx) = (shot.path.clone(), shot.outcome.clone(), ui.ctx().clone());
            ui.ctx()
                .request_screenshot(move |img: Arc<egui::ColorImage>| {
                    let [w, h] = img.size;
                    let rgba: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
                    let r = save_png(&path, w as u32, h as u32, &rgba);
                    if let Ok(mut o) = outcome.lock() {
                        *o = Some(r);
                    }
                    ctx.request_repaint();
                });
        }
        let done = shot.outcome.lock().map(|o| o.is_some()).unwrap_or(true);
        if done {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}
