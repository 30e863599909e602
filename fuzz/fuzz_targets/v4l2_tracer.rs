//! The v4l2-tracer importer never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let imp = vb2scope_core::import::v4l2_tracer::import_v4l2_tracer(data);
    // Times are the order of calls: never going back.
    assert!(imp.trace.events.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
});
