//! Lexing one strace line: its prefix (pid, time), the call and its result, and splitting
//! arguments and struct fields at the top level (strace text nests braces, brackets, quoted
//! strings with escapes and `/* … */` comments). Everything borrows from the input.

/// What comes before the call: `[pid  N] ` or `N ` (with `-f`), then a time token.
pub(super) struct Prefix<'a> {
    pub pid: Option<u32>,
    pub time: Option<&'a str>,
    pub rest: &'a str,
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

pub(super) fn prefix(line: &str) -> Prefix<'_> {
    let mut s = line.trim_start();
    let mut pid = None;
    if let Some(r) = s.strip_prefix("[pid") {
        if let Some((n, r)) = r.split_once(']') {
            pid = n.trim().parse().ok();
            s = r.trim_start();
        }
    } else {
        // `-o`/`-ff` style: the pid is a bare number followed by a space (a time token
        // goes on with `.` or `:`).
        let n = digits(s);
        if n > 0
            && s.as_bytes().get(n) == Some(&b' ')
            && let Some((p, r)) = s.split_at_checked(n)
        {
            pid = p.parse().ok();
            s = r.trim_start();
        }
    }
    let n = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b':')
        .count();
    let mut time = None;
    if n > 0
        && s.as_bytes().get(n) == Some(&b' ')
        && let Some((t, r)) = s.split_at_checked(n)
        && t.contains(['.', ':'])
    {
        time = Some(t);
        s = r.trim_start();
    }
    Prefix { pid, time, rest: s }
}

/// Splits `args) = result` at the `)` that closes the call. strace pads short calls so that
/// `=` lands at column 40, hence the trim before `)`.
pub(super) fn split_result(body: &str) -> Option<(&str, &str)> {
    for (i, _) in body.rmatch_indices(" = ") {
        let before = body.get(..i)?.trim_end();
        if let Some(args) = before.strip_suffix(')') {
            return Some((args, body.get(i + 3..)?.trim()));
        }
    }
    None
}

/// The `-T` duration that ends a finished call's line (` <0.000123>`), in ns.
pub(super) fn duration(line: &str) -> Option<u64> {
    let l = line.trim_end();
    let inner = l.strip_suffix('>')?;
    let at = inner.rfind('<')?;
    let num = inner.get(at + 1..)?;
    if !inner.get(..at)?.ends_with(' ') || !num.contains('.') {
        return None;
    }
    let (secs, frac) = num.split_once('.')?;
    if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    // `frac` padded with zeros to 9 digits, without formatting a string per line.
    let frac_ns = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

/// A syscall's return value.
#[derive(Debug, Default)]
pub(super) struct Ret<'a> {
    /// None for `?`.
    pub val: Option<i64>,
    pub errno: Option<&'a str>,
    /// The `-y` decoration of a returned fd.
    pub path: Option<&'a str>,
    /// What follows: CREATE_BUFS' `({index=0, count=2})`.
    pub aux: &'a str,
}

pub(super) fn ret(r: &str) -> Option<Ret<'_>> {
    if r.starts_with('?') {
        let rest = r.get(1..)?.trim_start();
        let errno = rest.split(' ').next().filter(|e| e.starts_with('E'));
        return Some(Ret {
            errno,
            ..Ret::default()
        });
    }
    let n = r
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
        .count();
    let (num, mut rest) = r.split_at_checked(n)?;
    let val = int(num)?;
    let mut path = None;
    if let Some(p) = rest.strip_prefix('<') {
        let (inside, after) = p.split_once('>')?;
        path = Some(inside);
        rest = after;
    }
    let mut rest = rest.trim_start();
    let mut errno = None;
    if val < 0 && rest.starts_with('E') {
        let (e, after) = rest.split_once(' ').unwrap_or((rest, ""));
        errno = Some(e);
        rest = after.trim_start();
        // `(Invalid argument)`
        if rest.starts_with('(') {
            rest = rest
                .split_once(')')
                .map(|(_, a)| a.trim_start())
                .unwrap_or("");
        }
    }
    // `-T` duration at the end.
    if rest.ends_with('>')
        && let Some(i) = rest
            .rfind(" <")
            .or_else(|| rest.starts_with('<').then_some(0))
    {
        rest = rest.get(..i).unwrap_or("").trim_end();
    }
    Some(Ret {
        val: Some(val),
        errno,
        path,
        aux: rest,
    })
}

/// A number as strace prints it: decimal, `0x` hex, possibly negative, possibly followed by
/// a `/* NAME */` comment (`-X verbose`).
pub(super) fn int(s: &str) -> Option<i64> {
    let s = token(s);
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = if let Some(h) = s.strip_prefix("0x") {
        i64::try_from(u64::from_str_radix(h, 16).ok()?).ok()?
    } else {
        s.parse::<i64>().ok()?
    };
    Some(if neg { v.checked_neg()? } else { v })
}

pub(super) fn uint(s: &str) -> Option<u64> {
    let s = token(s);
    if s == "NULL" {
        return Some(0);
    }
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

pub(super) fn u32v(s: &str) -> Option<u32> {
    uint(s).and_then(|v| u32::try_from(v).ok())
}

/// The value without a trailing `/* comment */`.
pub(super) fn token(s: &str) -> &str {
    let s = s.trim();
    match comment_start(s) {
        Some(i) => s.get(..i).unwrap_or("").trim_end(),
        None => s,
    }
}

/// Where the first `/*` in `s` starts. Called on every value of a dense log: a byte search,
/// not `str::find`'s searcher set up per call.
fn comment_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'/', b).find(|&i| b.get(i + 1) == Some(&b'*'))
}

/// Strips the `name=` of strace ≥ 6.16 `-N` (`fd=3`, `argp={…}`).
pub(super) fn unname(arg: &str) -> &str {
    let n = arg
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || *b == b'_' || b.is_ascii_digit())
        .count();
    if n > 0 && arg.as_bytes().get(n) == Some(&b'=') && arg.as_bytes().get(n + 1) != Some(&b'>') {
        return arg.get(n + 1..).unwrap_or(arg);
    }
    arg
}

/// A C string argument as strace prints it (`"text\n"`, or `"text"...` when cut at `-s`):
/// its text unescaped, and whether strace cut it.
pub(super) fn c_string(arg: &str) -> Option<(String, bool)> {
    let arg = arg.trim();
    let (quoted, cut) = match arg.strip_suffix("...") {
        Some(q) => (q, true),
        None => (arg, false),
    };
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(inner.len());
    let b = inner.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = b.get(i) else { break };
        i += 1;
        let simple = match e {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'v' => Some(0x0b),
            b'f' => Some(0x0c),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
        } else if e == b'x' {
            let hex = inner.get(i..i + 2)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 2;
        } else if e.is_ascii_digit() {
            // Octal: up to three digits, the first already read.
            let mut v = u32::from(e - b'0');
            for _ in 0..2 {
                match b.get(i) {
                    Some(&d) if (b'0'..=b'7').contains(&d) => {
                        v = v * 8 + u32::from(d - b'0');
                        i += 1;
                    }
                    _ => break,
                }
            }
            out.push(u8::try_from(v).ok()?);
        } else {
            out.push(e);
        }
    }
    Some((String::from_utf8_lossy(&out).into_owned(), cut))
}

/// An fd argument: `3`, `3</dev/video0>`.
pub(super) fn fd_arg(arg: &str) -> Option<(i32, Option<&str>)> {
    let arg = token(unname(arg));
    let (num, deco) = match arg.split_once('<') {
        Some((n, d)) => (n, Some(d.rsplit_once('>').map_or(d, |(p, _)| p))),
        None => (arg, None),
    };
    Some((i32::try_from(int(num)?).ok()?, deco))
}

/// Splits at top-level `sep` bytes, skipping nested groups, strings and comments.
pub(super) struct TopSplit<'a> {
    s: &'a str,
    pos: usize,
    sep: u8,
}

impl<'a> TopSplit<'a> {
    pub fn new(s: &'a str, sep: u8) -> TopSplit<'a> {
        TopSplit { s, pos: 0, sep }
    }

    /// Where the next piece starts.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for TopSplit<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let start = self.pos;
        if start > b.len() {
            return None;
        }
        let mut depth = 0u32;
        let mut i = start;
        while let Some(&c) = b.get(i) {
            if !STRUCTURE[usize::from(c)] && c != self.sep {
                i += 1;
                continue;
            }
            match c {
                b'"' => i = skip_string(b, i),
                b'/' if b.get(i + 1) == Some(&b'*') => i = skip_comment(self.s, i),
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ if c == self.sep && depth == 0 => {
                    self.pos = i + 1;
                    return self.s.get(start..i).map(str::trim);
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = b.len() + 1;
        self.s.get(start..).map(str::trim)
    }
}

/// The index of the `/` that closes the comment opening at `i`.
fn skip_comment(s: &str, i: usize) -> usize {
    s.get(i + 2..)
        .and_then(|r| r.find("*/"))
        .map_or(s.len(), |e| i + 2 + e + 1)
}

/// The index of the quote that closes the string opening at `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&d) = b.get(i) {
        match d {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    i
}

/// The end (exclusive) of the group that opens at byte 0 of `s`.
pub(super) fn group_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0u32;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => i = skip_string(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_comment(s, i),
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The bytes that give strace text its structure: quotes, comments, groups, separators.
const STRUCTURE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let bytes = b"\"/{[()]},";
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
};

/// The `key=value` fields of one `{…}` struct, collected in one pass.
pub(super) struct Fields<'a> {
    kv: [(&'a str, &'a str); 24],
    n: usize,
}

impl<'a> Fields<'a> {
    /// `s` is `{…}`; anything after the closing brace is ignored. One pass: pieces are cut
    /// at top-level commas until the brace that closes the struct.
    pub fn of(s: &'a str) -> Option<Fields<'a>> {
        let s = s.trim_start().strip_prefix('{')?;
        let b = s.as_bytes();
        let mut f = Fields {
            kv: [("", ""); 24],
            n: 0,
        };
        let mut depth = 0u32;
        let mut start = 0;
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            // Most bytes are plain: one table look-up each, not a match.
            if !STRUCTURE[usize::from(c)] {
                i += 1;
                continue;
            }
            match c {
                b'"' => i = skip_string(b, i),
                b'/' if b.get(i + 1) == Some(&b'*') => i = skip_comment(s, i),
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' if depth > 0 => depth -= 1,
                b',' | b'}' if depth == 0 => {
                    f.add(s.get(start..i)?);
                    if c == b'}' {
                        return Some(f);
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn add(&mut self, piece: &'a str) {
        if let Some((k, v)) = piece.split_once('=')
            && let Some(slot) = self.kv.get_mut(self.n)
        {
            *slot = (k.trim(), v.trim());
            self.n += 1;
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.kv
            .get(..self.n)?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

/// A struct argument and, after ` => `, what the kernel wrote back (`S_FMT`, `EXPBUF`).
pub(super) fn in_out(arg: &str) -> (&str, Option<&str>) {
    let arg = arg.trim_start();
    match group_end(arg).and_then(|e| arg.split_at_checked(e)) {
        Some((a, rest)) => (a, rest.trim_start().strip_prefix("=>").map(str::trim_start)),
        None => (arg, None),
    }
}

/// `count=2 => 3`: the value passed and the value returned.
pub(super) fn arrow(v: &str) -> (&str, Option<&str>) {
    match v.split_once("=>") {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (v, None),
    }
}

/// The names of an `A|B|0x40` flag set, comments left out.
pub(super) fn flag_names(v: &str) -> impl Iterator<Item = &str> {
    TopSplit::new(v, b'|').map(token).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {

    #[test]
    fn c_strings_are_unescaped_and_cuts_told() {
        assert_eq!(c_string(r#""a\tb\n""#), Some(("a\tb\n".into(), false)));
        assert_eq!(c_string(r#""\x41\102\"""#), Some(("AB\"".into(), false)));
        assert_eq!(
            c_string(r#""frame 1 "..."#),
            Some(("frame 1 ".into(), true))
        );
        assert_eq!(c_string("0x7ffc0000"), None);
    }
    use super::*;

    #[test]
    fn prefixes() {
        let p = prefix("[pid  8082] <... ioctl resumed>, index=0");
        assert_eq!(
            (p.pid, p.time, p.rest),
            (Some(8082), None, "<... ioctl resumed>, index=0")
        );
        let p = prefix("270   1795609662.341146 mmap(NULL");
        assert_eq!(
            (p.pid, p.time, p.rest),
            (Some(270), Some("1795609662.341146"), "mmap(NULL")
        );
        let p = prefix("     0.000037 openat(");
        assert_eq!((p.pid, p.time), (None, Some("0.000037")));
        let p = prefix("12:00:11 close(3)");
        assert_eq!((p.pid, p.time), (None, Some("12:00:11")));
    }

    #[test]
    fn results() {
        let (args, r) = split_result("3, X, {a=1}) = 0 ({index=0, count=2})").expect("split");
        assert_eq!(args, "3, X, {a=1}");
        let r = ret(r).expect("ret");
        assert_eq!((r.val, r.aux), (Some(0), "({index=0, count=2})"));
        let r = ret("-1 EINVAL (Invalid argument) <0.000012>").expect("ret");
        assert_eq!((r.val, r.errno, r.aux), (Some(-1), Some("EINVAL"), ""));
        let r = ret("4</memfd:gbm-bo>(deleted)").expect("ret");
        assert_eq!((r.val, r.path), (Some(4), Some("/memfd:gbm-bo")));
        let (_, r) = split_result("3)        = 0").expect("padded");
        assert_eq!(r, "0");
        assert!(ret("?").is_some_and(|r| r.val.is_none()));
    }

    #[test]
    fn fields_and_flags() {
        let f =
            Fields::of("{type=0x1 /* A, B */, name=\"a,}\\\"\", count=2 => 3, t={s=1, u=2}, ...}")
                .expect("fields");
        assert_eq!(f.get("type"), Some("0x1 /* A, B */"));
        assert_eq!(f.get("count").map(arrow), Some(("2", Some("3"))));
        assert_eq!(f.get("t"), Some("{s=1, u=2}"));
        assert_eq!(int("0x1 /* A */"), Some(1));
        let names: Vec<_> = flag_names("0x1 /* M|Q */|0x2000 /* T */|0 /* E */").collect();
        assert_eq!(names, ["0x1", "0x2000", "0"]);
        assert_eq!(fd_arg("fd=3</dev/video0>"), Some((3, Some("/dev/video0"))));
        let (i, o) = in_out("{a=1} => {fd=4}");
        assert_eq!((i, o), ("{a=1}", Some("{fd=4}")));
    }

    #[test]
    fn durations_end_finished_lines() {
        assert_eq!(
            duration("ioctl(3, VIDIOC_QBUF, {index=0}) = 0 <0.000123>"),
            Some(123_000)
        );
        assert_eq!(duration("close(3) = 0 <1.5>"), Some(1_500_000_000));
        assert_eq!(duration("ioctl(3, VIDIOC_DQBUF <unfinished ...>"), None);
        assert_eq!(duration("write(1, \"<0.1>\", 5) = 5"), None);
        assert_eq!(duration("close(3) = 0"), None);
    }
}
