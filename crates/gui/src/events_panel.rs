//! The event table: every event of the trace, filtered and searched, laid out only where
//! visible.

use egui::{RichText, Ui};

use super::describe;
use super::document::Document;
use vb2scope_core::trace::{Body, DriverAction, IoctlArg, Trace, VideoFds};
use vb2scope_core::v4l2::{Memory, QueueKey};

/// Which kinds of event the table shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kind {
    #[default]
    All,
    Ioctls,
    Memops,
    Driver,
    KernelLog,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::All,
        Kind::Ioctls,
        Kind::Memops,
        Kind::Driver,
        Kind::KernelLog,
    ];
    fn label(self) -> &'static str {
        match self {
            Kind::All => "all events",
            Kind::Ioctls => "ioctls",
            Kind::Memops => "memops",
            Kind::Driver => "driver",
            Kind::KernelLog => "kernel log",
        }
    }
}

/// The queue, buffer index and memory type an event concerns, as far as it says.
#[derive(Clone, Copy, Default)]
struct Facts {
    queue: Option<QueueKey>,
    index: Option<u32>,
    memory: Option<Memory>,
}

/// Facts of every event, following fds to devices and queues to memory types in order.
fn facts(trace: &Trace) -> Vec<Facts> {
    let mut fds = VideoFds::default();
    // The memory type each queue was last allocated with.
    let mut memory: Vec<(QueueKey, Memory)> = Vec::new();
    trace
        .events
        .iter()
        .map(|e| {
            fds.follow(&e.body);
            let (queue, index, own_memory) = match e.body {
                Body::Ioctl { fd, arg, .. } => {
                    let q = fds.queue(trace, fd, arg);
                    match trace.arg(arg) {
                        Some(IoctlArg::Alloc { memory: m, .. }) => {
                            if let Some(q) = q {
                                memory.push((q, *m));
                            }
                            (q, None, Some(*m))
                        }
                        Some(IoctlArg::Buffer(b)) => {
                            (q, (b.index != u32::MAX).then_some(b.index), b.memory)
                        }
                        Some(IoctlArg::Remove { index, .. } | IoctlArg::Expbuf { index, .. }) => {
                            (q, Some(*index), None)
                        }
                        Some(
                            IoctlArg::Stream { .. }
                            | IoctlArg::Undecoded
                            | IoctlArg::Querycap(_)
                            | IoctlArg::Command { .. }
                            | IoctlArg::Event { .. }
                            | IoctlArg::Request { .. }
                            | IoctlArg::Controls { .. },
                        )
                        | None => (q, None, None),
                    }
                }
                Body::Memop { dev, ty, index, .. } => {
                    (Some(QueueKey { dev, ty }), Some(index), None)
                }
                Body::Driver { dev, ty, action } => {
                    let index = match action {
                        DriverAction::BufferDone { index, .. } => index,
                        DriverAction::Config(_) => None,
                    };
                    (Some(QueueKey { dev, ty }), index, None)
                }
                _ => (None, None, None),
            };
            let queue_memory =
                queue.and_then(|q| memory.iter().rev().find(|m| m.0 == q).map(|m| m.1));
            Facts {
                queue,
                index,
                memory: own_memory.or(queue_memory),
            }
        })
        .collect()
}

fn kind_of(b: &Body) -> Kind {
    match b {
        Body::Ioctl { .. } => Kind::Ioctls,
        Body::Memop { .. } => Kind::Memops,
        Body::Driver { .. } => Kind::Driver,
        Body::Klog { .. } => Kind::KernelLog,
        _ => Kind::All,
    }
}

/// Up to this many events, search matches the whole line shown in the table.
const FULL_TEXT_SEARCH_MAX: usize = 500_000;

/// Whether event `i` matches a lower-case `needle`.
fn matches(trace: &Trace, i: usize, needle: &str, full_text: bool) -> bool {
    if full_text {
        return describe::event(trace, i).to_lowercase().contains(needle);
    }
    let Some(e) = trace.events.get(i) else {
        return false;
    };
    let name: &str = match e.body {
        Body::Ioctl { cmd, .. } => cmd.name(),
        Body::Memop { kind, .. } => kind.as_str(),
        Body::Driver { .. } => "vb2_buffer_done driver",
        Body::Tracepoint { name, .. } => trace.str(name),
        Body::Klog { text } | Body::Marker { text } => trace.str(text),
        Body::Open { .. } => "open",
        Body::Close { .. } => "close",
        Body::Dup { .. } => "dup",
        Body::Poll { .. } => "poll",
        Body::Mmap { .. } => "mmap",
        Body::Munmap { .. } => "munmap",
        Body::Dmabuf { .. } => "dma-buf",
        Body::Expect { .. } => "expect",
    };
    name.as_bytes()
        .windows(needle.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

type FilterKey = (
    String,
    bool,
    Kind,
    Option<QueueKey>,
    Option<u32>,
    Option<Memory>,
    usize,
    vb2scope_core::policy::Policy,
);

/// The events a filter lets through, in order.
#[derive(Debug, PartialEq)]
enum Rows {
    /// Every event of a trace of this many: the unfiltered table of a huge trace, held
    /// without a list.
    All(u32),
    /// The matching events' indices, ascending.
    Some(Vec<u32>),
}

impl Default for Rows {
    fn default() -> Self {
        Rows::Some(Vec::new())
    }
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n as usize,
            Rows::Some(v) => v.len(),
        }
    }

    /// The event at row `pos`.
    fn get(&self, pos: usize) -> Option<u32> {
        match self {
            Rows::All(n) => u32::try_from(pos).ok().filter(|p| p < n),
            Rows::Some(v) => v.get(pos).copied(),
        }
    }

    /// How many rows show an event before `event`.
    fn rank(&self, event: u32) -> usize {
        match self {
            Rows::All(n) => event.min(*n) as usize,
            Rows::Some(v) => v.partition_point(|&r| r < event),
        }
    }

    /// The row showing `event`, if it is shown.
    fn position(&self, event: u32) -> Option<usize> {
        let pos = self.rank(event);
        (self.get(pos) == Some(event)).then_some(pos)
    }
}

/// What the table shows, and the rows that match (kept until the filter or document change).
#[derive(Default)]
pub struct EventFilter {
    pub text: String,
    pub hide_inferred: bool,
    pub kind: Kind,
    pub queue: Option<QueueKey>,
    pub index: Option<u32>,
    pub memory: Option<Memory>,
    rows: Rows,
    key: Option<FilterKey>,
    /// The cursor the table last scrolled to.
    shown: Option<u32>,
}

impl EventFilter {
    fn refresh(&mut self, d: &Document) {
        let key = (
            self.text.to_lowercase(),
            self.hide_inferred,
            self.kind,
            self.queue,
            self.index,
            self.memory,
            d.trace.events.len(),
            d.policy,
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let needle = key.0.clone();
        let by_facts = self.queue.is_some() || self.index.is_some() || self.memory.is_some();
        if !by_facts && needle.is_empty() && !self.hide_inferred && self.kind == Kind::All {
            // Nothing to filter by: the rows are the events, without a list of ten million.
            self.rows = Rows::All(u32::try_from(d.trace.events.len()).unwrap_or(u32::MAX));
            self.key = Some(key);
            return;
        }
        // Following every fd to its queue is the costly part: only for a filter that needs it.
        let facts = if by_facts {
            facts(&d.trace)
        } else {
            Vec::new()
        };
        // Formatting every event of a huge trace to search it would freeze the window: there
        // the search looks at event names and messages only.
        let full_text = d.trace.events.len() <= FULL_TEXT_SEARCH_MAX;
        let rows = d
            .trace
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                !(self.hide_inferred && e.origin() == vb2scope_core::v4l2::Origin::Inferred)
            })
            .filter(|(_, e)| self.kind == Kind::All || kind_of(&e.body) == self.kind)
            .filter(|(i, _)| {
                let f = facts.get(*i).copied().unwrap_or_default();
                (self.queue.is_none() || f.queue == self.queue)
                    && (self.index.is_none() || f.index == self.index)
                    && (self.memory.is_none() || f.memory == self.memory)
            })
            .filter(|(i, _)| needle.is_empty() || matches(&d.trace, *i, &needle, full_text))
            .map(|(i, _)| i as u32)
            .collect();
        self.rows = Rows::Some(rows);
        self.key = Some(key);
    }

    /// The matching event after (or before, `dir < 0`) `from`, wrapping around.
    pub fn next(&mut self, d: &Document, from: Option<u32>, dir: i64) -> Option<u32> {
        self.refresh(d);
        let rows = &self.rows;
        let (first, last) = (
            rows.get(0),
            rows.len().checked_sub(1).and_then(|l| rows.get(l)),
        );
        match (from, dir >= 0) {
            (None, true) => first,
            (None, false) => last,
            (Some(c), true) => rows.get(rows.rank(c.saturating_add(1))).or(first),
            (Some(c), false) => rows
                .rank(c)
                .checked_sub(1)
                .and_then(|p| rows.get(p))
                .or(last),
        }
    }

    /// Draws the filter bar and the table; returns a clicked event.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        d: &Document,
        cursor: Option<u32>,
        tb: &vb2scope_core::time::TimeBase,
    ) -> Option<u32> {
        let mut jump = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search:");
            ui.add(egui::TextEdit::singleline(&mut self.text).desired_width(220.0))
                .labelled_by(label.id);
            if ui.button("Previous").clicked() {
                jump = self.next(d, cursor, -1);
            }
            if ui.button("Next").clicked() {
                jump = self.next(d, cursor, 1);
            }
            ui.checkbox(&mut self.hide_inferred, "Hide inferred events");
            egui::ComboBox::from_label("Kind")
                .selected_text(self.kind.label())
                .show_ui(ui, |ui| {
                    for k in Kind::ALL {
                        ui.selectable_value(&mut self.kind, k, k.label());
                    }
                });
            let queues: Vec<QueueKey> =
                d.timeline()
                    .lanes
                    .iter()
                    .map(|l| l.queue)
                    .fold(Vec::new(), |mut v, q| {
                        if !v.contains(&q) {
                            v.push(q);
                        }
                        v
                    });
            let qtext = self
                .queue
                .map(|q| q.to_string())
                .unwrap_or_else(|| "all queues".into());
            egui::ComboBox::from_label("Queue")
                .selected_text(qtext)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.queue, None, "all queues");
                    for q in queues {
                        ui.selectable_value(&mut self.queue, Some(q), q.to_string());
                    }
                });
            let itext = self
                .index
                .map(|i| format!("#{i}"))
                .unwrap_or_else(|| "all buffers".into());
            egui::ComboBox::from_label("Buffer")
                .selected_text(itext)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.index, None, "all buffers");
                    let max = d
                        .timeline()
                        .lanes
                        .iter()
                        .map(|l| l.index + 1)
                        .max()
                        .unwrap_or(0);
                    for i in 0..max {
                        ui.selectable_value(&mut self.index, Some(i), format!("#{i}"));
                    }
                });
            let mtext = self.memory.map(Memory::as_str).unwrap_or("any memory");
            egui::ComboBox::from_label("Memory")
                .selected_text(mtext)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.memory, None, "any memory");
                    for m in [Memory::Mmap, Memory::Userptr, Memory::Dmabuf] {
                        ui.selectable_value(&mut self.memory, Some(m), m.as_str());
                    }
                });
            self.refresh(d);
            ui.label(format!(
                "{} of {} events",
                self.rows.len(),
                d.trace.events.len()
            ));
        });
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
        let mut clicked_row = None;
        let rows = &self.rows;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("event-table")
            .auto_shrink([false, false]);
        // Follow a cursor moved elsewhere (timeline, findings, steps): its row comes into view.
        if cursor != self.shown {
            self.shown = cursor;
            if let Some(pos) = cursor.and_then(|c| rows.position(c)) {
                let spacing = ui.spacing().item_spacing.y;
                area =
                    area.vertical_scroll_offset(((pos as f32) - 2.0).max(0.0) * (row_h + spacing));
            }
        }
        area.show_rows(ui, row_h, rows.len(), |ui, range| {
            for i in range.filter_map(|r| rows.get(r)) {
                let t = d.trace.events.get(i as usize).map(|e| e.t_ns).unwrap_or(0);
                let text = RichText::new(format!(
                    "{i:>6}  {:>16}  {}",
                    tb.rel_ns(t),
                    describe::event(&d.trace, i as usize)
                ))
                .monospace();
                let row = ui.selectable_label(cursor == Some(i), text);
                if row.hovered() {
                    row.clone().on_hover_text(tb.absolute(t));
                }
                if row.clicked() {
                    clicked_row = Some(i);
                }
            }
        });
        if let Some(r) = clicked_row {
            // A row clicked in the table is in view already: no scrolling to it.
            self.shown = Some(r);
            jump = Some(r);
        }
        jump
    }
}

#[cfg(test)]
mod tests {
    use super::{EventFilter, Kind, Rows};
    use crate::document::{Document, PolicyChoice};

    fn document() -> Document {
        let text = include_bytes!("../../../traces/dmabuf-reassociation.jsonl");
        Document::load("dmabuf-reassociation.jsonl", text, PolicyChoice::Auto).expect("loads")
    }

    #[test]
    fn an_unfiltered_table_holds_no_list_and_a_filter_lists_its_matches() {
        let d = document();
        let n = d.trace.events.len();
        let mut f = EventFilter::default();
        f.refresh(&d);
        assert_eq!(f.rows, Rows::All(n as u32));
        assert_eq!(f.next(&d, None, 1), Some(0));
        assert_eq!(f.next(&d, Some(n as u32 - 1), 1), Some(0), "wraps around");
        f.kind = Kind::Ioctls;
        f.refresh(&d);
        let Rows::Some(rows) = &f.rows else {
            panic!("a filter lists its rows");
        };
        let rows = rows.clone();
        assert!(!rows.is_empty() && rows.len() < n);
        let (first, second) = (rows[0], rows[1]);
        assert_eq!(f.next(&d, Some(first), 1), Some(second));
        assert_eq!(f.next(&d, Some(second), -1), Some(first));
        assert_eq!(
            f.next(&d, Some(first), -1),
            rows.last().copied(),
            "wraps around"
        );
    }

    fn answers(r: &Rows, probe: u32) -> Vec<(Option<u32>, usize, Option<usize>)> {
        (0..probe)
            .map(|e| (r.get(e as usize), r.rank(e), r.position(e)))
            .collect()
    }

    #[test]
    fn every_event_held_without_a_list_reads_as_the_list() {
        for n in 0..6u32 {
            let all = Rows::All(n);
            let listed = Rows::Some((0..n).collect());
            assert_eq!(all.len(), listed.len());
            assert_eq!(answers(&all, n + 3), answers(&listed, n + 3), "n = {n}");
        }
    }

    #[test]
    fn a_filtered_list_ranks_and_finds_its_events() {
        let r = Rows::Some(vec![2, 5, 9]);
        assert_eq!(r.len(), 3);
        assert_eq!((r.get(1), r.get(3)), (Some(5), None));
        assert_eq!([r.rank(0), r.rank(2), r.rank(3), r.rank(10)], [0, 0, 1, 3]);
        assert_eq!((r.position(9), r.position(4)), (Some(2), None));
        let top = Rows::All(u32::MAX);
        assert_eq!(top.get(u32::MAX as usize), None);
        assert_eq!(top.rank(u32::MAX), u32::MAX as usize);
    }
}
