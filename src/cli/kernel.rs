//! `--kernel-trace`: capture ftrace (vb2/v4l2 tracepoints, printk, memop and dma-buf kprobes)
//! around a device session, then merge it into the recorded trace on the same clock. The raw
//! kernel text is kept beside the trace as it arrives, so a killed run keeps both halves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use vb2scope_core::format::write_native;
use vb2scope_core::kernel;
use vb2scope_device::{CaptureOptions, KernelCapture};

use super::input::read_trace;

/// Where the raw kernel text of a recording goes: `TRACE.ftrace.txt`.
pub fn side_file(trace: &Path) -> PathBuf {
    let mut s = trace.as_os_str().to_owned();
    s.push(".ftrace.txt");
    PathBuf::from(s)
}

/// Starts a capture when asked; removes leftovers of a killed earlier run first.
pub fn start(enabled: bool, trace: &Path) -> Result<Option<KernelCapture>> {
    if !enabled {
        return Ok(None);
    }
    let opts = CaptureOptions {
        save_to: Some(side_file(trace)),
        ..CaptureOptions::default()
    };
    let cap = KernelCapture::start(&opts).context("--kernel-trace")?;
    print_notes(cap.notes());
    Ok(Some(cap))
}

/// Stops the capture (removing the probes) and rewrites `trace` with the kernel's events
/// merged in. Without a capture, nothing to do.
pub fn finish(cap: Option<KernelCapture>, trace: &Path) -> Result<()> {
    let Some(cap) = cap else { return Ok(()) };
    // The notes of the start were printed then.
    let noted = cap.notes().len();
    let out = cap.stop().context("--kernel-trace: stopping the capture")?;
    print_notes(out.notes.get(noted..).unwrap_or(&[]));
    let mut user = read_trace(trace)?;
    // Each open of an M2M node has its own queues, before the kernel's events are put on
    // them.
    vb2scope_core::trace::split_m2m_contexts(&mut user);
    let merged = kernel::merge(&user, &out.text);
    for d in merged.diagnostics.iter().take(10) {
        eprintln!("vb2scope: kernel trace: {d}");
    }
    if merged.diagnostics.len() > 10 {
        eprintln!(
            "vb2scope: kernel trace: … and {} more diagnostics",
            merged.diagnostics.len() - 10
        );
    }
    let c = merged.counts;
    let mut bytes = Vec::new();
    write_native(&mut bytes, &merged.trace)?;
    if trace.extension().is_some_and(|e| e == "zst") {
        bytes = zstd::encode_all(&bytes[..], 3)?;
    }
    // Written beside and renamed over, so the trace is never half-written.
    let tmp = trace.with_extension("merging");
    std::fs::write(&tmp, &bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, trace).with_context(|| format!("{}: cannot write", trace.display()))?;
    eprintln!(
        "vb2scope: kernel trace: {} lines, {} memops on buffers ({} unresolved), {} completions, {} tracepoints, {} log lines merged into {} (raw text in {})",
        c.lines,
        c.memops_resolved,
        c.memops_unresolved,
        c.buffer_done,
        c.tracepoints,
        c.klogs,
        trace.display(),
        side_file(trace).display()
    );
    Ok(())
}

/// Notes, with the kprobes skipped for functions this kernel lacks (an allocator module not
/// loaded, a function inlined or not yet in this release) summed up in one line that names
/// them.
fn print_notes(notes: &[String]) {
    let mut missing: Vec<&str> = notes
        .iter()
        .filter_map(|n| n.split_once(" skipped: no function ").map(|(_, f)| f))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    for n in notes
        .iter()
        .filter(|n| !n.contains(" skipped: no function "))
    {
        eprintln!("vb2scope: kernel trace: {n}");
    }
    if !missing.is_empty() {
        eprintln!(
            "vb2scope: kernel trace: kprobes skipped, not in the running kernel: {}",
            missing.join(", ")
        );
    }
}

/// `vb2scope trace-kernel -o FILE -- CMD…`: the kernel's side of whatever CMD does with V4L2
/// buffers, as ftrace text. Ctrl-C is the command's: it ends it, and the capture is then
/// finished and written. Returns the command's exit status (128 + N for a signal).
pub fn trace_command(output: &Path, command: &[std::ffi::OsString]) -> Result<i32> {
    use std::os::unix::process::ExitStatusExt;
    let Some((program, args)) = command.split_first() else {
        anyhow::bail!("trace-kernel: no command given");
    };
    let opts = CaptureOptions {
        save_to: Some(output.to_path_buf()),
        ..CaptureOptions::default()
    };
    let cap = KernelCapture::start(&opts).context("trace-kernel")?;
    print_notes(cap.notes());
    let noted = cap.notes().len();
    // The terminal's Ctrl-C reaches the command too; here it must only not end us first.
    let _ = ctrlc::set_handler(|| {});
    let status = std::process::Command::new(program).args(args).status();
    let out = cap.stop().context("trace-kernel: stopping the capture")?;
    print_notes(out.notes.get(noted..).unwrap_or(&[]));
    let status = status.with_context(|| format!("cannot run {}", program.to_string_lossy()))?;
    eprintln!(
        "vb2scope: kernel trace: {} lines written to {}",
        out.lines,
        output.display()
    );
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
