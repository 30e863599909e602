//! The vertical layout of a lane, one for the window and the SVG export: a state band, then
//! per plane an association row and one row per resource track; and of the dma-bufs under the
//! lanes: per dma-buf a header line, then per holder a tied bar and a thin bar per resource it
//! held. What surrounds them (labels, axis, header, legend) is each medium's own.

use super::{Lane, Resource, ResourceTrack};

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

/// A dma-buf's header line (what it is).
pub const DMABUF_HEAD_H: f32 = 16.0;
/// A holder's bar: when its plane was tied to the dma-buf.
pub const DMABUF_ROW_H: f32 = 10.0;
/// A thin bar under it: a resource the plane held meanwhile (attached, mapped, pinned).
pub const DMABUF_RES_H: f32 = 4.0;
/// Below the holder's bar and each thin bar.
pub const DMABUF_RES_GAP: f32 = 1.0;
/// Between two holders.
pub const DMABUF_ROW_GAP: f32 = 4.0;
/// Between two dma-bufs.
pub const DMABUF_GAP: f32 = 6.0;

/// The thin bars of a holder's rows: what its plane held (attached, mapped, pinned); its
/// allocation is an exporter's bar already.
pub fn dmabuf_tracks(tracks: &[ResourceTrack]) -> impl Iterator<Item = &ResourceTrack> {
    tracks.iter().filter(|t| t.resource != Resource::Allocated)
}

/// The height of one holder's rows with `tracks` thin bars, gaps included.
pub fn dmabuf_holder_height(tracks: usize) -> f32 {
    DMABUF_ROW_H + DMABUF_RES_GAP + tracks as f32 * (DMABUF_RES_H + DMABUF_RES_GAP) + DMABUF_ROW_GAP
}

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
