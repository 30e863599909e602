//! Plays a `.vb2s` scenario on a real device. The device answers instead of the model:
//! `expect` lines are recorded for the check to compare, `driver` lines are skipped (the
//! driver does what it does), and sizes come from the device's format.

use std::sync::atomic::{AtomicBool, Ordering};

use vb2scope_core::scenario::{Scenario, StmtKind};
use vb2scope_core::v4l2::Errno;

use super::error::DeviceError;
use super::ops::PlaneMem;
use super::session::Session;

/// How long a blocking DQBUF waits for a buffer before the run notes it and goes on.
pub const DQBUF_TIMEOUT_MS: u16 = 5000;

/// What a run did besides the recorded calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioReport {
    pub statements: u32,
    /// `driver` lines, which a real device cannot obey.
    pub skipped_driver_lines: Vec<u32>,
    /// Blocking DQBUFs that got nothing within the timeout (interrupted: EINTR).
    pub timed_out: Vec<u32>,
    pub stopped: bool,
}

/// A statement the device run could not carry out, with its line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {source}")]
pub struct ScenarioError {
    pub file: String,
    pub line: u32,
    pub source: DeviceError,
}

fn mems(fds: &[String], ptrs: &[String]) -> Vec<PlaneMem> {
    if !fds.is_empty() {
        fds.iter().map(|n| PlaneMem::Dmabuf(n.clone())).collect()
    } else if !ptrs.is_empty() {
        ptrs.iter().map(|n| PlaneMem::User(n.clone())).collect()
    } else {
        // As on the model: a DMABUF or USERPTR plane with no memory named is passed empty.
        vec![PlaneMem::None]
    }
}

pub fn run_scenario(
    s: &mut Session,
    sc: &Scenario,
    stop: &AtomicBool,
) -> Result<ScenarioReport, ScenarioError> {
    let mut rep = ScenarioReport::default();
    for st in &sc.stmts {
        if stop.load(Ordering::Relaxed) {
            rep.stopped = true;
            break;
        }
        s.line = st.line;
        rep.statements += 1;
        let r = statement(s, &st.kind, &mut rep, st.line);
        r.map_err(|source| ScenarioError {
            file: sc.file.clone(),
            line: st.line,
            source,
        })?;
    }
    s.line = 0;
    Ok(rep)
}

fn statement(
    s: &mut Session,
    k: &StmtKind,
    rep: &mut ScenarioReport,
    line: u32,
) -> Result<(), DeviceError> {
    match k {
        StmtKind::Queue { ty, .. } => {
            s.select_queue(*ty)?;
        }
        &StmtKind::Reqbufs { count, memory } => {
            let _ = s.reqbufs(count, memory)?;
        }
        &StmtKind::CreateBufs { count } => {
            let _ = s.create_bufs(count)?;
        }
        &StmtKind::RemoveBufs { index, count } => {
            let _ = s.remove_bufs(index, count)?;
        }
        &StmtKind::Querybuf { index } => {
            let _ = s.querybuf(index)?;
        }
        StmtKind::PrepareBuf { index, fds, ptrs } => {
            let _ = s.prepare_buf(*index, &mems(fds, ptrs))?;
        }
        StmtKind::Qbuf { index, fds, ptrs } => {
            let _ = s.qbuf(*index, &mems(fds, ptrs))?;
        }
        &StmtKind::Dqbuf { nonblock } => {
            let (r, _) = s.dqbuf(nonblock, DQBUF_TIMEOUT_MS)?;
            if r == Err(Errno::ETIMEDOUT) {
                rep.timed_out.push(line);
                s.marker("blocking DQBUF: no buffer within 5 s, interrupted");
            }
        }
        StmtKind::Streamon => {
            let _ = s.streamon()?;
        }
        StmtKind::Streamoff => {
            let _ = s.streamoff()?;
        }
        StmtKind::Expbuf { index, plane, name } => {
            let _ = s.expbuf(*index, *plane, name)?;
        }
        &StmtKind::Mmap { index, plane } => s.mmap(index, plane)?,
        &StmtKind::Munmap { index, plane } => s.munmap(index, plane)?,
        StmtKind::Dmabuf { name, size } => s.dmabuf(name, *size)?,
        StmtKind::Userptr { name, size } => s.userptr(name, *size)?,
        StmtKind::Free { name } => s.free(name)?,
        StmtKind::Dup { name, as_name } => s.dup(name, as_name)?,
        StmtKind::CloseName { name } => s.close_name(name)?,
        StmtKind::Close => s.close_handle(None)?,
        StmtKind::Open { name } => s.open_handle(name, false)?,
        StmtKind::Use { name } => s.use_handle(name)?,
        StmtKind::Driver(_) => rep.skipped_driver_lines.push(line),
        &StmtKind::Expect(want) => s.expect(want),
        StmtKind::Marker(text) => s.marker(text),
    }
    Ok(())
}
