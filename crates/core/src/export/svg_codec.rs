//! The codec objects of the SVG, under the dma-bufs, as the window draws them: a row per
//! codec context with its drain phases, then a row per media request with its states and
//! the buffer bound to it.

use std::fmt::Write as _;

use super::escape;
use super::svg::{Row, Scale, state_class};
use crate::time::TimeBase;
use crate::timeline::{Span, Timeline, palette};

const ROW_H: f64 = 12.0;
const ROW_GAP: f64 = 3.0;
const HEAD_H: f64 = 20.0;
/// As in the window: v4l2-compliance allocates hundreds of requests.
const MAX_REQUESTS: usize = 64;

/// Draws both sections from `y`; returns the y under them.
pub(super) fn section(
    body: &mut String,
    tl: &Timeline,
    sc: &Scale,
    tb: &TimeBase,
    mut y: f64,
) -> f64 {
    if !tl.drains.is_empty() {
        y = head(body, y, &format!("codec drains ({})", tl.drains.len()));
        for d in &tl.drains {
            let label = tl.device_label(d.dev);
            y = row(body, sc, tb, y, &label, &d.phases, |p| {
                let class = palette::drain_phase(*p).map_or_else(|| "mixed".into(), state_class);
                (class, p.as_str().to_owned())
            });
        }
    }
    if !tl.requests.is_empty() {
        let more = tl.requests.len().saturating_sub(MAX_REQUESTS);
        let title = match more {
            0 => format!("media requests ({})", tl.requests.len()),
            n => format!("media requests ({}, {n} not shown)", tl.requests.len()),
        };
        y = head(body, y, &title);
        for r in tl.requests.iter().take(MAX_REQUESTS) {
            let label = format!("request {}", r.id);
            y = row(body, sc, tb, y, &label, &r.phases, |p| {
                (state_class(palette::request_state(p.state)), p.describe())
            });
        }
    }
    y
}

fn head(body: &mut String, y: f64, title: &str) -> f64 {
    let y = y + 10.0;
    let _ = writeln!(
        body,
        r#"<text class="q" x="4" y="{:.1}">{}</text>"#,
        y + 13.0,
        escape(title)
    );
    y + HEAD_H
}

/// One object's row: its label and a bar per phase (with the phase in words as its title).
fn row<T>(
    body: &mut String,
    sc: &Scale,
    tb: &TimeBase,
    y: f64,
    label: &str,
    phases: &[Span<T>],
    look: impl Fn(&T) -> (String, String),
) -> f64 {
    let _ = writeln!(
        body,
        r#"<g class="object"><text class="sub" x="8" y="{:.1}">{}</text>"#,
        y + 9.0,
        escape(label)
    );
    for s in phases {
        let (class, words) = look(&s.value);
        let _ = writeln!(
            body,
            r#"<g><title>{}: {} from {} to {}</title>"#,
            escape(label),
            escape(&words),
            tb.rel(s.start_ns),
            tb.rel(s.end_ns)
        );
        let mut r = Row::new(body, y, ROW_H);
        r.push(sc.x(s.start_ns), sc.x(s.end_ns), class);
        r.flush();
        body.push_str("</g>\n");
    }
    body.push_str("</g>\n");
    y + ROW_H + ROW_GAP
}
