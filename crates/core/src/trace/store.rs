//! The trace container and its side tables.

use rustc_hash::FxHashMap;

use crate::policy::Policy;

use super::event::{Event, Extent, IoctlArg, Thread, ThreadId, V4l2Buffer, V4l2Plane};

/// An interned string.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Sym(pub u32);

/// What the header line of a trace says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceHeader {
    pub version: u32,
    /// What made the trace: `vb2scope run traces/x.vb2s`, `vb2scope record`, an importer…
    pub source: String,
    /// The policy the inferred events were computed under, if any.
    pub policy: Option<Policy>,
    /// Free text: what the trace shows.
    pub title: String,
    /// The release of the kernel the trace was recorded on (`uname -r`), if known.
    pub kernel: Option<String>,
    /// What the times count: the wall clock, a kernel clock, or only the order.
    pub clock: crate::time::TraceClock,
}

/// A loaded trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub header: TraceHeader,
    pub events: Vec<Event>,
    /// The threads events name ([`Event::thread`]): few, so an event holds an index.
    threads: Vec<Thread>,
    thread_ids: FxHashMap<Thread, ThreadId>,
    /// The thread `thread_id` last gave: a reader meets runs of one thread.
    last_thread: Option<(Thread, ThreadId)>,
    args: Vec<IoctlArg>,
    planes: Vec<V4l2Plane>,
    extents: Vec<Extent>,
    strings: Vec<Box<str>>,
    /// Interning is on the reader's hot path (tracepoint texts): a fast non-keyed hash.
    string_ids: FxHashMap<Box<str>, Sym>,
    /// Device paths by device number (the `dev` of queue keys). Device 0 is the first opened.
    pub devices: Vec<Sym>,
    /// Only the first part of a trace that goes on (a preview shown while the rest loads):
    /// it is replayed and drawn but not judged (no finding is reported on it), since near
    /// the cut a call may lack what explains it, and its end is not the trace's.
    pub cut: bool,
    /// The names the nodes have in sysfs (`vivid-000-vid-cap`), by device number, where a
    /// recorder wrote them.
    device_names: Vec<(u16, Sym)>,
    /// How long the syscalls a source timed took (strace `-T`): (event index, ns), by index.
    durations: Vec<(u32, u64)>,
    /// The buffer flags an application passed to QBUF or PREPARE_BUF where the source saw
    /// them and the kernel's reply does not show them all (a flag it dropped): (event
    /// index, flags), by index. Only a recorder that reads the call's entry sees them.
    flags_in: Vec<(u32, u32)>,
}

/// A trace's side tables as they are, for a writer that stores them whole.
pub struct SideTables<'a> {
    pub args: &'a [IoctlArg],
    pub planes: &'a [V4l2Plane],
    pub extents: &'a [Extent],
    pub strings: &'a [Box<str>],
    pub device_names: &'a [(u16, Sym)],
    pub flags_in: &'a [(u32, u32)],
}

/// Everything a trace holds, for a reader that decoded its tables whole.
#[derive(Default)]
pub struct TraceParts {
    pub header: TraceHeader,
    pub events: Vec<Event>,
    /// The threads the events' [`Event::thread`] index.
    pub threads: Vec<Thread>,
    pub args: Vec<IoctlArg>,
    pub planes: Vec<V4l2Plane>,
    pub extents: Vec<Extent>,
    pub strings: Vec<Box<str>>,
    pub devices: Vec<Sym>,
    pub device_names: Vec<(u16, Sym)>,
    pub durations: Vec<(u32, u64)>,
    pub flags_in: Vec<(u32, u32)>,
}

impl Trace {
    pub fn new(header: TraceHeader) -> Trace {
        Trace {
            header,
            ..Trace::default()
        }
    }

    /// A trace from tables decoded whole; the sparse tables are sorted here.
    pub fn from_parts(p: TraceParts) -> Trace {
        let string_ids = p
            .strings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), Sym(i as u32)))
            .collect();
        let thread_ids = thread_ids(&p.threads);
        let mut t = Trace {
            header: p.header,
            events: p.events,
            threads: p.threads,
            thread_ids,
            last_thread: None,
            args: p.args,
            planes: p.planes,
            extents: p.extents,
            strings: p.strings,
            string_ids,
            devices: p.devices,
            cut: false,
            device_names: p.device_names,
            durations: Vec::new(),
            flags_in: Vec::new(),
        };
        t.set_durations(p.durations);
        t.set_flags_in_all(p.flags_in);
        // Room reserved for what a damaged file claimed and did not hold is given back.
        t.shrink();
        t
    }

    /// The side tables, for a writer.
    pub fn side_tables(&self) -> SideTables<'_> {
        SideTables {
            args: &self.args,
            planes: &self.planes,
            extents: &self.extents,
            strings: &self.strings,
            device_names: &self.device_names,
            flags_in: &self.flags_in,
        }
    }

    /// Room for `n` more events and `n / 2` ioctl arguments, before a bulk load.
    pub fn reserve(&mut self, n: usize) {
        self.events.reserve(n);
        self.args.reserve(n / 2);
    }

    /// Appends `e`, whose thread must be one of this trace's (`thread_id`).
    pub fn push(&mut self, e: Event) {
        debug_assert!(
            (e.thread.0 as usize) < self.threads.len(),
            "an event's thread index from another trace"
        );
        self.events.push(e);
    }

    /// The index of thread (`pid`, `tid`), added on first sight.
    pub fn thread_id(&mut self, pid: u32, tid: u32) -> ThreadId {
        let th = Thread { pid, tid };
        if let Some((last, id)) = self.last_thread
            && last == th
        {
            return id;
        }
        let id = match self.thread_ids.get(&th) {
            Some(&id) => id,
            None => {
                let id = ThreadId(self.threads.len() as u32);
                self.threads.push(th);
                self.thread_ids.insert(th, id);
                id
            }
        };
        self.last_thread = Some((th, id));
        id
    }

    /// The thread an event's index names; (0, 0) for an index the table lacks.
    pub fn thread(&self, id: ThreadId) -> Thread {
        self.threads.get(id.0 as usize).copied().unwrap_or_default()
    }

    /// The process of event `e`.
    pub fn pid(&self, e: &Event) -> u32 {
        self.thread(e.thread).pid
    }

    /// The thread of event `e` (0 when its source did not say).
    pub fn tid(&self, e: &Event) -> u32 {
        self.thread(e.thread).tid
    }

    /// Rewrites every thread as `f` says; threads it makes equal become one.
    pub fn map_threads(&mut self, f: impl Fn(Thread) -> Thread) {
        let old = std::mem::take(&mut self.threads);
        self.thread_ids.clear();
        self.last_thread = None;
        let new: Vec<ThreadId> = old
            .into_iter()
            .map(|th| {
                let th = f(th);
                self.thread_id(th.pid, th.tid)
            })
            .collect();
        for e in &mut self.events {
            e.thread = new
                .get(e.thread.0 as usize)
                .copied()
                .unwrap_or(ThreadId::UNKNOWN);
        }
    }

    /// Every thread, by index.
    pub fn threads(&self) -> &[Thread] {
        &self.threads
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = Sym(self.strings.len() as u32);
        self.strings.push(s.into());
        self.string_ids.insert(s.into(), id);
        id
    }

    pub fn str(&self, s: Sym) -> &str {
        self.strings.get(s.0 as usize).map(|b| &**b).unwrap_or("")
    }

    /// The device number of a path, allocated on first sight.
    pub fn device(&mut self, path: &str) -> u16 {
        let sym = self.intern(path);
        if let Some(i) = self.devices.iter().position(|&d| d == sym) {
            return i as u16;
        }
        self.devices.push(sym);
        (self.devices.len() - 1) as u16
    }

    /// How many devices the trace names.
    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    pub fn device_path(&self, dev: u16) -> &str {
        self.devices
            .get(dev as usize)
            .map(|&s| self.str(s))
            .unwrap_or("/dev/video0")
    }

    /// Records the sysfs name of device `dev`; an empty name says nothing.
    pub fn set_device_name(&mut self, dev: u16, name: &str) {
        if name.is_empty() {
            return;
        }
        let sym = self.intern(name);
        match self.device_names.iter_mut().find(|(d, _)| *d == dev) {
            Some(slot) => slot.1 = sym,
            None => self.device_names.push((dev, sym)),
        }
    }

    /// The sysfs name of device `dev`, if the trace says it.
    pub fn device_name(&self, dev: u16) -> Option<&str> {
        self.device_names
            .iter()
            .find(|(d, _)| *d == dev)
            .map(|&(_, s)| self.str(s))
    }

    pub fn add_arg(&mut self, a: IoctlArg) -> u32 {
        self.args.push(a);
        (self.args.len() - 1) as u32
    }

    pub fn arg(&self, i: u32) -> Option<&IoctlArg> {
        self.args.get(i as usize)
    }

    /// Replaces the ioctl argument `i` (a recorder filling in what the kernel answered).
    pub fn set_arg(&mut self, i: u32, a: IoctlArg) {
        if let Some(slot) = self.args.get_mut(i as usize) {
            *slot = a;
        }
    }

    /// Fills in `m` of plane `plane` of the buffer argument `i`, which its source did not
    /// record (a DMABUF fd a kernel probe saw). Known values are left alone.
    pub fn fill_plane_m(&mut self, i: u32, plane: u8, m: u64) {
        let Some(IoctlArg::Buffer(b)) = self.args.get_mut(i as usize) else {
            return;
        };
        if b.planes_count == 0 {
            if plane == 0 && !b.m_known {
                b.m = m;
                b.m_known = true;
            }
            return;
        }
        let at = b.planes_first as usize + usize::from(plane);
        if usize::from(plane) < usize::from(b.planes_count)
            && let Some(p) = self.planes.get_mut(at)
            && !p.m_known
        {
            p.m = m;
            p.m_known = true;
        }
    }

    pub fn add_extent(&mut self, e: Extent) -> u32 {
        self.extents.push(e);
        (self.extents.len() - 1) as u32
    }

    pub fn extent(&self, i: u32) -> Extent {
        self.extents.get(i as usize).copied().unwrap_or_default()
    }

    /// Stores the planes of a multi-planar buffer; returns `(first, count)`.
    pub fn add_planes(&mut self, planes: &[V4l2Plane]) -> (u32, u8) {
        let first = self.planes.len() as u32;
        let n = planes.len().min(crate::v4l2::MAX_PLANES);
        self.planes
            .extend_from_slice(planes.get(..n).unwrap_or(&[]));
        (first, n as u8)
    }

    pub fn planes_of(&self, b: &V4l2Buffer) -> &[V4l2Plane] {
        let first = b.planes_first as usize;
        self.planes
            .get(first..first + b.planes_count as usize)
            .unwrap_or(&[])
    }

    /// Records that syscall event `i` took `ns`. Events are recorded in index order.
    pub fn set_duration(&mut self, i: u32, ns: u64) {
        set_sparse(&mut self.durations, i, ns);
    }

    /// Records the flags the application passed to buffer call `i` (see `flags_in`).
    /// Events are recorded in index order.
    pub fn set_flags_in(&mut self, i: u32, flags: u32) {
        set_sparse(&mut self.flags_in, i, flags);
    }

    /// The flags the application passed to buffer call `i`, where the source saw them and
    /// the reply does not show them all.
    pub fn flags_in(&self, i: u32) -> Option<u32> {
        get_sparse(&self.flags_in, i)
    }

    /// How long syscall event `i` took, if its source timed it.
    pub fn duration(&self, i: u32) -> Option<u64> {
        get_sparse(&self.durations, i)
    }

    /// Every recorded duration, by event index.
    pub fn durations(&self) -> &[(u32, u64)] {
        &self.durations
    }

    /// Replaces the durations (after the events were renumbered).
    pub fn set_durations(&mut self, mut d: Vec<(u32, u64)>) {
        d.sort_unstable_by_key(|&(i, _)| i);
        self.durations = d;
    }

    /// Replaces every recorded `flags_in` (events renumbered by a merge).
    pub fn set_flags_in_all(&mut self, mut f: Vec<(u32, u32)>) {
        f.sort_unstable_by_key(|&(i, _)| i);
        self.flags_in = f;
    }

    /// Bytes the loaded trace holds on the heap (vectors at capacity, strings), for the
    /// memory-per-event figure of the benchmark.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.events.capacity() * size_of::<Event>()
            + self.args.capacity() * size_of::<IoctlArg>()
            + self.planes.capacity() * size_of::<V4l2Plane>()
            + self.extents.capacity() * size_of::<Extent>()
            + self
                .strings
                .iter()
                .map(|s| s.len() * 2 + size_of::<Box<str>>() * 2 + 8)
                .sum::<usize>()
            + self.devices.capacity() * size_of::<Sym>()
            + self.threads.capacity() * size_of::<Thread>()
            + self.thread_ids.capacity() * (size_of::<(Thread, ThreadId)>() + 1)
            + self.durations.capacity() * size_of::<(u32, u64)>()
    }

    /// Forgets the events and their side data but keeps strings, threads and devices, so that later
    /// events still agree with those already written out (a recorder's rolling buffer).
    pub fn clear_events(&mut self) {
        self.events.clear();
        self.args.clear();
        self.planes.clear();
        self.extents.clear();
        self.durations.clear();
        self.flags_in.clear();
    }

    /// Releases spare capacity (after loading).
    pub fn shrink(&mut self) {
        self.events.shrink_to_fit();
        self.threads.shrink_to_fit();
        self.args.shrink_to_fit();
        self.planes.shrink_to_fit();
        self.extents.shrink_to_fit();
        self.durations.shrink_to_fit();
        self.flags_in.shrink_to_fit();
    }
}

/// The index of every thread of a table.
fn thread_ids(threads: &[Thread]) -> FxHashMap<Thread, ThreadId> {
    let mut ids = FxHashMap::default();
    for (i, &th) in threads.iter().enumerate() {
        // A damaged table may name a thread twice: the first index stands.
        ids.entry(th).or_insert(ThreadId(i as u32));
    }
    ids
}

/// Sets the value of event `i` in a table sorted by event index; appending is the common
/// case (events are recorded in order).
fn set_sparse<T>(v: &mut Vec<(u32, T)>, i: u32, x: T) {
    match v.last() {
        Some(&(last, _)) if last >= i => {
            let at = v.partition_point(|&(k, _)| k < i);
            match v.get_mut(at) {
                Some(slot) if slot.0 == i => slot.1 = x,
                _ => v.insert(at, (i, x)),
            }
        }
        _ => v.push((i, x)),
    }
}

/// The value of event `i` in a table sorted by event index.
fn get_sparse<T: Copy>(v: &[(u32, T)], i: u32) -> Option<T> {
    let at = v.partition_point(|&(k, _)| k < i);
    v.get(at).filter(|&&(k, _)| k == i).map(|&(_, x)| x)
}
