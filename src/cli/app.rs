//! `vb2scope record -- CMD`: an unmodified program recorded with every field of its buffer
//! calls, optionally with the kernel's side merged.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use vb2scope_core::trace::OwnedEvent;
use vb2scope_device::record::Recorder;
use vb2scope_device::{AppError, AppExit, ProgramSpec, Update, attach_process, record_program};

/// Where the trace of `program` goes when `-o` does not say: `NAME.jsonl` here.
fn default_output(program: &str) -> PathBuf {
    let name = Path::new(program)
        .file_name()
        .map_or_else(|| "program".into(), |n| n.to_string_lossy().into_owned());
    PathBuf::from(format!("{name}.jsonl"))
}

/// How `record -- CMD` records.
pub struct Options<'a> {
    pub output: Option<&'a Path>,
    pub kernel_trace: bool,
    pub filtered: bool,
    /// Show the recording in the window as it grows.
    pub view: bool,
}

/// Writes to `out` (a trace headed `source`/`title`, with the kernel's side merged when
/// `kernel_trace`) the events `run` gives its sink; returns what `run` returned and how many
/// events were written. With `view`, `run` runs on a thread while the window shows its
/// events; `closed` is called when the window is closed before the recording ended.
fn recording<T: Send + 'static>(
    out: &Path,
    (source, title): (String, String),
    kernel_trace: bool,
    view: bool,
    closed: impl FnOnce(),
    run: impl FnOnce(&mut dyn FnMut(OwnedEvent)) -> Result<T, AppError> + Send + 'static,
) -> Result<(T, u64)> {
    let rec = Recorder::create(out, super::device::header(source, title.clone()))
        .with_context(|| format!("{}: cannot write", out.display()))?;
    let cap = super::kernel::start(kernel_trace, out)?;
    let tx = rec.sender();
    let ran = if view {
        let (up, updates) = crossbeam_channel::unbounded();
        let worker = std::thread::Builder::new()
            .name("vb2scope-record".into())
            .spawn(move || {
                let ran = run(&mut |e| {
                    let _ = up.send(Update::Event(e.clone()));
                    let _ = tx.send(e);
                });
                let why = match &ran {
                    Ok(_) => "the recording is complete".to_string(),
                    Err(e) => e.to_string(),
                };
                let _ = up.send(Update::Ended(why));
                ran
            })
            .context("cannot start the recording thread")?;
        match super::gui::run_live(&title, updates, None) {
            Err(e) => eprintln!("vb2scope: {e:#}; recording on without the window"),
            Ok(_) if !worker.is_finished() => closed(),
            Ok(_) => {}
        }
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("the recording thread failed"))?
    } else {
        let ran = run(&mut |e| {
            let _ = tx.send(e);
        });
        drop(tx);
        ran
    };
    let written = rec
        .finish()
        .with_context(|| format!("{}: cannot write", out.display()))?;
    let merged = super::kernel::finish(cap, out);
    let ran = ran?;
    merged?;
    Ok((ran, written.events))
}

/// Records `command`; returns the program's exit status (128 + the signal that killed it).
pub fn record(command: &[String], o: &Options) -> Result<i32> {
    let program = command.first().map_or("", String::as_str);
    let out = o
        .output
        .map_or_else(|| default_output(program), Path::to_path_buf);
    let shown = command.join(" ");
    let source = format!("vb2scope record -- {shown}");
    let spec = ProgramSpec {
        command: command.to_vec(),
        filtered: o.filtered,
        terminal: true,
        ..ProgramSpec::default()
    };
    let closed = || {
        eprintln!(
            "vb2scope: the window was closed; recording until the program ends (Ctrl-C ends it)"
        )
    };
    let ((exit, stats), events) = recording(
        &out,
        (source, shown.clone()),
        o.kernel_trace,
        o.view,
        closed,
        move |sink| record_program(spec, &mut |_| {}, sink),
    )?;
    let filtered = o.filtered;
    if !stats.filtered {
        eprintln!(
            "vb2scope: note: {}: every call of the program stopped, not only the buffer calls \
             (slower for it)",
            if filtered {
                "this kernel has no seccomp filters"
            } else {
                "--no-filter"
            }
        );
    }
    eprintln!(
        "vb2scope: recorded `{shown}`: {} events from {} stopped calls in {} process(es) to {}{}",
        events,
        stats.stops,
        stats.processes,
        out.display(),
        if stats.compat > 0 {
            format!(
                "; {} buffer calls of 32-bit code written without their argument (another layout)",
                stats.compat
            )
        } else {
            String::new()
        }
    );
    Ok(match exit {
        AppExit::Code(c) => c,
        AppExit::Signal(s) => 128 + s,
    })
}

/// Records the running process `pid` until it ends or Ctrl-C (or, with `view`, the window
/// is closed), then leaves it running.
pub fn attach(pid: i32, output: Option<&Path>, kernel_trace: bool, view: bool) -> Result<i32> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|_| format!("process {pid}"));
    let out = output.map_or_else(
        || PathBuf::from(format!("{comm}-{pid}.jsonl")),
        Path::to_path_buf,
    );
    let shown = format!("{comm} (pid {pid})");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let _ = ctrlc::set_handler(move || s.store(true, std::sync::atomic::Ordering::Relaxed));
    let source = format!("vb2scope record --attach {pid}");
    let closing = stop.clone();
    let closed = move || closing.store(true, std::sync::atomic::Ordering::Relaxed);
    let ((exit, stats), events) = recording(
        &out,
        (source, shown.clone()),
        kernel_trace,
        view,
        closed,
        move |sink| attach_process(pid, sink, &stop),
    )?;
    eprintln!(
        "vb2scope: recorded {shown}: {} events from {} stopped calls to {}; {}",
        events,
        stats.stops,
        out.display(),
        match exit {
            Some(AppExit::Code(c)) => format!("it exited with {c}"),
            Some(AppExit::Signal(s)) => format!("it was killed by signal {s}"),
            None => "it runs on".into(),
        }
    );
    Ok(0)
}
