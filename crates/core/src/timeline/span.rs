//! Spans of time with a value, and the builder that turns samples into spans.

/// A value held from `start_ns` (inclusive) to `end_ns` (exclusive), first seen at `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span<T> {
    pub start_ns: u64,
    pub end_ns: u64,
    pub event: u32,
    pub value: T,
}

/// Collects samples of a value over time into spans; `None` means "nothing held".
#[derive(Clone, Debug)]
pub struct SpanBuilder<T> {
    open: Option<(u64, u32, T)>,
    pub spans: Vec<Span<T>>,
}

impl<T> Default for SpanBuilder<T> {
    fn default() -> Self {
        SpanBuilder {
            open: None,
            spans: Vec::new(),
        }
    }
}

impl<T: Copy + PartialEq> SpanBuilder<T> {
    /// The value from time `t` (event `event`) on.
    pub fn set(&mut self, t: u64, event: u32, v: Option<T>) {
        if self.open.map(|(_, _, o)| o) == v {
            return;
        }
        self.close(t);
        self.open = v.map(|v| (t, event, v));
    }

    fn close(&mut self, t: u64) {
        if let Some((start, event, value)) = self.open.take() {
            self.spans.push(Span {
                start_ns: start,
                end_ns: t.max(start),
                event,
                value,
            });
        }
    }

    /// Closes the open span at `t` and returns all spans.
    pub fn finish(mut self, t: u64) -> Vec<Span<T>> {
        self.close(t);
        self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_become_spans() {
        let mut b = SpanBuilder::default();
        b.set(0, 0, Some('a'));
        b.set(5, 1, Some('a'));
        b.set(10, 2, Some('b'));
        b.set(20, 3, None);
        b.set(30, 4, Some('c'));
        let s = b.finish(40);
        let got: Vec<(u64, u64, char)> =
            s.iter().map(|s| (s.start_ns, s.end_ns, s.value)).collect();
        assert_eq!(got, [(0, 10, 'a'), (10, 20, 'b'), (30, 40, 'c')]);
        assert_eq!(s.get(1).map(|s| s.event), Some(2));
    }
}
