//! The time axis both the window and the SVG export draw.

/// A nice tick step (1, 2 or 5 times a power of ten) for about `n` ticks over `span` ns.
pub fn tick_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}
