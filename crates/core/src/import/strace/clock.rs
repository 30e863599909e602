//! strace time prefixes: `-t` (`HH:MM:SS`), `-tt` (`HH:MM:SS.uuuuuu`), `-ttt`
//! (`EPOCH.uuuuuu`), `-r` (seconds since the previous syscall), all to nanoseconds.

const NS: u64 = 1_000_000_000;
const DAY: u64 = 86_400 * NS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Clock { frac: bool },
    Epoch,
    Relative,
}

#[derive(Default)]
pub(super) struct Clock {
    kind: Option<Kind>,
    last: u64,
    /// `-t`/`-tt` restart at midnight: days already passed.
    day: u64,
}

/// `S.frac` with any number of fraction digits, to ns.
fn secs(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut ns: u64 = int.parse::<u64>().ok()?.checked_mul(NS)?;
    if !frac.is_empty() {
        let digits = frac.get(..frac.len().min(9))?;
        let f: u64 = digits.parse().ok()?;
        let scale = 10u64.checked_pow(9 - digits.len() as u32)?;
        ns = ns.checked_add(f.checked_mul(scale)?)?;
    }
    Some(ns)
}

impl Clock {
    /// The time of a prefix token in ns, or None if it is not a time.
    pub fn time(&mut self, tok: &str) -> Option<u64> {
        let t = if tok.contains(':') {
            let mut it = tok.splitn(3, ':');
            let h: u64 = it.next()?.parse().ok()?;
            let m: u64 = it.next()?.parse().ok()?;
            let s = secs(it.next()?)?;
            self.kind.get_or_insert(Kind::Clock {
                frac: tok.contains('.'),
            });
            let t = h
                .checked_mul(3600)?
                .checked_add(m.checked_mul(60)?)?
                .checked_mul(NS)?
                .checked_add(s)?
                .checked_add(self.day)?;
            // Half a day backwards is a new day, not a clock step.
            if t.saturating_add(DAY / 2) < self.last {
                self.day = self.day.saturating_add(DAY);
                t.checked_add(DAY)?
            } else {
                t
            }
        } else {
            let v = secs(tok)?;
            // `-r` deltas are small; `-ttt` is seconds since 1970. Decided once per file.
            let kind = *self.kind.get_or_insert(if v < 1_000_000 * NS {
                Kind::Relative
            } else {
                Kind::Epoch
            });
            if kind == Kind::Relative {
                self.last.checked_add(v)?
            } else {
                v
            }
        };
        self.last = t;
        Some(t)
    }

    /// Whether any line had a time stamp.
    pub fn started(&self) -> bool {
        self.kind.is_some()
    }

    /// What the times count, for the trace header.
    pub fn trace_clock(&self) -> crate::time::TraceClock {
        use crate::time::TraceClock;
        match self.kind {
            None | Some(Kind::Relative) => TraceClock::Order,
            Some(Kind::Clock { .. }) => TraceClock::TimeOfDay,
            Some(Kind::Epoch) => TraceClock::Realtime { offset_ns: 0 },
        }
    }

    /// The trace header's description of the clock.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            None => "strace (no timestamps: t is the line number in µs)",
            Some(Kind::Clock { frac: false }) => "strace (-t, realtime since midnight)",
            Some(Kind::Clock { frac: true }) => "strace (-tt, realtime since midnight)",
            Some(Kind::Epoch) => "strace (-ttt, realtime)",
            Some(Kind::Relative) => "strace (-r, relative to the first syscall)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        let mut c = Clock::default();
        assert_eq!(c.time("23:59:59.5"), Some(86_399 * NS + NS / 2));
        // Past midnight: a new day rather than a jump back.
        assert_eq!(c.time("00:00:01"), Some(DAY + NS));
        assert_eq!(c.describe(), "strace (-tt, realtime since midnight)");
        let mut r = Clock::default();
        assert_eq!(r.time("0.5"), Some(NS / 2));
        assert_eq!(r.time("1.000000001"), Some(3 * NS / 2 + 1));
        assert_eq!(r.describe(), "strace (-r, relative to the first syscall)");
        let mut e = Clock::default();
        assert_eq!(e.time("1795608011.634250"), Some(1_795_608_011_634_250_000));
        assert_eq!(e.time("99999999999999999999.1"), None);
        assert_eq!(e.time("1.2.3"), None);
    }
}
