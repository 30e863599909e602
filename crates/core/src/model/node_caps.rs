//! What a node is, from its QUERYCAP: the buffer types it has. A queue ioctl on a type the
//! node has not is refused by V4L2 before vb2 sees it (EINVAL), and changes nothing; on an
//! M2M node a refused STREAMOFF still aborts the context (`m2m_abort.rs`).

use super::op::Op;
use super::{Model, Ret};
use crate::v4l2::{BufType, Errno, Outcome};

/// `V4L2_CAP_*` bits that give each buffer type.
fn caps_for(ty: BufType) -> u32 {
    const M2M: u32 = 0x8000;
    const M2M_MPLANE: u32 = 0x4000;
    match ty {
        BufType::VideoCapture => 0x1 | M2M,
        BufType::VideoOutput => 0x2 | M2M,
        BufType::VideoCaptureMplane => 0x1000 | M2M_MPLANE,
        BufType::VideoOutputMplane => 0x2000 | M2M_MPLANE,
    }
}

impl Op {
    /// The fd and buffer type of an operation on a queue.
    fn queue_target(&self) -> Option<(i32, BufType)> {
        match *self {
            Op::Reqbufs { fd, ty, .. }
            | Op::CreateBufs { fd, ty, .. }
            | Op::RemoveBufs { fd, ty, .. }
            | Op::Dqbuf { fd, ty, .. }
            | Op::Streamon { fd, ty }
            | Op::Streamoff { fd, ty }
            | Op::Expbuf { fd, ty, .. } => Some((fd, ty)),
            Op::Querybuf(t) | Op::PrepareBuf(t, _) | Op::Qbuf(t, _) => Some((t.fd, t.ty)),
            Op::BufToRequest { t, .. } => Some((t.fd, t.ty)),
            _ => None,
        }
    }
}

impl Model {
    /// VIDIOC_QUERYCAP on `fd`: the node's own capabilities, when the trace shows them.
    pub(super) fn querycap(
        &mut self,
        fd: i32,
        device_caps: Option<u32>,
        forced: Option<Outcome>,
    ) -> Outcome {
        // Only a node the trace saw opened: an fd from before the trace is not known to be
        // the device a lenient replay files it under.
        let dev = self.dev_of(fd);
        if dev.is_none() && !self.lenient {
            return Err(Errno::EBADF);
        }
        let pred = match forced {
            Some(Err(e)) => Err((e, None)),
            _ => Ok(()),
        };
        self.decide("VIDIOC_QUERYCAP", None, pred, forced)?;
        if let (Some(dev), Some(c)) = (dev, device_caps) {
            self.node_caps.insert(dev, c);
        }
        Ok(())
    }

    /// An operation on a buffer type its node has not: refused with EINVAL before vb2.
    /// By the node's QUERYCAP when the trace has it; without it, an EINVAL the kernel gave
    /// for a type never set up on the node is believed to be that (the model cannot tell
    /// which types a node has). `None` otherwise, or when the kernel took the call.
    pub(super) fn unsupported_type(
        &mut self,
        op: &Op,
        forced: Option<Outcome>,
    ) -> Option<(Outcome, Ret)> {
        let (fd, ty) = op.queue_target()?;
        // V4L2 checks the type after the ioctl exists, the driver has it and the priority
        // allows it: any other answer of the kernel is not this one.
        if forced.is_some_and(|r| r != Err(Errno::EINVAL)) {
            return None;
        }
        if matches!(op, Op::RemoveBufs { .. }) && !self.policy.has_remove_bufs() {
            return None;
        }
        let dev = self.dev_of(fd)?;
        match self.node_caps.get(&dev) {
            Some(&caps) if caps & caps_for(ty) != 0 => return None,
            Some(_) => {}
            None => {
                let key = crate::v4l2::QueueKey { dev, ty };
                let used = self
                    .queue(key)
                    .is_some_and(|q| q.accepted_memory != 0 || q.num_buffers() > 0);
                if used || forced != Some(Err(Errno::EINVAL)) {
                    return None;
                }
            }
        }
        let r = self.decide(op.name(), None, Err((Errno::EINVAL, None)), forced);
        if matches!(op, Op::Streamoff { .. }) {
            self.abort_on_refused_streamoff(dev, r);
        }
        Some((r, Ret::default()))
    }
}
