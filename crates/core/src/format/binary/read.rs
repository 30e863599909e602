//! Reading the binary form: find the chunks (by the index, else by walking them), decode
//! them on every core, then join them in order. A damaged chunk loses its own events only.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::format::diagnostic::{DiagSeverity, Diagnostic};
use crate::format::native_read::{LoadError, after_load, parse_header};
use crate::progress::Progress;
use rustc_hash::FxHashMap;

use crate::trace::{Body, Event, IoctlArg, Thread, ThreadId, Trace, TraceParts};

use super::{BINARY_VERSION, CHUNK, ChunkBody, END, INDEX, MAGIC, META_LEN, Meta, u32_at, u64_at};

/// Whether `bytes` begin as a binary trace.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn error(byte: u64, message: String) -> Diagnostic {
    Diagnostic {
        severity: DiagSeverity::Error,
        line: 0,
        byte,
        message,
    }
}

/// Where each chunk starts (its `CHNK`) and what it holds, with the offsets numbered from
/// the start of the file.
type Chunks = Vec<(usize, Meta)>;

/// `len` bytes at `at`, if the file has them (offsets read from a file may be anything).
fn slice(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(len)?)
}

/// The chunks the index lists, if the file ends with a whole index that agrees with them.
fn chunks_from_index(bytes: &[u8]) -> Option<Chunks> {
    let end = bytes.len().checked_sub(END.len())?;
    if bytes.get(end..)? != END {
        return None;
    }
    let at = usize::try_from(u64_at(bytes, end.checked_sub(8)?)?).ok()?;
    if slice(bytes, at, 4)? != INDEX {
        return None;
    }
    let count = u32_at(bytes, at.checked_add(4)?)? as usize;
    let mut out = Vec::with_capacity(count.min(bytes.len() / META_LEN));
    let mut p = at.checked_add(8)?;
    for _ in 0..count {
        let offset = usize::try_from(u64_at(bytes, p)?).ok()?;
        let meta = Meta::decode(slice(bytes, p.checked_add(8)?, META_LEN)?)?;
        // The chunk itself must say the same.
        if slice(bytes, offset, 4)? != CHUNK
            || Meta::decode(slice(bytes, offset.checked_add(4)?, META_LEN)?)? != meta
        {
            return None;
        }
        out.push((offset, meta));
        p = p.checked_add(8 + META_LEN)?;
    }
    Some(out)
}

/// The chunks found by walking them from `start`: a file cut short, or its index damaged.
fn chunks_by_walking(bytes: &[u8], start: usize, diags: &mut Vec<Diagnostic>) -> Chunks {
    let mut out = Vec::new();
    let mut p = start;
    while p < bytes.len() {
        match bytes.get(p..p + 4) {
            Some(tag) if tag == CHUNK => {}
            Some(tag) if tag == INDEX => break,
            _ => {
                diags.push(error(
                    p as u64,
                    "not a chunk here; the rest is skipped".into(),
                ));
                break;
            }
        }
        let Some(meta) = bytes.get(p + 4..p + 4 + META_LEN).and_then(Meta::decode) else {
            diags.push(error(p as u64, "chunk header cut short".into()));
            break;
        };
        let next = p + 4 + META_LEN + meta.compressed_len as usize;
        if next > bytes.len() {
            diags.push(error(
                p as u64,
                format!(
                    "chunk of {} events cut short ({} of {} bytes): the file ends here",
                    meta.events,
                    bytes.len() - p - 4 - META_LEN,
                    meta.compressed_len
                ),
            ));
            break;
        }
        out.push((p, meta));
        p = next;
    }
    out
}

/// The most a chunk may unpack to.
const MAX_UNPACKED: u64 = 1 << 30;

/// One chunk, decoded: times absolute, table numbers (threads too) still the chunk's own.
struct Decoded {
    /// The chunk's tables but its events (moved to `events`).
    body: ChunkBody<String>,
    events: Vec<Event>,
    /// The chunk's threads, which its events' `thread` index.
    threads: Vec<Thread>,
}

fn decode_chunk(bytes: &[u8], at: usize, meta: &Meta) -> Result<Decoded, String> {
    use std::io::Read as _;
    let packed =
        slice(bytes, at + 4 + META_LEN, meta.compressed_len as usize).ok_or("cut short")?;
    // The frame's stated size only sizes the first allocation; the output grows with what
    // really comes out, up to a limit no chunk a writer makes comes near (a chunk holds at
    // most a million events).
    let hint = zstd::zstd_safe::get_frame_content_size(packed)
        .ok()
        .flatten()
        .unwrap_or(0)
        .min(MAX_UNPACKED / 16);
    let mut raw = Vec::with_capacity(hint as usize);
    let dec = zstd::stream::read::Decoder::with_buffer(packed)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    dec.take(MAX_UNPACKED + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    if raw.len() as u64 > MAX_UNPACKED {
        return Err(format!("unpacks to more than {MAX_UNPACKED} bytes"));
    }
    let mut body: ChunkBody<String> =
        postcard::from_bytes(&raw).map_err(|e| format!("cannot decode: {e}"))?;
    let counts = (
        body.events.len(),
        body.args.len(),
        body.planes.len(),
        body.extents.len(),
        body.strings.len(),
    );
    let want = (
        meta.events as usize,
        meta.args as usize,
        meta.planes as usize,
        meta.extents as usize,
        meta.strings as usize,
    );
    if counts != want {
        return Err(format!("holds {counts:?} where its header says {want:?}"));
    }
    let (events, threads) = localize(&mut body, meta);
    Ok(Decoded {
        body,
        events,
        threads,
    })
}

/// The chunk's events, in one pass: times made absolute; a table number outside the
/// chunk's own tables made "none" rather than, once joined, another chunk's entry; threads
/// numbered in a table of the chunk's own (returned with them).
fn localize(body: &mut ChunkBody<String>, meta: &Meta) -> (Vec<Event>, Vec<Thread>) {
    let local = |i: u32, n: u32| if i < n { i } else { u32::MAX };
    let mut threads = LocalThreads::default();
    let mut t = 0u64;
    let events = std::mem::take(&mut body.events)
        .into_iter()
        .map(|mut d| {
            t = t.wrapping_add(d.t_ns);
            match &mut d.body {
                Body::Ioctl { arg, .. } => *arg = local(*arg, meta.args),
                Body::Mmap { ext, .. } | Body::Munmap { ext } | Body::Dmabuf { ext, .. } => {
                    *ext = local(*ext, meta.extents);
                }
                _ => {}
            }
            let thread = threads.id(d.pid, d.tid);
            let mut e = Event::new(t, thread, d.origin, d.body).on_line(d.line);
            e.set_within(d.within);
            e
        })
        .collect();
    body.durations.retain(|&(i, _)| i < meta.events);
    body.flags_in.retain(|&(i, _)| i < meta.events);
    for a in &mut body.args {
        if let IoctlArg::Buffer(b) = a
            && b.planes_first.saturating_add(u32::from(b.planes_count)) > meta.planes
        {
            b.planes_count = 0;
        }
    }
    (events, threads.table)
}

/// A chunk's thread table as its events are read.
#[derive(Default)]
struct LocalThreads {
    table: Vec<Thread>,
    ids: FxHashMap<Thread, ThreadId>,
    /// The last thread seen: runs of events of one thread skip the hash.
    last: Option<(Thread, ThreadId)>,
}

impl LocalThreads {
    fn id(&mut self, pid: u32, tid: u32) -> ThreadId {
        let th = Thread { pid, tid };
        if let Some((last, id)) = self.last
            && last == th
        {
            return id;
        }
        let table = &mut self.table;
        let id = *self.ids.entry(th).or_insert_with(|| {
            table.push(th);
            ThreadId(table.len() as u32 - 1)
        });
        self.last = Some((th, id));
        id
    }
}

/// A chunk's event with its table numbers made the trace's (`threads`: the trace's index of
/// each of the chunk's threads).
fn rebased(mut e: Event, args: u32, extents: u32, threads: &[ThreadId]) -> Event {
    let add = |i: u32, b: u32| if i == u32::MAX { i } else { i + b };
    e.thread = threads
        .get(e.thread.0 as usize)
        .copied()
        .unwrap_or(ThreadId::UNKNOWN);
    match &mut e.body {
        Body::Ioctl { arg, .. } => *arg = add(*arg, args),
        Body::Mmap { ext, .. } | Body::Munmap { ext } | Body::Dmabuf { ext, .. } => {
            *ext = add(*ext, extents);
        }
        _ => {}
    }
    e
}

/// Decodes every chunk on every core and joins them, in order, as they come: a chunk's
/// tables are freed as soon as they are joined (and their memory reused for the next).
fn decode_and_join(
    bytes: &[u8],
    chunks: &Chunks,
    progress: Option<&Progress>,
    joiner: &mut Joiner,
) -> Result<(), LoadError> {
    let n = chunks.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        // A join slower than decoding holds decoding back: decoded chunks piling up (the
        // joiner descheduled a while) each took fresh memory, faulted in page by page. Those
        // decoded ahead of one still decoding wait beside it, in `waiting`.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Decoded, String>)>(threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, cancelled) = (&next, &cancelled);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(at, meta)) = chunks.get(i) else {
                        break;
                    };
                    if cancelled.load(Ordering::Relaxed)
                        || progress.is_some_and(Progress::cancelled)
                    {
                        cancelled.store(true, Ordering::Relaxed);
                        break;
                    }
                    if tx.send((i, decode_chunk(bytes, at, &meta))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Chunks come in any order; each is joined once those before it are.
        let mut waiting = std::collections::BTreeMap::new();
        let mut want = 0;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                if let Some(&(at, meta)) = chunks.get(want) {
                    joiner.add(at, &meta, r);
                }
                want += 1;
                if let Some(p) = progress {
                    p.set(0, want as u64, n as u64);
                }
            }
        }
        // A worker that could not start leaves chunks undecoded: say so, in order.
        for (i, &(at, meta)) in chunks.iter().enumerate().skip(want) {
            let r = waiting
                .remove(&i)
                .unwrap_or_else(|| Err("not decoded".into()));
            joiner.add(at, &meta, r);
        }
    });
    if cancelled.into_inner() {
        return Err(LoadError::Cancelled);
    }
    Ok(())
}

/// The first chunks of a binary trace, up to about `events` events, when it holds more
/// (and has its index, which says so): a preview to show while the rest is read. The trace
/// is marked [`Trace::cut`]: drawn, not judged.
pub fn read_binary_prefix(bytes: &[u8], events: usize) -> Option<Trace> {
    if !is_binary(bytes) {
        return None;
    }
    let chunks = chunks_from_index(bytes)?;
    let total: usize = chunks.iter().map(|(_, m)| m.events as usize).sum();
    if total <= events {
        return None;
    }
    let (mut n, mut take) = (0usize, 0usize);
    while n < events
        && let Some((_, m)) = chunks.get(take)
    {
        n += m.events as usize;
        take += 1;
    }
    if take >= chunks.len() {
        // Whole chunks up to `events` are the whole trace: no preview.
        return None;
    }
    let part: Chunks = chunks.get(..take)?.to_vec();
    let (header, _) = read_header(bytes, &mut Vec::new()).ok()?;
    let mut joiner = Joiner::new(header, &part, bytes.len());
    decode_and_join(bytes, &part, None, &mut joiner).ok()?;
    let mut trace = Trace::from_parts(joiner.parts);
    after_load(&mut trace);
    trace.cut = true;
    Some(trace)
}

/// The header of a binary trace, and where its chunks start.
fn read_header(
    bytes: &[u8],
    diags: &mut Vec<Diagnostic>,
) -> Result<(crate::trace::TraceHeader, usize), LoadError> {
    let not = |m: &str| LoadError::NotATrace(m.into());
    if !is_binary(bytes) {
        return Err(not("no binary trace magic"));
    }
    let version = u32_at(bytes, MAGIC.len()).ok_or_else(|| not("cut short"))?;
    if version > BINARY_VERSION {
        return Err(LoadError::BinaryTooNew(version));
    }
    let hlen = u32_at(bytes, MAGIC.len() + 4).ok_or_else(|| not("cut short"))? as usize;
    let hstart = MAGIC.len() + 8;
    let htext = slice(bytes, hstart, hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| not("header cut short or not UTF-8"))?;
    let header = parse_header(htext, diags, 1, hstart as u64)?;
    Ok((header, hstart + hlen))
}

/// Reads a binary trace. Never fails on a damaged chunk: its events are skipped with a
/// diagnostic (its byte offset), and reading goes on.
pub fn read_binary_bytes(
    bytes: &[u8],
    progress: Option<&Progress>,
) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
    let mut diags = Vec::new();
    let (header, first_chunk) = read_header(bytes, &mut diags)?;
    let chunks = match chunks_from_index(bytes) {
        Some(c) => c,
        None => {
            let c = chunks_by_walking(bytes, first_chunk, &mut diags);
            diags.push(Diagnostic {
                severity: DiagSeverity::Warning,
                line: 0,
                byte: bytes.len() as u64,
                message: format!(
                    "no index at the end (a recording cut short?): {} chunks found by walking",
                    c.len()
                ),
            });
            c
        }
    };
    let mut joiner = Joiner::new(header, &chunks, bytes.len());
    decode_and_join(bytes, &chunks, progress, &mut joiner)?;
    diags.append(&mut joiner.diags);
    let mut trace = Trace::from_parts(joiner.parts);
    after_load(&mut trace);
    Ok((trace, diags))
}

/// The chunks joined in order, their table numbers made the trace's. A damaged chunk's
/// events and tables are gone; only its strings are kept as placeholders (as many as the
/// file could hold), since strings are numbered across the file.
struct Joiner {
    parts: TraceParts,
    /// The index of each thread in `parts.threads`.
    thread_ids: FxHashMap<Thread, ThreadId>,
    /// How many more placeholder strings damaged chunks may take.
    placeholders: usize,
    diags: Vec<Diagnostic>,
}

impl Joiner {
    fn new(header: crate::trace::TraceHeader, chunks: &Chunks, file_len: usize) -> Joiner {
        let mut parts = TraceParts {
            header,
            ..TraceParts::default()
        };
        // Room for what the chunks say they hold, if the system grants it: a damaged
        // header only costs the reservation.
        let total = |f: fn(&Meta) -> u32| chunks.iter().map(|(_, m)| f(m) as usize).sum();
        let _ = parts.events.try_reserve_exact(total(|m| m.events));
        let _ = parts.args.try_reserve_exact(total(|m| m.args));
        let _ = parts.planes.try_reserve_exact(total(|m| m.planes));
        let _ = parts.extents.try_reserve_exact(total(|m| m.extents));
        Joiner {
            parts,
            thread_ids: FxHashMap::default(),
            placeholders: file_len,
            diags: Vec::new(),
        }
    }

    fn add(&mut self, at: usize, meta: &Meta, d: Result<Decoded, String>) {
        let p = &mut self.parts;
        let (body, events, threads) = match d {
            Ok(Decoded {
                body,
                events,
                threads,
            }) => (body, events, threads),
            Err(why) => {
                let n = (meta.strings as usize).min(self.placeholders);
                self.placeholders -= n;
                p.strings
                    .extend(std::iter::repeat_n(Box::<str>::default(), n));
                self.diags.push(error(
                    at as u64,
                    format!(
                        "chunk of {} events unreadable ({why}); they are skipped",
                        meta.events
                    ),
                ));
                return;
            }
        };
        let base_event = p.events.len() as u32;
        let (args, extents, planes) = (
            p.args.len() as u32,
            p.extents.len() as u32,
            p.planes.len() as u32,
        );
        let threads: Vec<ThreadId> = threads
            .into_iter()
            .map(|th| {
                *self.thread_ids.entry(th).or_insert_with(|| {
                    p.threads.push(th);
                    ThreadId(p.threads.len() as u32 - 1)
                })
            })
            .collect();
        p.events
            .extend(events.iter().map(|&e| rebased(e, args, extents, &threads)));
        p.args.extend(body.args.iter().map(|&a| match a {
            IoctlArg::Buffer(mut b) if b.planes_count > 0 => {
                b.planes_first += planes;
                IoctlArg::Buffer(b)
            }
            a => a,
        }));
        p.planes.extend_from_slice(&body.planes);
        p.extents.extend_from_slice(&body.extents);
        p.strings
            .extend(body.strings.into_iter().map(String::into_boxed_str));
        p.durations
            .extend(body.durations.iter().map(|&(i, d)| (i + base_event, d)));
        p.flags_in
            .extend(body.flags_in.iter().map(|&(i, f)| (i + base_event, f)));
        p.devices = body.devices;
        p.device_names = body.device_names;
    }
}
