//! What can go wrong with a device before or around the calls a trace records. A failing
//! ioctl is not an error here: it is recorded with its errno.

use std::path::PathBuf;

use vb2scope_core::v4l2::{BufType, Errno, Memory};

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "no V4L2 device {0:?}: no such path, and no /sys/class/video4linux/*/name matches (`vb2scope devices` lists them)"
    )]
    NotFound(String),
    #[error("several devices are named {name:?} ({paths}): give a path")]
    Ambiguous { name: String, paths: String },
    #[error("{path}: permission denied (run as a user in the `video` group, or as root)")]
    Permission { path: PathBuf },
    #[error("{path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a V4L2 device (VIDIOC_QUERYCAP: {errno})")]
    NotV4l2 { path: PathBuf, errno: String },
    #[error("{path} has no {} queue (it has: {have})", ty.as_str())]
    NoQueue {
        path: PathBuf,
        ty: BufType,
        have: String,
    },
    #[error("{path}: the {} queue does not support {} memory (VIDIOC_REQBUFS: {errno})", ty.as_str(), memory.as_str())]
    NoMemory {
        path: PathBuf,
        ty: BufType,
        memory: Memory,
        errno: String,
    },
    #[error("{path} is busy: another process owns its buffers (EBUSY)")]
    Busy { path: PathBuf },
    #[error("{what}: {errno}")]
    Call { what: String, errno: String },
    #[error("no dma-buf source: {0}")]
    NoDmabufSource(String),
    #[error("the device went away: {0}")]
    Gone(String),
    #[error("{0}")]
    Scenario(String),
}

impl DeviceError {
    pub fn call(what: impl Into<String>, e: Errno) -> DeviceError {
        DeviceError::Call {
            what: what.into(),
            errno: errno_text(e),
        }
    }
}

pub fn errno_text(e: Errno) -> String {
    match e.name() {
        Some(n) => format!("{n} ({})", e.0),
        None => format!("errno {}", e.0),
    }
}
