//! Problems found while reading input: where (line, byte) and what. Reading goes on.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagSeverity {
    Info,
    Warning,
    Error,
}

/// One problem in an input file. `line` is 1-based; `byte` is the offset of the line start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: DiagSeverity,
    pub line: u32,
    pub byte: u64,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            DiagSeverity::Info => "info",
            DiagSeverity::Warning => "warning",
            DiagSeverity::Error => "error",
        };
        write!(f, "line {}: {s}: {}", self.line, self.message)
    }
}
