//! Reading and writing trace files. The native format is versioned JSON Lines
//! (docs/trace-format.md): one header line, then one event per line; `.zst` is transparent.
//! The binary form (`binary/`) holds the same trace in compressed chunks with an index.

pub mod binary;
mod diagnostic;
mod native_json;
mod native_read;
mod native_write;

pub use binary::{BinaryWriter, write_binary};
pub use diagnostic::{DiagSeverity, Diagnostic, summarize};
pub use native_read::{LoadError, read_native, read_native_bytes, read_native_bytes_with};
pub use native_write::{EventExtra, write_event, write_header, write_native};

/// The format version this build writes and the newest it reads.
pub const NATIVE_VERSION: u32 = 1;
