//! The strace importer on arbitrary bytes: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = vb2scope_core::import::strace::import_strace(&text);
});
