//! The ptrace loop: one thread traces the program and every task it starts, decodes each
//! stopped call at its entry and exit (`calls.rs`), follows fds, mappings and tasks
//! (`files.rs`), and hands observed events to the sink. `attach.rs` records a process that
//! already runs.

use std::collections::HashMap;
use std::io::IoSliceMut;

use nix::errno::Errno;
use nix::sys::ptrace::{self, Event as PtraceEvent, Options};
use nix::sys::signal::Signal;
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use vb2scope_core::trace::{Body, Event, IoctlCmd, OwnedEvent, Thread, ThreadId};
use vb2scope_core::v4l2::Origin;

use super::AppError;
use super::procfs::{fd_path, is_video_node};
use super::uapi::Request;
use crate::raw::{SyscallStop, syscall_stop};

mod attach;
mod calls;
mod files;
mod waits;

pub use attach::attach_process;

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
    /// A media request (MEDIA_IOC_REQUEST_ALLOC's fd): its QUEUE, REINIT and close matter.
    Request,
    /// A media device: only its REQUEST_ALLOC is recorded; its fd is not followed.
    Media,
    /// Looked at once and not followed (a buffer ioctl's number on another file).
    Other,
}

impl Kind {
    fn followed(self) -> bool {
        !matches!(self, Kind::Other | Kind::Media)
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
    /// poll/select on media request fds: each fd and the `POLL*` bits asked for.
    Wait {
        wants: Vec<(i32, u16)>,
    },
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
        let thread = Thread {
            pid: self.tgid(pid) as u32,
            tid: pid.as_raw() as u32,
        };
        let event = Event::new(t, ThreadId::default(), Origin::Observed, body);
        let mut o = OwnedEvent::plain(thread, event);
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
        } else if let Some(k) = media_kind(&path) {
            self.set_kind(pid, fd, Some(k));
            Some(k)
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
        // The fd, not the path: it names the node the program holds, whatever the path did.
        let fd_link = format!("/proc/{}/fd/{fd}", pid.as_raw());
        let name = crate::discover::sysfs_name(std::path::Path::new(&fd_link));
        self.emit(pid, t, body, |o| {
            o.text = path.to_owned();
            o.detail = name.unwrap_or_default();
        });
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
}

/// A media device node or a media request fd, by what /proc shows for it.
fn media_kind(path: &str) -> Option<Kind> {
    if path
        .strip_prefix("/dev/media")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
    {
        Some(Kind::Media)
    } else if path.starts_with("anon_inode:") && path.contains("request") {
        Some(Kind::Request)
    } else {
        None
    }
}
