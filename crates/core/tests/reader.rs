//! The native reader on good, malformed, truncated and compressed input.

use vb2scope_core::format::{DiagSeverity, LoadError, read_native_bytes, write_native};
use vb2scope_core::policy::Policy;
use vb2scope_core::scenario;

const HEADER: &str = "{\"vb2scope\":\"trace\",\"version\":1}\n";

fn sample() -> vb2scope_core::trace::Trace {
    let text = std::fs::read_to_string(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/traces/mplane-dmabuf-reacquire.vb2s"
    ))
    .expect("scenario");
    let sc = scenario::parse("x.vb2s", &text).expect("parses");
    scenario::run(&sc, Policy::MODERN).expect("runs")
}

#[test]
fn write_then_read_gives_the_same_trace() {
    let t = sample();
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    let (back, diags) = read_native_bytes(&bytes).expect("read");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(back.events.len(), t.events.len());
    let mut again = Vec::new();
    write_native(&mut again, &back).expect("write");
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn zstd_is_read_transparently() {
    let t = sample();
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    let z = zstd::encode_all(&bytes[..], 3).expect("compress");
    let (back, diags) = read_native_bytes(&z).expect("read");
    assert!(diags.is_empty());
    assert_eq!(back.events.len(), t.events.len());
}

#[test]
fn malformed_lines_are_diagnosed_with_line_numbers_and_skipped() {
    let input = format!(
        "{HEADER}{}\nnot json at all\n{}\n{{\"t\":3,\"ev\":\"ioctl\",\"op\":\"VIDIOC_QBUF\",\"result\":\"ok\"}}\n{{\"t\":4,\"ev\":\"teleport\"}}\n{}\n",
        r#"{"t":1,"ev":"open","fd":3,"path":"/dev/video0"}"#,
        r#"{"t":2,"ev":"ioctl","fd":3,"op":"VIDIOC_STREAMON","result":"EWHAT","type":"VIDEO_CAPTURE"}"#,
        r#"{"t":5,"ev":"close","fd":3}"#,
    );
    let (t, d) = read_native_bytes(input.as_bytes()).expect("readable");
    assert_eq!(t.events.len(), 2, "open and close survive");
    let lines: Vec<u32> = d.iter().map(|d| d.line).collect();
    assert_eq!(lines, [3, 4, 5, 6]);
    assert!(d.iter().all(|d| d.severity == DiagSeverity::Error));
    assert!(d[1].message.contains("unknown result"), "{}", d[1].message);
    assert!(d[2].message.contains("without \"fd\""), "{}", d[2].message);
    assert!(
        d[3].message.contains("unknown event kind"),
        "{}",
        d[3].message
    );
    assert!(d[1].byte > d[0].byte);
}

#[test]
fn truncated_last_line_is_a_warning_not_fatal() {
    let input = format!(
        "{HEADER}{}\n{}",
        r#"{"t":1,"ev":"open","fd":3,"path":"/dev/video0"}"#, r#"{"t":2,"ev":"clo"#
    );
    let (t, d) = read_native_bytes(input.as_bytes()).expect("readable");
    assert_eq!(t.events.len(), 1);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, DiagSeverity::Warning);
    assert_eq!(d[0].line, 3);
    assert!(d[0].message.starts_with("truncated last line"));
}

#[test]
fn truncated_zstd_stream_keeps_what_was_read() {
    // Large enough for many zstd blocks, so that a cut leaves whole blocks to decode.
    let t = sample();
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    let body = bytes
        .splitn(2, |&b| b == b'\n')
        .nth(1)
        .unwrap_or(&[])
        .to_vec();
    for _ in 0..3000 {
        bytes.extend_from_slice(&body);
    }
    let total = bytes.iter().filter(|&&b| b == b'\n').count() - 1;
    let z = zstd::encode_all(&bytes[..], 3).expect("compress");
    let cut = &z[..z.len() * 2 / 3];
    let (back, d) = read_native_bytes(cut).expect("a cut compressed trace still loads");
    assert!(
        back.events.len() > total / 3,
        "{} of {total} events recovered",
        back.events.len()
    );
    assert!(back.events.len() < total);
    assert!(!d.is_empty(), "the cut is reported");
}

#[test]
fn files_that_are_not_traces_are_refused_clearly() {
    assert!(matches!(read_native_bytes(b""), Err(LoadError::Empty)));
    assert!(matches!(
        read_native_bytes(b"ioctl(3, VIDIOC_QBUF, ...) = 0\n"),
        Err(LoadError::NotATrace(_))
    ));
    assert!(matches!(
        read_native_bytes(b"{\"other\":1}\n"),
        Err(LoadError::NotATrace(_))
    ));
    assert!(matches!(
        read_native_bytes(b"\x00\xff\xfe garbage"),
        Err(LoadError::NotATrace(_))
    ));
    let newer = b"{\"vb2scope\":\"trace\",\"version\":99}\n";
    assert!(matches!(
        read_native_bytes(newer),
        Err(LoadError::TooNew(99))
    ));
}

#[test]
fn unknown_fields_are_ignored() {
    let input = format!(
        "{HEADER}{}\n",
        r#"{"t":1,"ev":"marker","text":"hi","future":{"x":1}}"#
    );
    let (t, d) = read_native_bytes(input.as_bytes()).expect("readable");
    assert_eq!(t.events.len(), 1);
    assert!(d.is_empty());
}

#[test]
fn every_prefix_of_a_trace_loads_without_panic() {
    let t = sample();
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    for n in 0..bytes.len() {
        let _ = read_native_bytes(&bytes[..n]);
    }
}

#[test]
fn a_line_that_is_not_utf8_is_diagnosed_and_skipped() {
    let mut input = HEADER.as_bytes().to_vec();
    input.extend_from_slice(b"{\"t\":1,\"ev\":\"marker\",\"text\":\"\xff\xfe\"}\n");
    input.extend_from_slice(br#"{"t":2,"ev":"close","fd":3}"#);
    input.push(b'\n');
    let (t, d) = read_native_bytes(&input).expect("readable");
    assert_eq!(t.events.len(), 1);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].line, 2);
    assert!(d[0].message.starts_with("not UTF-8"), "{}", d[0].message);
}

/// What an importer could not know stays unknown through the native format: an absent `fd`
/// or `userptr` is read back as unknown, not as 0.
#[test]
fn unknown_memory_handles_survive_write_and_read() {
    use vb2scope_core::trace::IoctlArg;
    let strace = std::fs::read(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/import/strace/strace-6.1_mp_dmabuf.txt"
    ))
    .expect("fixture");
    let (imp, _) = vb2scope_core::import::import_bytes(&strace, "mp", None, None).expect("imports");
    let handles = |t: &vb2scope_core::trace::Trace| -> Vec<(Option<u64>, u8)> {
        t.events
            .iter()
            .filter_map(|e| match e.body {
                vb2scope_core::trace::Body::Ioctl { arg, .. } => match t.arg(arg) {
                    Some(IoctlArg::Buffer(b)) => Some((b.known_m(), b.planes_count)),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    let before = handles(&imp.trace);
    assert!(before.iter().any(|&(m, _)| m.is_none()), "{before:?}");
    let mut bytes = Vec::new();
    write_native(&mut bytes, &imp.trace).expect("write");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("\"fd\":0"), "{text}");
    let (back, diags) = read_native_bytes(&bytes).expect("read");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(handles(&back), before);
}

/// QUERYCAP and the node's sysfs name go through the native format unchanged; a QUERYCAP
/// changes nothing the checker sees, whatever it says or leaves out.
#[test]
fn querycap_and_node_names_survive_write_and_read() {
    use vb2scope_core::trace::{Body, IoctlArg, IoctlCmd};
    let lines = [
        r#"{"t":1,"ev":"open","pid":290,"fd":3,"path":"/dev/video0","name":"vivid-000-vid-cap"}"#,
        r#"{"t":2,"ev":"ioctl","pid":290,"fd":3,"op":"VIDIOC_QUERYCAP","result":"ok","driver":"vivid","card":"vivid","bus_info":"platform:vivid-000","caps":2646543859,"device_caps":86179841,"version":"6.12"}"#,
        r#"{"t":3,"ev":"ioctl","pid":290,"fd":3,"op":"QUERYCAP","result":"ENOTTY"}"#,
        r#"{"t":3,"ev":"ioctl","pid":290,"fd":3,"op":"VIDIOC_QUERYCAP","result":"ok","undecoded":true}"#,
        r#"{"t":4,"ev":"ioctl","pid":290,"fd":3,"op":"VIDIOC_REQBUFS","result":"ok","type":"VIDEO_CAPTURE","memory":"MMAP","count":2,"count_out":2}"#,
    ];
    let input = format!("{HEADER}{}\n", lines.join("\n"));
    let (t, diags) = read_native_bytes(input.as_bytes()).expect("read");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(t.device_name(0), Some("vivid-000-vid-cap"));
    let caps: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd, result, arg, ..
            } => Some((cmd, result, t.arg(arg)?)),
            _ => None,
        })
        .filter_map(|(cmd, result, a)| match a {
            IoctlArg::Querycap(c) => Some((
                cmd,
                result.is_ok(),
                [c.driver, c.card, c.bus_info].map(|s| t.str(s).to_owned()),
                c.caps,
                c.device_caps,
            )),
            _ => None,
        })
        .collect();
    let known = ["vivid", "vivid", "platform:vivid-000"].map(String::from);
    let none = [""; 3].map(String::from);
    assert_eq!(
        caps,
        [
            (
                IoctlCmd::Querycap,
                true,
                known,
                Some(0x9dbf_0df3),
                Some(0x0523_0001)
            ),
            (IoctlCmd::Querycap, false, none, None, None),
        ]
    );
    let mut bytes = Vec::new();
    write_native(&mut bytes, &t).expect("write");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(r#""name":"vivid-000-vid-cap""#), "{text}");
    let (back, diags) = read_native_bytes(&bytes).expect("read again");
    assert!(diags.is_empty(), "{diags:?}");
    let mut again = Vec::new();
    write_native(&mut again, &back).expect("write again");
    assert_eq!(String::from_utf8_lossy(&again), text);
    // Not even undecoded does a QUERYCAP hide a buffer's state from the checker.
    let r = vb2scope_core::check::check_trace(&back, Policy::MODERN);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.undecoded_from, None);
}

/// A QUERYCAP with fields of the wrong type is one bad line, not a stop.
#[test]
fn a_malformed_querycap_is_a_diagnostic() {
    let input = format!(
        "{HEADER}{}\n{}\n",
        r#"{"t":1,"ev":"ioctl","fd":3,"op":"VIDIOC_QUERYCAP","result":"ok","driver":7,"device_caps":"x"}"#,
        r#"{"t":2,"ev":"open","fd":3,"path":"/dev/video0","name":null}"#,
    );
    let (t, diags) = read_native_bytes(input.as_bytes()).expect("read");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].line, 2);
    assert_eq!(t.events.len(), 1);
    assert_eq!(t.device_name(0), None);
}
