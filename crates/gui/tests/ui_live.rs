//! The Live panel driven as a user would. This machine has no V4L2 device: opening one goes
//! through the real session thread and fails; a working session is a scripted channel of
//! updates made from a recorded trace, as a device would send them.

use std::time::{Duration, Instant};

mod common;

use common::harness;
use crossbeam_channel::{Receiver, Sender, unbounded};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_core::trace::OwnedEvent;
use vb2scope_core::v4l2::{BufType, Origin};
use vb2scope_device::{Caps, DeviceError, LiveOp, Update};
use vb2scope_gui::{Inspector, PolicyChoice, Request, Streaming};

/// The bundled trace under modern, as the window shows it before any session.
fn bundled() -> Inspector {
    common::bundled(PolicyChoice::Fixed(Policy::MODERN))
}

fn disabled(h: &Harness<'static, Inspector>, label: &str) -> bool {
    use egui_kittest::kittest::NodeT as _;
    h.get_by_label(label).accesskit_node().is_disabled()
}

fn open_panel(h: &mut Harness<'static, Inspector>) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Live device…").click();
    h.run();
}

/// Every event of a curated trace, as a device session would report it.
fn recorded(name: &str) -> Vec<OwnedEvent> {
    let path = format!(
        "{}/traces/{name}.jsonl",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let bytes = std::fs::read(&path).expect("curated trace");
    let (trace, _) = vb2scope_core::format::read_native_bytes(&bytes).expect("reads");
    (0..trace.events.len())
        .filter_map(|i| OwnedEvent::from_trace_at(&trace, i))
        .map(|mut o| {
            o.event.set_origin(Origin::Observed);
            o
        })
        .collect()
}

fn vivid() -> Update {
    Update::Opened {
        path: "/dev/video0".into(),
        caps: Caps {
            driver: "vivid".into(),
            card: "vivid".into(),
            bus_info: "platform:vivid-000".into(),
            device_caps: 0x0400_0001,
        },
        queue: BufType::VideoCapture,
    }
}

/// A scripted session on "/dev/video0": the script's sender and the commands the panel sent.
fn scripted(h: &mut Harness<'static, Inspector>) -> (Sender<Update>, Receiver<LiveOp>) {
    let (up, updates) = unbounded();
    let (commands, ops) = unbounded();
    h.state_mut()
        .live_mut()
        .attach("/dev/video0", updates, Some(commands));
    (up, ops)
}

fn send_all(up: &Sender<Update>, events: &[OwnedEvent]) {
    for e in events {
        up.send(Update::Event(e.clone()))
            .expect("the panel listens");
    }
}

/// Runs frames until the window shows every event recorded so far (the refresh interval
/// grows with the cost of a refresh, which a debug build on a busy machine makes long).
fn refresh(h: &mut Harness<'static, Inspector>) {
    let start = Instant::now();
    h.step();
    while shown_events(h) < live_events(h) {
        assert!(start.elapsed() < Duration::from_secs(30), "not refreshed");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
}

fn live_events(h: &Harness<'static, Inspector>) -> usize {
    h.state()
        .live()
        .session()
        .map_or(0, |s| s.trace().events.len())
}

/// The events the shown document has taken in (the live recording's document holds the
/// recording itself, and replays what came a few times a second).
fn shown_events(h: &Harness<'static, Inspector>) -> usize {
    h.state().document().map_or(0, |d| d.replayed())
}

/// Runs frames until the real session thread has ended.
fn until_ended(h: &mut Harness<'static, Inspector>) {
    let start = Instant::now();
    while h.state().live().session().is_some_and(|s| s.running()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "session still running"
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run();
}

#[test]
fn the_live_panel_is_closed_by_default_and_opens_from_the_file_menu() {
    let mut h = harness(bundled());
    assert!(h.query_by_label("Live").is_none());
    open_panel(&mut h);
    h.get_by_label("Live");
    h.get_by_label("No session: pick a device and open it.");
    // Without a session, operations are disabled and send nothing.
    assert!(disabled(&h, "DQBUF"));
    assert!(disabled(&h, "REQBUFS 4"));
    assert!(!disabled(&h, "Open device"));
    // DMABUF asks where buffers come from.
    assert!(h.query_by_label("dma-buf source").is_none());
    h.get_by_label("Memory type").click();
    h.run();
    h.get_by_label("DMABUF").click();
    h.run();
    h.get_by_label("dma-buf source");
    h.get_by_label("Hide").click();
    h.run();
    assert!(h.query_by_label("Live").is_none());
    h.get_by_label("Findings (4) under modern");
}

#[test]
fn devices_that_cannot_be_opened_show_an_error_and_the_app_goes_on() {
    let mut h = harness(bundled());
    open_panel(&mut h);
    let path_field = || {
        egui_kittest::kittest::by()
            .role(egui::accesskit::Role::TextInput)
            .label("Path or name:")
    };
    for (device, error) in [
        (
            "/nonexistent",
            "no V4L2 device \"/nonexistent\": no such path",
        ),
        (
            "/etc/passwd",
            "/etc/passwd is not a V4L2 device (VIDIOC_QUERYCAP: ENOTTY",
        ),
    ] {
        h.get(path_field()).set_text_value_accesskit(device);
        h.run();
        assert_eq!(h.state().live().form.device, device);
        h.get_by_label("Open device").click();
        h.run();
        until_ended(&mut h);
        assert_eq!(
            h.query_all_by_label_contains(error).count(),
            1,
            "{device}: the error is in the panel's log"
        );
        h.get_by_label("Ended (could not open the device): 0 events recorded, kept.");
        // The document shown before stays, and the window still works.
        h.get_by_label("Findings (4) under modern");
        h.get_by_label("Step forward >").click();
        h.run();
        assert_eq!(h.state().selection().cursor, Some(0));
        h.state_mut().set_cursor(None);
        assert!(!disabled(&h, "Open device"));
    }
    // A dma-buf source that does not exist stops the open before any session.
    h.state_mut().live_mut().form.device = "/dev/video0".into();
    h.state_mut().live_mut().form.memory = vb2scope_core::v4l2::Memory::Dmabuf;
    h.state_mut().live_mut().form.source = vb2scope_gui::SourceKind::Device;
    h.state_mut().live_mut().form.source_text = "/nonexistent-exporter".into();
    h.run();
    h.get_by_label("Open device").click();
    h.run();
    assert_eq!(
        h.query_all_by_label_contains("no V4L2 device \"/nonexistent-exporter\": no such path")
            .count(),
        1
    );
    // An empty name is refused the same way.
    h.state_mut().live_mut().form.device = "  ".into();
    h.get_by_label("Open device").click();
    h.run();
    h.get_by_label("no device: pick one, or type a path or a sysfs name");
}

#[test]
fn a_session_grows_the_timeline_and_updates_the_findings() {
    let events = recorded("qbuf-queued-buffer");
    assert_eq!(events.len(), 28);
    let mut h = harness(bundled());
    open_panel(&mut h);
    let (up, ops) = scripted(&mut h);
    h.run();
    h.get_by_label("Opening /dev/video0: 0 events recorded.");
    // Nothing recorded yet: the bundled trace stays.
    h.get_by_label("Findings (4) under modern");

    up.send(vivid()).expect("listens");
    // Up to REQBUFS and the first QBUF: nothing wrong yet.
    send_all(&up, &events[..6]);
    refresh(&mut h);
    h.get_by_label("/dev/video0 (vivid), VIDEO_CAPTURE, not streaming: 6 events recorded.");
    assert_eq!(
        shown_events(&h),
        6,
        "the first events show at the first refresh"
    );
    h.get_by_label("Findings (0) under modern");
    h.get_by_label("6 of 6 events");
    let doc = h.state().document().expect("the live recording");
    assert_eq!(doc.name, "live: /dev/video0");
    assert_eq!(doc.timeline().lanes.len(), 2, "REQBUFS 2: two buffer lanes");
    let end_before = doc.timeline().end_ns;

    // Buttons send their operation; results come back in words.
    h.get_by_label("REQBUFS 4").click();
    h.run();
    h.get_by_label("QBUF all").click();
    h.run();
    h.get_by_label("Marker").click();
    h.run();
    assert_eq!(
        ops.try_iter().collect::<Vec<_>>(),
        [
            LiveOp::Reqbufs(4),
            LiveOp::QbufAll,
            LiveOp::Marker("mark".into())
        ]
    );
    up.send(Update::Result {
        op: LiveOp::Reqbufs(4),
        outcome: "ok".into(),
    })
    .expect("listens");
    up.send(Update::Result {
        op: LiveOp::QbufAll,
        outcome: "EINVAL".into(),
    })
    .expect("listens");

    // The rest: the second QBUF of a queued buffer, and two more later.
    send_all(&up, &events[6..]);
    refresh(&mut h);
    assert_eq!(shown_events(&h), 28);
    h.get_by_label("Findings (3) under modern");
    h.get_by_label("R11 warning +3.000 ms: QBUF of buffer 0, which is already queued");
    h.get_by_label("R11 warning +6.000 ms: QBUF of buffer 0, which is already active");
    h.get_by_label("R11 warning +9.000 ms: QBUF of buffer 0, which is already done");
    h.get_by_label("28 of 28 events");
    h.get_by_label("Reqbufs(4): ok");
    h.get_by_label("QbufAll: EINVAL");
    let doc = h.state().document().expect("the live recording");
    assert!(doc.timeline().end_ns > end_before, "the timeline grew");
    assert_eq!(doc.timeline().event_times.len(), 28);

    // Streaming, then a device error: in the panel, and the session goes on.
    up.send(Update::Result {
        op: LiveOp::StartStreaming,
        outcome: "ok".into(),
    })
    .expect("listens");
    h.run();
    h.get_by_label("/dev/video0 (vivid), VIDEO_CAPTURE, streaming: 28 events recorded.");
    // The errors a device session reports, in the session's own words.
    let errors = [
        DeviceError::Busy {
            path: "/dev/video0".into(),
        },
        DeviceError::NoQueue {
            path: "/dev/video0".into(),
            ty: BufType::VideoOutput,
            have: "VIDEO_CAPTURE".into(),
        },
        DeviceError::NoMemory {
            path: "/dev/video0".into(),
            ty: BufType::VideoCapture,
            memory: vb2scope_core::v4l2::Memory::Dmabuf,
            errno: "EINVAL (22)".into(),
        },
        DeviceError::Permission {
            path: "/dev/video0".into(),
        },
    ]
    .map(|e| e.to_string());
    for e in &errors {
        up.send(Update::Error(e.clone())).expect("listens");
    }
    h.run();
    for e in &errors {
        h.get_by_label(e);
    }
    let s = h.state().live().session().expect("a session");
    assert!(s.running());
    assert_eq!(s.streaming(), Streaming::On, "the dequeue loop stopped");
    h.get_by_label("Stop streaming").click();
    h.run();
    assert_eq!(ops.try_recv().ok(), Some(LiveOp::StopStreaming));
}

#[test]
fn a_device_that_goes_away_ends_the_session_and_the_recording_is_kept_and_saved() {
    let events = recorded("clean-session");
    let mut h = harness(bundled());
    open_panel(&mut h);
    let (up, ops) = scripted(&mut h);
    up.send(vivid()).expect("listens");
    send_all(&up, &events[..20]);
    refresh(&mut h);
    assert_eq!(shown_events(&h), 20);
    // Mid-session, just after a refresh: the end shows its events at once.
    send_all(&up, &events[20..30]);
    up.send(Update::Ended("the device went away: /dev/video0".into()))
        .expect("listens");
    h.run();
    assert_eq!(shown_events(&h), 30, "no waiting for the refresh interval");
    h.get_by_label("Ended (the device went away: /dev/video0): 30 events recorded, kept.");
    h.get_by_label("session ended (the device went away: /dev/video0); 30 events recorded");
    h.get_by_label("Findings (0) under modern");
    assert!(disabled(&h, "DQBUF"));
    assert!(!disabled(&h, "Open device"));
    h.get_by_label("DQBUF").click();
    h.run();
    assert!(
        ops.try_recv().is_err(),
        "an ended session takes no commands"
    );

    h.get_by_label("Save recording…").click();
    h.run();
    let requests = h.state_mut().take_requests();
    let [Request::SaveRecording { name, bytes }] = &requests[..] else {
        panic!("one save request, got {requests:?}")
    };
    assert_eq!(name, "live-video0.jsonl");
    let path = std::env::temp_dir().join(format!("vb2scope-live-{}.jsonl", std::process::id()));
    std::fs::write(&path, bytes).expect("writes");
    let back = std::fs::read(&path).expect("reads");
    let _ = std::fs::remove_file(&path);
    let (trace, diags) = vb2scope_core::format::read_native_bytes(&back).expect("a native trace");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(trace.events.len(), 30);
    assert_eq!(trace.header.source, "vb2scope live --device /dev/video0");
    let shown = &h.state().document().expect("kept").trace;
    for (i, (a, b)) in trace.events.iter().zip(&shown.events).enumerate() {
        assert_eq!(
            OwnedEvent::from_trace(&trace, a),
            OwnedEvent::from_trace(shown, b),
            "event {i}"
        );
    }
}

#[test]
fn a_session_that_stops_without_a_word_ends_too() {
    let mut h = harness(bundled());
    open_panel(&mut h);
    let (up, _ops) = scripted(&mut h);
    send_all(&up, &recorded("clean-session")[..5]);
    drop(up);
    h.run();
    h.get_by_label("Ended (the session stopped without saying why): 5 events recorded, kept.");
    assert_eq!(shown_events(&h), 5);
}

#[test]
fn the_view_follows_new_events_until_the_user_zooms() {
    let events = recorded("clean-session");
    let mut h = harness(bundled());
    open_panel(&mut h);
    let (up, _ops) = scripted(&mut h);
    send_all(&up, &events[..10]);
    h.run();
    let first = h.state().view();
    send_all(&up, &events[10..40]);
    refresh(&mut h);
    let second = h.state().view();
    assert!(
        second.t1 > first.t1,
        "the view followed: {first:?} then {second:?}"
    );
    let end = h.state().document().expect("shown").timeline().end_ns as f64;
    assert!(
        second.t0 < end && end < second.t1,
        "the newest event is in view"
    );

    // Typing a device name is not a zoom or pan shortcut (W, A, S, D, F), nor a step.
    let path_field = || {
        egui_kittest::kittest::by()
            .role(egui::accesskit::Role::TextInput)
            .label("Path or name:")
    };
    h.get(path_field()).focus();
    h.run();
    for key in [
        egui::Key::W,
        egui::Key::A,
        egui::Key::D,
        egui::Key::ArrowRight,
    ] {
        h.key_press(key);
        h.run();
    }
    h.get(path_field()).type_text("wad");
    h.run();
    assert!(h.state().live().form.device.ends_with("wad"));
    assert_eq!(h.state().view(), second);
    assert_eq!(h.state().selection().cursor, None);

    // The user zooms: the view stays where they put it.
    h.state_mut().view_mut().zoom(0.5, second.t0);
    let zoomed = h.state().view();
    send_all(&up, &events[40..]);
    refresh(&mut h);
    assert_eq!(shown_events(&h), events.len());
    assert_eq!(h.state().view(), zoomed);
    assert!(!h.state().live().follows());

    // Asked to follow again, it does at the next refresh.
    h.get_by_label("Follow newest events").click();
    h.run();
    up.send(Update::Event(events[0].clone())).expect("listens");
    refresh(&mut h);
    assert_ne!(h.state().view(), zoomed);
    assert!(h.state().live().follows());
}

/// Sends copies of `base`, each later in time, until `at_least` events are sent.
fn flood(up: &Sender<Update>, base: &[OwnedEvent], at_least: usize) -> usize {
    let span = base.last().map_or(0, |e| e.event.t_ns) + 1_000_000;
    let mut n = 0;
    for round in 0u64.. {
        for e in base {
            let mut e = e.clone();
            e.event.t_ns += round * span;
            up.send(Update::Event(e)).expect("listens");
            n += 1;
        }
        if n >= at_least {
            break;
        }
    }
    n
}

#[test]
fn a_flood_of_events_is_taken_a_bounded_number_per_frame() {
    let mut h = harness(bundled());
    let (up, _ops) = scripted(&mut h);
    let n = flood(&up, &recorded("clean-session"), 50_000);
    h.step();
    let first = live_events(&h);
    assert!(
        first > 0 && first < n,
        "one frame took {first} of {n} updates"
    );
    // The first events show at once, up to the last call (its kernel events may follow).
    assert!(shown_events(&h) > 0 && shown_events(&h) <= first);
    let start = Instant::now();
    while live_events(&h) < n {
        assert!(start.elapsed() < Duration::from_secs(30));
        h.step();
    }
    // The rest shows at the next refresh.
    refresh(&mut h);
    assert_eq!(shown_events(&h), n);
}

/// A long recording is taken in frame by frame as it comes, never replayed from its start;
/// another policy judges it again from the start on a thread, frames going on meanwhile; at
/// its end it is finished as a whole trace's.
#[test]
fn a_big_recording_grows_and_is_judged_again_off_the_ui_thread() {
    let mut h = harness(bundled());
    let (up, _ops) = scripted(&mut h);
    let n = flood(&up, &recorded("clean-session"), 120_000);
    let rebuilding = |h: &Harness<'static, Inspector>| {
        h.state().live().session().is_some_and(|s| s.rebuilding())
    };
    let start = Instant::now();
    let mut taken = Vec::new();
    while shown_events(&h) < n {
        assert!(start.elapsed() < Duration::from_secs(120), "never shown");
        assert!(!rebuilding(&h), "new events are taken in, not rebuilt");
        h.step();
        taken.push(shown_events(&h));
        std::thread::sleep(Duration::from_millis(5));
    }
    let grew = taken.windows(2).filter(|w| w[1] > w[0]).count();
    assert!(grew >= 2, "taken in over several frames: {taken:?}");
    assert!(h.state().document().is_some_and(|d| d.is_growing()));

    let old = Policy::Vb2_2012;
    h.state_mut().set_policy(PolicyChoice::Fixed(old));
    let mut frames_while_rebuilding = 0;
    while h.state().document().is_none_or(|d| d.policy != old) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "never judged again"
        );
        if rebuilding(&h) {
            frames_while_rebuilding += 1;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        frames_while_rebuilding >= 2,
        "frames went on during the rebuild: {frames_while_rebuilding}"
    );
    up.send(Update::Ended("closed".into())).expect("listens");
    while h.state().document().is_some_and(|d| d.is_growing()) {
        assert!(start.elapsed() < Duration::from_secs(120), "never finished");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let doc = h.state().document().expect("shown");
    assert_eq!(doc.policy, old);
    assert_eq!(doc.timeline().event_times.len(), n);
    assert_eq!(doc.timeline().lanes.len(), 4);
}

/// An M2M node (vim2m's caps): the panel offers its two queues and the codec commands, and
/// sends what is clicked; choosing a queue that the session took shows it as the current one.
#[test]
fn an_m2m_node_offers_both_queues_and_the_codec_commands() {
    let mut h = harness(bundled());
    open_panel(&mut h);
    let (up, ops) = scripted(&mut h);
    up.send(Update::Opened {
        path: "/dev/video12".into(),
        caps: Caps {
            driver: "vim2m".into(),
            card: "vim2m".into(),
            bus_info: "platform:vim2m".into(),
            device_caps: 0x0420_8000,
        },
        queue: BufType::VideoCapture,
    })
    .expect("listens");
    h.run();
    h.get_by_label("Queue:");
    h.get_by_label("VIDEO_OUTPUT").click();
    h.run();
    h.get_by_label("DECODER_CMD STOP").click();
    h.run();
    assert_eq!(
        ops.try_iter().collect::<Vec<_>>(),
        vec![
            LiveOp::Queue(BufType::VideoOutput),
            LiveOp::Command {
                encoder: false,
                cmd: vb2scope_core::v4l2::codec::CMD_STOP
            }
        ]
    );
    up.send(Update::Result {
        op: LiveOp::Queue(BufType::VideoOutput),
        outcome: "ok".into(),
    })
    .expect("listens");
    h.run();
    h.get_by_label("/dev/video12 (vim2m), VIDEO_OUTPUT, not streaming: 0 events recorded.");
}
