//! The one way from an input to what vb2scope says about it: bytes and a name (and a format,
//! when the user forces one) in; the trace, its diagnostics, the policy with the reason it
//! was chosen, the findings and, when asked, the timeline out. The command line, the exports
//! and the window all call [`analyze`].

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::check::{
    CheckReport, PolicyScore, check_trace, choose_policy_seeded, choose_policy_with,
    first_candidate,
};
use crate::format::Diagnostic;
use crate::import::{Format, ImportError, import_bytes};
use crate::policy::Policy;
use crate::progress::Progress;
use crate::scenario::{self, RunError, Scenario, ScenarioError};
use crate::timeline::{Growing, Timeline, build_with};
use crate::trace::Trace;

/// Why a scenario under `auto` runs under the newest vb2.
pub const SCENARIO_AUTO: &str = "a scenario has no observed kernel behaviour; modern assumed";

/// The vb2 a trace is judged against: one policy, or `auto` (the default everywhere).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyChoice {
    /// The trace's own kernel when its header names one, else the policy that explains what
    /// the kernel did best.
    #[default]
    Auto,
    Fixed(Policy),
}

impl PolicyChoice {
    /// Every choice offered: each policy by name, then `auto`.
    pub fn all() -> impl Iterator<Item = PolicyChoice> {
        Policy::offered()
            .map(PolicyChoice::Fixed)
            .chain([PolicyChoice::Auto])
    }

    pub fn label(self) -> Cow<'static, str> {
        match self {
            PolicyChoice::Fixed(p) => p.name(),
            PolicyChoice::Auto => "auto".into(),
        }
    }
}

impl fmt::Display for PolicyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for PolicyChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<PolicyChoice, String> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(PolicyChoice::Auto);
        }
        Policy::parse(s).map(PolicyChoice::Fixed).ok_or_else(|| {
            let names: Vec<String> = Policy::offered().map(|p| p.to_string()).collect();
            format!(
                "unknown policy {s:?}; one of: {}, auto, or linux-X.Y for any release from {}",
                names.join(", "),
                crate::policy::Kernel::OLDEST
            )
        })
    }
}

/// How far to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// The findings only (`check`): no timeline is laid out.
    Findings,
    /// The findings and the timeline, from the same replay.
    Timeline,
}

/// Why an input could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    // The message carries the cause: it is not also a `source`, or chains print it twice.
    #[error("{name}: {error}")]
    Import { name: String, error: ImportError },
    #[error("{name}: not UTF-8 text: {error}")]
    NotText {
        name: String,
        error: std::str::Utf8Error,
    },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cancelled")]
    Cancelled,
}

/// The input an analysis came from.
#[derive(Clone, Debug)]
enum Source {
    /// A scenario: re-run under each policy, since its trace is the model's own.
    Scenario(Scenario),
    /// A trace: read once; another policy only replays it.
    Trace,
}

/// What vb2scope says about one input.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub name: String,
    source: Source,
    pub trace: Trace,
    /// What the reader recovered from (bad lines, unknown calls), with positions.
    pub diagnostics: Vec<Diagnostic>,
    pub choice: PolicyChoice,
    /// The policy the findings are under.
    pub policy: Policy,
    /// Why `auto` chose `policy`; `None` for a fixed choice.
    pub reason: Option<String>,
    /// Every policy `auto` tried, with its score (empty for a fixed choice or a scenario);
    /// see [`Analysis::every_score`].
    pub scores: Vec<PolicyScore>,
    scores_partial: bool,
    judged: Judged,
}

#[derive(Clone, Debug)]
enum Judged {
    Findings(CheckReport),
    Timeline(Box<Timeline>),
    /// A live recording's, updated as it grows.
    Growing(Box<Growing>),
}

/// The most events [`Analysis::grow`] replays in one call (about 20 ms).
pub const GROW_AT_MOST: usize = 200_000;

/// What came in a live recording changes what was already replayed (its first kernel
/// event, or one that happened inside the call replayed last; or, at its end, `auto`
/// chose another policy): the recording must be judged again from the start.
#[derive(Debug, thiserror::Error)]
#[error("the recording must be judged again from its start")]
pub struct Outgrown;

/// Everything a judgement under one choice gives, computed before anything changes.
struct Verdict {
    policy: Policy,
    reason: Option<String>,
    scores: Vec<PolicyScore>,
    scores_partial: bool,
    /// A scenario's trace, run again under `policy`.
    rerun: Option<Trace>,
    judged: Judged,
}

fn verdict(
    source: &Source,
    trace: &Trace,
    choice: PolicyChoice,
    depth: Depth,
    progress: Option<&Progress>,
) -> Result<Verdict, AnalysisError> {
    let build = |t: &Trace, p: Policy| -> Result<Box<Timeline>, AnalysisError> {
        if let Some(pr) = progress {
            pr.set(1, 0, 1);
        }
        build_with(t, p, progress)
            .map(Box::new)
            .ok_or(AnalysisError::Cancelled)
    };
    let (policy, reason, scores, judged, scores_partial) = match (choice, source) {
        (PolicyChoice::Fixed(p), _) => (p, None, Vec::new(), None, false),
        (PolicyChoice::Auto, Source::Scenario(_)) => (
            Policy::MODERN,
            Some(SCENARIO_AUTO.into()),
            Vec::new(),
            None,
            false,
        ),
        (PolicyChoice::Auto, Source::Trace) => {
            // The first policy `auto` tries is replayed once, for the timeline too when one
            // is wanted: most traces keep it (their kernel's, or the newest with nothing
            // observed), and then no second replay is made.
            let first = first_candidate(trace);
            let (seed, judged) = match depth {
                Depth::Findings => (None, None),
                Depth::Timeline => {
                    let tl = build(trace, first)?;
                    (Some(tl.report.clone()), Some(Judged::Timeline(tl)))
                }
            };
            let c = choose_policy_seeded(trace, false, seed.map(|r| (first, r)));
            let judged = match judged {
                Some(j) if c.policy == first => Some(j),
                _ if depth == Depth::Findings => c
                    .scores
                    .iter()
                    .find(|s| s.policy == c.policy)
                    .map(|s| Judged::Findings(s.report.clone())),
                _ => None,
            };
            (c.policy, Some(c.reason), c.scores, judged, c.partial)
        }
    };
    let rerun = match source {
        Source::Scenario(sc) => Some(scenario::run(sc, policy)?),
        Source::Trace => None,
    };
    let judged_trace = rerun.as_ref().unwrap_or(trace);
    let judged = match (judged, depth) {
        (Some(j), _) => j,
        (None, Depth::Findings) => Judged::Findings(check_trace(judged_trace, policy)),
        (None, Depth::Timeline) => Judged::Timeline(build(judged_trace, policy)?),
    };
    Ok(Verdict {
        policy,
        reason,
        scores,
        scores_partial,
        rerun,
        judged,
    })
}

/// Reads `bytes` (named `name`; `format` forces how) and judges it under `choice`.
pub fn analyze(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    choice: PolicyChoice,
    depth: Depth,
    progress: Option<&Progress>,
) -> Result<Analysis, AnalysisError> {
    let scenario_named = format.is_none() && name.ends_with(".vb2s");
    if format == Some(Format::Scenario) || scenario_named {
        let text = std::str::from_utf8(bytes).map_err(|error| AnalysisError::NotText {
            name: name.into(),
            error,
        })?;
        let sc = scenario::parse(name, text)?;
        return Analysis::judge(
            name,
            Source::Scenario(sc),
            Trace::default(),
            Vec::new(),
            choice,
            depth,
            progress,
        );
    }
    let (imported, _) =
        import_bytes(bytes, name, format, progress).map_err(|error| match error {
            ImportError::Native(crate::format::LoadError::Cancelled) => AnalysisError::Cancelled,
            error => AnalysisError::Import {
                name: name.into(),
                error,
            },
        })?;
    Analysis::judge(
        name,
        Source::Trace,
        imported.trace,
        imported.diagnostics,
        choice,
        depth,
        progress,
    )
}

impl Analysis {
    /// A trace already in memory (a live recording), judged under `choice`.
    pub fn of_trace(
        name: &str,
        trace: Trace,
        choice: PolicyChoice,
        depth: Depth,
        progress: Option<&Progress>,
    ) -> Result<Analysis, AnalysisError> {
        Analysis::judge(
            name,
            Source::Trace,
            trace,
            Vec::new(),
            choice,
            depth,
            progress,
        )
    }

    fn judge(
        name: &str,
        source: Source,
        trace: Trace,
        diagnostics: Vec<Diagnostic>,
        choice: PolicyChoice,
        depth: Depth,
        progress: Option<&Progress>,
    ) -> Result<Analysis, AnalysisError> {
        let v = verdict(&source, &trace, choice, depth, progress)?;
        Ok(Analysis {
            name: name.into(),
            source,
            trace: v.rerun.unwrap_or(trace),
            diagnostics,
            choice,
            policy: v.policy,
            reason: v.reason,
            scores: v.scores,
            scores_partial: v.scores_partial,
            judged: v.judged,
        })
    }

    /// A live recording so far, judged as it grows ([`Analysis::grow`]) rather than again
    /// from the start at each look. `auto` takes vb2 of the kernel the header names, else
    /// chooses on the events so far (and again at the end).
    pub fn growing(name: &str, trace: Trace, choice: PolicyChoice) -> Analysis {
        let (policy, reason, scores, scores_partial) = match choice {
            PolicyChoice::Fixed(p) => (p, None, Vec::new(), false),
            PolicyChoice::Auto => {
                let c = choose_policy_with(&trace, false);
                (c.policy, Some(c.reason), c.scores, c.partial)
            }
        };
        let mut g = Growing::new(&trace, policy);
        g.feed(&trace, g.horizon(&trace, false, false));
        Analysis {
            name: name.into(),
            source: Source::Trace,
            trace,
            diagnostics: Vec::new(),
            choice,
            policy,
            reason,
            scores,
            scores_partial,
            judged: Judged::Growing(Box::new(g)),
        }
    }

    /// Whether the analysis grows with its trace.
    pub fn is_growing(&self) -> bool {
        matches!(self.judged, Judged::Growing(_))
    }

    /// The events replayed so far (all of them once the analysis no longer grows).
    pub fn replayed(&self) -> usize {
        match &self.judged {
            Judged::Growing(g) => g.fed(),
            _ => self.trace.events.len(),
        }
    }

    /// Takes in the events appended to [`Analysis::trace`] since the last call: up to its
    /// last call, or, when `quiet` (nothing came for a while), to its last event; `ended`:
    /// the recording is over, and the timeline is finished as a whole trace's. An analysis
    /// that does not grow is left alone.
    pub fn grow(&mut self, quiet: bool, ended: bool) -> Result<(), Outgrown> {
        let Judged::Growing(g) = &mut self.judged else {
            return Ok(());
        };
        let len = self.trace.events.len();
        // A long backlog (a recording shown again after a while) is taken in over several
        // calls, each a bounded piece of work.
        let to = g
            .horizon(&self.trace, quiet, ended)
            .min(g.fed().saturating_add(GROW_AT_MOST));
        if g.outgrown(&self.trace, to) {
            return Err(Outgrown);
        }
        g.feed(&self.trace, to);
        if !ended || g.fed() < len {
            return Ok(());
        }
        let placeholder = Judged::Findings(CheckReport::empty(self.policy));
        let Judged::Growing(g) = std::mem::replace(&mut self.judged, placeholder) else {
            return Ok(());
        };
        let tl = g.finish(&self.trace);
        // `auto` chose on the events so far: at the end it may choose otherwise.
        if self.choice == PolicyChoice::Auto {
            let c =
                choose_policy_seeded(&self.trace, false, Some((self.policy, tl.report.clone())));
            if c.policy != self.policy {
                self.judged = Judged::Timeline(Box::new(tl));
                return Err(Outgrown);
            }
            self.reason = Some(c.reason);
            self.scores = c.scores;
            self.scores_partial = c.partial;
        }
        self.judged = Judged::Timeline(Box::new(tl));
        Ok(())
    }

    /// Judges the same input under another policy (a scenario is run again under it). A
    /// failure leaves the analysis as it was.
    pub fn rejudge(
        &mut self,
        choice: PolicyChoice,
        depth: Depth,
        progress: Option<&Progress>,
    ) -> Result<(), AnalysisError> {
        let v = verdict(&self.source, &self.trace, choice, depth, progress)?;
        if let Some(t) = v.rerun {
            self.trace = t;
        }
        self.choice = choice;
        self.policy = v.policy;
        self.reason = v.reason;
        self.scores = v.scores;
        self.scores_partial = v.scores_partial;
        self.judged = v.judged;
        Ok(())
    }

    /// Every candidate policy's score under `auto` (the HTML report's table). A trace with
    /// nothing observed was judged with one replay; the others are replayed now.
    pub fn every_score(&self) -> Vec<PolicyScore> {
        if self.scores_partial {
            crate::check::choose_policy(&self.trace).scores
        } else {
            self.scores.clone()
        }
    }

    /// The findings under [`Analysis::policy`].
    pub fn report(&self) -> &CheckReport {
        match &self.judged {
            Judged::Findings(r) => r,
            Judged::Timeline(t) => &t.report,
            Judged::Growing(g) => &g.timeline().report,
        }
    }

    /// The timeline, when the analysis went that far.
    pub fn timeline(&self) -> Option<&Timeline> {
        match &self.judged {
            Judged::Findings(_) => None,
            Judged::Timeline(t) => Some(t),
            Judged::Growing(g) => Some(g.timeline()),
        }
    }

    /// Whether the input is a scenario (run on the model, not read).
    pub fn is_scenario(&self) -> bool {
        matches!(self.source, Source::Scenario(_))
    }
}
