//! Recording an unmodified program: it runs under ptrace with a seccomp filter that stops it
//! only at the calls that can touch a buffer's life (the V4L2 buffer ioctls, open/close/dup of
//! fds, MAP_SHARED mmaps and munmaps). At each stop the tracer reads what the program passed;
//! at the call's end, what the kernel wrote back; and records one observed event with every
//! field. Forks, threads and execs are followed.
//!
//! fds are per process, the trace's are not: the first process's fds are written as they
//! are, those of the n-th process started after it as n × 1 000 000 + fd, and a fork is
//! written as the dups it makes of every buffer-related fd.

mod filter;
mod processes;
pub(crate) mod procfs;
mod session;
mod tracer;
mod uapi;

pub use filter::FilterError;
pub use processes::{MediaProcess, media_processes};
pub use session::{AppRecording, AppTarget};
pub use tracer::{AppExit, AppStats, ProgramSpec, ProgramStdio, attach_process, record_program};

/// Why a program could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}: no such program (not a path, and not found in PATH)")]
    NotFound(String),
    #[error(
        "{program}: not permitted to trace it ({reason}); as root, or with \
         `sysctl kernel.yama.ptrace_scope=0` if Yama forbids it"
    )]
    NotPermitted { program: String, reason: String },
    #[error("{program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("tracing failed: {0}")]
    Ptrace(nix::errno::Errno),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("recording programs needs x86_64 Linux")]
    Unsupported,
}
