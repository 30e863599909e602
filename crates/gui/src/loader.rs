//! Loading a document on a background thread, so the window stays responsive on big traces
//! and the load can be cancelled.

use std::sync::{Arc, OnceLock};

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use vb2scope_core::progress::Progress;

use super::document::{Document, LoadError, PolicyChoice};

/// Events a preview of a large binary trace holds: shown within a few tenths of a second,
/// while the rest is read. Its replay delays the whole trace's on two cores, so it is kept
/// small: a quarter of a million events is about nine minutes of a 60 fps stream.
pub const PREVIEW_EVENTS: usize = 1 << 18;

/// How a load or a re-evaluation ended, or what it shows meanwhile.
pub enum Loaded {
    /// The first part of a large trace, to show while the rest loads (the load goes on).
    Preview(Box<Document>),
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
    /// The window to wake when there is something to show: it need not poll for it.
    waker: Arc<OnceLock<egui::Context>>,
}

impl Loader {
    /// Starts loading `bytes` named `name` on a new thread.
    pub fn spawn(name: String, bytes: Vec<u8>, choice: PolicyChoice) -> Loader {
        Loader::spawn_with_preview(name, bytes, choice, PREVIEW_EVENTS)
    }

    /// [`Loader::spawn`]; a binary trace of more than `preview` events is first shown by
    /// its first `preview` events (whole chunks), drawn but not judged.
    pub fn spawn_with_preview(
        name: String,
        bytes: Vec<u8>,
        choice: PolicyChoice,
        preview: usize,
    ) -> Loader {
        let n = name.clone();
        Loader::run(name, move |p, early| {
            // A preview that fails in any way is only not shown: the load goes on.
            let previewed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let part = vb2scope_core::format::binary::read_binary_prefix(&bytes, preview)?;
                let label = format!("{n} (its first {} events)", part.events.len());
                Document::from_trace(&label, part, choice).ok()
            }));
            if let Ok(Some(d)) = previewed
                && !p.cancelled()
            {
                early(Loaded::Preview(Box::new(d)));
            }
            Loaded::Done(Document::load_with(&n, &bytes, choice, Some(p)).map(Box::new))
        })
    }

    /// Re-evaluates a document under another policy on a new thread.
    pub fn repolicy(mut doc: Document, choice: PolicyChoice) -> Loader {
        let name = doc.name.clone();
        let mut l = Loader::run(name, move |p, _| {
            match doc.set_policy_with(choice, Some(p)) {
                Ok(()) => Loaded::Done(Ok(Box::new(doc))),
                Err(e) => Loaded::Kept(Box::new(doc), e),
            }
        });
        l.same_document = true;
        l
    }

    /// Runs `work` on a thread; it may hand over a preview (`early`) before its result.
    fn run(
        name: String,
        work: impl FnOnce(&Progress, &dyn Fn(Loaded)) -> Loaded + Send + 'static,
    ) -> Loader {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = bounded(2);
        let p = progress.clone();
        let waker: Arc<OnceLock<egui::Context>> = Arc::default();
        let wake = waker.clone();
        std::thread::spawn(move || {
            let wake = || {
                if let Some(ctx) = wake.get() {
                    ctx.request_repaint();
                }
            };
            // The window may have gone, or given up on this work: nothing to tell then.
            let early = |l: Loaded| {
                let _ = tx.try_send(l);
                wake();
            };
            let done = work(&p, &early);
            let _ = tx.send(done);
            wake();
        });
        Loader {
            name,
            progress,
            same_document: false,
            rx,
            waker,
        }
    }

    /// Wakes `ctx` when the result (or a preview) is there; a result that came before this
    /// is seen by the poll that follows it.
    pub fn wake(&self, ctx: &egui::Context) {
        self.waker.get_or_init(|| ctx.clone());
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::{LoadError, Loaded, Loader, bounded};

    /// An idle window (no input, nothing else to draw) learns of a result without polling.
    #[test]
    fn a_load_wakes_the_window_registered_with_it() {
        let ctx = egui::Context::default();
        let woken = Arc::new(AtomicUsize::new(0));
        let w = woken.clone();
        ctx.set_request_repaint_callback(move |_| {
            w.fetch_add(1, Ordering::SeqCst);
        });
        let (go, wait) = bounded::<()>(1);
        let l = Loader::run("t".into(), move |_, _| {
            let _ = wait.recv();
            Loaded::Done(Err(LoadError::Stopped("t".into())))
        });
        l.wake(&ctx);
        assert_eq!(woken.load(Ordering::SeqCst), 0, "nothing to show yet");
        go.send(()).expect("the load waits for it");
        let start = Instant::now();
        let mut result = None;
        while (result.is_none() || woken.load(Ordering::SeqCst) == 0)
            && start.elapsed() < Duration::from_secs(30)
        {
            result = result.or_else(|| l.poll());
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(matches!(result, Some(Loaded::Done(Err(_)))));
        assert!(woken.load(Ordering::SeqCst) > 0, "the window was woken");
    }
}
