//! vb2scope's pure core: the V4L2 vocabulary, traces, the model of vb2 and its rules, the
//! importers, the check, the timeline and the exports. No I/O beyond byte slices handed in,
//! no GUI, no device. See ARCHITECTURE.md for the layers and their invariants.
//!
//! Checking a scenario from code: the 2012 report, where a dma-buf queued again after
//! STREAMOFF is still mapped (R03) and gets mapped a second time (R05).
//!
//! ```
//! use vb2scope_core::{check::check_trace, policy::Policy, scenario};
//!
//! let text = "reqbufs 1 dmabuf\ndmabuf a 614400\nqbuf 0 fd=a\nstreamon\nstreamoff\nqbuf 0 fd=a\n";
//! let sc = scenario::parse("example.vb2s", text)?;
//! let trace = scenario::run(&sc, Policy::Vb2_2012)?;
//! let report = check_trace(&trace, Policy::Vb2_2012);
//! let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
//! assert_eq!(rules, ["R03", "R05"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analysis;
pub mod check;
pub mod diff;
pub mod export;
pub mod format;
pub mod import;
pub mod kernel;
pub mod model;
pub mod policy;
pub mod progress;
mod read_ahead;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod time;
pub mod timeline;
pub mod trace;
pub mod v4l2;
