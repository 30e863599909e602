//! poll(), ppoll(), select() and pselect6() on media request fds: what each asked for and
//! what came back. A request signals its completion with POLLPRI only (R31), so these are
//! what a check of how an application waits for requests needs. Waits on other fds are not
//! kept. For epoll, the interest list says what a wait asks for: an `epoll_ctl` that adds or
//! changes a request fd is written as a `poll` event with its mask (the wait itself,
//! `epoll_wait`, names no fd).

use crate::trace::Body;
use crate::v4l2::poll;

use super::lex::{self, Fields, TopSplit};
use super::{Ctx, Importer};

/// One fd of a wait: the bits asked for (or returned), and what strace's `-y` said it is:
/// `Some(true)` a media request, `Some(false)` something else, `None` not said.
type Want = (i32, u16, Option<bool>);

impl Importer {
    /// A finished poll-like call: one `poll` event per request fd in its set.
    pub(super) fn wait(&mut self, name: &str, body: &str, ctx: Ctx) {
        let Some((args, ret)) = lex::split_result(body) else {
            return self.malformed(ctx.pos, "no `) = result`");
        };
        let Some(r) = lex::ret(ret) else {
            return self.malformed(ctx.pos, "unreadable result");
        };
        // A failed wait (EINTR, EFAULT) tells nothing of what the fds would have said.
        if r.val.is_none_or(|v| v < 0) || !(args.contains("request") || self.fds.any_request()) {
            return;
        }
        let (wants, got) = if name.contains("select") {
            (select_wants(args), select_got(r.aux))
        } else {
            (poll_wants(args), poll_got(r.aux))
        };
        for (fd, events, deco) in wants {
            if !self.fds.is_request(fd, deco) {
                continue;
            }
            let revents = got.iter().find(|g| g.0 == fd).map_or(0, |g| g.1);
            self.request_wait(fd, events, revents, ctx);
        }
    }

    /// A wait on request fd `fd`; the fd, if first seen here, is followed to its close like
    /// any request fd.
    fn request_wait(&mut self, fd: i32, events: u16, revents: u16, ctx: Ctx) {
        self.fds.note_request(fd);
        self.push(
            ctx,
            Body::Poll {
                fd,
                events,
                revents,
            },
        );
    }

    /// `epoll_ctl(5, EPOLL_CTL_ADD, 27<anon_inode:request>, {events=EPOLLPRI, data=…}) = 0`:
    /// a request fd added to (or changed in) an epoll set, with what a wait on it asks for.
    pub(super) fn epoll_ctl(&mut self, body: &str, ctx: Ctx) {
        let Some((args, ret)) = lex::split_result(body) else {
            return self.malformed(ctx.pos, "no `) = result`");
        };
        if lex::ret(ret).and_then(|r| r.val).is_none_or(|v| v < 0) {
            return;
        }
        let mut a = TopSplit::new(args, b',').map(|x| lex::unname(x.trim()));
        let (_, Some(op), Some(fd), Some(ev)) = (a.next(), a.next(), a.next(), a.next()) else {
            return;
        };
        let op = lex::token(op);
        if !(op.ends_with("CTL_ADD") || op.ends_with("CTL_MOD") || op == "1" || op == "3") {
            return;
        }
        let Some((fd, deco)) = lex::fd_arg(fd) else {
            return;
        };
        if !self
            .fds
            .is_request(fd, deco.map(super::syscalls::is_request))
        {
            return;
        }
        let events = Fields::of(ev.trim())
            .and_then(|f| f.get("events"))
            .map_or(0, bits);
        self.request_wait(fd, events, 0, ctx);
    }
}

/// `[{fd=27<anon_inode:request>, events=POLLPRI|POLLERR}, …]`, the first argument.
fn poll_wants(args: &str) -> Vec<Want> {
    let Some(first) = TopSplit::new(args, b',').next() else {
        return Vec::new();
    };
    // strace -N (6.16 on) names each argument: `fds=[…]`.
    entries(lex::unname(first.trim()), "events")
}

/// `= 1 ([{fd=27, revents=POLLPRI}], left {…})` (ppoll), `= 1 ([{fd=5, revents=POLLPRI}])`
/// (poll); nothing on a timeout.
fn poll_got(aux: &str) -> Vec<Want> {
    let inner = aux
        .trim()
        .strip_prefix('(')
        .and_then(|a| a.rsplit_once(')'))
        .and_then(|(a, _)| TopSplit::new(a, b',').next())
        .unwrap_or("");
    entries(inner.trim(), "revents")
}

/// The `{fd=…, KEY=…}` entries of a list.
fn entries(list: &str, key: &str) -> Vec<Want> {
    let Some(inner) = list
        .trim()
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
    else {
        return Vec::new();
    };
    TopSplit::new(inner, b',')
        .filter_map(|e| {
            let f = Fields::of(e.trim())?;
            let (fd, deco) = lex::fd_arg(f.get("fd")?)?;
            let bits = f.get(key).map_or(0, bits);
            Some((fd, bits, deco.map(super::syscalls::is_request)))
        })
        .collect()
}

/// `POLLIN|POLLPRI`, `EPOLLPRI|EPOLLET` or a number; bits above the 16 of poll's (epoll's
/// EPOLLET, EPOLLONESHOT) are not kept.
fn bits(v: &str) -> u16 {
    lex::flag_names(v)
        .map(|n| poll::by_name(n).or_else(|| lex::uint(n).map(|u| (u & 0xffff) as u16)))
        .map(|b| b.unwrap_or(0))
        .fold(0, |a, b| a | b)
}

/// The three sets of `select(n, [3], NULL, [7<anon_inode:request>], …)`: read, write and
/// except, as POLLIN, POLLOUT and POLLPRI.
fn select_wants(args: &str) -> Vec<Want> {
    let mut out: Vec<Want> = Vec::new();
    let sets = TopSplit::new(args, b',').skip(1).take(3);
    for (set, bit) in sets.zip([poll::IN, poll::OUT, poll::PRI]) {
        for (fd, named) in set_fds(lex::unname(set.trim())) {
            match out.iter_mut().find(|w| w.0 == fd) {
                Some(w) => w.1 |= bit,
                None => out.push((fd, bit, named)),
            }
        }
    }
    out
}

/// `= 1 (in [3], except [7], left {…})`; nothing on a timeout.
fn select_got(aux: &str) -> Vec<Want> {
    let mut out: Vec<Want> = Vec::new();
    let Some(inner) = aux
        .trim()
        .strip_prefix('(')
        .and_then(|a| a.rsplit_once(')'))
        .map(|(a, _)| a)
    else {
        return out;
    };
    for part in TopSplit::new(inner, b',') {
        let part = part.trim();
        let (kind, set) = part.split_once(' ').unwrap_or((part, ""));
        let bit = match kind {
            "in" => poll::IN,
            "out" => poll::OUT,
            "except" => poll::PRI,
            _ => continue,
        };
        for (fd, named) in set_fds(set) {
            match out.iter_mut().find(|w| w.0 == fd) {
                Some(w) => w.1 |= bit,
                None => out.push((fd, bit, named)),
            }
        }
    }
    out
}

/// `[3 7<anon_inode:request>]`, or `NULL`.
fn set_fds(set: &str) -> Vec<(i32, Option<bool>)> {
    let Some(inner) = set
        .trim()
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
    else {
        return Vec::new();
    };
    inner
        .split(' ')
        .filter_map(|t| lex::fd_arg(t).map(|(fd, d)| (fd, d.map(super::syscalls::is_request))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppoll_sets_and_results_are_read() {
        let args = "[{fd=28<socket:[2568]>, events=POLLIN|POLLERR}, {fd=27<anon_inode:request>, \
                    events=POLLPRI|POLLERR|POLLHUP|POLLNVAL}], 2, {tv_sec=1, tv_nsec=0}, NULL, 8";
        assert_eq!(
            poll_wants(args),
            vec![
                (28, poll::IN | poll::ERR, Some(false)),
                (
                    27,
                    poll::PRI | poll::ERR | poll::HUP | poll::NVAL,
                    Some(true)
                )
            ]
        );
        let got = "([{fd=27, revents=POLLPRI}], left {tv_sec=0, tv_nsec=999878367})";
        assert_eq!(poll_got(got), vec![(27, poll::PRI, None)]);
        assert!(poll_got("(Timeout)").is_empty());
        // poll() prints no time left.
        assert_eq!(
            poll_got("([{fd=5, revents=POLLPRI}])"),
            vec![(5, poll::PRI, None)]
        );
        // strace -N names the arguments.
        assert_eq!(
            poll_wants("fds=[{fd=5<anon_inode:request>, events=POLLIN}], nfds=1, timeout=300"),
            vec![(5, poll::IN, Some(true))]
        );
    }

    #[test]
    fn select_sets_map_to_poll_bits() {
        let args = "8, [3], NULL, [7<anon_inode:request> 3], {tv_sec=2, tv_nsec=0}, NULL";
        assert_eq!(
            select_wants(args),
            vec![(3, poll::IN | poll::PRI, None), (7, poll::PRI, Some(true))]
        );
        let got = "(in [3], except [7], left {tv_sec=1, tv_nsec=999838146})";
        assert_eq!(
            select_got(got),
            vec![(3, poll::IN, None), (7, poll::PRI, None)]
        );
        assert!(select_got("(Timeout)").is_empty());
        assert_eq!(
            select_wants("nfds=8, readfds=NULL, writefds=NULL, exceptfds=[7<anon_inode:request>]"),
            vec![(7, poll::PRI, Some(true))]
        );
    }
}
