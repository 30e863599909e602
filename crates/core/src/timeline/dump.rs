//! A plain-text rendering of a timeline: one block per lane, spans in milliseconds. For
//! golden tests and for reading a buffer's life in a terminal.

use std::fmt::Write as _;

use super::{Assoc, Source, Span, Timeline};

use crate::time::ms;

fn range<T>(s: &Span<T>) -> String {
    format!("[{}, {})", ms(s.start_ns), ms(s.end_ns))
}

impl Timeline {
    /// The timeline as text: queue marks, then each lane with its states, associations and
    /// held resources.
    pub fn dump(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "timeline {} ms to {} ms, policy {}",
            ms(self.start_ns),
            ms(self.end_ns),
            self.report.policy
        );
        for m in &self.marks {
            let q = m
                .queue
                .map(|q| q.to_string())
                .unwrap_or_else(|| "device".into());
            let r = crate::v4l2::outcome_str(m.result);
            let _ = writeln!(o, "mark {} {q} {} -> {r}", ms(m.t_ns), m.label);
        }
        for l in &self.lanes {
            let _ = writeln!(o, "lane {} #{}", l.queue, l.index);
            let states: Vec<String> = l
                .states
                .iter()
                .map(|s| format!("{} {}", range(s), s.value.as_str()))
                .collect();
            let _ = writeln!(o, "  state {}", states.join(" "));
            for (pi, p) in l.planes.iter().enumerate() {
                let assoc: Vec<String> = p
                    .assoc
                    .iter()
                    .map(|s| {
                        let a = &s.value;
                        let h = a.handle_text();
                        let inferred = if a.inferred() { " inferred" } else { "" };
                        let v = match *a {
                            Assoc::Mmap { .. } => format!("mmap@{h}"),
                            Assoc::Userptr { len, .. } => format!("userptr {h}+{len}{inferred}"),
                            Assoc::Dmabuf { id, len, .. } => {
                                let who = match self.dmabuf(id).and_then(|d| d.ino) {
                                    Some(ino) => format!(" ino {ino}"),
                                    None => format!("#{id}"),
                                };
                                format!("dmabuf{who} fd {h} len {len}{inferred}")
                            }
                        };
                        format!("{} {v}", range(s))
                    })
                    .collect();
                if !assoc.is_empty() {
                    let _ = writeln!(o, "  plane {pi} tied {}", assoc.join(" "));
                }
                for t in &p.tracks {
                    let src = match t.source {
                        Source::Inferred => "inferred",
                        Source::Observed => "observed",
                    };
                    let spans: Vec<String> = t.spans.iter().map(range).collect();
                    let _ = writeln!(
                        o,
                        "  plane {pi} {} ({src}) {}",
                        t.resource.as_str(),
                        spans.join(" ")
                    );
                }
            }
        }
        for r in &self.requests {
            let phases: Vec<String> = r
                .phases
                .iter()
                .map(|s| format!("{} {}", range(s), s.value.describe()))
                .collect();
            let _ = writeln!(o, "request {} {}", r.id, phases.join(" "));
        }
        for d in &self.drains {
            let phases: Vec<String> = d
                .phases
                .iter()
                .map(|s| format!("{} {}", range(s), s.value.as_str()))
                .collect();
            let _ = writeln!(o, "drain {} {}", self.device_label(d.dev), phases.join(" "));
        }
        for j in &self.jobs {
            let by = match j.by {
                super::JobEvidence::Timestamp => "timestamp",
                super::JobEvidence::Completion => "completion",
            };
            let _ = writeln!(
                o,
                "job {} #{} {} -> {} #{} {} (by {by})",
                j.output.0,
                j.output.1,
                ms(j.output_t_ns),
                j.capture.0,
                j.capture.1,
                ms(j.capture_t_ns)
            );
        }
        for d in &self.dmabufs {
            let by: Vec<String> = self
                .importers(d.id)
                .into_iter()
                .map(|(q, i, p)| format!("{q} #{i}.{p}"))
                .collect();
            let by = if by.is_empty() {
                "none".to_string()
            } else {
                by.join(", ")
            };
            let _ = writeln!(o, "{}; imported by {by}", d.describe());
        }
        for f in &self.report.findings {
            let _ = writeln!(
                o,
                "finding {} {} {}: {}",
                ms(f.t_ns),
                f.rule,
                self.report.severity(f).as_str(),
                f.message()
            );
        }
        o
    }
}
