//! `vb2scope bench-scale`: how vb2scope grows with the size of a trace. Synthetic streaming
//! sessions (the benchmarks' DMABUF workload) of each size are written as JSON Lines and as
//! the binary form; each is measured against the floor of reading the same file (`cat`,
//! `grep -c .`) in the same run, from a warm page cache:
//!
//! * `check` of the binary file, end to end, as its own process (wall time, peak memory);
//! * `check` of the JSON Lines file, the same way;
//! * loading for the window: reading, the replay and the timeline (what the first frame waits
//!   for), in this process;
//! * the bytes each event takes once loaded (the trace's tables);
//! * the same session taken in as a live recording, a slice at a time (`bench_live`);
//! * then the text importers (strace, ftrace) on real captures made 200 MB long (`--text-mb`,
//!   `bench_text`), against `grep -c .` of the same file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use vb2scope_core::analysis::{Depth, PolicyChoice, analyze};
use vb2scope_core::scenario::{parse, run as run_scenario, streaming_workload};
use vb2scope_core::v4l2::Memory;

/// Events per frame of the workload (QBUF, DQBUF, a completion, the memops of DMABUF).
const EVENTS_PER_FRAME_DMABUF: f64 = 8.058;

/// Reads a size such as `100k`, `10M` or `2500000`.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mul) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1_000),
        Some('m' | 'M') => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    num.parse::<f64>()
        .map(|n| (n * mul as f64) as u64)
        .map_err(|e| format!("{s:?}: {e}"))
}

/// Wall time of a command, and the peak memory it reports (vb2scope's own, via
/// `VB2SCOPE_REPORT_PEAK`). Its output goes to /dev/null, or to a pipe read here when
/// `piped` (GNU grep stops at the first match when its output is /dev/null).
fn timed(cmd: &mut Command, piped: bool) -> Result<(f64, Option<u64>)> {
    let t0 = Instant::now();
    let out = cmd
        .env("VB2SCOPE_REPORT_PEAK", "1")
        .stdout(if piped { Stdio::piped() } else { Stdio::null() })
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let peak = String::from_utf8_lossy(&out.stderr).lines().find_map(|l| {
        l.strip_prefix("vb2scope: peak memory ")?
            .split(' ')
            .next()?
            .parse()
            .ok()
    });
    Ok((secs, peak))
}

/// The best of `n` runs (the page cache warm after the first).
fn best(n: usize, mut f: impl FnMut() -> Result<(f64, Option<u64>)>) -> Result<(f64, Option<u64>)> {
    let mut out = f()?;
    for _ in 1..n {
        let r = f()?;
        if r.0 < out.0 {
            out = r;
        }
    }
    Ok(out)
}

pub(super) fn floor(prog: &str, args: &[&str], file: &Path) -> Result<f64> {
    let piped = prog == "grep";
    let r = best(3, || timed(Command::new(prog).args(args).arg(file), piped))?;
    Ok(r.0)
}

struct Row {
    bin: PathBuf,
    events: usize,
    jsonl_bytes: Option<u64>,
    binary_bytes: u64,
    cat_jsonl: Option<f64>,
    grep_jsonl: Option<f64>,
    cat_binary: f64,
    check_binary: (f64, Option<u64>),
    check_jsonl: Option<(f64, Option<u64>)>,
    load_read: f64,
    load_window: f64,
    trace_bytes_per_event: f64,
    run: f64,
}

fn measure(exe: &Path, dir: &Path, events: u64, jsonl: bool, memory: Memory) -> Result<Row> {
    let frames = ((events as f64) / EVENTS_PER_FRAME_DMABUF).ceil() as usize;
    let text = streaming_workload(frames.max(1), memory);
    let sc = parse("workload.vb2s", &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t0 = Instant::now();
    let trace = run_scenario(&sc, vb2scope_core::policy::Policy::MODERN)?;
    let run = t0.elapsed().as_secs_f64();
    drop(sc);
    drop(text);
    let n = trace.events.len();
    let stem = dir.join(format!("scale-{n}"));
    let bin = stem.with_extension("vb2b");
    super::output::write_trace(&bin, &trace)?;
    let json_path = stem.with_extension("jsonl");
    if jsonl {
        super::output::write_trace(&json_path, &trace)?;
    }
    drop(trace);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let cat_binary = floor("cat", &[], &bin)?;
    let check = |p: &Path| best(3, || timed(Command::new(exe).arg("check").arg(p), false));
    let check_binary = check(&bin)?;
    let (cat_jsonl, grep_jsonl, check_jsonl) = if jsonl {
        (
            Some(floor("cat", &[], &json_path)?),
            Some(floor("grep", &["-c", "."], &json_path)?),
            Some(best(1, || {
                timed(Command::new(exe).arg("check").arg(&json_path), false)
            })?),
        )
    } else {
        (None, None, None)
    };
    let bytes = std::fs::read(&bin)?;
    let t0 = Instant::now();
    let name = bin.display().to_string();
    let read = vb2scope_core::format::read_native_bytes(&bytes)?;
    let load_read = t0.elapsed().as_secs_f64();
    let trace_bytes_per_event = read.0.heap_bytes() as f64 / n as f64;
    drop(read);
    let t0 = Instant::now();
    let a = analyze(
        &name,
        &bytes,
        None,
        PolicyChoice::Auto,
        Depth::Timeline,
        None,
    )?;
    let load_window = t0.elapsed().as_secs_f64();
    drop(a);
    Ok(Row {
        bin: bin.clone(),
        events: n,
        jsonl_bytes: jsonl.then(|| size(&json_path)).flatten(),
        binary_bytes: size(&bin).unwrap_or(0),
        cat_jsonl,
        grep_jsonl,
        cat_binary,
        check_binary,
        check_jsonl,
        load_read,
        load_window,
        trace_bytes_per_event,
        run,
    })
}

fn secs(s: Option<f64>) -> String {
    s.map_or("-".into(), |s| format!("{s:.3}"))
}

fn mib(b: Option<u64>) -> String {
    b.map_or("-".into(), |b| format!("{:.1}", b as f64 / 1048576.0))
}

fn print(r: &Row) {
    let per = |s: f64| s * 1e9 / r.events as f64;
    println!(
        "| {} | {} | {} | {} | {} | {} | {} ({} MiB) | {} ({} MiB) | {:.3} | {:.3} ({:.0} ns/event) | {:.1} | {:.2} |",
        r.events,
        mib(r.jsonl_bytes),
        mib(Some(r.binary_bytes)),
        secs(r.cat_jsonl),
        secs(r.grep_jsonl),
        secs(Some(r.cat_binary)),
        secs(Some(r.check_binary.0)),
        mib(r.check_binary.1.map(|k| k * 1024)),
        secs(r.check_jsonl.map(|c| c.0)),
        mib(r.check_jsonl.and_then(|c| c.1).map(|k| k * 1024)),
        r.load_read,
        r.load_window,
        per(r.load_window),
        r.trace_bytes_per_event,
        r.run,
    );
}

pub fn run(
    sizes: &[u64],
    dir: Option<&Path>,
    jsonl_max: u64,
    text_mb: usize,
    keep: bool,
) -> Result<i32> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let dir: PathBuf = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!("vb2scope-bench-scale-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    if sizes.is_empty() {
        bail!("no sizes");
    }
    println!(
        "synthetic DMABUF streaming sessions, {} cores; times in seconds, best of 3 (JSON Lines check: 1)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| events | JSONL MiB | binary MiB | cat JSONL | grep -c . JSONL | cat binary | check binary (peak) | check JSONL (peak) | read binary | load for the window | trace B/event | run |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rows = Vec::new();
    for &n in sizes {
        let r = measure(&exe, &dir, n, n <= jsonl_max, Memory::Dmabuf)?;
        print(&r);
        rows.push(r);
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.last())
        && b.events > a.events
    {
        let growth = |x: f64, y: f64| (y / x) / (b.events as f64 / a.events as f64);
        println!(
            "growth from {} to {} events, relative to linear (1.00 = linear): check binary {:.2}, load for the window {:.2}",
            a.events,
            b.events,
            growth(a.check_binary.0, b.check_binary.0),
            growth(a.load_window, b.load_window)
        );
    }
    super::bench_live::print_header("the same sessions");
    for r in &rows {
        let bytes = std::fs::read(&r.bin)?;
        super::bench_live::print(&super::bench_live::measure(&bytes)?, r.load_window);
    }
    super::bench_live::print_header(
        "M2M sessions (a real vim2m recording's frames played again, each a job of its own)",
    );
    for &n in sizes {
        let (row, rebuild) = super::bench_live::measure_m2m(n as usize)?;
        super::bench_live::print(&row, rebuild);
    }
    super::bench_live::print_header("DMABUF sessions with a new dma-buf every frame");
    let mut runs = Vec::new();
    for &n in sizes {
        let (row, rebuild, run) = super::bench_live::measure_fresh(n as usize)?;
        super::bench_live::print(&row, rebuild);
        runs.push(format!("{} events {run:.2} s", row.events));
    }
    println!(
        "running each scenario (parsing it, a name per frame, and replaying it into a trace): {}",
        runs.join(", ")
    );
    if text_mb > 0 {
        super::bench_text::text_imports(&dir, text_mb)?;
    }
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(0)
}
