//! Our kprobe definitions (kprobe_events syntax) and what each event means.
//!
//! The event names are those of the kprobe list the Linux 6.12 sample captures were recorded
//! with (an excerpt is tests/fixtures/kernel/sample-03-order.ftrace.txt), so those captures are
//! understood too; the groups are ours (`vb2scope_*`), so that our probes can be told from
//! anyone else's and removed after a killed run. ftrace prints events without their group,
//! hence names are unique across the three groups.
//!
//! Beyond that list: the probes whose `$arg1` is `struct vb2_buffer *vb` also fetch
//! `vb->vb2_queue`, `vb->index` and `vb->type` (the first fields of `struct vb2_buffer` in every
//! 5.x/6.x kernel), and the allocating memops have return probes, whose `priv` tells which
//! buffer plane the later put/map/unmap/mmap/prepare/finish calls are about.
//!
//! Two lists, by what the memops take: [`WITH_VB`] (the buffer first, 5.16 on and 5.15.3 on)
//! and [`WITHOUT_VB`] (older kernels, with probes on three vb2 core functions that name the
//! buffer instead). Argument positions follow the Linux 6.12 and 5.10 signatures; the tests
//! list them, so a probe that reads the wrong argument fails there rather than on a kernel.

use crate::v4l2::MemopKind;

/// One kprobe_events line and the names it defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KprobeDef {
    pub group: &'static str,
    pub event: &'static str,
    /// The probed kernel function.
    pub symbol: &'static str,
    /// The whole definition, as written to `kprobe_events`.
    pub def: &'static str,
}

pub const GROUP_MEM: &str = "vb2scope_mem";
pub const GROUP_DMABUF: &str = "vb2scope_dmabuf";
pub const GROUP_CORE: &str = "vb2scope_core";
/// Every group this program creates.
pub const GROUPS: [&str; 3] = [GROUP_MEM, GROUP_DMABUF, GROUP_CORE];

macro_rules! defs {
    ($( $kind:literal $group:literal / $event:literal $symbol:literal $args:literal ;)*) => {
        &[$(KprobeDef {
            group: $group,
            event: $event,
            symbol: $symbol,
            def: concat!($kind, ":", $group, "/", $event, " ", $symbol, $args),
        },)*]
    };
}

#[cfg(test)]
mod tests;
mod with_vb;
mod without_vb;

pub use with_vb::WITH_VB;
pub use without_vb::WITHOUT_VB;

/// Whether the vb2 memops of kernel `release` (`uname -r`) take `struct vb2_buffer *` first:
/// 5.16 on (a4b83deb3e76), and the 5.15 stable series from 5.15.3, which took it back. An
/// unreadable release is taken as a recent one.
pub fn memops_take_vb(release: &str) -> bool {
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    let (Some(Some(major)), Some(Some(minor))) = (nums.next(), nums.next()) else {
        return true;
    };
    let patch = nums.next().flatten().unwrap_or(0);
    match (major, minor) {
        (m, _) if m > 5 => true,
        (5, n) if n >= 16 => true,
        // Distribution 5.15 kernels ("5.15.0-91-generic") carry the stable updates.
        (5, 15) => patch >= 3 || (patch == 0 && release.contains('-')),
        _ => false,
    }
}

/// The probes for kernel `release`.
pub fn for_release(release: &str) -> &'static [KprobeDef] {
    if memops_take_vb(release) {
        WITH_VB
    } else {
        WITHOUT_VB
    }
}

/// What a probe event (by its name, as ftrace prints it) tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A vb2 allocator memop was entered.
    Mem(MemopKind),
    /// An allocator memop returned (`ret=`: a pointer, an `ERR_PTR`, or an int).
    MemRet(MemopKind),
    /// `dma_buf_get(fd)` entered / returned, `dma_buf_put(dbuf)` entered.
    DmabufGet,
    DmabufGetRet,
    DmabufPut,
    /// Another dma-buf core probe: kept as it is.
    Dmabuf,
    /// A vb2 core entry point (`q=` tells the queue).
    Core,
    /// A vb2 core function given the buffer whose memops follow on the same thread (kernels
    /// whose memops do not take the buffer).
    BufferContext,
    /// An allocator's release op of a dma-buf it exported (`dbuf=`): the exporter drops the
    /// reference the export took on the buffer.
    ExportRelease,
    /// v4l2-mem2mem's DECODER_CMD / ENCODER_CMD helper (`cmd=`): the command's kind.
    CodecCommand,
}

/// The memop of an allocator event name; the allocator prefix does not matter.
pub fn memop_kind(event: &str) -> Option<MemopKind> {
    MemopKind::of_allocator_event(event)
}

/// What an event name means, if it is one of our probes (or of the sample captures' list).
pub fn classify(event: &str) -> Option<Probe> {
    if let Some(k) = event.strip_suffix("_ret").and_then(memop_kind) {
        return Some(Probe::MemRet(k));
    }
    if let Some(k) = memop_kind(event) {
        return Some(Probe::Mem(k));
    }
    // Every kernel line is classified, most of them tracepoints that are none of ours: a
    // look-up, not a walk through every probe's name.
    static BY_NAME: std::sync::OnceLock<rustc_hash::FxHashMap<&'static str, Probe>> =
        std::sync::OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut m = rustc_hash::FxHashMap::default();
        for d in WITH_VB.iter().chain(WITHOUT_VB) {
            // The first definition of a name is the one that counts.
            m.entry(d.event).or_insert_with(|| probe_of(d));
        }
        m
    });
    by_name.get(event).copied()
}

/// What a probe of ours tells.
fn probe_of(def: &KprobeDef) -> Probe {
    match (def.group, def.event) {
        (_, "get") => Probe::DmabufGet,
        (_, "get_ret") => Probe::DmabufGetRet,
        (_, "put") => Probe::DmabufPut,
        (GROUP_DMABUF, _) => Probe::Dmabuf,
        (_, "buf_mem_alloc" | "prepare_userptr" | "prepare_dmabuf") => Probe::BufferContext,
        (_, e) if e.ends_with("_dmabuf_release") => Probe::ExportRelease,
        (_, "m2m_decoder_cmd" | "m2m_encoder_cmd") => Probe::CodecCommand,
        _ => Probe::Core,
    }
}
