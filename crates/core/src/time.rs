//! Times in words, written once: the axis ticks the window and the SVG export draw, the
//! milliseconds of the text dumps, the seconds of the reports, durations.

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

/// A tick's label, `t` ns from the start, in the unit that suits the step. The window and the
/// SVG export write their axes with it.
pub fn tick_label(t: f64, step: f64) -> String {
    // No "-0" for a tick a rounding error away from zero.
    let t = if t.abs() < step / 2.0 { 0.0 } else { t };
    if step >= 1e9 {
        format!("{:.0} s", t / 1e9)
    } else if step >= 1e6 {
        format!("{:.0} ms", t / 1e6)
    } else if step >= 1e3 {
        format!("{:.0} µs", t / 1e3)
    } else {
        format!("{t:.0} ns")
    }
}

/// A time in ms with µs precision, as the text dumps and reports write it.
pub fn ms(t: u64) -> String {
    format!("{}.{:03}", t / 1_000_000, (t % 1_000_000) / 1_000)
}

/// A time in ms to the nanosecond, as the window's event table and details write it.
pub fn ms_ns(t: u64) -> String {
    format!("{}.{:06}", t / 1_000_000, t % 1_000_000)
}

/// `t_ns` as seconds with microseconds, the way ftrace prints time (the check reports).
pub fn seconds(t_ns: u64) -> String {
    format!(
        "{}.{:06}",
        t_ns / 1_000_000_000,
        (t_ns % 1_000_000_000) / 1_000
    )
}

/// A duration in the largest unit that keeps it above one.
pub fn duration(ns: u64) -> String {
    let t = ns as f64;
    if t >= 1e9 {
        format!("{:.3} s", t / 1e9)
    } else if t >= 1e6 {
        format!("{:.3} ms", t / 1e6)
    } else if t >= 1e3 {
        format!("{:.3} µs", t / 1e3)
    } else {
        format!("{ns} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_use_the_unit_of_the_step() {
        assert_eq!(tick_label(2e6, 1e6), "2 ms");
        assert_eq!(tick_label(-1e-9, 1e6), "0 ms");
        assert_eq!(tick_label(2_000_000.000_000_4, 1e6), "2 ms");
        assert_eq!(tick_label(2500.0, 500.0), "2500 ns");
        assert_eq!(ms(1_234_567), "1.234");
        assert_eq!(ms_ns(1_234_567), "1.234567");
        assert_eq!(duration(1_500_000), "1.500 ms");
        assert_eq!(duration(12), "12 ns");
        assert_eq!(seconds(1_234_567_891), "1.234567");
    }
}
