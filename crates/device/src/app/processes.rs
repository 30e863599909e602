//! The processes a recording can attach to: those holding a video node, a media controller
//! or a dma-buf open, found in /proc.

use super::procfs::{is_dmabuf, is_video_node};

/// A running process with media files open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaProcess {
    pub pid: i32,
    /// Its command line (or `comm` when it has none, as kernel threads).
    pub command: String,
    /// The media files it holds: `/dev/video0`, `/dev/media0`, `dma-buf ×4`.
    pub holds: Vec<String>,
}

/// Whether `path` is a media controller node.
fn is_media_node(path: &str) -> bool {
    path.strip_prefix("/dev/media")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// What process `pid` holds of interest, or `None` when nothing (or when /proc does not let
/// us look: another user's process, not traceable either).
fn holdings(pid: i32) -> Option<Vec<String>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut nodes: Vec<String> = Vec::new();
    let mut dmabufs = 0usize;
    for e in dir.flatten() {
        let Ok(target) = std::fs::read_link(e.path()) else {
            continue;
        };
        let t = target.display().to_string();
        if is_video_node(&t) || is_media_node(&t) {
            if !nodes.contains(&t) {
                nodes.push(t);
            }
        } else if is_dmabuf(&t) {
            dmabufs += 1;
        }
    }
    nodes.sort();
    if dmabufs > 0 {
        nodes.push(format!("dma-buf ×{dmabufs}"));
    }
    (!nodes.is_empty()).then_some(nodes)
}

fn command_of(pid: i32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = cmdline
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if words.is_empty() {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| format!("[{}]", c.trim()))
            .unwrap_or_default()
    } else {
        words.join(" ")
    }
}

/// Every process (but this one) that holds a video node, media node or dma-buf, by pid.
pub fn media_processes() -> Vec<MediaProcess> {
    let me = std::process::id() as i32;
    let mut out: Vec<MediaProcess> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&pid| pid != me)
                .filter_map(|pid| {
                    Some(MediaProcess {
                        pid,
                        holds: holdings(pid)?,
                        command: command_of(pid),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|p| p.pid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_nodes_are_told_by_their_path() {
        assert!(is_media_node("/dev/media0"));
        assert!(!is_media_node("/dev/media"));
        assert!(!is_media_node("/dev/mediax"));
    }

    #[test]
    fn a_process_without_media_files_is_not_listed() {
        let me = std::process::id() as i32;
        assert!(media_processes().iter().all(|p| p.pid != me));
        assert_eq!(holdings(me), None, "the test holds no media file");
        assert!(command_of(me).contains("vb2scope"), "{}", command_of(me));
    }
}
