//! A blocking DQBUF can wait forever (a driver that never starts, too few buffers queued).
//! The watchdog interrupts it after a deadline with a signal, so the call returns EINTR, is
//! recorded as such, and the session goes on. poll() cannot guard this: vb2 answers EPOLLERR
//! in states where DQBUF still blocks.

use std::sync::{Arc, Condvar, Mutex, Once};
use std::time::{Duration, Instant};

use nix::sys::pthread::{Pthread, pthread_kill, pthread_self};
use nix::sys::signal::Signal;

#[derive(Default)]
struct State {
    armed: Option<(Pthread, Instant)>,
    fired: bool,
    quit: bool,
}

pub struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
}

static SIGNAL: Once = Once::new();

impl Watchdog {
    pub fn new() -> Watchdog {
        SIGNAL.call_once(|| {
            let _ = super::raw::install_wakeup_signal();
        });
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let s = shared.clone();
        let _ = std::thread::Builder::new()
            .name("vb2scope-watchdog".into())
            .spawn(move || watch(&s));
        Watchdog { shared }
    }

    /// Runs `f` on this thread, interrupting it if it takes longer than `timeout`; returns
    /// its result and whether the watchdog fired.
    pub fn guard<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> (T, bool) {
        let (m, cv) = &*self.shared;
        if let Ok(mut st) = m.lock() {
            st.armed = Some((pthread_self(), Instant::now() + timeout));
            st.fired = false;
            cv.notify_all();
        }
        let r = f();
        // Disarming under the lock: once it returns, no signal can be sent for this call.
        let fired = m
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
        let (m, cv) = &*self.shared;
        if let Ok(mut st) = m.lock() {
            st.quit = true;
            cv.notify_all();
        }
    }
}

fn watch(shared: &(Mutex<State>, Condvar)) {
    let (m, cv) = shared;
    let Ok(mut st) = m.lock() else { return };
    loop {
        if st.quit {
            return;
        }
        st = match st.armed {
            None => match cv.wait(st) {
                Ok(g) => g,
                Err(_) => return,
            },
            Some((thread, deadline)) => {
                let now = Instant::now();
                if now >= deadline {
                    let _ = pthread_kill(thread, Signal::SIGUSR1);
                    st.fired = true;
                    st.armed = None;
                    st
                } else {
                    match cv.wait_timeout(st, deadline - now) {
                        Ok((g, _)) => g,
                        Err(_) => return,
                    }
                }
            }
        };
    }
}
