//! Synthetic streaming sessions of any length, for benchmarks and scale tests.

use std::fmt::Write as _;

use crate::v4l2::Memory;

/// Scenario text for a capture session of `frames` frames over 8 buffers of `memory`,
/// with a STREAMOFF/STREAMON cycle every 1000 frames, as a long-running application does.
pub fn streaming_workload(frames: usize, memory: Memory) -> String {
    const BUFS: usize = 8;
    let mut s = String::with_capacity(frames * 40);
    let _ = writeln!(
        s,
        "# synthetic: {frames} frames over {BUFS} {} buffers",
        memory.as_str()
    );
    let _ = writeln!(s, "reqbufs {BUFS} {}", memory.as_str().to_ascii_lowercase());
    let arg = |i: usize| match memory {
        Memory::Mmap => String::new(),
        Memory::Userptr => format!(" ptr=u{i}"),
        Memory::Dmabuf => format!(" fd=d{i}"),
    };
    for i in 0..BUFS {
        match memory {
            Memory::Mmap => {}
            Memory::Userptr => {
                let _ = writeln!(s, "userptr u{i} 614400");
            }
            Memory::Dmabuf => {
                let _ = writeln!(s, "dmabuf d{i} 614400");
            }
        }
    }
    for i in 0..BUFS {
        let _ = writeln!(s, "qbuf {i}{}", arg(i));
    }
    s.push_str("streamon\n");
    for f in 0..frames {
        let i = f % BUFS;
        s.push_str("driver done\ndqbuf\n");
        let _ = writeln!(s, "qbuf {i}{}", arg(i));
        if f % 1000 == 999 {
            s.push_str("streamoff\n");
            for j in 0..BUFS {
                let _ = writeln!(s, "qbuf {j}{}", arg(j));
            }
            s.push_str("streamon\n");
        }
    }
    s.push_str("streamoff\n");
    s
}

/// Scenario text for a DMABUF capture session of `frames` frames over 8 buffers in which
/// every frame comes in a dma-buf of its own: made, queued, and closed once its buffer is
/// back, as an application that does not recycle its dma-bufs does. A name and a dma-buf
/// per frame: what must not cost more per frame as the session grows.
pub fn fresh_dmabuf_workload(frames: usize) -> String {
    const BUFS: usize = 8;
    let mut s = String::with_capacity(frames * 60);
    let _ = writeln!(
        s,
        "# synthetic: {frames} frames over {BUFS} DMABUF buffers, a new dma-buf each frame"
    );
    let _ = writeln!(s, "reqbufs {BUFS} dmabuf");
    for i in 0..BUFS {
        let _ = writeln!(s, "dmabuf d{i} 614400\nqbuf {i} fd=d{i}");
    }
    s.push_str("streamon\n");
    for f in 0..frames {
        let (i, next) = (f % BUFS, f + BUFS);
        // The buffer back is the one queued with d{f}: its dma-buf is done with.
        let _ = writeln!(
            s,
            "driver done\ndqbuf\nclose d{f}\ndmabuf d{next} 614400\nqbuf {i} fd=d{next}"
        );
    }
    s.push_str("streamoff\n");
    s
}
