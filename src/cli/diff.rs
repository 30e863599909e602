//! `vb2scope diff`: two traces, or one trace under two policies, compared by what each
//! buffer lived through.

use std::path::Path;

use anyhow::{Result, bail};

use vb2scope_core::analysis::{Analysis, Depth, PolicyChoice};
use vb2scope_core::diff::{Report, Side, compare, digest, text};

use super::FormatArg;
use super::input::{load, print_diagnostics};

/// What `vb2scope diff` was asked for.
pub struct Options {
    /// `--policy` (both sides) or `--policies A,B` (one each); `None`: `--policies` was not
    /// given two.
    pub choices: Option<[PolicyChoice; 2]>,
    pub format: FormatArg,
    /// Every difference in full, not only the first ones.
    pub all: bool,
}

/// How many differences the text names in full unless `--all`.
const IN_FULL: usize = 20;

/// Compares `inputs` (one or two); returns 0 when the lifecycles are the same, 1 when they
/// differ.
pub fn run(inputs: &[std::path::PathBuf], o: &Options) -> Result<i32> {
    let (pa, pb) = match inputs {
        [a] => (a, a),
        [a, b] => (a, b),
        _ => bail!("diff takes one trace (under two --policies) or two traces"),
    };
    let Some([ca, cb]) = o.choices else {
        bail!("--policies takes two policies, P1,P2");
    };
    if inputs.len() == 1 && ca == cb {
        bail!("one trace is compared under two policies: give --policies P1,P2");
    }
    let a = side(pa, ca)?;
    let b = side(pb, cb)?;
    let report = Report::new(a.0, b.0, compare(&a.1, &b.1));
    match o.format {
        FormatArg::Text => {
            let most = if o.all { usize::MAX } else { IN_FULL };
            print!("{}", text(&report, most));
        }
        FormatArg::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        FormatArg::Junit => bail!("diff writes text or json"),
    }
    Ok(if report.same { 0 } else { 1 })
}

/// One input read and judged under `choice`, and its lifecycle.
fn side(path: &Path, choice: PolicyChoice) -> Result<(Side, vb2scope_core::diff::Digest)> {
    let a: Analysis = load(path, choice, Depth::Findings)?;
    print_diagnostics(&a);
    let d = digest(&a.trace, a.policy, a.report());
    let side = Side {
        name: path.display().to_string(),
        policy: a.policy.name().into_owned(),
        reason: a.reason.clone(),
    };
    Ok((side, d))
}
