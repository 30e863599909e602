//! poll(), ppoll(), select() and pselect6() of a traced program that wait on a media
//! request's fd: what they asked for (read at entry: select overwrites its sets) and what
//! came back (at exit), one `poll` event per request fd; and `epoll_ctl` adding a request
//! fd to an epoll set, with the mask its waits ask for. A wait on no request fd is let go
//! at its entry.

use nix::unistd::Pid;

use vb2scope_core::trace::Body;
use vb2scope_core::v4l2::poll;

use super::{Call, Kind, Pending, Tracer};

/// At most this many pollfds, or fds of a select, are looked at.
const MAX_FDS: usize = 1024;

impl Tracer<'_> {
    /// poll/ppoll: `args[0]` is the pollfd array, `args[1]` its length.
    pub(super) fn poll_entry(&mut self, pid: Pid, args: [u64; 6]) -> Option<Call> {
        let n = (args[1] as usize).min(MAX_FDS);
        let bytes = self.read(pid, args[0], n * 8)?;
        let wants: Vec<(i32, u16)> = bytes
            .chunks_exact(8)
            .map(|c| {
                let fd = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                (fd, u16::from_ne_bytes([c[4], c[5]]))
            })
            .filter(|&(fd, _)| self.kind(pid, fd) == Some(Kind::Request))
            .collect();
        (!wants.is_empty()).then_some(Call::Wait { wants })
    }

    /// epoll_ctl ADD or MOD of a request fd: the mask a wait on it will ask for
    /// (`struct epoll_event`'s `events`, its first 4 bytes).
    pub(super) fn epoll_ctl_entry(&mut self, pid: Pid, args: [u64; 6]) -> Option<Call> {
        let (op, fd) = (args[1] as i32, args[2] as i32);
        let add_or_mod = op == nix::libc::EPOLL_CTL_ADD || op == nix::libc::EPOLL_CTL_MOD;
        if !add_or_mod || self.kind(pid, fd) != Some(Kind::Request) {
            return None;
        }
        let b = self.read(pid, args[3], 4)?;
        let events = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        Some(Call::Wait {
            wants: vec![(fd, (events & 0xffff) as u16)],
        })
    }

    /// select/pselect6: `args[0]` is nfds, `args[1..4]` the read, write and except sets.
    pub(super) fn select_entry(&mut self, pid: Pid, args: [u64; 6]) -> Option<Call> {
        let sets = self.select_sets(pid, &args);
        let wants: Vec<(i32, u16)> = sets
            .into_iter()
            .filter(|&(fd, _)| self.kind(pid, fd) == Some(Kind::Request))
            .collect();
        (!wants.is_empty()).then_some(Call::Wait { wants })
    }

    /// Every fd in the three sets, with POLLIN, POLLOUT and POLLPRI for them.
    fn select_sets(&self, pid: Pid, args: &[u64; 6]) -> Vec<(i32, u16)> {
        let nfds = (args[0] as usize).min(MAX_FDS);
        let len = nfds.div_ceil(64) * 8;
        let mut out: Vec<(i32, u16)> = Vec::new();
        for (set, bit) in [
            (args[1], poll::IN),
            (args[2], poll::OUT),
            (args[3], poll::PRI),
        ] {
            let Some(bytes) = self.read(pid, set, len) else {
                continue;
            };
            for fd in
                (0..nfds).filter(|&f| bytes.get(f / 8).is_some_and(|b| b & (1 << (f % 8)) != 0))
            {
                let fd = fd as i32;
                match out.iter_mut().find(|w| w.0 == fd) {
                    Some(w) => w.1 |= bit,
                    None => out.push((fd, bit)),
                }
            }
        }
        out
    }

    /// The wait returned `rval` ready fds: what each request fd got.
    pub(super) fn wait_exit(&mut self, pid: Pid, p: &Pending, wants: &[(i32, u16)], rval: i64) {
        if rval < 0 {
            // Interrupted or refused: it says nothing of the fds.
            return;
        }
        let select = p.nr == nix::libc::SYS_select || p.nr == nix::libc::SYS_pselect6;
        let got: Vec<(i32, u16)> = if rval == 0 || p.nr == nix::libc::SYS_epoll_ctl {
            Vec::new()
        } else if select {
            self.select_sets(pid, &p.args)
        } else {
            let n = (p.args[1] as usize).min(MAX_FDS);
            self.read(pid, p.args[0], n * 8)
                .unwrap_or_default()
                .chunks_exact(8)
                .map(|c| {
                    let fd = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                    (fd, u16::from_ne_bytes([c[6], c[7]]))
                })
                .collect()
        };
        for &(fd, events) in wants {
            let revents = got.iter().find(|g| g.0 == fd).map_or(0, |g| g.1);
            let body = Body::Poll {
                fd: self.label(pid, fd),
                events,
                revents,
            };
            self.emit(pid, p.t, body, |_| {});
        }
    }
}
