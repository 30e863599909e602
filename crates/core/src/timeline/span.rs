//! Spans of time with a value, and the builder that turns samples into spans.

/// A value held from `start_ns` (inclusive) to `end_ns` (exclusive), first seen at `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span<T> {
    pub start_ns: u64,
    pub end_ns: u64,
    pub event: u32,
    pub value: T,
}

/// Builds spans in place, in the vector a view reads: while a value is held its span is the
/// last one, open, running to the latest time seen ([`Cursor::stretch`]). So a timeline that
/// grows (a live recording) is always whole, with no copy.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cursor {
    open: bool,
}

/// What [`Cursor::set`] did to the spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    None,
    /// The open span ended (at the time given).
    Closed,
    /// The open span, if any, ended, and a new one began.
    Opened,
}

impl Cursor {
    /// The value from time `t` (event `event`) on; `None` means "nothing held".
    pub(crate) fn set<T: Copy + PartialEq>(
        &mut self,
        spans: &mut Vec<Span<T>>,
        t: u64,
        event: u32,
        v: Option<T>,
    ) -> Change {
        let held = spans.last().filter(|_| self.open).map(|s| s.value);
        if held == v {
            return Change::None;
        }
        self.stretch(spans, t);
        self.open = v.is_some();
        match v {
            Some(value) => {
                spans.push(Span {
                    start_ns: t,
                    end_ns: t,
                    event,
                    value,
                });
                Change::Opened
            }
            None => Change::Closed,
        }
    }

    /// The open span, if any, runs to `t` (never before its start).
    pub(crate) fn stretch<T>(&self, spans: &mut [Span<T>], t: u64) {
        if let Some(last) = spans.last_mut().filter(|_| self.open) {
            last.end_ns = t.max(last.start_ns);
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_become_spans_in_place() {
        let mut spans = Vec::new();
        let mut c = Cursor::default();
        assert_eq!(c.set(&mut spans, 0, 0, Some('a')), Change::Opened);
        assert_eq!(c.set(&mut spans, 5, 1, Some('a')), Change::None);
        assert_eq!(c.set(&mut spans, 10, 2, Some('b')), Change::Opened);
        assert_eq!(c.set(&mut spans, 20, 3, None), Change::Closed);
        assert_eq!(c.set(&mut spans, 30, 4, Some('c')), Change::Opened);
        // The open span runs to the latest time seen.
        c.stretch(&mut spans, 35);
        assert_eq!(spans.last().map(|s| s.end_ns), Some(35));
        c.stretch(&mut spans, 40);
        let got: Vec<(u64, u64, char)> = spans
            .iter()
            .map(|s| (s.start_ns, s.end_ns, s.value))
            .collect();
        assert_eq!(got, [(0, 10, 'a'), (10, 20, 'b'), (30, 40, 'c')]);
        assert_eq!(spans.get(1).map(|s| s.event), Some(2));
        // A closed span is not stretched.
        c.set(&mut spans, 50, 5, None);
        c.stretch(&mut spans, 60);
        assert_eq!(spans.last().map(|s| s.end_ns), Some(50));
    }
}
