//! `vb2scope check` and `vb2scope timeline`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use vb2scope_core::analysis::{Depth, PolicyChoice};
use vb2scope_core::report::{
    FailOn, InputResult, Outcome, RunInfo, Unreadable, exit_code_outcomes, text_entry, text_footer,
    to_json_outcomes, to_junit_outcomes,
};

use super::input::{load, print_diagnostics};
use super::{FailOnArg, FormatArg};

/// What `vb2scope check` was asked for, besides its inputs.
pub struct Options<'a> {
    pub choice: PolicyChoice,
    pub format: FormatArg,
    pub fail_on: FailOnArg,
    /// How many inputs to check at once; 0: one per core available.
    pub jobs: usize,
    /// Also write the JSON report to this file.
    pub json: Option<&'a Path>,
    /// Also write the JUnit report to this file.
    pub junit: Option<&'a Path>,
}

/// Checks one input. Whatever goes wrong with it (unreadable, not a trace, a scenario that
/// does not run, even a panic of the checker) becomes its own entry: the others go on.
fn check_one(path: &Path, choice: PolicyChoice) -> Outcome {
    let name = path.display().to_string();
    let checked = std::panic::catch_unwind(|| -> Result<InputResult> {
        let a = load(path, choice, Depth::Findings)?;
        // Only what the reports need is kept; the trace and the model go with `a`.
        let report = a.report().clone();
        Ok(InputResult::new(
            name.clone(),
            &a.trace,
            report,
            a.reason,
            a.diagnostics,
        ))
    });
    let message = match checked {
        Ok(Ok(r)) => return Outcome::Checked(Box::new(r)),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => format!(
            "{name}: internal error: vb2scope panicked while checking this input (a bug, please \
             report it with the input)"
        ),
    };
    // Also on standard error, as before: with `--format json` or `junit`, or standard output
    // sent to a file, the terminal still says what went wrong.
    eprintln!("vb2scope: error: {message}");
    Outcome::Unreadable(Unreadable::new(name, &message))
}

/// How many inputs to check at once: `--jobs`, else one per core, never more than inputs.
fn jobs(asked: usize, inputs: usize) -> usize {
    let n = match asked {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    n.min(inputs).max(1)
}

/// Checks every input on `jobs` threads, handing each outcome to `done` in the order of the
/// inputs as soon as it and all before it are known. A thread takes the next input not yet
/// taken, so a slow input holds up no other; at most `jobs` analyses are in memory at once,
/// and only each input's findings are kept past its analysis.
fn check_all(
    inputs: &[PathBuf],
    choice: PolicyChoice,
    jobs: usize,
    mut done: impl FnMut(&Outcome),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Outcome>> =
        std::iter::repeat_with(|| None).take(inputs.len()).collect();
    let mut shown = 0;
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
        for _ in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = inputs.get(i) else { break };
                    if tx.send((i, check_one(path, choice))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, outcome) in rx {
            slots[i] = Some(outcome);
            while let Some(Some(o)) = slots.get(shown) {
                done(o);
                shown += 1;
            }
        }
    });
    // Every input was sent: each index is taken once, and a worker stops only past the end.
    slots.into_iter().flatten().collect()
}

fn write_report(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

pub fn run(inputs: &[PathBuf], opts: &Options<'_>) -> Result<i32> {
    let fail_on = match opts.fail_on {
        FailOnArg::Error => FailOn::Error,
        FailOnArg::Warning => FailOn::Warning,
        FailOnArg::Never => FailOn::Never,
    };
    let jobs = jobs(opts.jobs, inputs.len());
    let start = Instant::now();
    let text = matches!(opts.format, FormatArg::Text);
    let mut stdout = std::io::stdout().lock();
    // Text goes out input by input, as they are done, so a long run shows its progress; a
    // closed standard output (`| head`) does not stop the checking or change the status.
    let outcomes = check_all(inputs, opts.choice, jobs, |o| {
        if text {
            let _ = stdout.write_all(text_entry(o).as_bytes());
            let _ = stdout.flush();
        }
    });
    let run = RunInfo {
        wall: Some(start.elapsed()),
        jobs: Some(jobs),
    };
    let out = match opts.format {
        FormatArg::Text => text_footer(&outcomes, run),
        FormatArg::Json => to_json_outcomes(&outcomes, run),
        FormatArg::Junit => to_junit_outcomes(&outcomes, fail_on, run),
    };
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    // Both files are tried, whatever becomes of the first; a file not written is status 2.
    let json = opts
        .json
        .map(|p| write_report(p, &to_json_outcomes(&outcomes, run)));
    let junit = opts
        .junit
        .map(|p| write_report(p, &to_junit_outcomes(&outcomes, fail_on, run)));
    if let (Some(Err(e)), Some(Err(_))) = (&json, &junit) {
        eprintln!("vb2scope: error: {e:#}");
    }
    json.transpose()?;
    junit.transpose()?;
    Ok(exit_code_outcomes(&outcomes, fail_on))
}

/// `vb2scope timeline`: every lane of one input, as text.
pub fn timeline(path: &Path, choice: PolicyChoice) -> Result<i32> {
    let a = load(path, choice, Depth::Timeline)?;
    print_diagnostics(&a);
    let Some(tl) = a.timeline() else {
        bail!("{}: no timeline was built", path.display());
    };
    print!("{}", tl.dump());
    Ok(0)
}

/// The trace shipped inside the binary, shown when vb2scope runs without arguments.
pub const DEFAULT_TRACE: &[u8] = include_bytes!("../../assets/default-trace.jsonl");
