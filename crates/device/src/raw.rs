//! The few calls v4l2r does not wrap: reading the `m` unions of a `v4l2_buffer`,
//! VIDIOC_REMOVE_BUFS, the event ioctls (v4l2r's DQEVENT panics on some event types), dma-heap allocation and udmabuf, the media request ioctls; and for recording applications,
//! spawning a traced child under a seccomp filter and reading ptrace's syscall stops. The
//! crate's only unsafe code.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use v4l2r::bindings::{v4l2_buffer, v4l2_plane};

use vb2scope_core::v4l2::Memory;

/// A buffer's `request_fd` (the union after `reserved2`).
pub fn buffer_request_fd(b: &v4l2_buffer) -> i32 {
    // SAFETY: both members of the union are plain 32-bit integers.
    unsafe { b.__bindgen_anon_1.request_fd }
}

nix::ioctl_read!(media_ioc_request_alloc, b'|', 0x05, i32);
nix::ioctl_none!(media_request_ioc_queue, b'|', 0x80);
nix::ioctl_none!(media_request_ioc_reinit, b'|', 0x81);

/// MEDIA_IOC_REQUEST_ALLOC on a media device: the new request's fd.
pub fn request_alloc(media: &impl AsRawFd) -> Result<OwnedFd, Errno> {
    let mut fd: i32 = -1;
    // SAFETY: `fd` is a live i32, the ioctl's whole argument.
    unsafe { media_ioc_request_alloc(media.as_raw_fd(), &mut fd) }?;
    // SAFETY: the kernel just made `fd`, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// MEDIA_REQUEST_IOC_QUEUE, or with `reinit` MEDIA_REQUEST_IOC_REINIT, on a request fd.
pub fn request_ioctl(request: &impl AsRawFd, reinit: bool) -> Result<(), Errno> {
    let fd = request.as_raw_fd();
    // SAFETY: these ioctls take no argument.
    unsafe {
        if reinit {
            media_request_ioc_reinit(fd)
        } else {
            media_request_ioc_queue(fd)
        }
    }
    .map(|_| ())
}

nix::ioctl_readwrite!(
    vidioc_g_ext_ctrls,
    b'V',
    71,
    v4l2r::bindings::v4l2_ext_controls
);
nix::ioctl_readwrite!(
    vidioc_s_ext_ctrls,
    b'V',
    72,
    v4l2r::bindings::v4l2_ext_controls
);
nix::ioctl_readwrite!(
    vidioc_try_ext_ctrls,
    b'V',
    73,
    v4l2r::bindings::v4l2_ext_controls
);

/// G, S or TRY_EXT_CTRLS of no control with `which` =
/// `V4L2_CTRL_WHICH_REQUEST_VAL` on request `request_fd`: binds (S) or reads (G) the node's
/// control handler in the request without setting a value, which no driver refuses.
pub fn request_ext_ctrls(
    video: &impl AsRawFd,
    access: vb2scope_core::v4l2::ctrls::CtrlAccess,
    request_fd: i32,
) -> Result<(), Errno> {
    use vb2scope_core::v4l2::ctrls::CtrlAccess;
    // SAFETY: all-zero is a valid `v4l2_ext_controls` (no controls, a null array).
    let mut c: v4l2r::bindings::v4l2_ext_controls = unsafe { std::mem::zeroed() };
    c.__bindgen_anon_1.which = vb2scope_core::v4l2::ctrls::WHICH_REQUEST_VAL;
    c.request_fd = request_fd;
    let fd = video.as_raw_fd();
    // SAFETY: `c` is a live, initialised struct with count 0: the kernel reads no array.
    unsafe {
        match access {
            CtrlAccess::Get => vidioc_g_ext_ctrls(fd, &mut c),
            CtrlAccess::Set => vidioc_s_ext_ctrls(fd, &mut c),
            CtrlAccess::Try => vidioc_try_ext_ctrls(fd, &mut c),
        }
    }
    .map(|_| ())
}

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

nix::ioctl_readwrite!(
    vidioc_encoder_cmd,
    b'V',
    77,
    v4l2r::bindings::v4l2_encoder_cmd
);
nix::ioctl_readwrite!(
    vidioc_decoder_cmd,
    b'V',
    96,
    v4l2r::bindings::v4l2_decoder_cmd
);

nix::ioctl_read!(vidioc_dqevent, b'V', 89, v4l2r::bindings::v4l2_event);
nix::ioctl_write_ptr!(
    vidioc_subscribe_event,
    b'V',
    90,
    v4l2r::bindings::v4l2_event_subscription
);
nix::ioctl_write_ptr!(
    vidioc_unsubscribe_event,
    b'V',
    91,
    v4l2r::bindings::v4l2_event_subscription
);

/// VIDIOC_SUBSCRIBE_EVENT (`on`) or VIDIOC_UNSUBSCRIBE_EVENT of event type `ty`, id 0.
pub fn subscribe_event(fd: &impl AsRawFd, ty: u32, on: bool) -> Result<(), Errno> {
    let sub = v4l2r::bindings::v4l2_event_subscription {
        type_: ty,
        ..Default::default()
    };
    // SAFETY: `sub` is a live, correctly sized `struct v4l2_event_subscription`.
    unsafe {
        if on {
            vidioc_subscribe_event(fd.as_raw_fd(), &sub)
        } else {
            vidioc_unsubscribe_event(fd.as_raw_fd(), &sub)
        }
    }
    .map(|_| ())
}

/// VIDIOC_DQEVENT: the event's type and, for a source change, its `changes`.
pub fn dqevent(fd: &impl AsRawFd) -> Result<(u32, u32), Errno> {
    let mut ev = v4l2r::bindings::v4l2_event::default();
    // SAFETY: `ev` is a live, correctly sized `struct v4l2_event` for the kernel to fill.
    unsafe { vidioc_dqevent(fd.as_raw_fd(), &mut ev) }?;
    let changes = if ev.type_ == vb2scope_core::v4l2::codec::EVENT_SOURCE_CHANGE {
        // SAFETY: the kernel filled the union's member for this event type.
        unsafe { ev.u.src_change.changes }
    } else {
        0
    };
    Ok((ev.type_, changes))
}

/// VIDIOC_DECODER_CMD or VIDIOC_ENCODER_CMD with command `cmd` and no flags (v4l2r's
/// wrappers fold the errno into their own errors; the trace wants the kernel's).
pub fn codec_cmd(fd: &impl AsRawFd, encoder: bool, cmd: u32) -> Result<(), Errno> {
    if encoder {
        let mut arg = v4l2r::bindings::v4l2_encoder_cmd {
            cmd,
            ..Default::default()
        };
        // SAFETY: `arg` is a live, correctly sized `struct v4l2_encoder_cmd`.
        unsafe { vidioc_encoder_cmd(fd.as_raw_fd(), &mut arg) }.map(|_| ())
    } else {
        let mut arg = v4l2r::bindings::v4l2_decoder_cmd {
            cmd,
            ..Default::default()
        };
        // SAFETY: `arg` is a live, correctly sized `struct v4l2_decoder_cmd`.
        unsafe { vidioc_decoder_cmd(fd.as_raw_fd(), &mut arg) }.map(|_| ())
    }
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

use nix::libc;

/// What a ptrace stop of a traced syscall shows (`PTRACE_GET_SYSCALL_INFO`, Linux 5.3+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallStop {
    /// A seccomp `RET_TRACE` stop or a syscall-entry stop: the call and its arguments.
    Entry { arch: u32, nr: u64, args: [u64; 6] },
    /// A syscall-exit stop: the return value, or `-errno` when `is_error`.
    Exit { rval: i64, is_error: bool },
    /// Not a syscall stop.
    None,
}

/// The syscall `pid` is stopped at.
pub fn syscall_stop(pid: nix::unistd::Pid) -> Result<SyscallStop, Errno> {
    // nix's `syscall_info` passes a size of 0, so the kernel copies nothing: the size goes
    // in `addr`.
    let mut info = std::mem::MaybeUninit::<libc::ptrace_syscall_info>::zeroed();
    let size = std::mem::size_of::<libc::ptrace_syscall_info>();
    // SAFETY: the kernel writes at most `size` bytes into `info`, which is zeroed, so every
    // byte is initialised whatever it copies.
    let res = unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            pid.as_raw(),
            size as *mut libc::c_void,
            info.as_mut_ptr(),
        )
    };
    Errno::result(res)?;
    // SAFETY: zeroed then partly written by the kernel: plain integers throughout.
    let info = unsafe { info.assume_init() };
    // SAFETY: `op` says which member of the union the kernel filled in; every member is plain
    // integers, valid whatever their bits.
    let stop = unsafe {
        match info.op {
            libc::PTRACE_SYSCALL_INFO_ENTRY => SyscallStop::Entry {
                arch: info.arch,
                nr: info.u.entry.nr,
                args: info.u.entry.args,
            },
            libc::PTRACE_SYSCALL_INFO_SECCOMP => SyscallStop::Entry {
                arch: info.arch,
                nr: info.u.seccomp.nr,
                args: info.u.seccomp.args,
            },
            libc::PTRACE_SYSCALL_INFO_EXIT => SyscallStop::Exit {
                rval: info.u.exit.sval,
                is_error: info.u.exit.is_error != 0,
            },
            _ => SyscallStop::None,
        }
    };
    Ok(stop)
}

/// Spawns `cmd` traced by the calling thread, under the seccomp filter `filter`: the child
/// asks to be traced, installs the filter (setting no_new_privs first when it may not
/// otherwise) and execs; it then stops with SIGTRAP before running a single instruction of
/// the program, so the tracer sets its options before any filtered call.
///
/// Without a filter (`None`) only the tracing is asked for: every call of the program will
/// stop.
pub fn spawn_traced(
    cmd: &mut std::process::Command,
    filter: Option<Vec<libc::sock_filter>>,
) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let filtered = filter.is_some();
    let filter = filter.unwrap_or_default();
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // The program and its filter live until spawn() returns, after the child's exec.
    let prog_addr = &prog as *const libc::sock_fprog as usize;
    // SAFETY: between fork and exec the closure makes only async-signal-safe system calls
    // (ptrace, signal, prctl, seccomp) on memory allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // vb2scope's runtime ignores SIGPIPE; the program must get the default.
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            if !filtered {
                return Ok(());
            }
            let set = || {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    prog_addr as *const libc::sock_fprog,
                )
            };
            if set() == 0 {
                return Ok(());
            }
            // Without CAP_SYS_ADMIN a filter needs no_new_privs.
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 || set() != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn();
    drop(filter);
    child
}

/// The traced program, which SIGTERM and SIGHUP to vb2scope are passed on to.
static TRACEE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int) {
    let pid = TRACEE.load(std::sync::atomic::Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill() is async-signal-safe.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Ignores SIGINT and SIGQUIT in vb2scope itself, so a Ctrl-C reaches only the traced
/// program, which then ends and the trace with it; SIGTERM and SIGHUP are passed on to the
/// program `tracee` from the handler itself, whichever of vb2scope's threads gets them.
pub fn ignore_terminal_signals(tracee: i32) -> Result<(), Errno> {
    TRACEE.store(tracee, std::sync::atomic::Ordering::Relaxed);
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction, signal};
    let fwd = SigAction::new(
        SigHandler::Handler(forward),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: SIG_IGN installs no handler code; `forward` only loads an atomic and calls
    // kill(), both async-signal-safe.
    unsafe {
        signal(Signal::SIGINT, SigHandler::SigIgn)?;
        signal(Signal::SIGQUIT, SigHandler::SigIgn)?;
        sigaction(Signal::SIGTERM, &fwd)?;
        sigaction(Signal::SIGHUP, &fwd)?;
    }
    Ok(())
}
