//! The vertical layout of a lane, one for the window and the SVG export: a state band, then
//! per plane an association row and one row per resource track. What surrounds the lanes
//! (labels, axis, header, legend) is each medium's own.

use super::Lane;

/// The state band.
pub const STATE_H: f32 = 20.0;
/// A plane's association row.
pub const ASSOC_H: f32 = 15.0;
/// A resource track.
pub const RES_H: f32 = 8.0;
/// A queue's group title.
pub const GROUP_H: f32 = 18.0;
/// Below the state band.
pub const STATE_GAP: f32 = 2.0;
/// Below each resource track.
pub const RES_GAP: f32 = 1.0;
/// Between two lanes.
pub const LANE_GAP: f32 = 4.0;

/// The height of a lane, gaps included.
pub fn lane_height(l: &Lane) -> f32 {
    STATE_H
        + STATE_GAP
        + LANE_GAP
        + l.planes
            .iter()
            .map(|p| ASSOC_H + p.tracks.len() as f32 * (RES_H + RES_GAP))
            .sum::<f32>()
}
