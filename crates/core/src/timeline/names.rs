//! What a developer recognises a queue by: its device node, the driver behind it, direction,
//! memory type, buffer count and the processes and threads that used it. One name for the
//! window and every export.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Assoc, Lane, Timeline};
use crate::trace::{Body, Event, IoctlArg, IoctlCmd, Trace, VideoFds};
use crate::v4l2::QueueKey;

/// At most this many pids, or threads of one pid, are listed in a title; the rest are `+N`.
const LISTED: usize = 4;

/// What the trace says of one queue beyond its key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueInfo {
    /// The device node it was opened as, when the trace shows the open.
    pub path: String,
    /// The node's name in sysfs (`vivid-000-vid-cap`), when a recorder wrote it.
    pub node_name: String,
    /// QUERYCAP's `driver` and `card` for the node, when the trace has a QUERYCAP of it.
    pub driver: String,
    pub card: String,
    /// The processes whose calls addressed it, in order of first use (0, an unknown process,
    /// included).
    pub pids: Vec<u32>,
    /// The threads whose calls addressed it, as (process, thread), in order of first use;
    /// only those the trace names (thread id not 0).
    pub threads: Vec<(u32, u32)>,
}

impl QueueInfo {
    /// The node's name for people: its sysfs name, else QUERYCAP's `driver "card"` (the
    /// driver alone when the card says the same), else nothing.
    pub fn device_name(&self) -> Option<String> {
        if !self.node_name.is_empty() {
            return Some(self.node_name.clone());
        }
        match (self.driver.as_str(), self.card.as_str()) {
            ("", _) => None,
            (d, c) if c.is_empty() || c == d => Some(d.to_owned()),
            (d, c) => Some(format!("{d} \"{c}\"")),
        }
    }

    /// `pid 290 (threads 290, 293)`, `pids 1, 2`; `None` when no process is known.
    fn users(&self) -> Option<String> {
        let known: Vec<u32> = self.pids.iter().copied().filter(|&p| p != 0).collect();
        let list: Vec<String> = known.iter().map(|&p| self.pid_text(p)).collect();
        let word = if known.len() == 1 { "pid" } else { "pids" };
        (!list.is_empty()).then(|| format!("{word} {}", short_list(&list)))
    }

    /// A pid, with its threads when a thread other than its main one used the queue.
    fn pid_text(&self, pid: u32) -> String {
        let mut tids: Vec<u32> = (self.threads.iter())
            .filter(|&&(p, _)| p == pid)
            .map(|&(_, t)| t)
            .collect();
        tids.sort_unstable();
        if tids.iter().all(|&t| t == pid) {
            return pid.to_string();
        }
        let word = if tids.len() == 1 { "thread" } else { "threads" };
        let list: Vec<String> = tids.iter().map(u32::to_string).collect();
        format!("{pid} ({word} {})", short_list(&list))
    }
}

/// `a, b, c, d +2`: at most [`LISTED`] items.
fn short_list(items: &[String]) -> String {
    let shown = items.get(..LISTED.min(items.len())).unwrap_or(&[]);
    let mut s = shown.join(", ");
    if items.len() > shown.len() {
        let _ = write!(s, " +{}", items.len() - shown.len());
    }
    s
}

/// Gathers each queue's [`QueueInfo`] while a timeline is built, event by event.
#[derive(Clone, Default)]
pub(super) struct InfoBuilder {
    infos: BTreeMap<QueueKey, QueueInfo>,
    /// QUERYCAP's driver and card by device, the latest that named a driver.
    caps: BTreeMap<u16, (String, String)>,
}

impl InfoBuilder {
    /// Takes event `e` into account; `queue`: the queue it addresses, if any; `video_fds`
    /// already follows `e`.
    pub(super) fn note(
        &mut self,
        trace: &Trace,
        e: &Event,
        queue: Option<QueueKey>,
        video_fds: &VideoFds,
    ) {
        let Body::Ioctl {
            fd,
            cmd,
            result,
            arg,
        } = e.body
        else {
            return;
        };
        if let (IoctlCmd::Querycap, Ok(()), Some(IoctlArg::Querycap(c))) =
            (cmd, result, trace.arg(arg))
            && !trace.str(c.driver).is_empty()
        {
            let names = (trace.str(c.driver).to_owned(), trace.str(c.card).to_owned());
            self.caps.insert(video_fds.dev(fd), names);
        }
        let Some(q) = queue.filter(|q| q.dev != u16::MAX) else {
            return;
        };
        let info = self.infos.entry(q).or_default();
        if info.path.is_empty() {
            info.path = trace.device_path(q.dev).to_owned();
        }
        let th = trace.thread(e.thread);
        if !info.pids.contains(&th.pid) {
            info.pids.push(th.pid);
        }
        if th.tid != 0 && !info.threads.contains(&(th.pid, th.tid)) {
            info.threads.push((th.pid, th.tid));
        }
    }

    /// The infos, with what the trace says of each queue's device.
    pub(super) fn infos(&self, trace: &Trace) -> BTreeMap<QueueKey, QueueInfo> {
        let mut infos = self.infos.clone();
        for (q, info) in &mut infos {
            info.node_name = trace.device_name(q.dev).unwrap_or("").to_owned();
            if let Some((driver, card)) = self.caps.get(&q.dev) {
                info.driver.clone_from(driver);
                info.card.clone_from(card);
            }
        }
        infos
    }
}

/// The memory type of a queue as its lanes show it, if any association says.
pub fn queue_memory(lanes: &[Lane]) -> Option<&'static str> {
    lanes
        .iter()
        .flat_map(|l| l.planes.iter())
        .flat_map(|p| p.assoc.first())
        .map(|s| match s.value {
            Assoc::Mmap { .. } => "MMAP",
            Assoc::Userptr { .. } => "USERPTR",
            Assoc::Dmabuf { .. } => "DMABUF",
        })
        .next()
}

impl Timeline {
    /// The lanes of queue `q` (lanes are sorted by queue).
    pub fn lanes_of(&self, q: QueueKey) -> &[Lane] {
        let a = self.lanes.partition_point(|l| l.queue < q);
        let b = self.lanes.partition_point(|l| l.queue <= q);
        self.lanes.get(a..b).unwrap_or(&[])
    }

    /// The position in [`Timeline::lanes`] of buffer `index` of queue `q`.
    pub fn lane_of(&self, q: QueueKey, index: u32) -> Option<usize> {
        self.lanes
            .binary_search_by(|l| (l.queue, l.index).cmp(&(q, index)))
            .ok()
    }

    /// A device's short name: the node it was opened as (`/dev/video14 (open 2)`), else
    /// `devN`.
    pub fn device_label(&self, dev: u16) -> String {
        self.queue_info
            .iter()
            .find(|(k, i)| k.dev == dev && !i.path.is_empty())
            .map_or_else(|| format!("dev{dev}"), |(_, i)| i.path.clone())
    }

    /// A queue's full name:
    /// `/dev/video0 · vivid-000-vid-cap · capture · DMABUF · 4 buffers · pid 290 (threads 290, 293)`.
    pub fn queue_title(&self, q: QueueKey) -> String {
        let info = self.queue_info.get(&q);
        let mut s = match info.map(|i| i.path.as_str()).filter(|p| !p.is_empty()) {
            Some(p) => p.to_owned(),
            None => format!("dev{}", q.dev),
        };
        if let Some(name) = info.and_then(QueueInfo::device_name) {
            let _ = write!(s, " · {name}");
        }
        let dir = if q.ty.is_output() {
            "output"
        } else {
            "capture"
        };
        let planes = if q.ty.is_mplane() {
            " (multi-planar)"
        } else {
            ""
        };
        let _ = write!(s, " · {dir}{planes}");
        let lanes = self.lanes_of(q);
        if let Some(m) = queue_memory(lanes) {
            let _ = write!(s, " · {m}");
        }
        let n = lanes.len();
        let _ = write!(s, " · {n} buffer{}", if n == 1 { "" } else { "s" });
        if let Some(users) = info.and_then(QueueInfo::users) {
            let _ = write!(s, " · {users}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pids: &[u32], threads: &[(u32, u32)]) -> QueueInfo {
        QueueInfo {
            pids: pids.to_vec(),
            threads: threads.to_vec(),
            ..QueueInfo::default()
        }
    }

    #[test]
    fn a_main_thread_alone_is_not_listed() {
        assert_eq!(info(&[7], &[(7, 7)]).users().as_deref(), Some("pid 7"));
    }

    #[test]
    fn other_threads_are_listed_sorted_and_cut() {
        let i = info(&[7], &[(7, 9), (7, 7)]);
        assert_eq!(i.users().as_deref(), Some("pid 7 (threads 7, 9)"));
        let one = info(&[7], &[(7, 9)]);
        assert_eq!(one.users().as_deref(), Some("pid 7 (thread 9)"));
        let many: Vec<(u32, u32)> = (10..16).map(|t| (7, t)).collect();
        assert_eq!(
            info(&[7], &many).users().as_deref(),
            Some("pid 7 (threads 10, 11, 12, 13 +2)")
        );
    }

    #[test]
    fn unknown_processes_say_nothing() {
        assert_eq!(info(&[0], &[]).users(), None);
        assert_eq!(info(&[0, 5], &[]).users().as_deref(), Some("pid 5"));
        let pids: Vec<u32> = (1..=6).collect();
        assert_eq!(
            info(&pids, &[]).users().as_deref(),
            Some("pids 1, 2, 3, 4 +2")
        );
    }

    #[test]
    fn the_sysfs_name_wins_over_the_driver() {
        let mut i = QueueInfo {
            driver: "vivid".into(),
            card: "vivid".into(),
            ..QueueInfo::default()
        };
        assert_eq!(i.device_name().as_deref(), Some("vivid"));
        i.card = "Virtual Video".into();
        assert_eq!(i.device_name().as_deref(), Some("vivid \"Virtual Video\""));
        i.node_name = "vivid-000-vid-cap".into();
        assert_eq!(i.device_name().as_deref(), Some("vivid-000-vid-cap"));
        assert_eq!(QueueInfo::default().device_name(), None);
    }
}
