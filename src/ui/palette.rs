//! Colors: the Okabe–Ito palette, which stays distinct for the common kinds of color
//! blindness, used the same way everywhere.

use egui::Color32;

use crate::model::BufState;
use crate::rules::Severity;
use crate::timeline::Resource;

const ORANGE: Color32 = Color32::from_rgb(0xE6, 0x9F, 0x00);
const SKY: Color32 = Color32::from_rgb(0x56, 0xB4, 0xE9);
const GREEN: Color32 = Color32::from_rgb(0x00, 0x9E, 0x73);
const YELLOW: Color32 = Color32::from_rgb(0xF0, 0xE4, 0x42);
const BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xB2);
const VERMILLION: Color32 = Color32::from_rgb(0xD5, 0x5E, 0x00);
const PURPLE: Color32 = Color32::from_rgb(0xCC, 0x79, 0xA7);
const GREY: Color32 = Color32::from_rgb(0x99, 0x99, 0x99);

pub fn state(s: BufState) -> Color32 {
    match s {
        BufState::Dequeued => GREY,
        BufState::Prepared => YELLOW,
        BufState::Queued => SKY,
        BufState::Active => BLUE,
        BufState::Done => GREEN,
        BufState::Error => VERMILLION,
    }
}

/// Many states in less than a pixel.
pub const MIXED: Color32 = Color32::from_rgb(0x6b, 0x6b, 0x6b);

pub fn resource(r: Resource) -> Color32 {
    match r {
        Resource::Allocated => PURPLE,
        Resource::Pinned => ORANGE,
        Resource::Attached => GREEN,
        Resource::Mapped => VERMILLION,
    }
}

pub fn severity(s: Severity) -> Color32 {
    match s {
        Severity::Error => VERMILLION,
        Severity::Warning => ORANGE,
        Severity::Info => SKY,
    }
}

pub const STATES: [BufState; 6] = [
    BufState::Dequeued,
    BufState::Prepared,
    BufState::Queued,
    BufState::Active,
    BufState::Done,
    BufState::Error,
];
