//! The binary native format (docs/trace-format.md, "Binary form"): the same trace as the
//! JSON Lines form, in chunks of events each compressed on its own, with an index of the
//! chunks at the end. Chunks decode in parallel, so a large trace loads on every core.
//!
//! ```text
//! file    := MAGIC version:u32 header_len:u32 header(JSON, as the JSON Lines header) chunk* index footer
//! chunk   := "CHNK" meta zstd(postcard(ChunkBody))
//! meta    := compressed_len:u32 events:u32 args:u32 planes:u32 extents:u32 strings:u32
//!            first_t:u64 last_t:u64
//! index   := "INDX" count:u32 (offset:u64 meta)*count
//! footer  := index_offset:u64 END
//! ```
//!
//! Integers are little-endian. A chunk's arguments, planes and extents are its own (an
//! event's `arg` and `ext`, a buffer's `planes_first` count from the chunk's first); strings
//! are numbered across the file and a chunk carries those first used in it. The index
//! repeats every chunk's meta with its offset; without it (a file cut short) the chunks are
//! found by walking their lengths, and reading keeps every whole chunk.

mod read;
mod write;

pub use read::{is_binary, read_binary_bytes, read_binary_prefix};
pub use write::{BinaryWriter, write_binary};

/// The first bytes of a binary trace (PNG-style: a high byte, then text, then line ends
/// that a text-mode transfer would damage).
pub const MAGIC: [u8; 8] = *b"\x89VB2S\r\n\x1a";
const CHUNK: [u8; 4] = *b"CHNK";
const INDEX: [u8; 4] = *b"INDX";
const END: [u8; 8] = *b"VB2S-END";
/// The binary layout's version: the postcard encoding of the trace types, whose enum
/// variants are only ever appended.
pub const BINARY_VERSION: u32 = 1;
/// Events per chunk: small enough to spread over the cores and to show a first part early,
/// large enough that zstd finds the repetition of a streaming loop.
pub const CHUNK_EVENTS: usize = 1 << 16;
/// The most events a chunk may hold (a writer splits a longer range).
pub const MAX_CHUNK_EVENTS: usize = 1 << 20;
const META_LEN: usize = 4 * 6 + 8 * 2;

/// The little-endian u32 at byte `i`, if `b` has it.
fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(i..i.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The little-endian u64 at byte `i`, if `b` has it.
fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(i..i.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// What a chunk holds, as its header and the index say it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Meta {
    compressed_len: u32,
    events: u32,
    args: u32,
    planes: u32,
    extents: u32,
    strings: u32,
    first_t: u64,
    last_t: u64,
}

impl Meta {
    fn encode(&self, out: &mut Vec<u8>) {
        for v in [
            self.compressed_len,
            self.events,
            self.args,
            self.planes,
            self.extents,
            self.strings,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.first_t.to_le_bytes());
        out.extend_from_slice(&self.last_t.to_le_bytes());
    }

    fn decode(b: &[u8]) -> Option<Meta> {
        let m = Meta {
            compressed_len: u32_at(b, 0)?,
            events: u32_at(b, 4)?,
            args: u32_at(b, 8)?,
            planes: u32_at(b, 12)?,
            extents: u32_at(b, 16)?,
            strings: u32_at(b, 20)?,
            first_t: u64_at(b, 24)?,
            last_t: u64_at(b, 32)?,
        };
        // What the writer never makes: a damaged header, not a chunk.
        let plausible = m.events as usize <= MAX_CHUNK_EVENTS
            && m.args <= m.events
            && m.extents <= m.events
            && m.planes as usize <= m.args as usize * crate::v4l2::MAX_PLANES;
        plausible.then_some(m)
    }
}

/// An event as a chunk stores it: its thread as (pid, tid), as the JSON Lines form has it,
/// so that a chunk needs no thread table (in memory, a trace numbers its threads). The
/// fields and their order are those of the layout's version 1.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug)]
struct DiskEvent {
    t_ns: u64,
    pid: u32,
    tid: u32,
    origin: crate::v4l2::Origin,
    line: u32,
    within: bool,
    body: crate::trace::Body,
}

/// The body of a chunk. Event times are stored as the difference to the event before
/// (the first to 0), which compresses far better than absolute nanoseconds.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct ChunkBody<S> {
    events: Vec<DiskEvent>,
    args: Vec<crate::trace::IoctlArg>,
    planes: Vec<crate::trace::V4l2Plane>,
    extents: Vec<crate::trace::Extent>,
    strings: Vec<S>,
    /// (event in the chunk, ns), as `Trace::durations`.
    durations: Vec<(u32, u64)>,
    /// (event in the chunk, flags), as `Trace::flags_in`.
    flags_in: Vec<(u32, u32)>,
    /// Every device the trace knew when the chunk was written (the last chunk's win).
    devices: Vec<crate::trace::Sym>,
    device_names: Vec<(u16, crate::trace::Sym)>,
}

#[cfg(test)]
mod tests;
