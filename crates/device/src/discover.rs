//! Finding V4L2 nodes: by path, or by the name the driver gave them in
//! `/sys/class/video4linux/*/name` (`vivid-000-vid-cap`), which unlike `/dev/videoN` does not
//! depend on probe order.

use std::fs::File;
use std::path::{Path, PathBuf};

use vb2scope_core::v4l2::Errno;

use super::error::DeviceError;
use super::v4l2::{self, Caps};

const SYSFS: &str = "/sys/class/video4linux";

/// One node of `/sys/class/video4linux`.
#[derive(Clone, Debug)]
pub struct DeviceEntry {
    pub path: PathBuf,
    pub name: String,
    pub caps: Result<Caps, String>,
}

/// Every V4L2 node, sorted by path, with what QUERYCAP says (or why it could not be asked).
pub fn list() -> Vec<DeviceEntry> {
    let Ok(dir) = std::fs::read_dir(SYSFS) else {
        return Vec::new();
    };
    let mut out: Vec<DeviceEntry> = dir
        .flatten()
        .map(|e| {
            let node = e.file_name().to_string_lossy().into_owned();
            let name = std::fs::read_to_string(e.path().join("name"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            let path = Path::new("/dev").join(&node);
            let caps = query(&path).map_err(|e| e.to_string());
            DeviceEntry { path, name, caps }
        })
        .collect();
    out.sort_by_key(|d| natural(&d.path));
    out
}

fn natural(p: &Path) -> (String, u64) {
    let s = p.to_string_lossy();
    let digits = s.trim_start_matches(|c: char| !c.is_ascii_digit());
    let head = s[..s.len() - digits.len()].to_owned();
    (head, digits.parse().unwrap_or(u64::MAX))
}

/// The path of a device given as a path or as its sysfs name.
pub fn resolve(spec: &str) -> Result<PathBuf, DeviceError> {
    let p = Path::new(spec);
    if spec.contains('/') || p.exists() {
        if p.exists() {
            return Ok(p.to_path_buf());
        }
        return Err(DeviceError::NotFound(spec.to_owned()));
    }
    let Ok(dir) = std::fs::read_dir(SYSFS) else {
        return Err(DeviceError::NotFound(spec.to_owned()));
    };
    let mut hits: Vec<PathBuf> = dir
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path().join("name")).is_ok_and(|n| n.trim() == spec))
        .map(|e| Path::new("/dev").join(e.file_name()))
        .collect();
    hits.sort();
    match hits.as_slice() {
        [] => Err(DeviceError::NotFound(spec.to_owned())),
        [one] => Ok(one.clone()),
        // Which one comes first depends on probe order: make the user choose.
        many => Err(DeviceError::Ambiguous {
            name: spec.to_owned(),
            paths: many
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The name sysfs gives the node `path` leads to (`vivid-000-vid-cap`), found by its device
/// number, so that a symlink or an fd's `/proc/PID/fd/N` names it too; `None` when it is no
/// character device or sysfs has no name for it.
pub fn sysfs_name(path: &Path) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::metadata(path).ok()?;
    if !m.file_type().is_char_device() {
        return None;
    }
    let (major, minor) = (
        nix::sys::stat::major(m.rdev()),
        nix::sys::stat::minor(m.rdev()),
    );
    let name = std::fs::read_to_string(format!("/sys/dev/char/{major}:{minor}/name")).ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Opens a node read-write, optionally non-blocking, with errors in users' words.
pub fn open(path: &Path, nonblock: bool) -> Result<File, DeviceError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true);
    if nonblock {
        o.custom_flags(nix::libc::O_NONBLOCK);
    }
    o.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::PermissionDenied => DeviceError::Permission {
            path: path.to_path_buf(),
        },
        std::io::ErrorKind::NotFound => DeviceError::NotFound(path.display().to_string()),
        _ => DeviceError::Open {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// QUERYCAP on a path; `NotV4l2` when the node answers ENOTTY (a plain file, another device).
pub fn query(path: &Path) -> Result<Caps, DeviceError> {
    let f = open(path, true)?;
    v4l2::querycap(&f).map_err(|e: Errno| DeviceError::NotV4l2 {
        path: path.to_path_buf(),
        errno: super::error::errno_text(e),
    })
}

/// Per queue of a node: which memory types REQBUFS(0) says it supports, in words. REQBUFS(0)
/// allocates nothing; a queue another process owns answers EBUSY.
pub fn queue_memory(path: &Path) -> Vec<(vb2scope_core::v4l2::BufType, String)> {
    let Ok(f) = open(path, true) else {
        return Vec::new();
    };
    let Ok(caps) = v4l2::querycap(&f) else {
        return Vec::new();
    };
    caps.queues()
        .into_iter()
        .map(|ty| {
            let text = match v4l2::reqbufs(&f, ty, vb2scope_core::v4l2::Memory::Mmap, 0) {
                Ok((_, bits)) => {
                    let names = [
                        (0x1, "mmap"),
                        (0x2, "userptr"),
                        (0x4, "dmabuf"),
                        (0x8, "requests"),
                        (0x10, "orphaned-bufs"),
                        (0x100, "remove-bufs"),
                    ];
                    let v: Vec<&str> = names
                        .iter()
                        .filter(|(b, _)| bits & b != 0)
                        .map(|(_, n)| *n)
                        .collect();
                    v.join(" ")
                }
                Err(e) => format!("REQBUFS(0): {}", super::error::errno_text(e)),
            };
            (ty, text)
        })
        .collect()
}
