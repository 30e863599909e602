//! A live device session as the window sees it: the updates of a session thread, drained a
//! bounded number per frame into a growing trace that the window re-evaluates a few times a
//! second. Updates come from any channel, so tests can script a session without a device.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};

use vb2scope_core::format::NATIVE_VERSION;
use vb2scope_core::timeline::Timeline;
use vb2scope_core::trace::{Trace, TraceHeader};
use vb2scope_core::v4l2::BufType;
use vb2scope_device::{
    AppRecording, AppTarget, Caps, Live, LiveConfig, LiveOp, ProgramSpec, Update,
};

use super::document::{Document, LoadError, PolicyChoice};
use super::timeline_view::View;

/// Updates taken per frame: a flood of events cannot hold a frame up.
const DRAIN_PER_FRAME: usize = 20_000;
/// The most often the growing trace is re-evaluated.
const REFRESH_EVERY: Duration = Duration::from_millis(250);
/// A slow re-evaluation waits this many times its cost before the next, so that it takes
/// at most a fifth of the window's time.
const REFRESH_COST_FACTOR: u32 = 4;
/// Above this many events the recording is re-evaluated on a thread: about 20 ms in a release
/// build at 50 000 events, growing with events times buffers.
const BACKGROUND_ABOVE: usize = 100_000;
/// While following, the view shows at most this much of the newest recording.
const FOLLOW_NS: f64 = 5e9;
const LOG_LINES: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Info,
    Result,
    Error,
}

/// The panel's last results and errors, oldest first.
#[derive(Default)]
pub struct Log {
    pub lines: VecDeque<(LogKind, String)>,
}

impl Log {
    pub fn push(&mut self, kind: LogKind, text: impl Into<String>) {
        self.lines.push_back((kind, text.into()));
        while self.lines.len() > LOG_LINES {
            self.lines.pop_front();
        }
    }
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(LogKind::Info, text);
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(LogKind::Error, text);
    }
}

/// What the device's queue is doing, as far as the results tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streaming {
    Off,
    /// STREAMON by hand: buffers are dequeued with the DQBUF button.
    On,
    /// The session dequeues and requeues buffers itself.
    Looping,
}

/// Who carries out the panel's commands.
enum Commands {
    /// A device session thread; dropping it closes the device.
    Device(Live),
    /// A recorded program or process: no V4L2 commands, only a stop.
    App(AppRecording),
    /// A recording made elsewhere (`record --view`), only watched.
    Watched,
    /// Anything else (a test's script); `None` when nothing listens.
    Channel(Option<Sender<LiveOp>>),
}

/// A rebuild's result, what it cost and the policy choice it was made under.
type Rebuilt = (Result<Document, LoadError>, Duration, PolicyChoice);

pub struct LiveSession {
    /// The device as the user named it.
    pub(crate) device: String,
    commands: Commands,
    updates: Receiver<Update>,
    /// Every event recorded so far.
    pub(crate) trace: Trace,
    /// What the device said when it opened: its path, capabilities and the queue in use.
    pub(crate) opened: Option<(String, Caps, BufType)>,
    pub(crate) streaming: Streaming,
    /// Why the session ended, once it has.
    pub(crate) ended: Option<String>,
    /// Events arrived since the document was last rebuilt.
    dirty: bool,
    last_refresh: Option<Instant>,
    /// What the last rebuild took (a slow one is done less often).
    pub(crate) refresh_cost: Duration,
    /// A rebuild running on a thread: the document, its cost and the policy choice it used.
    pending: Option<Receiver<Rebuilt>>,
}

impl LiveSession {
    /// Every event recorded so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Whether the dequeue loop runs.
    pub fn streaming(&self) -> Streaming {
        self.streaming
    }

    /// Opens a device on a session thread.
    pub fn start(cfg: LiveConfig) -> LiveSession {
        let device = cfg.device.clone();
        let live = Live::start(cfg);
        let updates = live.updates().clone();
        LiveSession::new(device, Commands::Device(live), updates)
    }

    /// Records `spec`'s program, started on a thread under the tracer.
    pub fn program(spec: ProgramSpec) -> LiveSession {
        let shown = spec.command.join(" ");
        let rec = AppRecording::program(spec);
        let updates = rec.updates().clone();
        let mut s = LiveSession::new(shown.clone(), Commands::App(rec), updates);
        s.trace.header.source = format!("vb2scope record -- {shown}");
        s.trace.header.title = shown;
        s
    }

    /// Records the running process `pid` until it ends or the recording is stopped.
    pub fn process(pid: i32) -> LiveSession {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default();
        let shown = format!("{comm} (pid {pid})");
        let rec = AppRecording::attach(pid);
        let updates = rec.updates().clone();
        let mut s = LiveSession::new(shown.clone(), Commands::App(rec), updates);
        s.trace.header.source = format!("vb2scope record --attach {pid}");
        s.trace.header.title = shown;
        s
    }

    /// Watches a recording that runs elsewhere: `updates` are its events.
    pub fn watching(name: &str, updates: Receiver<Update>) -> LiveSession {
        let mut s = LiveSession::new(name.to_owned(), Commands::Watched, updates);
        s.trace.header.source = format!("vb2scope record -- {name}");
        s.trace.header.title = name.to_owned();
        s
    }

    /// A program or a process is recorded, rather than a device driven.
    pub fn is_recording(&self) -> bool {
        matches!(self.commands, Commands::App(_) | Commands::Watched)
    }

    /// What the session records: a device, a program or a process.
    pub fn target(&self) -> Option<&AppTarget> {
        match &self.commands {
            Commands::App(r) => Some(r.target()),
            _ => None,
        }
    }

    /// Ends a recorded program (SIGTERM) or detaches from a process; closes a device.
    pub fn stop(&self) {
        match &self.commands {
            Commands::App(r) => r.stop(),
            _ => self.send(LiveOp::Close),
        }
    }

    /// A session whose updates come from `updates` and commands go to `commands`.
    pub fn attach(
        device: &str,
        updates: Receiver<Update>,
        commands: Option<Sender<LiveOp>>,
    ) -> LiveSession {
        LiveSession::new(device.to_owned(), Commands::Channel(commands), updates)
    }

    fn new(device: String, commands: Commands, updates: Receiver<Update>) -> LiveSession {
        let header = TraceHeader {
            version: NATIVE_VERSION,
            source: format!("vb2scope live --device {device}"),
            policy: None,
            title: format!("A live session on {device}"),
            kernel: vb2scope_device::kernel_release(),
            clock: vb2scope_device::recording_clock(),
        };
        LiveSession {
            device,
            commands,
            updates,
            trace: Trace::new(header),
            opened: None,
            streaming: Streaming::Off,
            ended: None,
            dirty: false,
            last_refresh: None,
            refresh_cost: Duration::ZERO,
            pending: None,
        }
    }

    pub fn running(&self) -> bool {
        self.ended.is_none()
    }

    pub fn send(&self, op: LiveOp) {
        match &self.commands {
            Commands::Device(live) => live.send(op),
            Commands::App(_) | Commands::Watched => {}
            Commands::Channel(Some(tx)) => {
                // A script that stopped listening is a session that ended; its Ended says so.
                let _ = tx.send(op);
            }
            Commands::Channel(None) => {}
        }
    }

    /// The name of the recording's document.
    pub fn name(&self) -> String {
        if self.is_recording() {
            format!("recording: {}", self.device)
        } else {
            format!("live: {}", self.device)
        }
    }

    /// Takes the waiting updates, at most a frame's worth; true when more are waiting.
    pub fn drain(&mut self, log: &mut Log) -> bool {
        for _ in 0..DRAIN_PER_FRAME {
            match self.updates.try_recv() {
                Ok(u) => self.take(u, log),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => {
                    if self.running() {
                        self.end("the session stopped without saying why".into(), log);
                    }
                    return false;
                }
            }
        }
        true
    }

    fn take(&mut self, u: Update, log: &mut Log) {
        match u {
            Update::Event(e) => {
                e.append_to(&mut self.trace);
                self.dirty = true;
            }
            Update::Opened { path, caps, queue } => {
                log.info(format!(
                    "opened {path}: {} ({}), queue {}",
                    caps.card,
                    caps.driver,
                    queue.as_str()
                ));
                self.opened = Some((path, caps, queue));
            }
            Update::Result { op, outcome } => {
                let ok = outcome == "ok";
                let is = |o: LiveOp| op == o;
                if ok && is(LiveOp::Streamon) {
                    self.streaming = Streaming::On;
                } else if ok && is(LiveOp::StartStreaming) {
                    self.streaming = Streaming::Looping;
                } else if ok && (is(LiveOp::Streamoff) || is(LiveOp::StopStreaming)) {
                    self.streaming = Streaming::Off;
                }
                if let (true, LiveOp::Queue(q), Some(o)) = (ok, &op, self.opened.as_mut()) {
                    o.2 = *q;
                }
                let kind = if ok { LogKind::Result } else { LogKind::Error };
                log.push(kind, format!("{op:?}: {outcome}"));
            }
            Update::Error(e) => {
                // An error stops the session's own dequeue loop, not the queue.
                if self.streaming == Streaming::Looping {
                    self.streaming = Streaming::On;
                }
                log.error(e);
            }
            Update::Output(line) => log.info(line),
            Update::Ended(why) => self.end(why, log),
        }
    }

    fn end(&mut self, why: String, log: &mut Log) {
        log.info(format!(
            "session ended ({why}); {} events recorded",
            self.trace.events.len()
        ));
        self.ended = Some(why);
        self.streaming = Streaming::Off;
    }

    /// Whether the document should be rebuilt now: new events, and a refresh not too recent
    /// (at once when the session has ended).
    fn refresh_due(&self, now: Instant) -> bool {
        let wait = REFRESH_EVERY.max(self.refresh_cost * REFRESH_COST_FACTOR);
        self.dirty
            && !self.trace.events.is_empty()
            && (!self.running()
                || self
                    .last_refresh
                    .is_none_or(|t| now.saturating_duration_since(t) >= wait))
    }

    /// Asks for a rebuild at the next frame.
    pub fn touch(&mut self) {
        self.dirty = true;
        self.last_refresh = None;
    }

    /// A rebuild runs on a thread.
    pub fn rebuilding(&self) -> bool {
        self.pending.is_some()
    }

    /// The recording so far as a document (findings and timeline) under `choice`, when a
    /// rebuild is due: built at once for a small recording, on a thread for a big one (then
    /// returned by a later call). Returns the choice the document was built with.
    pub fn poll_document(
        &mut self,
        choice: PolicyChoice,
        now: Instant,
    ) -> Option<(Document, PolicyChoice)> {
        if let Some(rx) = &self.pending {
            let (d, cost, built_for) = match rx.try_recv() {
                Ok(r) => r,
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    // The thread died with the rebuild: try again later.
                    self.pending = None;
                    self.dirty = true;
                    return None;
                }
            };
            self.pending = None;
            self.refresh_cost = cost;
            return self.built(d, built_for);
        }
        if !self.refresh_due(now) {
            return None;
        }
        self.last_refresh = Some(now);
        self.dirty = false;
        let (name, trace) = (self.name(), self.trace.clone());
        let work = move || {
            let start = Instant::now();
            let d = Document::from_trace(&name, trace, choice);
            (d, start.elapsed(), choice)
        };
        if self.trace.events.len() <= BACKGROUND_ABOVE {
            let (d, cost, _) = work();
            self.refresh_cost = cost;
            return self.built(d, choice);
        }
        let (tx, rx) = bounded(1);
        std::thread::spawn(move || {
            // The window may have gone meanwhile: nobody to tell then.
            let _ = tx.send(work());
        });
        self.pending = Some(rx);
        None
    }
}

impl LiveSession {
    /// A rebuilt document, or, if the rebuild failed, another try later.
    fn built(
        &mut self,
        d: Result<Document, LoadError>,
        choice: PolicyChoice,
    ) -> Option<(Document, PolicyChoice)> {
        match d {
            Ok(d) => Some((d, choice)),
            Err(_) => {
                self.dirty = true;
                None
            }
        }
    }
}

/// The newest part of a recording: all of it while short, then its last few seconds.
pub fn follow_view(t: &Timeline) -> View {
    let fit = View::fit(t);
    if fit.t1 - fit.t0 <= FOLLOW_NS {
        fit
    } else {
        View {
            t0: fit.t1 - FOLLOW_NS,
            t1: fit.t1,
        }
    }
}
