//! The rules R01–R22, the codec and request rules R23–R49 and the driver's R50–R55: what each one means, how severe it is under each policy, and the findings
//! the model reports against them. Pure data; evaluation happens inside the model's step.

mod catalog;
mod codec_catalog;
mod driver_catalog;
mod finding;

pub use catalog::{RULES, all_rules, info};
pub use finding::{Finding, FindingDetail};

use serde::{Deserialize, Serialize};

use crate::policy::Policy;

/// Identifies a rule. `R07b` and `R12b` are the reference's sub-rules; `Expect` is a failed
/// `expect` line of a scenario; `Diverge` is a kernel result that the chosen policy does not
/// predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    R01,
    R02,
    R03,
    R04,
    R05,
    R06,
    R07,
    R07b,
    R08,
    R09,
    R10,
    R11,
    R12,
    R12b,
    R13,
    R14,
    R15,
    R16,
    R17,
    R18,
    R19,
    R20,
    R21,
    R22,
    R23,
    R24,
    R25,
    R26,
    R27,
    R28,
    R29,
    R30,
    R31,
    R32,
    R33,
    R34,
    R35,
    R36,
    R37,
    R38,
    R39,
    R40,
    R41,
    R42,
    R43,
    R44,
    R45,
    R46,
    R47,
    R48,
    R49,
    R50,
    R51,
    R52,
    R53,
    R54,
    R55,
    #[serde(rename = "EXPECT")]
    Expect,
    #[serde(rename = "DIVERGE")]
    Diverge,
}

impl RuleId {
    pub const ALL: [RuleId; 59] = [
        RuleId::R01,
        RuleId::R02,
        RuleId::R03,
        RuleId::R04,
        RuleId::R05,
        RuleId::R06,
        RuleId::R07,
        RuleId::R07b,
        RuleId::R08,
        RuleId::R09,
        RuleId::R10,
        RuleId::R11,
        RuleId::R12,
        RuleId::R12b,
        RuleId::R13,
        RuleId::R14,
        RuleId::R15,
        RuleId::R16,
        RuleId::R17,
        RuleId::R18,
        RuleId::R19,
        RuleId::R20,
        RuleId::R21,
        RuleId::R22,
        RuleId::R23,
        RuleId::R24,
        RuleId::R25,
        RuleId::R26,
        RuleId::R27,
        RuleId::R28,
        RuleId::R29,
        RuleId::R30,
        RuleId::R31,
        RuleId::R32,
        RuleId::R33,
        RuleId::R34,
        RuleId::R35,
        RuleId::R36,
        RuleId::R37,
        RuleId::R38,
        RuleId::R39,
        RuleId::R40,
        RuleId::R41,
        RuleId::R42,
        RuleId::R43,
        RuleId::R44,
        RuleId::R45,
        RuleId::R46,
        RuleId::R47,
        RuleId::R48,
        RuleId::R49,
        RuleId::R50,
        RuleId::R51,
        RuleId::R52,
        RuleId::R53,
        RuleId::R54,
        RuleId::R55,
        RuleId::Expect,
        RuleId::Diverge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::R01 => "R01",
            RuleId::R02 => "R02",
            RuleId::R03 => "R03",
            RuleId::R04 => "R04",
            RuleId::R05 => "R05",
            RuleId::R06 => "R06",
            RuleId::R07 => "R07",
            RuleId::R07b => "R07b",
            RuleId::R08 => "R08",
            RuleId::R09 => "R09",
            RuleId::R10 => "R10",
            RuleId::R11 => "R11",
            RuleId::R12 => "R12",
            RuleId::R12b => "R12b",
            RuleId::R13 => "R13",
            RuleId::R14 => "R14",
            RuleId::R15 => "R15",
            RuleId::R16 => "R16",
            RuleId::R17 => "R17",
            RuleId::R18 => "R18",
            RuleId::R19 => "R19",
            RuleId::R20 => "R20",
            RuleId::R21 => "R21",
            RuleId::R22 => "R22",
            RuleId::R23 => "R23",
            RuleId::R24 => "R24",
            RuleId::R25 => "R25",
            RuleId::R26 => "R26",
            RuleId::R27 => "R27",
            RuleId::R28 => "R28",
            RuleId::R29 => "R29",
            RuleId::R30 => "R30",
            RuleId::R31 => "R31",
            RuleId::R32 => "R32",
            RuleId::R33 => "R33",
            RuleId::R34 => "R34",
            RuleId::R35 => "R35",
            RuleId::R36 => "R36",
            RuleId::R37 => "R37",
            RuleId::R38 => "R38",
            RuleId::R39 => "R39",
            RuleId::R40 => "R40",
            RuleId::R41 => "R41",
            RuleId::R42 => "R42",
            RuleId::R43 => "R43",
            RuleId::R44 => "R44",
            RuleId::R45 => "R45",
            RuleId::R46 => "R46",
            RuleId::R47 => "R47",
            RuleId::R48 => "R48",
            RuleId::R49 => "R49",
            RuleId::R50 => "R50",
            RuleId::R51 => "R51",
            RuleId::R52 => "R52",
            RuleId::R53 => "R53",
            RuleId::R54 => "R54",
            RuleId::R55 => "R55",
            RuleId::Expect => "EXPECT",
            RuleId::Diverge => "DIVERGE",
        }
    }

    /// Parses `R03`, `r03`, `R3`, `R07b`, `EXPECT`, `DIVERGE`.
    pub fn parse(s: &str) -> Option<RuleId> {
        let up = s.trim().to_ascii_uppercase();
        let norm = match up.strip_prefix('R') {
            Some(rest) => {
                let (num, suffix) = rest.split_at(
                    rest.find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(rest.len()),
                );
                let n: u32 = num.parse().ok()?;
                format!("R{n:02}{}", suffix.to_ascii_lowercase())
            }
            None => up,
        };
        RuleId::ALL.into_iter().find(|r| r.as_str() == norm)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Everything a user is told about a rule.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: RuleId,
    pub title: &'static str,
    /// Severity under `spec`, `vb2-2012`, `vb2-3.8`, `modern`, in that order (the order of
    /// [`Policy::ALL`]). `None`: the behaviour is expected under that policy and not reported.
    pub severity: [Option<Severity>; 4],
    /// The document the rule rests on, e.g. `Documentation/userspace-api/media/v4l/vidioc-streamon.rst`.
    pub source: &'static str,
    /// The sentence of that document, quoted exactly.
    pub quote: &'static str,
    /// What goes wrong and why it matters, for someone learning vb2.
    pub explanation: &'static str,
    /// What each policy does about it, in the order of [`Policy::ALL`].
    pub per_policy: [&'static str; 4],
}

impl RuleInfo {
    pub fn severity_under(&self, policy: Policy) -> Option<Severity> {
        self.severity.get(policy.generation()).copied().flatten()
    }
}
