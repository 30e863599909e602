//! vb2scope: the life of every V4L2/videobuf2 buffer over time, checked against a model of
//! vb2. See ARCHITECTURE.md for the layers and their invariants.

pub mod check;
pub mod format;
pub mod model;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod trace;
