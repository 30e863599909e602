//! Reading the binary form: find the chunks (by the index, else by walking them), decode
//! them on every core, then join them in order. A damaged chunk loses its own events only.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::format::diagnostic::{DiagSeverity, Diagnostic};
use crate::format::native_read::{LoadError, after_load, parse_header};
use crate::progress::Progress;
use crate::trace::{Body, IoctlArg, Trace, TraceParts};

use super::{BINARY_VERSION, CHUNK, ChunkBody, END, INDEX, MAGIC, META_LEN, Meta};

/// Whether `bytes` begin as a binary trace.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(i..i.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(i..i.checked_add(8)?)?.try_into().ok()?,
    ))
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

/// The chunks the index lists, if the file ends with a whole index that agrees with them.
fn chunks_from_index(bytes: &[u8]) -> Option<Chunks> {
    let end = bytes.len().checked_sub(END.len())?;
    if bytes.get(end..)? != END {
        return None;
    }
    let at = usize::try_from(u64_at(bytes, end.checked_sub(8)?)?).ok()?;
    if bytes.get(at..at + 4)? != INDEX {
        return None;
    }
    let count = u32_at(bytes, at + 4)? as usize;
    let mut out = Vec::with_capacity(count.min(bytes.len() / META_LEN));
    let mut p = at + 8;
    for _ in 0..count {
        let offset = usize::try_from(u64_at(bytes, p)?).ok()?;
        let meta = Meta::decode(bytes.get(p + 8..p + 8 + META_LEN)?)?;
        // The chunk itself must say the same.
        if bytes.get(offset..offset + 4)? != CHUNK
            || Meta::decode(bytes.get(offset + 4..offset + 4 + META_LEN)?)? != meta
        {
            return None;
        }
        out.push((offset, meta));
        p += 8 + META_LEN;
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

/// One chunk, decoded: times absolute, table numbers still the chunk's own.
struct Decoded {
    body: ChunkBody<String>,
}

fn decode_chunk(
    bytes: &[u8],
    at: usize,
    meta: &Meta,
    zstd: &mut zstd::bulk::Decompressor<'_>,
) -> Result<Decoded, String> {
    let start = at + 4 + META_LEN;
    let packed = bytes
        .get(start..start + meta.compressed_len as usize)
        .ok_or("cut short")?;
    let size = zstd::zstd_safe::get_frame_content_size(packed)
        .ok()
        .flatten()
        .ok_or("not a zstd frame with its size")?;
    // No event takes a kilobyte, nor a string 64 KiB.
    if size > (u64::from(meta.events) + 1) * 1024 + u64::from(meta.strings) * 65_536 {
        return Err(format!("claims {size} bytes unpacked"));
    }
    let raw = zstd
        .decompress(packed, size as usize)
        .map_err(|e| format!("cannot decompress: {e}"))?;
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
    localize(&mut body, meta);
    Ok(Decoded { body })
}

/// Times made absolute; a table number outside the chunk's own tables becomes "none"
/// rather than, once joined, another chunk's entry.
fn localize(body: &mut ChunkBody<String>, meta: &Meta) {
    let local = |i: u32, n: u32| if i < n { i } else { u32::MAX };
    let mut t = 0u64;
    for e in &mut body.events {
        t = t.wrapping_add(e.t_ns);
        e.t_ns = t;
        match &mut e.body {
            Body::Ioctl { arg, .. } => *arg = local(*arg, meta.args),
            Body::Mmap { ext, .. } | Body::Munmap { ext } | Body::Dmabuf { ext, .. } => {
                *ext = local(*ext, meta.extents);
            }
            _ => {}
        }
    }
    body.durations.retain(|&(i, _)| i < meta.events);
    body.flags_in.retain(|&(i, _)| i < meta.events);
    for a in &mut body.args {
        if let IoctlArg::Buffer(b) = a
            && b.planes_first.saturating_add(u32::from(b.planes_count)) > meta.planes
        {
            b.planes_count = 0;
        }
    }
}

/// A chunk's event with its table numbers made the trace's.
fn rebased(mut e: crate::trace::Event, args: u32, extents: u32) -> crate::trace::Event {
    let add = |i: u32, b: u32| if i == u32::MAX { i } else { i + b };
    match &mut e.body {
        Body::Ioctl { arg, .. } => *arg = add(*arg, args),
        Body::Mmap { ext, .. } | Body::Munmap { ext } | Body::Dmabuf { ext, .. } => {
            *ext = add(*ext, extents);
        }
        _ => {}
    }
    e
}

/// Decodes every chunk on every core; `None` where a chunk was damaged (with why).
fn decode_all(
    bytes: &[u8],
    chunks: &Chunks,
    progress: Option<&Progress>,
) -> Result<Vec<Result<Decoded, String>>, LoadError> {
    let n = chunks.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Decoded, String>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let Ok(mut zstd) = zstd::bulk::Decompressor::new() else {
                    return;
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(at, meta)) = chunks.get(i) else {
                        break;
                    };
                    if progress.is_some_and(Progress::cancelled) {
                        cancelled.store(true, Ordering::Relaxed);
                        break;
                    }
                    let r = decode_chunk(bytes, at, &meta, &mut zstd);
                    if let Some(slot) = slots.get(i)
                        && let Ok(mut slot) = slot.lock()
                    {
                        *slot = Some(r);
                    }
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(p) = progress {
                        p.set(0, d as u64, n as u64);
                    }
                }
            });
        }
    });
    if cancelled.into_inner() {
        return Err(LoadError::Cancelled);
    }
    Ok(slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("not decoded".into()))
        })
        .collect())
}

/// Reads a binary trace. Never fails on a damaged chunk: its events are skipped with a
/// diagnostic (its byte offset), and reading goes on.
pub fn read_binary_bytes(
    bytes: &[u8],
    progress: Option<&Progress>,
) -> Result<(Trace, Vec<Diagnostic>), LoadError> {
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
    let htext = bytes
        .get(hstart..hstart + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| not("header cut short or not UTF-8"))?;
    let mut diags = Vec::new();
    let header = parse_header(htext, &mut diags, 1, hstart as u64)?;
    let chunks = match chunks_from_index(bytes) {
        Some(c) => c,
        None => {
            let c = chunks_by_walking(bytes, hstart + hlen, &mut diags);
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
    let decoded = decode_all(bytes, &chunks, progress)?;
    let parts = join(header, &chunks, decoded, bytes.len(), &mut diags);
    let mut trace = Trace::from_parts(parts);
    after_load(&mut trace);
    Ok((trace, diags))
}

/// The chunks joined in order, their table numbers made the trace's. A damaged chunk's
/// events and tables are gone; only its strings are kept as placeholders (as many as the
/// file could hold), since strings are numbered across the file.
fn join(
    header: crate::trace::TraceHeader,
    chunks: &Chunks,
    decoded: Vec<Result<Decoded, String>>,
    file_len: usize,
    diags: &mut Vec<Diagnostic>,
) -> TraceParts {
    let total = |f: fn(&ChunkBody<String>) -> usize| {
        (decoded.iter().flatten())
            .map(|d| f(&d.body))
            .sum::<usize>()
    };
    let mut p = TraceParts {
        header,
        events: Vec::with_capacity(total(|b| b.events.len())),
        args: Vec::with_capacity(total(|b| b.args.len())),
        planes: Vec::with_capacity(total(|b| b.planes.len())),
        extents: Vec::with_capacity(total(|b| b.extents.len())),
        strings: Vec::with_capacity(total(|b| b.strings.len())),
        ..TraceParts::default()
    };
    let mut placeholders = file_len;
    for ((at, meta), d) in chunks.iter().zip(decoded) {
        let body = match d {
            Ok(Decoded { body }) => body,
            Err(why) => {
                let n = (meta.strings as usize).min(placeholders);
                placeholders -= n;
                p.strings
                    .extend(std::iter::repeat_n(Box::<str>::default(), n));
                diags.push(error(
                    *at as u64,
                    format!(
                        "chunk of {} events unreadable ({why}); they are skipped",
                        meta.events
                    ),
                ));
                continue;
            }
        };
        let base_event = p.events.len() as u32;
        let (args, extents, planes) = (
            p.args.len() as u32,
            p.extents.len() as u32,
            p.planes.len() as u32,
        );
        p.events
            .extend(body.events.iter().map(|&e| rebased(e, args, extents)));
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
    p
}
