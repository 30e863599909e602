//! The few calls v4l2r does not wrap: reading the `m` unions of a `v4l2_buffer`,
//! VIDIOC_REMOVE_BUFS, dma-heap allocation and udmabuf. The crate's only unsafe code.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use v4l2r::bindings::{v4l2_buffer, v4l2_plane};

use vb2scope_core::v4l2::Memory;

/// The `m` of a single-planar buffer as the number the memory type says it is.
pub fn buffer_m(b: &v4l2_buffer, memory: Option<Memory>) -> u64 {
    // SAFETY: every member of the union is a plain integer or pointer-sized integer; any bit
    // pattern is a valid value of each, and the kernel (or zero-init) wrote all of it.
    unsafe {
        match memory {
            Some(Memory::Mmap) => u64::from(b.m.offset),
            Some(Memory::Userptr) => b.m.userptr,
            Some(Memory::Dmabuf) => b.m.fd as i64 as u64,
            None => 0,
        }
    }
}

/// The `m` of a plane as the number the memory type says it is.
pub fn plane_m(p: &v4l2_plane, memory: Option<Memory>) -> u64 {
    // SAFETY: as in `buffer_m`.
    unsafe {
        match memory {
            Some(Memory::Mmap) => u64::from(p.m.mem_offset),
            Some(Memory::Userptr) => p.m.userptr,
            Some(Memory::Dmabuf) => p.m.fd as i64 as u64,
            None => 0,
        }
    }
}

#[repr(C)]
#[derive(Default)]
struct RemoveBuffers {
    index: u32,
    count: u32,
    ty: u32,
    reserved: [u32; 13],
}

nix::ioctl_readwrite!(vidioc_remove_bufs, b'V', 104, RemoveBuffers);

/// VIDIOC_REMOVE_BUFS (Linux 6.10+); ENOTTY on older kernels.
pub fn remove_bufs(fd: &impl AsRawFd, ty: u32, index: u32, count: u32) -> Result<(), Errno> {
    let mut arg = RemoveBuffers {
        index,
        count,
        ty,
        ..RemoveBuffers::default()
    };
    // SAFETY: `arg` is a live, correctly sized `struct v4l2_remove_buffers`.
    unsafe { vidioc_remove_bufs(fd.as_raw_fd(), &mut arg) }.map(|_| ())
}

#[repr(C)]
#[derive(Default)]
struct DmaHeapAllocation {
    len: u64,
    fd: u32,
    fd_flags: u32,
    heap_flags: u64,
}

nix::ioctl_readwrite!(dma_heap_alloc, b'H', 0, DmaHeapAllocation);

/// Allocates a dma-buf of `len` bytes from an open `/dev/dma_heap/*` node.
pub fn dma_heap_allocate(heap: &impl AsRawFd, len: u64) -> Result<OwnedFd, Errno> {
    let mut arg = DmaHeapAllocation {
        len,
        fd_flags: (nix::libc::O_RDWR | nix::libc::O_CLOEXEC) as u32,
        ..DmaHeapAllocation::default()
    };
    // SAFETY: `arg` is a live `struct dma_heap_allocation_data`.
    unsafe { dma_heap_alloc(heap.as_raw_fd(), &mut arg) }?;
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(arg.fd as i32) })
}

#[repr(C)]
struct UdmabufCreate {
    memfd: u32,
    flags: u32,
    offset: u64,
    size: u64,
}

const UDMABUF_FLAGS_CLOEXEC: u32 = 1;

nix::ioctl_write_ptr!(udmabuf_create, b'u', 0x42, UdmabufCreate);

/// Makes a dma-buf from a sealed memfd through an open `/dev/udmabuf`.
pub fn udmabuf_from_memfd(
    udmabuf: &impl AsRawFd,
    memfd: &impl AsRawFd,
    size: u64,
) -> Result<OwnedFd, Errno> {
    let arg = UdmabufCreate {
        memfd: memfd.as_raw_fd() as u32,
        flags: UDMABUF_FLAGS_CLOEXEC,
        offset: 0,
        size,
    };
    // SAFETY: `arg` is a live `struct udmabuf_create`; the ioctl returns a new fd.
    let fd = unsafe { udmabuf_create(udmabuf.as_raw_fd(), &arg) }?;
    // SAFETY: a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

extern "C" fn wake(_: nix::libc::c_int) {}

/// Installs a do-nothing SIGUSR1 handler without SA_RESTART, so that signalling a thread
/// blocked in an ioctl makes the ioctl return EINTR (the DQBUF watchdog).
pub fn install_wakeup_signal() -> Result<(), Errno> {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let act = SigAction::new(SigHandler::Handler(wake), SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler does nothing, so it is async-signal-safe.
    unsafe { sigaction(Signal::SIGUSR1, &act) }.map(|_| ())
}
