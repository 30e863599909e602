//! Writing the binary form: a chunk per [`CHUNK_EVENTS`] events, then the index.

use std::io::{self, Write};

use crate::trace::{Body, Event, IoctlArg, Sym, Trace, TraceHeader};

use super::{BINARY_VERSION, CHUNK, ChunkBody, DiskEvent, END, INDEX, MAGIC, META_LEN, Meta};

/// Writes a trace in the binary form, chunk by chunk: a whole trace (`write_binary`) or a
/// recorder's rolling buffer, one chunk per flush. The index is written by `finish`.
pub struct BinaryWriter<W: Write> {
    w: W,
    /// Bytes written so far: where the next chunk starts.
    at: u64,
    /// How many of the trace's strings earlier chunks carried.
    strings_written: usize,
    index: Vec<(u64, Meta)>,
    zstd: zstd::bulk::Compressor<'static>,
}

impl<W: Write> BinaryWriter<W> {
    pub fn new(mut w: W, header: &TraceHeader) -> io::Result<BinaryWriter<W>> {
        let mut json = Vec::new();
        crate::format::write_header(&mut json, header)?;
        let json = json.trim_ascii_end();
        w.write_all(&MAGIC)?;
        w.write_all(&BINARY_VERSION.to_le_bytes())?;
        w.write_all(&(json.len() as u32).to_le_bytes())?;
        w.write_all(json)?;
        Ok(BinaryWriter {
            w,
            at: (MAGIC.len() + 8 + json.len()) as u64,
            strings_written: 0,
            index: Vec::new(),
            zstd: zstd::bulk::Compressor::new(3)?,
        })
    }

    /// Writes events `range` of `trace` as one chunk, with the side data they use.
    pub fn chunk(&mut self, trace: &Trace, range: std::ops::Range<usize>) -> io::Result<()> {
        let Some(events) = trace.events.get(range.clone()) else {
            return Ok(());
        };
        if events.is_empty() {
            return Ok(());
        }
        if events.len() > super::MAX_CHUNK_EVENTS {
            let mid = range.start + super::MAX_CHUNK_EVENTS;
            self.chunk(trace, range.start..mid)?;
            return self.chunk(trace, mid..range.end);
        }
        let mut body = local_tables(trace, events, range.start as u32);
        let tables = trace.side_tables();
        let upto = strings_needed(trace, &body).max(self.strings_written);
        body.strings = tables
            .strings
            .get(self.strings_written..upto)
            .unwrap_or(&[])
            .iter()
            .map(|s| &**s)
            .collect();
        let raw = postcard::to_stdvec(&body).map_err(io::Error::other)?;
        let packed = self.zstd.compress(&raw)?;
        let meta = Meta {
            compressed_len: packed.len() as u32,
            events: body.events.len() as u32,
            args: body.args.len() as u32,
            planes: body.planes.len() as u32,
            extents: body.extents.len() as u32,
            strings: body.strings.len() as u32,
            first_t: events.first().map_or(0, |e| e.t_ns),
            last_t: events.last().map_or(0, |e| e.t_ns),
        };
        let mut head = Vec::with_capacity(4 + META_LEN);
        head.extend_from_slice(&CHUNK);
        meta.encode(&mut head);
        self.w.write_all(&head)?;
        self.w.write_all(&packed)?;
        self.index.push((self.at, meta));
        self.at += (head.len() + packed.len()) as u64;
        self.strings_written = upto;
        Ok(())
    }

    /// The writer underneath, to flush it (writing to it would break the file).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.w
    }

    /// Writes the index and the footer; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let mut out = Vec::with_capacity(8 + self.index.len() * (8 + META_LEN) + 16);
        out.extend_from_slice(&INDEX);
        out.extend_from_slice(&(self.index.len() as u32).to_le_bytes());
        for (offset, meta) in &self.index {
            out.extend_from_slice(&offset.to_le_bytes());
            meta.encode(&mut out);
        }
        out.extend_from_slice(&self.at.to_le_bytes());
        out.extend_from_slice(&END);
        self.w.write_all(&out)?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes a whole trace in the binary form.
pub fn write_binary<W: Write>(w: W, trace: &Trace) -> io::Result<W> {
    let mut bw = BinaryWriter::new(w, &trace.header)?;
    let n = trace.events.len();
    let mut start = 0;
    while start < n {
        let end = (start + super::CHUNK_EVENTS).min(n);
        bw.chunk(trace, start..end)?;
        start = end;
    }
    bw.finish()
}

/// The chunk's events with their arguments, planes and extents numbered from the chunk's
/// first; times as differences; durations and `flags_in` of these events.
fn local_tables<'a>(trace: &Trace, events: &[Event], first: u32) -> ChunkBody<&'a str> {
    let mut body = ChunkBody::<&str> {
        events: Vec::with_capacity(events.len()),
        devices: trace.devices.clone(),
        device_names: trace.side_tables().device_names.to_vec(),
        ..ChunkBody::default()
    };
    let mut prev_t = 0u64;
    for e in events {
        let mut e = disk_event(trace, e);
        let t = e.t_ns;
        e.t_ns = t.wrapping_sub(prev_t);
        prev_t = t;
        match &mut e.body {
            Body::Ioctl { arg, .. } => *arg = local_arg(trace, *arg, &mut body),
            Body::Mmap { ext, .. } | Body::Munmap { ext } | Body::Dmabuf { ext, .. } => {
                body.extents.push(trace.extent(*ext));
                *ext = body.extents.len() as u32 - 1;
            }
            _ => {}
        }
        body.events.push(e);
    }
    // The sparse tables are sorted by event: the chunk's part is found by search.
    let last = first + events.len() as u32;
    fn part<T: Copy>(v: &[(u32, T)], first: u32, last: u32) -> Vec<(u32, T)> {
        let (a, b) = (
            v.partition_point(|&(i, _)| i < first),
            v.partition_point(|&(i, _)| i < last),
        );
        v.get(a..b)
            .unwrap_or(&[])
            .iter()
            .map(|&(i, x)| (i - first, x))
            .collect()
    }
    body.durations = part(trace.durations(), first, last);
    body.flags_in = part(trace.side_tables().flags_in, first, last);
    body
}

/// Event `e` as a chunk stores it, its thread by (pid, tid).
fn disk_event(trace: &Trace, e: &Event) -> DiskEvent {
    let th = trace.thread(e.thread);
    DiskEvent {
        t_ns: e.t_ns,
        pid: th.pid,
        tid: th.tid,
        origin: e.origin(),
        line: e.line(),
        within: e.within(),
        body: e.body,
    }
}

/// Copies argument `i` (and its planes) into the chunk; `u32::MAX` for none.
fn local_arg(trace: &Trace, i: u32, body: &mut ChunkBody<&str>) -> u32 {
    let Some(&a) = trace.arg(i) else {
        return u32::MAX;
    };
    let a = match a {
        IoctlArg::Buffer(mut b) if b.planes_count > 0 => {
            let planes = trace.planes_of(&b);
            b.planes_first = body.planes.len() as u32;
            b.planes_count = planes.len() as u8;
            body.planes.extend_from_slice(planes);
            IoctlArg::Buffer(b)
        }
        a => a,
    };
    body.args.push(a);
    body.args.len() as u32 - 1
}

/// One past the highest string the chunk names.
fn strings_needed(trace: &Trace, body: &ChunkBody<&str>) -> usize {
    let mut hi = 0u32;
    let mut see = |s: Sym| hi = hi.max(s.0.saturating_add(1));
    for e in &body.events {
        match e.body {
            Body::Open { path, .. } => see(path),
            Body::Dmabuf { name, .. } => see(name),
            Body::Tracepoint { name, text } => {
                see(name);
                see(text);
            }
            Body::Klog { text } | Body::Marker { text } => see(text),
            _ => {}
        }
    }
    for a in &body.args {
        if let IoctlArg::Querycap(c) = a {
            see(c.driver);
            see(c.card);
            see(c.bus_info);
        }
    }
    for &d in &body.devices {
        see(d);
    }
    for &(_, s) in &body.device_names {
        see(s);
    }
    (hi as usize).min(trace.side_tables().strings.len())
}
