//! Recording a program or a running process from the window, driven as a user would. This
//! machine has no V4L2 device: the programs run for real under the recorder and make no
//! buffer calls, so what is checked here is the flow (start, output, stop, the process list,
//! attach and detach, refusals); the real-device suite records real applications this way.

use std::time::{Duration, Instant};

mod common;

use common::harness;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::policy::Policy;
use vb2scope_gui::{AppAction, Inspector, LogKind, PolicyChoice};

fn open_tab(h: &mut Harness<'static, Inspector>, item: &str) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label(item).click();
    h.run();
}

fn type_command(h: &mut Harness<'static, Inspector>, text: &str) {
    h.state_mut().live_mut().app.command = text.into();
    h.run();
}

/// Runs frames until the recording has ended.
fn until_ended(h: &mut Harness<'static, Inspector>) {
    let start = Instant::now();
    while h.state().live().session().is_some_and(|s| s.running()) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "recording still running"
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run();
}

fn log_has(h: &Harness<'static, Inspector>, kind: LogKind, text: &str) -> bool {
    h.state()
        .live()
        .log()
        .lines
        .iter()
        .any(|(k, l)| *k == kind && l.contains(text))
}

#[test]
fn a_program_started_from_the_window_is_recorded_until_it_exits() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    open_tab(&mut h, "Record application…");
    h.get_by_label("Command:");
    h.get_by_label("Working directory:");
    type_command(&mut h, "sh -c 'echo started in \"$PWD\"; exit 3'");
    h.state_mut().live_mut().app.cwd = "/tmp".into();
    h.get_by_label("Start").click();
    h.run();
    until_ended(&mut h);
    // Its output reaches the panel's log, and how it ended is said.
    assert!(log_has(&h, LogKind::Info, "started in /tmp"));
    h.get_by_label_contains("Ended (the program exited with 3)");
    assert!(
        h.state()
            .live()
            .session()
            .is_some_and(|s| s.target().is_some())
    );
}

#[test]
fn stop_ends_a_running_program_and_the_recording_with_it() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    open_tab(&mut h, "Record application…");
    type_command(&mut h, "sleep 30");
    h.get_by_label("Start").click();
    h.run();
    // Running: Start is disabled, Stop is not.
    let start = Instant::now();
    while !log_has(&h, LogKind::Info, "starting sleep 30") {
        assert!(start.elapsed() < Duration::from_secs(5));
        h.step();
    }
    std::thread::sleep(Duration::from_millis(200));
    h.get_by_label("Stop").click();
    h.run();
    until_ended(&mut h);
    h.get_by_label_contains("Ended (the program was killed by signal 15)");
}

#[test]
fn a_bad_command_line_is_refused_under_the_form_and_nothing_starts() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    open_tab(&mut h, "Record application…");
    type_command(&mut h, "v4l2-ctl \"--all");
    h.get_by_label("Start").click();
    h.run();
    h.get_by_label_contains("unclosed quote");
    assert!(h.state().live().session().is_none());
    // A program that does not exist: the recording says so and ends.
    type_command(&mut h, "/no/such/program");
    h.get_by_label("Start").click();
    h.run();
    until_ended(&mut h);
    assert!(log_has(
        &h,
        LogKind::Error,
        "/no/such/program: no such program"
    ));
}

#[test]
fn a_running_process_is_attached_to_and_left_running_at_detach() {
    let mut h = harness(common::bundled(PolicyChoice::Fixed(Policy::MODERN)));
    open_tab(&mut h, "Attach to process…");
    h.get_by_label("Refresh");
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("sleep runs");
    let pid = child.id() as i32;
    h.state_mut().live_mut().record(AppAction::Attach(pid));
    h.run();
    std::thread::sleep(Duration::from_millis(300));
    h.step();
    h.get_by_label("Detach").click();
    h.run();
    until_ended(&mut h);
    h.get_by_label_contains(&format!(
        "Ended (detached from process {pid}, which runs on)"
    ));
    // Still running after the detach.
    assert!(child.try_wait().expect("waits").is_none());
    let _ = child.kill();
    let _ = child.wait();
}
