//! Merging ftrace text into a userspace trace, so that what the kernel did inside each
//! syscall (memops, buffer completions, log lines) follows that syscall in the trace.
//!
//! Placement: a kernel event belongs to the syscall window it happened in, the last syscall of
//! the same thread that started at or before it (1 µs of slack: ftrace prints truncated µs).
//! It goes right after that syscall, after the window's earlier kernel events. Events of
//! threads that made no recorded syscall (driver kthreads, workqueues) go by time, after the
//! window events of the syscall they fall behind; so do events in interrupt context, which
//! only borrowed the task they interrupted. A driver completion that a blocking DQBUF was
//! already waiting for goes just before that DQBUF. Kernel times are kept within the gap
//! between their neighbours so the merged trace stays in time order, as the format requires.
//!
//! Attribution to buffers is in `merge/resolve.rs` (tables of pointers) and
//! `merge/memops.rs` (the order of evidence); a memop that cannot be attributed stays a
//! tracepoint with a diagnostic: nothing is guessed.

mod clock;
mod memops;
mod place;
mod resolve;
mod window;

pub use clock::{ClockMap, Pin};

use rustc_hash::FxHashMap;

use crate::format::{DiagSeverity, Diagnostic};
use crate::trace::{Body, DriverAction, Event, IoctlArg, IoctlCmd, ThreadId, Trace};
use crate::v4l2::{Origin, QueueKey};

use super::ftrace::{Line, ParseError, Record, parse_event, parse_line};
use resolve::{Resolver, Tag};

/// ftrace prints µs, truncated; the syscall start is taken in ns just before the call.
const SLACK_NS: u64 = 1_000;
/// How far back a driver's completion looks for a DQBUF that was already waiting for it.
const DQBUF_LOOKBACK: usize = 256;

/// The merged trace, the problems met, and what became of the kernel lines.
#[derive(Clone, Debug)]
pub struct Merged {
    pub trace: Trace,
    pub diagnostics: Vec<Diagnostic>,
    pub counts: MergeCounts,
}

/// What the kernel text held and what it became.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Lines of kernel text read, and those that were events.
    pub lines: u64,
    pub events: u64,
    /// Memop probes, and `dma_buf_get`/`dma_buf_put` calls by vb2, attributed to a buffer
    /// plane (`memop` events).
    pub memops_resolved: u64,
    /// Memop probes that could not be: kept as tracepoints, with a diagnostic each.
    pub memops_unresolved: u64,
    /// Memop calls whose return probe reported a failure: kept as tracepoints.
    pub memops_failed: u64,
    /// Allocator puts that only dropped a reference (munmap, a dma-buf released): the memory
    /// stays allocated, so they are tracepoints.
    pub ref_drops: u64,
    /// `vb2_buf_done` lines that became driver completions, and those whose device was unknown.
    pub buffer_done: u64,
    pub buffer_done_unattributed: u64,
    /// Everything else kept as a tracepoint (including the unresolved, failed and ref-drop
    /// memops above, return probes, dma-buf and vb2 core probes, vb2/v4l2 tracepoints).
    pub tracepoints: u64,
    pub klogs: u64,
    pub markers: u64,
    /// Lines that are not ftrace event lines: skipped with a diagnostic.
    pub malformed: u64,
    /// Events the kernel reported lost (`[LOST n EVENTS]`).
    pub lost: u64,
}

/// One kernel event line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KEv<'a> {
    pub line: u32,
    pub byte: u64,
    pub rec: Record<'a>,
}

/// Where a kernel event goes: after user event `slot - 1` (0: before all of them); `timed`
/// events are ordered by time after the window's own events.
#[derive(Clone, Copy, Debug)]
struct Place {
    slot: usize,
    timed: bool,
}

/// Kernel text read once: its event lines, what it held, and the lines that could not be read.
pub struct KernelText<'a> {
    kevs: Vec<KEv<'a>>,
    /// Lines read as something else (a comment, a lost-events notice, a stack frame) that
    /// also read as an event: a task named `#cam` or `=>x`. The calls rebuilt from a capture
    /// alone have always taken them; the merge does not.
    also_events: Vec<(u32, Record<'a>)>,
    /// Lines of `kevs` that are lost-events notices, not events.
    lost: Vec<u32>,
    counts: MergeCounts,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> KernelText<'a> {
    /// Reads every line of `text`; malformed ones become diagnostics.
    pub fn read(text: &'a str) -> KernelText<'a> {
        Self::read_noting(text, |_| ()).0
    }

    /// [`KernelText::read`], with `note` worked out for every event line on the threads that
    /// read the lines (what an importer wants of each event besides its record): the notes
    /// go with [`KernelText::events_noted`].
    pub fn read_noting<N: Send>(
        text: &'a str,
        note: impl Fn(&Record<'a>) -> N + Sync,
    ) -> (KernelText<'a>, Notes<N>) {
        Self::read_with(text, crate::read_ahead::Ahead::on_this_machine(), note)
    }

    /// [`KernelText::read_noting`] with the lines read ahead as `ahead` says.
    fn read_with<N: Send>(
        text: &'a str,
        ahead: crate::read_ahead::Ahead,
        note: impl Fn(&Record<'a>) -> N + Sync,
    ) -> (KernelText<'a>, Notes<N>) {
        let mut k = KernelText {
            kevs: Vec::new(),
            also_events: Vec::new(),
            lost: Vec::new(),
            counts: MergeCounts::default(),
            diagnostics: Vec::new(),
        };
        let notes = read(text, ahead, &note, &mut k);
        (k, notes)
    }

    /// Every line that reads as an event, in line order: its 1-based line number, what it
    /// says, and its note. The kernel's notices of lost events are not events.
    pub fn events_noted<'k, N: Copy>(
        &'k self,
        notes: &Notes<N>,
        note: impl Fn(&Record<'a>) -> N,
    ) -> Vec<(u32, &'k Record<'a>, N)> {
        let mut out: Vec<(u32, &'k Record<'a>, N)> = (self.kevs.iter().zip(&notes.0))
            .filter_map(|(k, n)| Some((k.line, &k.rec, (*n)?)))
            .collect();
        if !self.also_events.is_empty() {
            out.extend(self.also_events.iter().map(|(l, r)| (*l, r, note(r))));
            out.sort_by_key(|&(line, _, _)| line);
        }
        out
    }
}

/// What [`KernelText::read_noting`] noted of each event line, in the order it keeps them;
/// none for the kernel's notices of lost events.
pub struct Notes<N>(Vec<Option<N>>);

/// Merges `kernel_text` (ftrace `trace`, `trace_pipe` or `trace-cmd report` text, recorded with
/// `trace_clock=mono`) into the userspace trace `user` (CLOCK_MONOTONIC ns, real tids).
pub fn merge(user: &Trace, kernel_text: &str) -> Merged {
    merge_with(
        user,
        KernelText::read(kernel_text),
        Some(&[]),
        &ClockMap::default(),
    )
}

/// [`merge`] for two parts on unrelated clocks: every kernel event stands on its own at its
/// time (moved by `clock`), none is taken as part of a syscall.
pub fn merge_apart(user: &Trace, kernel_text: &str, clock: &ClockMap) -> Merged {
    merge_with(user, KernelText::read(kernel_text), None, clock)
}

/// [`merge`] of a capture on another clock: `clock` maps kernel times to userspace ones, and
/// `pins` are kernel events known to belong to a given call (paired by the join), which also
/// bound the calls the events between them on their thread can belong to.
pub fn merge_pinned(user: &Trace, kernel_text: &str, clock: &ClockMap, pins: &[Pin]) -> Merged {
    merge_with(user, KernelText::read(kernel_text), Some(pins), clock)
}

/// [`merge_pinned`] of kernel text already read.
pub fn merge_pinned_read(
    user: &Trace,
    kernel: KernelText,
    clock: &ClockMap,
    pins: &[Pin],
) -> Merged {
    merge_with(user, kernel, Some(pins), clock)
}

/// `pins`: `None` places nothing in a syscall.
fn merge_with(user: &Trace, kernel: KernelText, pins: Option<&[Pin]>, clock: &ClockMap) -> Merged {
    let KernelText {
        mut kevs,
        mut counts,
        diagnostics: mut diags,
        ..
    } = kernel;
    // The clocks step where the pinned threads paused: in the pause between their events
    // that keeps the most of them inside their own syscalls.
    let mut clock = clock.clone();
    let pinned = pins.map(|pins| pins_by_kev(&kevs, pins.iter()));
    if let Some(pinned) = &pinned {
        let tids: rustc_hash::FxHashSet<u32> = (kevs.iter().zip(pinned))
            .filter(|(_, p)| p.is_some())
            .map(|(k, _)| k.rec.tid)
            .collect();
        let events: Vec<(u64, u32)> = kevs
            .iter()
            .filter(|k| tids.contains(&k.rec.tid))
            .map(|k| (k.rec.ts_ns, k.rec.tid))
            .collect();
        clock.fit_steps(&events, place::in_a_call(user));
    }
    for k in &mut kevs {
        k.rec.ts_ns = clock.map(k.rec.ts_ns);
    }
    let mut places = place::places(user, &kevs, pins.zip(pinned.as_deref()));

    let mut r = Resolver::new(user, kevs.len());
    let order = slot_order(&kevs, &places);
    let mut at = 0;
    for s in 0..=user.events.len() {
        let ks = take_slot(&order, &places, s, &mut at);
        if ks.is_empty() {
            if let Some(u) = s.checked_sub(1) {
                r.close_window(u);
            }
            continue;
        }
        let window: Vec<&KEv> = ks
            .iter()
            .filter(|&&k| places.get(k).is_some_and(|p| !p.timed))
            .filter_map(|&k| kevs.get(k))
            .collect();
        let mut win = s.checked_sub(1).map(|u| r.open_window(u, &window));
        for &k in ks {
            let Some(ev) = kevs.get(k) else { continue };
            let timed = places.get(k).is_none_or(|p| p.timed);
            let w = if timed { None } else { win.as_mut() };
            r.event(k, ev, w);
        }
        if let Some(u) = s.checked_sub(1) {
            r.close_window(u);
        }
    }
    reanchor_completions(user, &r, &mut places);
    before_the_work(&kevs, &mut places);

    let order = slot_order(&kevs, &places);
    let (trace, bodies, resolver_diags) = r.finish();
    diags.extend(resolver_diags);
    let trace = assemble(user, trace, &kevs, &places, &order, &bodies, &mut counts);
    diags.sort_by_key(|d| d.line);
    Merged {
        trace,
        diagnostics: diags,
        counts,
    }
}

/// Each kernel event's pin, by position in `kevs`, which are in line order: the last pin
/// given for its line, as a map by line keeps. Looked up once here, not once per use.
pub(super) fn pins_by_kev<'p>(
    kevs: &[KEv],
    pins: impl Iterator<Item = &'p Pin>,
) -> Vec<Option<&'p Pin>> {
    // Lines are dense: a table by line finds each pin's event without a search.
    let last = kevs.last().map_or(0, |k| k.line as usize);
    let mut by_line = vec![u32::MAX; last + 1];
    for (i, k) in kevs.iter().enumerate() {
        if let Some(slot) = by_line.get_mut(k.line as usize) {
            *slot = i as u32;
        }
    }
    let mut out = vec![None; kevs.len()];
    for p in pins {
        if let Some(&i) = by_line.get(p.line as usize)
            && let Some(slot) = out.get_mut(i as usize)
        {
            *slot = Some(p);
        }
    }
    out
}

fn diag(severity: DiagSeverity, ev: &KEv, message: String) -> Diagnostic {
    Diagnostic {
        severity,
        line: ev.line,
        byte: ev.byte,
        message,
    }
}

/// Parses every line (on worker threads ahead, for a large text) into `k`, noting each event
/// line there too; malformed ones become diagnostics.
fn read<'a, N: Send>(
    text: &'a str,
    ahead: crate::read_ahead::Ahead,
    note: &(impl Fn(&Record<'a>) -> N + Sync),
    k: &mut KernelText<'a>,
) -> Notes<N> {
    let mut line = 0u32;
    let mut notes = Vec::new();
    let read_noting = |l: &'a str| {
        let (parsed, also) = read_line(l);
        let noted = match &parsed {
            Ok(Line::Event(rec)) => Some(note(rec)),
            _ => None,
        };
        (parsed, also, noted)
    };
    crate::read_ahead::each_line(
        text,
        ahead,
        read_noting,
        |l, start, _, (parsed, also, n)| {
            line = line.saturating_add(1);
            k.counts.lines += 1;
            if let Some(rec) = also {
                k.also_events.push((line, rec));
            }
            let (counts, diags, out) = (&mut k.counts, &mut k.diagnostics, &mut k.kevs);
            match parsed {
                Ok(Line::Event(rec)) => {
                    counts.events += 1;
                    out.push(KEv {
                        line,
                        byte: start,
                        rec,
                    });
                    notes.push(n);
                }
                Ok(Line::Lost { cpu, count }) => {
                    counts.lost += count.unwrap_or(0);
                    let n = count.map(|c| c.to_string()).unwrap_or("some".into());
                    diags.push(Diagnostic {
                    severity: DiagSeverity::Warning,
                    line,
                    byte: start,
                    message: format!(
                        "the kernel lost {n} events on CPU {cpu}: memops may be missing from here on"
                    ),
                });
                    // Kept in the trace, at the time of the event before it, so that the checker
                    // knows from where the kernel's side is incomplete.
                    k.lost.push(line);
                    out.push(KEv {
                        line,
                        byte: start,
                        rec: Record {
                            comm: "",
                            // No thread's: placed by time, never inside a call.
                            tid: u32::MAX,
                            tgid: None,
                            cpu,
                            flags: None,
                            ts_ns: out.last().map_or(0, |k: &KEv| k.rec.ts_ns),
                            name: crate::trace::LOST_EVENTS,
                            body: l,
                        },
                    });
                    notes.push(None);
                }
                Ok(_) => {}
                Err(e) => {
                    counts.malformed += 1;
                    diags.push(Diagnostic {
                        severity: DiagSeverity::Warning,
                        line,
                        byte: start,
                        message: format!("not an ftrace event line ({e}); skipped"),
                    });
                }
            }
        },
    );
    Notes(notes)
}

/// What a line is, and for a line read as something else (a comment, a lost-events notice,
/// a stack frame), the event it also reads as, if any.
fn read_line(l: &str) -> (Result<Line<'_>, ParseError>, Option<Record<'_>>) {
    let parsed = parse_line(l);
    let also = match parsed {
        Ok(Line::Comment | Line::Other | Line::Lost { .. }) => parse_event(l).ok(),
        _ => None,
    };
    (parsed, also)
}

/// The thread event `e` of `t` ran on: its tid, else its pid.
pub(crate) fn tid_of(t: &Trace, e: &Event) -> u32 {
    let th = t.thread(e.thread);
    if th.tid != 0 { th.tid } else { th.pid }
}

/// Kernel events in merged order: by slot; in a slot, window events in text order, then
/// timed ones by time.
fn slot_order(kevs: &[KEv], places: &[Place]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_by_key(|&k| {
        let p = places.get(k).copied().unwrap_or(Place {
            slot: usize::MAX,
            timed: true,
        });
        let ts = if p.timed {
            kevs.get(k).map_or(0, |e| e.rec.ts_ns)
        } else {
            0
        };
        (p.slot, p.timed, ts, k)
    });
    order
}

/// The kernel events of slot `s`, from `order[*at..]`; moves `at` past them.
fn take_slot<'o>(order: &'o [usize], places: &[Place], s: usize, at: &mut usize) -> &'o [usize] {
    let start = *at;
    while order
        .get(*at)
        .and_then(|&k| places.get(k))
        .is_some_and(|p| p.slot == s)
    {
        *at += 1;
    }
    order.get(start..*at).unwrap_or(&[])
}

/// An event of another thread that happened while a syscall ran but before vb2 did its work
/// in it (a driver finishing the running m2m job while STREAMOFF waits for it; a frame
/// completed while DQBUF sleeps) goes before that syscall: its effect on the buffers came
/// first. The syscall's first event inside it tells when the work began.
fn before_the_work(kevs: &[KEv], places: &mut [Place]) {
    let mut first: FxHashMap<usize, u64> = FxHashMap::default();
    for (k, p) in places.iter().enumerate() {
        if !p.timed
            && let Some(ev) = kevs.get(k)
        {
            let t = first.entry(p.slot).or_insert(u64::MAX);
            *t = (*t).min(ev.rec.ts_ns);
        }
    }
    for (k, p) in places.iter_mut().enumerate() {
        if !p.timed || p.slot == 0 {
            continue;
        }
        let Some(ev) = kevs.get(k) else { continue };
        if first.get(&p.slot).is_some_and(|&w| ev.rec.ts_ns < w) {
            p.slot -= 1;
        }
    }
}

/// A driver completion that the app was already waiting for in a blocking DQBUF happened
/// after the DQBUF started; replay needs it before that DQBUF, which returns the buffer.
fn reanchor_completions(user: &Trace, r: &Resolver, places: &mut [Place]) {
    for (k, p) in places.iter_mut().enumerate() {
        if !p.timed {
            continue;
        }
        let Some(Body::Driver {
            dev,
            ty,
            action: DriverAction::BufferDone {
                index: Some(index), ..
            },
        }) = r.body(k)
        else {
            continue;
        };
        let key = QueueKey { dev, ty };
        let lowest = p.slot.saturating_sub(DQBUF_LOOKBACK);
        for u in (lowest..p.slot).rev() {
            if r.user_queue(u) != Some(key) {
                continue;
            }
            let Some(Body::Ioctl {
                cmd, result, arg, ..
            }) = user.events.get(u).map(|e| e.body)
            else {
                continue;
            };
            let buf = match user.arg(arg) {
                Some(IoctlArg::Buffer(b)) => Some(b.index),
                _ => None,
            };
            match cmd {
                IoctlCmd::Dqbuf if result.is_ok() && buf == Some(index) => {
                    p.slot = u;
                    break;
                }
                IoctlCmd::Qbuf | IoctlCmd::PrepareBuf if buf == Some(index) => break,
                IoctlCmd::Streamon | IoctlCmd::Streamoff | IoctlCmd::Reqbufs => break,
                _ => {}
            }
        }
    }
}

/// Builds the merged event list and counts what the kernel events became.
fn assemble(
    user: &Trace,
    mut out: Trace,
    kevs: &[KEv],
    places: &[Place],
    order: &[usize],
    bodies: &[Option<(Body, Tag)>],
    counts: &mut MergeCounts,
) -> Trace {
    let mut pid_of: FxHashMap<u32, u32> = FxHashMap::default();
    for e in &user.events {
        pid_of.entry(tid_of(user, e)).or_insert(user.pid(e));
    }
    // The user's thread indices, in `out`'s table.
    let threads: Vec<ThreadId> = (user.threads().iter())
        .map(|th| out.thread_id(th.pid, th.tid))
        .collect();
    let mut events = Vec::with_capacity(user.events.len() + kevs.len());
    let mut durations = Vec::with_capacity(user.durations().len());
    let mut flags_in = Vec::new();
    let mut at = 0;
    for s in 0..=user.events.len() {
        let ks = take_slot(order, places, s, &mut at);
        let lower = match s
            .checked_sub(1)
            .and_then(|u| user.events.get(u).map(|e| (u, e)))
        {
            Some((u, e)) => {
                if let Some(d) = user.duration(u as u32) {
                    durations.push((events.len() as u32, d));
                }
                if let Some(f) = user.flags_in(u as u32) {
                    flags_in.push((events.len() as u32, f));
                }
                let mut e = *e;
                e.thread = threads
                    .get(e.thread.0 as usize)
                    .copied()
                    .unwrap_or(crate::trace::ThreadId::UNKNOWN);
                events.push(e);
                e.t_ns
            }
            None => 0,
        };
        let upper = user.events.get(s).map_or(u64::MAX, |e| e.t_ns);
        let user_at = events.len().checked_sub(1).filter(|_| s > 0);
        let mut prev = lower;
        for &k in ks {
            let (Some(ev), Some(Some((body, tag)))) = (kevs.get(k), bodies.get(k)) else {
                continue;
            };
            let within = places.get(k).is_some_and(|p| !p.timed);
            // A marker pinned to the userspace write of it is that write's marker again: the
            // write keeps the kernel's text, which strace may have cut.
            if let (Tag::Marker, true, Body::Marker { text }, Some(Body::Marker { text: u })) = (
                *tag,
                within,
                *body,
                s.checked_sub(1)
                    .and_then(|u| user.events.get(u))
                    .map(|e| e.body),
            ) && out.str(text).starts_with(user.str(u).trim_end())
            {
                if let Some(e) = user_at.and_then(|i| events.get_mut(i)) {
                    e.body = Body::Marker { text };
                }
                continue;
            }
            count(counts, *tag);
            let t = ev.rec.ts_ns.max(prev).min(upper.max(lower));
            prev = t;
            let tid = ev.rec.tid;
            let pid = (ev.rec.tgid)
                .or_else(|| pid_of.get(&tid).copied())
                .unwrap_or(tid);
            let mut e = Event::new(t, out.thread_id(pid, tid), Origin::Observed, *body);
            e.set_within(within);
            events.push(e);
        }
    }
    out.events = events;
    out.set_durations(durations);
    out.set_flags_in_all(flags_in);
    out
}

fn count(c: &mut MergeCounts, tag: Tag) {
    match tag {
        Tag::Memop => c.memops_resolved += 1,
        Tag::Unresolved => c.memops_unresolved += 1,
        Tag::Failed => c.memops_failed += 1,
        Tag::RefDrop => c.ref_drops += 1,
        Tag::Done => c.buffer_done += 1,
        Tag::DoneUnattributed => c.buffer_done_unattributed += 1,
        Tag::Klog => c.klogs += 1,
        Tag::Marker => c.markers += 1,
        Tag::Tracepoint => {}
    }
    if matches!(
        tag,
        Tag::Unresolved | Tag::Failed | Tag::RefDrop | Tag::DoneUnattributed | Tag::Tracepoint
    ) {
        c.tracepoints += 1;
    }
}

#[cfg(test)]
mod tests;
