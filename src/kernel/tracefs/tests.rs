//! A fake tracefs (plain files in a temporary directory): what `start`, `stop`, `Drop` and
//! `cleanup_stale` write, without a kernel.

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
    for d in ["events/vb2", "events/printk/console"] {
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

fn opts(dir: &Path) -> CaptureOptions {
    CaptureOptions {
        tracefs: Some(dir.to_path_buf()),
        kallsyms: dir.join("no-kallsyms"),
        save_to: Some(dir.join("saved.txt")),
        event_pids: vec![42, 43],
        ..CaptureOptions::default()
    }
}

#[test]
fn start_sets_up_and_stop_restores() {
    let dir = fake_tracefs();
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
    assert_eq!(read(&dir, "saved.txt").lines().count(), 3);
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
    drop(cap);
    let k = read(&dir, "kprobe_events");
    assert!(k.contains("-:vb2scope_mem/vmalloc_alloc\n"), "{k}");
    assert_eq!(read(&dir, "trace_clock"), "local\n");
    assert_eq!(read(&dir, "events/printk/console/enable"), "0\n");
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
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn cleanup_stale_removes_only_ours() {
    let dir = fake_tracefs();
    let removed = cleanup_stale(&dir).expect("cleans");
    assert_eq!(removed, ["vb2scope_mem/vmalloc_put"]);
    let k = read(&dir, "kprobe_events");
    assert!(!k.contains("-:other"), "{k}");
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
