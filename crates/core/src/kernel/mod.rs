//! The kernel side of a recording: ftrace text (vb2/v4l2 tracepoints, printk, and kprobes on
//! the vb2 memops, the dma-buf core and the vb2 core) turned into observed events and merged
//! into the userspace trace of the same run.
//!
//! * `ftrace.rs`: one line of ftrace text, zero-copy.
//! * `kprobes.rs`: our kprobe definitions and what their events mean.
//! * `merge.rs`: placing kernel events in the syscall windows they happened in and
//!   attributing memops to buffer planes.

pub mod ftrace;
pub mod kprobes;
pub mod merge;

pub use merge::{MergeCounts, Merged, merge, merge_apart, merge_pinned};
