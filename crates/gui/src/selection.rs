//! What the user points at: the step cursor (an event), a lane and a finding, and moving
//! them while keeping the view on the cursor.

use vb2scope_core::v4l2::Origin;

use super::document::Document;
use super::timeline_view::View;

/// The selected event, lane and finding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The selected event: the step cursor.
    pub cursor: Option<u32>,
    pub lane: Option<usize>,
    pub finding: Option<usize>,
}

impl Selection {
    /// Puts the cursor on event `c` (no finding selected) and keeps it in view.
    pub fn go_to(&mut self, d: &Document, view: &mut View, c: u32) {
        self.cursor = Some(c);
        self.finding = None;
        follow_cursor(self.cursor, d, view);
    }

    /// Moves the cursor `delta` events, skipping the model's inferred consequences.
    pub fn step(&mut self, d: &Document, view: &mut View, delta: i64) {
        let n = d.trace.events.len() as i64;
        if n == 0 {
            return;
        }
        let mut i = self
            .cursor
            .map(i64::from)
            .unwrap_or(if delta > 0 { -1 } else { n });
        loop {
            i += delta.signum();
            if i < 0 || i >= n {
                return;
            }
            let inferred = d
                .trace
                .events
                .get(i as usize)
                .is_some_and(|e| e.origin() == Origin::Inferred);
            if !inferred {
                break;
            }
        }
        self.go_to(d, view, i as u32);
    }

    /// Selects finding `k`, its event and its lane.
    pub fn select_finding(&mut self, d: &Document, view: &mut View, k: usize) {
        let tl = d.timeline();
        let Some(f) = tl.report.findings.get(k) else {
            return;
        };
        self.finding = Some(k);
        self.cursor = Some(f.event);
        self.lane = tl
            .lanes
            .iter()
            .position(|l| Some(l.queue) == f.queue && Some(l.index) == f.index);
        follow_cursor(self.cursor, d, view);
    }
}

/// Centers the cursor with a window of about twenty events around it.
pub fn zoom_to(cursor: Option<u32>, d: &Document) -> Option<View> {
    let c = cursor? as usize;
    let times = &d.timeline().event_times;
    let lo = times.get(c.saturating_sub(10)).copied().unwrap_or(0) as f64;
    let hi = times
        .get((c + 10).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0) as f64;
    let pad = ((hi - lo) * 0.1).max(2_000.0);
    Some(View {
        t0: lo - pad,
        t1: hi + pad,
    })
}

/// Keeps the cursor inside the visible window.
fn follow_cursor(cursor: Option<u32>, d: &Document, view: &mut View) {
    let Some(t) = cursor.and_then(|c| d.timeline().event_time(c)) else {
        return;
    };
    let t = t as f64;
    if t < view.t0 || t > view.t1 {
        let w = view.t1 - view.t0;
        *view = View {
            t0: t - w / 2.0,
            t1: t + w / 2.0,
        };
    }
}
