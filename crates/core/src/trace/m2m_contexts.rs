//! Memory-to-memory nodes: every open() of one gets its own context, with its own OUTPUT and
//! CAPTURE queues (`v4l2_m2m_ctx`), where a capture or output node's queue is shared by all
//! its file handles. A trace names queues by device and type, so here each open of an M2M
//! node after the first becomes a device of its own (`/dev/video12 (open 2)`): its queues,
//! its lanes and the kernel's events on them stay apart from the other contexts'.
//!
//! A node is M2M when QUERYCAP says so (`V4L2_CAP_VIDEO_M2M`, `_MPLANE`) or when one open of
//! it uses both an OUTPUT and a CAPTURE queue. Run on a source's userspace events, before the
//! kernel's side is joined: the join then learns each context's queues from its own calls.

use rustc_hash::FxHashMap;

use super::event::{Body, IoctlArg, IoctlCmd};
use super::store::Trace;

/// `V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_VIDEO_M2M`.
const M2M_CAPS: u32 = 0x4000 | 0x8000;

/// What QUERYCAP says: M2M by its bits, or, for the node's own caps, by capture and output
/// together (older M2M drivers report those instead, and GStreamer takes either); `None`
/// when only the device's caps are known and they say nothing of this node.
fn m2m_by_caps(device_caps: Option<u32>, caps: Option<u32>) -> Option<bool> {
    let both = |c: u32, cap: u32, out: u32| c & cap != 0 && c & out != 0;
    match (device_caps, caps) {
        (Some(d), _) => Some(d & M2M_CAPS != 0 || both(d, 0x1, 0x2) || both(d, 0x1000, 0x2000)),
        (None, Some(c)) if c & M2M_CAPS != 0 => Some(true),
        _ => None,
    }
}

/// One open and the fds (dups) that refer to it.
#[derive(Default)]
struct Lineage {
    dev: u16,
    /// Event index of its open.
    open: usize,
    output: bool,
    capture: bool,
    /// Whether QUERYCAP said the node is M2M, when it was asked and answered.
    said: Option<bool>,
}

/// Splits the opens of M2M nodes into one device each; returns how many were split off.
pub fn split_m2m_contexts(trace: &mut Trace) -> usize {
    let lineages = lineages(trace);
    // QUERYCAP's word wins; without it, one open using both directions says M2M.
    let mut said: FxHashMap<u16, bool> = FxHashMap::default();
    for l in &lineages {
        if let Some(m2m) = l.said {
            *said.entry(l.dev).or_default() |= m2m;
        }
    }
    let mut m2m: Vec<u16> = Vec::new();
    for l in &lineages {
        let is = said.get(&l.dev).copied().unwrap_or(l.output && l.capture);
        if is && !m2m.contains(&l.dev) {
            m2m.push(l.dev);
        }
    }
    // The first open of each M2M node keeps its device; each later one gets its own.
    let mut seen: FxHashMap<u16, u32> = FxHashMap::default();
    let mut new_dev: FxHashMap<usize, (u16, u16)> = FxHashMap::default();
    for l in &lineages {
        if !m2m.contains(&l.dev) {
            continue;
        }
        let n = seen.entry(l.dev).or_insert(0);
        *n += 1;
        // Device numbers are 16 bits: past that, later opens share the node's queues.
        if *n == 1 || trace.device_count() >= usize::from(u16::MAX) {
            continue;
        }
        let path = format!("{} (open {n})", trace.device_path(l.dev));
        let name = trace.device_name(l.dev).map(str::to_owned);
        let d = trace.device(&path);
        if let Some(name) = name {
            trace.set_device_name(d, &name);
        }
        new_dev.insert(l.open, (l.dev, d));
    }
    if new_dev.is_empty() {
        return 0;
    }
    rewrite(trace, &new_dev);
    new_dev.len()
}

/// Every open of a video node, with what its fds were used for.
fn lineages(trace: &Trace) -> Vec<Lineage> {
    let mut out: Vec<Lineage> = Vec::new();
    let mut fds: FxHashMap<i32, usize> = FxHashMap::default();
    for (i, e) in trace.events.iter().enumerate() {
        match e.body {
            Body::Open { fd, dev, .. } => {
                fds.insert(fd, out.len());
                out.push(Lineage {
                    dev,
                    open: i,
                    ..Lineage::default()
                });
            }
            Body::Dup { fd, new_fd } => match fds.get(&fd).copied() {
                Some(l) => {
                    fds.insert(new_fd, l);
                }
                None => {
                    fds.remove(&new_fd);
                }
            },
            Body::Close { fd } => {
                fds.remove(&fd);
            }
            Body::Ioctl {
                fd,
                cmd,
                arg,
                result,
            } => {
                let Some(l) = fds.get(&fd).and_then(|&l| out.get_mut(l)) else {
                    continue;
                };
                match trace.arg(arg) {
                    Some(IoctlArg::Querycap(c)) if cmd == IoctlCmd::Querycap => {
                        if let Some(m2m) = m2m_by_caps(c.device_caps, c.caps) {
                            l.said = Some(l.said.unwrap_or(false) || m2m);
                        }
                    }
                    // Only calls the kernel took: a probe refused on a capture node says
                    // nothing of what the node is.
                    Some(_) if result.is_err() => {}
                    Some(a) => match a.buf_type() {
                        Some(ty) if ty.is_output() => l.output = true,
                        Some(_) => l.capture = true,
                        None => {}
                    },
                    None => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// Moves the split-off opens (by their open's event index: the node's device and the new
/// one) to their devices: the open itself, and a driver's format event (which carries a
/// device, not an fd) on the same thread as a call of that open.
fn rewrite(trace: &mut Trace, new_dev: &FxHashMap<usize, (u16, u16)>) {
    // fd → (the node, the open's device); per thread, the same for its last video call.
    let mut fds: FxHashMap<i32, (u16, u16)> = FxHashMap::default();
    let mut last_of_thread: FxHashMap<u32, (u16, u16)> = FxHashMap::default();
    // The events change in place: the thread table is read from a copy (it is small).
    let threads = trace.threads().to_vec();
    for (i, e) in trace.events.iter_mut().enumerate() {
        let tid = threads.get(e.thread.0 as usize).map_or(0, |t| t.tid);
        match &mut e.body {
            Body::Open { fd, dev, .. } => {
                let pair = new_dev.get(&i).copied().unwrap_or((*dev, *dev));
                *dev = pair.1;
                fds.insert(*fd, pair);
                last_of_thread.insert(tid, pair);
            }
            Body::Dup { fd, new_fd } => match fds.get(fd).copied() {
                Some(p) => {
                    fds.insert(*new_fd, p);
                }
                None => {
                    fds.remove(new_fd);
                }
            },
            Body::Close { fd } => {
                fds.remove(fd);
            }
            Body::Ioctl { fd, .. } => {
                if let Some(&p) = fds.get(fd) {
                    last_of_thread.insert(tid, p);
                }
            }
            Body::Driver { dev, .. } => {
                if let Some(&(node, d)) = last_of_thread.get(&tid)
                    && node == *dev
                {
                    *dev = d;
                }
            }
            _ => {}
        }
    }
}
