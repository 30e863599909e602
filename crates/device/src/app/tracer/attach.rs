//! Recording a process that already runs: seized thread by thread, every call stopping
//! (a filter can only be installed by the process itself), detached at the end.

use std::collections::HashMap;

use nix::errno::Errno;
use nix::sys::ptrace::{self, Options};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use vb2scope_core::trace::OwnedEvent;

use super::super::AppError;
use super::{AppExit, AppStats, Proc, Tracer, WAIT, yama_reason};

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
