//! ftrace text on its own (`trace`, `trace_pipe`, `trace-cmd report`). The calls it shows
//! (REQBUFS, QBUF, DQBUF, STREAMON… from the vb2 and V4L2 tracepoints and the vb2 core kprobes)
//! are rebuilt first, each pinned to the event that marks it; then the kernel's memops,
//! completions and log lines are merged into them as into an strace log, so buffers get lanes
//! and memops land on them. What the kernel does not show (fds, addresses, calls that failed
//! before vb2) stays unknown. Join with a strace log of the same run (`vb2scope import A B`)
//! for the rest.

mod calls;
mod devices;

use crate::format::summarize;
use crate::kernel::ftrace;
use crate::kernel::merge::{ClockMap, KernelText, merge_pinned_read};
use crate::trace::TraceHeader;

use super::Imported;

pub fn import_ftrace(text: &str) -> Imported {
    let header = TraceHeader {
        version: crate::format::NATIVE_VERSION,
        source: "ftrace (the calls rebuilt from the kernel's events)".into(),
        policy: None,
        title: String::new(),
        kernel: ftrace::header_release(text).map(str::to_owned),
        clock: crate::time::TraceClock::Boot,
    };
    // Read once, for the calls and for the merge; what names each event's device is worked
    // out on the threads that read the lines.
    let (kernel_text, notes) = KernelText::read_noting(text, devices::name_of);
    let noted = kernel_text.events_noted(&notes, devices::name_of);
    let lines: Vec<calls::Line> = (noted.into_iter())
        .map(|(no, rec, named)| calls::Line { no, rec, named })
        .collect();
    let rebuilt = calls::rebuild(&lines, header);
    drop(lines);
    let merged = merge_pinned_read(
        &rebuilt.trace,
        kernel_text,
        &ClockMap::offset(0),
        &rebuilt.pins,
    );
    Imported {
        trace: merged.trace,
        diagnostics: summarize(merged.diagnostics),
    }
}
