//! What changed between two traces, or one trace under two policies: each trace's buffer
//! lifecycle ([`digest`]) aligned queue by queue on the calls the application made
//! ([`compare`]), not on time or fd numbers, and every point where what the kernel did (or
//! the policy predicts) differs: an errno, a memop in one and not the other, a state
//! reached, a finding.

mod compare;
mod digest;
mod text;

pub use compare::{Aspect, Comparison, Difference, compare};
pub use digest::{Digest, Lane, LaneKey, Step, digest};
pub use text::text;

use serde::Serialize;

/// One side of a comparison: what was read, and under which policy.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub name: String,
    pub policy: String,
    /// Why `auto` chose the policy; `None` when it was given.
    pub reason: Option<String>,
}

/// A comparison with what it compared, as `diff` prints it (text or JSON).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub a: Side,
    pub b: Side,
    pub same: bool,
    #[serde(flatten)]
    pub comparison: Comparison,
}

impl Report {
    pub fn new(a: Side, b: Side, comparison: Comparison) -> Report {
        Report {
            a,
            b,
            same: comparison.same(),
            comparison,
        }
    }
}
