//! The live part of `vb2scope bench-scale`: the same synthetic session taken in as a live
//! recording in the window is, a slice of events at a time, each update replaying only what
//! came and growing the timeline in place. Measured: what one update costs at the start and at
//! the end of the recording (it must not grow with the recording), against rebuilding from
//! zero (the window's load of the whole trace) and against the floor of appending the slice to
//! the trace; and the bytes per event the recording and its timeline hold.

use std::time::Instant;

use anyhow::{Result, anyhow};

use vb2scope_core::analysis::{Analysis, Depth, PolicyChoice};
use vb2scope_core::import::{Format, import_bytes};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario::{fresh_dmabuf_workload, parse, run as run_scenario};
use vb2scope_core::trace::{Body, Event, IoctlArg, IoctlCmd, Trace};

/// Events per update: a quarter of a second of a fast recording (a 60 fps M2M session with
/// the kernel's side makes about 4 000 events a second).
pub const SLICE: usize = 1_000;
/// Updates averaged at each end.
const ENDS: usize = 100;

pub struct LiveRow {
    pub events: usize,
    pub updates: usize,
    /// Milliseconds per update, over the first and the last [`ENDS`] updates.
    pub first_ms: f64,
    pub last_ms: f64,
    /// Milliseconds per update of appending the slice alone (the floor).
    pub append_ms: f64,
    /// The whole recording taken in, in seconds (all updates and the end).
    pub total: f64,
    /// The bytes per event the recording (its trace) and its timeline hold at the end.
    pub trace_per_event: f64,
    pub timeline_per_event: f64,
}

fn mean_ms(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64 * 1e3
}

/// Takes in the trace in `bytes` (a `.vb2b`) as a live recording.
pub fn measure(bytes: &[u8]) -> Result<LiveRow> {
    let (trace, _) = vb2scope_core::format::read_native_bytes(bytes)?;
    measure_trace(trace)
}

/// Takes in `trace` as a live recording.
fn measure_trace(mut trace: Trace) -> Result<LiveRow> {
    let all = std::mem::take(&mut trace.events);
    let start = Instant::now();
    let mut a = Analysis::growing("live", trace, PolicyChoice::Auto);
    let (mut updates, mut appends) = (Vec::new(), Vec::new());
    let mut restarts = 0;
    for slice in all.chunks(SLICE) {
        let t0 = Instant::now();
        a.trace.events.extend_from_slice(slice);
        let t1 = Instant::now();
        if a.grow(false, false).is_err() {
            // What came changes what was replayed (a recording's first observed result, or
            // kernel events of a call taken as ended): judged again from its start, as the
            // window does. Only a recording's first slices may do that.
            restarts += 1;
            if restarts > 2 {
                return Err(anyhow!("the recording was outgrown {restarts} times"));
            }
            let trace = std::mem::take(&mut a.trace);
            a = Analysis::growing("live", trace, PolicyChoice::Auto);
        }
        appends.push((t1 - t0).as_secs_f64());
        updates.push(t1.elapsed().as_secs_f64());
    }
    a.grow(true, true)
        .map_err(|e| anyhow!("the recording was outgrown at its end: {e}"))?;
    let total = start.elapsed().as_secs_f64();
    let n = all.len().max(1) as f64;
    let timeline = a.timeline().map_or(0, |t| t.heap_bytes());
    let ends = ENDS.min(updates.len());
    Ok(LiveRow {
        events: all.len(),
        updates: updates.len(),
        first_ms: mean_ms(updates.get(..ends).unwrap_or(&[])),
        last_ms: mean_ms(updates.get(updates.len() - ends..).unwrap_or(&[])),
        append_ms: mean_ms(&appends),
        total,
        trace_per_event: a.trace.heap_bytes() as f64 / n,
        timeline_per_event: timeline as f64 / n,
    })
}

/// `what`: the recordings the table is of.
pub fn print_header(what: &str) {
    println!();
    println!(
        "live: {what} taken in {SLICE} events at a time as the window takes a recording in (ms per update)"
    );
    println!(
        "| events | updates | first {ENDS} updates | last {ENDS} updates | appending alone (floor) | rebuilding from zero at the end (the window's load) | all updates | trace B/event | timeline B/event |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
}

/// `rebuild`: the seconds the window's load of the whole trace took.
pub fn print(r: &LiveRow, rebuild: f64) {
    println!(
        "| {} | {} | {:.3} | {:.3} | {:.4} | {:.0} ms | {:.2} s | {:.1} | {:.1} |",
        r.events,
        r.updates,
        r.first_ms,
        r.last_ms,
        r.append_ms,
        rebuild * 1e3,
        r.total,
        r.trace_per_event,
        r.timeline_per_event,
    );
}

/// An M2M recording of about `events` events, taken in live: a real vim2m session
/// (v4l2-ctl on Linux 6.12, recorded with strace) whose first four frames are played again
/// and again. Each frame gets its own timestamp, which the driver copies from OUTPUT to
/// CAPTURE, so every frame is a job: the jobs grow with the recording.
///
/// Also returns the seconds judging the whole recording from zero takes.
pub fn measure_m2m(events: usize) -> Result<(LiveRow, f64)> {
    measure_with_rebuild("m2m", m2m_session(events)?)
}

/// Judges `trace` whole from zero (timed), then takes it in live ([`measure_trace`]).
fn measure_with_rebuild(name: &str, trace: Trace) -> Result<(LiveRow, f64)> {
    let t0 = Instant::now();
    let whole = Analysis::of_trace(
        name,
        trace.clone(),
        PolicyChoice::Auto,
        Depth::Timeline,
        None,
    )?;
    let rebuild = t0.elapsed().as_secs_f64();
    drop(whole);
    Ok((measure_trace(trace)?, rebuild))
}

/// A DMABUF capture recording of about `events` events in which every frame comes in a
/// dma-buf of its own ([`fresh_dmabuf_workload`]), made by running the scenario, then taken
/// in live: the dma-bufs grow with the recording.
///
/// Also returns the seconds judging the whole recording from zero takes, and those running
/// the scenario (parsing it and replaying it into a trace) took.
pub fn measure_fresh(events: usize) -> Result<(LiveRow, f64, f64)> {
    // 15 events a frame: the completion, DQBUF, close, the new dma-buf and QBUF, with the
    // model's steps between them.
    let text = fresh_dmabuf_workload((events / 15).max(1));
    let t0 = Instant::now();
    let sc = parse("fresh.vb2s", &text).map_err(|e| anyhow!("{e}"))?;
    let trace = run_scenario(&sc, Policy::MODERN).map_err(|e| anyhow!("{e}"))?;
    let run = t0.elapsed().as_secs_f64();
    let (row, rebuild) = measure_with_rebuild("fresh", trace)?;
    Ok((row, rebuild, run))
}

/// See [`measure_m2m`].
fn m2m_session(events: usize) -> Result<Trace> {
    let text = include_str!("../../tests/fixtures/import/strace/k612-31-vim2m-mmap.strace.txt");
    let (imported, _) = import_bytes(text.as_bytes(), "vim2m", Some(Format::Strace), None)?;
    let mut t = imported.trace;
    let first = (t.events.iter())
        .position(is_dqbuf)
        .ok_or_else(|| anyhow!("the vim2m session dequeues nothing"))?;
    // Four frames, each a DQBUF and a QBUF of CAPTURE, then of OUTPUT.
    let frames = t.events.get(first..first + 16).unwrap_or(&[]).to_vec();
    if frames.len() < 16 {
        return Err(anyhow!("the vim2m session has fewer than four frames"));
    }
    t.events.truncate(first);
    let (mut at, step) = (frames[0].t_ns, 4_000_000);
    for f in 0..events.saturating_sub(first) / 4 {
        // A frame every 1/60 s, its timestamp on both buffers the DQBUFs returned.
        let timestamp_ns = 65_000_000_000 + f as u64 * 16_666_667;
        for e in frames.iter().skip(f % 4 * 4).take(4) {
            let mut e = *e;
            if let Body::Ioctl { cmd, arg, .. } = &mut e.body
                && let Some(IoctlArg::Buffer(mut b)) = t.arg(*arg).copied()
            {
                if *cmd == IoctlCmd::Dqbuf {
                    b.timestamp_ns = timestamp_ns;
                }
                *arg = t.add_arg(IoctlArg::Buffer(b));
            }
            at += step;
            e.t_ns = at;
            t.push(e);
        }
    }
    Ok(t)
}

fn is_dqbuf(e: &Event) -> bool {
    matches!(
        e.body,
        Body::Ioctl {
            cmd: IoctlCmd::Dqbuf,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The M2M recording is what it says: no findings, and one job per frame played again.
    #[test]
    fn every_frame_of_the_m2m_session_is_a_job() {
        let t = m2m_session(4_000).expect("the vim2m session plays again");
        let dqbufs = t.events.iter().filter(|e| is_dqbuf(e)).count();
        let a = Analysis::of_trace("m2m", t, PolicyChoice::Auto, Depth::Timeline, None)
            .expect("judged");
        assert_eq!(a.report().findings, vec![]);
        let jobs = a.timeline().map_or(0, |tl| tl.jobs.len());
        assert_eq!(jobs, dqbufs / 2, "a job per frame (a DQBUF of each queue)");
        assert!(jobs > 900, "{jobs}");
    }
}
