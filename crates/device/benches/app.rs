//! What recording a program costs it, side by side with strace in one run: µs per recorded
//! ioctl (a buffer request on /dev/null: the filter stops it, the tracer decodes it, the
//! kernel refuses it), and µs per syscall the filter lets run free (getppid). Floors: the
//! same loops untraced. Unpinned, then with everything on one CPU (as strace's users often
//! measure). `cargo bench --bench app`; strace's rows appear when strace is installed.

use std::process::Command;
use std::time::Instant;

const CALLS: u64 = 20_000;

/// The workload, when this binary is started as one: N QUERYBUFs, or N getppid()s.
fn workload(kind: &str, n: u64) {
    use v4l2r::ioctl::{UncheckedV4l2Buffer, querybuf};
    let f = std::fs::File::open("/dev/null").expect("/dev/null");
    for _ in 0..n {
        if kind == "ioctl" {
            let _ = querybuf::<UncheckedV4l2Buffer>(&f, v4l2r::QueueType::VideoCapture, 0);
        } else {
            let _ = nix::unistd::getppid();
        }
    }
}

/// This bench binary, started as the workload.
fn args(kind: &str) -> Vec<String> {
    let exe = std::env::current_exe().expect("the bench binary");
    vec![
        exe.display().to_string(),
        "--workload".into(),
        format!("{kind}:{CALLS}"),
    ]
}

fn me(kind: &str) -> Command {
    let a = args(kind);
    let mut c = Command::new(&a[0]);
    c.args(&a[1..]);
    c
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// µs per call of the workload run as `cmd`.
fn timed(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let st = cmd.status().expect("runs");
    assert!(st.success(), "{cmd:?}: {st:?}");
    t.elapsed().as_secs_f64() * 1e6 / CALLS as f64
}

fn recorded(kind: &str, filtered: bool) -> f64 {
    let t = Instant::now();
    let (exit, stats) = {
        let spec = vb2scope_device::ProgramSpec {
            command: args(kind),
            filtered,
            ..Default::default()
        };
        vb2scope_device::record_program(spec, &mut |_| {}, &mut |_| {}).expect("records")
    };
    let us = t.elapsed().as_secs_f64() * 1e6 / CALLS as f64;
    assert_eq!(exit, vb2scope_device::AppExit::Code(0));
    // /dev/null is no video node: the calls stop and are decoded, nothing is written.
    assert!(kind != "ioctl" || stats.stops >= CALLS, "{stats:?}");
    us
}

fn strace(kind: &str, seccomp: bool) -> f64 {
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=ioctl"]);
    if seccomp {
        c.arg("--seccomp-bpf");
    }
    c.args(args(kind));
    timed(c)
}

fn pin_to_one_cpu() -> bool {
    let mut set = nix::sched::CpuSet::new();
    set.set(0).is_ok() && nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).is_ok()
}

fn table(label: &str) {
    println!("{label}: µs per call, {CALLS} calls each");
    println!("  {:<40} {:>10} {:>10}", "", "ioctl", "getppid");
    let row = |name: &str, f: &dyn Fn(&str) -> f64| {
        println!("  {:<40} {:>10.2} {:>10.2}", name, f("ioctl"), f("getppid"));
    };
    row("untraced (the floor)", &|k| timed(me(k)));
    row("vb2scope record", &|k| recorded(k, true));
    row("vb2scope record --no-filter", &|k| recorded(k, false));
    if have("strace") {
        row("strace -f -e trace=ioctl", &|k| strace(k, false));
        row("strace -f --seccomp-bpf -e trace=ioctl", &|k| {
            strace(k, true)
        });
    } else {
        println!("  (strace not installed: no strace rows)");
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(w) = argv
        .iter()
        .position(|a| a == "--workload")
        .and_then(|i| argv.get(i + 1))
    {
        let (kind, n) = w.split_once(':').unwrap_or(("ioctl", "0"));
        return workload(kind, n.parse().unwrap_or(0));
    }
    // `cargo bench` passes --bench; `cargo test --benches` does not, and gets a short run.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    table("unpinned");
    if pin_to_one_cpu() {
        table("pinned to CPU 0 (tracer and program)");
    }
}
