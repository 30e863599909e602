//! What /proc says of a traced task's files: where an fd points, whether it is non-blocking,
//! and which process a thread belongs to.

/// The path an fd of task `tid` points to (`/dev/video0`, `/dmabuf:`, `anon_inode:…`).
pub fn fd_path(tid: i32, fd: i32) -> Option<String> {
    std::fs::read_link(format!("/proc/{tid}/fd/{fd}"))
        .ok()
        .map(|p| p.display().to_string())
}

/// Whether an fd of task `tid` has O_NONBLOCK set (`flags:` of its fdinfo, in octal).
pub fn fd_nonblock(tid: i32, fd: i32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{fd}")) else {
        return false;
    };
    text.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .is_some_and(|f| f & 0o4000 != 0)
}

/// The process (thread group) task `tid` belongs to.
pub fn tgid(tid: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// What identifies a dma-buf, whichever fd and process it is seen through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmabufIdent {
    /// Its inode (`stat` of the fd): one per dma-buf, the same in every process.
    pub ino: u64,
    pub size: u64,
    /// `exp_name` of its fdinfo: the exporter (`videobuf2_vmalloc`, a heap's `system`).
    pub exporter: String,
}

/// The identity of the dma-buf fd `fd` of task `tid` refers to; `None` when it refers to no
/// dma-buf (or is gone).
pub fn dmabuf_ident(tid: i32, fd: i32) -> Option<DmabufIdent> {
    use std::os::unix::fs::MetadataExt;
    let path = fd_path(tid, fd).filter(|p| is_dmabuf(p))?;
    let meta = std::fs::metadata(format!("/proc/{tid}/fd/{fd}")).ok()?;
    let info = std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{fd}")).unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    Some(DmabufIdent {
        ino: if own_inode(&path) { meta.ino() } else { 0 },
        // The dma-buf's inode has its size; fdinfo says it too.
        size: field("size:")
            .and_then(|s| s.parse().ok())
            .unwrap_or(meta.size()),
        exporter: field("exp_name:").unwrap_or_default(),
    })
}

/// Whether a dma-buf shown as `path` has an inode of its own (Linux 5.3 on: `/dmabuf:NAME`),
/// rather than the one anonymous inode every dma-buf shared before (`anon_inode:dmabuf`),
/// which would make them all look like one.
pub fn own_inode(path: &str) -> bool {
    path.starts_with("/dmabuf:")
}

/// Whether `path` is a V4L2 video node.
pub fn is_video_node(path: &str) -> bool {
    path.strip_prefix("/dev/video")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// Whether `path` is what /proc shows for a dma-buf fd.
pub fn is_dmabuf(path: &str) -> bool {
    path.starts_with("/dmabuf:") || path.starts_with("anon_inode:dmabuf")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_nodes_and_dmabufs_are_told_by_their_path() {
        assert!(is_video_node("/dev/video0"));
        assert!(is_video_node("/dev/video12"));
        assert!(!is_video_node("/dev/video"));
        assert!(!is_video_node("/dev/vide0"));
        assert!(!is_video_node("/dev/video0x"));
        assert!(is_dmabuf("/dmabuf:"));
        assert!(is_dmabuf("anon_inode:dmabuf"));
        assert!(!is_dmabuf("/dev/dma_heap/system"));
        assert!(own_inode("/dmabuf:"));
        assert!(
            !own_inode("anon_inode:dmabuf"),
            "shared by every dma-buf before 5.3"
        );
    }

    #[test]
    fn a_file_that_is_no_dmabuf_has_no_dmabuf_identity() {
        use std::os::fd::AsRawFd;
        let me = std::process::id() as i32;
        let f = std::fs::File::open("/proc/self/status").expect("readable");
        assert_eq!(dmabuf_ident(me, f.as_raw_fd()), None);
        assert_eq!(dmabuf_ident(me, 1 << 20), None);
    }

    #[test]
    fn this_process_is_its_own_thread_group() {
        let me = std::process::id() as i32;
        assert_eq!(tgid(me), Some(me));
    }

    #[test]
    fn o_nonblock_is_read_from_fdinfo() {
        use std::os::fd::AsRawFd;
        let me = std::process::id() as i32;
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK).expect("a pipe");
        let f = std::fs::File::open("/proc/self/status").expect("readable");
        assert!(fd_nonblock(me, r.as_raw_fd()));
        assert!(fd_nonblock(me, w.as_raw_fd()));
        assert!(!fd_nonblock(me, f.as_raw_fd()));
        assert_eq!(
            fd_path(me, f.as_raw_fd()).as_deref(),
            Some("/proc/".to_owned() + &me.to_string() + "/status").as_deref()
        );
    }
}
