//! Capturing ftrace text from tracefs while a device is driven: the only I/O of `kernel`.
//!
//! `KernelCapture::start` first undoes what a killed run left (`cleanup_stale`), then sets the
//! clock to `mono` (the clock of the userspace trace), sizes and clears the buffer, adds our
//! kprobes (skipping those whose function this kernel does not have), enables them and the
//! vb2, v4l2 and printk console tracepoints, and reads `trace_pipe` on a thread. `stop`, or
//! dropping the capture on any error path or panic, puts everything back: events off, our
//! kprobes removed, clock, buffer size, pid filter and `tracing_on` restored.
//!
//! A killed run cannot do that, so every value is written to a state file (`state.rs`, with
//! the owner's pid) before it is changed; `cleanup_stale` restores from it once that pid is
//! gone, and a capture refuses to start while it is alive, rather than take its probes away.
//!
//! The reader opens `trace_pipe` with `O_NONBLOCK` and polls, so it can always be stopped (a
//! blocking read would wait for the next event forever).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};

use vb2scope_core::kernel::kprobes::{self, KprobeDef};

mod state;
use state::{Found, StateFile};

/// How long the reader sleeps when `trace_pipe` is empty.
const POLL: Duration = Duration::from_millis(20);
/// Where tracefs is mounted, in order of preference.
const MOUNTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// Where a running capture records what it changed (tmpfs: gone after a reboot, as are the
/// tracefs settings it describes).
pub const STATE_FILE: &str = "/run/vb2scope/tracefs-state.json";

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error(
        "no tracefs found (tried {tried}); mount it with `mount -t tracefs nodev /sys/kernel/tracing`"
    )]
    NoTracefs { tried: String },
    #[error("cannot write {path} ({source}): kernel tracing needs root (CAP_SYS_ADMIN)")]
    NotWritable { path: PathBuf, source: io::Error },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("the trace_pipe reader thread panicked")]
    Reader,
    #[error("another vb2scope capture (pid {pid}) is running")]
    AnotherCapture { pid: u32 },
    #[error("{op} {path} (the record of tracefs settings to restore after a killed run): {source}")]
    State {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// What to capture.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// tracefs mount point; found by itself when `None`.
    pub tracefs: Option<PathBuf>,
    /// Per-CPU ring buffer size.
    pub buffer_size_kb: u32,
    /// Add and enable our kprobes (kprobes.rs).
    pub kprobes: bool,
    /// Tracepoints to enable, as paths under `events/` (a system or `system/event`).
    pub events: Vec<String>,
    /// Restrict events to these task ids (`set_event_pid`). Events of other tasks are then
    /// lost, including a driver thread's `vb2_buf_done` (vivid completes buffers in a kthread).
    pub event_pids: Vec<u32>,
    /// Also write every line read to this file (emptied first).
    pub save_to: Option<PathBuf>,
    /// Symbol list used (with tracefs' `available_filter_functions`) to skip missing functions.
    pub kallsyms: PathBuf,
    /// Where the values to restore after a killed run are kept ([`STATE_FILE`]).
    pub state_file: PathBuf,
    /// The running kernel's release (`uname -r`), which decides the memop probes' argument
    /// positions; read from the system when `None`.
    pub release: Option<String>,
}

impl Default for CaptureOptions {
    fn default() -> CaptureOptions {
        CaptureOptions {
            tracefs: None,
            buffer_size_kb: 8192,
            kprobes: true,
            events: vec!["vb2".into(), "v4l2".into(), "printk/console".into()],
            event_pids: Vec::new(),
            save_to: None,
            kallsyms: PathBuf::from("/proc/kallsyms"),
            state_file: PathBuf::from(STATE_FILE),
            release: None,
        }
    }
}

/// What a stopped capture gives back.
#[derive(Clone, Debug, Default)]
pub struct CaptureOutput {
    /// The lines not taken from [`KernelCapture::lines`] while running, one per line.
    pub text: String,
    /// Lines read from `trace_pipe` in all.
    pub lines: u64,
    /// What was skipped or went wrong along the way (probes missing, restore failures).
    pub notes: Vec<String>,
}

/// What [`cleanup_stale`] found and undid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaleCleanup {
    /// The pid of the killed run whose settings were restored, if it left a state file.
    pub owner: Option<u32>,
    /// Settings written back, as `file=value`.
    pub restored: Vec<String>,
    /// Our kprobes removed, as `group/event`.
    pub removed: Vec<String>,
    /// What could not be undone.
    pub problems: Vec<String>,
}

impl StaleCleanup {
    /// What was done, one line per kind, for the user.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(pid) = self.owner {
            let what = match self.restored.is_empty() {
                true => "it had changed nothing yet".to_string(),
                false => self.restored.join(", "),
            };
            notes.push(format!(
                "restored tracefs as a killed run (pid {pid}) had found it: {what}"
            ));
        }
        if !self.removed.is_empty() {
            notes.push(format!(
                "removed kprobes left by an earlier run: {}",
                self.removed.join(", ")
            ));
        }
        notes.extend(self.problems.iter().cloned());
        notes
    }
}

struct ReaderEnd {
    lines: u64,
    error: Option<String>,
}

/// A running capture. Dropping it stops it and restores tracefs.
pub struct KernelCapture {
    root: PathBuf,
    added: Vec<&'static KprobeDef>,
    /// Kprobe `enable` files set to 1, to set back to 0.
    enabled: Vec<PathBuf>,
    /// Files and the values to write back, in order of change.
    restore: Vec<(PathBuf, String)>,
    /// The same values, on disk for after a killed run; removed once they are back.
    state: Option<StateFile>,
    notes: Vec<String>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<ReaderEnd>>,
    rx: Receiver<String>,
    cleaned: bool,
}

impl KernelCapture {
    pub fn start(opts: &CaptureOptions) -> Result<KernelCapture, KernelError> {
        let root = find_tracefs(opts.tracefs.as_deref())?;
        let on = root.join("tracing_on");
        // Not root: say so before anything else fails for that reason.
        OpenOptions::new()
            .write(true)
            .open(&on)
            .map_err(|source| KernelError::NotWritable {
                path: on.clone(),
                source,
            })?;
        // A killed run's leftovers go first, so that the values recorded below are the
        // original ones and not that run's.
        let mut notes = Vec::new();
        let state = acquire_state(&root, &opts.state_file, &mut notes)?;
        let (_, rx) = unbounded();
        // From here on an early return drops `cap`, which undoes what was done.
        let mut cap = KernelCapture {
            root,
            added: Vec::new(),
            enabled: Vec::new(),
            restore: Vec::new(),
            state: Some(state),
            notes,
            stop: Arc::new(AtomicBool::new(false)),
            reader: None,
            rx,
            cleaned: false,
        };
        cap.set("tracing_on", "0", |s| s.trim().to_string())?;
        cap.set("trace_clock", "mono", current_clock)?;
        let size = opts.buffer_size_kb.to_string();
        // The size is per CPU: with many CPUs the kernel may refuse it (ENOMEM), and the
        // buffer it has is still usable.
        match cap.set("buffer_size_kb", &size, buffer_size) {
            Ok(()) => {}
            Err(e @ KernelError::State { .. }) => return Err(e),
            Err(e) => cap
                .notes
                .push(format!("ring buffer left at its size ({e})")),
        }
        let trace = cap.path("trace");
        write_value(&trace, "").map_err(io_err("clear", &trace))?;
        let release = opts.release.clone().or_else(kernel_release);
        if opts.kprobes {
            let release_text = release.as_deref().unwrap_or("");
            let defs = kprobes::for_release(release_text);
            cap.add_kprobes(defs, &opts.kallsyms);
            if !kprobes::memops_take_vb(release_text) {
                // Say which of the functions that name the buffer could be probed: the
                // compiler may have inlined one (__vb2_buf_mem_alloc often is).
                let context = [
                    "__vb2_buf_mem_alloc",
                    "__prepare_userptr",
                    "__prepare_dmabuf",
                ];
                let probed: Vec<&str> = context
                    .into_iter()
                    .filter(|f| cap.added.iter().any(|d| d.symbol.starts_with(f)))
                    .collect();
                let named = if probed.is_empty() {
                    "no probe can name it, so memops are placed by their call alone".to_owned()
                } else {
                    format!("probes on {} name it", probed.join(", "))
                };
                cap.notes.push(format!(
                    "Linux {}: the vb2 memops do not take the buffer; {named}",
                    release.as_deref().unwrap_or("?")
                ));
            }
        }
        for e in &opts.events {
            let file = format!("events/{e}/enable");
            let p = cap.root.join(&file);
            match fs::read_to_string(&p) {
                // Leave on what someone else had turned on.
                Ok(s) if s.trim() == "1" => continue,
                Ok(_) => {}
                Err(err) => {
                    cap.notes.push(format!(
                        "events/{e} not enabled ({err}): its module may not be loaded"
                    ));
                    continue;
                }
            }
            cap.remember(&file, "0")?;
            match write_value(&p, "1") {
                Ok(()) => cap.restore.push((p, "0".to_string())),
                Err(err) => cap.notes.push(format!(
                    "events/{e} not enabled ({err}): its module may not be loaded"
                )),
            }
        }
        if !opts.event_pids.is_empty() {
            let pids: Vec<String> = opts.event_pids.iter().map(u32::to_string).collect();
            cap.set("set_event_pid", &pids.join(" "), |s| {
                s.split_whitespace().collect::<Vec<_>>().join(" ")
            })?;
        }
        let pipe_path = cap.path("trace_pipe");
        let pipe = OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&pipe_path)
            .map_err(io_err("open", &pipe_path))?;
        let save = match &opts.save_to {
            Some(p) => {
                let mut w = BufWriter::new(
                    // Emptied: a second run to the same output must not follow the first one.
                    OpenOptions::new()
                        .create(true)
                        .write(true)
                        .truncate(true)
                        .open(p)
                        .map_err(io_err("open", p))?,
                );
                // Says what the text is even when no event came, and which kernel made it.
                writeln!(w, "{}", ftrace_header(release.as_deref())).map_err(io_err("write", p))?;
                Some(w)
            }
            None => None,
        };
        let (tx, rx) = unbounded();
        cap.rx = rx;
        let stop = cap.stop.clone();
        let reader = std::thread::Builder::new()
            .name("vb2scope-ftrace".into())
            .spawn(move || read_pipe(pipe, tx, stop, save))
            .map_err(io_err("spawn a reader for", &pipe_path))?;
        cap.reader = Some(reader);
        write_value(&on, "1").map_err(io_err("write", &on))?;
        Ok(cap)
    }

    /// Lines as they are read. Lines taken here are not in [`CaptureOutput::text`].
    pub fn lines(&self) -> &Receiver<String> {
        &self.rx
    }

    /// What was skipped while starting (missing functions, absent event systems).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The tracefs mount in use.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The kprobes that were added, as `group/event`.
    pub fn probes(&self) -> Vec<String> {
        self.added
            .iter()
            .map(|d| format!("{}/{}", d.group, d.event))
            .collect()
    }

    /// Stops tracing, reads what is left and puts tracefs back as it was.
    pub fn stop(mut self) -> Result<CaptureOutput, KernelError> {
        let _ = write_value(&self.path("tracing_on"), "0");
        self.stop.store(true, Ordering::Release);
        let end = match self.reader.take() {
            Some(h) => h.join().map_err(|_| KernelError::Reader)?,
            None => ReaderEnd {
                lines: 0,
                error: None,
            },
        };
        let mut text = String::new();
        for l in self.rx.try_iter() {
            text.push_str(&l);
            text.push('\n');
        }
        let mut notes = std::mem::take(&mut self.notes);
        if let Some(e) = end.error {
            notes.push(format!("reading trace_pipe stopped early: {e}"));
        }
        notes.extend(self.cleanup());
        Ok(CaptureOutput {
            text,
            lines: end.lines,
            notes,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `value` to `name`, remembering what `current` reads from its old contents,
    /// on disk before the change.
    fn set(
        &mut self,
        name: &str,
        value: &str,
        current: fn(&str) -> String,
    ) -> Result<(), KernelError> {
        let p = self.path(name);
        let old = current(&read_value(&p)?);
        self.remember(name, &old)?;
        write_value(&p, value).map_err(io_err("write", &p))?;
        self.restore.push((p, old));
        Ok(())
    }

    /// Puts `file=value` in the state file, before `file` is changed.
    fn remember(&mut self, file: &str, value: &str) -> Result<(), KernelError> {
        match self.state.as_mut() {
            Some(s) => s.remember(file, value),
            None => Ok(()),
        }
    }

    /// Leaves tracefs and the state file as a killed run would: the reader stops, nothing is
    /// undone.
    #[cfg(test)]
    fn simulate_kill(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
        self.cleaned = true;
    }

    fn add_kprobes(&mut self, defs: &'static [KprobeDef], kallsyms: &Path) {
        let known = known_symbols(defs, &self.root, kallsyms);
        let events = self.path("kprobe_events");
        for d in defs {
            if known.as_ref().is_some_and(|k| !k.contains(d.symbol)) {
                self.notes.push(format!(
                    "kprobe {}/{} skipped: no function {}",
                    d.group, d.event, d.symbol
                ));
                continue;
            }
            if let Err(e) = append_line(&events, d.def) {
                self.notes
                    .push(format!("kprobe {}/{} not added: {e}", d.group, d.event));
                continue;
            }
            self.added.push(d);
            let enable = self
                .root
                .join("events")
                .join(d.group)
                .join(d.event)
                .join("enable");
            match write_value(&enable, "1") {
                Ok(()) => self.enabled.push(enable),
                Err(e) => self
                    .notes
                    .push(format!("kprobe {}/{} not enabled: {e}", d.group, d.event)),
            }
        }
    }

    /// Undoes everything `start` did; safe to call twice. Returns what could not be undone.
    fn cleanup(&mut self) -> Vec<String> {
        if self.cleaned {
            return Vec::new();
        }
        self.cleaned = true;
        let mut problems = Vec::new();
        if !self.restore.is_empty() {
            // Nothing more is recorded while we undo; `restore` puts the old value back.
            let _ = write_value(&self.path("tracing_on"), "0");
        }
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
        for p in self.enabled.iter().rev() {
            if let Err(e) = write_value(p, "0") {
                problems.push(format!("{}: not disabled: {e}", p.display()));
            }
        }
        let events = self.path("kprobe_events");
        for d in self.added.iter().rev() {
            if let Err(e) = append_line(&events, &format!("-:{}/{}", d.group, d.event)) {
                problems.push(format!("kprobe {}/{} not removed: {e}", d.group, d.event));
            }
        }
        for (p, v) in self.restore.iter().rev() {
            if let Err(e) = write_value(p, v) {
                problems.push(format!("{} not restored to {v:?}: {e}", p.display()));
            }
        }
        // Removed even when something could not be restored: a later run would fail the same
        // way, and a leftover file naming this (live) process would stop its next capture.
        if let Some(s) = self.state.take()
            && let Err(e) = s.remove()
        {
            problems.push(format!("{}: not removed: {e}", s.path().display()));
        }
        problems
    }
}

impl Drop for KernelCapture {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}

/// Undoes what a killed capture left: restores the values its state file (`state_file`)
/// records, once the pid that wrote it is gone, and removes the kprobes of groups
/// `vb2scope_*` from `kprobe_events` (those of runs that left no state file too).
///
/// Fails with [`KernelError::AnotherCapture`], touching nothing, while that pid runs.
pub fn cleanup_stale(tracefs: &Path, state_file: &Path) -> Result<StaleCleanup, KernelError> {
    let mut out = StaleCleanup::default();
    let mut roots = vec![tracefs.to_path_buf()];
    match state::read(state_file)? {
        Found::Missing => {}
        Found::Saved(s) if state::owner_alive(&s) => {
            return Err(KernelError::AnotherCapture { pid: s.pid });
        }
        Found::Saved(_) | Found::Corrupt(_) => {
            // Claimed by a rename, so that of two captures starting together one restores.
            let claimed = state::sibling(state_file, &format!("{}.stale", std::process::id()));
            match fs::rename(state_file, &claimed) {
                Ok(()) => {
                    let found = state::read(&claimed);
                    if let Ok(Found::Saved(s)) = &found
                        && state::owner_alive(s)
                    {
                        // Started between the read and the rename: its file goes back
                        // (unless it has written a newer one meanwhile).
                        let _ = fs::hard_link(&claimed, state_file);
                        let _ = fs::remove_file(&claimed);
                        return Err(KernelError::AnotherCapture { pid: s.pid });
                    }
                    let _ = fs::remove_file(&claimed);
                    match found? {
                        Found::Saved(s) => {
                            state::restore(&s, &mut out);
                            out.owner = Some(s.pid);
                            if s.tracefs != tracefs {
                                roots.push(s.tracefs);
                            }
                        }
                        Found::Corrupt(e) => out.problems.push(format!(
                            "{}: unreadable ({e}), settings not restored",
                            state_file.display()
                        )),
                        Found::Missing => {}
                    }
                }
                // Another capture claimed it first and restores it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(KernelError::State {
                        op: "claim",
                        path: state_file.to_path_buf(),
                        source: e,
                    });
                }
            }
        }
    }
    for root in &roots {
        remove_our_kprobes(root, &mut out);
    }
    Ok(out)
}

/// Disables and removes every kprobe of a `vb2scope_*` group.
fn remove_our_kprobes(tracefs: &Path, out: &mut StaleCleanup) {
    let events = tracefs.join("kprobe_events");
    let text = match fs::read_to_string(&events) {
        Ok(t) => t,
        // No kprobe support: nobody could have added any.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => {
            out.problems.push(format!(
                "{}: stale kprobes not checked: {e}",
                events.display()
            ));
            return;
        }
    };
    for line in text.lines() {
        // `p:GROUP/EVENT SYM ARGS`, `r[N]:GROUP/EVENT …`
        let Some((_, rest)) = line.split_once(':') else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        let Some((group, event)) = name.split_once('/') else {
            continue;
        };
        if !group.starts_with("vb2scope_") || !line.starts_with(['p', 'r']) {
            continue;
        }
        let enable = tracefs
            .join("events")
            .join(group)
            .join(event)
            .join("enable");
        // A probe cannot be removed while enabled.
        let _ = write_value(&enable, "0");
        match append_line(&events, &format!("-:{name}")) {
            Ok(()) => out.removed.push(name.to_string()),
            Err(e) => out.problems.push(format!("kprobe {name} not removed: {e}")),
        }
    }
}

/// Cleans up after a killed run and creates this capture's state file.
fn acquire_state(
    root: &Path,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<StateFile, KernelError> {
    // Twice: a capture that started between the cleanup and the creation is named by the
    // second cleanup.
    for _ in 0..2 {
        notes.extend(cleanup_stale(root, path)?.notes());
        if let Some(f) = StateFile::create(path, root)? {
            return Ok(f);
        }
    }
    let pid = match state::read(path)? {
        Found::Saved(s) => s.pid,
        _ => 0,
    };
    Err(KernelError::AnotherCapture { pid })
}

fn find_tracefs(explicit: Option<&Path>) -> Result<PathBuf, KernelError> {
    let candidates: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => MOUNTS.iter().map(PathBuf::from).collect(),
    };
    for c in &candidates {
        match fs::metadata(c.join("trace")) {
            Ok(_) => return Ok(c.clone()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(KernelError::NotWritable {
                    path: c.clone(),
                    source: e,
                });
            }
            Err(_) => {}
        }
    }
    let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    Err(KernelError::NoTracefs {
        tried: tried.join(", "),
    })
}

/// The first line of the ftrace text a capture saves: a comment, as ftrace's own header lines
/// are, that names the kernel (`kernel::ftrace::header_release` reads it back).
pub fn ftrace_header(release: Option<&str>) -> String {
    format!(
        "{}{} (trace_clock mono)",
        vb2scope_core::kernel::ftrace::HEADER_PREFIX,
        release.unwrap_or("?")
    )
}

/// The running kernel's release (`uname -r`): it decides the kprobes, and recordings carry it
/// so that `auto` knows which vb2 made them.
pub fn kernel_release() -> Option<String> {
    nix::sys::utsname::uname()
        .ok()
        .map(|u| u.release().to_string_lossy().into_owned())
}

/// The functions of `defs` that this kernel has, from tracefs' list of traceable functions
/// and from kallsyms; `None` when neither can be read (then every probe is tried).
fn known_symbols(
    defs: &[KprobeDef],
    root: &Path,
    kallsyms: &Path,
) -> Option<HashSet<&'static str>> {
    let wanted: HashSet<&'static str> = defs.iter().map(|d| d.symbol).collect();
    let mut found = HashSet::new();
    let mut any = false;
    // available_filter_functions: `name [module]`; kallsyms: `addr type name [module]`.
    for (path, column) in [
        (root.join("available_filter_functions"), 0),
        (kallsyms.to_path_buf(), 2),
    ] {
        let Ok(f) = File::open(&path) else { continue };
        any = true;
        for line in BufReader::new(f).lines().map_while(Result::ok) {
            if let Some(name) = line.split_whitespace().nth(column)
                && let Some(&w) = wanted.get(name)
            {
                found.insert(w);
            }
        }
    }
    any.then_some(found)
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> KernelError + 'a {
    move |source| KernelError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

fn read_value(p: &Path) -> Result<String, KernelError> {
    fs::read_to_string(p).map_err(io_err("read", p))
}

/// Writes a whole value, as `echo value > file` does.
fn write_value(p: &Path, v: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).truncate(true).open(p)?;
    f.write_all(format!("{v}\n").as_bytes())
}

/// One command to a file that must never be truncated (`kprobe_events`: truncating it
/// removes every kprobe, anyone's).
fn append_line(p: &Path, line: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().append(true).open(p)?;
    f.write_all(format!("{line}\n").as_bytes())
}

/// `[local] global mono …` → `local`.
fn current_clock(s: &str) -> String {
    s.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
        .unwrap_or("local")
        .to_string()
}

/// `1408`, or `7 (expanded: 1408)` before the buffer was first used.
fn buffer_size(s: &str) -> String {
    let n = match s.split_once("expanded:") {
        Some((_, rest)) => rest.trim().trim_end_matches(')'),
        None => s.split_whitespace().next().unwrap_or("1408"),
    };
    n.trim().to_string()
}

fn read_pipe(
    mut pipe: File,
    tx: Sender<String>,
    stop: Arc<AtomicBool>,
    mut save: Option<BufWriter<File>>,
) -> ReaderEnd {
    let mut buf = vec![0u8; 64 * 1024];
    let mut partial: Vec<u8> = Vec::new();
    let mut end = ReaderEnd {
        lines: 0,
        error: None,
    };
    let mut emit = |line: &[u8], end: &mut ReaderEnd| {
        let line = String::from_utf8_lossy(line).into_owned();
        if let Some(w) = save.as_mut()
            && let Err(e) = writeln!(w, "{line}")
        {
            end.error.get_or_insert(format!("saving: {e}"));
        }
        end.lines += 1;
        // The receiver may be gone; the file still gets the line.
        let _ = tx.send(line);
    };
    // After a stop, reads go on until the pipe is empty, within a bound in case tracing
    // could not be turned off and events keep coming.
    let mut drain = 4096u32;
    loop {
        // Read the flag first: after a stop, one more pass drains what is left.
        let stopping = stop.load(Ordering::Acquire);
        if stopping {
            drain = drain.saturating_sub(1);
            if drain == 0 {
                break;
            }
        }
        match pipe.read(&mut buf) {
            Ok(n) if n > 0 => {
                partial.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                while let Some(i) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=i).collect();
                    emit(line.get(..i).unwrap_or(&[]), &mut end);
                }
                continue;
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                end.error = Some(e.to_string());
                break;
            }
        }
        if stopping {
            break;
        }
        std::thread::sleep(POLL);
    }
    if !partial.is_empty() {
        emit(&partial, &mut end);
    }
    if let Some(mut w) = save
        && let Err(e) = w.flush()
    {
        end.error.get_or_insert(format!("saving: {e}"));
    }
    end
}

#[cfg(test)]
mod tests;
