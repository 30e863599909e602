//! The ftrace importer (kernel `trace`/`trace_pipe` text, `trace-cmd report`) on arbitrary
//! bytes: it must never panic, and what it imports stays in time order.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Kernel text is read as a caller reading a file would: invalid UTF-8 lossily.
    let text = String::from_utf8_lossy(data);
    let imp = vb2scope_core::import::import_ftrace(&text);
    assert!(imp.trace.events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
    // One kernel event at most per line.
    assert!(imp.trace.events.len() <= text.split('\n').count());
});
