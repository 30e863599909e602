//! `vb2scope devices`, `vb2scope run --device` and `vb2scope record`: the commands that drive
//! a real V4L2 device and record what it does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::format::NATIVE_VERSION;
use vb2scope_core::import::Format;
use vb2scope_core::report::{InputResult, to_text};
use vb2scope_core::rules::RuleId;
use vb2scope_core::scenario;
use vb2scope_core::trace::TraceHeader;
use vb2scope_core::v4l2::Memory;
use vb2scope_device::record::Recorder;
use vb2scope_device::{self as device, DmabufSource, Session, StreamConfig};

use super::input::load_as;

/// Ctrl-C and SIGTERM end a session cleanly: the run stops at the next call and tears down.
fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // A second handler cannot be set in one process; the flag then just never trips.
    let _ = ctrlc::set_handler(move || s.store(true, Ordering::Relaxed));
    stop
}

pub fn devices() -> Result<i32> {
    let list = device::list();
    if list.is_empty() {
        println!("no V4L2 devices (nothing in /sys/class/video4linux)");
        return Ok(0);
    }
    for d in list {
        match &d.caps {
            Ok(c) => {
                println!(
                    "{}  {}  driver={} card={:?} bus={}",
                    d.path.display(),
                    d.name,
                    c.driver,
                    c.card,
                    c.bus_info
                );
                let queues = device::queue_memory(&d.path);
                if queues.is_empty() {
                    println!("    no video queues (caps 0x{:08x})", c.device_caps);
                }
                for (ty, mem) in queues {
                    println!("    {:<22} {}", ty.as_str(), mem);
                }
            }
            Err(e) => println!("{}  {}  ({e})", d.path.display(), d.name),
        }
    }
    Ok(0)
}

pub(super) fn header(source: String, title: String) -> TraceHeader {
    TraceHeader {
        version: NATIVE_VERSION,
        source,
        policy: None,
        title,
        kernel: vb2scope_device::kernel_release(),
        clock: vb2scope_device::recording_clock(),
    }
}

fn open_session(dev: &str, source: Option<&str>, rec: &Recorder) -> Result<Session> {
    let path = device::resolve(dev)?;
    let source = match source {
        Some(s) => DmabufSource::parse(s)?,
        None => DmabufSource::default(),
    };
    Ok(Session::open(&path, false, source, rec.sink())?)
}

fn output_or_default(o: Option<&Path>, stem: &str) -> PathBuf {
    o.map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{stem}.jsonl")))
}

/// `vb2scope run SCENARIO --device DEV`.
pub fn run_scenario(
    file: &Path,
    dev: &str,
    source: Option<&str>,
    output: Option<&Path>,
    choice: PolicyChoice,
    kernel_trace: bool,
) -> Result<i32> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    let sc = scenario::parse(&file.display().to_string(), &text)?;
    let out = output_or_default(output, &file.with_extension("").display().to_string());
    let rec = Recorder::create(
        &out,
        header(
            format!("vb2scope run {} --device {dev}", file.display()),
            sc.title.clone(),
        ),
    )
    .with_context(|| format!("{}: cannot write", out.display()))?;
    let stop = stop_flag();
    let cap = super::kernel::start(kernel_trace, &out)?;
    let run = open_session(dev, source, &rec).and_then(|mut s| {
        let r = device::run_scenario(&mut s, &sc, &stop);
        drop(s);
        Ok(r?)
    });
    let stats = rec
        .finish()
        .with_context(|| format!("{}: cannot write", out.display()))?;
    // The session's own error comes first; a kernel-side failure is then only a note.
    let merged = super::kernel::finish(cap, &out);
    let rep = run?;
    merged?;
    eprintln!(
        "vb2scope: ran {} statements on {dev}; wrote {} events to {}",
        rep.statements,
        stats.events,
        out.display()
    );
    if !rep.skipped_driver_lines.is_empty() {
        eprintln!(
            "vb2scope: skipped `driver` lines {:?}: a real driver does what it does",
            rep.skipped_driver_lines
        );
    }
    if !rep.skipped_request_lines.is_empty() {
        eprintln!(
            "vb2scope: skipped media request lines {:?}: the device has no media device to \
             make requests on (the model runs them: `vb2scope run FILE` without --device)",
            rep.skipped_request_lines
        );
    }
    if !rep.timed_out.is_empty() {
        eprintln!(
            "vb2scope: a blocking DQBUF or DQEVENT got nothing within 5 s at lines {:?} (interrupted)",
            rep.timed_out
        );
    }
    // `expect` lines are compared with what the device answered by the check.
    let a = load_as(&out, Some(Format::Native), choice, Depth::Findings)?;
    let mut report = a.report().clone();
    report.findings.retain(|f| f.rule == RuleId::Expect);
    let n = report.findings.len();
    if n > 0 {
        print!(
            "{}",
            to_text(&[InputResult::new(
                out.display().to_string(),
                &a.trace,
                report,
                None,
                Vec::new(),
            )])
        );
    } else {
        eprintln!("vb2scope: every `expect` line held on the device");
    }
    Ok(if n > 0 { 1 } else { 0 })
}

pub struct RecordArgs<'a> {
    pub device: &'a str,
    pub memory: Memory,
    pub dmabuf_from: Option<&'a str>,
    pub queue: Option<vb2scope_core::v4l2::BufType>,
    pub frames: u32,
    pub cycles: u32,
    pub buffers: u32,
    pub output: &'a Path,
    pub kernel_trace: bool,
}

/// `vb2scope record`.
pub fn record(a: &RecordArgs) -> Result<i32> {
    if a.frames == 0 {
        bail!("--frames must be at least 1");
    }
    let title = format!(
        "{} streaming: {} buffers, {} frames, {} cycle(s)",
        a.memory.as_str(),
        a.buffers,
        a.frames,
        a.cycles
    );
    let rec = Recorder::create(
        a.output,
        header(format!("vb2scope record --device {}", a.device), title),
    )
    .with_context(|| format!("{}: cannot write", a.output.display()))?;
    let stop = stop_flag();
    let cfg = StreamConfig {
        queue: a.queue,
        memory: a.memory,
        buffers: a.buffers,
        frames: a.frames,
        cycles: a.cycles,
        fast: true,
    };
    let cap = super::kernel::start(a.kernel_trace, a.output)?;
    let run = open_session(a.device, a.dmabuf_from, &rec).and_then(|mut s| {
        let r = device::stream(&mut s, &cfg, &stop);
        let _ = s.close_handle(None);
        Ok(r?)
    });
    let stats = rec
        .finish()
        .with_context(|| format!("{}: cannot write", a.output.display()))?;
    let merged = super::kernel::finish(cap, a.output);
    if run.is_err()
        && let Err(e) = &merged
    {
        eprintln!("vb2scope: {e:#}");
    }
    match run {
        Ok(st) => {
            merged?;
            let secs = st.streaming_ns as f64 / 1e9;
            eprintln!(
                "vb2scope: {} frames in {} cycle(s) on {} buffers, {:.2} s streaming ({:.1} fps); wrote {} events to {}{}",
                st.frames,
                st.cycles,
                st.buffers,
                secs,
                if secs > 0.0 {
                    f64::from(st.frames) / secs
                } else {
                    0.0
                },
                stats.events,
                a.output.display(),
                if st.stopped { " (stopped early)" } else { "" }
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!(
                "vb2scope: the trace so far ({} events) is in {}",
                stats.events,
                a.output.display()
            );
            Err(e)
        }
    }
}
