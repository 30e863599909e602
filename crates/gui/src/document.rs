//! What the inspector shows: a loaded trace (or scenario), its diagnostics, and its timeline
//! under the chosen policy.

use vb2scope_core::check::choose_policy;
use vb2scope_core::format::Diagnostic;
use vb2scope_core::policy::Policy;
use vb2scope_core::progress::Progress;
use vb2scope_core::scenario;
use vb2scope_core::timeline::{Timeline, build, build_with};
use vb2scope_core::trace::Trace;

/// The policy choice of the selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChoice {
    Fixed(Policy),
    Auto,
}

impl PolicyChoice {
    /// Every choice the window offers: each policy by name, then `auto`.
    pub fn all() -> impl Iterator<Item = PolicyChoice> {
        Policy::offered()
            .map(PolicyChoice::Fixed)
            .chain([PolicyChoice::Auto])
    }
    pub fn label(self) -> std::borrow::Cow<'static, str> {
        match self {
            PolicyChoice::Fixed(p) => p.name(),
            PolicyChoice::Auto => "auto".into(),
        }
    }
}

/// A loaded input.
pub struct Document {
    pub name: String,
    /// The scenario text, when the input is a scenario: it is re-run under each policy.
    scenario: Option<scenario::Scenario>,
    pub trace: Trace,
    pub diagnostics: Vec<Diagnostic>,
    pub timeline: Timeline,
    pub policy: Policy,
    /// Why `auto` chose the policy.
    pub reason: Option<String>,
}

impl Document {
    /// Loads a trace in any format vb2scope reads or, for a `.vb2s` name, a scenario. The error is a
    /// sentence to show in the window.
    pub fn load(name: &str, bytes: &[u8], choice: PolicyChoice) -> Result<Document, String> {
        Document::load_with(name, bytes, choice, None)
    }

    /// [`Document::load`], reporting progress; "cancelled" when asked to stop.
    pub fn load_with(
        name: &str,
        bytes: &[u8],
        choice: PolicyChoice,
        progress: Option<&Progress>,
    ) -> Result<Document, String> {
        if name.ends_with(".vb2s") {
            let text =
                std::str::from_utf8(bytes).map_err(|e| format!("{name}: not UTF-8 text: {e}"))?;
            let sc = scenario::parse(name, text).map_err(|e| e.to_string())?;
            let policy = match choice {
                PolicyChoice::Fixed(p) => p,
                PolicyChoice::Auto => Policy::MODERN,
            };
            let trace = scenario::run(&sc, policy).map_err(|e| e.to_string())?;
            let timeline = build(&trace, policy);
            let reason = (choice == PolicyChoice::Auto)
                .then(|| "a scenario has no observed kernel behaviour; modern assumed".to_string());
            return Ok(Document {
                name: name.into(),
                scenario: Some(sc),
                trace,
                diagnostics: Vec::new(),
                timeline,
                policy,
                reason,
            });
        }
        let (imported, _) = vb2scope_core::import::import_bytes(bytes, name, None, progress)
            .map_err(|e| format!("{name}: {e}"))?;
        let (trace, diagnostics) = (imported.trace, imported.diagnostics);
        let mut d = Document::unevaluated(name, trace);
        d.diagnostics = diagnostics;
        d.set_policy_with(choice, progress)?;
        Ok(d)
    }

    /// A document of a trace in memory (a live recording), evaluated under `choice`.
    pub fn from_trace(name: &str, trace: Trace, choice: PolicyChoice) -> Document {
        let mut d = Document::unevaluated(name, trace);
        d.set_policy(choice);
        d
    }

    /// A trace with an empty timeline, before its first evaluation.
    fn unevaluated(name: &str, trace: Trace) -> Document {
        Document {
            name: name.into(),
            scenario: None,
            timeline: build(&Trace::default(), Policy::MODERN),
            trace,
            diagnostics: Vec::new(),
            policy: Policy::MODERN,
            reason: None,
        }
    }

    /// Re-evaluates everything under another policy.
    pub fn set_policy(&mut self, choice: PolicyChoice) {
        let _ = self.set_policy_with(choice, None);
    }

    pub fn set_policy_with(
        &mut self,
        choice: PolicyChoice,
        progress: Option<&Progress>,
    ) -> Result<(), String> {
        let (policy, reason) = match choice {
            PolicyChoice::Fixed(p) => (p, None),
            PolicyChoice::Auto if self.scenario.is_some() => (
                Policy::MODERN,
                Some("a scenario has no observed kernel behaviour; modern assumed".to_string()),
            ),
            PolicyChoice::Auto => {
                let c = choose_policy(&self.trace);
                (c.policy, Some(c.reason))
            }
        };
        if let Some(sc) = &self.scenario
            && let Ok(t) = scenario::run(sc, policy)
        {
            self.trace = t;
        }
        if let Some(p) = progress {
            p.set(1, 0, 1);
        }
        self.timeline =
            build_with(&self.trace, policy, progress).ok_or_else(|| "cancelled".to_string())?;
        self.policy = policy;
        self.reason = reason;
        Ok(())
    }
}
