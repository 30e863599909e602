//! The values v4l2-tracer writes: enums by name (`val2s`), flags as `A|B` (`fl2s_buffer`),
//! numbers as integers or strings (`number2s` writes 0 as `""`), errno by name or as text.

use serde_json::Value;

use crate::v4l2::{BufType, Errno, Memory};

/// A number as the tracer writes it: an integer, or a string (`""` for 0, `0x…` for hex).
pub fn num(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|i| i as u64)),
        Value::String(s) => parse_num(s),
        _ => None,
    }
}

pub fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

pub fn u32_of(v: Option<&Value>) -> u32 {
    v.and_then(num).unwrap_or(0).min(u32::MAX as u64) as u32
}

pub fn buf_type(v: &Value) -> Option<BufType> {
    match v {
        Value::String(s) if !s.starts_with("0x") => BufType::parse(s),
        Value::Number(n) => BufType::parse(&n.to_string()),
        _ => None,
    }
}

pub fn memory(v: &Value) -> Option<Memory> {
    let s = v.as_str()?;
    Memory::parse(s.strip_prefix("V4L2_MEMORY_").unwrap_or(s))
}

/// `errno` is a name (`EINVAL`) or, on libcs without `strerrorname_np`, the strerror text.
pub fn errno(v: &Value) -> Option<Errno> {
    let s = v.as_str()?;
    Errno::parse(s).or_else(|| {
        const TEXTS: &[(&str, u16)] = &[
            ("Operation not permitted", 1),
            ("No such file or directory", 2),
            ("Interrupted system call", 4),
            ("Input/output error", 5),
            ("Bad file descriptor", 9),
            ("Resource temporarily unavailable", 11),
            ("Cannot allocate memory", 12),
            ("Permission denied", 13),
            ("Bad address", 14),
            ("Device or resource busy", 16),
            ("No such device", 19),
            ("Invalid argument", 22),
            ("Too many open files", 24),
            ("Inappropriate ioctl for device", 25),
            ("No space left on device", 28),
            ("Broken pipe", 32),
            ("Operation not supported", 95),
            ("No buffer space available", 105),
            ("Connection timed out", 110),
        ];
        TEXTS
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(s.trim()))
            .map(|&(_, n)| Errno(n))
    })
}

/// `V4L2_BUF_FLAG_A|V4L2_BUF_FLAG_B` (names the tracer knows) or a hex number.
pub fn buf_flags(v: &Value) -> u32 {
    let Some(s) = v.as_str() else {
        return num(v).unwrap_or(0) as u32;
    };
    s.split('|')
        .map(|part| {
            let name = part.trim().trim_start_matches("V4L2_BUF_FLAG_");
            crate::v4l2::flags::by_name(name)
                .or_else(|| parse_num(part).map(|n| n as u32))
                .unwrap_or(0)
        })
        .fold(0, |a, b| a | b)
}

/// `V4L2_BUF_CAP_A|V4L2_BUF_CAP_B` or a number; `None` when a name is unknown.
pub fn buf_caps(v: &Value) -> Option<u32> {
    caps_with(v, crate::v4l2::caps::by_name)
}

/// QUERYCAP's `V4L2_CAP_A|V4L2_CAP_B` or a number; `None` when a name is unknown.
pub fn dev_caps(v: &Value) -> Option<u32> {
    caps_with(v, crate::v4l2::dev_caps::by_name)
}

fn caps_with(v: &Value, by_name: fn(&str) -> Option<u32>) -> Option<u32> {
    let Some(s) = v.as_str() else {
        return num(v).map(|n| n as u32);
    };
    s.split('|')
        .filter(|p| !p.trim().is_empty())
        .map(|part| by_name(part).or_else(|| parse_num(part).map(|n| n as u32)))
        .try_fold(0, |a, b| b.map(|b| a | b))
}

/// `V4L2_FIELD_NONE` → 1, as `enum v4l2_field`.
pub fn field(v: &Value) -> u8 {
    const NAMES: &[&str] = &[
        "ANY",
        "NONE",
        "TOP",
        "BOTTOM",
        "INTERLACED",
        "SEQ_TB",
        "SEQ_BT",
        "ALTERNATE",
        "INTERLACED_TB",
        "INTERLACED_BT",
    ];
    match v.as_str() {
        Some(s) => {
            let name = s.trim_start_matches("V4L2_FIELD_");
            NAMES
                .iter()
                .position(|n| *n == name)
                .map(|i| i as u8)
                .or_else(|| parse_num(s).map(|n| n.min(255) as u8))
                .unwrap_or(0)
        }
        None => num(v).unwrap_or(0).min(255) as u8,
    }
}
