//! The ptrace loop: one thread traces the program and every task it starts, decodes each
//! stopped call at its entry and exit, and hands observed events to the sink.

use std::collections::HashMap;
use std::io::IoSliceMut;

use nix::errno::Errno;
use nix::sys::ptrace::{self, Event as PtraceEvent, Options};
use nix::sys::signal::Signal;
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use vb2scope_core::trace::{Body, DriverAction, Event, Extent, IoctlArg, IoctlCmd, OwnedEvent};
use vb2scope_core::v4l2::{Errno as KErrno, Origin};

use super::AppError;
use super::procfs::{
    DmabufIdent, dmabuf_ident, fd_nonblock, fd_path, is_dmabuf, is_video_node, tgid,
};
use super::uapi::{self, Request};
use crate::raw::{SyscallStop, syscall_stop};
use crate::session::now_ns;

/// How the program ended: its exit code, or the signal that killed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppExit {
    Code(i32),
    Signal(i32),
}

/// What the recording did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppStats {
    /// Calls the filter stopped.
    pub stops: u64,
    pub events: u64,
    /// Buffer calls whose argument could not be read (a bad pointer: the kernel refuses them
    /// too).
    pub unreadable: u64,
    /// 32-bit buffer calls whose argument has another layout: written undecoded.
    pub compat: u64,
    pub processes: u32,
    /// The program ran under the seccomp filter (else every call stopped).
    pub filtered: bool,
}

/// Whether this kernel has seccomp filters (`Seccomp_filters:` in /proc, Linux 5.9+; before,
/// `Seccomp:` with CONFIG_SECCOMP_FILTER assumed).
fn seccomp_filters() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Seccomp:")))
}

/// An fd the trace follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Video,
    Dmabuf,
    /// Looked at once and not followed (a buffer ioctl's number on another file).
    Other,
}

impl Kind {
    fn followed(self) -> bool {
        self != Kind::Other
    }
}

/// One process: its fds and MAP_SHARED mappings of a video node, and what its fds are
/// written as.
#[derive(Clone, Debug, Default)]
struct Proc {
    base: i32,
    fds: HashMap<i32, Kind>,
    /// Start, length and (trace) fd of each mapping.
    maps: Vec<(u64, u64, i32)>,
}

/// A call stopped at its entry, waiting for its exit.
struct Pending {
    t: u64,
    nr: i64,
    args: [u64; 6],
    call: Call,
}

enum Call {
    Ioctl {
        req: Request,
        input: Vec<u8>,
        planes: Option<(u64, usize)>,
        nonblock: bool,
    },
    /// A 32-bit program's buffer call: which one, not what it asked.
    Undecoded(IoctlCmd),
    Other,
}

struct Tracer<'s> {
    sink: &'s mut dyn FnMut(OwnedEvent),
    /// Attached to a running process: no filter, every call stops, and the tracer can leave.
    attached: bool,
    main: Pid,
    status: Option<AppExit>,
    /// tid → tgid, for every task traced.
    tasks: HashMap<Pid, i32>,
    /// Tasks whose first stop (the SIGSTOP of a new task) has not come yet.
    starting: Vec<Pid>,
    /// New tasks stopped before their parent's event came.
    held: Vec<Pid>,
    pending: HashMap<Pid, Pending>,
    procs: HashMap<i32, Proc>,
    devices: Vec<String>,
    /// The time of the last event written.
    last_t: u64,
    stats: AppStats,
}

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// Every task this thread traces, and only those: another thread's recording (a window can
/// have one ending while the next starts) must not take its tracees' stops, nor std's own
/// wait for a child whose exec failed.
const WAIT: WaitPidFlag = WaitPidFlag::__WALL.union(WaitPidFlag::__WNOTHREAD);
/// `PTRACE_EVENT_STOP`: the stops of a task attached with PTRACE_SEIZE.
const PTRACE_EVENT_STOP: i32 = 128;

const OPTIONS: Options = Options::PTRACE_O_TRACESYSGOOD
    .union(Options::PTRACE_O_TRACECLONE)
    .union(Options::PTRACE_O_TRACEFORK)
    .union(Options::PTRACE_O_TRACEVFORK)
    .union(Options::PTRACE_O_TRACEEXEC)
    .union(Options::PTRACE_O_TRACESECCOMP)
    .union(Options::PTRACE_O_EXITKILL);

/// A program to record and how.
#[derive(Clone, Debug, Default)]
pub struct ProgramSpec {
    /// Its path or name, then its arguments.
    pub command: Vec<String>,
    /// Where it runs; vb2scope's own directory when `None`.
    pub cwd: Option<std::path::PathBuf>,
    /// Under the seccomp filter (else every call stops).
    pub filtered: bool,
    /// It shares vb2scope's terminal: Ctrl-C is left to it alone, and SIGTERM and SIGHUP
    /// passed on (the CLI). A window leaves its signals alone.
    pub terminal: bool,
    /// Its standard streams, when not vb2scope's.
    pub stdio: Option<ProgramStdio>,
}

/// Where a recorded program's standard streams go.
#[derive(Debug)]
pub struct ProgramStdio {
    pub stdin: std::process::Stdio,
    pub stdout: std::process::Stdio,
    pub stderr: std::process::Stdio,
}

impl Clone for ProgramStdio {
    /// Streams are not copied: a clone reads nothing and writes nowhere.
    fn clone(&self) -> Self {
        ProgramStdio {
            stdin: std::process::Stdio::null(),
            stdout: std::process::Stdio::null(),
            stderr: std::process::Stdio::null(),
        }
    }
}

/// Runs the program of `spec` under the tracer until every task it started has ended,
/// giving each event to `sink`; `started` learns its pid once it runs.
pub fn record_program(
    spec: ProgramSpec,
    started: &mut dyn FnMut(i32),
    sink: &mut dyn FnMut(OwnedEvent),
) -> Result<(AppExit, AppStats), AppError> {
    if !cfg!(target_arch = "x86_64") {
        return Err(AppError::Unsupported);
    }
    let ProgramSpec {
        command,
        cwd,
        filtered,
        terminal,
        stdio,
    } = spec;
    let Some((name, args)) = command.split_first() else {
        return Err(AppError::NotFound(String::new()));
    };
    // Without seccomp filters (a kernel built without them) every call stops instead.
    let filter = if filtered && seccomp_filters() {
        Some(super::filter::filter()?)
    } else {
        None
    };
    let unfiltered = filter.is_none();
    let mut cmd = std::process::Command::new(name);
    cmd.args(args);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    if let Some(io) = stdio {
        cmd.stdin(io.stdin).stdout(io.stdout).stderr(io.stderr);
    }
    if !terminal {
        // Its own process group, so that a stop reaches every process it started.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    let child = crate::raw::spawn_traced(&mut cmd, filter).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AppError::NotFound(name.clone()),
        std::io::ErrorKind::PermissionDenied if e.raw_os_error() == Some(1) => {
            AppError::NotPermitted {
                program: name.clone(),
                reason: yama_reason(),
            }
        }
        _ => AppError::Spawn {
            program: name.clone(),
            source: e,
        },
    })?;
    let main = Pid::from_raw(child.id() as i32);
    if terminal {
        // The program was started; from here a Ctrl-C is its to get.
        let _ = crate::raw::ignore_terminal_signals(main.as_raw());
    }
    // Its first stop: the SIGTRAP after exec, before any of its instructions.
    match waitpid(main, Some(WAIT)) {
        Ok(WaitStatus::Stopped(_, Signal::SIGTRAP)) => {}
        Ok(other) => {
            return Err(AppError::Spawn {
                program: name.clone(),
                source: std::io::Error::other(format!("unexpected first stop {other:?}")),
            });
        }
        Err(e) => return Err(AppError::Ptrace(e)),
    }
    ptrace::setoptions(main, OPTIONS).map_err(AppError::Ptrace)?;
    started(main.as_raw());
    let mut t = Tracer {
        sink,
        attached: unfiltered,
        main,
        status: None,
        tasks: HashMap::from([(main, main.as_raw())]),
        starting: Vec::new(),
        held: Vec::new(),
        pending: HashMap::new(),
        procs: HashMap::from([(main.as_raw(), Proc::default())]),
        devices: Vec::new(),
        last_t: 0,
        stats: AppStats {
            processes: 1,
            filtered: !unfiltered,
            ..AppStats::default()
        },
    };
    if unfiltered {
        ptrace::syscall(main, None).map_err(AppError::Ptrace)?;
    } else {
        ptrace::cont(main, None).map_err(AppError::Ptrace)?;
    }
    t.run()?;
    let status = t.status.unwrap_or(AppExit::Code(0));
    Ok((status, t.stats))
}

fn yama_reason() -> String {
    match std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
        Ok(s) => format!("kernel.yama.ptrace_scope is {}", s.trim()),
        Err(_) => "ptrace is not permitted here (a container's seccomp profile?)".into(),
    }
}

impl Tracer<'_> {
    fn run(&mut self) -> Result<(), AppError> {
        loop {
            let st = match waitpid(None, Some(WAIT)) {
                Ok(st) => st,
                Err(Errno::ECHILD) => return Ok(()),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(AppError::Ptrace(e)),
            };
            self.stop(st);
        }
    }

    fn stop(&mut self, st: WaitStatus) {
        match st {
            WaitStatus::PtraceEvent(pid, _, ev) => {
                if ev == PtraceEvent::PTRACE_EVENT_SECCOMP as i32 {
                    self.stats.stops += 1;
                    if let Ok(SyscallStop::Entry { arch, nr, args }) = syscall_stop(pid) {
                        self.entry(pid, arch, nr, args);
                    }
                    // On to the exit stop of the same call.
                    let _ = ptrace::syscall(pid, None);
                    return;
                }
                if ev == PTRACE_EVENT_STOP {
                    // Attached: the stop that follows the attach, a new task's first stop
                    // (held until its parent's event says what it is, as below), or a
                    // group-stop (let go on: a recorded program cannot be stopped).
                    if !self.tasks.contains_key(&pid) {
                        self.held.push(pid);
                        return;
                    }
                    self.starting.retain(|&p| p != pid);
                    self.resume(pid, None);
                    return;
                }
                if ev == PtraceEvent::PTRACE_EVENT_FORK as i32
                    || ev == PtraceEvent::PTRACE_EVENT_VFORK as i32
                    || ev == PtraceEvent::PTRACE_EVENT_CLONE as i32
                {
                    if let Ok(new) = ptrace::getevent(pid) {
                        self.spawned(pid, Pid::from_raw(new as i32));
                    }
                } else if ev == PtraceEvent::PTRACE_EVENT_EXEC as i32 {
                    self.exec(pid);
                }
                self.resume(pid, None);
            }
            WaitStatus::PtraceSyscall(pid) => {
                match syscall_stop(pid) {
                    // Attached, every call stops at its entry: the filter's choice is made
                    // here.
                    Ok(SyscallStop::Entry { arch, nr, args }) => {
                        if arch != AUDIT_ARCH_X86_64 || super::filter::stops(nr, &args) {
                            self.stats.stops += 1;
                            self.entry(pid, arch, nr, args);
                        }
                    }
                    _ => self.exit(pid),
                }
                self.resume(pid, None);
            }
            WaitStatus::Stopped(pid, sig) => {
                if let Some(i) = self.starting.iter().position(|&p| p == pid)
                    && sig == Signal::SIGSTOP
                {
                    // A new task's first stop.
                    self.starting.swap_remove(i);
                    self.resume(pid, None);
                } else if !self.tasks.contains_key(&pid) && sig == Signal::SIGSTOP {
                    // A new task whose stop came before its parent's event: it waits until
                    // the event says what it is.
                    self.held.push(pid);
                } else if ptrace::getsiginfo(pid) == Err(Errno::EINVAL) {
                    // A group-stop: let it go on.
                    self.resume(pid, None);
                } else {
                    self.resume(pid, Some(sig));
                }
            }
            WaitStatus::Exited(pid, code) => self.gone(pid, AppExit::Code(code)),
            WaitStatus::Signaled(pid, sig, _) => self.gone(pid, AppExit::Signal(sig as i32)),
            _ => {}
        }
    }

    /// Resumes a task: to its call's exit when one is pending (or to every call, attached),
    /// else freely.
    fn resume(&mut self, pid: Pid, sig: Option<Signal>) {
        let _ = if self.attached || self.pending.contains_key(&pid) {
            ptrace::syscall(pid, sig)
        } else {
            ptrace::cont(pid, sig)
        };
    }

    fn tgid(&self, pid: Pid) -> i32 {
        self.tasks.get(&pid).copied().unwrap_or(pid.as_raw())
    }

    fn emit(&mut self, pid: Pid, t: u64, body: Body, fill: impl FnOnce(&mut OwnedEvent)) {
        let mut o = OwnedEvent::plain(Event {
            t_ns: t,
            pid: self.tgid(pid) as u32,
            tid: pid.as_raw() as u32,
            origin: Origin::Observed,
            line: 0,
            within: false,
            body,
        });
        fill(&mut o);
        self.queue(o);
    }

    /// Writes an event when its call ends, at its start time, or just after the event before
    /// it when that is later: a call that overlapped calls of other threads (a blocking
    /// DQBUF while another thread queued the buffer it returns) goes after them, in the order
    /// the kernel finished them, and the trace stays in time order.
    fn queue(&mut self, mut o: OwnedEvent) {
        o.event.t_ns = o.event.t_ns.max(self.last_t);
        self.last_t = o.event.t_ns;
        self.stats.events += 1;
        (self.sink)(o);
    }

    /// The trace fd of a process's fd.
    fn label(&self, pid: Pid, fd: i32) -> i32 {
        let base = self.procs.get(&self.tgid(pid)).map_or(0, |p| p.base);
        if fd < 0 { fd } else { base + fd }
    }

    fn kind(&self, pid: Pid, fd: i32) -> Option<Kind> {
        self.procs.get(&self.tgid(pid))?.fds.get(&fd).copied()
    }

    fn set_kind(&mut self, pid: Pid, fd: i32, kind: Option<Kind>) {
        let g = self.tgid(pid);
        let p = self.procs.entry(g).or_default();
        match kind {
            Some(k) => {
                p.fds.insert(fd, k);
            }
            None => {
                p.fds.remove(&fd);
            }
        }
    }

    fn dev_number(&mut self, path: &str) -> u16 {
        if let Some(i) = self.devices.iter().position(|d| d == path) {
            return i as u16;
        }
        self.devices.push(path.to_owned());
        (self.devices.len() - 1) as u16
    }

    /// A video fd first seen in a call, never opened in the trace (inherited, passed over a
    /// socket): its open is written then, so that its device is known.
    fn adopt(&mut self, pid: Pid, fd: i32, t: u64) -> Option<Kind> {
        if let Some(k) = self.kind(pid, fd) {
            return Some(k);
        }
        let path = fd_path(pid.as_raw(), fd)?;
        if is_video_node(&path) {
            self.opened(pid, fd, &path, t);
            Some(Kind::Video)
        } else {
            self.set_kind(pid, fd, Some(Kind::Other));
            Some(Kind::Other)
        }
    }

    fn opened(&mut self, pid: Pid, fd: i32, path: &str, t: u64) {
        let dev = self.dev_number(path);
        let label = self.label(pid, fd);
        let body = Body::Open {
            fd: label,
            path: Default::default(),
            dev,
        };
        self.emit(pid, t, body, |o| o.text = path.to_owned());
        self.set_kind(pid, fd, Some(Kind::Video));
    }

    fn read(&self, pid: Pid, addr: u64, len: usize) -> Option<Vec<u8>> {
        if addr == 0 || len == 0 {
            return None;
        }
        let mut buf = vec![0u8; len];
        let remote = [RemoteIoVec {
            base: addr as usize,
            len,
        }];
        let n = process_vm_readv(pid, &mut [IoSliceMut::new(&mut buf)], &remote).ok()?;
        (n == len).then_some(buf)
    }

    fn entry(&mut self, pid: Pid, arch: u32, nr: u64, args: [u64; 6]) {
        let t = now_ns();
        let i386 = arch == super::filter::AUDIT_ARCH_I386;
        if arch != AUDIT_ARCH_X86_64 && !i386 {
            return;
        }
        let nr = nr as i64;
        let call = if i386 {
            // Only its ioctls stop; its fds are adopted at first use.
            (nr == i64::from(super::filter::I386_IOCTL))
                .then(|| self.compat_ioctl_entry(pid, args, t))
                .flatten()
        } else if nr == nix::libc::SYS_ioctl {
            self.ioctl_entry(pid, args, t)
        } else {
            Some(Call::Other)
        };
        if let Some(call) = call {
            self.pending.insert(pid, Pending { t, nr, args, call });
        }
    }

    /// A 32-bit program's buffer ioctl, written as a call of that kind whose argument is
    /// unknown. Even those laid out as a 64-bit program's are not decoded: the program's
    /// open, close and dup are not followed (the filter stops only its ioctls), so which
    /// queue and file handle an fd stands for is not known for sure.
    fn compat_ioctl_entry(&mut self, pid: Pid, args: [u64; 6], t: u64) -> Option<Call> {
        let cmd = uapi::compat_cmd(args[1])?;
        if self.adopt(pid, args[0] as i32, t) != Some(Kind::Video) {
            return None;
        }
        self.stats.compat += 1;
        Some(Call::Undecoded(cmd))
    }

    fn ioctl_entry(&mut self, pid: Pid, args: [u64; 6], t: u64) -> Option<Call> {
        let fd = args[0] as i32;
        let req = uapi::request(args[1])?;
        if self.adopt(pid, fd, t) != Some(Kind::Video) {
            return None;
        }
        let Some(input) = self.read(pid, args[2], uapi::arg_size(req)) else {
            self.stats.unreadable += 1;
            return None;
        };
        let buffer_call = matches!(
            req,
            Request::Buffer(
                IoctlCmd::Querybuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf | IoctlCmd::PrepareBuf
            )
        );
        let planes = if buffer_call {
            uapi::planes_ptr(&input)
        } else {
            None
        };
        if matches!(req, Request::Buffer(IoctlCmd::Qbuf | IoctlCmd::PrepareBuf)) {
            self.identify_planes(pid, &input, planes, t);
        }
        let nonblock = req == Request::Buffer(IoctlCmd::Dqbuf) && fd_nonblock(pid.as_raw(), fd);
        Some(Call::Ioctl {
            req,
            input,
            planes,
            nonblock,
        })
    }

    fn exit(&mut self, pid: Pid) {
        let Some(p) = self.pending.remove(&pid) else {
            return;
        };
        let Ok(SyscallStop::Exit { rval, is_error }) = syscall_stop(pid) else {
            return;
        };
        let result = if is_error {
            // A call a signal interrupted (ERESTART*) is what the program sees as EINTR.
            let e = (-rval).clamp(0, i64::from(u16::MAX)) as u16;
            Err(KErrno(if (512..=516).contains(&e) { 4 } else { e }))
        } else {
            Ok(())
        };
        match &p.call {
            &Call::Ioctl {
                req,
                ref input,
                planes,
                nonblock,
            } => self.ioctl_exit(pid, &p, req, input, planes, nonblock, result),
            &Call::Undecoded(cmd) => {
                let fd = self.label(pid, p.args[0] as i32);
                let body = Body::Ioctl {
                    fd,
                    cmd,
                    result,
                    arg: 0,
                };
                self.emit(pid, p.t, body, |o| o.arg = Some(IoctlArg::Undecoded));
            }
            Call::Other => self.fd_call(pid, &p, rval, result),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ioctl_exit(
        &mut self,
        pid: Pid,
        p: &Pending,
        req: Request,
        input: &[u8],
        planes: Option<(u64, usize)>,
        nonblock: bool,
        result: Result<(), KErrno>,
    ) {
        let fd = p.args[0] as i32;
        let label = self.label(pid, fd);
        // The kernel writes the argument back only when the call succeeds.
        let out = result
            .ok()
            .and_then(|()| self.read(pid, p.args[2], input.len()));
        let cmd = match req {
            Request::Format { .. } => {
                if let Some((ty, cfg)) = out.as_deref().and_then(uapi::format) {
                    let dev = self.dev_of(pid, fd);
                    let body = Body::Driver {
                        dev,
                        ty,
                        action: DriverAction::Config(cfg),
                    };
                    self.emit(pid, p.t, body, |_| {});
                }
                return;
            }
            Request::Buffer(cmd) => cmd,
        };
        let mut exported = None;
        let (arg, plane_list) = match cmd {
            IoctlCmd::Querybuf | IoctlCmd::Qbuf | IoctlCmd::Dqbuf | IoctlCmd::PrepareBuf => {
                let bytes = out.as_deref().unwrap_or(input);
                let plane_bytes = planes
                    .and_then(|(at, n)| self.read(pid, at, n * uapi::PLANE_SIZE))
                    .unwrap_or_default();
                let Some((b, ps)) = uapi::buffer(bytes, &plane_bytes, nonblock) else {
                    return;
                };
                (
                    IoctlArg::Buffer(label_buffer(self, pid, b)),
                    label_planes(self, pid, &b, ps),
                )
            }
            _ => {
                let Some(a) = uapi::other(cmd, input, out.as_deref()) else {
                    return;
                };
                let a = match a {
                    IoctlArg::Expbuf {
                        ty,
                        index,
                        plane,
                        fd_out: Some(new),
                    } => {
                        self.set_kind(pid, new, Some(Kind::Dmabuf));
                        exported = Some(new);
                        IoctlArg::Expbuf {
                            ty,
                            index,
                            plane,
                            fd_out: Some(self.label(pid, new)),
                        }
                    }
                    a => a,
                };
                (a, Vec::new())
            }
        };
        let body = Body::Ioctl {
            fd: label,
            cmd,
            result,
            arg: 0,
        };
        self.emit(pid, p.t, body, |o| {
            o.arg = Some(arg);
            o.planes = plane_list;
        });
        // What the EXPBUF made, so that its importers, in any process, are tied to it.
        if let Some(fd) = exported
            && let Some(id) = dmabuf_ident(pid.as_raw(), fd)
        {
            self.describe_dmabuf(pid, fd, id, p.t);
        }
    }

    /// The dma-buf fds a QBUF or PREPARE_BUF passes, as it starts: each one not yet seen
    /// (received from another process, made by a heap or another device) is written with
    /// its identity, before the call. Not at DQBUF: the fd it returns is the one given at
    /// QBUF, which may have been closed or reused since.
    fn identify_planes(&mut self, pid: Pid, input: &[u8], planes: Option<(u64, usize)>, t: u64) {
        let plane_bytes = match planes {
            Some((at, n)) => match self.read(pid, at, n * uapi::PLANE_SIZE) {
                Some(b) => b,
                // Unreadable planes: no fds to read (the kernel refuses the call too).
                None => return,
            },
            None => Vec::new(),
        };
        let Some((b, ps)) = uapi::buffer(input, &plane_bytes, false) else {
            return;
        };
        if b.memory != Some(vb2scope_core::v4l2::Memory::Dmabuf)
            || b.ty.is_mplane() && ps.is_empty()
        {
            return;
        }
        let fds: Vec<i32> = if ps.is_empty() {
            vec![b.m as i64 as i32]
        } else {
            ps.iter().map(|p| p.m as i64 as i32).collect()
        };
        for fd in fds {
            self.identify(pid, fd, t);
        }
    }

    /// Writes the identity of the dma-buf behind `fd` the first time the trace meets it.
    /// Nothing is remembered of an fd that is no dma-buf: it may be a video node not yet
    /// adopted (a program that passes the wrong fd; a first mmap before any ioctl).
    fn identify(&mut self, pid: Pid, fd: i32, t: u64) {
        if fd < 0 || self.kind(pid, fd).is_some() {
            return;
        }
        if let Some(id) = dmabuf_ident(pid.as_raw(), fd) {
            self.set_kind(pid, fd, Some(Kind::Dmabuf));
            self.describe_dmabuf(pid, fd, id, t);
        }
    }

    fn describe_dmabuf(&mut self, pid: Pid, fd: i32, id: DmabufIdent, t: u64) {
        let body = Body::Dmabuf {
            fd: self.label(pid, fd),
            name: Default::default(),
            ext: 0,
        };
        self.emit(pid, t, body, |o| {
            o.text = id.exporter;
            o.extent = Some(Extent {
                offset: id.ino,
                len: id.size,
                addr: 0,
            });
        });
    }

    fn dev_of(&mut self, pid: Pid, fd: i32) -> u16 {
        match fd_path(pid.as_raw(), fd) {
            Some(path) => self.dev_number(&path),
            None => 0,
        }
    }

    /// open, close, dup, mmap and munmap: what they did to the fds and mappings the trace
    /// follows.
    fn fd_call(&mut self, pid: Pid, p: &Pending, rval: i64, result: Result<(), KErrno>) {
        use nix::libc as c;
        if result.is_err() {
            return;
        }
        let a = p.args;
        let t = p.t;
        match p.nr {
            c::SYS_open | c::SYS_openat | c::SYS_openat2 => {
                let fd = rval as i32;
                self.set_kind(pid, fd, None);
                if let Some(path) = fd_path(pid.as_raw(), fd).filter(|p| is_video_node(p)) {
                    self.opened(pid, fd, &path, t);
                }
            }
            c::SYS_close => self.closed(pid, a[0] as i32, t),
            // CLOSE_RANGE_CLOEXEC only marks them; exec closes them.
            c::SYS_close_range if a[2] & 4 == 0 => {
                let (first, last) = (a[0] as i32, a[1].min(i32::MAX as u64) as i32);
                let fds: Vec<i32> = self
                    .procs
                    .get(&self.tgid(pid))
                    .map(|pr| {
                        let open = pr.fds.keys().copied();
                        open.filter(|f| (first..=last).contains(f)).collect()
                    })
                    .unwrap_or_default();
                for fd in fds {
                    self.closed(pid, fd, t);
                }
            }
            c::SYS_dup | c::SYS_dup2 | c::SYS_dup3 | c::SYS_fcntl => {
                let (old, new) = (a[0] as i32, rval as i32);
                if old == new {
                    return;
                }
                // dup2 onto an open fd closes it first.
                self.closed(pid, new, t);
                if let Some(k) = self.kind(pid, old).filter(|k| k.followed()) {
                    let body = Body::Dup {
                        fd: self.label(pid, old),
                        new_fd: self.label(pid, new),
                    };
                    self.emit(pid, t, body, |_| {});
                    self.set_kind(pid, new, Some(k));
                }
            }
            c::SYS_mmap => {
                let fd = a[4] as i32;
                // A dma-buf's mmap() keeps its memory (the exporter's plane) in use; a video
                // node first met here (attached mid-stream) is adopted.
                self.identify(pid, fd, t);
                if self.kind(pid, fd).is_none() {
                    self.adopt(pid, fd, t);
                }
                if self.kind(pid, fd).is_some_and(Kind::followed) {
                    let label = self.label(pid, fd);
                    let ext = Extent {
                        offset: a[5],
                        len: a[1],
                        addr: rval as u64,
                    };
                    self.emit(pid, t, Body::Mmap { fd: label, ext: 0 }, |o| {
                        o.extent = Some(ext)
                    });
                    let g = self.tgid(pid);
                    if let Some(pr) = self.procs.get_mut(&g) {
                        pr.maps.push((ext.addr, ext.len, label));
                    }
                }
            }
            c::SYS_munmap => self.unmapped(pid, a[0], a[1], t),
            _ => {}
        }
    }

    fn closed(&mut self, pid: Pid, fd: i32, t: u64) {
        if self.kind(pid, fd).is_some_and(Kind::followed) {
            let label = self.label(pid, fd);
            self.emit(pid, t, Body::Close { fd: label }, |_| {});
        }
        self.set_kind(pid, fd, None);
    }

    fn unmapped(&mut self, pid: Pid, addr: u64, len: u64, t: u64) {
        let g = self.tgid(pid);
        let Some(pr) = self.procs.get_mut(&g) else {
            return;
        };
        let end = addr.saturating_add(len);
        let before = pr.maps.len();
        pr.maps
            .retain(|&(a, l, _)| a.saturating_add(l) <= addr || a >= end);
        if pr.maps.len() != before {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            self.emit(pid, t, Body::Munmap { ext: 0 }, |o| o.extent = Some(ext));
        }
    }

    /// A new task: a thread of its parent's process, or a new process whose fds are copies
    /// of the parent's (written as dups).
    fn spawned(&mut self, parent: Pid, new: Pid) {
        let pg = self.tgid(parent);
        let g = tgid(new.as_raw()).unwrap_or(new.as_raw());
        self.tasks.insert(new, g);
        let held = self.held.iter().position(|&p| p == new);
        if held.is_none() {
            self.starting.push(new);
        }
        if g != pg && !self.procs.contains_key(&g) {
            self.new_process(pg, g, new);
        }
        if let Some(i) = held {
            self.held.swap_remove(i);
            self.resume(new, None);
        }
    }

    fn new_process(&mut self, pg: i32, g: i32, new: Pid) {
        self.stats.processes += 1;
        let mut from = self.procs.get(&pg).cloned().unwrap_or_default();
        from.fds.retain(|_, k| k.followed());
        let base = self.stats.processes.saturating_sub(1) as i32 * 1_000_000;
        self.procs.insert(
            g,
            Proc {
                base,
                fds: from.fds.clone(),
                maps: Vec::new(),
            },
        );
        let t = now_ns();
        let mut fds: Vec<i32> = from.fds.keys().copied().collect();
        fds.sort_unstable();
        for fd in fds {
            let body = Body::Dup {
                fd: from.base + fd,
                new_fd: base + fd,
            };
            self.emit(new, t, body, |_| {});
        }
    }

    /// After an exec the mappings are gone, and so are the close-on-exec fds.
    fn exec(&mut self, pid: Pid) {
        // A thread that is not the leader took the leader's tid.
        if let Ok(former) = ptrace::getevent(pid)
            && former as i32 != pid.as_raw()
        {
            self.tasks.remove(&Pid::from_raw(former as i32));
            self.pending.remove(&Pid::from_raw(former as i32));
        }
        let g = self.tgid(pid);
        let t = now_ns();
        self.pending.remove(&pid);
        let maps = self
            .procs
            .get_mut(&g)
            .map(|p| std::mem::take(&mut p.maps))
            .unwrap_or_default();
        for (addr, len, _) in maps {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            self.emit(pid, t, Body::Munmap { ext: 0 }, |o| o.extent = Some(ext));
        }
        if let Some(p) = self.procs.get_mut(&g) {
            p.fds.retain(|_, k| k.followed());
        }
        let fds: Vec<i32> = self
            .procs
            .get(&g)
            .map(|p| p.fds.keys().copied().collect())
            .unwrap_or_default();
        for fd in fds {
            let still = fd_path(g, fd).is_some_and(|p| is_video_node(&p) || is_dmabuf(&p));
            if !still {
                self.closed(pid, fd, t);
            }
        }
    }

    /// A task ended; the last of a process takes its mappings and fds with it.
    fn gone(&mut self, pid: Pid, how: AppExit) {
        if pid == self.main {
            self.status = Some(how);
        }
        self.pending.remove(&pid);
        let Some(g) = self.tasks.remove(&pid) else {
            return;
        };
        if self.tasks.values().any(|&other| other == g) {
            return;
        }
        let Some(pr) = self.procs.remove(&g) else {
            return;
        };
        let t = now_ns();
        let ev = |tr: &mut Self, body: Body, ext: Option<Extent>| {
            let mut o = OwnedEvent::plain(Event {
                t_ns: t,
                pid: g as u32,
                tid: pid.as_raw() as u32,
                origin: Origin::Observed,
                line: 0,
                within: false,
                body,
            });
            o.extent = ext;
            tr.queue(o);
        };
        for (addr, len, _) in pr.maps {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            ev(self, Body::Munmap { ext: 0 }, Some(ext));
        }
        let mut fds: Vec<i32> = pr
            .fds
            .iter()
            .filter(|(_, k)| k.followed())
            .map(|(&fd, _)| fd)
            .collect();
        fds.sort_unstable();
        for fd in fds {
            ev(self, Body::Close { fd: pr.base + fd }, None);
        }
    }
}

/// A buffer with its DMABUF fds written as the trace's.
fn label_buffer(
    t: &Tracer,
    pid: Pid,
    mut b: vb2scope_core::trace::V4l2Buffer,
) -> vb2scope_core::trace::V4l2Buffer {
    if b.memory == Some(vb2scope_core::v4l2::Memory::Dmabuf) && b.m_known {
        b.m = t.label(pid, b.m as i64 as i32) as i64 as u64;
    }
    b
}

fn label_planes(
    t: &Tracer,
    pid: Pid,
    b: &vb2scope_core::trace::V4l2Buffer,
    mut ps: Vec<vb2scope_core::trace::V4l2Plane>,
) -> Vec<vb2scope_core::trace::V4l2Plane> {
    if b.memory == Some(vb2scope_core::v4l2::Memory::Dmabuf) {
        for p in &mut ps {
            p.m = t.label(pid, p.m as i64 as i32) as i64 as u64;
        }
    }
    ps
}

const ATTACH_OPTIONS: Options = Options::PTRACE_O_TRACESYSGOOD
    .union(Options::PTRACE_O_TRACECLONE)
    .union(Options::PTRACE_O_TRACEFORK)
    .union(Options::PTRACE_O_TRACEVFORK)
    .union(Options::PTRACE_O_TRACEEXEC);

fn threads(pid: i32) -> Vec<Pid> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .map(Pid::from_raw)
                .collect()
        })
        .unwrap_or_default()
}

/// Attaches to the running process `pid`, every thread of it, and records until it ends or
/// `stop` is set, then detaches and leaves it running. Without a filter (a process can only
/// install one itself) every call of it stops, and the choice is made in the tracer: it costs
/// the program more than `record -- CMD`. Returns how it ended, if it did.
pub fn attach_process(
    pid: i32,
    sink: &mut dyn FnMut(OwnedEvent),
    stop: &std::sync::atomic::AtomicBool,
) -> Result<(Option<AppExit>, AppStats), AppError> {
    if !cfg!(target_arch = "x86_64") {
        return Err(AppError::Unsupported);
    }
    let refused = |e: Errno| match e {
        Errno::EPERM => AppError::NotPermitted {
            program: format!("process {pid}"),
            reason: yama_reason(),
        },
        Errno::ESRCH => AppError::NotFound(format!("process {pid}")),
        e => AppError::Ptrace(e),
    };
    let mut tasks = HashMap::new();
    // Threads may start while the others are seized: list them until none is new.
    loop {
        let new: Vec<Pid> = threads(pid)
            .into_iter()
            .filter(|t| !tasks.contains_key(t))
            .collect();
        if new.is_empty() {
            break;
        }
        for t in new {
            ptrace::seize(t, ATTACH_OPTIONS).map_err(refused)?;
            // Into a stop, from which it is resumed to stop at every call.
            ptrace::interrupt(t).map_err(refused)?;
            tasks.insert(t, pid);
        }
    }
    if tasks.is_empty() {
        return Err(AppError::NotFound(format!("process {pid}")));
    }
    let main = Pid::from_raw(pid);
    let mut t = Tracer {
        sink,
        attached: true,
        main,
        status: None,
        tasks,
        starting: Vec::new(),
        held: Vec::new(),
        pending: HashMap::new(),
        procs: HashMap::from([(pid, Proc::default())]),
        devices: Vec::new(),
        last_t: 0,
        stats: AppStats {
            processes: 1,
            ..AppStats::default()
        },
    };
    let ran = t.run_until(stop);
    t.detach_all();
    ran?;
    Ok((t.status, t.stats))
}

impl Tracer<'_> {
    /// The loop of an attached tracer: it polls, so that it sees `stop` when the process is
    /// idle (a blocked call makes no stop).
    fn run_until(&mut self, stop: &std::sync::atomic::AtomicBool) -> Result<(), AppError> {
        let mut idle = 0u64;
        loop {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(());
            }
            let flags = WAIT | WaitPidFlag::WNOHANG;
            match waitpid(None, Some(flags)) {
                Ok(WaitStatus::StillAlive) => {
                    idle = (idle + 1).min(20);
                    std::thread::sleep(std::time::Duration::from_micros(100 * idle));
                }
                Ok(st) => {
                    idle = 0;
                    self.stop(st);
                }
                Err(Errno::ECHILD) => return Ok(()),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(AppError::Ptrace(e)),
            }
        }
    }

    /// Leaves every task running as it was: each is brought to a stop and detached there,
    /// with the signal it was about to get. A call in flight is not recorded.
    fn detach_all(&mut self) {
        let tasks: Vec<Pid> = self.tasks.keys().copied().collect();
        for t in tasks {
            if ptrace::interrupt(t).is_err() {
                continue;
            }
            loop {
                match waitpid(t, Some(WAIT)) {
                    Ok(WaitStatus::Stopped(_, sig)) => {
                        let group = ptrace::getsiginfo(t) == Err(Errno::EINVAL);
                        let _ = ptrace::detach(t, (!group).then_some(sig));
                        break;
                    }
                    Ok(WaitStatus::PtraceEvent(..) | WaitStatus::PtraceSyscall(_)) => {
                        let _ = ptrace::detach(t, None);
                        break;
                    }
                    Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        self.pending.clear();
    }
}
