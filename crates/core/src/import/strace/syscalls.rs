//! The syscalls the importer follows: V4L2 ioctls, and what tells which fd is a video device
//! or a dma-buf (open, close, dup, fcntl) and where buffers are mapped (mmap, munmap).

use rustc_hash::FxHashMap;

use crate::trace::{Body, Capability, DriverAction, Extent, IoctlArg, IoctlCmd};
use crate::v4l2::{BufType, Errno, Outcome};

use super::diag::Kind;
use super::lex::{self, TopSplit};
use super::v4l2::{self, Req, Skip};
use super::{Ctx, Importer};
use crate::v4l2::DriverCfg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FdKind {
    Video {
        dev: u16,
        nonblock: bool,
    },
    Dmabuf,
    /// A media request (`MEDIA_IOC_REQUEST_ALLOC`): its close ends it.
    Request,
    /// tracefs' `trace_marker`: what is written there is also in the kernel's capture.
    Marker,
}

/// tracefs' marker file, at /sys/kernel/tracing or /sys/kernel/debug/tracing.
fn is_marker(path: &str) -> bool {
    path.ends_with("/trace_marker")
}

/// The fds worth following, the video mappings, and the last format seen per queue.
#[derive(Default)]
pub(super) struct Fds {
    open: FxHashMap<i32, FdKind>,
    maps: Vec<(u64, u64)>,
    formats: Vec<(u16, BufType, u8, u32)>,
}

impl Fds {
    /// Whether any media request's fd is open.
    pub(super) fn any_request(&self) -> bool {
        self.open.values().any(|k| *k == FdKind::Request)
    }

    /// Whether `fd` is a media request: what `-y` says of it when it says (the fd map is
    /// one for all processes, and another process's fd 5 may be a socket), else whether it
    /// is known as one.
    pub(super) fn is_request(&self, fd: i32, deco: Option<bool>) -> bool {
        match deco {
            Some(said) => said,
            None => self.open.get(&fd) == Some(&FdKind::Request),
        }
    }

    /// `fd` is a media request's, if nothing else is known of it.
    pub(super) fn note_request(&mut self, fd: i32) {
        self.open.entry(fd).or_insert(FdKind::Request);
    }
}

/// Device nodes with V4L2 buffer queues.
fn is_video(path: &str) -> bool {
    [
        "/dev/video",
        "/dev/v4l",
        "/dev/vbi",
        "/dev/radio",
        "/dev/swradio",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// `-y` decorations of dma-buf fds.
fn is_dmabuf(path: &str) -> bool {
    path.starts_with("anon_inode:dmabuf") || path.starts_with("/dmabuf:")
}

/// A media request's fd as `-y` names it (`anon_inode:request`).
pub(super) fn is_request(path: &str) -> bool {
    path == "anon_inode:request" || path == "anon_inode:[request]"
}

fn has_nonblock(flags: &str) -> bool {
    lex::flag_names(flags)
        .any(|f| f == "O_NONBLOCK" || lex::uint(f).is_some_and(|v| v & 0o4000 != 0))
}

/// Linux errno names strace prints beyond those the model names.
const MORE_ERRNOS: &[(&str, u16)] = &[
    ("ESRCH", 3),
    ("ENXIO", 6),
    ("E2BIG", 7),
    ("EEXIST", 17),
    ("ENOTDIR", 20),
    ("EISDIR", 21),
    ("ENFILE", 23),
    ("ERANGE", 34),
    ("EDEADLK", 35),
    ("ENOSYS", 38),
    ("ENOMSG", 42),
    ("ENODATA", 61),
    ("ETIME", 62),
    ("EPROTO", 71),
    ("EOVERFLOW", 75),
    ("EILSEQ", 84),
    ("EMSGSIZE", 90),
    ("ENOTSUP", 95),
    ("ECANCELED", 125),
];

fn errno(name: &str) -> Option<Errno> {
    Errno::parse(name).or_else(|| {
        MORE_ERRNOS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| Errno(v))
    })
}

/// QUERYCAP's argument as read, when the call succeeded.
type CapRead = Option<Result<Box<v4l2::CapText>, Skip>>;

/// An ioctl line read without the importer's state, so on any thread, ahead of the line
/// being applied in order.
pub(super) enum IoctlRead<'a> {
    /// A request the importer does not read, or a call restarted (its retry follows).
    Ignored,
    Malformed(&'static str),
    UnknownErrno(&'a str),
    /// `= ?`: the task ended inside the call; what it did is unknown.
    NoResult,
    Call(IoctlCall<'a>),
}

pub(super) struct IoctlCall<'a> {
    fd: i32,
    /// The fd's `-y` decoration.
    deco: Option<&'a str>,
    result: Outcome,
    decoded: Decoded,
}

/// The third argument, decoded as the request wants.
enum Decoded {
    Buf(IoctlCmd, Result<IoctlArg, Skip>),
    Cap(CapRead),
    /// G_FMT/S_FMT that succeeded, with a size.
    Format(Option<(BufType, u8, u32)>),
}

/// Reads the `…) = result` of an ioctl line (`body` follows `ioctl(`). The request decides
/// early whether the line matters: most ioctls do not.
pub(super) fn read_ioctl(body: &str) -> IoctlRead<'_> {
    let mut head = TopSplit::new(body, b',');
    let (Some(fd_txt), Some(req_txt)) = (head.next(), head.next()) else {
        return IoctlRead::Malformed("ioctl without fd and request");
    };
    let Some(req) = v4l2::request(req_txt) else {
        return IoctlRead::Ignored;
    };
    let Some((args, ret)) = lex::split_result(body) else {
        return IoctlRead::Malformed("no `) = result`");
    };
    let Some((fd, deco)) = lex::fd_arg(fd_txt) else {
        return IoctlRead::Malformed("ioctl fd is not a number");
    };
    let Some(ret) = lex::ret(ret) else {
        return IoctlRead::Malformed("unreadable result");
    };
    let result: Outcome = match (ret.val, ret.errno) {
        (Some(v), _) if v >= 0 => Ok(()),
        (_, Some(e)) if e.starts_with("ERESTART") => return IoctlRead::Ignored,
        (_, Some(e)) => match errno(e) {
            Some(e) => Err(e),
            None => return IoctlRead::UnknownErrno(e),
        },
        (None, None) => return IoctlRead::NoResult,
        _ => return IoctlRead::Malformed("ioctl result without errno"),
    };
    // The third argument starts where the request ended.
    let arg3 = args
        .get(head.offset()..)
        .map_or("", |a| lex::unname(a.trim()));
    let ok = result.is_ok();
    let decoded = match req {
        Req::Buf(cmd) => Decoded::Buf(cmd, v4l2::arg(cmd, arg3, ok, ret.aux)),
        Req::Querycap => Decoded::Cap(ok.then(|| v4l2::querycap(arg3).map(Box::new))),
        Req::GFmt | Req::SFmt => {
            Decoded::Format(ok.then(|| v4l2::format(arg3, req == Req::SFmt)).flatten())
        }
    };
    IoctlRead::Call(IoctlCall {
        fd,
        deco,
        result,
        decoded,
    })
}

impl Importer {
    pub(super) fn call(&mut self, name: &str, body: &str, ctx: Ctx) {
        match name {
            "ioctl" => self.ioctl(read_ioctl(body), ctx),
            "poll" | "ppoll" | "ppoll_time64" | "select" | "pselect6" | "pselect6_time64"
            | "_newselect" => self.wait(name, body, ctx),
            "epoll_ctl" => self.epoll_ctl(body, ctx),
            "write" => self.write(body, ctx),
            "open" | "openat" | "openat2" | "close" | "dup" | "dup2" | "dup3" | "fcntl"
            | "fcntl64" | "mmap" | "mmap2" | "munmap" | "clone" | "clone3" => {
                let Some((args, ret)) = lex::split_result(body) else {
                    return self.malformed(ctx.pos, "no `) = result`");
                };
                let Some(ret) = lex::ret(ret) else {
                    return self.malformed(ctx.pos, "unreadable result");
                };
                let Some(val) = ret.val.filter(|v| *v >= 0) else {
                    if matches!(name, "mmap" | "mmap2") {
                        self.failed_mmap(args, ctx);
                    }
                    return;
                };
                let mut a = TopSplit::new(args, b',').map(lex::unname);
                match name {
                    "open" | "openat" | "openat2" => {
                        if name != "open" {
                            a.next();
                        }
                        let (Some(path), flags) = (a.next(), a.next()) else {
                            return self.malformed(ctx.pos, "open without a path");
                        };
                        let path = path.trim_matches('"');
                        let nonblock = flags.is_some_and(has_nonblock);
                        let path = ret.path.filter(|p| is_video(p)).unwrap_or(path);
                        if let Ok(fd) = i32::try_from(val) {
                            self.opened(fd, path, nonblock, ctx);
                        }
                    }
                    "close" => {
                        // An fd `-y` names a dma-buf or a request is one even if the trace
                        // never saw it made (an EXPBUF strace printed as a pointer).
                        let arg = a.next().and_then(lex::fd_arg);
                        if let Some((fd, Some(deco))) = arg
                            && !self.fds.open.contains_key(&fd)
                            && (is_dmabuf(deco) || is_request(deco))
                        {
                            self.annotated(fd, Some(deco), ctx);
                        }
                        if let Some((fd, _)) = arg
                            && let Some(kind) = self.fds.open.remove(&fd)
                            && kind != FdKind::Marker
                        {
                            self.push(ctx, Body::Close { fd });
                        }
                    }
                    "dup" | "dup2" | "dup3" => {
                        let Some((fd, _)) = a.next().and_then(lex::fd_arg) else {
                            return self.malformed(ctx.pos, "dup without an fd");
                        };
                        self.dup(fd, val, ctx);
                    }
                    _ if name.starts_with("fcntl") => {
                        let fd = a.next().and_then(lex::fd_arg).map(|(fd, _)| fd);
                        let cmd = a.next().map(lex::token).unwrap_or("");
                        match (fd, cmd) {
                            (Some(fd), "F_DUPFD" | "F_DUPFD_CLOEXEC" | "0" | "0x406" | "1030") => {
                                self.dup(fd, val, ctx)
                            }
                            (Some(fd), "F_SETFL" | "4" | "0x4") => {
                                let nb = a.next().is_some_and(has_nonblock);
                                if let Some(FdKind::Video { nonblock, .. }) =
                                    self.fds.open.get_mut(&fd)
                                {
                                    *nonblock = nb;
                                }
                            }
                            _ => {}
                        }
                    }
                    "mmap" | "mmap2" => self.mmap(name, args, val, ctx),
                    "munmap" => {
                        let addr = a.next().and_then(lex::uint);
                        let len = a.next().and_then(lex::uint);
                        if let (Some(addr), Some(len)) = (addr, len) {
                            self.munmap(addr, len, ctx);
                        }
                    }
                    _ => self.clone_call(args, val, ctx),
                }
            }
            _ => {}
        }
    }

    /// A write to tracefs' `trace_marker`: a marker, which the kernel's capture has too (it
    /// pins the two clocks together when they are joined).
    fn write(&mut self, body: &str, ctx: Ctx) {
        let Some((args, ret)) = lex::split_result(body) else {
            return;
        };
        if lex::ret(ret).and_then(|r| r.val).is_none_or(|v| v < 0) {
            return;
        }
        let mut a = TopSplit::new(args, b',').map(lex::unname);
        let Some((fd, deco)) = a.next().and_then(lex::fd_arg) else {
            return;
        };
        let marker = deco.map_or(self.fds.open.get(&fd) == Some(&FdKind::Marker), is_marker);
        if !marker {
            return;
        }
        let Some((text, _cut)) = a.next().and_then(lex::c_string) else {
            return self.malformed(ctx.pos, "write to trace_marker without its text");
        };
        let text = self.trace.intern(text.trim_end_matches('\n'));
        self.push(ctx, Body::Marker { text });
    }

    fn opened(&mut self, fd: i32, path: &str, nonblock: bool, ctx: Ctx) {
        if is_marker(path) {
            self.fds.open.insert(fd, FdKind::Marker);
        } else if is_video(path) {
            let dev = self.trace.device(path);
            let sym = self.trace.intern(path);
            self.fds.open.insert(fd, FdKind::Video { dev, nonblock });
            self.push(ctx, Body::Open { fd, path: sym, dev });
        } else {
            self.fds.open.remove(&fd);
        }
    }

    fn dup(&mut self, fd: i32, new: i64, ctx: Ctx) {
        let Ok(new_fd) = i32::try_from(new) else {
            return;
        };
        // dup2/dup3 onto a followed fd close it first.
        if new_fd != fd && self.fds.open.remove(&new_fd).is_some() {
            self.push(ctx, Body::Close { fd: new_fd });
        }
        if let Some(&k) = self.fds.open.get(&fd) {
            self.fds.open.insert(new_fd, k);
            self.push(ctx, Body::Dup { fd, new_fd });
        }
    }

    /// The fd of an mmap: a video fd at a buffer's offset, or a dma-buf.
    fn mmap(&mut self, name: &str, args: &str, addr: i64, ctx: Ctx) {
        let mut a = TopSplit::new(args, b',').map(lex::unname);
        let len = a.nth(1).and_then(lex::uint);
        let fd = a.nth(2).and_then(lex::fd_arg);
        let off = a.next().and_then(lex::uint);
        let (Some(len), Some((fd, deco)), Some(mut offset)) = (len, fd, off) else {
            return self.malformed(ctx.pos, "mmap without length, fd or offset");
        };
        if name == "mmap2" {
            // mmap2 takes pages.
            offset = offset.saturating_mul(4096);
        }
        self.annotated(fd, deco, ctx);
        if !self.fds.open.contains_key(&fd) {
            return;
        }
        let addr = addr as u64;
        self.fds.maps.push((addr, len));
        let ext = self.trace.add_extent(Extent { offset, len, addr });
        self.push(ctx, Body::Mmap { fd, ext });
    }

    fn failed_mmap(&mut self, args: &str, ctx: Ctx) {
        let fd = TopSplit::new(args, b',').nth(4).and_then(lex::fd_arg);
        if let Some((fd, _)) = fd
            && self.fds.open.contains_key(&fd)
        {
            // A trace's mmap has no result: say so rather than record a success.
            self.diags
                .report(Kind::FailedMmap, ctx.pos.line, ctx.pos.byte, || {
                    format!("failed mmap of fd {fd} not recorded (mmap events carry no result)")
                });
        }
    }

    fn munmap(&mut self, addr: u64, len: u64, ctx: Ctx) {
        let end = addr.saturating_add(len);
        let before = self.fds.maps.len();
        self.fds
            .maps
            .retain(|&(a, l)| a.saturating_add(l) <= addr || a >= end);
        // Only unmaps of followed mappings; the rest is the C library's memory.
        if self.fds.maps.len() != before {
            let ext = self.trace.add_extent(Extent {
                offset: 0,
                len,
                addr,
            });
            self.push(ctx, Body::Munmap { ext });
        }
    }

    /// clone(CLONE_THREAD) makes a thread of the caller's process.
    fn clone_call(&mut self, args: &str, child: i64, ctx: Ctx) {
        // `flags=CLONE_VM|…|CLONE_THREAD|…`, or a number with `-X raw`.
        let thread = args.split("flags=").skip(1).any(|f| {
            let v = f.split([',', '}']).next().unwrap_or("");
            lex::flag_names(v)
                .any(|n| n == "CLONE_THREAD" || lex::uint(n).is_some_and(|x| x & 0x10000 != 0))
        });
        if ctx.tid == 0 || !thread {
            return;
        }
        if let Ok(child) = u32::try_from(child) {
            let pid = self.procs.get(&ctx.tid).copied().unwrap_or(ctx.tid);
            self.procs.insert(child, pid);
        }
    }

    /// An fd the trace never showed opened but `-y` names: its open happened before.
    fn annotated(&mut self, fd: i32, deco: Option<&str>, ctx: Ctx) {
        let Some(path) = deco else { return };
        if self.fds.open.contains_key(&fd) {
            return;
        }
        if is_video(path) {
            self.opened(fd, path, false, ctx);
        } else if is_dmabuf(path) {
            self.fds.open.insert(fd, FdKind::Dmabuf);
        } else if is_request(path) {
            // strace prints MEDIA_IOC_REQUEST_ALLOC's fd as a pointer: the request is
            // known from its first use, and followed to its close.
            self.fds.open.insert(fd, FdKind::Request);
        }
    }

    /// `ioctl(…)`: `read` is the line's ioctl read by [`read_ioctl`].
    pub(super) fn ioctl(&mut self, read: IoctlRead, ctx: Ctx) {
        let c = match read {
            IoctlRead::Ignored => return,
            IoctlRead::Malformed(what) => return self.malformed(ctx.pos, what),
            IoctlRead::UnknownErrno(e) => {
                return self
                    .diags
                    .report(Kind::Errno, ctx.pos.line, ctx.pos.byte, || {
                        format!("unknown errno {e}: ioctl left out")
                    });
            }
            IoctlRead::NoResult => {
                return self
                    .diags
                    .report(Kind::NeverResumed, ctx.pos.line, ctx.pos.byte, || {
                        "ioctl without a result (`= ?`): left out".to_owned()
                    });
            }
            IoctlRead::Call(c) => c,
        };
        let IoctlCall {
            fd,
            deco,
            result,
            decoded,
        } = c;
        self.annotated(fd, deco, ctx);
        let (dev, nonblock) = match self.fds.open.get(&fd) {
            Some(&FdKind::Video { dev, nonblock }) => (dev, nonblock),
            _ => (0, false),
        };
        let (cmd, decoded) = match decoded {
            Decoded::Buf(cmd, a) => (cmd, a),
            Decoded::Cap(cap) => return self.querycap(fd, cap, result, ctx),
            Decoded::Format(f) => {
                if let Some((ty, planes, size)) = f {
                    self.format(dev, ty, planes, size, ctx);
                }
                return;
            }
        };
        match decoded {
            Ok(mut a) => {
                // Whether a DQBUF could block is the fd's, known here, not from the line.
                if let IoctlArg::Buffer(b) = &mut a {
                    b.nonblock = nonblock && cmd == IoctlCmd::Dqbuf;
                }
                // The fd a call made is followed to its close.
                match a {
                    IoctlArg::Expbuf {
                        fd_out: Some(out), ..
                    } => {
                        self.fds.open.insert(out, FdKind::Dmabuf);
                    }
                    IoctlArg::Request { fd_out: Some(out) } => {
                        self.fds.open.insert(out, FdKind::Request);
                    }
                    _ => {}
                }
                let arg = self.trace.add_arg(a);
                self.push(
                    ctx,
                    Body::Ioctl {
                        fd,
                        cmd,
                        result,
                        arg,
                    },
                );
            }
            Err(Skip::Undecoded) => {
                self.diags
                    .report(Kind::Undecoded, ctx.pos.line, ctx.pos.byte, || {
                        format!(
                            "{}: {}; kept as a call the model takes no step for",
                            cmd.name(),
                            Skip::Undecoded
                        )
                    });
                let arg = self.trace.add_arg(IoctlArg::Undecoded);
                self.push(
                    ctx,
                    Body::Ioctl {
                        fd,
                        cmd,
                        result,
                        arg,
                    },
                );
            }
            Err(e) => self.skipped(cmd, e, ctx),
        }
    }

    /// QUERYCAP on a video fd: who drives its node. A failed one, or one printed as a
    /// pointer, is kept with nothing known.
    fn querycap(&mut self, fd: i32, cap: CapRead, result: Outcome, ctx: Ctx) {
        if !matches!(self.fds.open.get(&fd), Some(FdKind::Video { .. })) {
            return;
        }
        let c = match cap {
            Some(Ok(c)) => *c,
            Some(Err(Skip::Malformed(what))) => return self.malformed(ctx.pos, what),
            _ => v4l2::CapText::default(),
        };
        let cap = Capability {
            driver: self.trace.intern(&c.driver),
            card: self.trace.intern(&c.card),
            bus_info: self.trace.intern(&c.bus_info),
            caps: c.caps,
            device_caps: c.device_caps,
        };
        let arg = self.trace.add_arg(IoctlArg::Querycap(cap));
        let cmd = IoctlCmd::Querycap;
        self.push(
            ctx,
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            },
        );
    }

    fn skipped(&mut self, cmd: IoctlCmd, e: Skip, ctx: Ctx) {
        let kind = match e {
            Skip::Undecoded => Kind::Undecoded,
            Skip::Unsupported(_) => Kind::Unsupported,
            Skip::Malformed(what) => return self.malformed(ctx.pos, what),
            Skip::NotOurs => return,
        };
        self.diags.report(kind, ctx.pos.line, ctx.pos.byte, || {
            format!("{}: {e}; left out", cmd.name())
        });
    }

    /// A format with a size: the queue's buffers are sized by it. Repeats are left out.
    fn format(&mut self, dev: u16, ty: BufType, planes: u8, size: u32, ctx: Ctx) {
        let f = &mut self.fds.formats;
        match f.iter_mut().find(|(d, t, ..)| *d == dev && *t == ty) {
            Some(e) if (e.2, e.3) == (planes, size) => return,
            Some(e) => *e = (dev, ty, planes, size),
            None => f.push((dev, ty, planes, size)),
        }
        let action = DriverAction::Config(DriverCfg::Format { planes, size });
        self.push(ctx, Body::Driver { dev, ty, action });
    }
}
