//! The desktop inspector's widgets and state. It takes bytes, not files: opening files,
//! the window and screenshots live in the binary (`cli/gui.rs`).

mod codec_view;
mod compare;
pub mod describe;
mod dmabuf_view;
mod document;
mod editor_panel;
mod events_panel;
mod explain_panel;
mod findings_panel;
mod inspector;
mod job_view;
mod lesson_panel;
mod live;
mod live_panel;
mod loader;
mod minimap;
pub(crate) mod palette;
mod record_panel;
mod selection;
mod state_view;
mod timeline_view;
mod toolbar;
mod why;

pub use document::{Document, LoadError, PolicyChoice};
pub use editor_panel::{EditError, EditorPanel};
pub use inspector::{DeviceRun, Inspector};
pub use live::{LiveSession, Log, LogKind, Refresh, Streaming};
pub use live_panel::{Form, LivePanel, SourceKind};
pub use loader::{Loaded, Loader};
pub use minimap::Minimap;
pub use record_panel::{AppAction, AppForm, LiveTab};
pub use selection::Selection;

pub use timeline_view::{Extras, View, show_at as show_timeline};

/// Traces with more events than this are re-evaluated in the background.
const BIG_TRACE: usize = 200_000;

/// Something the window asks of the program around it (which owns files and dialogs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Show the native file dialog and open what the user picks.
    OpenDialog,
    /// Open a file from the recent list.
    Open(String),
    /// Ask where to save a live recording (`name` is the suggested file name) and write
    /// `bytes`, a native trace, there.
    SaveRecording { name: String, bytes: Vec<u8> },
    /// Show the file dialog and compare what the user picks with the document shown.
    OpenToCompare,
    /// Ask where to save the scenario being edited (`name` is its current name) and write
    /// `text` there.
    SaveScenario { name: String, text: String },
}
