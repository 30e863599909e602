//! The `key=value` lists of `v4l2-ioctl.c`'s `v4l_print_*` helpers, and the names they print.

use crate::v4l2::{BufType, Memory};

/// The `key=value` tokens of one line, separated by `, ` or spaces (format plane lines use
/// spaces). A leading `HH:MM:SS.ffffff` is the buffer timestamp.
pub struct Fields<'a> {
    stamp: Option<&'a str>,
    kv: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    pub fn new(args: &'a str) -> Fields<'a> {
        let mut stamp = None;
        let mut kv = Vec::with_capacity(12);
        for tok in args.split([' ', ',']) {
            match tok.split_once('=') {
                Some((k, v)) => kv.push((k, v)),
                None if stamp.is_none() && kv.is_empty() && tok.contains(':') => stamp = Some(tok),
                None => {}
            }
        }
        Fields { stamp, kv }
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.kv.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }

    /// A u32 field, 0 when absent or unreadable (sizes and flags that only inform).
    pub fn u32(&self, key: &str) -> u32 {
        self.get(key)
            .and_then(num)
            .unwrap_or(0)
            .min(u32::MAX as u64) as u32
    }

    /// The buffer timestamp, printed as `tv_sec` split into h:m:s plus the fraction.
    pub fn timestamp_ns(&self) -> Option<u64> {
        let mut it = self.stamp?.split(':');
        let h: u64 = it.next()?.parse().ok()?;
        let m: u64 = it.next()?.parse().ok()?;
        let (s, frac) = it.next()?.split_once('.').unwrap_or(("", ""));
        let s: u64 = s.parse().ok()?;
        let secs = h
            .checked_mul(3600)?
            .checked_add(m.checked_mul(60)?)?
            .checked_add(s)?;
        secs.checked_mul(1_000_000_000)?.checked_add(frac_ns(frac)?)
    }
}

/// A fraction of a second (`838612`, or the 8–9 digits of older kernels) in ns.
pub fn frac_ns(frac: &str) -> Option<u64> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = frac.get(..frac.len().min(9))?;
    let v: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(v * 10u64.pow(9 - digits.len() as u32))
}

/// Decimal (possibly negative, for fds) or `0x` hex.
pub fn num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s
            .parse::<u64>()
            .ok()
            .or_else(|| s.parse::<i64>().ok().map(|i| i as u64)),
    }
}

/// QUERYCAP's strings (`driver=vivid, card=vivid, bus=platform:vivid-000, version=…`): each
/// runs to the next field's name, since a card may hold spaces and commas.
pub fn querycap_strings(args: &str) -> [&str; 3] {
    let between = |from: &str, to: &str| {
        let rest = args.split_once(from).map_or("", |(_, r)| r);
        rest.split_once(to).map_or(rest, |(v, _)| v).trim()
    };
    [
        between("driver=", ", card="),
        between("card=", ", bus="),
        between("bus=", ", version="),
    ]
}

/// `v4l2_type_names`: only the video queues vb2scope models.
pub fn buf_type(s: &str) -> Option<BufType> {
    match s {
        "vid-cap" => Some(BufType::VideoCapture),
        "vid-out" => Some(BufType::VideoOutput),
        "vid-cap-mplane" => Some(BufType::VideoCaptureMplane),
        "vid-out-mplane" => Some(BufType::VideoOutputMplane),
        _ => None,
    }
}

/// `v4l2_memory_names`; `overlay` is not a vb2 memory.
pub fn memory(s: &str) -> Option<Memory> {
    match s {
        "mmap" => Some(Memory::Mmap),
        "userptr" => Some(Memory::Userptr),
        "dmabuf" => Some(Memory::Dmabuf),
        _ => None,
    }
}

/// `v4l2_field_names`, as the raw `enum v4l2_field`.
pub fn field(s: &str) -> u8 {
    const NAMES: [&str; 10] = [
        "any",
        "none",
        "top",
        "bottom",
        "interlaced",
        "seq-tb",
        "seq-bt",
        "alternate",
        "interlaced-tb",
        "interlaced-bt",
    ];
    NAMES.iter().position(|n| *n == s).map_or(0, |i| i as u8)
}
