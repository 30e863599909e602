//! The scenario parser. Every problem is reported with file, line and column; names must be
//! defined before they are used.

use rustc_hash::{FxHashMap, FxHashSet};
use thiserror::Error;

use crate::v4l2::VB2_MAX_FRAME;
use crate::v4l2::{BufType, DoneState, MAX_PLANES, Memory, parse_outcome};

use super::ast::{DriverStmt, Name, Names, Scenario, Stmt, StmtKind};

/// A scenario that cannot run, and where.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// A word of a line and its column (1-based).
#[derive(Clone, Copy)]
struct Tok<'a> {
    s: &'a str,
    col: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Dmabuf,
    Userptr,
    Handle,
    Request,
    Bitstream,
}

/// What `prepare_buf` and `qbuf` name besides the index.
struct BufOpts {
    fds: Vec<Name>,
    ptrs: Vec<Name>,
    request: Option<Name>,
    data: Option<(Name, u32)>,
}

struct Parser<'a> {
    file: &'a str,
    line: u32,
    /// Every name defined so far, with its kind (the last definition's): a table, as a
    /// generated scenario may define a name per frame.
    names: FxHashMap<Name, Kind>,
    /// The names of `out`, each listed once per kind.
    listed: FxHashSet<(Kind, Name)>,
    out: Names,
}

type R<T> = Result<T, ScenarioError>;

const MAX_COUNT: u32 = 1024;

impl Parser<'_> {
    fn err<T>(&self, col: u32, message: impl Into<String>) -> R<T> {
        Err(ScenarioError {
            file: self.file.to_string(),
            line: self.line,
            col,
            message: message.into(),
        })
    }

    fn num(&self, t: Tok, what: &str, max: u64) -> R<u64> {
        let v = if let Some(hex) = t.s.strip_prefix("0x") {
            u64::from_str_radix(hex, 16).ok()
        } else {
            let (digits, mult) = match t.s.as_bytes().last() {
                Some(b'k' | b'K') => (&t.s[..t.s.len() - 1], 1024),
                Some(b'M') => (&t.s[..t.s.len() - 1], 1024 * 1024),
                _ => (t.s, 1),
            };
            digits.parse::<u64>().ok().and_then(|v| v.checked_mul(mult))
        };
        match v {
            Some(v) if v <= max => Ok(v),
            Some(v) => self.err(t.col, format!("{what} {v} out of range (0..={max})")),
            None => self.err(
                t.col,
                format!("expected a number for {what}, found {:?}", t.s),
            ),
        }
    }

    fn index(&self, t: Option<Tok>, after: u32) -> R<u32> {
        match t {
            Some(t) => Ok(self.num(t, "buffer index", u64::from(VB2_MAX_FRAME - 1))? as u32),
            None => self.err(after, "missing buffer index"),
        }
    }

    fn new_name(&mut self, t: Option<Tok>, after: u32, kind: Kind) -> R<Name> {
        let Some(t) = t else {
            return self.err(after, "missing name");
        };
        let ok =
            t.s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && t.s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return self.err(
                t.col,
                format!("{:?} is not a valid name (letters, digits, _ and -)", t.s),
            );
        }
        self.names.insert(t.s.to_string(), kind);
        let list = match kind {
            Kind::Dmabuf => &mut self.out.dmabufs,
            Kind::Userptr => &mut self.out.userptrs,
            Kind::Handle => &mut self.out.handles,
            Kind::Request => &mut self.out.requests,
            Kind::Bitstream => &mut self.out.bitstreams,
        };
        if self.listed.insert((kind, t.s.to_string())) {
            list.push(t.s.to_string());
        }
        Ok(t.s.to_string())
    }

    fn use_name(&self, s: &str, col: u32, kinds: &[Kind]) -> R<Name> {
        let what = |k: Kind| match k {
            Kind::Dmabuf => "dma-buf",
            Kind::Userptr => "user memory area",
            Kind::Handle => "file handle",
            Kind::Request => "media request",
            Kind::Bitstream => "bitstream",
        };
        match self.names.get(s) {
            Some(k) if kinds.contains(k) => Ok(s.to_string()),
            Some(k) => self.err(
                col,
                format!(
                    "{s:?} is a {}, not a {}",
                    what(*k),
                    what(kinds.first().copied().unwrap_or(*k))
                ),
            ),
            None => self.err(
                col,
                format!(
                    "{} {s:?} is never defined before this line",
                    what(kinds.first().copied().unwrap_or(Kind::Dmabuf))
                ),
            ),
        }
    }

    /// `fd=A[,B…]`, `ptr=A[,B…]`, `request=NAME` and `data=NAME` options of prepare_buf
    /// and qbuf.
    fn buf_opts(&self, rest: &[Tok]) -> R<BufOpts> {
        let (mut fds, mut ptrs, mut request, mut data) = (Vec::new(), Vec::new(), None, None);
        for t in rest {
            let (key, val) = t.s.split_once('=').unwrap_or((t.s, ""));
            let col = t.col + key.len() as u32 + 1;
            let (list, kind) = match key {
                "fd" => (&mut fds, Kind::Dmabuf),
                "ptr" => (&mut ptrs, Kind::Userptr),
                "request" => {
                    request = Some(self.use_name(val, col, &[Kind::Request])?);
                    continue;
                }
                "data" => {
                    data = Some((self.use_name(val, col, &[Kind::Bitstream])?, t.col));
                    continue;
                }
                _ => {
                    return self.err(
                        t.col,
                        format!(
                            "unknown option {:?}; expected fd=NAME, ptr=NAME, request=NAME or data=NAME",
                            t.s
                        ),
                    );
                }
            };
            let mut col = col;
            for part in val.split(',') {
                if part.is_empty() {
                    return self.err(col, format!("{key}= needs a name"));
                }
                list.push(self.use_name(part, col, &[kind])?);
                col += part.len() as u32 + 1;
            }
            if list.len() > MAX_PLANES {
                return self.err(t.col, format!("at most {MAX_PLANES} planes"));
            }
        }
        Ok(BufOpts {
            fds,
            ptrs,
            request,
            data,
        })
    }

    fn plane_opt(&self, rest: &[Tok]) -> R<u8> {
        let mut plane = 0;
        for t in rest {
            match t.s.strip_prefix("plane=") {
                Some(v) => {
                    plane = self.num(
                        Tok {
                            s: v,
                            col: t.col + 6,
                        },
                        "plane",
                        MAX_PLANES as u64 - 1,
                    )? as u8
                }
                None => {
                    return self.err(t.col, format!("unknown option {:?}; expected plane=N", t.s));
                }
            }
        }
        Ok(plane)
    }

    fn no_more(&self, rest: &[Tok]) -> R<()> {
        match rest.first() {
            Some(t) => self.err(t.col, format!("unexpected {:?}", t.s)),
            None => Ok(()),
        }
    }

    fn stmt(&mut self, toks: &[Tok], prev_is_op: bool) -> R<StmtKind> {
        let Some((&head, rest)) = toks.split_first() else {
            return self.err(1, "empty statement");
        };
        let end = head.col + head.s.len() as u32;
        let arg = |i: usize| rest.get(i).copied();
        let kw = head.s.to_ascii_lowercase();
        Ok(match kw.as_str() {
            "queue" => {
                let Some(dir) = arg(0) else {
                    return self.err(end, "queue needs capture or output");
                };
                let output = match dir.s {
                    "capture" => false,
                    "output" => true,
                    _ => {
                        return self.err(
                            dir.col,
                            format!("expected capture or output, found {:?}", dir.s),
                        );
                    }
                };
                let (mut mplane, mut planes, mut size) = (false, None, None);
                for t in rest.iter().skip(1) {
                    if t.s == "mplane" {
                        mplane = true;
                    } else if let Some(v) = t.s.strip_prefix("planes=") {
                        planes = Some(self.num(
                            Tok {
                                s: v,
                                col: t.col + 7,
                            },
                            "planes",
                            MAX_PLANES as u64,
                        )? as u8);
                        if planes == Some(0) {
                            return self.err(t.col + 7, "planes must be at least 1");
                        }
                        mplane = mplane || planes > Some(1);
                    } else if let Some(v) = t.s.strip_prefix("size=") {
                        size = Some(self.num(
                            Tok {
                                s: v,
                                col: t.col + 5,
                            },
                            "size",
                            u64::from(u32::MAX),
                        )? as u32);
                    } else {
                        return self.err(t.col, format!("unknown queue option {:?}; expected mplane, planes=N or size=BYTES", t.s));
                    }
                }
                StmtKind::Queue {
                    ty: BufType::new(output, mplane),
                    planes,
                    size,
                }
            }
            "reqbufs" | "create_bufs" => {
                let Some(c) = arg(0) else {
                    return self.err(end, "missing buffer count");
                };
                let count = self.num(c, "count", u64::from(MAX_COUNT))? as u32;
                if kw == "create_bufs" {
                    self.no_more(&rest[1..])?;
                    StmtKind::CreateBufs { count }
                } else {
                    let Some(m) = arg(1) else {
                        return self.err(
                            c.col + c.s.len() as u32,
                            "reqbufs needs mmap, userptr or dmabuf",
                        );
                    };
                    let Some(memory) = Memory::parse(m.s) else {
                        return self.err(
                            m.col,
                            format!("expected mmap, userptr or dmabuf, found {:?}", m.s),
                        );
                    };
                    self.no_more(&rest[2..])?;
                    StmtKind::Reqbufs { count, memory }
                }
            }
            "remove_bufs" => {
                let index = self.index(arg(0), end)?;
                let Some(c) = arg(1) else {
                    return self.err(end, "remove_bufs needs INDEX COUNT");
                };
                let count = self.num(c, "count", u64::from(VB2_MAX_FRAME))? as u32;
                self.no_more(&rest[2..])?;
                StmtKind::RemoveBufs { index, count }
            }
            "querybuf" => {
                let index = self.index(arg(0), end)?;
                self.no_more(rest.get(1..).unwrap_or(&[]))?;
                StmtKind::Querybuf { index }
            }
            "prepare_buf" | "qbuf" => {
                let index = self.index(arg(0), end)?;
                let o = self.buf_opts(rest.get(1..).unwrap_or(&[]))?;
                if let (Some((_, col)), Some(_)) = (&o.data, &o.request) {
                    return self.err(
                        *col,
                        "data= with request= is not supported: a stateless decoder's frames \
                         need their controls, which a scenario does not set",
                    );
                }
                let (fds, ptrs, request) = (o.fds, o.ptrs, o.request);
                if kw == "qbuf" {
                    StmtKind::Qbuf {
                        index,
                        fds,
                        ptrs,
                        request,
                        data: o.data.map(|(n, _)| n),
                    }
                } else if let Some((_, col)) = o.data {
                    return self.err(col, "data= is for qbuf: PREPARE_BUF passes no payload");
                } else {
                    StmtKind::PrepareBuf {
                        index,
                        fds,
                        ptrs,
                        request,
                    }
                }
            }
            "decoder_cmd" | "encoder_cmd" => {
                let encoder = kw == "encoder_cmd";
                let Some(c) = arg(0) else {
                    return self.err(end, format!("{kw} needs stop, start, pause or resume"));
                };
                let cmd = crate::v4l2::codec::cmd_by_name(&c.s.to_ascii_uppercase())
                    .filter(|&n| !(encoder && n == crate::v4l2::codec::DEC_CMD_FLUSH));
                let Some(cmd) = cmd else {
                    let also = if encoder { "" } else { " or flush" };
                    return self.err(
                        c.col,
                        format!(
                            "unknown command {:?}; expected stop, start, pause, resume{also}",
                            c.s
                        ),
                    );
                };
                self.no_more(&rest[1..])?;
                StmtKind::Command { encoder, cmd }
            }
            "dqevent" => {
                let Some(e) = arg(0) else {
                    return self.err(end, "dqevent needs an event: source_change or eos");
                };
                let Some(ty) = crate::v4l2::codec::event_by_name(&e.s.to_ascii_uppercase()) else {
                    return self.err(
                        e.col,
                        format!("unknown event {:?}; expected source_change or eos", e.s),
                    );
                };
                self.no_more(&rest[1..])?;
                StmtKind::Dqevent { ty }
            }
            "subscribe" | "unsubscribe" => {
                let Some(e) = arg(0) else {
                    return self.err(end, format!("{kw} needs an event: source_change or eos"));
                };
                let Some(ty) = crate::v4l2::codec::event_by_name(&e.s.to_ascii_uppercase()) else {
                    return self.err(
                        e.col,
                        format!("unknown event {:?}; expected source_change or eos", e.s),
                    );
                };
                self.no_more(&rest[1..])?;
                StmtKind::Subscribe {
                    ty,
                    on: kw == "subscribe",
                }
            }
            "bitstream" => {
                let name = self.new_name(arg(0), end, Kind::Bitstream)?;
                let Some(p) = arg(1) else {
                    return self.err(end, "bitstream needs NAME PATH");
                };
                let path = p.s.to_string();
                self.no_more(&rest[2..])?;
                StmtKind::Bitstream { name, path }
            }
            "request" => {
                let name = self.new_name(arg(0), end, Kind::Request)?;
                self.no_more(&rest[1..])?;
                StmtKind::Request { name }
            }
            "queue_request" | "reinit" => {
                let Some(t) = arg(0) else {
                    return self.err(end, format!("{kw} needs the NAME of a media request"));
                };
                let name = self.use_name(t.s, t.col, &[Kind::Request])?;
                self.no_more(&rest[1..])?;
                if kw == "reinit" {
                    StmtKind::Reinit { name }
                } else {
                    StmtKind::QueueRequest { name }
                }
            }
            "set_ctrls" | "get_ctrls" | "try_ctrls" => {
                let Some(t) = arg(0) else {
                    return self.err(end, format!("{kw} needs the NAME of a media request"));
                };
                let name = self.use_name(t.s, t.col, &[Kind::Request])?;
                self.no_more(&rest[1..])?;
                let access = match kw.as_str() {
                    "set_ctrls" => crate::v4l2::ctrls::CtrlAccess::Set,
                    "get_ctrls" => crate::v4l2::ctrls::CtrlAccess::Get,
                    _ => crate::v4l2::ctrls::CtrlAccess::Try,
                };
                StmtKind::Ctrls { name, access }
            }
            "poll" => {
                let Some(t) = arg(0) else {
                    return self.err(end, "poll needs the NAME of a media request");
                };
                let name = self.use_name(t.s, t.col, &[Kind::Request])?;
                let mut events = 0;
                for e in rest.get(1..).unwrap_or(&[]) {
                    events |= match e.s {
                        "in" => crate::v4l2::poll::IN,
                        "out" => crate::v4l2::poll::OUT,
                        "pri" => crate::v4l2::poll::PRI,
                        other => {
                            return self.err(
                                e.col,
                                format!("unknown event {other:?}; expected in, out or pri"),
                            );
                        }
                    };
                }
                if events == 0 {
                    return self.err(end, "poll needs events: in, out or pri");
                }
                StmtKind::Poll { name, events }
            }
            "dqbuf" => {
                let nonblock = match arg(0) {
                    None => false,
                    Some(t) if t.s == "nonblock" => true,
                    Some(t) => {
                        return self.err(
                            t.col,
                            format!("unexpected {:?}; dqbuf takes only nonblock", t.s),
                        );
                    }
                };
                self.no_more(rest.get(1..).unwrap_or(&[]))?;
                StmtKind::Dqbuf { nonblock }
            }
            "streamon" | "streamoff" => {
                self.no_more(rest)?;
                if kw == "streamon" {
                    StmtKind::Streamon
                } else {
                    StmtKind::Streamoff
                }
            }
            "expbuf" => {
                let index = self.index(arg(0), end)?;
                let mut i = 1;
                let mut plane = 0;
                if let Some(t) = arg(1).filter(|t| t.s.starts_with("plane=")) {
                    plane = self.plane_opt(&[t])?;
                    i = 2;
                }
                match arg(i) {
                    Some(t) if t.s == "as" => {}
                    Some(t) => {
                        return self.err(t.col, format!("expected \"as NAME\", found {:?}", t.s));
                    }
                    None => return self.err(end, "expbuf needs \"as NAME\""),
                }
                let name = self.new_name(arg(i + 1), end, Kind::Dmabuf)?;
                self.no_more(rest.get(i + 2..).unwrap_or(&[]))?;
                StmtKind::Expbuf { index, plane, name }
            }
            "mmap" | "munmap" => {
                let index = self.index(arg(0), end)?;
                let plane = self.plane_opt(rest.get(1..).unwrap_or(&[]))?;
                if kw == "mmap" {
                    StmtKind::Mmap { index, plane }
                } else {
                    StmtKind::Munmap { index, plane }
                }
            }
            "dmabuf" | "userptr" => {
                let kind = if kw == "dmabuf" {
                    Kind::Dmabuf
                } else {
                    Kind::Userptr
                };
                let name = self.new_name(arg(0), end, kind)?;
                let Some(s) = arg(1) else {
                    return self.err(end, format!("{kw} needs NAME SIZE"));
                };
                let size = self.num(s, "size", 1 << 40)?;
                if size == 0 {
                    return self.err(s.col, "size must be at least 1");
                }
                self.no_more(&rest[2..])?;
                if kind == Kind::Dmabuf {
                    StmtKind::Dmabuf { name, size }
                } else {
                    StmtKind::Userptr { name, size }
                }
            }
            "free" => {
                let Some(t) = arg(0) else {
                    return self.err(end, "free needs the NAME of a user memory area");
                };
                let name = self.use_name(t.s, t.col, &[Kind::Userptr])?;
                self.no_more(&rest[1..])?;
                StmtKind::Free { name }
            }
            "dup" => {
                let Some(t) = arg(0) else {
                    return self.err(end, "dup needs NAME as NAME2");
                };
                let name = self.use_name(t.s, t.col, &[Kind::Dmabuf, Kind::Handle])?;
                let kind = self.names.get(&name).copied().unwrap_or(Kind::Dmabuf);
                match arg(1) {
                    Some(a) if a.s == "as" => {}
                    Some(a) => return self.err(a.col, format!("expected \"as\", found {:?}", a.s)),
                    None => return self.err(t.col + t.s.len() as u32, "dup needs \"as NAME2\""),
                }
                let as_name = self.new_name(arg(2), end, kind)?;
                self.no_more(rest.get(3..).unwrap_or(&[]))?;
                StmtKind::Dup { name, as_name }
            }
            "close" => match arg(0) {
                None => StmtKind::Close,
                Some(t) => {
                    let name =
                        self.use_name(t.s, t.col, &[Kind::Dmabuf, Kind::Handle, Kind::Request])?;
                    self.no_more(&rest[1..])?;
                    StmtKind::CloseName { name }
                }
            },
            "open" => {
                let name = self.new_name(arg(0), end, Kind::Handle)?;
                self.no_more(&rest[1..])?;
                StmtKind::Open { name }
            }
            "use" => {
                let Some(t) = arg(0) else {
                    return self.err(end, "use needs the NAME of a file handle");
                };
                let name = self.use_name(t.s, t.col, &[Kind::Handle])?;
                self.no_more(&rest[1..])?;
                StmtKind::Use { name }
            }
            "driver" => {
                let Some(t) = arg(0) else {
                    return self.err(
                        end,
                        "driver needs done, error, queued, last, keep-on-stop, fail-start, min-queued or queue-error",
                    );
                };
                let opt_index = |p: &Self| -> R<Option<u32>> {
                    match arg(1) {
                        None => Ok(None),
                        Some(i) => {
                            p.no_more(rest.get(2..).unwrap_or(&[]))?;
                            Ok(Some(p.index(Some(i), 0)?))
                        }
                    }
                };
                StmtKind::Driver(match t.s {
                    "done" => DriverStmt::Done { index: opt_index(self)?, state: DoneState::Done },
                    "error" => DriverStmt::Done { index: opt_index(self)?, state: DoneState::Error },
                    "queued" => DriverStmt::Done { index: opt_index(self)?, state: DoneState::Queued },
                    "last" => DriverStmt::Done { index: opt_index(self)?, state: DoneState::Last },
                    "keep-on-stop" => {
                        self.no_more(&rest[1..])?;
                        DriverStmt::KeepOnStop
                    }
                    "queue-error" => {
                        self.no_more(&rest[1..])?;
                        DriverStmt::QueueError
                    }
                    "fail-start" => {
                        let keep = match arg(1) {
                            None => false,
                            Some(k) if k.s == "keep" => true,
                            Some(k) => return self.err(k.col, format!("unexpected {:?}; fail-start takes only keep", k.s)),
                        };
                        self.no_more(rest.get(2..).unwrap_or(&[]))?;
                        DriverStmt::FailStart { keep }
                    }
                    "min-queued" => {
                        let Some(n) = arg(1) else { return self.err(t.col + t.s.len() as u32, "min-queued needs a count") };
                        self.no_more(&rest[2..])?;
                        DriverStmt::MinQueued(self.num(n, "min-queued", u64::from(VB2_MAX_FRAME))? as u32)
                    }
                    other => return self.err(t.col, format!("unknown driver action {other:?}; expected done, error, queued, last, keep-on-stop, fail-start, min-queued or queue-error")),
                })
            }
            "expect" => {
                if !prev_is_op {
                    return self.err(head.col, "expect must follow an operation");
                }
                let Some(t) = arg(0) else {
                    return self.err(end, "expect needs ok or an errno such as EINVAL");
                };
                let Some(o) = parse_outcome(t.s)
                    .filter(|_| t.s.eq_ignore_ascii_case("ok") || t.s.starts_with('E'))
                else {
                    return self.err(
                        t.col,
                        format!(
                            "expected ok or an errno name such as EINVAL, found {:?}",
                            t.s
                        ),
                    );
                };
                self.no_more(&rest[1..])?;
                StmtKind::Expect(o)
            }
            "marker" => StmtKind::Marker(rest.iter().map(|t| t.s).collect::<Vec<_>>().join(" ")),
            other => return self.err(head.col, format!("unknown operation {other:?}")),
        })
    }
}

/// Every statement keyword, for completion in an editor. A test keeps it the parser's.
pub const VERBS: &[&str] = &[
    "queue",
    "reqbufs",
    "create_bufs",
    "remove_bufs",
    "querybuf",
    "prepare_buf",
    "qbuf",
    "dqbuf",
    "streamon",
    "streamoff",
    "mmap",
    "munmap",
    "expbuf",
    "dmabuf",
    "userptr",
    "free",
    "open",
    "use",
    "dup",
    "close",
    "driver",
    "decoder_cmd",
    "encoder_cmd",
    "subscribe",
    "unsubscribe",
    "dqevent",
    "bitstream",
    "request",
    "queue_request",
    "reinit",
    "set_ctrls",
    "get_ctrls",
    "try_ctrls",
    "poll",
    "expect",
    "marker",
];

/// Parses a scenario. `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut p = Parser {
        file,
        line: 0,
        names: FxHashMap::from_iter([("main".into(), Kind::Handle)]),
        listed: FxHashSet::from_iter([(Kind::Handle, "main".into())]),
        out: Names::default(),
    };
    p.out.handles.push("main".into());
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut title = Vec::new();
    let mut in_header = true;
    for (i, raw) in text.lines().enumerate() {
        p.line = i as u32 + 1;
        let code = raw.split('#').next().unwrap_or("");
        if in_header {
            match raw.trim_start().strip_prefix('#') {
                Some(c) => title.push(c.trim().to_string()),
                None if raw.trim().is_empty() => {}
                None => in_header = false,
            }
        }
        let mut toks = Vec::new();
        let mut col = 0usize;
        for w in code.split_ascii_whitespace() {
            let at = code[col..].find(w).map(|o| o + col).unwrap_or(col);
            toks.push(Tok {
                s: w,
                col: at as u32 + 1,
            });
            col = at + w.len();
        }
        if toks.is_empty() {
            continue;
        }
        // Only lines that perform a call have a result to check.
        let prev_is_op = stmts.last().is_some_and(|s| {
            !matches!(
                s.kind,
                StmtKind::Expect(_)
                    | StmtKind::Marker(_)
                    | StmtKind::Use { .. }
                    | StmtKind::Bitstream { .. }
                    | StmtKind::Queue {
                        planes: None,
                        size: None,
                        ..
                    }
            )
        });
        let kind = p.stmt(&toks, prev_is_op)?;
        stmts.push(Stmt { line: p.line, kind });
    }
    let title = title.join("\n").trim().to_string();
    Ok(Scenario {
        file: file.to_string(),
        title,
        stmts,
        names: p.out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verbs_are_the_parsers_keywords() {
        for v in VERBS {
            if let Err(e) = parse("t.vb2s", v) {
                assert!(!e.message.contains("unknown operation"), "{v}: {e}");
            }
        }
        let e = parse("t.vb2s", "frobnicate 2").expect_err("unknown");
        assert!(e.message.contains("unknown operation"), "{e}");
    }
}
