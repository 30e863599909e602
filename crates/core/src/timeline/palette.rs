//! Colors: the Okabe–Ito palette, which stays distinct for the common kinds of color
//! blindness, used the same way by the window and every export.

use crate::model::BufState;
use crate::rules::Severity;
use crate::timeline::Resource;

/// A colour, 8 bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#RRGGBB`, as SVG and HTML write it.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

const ORANGE: Rgb = Rgb(0xE6, 0x9F, 0x00);
const SKY: Rgb = Rgb(0x56, 0xB4, 0xE9);
const GREEN: Rgb = Rgb(0x00, 0x9E, 0x73);
const YELLOW: Rgb = Rgb(0xF0, 0xE4, 0x42);
const BLUE: Rgb = Rgb(0x00, 0x72, 0xB2);
const VERMILLION: Rgb = Rgb(0xD5, 0x5E, 0x00);
const PURPLE: Rgb = Rgb(0xCC, 0x79, 0xA7);
const GREY: Rgb = Rgb(0x99, 0x99, 0x99);

pub fn state(s: BufState) -> Rgb {
    match s {
        BufState::Dequeued => GREY,
        BufState::Prepared => YELLOW,
        BufState::InRequest => PURPLE,
        BufState::Queued => SKY,
        BufState::Active => BLUE,
        BufState::Done => GREEN,
        BufState::Error => VERMILLION,
    }
}

/// The buffer state whose colour a media request's state takes: idle as a dequeued
/// buffer, queued as a queued one, complete as a done one.
pub fn request_state(s: crate::model::ReqState) -> BufState {
    match s {
        crate::model::ReqState::Idle => BufState::Dequeued,
        crate::model::ReqState::Queued => BufState::Queued,
        crate::model::ReqState::Complete => BufState::Done,
    }
}

/// The buffer state whose colour a drain phase takes; `None` for a phase not known (drawn
/// as [`MIXED`]).
pub fn drain_phase(p: crate::model::DrainPhase) -> Option<BufState> {
    match p {
        crate::model::DrainPhase::Running => Some(BufState::Active),
        crate::model::DrainPhase::Draining => Some(BufState::Queued),
        crate::model::DrainPhase::Stopped => Some(BufState::Dequeued),
        crate::model::DrainPhase::Unknown => None,
    }
}

/// Many states in less than a pixel.
pub const MIXED: Rgb = Rgb(0x6b, 0x6b, 0x6b);

pub fn resource(r: Resource) -> Rgb {
    match r {
        Resource::Allocated => PURPLE,
        Resource::Pinned => ORANGE,
        Resource::Attached => GREEN,
        Resource::Mapped => VERMILLION,
    }
}

pub fn severity(s: Severity) -> Rgb {
    match s {
        Severity::Error => VERMILLION,
        Severity::Warning => ORANGE,
        Severity::Info => SKY,
    }
}

pub const STATES: [BufState; 7] = [
    BufState::Dequeued,
    BufState::Prepared,
    BufState::InRequest,
    BufState::Queued,
    BufState::Active,
    BufState::Done,
    BufState::Error,
];
