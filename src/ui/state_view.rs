//! The model's state just before and just after one event, in words, for the inspector.

use crate::check::replay;
use crate::model::{Memory, Model, Policy};
use crate::trace::Trace;

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
                let tie = match q.memory {
                    Some(Memory::Dmabuf) => pl
                        .dbuf
                        .map(|d| format!(" dma-buf #{d} (fd {})", pl.fd))
                        .unwrap_or_default(),
                    Some(Memory::Userptr) if pl.userptr != 0 => format!(" ptr {:#x}", pl.userptr),
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

/// The state before event `c` and after it, replaying `trace` under `policy`.
pub fn around(trace: &Trace, policy: Policy, c: u32) -> (Vec<String>, Vec<String>) {
    let (mut before, mut after) = (vec!["(start of the trace)".to_string()], Vec::new());
    replay(trace, policy, |i, m| {
        if i + 1 == c as usize {
            before = summarize(m);
        }
        if i == c as usize {
            after = summarize(m);
        }
    });
    (before, after)
}
