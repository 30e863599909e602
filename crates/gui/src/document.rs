//! What the inspector shows: the core's analysis of one input (a trace or a scenario), with
//! its timeline, under the chosen policy.

use std::ops::Deref;
use std::sync::{LazyLock, OnceLock};

use vb2scope_core::analysis::{Analysis, AnalysisError, Depth, Outgrown, analyze};
use vb2scope_core::policy::Policy;
use vb2scope_core::progress::Progress;
use vb2scope_core::time::{Origin, TimeBase};
use vb2scope_core::timeline::{DmabufLane, LaneFindings, Timeline, build};
use vb2scope_core::trace::Trace;

pub use vb2scope_core::analysis::PolicyChoice;

/// Why a document could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The thread doing the work went away without an answer.
    #[error("{0}: loading stopped unexpectedly")]
    Stopped(String),
    /// The program around the window could not read the input.
    #[error("{0}")]
    Unreadable(String),
}

impl LoadError {
    /// The user asked the work to stop: nothing to show for it.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, LoadError::Analysis(AnalysisError::Cancelled))
    }
}

/// A loaded input. Reads as its [`Analysis`]; its timeline is always there.
#[derive(Clone, Debug)]
pub struct Document {
    analysis: Analysis,
    /// Who held each dma-buf, computed once per judgement (not per frame).
    holders: OnceLock<Vec<DmabufLane>>,
    /// The findings of each lane in time order, likewise.
    lane_findings: OnceLock<LaneFindings>,
}

/// What a document without a timeline shows (never the case once loaded).
static EMPTY: LazyLock<Timeline> = LazyLock::new(|| build(&Trace::default(), Policy::MODERN));

impl Deref for Document {
    type Target = Analysis;
    fn deref(&self) -> &Analysis {
        &self.analysis
    }
}

impl Document {
    /// Loads a trace in any format vb2scope reads or, for a `.vb2s` name, a scenario.
    pub fn load(name: &str, bytes: &[u8], choice: PolicyChoice) -> Result<Document, LoadError> {
        Document::load_with(name, bytes, choice, None)
    }

    /// [`Document::load`], reporting progress and stopping when asked.
    pub fn load_with(
        name: &str,
        bytes: &[u8],
        choice: PolicyChoice,
        progress: Option<&Progress>,
    ) -> Result<Document, LoadError> {
        let analysis = analyze(name, bytes, None, choice, Depth::Timeline, progress)?;
        Ok(Document {
            analysis,
            holders: OnceLock::new(),
            lane_findings: OnceLock::new(),
        })
    }

    /// A trace in memory (a live recording), evaluated under `choice`.
    pub fn from_trace(
        name: &str,
        trace: Trace,
        choice: PolicyChoice,
    ) -> Result<Document, LoadError> {
        let analysis = Analysis::of_trace(name, trace, choice, Depth::Timeline, None)?;
        Ok(Document {
            analysis,
            holders: OnceLock::new(),
            lane_findings: OnceLock::new(),
        })
    }

    /// A live recording so far, judged as it grows ([`Document::grow`]).
    pub fn growing(name: &str, trace: Trace, choice: PolicyChoice) -> Document {
        Document {
            analysis: Analysis::growing(name, trace, choice),
            holders: OnceLock::new(),
            lane_findings: OnceLock::new(),
        }
    }

    /// The recording, to append its new events to (then [`Document::grow`]).
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.analysis.trace
    }

    /// Takes in the events appended since (see [`Analysis::grow`]).
    pub fn grow(&mut self, quiet: bool, ended: bool) -> Result<(), Outgrown> {
        let before = (self.analysis.replayed(), self.analysis.is_growing());
        let r = self.analysis.grow(quiet, ended);
        // What is worked out from the whole timeline is worked out again only when it grew.
        if (self.analysis.replayed(), self.analysis.is_growing()) != before || r.is_err() {
            self.holders = OnceLock::new();
            self.lane_findings = OnceLock::new();
        }
        r
    }

    pub fn timeline(&self) -> &Timeline {
        self.analysis.timeline().unwrap_or(&EMPTY)
    }

    /// Every dma-buf a plane held, with its holders.
    pub fn dmabuf_lanes(&self) -> &[DmabufLane] {
        self.holders.get_or_init(|| self.timeline().dmabuf_lanes())
    }

    /// The findings of each lane in time order.
    pub fn lane_findings(&self) -> &LaneFindings {
        self.lane_findings
            .get_or_init(|| LaneFindings::of(self.timeline()))
    }

    /// The time base every panel shows this document's times in.
    pub fn time_base(&self, origin: Origin) -> TimeBase {
        self.timeline().time_base(origin, self.trace.header.clock)
    }

    /// Re-evaluates everything under another policy.
    pub fn set_policy(&mut self, choice: PolicyChoice) -> Result<(), LoadError> {
        self.set_policy_with(choice, None)
    }

    pub fn set_policy_with(
        &mut self,
        choice: PolicyChoice,
        progress: Option<&Progress>,
    ) -> Result<(), LoadError> {
        self.analysis.rejudge(choice, Depth::Timeline, progress)?;
        self.holders = OnceLock::new();
        self.lane_findings = OnceLock::new();
        Ok(())
    }
}
