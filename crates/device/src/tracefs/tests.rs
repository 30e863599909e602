//! A fake tracefs (plain files in a temporary directory): what `start`, `stop`, `Drop` and
//! `cleanup_stale` write, without a kernel. `kprobe_events` only grows there (the kernel
//! applies each line), so `live_kprobes` replays it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::*;

static N: AtomicU32 = AtomicU32::new(0);

fn fake_tracefs() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vb2scope-tracefs-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    for d in [
        "events/vb2",
        "events/printk/console",
        "events/vb2scope_mem/vmalloc_alloc",
        "events/vb2scope_dmabuf/get",
    ] {
        fs::create_dir_all(dir.join(d)).expect("mkdir");
    }
    let files = [
        ("trace", "# tracer: nop\n"),
        ("tracing_on", "1\n"),
        ("trace_clock", "[local] global counter mono\n"),
        ("buffer_size_kb", "7 (expanded: 1408)\n"),
        ("set_event_pid", ""),
        (
            "kprobe_events",
            "p:other/keep foo\np:vb2scope_mem/vmalloc_put vb2_vmalloc_put priv=$arg1:x64\n",
        ),
        (
            "available_filter_functions",
            "vb2_vmalloc_alloc [videobuf2_vmalloc]\nvb2_vmalloc_put [videobuf2_vmalloc]\ndma_buf_get\n",
        ),
        ("events/vb2/enable", "0\n"),
        ("events/printk/console/enable", "0\n"),
        ("events/vb2scope_mem/vmalloc_alloc/enable", "0\n"),
        ("events/vb2scope_dmabuf/get/enable", "0\n"),
        (
            "trace_pipe",
            "  v4l2-ctl-1 [000] ..... 1.000000: vb2_qbuf: index = 0\n  v4l2-ctl-1 [000] ..... 1.000001: vb2_qbuf: index = 1\nno newline",
        ),
    ];
    for (f, text) in files {
        fs::write(dir.join(f), text).expect("write");
    }
    dir
}

fn read(dir: &Path, f: &str) -> String {
    fs::read_to_string(dir.join(f)).unwrap_or_default()
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("run/vb2scope/tracefs-state.json")
}

fn opts(dir: &Path) -> CaptureOptions {
    CaptureOptions {
        tracefs: Some(dir.to_path_buf()),
        kallsyms: dir.join("no-kallsyms"),
        save_to: Some(dir.join("saved.txt")),
        event_pids: vec![42, 43],
        state_file: state_file(dir),
        release: opts_release(),
        ..CaptureOptions::default()
    }
}

fn opts_release() -> Option<String> {
    Some("6.12.118+deb12-amd64".into())
}

/// The kprobes the kernel would have after every line written to `kprobe_events`.
fn live_kprobes(dir: &Path) -> Vec<String> {
    let mut live: Vec<String> = Vec::new();
    for line in read(dir, "kprobe_events").lines() {
        if let Some(name) = line.strip_prefix("-:") {
            live.retain(|n| n != name);
        } else if let Some((_, rest)) = line.split_once(':') {
            live.extend(rest.split_whitespace().next().map(str::to_string));
        }
    }
    live
}

/// Every value a capture changes is as `fake_tracefs` made it (as the kernel would read it
/// back), the leftover probe of an earlier run is gone, and so is the state file.
fn assert_original(dir: &Path) {
    assert_eq!(current_clock(&read(dir, "trace_clock")), "local");
    assert_eq!(buffer_size(&read(dir, "buffer_size_kb")), "1408");
    assert_eq!(read(dir, "tracing_on").trim(), "1");
    assert_eq!(read(dir, "set_event_pid").trim(), "");
    for e in [
        "vb2",
        "printk/console",
        "vb2scope_mem/vmalloc_alloc",
        "vb2scope_dmabuf/get",
    ] {
        assert_eq!(read(dir, &format!("events/{e}/enable")), "0\n", "{e}");
    }
    assert_eq!(live_kprobes(dir), ["other/keep"]);
    assert!(!state_file(dir).exists(), "state file left");
}

/// Notes of `stop` that say something was not put back (its notes also hold `start`'s).
fn not_undone(notes: &[String]) -> Vec<&String> {
    notes
        .iter()
        .filter(|n| {
            n.contains("not restored") || n.contains("not removed") || n.contains("not disabled")
        })
        .collect()
}

/// Makes the state file say its capture was a process that is gone.
fn mark_owner_dead(dir: &Path) {
    let path = state_file(dir);
    let mut v: serde_json::Value =
        serde_json::from_str(&read(dir, "run/vb2scope/tracefs-state.json")).expect("state json");
    v["pid"] = state::DEAD_PID.into();
    fs::write(&path, v.to_string()).expect("write state");
}

#[test]
fn start_sets_up_and_stop_restores() {
    let dir = fake_tracefs();
    // From an earlier run to the same output: replaced, not followed.
    fs::write(dir.join("saved.txt"), "old line 1\nold line 2\n").expect("write");
    let cap = KernelCapture::start(&opts(&dir)).expect("starts");
    assert_eq!(read(&dir, "trace_clock"), "mono\n");
    assert_eq!(read(&dir, "buffer_size_kb"), "8192\n");
    assert_eq!(read(&dir, "tracing_on"), "1\n");
    assert_eq!(read(&dir, "set_event_pid"), "42 43\n");
    assert_eq!(read(&dir, "events/vb2/enable"), "1\n");
    assert_eq!(read(&dir, "events/printk/console/enable"), "1\n");
    let k = read(&dir, "kprobe_events");
    assert!(
        k.contains("-:vb2scope_mem/vmalloc_put\n"),
        "stale probe removed: {k}"
    );
    assert!(k.contains("p:vb2scope_mem/vmalloc_alloc vb2_vmalloc_alloc vb=$arg1:x64"));
    assert!(k.contains("r:vb2scope_mem/vmalloc_alloc_ret vb2_vmalloc_alloc ret=$retval:x64"));
    assert!(k.contains("p:vb2scope_dmabuf/get dma_buf_get fd=$arg1:s32"));
    assert!(!k.contains("vb2_dc_alloc"), "a missing function is skipped");
    assert_eq!(cap.probes().len(), 5, "{:?}", cap.probes());
    let notes = cap.notes().join("\n");
    assert!(notes.contains("kprobe vb2scope_mem/dc_alloc skipped: no function vb2_dc_alloc"));
    assert!(notes.contains("events/v4l2 not enabled"), "{notes}");
    assert!(notes.contains("removed kprobes left by an earlier run: vb2scope_mem/vmalloc_put"));
    assert_eq!(
        read(&dir, "events/vb2scope_mem/vmalloc_alloc/enable"),
        "1\n"
    );
    // The originals are on disk, with our pid, before anything is changed.
    let saved: serde_json::Value =
        serde_json::from_str(&read(&dir, "run/vb2scope/tracefs-state.json")).expect("state");
    assert_eq!(saved["pid"], std::process::id());
    let restore: Vec<String> = saved["restore"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}={}",
                e["file"].as_str().unwrap_or("?"),
                e["value"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        restore,
        [
            "tracing_on=1",
            "trace_clock=local",
            "buffer_size_kb=1408",
            "events/vb2/enable=0",
            "events/printk/console/enable=0",
            "set_event_pid=",
        ]
    );

    let first = cap
        .lines()
        .recv_timeout(Duration::from_secs(5))
        .expect("a line arrives");
    assert_eq!(
        first,
        "  v4l2-ctl-1 [000] ..... 1.000000: vb2_qbuf: index = 0"
    );
    let out = cap.stop().expect("stops");
    assert_eq!(
        out.text,
        "  v4l2-ctl-1 [000] ..... 1.000001: vb2_qbuf: index = 1\nno newline\n"
    );
    assert_eq!(out.lines, 3);
    // The saved text starts with the line that names the kernel.
    let saved = read(&dir, "saved.txt");
    let (head, events) = saved.split_once('\n').expect("a header line");
    assert_eq!(
        vb2scope_core::kernel::ftrace::header_release(head),
        opts_release().as_deref()
    );
    assert_eq!(
        events,
        "  v4l2-ctl-1 [000] ..... 1.000000: vb2_qbuf: index = 0\n  v4l2-ctl-1 [000] ..... 1.000001: vb2_qbuf: index = 1\nno newline\n"
    );
    assert!(not_undone(&out.notes).is_empty(), "{:?}", out.notes);
    assert_eq!(read(&dir, "trace_clock"), "local\n");
    assert_eq!(read(&dir, "buffer_size_kb"), "1408\n");
    assert_eq!(read(&dir, "tracing_on"), "1\n");
    assert_eq!(read(&dir, "set_event_pid"), "\n");
    assert_eq!(read(&dir, "events/vb2/enable"), "0\n");
    let k = read(&dir, "kprobe_events");
    for p in [
        "vb2scope_mem/vmalloc_alloc",
        "vb2scope_mem/vmalloc_alloc_ret",
        "vb2scope_mem/vmalloc_put",
        "vb2scope_dmabuf/get",
        "vb2scope_dmabuf/get_ret",
    ] {
        assert!(k.contains(&format!("-:{p}\n")), "{p} removed: {k}");
    }
    assert!(k.starts_with("p:other/keep foo\n"), "never truncated: {k}");
    assert_original(&dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn dropping_a_capture_cleans_up() {
    let dir = fake_tracefs();
    let o = CaptureOptions {
        event_pids: Vec::new(),
        save_to: None,
        ..opts(&dir)
    };
    let cap = KernelCapture::start(&o).expect("starts");
    assert!(state_file(&dir).exists());
    drop(cap);
    let k = read(&dir, "kprobe_events");
    assert!(k.contains("-:vb2scope_mem/vmalloc_alloc\n"), "{k}");
    assert_eq!(read(&dir, "trace_clock"), "local\n");
    assert_eq!(read(&dir, "events/printk/console/enable"), "0\n");
    assert_original(&dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn errors_name_the_problem() {
    let dir = fake_tracefs();
    let missing = dir.join("nowhere");
    let o = CaptureOptions {
        tracefs: Some(missing),
        ..CaptureOptions::default()
    };
    let e = KernelCapture::start(&o)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("no tracefs found (tried "), "{e}");
    assert!(e.contains("mount -t tracefs"), "{e}");
    // A tracefs without trace_clock: the capture fails, and what it did is undone.
    let _ = fs::remove_file(dir.join("trace_clock"));
    let e = KernelCapture::start(&opts(&dir))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("read "), "{e}");
    assert_eq!(read(&dir, "tracing_on"), "1\n");
    assert!(
        !state_file(&dir).exists(),
        "a failed start removes its state file"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn cleanup_stale_removes_only_ours() {
    let dir = fake_tracefs();
    let done = cleanup_stale(&dir, &state_file(&dir)).expect("cleans");
    assert_eq!(done.removed, ["vb2scope_mem/vmalloc_put"]);
    assert_eq!(done.owner, None, "no state file: nothing to restore");
    assert!(done.problems.is_empty(), "{:?}", done.problems);
    let k = read(&dir, "kprobe_events");
    assert!(!k.contains("-:other"), "{k}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn cleanup_stale_restores_a_killed_run() {
    let dir = fake_tracefs();
    let cap = KernelCapture::start(&opts(&dir)).expect("starts");
    let probes = cap.probes();
    cap.simulate_kill();
    assert_eq!(
        read(&dir, "trace_clock"),
        "mono\n",
        "a killed run restores nothing"
    );
    assert_eq!(live_kprobes(&dir).len(), 1 + probes.len());

    // Its pid (ours) still runs: hands off, its probes included.
    let before = read(&dir, "kprobe_events");
    let e = cleanup_stale(&dir, &state_file(&dir))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "another vb2scope capture (pid {}) is running",
            std::process::id()
        )
    );
    assert_eq!(read(&dir, "kprobe_events"), before);
    assert_eq!(read(&dir, "trace_clock"), "mono\n");

    mark_owner_dead(&dir);
    let done = cleanup_stale(&dir, &state_file(&dir)).expect("cleans");
    assert_eq!(done.owner, Some(state::DEAD_PID));
    assert_eq!(
        done.restored,
        [
            "set_event_pid=",
            "events/printk/console/enable=0",
            "events/vb2/enable=0",
            "buffer_size_kb=1408",
            "trace_clock=local",
            "tracing_on=1",
        ]
    );
    // The fake file also lists probes removed earlier; the kernel lists live ones only.
    for p in &probes {
        assert!(done.removed.contains(p), "{p}: {:?}", done.removed);
    }
    assert!(done.problems.is_empty(), "{:?}", done.problems);
    assert_original(&dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn start_restores_a_killed_run_before_recording_originals() {
    let dir = fake_tracefs();
    KernelCapture::start(&opts(&dir))
        .expect("starts")
        .simulate_kill();
    mark_owner_dead(&dir);
    let cap = KernelCapture::start(&opts(&dir)).expect("starts again");
    let notes = cap.notes().join("\n");
    assert!(
        notes.contains(&format!(
            "restored tracefs as a killed run (pid {}) had found it: set_event_pid=, ",
            state::DEAD_PID
        )),
        "{notes}"
    );
    assert!(
        notes.lines().any(
            |l| l.starts_with("removed kprobes left by an earlier run: ")
                && l.contains("vb2scope_dmabuf/get_ret")
        ),
        "{notes}"
    );
    // Had the leftovers been taken for the originals, stop would write `mono` back.
    let out = cap.stop().expect("stops");
    assert!(not_undone(&out.notes).is_empty(), "{:?}", out.notes);
    assert_original(&dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_second_capture_refuses_while_the_first_runs() {
    let dir = fake_tracefs();
    let first = KernelCapture::start(&opts(&dir)).expect("starts");
    let kprobes = read(&dir, "kprobe_events");
    let e = KernelCapture::start(&opts(&dir))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "another vb2scope capture (pid {}) is running",
            std::process::id()
        )
    );
    // The first one's probes and settings are untouched, and it still cleans up.
    assert_eq!(read(&dir, "kprobe_events"), kprobes);
    assert_eq!(read(&dir, "trace_clock"), "mono\n");
    assert!(state_file(&dir).exists());
    first.stop().expect("stops");
    assert_original(&dir);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_unreadable_state_file_is_replaced() {
    let dir = fake_tracefs();
    let path = state_file(&dir);
    fs::create_dir_all(dir.join("run/vb2scope")).expect("mkdir");
    fs::write(&path, "{\"pid\": 12").expect("write");
    let done = cleanup_stale(&dir, &path).expect("cleans");
    assert_eq!(done.owner, None);
    assert!(
        done.problems.iter().any(|p| p.contains("unreadable")),
        "{done:?}"
    );
    assert_eq!(done.removed, ["vb2scope_mem/vmalloc_put"]);
    assert!(!path.exists());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_buffer_size_is_a_note() {
    let dir = fake_tracefs();
    // Readable, never writable (even for root): as buffer_size_kb is with ENOMEM.
    let version = Path::new("/proc/version");
    if fs::read_to_string(version).is_err() {
        let _ = fs::remove_dir_all(&dir);
        return;
    }
    let _ = fs::remove_file(dir.join("buffer_size_kb"));
    std::os::unix::fs::symlink(version, dir.join("buffer_size_kb")).expect("symlink");
    let cap = KernelCapture::start(&opts(&dir)).expect("starts anyway");
    let notes = cap.notes().join("\n");
    assert!(
        notes.contains("ring buffer left at its size (write "),
        "{notes}"
    );
    assert_eq!(read(&dir, "trace_clock"), "mono\n");
    let out = cap.stop().expect("stops");
    assert!(not_undone(&out.notes).is_empty(), "{:?}", out.notes);
    assert_eq!(current_clock(&read(&dir, "trace_clock")), "local");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn old_values_are_read_back() {
    assert_eq!(current_clock("[local] global mono"), "local");
    assert_eq!(current_clock("local global [mono] boot\n"), "mono");
    assert_eq!(buffer_size("7 (expanded: 1408)\n"), "1408");
    assert_eq!(buffer_size("8192\n"), "8192");
}

#[test]
fn a_read_only_tracefs_asks_for_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fake_tracefs();
    let on = dir.join("tracing_on");
    let _ = fs::set_permissions(&on, fs::Permissions::from_mode(0o444));
    if OpenOptions::new().write(true).open(&on).is_ok() {
        // Running as root: permissions do not apply.
        let _ = fs::remove_dir_all(&dir);
        return;
    }
    let e = KernelCapture::start(&opts(&dir))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("needs root"), "{e}");
    assert_eq!(read(&dir, "trace_clock"), "[local] global counter mono\n");
    let _ = fs::remove_dir_all(&dir);
}

/// Before 5.16 the memops do not take the buffer, and the functions that name it may be
/// inlined (5.10's `__vb2_buf_mem_alloc` is, into `__vb2_queue_alloc`): the note says which
/// could be probed, never that a missing one does the naming.
#[test]
fn an_old_kernel_is_told_which_functions_name_the_buffer() {
    let dir = fake_tracefs();
    fs::write(
        dir.join("available_filter_functions"),
        "vb2_vmalloc_alloc [videobuf2_vmalloc]\n__prepare_userptr [videobuf2_common]\n\
         __prepare_dmabuf [videobuf2_common]\ndma_buf_get\n",
    )
    .expect("write");
    let o = CaptureOptions {
        release: Some("5.10.0-46-amd64".into()),
        ..opts(&dir)
    };
    let cap = KernelCapture::start(&o).expect("starts");
    let notes = cap.notes().join("\n");
    assert!(
        notes.contains(
            "Linux 5.10.0-46-amd64: the vb2 memops do not take the buffer; probes on \
             __prepare_userptr, __prepare_dmabuf name it"
        ),
        "{notes}"
    );
    assert!(
        notes.contains("skipped: no function __vb2_buf_mem_alloc"),
        "{notes}"
    );
    drop(cap);
    let _ = fs::remove_dir_all(&dir);
}
