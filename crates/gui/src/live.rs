//! A live device session as the window sees it: the updates of a session thread, drained a
//! bounded number per frame into a recording whose document grows with it: a few times a
//! second the new events are replayed and the timeline updated in place, never rebuilt from
//! the start (only when the policy changes, or what came changes what was replayed).
//! Updates come from any channel, so tests can script a session without a device.

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

use super::document::{Document, PolicyChoice};
use super::timeline_view::View;

/// Updates taken per frame: a flood of events cannot hold a frame up.
const DRAIN_PER_FRAME: usize = 20_000;
/// The most often the document takes in new events.
const REFRESH_EVERY: Duration = Duration::from_millis(250);
/// A slow update waits this many times its cost before the next, so that it takes at most
/// a fifth of the window's time.
const REFRESH_COST_FACTOR: u32 = 4;
/// A recording this long without an event is replayed to its last event (the kernel's events
/// of its last call had time to come); before, only up to its last call.
const QUIET: Duration = Duration::from_millis(300);
/// Above this many events the recording is judged again from its start on a thread: about
/// 20 ms in a release build at 50 000 events.
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

/// A document judged again from the start, and the policy choice it was made under.
type Rebuilt = (Document, PolicyChoice);

/// What [`LiveSession::poll_document`] did to the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Nothing.
    None,
    /// New events were taken in: the timeline grew, findings were added.
    Grown,
    /// Judged again from the start (another policy): findings are numbered anew.
    Rejudged,
}

pub struct LiveSession {
    /// The device as the user named it.
    pub(crate) device: String,
    commands: Commands,
    updates: Receiver<Update>,
    /// The recording so far and what vb2scope says of it, grown as events come.
    doc: Document,
    /// What the device said when it opened: its path, capabilities and the queue in use.
    pub(crate) opened: Option<(String, Caps, BufType)>,
    pub(crate) streaming: Streaming,
    /// Why the session ended, once it has.
    pub(crate) ended: Option<String>,
    /// Events arrived since the document last took them in.
    dirty: bool,
    /// When the last event arrived.
    last_event: Option<Instant>,
    /// Kernel events came (memops, completions, log lines): those of the last call may still
    /// be on their way when it arrives.
    kernel_side: bool,
    last_refresh: Option<Instant>,
    /// What the last update took (a slow one is done less often).
    pub(crate) refresh_cost: Duration,
    /// The recording judged again from the start on a thread (another policy, or what came
    /// changed what was replayed), with the choice it was made under.
    pending: Option<Receiver<Rebuilt>>,
}

impl LiveSession {
    /// The device this session drives, when it drives one (not a recorded program): what
    /// the scenario editor can run its scenario on too.
    pub fn device(&self) -> Option<&str> {
        matches!(self.commands, Commands::Device(_) | Commands::Channel(_)).then_some(&*self.device)
    }

    /// Every event recorded so far.
    pub fn trace(&self) -> &Trace {
        &self.doc.trace
    }

    /// The recording so far, as the window shows it.
    pub fn document(&self) -> &Document {
        &self.doc
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
        s.doc.trace_mut().header.source = format!("vb2scope record -- {shown}");
        s.doc.trace_mut().header.title = shown;
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
        s.doc.trace_mut().header.source = format!("vb2scope record --attach {pid}");
        s.doc.trace_mut().header.title = shown;
        s
    }

    /// Watches a recording that runs elsewhere: `updates` are its events.
    pub fn watching(name: &str, updates: Receiver<Update>) -> LiveSession {
        let mut s = LiveSession::new(name.to_owned(), Commands::Watched, updates);
        s.doc.trace_mut().header.source = format!("vb2scope record -- {name}");
        s.doc.trace_mut().header.title = name.to_owned();
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
        let recording = matches!(commands, Commands::App(_) | Commands::Watched);
        let name = document_name(recording, &device);
        LiveSession {
            device,
            commands,
            updates,
            doc: Document::growing(&name, Trace::new(header), PolicyChoice::Auto),
            opened: None,
            streaming: Streaming::Off,
            ended: None,
            dirty: false,
            last_event: None,
            kernel_side: false,
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
        document_name(self.is_recording(), &self.device)
    }

    /// Takes the waiting updates, at most a frame's worth; true when more are waiting.
    pub fn drain(&mut self, log: &mut Log) -> bool {
        let before = self.doc.trace.events.len();
        let more = self.drain_some(log);
        if self.doc.trace.events.len() != before {
            self.last_event = Some(Instant::now());
        }
        more
    }

    fn drain_some(&mut self, log: &mut Log) -> bool {
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
                self.kernel_side |= !e.event.body.is_syscall();
                e.append_to(self.doc.trace_mut());
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
            self.doc.trace.events.len()
        ));
        self.ended = Some(why);
        // The document is finished as a whole trace's.
        self.dirty = true;
        self.streaming = Streaming::Off;
    }

    /// Whether the document should take in new events now: some came, and the last update
    /// is not too recent (at once when the session has ended).
    fn refresh_due(&self, now: Instant) -> bool {
        let wait = REFRESH_EVERY.max(self.refresh_cost * REFRESH_COST_FACTOR);
        self.dirty
            && (!self.running()
                || self
                    .last_refresh
                    .is_none_or(|t| now.saturating_duration_since(t) >= wait))
    }

    /// Asks for an update at the next frame.
    pub fn touch(&mut self) {
        self.dirty = true;
        self.last_refresh = None;
    }

    /// The recording is judged again from its start on a thread.
    pub fn rebuilding(&self) -> bool {
        self.pending.is_some()
    }

    /// Brings the document up to the recording under `choice`, when an update is due: the
    /// new events are replayed and the timeline grows. Another choice, or events that change
    /// what was replayed, judge it again from the start: at once for a short recording, on a
    /// thread for a long one (the document stays as it was meanwhile).
    pub fn poll_document(&mut self, choice: PolicyChoice, now: Instant) -> Refresh {
        let mut done = Refresh::None;
        if let Some(rx) = &self.pending {
            match rx.try_recv() {
                Err(TryRecvError::Empty) => return Refresh::None,
                Err(TryRecvError::Disconnected) => {
                    // The thread died: try again.
                    self.pending = None;
                }
                Ok((d, built_for)) => {
                    self.pending = None;
                    if built_for == choice {
                        self.adopt(d);
                        done = Refresh::Rejudged;
                    }
                }
            }
        }
        if self.doc.choice != choice {
            done = self.rejudge(choice);
            if self.pending.is_some() {
                return Refresh::None;
            }
        }
        // Judged again from the start: what came since is taken in at once.
        if done == Refresh::None && !self.refresh_due(now) {
            return Refresh::None;
        }
        self.last_refresh = Some(now);
        self.dirty = false;
        // Without the kernel's side each call is whole when it arrives; with it, the last
        // call waits for its kernel events, or for quiet.
        let quiet = !self.kernel_side
            || self
                .last_event
                .is_none_or(|t| now.saturating_duration_since(t) >= QUIET);
        let start = Instant::now();
        match self.doc.grow(quiet, !self.running()) {
            Ok(()) => {
                self.refresh_cost = start.elapsed();
                // Events after the last call wait for the kernel's, or for quiet.
                self.dirty = self.doc.replayed() < self.doc.trace.events.len();
                if done == Refresh::None {
                    Refresh::Grown
                } else {
                    done
                }
            }
            Err(_) => {
                let again = self.rejudge(choice);
                // What the new judgement cost spaces the next updates; what came meanwhile
                // is taken in at the next one.
                self.refresh_cost = start.elapsed();
                self.dirty = true;
                again
            }
        }
    }

    /// Judges the recording again from its start under `choice`.
    fn rejudge(&mut self, choice: PolicyChoice) -> Refresh {
        let (name, ended) = (self.name(), !self.running());
        if self.doc.trace.events.len() <= BACKGROUND_ABOVE {
            let trace = std::mem::take(self.doc.trace_mut());
            self.doc = judge(&name, trace, choice, ended);
            return Refresh::Rejudged;
        }
        let trace = self.doc.trace.clone();
        let (tx, rx) = bounded(1);
        std::thread::spawn(move || {
            // The window may have gone meanwhile: nobody to tell then.
            let _ = tx.send((judge(&name, trace, choice, ended), choice));
        });
        self.pending = Some(rx);
        Refresh::None
    }

    /// Takes a document judged again on a thread, from the recording as it was then: the
    /// events that came since are this session's, and it grows on to them.
    fn adopt(&mut self, mut d: Document) {
        if d.is_growing() {
            *d.trace_mut() = std::mem::take(self.doc.trace_mut());
            self.dirty = true;
            self.last_refresh = None;
        }
        self.doc = d;
    }
}

/// The name of a recording's document.
fn document_name(recording: bool, device: &str) -> String {
    if recording {
        format!("recording: {device}")
    } else {
        format!("live: {device}")
    }
}

/// The recording judged from its start under `choice`: grown to its last call (or, once
/// it `ended`, to its end and finished as a whole trace's).
fn judge(name: &str, trace: Trace, choice: PolicyChoice, ended: bool) -> Document {
    let mut d = Document::growing(name, trace, choice);
    if ended && d.grow(true, true).is_err() {
        // At its end `auto` chose another policy than on the events so far: judged as a
        // whole trace under it (a failure keeps the first judgement).
        let _ = d.set_policy(choice);
    }
    d
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
