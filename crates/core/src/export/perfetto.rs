//! Chrome trace-event JSON, which ui.perfetto.dev opens: one process per queue, one thread per
//! buffer track (state, association, each held resource by source), findings and queue-wide
//! operations as instant events. Written event by event, so a long trace never sits in memory
//! as JSON values.
//!
//! Times are microseconds (fractions carry the nanoseconds) from the timeline's start: a
//! float has too few digits for absolute nanoseconds of a wall clock; the origin is in
//! `metadata.time_origin_ns`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::check::CheckReport;
use crate::rules::info;
use crate::timeline::{Assoc, Lane, Source, Timeline};
use crate::trace::Trace;
use crate::v4l2::{QueueKey, outcome_str};

use super::trace_title;

/// The process of device-wide events (open, close) and findings tied to no queue.
const DEVICE_PID: u64 = 1;
const DEVICE_TID: u64 = 1;

/// The export as a string.
pub fn to_string(trace: &Trace, tl: &Timeline, report: &CheckReport) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(&mut out, trace, tl, report);
    String::from_utf8_lossy(&out).into_owned()
}

struct Out<'w, W: Write> {
    w: &'w mut W,
    first: bool,
    origin: u64,
}

impl<W: Write> Out<'_, W> {
    fn event(&mut self, v: &Value) -> io::Result<()> {
        self.w.write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut *self.w, v).map_err(io::Error::other)
    }

    fn us(&self, t: u64) -> f64 {
        t.saturating_sub(self.origin) as f64 / 1000.0
    }

    fn meta(&mut self, pid: u64, tid: Option<u64>, name: &str, args: Value) -> io::Result<()> {
        let mut v = json!({"ph": "M", "pid": pid, "ts": 0, "name": name, "args": args});
        if let (Some(t), Some(m)) = (tid, v.as_object_mut()) {
            m.insert("tid".into(), json!(t));
        }
        self.event(&v)
    }

    fn thread(&mut self, pid: u64, tid: u64, name: &str, sort: u64) -> io::Result<()> {
        self.meta(pid, Some(tid), "thread_name", json!({ "name": name }))?;
        self.meta(
            pid,
            Some(tid),
            "thread_sort_index",
            json!({ "sort_index": sort }),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn slice(
        &mut self,
        pid: u64,
        tid: u64,
        start: u64,
        end: u64,
        name: &str,
        cat: &str,
        args: Value,
    ) -> io::Result<()> {
        let ts = self.us(start);
        let dur = end.saturating_sub(start) as f64 / 1000.0;
        self.event(
            &json!({"ph": "X", "pid": pid, "tid": tid, "ts": ts, "dur": dur,
            "name": name, "cat": cat, "args": args}),
        )
    }
}

fn assoc_args(a: &Assoc, event: u32, plane: usize) -> Value {
    match *a {
        Assoc::Mmap { offset, .. } => {
            json!({"memory": "MMAP", "offset": format!("{offset:#x}"), "plane": plane, "event": event})
        }
        // `null`: the trace did not record it; `inferred`: the model says which memory it is.
        Assoc::Userptr {
            addr,
            len,
            inferred,
        } => json!({"memory": "USERPTR",
            "userptr": addr.map(|a| format!("{a:#x}")), "length": len, "inferred": inferred,
            "plane": plane, "event": event}),
        Assoc::Dmabuf {
            id,
            fd,
            len,
            inferred,
        } => json!({"memory": "DMABUF", "dmabuf": id,
            "fd": fd, "length": len, "inferred": inferred, "plane": plane, "event": event}),
    }
}

/// Writes the export. Event order is stable: metadata and slices track by track in time
/// order, then queue-wide operations, then findings (Perfetto sorts on import).
pub fn write<W: Write>(
    w: &mut W,
    trace: &Trace,
    tl: &Timeline,
    report: &CheckReport,
) -> io::Result<()> {
    w.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[")?;
    let mut o = Out {
        w,
        first: true,
        origin: tl.start_ns,
    };
    // Every queue anything happened on, even one without buffers.
    let queues: BTreeSet<QueueKey> = tl
        .lanes
        .iter()
        .map(|l| l.queue)
        .chain(tl.marks.iter().filter_map(|m| m.queue))
        .chain(report.findings.iter().filter_map(|f| f.queue))
        .collect();
    let device_wide = tl.marks.iter().any(|m| m.queue.is_none())
        || report.findings.iter().any(|f| f.queue.is_none());
    if device_wide {
        o.meta(
            DEVICE_PID,
            None,
            "process_name",
            json!({"name": "device-wide"}),
        )?;
        o.meta(
            DEVICE_PID,
            None,
            "process_sort_index",
            json!({"sort_index": 0}),
        )?;
        o.thread(DEVICE_PID, DEVICE_TID, "open/close", 0)?;
    }
    // Thread ids are unique across processes: Perfetto's importer keys threads by tid.
    let mut next_tid = 10u64;
    let mut queue_tid: BTreeMap<QueueKey, (u64, u64)> = BTreeMap::new();
    let mut lane_tid: BTreeMap<(QueueKey, u32), (u64, u64)> = BTreeMap::new();
    for (qi, q) in queues.iter().enumerate() {
        let pid = 2 + qi as u64;
        let lanes: &[Lane] = tl.lanes_of(*q);
        let title = tl.queue_title(*q);
        o.meta(pid, None, "process_name", json!({ "name": title }))?;
        o.meta(
            pid,
            None,
            "process_sort_index",
            json!({ "sort_index": pid }),
        )?;
        let mut sort = 0u64;
        let tid = next_tid;
        next_tid += 1;
        o.thread(pid, tid, "queue (REQBUFS, STREAMON, STREAMOFF…)", sort)?;
        queue_tid.insert(*q, (pid, tid));
        for lane in lanes {
            sort += 1;
            let tid = next_tid;
            next_tid += 1;
            let name = format!("buf {}", lane.index);
            o.thread(pid, tid, &name, sort)?;
            lane_tid.insert((lane.queue, lane.index), (pid, tid));
            for s in &lane.states {
                let args = json!({"buffer": lane.index, "event": s.event});
                o.slice(
                    pid,
                    tid,
                    s.start_ns,
                    s.end_ns,
                    s.value.as_str(),
                    "state",
                    args,
                )?;
            }
            let multi = lane.planes.len() > 1;
            for (pi, plane) in lane.planes.iter().enumerate() {
                let pname = if multi {
                    format!("{name} plane {pi}")
                } else {
                    name.clone()
                };
                if !plane.assoc.is_empty() {
                    sort += 1;
                    let tid = next_tid;
                    next_tid += 1;
                    o.thread(pid, tid, &format!("{pname} tied to"), sort)?;
                    for s in &plane.assoc {
                        let args = assoc_args(&s.value, s.event, pi);
                        o.slice(
                            pid,
                            tid,
                            s.start_ns,
                            s.end_ns,
                            &tl.assoc_text(&s.value, true),
                            "assoc",
                            args,
                        )?;
                    }
                }
                for track in &plane.tracks {
                    sort += 1;
                    let tid = next_tid;
                    next_tid += 1;
                    let src = match track.source {
                        Source::Observed => "observed",
                        Source::Inferred => "inferred",
                    };
                    let slice = format!("{} ({src})", track.resource.as_str());
                    o.thread(pid, tid, &format!("{pname} {slice}"), sort)?;
                    for s in &track.spans {
                        let args = json!({"plane": pi, "source": src, "event": s.event});
                        o.slice(pid, tid, s.start_ns, s.end_ns, &slice, "resource", args)?;
                    }
                }
            }
        }
    }
    for m in &tl.marks {
        let (pid, tid) = m
            .queue
            .and_then(|q| queue_tid.get(&q).copied())
            .unwrap_or((DEVICE_PID, DEVICE_TID));
        let ts = o.us(m.t_ns);
        o.event(
            &json!({"ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": ts,
            "name": m.label, "cat": "queue",
            "args": {"result": outcome_str(m.result), "event": m.event}}),
        )?;
    }
    for f in &report.findings {
        let (pid, tid) = f
            .queue
            .and_then(|q| {
                f.index
                    .and_then(|i| lane_tid.get(&(q, i)))
                    .or_else(|| queue_tid.get(&q))
                    .copied()
            })
            .unwrap_or((DEVICE_PID, DEVICE_TID));
        let r = info(f.rule);
        let ts = o.us(f.t_ns);
        o.event(
            &json!({"ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": ts,
            "name": format!("{} {}", f.rule, r.title), "cat": "finding",
            "args": {
                "rule": f.rule.as_str(),
                "severity": report.severity(f).as_str(),
                "title": r.title,
                "message": f.message(),
                "queue": f.queue.map(|q| q.to_string()),
                "buffer": f.index,
                "plane": f.plane,
                "event": f.event,
                "spec_source": r.source,
                "spec_quote": r.quote,
            }}),
        )?;
    }
    let meta = json!({
        "generator": concat!("vb2scope ", env!("CARGO_PKG_VERSION")),
        "title": trace_title(trace),
        "source": trace.header.source,
        "policy": report.policy.name(),
        "time_origin_ns": tl.start_ns,
        "end_ns": tl.end_ns,
        "events": trace.events.len(),
        "findings": report.findings.len(),
    });
    o.w.write_all(b"\n],\"metadata\":")?;
    serde_json::to_writer(&mut *o.w, &meta).map_err(io::Error::other)?;
    o.w.write_all(b"}\n")?;
    o.w.flush()
}
