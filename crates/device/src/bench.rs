//! The baseline for the cost of recording: a plain MMAP streaming loop (v4l2 calls only,
//! nothing recorded), timed from open to close in wall and CPU time. The recorded twin is
//! `vb2scope bench-record`, which runs `stream` on a recorded session the same way.

use std::path::Path;

use vb2scope_core::v4l2::{BufType, Memory};

use super::error::DeviceError;
use super::session::now_ns;
use super::v4l2::{self, BufferIn};

/// Time taken by one loop.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoopCost {
    pub frames: u32,
    pub wall_ns: u64,
    pub cpu_ns: u64,
}

impl LoopCost {
    pub fn wall_per_frame_us(&self) -> f64 {
        self.wall_ns as f64 / 1e3 / f64::from(self.frames.max(1))
    }
    pub fn cpu_per_frame_us(&self) -> f64 {
        self.cpu_ns as f64 / 1e3 / f64::from(self.frames.max(1))
    }
}

/// CPU time of the whole process (every thread), in ns.
pub fn cpu_ns() -> u64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF)
        .map(|u| {
            let t = |tv: nix::sys::time::TimeVal| {
                tv.tv_sec() as u64 * 1_000_000_000 + tv.tv_usec() as u64 * 1000
            };
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0)
}

fn call<T>(what: &str, r: Result<T, vb2scope_core::v4l2::Errno>) -> Result<T, DeviceError> {
    r.map_err(|e| DeviceError::call(what, e))
}

/// REQBUFS, mmap, QBUF all, STREAMON, `frames` × (DQBUF, QBUF), STREAMOFF, REQBUFS(0), with
/// no recording at all: what an application without vb2scope does.
pub fn plain_loop(path: &Path, buffers: u32, frames: u32) -> Result<LoopCost, DeviceError> {
    let (t0, c0) = (now_ns(), cpu_ns());
    let f = super::discover::open(path, false)?;
    let caps = call("VIDIOC_QUERYCAP", v4l2::querycap(&f))?;
    let ty = caps
        .queues()
        .into_iter()
        .next()
        .unwrap_or(BufType::VideoCapture);
    let _ = v4l2::set_frame_rate(&f, ty, 60);
    let (n, _) = call(
        "VIDIOC_REQBUFS",
        v4l2::reqbufs(&f, ty, Memory::Mmap, buffers),
    )?;
    let mut maps = Vec::new();
    for i in 0..n {
        let q = call("VIDIOC_QUERYBUF", v4l2::querybuf(&f, ty, i))?;
        let (b, planes) = v4l2::decode(&q, false);
        let spans: Vec<(u64, u32)> = if planes.is_empty() {
            vec![(b.m, b.length)]
        } else {
            planes.iter().map(|p| (p.m, p.length)).collect()
        };
        for (off, len) in spans {
            maps.push(
                v4l2r::ioctl::mmap(&f, off as u32, len)
                    .map_err(|e| DeviceError::call("mmap", v4l2::errno_of(e)))?,
            );
        }
    }
    let mmap_in = |i| BufferIn {
        index: i,
        memory: Some(Memory::Mmap),
        ..BufferIn::default()
    };
    for i in 0..n {
        call("VIDIOC_QBUF", v4l2::qbuf(&f, ty, &mmap_in(i)))?;
    }
    call("VIDIOC_STREAMON", v4l2::streamon(&f, ty))?;
    for _ in 0..frames {
        let d = call("VIDIOC_DQBUF", v4l2::dqbuf(&f, ty))?;
        let idx = d.0.index;
        call("VIDIOC_QBUF", v4l2::qbuf(&f, ty, &mmap_in(idx)))?;
    }
    call("VIDIOC_STREAMOFF", v4l2::streamoff(&f, ty))?;
    drop(maps);
    let _ = v4l2::reqbufs(&f, ty, Memory::Mmap, 0);
    drop(f);
    Ok(LoopCost {
        frames,
        wall_ns: now_ns() - t0,
        cpu_ns: cpu_ns() - c0,
    })
}
