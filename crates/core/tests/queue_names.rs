//! Queues named by what a developer recognises: QUERYCAP read from strace (a real line of the
//! corpus), and the queue titles of real captures: the driver behind the node and the threads
//! that used it.

use std::path::Path;

use vb2scope_core::format::read_native_bytes;
use vb2scope_core::import::strace::import_strace;
use vb2scope_core::policy::Policy;
use vb2scope_core::timeline::{Timeline, build};
use vb2scope_core::trace::{Body, Capability, IoctlArg, IoctlCmd, Trace};

const CORPUS: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/fixtures/corpus/linux-6.12.118+deb12-amd64"
);

fn unpack(name: &str) -> Vec<u8> {
    let p = Path::new(CORPUS).join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    zstd::decode_all(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn strace(name: &str) -> Trace {
    let text = String::from_utf8_lossy(&unpack(name)).into_owned();
    import_strace(&text).trace
}

/// The QUERYCAPs of a trace, with their strings.
fn querycaps(t: &Trace) -> Vec<(Capability, [String; 3])> {
    t.events
        .iter()
        .filter_map(|e| match e.body {
            Body::Ioctl {
                cmd: IoctlCmd::Querycap,
                arg,
                ..
            } => match t.arg(arg) {
                Some(IoctlArg::Querycap(c)) => Some(*c),
                _ => None,
            },
            _ => None,
        })
        .map(|c| {
            (
                c,
                [c.driver, c.card, c.bus_info].map(|s| t.str(s).to_owned()),
            )
        })
        .collect()
}

fn titles(tl: &Timeline) -> Vec<String> {
    tl.queue_info.keys().map(|&q| tl.queue_title(q)).collect()
}

/// `V4L2_CAP_VIDEO_M2M|V4L2_CAP_EXT_PIX_FORMAT|V4L2_CAP_STREAMING`, `|V4L2_CAP_DEVICE_CAPS`.
const VIM2M_NODE: u32 = 0x8000 | 0x20_0000 | 0x400_0000;
const VIM2M_DEVICE: u32 = VIM2M_NODE | 0x8000_0000;

#[test]
fn strace_querycap_of_a_real_run_is_read() {
    let text = String::from_utf8_lossy(&unpack("gst-zero-copy.strace.txt.zst")).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("</dev/video12>, VIDIOC_QUERYCAP"))
        .expect("GStreamer asks vim2m's node what it is");
    let t = import_strace(line).trace;
    let caps = querycaps(&t);
    let [(c, strings)] = caps.as_slice() else {
        panic!("{caps:?}")
    };
    assert_eq!(
        strings,
        &["vim2m", "vim2m", "platform:vim2m"].map(String::from)
    );
    assert_eq!(
        (c.caps, c.device_caps),
        (Some(VIM2M_DEVICE), Some(VIM2M_NODE))
    );
    // The fd strace decorated is the node it names.
    assert_eq!(t.device_path(0), "/dev/video12");
}

#[test]
fn strace_querycap_raw_verbose_failed_and_broken() {
    let raw = r#"7 ioctl(3</dev/video0>, VIDIOC_QUERYCAP, {driver="vim2m", card="a \"b\", c", bus_info="platform:vim2m", version=0x60c76, capabilities=0x84208000, device_caps=0x4208000 /* V4L2_CAP_VIDEO_M2M|V4L2_CAP_EXT_PIX_FORMAT|V4L2_CAP_STREAMING */}) = 0
7 ioctl(3</dev/video0>, 0x80685600, 0x7ffc0000) = -1 ENOTTY (Inappropriate ioctl for device)
7 ioctl(3</dev/video0>, VIDIOC_QUERYCAP, {driver="vim2m", card=) = 0
7 ioctl(4</dev/null>, VIDIOC_QUERYCAP, 0x7ffc0000) = -1 ENOTTY (Inappropriate ioctl for device)
"#;
    let imp = import_strace(raw);
    let caps = querycaps(&imp.trace);
    let got: Vec<_> = caps
        .iter()
        .map(|(c, s)| (s[1].as_str(), c.caps, c.device_caps))
        .collect();
    // The raw numbers; the failed call kept with nothing known; the cut line and the call on
    // a file that is no video node left out.
    assert_eq!(
        got,
        [
            ("a \"b\", c", Some(VIM2M_DEVICE), Some(VIM2M_NODE)),
            ("", None, None),
        ]
    );
    assert_eq!(imp.diagnostics.len(), 1, "{:?}", imp.diagnostics);
}

/// A v4l2-ctl capture seen by strace: its queue is named by the driver QUERYCAP gave.
#[test]
fn a_strace_capture_names_the_driver() {
    let t = strace("v4l2ctl-mmap.strace.txt.zst");
    let tl = build(&t, Policy::MODERN);
    let titles = titles(&tl);
    assert!(
        titles
            .iter()
            .any(|s| s.contains(" · vivid · capture · MMAP")),
        "{titles:?}"
    );
}

/// GStreamer's v4l2src streams from its own thread: vb2scope's recording of the zero-copy
/// pipeline lists it beside the main thread, which set the queues up.
#[test]
fn a_multi_threaded_program_lists_its_threads() {
    let (t, _) = read_native_bytes(&unpack("gst-zero-copy.record.jsonl.zst")).expect("reads");
    let tl = build(&t, Policy::MODERN);
    let titles = titles(&tl);
    let capture = titles
        .iter()
        .find(|s| s.starts_with("/dev/video0 ·"))
        .expect("the capture queue");
    assert!(
        capture.ends_with("pid 340 (threads 340, 342)"),
        "{titles:?}"
    );
}

/// strace without clone() in its filter cannot tell threads from processes: each task is
/// named as what strace printed, and no thread is claimed.
#[test]
fn strace_without_clone_claims_no_threads() {
    let t = strace("gst-zero-copy.strace.txt.zst");
    let tl = build(&t, Policy::MODERN);
    let titles = titles(&tl);
    assert!(titles.iter().all(|s| !s.contains("thread")), "{titles:?}");
    assert!(
        titles.iter().any(|s| s.contains(" · vivid · ")),
        "{titles:?}"
    );
}
