//! V4L2 calls through v4l2r, in the trace's own terms: buffer types, memory types, decoded
//! `v4l2_buffer`s and errno values.

use std::fs::File;
use std::os::fd::OwnedFd;

use v4l2r::QueueType;
use v4l2r::bindings::{v4l2_buffer, v4l2_create_buffers, v4l2_format};
use v4l2r::ioctl::{self, ExpbufFlags, IntoErrno, MemoryConsistency, UncheckedV4l2Buffer};
use v4l2r::memory::MemoryType;

use vb2scope_core::trace::{V4l2Buffer, V4l2Plane};
use vb2scope_core::v4l2::{BufType, Errno, Memory};

use super::raw;

pub fn errno_of(e: impl IntoErrno) -> Errno {
    Errno(e.into_errno().unsigned_abs().min(u32::from(u16::MAX)) as u16)
}

pub fn queue_type(ty: BufType) -> QueueType {
    match ty {
        BufType::VideoCapture => QueueType::VideoCapture,
        BufType::VideoOutput => QueueType::VideoOutput,
        BufType::VideoCaptureMplane => QueueType::VideoCaptureMplane,
        BufType::VideoOutputMplane => QueueType::VideoOutputMplane,
    }
}

pub fn buf_type(raw: u32) -> Option<BufType> {
    Some(match raw {
        1 => BufType::VideoCapture,
        2 => BufType::VideoOutput,
        9 => BufType::VideoCaptureMplane,
        10 => BufType::VideoOutputMplane,
        _ => return None,
    })
}

pub fn memory_type(m: Memory) -> MemoryType {
    match m {
        Memory::Mmap => MemoryType::Mmap,
        Memory::Userptr => MemoryType::UserPtr,
        Memory::Dmabuf => MemoryType::DmaBuf,
    }
}

pub fn memory(raw: u32) -> Option<Memory> {
    Some(match raw {
        1 => Memory::Mmap,
        2 => Memory::Userptr,
        4 => Memory::Dmabuf,
        _ => return None,
    })
}

/// What QUERYCAP says about a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caps {
    pub driver: String,
    pub card: String,
    pub bus_info: String,
    /// The capabilities of this node (`device_caps`).
    pub device_caps: u32,
}

impl Caps {
    /// The buffer queues the node has.
    pub fn queues(&self) -> Vec<BufType> {
        const CAPTURE: u32 = 0x1;
        const OUTPUT: u32 = 0x2;
        const CAPTURE_MPLANE: u32 = 0x1000;
        const OUTPUT_MPLANE: u32 = 0x2000;
        const M2M_MPLANE: u32 = 0x4000;
        const M2M: u32 = 0x8000;
        let c = self.device_caps;
        let mut q = Vec::new();
        if c & (CAPTURE | M2M) != 0 {
            q.push(BufType::VideoCapture);
        }
        if c & (OUTPUT | M2M) != 0 {
            q.push(BufType::VideoOutput);
        }
        if c & (CAPTURE_MPLANE | M2M_MPLANE) != 0 {
            q.push(BufType::VideoCaptureMplane);
        }
        if c & (OUTPUT_MPLANE | M2M_MPLANE) != 0 {
            q.push(BufType::VideoOutputMplane);
        }
        q
    }

    pub fn streaming(&self) -> bool {
        self.device_caps & 0x0400_0000 != 0
    }
}

pub fn querycap(f: &File) -> Result<Caps, Errno> {
    querycap_with_device(f).map(|(c, _)| c)
}

/// QUERYCAP, with the capabilities of the whole device (`capabilities`) beside the node's.
pub fn querycap_with_device(f: &File) -> Result<(Caps, u32), Errno> {
    let c: ioctl::Capability = ioctl::querycap(f).map_err(errno_of)?;
    let caps = Caps {
        driver: c.driver.clone(),
        card: c.card.clone(),
        bus_info: c.bus_info.clone(),
        device_caps: c.device_caps().bits(),
    };
    Ok((caps, c.capabilities().bits()))
}

/// The current format of a queue: bytes per plane.
pub fn plane_sizes(f: &File, ty: BufType) -> Result<Vec<u32>, Errno> {
    let fmt: v4l2r::Format = ioctl::g_fmt(f, queue_type(ty)).map_err(errno_of)?;
    let sizes: Vec<u32> = fmt.plane_fmt.iter().map(|p| p.sizeimage).collect();
    if sizes.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(sizes)
}

/// Granted count and the queue's `V4L2_BUF_CAP_*` bits.
pub fn reqbufs(f: &File, ty: BufType, mem: Memory, count: u32) -> Result<(u32, u32), Errno> {
    let r: ioctl::RequestBuffers = ioctl::reqbufs(
        f,
        queue_type(ty),
        memory_type(mem),
        count,
        MemoryConsistency::empty(),
    )
    .map_err(errno_of)?;
    Ok((r.count, r.capabilities.bits()))
}

/// First new index and count.
pub fn create_bufs(f: &File, ty: BufType, mem: Memory, count: u32) -> Result<(u32, u32), Errno> {
    let fmt: v4l2_format = ioctl::g_fmt(f, queue_type(ty)).map_err(errno_of)?;
    let r: v4l2_create_buffers =
        ioctl::create_bufs(f, count, memory_type(mem), fmt).map_err(errno_of)?;
    Ok((r.index, r.count))
}

pub fn remove_bufs(f: &File, ty: BufType, index: u32, count: u32) -> Result<(), Errno> {
    raw::remove_bufs(f, queue_type(ty) as u32, index, count).map_err(|e| Errno(e as i32 as u16))
}

pub fn streamon(f: &File, ty: BufType) -> Result<(), Errno> {
    ioctl::streamon(f, queue_type(ty)).map_err(errno_of)
}

pub fn streamoff(f: &File, ty: BufType) -> Result<(), Errno> {
    ioctl::streamoff(f, queue_type(ty)).map_err(errno_of)
}

pub fn expbuf(f: &File, ty: BufType, index: u32, plane: u8) -> Result<OwnedFd, Errno> {
    ioctl::expbuf(
        f,
        queue_type(ty),
        index as usize,
        usize::from(plane),
        ExpbufFlags::RDWR | ExpbufFlags::CLOEXEC,
    )
    .map_err(errno_of)
}

/// Asks for the fastest frame rate the queue offers (vivid defaults to 5 fps); best effort.
pub fn set_frame_rate(f: &File, ty: BufType, fps: u32) -> Result<(), Errno> {
    let mut parm: v4l2r::bindings::v4l2_streamparm =
        ioctl::g_parm(f, queue_type(ty)).map_err(errno_of)?;
    if ty.is_output() {
        parm.parm.output = v4l2r::bindings::v4l2_outputparm {
            timeperframe: v4l2r::bindings::v4l2_fract {
                numerator: 1,
                denominator: fps,
            },
            ..Default::default()
        };
    } else {
        parm.parm.capture = v4l2r::bindings::v4l2_captureparm {
            timeperframe: v4l2r::bindings::v4l2_fract {
                numerator: 1,
                denominator: fps,
            },
            ..Default::default()
        };
    }
    let _: v4l2r::bindings::v4l2_streamparm = ioctl::s_parm(f, parm).map_err(errno_of)?;
    Ok(())
}

/// What a buffer ioctl carries in: the buffer, its memory and each plane's `m` and length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BufferIn {
    pub index: u32,
    pub memory: Option<Memory>,
    /// Per plane: `m` (userptr or fd) and length; MMAP needs neither.
    pub planes: Vec<(u64, u32)>,
    /// Output queues: bytes used per plane.
    pub bytesused: Vec<u32>,
    /// A media request to put the buffer into (`V4L2_BUF_FLAG_REQUEST_FD`).
    pub request_fd: Option<i32>,
}

fn unchecked(ty: BufType, b: &BufferIn) -> UncheckedV4l2Buffer {
    let mut u = UncheckedV4l2Buffer::new_for_querybuf(queue_type(ty), Some(b.index));
    u.0.memory = b.memory.map(|m| memory_type(m) as u32).unwrap_or(0);
    if let Some(fd) = b.request_fd {
        u.0.flags |= vb2scope_core::v4l2::flags::REQUEST_FD;
        u.0.__bindgen_anon_1 = v4l2r::bindings::v4l2_buffer__bindgen_ty_2 { request_fd: fd };
    }
    let set_m = |mem: Option<Memory>, m: u64| -> v4l2r::bindings::v4l2_buffer__bindgen_ty_1 {
        match mem {
            Some(Memory::Userptr) => v4l2r::bindings::v4l2_buffer__bindgen_ty_1 { userptr: m },
            Some(Memory::Dmabuf) => v4l2r::bindings::v4l2_buffer__bindgen_ty_1 {
                fd: m as i64 as i32,
            },
            _ => v4l2r::bindings::v4l2_buffer__bindgen_ty_1 { offset: m as u32 },
        }
    };
    let set_pm = |mem: Option<Memory>, m: u64| -> v4l2r::bindings::v4l2_plane__bindgen_ty_1 {
        match mem {
            Some(Memory::Userptr) => v4l2r::bindings::v4l2_plane__bindgen_ty_1 { userptr: m },
            Some(Memory::Dmabuf) => v4l2r::bindings::v4l2_plane__bindgen_ty_1 {
                fd: m as i64 as i32,
            },
            _ => v4l2r::bindings::v4l2_plane__bindgen_ty_1 {
                mem_offset: m as u32,
            },
        }
    };
    if let Some(planes) = &mut u.1 {
        let n = b.planes.len().max(b.bytesused.len()).clamp(1, planes.len());
        u.0.length = n as u32;
        for (i, p) in planes.iter_mut().take(n).enumerate() {
            if let Some(&(m, len)) = b.planes.get(i) {
                p.m = set_pm(b.memory, m);
                p.length = len;
            }
            p.bytesused = b.bytesused.get(i).copied().unwrap_or(0);
        }
    } else {
        if let Some(&(m, len)) = b.planes.first() {
            u.0.m = set_m(b.memory, m);
            u.0.length = len;
        }
        u.0.bytesused = b.bytesused.first().copied().unwrap_or(0);
    }
    u
}

/// Decodes a `v4l2_buffer` the kernel wrote back.
pub fn decode(u: &UncheckedV4l2Buffer, nonblock: bool) -> (V4l2Buffer, Vec<V4l2Plane>) {
    let b: &v4l2_buffer = &u.0;
    let ty = buf_type(b.type_).unwrap_or(BufType::VideoCapture);
    let mem = memory(b.memory);
    let mut planes = Vec::new();
    if let Some(ps) = &u.1 {
        for p in ps.iter().take(b.length as usize) {
            planes.push(V4l2Plane {
                bytesused: p.bytesused,
                length: p.length,
                data_offset: p.data_offset,
                m: raw::plane_m(p, mem),
                m_known: mem.is_some(),
            });
        }
    }
    let single = u.1.is_none();
    let buf = V4l2Buffer {
        index: b.index,
        ty,
        memory: mem,
        flags: b.flags,
        field: b.field.min(255) as u8,
        bytesused: if single { b.bytesused } else { 0 },
        length: if single {
            b.length
        } else {
            planes.len() as u32
        },
        m: if single { raw::buffer_m(b, mem) } else { 0 },
        m_known: single && mem.is_some(),
        sequence: b.sequence,
        timestamp_ns: (b.timestamp.tv_sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add((b.timestamp.tv_usec.max(0) as u64).saturating_mul(1000)),
        planes_first: 0,
        planes_count: 0,
        request_fd: if b.flags & vb2scope_core::v4l2::flags::REQUEST_FD != 0 {
            u16::try_from(raw::buffer_request_fd(b)).unwrap_or(V4l2Buffer::NO_REQUEST)
        } else {
            V4l2Buffer::NO_REQUEST
        },
        nonblock,
    };
    (buf, planes)
}

/// What the caller passed, as it would be recorded when the call fails before writing back.
pub fn decode_in(ty: BufType, b: &BufferIn, nonblock: bool) -> (V4l2Buffer, Vec<V4l2Plane>) {
    decode(&unchecked(ty, b), nonblock)
}

pub fn querybuf(f: &File, ty: BufType, index: u32) -> Result<UncheckedV4l2Buffer, Errno> {
    ioctl::querybuf(f, queue_type(ty), index as usize).map_err(errno_of)
}

pub fn qbuf(f: &File, ty: BufType, b: &BufferIn) -> Result<UncheckedV4l2Buffer, Errno> {
    ioctl::qbuf(f, unchecked(ty, b)).map_err(errno_of)
}

pub fn prepare_buf(f: &File, ty: BufType, b: &BufferIn) -> Result<UncheckedV4l2Buffer, Errno> {
    ioctl::prepare_buf(f, unchecked(ty, b)).map_err(errno_of)
}

pub fn dqbuf(f: &File, ty: BufType) -> Result<UncheckedV4l2Buffer, Errno> {
    ioctl::dqbuf(f, queue_type(ty)).map_err(errno_of)
}
