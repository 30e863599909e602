//! One line of ftrace text, as `/sys/kernel/tracing/trace`, `trace_pipe` and `trace-cmd report`
//! print it: `comm-tid [(tgid)] [cpu] [flags] secs.frac: event: body`. Zero-copy: the record
//! borrows the line. Nothing here panics, whatever the input.

/// One event line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The task name; may hold spaces and dashes, or be `<...>` (comm cache miss).
    pub comm: &'a str,
    /// The task's pid as the kernel knows it: the thread id.
    pub tid: u32,
    /// The thread group id, with `options/record-tgid` (absent or `-------` otherwise).
    pub tgid: Option<u32>,
    pub cpu: u32,
    /// The latency flags column (`.....`, `dN...`), absent without `options/irq-info`.
    pub flags: Option<&'a str>,
    /// The timestamp in nanoseconds (printed as seconds with 6 or 9 decimals).
    pub ts_ns: u64,
    /// The event name, without its group (`vb2_qbuf`, `vmalloc_alloc`).
    pub name: &'a str,
    /// What follows `name: `, leading padding removed.
    pub body: &'a str,
}

/// What a line of ftrace text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Event(Record<'a>),
    Blank,
    /// `# ...` header and comment lines.
    Comment,
    /// `CPU:2 [LOST 123 EVENTS]`, `CPU:0 [EVENTS DROPPED]` (trace-cmd): events are missing.
    Lost {
        cpu: u32,
        count: Option<u64>,
    },
    /// Any other line the tools print between events: ` => func` stack frames,
    /// `##### CPU 1 buffer started ####`, trace-cmd's `cpus=2` and `CPU0 data recorded at…`.
    Other,
}

/// Why a line is not an event line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("no `[cpu]` column")]
    NoCpu,
    #[error("no `secs.frac:` timestamp after the cpu column")]
    NoTimestamp,
    #[error("bad timestamp")]
    BadTimestamp,
    #[error("no `comm-tid` before the cpu column")]
    NoTid,
    #[error("bad tgid column")]
    BadTgid,
    #[error("no event name after the timestamp")]
    NoEventName,
}

/// How the ftrace text `vb2scope trace-kernel` saves begins: `# vb2scope trace-kernel: Linux
/// RELEASE (trace_clock mono)`.
pub const HEADER_PREFIX: &str = "# vb2scope trace-kernel: Linux ";

/// The kernel release the text's header line names, if it has one.
pub fn header_release(text: &str) -> Option<&str> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let rest = first.trim_end().strip_prefix(HEADER_PREFIX)?;
    let release = rest.split_whitespace().next()?;
    (release != "?").then_some(release)
}

/// Classifies and parses one line (without its newline; a trailing `\r` is ignored).
pub fn parse_line(line: &str) -> Result<Line<'_>, ParseError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let t = line.trim_start();
    if t.is_empty() {
        return Ok(Line::Blank);
    }
    if t.starts_with('#') {
        return Ok(Line::Comment);
    }
    if let Some(lost) = lost_line(t) {
        return Ok(lost);
    }
    if t.starts_with("=>") {
        return Ok(Line::Other);
    }
    match parse_event(line) {
        Ok(r) => Ok(Line::Event(r)),
        // trace-cmd prints a few status lines before the events.
        Err(ParseError::NoCpu) if is_tool_chatter(t) => Ok(Line::Other),
        Err(e) => Err(e),
    }
}

fn is_tool_chatter(t: &str) -> bool {
    t.starts_with("cpus=")
        || t.starts_with("version =")
        || t.starts_with("could not load")
        || (t.starts_with("CPU") && t.contains("data recorded at"))
}

fn lost_line(t: &str) -> Option<Line<'_>> {
    let rest = t.strip_prefix("CPU:")?;
    let (cpu, rest) = rest.split_once(' ')?;
    let cpu = cpu.trim().parse().ok()?;
    let inner = rest.trim().strip_prefix('[')?.strip_suffix(']')?;
    let count = inner.split_whitespace().find_map(|w| w.parse::<u64>().ok());
    (inner.contains("LOST") || inner.contains("DROPPED")).then_some(Line::Lost { cpu, count })
}

/// Parses an event line: finds the `[cpu]` column, then reads the timestamp after it and the
/// `comm-tid` before it (comm may contain anything, so it is split at the last dash). A comm
/// that itself looks like ` [3]` is passed over by trying the next bracket.
pub fn parse_event(line: &str) -> Result<Record<'_>, ParseError> {
    let mut from = 0;
    let mut first_err = None;
    while let Some((at, end, cpu)) = find_cpu(line, from) {
        match parse_around(line, at, end, cpu) {
            Ok(r) => return Ok(r),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
        from = at + 1;
    }
    Err(first_err.unwrap_or(ParseError::NoCpu))
}

fn parse_around(
    line: &str,
    cpu_at: usize,
    cpu_end: usize,
    cpu: u32,
) -> Result<Record<'_>, ParseError> {
    let head = line.get(..cpu_at).unwrap_or("").trim_end();
    let tail = line.get(cpu_end..).unwrap_or("");
    // `flags ts: name: body`, or `ts: name: body`.
    let trimmed = tail.trim_end();
    let colon = tail
        .find(": ")
        .or_else(|| trimmed.ends_with(':').then(|| trimmed.len() - 1))
        .ok_or(ParseError::NoTimestamp)?;
    let before = tail.get(..colon).unwrap_or("");
    let mut words = before.split_whitespace().rev();
    let ts_word = words.next().ok_or(ParseError::NoTimestamp)?;
    let flags = words.next();
    if words.next().is_some() {
        return Err(ParseError::NoTimestamp);
    }
    let ts_ns = parse_ts(ts_word)?;
    let (comm, tid, tgid) = split_task(head)?;
    let rest = tail.get(colon + 1..).unwrap_or("").trim_start();
    let (name, body) = match rest.find(':') {
        Some(i) => (
            rest.get(..i).unwrap_or(""),
            rest.get(i + 1..).unwrap_or("").trim_start(),
        ),
        None => (rest, ""),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(ParseError::NoEventName);
    }
    Ok(Record {
        comm,
        tid,
        tgid,
        cpu,
        flags,
        ts_ns,
        name,
        body: body.trim_end(),
    })
}

/// The first ` [digits]` token at or after `from`: byte range and value.
fn find_cpu(line: &str, from: usize) -> Option<(usize, usize, u32)> {
    let b = line.as_bytes();
    let mut i = from;
    while let Some(off) = line.get(i..)?.find('[') {
        let at = i + off;
        let digits = b
            .get(at + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let close = at + 1 + digits;
        let preceded = at > 0 && b.get(at - 1).is_some_and(|c| *c == b' ');
        if digits > 0
            && preceded
            && b.get(close) == Some(&b']')
            && let Some(cpu) = line.get(at + 1..close).and_then(|d| d.parse().ok())
        {
            return Some((at, close + 1, cpu));
        }
        i = at + 1;
    }
    None
}

/// `comm-tid` with an optional `(tgid)` column after it.
fn split_task(head: &str) -> Result<(&str, u32, Option<u32>), ParseError> {
    let (task, tgid) = match head
        .strip_suffix(')')
        .and_then(|h| h.rfind('(').map(|i| (h, i)))
    {
        Some((h, open)) => {
            let inner = h.get(open + 1..).unwrap_or("").trim();
            let tgid = if inner.chars().all(|c| c == '-') {
                None
            } else {
                Some(inner.parse().map_err(|_| ParseError::BadTgid)?)
            };
            (h.get(..open).unwrap_or("").trim_end(), tgid)
        }
        None => (head, None),
    };
    let task = task.trim_start();
    let dash = task.rfind('-').ok_or(ParseError::NoTid)?;
    let tid = task
        .get(dash + 1..)
        .and_then(|s| s.parse().ok())
        .ok_or(ParseError::NoTid)?;
    Ok((task.get(..dash).unwrap_or(""), tid, tgid))
}

/// `secs.frac` (any number of decimals, kept to ns) or a bare counter.
fn parse_ts(s: &str) -> Result<u64, ParseError> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || !secs.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::BadTimestamp);
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::BadTimestamp);
    }
    let secs: u64 = secs.parse().map_err(|_| ParseError::BadTimestamp)?;
    if !s.contains('.') {
        // A raw counter clock: kept as it is.
        return Ok(secs);
    }
    let mut ns: u64 = 0;
    for (i, c) in frac.bytes().take(9).enumerate() {
        ns += u64::from(c - b'0') * 10u64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(ns))
        .ok_or(ParseError::BadTimestamp)
}

/// The value of `key=value` in a kprobe body (`(sym+0x4/0xf0 [mod]) vb=0x… size=4096`).
pub fn kprobe_arg<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    kprobe_args(body).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The `key=value` pairs of a kprobe body, after the `(location)` part.
pub fn kprobe_args(body: &str) -> impl Iterator<Item = (&str, &str)> {
    let args = match body.strip_prefix('(') {
        Some(rest) => rest
            .find(") ")
            .map(|i| rest.get(i + 2..).unwrap_or(""))
            .unwrap_or(""),
        None => body,
    };
    args.split_whitespace().filter_map(|w| w.split_once('='))
}

/// The function a kprobe fired in, from its `(sym+0x4/0xf0 [mod])` part; for a return probe
/// (`(caller+0x… <- sym)`), the probed function.
pub fn kprobe_symbol(body: &str) -> Option<&str> {
    let rest = body.strip_prefix('(')?;
    let loc = rest.get(..rest.find(')')?)?;
    let sym = match loc.split_once(" <- ") {
        Some((_, probed)) => probed,
        None => loc.split(['+', ' ']).next()?,
    };
    Some(sym.trim())
}

/// A pointer as a tracepoint's `%p` prints it: bare hex digits (hashed) in the kernel's own
/// text (`00000000ef5f1b4f`), `0x…` when libtraceevent renders it (`trace-cmd report`).
pub fn parse_pointer(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u64::from_str_radix(digits, 16).ok()
}

/// An integer as kprobes print it: `0x…` hex, or decimal (possibly negative).
pub fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok().map(i128::from),
        None => s.parse().ok(),
    }
}

/// The value of `key = value` in a tracepoint body (`index = 0, type = 1, …`), at the top
/// level: fields inside `{ … }` groups are not seen.
pub fn tp_field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let (b, k) = (body.as_bytes(), key.as_bytes());
    // The nesting is worked out only as far as the key's next occurrence: memmem finds
    // those at SIMD speed, where trying the key at every byte compared it at every byte.
    let (mut depth, mut scanned, mut from) = (0u32, 0, 0);
    while let Some(i) = (b.get(from..))
        .and_then(|rest| memchr::memmem::find(rest, k))
        .map(|off| from + off)
        .filter(|&i| i < b.len())
    {
        for c in b.get(scanned..=i).unwrap_or(&[]) {
            match c {
                b'{' => depth += 1,
                b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        scanned = i + 1;
        let boundary = i == 0 || matches!(b.get(i - 1), Some(b' ' | b','));
        if depth == 0 && boundary {
            let after = body.get(i + key.len()..).unwrap_or("");
            let value = after
                .strip_prefix(" = ")
                .or_else(|| after.strip_prefix('='));
            if let Some(v) = value {
                return Some(top_level_until_comma(v).trim());
            }
        }
        from = i + 1;
    }
    None
}

fn top_level_until_comma(v: &str) -> &str {
    let mut depth = 0u32;
    for (i, c) in v.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return v.get(..i).unwrap_or(v),
            _ => {}
        }
    }
    v
}

#[cfg(test)]
mod tests;
