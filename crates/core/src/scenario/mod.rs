//! Scenarios (`.vb2s`): operations written by hand, one per line, for teaching and for
//! driving devices. [`parse`] checks a file completely before anything runs; [`run`] steps
//! the model through it and records a native trace (memops and driver consequences marked
//! `inferred`).

mod ast;
mod parse;
mod run;
mod workload;

pub use ast::{DriverStmt, Names, Scenario, Stmt, StmtKind};
pub use parse::{ScenarioError, parse};
pub use run::{RunError, run};
pub use workload::streaming_workload;
