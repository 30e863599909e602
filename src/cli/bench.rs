//! `vb2scope bench-record`: what recording costs on a real device. Alternates a plain MMAP
//! streaming loop with the same loop recorded to a trace file, and prints wall and CPU time
//! per frame for each and the difference.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

use vb2scope_core::trace::TraceHeader;
use vb2scope_core::v4l2::Memory;
use vb2scope_device::record::Recorder;
use vb2scope_device::{
    self as device, DmabufSource, LoopCost, Session, StreamConfig, cpu_ns, now_ns,
};

fn recorded(path: &Path, buffers: u32, frames: u32, out: &Path) -> Result<(LoopCost, u64)> {
    let (t0, c0) = (now_ns(), cpu_ns());
    let rec = Recorder::create(out, TraceHeader::default())?;
    let mut s = Session::open(path, false, DmabufSource::default(), rec.sink())?;
    let cfg = StreamConfig {
        queue: None,
        memory: Memory::Mmap,
        buffers,
        frames,
        cycles: 1,
        fast: true,
    };
    let st = device::stream(&mut s, &cfg, &AtomicBool::new(false))?;
    let _ = s.close_handle(None);
    drop(s);
    let stats = rec.finish()?;
    Ok((
        LoopCost {
            frames: st.frames,
            wall_ns: now_ns() - t0,
            cpu_ns: cpu_ns() - c0,
        },
        stats.events,
    ))
}

pub fn run(dev: &str, frames: u32, rounds: u32, out: &Path) -> Result<i32> {
    let path = device::resolve(dev)?;
    let mut plain = Vec::new();
    let mut rec = Vec::new();
    let mut events = 0;
    for r in 0..rounds.max(1) {
        let p = device::plain_loop(&path, 4, frames)?;
        let (c, n) = recorded(&path, 4, frames, out)?;
        events = n;
        println!(
            "round {}: plain {:.1} µs wall, {:.1} µs CPU per frame; recorded {:.1} µs wall, {:.1} µs CPU per frame ({n} events)",
            r + 1,
            p.wall_per_frame_us(),
            p.cpu_per_frame_us(),
            c.wall_per_frame_us(),
            c.cpu_per_frame_us()
        );
        plain.push(p);
        rec.push(c);
    }
    let sum =
        |v: &[LoopCost], f: fn(&LoopCost) -> f64| v.iter().map(f).sum::<f64>() / v.len() as f64;
    let (pw, pc) = (
        sum(&plain, LoopCost::wall_per_frame_us),
        sum(&plain, LoopCost::cpu_per_frame_us),
    );
    let (rw, rc) = (
        sum(&rec, LoopCost::wall_per_frame_us),
        sum(&rec, LoopCost::cpu_per_frame_us),
    );
    println!(
        "mean over {} rounds of {frames} frames: plain {pw:.1} µs wall ({:.1} fps), {pc:.1} µs CPU per frame; recorded {rw:.1} µs wall ({:.1} fps), {rc:.1} µs CPU per frame",
        plain.len(),
        1e6 / pw,
        1e6 / rw
    );
    println!(
        "recording adds {:+.2} % wall time and {:+.1} µs CPU per frame ({:+.1} % of the plain loop's CPU); {events} events per recorded run",
        (rw / pw - 1.0) * 100.0,
        rc - pc,
        (rc / pc - 1.0) * 100.0
    );
    Ok(0)
}
