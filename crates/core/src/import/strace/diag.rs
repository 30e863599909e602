//! Diagnostics without flooding: each kind of problem is reported line by line a few times,
//! then once more as a count.

use crate::format::{DiagSeverity, Diagnostic};

/// Kinds of problem, each with its own budget of individual reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    NotSyscall,
    Malformed,
    Truncated,
    Orphan,
    Undecoded,
    Unsupported,
    Errno,
    NeverResumed,
    FailedMmap,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::NotSyscall,
        Kind::Malformed,
        Kind::Truncated,
        Kind::Orphan,
        Kind::Undecoded,
        Kind::Unsupported,
        Kind::Errno,
        Kind::NeverResumed,
        Kind::FailedMmap,
    ];
    fn severity(self) -> DiagSeverity {
        match self {
            Kind::Malformed | Kind::Truncated | Kind::Orphan | Kind::Errno => DiagSeverity::Warning,
            _ => DiagSeverity::Info,
        }
    }
    fn what(self) -> &'static str {
        match self {
            Kind::NotSyscall => "lines that are not syscalls",
            Kind::Malformed => "malformed syscall lines",
            Kind::Truncated => "truncated lines",
            Kind::Orphan => "resumed calls without their start",
            Kind::Undecoded => "V4L2 ioctls whose argument strace did not decode",
            Kind::Unsupported => "V4L2 ioctls on queues the model does not cover",
            Kind::Errno => "results with an unknown errno",
            Kind::NeverResumed => "calls that never finished",
            Kind::FailedMmap => "failed mmaps of video fds",
        }
    }
}

/// Individual reports per kind before only counting.
const BUDGET: u32 = 10;

#[derive(Default)]
pub(super) struct Diags {
    pub out: Vec<Diagnostic>,
    counts: [(u32, u32); Kind::ALL.len()],
}

impl Diags {
    pub fn report(&mut self, kind: Kind, line: u32, byte: u64, msg: impl FnOnce() -> String) {
        let Some(c) = self.counts.get_mut(kind as usize) else {
            return;
        };
        c.0 = c.0.saturating_add(1);
        if c.0 == 1 {
            c.1 = line;
        }
        if c.0 <= BUDGET {
            self.out.push(Diagnostic {
                severity: kind.severity(),
                line,
                byte,
                message: msg(),
            });
        }
    }

    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.out.sort_by_key(|d| d.line);
        for k in Kind::ALL {
            if let Some(&(n, first)) = self.counts.get(k as usize)
                && n > BUDGET
            {
                self.out.push(Diagnostic {
                    severity: k.severity(),
                    line: first,
                    byte: 0,
                    message: format!(
                        "{n} {} in all (the first {BUDGET} are reported above)",
                        k.what()
                    ),
                });
            }
        }
        self.out
    }
}
