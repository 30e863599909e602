//! The syscall a kernel event happened in, as far as attribution cares: which device, which
//! queue, which buffer, and how many memops of each kind it holds.

use crate::trace::{Body, IoctlArg, IoctlCmd, VideoFds};
use crate::v4l2::{BufType, MemopKind, Memory};

use super::super::kprobes::{Probe, classify};
use super::KEv;
use super::resolve::Resolver;

/// Memop counters, indexed as `MemopKind::ALL`.
pub(super) type PerKind = [u32; MemopKind::ALL.len()];

pub(super) fn kind_index(k: MemopKind) -> usize {
    MemopKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

/// The buffer of a QBUF, PREPARE_BUF or successful DQBUF.
#[derive(Clone, Debug)]
pub(super) struct WinBuf {
    pub index: u32,
    pub memory: Option<Memory>,
    /// `m` of each plane: offset, user address or dma-buf fd; `None` where the source did
    /// not record it.
    pub planes: Vec<Option<u64>>,
    /// The argument's index in the trace, to fill in what the kernel shows.
    pub arg: u32,
    /// Planes whose unrecorded fd a `dma_buf_get` of this window filled in.
    pub filled: Vec<u8>,
}

/// One syscall window.
#[derive(Clone, Debug, Default)]
pub(super) struct Win {
    /// The video device of the syscall's fd, if it is one.
    pub dev: Option<u16>,
    pub cmd: Option<IoctlCmd>,
    pub ty: Option<BufType>,
    pub buf: Option<WinBuf>,
    /// REQBUFS / CREATE_BUFS: first index and number of buffers granted.
    pub alloc: Option<(Option<u32>, u32)>,
    /// EXPBUF: buffer and plane.
    pub expbuf: Option<(u32, u8)>,
    /// mmap() of a video fd: the offset.
    pub mmap_offset: Option<u64>,
    /// vb2 frees buffers here (REQBUFS, CREATE_BUFS, REMOVE_BUFS, closing a video fd).
    pub frees: bool,
    /// Memops of each kind in the whole window, and seen so far.
    pub total: PerKind,
    pub seen: PerKind,
    /// `dma_buf_get` results in this window: dma-buf pointer and plane.
    pub got: Vec<(u64, u8)>,
    /// `dma_buf_get` calls seen so far, by fd.
    pub gets: Vec<i64>,
    /// DECODER_CMD / ENCODER_CMD whose command the source did not record: its argument.
    pub command_arg: Option<u32>,
}

impl Win {
    /// Planes of the window's buffer (1 for single-planar).
    pub fn planes(&self) -> usize {
        self.buf.as_ref().map_or(1, |b| b.planes.len().max(1))
    }
}

/// Whether `fd` is an open video fd: a close of it would be a video close.
fn is_video(fds: &VideoFds, fd: i32) -> bool {
    fds.clone().follow(&Body::Close { fd })
}

impl Resolver<'_> {
    /// The window of user event `u`, with the kernel events that happened inside it.
    pub(super) fn open_window(&mut self, u: usize, events: &[&KEv]) -> Win {
        let mut w = Win::default();
        for k in events {
            if let (true, Some(Probe::Mem(kind))) =
                (k.rec.body.starts_with('('), classify(k.rec.name))
                && let Some(n) = w.total.get_mut(kind_index(kind))
            {
                *n += 1;
            }
        }
        let Some(e) = self.user.events.get(u) else {
            return w;
        };
        match e.body {
            Body::Ioctl {
                fd,
                cmd,
                result,
                arg,
            } => {
                // A media request's ioctls are on its own fd, not a video node's: what the
                // driver does inside them is told apart by the events' owners.
                let media = matches!(
                    cmd,
                    IoctlCmd::RequestAlloc | IoctlCmd::RequestQueue | IoctlCmd::RequestReinit
                );
                w.dev = (!media).then(|| self.fds.dev(fd));
                w.cmd = Some(cmd);
                let a = self.user.arg(arg).copied();
                w.ty = a.and_then(|a| a.buf_type());
                match (cmd, a) {
                    (
                        IoctlCmd::Reqbufs | IoctlCmd::CreateBufs,
                        Some(IoctlArg::Alloc {
                            count,
                            count_out,
                            index,
                            memory,
                            ..
                        }),
                    ) => {
                        let first = if cmd == IoctlCmd::Reqbufs {
                            Some(0)
                        } else {
                            index
                        };
                        // Only MMAP buffers get memory here; another queue's allocations
                        // met in this call are not these buffers'.
                        if memory == Memory::Mmap {
                            w.alloc = Some((first, count_out.unwrap_or(count)));
                        }
                        w.frees = true;
                    }
                    (IoctlCmd::RemoveBufs, _) => w.frees = true,
                    (
                        IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd,
                        Some(IoctlArg::Command { cmd: None, .. }),
                    ) => w.command_arg = Some(arg),
                    (IoctlCmd::Expbuf, Some(IoctlArg::Expbuf { index, plane, .. })) => {
                        w.expbuf = Some((index, plane));
                    }
                    (
                        IoctlCmd::Qbuf | IoctlCmd::PrepareBuf | IoctlCmd::Dqbuf,
                        Some(IoctlArg::Buffer(b)),
                    ) if cmd != IoctlCmd::Dqbuf || result.is_ok() => {
                        let stored = self.user.planes_of(&b);
                        let planes = if stored.is_empty() {
                            vec![b.known_m()]
                        } else {
                            stored.iter().map(|p| p.known_m()).collect()
                        };
                        w.buf = Some(WinBuf {
                            index: b.index,
                            memory: b.memory,
                            planes,
                            arg,
                            filled: Vec::new(),
                        });
                    }
                    _ => {}
                }
            }
            Body::Mmap { fd, ext } if fd >= 0 && is_video(&self.fds, fd) => {
                w.dev = Some(self.fds.dev(fd));
                w.mmap_offset = Some(self.user.extent(ext).offset);
            }
            Body::Close { fd } if is_video(&self.fds, fd) => {
                w.dev = Some(self.fds.dev(fd));
                w.frees = true;
            }
            _ => {}
        }
        w
    }

    /// After user event `u` and its window: follow its fds, learn its MMAP offsets.
    pub(super) fn close_window(&mut self, u: usize) {
        let Some(e) = self.user.events.get(u) else {
            return;
        };
        if let Body::Ioctl {
            fd,
            cmd,
            result,
            arg,
        } = e.body
        {
            let key = self.fds.queue(self.user, fd, arg);
            if let Some(q) = self.user_queues.get_mut(u) {
                *q = key;
            }
            match (cmd, self.user.arg(arg), key) {
                (IoctlCmd::Reqbufs, _, Some(key)) if result.is_ok() => {
                    // New buffers get new offsets.
                    self.offsets
                        .retain(|&(d, _), &mut (t, _, _)| (d, t) != (key.dev, key.ty));
                }
                (
                    IoctlCmd::Querybuf | IoctlCmd::Qbuf | IoctlCmd::PrepareBuf | IoctlCmd::Dqbuf,
                    Some(IoctlArg::Buffer(b)),
                    Some(key),
                ) if result.is_ok() && b.memory == Some(Memory::Mmap) => {
                    let stored = self.user.planes_of(b);
                    if let (true, Some(m)) = (stored.is_empty(), b.known_m()) {
                        self.offsets.insert((key.dev, m), (b.ty, b.index, 0));
                    }
                    for (p, pl) in stored.iter().enumerate() {
                        if let Some(m) = pl.known_m() {
                            self.offsets.insert((key.dev, m), (b.ty, b.index, p as u8));
                        }
                    }
                }
                _ => {}
            }
        }
        self.fds.follow(&e.body);
    }
}
