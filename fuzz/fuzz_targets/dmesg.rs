//! The dmesg importer never panics, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // dmesg is text; invalid UTF-8 is read lossily, as a caller reading a file would.
    let text = String::from_utf8_lossy(data);
    let _ = vb2scope_core::import::dmesg::import_dmesg(&text);
});
