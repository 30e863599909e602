//! A device session on its own thread, driven by commands (a window's buttons) and reporting
//! every recorded event and every result over crossbeam channels. The window never blocks
//! on the device; a device that fails or disappears ends the session, never the app.

use std::collections::BTreeSet;
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
    queued: BTreeSet<u32>,
    streaming: bool,
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
        queued: BTreeSet::new(),
        streaming: false,
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
                st.queued.clear();
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
                st.queued.insert(i);
            }
            r
        }
        LiveOp::QbufAll => queue_all(s, st)?,
        LiveOp::Dqbuf => {
            let (r, idx) = s.dqbuf(true, 0)?;
            if let Some(i) = idx {
                st.queued.remove(&i);
            }
            r
        }
        LiveOp::Streamon => s.streamon()?,
        LiveOp::Streamoff => {
            st.streaming = false;
            let r = s.streamoff()?;
            if r.is_ok() {
                st.queued.clear();
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
            // Each step's failure is the answer: the later steps would only fail too.
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
            st.streaming = r.is_ok();
            r
        }
        LiveOp::StopStreaming => {
            st.streaming = false;
            let r = s.streamoff()?;
            if r.is_ok() {
                st.queued.clear();
            }
            r
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

fn queue_all(s: &mut Session, st: &mut State) -> Result<Outcome, DeviceError> {
    let count = s.queue_info(s.queue()).1;
    let mut last = Ok(());
    for i in 0..count {
        if st.queued.contains(&i) {
            continue;
        }
        let r = s.qbuf(i, &[PlaneMem::Auto])?;
        if r.is_ok() {
            st.queued.insert(i);
        }
        last = last.and(r);
    }
    Ok(last)
}

/// One turn of streaming: wait briefly for a buffer, give it straight back. Commands are
/// looked at between turns. The loop stops (the queue stays as it is) when the queue can
/// give nothing: an error state, a buffer that could not be queued back, a timeout.
fn stream_step(s: &mut Session, st: &mut State) -> Result<(), DeviceError> {
    match s.wait_ready(100)? {
        Ready::No => return Ok(()),
        Ready::Error => {
            st.streaming = false;
            return Err(DeviceError::Scenario(
                "streaming stopped: the queue is not streaming, or nothing is queued".into(),
            ));
        }
        Ready::Yes => {}
    }
    let (r, idx) = s.dqbuf(false, super::scenario::DQBUF_TIMEOUT_MS)?;
    gone(s, r)?;
    if let Err(e) = r {
        st.streaming = false;
        return Err(DeviceError::call("streaming stopped: VIDIOC_DQBUF", e));
    }
    if let Some(i) = idx {
        st.queued.remove(&i);
        let q = s.qbuf(i, &[PlaneMem::Auto])?;
        gone(s, q)?;
        match q {
            Ok(()) => {
                st.queued.insert(i);
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
