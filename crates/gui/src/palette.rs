//! The shared palette (`timeline::palette`) as egui colours.

use egui::Color32;

use vb2scope_core::model::BufState;
use vb2scope_core::rules::Severity;
use vb2scope_core::timeline::{Resource, palette as core};

pub use core::STATES;

fn c(rgb: core::Rgb) -> Color32 {
    Color32::from_rgb(rgb.0, rgb.1, rgb.2)
}

pub fn state(s: BufState) -> Color32 {
    c(core::state(s))
}

/// Many states in less than a pixel.
pub const MIXED: Color32 = Color32::from_rgb(core::MIXED.0, core::MIXED.1, core::MIXED.2);

pub fn resource(r: Resource) -> Color32 {
    c(core::resource(r))
}

pub fn severity(s: Severity) -> Color32 {
    c(core::severity(s))
}
