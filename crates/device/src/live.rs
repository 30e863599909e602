//! A device session on its own thread, driven by commands (a window's buttons) and reporting
//! every recorded event and every result over crossbeam channels. The window never blocks
//! on the device; a device that fails or disappears ends the session, never the app.

use std::collections::{BTreeMap, BTreeSet};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use vb2scope_core::trace::OwnedEvent;
use vb2scope_core::v4l2::{BufType, Errno, Memory, Outcome, outcome_str};

use super::dmabuf::DmabufSource;
use super::error::DeviceError;
use super::ops::{PlaneMem, Ready};
use super::session::Session;
use super::v4l2::Caps;

/// How to open a live session.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// A path or a sysfs name.
    pub device: String,
    pub queue: Option<BufType>,
    pub memory: Memory,
    pub buffers: u32,
    pub source: DmabufSource,
}

/// One button of the Live panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveOp {
    Reqbufs(u32),
    CreateBufs(u32),
    Querybuf(u32),
    PrepareBuf(u32),
    Qbuf(u32),
    /// QBUF of every buffer not already queued.
    QbufAll,
    Dqbuf,
    Streamon,
    Streamoff,
    Expbuf(u32),
    /// mmap() of every plane of every buffer (MMAP).
    MmapAll,
    MunmapAll,
    /// Close the video handle: the session ends.
    Close,
    /// Allocate if needed, queue everything, STREAMON, and keep dequeuing and requeuing.
    StartStreaming,
    StopStreaming,
    Marker(String),
    /// The queue the buffer buttons act on (an M2M node has two).
    Queue(BufType),
    /// DECODER_CMD (or with `encoder` ENCODER_CMD) with command `cmd` (`V4L2_*_CMD_*`).
    Command {
        encoder: bool,
        cmd: u32,
    },
    /// VIDIOC_SUBSCRIBE_EVENT of an event type (`v4l2::codec::EVENT_*`).
    Subscribe(u32),
    /// VIDIOC_DQEVENT, waiting up to a second for an event.
    Dqevent,
    /// Plays a `.vb2s` scenario file on the session, as `run --device` does: a decoder
    /// through a drain or a resolution change, with its bitstream.
    RunScenario(String),
}

/// What the session thread reports.
#[derive(Clone, Debug)]
pub enum Update {
    Opened {
        path: String,
        caps: Caps,
        queue: BufType,
    },
    Event(OwnedEvent),
    /// The answer to one command: the command and its result in words (`ok`, `EINVAL`…).
    Result {
        op: LiveOp,
        outcome: String,
    },
    Error(String),
    /// A line a recorded program printed.
    Output(String),
    /// The session is over (closed, failed or the device went away); its trace is complete.
    Ended(String),
}

pub struct Live {
    tx: Sender<LiveOp>,
    rx: Receiver<Update>,
    join: Option<JoinHandle<()>>,
}

impl Live {
    pub fn start(cfg: LiveConfig) -> Live {
        let (tx, cmd_rx) = crossbeam_channel::unbounded();
        let (up_tx, rx) = crossbeam_channel::unbounded();
        let join = std::thread::Builder::new()
            .name("vb2scope-device".into())
            .spawn(move || session_thread(cfg, cmd_rx, up_tx))
            .ok();
        Live { tx, rx, join }
    }

    pub fn send(&self, op: LiveOp) {
        let _ = self.tx.send(op);
    }

    pub fn updates(&self) -> &Receiver<Update> {
        &self.rx
    }

    /// Whether the session thread is still running.
    pub fn running(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }
}

impl Drop for Live {
    /// Asks the session to close and lets it finish on its own: a call that is stuck in the
    /// kernel must not freeze the window that dropped it.
    fn drop(&mut self) {
        let _ = self.tx.send(LiveOp::Close);
        if let Some(j) = self.join.take() {
            let _ = std::thread::Builder::new()
                .name("vb2scope-device-close".into())
                .spawn(move || j.join());
        }
    }
}

struct State {
    memory: Memory,
    buffers: u32,
    /// Buffers queued, per queue.
    queued: BTreeMap<BufType, BTreeSet<u32>>,
    streaming: bool,
    /// Streaming both queues of an M2M node: each turn dequeues and requeues on both.
    both: Vec<BufType>,
}

impl State {
    fn queued(&mut self, ty: BufType) -> &mut BTreeSet<u32> {
        self.queued.entry(ty).or_default()
    }
}

/// The two queues of an M2M node (OUTPUT first: it feeds CAPTURE), if it is one.
fn m2m_queues(caps: &Caps) -> Option<Vec<BufType>> {
    let q = caps.queues();
    let out = q.iter().copied().find(|t| t.is_output())?;
    let cap = q.iter().copied().find(|t| !t.is_output())?;
    (out.is_mplane() == cap.is_mplane()).then(|| vec![out, cap])
}

fn session_thread(cfg: LiveConfig, rx: Receiver<LiveOp>, up: Sender<Update>) {
    let events = up.clone();
    let sink: super::Sink = Box::new(move |e| {
        let _ = events.send(Update::Event(e));
    });
    let opened = super::discover::resolve(&cfg.device)
        .and_then(|path| Session::open(&path, false, cfg.source.clone(), sink));
    let mut s = match opened {
        Ok(s) => s,
        Err(e) => {
            let _ = up.send(Update::Error(e.to_string()));
            let _ = up.send(Update::Ended("could not open the device".into()));
            return;
        }
    };
    if let Some(q) = cfg.queue
        && let Err(e) = s.select_queue(q)
    {
        let _ = up.send(Update::Error(e.to_string()));
    }
    let _ = up.send(Update::Opened {
        path: s.path().display().to_string(),
        caps: s.caps().clone(),
        queue: s.queue(),
    });
    let mut st = State {
        memory: cfg.memory,
        buffers: cfg.buffers.max(1),
        queued: BTreeMap::new(),
        streaming: false,
        both: Vec::new(),
    };
    let end = loop {
        let op = if st.streaming {
            match rx.try_recv() {
                Ok(op) => Some(op),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => break "the window went away".to_owned(),
            }
        } else {
            match rx.recv() {
                Ok(op) => Some(op),
                Err(_) => break "the window went away".to_owned(),
            }
        };
        let r = match op {
            Some(LiveOp::Close) => break "closed".to_owned(),
            Some(op) => apply(&mut s, &mut st, &op, &up),
            None => stream_step(&mut s, &mut st),
        };
        match r {
            Ok(()) => {}
            Err(DeviceError::Gone(what)) => break format!("the device went away: {what}"),
            Err(e) if !s.alive() => {
                let _ = up.send(Update::Error(e.to_string()));
                break format!("the device went away: {}", s.path().display());
            }
            Err(e) => {
                st.streaming = false;
                let _ = up.send(Update::Error(e.to_string()));
            }
        }
    };
    s.close_all();
    drop(s);
    let _ = up.send(Update::Ended(end));
}

/// ENODEV: the driver was unbound or the module removed under the session.
fn gone(s: &Session, r: Outcome) -> Result<(), DeviceError> {
    if r == Err(Errno::ENODEV) {
        return Err(DeviceError::Gone(s.path().display().to_string()));
    }
    Ok(())
}

fn apply(
    s: &mut Session,
    st: &mut State,
    op: &LiveOp,
    up: &Sender<Update>,
) -> Result<(), DeviceError> {
    let ty = s.queue();
    let r: Outcome = match *op {
        LiveOp::Reqbufs(n) => {
            let r = s.reqbufs(n, st.memory)?;
            if r.is_ok() {
                st.queued(ty).clear();
                // REQBUFS(0) frees; Start streaming still allocates the chosen count.
                let granted = s.queue_info(ty).1;
                if granted > 0 {
                    st.buffers = granted;
                }
            }
            r
        }
        LiveOp::CreateBufs(n) => {
            let r = s.create_bufs_of(n, st.memory)?;
            st.buffers = s.queue_info(ty).1.max(st.buffers);
            r
        }
        LiveOp::Querybuf(i) => s.querybuf(i)?,
        LiveOp::PrepareBuf(i) => s.prepare_buf(i, &[PlaneMem::Auto])?,
        LiveOp::Qbuf(i) => {
            let r = s.qbuf(i, &[PlaneMem::Auto])?;
            if r.is_ok() {
                st.queued(ty).insert(i);
            }
            r
        }
        LiveOp::QbufAll => queue_all(s, st)?,
        LiveOp::Dqbuf => {
            let (r, idx) = s.dqbuf(true, 0)?;
            if let Some(i) = idx {
                st.queued(ty).remove(&i);
            }
            r
        }
        LiveOp::Streamon => s.streamon()?,
        LiveOp::Streamoff => {
            st.streaming = false;
            let r = s.streamoff()?;
            if r.is_ok() {
                st.queued(ty).clear();
            }
            r
        }
        LiveOp::Expbuf(i) => s.expbuf(i, 0, &format!("exp{i}"))?,
        LiveOp::MmapAll => {
            s.mmap_all()?;
            Ok(())
        }
        LiveOp::MunmapAll => {
            s.munmap_all();
            Ok(())
        }
        LiveOp::StartStreaming => {
            // An M2M node streams both queues, OUTPUT first; the buttons' queue is kept.
            let queues = m2m_queues(s.caps()).unwrap_or_else(|| vec![ty]);
            let mut r = Ok(());
            for &q in &queues {
                s.select_queue(q)?;
                r = start_queue(s, st)?;
                if r.is_err() {
                    break;
                }
            }
            s.select_queue(ty)?;
            st.streaming = r.is_ok();
            st.both = if queues.len() > 1 { queues } else { Vec::new() };
            r
        }
        LiveOp::StopStreaming => {
            st.streaming = false;
            let queues = std::mem::take(&mut st.both);
            let mut r = Ok(());
            for &q in queues.iter().rev().chain(std::iter::once(&ty)) {
                s.select_queue(q)?;
                let one = s.streamoff()?;
                if one.is_ok() {
                    st.queued(q).clear();
                }
                r = r.and(one);
            }
            s.select_queue(ty)?;
            r
        }
        LiveOp::Queue(q) => {
            s.select_queue(q)?;
            Ok(())
        }
        LiveOp::Command { encoder, cmd } => s.codec_command(encoder, cmd)?,
        LiveOp::Subscribe(ty) => s.subscribe_event(ty, true)?,
        LiveOp::Dqevent => s.dqevent(1000)?,
        LiveOp::RunScenario(ref path) => {
            let outcome = run_file(s, path);
            // The scenario moved buffers the step buttons did not: start their view afresh.
            st.queued.clear();
            st.streaming = false;
            st.both.clear();
            let _ = up.send(Update::Result {
                op: op.clone(),
                outcome: outcome?,
            });
            return Ok(());
        }
        LiveOp::Marker(ref t) => {
            s.marker(t);
            Ok(())
        }
        LiveOp::Close => Ok(()),
    };
    gone(s, r)?;
    if r.is_err() && !s.alive() {
        return Err(DeviceError::Gone(s.path().display().to_string()));
    }
    let _ = up.send(Update::Result {
        op: op.clone(),
        outcome: outcome_str(r),
    });
    Ok(())
}

/// Plays scenario file `path` on the session; what it did, in words.
fn run_file(s: &mut Session, path: &str) -> Result<String, DeviceError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| DeviceError::Scenario(format!("{path}: {e}")))?;
    let sc = vb2scope_core::scenario::parse(path, &text)
        .map_err(|e| DeviceError::Scenario(e.to_string()))?;
    let never = std::sync::atomic::AtomicBool::new(false);
    let rep = super::scenario::run_scenario(s, &sc, &never)
        .map_err(|e| DeviceError::Scenario(e.to_string()))?;
    let mut out = format!("ran {} statements of {path}", rep.statements);
    if !rep.skipped_driver_lines.is_empty() {
        out += &format!("; `driver` lines skipped: {:?}", rep.skipped_driver_lines);
    }
    if !rep.timed_out.is_empty() {
        out += &format!("; waits that got nothing in 5 s: lines {:?}", rep.timed_out);
    }
    Ok(out)
}

fn queue_all(s: &mut Session, st: &mut State) -> Result<Outcome, DeviceError> {
    let ty = s.queue();
    let count = s.queue_info(ty).1;
    let mut last = Ok(());
    for i in 0..count {
        if st.queued(ty).contains(&i) {
            continue;
        }
        let r = s.qbuf(i, &[PlaneMem::Auto])?;
        if r.is_ok() {
            st.queued(ty).insert(i);
        }
        last = last.and(r);
    }
    Ok(last)
}

/// Allocates the current queue if needed, queues every buffer and starts it. Each step's
/// failure is the answer: the later steps would only fail too.
fn start_queue(s: &mut Session, st: &mut State) -> Result<Outcome, DeviceError> {
    let ty = s.queue();
    let mut r = Ok(());
    if s.queue_info(ty).1 == 0 {
        r = s.reqbufs(st.buffers, st.memory)?;
        if r.is_ok() && st.memory == Memory::Mmap {
            s.mmap_all()?;
        }
    }
    if r.is_ok() {
        r = queue_all(s, st)?;
    }
    if r.is_ok() {
        r = s.streamon()?;
    }
    Ok(r)
}

/// One turn of streaming: wait briefly for a buffer, give it straight back. Commands are
/// looked at between turns. The loop stops (the queue stays as it is) when the queue can
/// give nothing: an error state, a buffer that could not be queued back, a timeout. On an
/// M2M node each turn looks at both queues: what the driver finished on either goes back.
fn stream_step(s: &mut Session, st: &mut State) -> Result<(), DeviceError> {
    match s.wait_ready(100)? {
        Ready::No => return Ok(()),
        Ready::Error if st.both.is_empty() => {
            st.streaming = false;
            return Err(DeviceError::Scenario(
                "streaming stopped: the queue is not streaming, or nothing is queued".into(),
            ));
        }
        Ready::Error | Ready::Yes => {}
    }
    if st.both.is_empty() {
        let (r, idx) = s.dqbuf(false, super::scenario::DQBUF_TIMEOUT_MS)?;
        return requeue(s, st, r, idx);
    }
    let here = s.queue();
    for q in st.both.clone() {
        s.select_queue(q)?;
        let (r, idx) = s.dqbuf(true, 0)?;
        if r == Err(Errno::EAGAIN) {
            continue;
        }
        requeue(s, st, r, idx)?;
        if !st.streaming {
            break;
        }
    }
    s.select_queue(here)?;
    Ok(())
}

/// After a DQBUF while streaming: the buffer goes back at once; a failure (EPIPE after the
/// LAST buffer of a drain, a queue stopped elsewhere) ends the loop.
fn requeue(
    s: &mut Session,
    st: &mut State,
    r: Outcome,
    idx: Option<u32>,
) -> Result<(), DeviceError> {
    let ty = s.queue();
    gone(s, r)?;
    if let Err(e) = r {
        st.streaming = false;
        return Err(DeviceError::call("streaming stopped: VIDIOC_DQBUF", e));
    }
    if let Some(i) = idx {
        st.queued(ty).remove(&i);
        let q = s.qbuf(i, &[PlaneMem::Auto])?;
        gone(s, q)?;
        match q {
            Ok(()) => {
                st.queued(ty).insert(i);
            }
            Err(e) => {
                st.streaming = false;
                return Err(DeviceError::call(
                    format!("streaming stopped: VIDIOC_QBUF of buffer {i}"),
                    e,
                ));
            }
        }
    }
    Ok(())
}
