//! The live part of `vb2scope bench-scale`: the same synthetic session taken in as a live
//! recording in the window is, a slice of events at a time, each update replaying only what
//! came and growing the timeline in place. Measured: what one update costs at the start and at
//! the end of the recording (it must not grow with the recording), against rebuilding from
//! zero (the window's load of the whole trace) and against the floor of appending the slice to
//! the trace; and the bytes per event the recording and its timeline hold.

use std::time::Instant;

use anyhow::{Result, anyhow};

use vb2scope_core::analysis::{Analysis, PolicyChoice};

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
    let (mut trace, _) = vb2scope_core::format::read_native_bytes(bytes)?;
    let all = std::mem::take(&mut trace.events);
    let start = Instant::now();
    let mut a = Analysis::growing("live", trace, PolicyChoice::Auto);
    let (mut updates, mut appends) = (Vec::new(), Vec::new());
    for slice in all.chunks(SLICE) {
        let t0 = Instant::now();
        a.trace.events.extend_from_slice(slice);
        let t1 = Instant::now();
        a.grow(false, false)
            .map_err(|e| anyhow!("the synthetic recording was outgrown: {e}"))?;
        appends.push((t1 - t0).as_secs_f64());
        updates.push(t1.elapsed().as_secs_f64());
    }
    a.grow(true, true)
        .map_err(|e| anyhow!("the synthetic recording was outgrown: {e}"))?;
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

pub fn print_header() {
    println!();
    println!(
        "live: the same sessions taken in {SLICE} events at a time as the window takes a recording in (ms per update)"
    );
    println!(
        "| events | updates | first {ENDS} updates | last {ENDS} updates | appending alone (floor) | rebuilding from zero at the end (the window's load) | all updates | trace B/event | timeline B/event |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
}

/// `rebuild`: the seconds the window's load of the whole trace took.
pub fn print(r: &LiveRow, rebuild: f64) {
    println!(
        "| {} | {} | {:.3} | {:.3} | {:.4} | {:.0} | {:.2} s | {:.1} | {:.1} |",
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
