//! The recorder: a thread that receives events as they happen and writes them to a native
//! trace at once, flushing at least every quarter second, so a crash or a kill loses at most
//! the last moment and a stopped session leaves a complete file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use vb2scope_core::format::{BinaryWriter, EventExtra, write_event, write_header};
use vb2scope_core::trace::{OwnedEvent, Trace, TraceHeader};

/// Events in flight between a device and the recorder. Full means the writer is behind: the
/// device thread then waits rather than dropping events.
const CHANNEL: usize = 1 << 16;
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// How long the writer sleeps when it has caught up.
const POLL: Duration = Duration::from_millis(50);
/// Events kept in the rolling trace before its side tables are cleared.
const ROLL: usize = 4096;

/// What the recorder wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordStats {
    pub events: u64,
    pub flushes: u64,
}

enum Out {
    Plain(BufWriter<File>),
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
    Any(Box<dyn Write + Send>),
    /// The binary form: a chunk per roll of the trace, or per flush.
    Binary(Box<BinaryWriter<BufWriter<File>>>),
}

impl Out {
    fn w(&mut self) -> &mut dyn Write {
        match self {
            Out::Plain(w) => w,
            Out::Zstd(w) => w,
            Out::Any(w) => w,
            // Chunks are written whole (`Out::chunk`); only flushes come here.
            Out::Binary(bw) => bw.get_mut(),
        }
    }

    /// Writes the events held so far as a chunk (binary form only), and forgets them.
    fn chunk(&mut self, trace: &mut Trace) -> io::Result<()> {
        if let Out::Binary(bw) = self
            && !trace.events.is_empty()
        {
            bw.chunk(trace, 0..trace.events.len())?;
            trace.clear_events();
        }
        Ok(())
    }

    fn is_binary(&self) -> bool {
        matches!(self, Out::Binary(_))
    }
    fn finish(self) -> io::Result<()> {
        match self {
            Out::Plain(mut w) => w.flush(),
            Out::Zstd(w) => w.finish()?.flush(),
            Out::Any(mut w) => w.flush(),
            Out::Binary(bw) => bw.finish()?.flush(),
        }
    }
}

pub struct Recorder {
    tx: Sender<OwnedEvent>,
    join: JoinHandle<io::Result<RecordStats>>,
}

impl Recorder {
    /// Records to a file; `.zst` compresses, `.vb2b` writes the binary form.
    pub fn create(path: &Path, header: TraceHeader) -> io::Result<Recorder> {
        let f = BufWriter::with_capacity(1 << 16, File::create(path)?);
        let out = if path.extension().is_some_and(|e| e == "vb2b") {
            Out::Binary(Box::new(BinaryWriter::new(f, &header)?))
        } else if path.extension().is_some_and(|e| e == "zst") {
            Out::Zstd(zstd::Encoder::new(f, 3)?)
        } else {
            Out::Plain(f)
        };
        Ok(Recorder::spawn(out, header))
    }

    /// Records to any writer (a benchmark's sink, a test's buffer).
    pub fn to_writer(w: Box<dyn Write + Send>, header: TraceHeader) -> Recorder {
        Recorder::spawn(Out::Any(w), header)
    }

    fn spawn(out: Out, header: TraceHeader) -> Recorder {
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL);
        let join = std::thread::Builder::new()
            .name("vb2scope-recorder".into())
            .spawn(move || write_loop(out, header, rx))
            .unwrap_or_else(|e| {
                // Without a thread there is no recorder; report it at finish().
                std::thread::spawn(move || Err(e))
            });
        Recorder { tx, join }
    }

    pub fn sender(&self) -> Sender<OwnedEvent> {
        self.tx.clone()
    }

    /// A device-session sink that hands events to this recorder.
    pub fn sink(&self) -> crate::Sink {
        let tx = self.tx.clone();
        Box::new(move |e| {
            let _ = tx.send(e);
        })
    }

    /// Waits for every event sent so far to be written, and closes the file.
    pub fn finish(self) -> io::Result<RecordStats> {
        drop(self.tx);
        self.join
            .join()
            .map_err(|_| io::Error::other("the recorder thread panicked"))?
    }
}

fn write_loop(
    mut out: Out,
    header: TraceHeader,
    rx: Receiver<OwnedEvent>,
) -> io::Result<RecordStats> {
    let mut trace = Trace::new(header);
    let binary = out.is_binary();
    if !binary {
        write_header(&mut out.w(), &trace.header)?;
    }
    out.w().flush()?;
    let mut stats = RecordStats::default();
    let mut last = Instant::now();
    loop {
        // Drain what is there, then sleep a moment: waking per event would cost the device
        // thread a thread switch per call. The bounded channel makes a sender wait if the
        // writer ever falls this far behind.
        let mut got = 0;
        let mut closed = false;
        loop {
            match rx.try_recv() {
                Ok(ev) => {
                    let e = ev.append_to(&mut trace);
                    if !binary {
                        let i = trace.events.len() as u32 - 1;
                        let extra = EventExtra::of(&trace, i);
                        write_event(&mut out.w(), &trace, &e, extra)?;
                    }
                    stats.events += 1;
                    got += 1;
                    if trace.events.len() >= ROLL {
                        out.chunk(&mut trace)?;
                        trace.clear_events();
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if closed {
            out.chunk(&mut trace)?;
            break;
        }
        if last.elapsed() >= FLUSH_EVERY {
            out.chunk(&mut trace)?;
            out.w().flush()?;
            stats.flushes += 1;
            last = Instant::now();
        }
        if got < CHANNEL / 4 {
            std::thread::sleep(POLL);
        }
    }
    out.finish()?;
    Ok(stats)
}
