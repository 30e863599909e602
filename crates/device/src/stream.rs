//! A streaming session: allocate, map or provide memory, then K cycles of
//! QBUF all → STREAMON → (DQBUF, QBUF)×frames → STREAMOFF, then unmap, free and close.
//! Memory-to-memory nodes stream both queues, one output buffer per capture buffer.

use std::sync::atomic::{AtomicBool, Ordering};

use vb2scope_core::v4l2::{BufType, Errno, Memory};

use super::error::{DeviceError, errno_text};
use super::ops::PlaneMem;
use super::session::{Session, now_ns};

#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// The queue to stream; the node's first when absent. Ignored on M2M nodes.
    pub queue: Option<BufType>,
    pub memory: Memory,
    pub buffers: u32,
    /// Frames in all; spread evenly over the cycles.
    pub frames: u32,
    pub cycles: u32,
    /// Ask the device for 60 fps first (vivid defaults to 5).
    pub fast: bool,
}

/// What the run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamStats {
    pub frames: u32,
    pub cycles: u32,
    pub buffers: u32,
    /// Wall time from the first STREAMON to the last STREAMOFF.
    pub streaming_ns: u64,
    pub stopped: bool,
}

fn fail(what: &str, e: Errno) -> DeviceError {
    DeviceError::call(what, e)
}

/// Sets a queue up: REQBUFS with errors in users' words. The buffers are then the caller's
/// to free, whatever happens next.
fn setup(s: &mut Session, ty: BufType, cfg: &StreamConfig) -> Result<u32, DeviceError> {
    s.select_queue(ty)?;
    if cfg.fast {
        s.fast_frame_rate();
    }
    let n = match s.reqbufs(cfg.buffers, cfg.memory)? {
        Ok(()) => s.queue_info(ty).1,
        Err(e) if e == Errno::EBUSY => {
            return Err(DeviceError::Busy {
                path: s.path().to_path_buf(),
            });
        }
        Err(e) => {
            return Err(DeviceError::NoMemory {
                path: s.path().to_path_buf(),
                ty,
                memory: cfg.memory,
                errno: errno_text(e),
            });
        }
    };
    if n == 0 {
        return Err(fail("VIDIOC_REQBUFS granted no buffers", Errno::ENOMEM));
    }
    Ok(n)
}

fn queue_all(s: &mut Session, ty: BufType, n: u32) -> Result<(), DeviceError> {
    s.select_queue(ty)?;
    for i in 0..n {
        if let Err(e) = s.qbuf(i, &[PlaneMem::Auto])? {
            return Err(fail(&format!("VIDIOC_QBUF of buffer {i}"), e));
        }
    }
    Ok(())
}

/// One DQBUF and the QBUF of the same buffer back; `false` when the queue gave nothing.
fn cycle_one(s: &mut Session, ty: BufType) -> Result<bool, DeviceError> {
    s.select_queue(ty)?;
    let (r, idx) = s.dqbuf(false, super::scenario::DQBUF_TIMEOUT_MS)?;
    match (r, idx) {
        (Ok(()), Some(i)) => {
            if let Err(e) = s.qbuf(i, &[PlaneMem::Auto])? {
                return Err(fail(&format!("VIDIOC_QBUF of buffer {i}"), e));
            }
            Ok(true)
        }
        (Err(e), _) if e == Errno::ETIMEDOUT => Err(DeviceError::Call {
            what: "VIDIOC_DQBUF".into(),
            errno: "no buffer completed within 5 s".into(),
        }),
        (Err(e), _) if e == Errno::ENODEV => Err(DeviceError::Gone(s.path().display().to_string())),
        (Err(e), _) => Err(fail("VIDIOC_DQBUF", e)),
        (Ok(()), None) => Ok(false),
    }
}

/// Runs the session; tears down in order even when stopped or failing midway, so the trace
/// ends complete. The first error is returned after the teardown.
pub fn stream(
    s: &mut Session,
    cfg: &StreamConfig,
    stop: &AtomicBool,
) -> Result<StreamStats, DeviceError> {
    let queues = s.caps().queues();
    let m2m = queues.iter().any(|q| q.is_output()) && queues.iter().any(|q| !q.is_output());
    let tys: Vec<BufType> = if m2m {
        // Output first: the M2M job needs a source buffer before it can fill a capture one.
        let mut v: Vec<BufType> = queues
            .iter()
            .copied()
            .filter(|q| q.is_output())
            .take(1)
            .collect();
        v.extend(queues.iter().copied().filter(|q| !q.is_output()).take(1));
        v
    } else {
        vec![cfg.queue.unwrap_or(s.queue())]
    };
    let mut stats = StreamStats {
        cycles: cfg.cycles.max(1),
        ..StreamStats::default()
    };
    let mut counts = Vec::new();
    let mut result = Ok(());
    for &ty in &tys {
        match setup(s, ty, cfg) {
            Ok(n) => {
                counts.push((ty, n));
                if cfg.memory == Memory::Mmap
                    && let Err(e) = s.mmap_all()
                {
                    result = Err(e);
                    break;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    stats.buffers = counts.first().map(|c| c.1).unwrap_or(0);
    let per_cycle = cfg.frames.div_ceil(stats.cycles).max(1);
    let t0 = now_ns();
    for c in 0..stats.cycles {
        if result.is_err() || stop.load(Ordering::Relaxed) {
            break;
        }
        s.marker(&format!("cycle {}", c + 1));
        result = run_cycle(s, &counts, per_cycle, cfg.frames, &mut stats, stop);
    }
    stats.streaming_ns = now_ns().saturating_sub(t0);
    stats.stopped |= stop.load(Ordering::Relaxed);
    // Teardown goes on through failures: each call is recorded with whatever it got.
    s.munmap_all();
    for &(ty, _) in counts.iter().rev() {
        if s.select_queue(ty).is_ok() {
            let _ = s.reqbufs(0, cfg.memory);
        }
    }
    result.map(|()| stats)
}

/// One cycle: QBUF every buffer, STREAMON, DQBUF and QBUF back until the cycle's frames,
/// STREAMOFF (also after a failure, so the queue is left stopped).
fn run_cycle(
    s: &mut Session,
    counts: &[(BufType, u32)],
    per_cycle: u32,
    frames: u32,
    stats: &mut StreamStats,
    stop: &AtomicBool,
) -> Result<(), DeviceError> {
    let mut result = Ok(());
    for &(ty, n) in counts {
        result = result.and_then(|()| queue_all(s, ty, n));
    }
    for &(ty, _) in counts {
        result = result.and_then(|()| match s.select_queue(ty).and_then(|_| s.streamon())? {
            Ok(()) => Ok(()),
            Err(e) => Err(fail("VIDIOC_STREAMON", e)),
        });
    }
    let mut got = 0;
    while result.is_ok() && got < per_cycle && stats.frames < frames {
        if stop.load(Ordering::Relaxed) {
            stats.stopped = true;
            break;
        }
        for &(ty, _) in counts {
            if let Err(e) = cycle_one(s, ty) {
                result = Err(if s.alive() {
                    e
                } else {
                    DeviceError::Gone(s.path().display().to_string())
                });
                break;
            }
        }
        if result.is_ok() {
            got += 1;
            stats.frames += 1;
        }
    }
    for &(ty, _) in counts.iter().rev() {
        if s.select_queue(ty).is_ok()
            && let Ok(Err(e)) = s.streamoff()
        {
            result = result.and(Err(fail("VIDIOC_STREAMOFF", e)));
        }
    }
    result
}
