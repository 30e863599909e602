//! Which device each video fd of a trace refers to, followed event by event. Every consumer
//! that turns an ioctl's fd into a queue (replay, timeline, event filters) reads it the same
//! way.

use crate::v4l2::{BufType, QueueKey};

use super::event::{Body, IoctlArg};
use super::store::Trace;

/// Open video fds and their devices, latest last.
#[derive(Clone, Debug, Default)]
pub struct VideoFds {
    open: Vec<(i32, u16)>,
}

impl VideoFds {
    /// Takes an event into account: an open adds an fd, a dup of a video fd adds the copy (on
    /// the same device: the same `struct file`), a close of a video fd removes it. Returns
    /// whether the event closed a video fd.
    pub fn follow(&mut self, body: &Body) -> bool {
        match *body {
            Body::Open { fd, dev, .. } => {
                self.open.push((fd, dev));
                false
            }
            Body::Dup { fd, new_fd } => {
                // dup2/dup3 onto an open fd closes it first.
                let closed = self.close(new_fd);
                if let Some(&(_, dev)) = self.open.iter().rev().find(|&&(f, _)| f == fd) {
                    self.open.push((new_fd, dev));
                }
                closed
            }
            Body::Close { fd } => self.close(fd),
            _ => false,
        }
    }

    fn close(&mut self, fd: i32) -> bool {
        match self.open.iter().rposition(|&(f, _)| f == fd) {
            Some(pos) => {
                self.open.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Whether `fd` is a video fd the trace showed opened (or duplicated) and not closed.
    pub fn is_open(&self, fd: i32) -> bool {
        self.open.iter().any(|&(f, _)| f == fd)
    }

    /// The device of a video fd; device 0 for an fd the trace never showed opened.
    pub fn dev(&self, fd: i32) -> u16 {
        self.open
            .iter()
            .rev()
            .find(|&&(f, _)| f == fd)
            .map(|&(_, d)| d)
            .unwrap_or(0)
    }

    /// The queue an ioctl on `fd` with argument `arg` addresses.
    pub fn queue(&self, trace: &Trace, fd: i32, arg: u32) -> Option<QueueKey> {
        Some(QueueKey {
            dev: self.dev(fd),
            ty: trace.arg(arg)?.buf_type()?,
        })
    }
}

impl IoctlArg {
    /// The buffer type the argument names; `None` when it was not decoded or names no queue
    /// (QUERYCAP).
    pub fn buf_type(&self) -> Option<BufType> {
        match *self {
            IoctlArg::Alloc { ty, .. }
            | IoctlArg::Remove { ty, .. }
            | IoctlArg::Stream { ty }
            | IoctlArg::Expbuf { ty, .. } => Some(ty),
            IoctlArg::Buffer(b) => Some(b.ty),
            IoctlArg::Undecoded
            | IoctlArg::Querycap(_)
            | IoctlArg::Command { .. }
            | IoctlArg::Event { .. }
            | IoctlArg::Request { .. }
            | IoctlArg::Controls { .. } => None,
        }
    }
}
