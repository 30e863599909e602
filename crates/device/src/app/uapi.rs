//! The V4L2 buffer ioctls of a 64-bit tracee: their request numbers and the layouts of their
//! arguments, decoded from the bytes read out of the tracee (x86_64 and arm64 share them).
//! The offsets are checked against v4l2r's generated bindings by the tests below.

use vb2scope_core::trace::{IoctlArg, IoctlCmd, V4l2Buffer, V4l2Plane};
use vb2scope_core::v4l2::{BufType, DriverCfg, MAX_PLANES, Memory};

use crate::v4l2::{buf_type, memory};

pub const BUFFER_SIZE: usize = 88;
pub const PLANE_SIZE: usize = 64;
pub const REQBUFS_SIZE: usize = 20;
pub const CREATE_BUFS_SIZE: usize = 256;
pub const EXPBUF_SIZE: usize = 64;
pub const REMOVE_BUFS_SIZE: usize = 64;
pub const FORMAT_SIZE: usize = 208;
pub const CAPABILITY_SIZE: usize = 104;
pub const DECODER_CMD_SIZE: usize = 72;
pub const ENCODER_CMD_SIZE: usize = 40;
pub const EVENT_SIZE: usize = 136;
pub const EVENT_SUBSCRIPTION_SIZE: usize = 32;
pub const EXT_CONTROLS_SIZE: usize = 32;

const fn iowr(nr: u32, size: usize) -> u32 {
    (3 << 30) | ((size as u32) << 16) | ((b'V' as u32) << 8) | nr
}
const fn iow(nr: u32, size: usize) -> u32 {
    (1 << 30) | ((size as u32) << 16) | ((b'V' as u32) << 8) | nr
}
const fn ior(nr: u32, size: usize) -> u32 {
    (2 << 30) | ((size as u32) << 16) | ((b'V' as u32) << 8) | nr
}

/// What a recorded ioctl is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Buffer(IoctlCmd),
    Format {
        set: bool,
    },
    /// QUERYCAP: which driver serves the node, for the trace's names.
    Querycap,
    /// A media request: MEDIA_IOC_REQUEST_ALLOC on a media device, then QUEUE or REINIT on
    /// the request's own fd.
    Media(IoctlCmd),
}

/// `_IO('|', nr)` and `_IOR('|', nr, size)` of the media controller.
const fn media_io(nr: u32) -> u32 {
    ((b'|' as u32) << 8) | nr
}
const fn media_ior(nr: u32, size: usize) -> u32 {
    (2 << 30) | ((size as u32) << 16) | ((b'|' as u32) << 8) | nr
}

pub const REQUESTS: [(u32, Request); 24] = [
    (iowr(8, REQBUFS_SIZE), Request::Buffer(IoctlCmd::Reqbufs)),
    (iowr(9, BUFFER_SIZE), Request::Buffer(IoctlCmd::Querybuf)),
    (iowr(15, BUFFER_SIZE), Request::Buffer(IoctlCmd::Qbuf)),
    (iowr(16, EXPBUF_SIZE), Request::Buffer(IoctlCmd::Expbuf)),
    (iowr(17, BUFFER_SIZE), Request::Buffer(IoctlCmd::Dqbuf)),
    (iow(18, 4), Request::Buffer(IoctlCmd::Streamon)),
    (iow(19, 4), Request::Buffer(IoctlCmd::Streamoff)),
    (
        iowr(92, CREATE_BUFS_SIZE),
        Request::Buffer(IoctlCmd::CreateBufs),
    ),
    (iowr(93, BUFFER_SIZE), Request::Buffer(IoctlCmd::PrepareBuf)),
    (
        iowr(104, REMOVE_BUFS_SIZE),
        Request::Buffer(IoctlCmd::RemoveBufs),
    ),
    (iowr(4, FORMAT_SIZE), Request::Format { set: false }),
    (iowr(5, FORMAT_SIZE), Request::Format { set: true }),
    (ior(0, CAPABILITY_SIZE), Request::Querycap),
    // A codec's drain and its events.
    (
        iowr(96, DECODER_CMD_SIZE),
        Request::Buffer(IoctlCmd::DecoderCmd),
    ),
    (
        iowr(77, ENCODER_CMD_SIZE),
        Request::Buffer(IoctlCmd::EncoderCmd),
    ),
    (ior(89, EVENT_SIZE), Request::Buffer(IoctlCmd::Dqevent)),
    (
        iow(90, EVENT_SUBSCRIPTION_SIZE),
        Request::Buffer(IoctlCmd::SubscribeEvent),
    ),
    (
        iow(91, EVENT_SUBSCRIPTION_SIZE),
        Request::Buffer(IoctlCmd::UnsubscribeEvent),
    ),
    // Media requests (a stateless decoder's OUTPUT buffers go through them).
    (media_ior(0x05, 4), Request::Media(IoctlCmd::RequestAlloc)),
    (media_io(0x80), Request::Media(IoctlCmd::RequestQueue)),
    (media_io(0x81), Request::Media(IoctlCmd::RequestReinit)),
    // Controls, kept when they are a media request's.
    (
        iowr(71, EXT_CONTROLS_SIZE),
        Request::Buffer(IoctlCmd::GExtCtrls),
    ),
    (
        iowr(72, EXT_CONTROLS_SIZE),
        Request::Buffer(IoctlCmd::SExtCtrls),
    ),
    (
        iowr(73, EXT_CONTROLS_SIZE),
        Request::Buffer(IoctlCmd::TryExtCtrls),
    ),
];

pub fn request(req: u64) -> Option<Request> {
    let req = u32::try_from(req).ok()?;
    REQUESTS
        .iter()
        .find(|(r, _)| *r == req)
        .map(|&(_, what)| what)
}

/// A 32-bit (i386) program's buffer ioctl, told by its number alone, whatever its size
/// (`struct v4l2_buffer` holds a pointer and a `timeval`, `v4l2_create_buffers` a
/// `v4l2_format`: their sizes differ from a 64-bit program's).
pub fn compat_cmd(req: u64) -> Option<IoctlCmd> {
    let req = u32::try_from(req).ok()?;
    if (req >> 8) & 0xff != u32::from(b'V') {
        return None;
    }
    match req & 0xff {
        8 => Some(IoctlCmd::Reqbufs),
        9 => Some(IoctlCmd::Querybuf),
        15 => Some(IoctlCmd::Qbuf),
        16 => Some(IoctlCmd::Expbuf),
        17 => Some(IoctlCmd::Dqbuf),
        18 => Some(IoctlCmd::Streamon),
        19 => Some(IoctlCmd::Streamoff),
        92 => Some(IoctlCmd::CreateBufs),
        93 => Some(IoctlCmd::PrepareBuf),
        104 => Some(IoctlCmd::RemoveBufs),
        _ => None,
    }
}

/// How many bytes the argument of `cmd` has.
pub fn arg_size(r: Request) -> usize {
    match r {
        Request::Buffer(IoctlCmd::Reqbufs) => REQBUFS_SIZE,
        Request::Buffer(IoctlCmd::CreateBufs) => CREATE_BUFS_SIZE,
        Request::Buffer(IoctlCmd::RemoveBufs) => REMOVE_BUFS_SIZE,
        Request::Buffer(IoctlCmd::Expbuf) => EXPBUF_SIZE,
        Request::Buffer(IoctlCmd::Streamon | IoctlCmd::Streamoff) => 4,
        Request::Buffer(IoctlCmd::DecoderCmd) => DECODER_CMD_SIZE,
        Request::Buffer(IoctlCmd::EncoderCmd) => ENCODER_CMD_SIZE,
        // DQEVENT's argument is all written by the kernel; nothing is read on entry.
        Request::Buffer(IoctlCmd::Dqevent) => EVENT_SIZE,
        Request::Buffer(IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent) => {
            EVENT_SUBSCRIPTION_SIZE
        }
        Request::Buffer(IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls) => {
            EXT_CONTROLS_SIZE
        }
        Request::Buffer(_) => BUFFER_SIZE,
        Request::Format { .. } => FORMAT_SIZE,
        Request::Querycap => CAPABILITY_SIZE,
        // ALLOC writes the new request's fd; QUEUE and REINIT take no argument.
        Request::Media(IoctlCmd::RequestAlloc) => 4,
        Request::Media(_) => 0,
    }
}

/// The fd MEDIA_IOC_REQUEST_ALLOC wrote back.
pub fn request_fd(out: &[u8]) -> Option<i32> {
    out.get(0..4)
        .and_then(|s| s.try_into().ok())
        .map(i32::from_ne_bytes)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_ne_bytes)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

/// The queue type an argument names, where it is a video type vb2scope models.
pub fn arg_type(cmd: IoctlCmd, b: &[u8]) -> Option<BufType> {
    let off = match cmd {
        IoctlCmd::Reqbufs => 4,
        IoctlCmd::CreateBufs => 16,
        IoctlCmd::RemoveBufs => 8,
        IoctlCmd::Expbuf | IoctlCmd::Streamon | IoctlCmd::Streamoff => 0,
        _ => 4,
    };
    buf_type(u32_at(b, off))
}

/// For a multi-planar buffer: where its planes array is and how many planes it has.
pub fn planes_ptr(b: &[u8]) -> Option<(u64, usize)> {
    let ty = buf_type(u32_at(b, 4))?;
    ty.is_mplane()
        .then(|| (u64_at(b, 64), (u32_at(b, 72) as usize).min(MAX_PLANES)))
}

fn m_of(raw: u64, mem: Option<Memory>) -> u64 {
    match mem {
        Some(Memory::Mmap) => raw & 0xffff_ffff,
        Some(Memory::Dmabuf) => i64::from(raw as u32 as i32) as u64,
        _ => raw,
    }
}

/// A `struct v4l2_buffer` and its planes (`planes`: the array's bytes, for multi-planar).
/// The flags an application passed to QBUF or PREPARE_BUF (`input`) that the kernel's reply
/// (`out`) does not show, among those it may drop (HOLD_CAPTURE_BUF without the queue's
/// capability, cache hints, a request fd): the flags passed, or `None` when none was dropped.
pub fn flags_dropped(input: &[u8], out: &[u8]) -> Option<u32> {
    use vb2scope_core::v4l2::flags;
    const DROPPABLE: u32 = flags::M2M_HOLD_CAPTURE_BUF
        | flags::NO_CACHE_INVALIDATE
        | flags::NO_CACHE_CLEAN
        | flags::REQUEST_FD;
    let (asked, kept) = (u32_at(input, 12), u32_at(out, 12));
    (asked & !kept & DROPPABLE != 0).then_some(asked)
}

pub fn buffer(b: &[u8], planes: &[u8], nonblock: bool) -> Option<(V4l2Buffer, Vec<V4l2Plane>)> {
    let ty = buf_type(u32_at(b, 4))?;
    let mem = memory(u32_at(b, 60));
    let ps: Vec<V4l2Plane> = planes
        .chunks_exact(PLANE_SIZE)
        .map(|p| V4l2Plane {
            bytesused: u32_at(p, 0),
            length: u32_at(p, 4),
            m: m_of(u64_at(p, 8), mem),
            data_offset: u32_at(p, 16),
            m_known: mem.is_some(),
        })
        .collect();
    let single = !ty.is_mplane();
    let sec = u64_at(b, 24);
    let usec = u64_at(b, 32);
    let buf = V4l2Buffer {
        index: u32_at(b, 0),
        ty,
        memory: mem,
        flags: u32_at(b, 12),
        field: u32_at(b, 16).min(255) as u8,
        bytesused: if single { u32_at(b, 8) } else { 0 },
        length: if single {
            u32_at(b, 72)
        } else {
            ps.len() as u32
        },
        m: if single { m_of(u64_at(b, 64), mem) } else { 0 },
        m_known: single && mem.is_some(),
        sequence: u32_at(b, 56),
        timestamp_ns: sec
            .saturating_mul(1_000_000_000)
            .saturating_add(usec.saturating_mul(1000)),
        planes_first: 0,
        planes_count: 0,
        // The union after `reserved2` holds `request_fd` when the flag says so.
        request_fd: if u32_at(b, 12) & vb2scope_core::v4l2::flags::REQUEST_FD != 0 {
            u16::try_from(u32_at(b, 80) as i32).unwrap_or(V4l2Buffer::NO_REQUEST)
        } else {
            V4l2Buffer::NO_REQUEST
        },
        nonblock,
    };
    Some((buf, ps))
}

/// The argument of a REQBUFS, CREATE_BUFS, EXPBUF, REMOVE_BUFS, STREAMON or STREAMOFF: what
/// the program passed (`input`) and, when the call succeeded, what the kernel wrote back.
pub fn other(cmd: IoctlCmd, input: &[u8], out: Option<&[u8]>) -> Option<IoctlArg> {
    match cmd {
        IoctlCmd::DecoderCmd | IoctlCmd::EncoderCmd => {
            return Some(IoctlArg::Command {
                cmd: Some(u32_at(input, 0)),
                flags: u32_at(input, 4),
            });
        }
        IoctlCmd::SubscribeEvent | IoctlCmd::UnsubscribeEvent => {
            return Some(IoctlArg::Event {
                ty: Some(u32_at(input, 0)),
                changes: 0,
            });
        }
        // `which`, `count`, `error_idx`, `request_fd`: only a media request's are kept.
        IoctlCmd::SExtCtrls | IoctlCmd::GExtCtrls | IoctlCmd::TryExtCtrls => {
            let which = u32_at(input, 0);
            return (which == vb2scope_core::v4l2::ctrls::WHICH_REQUEST_VAL).then(|| {
                IoctlArg::Controls {
                    which,
                    count: u32_at(input, 4),
                    request_fd: Some(u32_at(input, 12) as i32),
                }
            });
        }
        // The event is the kernel's answer: unknown when the call failed (EAGAIN, none).
        IoctlCmd::Dqevent => {
            let ty = out.map(|o| u32_at(o, 0));
            let changes = match (ty, out) {
                (Some(vb2scope_core::v4l2::codec::EVENT_SOURCE_CHANGE), Some(o)) => u32_at(o, 8),
                _ => 0,
            };
            return Some(IoctlArg::Event { ty, changes });
        }
        _ => {}
    }
    let ty = arg_type(cmd, input)?;
    let mem = |b: &[u8]| memory(u32_at(b, 8));
    Some(match cmd {
        IoctlCmd::Reqbufs => IoctlArg::Alloc {
            ty,
            memory: mem(input)?,
            count: u32_at(input, 0),
            count_out: out.map(|o| u32_at(o, 0)),
            index: None,
            caps: out.map(|o| u32_at(o, 12)),
            max_buffers: None,
        },
        IoctlCmd::CreateBufs => IoctlArg::Alloc {
            ty,
            memory: mem(input)?,
            count: u32_at(input, 4),
            count_out: out.map(|o| u32_at(o, 4)),
            index: out.map(|o| u32_at(o, 0)),
            caps: out.map(|o| u32_at(o, 224)),
            // Written by kernels that say so in `capabilities` (6.10 on).
            max_buffers: out
                .filter(|o| {
                    u32_at(o, 224) & vb2scope_core::v4l2::BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS != 0
                })
                .map(|o| u32_at(o, 232)),
        },
        IoctlCmd::Expbuf => IoctlArg::Expbuf {
            ty,
            index: u32_at(input, 4),
            plane: u32_at(input, 8).min(255) as u8,
            fd_out: out.map(|o| u32_at(o, 16) as i32),
        },
        IoctlCmd::RemoveBufs => IoctlArg::Remove {
            ty,
            index: u32_at(input, 0),
            count: u32_at(input, 4),
        },
        IoctlCmd::Streamon | IoctlCmd::Streamoff => IoctlArg::Stream { ty },
        _ => return None,
    })
}

/// A `struct v4l2_capability` the kernel filled: driver, card, bus_info, and the
/// capabilities of the device and of the node.
pub struct CapabilityText {
    pub driver: String,
    pub card: String,
    pub bus_info: String,
    pub caps: u32,
    pub device_caps: u32,
}

/// A NUL-padded `__u8[N]` at `off`, up to its first NUL (all of it when the driver filled it).
fn c_str(b: &[u8], off: usize, len: usize) -> String {
    let raw = b.get(off..off + len).unwrap_or(&[]);
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(raw.get(..end).unwrap_or(&[])).into_owned()
}

pub fn capability(b: &[u8]) -> CapabilityText {
    CapabilityText {
        driver: c_str(b, 0, 16),
        card: c_str(b, 16, 32),
        bus_info: c_str(b, 48, 32),
        caps: u32_at(b, 84),
        device_caps: u32_at(b, 88),
    }
}

/// What a `struct v4l2_format` says of the buffers: plane count and the smallest plane size
/// (as a device session records it).
pub fn format(b: &[u8]) -> Option<(BufType, DriverCfg)> {
    let ty = buf_type(u32_at(b, 0))?;
    let (planes, size) = if ty.is_mplane() {
        // pix_mp: plane_fmt[8] of 20 bytes at +20 of the union, num_planes after them.
        let n = b.get(8 + 20 + 8 * 20).copied().unwrap_or(1).clamp(1, 8);
        let sizes = (0..usize::from(n)).map(|p| u32_at(b, 8 + 20 + p * 20));
        (n, sizes.min().unwrap_or(0))
    } else {
        // pix: sizeimage at +20 of the union.
        (1, u32_at(b, 8 + 20))
    };
    Some((ty, DriverCfg::Format { planes, size }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};
    use v4l2r::bindings as b;

    /// The media request ioctls as <linux/media.h> numbers them.
    #[test]
    fn media_request_numbers() {
        assert_eq!(
            request(0x8004_7c05),
            Some(Request::Media(IoctlCmd::RequestAlloc))
        );
        assert_eq!(
            request(0x7c80),
            Some(Request::Media(IoctlCmd::RequestQueue))
        );
        assert_eq!(
            request(0x7c81),
            Some(Request::Media(IoctlCmd::RequestReinit))
        );
        assert_eq!(request_fd(&7i32.to_ne_bytes()), Some(7));
        assert_eq!(request_fd(&[1, 2]), None);
    }

    #[test]
    fn layouts_match_the_uapi_headers() {
        assert_eq!(size_of::<b::v4l2_buffer>(), BUFFER_SIZE);
        assert_eq!(size_of::<b::v4l2_plane>(), PLANE_SIZE);
        assert_eq!(size_of::<b::v4l2_requestbuffers>(), REQBUFS_SIZE);
        assert_eq!(size_of::<b::v4l2_create_buffers>(), CREATE_BUFS_SIZE);
        assert_eq!(size_of::<b::v4l2_exportbuffer>(), EXPBUF_SIZE);
        assert_eq!(size_of::<b::v4l2_format>(), FORMAT_SIZE);
        assert_eq!(offset_of!(b::v4l2_buffer, timestamp), 24);
        assert_eq!(offset_of!(b::v4l2_buffer, sequence), 56);
        assert_eq!(offset_of!(b::v4l2_buffer, memory), 60);
        assert_eq!(offset_of!(b::v4l2_buffer, m), 64);
        assert_eq!(offset_of!(b::v4l2_buffer, length), 72);
        assert_eq!(offset_of!(b::v4l2_plane, m), 8);
        assert_eq!(offset_of!(b::v4l2_plane, data_offset), 16);
        assert_eq!(offset_of!(b::v4l2_create_buffers, format), 16);
        assert_eq!(offset_of!(b::v4l2_create_buffers, capabilities), 224);
        assert_eq!(offset_of!(b::v4l2_create_buffers, max_num_buffers), 232);
        assert_eq!(offset_of!(b::v4l2_exportbuffer, fd), 16);
        assert_eq!(offset_of!(b::v4l2_requestbuffers, capabilities), 12);
        assert_eq!(offset_of!(b::v4l2_format, fmt), 8);
        assert_eq!(offset_of!(b::v4l2_pix_format, sizeimage), 20);
        assert_eq!(offset_of!(b::v4l2_pix_format_mplane, plane_fmt), 20);
        assert_eq!(size_of::<b::v4l2_plane_pix_format>(), 20);
        assert_eq!(offset_of!(b::v4l2_pix_format_mplane, num_planes), 180);
        assert_eq!(size_of::<b::v4l2_capability>(), CAPABILITY_SIZE);
        assert_eq!(size_of::<b::v4l2_decoder_cmd>(), DECODER_CMD_SIZE);
        assert_eq!(size_of::<b::v4l2_encoder_cmd>(), ENCODER_CMD_SIZE);
        assert_eq!(size_of::<b::v4l2_event>(), EVENT_SIZE);
        assert_eq!(
            size_of::<b::v4l2_event_subscription>(),
            EVENT_SUBSCRIPTION_SIZE
        );
        assert_eq!(offset_of!(b::v4l2_event, u), 8);
        assert_eq!(size_of::<b::v4l2_ext_controls>(), EXT_CONTROLS_SIZE);
        assert_eq!(offset_of!(b::v4l2_ext_controls, count), 4);
        assert_eq!(offset_of!(b::v4l2_ext_controls, request_fd), 12);
        assert_eq!(offset_of!(b::v4l2_capability, card), 16);
        assert_eq!(offset_of!(b::v4l2_capability, bus_info), 48);
        assert_eq!(offset_of!(b::v4l2_capability, capabilities), 84);
        assert_eq!(offset_of!(b::v4l2_capability, device_caps), 88);
    }

    #[test]
    fn request_numbers_are_the_kernels() {
        // From the reference's table of ioctl values.
        assert_eq!(iowr(8, REQBUFS_SIZE), 0xc014_5608);
        assert_eq!(iowr(9, BUFFER_SIZE), 0xc058_5609);
        assert_eq!(iowr(15, BUFFER_SIZE), 0xc058_560f);
        assert_eq!(iowr(16, EXPBUF_SIZE), 0xc040_5610);
        assert_eq!(iowr(17, BUFFER_SIZE), 0xc058_5611);
        assert_eq!(iow(18, 4), 0x4004_5612);
        assert_eq!(iowr(92, CREATE_BUFS_SIZE), 0xc100_565c);
        assert_eq!(iowr(93, BUFFER_SIZE), 0xc058_565d);
        assert_eq!(iowr(104, REMOVE_BUFS_SIZE), 0xc040_5668);
        assert_eq!(ior(0, CAPABILITY_SIZE), 0x8068_5600);
    }

    #[test]
    fn a_capability_decodes_its_strings_whole_or_cut_at_nul() {
        let mut b = [0u8; CAPABILITY_SIZE];
        b[..5].copy_from_slice(b"vivid");
        b[16..48].copy_from_slice(&[b'x'; 32]);
        b[48..66].copy_from_slice(b"platform:vivid-000");
        b[88..92].copy_from_slice(&0x0523_0001u32.to_ne_bytes());
        let c = capability(&b);
        assert_eq!(
            (c.driver.as_str(), c.bus_info.as_str()),
            ("vivid", "platform:vivid-000")
        );
        assert_eq!(c.card.len(), 32);
        assert_eq!(c.device_caps, 0x0523_0001);
        assert_eq!(capability(&b[..10]).card, "");
    }

    #[test]
    fn a_dmabuf_qbuf_decodes_its_fd_and_planes() {
        let mut buf = [0u8; BUFFER_SIZE];
        buf[0..4].copy_from_slice(&2u32.to_ne_bytes());
        buf[4..8].copy_from_slice(&9u32.to_ne_bytes());
        buf[60..64].copy_from_slice(&4u32.to_ne_bytes());
        buf[72..76].copy_from_slice(&2u32.to_ne_bytes());
        let mut planes = [0u8; 2 * PLANE_SIZE];
        planes[4..8].copy_from_slice(&417_792u32.to_ne_bytes());
        planes[8..12].copy_from_slice(&6i32.to_ne_bytes());
        planes[PLANE_SIZE + 8..PLANE_SIZE + 12].copy_from_slice(&(-1i32).to_ne_bytes());
        let (b, ps) = buffer(&buf, &planes, false).expect("a video buffer");
        assert_eq!(
            (b.index, b.ty, b.memory),
            (2, BufType::VideoCaptureMplane, Some(Memory::Dmabuf))
        );
        assert_eq!(b.length, 2);
        assert_eq!(ps[0].m, 6);
        assert_eq!(ps[0].length, 417_792);
        assert_eq!(ps[1].m as i64, -1);
    }
}
