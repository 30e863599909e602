//! `vb2scope record -- CMD`: an unmodified program recorded with every field of its buffer
//! calls, optionally with the kernel's side merged.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use vb2scope_core::trace::OwnedEvent;
use vb2scope_device::record::Recorder;
use vb2scope_device::{AppError, AppExit, attach_process, record_program};

/// Where the trace of `program` goes when `-o` does not say: `NAME.jsonl` here.
fn default_output(program: &str) -> PathBuf {
    let name = Path::new(program)
        .file_name()
        .map_or_else(|| "program".into(), |n| n.to_string_lossy().into_owned());
    PathBuf::from(format!("{name}.jsonl"))
}

/// Writes to `out` (a trace headed `source`/`title`, with the kernel's side merged when
/// `kernel_trace`) the events `run` gives its sink; returns what `run` returned and how many
/// events were written.
fn recording<T>(
    out: &Path,
    source: String,
    title: String,
    kernel_trace: bool,
    run: impl FnOnce(&mut dyn FnMut(OwnedEvent)) -> Result<T, AppError>,
) -> Result<(T, u64)> {
    let rec = Recorder::create(out, super::device::header(source, title))
        .with_context(|| format!("{}: cannot write", out.display()))?;
    let cap = super::kernel::start(kernel_trace, out)?;
    let tx = rec.sender();
    let ran = run(&mut |e| {
        let _ = tx.send(e);
    });
    drop(tx);
    let written = rec
        .finish()
        .with_context(|| format!("{}: cannot write", out.display()))?;
    let merged = super::kernel::finish(cap, out);
    let ran = ran?;
    merged?;
    Ok((ran, written.events))
}

/// Records `command`; returns the program's exit status (128 + the signal that killed it).
pub fn record(
    command: &[String],
    output: Option<&Path>,
    kernel_trace: bool,
    filtered: bool,
) -> Result<i32> {
    let program = command.first().map_or("", String::as_str);
    let out = output.map_or_else(|| default_output(program), Path::to_path_buf);
    let shown = command.join(" ");
    let source = format!("vb2scope record -- {shown}");
    let ((exit, stats), events) = recording(&out, source, shown.clone(), kernel_trace, |sink| {
        record_program(command, filtered, sink)
    })?;
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
            format!("; {} 32-bit calls not decoded", stats.compat)
        } else {
            String::new()
        }
    );
    Ok(match exit {
        AppExit::Code(c) => c,
        AppExit::Signal(s) => 128 + s,
    })
}

/// Records the running process `pid` until it ends or Ctrl-C, then leaves it running.
pub fn attach(pid: i32, output: Option<&Path>, kernel_trace: bool) -> Result<i32> {
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
    let ((exit, stats), events) = recording(&out, source, shown.clone(), kernel_trace, |sink| {
        attach_process(pid, sink, &stop)
    })?;
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
