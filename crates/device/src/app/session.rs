//! A recording on its own thread, for a window: a program started under the tracer, or a
//! running process attached to. Events, the program's output and how it ended arrive as
//! [`Update`]s, like a device session's.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::tracer::{AppExit, ProgramSpec, ProgramStdio, attach_process, record_program};
use crate::live::Update;

/// What a recording records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppTarget {
    Program(Vec<String>),
    Process(i32),
}

pub struct AppRecording {
    target: AppTarget,
    rx: Receiver<Update>,
    /// The program's pid once it runs (0 before), or the attached process's.
    pid: Arc<AtomicI32>,
    /// Asks an attached recording to detach.
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<()>>,
}

impl AppRecording {
    /// Starts `spec`'s program under the tracer; its output comes back as updates.
    pub fn program(mut spec: ProgramSpec) -> AppRecording {
        let (tx, rx) = crossbeam_channel::unbounded();
        let pid = Arc::new(AtomicI32::new(0));
        let target = AppTarget::Program(spec.command.clone());
        let (out, err) = (pipe_lines(&tx), pipe_lines(&tx));
        spec.terminal = false;
        if let (Some(stdout), Some(stderr)) = (out, err) {
            spec.stdio = Some(ProgramStdio {
                stdin: std::process::Stdio::null(),
                stdout,
                stderr,
            });
        }
        let p = pid.clone();
        let join = std::thread::Builder::new()
            .name("vb2scope-app".into())
            .spawn(move || {
                let events = tx.clone();
                let ran = record_program(spec, &mut |n| p.store(n, Ordering::Relaxed), &mut |e| {
                    let _ = events.send(Update::Event(e));
                });
                let why = match ran {
                    Ok((AppExit::Code(c), _)) => format!("the program exited with {c}"),
                    Ok((AppExit::Signal(s), _)) => format!("the program was killed by signal {s}"),
                    Err(e) => {
                        let _ = tx.send(Update::Error(e.to_string()));
                        "the program could not be recorded".into()
                    }
                };
                let _ = tx.send(Update::Ended(why));
            })
            .ok();
        AppRecording {
            target,
            rx,
            pid,
            stop: Arc::new(AtomicBool::new(false)),
            join,
        }
    }

    /// Attaches to the running process `pid` until it ends or [`AppRecording::stop`].
    pub fn attach(pid: i32) -> AppRecording {
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let join = std::thread::Builder::new()
            .name("vb2scope-attach".into())
            .spawn(move || {
                let events = tx.clone();
                let ran = attach_process(
                    pid,
                    &mut |e| {
                        let _ = events.send(Update::Event(e));
                    },
                    &s,
                );
                let why = match ran {
                    Ok((Some(AppExit::Code(c)), _)) => format!("process {pid} exited with {c}"),
                    Ok((Some(AppExit::Signal(n)), _)) => {
                        format!("process {pid} was killed by signal {n}")
                    }
                    Ok((None, _)) => format!("detached from process {pid}, which runs on"),
                    Err(e) => {
                        let _ = tx.send(Update::Error(e.to_string()));
                        format!("could not attach to process {pid}")
                    }
                };
                let _ = tx.send(Update::Ended(why));
            })
            .ok();
        AppRecording {
            target: AppTarget::Process(pid),
            rx,
            pid: Arc::new(AtomicI32::new(pid)),
            stop,
            join,
        }
    }

    pub fn target(&self) -> &AppTarget {
        &self.target
    }

    pub fn updates(&self) -> &Receiver<Update> {
        &self.rx
    }

    /// Ends the recording: a started program's process group (it and what it started) is
    /// sent SIGTERM, and their end ends the recording; an attached process is detached from
    /// and runs on.
    pub fn stop(&self) {
        match self.target {
            AppTarget::Program(_) => {
                let pid = self.pid.load(Ordering::Relaxed);
                // Only while the tracer runs: it still holds the program (or what it left),
                // so the group's number is not anyone else's yet.
                if pid > 0 && self.running() {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGTERM,
                    );
                }
            }
            AppTarget::Process(_) => self.stop.store(true, Ordering::Relaxed),
        }
    }

    /// Whether the recording thread is still running.
    pub fn running(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }
}

impl Drop for AppRecording {
    /// Ends the recording and lets its thread finish on its own: a started program is
    /// asked to stop (and, should the window's process end first, killed by the kernel, as
    /// EXITKILL says); an attached process is left running.
    fn drop(&mut self) {
        self.stop();
        if let Some(j) = self.join.take() {
            let _ = std::thread::Builder::new()
                .name("vb2scope-app-end".into())
                .spawn(move || j.join());
        }
    }
}

/// A pipe whose read end a thread turns into [`Update::Output`] lines; the write end, for the
/// program.
fn pipe_lines(tx: &Sender<Update>) -> Option<std::process::Stdio> {
    let (r, w) = std::io::pipe().ok()?;
    let tx = tx.clone();
    std::thread::Builder::new()
        .name("vb2scope-app-output".into())
        .spawn(move || {
            for line in std::io::BufReader::new(r).lines() {
                let Ok(line) = line else { break };
                if tx.send(Update::Output(line)).is_err() {
                    break;
                }
            }
        })
        .ok()?;
    Some(w.into())
}
