//! Buffer activity: which queue an event is about, and whether it is a buffer event (a call
//! on a video queue, a memop, a driver's action on a buffer). Views frame it and every time
//! shown counts from its first event.

use super::{Body, Event, Trace, VideoFds};
use crate::v4l2::QueueKey;

/// The one queue an event can change, if it is tied to one.
pub fn touched(trace: &Trace, e: &Event, video_fds: &VideoFds) -> Option<QueueKey> {
    match e.body {
        Body::Ioctl { fd, arg, .. } => video_fds.queue(trace, fd, arg),
        Body::Memop { dev, ty, .. } | Body::Driver { dev, ty, .. } => Some(QueueKey { dev, ty }),
        // Inferred consequences and notes change nothing the previous sample missed.
        Body::Tracepoint { .. } | Body::Klog { .. } | Body::Marker { .. } | Body::Expect { .. } => {
            Some(QueueKey {
                dev: u16::MAX,
                ty: crate::v4l2::BufType::VideoCapture,
            })
        }
        _ => None,
    }
}

/// Whether an event is buffer activity: a call on a video queue, a memop, a driver's action
/// on a buffer (`touched` names their queue; it names a placeholder for kernel notes). A
/// driver's format, seen when the program sets it, is about no buffer yet.
pub fn buffer_activity(e: &Event, queue: Option<QueueKey>) -> bool {
    let on_queue = queue.is_some_and(|q| q.dev != u16::MAX);
    on_queue
        && match e.body {
            Body::Ioctl { .. } | Body::Memop { .. } => true,
            Body::Driver { action, .. } => !matches!(action, super::DriverAction::Config(_)),
            _ => false,
        }
}

/// The time of the first buffer event, where a timeline's activity starts, without building
/// the timeline (the check reports count from it). Stops at that event.
pub fn activity_start(trace: &Trace) -> Option<u64> {
    let mut video_fds = VideoFds::default();
    trace.events.iter().find_map(|e| {
        video_fds.follow(&e.body);
        buffer_activity(e, touched(trace, e, &video_fds)).then_some(e.t_ns)
    })
}
