//! Which format a file is, from its first kilobytes: every importer's input has a shape the
//! others do not share, so content decides, not the file name.

/// The formats vb2scope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// vb2scope's own JSON lines (plain or zstd).
    Native,
    /// A `.vb2s` scenario.
    Scenario,
    Strace,
    /// ftrace `trace`/`trace_pipe` text or `trace-cmd report`.
    Ftrace,
    V4l2Tracer,
    /// Kernel log lines of V4L2 `dev_debug` ioctl logging.
    Dmesg,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Native,
        Format::Scenario,
        Format::Strace,
        Format::Ftrace,
        Format::V4l2Tracer,
        Format::Dmesg,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Scenario => "scenario",
            Format::Strace => "strace",
            Format::Ftrace => "ftrace",
            Format::V4l2Tracer => "v4l2-tracer",
            Format::Dmesg => "dmesg",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }
}

pub(super) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The format of `bytes`, or `None` when nothing fits. `name` (the file name) only breaks a
/// tie for scenarios, which have no marker of their own.
pub fn detect(bytes: &[u8], name: &str) -> Option<Format> {
    if bytes.starts_with(&ZSTD_MAGIC) {
        // Any format may come compressed (`app.strace.txt.zst`): what the frame holds decides.
        return compressed_format(bytes, name);
    }
    if crate::format::binary::is_binary(bytes) {
        return Some(Format::Native);
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_start();
    if first.starts_with("{\"vb2scope\"") || first.starts_with("{ \"vb2scope\"") {
        return Some(Format::Native);
    }
    // What `vb2scope trace-kernel` saved, even with no event in it.
    if first.starts_with(crate::kernel::ftrace::HEADER_PREFIX.trim_end()) {
        return Some(Format::Ftrace);
    }
    if first.starts_with('[')
        && (text.contains("\"ioctl\"") || text.contains("\"package_version\""))
    {
        return Some(Format::V4l2Tracer);
    }
    let lines: Vec<&str> = text.lines().take(400).collect();
    let count = |f: &dyn Fn(&str) -> bool| lines.iter().filter(|l| f(l)).count();
    let ftrace =
        count(&|l: &str| l.starts_with("# tracer:") || (l.contains("] ") && is_ftrace_event(l)));
    let strace = count(&|l: &str| is_strace_call(l));
    let dmesg =
        count(&|l: &str| (l.contains(": VIDIOC_") && !l.contains("ioctl(")) || is_printk_line(l));
    let best = [
        (ftrace, Format::Ftrace),
        (strace, Format::Strace),
        (dmesg, Format::Dmesg),
    ]
    .into_iter()
    .max_by_key(|(n, _)| *n);
    if let Some((n, f)) = best
        && n > 0
    {
        return Some(f);
    }
    if name.ends_with(".vb2s") {
        return Some(Format::Scenario);
    }
    None
}

/// The format of what zstd-compressed `bytes` hold, told from its first 64 KiB (or as much as
/// unpacks: a recording may still be being written). Native when nothing unpacks, or the
/// frame holds another frame: the native reader unpacks its own and says what is wrong.
fn compressed_format(bytes: &[u8], name: &str) -> Option<Format> {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(dec) = zstd::stream::read::Decoder::new(bytes) {
        // A frame cut short still gives what came before the cut.
        let _ = dec.take(64 * 1024).read_to_end(&mut head);
    }
    if head.is_empty() || head.starts_with(&ZSTD_MAGIC) {
        return Some(Format::Native);
    }
    detect(&head, name)
}

/// `comm-tid [cpu] ... ts: event:` — a timestamp followed by a colon after a `[NNN]` column.
fn is_ftrace_event(l: &str) -> bool {
    let Some(close) = l.find("] ") else {
        return false;
    };
    let Some(open) = l[..close].rfind('[') else {
        return false;
    };
    l[open + 1..close].bytes().all(|b| b.is_ascii_digit()) && l[close..].contains(": ")
}

/// `[   12.345678] text`: a kernel log line with its printk time.
fn is_printk_line(l: &str) -> bool {
    let Some(rest) = l.strip_prefix('[') else {
        return false;
    };
    let Some(close) = rest.find("] ") else {
        return false;
    };
    let ts = rest[..close].trim_start();
    !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit() || b == b'.') && ts.contains('.')
}

/// `name(args) = ret`, optionally after a pid and times: the shape of every strace line.
fn is_strace_call(l: &str) -> bool {
    let calls = ["ioctl(", "openat(", "open(", "mmap(", "munmap(", "close("];
    calls.iter().any(|c| l.contains(c))
        && (l.contains(") = ") || l.contains("<unfinished") || l.contains("resumed>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_by_its_content() {
        let native = "{\"vb2scope\":\"trace\",\"version\":1}\n";
        assert_eq!(detect(native.as_bytes(), "x"), Some(Format::Native));
        assert_eq!(detect(&ZSTD_MAGIC, "x"), Some(Format::Native));
        let strace = "12:00:00.000001 ioctl(3, VIDIOC_QBUF, {index=0}) = 0\n";
        assert_eq!(detect(strace.as_bytes(), "x.txt"), Some(Format::Strace));
        let ftrace = "# tracer: nop\n  v4l2-ctl-288 [001] ..... 26.8: reqbufs: (x) q=0x1\n";
        assert_eq!(detect(ftrace.as_bytes(), "x.txt"), Some(Format::Ftrace));
        let pipe = "  v4l2-ctl-288 [001] ..... 26.832823: vb2_qbuf: owner = 0\n";
        assert_eq!(detect(pipe.as_bytes(), "x"), Some(Format::Ftrace));
        let tracer =
            "[\n{ \"package_version\": \"1.33.0\" },\n{\"fd\":3,\"ioctl\":\"VIDIOC_QBUF\"}\n";
        assert_eq!(
            detect(tracer.as_bytes(), "x.json"),
            Some(Format::V4l2Tracer)
        );
        let dmesg = "[   12.5] video0: VIDIOC_QBUF: 00:00:00.00000000 index=0, type=vid-cap\n";
        assert_eq!(detect(dmesg.as_bytes(), "dmesg.txt"), Some(Format::Dmesg));
        let boot = "[    0.000000] Linux version 6.12\n[    0.003087] e820: update\n";
        assert_eq!(detect(boot.as_bytes(), "dmesg.txt"), Some(Format::Dmesg));
        assert_eq!(
            detect(b"queue capture\nreqbufs 2 mmap\n", "a.vb2s"),
            Some(Format::Scenario)
        );
        assert_eq!(detect(b"hello\nworld\n", "a.txt"), None);
        assert_eq!(detect(&[0xff, 0xfe, 0x00], "a.bin"), None);
    }

    /// Compressed, a file is what it holds; a frame that does not unpack is left to the native
    /// reader, which says what is wrong.
    #[test]
    fn compressed_files_by_what_they_hold() {
        let pack = |s: &str| zstd::encode_all(s.as_bytes(), 1).expect("zstd");
        let strace = "12:00:00.000001 ioctl(3, VIDIOC_QBUF, {index=0}) = 0\n";
        assert_eq!(detect(&pack(strace), "a.txt.zst"), Some(Format::Strace));
        let ftrace = "  v4l2-ctl-288 [001] ..... 26.832823: vb2_qbuf: owner = 0\n";
        assert_eq!(detect(&pack(ftrace), "a.zst"), Some(Format::Ftrace));
        let native = "{\"vb2scope\":\"trace\",\"version\":1}\n";
        assert_eq!(detect(&pack(native), "a.zst"), Some(Format::Native));
        assert_eq!(detect(&pack("hello\n"), "a.zst"), None);
        let twice = zstd::encode_all(pack(strace).as_slice(), 1).expect("zstd");
        assert_eq!(detect(&twice, "a.zst.zst"), Some(Format::Native));
        // Cut short, as a file still being written: what unpacks decides.
        let long = strace.repeat(20_000);
        let packed = pack(&long);
        let cut = packed.get(..packed.len() / 2).unwrap_or_default();
        assert_eq!(detect(cut, "a.zst"), Some(Format::Strace));
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
        }
    }
}
