//! Scenarios (`.vb2s`): operations written by hand, one per line, for teaching and for
//! driving devices. [`parse`] checks a file completely before anything runs; [`lower`] turns
//! it, once, into the scripted events its application side makes; [`run`] records that
//! script on the model (memops and driver consequences marked `inferred`), and a device
//! plays the same script.

mod ast;
pub mod highlight;
mod lesson;
mod lower;
mod parse;
mod run;
mod workload;

pub use crate::check::PlaneRef;
pub use ast::{DriverStmt, Name, Names, Scenario, Stmt, StmtKind};
pub use lesson::{Lesson, LessonStep};
pub use lower::{DEVICE, Script, lower};
pub use parse::{ScenarioError, VERBS, parse};
pub use run::{RunError, run};
pub use workload::{fresh_dmabuf_workload, streaming_workload};
