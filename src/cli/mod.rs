//! Command-line front end: parses arguments, loads inputs, prints results. Errors are
//! reported once, here, with exit status 2.

mod check;
mod explain;
mod gui;
mod input;
mod run;

use clap::{Parser, Subcommand, ValueEnum};

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
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    Spec,
    #[value(name = "vb2-2012")]
    Vb2_2012,
    #[value(name = "vb2-3.8")]
    Vb2_3_8,
    Modern,
    Auto,
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
    /// Check traces or scenarios against the model; exit 1 on findings at or above --fail-on.
    Check {
        /// Native traces (.jsonl, .jsonl.zst) or scenarios (.vb2s).
        #[arg(required = true)]
        inputs: Vec<std::path::PathBuf>,
        #[arg(long, value_enum, default_value = "modern")]
        policy: PolicyArg,
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        #[arg(long = "fail-on", value_enum, default_value = "error")]
        fail_on: FailOnArg,
    },
    /// Run a scenario on the model and write the native trace it produces.
    Run {
        scenario: std::path::PathBuf,
        #[arg(long, value_enum, default_value = "modern")]
        policy: PolicyArg,
        /// Output file (`.zst` compresses); standard output when absent.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// Print every buffer's life as text: states, what each plane is tied to, what it holds.
    Timeline {
        /// A native trace or a scenario.
        input: std::path::PathBuf,
        #[arg(long, value_enum, default_value = "modern")]
        policy: PolicyArg,
    },
    /// Print a rule in full: what it means, its severities, the spec sentence behind it.
    Explain {
        /// A rule ID such as R03, R07b or EXPECT; all rules when absent.
        rule: Option<String>,
    },
}

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let r = match cli.cmd {
        Some(Cmd::Check {
            inputs,
            policy,
            format,
            fail_on,
        }) => check::run(&inputs, policy, format, fail_on),
        Some(Cmd::Run {
            scenario,
            policy,
            output,
        }) => run::run(&scenario, policy, output.as_deref()),
        Some(Cmd::Explain { rule }) => explain::run(rule.as_deref()),
        Some(Cmd::Timeline { input, policy }) => check::timeline(&input, policy),
        None => gui::run(cli.file.as_deref(), cli.screenshot),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vb2scope: error: {e:#}");
            2
        }
    }
}
