//! Every line shape seen in the 6.12 samples, in trace-formats.md and in trace-cmd's output.

use super::*;

fn ev(line: &str) -> Record<'_> {
    match parse_line(line) {
        Ok(Line::Event(r)) => r,
        other => panic!("{line:?}: {other:?}"),
    }
}

#[test]
fn kprobe_line_with_flags() {
    let r = ev(
        "        v4l2-ctl-270     [001] .....    17.818237: vmalloc_alloc: (vb2_vmalloc_alloc+0x4/0xf0 [videobuf2_vmalloc]) vb=0xff3916bcc31a1800 size=462848",
    );
    assert_eq!(r.comm, "v4l2-ctl");
    assert_eq!(r.tid, 270);
    assert_eq!(r.tgid, None);
    assert_eq!(r.cpu, 1);
    assert_eq!(r.flags, Some("....."));
    assert_eq!(r.ts_ns, 17_818_237_000);
    assert_eq!(r.name, "vmalloc_alloc");
    assert_eq!(kprobe_arg(r.body, "vb"), Some("0xff3916bcc31a1800"));
    assert_eq!(kprobe_arg(r.body, "size"), Some("462848"));
    assert_eq!(kprobe_arg(r.body, "priv"), None);
    assert_eq!(kprobe_symbol(r.body), Some("vb2_vmalloc_alloc"));
    assert_eq!(parse_int("0xff3916bcc31a1800"), Some(0xff3916bcc31a1800));
}

#[test]
fn return_probe_and_probe_without_args() {
    let r = ev(
        "        v4l2-ctl-288     [000] .....    26.921446: vmalloc_attach_dmabuf_ret: (__prepare_dmabuf.constprop.0+0x397/0x590 [videobuf2_common] <- vb2_vmalloc_attach_dmabuf) ret=0xff3916bcc4c2bae0",
    );
    assert_eq!(kprobe_symbol(r.body), Some("vb2_vmalloc_attach_dmabuf"));
    assert_eq!(kprobe_arg(r.body, "ret"), Some("0xff3916bcc4c2bae0"));
    let r =
        ev("        v4l2-ctl-288     [001] .....    26.891280: export: (dma_buf_export+0x4/0x2b0)");
    assert_eq!(r.name, "export");
    assert_eq!(kprobe_args(r.body).count(), 0);
    assert_eq!(kprobe_symbol(r.body), Some("dma_buf_export"));
    let r = ev(
        "        v4l2-ctl-288     [000] .....    26.921642: vmalloc_map_dmabuf_ret: (__prepare_dmabuf.constprop.0+0x3d5/0x590 [videobuf2_common] <- vb2_vmalloc_map_dmabuf) ret=-14",
    );
    assert_eq!(kprobe_arg(r.body, "ret").and_then(parse_int), Some(-14));
}

#[test]
fn comm_with_dashes_and_need_resched_flags() {
    let r = ev(
        " vivid-000-vid-c-271     [000] .....    18.550061: vb2_buf_done: owner = 00000000ef5f1b4f, queued = 4, owned_by_drv = 3, index = 0, type = 1, bytesused = 460800, timestamp = 0",
    );
    assert_eq!(r.comm, "vivid-000-vid-c");
    assert_eq!(r.tid, 271);
    assert_eq!(tp_field(r.body, "index"), Some("0"));
    assert_eq!(tp_field(r.body, "type"), Some("1"));
    assert_eq!(tp_field(r.body, "owner"), Some("00000000ef5f1b4f"));
    assert_eq!(tp_field(r.body, "queued"), Some("4"));
    let r = ev(
        "        v4l2-ctl-288     [001] .N...    27.622392: vb2_dqbuf: owner = 000000000ba5e408, queued = 1, owned_by_drv = 1, index = 3, type = 1, bytesused = 460800, timestamp = 27656771228",
    );
    assert_eq!(r.flags, Some(".N..."));
    assert_eq!(tp_field(r.body, "timestamp"), Some("27656771228"));
}

#[test]
fn comm_with_spaces_and_marker() {
    let r = ev(
        " collect-samples-188     [000] .....    15.717307: tracing_mark_write: vb2vm scenario 01-vmalloc-mmap: vivid#0 (vb2-vmalloc) capture, MMAP, 10 frames",
    );
    assert_eq!(r.comm, "collect-samples");
    assert_eq!(r.name, "tracing_mark_write");
    assert_eq!(
        r.body,
        "vb2vm scenario 01-vmalloc-mmap: vivid#0 (vb2-vmalloc) capture, MMAP, 10 frames"
    );
    let r = ev("     my thread-a-12 [003] d..1.   100.000001: console: hello");
    assert_eq!(r.comm, "my thread-a");
    assert_eq!(r.tid, 12);
    assert_eq!(r.flags, Some("d..1."));
    assert_eq!(r.ts_ns, 100_000_001_000);
    let r = ev("           <...>-1447  [000] ....  5.5: vb2_qbuf: index = 2");
    assert_eq!(r.comm, "<...>");
    assert_eq!(r.flags, Some("...."));
    assert_eq!(r.ts_ns, 5_500_000_000);
    let r = ev("          <idle>-0       [001] d.h2.   1.000000: vb2_buf_done: index = 1");
    assert_eq!((r.comm, r.tid), ("<idle>", 0));
}

#[test]
fn tgid_column_and_no_flags() {
    let r = ev(
        "        v4l2-ctl-289  (  288) [000] .....    26.921416: vb2_qbuf: owner = 1, index = 0",
    );
    assert_eq!((r.tid, r.tgid), (289, Some(288)));
    let r = ev("     kworker/0:1-31 (-------) [000] .....  3.000000: vb2_qbuf: index = 0");
    assert_eq!((r.comm, r.tid, r.tgid), ("kworker/0:1", 31, None));
    // options/irq-info off: no flags column.
    let r = ev(
        "        v4l2-ctl-270     [001]    17.813806: reqbufs: (vb2_core_reqbufs+0x4/0x510 [videobuf2_common]) q=0xff3916bcc3226868 memory=1 count=4",
    );
    assert_eq!(r.flags, None);
    assert_eq!(kprobe_arg(r.body, "memory"), Some("1"));
    let r = ev("v4l2-ctl-1 [000] 1.000000: vb2_qbuf: index = 0");
    assert_eq!((r.comm, r.tid, r.flags), ("v4l2-ctl", 1, None));
}

#[test]
fn trace_cmd_report_shapes() {
    let r = ev(
        "        v4l2-ctl-211   [000]   633.859189: sched_switch:         v4l2-ctl:211 [120] D ==> kthreadd:2 [120]",
    );
    assert_eq!(r.name, "sched_switch");
    assert_eq!(r.body, "v4l2-ctl:211 [120] D ==> kthreadd:2 [120]");
    // ns output (trace-cmd report --ts-ns or a 9-decimal clock).
    let r = ev("        v4l2-ctl-211   [000]   633.859189123: vb2_qbuf:             index = 0");
    assert_eq!(r.ts_ns, 633_859_189_123);
    assert_eq!(r.body, "index = 0");
    // A raw counter clock.
    let r = ev("        v4l2-ctl-211   [000] 123456789: vb2_qbuf: index = 0");
    assert_eq!(r.ts_ns, 123_456_789);
    assert_eq!(
        parse_line("CPU0 data recorded at offset=0x2c9000"),
        Ok(Line::Other)
    );
    assert_eq!(parse_line("cpus=2"), Ok(Line::Other));
    assert_eq!(
        parse_line("CPU:1 [12 EVENTS DROPPED]"),
        Ok(Line::Lost {
            cpu: 1,
            count: Some(12)
        })
    );
    assert_eq!(
        parse_line("CPU:0 [EVENTS DROPPED]"),
        Ok(Line::Lost {
            cpu: 0,
            count: None
        })
    );
}

#[test]
fn stack_traces_header_and_lost() {
    let r = ev("        v4l2-ctl-157     [000] d....   271.333581: <stack trace>");
    assert_eq!((r.name, r.body), ("<stack trace>", ""));
    assert_eq!(parse_line(" => kprobe_trace_func"), Ok(Line::Other));
    assert_eq!(parse_line("# tracer: nop"), Ok(Line::Comment));
    assert_eq!(
        parse_line("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION"),
        Ok(Line::Comment)
    );
    assert_eq!(parse_line(""), Ok(Line::Blank));
    assert_eq!(parse_line("   \r"), Ok(Line::Blank));
    assert_eq!(
        parse_line("CPU:2 [LOST 123 EVENTS]"),
        Ok(Line::Lost {
            cpu: 2,
            count: Some(123)
        })
    );
    assert_eq!(
        parse_line("##### CPU 1 buffer started ####"),
        Ok(Line::Comment)
    );
}

#[test]
fn malformed_lines_say_why() {
    assert_eq!(parse_line("hello world"), Err(ParseError::NoCpu));
    assert_eq!(parse_line("x-1 [000] ....."), Err(ParseError::NoTimestamp));
    assert_eq!(
        parse_line("x-1 [000] ..... abc: e: b"),
        Err(ParseError::BadTimestamp)
    );
    assert_eq!(
        parse_line("x [000] ..... 1.0: e: b"),
        Err(ParseError::NoTid)
    );
    assert_eq!(parse_line("x-y [000] 1.0: e: b"), Err(ParseError::NoTid));
    assert_eq!(
        parse_line("x-1 (ab) [000] 1.0: e: b"),
        Err(ParseError::BadTgid)
    );
    assert_eq!(
        parse_line("x-1 [000] 1.0: : b"),
        Err(ParseError::NoEventName)
    );
    assert_eq!(
        parse_line("x-1 [000] 99999999999999999999.0: e: b"),
        Err(ParseError::BadTimestamp)
    );
    assert_eq!(
        parse_line("x-1 [000] 99999999999.0: e: b"),
        Err(ParseError::BadTimestamp)
    );
    // A comm that looks like a cpu column is passed over.
    let r = ev("a [1] b-5 [002] ..... 1.000000: vb2_qbuf: index = 1");
    assert_eq!((r.comm, r.tid, r.cpu), ("a [1] b", 5, 2));
}

#[test]
fn tracepoint_fields_skip_nested_groups() {
    let body = "minor = 0, index = 3, type = VIDEO_CAPTURE, bytesused = 460800, flags = MAPPED|QUEUED|TIMESTAMP_UNKNOWN|TIMESTAMP_MONOTONIC, field = ANY, timestamp = 0, timecode = { type = 0x0, flags = , frames = 0, seconds = 0, minutes = 0, hours = 0, userbits = { 0 0 0 0 } }, sequence = 7";
    assert_eq!(tp_field(body, "type"), Some("VIDEO_CAPTURE"));
    assert_eq!(tp_field(body, "sequence"), Some("7"));
    assert_eq!(tp_field(body, "frames"), None);
    assert_eq!(
        tp_field(body, "flags"),
        Some("MAPPED|QUEUED|TIMESTAMP_UNKNOWN|TIMESTAMP_MONOTONIC")
    );
    assert_eq!(
        tp_field(body, "timecode"),
        Some(
            "{ type = 0x0, flags = , frames = 0, seconds = 0, minutes = 0, hours = 0, userbits = { 0 0 0 0 } }"
        )
    );
    // vb2_v4l2_* events: `minor=%d flags = %s`, and an empty flag set.
    let body = "minor=1 flags = ERROR|TIMESTAMP_MONOTONIC, field = NONE, timestamp = 5, timecode = { type = 0x0 }, sequence = 2";
    assert_eq!(
        tp_field(body, "minor"),
        Some("1 flags = ERROR|TIMESTAMP_MONOTONIC")
    );
    assert_eq!(tp_field(body, "flags"), Some("ERROR|TIMESTAMP_MONOTONIC"));
    assert_eq!(tp_field(body, "type"), None);
    assert_eq!(tp_field("flags = , field = ANY", "flags"), Some(""));
    assert_eq!(tp_field("bytesused = 1", "bytes"), None);
}

#[test]
fn never_panics_on_odd_bytes() {
    for l in [
        "[",
        "[0]",
        " [0]",
        "-1 [0]",
        "é-1 [0] é: é: é",
        "x-1 [0] 1.é: a",
        "x-1 [0] .: a: b",
        "x-1 (  [0] 1.0: a: b",
        "x-1 ) [0] 1.0: a: b",
        "CPU:",
        "CPU:x [LOST]",
        "CPU:1 [",
        "x-4294967296 [0] 1.0: a: b",
        "x-1 [99999999999] 1.0: a: b",
    ] {
        let _ = parse_line(l);
        let _ = tp_field(l, "a");
        let _ = kprobe_arg(l, "a");
        let _ = kprobe_symbol(l);
    }
}

#[test]
fn pointers_as_the_kernel_and_trace_cmd_print_them() {
    // The kernel's text hashes `%p` into bare hex digits; trace-cmd prints `0x…`.
    assert_eq!(parse_pointer("00000000ef5f1b4f"), Some(0xef5f1b4f));
    assert_eq!(
        parse_pointer("0xff16099483f24b40"),
        Some(0xff16099483f24b40)
    );
    assert_eq!(parse_pointer(" 0000000012345678"), Some(0x12345678));
    assert_eq!(parse_pointer("0x"), None);
    assert_eq!(parse_pointer("(____ptrval____)"), None);
}

/// The field lookup as it was first written: the key tried at every byte. The one in use
/// finds the key's occurrences first; both must give the same value for any body.
fn tp_field_at_every_byte<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let b = body.as_bytes();
    let mut depth = 0u32;
    for i in 0..b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let boundary = i == 0 || matches!(b[i - 1], b' ' | b',');
        if depth == 0 && boundary && body[i..].starts_with(key) {
            let after = &body[i + key.len()..];
            if let Some(v) = after
                .strip_prefix(" = ")
                .or_else(|| after.strip_prefix('='))
            {
                return Some(top_level_until_comma(v).trim());
            }
        }
    }
    None
}

proptest::proptest! {
    /// Bodies of keys, values, separators and braces, overlapping keys among them.
    #[test]
    fn tp_field_finds_what_trying_every_byte_finds(
        body in "(index|type|typetype|t|=| = |, | |\\{|\\}|[0-9a-z]{1,3}){0,24}",
        key in "(index|type|typetype|t|ty|x)",
    ) {
        proptest::prop_assert_eq!(tp_field(&body, &key), tp_field_at_every_byte(&body, &key));
    }
}
