//! Loading a document on a background thread, so the window stays responsive on big traces
//! and the load can be cancelled.

use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use vb2scope_core::progress::Progress;

use super::document::{Document, LoadError, PolicyChoice};

/// How a load or a re-evaluation ended.
pub enum Loaded {
    /// The document to show, or why there is none.
    Done(Result<Box<Document>, LoadError>),
    /// A re-evaluation failed: the document as it was, and why.
    Kept(Box<Document>, LoadError),
}

/// A load in progress.
pub struct Loader {
    pub name: String,
    pub progress: Arc<Progress>,
    /// Re-evaluating the shown document: the view, cursor and filters stay.
    pub same_document: bool,
    rx: Receiver<Loaded>,
}

impl Loader {
    /// Starts loading `bytes` named `name` on a new thread.
    pub fn spawn(name: String, bytes: Vec<u8>, choice: PolicyChoice) -> Loader {
        let n = name.clone();
        Loader::run(name, move |p| {
            Loaded::Done(Document::load_with(&n, &bytes, choice, Some(p)).map(Box::new))
        })
    }

    /// Re-evaluates a document under another policy on a new thread.
    pub fn repolicy(mut doc: Document, choice: PolicyChoice) -> Loader {
        let name = doc.name.clone();
        let mut l = Loader::run(name, move |p| match doc.set_policy_with(choice, Some(p)) {
            Ok(()) => Loaded::Done(Ok(Box::new(doc))),
            Err(e) => Loaded::Kept(Box::new(doc), e),
        });
        l.same_document = true;
        l
    }

    fn run(name: String, work: impl FnOnce(&Progress) -> Loaded + Send + 'static) -> Loader {
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
    pub fn poll(&self) -> Option<Loaded> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Loaded::Done(Err(LoadError::Stopped(self.name.clone()))))
            }
        }
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }
}
