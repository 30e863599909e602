//! ftrace text on its own (`trace`, `trace_pipe`, `trace-cmd report`). Without the userspace
//! side there are no syscalls to place kernel events in, so memops stay raw tracepoints with a
//! diagnostic each unless their probes fetched the buffer (our `--kernel-trace` probes do);
//! join with a strace log of the same run (`vb2scope import A B`) to put them on buffers.

use crate::kernel;
use crate::trace::{Trace, TraceHeader};

use super::Imported;

pub fn import_ftrace(text: &str) -> Imported {
    let header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: "ftrace".into(),
        policy: None,
        title: String::new(),
        kernel: None,
    };
    let merged = kernel::merge(&Trace::new(header), text);
    Imported {
        trace: merged.trace,
        diagnostics: merged.diagnostics,
    }
}
