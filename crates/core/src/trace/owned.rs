//! An event with its side-table data carried inline, for handing events from one thread to
//! another (a device session to a recorder or a window): the `Sym`s and argument indices of an
//! [`Event`] only mean something inside the [`Trace`] that holds them.

use super::event::{Body, Event, Extent, IoctlArg, Thread, V4l2Plane};
use super::store::Trace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedEvent {
    /// The event; its thread index and side-table references are rewritten by
    /// [`OwnedEvent::append_to`].
    pub event: Event,
    /// The event's thread (its `event.thread` means nothing outside a trace).
    pub thread: Thread,
    pub arg: Option<IoctlArg>,
    /// The planes of a multi-planar buffer argument.
    pub planes: Vec<V4l2Plane>,
    pub extent: Option<Extent>,
    /// An open's path, a dma-buf's name, a tracepoint's name, a log line, a marker, or a
    /// QUERYCAP's driver.
    pub text: String,
    /// A tracepoint's text, the sysfs name of an opened node, or a QUERYCAP's card.
    pub detail: String,
    /// A QUERYCAP's bus_info.
    pub extra: String,
    /// QBUF/PREPARE_BUF: the flags the application passed, where the kernel's reply does not
    /// show them all (see [`Trace::flags_in`]).
    pub flags_in: Option<u32>,
}

impl OwnedEvent {
    /// An event with nothing in side tables (close, dup, memops, driver actions, expect).
    pub fn plain(thread: Thread, event: Event) -> OwnedEvent {
        OwnedEvent {
            event,
            thread,
            arg: None,
            planes: Vec::new(),
            extent: None,
            text: String::new(),
            detail: String::new(),
            extra: String::new(),
            flags_in: None,
        }
    }

    /// Copies event `i` of `trace` out of it, with what side tables hold for it by index.
    pub fn from_trace_at(trace: &Trace, i: usize) -> Option<OwnedEvent> {
        let e = trace.events.get(i)?;
        let mut o = OwnedEvent::from_trace(trace, e);
        o.flags_in = trace.flags_in(i as u32);
        Some(o)
    }

    /// Copies event `e` of `trace` out of it (without what side tables hold by event index:
    /// [`OwnedEvent::from_trace_at`] has that).
    pub fn from_trace(trace: &Trace, e: &Event) -> OwnedEvent {
        let mut o = OwnedEvent::plain(trace.thread(e.thread), *e);
        match e.body {
            Body::Ioctl { arg, .. } => {
                o.arg = trace.arg(arg).copied();
                match &o.arg {
                    Some(IoctlArg::Buffer(b)) => o.planes = trace.planes_of(b).to_vec(),
                    Some(IoctlArg::Querycap(c)) => {
                        o.text = trace.str(c.driver).to_owned();
                        o.detail = trace.str(c.card).to_owned();
                        o.extra = trace.str(c.bus_info).to_owned();
                    }
                    _ => {}
                }
            }
            Body::Open { path, dev, .. } => {
                o.text = trace.str(path).to_owned();
                o.detail = trace.device_name(dev).unwrap_or("").to_owned();
            }
            Body::Mmap { ext, .. } | Body::Munmap { ext } => o.extent = Some(trace.extent(ext)),
            Body::Dmabuf { name, ext, .. } => {
                o.text = trace.str(name).to_owned();
                o.extent = Some(trace.extent(ext));
            }
            Body::Tracepoint { name, text } => {
                o.text = trace.str(name).to_owned();
                o.detail = trace.str(text).to_owned();
            }
            Body::Klog { text } | Body::Marker { text } => o.text = trace.str(text).to_owned(),
            _ => {}
        }
        o
    }

    /// Appends the event to `trace`, storing its side data there; returns the event as stored.
    pub fn append_to(&self, trace: &mut Trace) -> Event {
        let mut e = self.event;
        e.thread = trace.thread_id(self.thread.pid, self.thread.tid);
        match &mut e.body {
            Body::Ioctl { arg, .. } => {
                if let Some(mut a) = self.arg {
                    match &mut a {
                        IoctlArg::Buffer(b) => {
                            let (first, count) = if self.planes.is_empty() {
                                (0, 0)
                            } else {
                                trace.add_planes(&self.planes)
                            };
                            b.planes_first = first;
                            b.planes_count = count;
                        }
                        IoctlArg::Querycap(c) => {
                            c.driver = trace.intern(&self.text);
                            c.card = trace.intern(&self.detail);
                            c.bus_info = trace.intern(&self.extra);
                        }
                        _ => {}
                    }
                    *arg = trace.add_arg(a);
                }
            }
            Body::Open { path, dev, .. } => {
                *path = trace.intern(&self.text);
                *dev = trace.device(&self.text);
                trace.set_device_name(*dev, &self.detail);
            }
            Body::Mmap { ext, .. } | Body::Munmap { ext } => {
                *ext = trace.add_extent(self.extent.unwrap_or_default());
            }
            Body::Dmabuf { name, ext, .. } => {
                *name = trace.intern(&self.text);
                *ext = trace.add_extent(self.extent.unwrap_or_default());
            }
            Body::Tracepoint { name, text } => {
                *name = trace.intern(&self.text);
                *text = trace.intern(&self.detail);
            }
            Body::Klog { text } | Body::Marker { text } => *text = trace.intern(&self.text),
            _ => {}
        }
        trace.push(e);
        if let Some(f) = self.flags_in {
            trace.set_flags_in(trace.events.len() as u32 - 1, f);
        }
        e
    }
}
