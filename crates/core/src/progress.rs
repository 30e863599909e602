//! Progress and cancellation of long work (loading a big trace, building its timeline),
//! shared between the thread doing it and the window showing it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How far a piece of work is, and whether it should stop.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    stage: AtomicU64,
    cancelled: AtomicBool,
}

/// The stages of loading, in order.
pub const STAGES: [&str; 3] = ["reading", "checking", "building the timeline"];

impl Progress {
    pub fn set(&self, stage: usize, done: u64, total: u64) {
        self.stage.store(stage as u64, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }
    /// The current stage's name and its fraction done.
    pub fn get(&self) -> (&'static str, f32) {
        let stage = STAGES
            .get(self.stage.load(Ordering::Relaxed) as usize)
            .copied()
            .unwrap_or("");
        let total = self.total.load(Ordering::Relaxed).max(1);
        (
            stage,
            (self.done.load(Ordering::Relaxed) as f64 / total as f64).min(1.0) as f32,
        )
    }
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
