//! Times in words, written once: the axis ticks the window and the SVG export draw, the
//! milliseconds of the text dumps, the seconds of the reports, durations, and the one time
//! base every view shares (times relative to an origin, with the trace's own clock and the
//! wall clock beside them).

/// What a trace's times count, as its source tells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceClock {
    /// The source did not say.
    #[default]
    Unknown,
    /// Nanoseconds that become real (wall-clock) time since 1970 by adding `offset_ns`:
    /// strace `-ttt` (offset 0), a vb2scope recording (CLOCK_MONOTONIC, with the offset read
    /// when it started).
    Realtime { offset_ns: i64 },
    /// Wall time of day since the first midnight of the recording, without a date (strace
    /// `-t`, `-tt`).
    TimeOfDay,
    /// A kernel clock since boot (ftrace, dmesg): no wall-clock time.
    Boot,
    /// No clock: times are the order of events (or relative to the first, `strace -r`).
    Order,
}

impl TraceClock {
    /// The name written in a native trace's header.
    pub fn name(self) -> &'static str {
        match self {
            TraceClock::Unknown => "unknown",
            TraceClock::Realtime { .. } => "realtime",
            TraceClock::TimeOfDay => "time-of-day",
            TraceClock::Boot => "boot",
            TraceClock::Order => "order",
        }
    }

    /// From a header's name and offset; `None` for a name this version does not know.
    pub fn parse(name: &str, offset_ns: Option<i64>) -> Option<TraceClock> {
        Some(match name {
            "unknown" => TraceClock::Unknown,
            "realtime" => TraceClock::Realtime {
                offset_ns: offset_ns.unwrap_or(0),
            },
            "time-of-day" => TraceClock::TimeOfDay,
            "boot" => TraceClock::Boot,
            "order" => TraceClock::Order,
            _ => return None,
        })
    }

    /// The wall-clock time of trace time `t`, when the clock gives one: an RFC 3339 UTC
    /// date and time, or the time of day alone.
    pub fn wall(self, t: u64) -> Option<String> {
        const DAY: u64 = 86_400 * 1_000_000_000;
        match self {
            TraceClock::Realtime { offset_ns } => {
                let ns = i128::from(t) + i128::from(offset_ns);
                let ns = u64::try_from(ns).ok()?;
                let at = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_nanos(ns))?;
                Some(humantime::format_rfc3339_micros(at).to_string())
            }
            TraceClock::TimeOfDay => {
                let (day, ns) = (t / DAY, t % DAY);
                let s = ns / 1_000_000_000;
                let clock = format!(
                    "{:02}:{:02}:{:02}.{:06}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    ns % 1_000_000_000 / 1_000
                );
                Some(if day > 0 {
                    format!("{clock} (day {})", day + 1)
                } else {
                    clock
                })
            }
            _ => None,
        }
    }
}

/// Where relative times count from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The first buffer event: where what a developer came to see starts.
    #[default]
    Activity,
    /// The first event of the trace.
    TraceStart,
    /// The first successful STREAMON.
    FirstStreamon,
    /// An event the user chose.
    Event(u32),
}

impl Origin {
    /// The words a menu and a header use.
    pub fn describe(self) -> String {
        match self {
            Origin::Activity => "the first buffer event".into(),
            Origin::TraceStart => "the start of the trace".into(),
            Origin::FirstStreamon => "the first STREAMON".into(),
            Origin::Event(e) => format!("event {e}"),
        }
    }
}

/// The one time base of every view: times relative to `origin_ns`, with the trace's own
/// clock and the wall clock to say what they are absolutely.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeBase {
    pub origin_ns: u64,
    pub clock: TraceClock,
}

impl TimeBase {
    pub fn new(origin_ns: u64, clock: TraceClock) -> TimeBase {
        TimeBase { origin_ns, clock }
    }

    /// `t` from the origin in ms with µs precision and a sign: `+12.345 ms`, `-0.200 ms`.
    pub fn rel(&self, t: u64) -> String {
        let (sign, d) = self.signed(t);
        format!("{sign}{} ms", ms(d))
    }

    /// `t` from the origin in ms to the nanosecond: `+12.345678 ms`.
    pub fn rel_ns(&self, t: u64) -> String {
        let (sign, d) = self.signed(t);
        format!("{sign}{} ms", ms_ns(d))
    }

    /// `t` from the origin in seconds with µs precision, for the check reports: `+0.012345`.
    pub fn rel_seconds(&self, t: u64) -> String {
        let (sign, d) = self.signed(t);
        format!("{sign}{}", seconds(d))
    }

    /// `t` from the origin in ns, signed (JSON reports).
    pub fn rel_i64(&self, t: u64) -> i64 {
        let d = i128::from(t) - i128::from(self.origin_ns);
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `t` on the trace's own clock, and on the wall clock when known: what a hover and the
    /// inspector add to the relative time.
    pub fn absolute(&self, t: u64) -> String {
        let own = format!("{} s on the trace's clock", seconds(t));
        match self.clock.wall(t) {
            Some(w) => format!("{own}; wall clock {w}"),
            None => own,
        }
    }

    fn signed(&self, t: u64) -> (&'static str, u64) {
        if t >= self.origin_ns {
            ("+", t - self.origin_ns)
        } else {
            ("-", self.origin_ns - t)
        }
    }
}

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

    #[test]
    fn relative_times_carry_a_sign_and_the_clock_says_the_rest() {
        let b = TimeBase::new(1_000_000, TraceClock::Realtime { offset_ns: 0 });
        assert_eq!(b.rel(3_500_000), "+2.500 ms");
        assert_eq!(b.rel(800_000), "-0.200 ms");
        assert_eq!(b.rel_ns(1_000_001), "+0.000001 ms");
        assert_eq!(b.rel_seconds(1_500_000_000), "+1.499000");
        assert_eq!(b.rel_i64(0), -1_000_000);
        assert_eq!(
            TraceClock::Realtime {
                offset_ns: 1_796_500_000_000_000_000
            }
            .wall(1_000),
            Some("2026-12-05T19:46:40.000001Z".into())
        );
        let day = 86_400 * 1_000_000_000u64;
        assert_eq!(
            TraceClock::TimeOfDay.wall(day + 3_723_000_004_000),
            Some("01:02:03.000004 (day 2)".into())
        );
        assert_eq!(TraceClock::Boot.wall(5), None);
        assert!(
            b.absolute(2_000_000_000)
                .starts_with("2.000000 s on the trace's clock; wall clock 1970-01-01T00:00:02")
        );
        for c in [
            TraceClock::Unknown,
            TraceClock::TimeOfDay,
            TraceClock::Boot,
            TraceClock::Order,
            TraceClock::Realtime { offset_ns: 7 },
        ] {
            let off = match c {
                TraceClock::Realtime { offset_ns } => Some(offset_ns),
                _ => None,
            };
            assert_eq!(TraceClock::parse(c.name(), off), Some(c));
        }
    }
}
