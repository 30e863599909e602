//! Which kernel events are about the same device, in a capture with no syscalls to tell. The
//! events name a device three ways: kprobes by their queue (`q=`), vb2 tracepoints by the
//! queue's owner (`owner =`, a file handle), V4L2 tracepoints by the node's minor number. Two
//! names are the same device when one call shows both: a `vb2_qbuf` and the `v4l2_qbuf` right
//! after it on the same thread; a vb2 core kprobe and the `vb2_buf_queue`/`vb2_buf_done` it
//! causes; a memop and the `vb2_qbuf` of the same buffer that follows it. A queue that no such
//! call ties to an owner (MMAP buffers queued before STREAMON show no memop) is, last, taken
//! as the owner's when it was the thread's latest queue of that type and is tied to no other
//! owner.

use rustc_hash::FxHashMap;

use crate::kernel::ftrace::{Record, kprobe_args, parse_int, parse_pointer, tp_field};

use super::calls::Line;

/// A name a kernel event gives its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Name {
    Queue(u64),
    Owner(u64),
    Minor(u32),
}

/// A device's name in an event, with the buffer type and index the event shows.
pub(super) type NameOf = (Name, Option<u32>, Option<u32>);

/// The name of `r`'s device, if it gives one, with the buffer type and index when it names
/// those too.
pub(super) fn name_of(r: &Record) -> Option<NameOf> {
    let field = |k| tp_field(r.body, k);
    let arg = |k: &str| {
        kprobe_args(r.body)
            .find(|(n, _)| *n == k)
            .and_then(|(_, v)| parse_int(v))
    };
    let num = |s: Option<&str>| s.and_then(|s| s.trim().parse::<u32>().ok());
    if r.body.starts_with('(') {
        let q = arg("q").and_then(|v| u64::try_from(v).ok())?;
        let ty = arg("type")
            .or_else(|| arg("qtype"))
            .and_then(|v| u32::try_from(v).ok());
        let index = arg("index").and_then(|v| u32::try_from(v).ok());
        return Some((Name::Queue(q), ty, index));
    }
    match r.name {
        "vb2_qbuf" | "vb2_dqbuf" | "vb2_buf_queue" | "vb2_buf_done" => {
            let owner = field("owner").and_then(parse_pointer)?;
            Some((Name::Owner(owner), num(field("type")), num(field("index"))))
        }
        "v4l2_qbuf" | "v4l2_dqbuf" => {
            let minor = num(field("minor"))?;
            let ty = field("type")
                .and_then(crate::v4l2::BufType::parse)
                .map(|t| t.raw());
            Some((Name::Minor(minor), ty, num(field("index"))))
        }
        _ => None,
    }
}

/// Names found to be one device, numbered in order of first appearance.
#[derive(Debug, Default)]
pub(super) struct Devices {
    parent: Vec<usize>,
    ids: FxHashMap<Name, usize>,
    names: Vec<Name>,
}

/// A thread's last event that names a device: the name, its buffer's type and index, and
/// the event's name.
type Named<'a> = (Name, Option<u32>, Option<u32>, &'a str);

impl Devices {
    fn id(&mut self, n: Name) -> usize {
        if let Some(&i) = self.ids.get(&n) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.names.push(n);
        self.ids.insert(n, i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while let Some(&p) = self.parent.get(i) {
            if p == i {
                break;
            }
            let gp = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(i) {
                *slot = gp;
            }
            i = p;
        }
        i
    }

    fn union(&mut self, a: Name, b: Name) {
        let (x, y) = (self.id(a), self.id(b));
        let (rx, ry) = (self.root(x), self.root(y));
        // The older name stays the root, so devices keep the order they appeared in.
        let (lo, hi) = if rx <= ry { (rx, ry) } else { (ry, rx) };
        if let Some(p) = self.parent.get_mut(hi) {
            *p = lo;
        }
    }

    /// Learns from every event (in text order) which names go together.
    pub fn learn(lines: &[Line]) -> Devices {
        let mut d = Devices::default();
        d.learn_calls(lines);
        d.learn_neighbours(lines);
        d
    }

    /// The calls that show two names of one device.
    fn learn_calls(&mut self, lines: &[Line]) {
        let d = self;
        // Per thread: the last named event, and the last vb2 core kprobe's queue.
        let mut last: FxHashMap<u32, Named> = FxHashMap::default();
        let mut core: FxHashMap<u32, (Name, Option<u32>)> = FxHashMap::default();
        for l in lines {
            let (r, Some((name, ty, index))) = (&l.rec, l.named) else {
                continue;
            };
            d.id(name);
            let same_buffer = |t: Option<u32>, i: Option<u32>| t.is_some() && t == ty && i == index;
            if let Some(&(prev, pty, pidx, pname)) = last.get(&r.tid) {
                let linked = match (pname, r.name) {
                    ("vb2_qbuf", "v4l2_qbuf") | ("vb2_dqbuf", "v4l2_dqbuf") => {
                        same_buffer(pty, pidx)
                    }
                    // A memop of the buffer (a kprobe with q and index), then its vb2_qbuf.
                    (_, "vb2_qbuf") => matches!(prev, Name::Queue(_)) && same_buffer(pty, pidx),
                    _ => false,
                };
                if linked {
                    d.union(prev, name);
                }
            }
            // A STREAMON/STREAMOFF hands buffers to the driver or takes them back: the
            // owner of those is the kprobe's queue, for the same type.
            if matches!(
                r.name,
                "streamon" | "streamoff" | "queue_release" | "reqbufs"
            ) {
                core.insert(r.tid, (name, ty));
            } else if matches!(r.name, "vb2_buf_queue" | "vb2_buf_done")
                && let Some(&(q, qty)) = core.get(&r.tid)
                && qty.is_some()
                && qty == ty
            {
                d.union(q, name);
            } else if matches!(
                r.name,
                "v4l2_qbuf" | "v4l2_dqbuf" | "vb2_qbuf" | "vb2_dqbuf"
            ) {
                core.remove(&r.tid);
            }
            last.insert(r.tid, (name, ty, index, r.name));
        }
    }

    /// Whether the device of `n` has a name of the kind `kind` picks.
    fn has(&mut self, n: Name, kind: fn(&Name) -> bool) -> bool {
        let Some(&i) = self.ids.get(&n) else {
            return false;
        };
        let root = self.root(i);
        let names = self.names.clone();
        names
            .iter()
            .enumerate()
            .any(|(j, m)| kind(m) && self.root(j) == root)
    }

    /// An owner no call tied to a queue, and the queue of its type its thread used last,
    /// which no call tied to an owner: one device.
    fn learn_neighbours(&mut self, lines: &[Line]) {
        let mut latest: FxHashMap<(u32, u32), Name> = FxHashMap::default();
        let mut done: Vec<Name> = Vec::new();
        let is_queue: fn(&Name) -> bool = |n| matches!(n, Name::Queue(_));
        let is_user: fn(&Name) -> bool = |n| matches!(n, Name::Owner(_) | Name::Minor(_));
        // A queue's type, from any of its events that shows it (older probes do not fetch it
        // everywhere).
        let mut q_type: FxHashMap<Name, u32> = FxHashMap::default();
        for l in lines {
            if let Some((n @ Name::Queue(_), Some(ty), _)) = l.named {
                q_type.entry(n).or_insert(ty);
            }
        }
        for l in lines {
            let (r, Some((name, ty, _))) = (&l.rec, l.named) else {
                continue;
            };
            let Some(ty) = ty.or_else(|| q_type.get(&name).copied()) else {
                continue;
            };
            match name {
                Name::Queue(_) => {
                    latest.insert((r.tid, ty), name);
                }
                Name::Owner(_) if !done.contains(&name) => {
                    done.push(name);
                    if let Some(&q) = latest.get(&(r.tid, ty))
                        && !self.has(name, is_queue)
                        && !self.has(q, is_user)
                    {
                        self.union(q, name);
                    }
                }
                _ => {}
            }
        }
    }

    /// Numbers the devices (in order of first appearance) and names them: by minor number
    /// when an event gave one, else by queue.
    pub fn number(mut self) -> Numbered {
        let mut roots: Vec<usize> = Vec::new();
        let mut dev = FxHashMap::default();
        let names = std::mem::take(&mut self.names);
        for (i, n) in names.iter().enumerate() {
            let r = self.root(i);
            let d = match roots.iter().position(|&x| x == r) {
                Some(p) => p,
                None => {
                    roots.push(r);
                    roots.len() - 1
                }
            };
            dev.insert(*n, d as u16);
        }
        let mut labels: Vec<Option<Name>> = vec![None; roots.len()];
        for n in &names {
            let Some(slot) = dev.get(n).and_then(|&d| labels.get_mut(usize::from(d))) else {
                continue;
            };
            let rank = |x: &Name| match x {
                Name::Minor(_) => 0,
                Name::Queue(_) => 1,
                Name::Owner(_) => 2,
            };
            if slot.is_none_or(|b| rank(n) < rank(&b)) {
                *slot = Some(*n);
            }
        }
        let labels = labels
            .into_iter()
            .enumerate()
            .map(|(d, n)| match n {
                Some(Name::Minor(m)) => format!("video node minor {m}"),
                Some(Name::Queue(q)) => format!("vb2 queue {q:#x}"),
                Some(Name::Owner(o)) => format!("vb2 queue owned by {o:#x}"),
                None => format!("device {d}"),
            })
            .collect();
        Numbered { dev, labels }
    }
}

/// Every name's device number, and each device's label.
#[derive(Debug, Default)]
pub(super) struct Numbered {
    pub dev: FxHashMap<Name, u16>,
    pub labels: Vec<String>,
}
