//! Reading an input file's bytes: a large regular file is mapped instead of copied, so a
//! multi-gigabyte trace costs neither a second copy nor the page clearing of a fresh buffer
//! (a quarter of a 200 MB strace import's time when read with `fs::read`).

// The one unsafe call maps a file; see its SAFETY note.
#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use anyhow::{Context, Result};

/// Below this a copy is as cheap as setting up a mapping.
const MAP_FROM: u64 = 1 << 20;

/// A file's bytes, mapped or read.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// The bytes of `path`. Pipes, devices and small files are read; a large regular file is
/// mapped read-only.
pub fn read(path: &Path) -> Result<FileBytes> {
    let what = || format!("{}: cannot read", path.display());
    let file = File::open(path).with_context(what)?;
    let meta = file.metadata().with_context(what)?;
    if meta.is_file() && meta.len() >= MAP_FROM {
        // SAFETY: a read-only shared mapping of a file vb2scope never writes. It assumes,
        // as ripgrep does of the files it maps, that no other process changes the bytes
        // while they are read: appending (a recording still being written) is harmless, but
        // truncating the file would kill the process (SIGBUS), and rewriting it in place
        // would hand the importer bytes other than those checked as UTF-8.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(FileBytes::Mapped(map));
        }
    }
    let mut bytes = Vec::new();
    // Reserved fallibly: a size that cannot be held is an error, not an abort.
    (bytes.try_reserve_exact(usize::try_from(meta.len()).unwrap_or(0)))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(what)?;
    std::io::Read::read_to_end(&mut &file, &mut bytes).with_context(what)?;
    Ok(FileBytes::Read(bytes))
}
