//! Loading a document on a background thread, so the window stays responsive on big traces
//! and the load can be cancelled.

use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use crate::progress::Progress;

use super::document::{Document, PolicyChoice};

/// A load in progress.
pub struct Loader {
    pub name: String,
    pub progress: Arc<Progress>,
    rx: Receiver<Result<Document, String>>,
}

impl Loader {
    /// Starts loading `bytes` named `name` on a new thread.
    pub fn spawn(name: String, bytes: Vec<u8>, choice: PolicyChoice) -> Loader {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = bounded(1);
        let (p, n) = (progress.clone(), name.clone());
        std::thread::spawn(move || {
            let doc = Document::load_with(&n, &bytes, choice, Some(&p));
            // The window may have gone, or given up on this load: nothing to tell then.
            let _ = tx.send(doc);
        });
        Loader { name, progress, rx }
    }

    /// The result, once there is one.
    pub fn poll(&self) -> Option<Result<Document, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Err(format!("{}: loading stopped unexpectedly", self.name)))
            }
        }
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }
}
