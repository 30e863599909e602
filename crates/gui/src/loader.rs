//! Loading a document on a background thread, so the window stays responsive on big traces
//! and the load can be cancelled.

use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use vb2scope_core::progress::Progress;

use super::document::{Document, LoadError, PolicyChoice};

/// A load in progress.
pub struct Loader {
    pub name: String,
    pub progress: Arc<Progress>,
    /// Re-evaluating the shown document: the view, cursor and filters stay.
    pub same_document: bool,
    rx: Receiver<Result<Document, LoadError>>,
}

impl Loader {
    /// Starts loading `bytes` named `name` on a new thread.
    pub fn spawn(name: String, bytes: Vec<u8>, choice: PolicyChoice) -> Loader {
        let n = name.clone();
        Loader::run(name, move |p| {
            Document::load_with(&n, &bytes, choice, Some(p))
        })
    }

    /// Re-evaluates a document under another policy on a new thread.
    pub fn repolicy(mut doc: Document, choice: PolicyChoice) -> Loader {
        let name = doc.name.clone();
        let mut l = Loader::run(name, move |p| {
            doc.set_policy_with(choice, Some(p)).map(|()| doc)
        });
        l.same_document = true;
        l
    }

    fn run(
        name: String,
        work: impl FnOnce(&Progress) -> Result<Document, LoadError> + Send + 'static,
    ) -> Loader {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = bounded(1);
        let p = progress.clone();
        std::thread::spawn(move || {
            // The window may have gone, or given up on this work: nothing to tell then.
            let _ = tx.send(work(&p));
        });
        Loader {
            name,
            progress,
            same_document: false,
            rx,
        }
    }

    /// The result, once there is one.
    pub fn poll(&self) -> Option<Result<Document, LoadError>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(LoadError::Stopped(self.name.clone()))),
        }
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }
}
