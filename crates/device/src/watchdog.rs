//! A blocking DQBUF can wait forever (a driver that never starts, too few buffers queued).
//! The watchdog interrupts it after a deadline with a signal, so the call returns EINTR, is
//! recorded as such, and the session goes on. poll() cannot guard this: vb2 answers EPOLLERR
//! in states where DQBUF still blocks.
//!
//! Arming and disarming only take an uncontended lock: the watchdog looks on a coarse tick
//! rather than being woken, so a streaming loop pays no thread switch per frame.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use nix::sys::pthread::{Pthread, pthread_kill, pthread_self};
use nix::sys::signal::Signal;

const TICK: Duration = Duration::from_millis(250);

#[derive(Default)]
struct State {
    armed: Option<(Pthread, Instant)>,
    fired: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    quit: AtomicBool,
}

pub struct Watchdog {
    shared: Arc<Shared>,
}

static SIGNAL: Once = Once::new();
/// Without the handler, SIGUSR1 would kill the process: the watchdog then never fires.
static HANDLER: AtomicBool = AtomicBool::new(false);

impl Watchdog {
    pub fn new() -> Watchdog {
        SIGNAL.call_once(|| {
            HANDLER.store(
                super::raw::install_wakeup_signal().is_ok(),
                Ordering::Relaxed,
            );
        });
        let shared: Arc<Shared> = Arc::default();
        let s = shared.clone();
        let _ = std::thread::Builder::new()
            .name("vb2scope-watchdog".into())
            .spawn(move || watch(&s));
        Watchdog { shared }
    }

    /// Runs `f` on this thread, interrupting it if it takes longer than `timeout` (give or
    /// take a tick); returns its result and whether the watchdog fired.
    pub fn guard<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> (T, bool) {
        if !HANDLER.load(Ordering::Relaxed) {
            return (f(), false);
        }
        if let Ok(mut st) = self.shared.state.lock() {
            st.armed = Some((pthread_self(), Instant::now() + timeout));
            st.fired = false;
        }
        let r = f();
        // Disarming under the lock: once it returns, no signal can be sent for this call.
        let fired = self
            .shared
            .state
            .lock()
            .map(|mut st| {
                st.armed = None;
                std::mem::take(&mut st.fired)
            })
            .unwrap_or(false);
        (r, fired)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.quit.store(true, Ordering::Relaxed);
    }
}

fn watch(shared: &Shared) {
    while !shared.quit.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let Ok(mut st) = shared.state.lock() else {
            return;
        };
        if let Some((thread, deadline)) = st.armed
            && Instant::now() >= deadline
        {
            let _ = pthread_kill(thread, Signal::SIGUSR1);
            st.fired = true;
            st.armed = None;
        }
    }
}
