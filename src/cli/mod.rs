//! Command-line front end: parses arguments, loads inputs, prints results. Errors are
//! reported once, here, with exit status 2.

mod app;
mod bench;
mod bench_live;
mod bench_scale;
mod bench_text;
mod check;
mod device;
mod diff;
mod explain;
mod export;
mod gui;
mod import;
mod input;
mod kernel;
mod mapped;
mod output;
mod run;
mod shell;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use vb2scope_core::analysis::PolicyChoice;

#[derive(Parser)]
#[command(
    name = "vb2scope",
    version,
    about = "The life of every V4L2/videobuf2 buffer over time, checked against a model of vb2",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// A trace or scenario to open in the window; the bundled 2012 report when absent.
    file: Option<std::path::PathBuf>,
    /// Save the window as a PNG once it has opened, then exit.
    #[arg(long)]
    screenshot: Option<std::path::PathBuf>,
    /// Read inputs as this format instead of telling it from their content: native,
    /// strace, ftrace, v4l2-tracer or dmesg.
    #[arg(long, global = true, value_parser = parse_format)]
    from: Option<vb2scope_core::import::Format>,
}

/// The command line as clap sees it; `--version` also names the policies the model knows.
pub(crate) fn command() -> clap::Command {
    Cli::command().long_version(long_version())
}

/// The version, then every policy `--policy` takes.
fn long_version() -> String {
    format!(
        "{}\npolicies: {}\n{}",
        env!("CARGO_PKG_VERSION"),
        policy_names().join(", "),
        other_releases()
    )
}

/// Every policy `--policy` takes by name, as the library offers them, then `auto`.
pub(crate) fn policy_names() -> Vec<String> {
    PolicyChoice::all()
        .map(|c| match c {
            // `modern` is a release too: say which.
            PolicyChoice::Fixed(p) => match p.kernel() {
                Some(k) if p.name() != format!("linux-{k}") => format!("{p} (linux-{k})"),
                _ => p.to_string(),
            },
            PolicyChoice::Auto => c.to_string(),
        })
        .collect()
}

/// What `--policy` does with a release not named.
pub(crate) fn other_releases() -> String {
    format!(
        "Any other linux-X.Y from {} on is taken as the nearest release modelled",
        vb2scope_core::policy::Kernel::OLDEST
    )
}

fn parse_format(s: &str) -> Result<vb2scope_core::import::Format, String> {
    vb2scope_core::import::Format::parse(s).ok_or_else(|| {
        let names: Vec<&str> = vb2scope_core::import::Format::ALL
            .iter()
            .map(|f| f.name())
            .collect();
        format!("unknown format {s:?}; one of: {}", names.join(", "))
    })
}

/// `--policy`: a policy by name (`spec`, `vb2-2012`, `vb2-3.8`, `modern`, `linux-X.Y`), or
/// `auto`, the default of every command.
fn parse_policy(s: &str) -> Result<PolicyChoice, String> {
    s.parse()
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MemoryArg {
    Mmap,
    Userptr,
    Dmabuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum QueueArg {
    Capture,
    Output,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Never,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check traces or scenarios against the model, several at once; exit 1 on findings at
    /// or above --fail-on, 2 when an input could not be used (the others are checked all the
    /// same).
    Check {
        /// Native traces (.jsonl, .jsonl.zst, .vb2b), traces of other tools, or scenarios (.vb2s).
        #[arg(required = true)]
        inputs: Vec<std::path::PathBuf>,
        /// The vb2 to check against; `auto` (the default) takes the trace's own kernel when
        /// its header names one, else the policy that best explains what the kernel did.
        #[arg(long, value_parser = parse_policy, default_value = "auto")]
        policy: PolicyChoice,
        /// What standard output gets.
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// The lowest severity that makes the exit status 1.
        #[arg(long = "fail-on", value_enum, default_value = "error")]
        fail_on: FailOnArg,
        /// How many inputs to check at once; 0 (the default) is one per core available.
        #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
        jobs: usize,
        /// Also write the JSON report to FILE, whatever --format prints.
        #[arg(long, value_name = "FILE")]
        json: Option<std::path::PathBuf>,
        /// Also write the JUnit XML report to FILE, whatever --format prints.
        #[arg(long, value_name = "FILE")]
        junit: Option<std::path::PathBuf>,
    },
    /// Compare two traces (the same program on two kernels, a passing and a failing run), or
    /// one trace under two policies, by what each buffer lived through: calls aligned per
    /// queue, not by time or fd numbers. Exit 0 when the lifecycles are the same, 1 when they
    /// differ, 2 when an input could not be used
    Diff {
        /// One trace (with --policies) or two.
        #[arg(required = true, num_args = 1..=2)]
        inputs: Vec<std::path::PathBuf>,
        /// The vb2 both sides are judged against; `auto` (the default) chooses for each.
        #[arg(long, value_parser = parse_policy, default_value = "auto", conflicts_with = "policies")]
        policy: PolicyChoice,
        /// A policy for each side, `P1,P2`: one trace under two vb2 generations.
        #[arg(long, value_parser = parse_policy, value_delimiter = ',')]
        policies: Vec<PolicyChoice>,
        /// text or json.
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// Write every difference in full (text), not the first 20.
        #[arg(long)]
        all: bool,
    },
    /// Run a scenario on the model, or on a real device with --device, and write the trace.
    Run {
        scenario: std::path::PathBuf,
        #[arg(long, value_parser = parse_policy, default_value = "auto")]
        policy: PolicyChoice,
        /// Output file (`.zst` compresses, `.vb2b` writes the binary form); standard output when absent (model runs), or
        /// SCENARIO.jsonl beside the scenario (device runs).
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
        /// Run on this V4L2 device (a path, or a name from /sys/class/video4linux/*/name such
        /// as vivid-000-vid-cap) instead of the model; `expect` lines are checked against it.
        #[arg(long)]
        device: Option<String>,
        /// Where `dmabuf` lines get their dma-bufs: heap (/dev/dma_heap/system), a dma-heap
        /// path, udmabuf, or another V4L2 device to EXPBUF from.
        #[arg(long = "dmabuf-from")]
        dmabuf_from: Option<String>,
        /// Also capture the kernel's side (tracepoints, memop and dma-buf kprobes; needs
        /// root and tracefs) and merge it into the trace, so memops are observed.
        #[arg(long = "kernel-trace")]
        kernel_trace: bool,
    },
    /// List V4L2 devices: driver, card, queues and the memory types each queue supports.
    Devices,
    /// Measure how vb2scope grows with a trace's size: synthetic streaming sessions of each
    /// size, written as JSON Lines and binary, checked and loaded, against `cat` and
    /// `grep -c` of the same files in the same run. Prints a Markdown table.
    BenchScale {
        /// Sizes in events (`100k`, `10M`), comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = bench_scale::parse_count,
              default_value = "100k,1M,10M")]
        events: Vec<u64>,
        /// Where the traces are written (a temporary directory when absent).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// The largest size also written and checked as JSON Lines.
        #[arg(long, value_parser = bench_scale::parse_count, default_value = "10M")]
        jsonl_max: u64,
        /// The size of the text inputs the importers are measured on, in MB (0: none).
        #[arg(long, default_value_t = 200)]
        text_mb: usize,
        /// Keep the traces written.
        #[arg(long)]
        keep: bool,
    },
    /// Measure what recording costs: a plain MMAP streaming loop against the same loop
    /// recorded to a trace, alternating, on a real device.
    BenchRecord {
        #[arg(long)]
        device: String,
        #[arg(long, default_value_t = 300)]
        frames: u32,
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Where the recorded runs write their trace.
        #[arg(short, long, default_value = "bench-record.jsonl")]
        output: std::path::PathBuf,
    },
    /// Record a program's buffer calls (`record -- CMD ARGS…`), unmodified, with every field
    /// the kernel saw; or stream on a device (`record --device DEV`) and record every call.
    /// Writes the trace as it goes.
    Record {
        /// Stream on this device: a path, or a name from /sys/class/video4linux/*/name
        /// (vivid-000-vid-cap).
        #[arg(long, required_unless_present_any = ["command", "attach"])]
        device: Option<String>,
        #[arg(long, value_enum, default_value = "mmap")]
        memory: MemoryArg,
        /// dma-buf source for --memory dmabuf: heap, a /dev/dma_heap path, udmabuf, or a
        /// V4L2 device to EXPBUF from.
        #[arg(long = "dmabuf-from")]
        dmabuf_from: Option<String>,
        /// The queue to stream (M2M devices stream both).
        #[arg(long, value_enum)]
        queue: Option<QueueArg>,
        /// Frames in all, spread over the cycles.
        #[arg(long, default_value_t = 60)]
        frames: u32,
        /// STREAMON/STREAMOFF cycles.
        #[arg(long, default_value_t = 1)]
        cycles: u32,
        #[arg(long, default_value_t = 4)]
        buffers: u32,
        /// Output trace (`.zst` compresses, `.vb2b` writes the binary form); for a program, NAME.jsonl when absent.
        #[arg(short, long, required_unless_present_any = ["command", "attach"])]
        output: Option<std::path::PathBuf>,
        /// Also capture the kernel's side (tracepoints, memop and dma-buf kprobes; needs
        /// root and tracefs) and merge it into the trace, so memops are observed.
        #[arg(long = "kernel-trace")]
        kernel_trace: bool,
        /// Stop the program at every call and choose in vb2scope, instead of its seccomp
        /// filter (for comparison; what a kernel without seccomp filters gets).
        #[arg(long = "no-filter")]
        no_filter: bool,
        /// Record a running process instead (every thread, until it ends or Ctrl-C, then
        /// leave it running). It is slower for the process than `-- CMD`: every call stops.
        #[arg(long, conflicts_with_all = ["device", "command"])]
        attach: Option<i32>,
        /// Also show the recording in the window as it grows (the trace is written all the
        /// same). Closing the window does not stop the program; the recording ends with it.
        #[arg(long, conflicts_with = "device")]
        view: bool,
        /// The program to record and its arguments, after `--`. vb2scope exits with its
        /// status.
        #[arg(last = true, conflicts_with = "device")]
        command: Vec<String>,
    },
    /// Run a command while capturing the kernel's side of every V4L2 buffer (vb2 and V4L2
    /// tracepoints, kprobes on the vb2 memops and the dma-buf core; needs root and tracefs)
    /// and write it as ftrace text: read it alone, or with an strace log of the same run
    /// (`vb2scope import app.strace.txt app.ftrace.txt`). Exits with the command's status.
    TraceKernel {
        /// Where the ftrace text goes.
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Write a trace as Chrome/Perfetto JSON, an SVG of the timeline, a self-contained HTML
    /// report (timeline and findings), or the native format.
    Export {
        /// A trace or scenario.
        input: std::path::PathBuf,
        /// perfetto (Chrome trace-event JSON for ui.perfetto.dev), svg, html or native.
        #[arg(long)]
        to: vb2scope_core::export::ExportFormat,
        #[arg(short, long)]
        output: std::path::PathBuf,
        #[arg(long, value_parser = parse_policy, default_value = "auto")]
        policy: PolicyChoice,
    },
    /// Read traces of other tools (strace, ftrace / trace-cmd, v4l2-tracer JSON, dmesg) or a
    /// native trace and write one native trace: JSON Lines, `.zst` compressed, or `.vb2b`
    /// binary (chunked, compressed, indexed: the fastest to open); a userspace log and an
    /// ftrace capture of one run are joined. `convert IN -o OUT.vb2b` is the same command.
    #[command(visible_alias = "convert")]
    Import {
        #[arg(required = true)]
        inputs: Vec<std::path::PathBuf>,
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
    /// Print every buffer's life as text: states, what each plane is tied to, what it holds.
    Timeline {
        /// A native trace or a scenario.
        input: std::path::PathBuf,
        #[arg(long, value_parser = parse_policy, default_value = "auto")]
        policy: PolicyChoice,
    },
    /// Print a rule in full: what it means, its severities, the spec sentence behind it.
    Explain {
        /// A rule ID such as R03, R07b or EXPECT; all rules when absent.
        rule: Option<String>,
    },
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages, vb2scope.1 and one per subcommand, into a directory; print
    /// vb2scope.1 without --out.
    Man {
        /// The directory (created if missing), such as ~/.local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
}

/// Runs the command line; returns the exit status.
/// When the process started, for the times `VB2SCOPE_REPORT_PEAK` reports.
fn started() -> std::time::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

pub fn main() -> i32 {
    started();
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    input::force_format(cli.from);
    let r = match cli.cmd {
        Some(Cmd::Check {
            inputs,
            policy,
            format,
            fail_on,
            jobs,
            json,
            junit,
        }) => check::run(
            &inputs,
            &check::Options {
                choice: policy,
                format,
                fail_on,
                jobs,
                json: json.as_deref(),
                junit: junit.as_deref(),
            },
        ),
        Some(Cmd::Diff {
            inputs,
            policy,
            policies,
            format,
            all,
        }) => diff::run(
            &inputs,
            &diff::Options {
                choices: match policies.as_slice() {
                    &[a, b] => Some([a, b]),
                    [] => Some([policy, policy]),
                    _ => None,
                },
                format,
                all,
            },
        ),
        Some(Cmd::Run {
            scenario,
            policy,
            output,
            device: Some(dev),
            dmabuf_from,
            kernel_trace,
        }) => device::run_scenario(
            &scenario,
            &dev,
            dmabuf_from.as_deref(),
            output.as_deref(),
            policy,
            kernel_trace,
        ),
        Some(Cmd::Run {
            scenario,
            policy,
            output,
            device: None,
            ..
        }) => run::run(&scenario, policy, output.as_deref()),
        Some(Cmd::Devices) => device::devices(),
        Some(Cmd::BenchScale {
            events,
            dir,
            jsonl_max,
            text_mb,
            keep,
        }) => bench_scale::run(&events, dir.as_deref(), jsonl_max, text_mb, keep),
        Some(Cmd::Import { inputs, output }) => import::run(&inputs, &output),
        Some(Cmd::Export {
            input,
            to,
            output,
            policy,
        }) => export::run(&input, to, &output, policy),
        Some(Cmd::BenchRecord {
            device,
            frames,
            rounds,
            output,
        }) => bench::run(&device, frames, rounds, &output),
        Some(Cmd::Record {
            device,
            memory,
            dmabuf_from,
            queue,
            frames,
            cycles,
            buffers,
            output,
            kernel_trace,
            attach,
            no_filter,
            view,
            command,
        }) => match (device, attach, output) {
            (None, Some(pid), output) => app::attach(pid, output.as_deref(), kernel_trace, view),
            (None, None, output) => app::record(
                &command,
                &app::Options {
                    output: output.as_deref(),
                    kernel_trace,
                    filtered: !no_filter,
                    view,
                },
            ),
            (Some(device), _, Some(output)) => device::record(&device::RecordArgs {
                device: &device,
                memory: match memory {
                    MemoryArg::Mmap => vb2scope_core::v4l2::Memory::Mmap,
                    MemoryArg::Userptr => vb2scope_core::v4l2::Memory::Userptr,
                    MemoryArg::Dmabuf => vb2scope_core::v4l2::Memory::Dmabuf,
                },
                dmabuf_from: dmabuf_from.as_deref(),
                queue: queue.map(|q| {
                    vb2scope_core::v4l2::BufType::new(matches!(q, QueueArg::Output), false)
                }),
                frames,
                cycles,
                buffers,
                output: &output,
                kernel_trace,
            }),
            (Some(_), _, None) => Err(anyhow::anyhow!("record --device needs -o TRACE")),
        },
        Some(Cmd::TraceKernel { output, command }) => kernel::trace_command(&output, &command),
        Some(Cmd::Explain { rule }) => explain::run(rule.as_deref()),
        Some(Cmd::Timeline { input, policy }) => check::timeline(&input, policy),
        Some(Cmd::Completions { shell }) => shell::completions(shell),
        Some(Cmd::Man { out }) => shell::man(out.as_deref()),
        None => gui::run(cli.file.as_deref(), cli.screenshot),
    };
    report_peak();
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vb2scope: error: {e:#}");
            2
        }
    }
}

/// With `VB2SCOPE_REPORT_PEAK` set, says how much memory the process held at most (`bench-scale`
/// reads it from each `check` it runs).
fn report_peak() {
    if std::env::var_os("VB2SCOPE_REPORT_PEAK").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        eprintln!("vb2scope: peak memory {kb} kB");
    }
}
