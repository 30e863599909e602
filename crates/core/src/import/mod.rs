//! Importers: the traces people already have (strace, ftrace / trace-cmd, v4l2-tracer JSON,
//! dmesg of V4L2 `dev_debug`) turned into a [`Trace`] of `observed` events, with what could not
//! be read reported as diagnostics (line and byte offset) and never guessed: a field a source
//! does not carry stays unknown, and the model infers it. Pure: bytes in, trace out.

mod detect;
mod dispatch;
pub mod dmesg;
mod ftrace;
mod join;
pub mod strace;
pub mod v4l2_tracer;

pub use detect::{Format, detect};
pub use dispatch::{ImportError, cut_short, import_bytes, text_of, unpacked};
pub use ftrace::import_ftrace;
pub use join::{Alignment, join};

use crate::format::Diagnostic;
use crate::trace::Trace;

/// What an importer recovered.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub trace: Trace,
    pub diagnostics: Vec<Diagnostic>,
}
