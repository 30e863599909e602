//! Real-device tests against the vivid driver. They need a kernel with vivid loaded as
//! `tests/vm/vm.sh` sets it up (`n_devs=3 allocators=0,1,0 multiplanar=1,1,2`), so they are
//! ignored in a plain `cargo test`; `.ci/run` runs them inside a QEMU guest with
//! `cargo test --test real_device -- --ignored`.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use vb2scope_core::check::check_trace;
use vb2scope_core::policy::{Kernel, Policy};
use vb2scope_core::rules::RuleId;
use vb2scope_core::trace::{Body, IoctlCmd, OwnedEvent, Trace, TraceHeader};
use vb2scope_core::v4l2::{MemopKind, Memory, Origin};
use vb2scope_device::{self as device, DeviceError, DmabufSource, Session, StreamConfig};

const NEEDS: &str = "needs vivid: run through tests/vm/vm.sh (see .ci/run)";
/// Instance 0: videobuf2-vmalloc, single-planar.
const VMALLOC: &str = "vivid-000-vid-cap";
const VMALLOC_OUT: &str = "vivid-000-vid-out";
/// Instance 1: videobuf2-dma-contig, single-planar.
const DMA_CONTIG: &str = "vivid-001-vid-cap";
/// Instance 2: videobuf2-vmalloc, multi-planar API.
const MPLANE: &str = "vivid-002-vid-cap";

type Events = Arc<Mutex<Vec<OwnedEvent>>>;

const SYSTEM_HEAP: &str = "/dev/dma_heap/system";
const UDMABUF: &str = "/dev/udmabuf";

/// vb2 of the running kernel: what the device's results are checked against.
fn running() -> Policy {
    vb2scope_device::kernel_release()
        .as_deref()
        .and_then(Kernel::parse)
        .map_or(Policy::MODERN, Policy::for_kernel)
}

/// Says why a test, or part of one, does not run on this kernel.
fn skip(what: &str, why: &str) {
    let release = vb2scope_device::kernel_release().unwrap_or_default();
    eprintln!("SKIPPED {what}: {why} (Linux {release})");
}

/// A dma-buf source this kernel has: the system heap, else udmabuf (both from 5.x configs
/// on; Debian enables them from 6.12), else EXPBUF of vivid's output queue, which every
/// kernel has.
fn any_dmabuf_source() -> DmabufSource {
    if Path::new(SYSTEM_HEAP).exists() {
        DmabufSource::default()
    } else if Path::new(UDMABUF).exists() {
        DmabufSource::Udmabuf
    } else {
        DmabufSource::Export(device::resolve(VMALLOC_OUT).unwrap_or_else(|e| panic!("{e}")))
    }
}

/// The tests share vivid's nodes (one keeps a queue busy, one unbinds an instance), so they
/// run one at a time even without `--test-threads=1`.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static DEVICE: Mutex<()> = Mutex::new(());
    DEVICE.lock().unwrap_or_else(|p| p.into_inner())
}

fn session(dev: &str, source: DmabufSource) -> (Session, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let path = device::resolve(dev).unwrap_or_else(|e| panic!("{e}"));
    let s = Session::open(
        &path,
        false,
        source,
        Box::new(move |e| sink.lock().map(|mut v| v.push(e)).unwrap_or(())),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (s, events)
}

fn trace_of(events: &Events) -> Trace {
    let mut t = Trace::new(TraceHeader::default());
    for e in events.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        e.append_to(&mut t);
    }
    t
}

/// `cmd → result` for every ioctl, for messages and counts.
fn ioctls(t: &Trace) -> Vec<(IoctlCmd, String)> {
    t.events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl { cmd, result, .. } => {
                Some((cmd, vb2scope_core::v4l2::outcome_str(result)))
            }
            _ => None,
        })
        .collect()
}

fn count(t: &Trace, cmd: IoctlCmd) -> usize {
    ioctls(t)
        .iter()
        .filter(|(c, r)| *c == cmd && r == "ok")
        .count()
}

/// Checks a recorded trace under the running kernel's vb2: the kernel and the model must
/// agree on every result.
fn assert_model_agrees(t: &Trace, what: &str) {
    let r = check_trace(t, running());
    let bad: Vec<String> = r
        .findings
        .iter()
        .filter(|f| matches!(f.rule, RuleId::Diverge | RuleId::Expect))
        .map(|f| format!("{:?} event {}: {}", f.rule, f.event, f.message()))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: the device and the model of Linux {} disagree:\n{}\nioctls: {:?}",
        running(),
        bad.join("\n"),
        ioctls(t)
    );
}

fn stream(dev: &str, memory: Memory, source: DmabufSource, frames: u32, cycles: u32) -> Trace {
    let (mut s, events) = session(dev, source);
    let cfg = StreamConfig {
        queue: None,
        memory,
        buffers: 4,
        frames,
        cycles,
        fast: true,
    };
    let stats = device::stream(&mut s, &cfg, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{dev} {memory:?}: {e}"));
    assert_eq!(stats.frames, frames);
    drop(s);
    trace_of(&events)
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn devices_are_found_by_sysfs_name() {
    let _one = one_at_a_time();
    let _ = NEEDS;
    let list = device::list();
    let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
    for want in [VMALLOC, VMALLOC_OUT, DMA_CONTIG, MPLANE] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let cap = list
        .iter()
        .find(|d| d.name == VMALLOC)
        .and_then(|d| d.caps.as_ref().ok())
        .map(|c| c.driver.clone());
    assert_eq!(cap.as_deref(), Some("vivid"));
    let mem = device::queue_memory(&device::resolve(VMALLOC).unwrap_or_else(|e| panic!("{e}")));
    assert!(
        mem.iter()
            .any(|(_, m)| m.contains("mmap") && m.contains("userptr") && m.contains("dmabuf")),
        "{mem:?}"
    );
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn mmap_capture_with_streamoff_streamon_cycles() {
    let _one = one_at_a_time();
    let t = stream(VMALLOC, Memory::Mmap, DmabufSource::default(), 9, 3);
    assert_eq!(count(&t, IoctlCmd::Streamon), 3);
    assert_eq!(count(&t, IoctlCmd::Streamoff), 3);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 9);
    // 4 buffers queued per cycle plus one requeue per frame.
    assert_eq!(count(&t, IoctlCmd::Qbuf), 3 * 4 + 9);
    let maps = t
        .events
        .iter()
        .filter(|e| matches!(e.body, Body::Mmap { fd, .. } if fd >= 0))
        .count();
    let unmaps = t
        .events
        .iter()
        .filter(|e| matches!(e.body, Body::Munmap { .. }))
        .count();
    assert_eq!((maps, unmaps), (4, 4));
    assert!(t.events.iter().all(|e| e.origin() == Origin::Observed));
    assert_model_agrees(&t, "MMAP capture");
    // The session records its QUERYCAP and the node's sysfs name: the queue is named by it.
    assert_eq!(count(&t, IoctlCmd::Querycap), 1);
    assert_titled(
        &t,
        &[&format!(" · {VMALLOC} · capture · MMAP · ")],
        "MMAP capture",
    );
}

/// Every queue title of a recorded trace, each checked to contain one of `want`.
fn assert_titled(t: &Trace, want: &[&str], what: &str) {
    let tl = vb2scope_core::timeline::build(t, running());
    let titles: Vec<String> = tl.queue_info.keys().map(|&q| tl.queue_title(q)).collect();
    assert!(!titles.is_empty(), "{what}: no queue");
    for title in &titles {
        assert!(
            want.iter().any(|w| title.contains(w)),
            "{what}: {title:?} names none of {want:?}"
        );
    }
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn userptr_capture() {
    let _one = one_at_a_time();
    let t = stream(VMALLOC, Memory::Userptr, DmabufSource::default(), 6, 2);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 6);
    assert_model_agrees(&t, "USERPTR capture");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn dmabuf_capture_from_the_system_heap() {
    let _one = one_at_a_time();
    if !Path::new(SYSTEM_HEAP).exists() {
        return skip("DMABUF capture from the system heap", "no dma-heaps");
    }
    let t = stream(VMALLOC, Memory::Dmabuf, DmabufSource::default(), 6, 2);
    let fds = |want: fn(&Body) -> Option<i32>| {
        t.events
            .iter()
            .filter_map(|e| want(&e.body))
            .collect::<Vec<i32>>()
    };
    let heap = fds(|b| match *b {
        Body::Dmabuf { fd, .. } => Some(fd),
        _ => None,
    });
    assert_eq!(
        heap.len(),
        4,
        "one dma-buf per buffer, reused across requeues and cycles"
    );
    // Every dma-buf the session made is closed in the trace (after REQBUFS(0)).
    let closed = fds(|b| match *b {
        Body::Close { fd } => Some(fd),
        _ => None,
    });
    assert!(
        heap.iter().all(|fd| closed.contains(fd)),
        "{heap:?} {closed:?}"
    );
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 6);
    assert_model_agrees(&t, "DMABUF capture from /dev/dma_heap/system");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn dmabuf_capture_exported_from_the_output_queue() {
    let _one = one_at_a_time();
    let out = device::resolve(VMALLOC_OUT).unwrap_or_else(|e| panic!("{e}"));
    let t = stream(VMALLOC, Memory::Dmabuf, DmabufSource::Export(out), 6, 1);
    assert_eq!(count(&t, IoctlCmd::Expbuf), 4);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 6);
    assert_model_agrees(&t, "DMABUF capture from EXPBUF of vivid's output");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn multiplanar_mmap_capture() {
    let _one = one_at_a_time();
    let t = stream(MPLANE, Memory::Mmap, DmabufSource::default(), 4, 1);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 4);
    assert_model_agrees(&t, "multi-planar MMAP capture");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn dma_contig_refuses_userptr_and_scattered_dmabufs() {
    let _one = one_at_a_time();
    // vivid on dma-contig offers no USERPTR: a clear error, not a crash.
    let (mut s, _) = session(DMA_CONTIG, DmabufSource::default());
    let cfg = StreamConfig {
        queue: None,
        memory: Memory::Userptr,
        buffers: 2,
        frames: 1,
        cycles: 1,
        fast: false,
    };
    let e = device::stream(&mut s, &cfg, &AtomicBool::new(false)).err();
    assert!(matches!(e, Some(DeviceError::NoMemory { .. })), "{e:?}");
    drop(s);
    if !Path::new(UDMABUF).exists() {
        return skip("a udmabuf on dma-contig", "no udmabuf");
    }
    // udmabuf pages are not contiguous: vb2_dc_map_dmabuf refuses them at QBUF (EFAULT).
    let (mut s, events) = session(DMA_CONTIG, DmabufSource::Udmabuf);
    assert_eq!(s.reqbufs(1, Memory::Dmabuf).ok(), Some(Ok(())));
    let r = s
        .qbuf(0, &[device::PlaneMem::Auto])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.is_err(),
        "QBUF of a scattered dma-buf on dma-contig: {r:?}"
    );
    drop(s);
    let t = trace_of(&events);
    assert!(
        ioctls(&t)
            .iter()
            .any(|(c, r)| *c == IoctlCmd::Qbuf && r != "ok")
    );
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_second_process_gets_ebusy() {
    let _one = one_at_a_time();
    let (mut a, _) = session(VMALLOC, DmabufSource::default());
    assert_eq!(a.reqbufs(2, Memory::Mmap).ok(), Some(Ok(())));
    let (mut b, _) = session(VMALLOC, DmabufSource::default());
    let cfg = StreamConfig {
        queue: None,
        memory: Memory::Mmap,
        buffers: 2,
        frames: 1,
        cycles: 1,
        fast: false,
    };
    let e = device::stream(&mut b, &cfg, &AtomicBool::new(false)).err();
    assert!(matches!(e, Some(DeviceError::Busy { .. })), "{e:?}");
}

/// The scenarios of traces/ that a real device can play: those whose `driver` lines only
/// complete buffers, which vivid does by itself. Left out: driver-keeps-buffers-on-stop,
/// min-queued-buffers and start-streaming-fails, which need a driver that misbehaves, and
/// mplane-dmabuf-reacquire, which needs two 307200-byte planes where vivid's multi-planar
/// default format has one plane of 460800 bytes (its QBUFs fail and nothing streams).
const RUNNABLE: &[(&str, &str)] = &[
    ("2012-report", VMALLOC),
    ("clean-session", VMALLOC),
    ("dmabuf-reassociation", VMALLOC),
    ("dqbuf-not-streaming", VMALLOC),
    ("non-owner-access", VMALLOC),
    ("qbuf-queued-buffer", VMALLOC),
    ("remove-bufs-queued", VMALLOC),
    ("reqbufs0-with-mmapped-buffers", VMALLOC),
    ("streamoff-without-streamon", VMALLOC),
    ("userptr-freed-while-queued", VMALLOC),
    ("userptr-pin-after-streamoff", VMALLOC),
];

/// The most buffers queued at once in a recorded trace (the session is single-queue).
fn most_queued(t: &Trace) -> usize {
    let (mut now, mut most) = (0usize, 0usize);
    for (cmd, r) in ioctls(t) {
        match (cmd, r.as_str()) {
            (IoctlCmd::Qbuf, "ok") => now += 1,
            (IoctlCmd::Dqbuf, "ok") => now = now.saturating_sub(1),
            (IoctlCmd::Streamoff | IoctlCmd::Reqbufs, "ok") => now = 0,
            _ => {}
        }
        most = most.max(now);
    }
    most
}

/// vivid's start threshold: before 5.16 it sets `min_buffers_needed = 2` on its capture and
/// output queues, so start_streaming waits for a second queued buffer; from 5.16 it is 0
/// unless requests are off (b72dd0f390aa).
fn vivid_starts_at(k: Policy) -> usize {
    match k.kernel() {
        Some(k) if !k.at_least(5, 16) => 2,
        _ => 1,
    }
}

/// The `expect` lines a scenario fails on the model alone under `policy`: those are the
/// scenario's own policy dependence (REMOVE_BUFS is ENOTTY before 6.10), not a device's.
fn expects_failing_on_the_model(sc: &vb2scope_core::scenario::Scenario, policy: Policy) -> usize {
    vb2scope_core::scenario::run(sc, policy).map_or(0, |t| {
        check_trace(&t, policy)
            .findings
            .iter()
            .filter(|f| f.rule == RuleId::Expect)
            .count()
    })
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn every_runnable_scenario_holds_on_vivid() {
    let _one = one_at_a_time();
    let policy = running();
    let mut failures = Vec::new();
    for (name, dev) in RUNNABLE {
        let file = format!("traces/{name}.vb2s");
        let text =
            std::fs::read_to_string(Path::new(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let sc = vb2scope_core::scenario::parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        let (mut s, events) = session(dev, any_dmabuf_source());
        let rep = device::run_scenario(&mut s, &sc, &AtomicBool::new(false));
        drop(s);
        let t = trace_of(&events);
        match rep {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(rep) if !rep.timed_out.is_empty() => {
                if most_queued(&t) < vivid_starts_at(policy) {
                    skip(
                        name,
                        "vivid starts streaming at 2 queued buffers and the scenario queues one",
                    );
                } else {
                    failures.push(format!("{name}: DQBUF timed out at {:?}", rep.timed_out))
                }
            }
            Ok(_) => {
                let r = check_trace(&t, policy);
                let diverge = r.findings.iter().filter(|f| f.rule == RuleId::Diverge);
                let expects: Vec<_> = r
                    .findings
                    .iter()
                    .filter(|f| f.rule == RuleId::Expect)
                    .collect();
                let allowed = expects_failing_on_the_model(&sc, policy);
                let extra = if expects.len() > allowed {
                    expects.clone()
                } else {
                    Vec::new()
                };
                for f in diverge.chain(extra) {
                    failures.push(format!(
                        "{name}: {:?} at event {}: {}",
                        f.rule,
                        f.event,
                        f.message()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "under Linux {policy}:\n{}",
        failures.join("\n")
    );
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn reqbufs0_with_mapped_buffers_orphans_them() {
    let _one = one_at_a_time();
    let (mut s, events) = session(VMALLOC, DmabufSource::default());
    assert_eq!(s.reqbufs(2, Memory::Mmap).ok(), Some(Ok(())));
    s.mmap(0, 0).unwrap_or_else(|e| panic!("{e}"));
    s.mmap(1, 0).unwrap_or_else(|e| panic!("{e}"));
    // Since Linux 5.0 vb2 frees the queue and leaves the mapped memory orphaned.
    assert_eq!(s.reqbufs(0, Memory::Mmap).ok(), Some(Ok(())));
    s.munmap_all();
    drop(s);
    let t = trace_of(&events);
    assert_model_agrees(&t, "REQBUFS(0) with mapped buffers");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn the_cli_records_and_checks() {
    let _one = one_at_a_time();
    let dir = std::env::temp_dir().join(format!("vb2scope-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("rec.jsonl");
    let bin = env!("CARGO_BIN_EXE_vb2scope");
    let st = std::process::Command::new(bin)
        .args([
            "record", "--device", VMALLOC, "--memory", "mmap", "--frames", "4", "--cycles", "2",
            "-o",
        ])
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success());
    let st = std::process::Command::new(bin)
        .arg("check")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.code(), Some(0));
    // Not a V4L2 device, and no such device: exit 2 with a message.
    for dev in ["/dev/null", "no-such-device"] {
        let o = std::process::Command::new(bin)
            .args(["record", "--device", dev, "-o"])
            .arg(dir.join("bad.jsonl"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.status.code(), Some(2), "{dev}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("vb2scope: error:"));
    }
    let o = std::process::Command::new(bin)
        .arg("devices")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&o.stdout).contains(VMALLOC));
}

fn lifecycle(k: MemopKind) -> bool {
    !matches!(
        k,
        MemopKind::Prepare
            | MemopKind::Finish
            | MemopKind::GetDmabuf
            | MemopKind::Mmap
            | MemopKind::DmabufGet
            | MemopKind::DmabufPut
    )
}

/// The observed lifecycle memops, each under the userspace call it happened in.
fn observed_memops(t: &Trace) -> Vec<String> {
    let mut out = Vec::new();
    let mut call = String::from("(start)");
    for (i, e) in t.events.iter().enumerate() {
        match e.body {
            Body::Ioctl { cmd, .. } => call = format!("#{i} {}", cmd.name()),
            Body::Close { fd } => call = format!("#{i} close({fd})"),
            Body::Munmap { .. } => call = format!("#{i} munmap"),
            Body::Memop {
                kind, index, plane, ..
            } if e.origin() == Origin::Observed && lifecycle(kind) => {
                out.push(format!("{call}: {} {index}/{plane}", kind.as_str()))
            }
            _ => {}
        }
    }
    out
}

/// What the model of the running kernel predicts for the same calls.
fn predicted_memops(t: &Trace) -> Vec<String> {
    let mut out = Vec::new();
    vb2scope_core::check::replay(t, running(), |i, m| {
        let call = match t.events.get(i).map(|e| e.body) {
            Some(Body::Ioctl { cmd, .. }) => format!("#{i} {}", cmd.name()),
            Some(Body::Close { fd }) => format!("#{i} close({fd})"),
            Some(Body::Munmap { .. }) => format!("#{i} munmap"),
            _ => return,
        };
        for fx in &m.fx.items {
            if let vb2scope_core::model::Effect::Memop(r) = fx
                && lifecycle(r.kind)
            {
                out.push(format!(
                    "{call}: {} {}/{}",
                    r.kind.as_str(),
                    r.index,
                    r.plane
                ));
            }
        }
    });
    out
}

fn kernel_traced(args: &[&str], what: &str) {
    let dir = std::env::temp_dir().join(format!("vb2scope-kt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join(format!("{}.jsonl", what.replace(' ', "-")));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vb2scope"))
        .args(args)
        .arg("--kernel-trace")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.code().is_some_and(|c| c < 2), "{what}: {err}");
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_kernel_agrees(&t, what, &err);
}

/// The kernel's memops (a `--kernel-trace` recording) are the model's, and tracefs is left
/// as it was.
fn assert_kernel_agrees(t: &Trace, what: &str, err: &str) {
    let r = check_trace(t, running());
    let st = r.stats;
    let observed = observed_memops(t);
    let predicted = predicted_memops(t);
    let ok = st.observed_memops > 0
        && st.memops_unpredicted == 0
        && st.memops_missing == 0
        && st.divergences == 0;
    assert!(
        ok,
        "{what}: the kernel and the model of its vb2 disagree ({st:?})\nobserved:\n  {}\npredicted:\n  {}\nfindings: {:?}\n{err}",
        observed.join("\n  "),
        predicted.join("\n  "),
        r.findings.iter().map(|f| f.message()).collect::<Vec<_>>()
    );
    // tracefs is as it was: no kprobes of ours, the boot clock, events off, no state file.
    let read =
        |f: &str| std::fs::read_to_string(format!("/sys/kernel/tracing/{f}")).unwrap_or_default();
    assert!(
        !read("kprobe_events").contains("vb2scope_"),
        "{}",
        read("kprobe_events")
    );
    assert!(
        read("trace_clock").contains("[local]"),
        "{}",
        read("trace_clock")
    );
    assert_eq!(read("events/vb2/enable").trim(), "0");
    assert_eq!(read("events/v4l2/enable").trim(), "0");
    assert!(!Path::new("/run/vb2scope/tracefs-state.json").exists());
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn kernel_traced_memops_match_the_model_of_the_running_kernel() {
    let _one = one_at_a_time();
    kernel_traced(
        &[
            "record", "--device", VMALLOC, "--memory", "mmap", "--frames", "4", "--cycles", "2",
        ],
        "mmap",
    );
    kernel_traced(
        &[
            "record", "--device", VMALLOC, "--memory", "userptr", "--frames", "4", "--cycles", "2",
        ],
        "userptr",
    );
    if Path::new(SYSTEM_HEAP).exists() {
        kernel_traced(
            &[
                "record", "--device", VMALLOC, "--memory", "dmabuf", "--frames", "4", "--cycles",
                "2",
            ],
            "dmabuf heap",
        );
    } else {
        skip("kernel-traced DMABUF from the system heap", "no dma-heaps");
    }
    kernel_traced(
        &[
            "record",
            "--device",
            VMALLOC,
            "--memory",
            "dmabuf",
            "--dmabuf-from",
            VMALLOC_OUT,
            "--frames",
            "4",
        ],
        "dmabuf expbuf",
    );
    kernel_traced(
        &["run", "traces/clean-session.vb2s", "--device", VMALLOC],
        "clean session",
    );
    // Its dma-bufs from whatever this kernel has (vivid's output queue at least).
    let from = match any_dmabuf_source() {
        DmabufSource::Heap(_) => "heap".to_owned(),
        DmabufSource::Udmabuf => "udmabuf".to_owned(),
        DmabufSource::Export(_) => VMALLOC_OUT.to_owned(),
    };
    kernel_traced(
        &[
            "run",
            "traces/dmabuf-reassociation.vb2s",
            "--device",
            VMALLOC,
            "--dmabuf-from",
            &from,
        ],
        "dmabuf reassociation",
    );
    kernel_traced(
        &[
            "run",
            "traces/userptr-pin-after-streamoff.vb2s",
            "--device",
            VMALLOC,
        ],
        "userptr after streamoff",
    );
    kernel_traced(
        &[
            "run",
            "traces/reqbufs0-with-mmapped-buffers.vb2s",
            "--device",
            VMALLOC,
        ],
        "reqbufs0 mapped",
    );
}

fn cli() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_vb2scope"))
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vb2scope-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir.join(name)
}

/// Exit 2, a message naming the problem, and the trace so far kept and readable; returns the
/// message.
fn refused(args: &[&str], out: &Path, want: &str) -> String {
    let o = cli()
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
    let bytes = std::fs::read(out).unwrap_or_else(|e| panic!("{e}"));
    let (_, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    err.into_owned()
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn bad_devices_are_refused_with_exit_2() {
    let _one = one_at_a_time();
    let out = temp("bad.jsonl");
    refused(
        &["record", "--device", "/dev/null"],
        &out,
        "is not a V4L2 device",
    );
    refused(
        &["record", "--device", "no-such-device"],
        &out,
        "no such path, and no /sys/class/video4linux/*/name matches",
    );
    refused(
        &["record", "--device", VMALLOC, "--queue", "output"],
        &out,
        "has no VIDEO_OUTPUT queue",
    );
    refused(
        &["record", "--device", DMA_CONTIG, "--memory", "userptr"],
        &out,
        "does not support USERPTR",
    );
    // Regression: a scenario line the device cannot carry out printed the device's error
    // twice. It names the line, once.
    let sc = temp("dmabuf.vb2s");
    std::fs::write(&sc, "reqbufs 1 dmabuf\ndmabuf a 1048576\n").unwrap_or_else(|e| panic!("{e}"));
    let sc = sc.display().to_string();
    let heap = "/dev/dma_heap/none";
    let args = ["run", &sc, "--device", VMALLOC, "--dmabuf-from", heap];
    let err = refused(&args, &out, "dmabuf.vb2s:2: no dma-buf source");
    assert_eq!(err.matches("no dma-buf source").count(), 1, "{err}");
    // Busy: this process owns the queue's buffers.
    let (mut owner, _) = session(VMALLOC, DmabufSource::default());
    assert_eq!(owner.reqbufs(2, Memory::Mmap).ok(), Some(Ok(())));
    refused(&["record", "--device", VMALLOC], &out, "is busy");
    drop(owner);
    // Permission denied: an unprivileged user on a root-only node.
    let o = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_vb2scope"),
            "record",
            "--device",
            "/dev/video0",
            "-o",
        ])
        .arg(std::env::temp_dir().join(format!("vb2scope-perm-{}.jsonl", std::process::id())))
        .output();
    if let Ok(o) = o {
        let err = String::from_utf8_lossy(&o.stderr);
        // The output file itself may be unwritable for that user: either message is a refusal.
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("permission denied") || err.contains("cannot write"),
            "{err}"
        );
    }
}

/// Starts a long recording and returns it with its output path.
fn long_recording(name: &str) -> (std::process::Child, std::path::PathBuf) {
    let out = temp(name);
    let child = cli()
        .args(["record", "--device", VMALLOC, "--frames", "100000", "-o"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait until frames are flowing: the file grows past its first flush.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) < 20_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the recording never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, out)
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn ctrl_c_ends_a_recording_cleanly() {
    let _one = one_at_a_time();
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let (child, out) = long_recording("ctrlc.jsonl");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap_or_else(|e| panic!("{e}"));
    let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("stopped early"), "{err}");
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    // Complete: streamed, stopped, freed and closed.
    let calls = ioctls(&t);
    assert!(calls.iter().any(|(c, _)| *c == IoctlCmd::Streamoff));
    assert!(
        matches!(calls.last(), Some((IoctlCmd::Reqbufs, r)) if r == "ok"),
        "{:?}",
        calls.last()
    );
    assert!(matches!(
        t.events.last().map(|e| e.body),
        Some(Body::Close { .. })
    ));
    assert_model_agrees(&t, "a recording ended by Ctrl-C");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_killed_recording_keeps_what_was_flushed() {
    let _one = one_at_a_time();
    let (mut child, out) = long_recording("killed.jsonl");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    let _ = child.wait();
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    // At most the last line is cut short.
    assert!(diags.len() <= 1, "{diags:?}");
    assert!(count(&t, IoctlCmd::Dqbuf) > 0);
    assert_model_agrees(&t, "a killed recording");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn output_and_multiplanar_dmabuf_streaming() {
    let _one = one_at_a_time();
    let t = stream(VMALLOC_OUT, Memory::Mmap, DmabufSource::default(), 4, 2);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 4);
    assert!(
        ioctls(&t).iter().all(|(_, r)| r == "ok"),
        "{:?}",
        ioctls(&t)
    );
    assert_model_agrees(&t, "MMAP output");
    let t = stream(MPLANE, Memory::Dmabuf, any_dmabuf_source(), 4, 1);
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 4);
    assert_model_agrees(&t, "multi-planar DMABUF capture");
}

/// The platform device behind a vivid instance, for unbinding it under a session.
const VIVID0: &str = "vivid.0";

/// A Live session on vivid's vmalloc capture node.
fn live_on_vmalloc(memory: Memory, buffers: u32) -> vb2scope_device::Live {
    vb2scope_device::Live::start(vb2scope_device::LiveConfig {
        device: VMALLOC.into(),
        queue: None,
        memory,
        buffers,
        source: DmabufSource::default(),
    })
}

fn vivid_bind(op: &str) {
    std::fs::write(format!("/sys/bus/platform/drivers/vivid/{op}"), VIVID0)
        .unwrap_or_else(|e| panic!("{op} {VIVID0}: {e}"));
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_live_session_survives_its_device_going_away() {
    let _one = one_at_a_time();
    use std::time::{Duration, Instant};
    use vb2scope_device::{LiveOp, Update};
    let live = live_on_vmalloc(Memory::Mmap, 4);
    live.send(LiveOp::StartStreaming);
    let mut events = Vec::new();
    let mut ended = None;
    let mut unbound = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    while ended.is_none() && Instant::now() < deadline {
        match live.updates().recv_timeout(Duration::from_millis(200)) {
            Ok(Update::Event(e)) => events.push(e),
            Ok(Update::Ended(why)) => ended = Some(why),
            Ok(Update::Error(e)) => eprintln!("live session error: {e}"),
            Ok(_) | Err(_) => {}
        }
        let dqbufs = events
            .iter()
            .filter(|e| {
                matches!(
                    e.event.body,
                    Body::Ioctl {
                        cmd: IoctlCmd::Dqbuf,
                        result: Ok(()),
                        ..
                    }
                )
            })
            .count();
        if !unbound && dqbufs >= 5 {
            // The driver goes away under the open session, as on a USB unplug.
            vivid_bind("unbind");
            unbound = true;
        }
    }
    if unbound {
        vivid_bind("bind");
    }
    assert!(unbound, "streaming never delivered 5 buffers");
    let why = ended.unwrap_or_else(|| panic!("the session did not end"));
    assert!(why.contains("went away"), "{why}");
    let mut t = Trace::new(TraceHeader::default());
    for e in &events {
        e.append_to(&mut t);
    }
    assert!(count(&t, IoctlCmd::Dqbuf) >= 5);
    // Nothing after the driver went is a success: the session stopped there.
    // The devices come back for the other tests.
    let deadline = Instant::now() + Duration::from_secs(30);
    while device::resolve(VMALLOC).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `dqbuf nonblock` on a blocking handle, streaming with nothing queued since STREAMON,
/// where vb2 answers EPOLLERR to poll() and a blocking DQBUF would wait forever.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn nonblocking_dqbuf_on_a_blocking_handle_never_blocks() {
    let _one = one_at_a_time();
    let (mut s, events) = session(VMALLOC, DmabufSource::default());
    assert_eq!(s.reqbufs(2, Memory::Mmap).ok(), Some(Ok(())));
    assert_eq!(s.streamon().ok(), Some(Ok(())));
    let t0 = std::time::Instant::now();
    let (r, _) = s.dqbuf(true, 5000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r, Err(vb2scope_core::v4l2::Errno::EAGAIN));
    assert!(t0.elapsed() < std::time::Duration::from_secs(3));
    // And the handle is blocking again: a blocking DQBUF now waits and is interrupted.
    let (r, _) = s.dqbuf(false, 500).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r, Err(vb2scope_core::v4l2::Errno::ETIMEDOUT));
    drop(s);
    let t = trace_of(&events);
    let nb: Vec<bool> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Dqbuf,
                arg,
                ..
            } => match t.arg(arg) {
                Some(vb2scope_core::trace::IoctlArg::Buffer(b)) => Some(b.nonblock),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(nb, vec![true, false]);
    // The model agrees with the EAGAIN; the EINTR is the watchdog's doing.
    let r = check_trace(&t, running());
    let diverge: Vec<u32> = r
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::Diverge)
        .map(|f| f.event)
        .collect();
    let eintr = t.events.iter().rposition(|e| {
        matches!(
            e.body,
            Body::Ioctl {
                cmd: IoctlCmd::Dqbuf,
                ..
            }
        )
    });
    assert!(
        diverge.iter().all(|&e| Some(e as usize) == eintr),
        "{diverge:?}"
    );
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn live_streaming_after_freeing_allocates_again() {
    let _one = one_at_a_time();
    use std::time::{Duration, Instant};
    use vb2scope_device::{LiveOp, Update};
    let live = live_on_vmalloc(Memory::Userptr, 3);
    live.send(LiveOp::Reqbufs(3));
    live.send(LiveOp::Reqbufs(0));
    live.send(LiveOp::StartStreaming);
    let mut events = Vec::new();
    let mut results = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match live.updates().recv_timeout(Duration::from_millis(200)) {
            Ok(Update::Event(e)) => events.push(e),
            Ok(Update::Result { op, outcome }) => results.push((op, outcome)),
            Ok(Update::Error(e)) => panic!("{e}"),
            Ok(Update::Ended(why)) => panic!("ended: {why}"),
            _ => {}
        }
        let mut t = Trace::new(TraceHeader::default());
        for e in &events {
            e.append_to(&mut t);
        }
        if count(&t, IoctlCmd::Dqbuf) >= 4 {
            break;
        }
    }
    assert!(
        results.contains(&(LiveOp::StartStreaming, "ok".into())),
        "{results:?}"
    );
    live.send(LiveOp::StopStreaming);
    live.send(LiveOp::Close);
    while let Ok(u) = live.updates().recv_timeout(Duration::from_secs(10)) {
        match u {
            Update::Event(e) => events.push(e),
            Update::Ended(_) => break,
            _ => {}
        }
    }
    let mut t = Trace::new(TraceHeader::default());
    for e in &events {
        e.append_to(&mut t);
    }
    assert!(count(&t, IoctlCmd::Dqbuf) >= 4, "{:?}", ioctls(&t));
    // Three buffers again, not zero; their user memory unmapped at the end, all recorded.
    let reqbufs: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Reqbufs,
                arg,
                ..
            } => match t.arg(arg) {
                Some(vb2scope_core::trace::IoctlArg::Alloc { count, .. }) => Some(*count),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(reqbufs, vec![3, 0, 3]);
    let maps = t
        .events
        .iter()
        .filter(|e| matches!(e.body, Body::Mmap { fd: -1, .. }))
        .count();
    let unmaps = t
        .events
        .iter()
        .filter(|e| matches!(e.body, Body::Munmap { .. }))
        .count();
    assert_eq!(maps, unmaps, "every user area is unmapped in the trace");
    assert_model_agrees(&t, "live USERPTR streaming");
}

/// The editor's Run on device: a lesson played on vivid into a trace in memory
/// (`scenario_trace`), then compared with the model's run of the same text as the window
/// compares them. The kernel answers every call as the model predicts; what may differ is
/// which buffer vivid completes and how (the scenario's `driver` lines are the model's).
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_lesson_run_on_vivid_compares_with_the_models_run() {
    let _one = one_at_a_time();
    let file = "traces/lessons/01-buffer-states.vb2s";
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let sc = vb2scope_core::scenario::parse(file, &text).unwrap_or_else(|e| panic!("{e}"));
    let (t, rep) =
        device::scenario_trace(VMALLOC, &sc, any_dmabuf_source(), &AtomicBool::new(false))
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(rep.timed_out.is_empty(), "{rep:?}");
    assert!(
        !rep.skipped_driver_lines.is_empty(),
        "the driver lines are the model's"
    );
    assert!(count(&t, IoctlCmd::Reqbufs) >= 1, "{:?}", ioctls(&t));
    assert_model_agrees(&t, "a lesson run through scenario_trace");
    let policy = running();
    let model = vb2scope_core::scenario::run(&sc, policy).unwrap_or_else(|e| panic!("{e}"));
    let digest = |t: &Trace| {
        let r = check_trace(t, policy);
        vb2scope_core::diff::digest(t, policy, &r)
    };
    let c = vb2scope_core::diff::compare(&digest(&model), &digest(&t));
    // REQBUFS, three QBUF, STREAMON, DQBUF, STREAMOFF on both; the device run also closes
    // its handle at the end, which the scenario leaves open.
    assert!(c.calls_compared >= 7, "{c:?}");
    for d in &c.differences {
        let op = d.a.as_ref().or(d.b.as_ref()).map_or("", |s| s.op.as_str());
        let results = d.aspects.contains(&vb2scope_core::diff::Aspect::Result);
        assert!(
            !results || op.starts_with("VIDIOC_DQBUF"),
            "{op}: the model and vivid answer differently: {d:?}"
        );
    }
}

/// The Live panel's Run scenario plays a scenario file on the open session, the same player
/// as `run --device`: the calls are the device's, and the expects hold.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn live_plays_a_scenario_file() {
    let _one = one_at_a_time();
    use std::time::{Duration, Instant};
    use vb2scope_device::{LiveOp, Update};
    let live = live_on_vmalloc(Memory::Mmap, 4);
    let file = "traces/clean-session.vb2s".to_string();
    live.send(LiveOp::RunScenario(file.clone()));
    live.send(LiveOp::Close);
    let mut events = Vec::new();
    let mut outcome = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match live.updates().recv_timeout(Duration::from_millis(200)) {
            Ok(Update::Event(e)) => events.push(e),
            Ok(Update::Result { op, outcome: o }) if op == LiveOp::RunScenario(file.clone()) => {
                outcome = Some(o)
            }
            Ok(Update::Error(e)) => panic!("{e}"),
            Ok(Update::Ended(_)) => break,
            _ => {}
        }
    }
    let outcome = outcome.expect("the scenario's result");
    assert!(outcome.starts_with("ran "), "{outcome}");
    let mut t = Trace::new(TraceHeader::default());
    for e in &events {
        e.append_to(&mut t);
    }
    assert_eq!(count(&t, IoctlCmd::Dqbuf), 3, "{:?}", ioctls(&t));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.body, Body::Expect { .. }))
    );
    assert_model_agrees(&t, "a scenario played from the Live panel");
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn prepare_buf_create_bufs_and_querybuf() {
    let _one = one_at_a_time();
    let (mut s, events) = session(VMALLOC, DmabufSource::default());
    let ok =
        |r: Result<vb2scope_core::v4l2::Outcome, DeviceError>| r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok(s.reqbufs(2, Memory::Userptr)), Ok(()));
    assert_eq!(ok(s.create_bufs(1)), Ok(()));
    assert_eq!(s.queue_info(s.queue()).1, 3);
    assert_eq!(ok(s.prepare_buf(2, &[device::PlaneMem::Auto])), Ok(()));
    // A prepared buffer cannot be prepared again; it can be queued.
    assert!(ok(s.prepare_buf(2, &[device::PlaneMem::Auto])).is_err());
    assert_eq!(ok(s.qbuf(2, &[device::PlaneMem::Auto])), Ok(()));
    assert_eq!(ok(s.querybuf(2)), Ok(()));
    assert!(ok(s.querybuf(7)).is_err(), "no buffer 7");
    drop(s);
    let t = trace_of(&events);
    assert_model_agrees(&t, "PREPARE_BUF, CREATE_BUFS and QUERYBUF");
}

/// A program recorded with `vb2scope record -- …`: its exit status and its trace.
fn record_program(name: &str, args: &[&str]) -> (Option<i32>, Trace) {
    let with: Vec<&str> = ["--"].into_iter().chain(args.iter().copied()).collect();
    record_program_with(name, &with)
}

/// The node of a vivid device by its sysfs name, as a path.
fn node(name: &str) -> String {
    device::resolve(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .display()
        .to_string()
}

/// `vb2scope record -o TRACE ARGS…` (options, then `--` and the program).
fn record_program_with(name: &str, args: &[&str]) -> (Option<i32>, Trace) {
    let dir = std::env::temp_dir().join(format!("vb2scope-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join(format!("{name}.jsonl"));
    let o = cli()
        .arg("record")
        .arg("-o")
        .arg(&out)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{name}: {err}");
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            o.status.signal().is_none(),
            "{name}: vb2scope was killed by signal {:?}: {err}",
            o.status.signal()
        );
    }
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{name}: {diags:?}");
    (o.status.code(), t)
}

/// What a recorded program's trace must be: its buffer calls there, every DMABUF fd known
/// (what strace cannot show), and nothing worse than information under `auto`.
fn assert_recorded_well(name: &str, t: &Trace) {
    assert!(count(t, IoctlCmd::Qbuf) > 0, "{name}: no QBUF recorded");
    assert!(count(t, IoctlCmd::Dqbuf) > 0, "{name}: no DQBUF recorded");
    for e in &t.events {
        if let Body::Ioctl { arg, .. } = e.body
            && let Some(vb2scope_core::trace::IoctlArg::Buffer(b)) = t.arg(arg)
            && b.memory == Some(Memory::Dmabuf)
        {
            let planes = t.planes_of(b);
            let known = if planes.is_empty() {
                b.m_known
            } else {
                planes.iter().all(|p| p.m_known)
            };
            assert!(known, "{name}: a DMABUF fd is unknown at event {e:?}");
        }
    }
    let chosen = vb2scope_core::check::choose_policy(t);
    // Every dma-buf a plane was tied to is known by its inode: one identity across fds.
    let tl = vb2scope_core::timeline::build(t, chosen.policy);
    for l in &tl.lanes {
        for p in &l.planes {
            for s in &p.assoc {
                if let vb2scope_core::timeline::Assoc::Dmabuf { id, .. } = s.value {
                    let d = tl.dmabuf(id);
                    assert!(
                        d.is_some_and(|d| d.ino.is_some() && d.size.is_some()),
                        "{name}: {} #{} tied to a dma-buf of unknown identity: {d:?}",
                        l.queue,
                        l.index
                    );
                }
            }
        }
    }
    let report = check_trace(t, chosen.policy);
    let worst = report.worst();
    assert!(
        worst <= Some(vb2scope_core::rules::Severity::Info),
        "{name} under {}: {:?}",
        chosen.policy,
        report.findings
    );
}

fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn recorded_programs_are_decoded_and_check_clean() {
    let _one = one_at_a_time();
    let (cap, out) = (node(VMALLOC), node(VMALLOC_OUT));
    let mut runs: Vec<(&str, Vec<String>)> = Vec::new();
    let v = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["v4l2-ctl".to_string(), "-d".into(), cap.clone()];
        a.extend(args.iter().map(|s| s.to_string()));
        a.push("--stream-count=12".into());
        a
    };
    if have("v4l2-ctl") {
        runs.push(("v4l2-ctl-mmap", v(&["--stream-mmap"])));
        runs.push(("v4l2-ctl-user", v(&["--stream-user"])));
        runs.push((
            "v4l2-ctl-dmabuf",
            v(&["-e", &out, "--stream-dmabuf", "--stream-out-mmap"]),
        ));
    } else {
        skip("v4l2-ctl under the recorder", "v4l2-ctl is not installed");
    }
    if have("gst-launch-1.0") {
        // io-mode=userptr is left out: v4l2src fails it on vivid untraced too (not-negotiated).
        for mode in ["mmap", "dmabuf"] {
            let name = if mode == "mmap" {
                "gst-mmap"
            } else {
                "gst-dmabuf"
            };
            let pipeline = format!(
                "gst-launch-1.0 -q v4l2src device={cap} io-mode={mode} num-buffers=12 ! fakesink"
            );
            runs.push((name, pipeline.split(' ').map(str::to_string).collect()));
        }
        // Zero-copy: the capture's buffers, exported, are the output's imported buffers.
        let pipeline = format!(
            "gst-launch-1.0 -q v4l2src device={cap} io-mode=dmabuf num-buffers=20 ! \
             video/x-raw,format=YUY2,width=640,height=480,interlace-mode=progressive ! \
             v4l2sink device={out} io-mode=dmabuf-import"
        );
        runs.push((
            "gst-zero-copy",
            pipeline.split_whitespace().map(str::to_string).collect(),
        ));
    } else {
        skip(
            "GStreamer under the recorder",
            "gst-launch-1.0 is not installed",
        );
    }
    if have("ffmpeg") {
        let cmd =
            format!("ffmpeg -nostdin -loglevel error -f v4l2 -i {cap} -frames:v 12 -f null -");
        runs.push(("ffmpeg", cmd.split(' ').map(str::to_string).collect()));
    } else {
        skip("FFmpeg under the recorder", "ffmpeg is not installed");
    }
    for (name, args) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if *name == "gst-zero-copy" {
            same_formats(&cap, &out);
        }
        let (status, t) = record_program(name, &args);
        assert_eq!(status, Some(0), "{name} exited with {status:?}");
        assert_recorded_well(name, &t);
        // Queues named by the nodes' sysfs names; GStreamer's streaming thread listed.
        let (on_cap, on_out) = (format!(" · {VMALLOC} · "), format!(" · {VMALLOC_OUT} · "));
        assert_titled(&t, &[&on_cap, &on_out], name);
        if name.starts_with("gst") {
            let tl = vb2scope_core::timeline::build(&t, running());
            let titles: Vec<String> = tl.queue_info.keys().map(|&q| tl.queue_title(q)).collect();
            assert!(
                titles.iter().any(|s| s.contains(" (thread")),
                "{name}: v4l2src's own thread is not listed: {titles:?}"
            );
        }
        if *name == "v4l2-ctl-dmabuf" || *name == "gst-zero-copy" {
            // The output's MMAP buffers, exported, are the capture's DMABUF buffers.
            assert_exports_imported(name, &t, 1);
        }
        // Without the filter every call stops and the tracer chooses: the same calls.
        if *name == "v4l2-ctl-mmap" {
            let unfiltered: Vec<&str> = ["--no-filter", "--"].into_iter().chain(args).collect();
            let (status, u) = record_program_with("v4l2-ctl-mmap-unfiltered", &unfiltered);
            assert_eq!(status, Some(0));
            assert_eq!(
                ioctls(&u),
                ioctls(&t),
                "the filter and its userspace twin differ"
            );
        }
    }
}

/// The capture and the output in one format GStreamer passes through unchanged: 640x480
/// YUYV, progressive, Rec. 709 (the output's HDMI connector takes it; S-Video does not).
fn same_formats(cap: &str, out: &str) {
    let v4l2_ctl = |args: &[&str]| {
        let st = std::process::Command::new("v4l2-ctl")
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("v4l2-ctl: {e}"));
        assert!(st.success(), "v4l2-ctl {args:?}");
    };
    let fmt = "width=640,height=480,pixelformat=YUYV,field=none";
    v4l2_ctl(&["-d", cap, "-c", "colorspace=1"]);
    v4l2_ctl(&["-d", cap, "-v", fmt]);
    v4l2_ctl(&["-d", out, "--set-output=1"]);
    v4l2_ctl(&["-d", out, "-x", fmt]);
}

/// Every dma-buf the trace exported (EXPBUF) that a plane imported is tied to both: its
/// exporter's buffer and at least `min` importing buffers.
fn assert_exports_imported(name: &str, t: &Trace, min: usize) {
    let tl = vb2scope_core::timeline::build(t, vb2scope_core::check::choose_policy(t).policy);
    let linked: Vec<_> = tl
        .dmabufs
        .iter()
        .filter(|d| d.exported_from.is_some() && d.ino.is_some())
        .map(|d| (d.describe(), tl.importers(d.id).len()))
        .collect();
    assert!(
        !linked.is_empty() && linked.iter().all(|&(_, n)| n >= min),
        "{name}: exports and their importers: {linked:?}"
    );
}

/// `tests/apps/broker.c`: a parent exports an output node's buffers and passes the dma-bufs
/// over a socket to a child that imports them into the capture node, one of them through two
/// fds. One dma-buf per buffer in the trace, tied to both processes' buffers; no re-attach,
/// and, recorded with the kernel's side, the kernel's memops are the model's.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_dmabuf_passed_to_another_process_is_one_buffer() {
    let _one = one_at_a_time();
    let exe = test_program("broker");
    let (cap, out) = (node(VMALLOC), node(VMALLOC_OUT));
    let (status, t) = record_program("broker", &[&exe, &cap, &out]);
    assert_eq!(status, Some(0));
    assert_recorded_well("broker", &t);
    assert_exports_imported("broker", &t, 1);
    let tl = vb2scope_core::timeline::build(&t, vb2scope_core::check::choose_policy(&t).policy);
    assert_eq!(tl.dmabufs.len(), 2, "{:?}", tl.dmabufs);
    let pids: std::collections::BTreeSet<u32> = t.events.iter().map(|e| t.pid(e)).collect();
    assert_eq!(pids.len(), 2, "the exporter and the importer");
    assert!(
        !tl.report
            .findings
            .iter()
            .any(|f| f.rule == vb2scope_core::rules::RuleId::R16),
        "{:?}",
        tl.report.findings
    );
    // CREATE_BUFS: max_num_buffers where the kernel says it wrote it (6.10 on).
    let create = t.events.iter().find_map(|e| match e.body {
        Body::Ioctl {
            cmd: IoctlCmd::CreateBufs,
            arg,
            ..
        } => t.arg(arg).copied(),
        _ => None,
    });
    match create {
        Some(vb2scope_core::trace::IoctlArg::Alloc {
            caps: Some(caps),
            max_buffers,
            count_out: Some(n),
            ..
        }) => {
            if caps & vb2scope_core::v4l2::BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS != 0 {
                assert!(max_buffers.is_some_and(|m| m >= n), "{max_buffers:?}");
            } else {
                assert_eq!(max_buffers, None);
            }
        }
        other => panic!("CREATE_BUFS: {other:?}"),
    }
    // The importer's mapping of a dma-buf is in the trace.
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.body, Body::Mmap { fd, .. } if fd > 1_000_000))
    );
    if !std::path::Path::new("/sys/kernel/tracing/kprobe_events").exists() {
        skip("the broker with the kernel's side", "no tracefs");
        return;
    }
    let (status, kt) =
        record_program_with("broker-kt", &["--kernel-trace", "--", &exe, &cap, &out]);
    assert_eq!(status, Some(0));
    assert_kernel_agrees(&kt, "broker", "");
}

/// `tests/apps/exercise.c`, compiled.
fn exercise() -> String {
    test_program("exercise")
}

/// `tests/apps/NAME.c`, compiled.
fn test_program(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vb2scope-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let exe = dir.join(name);
    if !exe.exists() {
        let src = format!("{}/tests/apps/{name}.c", env!("CARGO_MANIFEST_DIR"));
        let st = std::process::Command::new("cc")
            .args(["-O1", "-pthread", "-o"])
            .arg(&exe)
            .arg(&src)
            .status()
            .unwrap_or_else(|e| panic!("cc: {e}"));
        assert!(st.success(), "cc {src}");
    }
    exe.display().to_string()
}

/// A program that passes a garbage pointer, closes its video fd with a buffer queued and
/// reuses the number, then is killed mid-stream: recorded as it happened, the trace readable
/// to its end, vb2scope's status the program's.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_misbehaving_program_is_recorded_as_it_happened() {
    let _one = one_at_a_time();
    let exe = exercise();
    let cap = device::resolve(VMALLOC).unwrap_or_else(|e| panic!("{e}"));
    let cap = cap.display().to_string();
    let (status, t) = record_program("bad", &[&exe, &cap, "bad"]);
    assert_eq!(status, Some(128 + 9));
    let cmds: Vec<IoctlCmd> = ioctls(&t).into_iter().map(|(c, _)| c).collect();
    // The garbage pointer cannot be read: that QBUF is not in the trace; the good one is,
    // and nothing on the reused number is a video call.
    assert_eq!(
        cmds,
        [IoctlCmd::Reqbufs, IoctlCmd::Qbuf, IoctlCmd::Streamon],
        "{cmds:?}"
    );
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.body, Body::Close { fd: 3 }))
    );
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_program_with_threads_a_fork_and_an_exec_is_followed() {
    let _one = one_at_a_time();
    let cap = device::resolve(VMALLOC).unwrap_or_else(|e| panic!("{e}"));
    let exe = exercise();
    let cap = cap.display().to_string();
    let (status, t) = record_program("exercise", &[&exe, &cap]);
    assert_eq!(status, Some(0));
    assert_recorded_well("exercise", &t);
    let pids: std::collections::BTreeSet<u32> = t.events.iter().map(|e| t.pid(e)).collect();
    assert_eq!(pids.len(), 2, "the program and its forked child");
    // The second thread's DQBUFs, and the child's, on its copy of the fd.
    let dq: Vec<(u32, u32, i32)> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                fd,
                cmd: IoctlCmd::Dqbuf,
                ..
            } => Some((t.pid(e), t.tid(e), fd)),
            _ => None,
        })
        .collect();
    assert!(dq.iter().any(|&(p, t, _)| t != p), "{dq:?}");
    assert!(dq.iter().any(|&(_, _, fd)| fd > 1_000_000), "{dq:?}");
    // The exec unmapped what the program had mapped; its exit closed the video fd.
    assert!(matches!(
        t.events.last().map(|e| e.body),
        Some(Body::Close { .. })
    ));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e.body, Body::Munmap { .. }))
    );
}

/// Streams under `vb2scope record` until `signal` is sent (to vb2scope, or to its whole
/// process group as a terminal's Ctrl-C is); returns how vb2scope ended and the trace.
fn streaming_recorded_until(signal: nix::sys::signal::Signal, group: bool) -> (Option<i32>, Trace) {
    let dir = std::env::temp_dir().join(format!("vb2scope-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join(format!("signal-{signal}.jsonl"));
    let cap = device::resolve(VMALLOC).unwrap_or_else(|e| panic!("{e}"));
    // Its own process group, as a shell gives a job.
    let mut child = cli()
        .arg("record")
        .arg("-o")
        .arg(&out)
        .args(["--", "v4l2-ctl", "-d"])
        .arg(&cap)
        .args(["--stream-mmap", "--stream-count=100000"])
        .stdout(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&out).map_or(0, |s| s.matches("VIDIOC_DQBUF").count()) < 3 {
        assert!(start.elapsed().as_secs() < 60, "never streamed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let pid = child.id() as i32;
    let to = nix::unistd::Pid::from_raw(if group { -pid } else { pid });
    nix::sys::signal::kill(to, signal).unwrap_or_else(|e| panic!("{e}"));
    // Ended within a few seconds, or the test fails rather than hangs.
    let sent = std::time::Instant::now();
    let st = loop {
        if let Some(st) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break st;
        }
        if sent.elapsed().as_secs() > 30 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(-pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            panic!("{signal} did not end the recording within 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    (st.code(), t)
}

/// Whether this process was started with SIGINT ignored (as a non-interactive shell starts
/// its background jobs): its children then ignore it too.
fn sigint_ignored() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let v = s.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(v.trim(), 16).ok()
        })
        .is_some_and(|m| m & (1 << 1) != 0)
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn ctrl_c_and_sigterm_end_a_recorded_program_and_the_trace_is_complete() {
    let _one = one_at_a_time();
    if !have("v4l2-ctl") {
        return skip("signals to a recorded program", "v4l2-ctl is not installed");
    }
    use nix::sys::signal::Signal;
    // SIGTERM to vb2scope is passed on to the program; its end closes the video fd.
    let (code, t) = streaming_recorded_until(Signal::SIGTERM, false);
    assert_eq!(code, Some(128 + 15));
    assert!(matches!(
        t.events.last().map(|e| e.body),
        Some(Body::Close { .. })
    ));
    // Ctrl-C: SIGINT to the whole job; vb2scope ignores it, the program dies of it.
    if sigint_ignored() {
        return skip(
            "Ctrl-C of a recorded program",
            "this test runs with SIGINT ignored, and so would the program",
        );
    }
    let (code, t) = streaming_recorded_until(Signal::SIGINT, true);
    assert_eq!(code, Some(128 + 2));
    assert!(matches!(
        t.events.last().map(|e| e.body),
        Some(Body::Close { .. })
    ));
}

#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn attaching_to_a_streaming_program_records_it_and_leaves_it_running() {
    let _one = one_at_a_time();
    if !have("v4l2-ctl") {
        return skip("--attach", "v4l2-ctl is not installed");
    }
    let dir = std::env::temp_dir().join(format!("vb2scope-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("attach.jsonl");
    let cap = device::resolve(VMALLOC).unwrap_or_else(|e| panic!("{e}"));
    let mut app = std::process::Command::new("v4l2-ctl")
        .arg("-d")
        .arg(&cap)
        .args(["--stream-mmap", "--stream-count=100000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mut rec = cli()
        .arg("record")
        .arg("--attach")
        .arg(app.id().to_string())
        .arg("-o")
        .arg(&out)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&out).map_or(0, |s| s.matches("VIDIOC_DQBUF").count()) < 3 {
        assert!(start.elapsed().as_secs() < 60, "nothing recorded");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let me = nix::unistd::Pid::from_raw(rec.id() as i32);
    nix::sys::signal::kill(me, nix::sys::signal::Signal::SIGINT).unwrap_or_else(|e| panic!("{e}"));
    let st = rec.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.code(), Some(0));
    // Left running, and still streaming.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        app.try_wait().unwrap_or_else(|e| panic!("{e}")).is_none(),
        "the program ended"
    );
    let _ = app.kill();
    let _ = app.wait();
    let bytes = std::fs::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let (t, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    // The video fd it had before: written as opened at its first use.
    assert!(matches!(
        t.events.first().map(|e| e.body),
        Some(Body::Open { .. })
    ));
    assert_recorded_well("attached v4l2-ctl", &t);
}

/// The window's "Record application…": a real program recorded on a thread while the
/// document is rebuilt as it grows, as the window does between frames; at the end the
/// recording has every dma-buf's identity, its links, nothing worse than notes, and saves to
/// a trace that reads back the same. The same for "Attach to process…", which leaves the
/// process running when it detaches.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_program_recorded_from_the_window_is_shown_as_it_grows() {
    use std::time::{Duration, Instant};
    use vb2scope_gui::{LiveSession, Log, PolicyChoice};
    let _one = one_at_a_time();
    let (cap, out) = (node(VMALLOC), node(VMALLOC_OUT));
    let command: Vec<String> = [
        "v4l2-ctl",
        "-d",
        &cap,
        "-e",
        &out,
        "--stream-dmabuf",
        "--stream-out-mmap",
        "--stream-count=40",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let spec = device::ProgramSpec {
        command,
        filtered: true,
        ..Default::default()
    };
    let mut s = LiveSession::program(spec);
    let mut log = Log::default();
    let mut shown = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "still recording: {:?}",
            log.lines
        );
        s.drain(&mut log);
        let refresh = s.poll_document(PolicyChoice::Auto, Instant::now());
        if refresh != vb2scope_gui::Refresh::None {
            shown.push((s.document().replayed(), s.running()));
        }
        // Finished as a whole trace's once the program ended.
        if !s.running() && !s.rebuilding() && !s.document().is_growing() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        log.lines
            .iter()
            .any(|(_, l)| l.contains("the program exited with 0")),
        "{:?}",
        log.lines
    );
    // Shown while it ran, growing, and at its end.
    let while_running: Vec<usize> = shown.iter().filter(|s| s.1).map(|s| s.0).collect();
    assert!(while_running.len() >= 2, "{shown:?}");
    assert!(while_running.windows(2).all(|w| w[0] <= w[1]), "{shown:?}");
    let doc = s.document();
    assert_eq!(doc.replayed(), s.trace().events.len());
    assert!(!doc.timeline().lanes.is_empty());
    assert_recorded_well("window", &doc.trace);
    assert_exports_imported("window", &doc.trace, 1);
    // Saved as the window saves it, it reads back the same.
    let mut bytes = Vec::new();
    vb2scope_core::format::write_native(&mut bytes, s.trace()).unwrap_or_else(|e| panic!("{e}"));
    let (back, diags) =
        vb2scope_core::format::read_native_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(back.events.len(), s.trace().events.len());

    // Attach to a running stream, then detach: the process runs on and ends well.
    let mut child = std::process::Command::new("v4l2-ctl")
        .args(["-d", &cap, "--stream-mmap", "--stream-count=60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1500));
    let mut a = LiveSession::process(child.id() as i32);
    let mut log = Log::default();
    let start = Instant::now();
    while count(a.trace(), IoctlCmd::Dqbuf) < 10 {
        assert!(start.elapsed() < Duration::from_secs(60), "{:?}", log.lines);
        a.drain(&mut log);
        std::thread::sleep(Duration::from_millis(20));
    }
    a.stop();
    while a.running() {
        assert!(start.elapsed() < Duration::from_secs(90), "{:?}", log.lines);
        a.drain(&mut log);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        log.lines.iter().any(|(_, l)| l.contains("which runs on")),
        "{:?}",
        log.lines
    );
    let st = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success(), "v4l2-ctl after the detach: {st:?}");
}

/// `tests/apps/compat.c`: buffer calls made as a 32-bit program makes them (QBUF, whose
/// struct is laid out otherwise, and STREAMON, whose is not) are written undecoded, since
/// such a program's fds are not followed; the DQBUF of a buffer the model never saw queued
/// is information at most, never an error.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_32_bit_programs_buffer_calls_are_marked_undecoded() {
    let _one = one_at_a_time();
    let exe = test_program("compat");
    let cap = node(VMALLOC);
    let (status, t) = record_program("compat", &[&exe, &cap]);
    if status == Some(77) {
        skip(
            "32-bit calls under the recorder",
            "this kernel runs no 32-bit code",
        );
        return;
    }
    assert_eq!(status, Some(0));
    let calls: Vec<(IoctlCmd, bool)> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl { cmd, arg, .. } => Some((
                cmd,
                matches!(t.arg(arg), Some(vb2scope_core::trace::IoctlArg::Undecoded)),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            (IoctlCmd::Reqbufs, false),
            (IoctlCmd::Qbuf, true),
            (IoctlCmd::Qbuf, true),
            (IoctlCmd::Streamon, true),
            (IoctlCmd::Dqbuf, false),
            (IoctlCmd::Streamoff, false),
        ]
    );
    for p in [running(), Policy::Vb2_2012] {
        let r = check_trace(&t, p);
        assert!(r.undecoded_from.is_some());
        assert!(
            r.findings
                .iter()
                .all(|f| r.severity(f) <= vb2scope_core::rules::Severity::Info),
            "{p}: {:?}",
            r.findings
        );
    }
}

/// Media requests on vivid's capture node (vivid supports the Request API): the media
/// device found by its sysfs parent, buffers queued into requests, the requests queued and
/// completed, one re-initialised and used again, the direct QBUF the mode lock-in refuses,
/// and the requests closed. Every result the device gave is what the model of the running
/// kernel predicts.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn media_requests_on_a_capture_node() {
    let _one = one_at_a_time();
    let text = "queue capture\nreqbufs 2 mmap\nrequest r0\nrequest r1\n\
                qbuf 0 request=r0\nexpect ok\nqbuf 1 request=r1\nexpect ok\n\
                queue_request r0\nexpect ok\nqueue_request r1\nexpect ok\nstreamon\n\
                dqbuf\nexpect ok\nreinit r0\nexpect ok\nqbuf 0\nexpect EBUSY\n\
                qbuf 0 request=r0\nexpect ok\nqueue_request r0\nexpect ok\ndqbuf\nexpect ok\n\
                streamoff\nclose r0\nclose r1\n";
    let sc =
        vb2scope_core::scenario::parse("requests.vb2s", text).unwrap_or_else(|e| panic!("{e}"));
    let (mut s, events) = session(VMALLOC, any_dmabuf_source());
    let rep = device::run_scenario(&mut s, &sc, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    drop(s);
    let t = trace_of(&events);
    assert_eq!(
        rep.skipped_request_lines,
        Vec::<u32>::new(),
        "{:?}",
        ioctls(&t)
    );
    assert_eq!(rep.timed_out, Vec::<u32>::new(), "{:?}", ioctls(&t));
    for (cmd, n) in [
        (IoctlCmd::RequestAlloc, 2),
        (IoctlCmd::RequestQueue, 3),
        (IoctlCmd::RequestReinit, 1),
    ] {
        assert_eq!(count(&t, cmd), n, "{cmd:?}: {:?}", ioctls(&t));
    }
    assert_model_agrees(&t, "requests on vivid");
    let r = check_trace(&t, running());
    assert!(
        r.findings.iter().any(|f| f.rule == RuleId::R24),
        "the mode lock-in: {:?}",
        r.findings
    );
}

/// The window's live session on a real device, as a user drives it: allocate, queue, stream
/// with the session's own loop, switch the policy while it streams (judged again from the
/// start), stop, free, close. The document grew as the events came; at the end it must say
/// exactly what the window says of the saved recording opened as a file.
#[test]
#[ignore = "needs vivid: run through tests/vm/vm.sh (see .ci/run)"]
fn a_live_device_session_ends_as_its_saved_recording_reads() {
    use std::time::{Duration, Instant};
    use vb2scope_core::analysis::{Depth, PolicyChoice, analyze};
    use vb2scope_device::{LiveConfig, LiveOp};
    use vb2scope_gui::{LiveSession, Log, Refresh};
    let _one = one_at_a_time();
    for memory in [Memory::Mmap, Memory::Userptr] {
        let mut s = LiveSession::start(LiveConfig {
            device: VMALLOC.into(),
            queue: None,
            memory,
            buffers: 4,
            source: DmabufSource::default(),
        });
        let mut log = Log::default();
        let mut choice = PolicyChoice::Auto;
        let (mut grown, mut rejudged) = (0, 0);
        let script = [
            (0, LiveOp::Reqbufs(4)),
            (1, LiveOp::QbufAll),
            (2, LiveOp::StartStreaming),
            (40, LiveOp::StopStreaming),
            (45, LiveOp::Streamoff),
            (46, LiveOp::Reqbufs(0)),
            (48, LiveOp::Close),
        ];
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut tick = 0;
        while s.running() || s.rebuilding() || s.document().is_growing() {
            assert!(Instant::now() < deadline, "{memory:?}: {:?}", log.lines);
            for (_, op) in script.iter().filter(|(at, _)| *at == tick) {
                s.send(op.clone());
            }
            if tick == 20 {
                choice = PolicyChoice::Fixed(Policy::Vb2_2012);
            } else if tick == 30 {
                choice = PolicyChoice::Auto;
            }
            s.drain(&mut log);
            match s.poll_document(choice, Instant::now()) {
                Refresh::Grown => grown += 1,
                Refresh::Rejudged => rejudged += 1,
                Refresh::None => {}
            }
            tick += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        let doc = s.document();
        assert!(grown >= 3, "{memory:?}: grew {grown} times");
        assert!(rejudged >= 2, "{memory:?}: judged again {rejudged} times");
        assert!(
            count(s.trace(), IoctlCmd::Dqbuf) >= 5,
            "{memory:?}: {:?}",
            log.lines
        );
        let mut bytes = Vec::new();
        vb2scope_core::format::write_native(&mut bytes, s.trace())
            .unwrap_or_else(|e| panic!("{e}"));
        let file = analyze("saved.jsonl", &bytes, None, choice, Depth::Timeline, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (doc.timeline(), file.timeline().expect("a timeline"));
        assert_eq!(doc.policy, file.policy, "{memory:?}");
        assert_eq!(a.report.findings, b.report.findings, "{memory:?}");
        assert_eq!(a.lanes, b.lanes, "{memory:?}");
        assert_eq!(a.marks, b.marks, "{memory:?}");
        assert_eq!(a.dmabufs, b.dmabufs, "{memory:?}");
        eprintln!(
            "{memory:?}: {} events, grew {grown} times, judged again {rejudged} times, findings {:?}",
            s.trace().events.len(),
            a.report
                .findings
                .iter()
                .map(|f| (f.rule, f.event))
                .collect::<Vec<_>>(),
        );
    }
}
