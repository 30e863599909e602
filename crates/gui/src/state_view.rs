//! The model's state just before and just after one event, in words, for the inspector.

use vb2scope_core::check::Checkpoints;
use vb2scope_core::model::{Effect, Model};
use vb2scope_core::policy::Policy;
use vb2scope_core::timeline::Assoc;
use vb2scope_core::trace::Trace;
use vb2scope_core::v4l2::Memory;

fn summarize(m: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for q in &m.queues {
        if q.bufs.is_empty() && !q.streaming {
            continue;
        }
        out.push(format!(
            "queue {}: {}{}, {} queued, {} in the driver{}",
            q.key,
            q.memory.map(Memory::as_str).unwrap_or("no buffers"),
            if q.streaming { ", streaming" } else { "" },
            q.queued_count,
            q.owned_by_drv,
            q.owner
                .map(|o| format!(", owned by handle {o}"))
                .unwrap_or_default()
        ));
        for (i, b) in q.iter() {
            let mut line = format!("  #{i} {}", b.state.as_str());
            for (p, pl) in b.planes.iter().enumerate() {
                let r = q.effective(pl);
                let mut held = Vec::new();
                for (on, name) in [
                    (r.allocated, "allocated"),
                    (r.pinned, "pinned"),
                    (r.attached, "attached"),
                    (r.mapped, "mapped"),
                ] {
                    if on {
                        held.push(name);
                    }
                }
                let tie = match Assoc::of(q.memory, pl) {
                    Some(a @ Assoc::Dmabuf { id, .. }) => {
                        let who = m
                            .dmabuf_view(id)
                            .and_then(|d| d.ino)
                            .map_or(format!("#{id}"), |ino| format!("ino {ino}"));
                        format!(" dma-buf {who} (fd {}{})", a.handle_text(), inferred(&a))
                    }
                    Some(a @ Assoc::Userptr { .. }) => {
                        format!(" ptr {}{}", a.handle_text(), inferred(&a))
                    }
                    _ => String::new(),
                };
                line.push_str(&format!(
                    "; plane {p}{tie}: {}",
                    if held.is_empty() {
                        "-".to_string()
                    } else {
                        held.join(" ")
                    }
                ));
            }
            out.push(line);
        }
    }
    if out.is_empty() {
        out.push("no queue in use".into());
    }
    out
}

/// What the model did in turn at the step just taken, in words.
fn effects(m: &Model) -> Vec<String> {
    m.fx.items
        .iter()
        .map(|e| match *e {
            Effect::Memop(x) => format!(
                "{} {} #{} plane {}",
                x.kind.as_str(),
                x.queue,
                x.index,
                x.plane
            ),
            Effect::Msg(k) => format!("kernel: {}", k.msg.text(m.policy, k.queue)),
            Effect::Done(d) => format!(
                "driver: vb2_buffer_done({} #{}, {})",
                d.queue,
                d.index,
                d.state.as_str()
            ),
            Effect::BufQueue(q, i) => format!("buf_queue {q} #{i}: the driver gets it"),
        })
        .collect()
}

/// The model around event `c` under `policy`: the state before, the state after, and what
/// the model did in turn (empty for events the model recomputes rather than takes).
pub struct Around {
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub effects: Vec<String>,
}

/// Replays `trace` under `policy` up to event `c`, from the checkpoint nearest before it
/// (kept by the timeline's build), so a look at any event costs the same.
pub fn around(trace: &Trace, policy: Policy, checkpoints: &Checkpoints, c: u32) -> Around {
    let mut a = Around {
        before: vec!["(start of the trace)".to_string()],
        after: Vec::new(),
        effects: Vec::new(),
    };
    let stepped = trace
        .events
        .get(c as usize)
        .is_some_and(|e| e.origin() != vb2scope_core::v4l2::Origin::Inferred);
    let from = (c as usize).saturating_sub(1);
    checkpoints.resume(trace, policy, from, |i, m| {
        if i + 1 == c as usize {
            a.before = summarize(m);
        }
        if i == c as usize {
            a.after = summarize(m);
            if stepped {
                a.effects = effects(m);
            }
            return false;
        }
        true
    });
    a
}

fn inferred(a: &Assoc) -> &'static str {
    if a.inferred() { ", inferred" } else { "" }
}
