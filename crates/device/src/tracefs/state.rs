//! The record of what a running capture changed in tracefs, kept in a file so that the next
//! run can put tracefs back after this one was killed (SIGKILL, the OOM killer: no `Drop`
//! runs). The file also marks a capture as running, with its pid: a second capture refuses to
//! start rather than remove the first one's probes.
//!
//! The file first appears through a hard link from a complete temporary file, so it is never
//! seen half-written and only one of two captures starting together gets it; later versions
//! replace it with a rename, for the same reason.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::{KernelError, StaleCleanup, write_value};

/// The file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Saved {
    /// The capturing process.
    pub pid: u32,
    /// Its start time (field 22 of `/proc/PID/stat`), so that a reused pid is not taken for it.
    pub start_time: Option<u64>,
    /// The tracefs mount the files below are in.
    pub tracefs: PathBuf,
    /// Files (relative to `tracefs`) and their values before the capture, in order of change.
    pub restore: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Entry {
    pub file: String,
    pub value: String,
}

/// What is at the state file's path.
pub(super) enum Found {
    Missing,
    /// Not a state file of ours (the reason).
    Corrupt(String),
    Saved(Saved),
}

/// The state file of a running capture.
pub(super) struct StateFile {
    path: PathBuf,
    saved: Saved,
}

impl StateFile {
    /// Creates the file for this process; `None` when there is one already.
    pub fn create(path: &Path, tracefs: &Path) -> Result<Option<StateFile>, KernelError> {
        let pid = std::process::id();
        let file = StateFile {
            path: path.to_path_buf(),
            saved: Saved {
                pid,
                start_time: proc_stat(pid).map(|(_, t)| t),
                tracefs: tracefs.to_path_buf(),
                restore: Vec::new(),
            },
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(state_err("create", dir))?;
        }
        let bytes = file.bytes()?;
        let tmp = sibling(path, &format!("{pid}.tmp"));
        fs::write(&tmp, &bytes).map_err(state_err("write", &tmp))?;
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            // A file system without hard links: exclusive creation still makes one owner.
            Err(_) => match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut f) => {
                    f.write_all(&bytes).map_err(state_err("write", path))?;
                    Ok(Some(file))
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(state_err("create", path)(e)),
            },
        }
    }

    /// Records a file's value before it is changed, and writes the record out before the
    /// change is made.
    pub fn remember(&mut self, file: &str, value: &str) -> Result<(), KernelError> {
        self.saved.restore.push(Entry {
            file: file.to_string(),
            value: value.to_string(),
        });
        let tmp = sibling(&self.path, &format!("{}.tmp", self.saved.pid));
        fs::write(&tmp, self.bytes()?).map_err(state_err("write", &tmp))?;
        fs::rename(&tmp, &self.path).map_err(state_err("write", &self.path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file: everything it records has been put back.
    pub fn remove(&self) -> io::Result<()> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, KernelError> {
        serde_json::to_vec_pretty(&self.saved)
            .map_err(|e| state_err("write", &self.path)(io::Error::other(e)))
    }
}

pub(super) fn read(path: &Path) -> Result<Found, KernelError> {
    match fs::read(path) {
        Ok(bytes) => Ok(match serde_json::from_slice(&bytes) {
            Ok(s) => Found::Saved(s),
            Err(e) => Found::Corrupt(e.to_string()),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Found::Missing),
        Err(e) => Err(state_err("read", path)(e)),
    }
}

/// Whether the capture that wrote `s` still runs.
pub(super) fn owner_alive(s: &Saved) -> bool {
    // pid 0 and negative pids would name process groups.
    let Ok(raw) = i32::try_from(s.pid) else {
        return false;
    };
    if raw <= 0 || kill(Pid::from_raw(raw), None) == Err(Errno::ESRCH) {
        return false;
    }
    match proc_stat(s.pid) {
        // A zombie was killed already; another start time is another process.
        Some((state, start)) => {
            state != 'Z' && state != 'X' && s.start_time.is_none_or(|t| t == start)
        }
        // It exists (kill said so) but /proc does not tell more.
        None => true,
    }
}

/// Writes back what `s` records, last change first, into `out`.
pub(super) fn restore(s: &Saved, out: &mut StaleCleanup) {
    for e in s.restore.iter().rev() {
        if !restorable(&e.file) {
            out.problems.push(format!(
                "{}: not a tracefs setting of ours, left alone",
                e.file
            ));
            continue;
        }
        let p = s.tracefs.join(&e.file);
        match write_value(&p, &e.value) {
            Ok(()) => out.restored.push(format!("{}={}", e.file, e.value)),
            Err(err) => out.problems.push(format!(
                "{} not restored to {:?}: {err}",
                p.display(),
                e.value
            )),
        }
    }
}

/// `path` with `.suffix` appended: temporary and claimed copies live beside the file, on the
/// same file system, so that renames and links work.
pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// The files a capture changes; the state file is read back as root, so nothing else is
/// written, whatever it says.
fn restorable(file: &str) -> bool {
    let plain = Path::new(file)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let known = matches!(
        file,
        "tracing_on" | "trace_clock" | "buffer_size_kb" | "set_event_pid"
    ) || (file.starts_with("events/") && file.ends_with("/enable"));
    plain && known
}

/// The state (R, S, Z…) and start time of a process, from `/proc/PID/stat`.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state …`: comm may hold spaces and parentheses, so split at the last `)`.
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 is the state; the start time is field 22.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

fn state_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> KernelError + 'a {
    move |source| KernelError::State {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Above any `pid_max` (at most 2^22), so no process has it: the pid of a killed run in tests.
#[cfg(test)]
pub(super) const DEAD_PID: u32 = 0x7fff_fff0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not() {
        let pid = std::process::id();
        let start = proc_stat(pid).map(|(_, t)| t);
        let mut s = Saved {
            pid,
            start_time: start,
            tracefs: PathBuf::new(),
            restore: Vec::new(),
        };
        assert!(owner_alive(&s));
        if let Some(t) = start {
            s.start_time = Some(t + 1);
            assert!(!owner_alive(&s), "same pid, another start time");
        }
        s.pid = 0;
        assert!(!owner_alive(&s), "pid 0 names a process group");
        s.pid = u32::MAX;
        assert!(!owner_alive(&s));
        s.pid = DEAD_PID;
        assert!(!owner_alive(&s));
    }

    #[test]
    fn only_our_settings_are_restorable() {
        for ok in [
            "tracing_on",
            "trace_clock",
            "buffer_size_kb",
            "set_event_pid",
            "events/vb2/enable",
            "events/printk/console/enable",
        ] {
            assert!(restorable(ok), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "events/../../../etc/enable",
            "kprobe_events",
            "trace",
            "",
        ] {
            assert!(!restorable(bad), "{bad}");
        }
    }
}
