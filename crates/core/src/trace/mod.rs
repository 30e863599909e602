//! The trace: a time-ordered list of events from any source, stored compactly (a small
//! fixed-size [`Event`] per entry, with buffer arguments and strings in side tables).
//! Pure data; reading and writing files lives in `crate::format`.

mod activity;
mod event;
mod m2m_contexts;
mod owned;
mod store;
mod video_fds;

pub use activity::{activity_start, buffer_activity, touched};
pub use event::{
    Body, Capability, DriverAction, Event, Extent, IoctlArg, IoctlCmd, LOST_EVENTS, MAX_LINE,
    Thread, ThreadId, V4l2Buffer, V4l2Plane,
};
pub use m2m_contexts::split_m2m_contexts;
pub use owned::OwnedEvent;
pub use store::{SideTables, Sym, Trace, TraceHeader, TraceParts};
pub use video_fds::VideoFds;
