//! Joining a userspace log with kernel text on arbitrary input: the bytes before the first NUL
//! are an strace log, those after it ftrace text. It must never panic and must keep every
//! userspace event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (user, kernel) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let user = vb2scope_core::import::strace::import_strace(&String::from_utf8_lossy(user));
    let n = user.trace.events.len();
    let (joined, _) = vb2scope_core::import::join(user, &String::from_utf8_lossy(kernel));
    assert!(joined.trace.events.len() >= n);
});
