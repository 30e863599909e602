//! What calls and task events do to the fds and mappings the trace follows: open, close,
//! dup, mmap, munmap; new threads and processes, exec, exit.

use nix::sys::ptrace;
use nix::unistd::Pid;

use vb2scope_core::trace::{Body, Event, Extent, OwnedEvent, Thread, ThreadId};
use vb2scope_core::v4l2::{Errno as KErrno, Origin};

use super::super::procfs::{fd_path, is_dmabuf, is_video_node, tgid};
use super::{AppExit, Kind, Pending, Proc, Tracer};
use crate::session::now_ns;

impl Tracer<'_> {
    /// open, close, dup, mmap and munmap: what they did to the fds and mappings the trace
    /// follows.
    pub(super) fn fd_call(&mut self, pid: Pid, p: &Pending, rval: i64, result: Result<(), KErrno>) {
        use nix::libc as c;
        if result.is_err() {
            return;
        }
        let a = p.args;
        let t = p.t;
        match p.nr {
            c::SYS_open | c::SYS_openat | c::SYS_openat2 => {
                let fd = rval as i32;
                self.set_kind(pid, fd, None);
                if let Some(path) = fd_path(pid.as_raw(), fd).filter(|p| is_video_node(p)) {
                    self.opened(pid, fd, &path, t);
                }
            }
            c::SYS_close => self.closed(pid, a[0] as i32, t),
            // CLOSE_RANGE_CLOEXEC only marks them; exec closes them.
            c::SYS_close_range if a[2] & 4 == 0 => {
                let (first, last) = (a[0] as i32, a[1].min(i32::MAX as u64) as i32);
                let fds: Vec<i32> = self
                    .procs
                    .get(&self.tgid(pid))
                    .map(|pr| {
                        let open = pr.fds.keys().copied();
                        open.filter(|f| (first..=last).contains(f)).collect()
                    })
                    .unwrap_or_default();
                for fd in fds {
                    self.closed(pid, fd, t);
                }
            }
            c::SYS_dup | c::SYS_dup2 | c::SYS_dup3 | c::SYS_fcntl => {
                let (old, new) = (a[0] as i32, rval as i32);
                if old == new {
                    return;
                }
                // dup2 onto an open fd closes it first.
                self.closed(pid, new, t);
                if let Some(k) = self.kind(pid, old).filter(|k| k.followed()) {
                    let body = Body::Dup {
                        fd: self.label(pid, old),
                        new_fd: self.label(pid, new),
                    };
                    self.emit(pid, t, body, |_| {});
                    self.set_kind(pid, new, Some(k));
                }
            }
            c::SYS_mmap => {
                let fd = a[4] as i32;
                // A dma-buf's mmap() keeps its memory (the exporter's plane) in use; a video
                // node first met here (attached mid-stream) is adopted.
                self.identify(pid, fd, t);
                if self.kind(pid, fd).is_none() {
                    self.adopt(pid, fd, t);
                }
                if self.kind(pid, fd).is_some_and(Kind::followed) {
                    let label = self.label(pid, fd);
                    let ext = Extent {
                        offset: a[5],
                        len: a[1],
                        addr: rval as u64,
                    };
                    self.emit(pid, t, Body::Mmap { fd: label, ext: 0 }, |o| {
                        o.extent = Some(ext)
                    });
                    let g = self.tgid(pid);
                    if let Some(pr) = self.procs.get_mut(&g) {
                        pr.maps.push((ext.addr, ext.len, label));
                    }
                }
            }
            c::SYS_munmap => self.unmapped(pid, a[0], a[1], t),
            _ => {}
        }
    }

    pub(super) fn closed(&mut self, pid: Pid, fd: i32, t: u64) {
        if self.kind(pid, fd).is_some_and(Kind::followed) {
            let label = self.label(pid, fd);
            self.emit(pid, t, Body::Close { fd: label }, |_| {});
        }
        self.set_kind(pid, fd, None);
    }

    pub(super) fn unmapped(&mut self, pid: Pid, addr: u64, len: u64, t: u64) {
        let g = self.tgid(pid);
        let Some(pr) = self.procs.get_mut(&g) else {
            return;
        };
        let end = addr.saturating_add(len);
        let before = pr.maps.len();
        pr.maps
            .retain(|&(a, l, _)| a.saturating_add(l) <= addr || a >= end);
        if pr.maps.len() != before {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            self.emit(pid, t, Body::Munmap { ext: 0 }, |o| o.extent = Some(ext));
        }
    }

    /// A new task: a thread of its parent's process, or a new process whose fds are copies
    /// of the parent's (written as dups).
    pub(super) fn spawned(&mut self, parent: Pid, new: Pid) {
        let pg = self.tgid(parent);
        let g = tgid(new.as_raw()).unwrap_or(new.as_raw());
        self.tasks.insert(new, g);
        let held = self.held.iter().position(|&p| p == new);
        if held.is_none() {
            self.starting.push(new);
        }
        if g != pg && !self.procs.contains_key(&g) {
            self.new_process(pg, g, new);
        }
        if let Some(i) = held {
            self.held.swap_remove(i);
            self.resume(new, None);
        }
    }

    pub(super) fn new_process(&mut self, pg: i32, g: i32, new: Pid) {
        self.stats.processes += 1;
        let mut from = self.procs.get(&pg).cloned().unwrap_or_default();
        from.fds.retain(|_, k| k.followed());
        let base = self.stats.processes.saturating_sub(1) as i32 * 1_000_000;
        self.procs.insert(
            g,
            Proc {
                base,
                fds: from.fds.clone(),
                maps: Vec::new(),
            },
        );
        let t = now_ns();
        let mut fds: Vec<i32> = from.fds.keys().copied().collect();
        fds.sort_unstable();
        for fd in fds {
            let body = Body::Dup {
                fd: from.base + fd,
                new_fd: base + fd,
            };
            self.emit(new, t, body, |_| {});
        }
    }

    /// After an exec the mappings are gone, and so are the close-on-exec fds.
    pub(super) fn exec(&mut self, pid: Pid) {
        // A thread that is not the leader took the leader's tid.
        if let Ok(former) = ptrace::getevent(pid)
            && former as i32 != pid.as_raw()
        {
            self.tasks.remove(&Pid::from_raw(former as i32));
            self.pending.remove(&Pid::from_raw(former as i32));
        }
        let g = self.tgid(pid);
        let t = now_ns();
        self.pending.remove(&pid);
        let maps = self
            .procs
            .get_mut(&g)
            .map(|p| std::mem::take(&mut p.maps))
            .unwrap_or_default();
        for (addr, len, _) in maps {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            self.emit(pid, t, Body::Munmap { ext: 0 }, |o| o.extent = Some(ext));
        }
        if let Some(p) = self.procs.get_mut(&g) {
            p.fds.retain(|_, k| k.followed());
        }
        let fds: Vec<i32> = self
            .procs
            .get(&g)
            .map(|p| p.fds.keys().copied().collect())
            .unwrap_or_default();
        for fd in fds {
            let still = fd_path(g, fd).is_some_and(|p| is_video_node(&p) || is_dmabuf(&p));
            if !still {
                self.closed(pid, fd, t);
            }
        }
    }

    /// A task ended; the last of a process takes its mappings and fds with it.
    pub(super) fn gone(&mut self, pid: Pid, how: AppExit) {
        if pid == self.main {
            self.status = Some(how);
        }
        self.pending.remove(&pid);
        let Some(g) = self.tasks.remove(&pid) else {
            return;
        };
        if self.tasks.values().any(|&other| other == g) {
            return;
        }
        let Some(pr) = self.procs.remove(&g) else {
            return;
        };
        let t = now_ns();
        let ev = |tr: &mut Self, body: Body, ext: Option<Extent>| {
            let thread = Thread {
                pid: g as u32,
                tid: pid.as_raw() as u32,
            };
            let event = Event::new(t, ThreadId::default(), Origin::Observed, body);
            let mut o = OwnedEvent::plain(thread, event);
            o.extent = ext;
            tr.queue(o);
        };
        for (addr, len, _) in pr.maps {
            let ext = Extent {
                offset: 0,
                len,
                addr,
            };
            ev(self, Body::Munmap { ext: 0 }, Some(ext));
        }
        let mut fds: Vec<i32> = pr
            .fds
            .iter()
            .filter(|(_, k)| k.followed())
            .map(|(&fd, _)| fd)
            .collect();
        fds.sort_unstable();
        for fd in fds {
            ev(self, Body::Close { fd: pr.base + fd }, None);
        }
    }
}
