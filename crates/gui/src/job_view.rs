//! Memory-to-memory jobs drawn across the lanes: a link from each OUTPUT buffer to the
//! CAPTURE buffer made from it, at the times the trace tied them (their DQBUFs, or their
//! completions). A link, not an arrow: the application often dequeues the result before
//! the source, so the two ends are not in the job's order. The selected lane's jobs stand out; the others are faint, and only drawn
//! while few enough are in sight to be told apart.

use egui::{Color32, Stroke, pos2};

use vb2scope_core::timeline::Timeline;
use vb2scope_core::timeline::layout::STATE_H;

use super::dmabuf_view::Place;

/// Above this many jobs in sight, only the selected lane's are drawn.
pub const MAX_FAINT: usize = 300;

/// Draws the jobs whose ends are in the visible time window.
pub fn draw(p: &Place, tl: &Timeline, lane_tops: &[f32], selected_lane: Option<usize>) {
    if tl.jobs.is_empty() {
        return;
    }
    let (t0, t1) = (
        p.view.t(p.area, p.area.left()),
        p.view.t(p.area, p.area.right()),
    );
    let in_sight = |t: u64| (t as f64) >= t0 && (t as f64) <= t1;
    // Jobs are in time order of their CAPTURE end; an OUTPUT end is never much earlier.
    let first = tl.jobs.partition_point(|j| (j.capture_t_ns as f64) < t0);
    let visible: Vec<_> = tl
        .jobs
        .iter()
        .skip(first)
        .take_while(|j| (j.capture_t_ns as f64) <= t1)
        .filter(|j| in_sight(j.output_t_ns))
        .collect();
    let faint = visible.len() <= MAX_FAINT;
    let weak = Color32::from_rgba_unmultiplied(p.weak.r(), p.weak.g(), p.weak.b(), 160);
    for j in visible {
        let (Some(from), Some(to)) = (
            tl.lane_of(j.output.0, j.output.1),
            tl.lane_of(j.capture.0, j.capture.1),
        ) else {
            continue;
        };
        let lit = selected_lane.is_some_and(|l| l == from || l == to);
        if !lit && !faint {
            continue;
        }
        let (Some(&y0), Some(&y1)) = (lane_tops.get(from), lane_tops.get(to)) else {
            continue;
        };
        let a = pos2(p.view.x(p.area, j.output_t_ns as f64), y0 + STATE_H / 2.0);
        let b = pos2(p.view.x(p.area, j.capture_t_ns as f64), y1 + STATE_H / 2.0);
        let color = if lit { p.highlight } else { weak };
        p.painter.line_segment([a, b], Stroke::new(1.2, color));
        p.painter.circle_filled(a, 2.5, color);
        p.painter.circle_filled(b, 2.5, color);
    }
}
