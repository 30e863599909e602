//! Driving a real V4L2 device through v4l2r, recording every call with its real result as an
//! observed event. Around the pure core: the model never sees a device, only the trace this
//! layer writes.

mod app;
mod bench;
mod bitstream;
mod discover;
mod dmabuf;
mod error;
mod events;
mod live;
mod memory;
mod ops;
mod raw;
mod requests;
mod scenario;
mod session;
mod stream;
mod v4l2;
mod watchdog;

pub mod record;
pub mod tracefs;

pub use app::{
    AppError, AppExit, AppRecording, AppStats, AppTarget, MediaProcess, ProgramSpec, ProgramStdio,
    attach_process, media_processes, record_program,
};
pub use bench::{LoopCost, cpu_ns, plain_loop};
pub use discover::{DeviceEntry, list, open, query, queue_memory, resolve};
pub use dmabuf::DmabufSource;
pub use error::{DeviceError, errno_text};
pub use live::{Live, LiveConfig, LiveOp, Update};
pub use ops::{PlaneMem, Ready};
pub use scenario::{DQBUF_TIMEOUT_MS, ScenarioError, ScenarioReport, run_scenario, scenario_trace};
pub use session::{Session, Sink, now_ns, recording_clock};
pub use stream::{StreamConfig, StreamStats, stream};
pub use tracefs::{
    CaptureOptions, CaptureOutput, KernelCapture, KernelError, STATE_FILE, StaleCleanup,
    cleanup_stale, kernel_release,
};
pub use v4l2::Caps;
