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
//! Argument positions follow the Linux 6.12 signatures (videobuf2-core.c, -vmalloc.c,
//! -dma-contig.c, -dma-sg.c, dma-buf.c); the test `arguments_match_the_6_12_signatures` lists
//! them, so a probe that reads the wrong argument fails there rather than on a kernel.

use crate::model::MemopKind;

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

/// Every probe, in the order they are added. Entry probes come before their return probes.
pub const KPROBES: &[KprobeDef] = defs! {
    // videobuf2-vmalloc
    "p" "vb2scope_mem"/"vmalloc_alloc" "vb2_vmalloc_alloc" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 size=$arg3:u64";
    "r" "vb2scope_mem"/"vmalloc_alloc_ret" "vb2_vmalloc_alloc" " ret=$retval:x64";
    "p" "vb2scope_mem"/"vmalloc_put" "vb2_vmalloc_put" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"vmalloc_get_userptr" "vb2_vmalloc_get_userptr" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 vaddr=$arg3:x64 size=$arg4:u64";
    "r" "vb2scope_mem"/"vmalloc_get_userptr_ret" "vb2_vmalloc_get_userptr" " ret=$retval:x64";
    "p" "vb2scope_mem"/"vmalloc_put_userptr" "vb2_vmalloc_put_userptr" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"vmalloc_get_dmabuf" "vb2_vmalloc_get_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 priv=$arg2:x64 flags=$arg3:x64";
    "p" "vb2scope_mem"/"vmalloc_attach_dmabuf" "vb2_vmalloc_attach_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 dbuf=$arg3:x64 size=$arg4:u64 dbuf_size=+0($arg3):u64";
    "r" "vb2scope_mem"/"vmalloc_attach_dmabuf_ret" "vb2_vmalloc_attach_dmabuf" " ret=$retval:x64";
    "p" "vb2scope_mem"/"vmalloc_detach_dmabuf" "vb2_vmalloc_detach_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"vmalloc_map_dmabuf" "vb2_vmalloc_map_dmabuf" " priv=$arg1:x64";
    "r" "vb2scope_mem"/"vmalloc_map_dmabuf_ret" "vb2_vmalloc_map_dmabuf" " ret=$retval:s32";
    "p" "vb2scope_mem"/"vmalloc_unmap_dmabuf" "vb2_vmalloc_unmap_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"vmalloc_mmap" "vb2_vmalloc_mmap" " priv=$arg1:x64 vma=$arg2:x64";
    // videobuf2-dma-contig
    "p" "vb2scope_mem"/"dc_alloc" "vb2_dc_alloc" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 size=$arg3:u64";
    "r" "vb2scope_mem"/"dc_alloc_ret" "vb2_dc_alloc" " ret=$retval:x64";
    "p" "vb2scope_mem"/"dc_put" "vb2_dc_put" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_get_userptr" "vb2_dc_get_userptr" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 vaddr=$arg3:x64 size=$arg4:u64";
    "r" "vb2scope_mem"/"dc_get_userptr_ret" "vb2_dc_get_userptr" " ret=$retval:x64";
    "p" "vb2scope_mem"/"dc_put_userptr" "vb2_dc_put_userptr" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_get_dmabuf" "vb2_dc_get_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 priv=$arg2:x64 flags=$arg3:x64";
    "p" "vb2scope_mem"/"dc_attach_dmabuf" "vb2_dc_attach_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 dbuf=$arg3:x64 size=$arg4:u64 dbuf_size=+0($arg3):u64";
    "r" "vb2scope_mem"/"dc_attach_dmabuf_ret" "vb2_dc_attach_dmabuf" " ret=$retval:x64";
    "p" "vb2scope_mem"/"dc_detach_dmabuf" "vb2_dc_detach_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_map_dmabuf" "vb2_dc_map_dmabuf" " priv=$arg1:x64";
    "r" "vb2scope_mem"/"dc_map_dmabuf_ret" "vb2_dc_map_dmabuf" " ret=$retval:s32";
    "p" "vb2scope_mem"/"dc_unmap_dmabuf" "vb2_dc_unmap_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_prepare" "vb2_dc_prepare" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_finish" "vb2_dc_finish" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"dc_mmap" "vb2_dc_mmap" " priv=$arg1:x64 vma=$arg2:x64";
    // videobuf2-dma-sg
    "p" "vb2scope_mem"/"sg_alloc" "vb2_dma_sg_alloc" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 size=$arg3:u64";
    "r" "vb2scope_mem"/"sg_alloc_ret" "vb2_dma_sg_alloc" " ret=$retval:x64";
    "p" "vb2scope_mem"/"sg_put" "vb2_dma_sg_put" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_get_userptr" "vb2_dma_sg_get_userptr" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 vaddr=$arg3:x64 size=$arg4:u64";
    "r" "vb2scope_mem"/"sg_get_userptr_ret" "vb2_dma_sg_get_userptr" " ret=$retval:x64";
    "p" "vb2scope_mem"/"sg_put_userptr" "vb2_dma_sg_put_userptr" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_get_dmabuf" "vb2_dma_sg_get_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 priv=$arg2:x64 flags=$arg3:x64";
    "p" "vb2scope_mem"/"sg_attach_dmabuf" "vb2_dma_sg_attach_dmabuf" " vb=$arg1:x64 q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32 dbuf=$arg3:x64 size=$arg4:u64 dbuf_size=+0($arg3):u64";
    "r" "vb2scope_mem"/"sg_attach_dmabuf_ret" "vb2_dma_sg_attach_dmabuf" " ret=$retval:x64";
    "p" "vb2scope_mem"/"sg_detach_dmabuf" "vb2_dma_sg_detach_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_map_dmabuf" "vb2_dma_sg_map_dmabuf" " priv=$arg1:x64";
    "r" "vb2scope_mem"/"sg_map_dmabuf_ret" "vb2_dma_sg_map_dmabuf" " ret=$retval:s32";
    "p" "vb2scope_mem"/"sg_unmap_dmabuf" "vb2_dma_sg_unmap_dmabuf" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_prepare" "vb2_dma_sg_prepare" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_finish" "vb2_dma_sg_finish" " priv=$arg1:x64";
    "p" "vb2scope_mem"/"sg_mmap" "vb2_dma_sg_mmap" " priv=$arg1:x64 vma=$arg2:x64";
    // dma-buf core
    "p" "vb2scope_dmabuf"/"export" "dma_buf_export" "";
    "r" "vb2scope_dmabuf"/"export_ret" "dma_buf_export" " ret=$retval:x64";
    "p" "vb2scope_dmabuf"/"fd" "dma_buf_fd" " dbuf=$arg1:x64 flags=$arg2:x32";
    "p" "vb2scope_dmabuf"/"get" "dma_buf_get" " fd=$arg1:s32";
    "r" "vb2scope_dmabuf"/"get_ret" "dma_buf_get" " ret=$retval:x64";
    "p" "vb2scope_dmabuf"/"put" "dma_buf_put" " dbuf=$arg1:x64";
    "p" "vb2scope_dmabuf"/"dynamic_attach" "dma_buf_dynamic_attach" " dbuf=$arg1:x64 dev=$arg2:x64";
    "p" "vb2scope_dmabuf"/"detach" "dma_buf_detach" " dbuf=$arg1:x64 attach=$arg2:x64";
    "p" "vb2scope_dmabuf"/"map_attachment" "dma_buf_map_attachment" " attach=$arg1:x64 dir=$arg2:u32";
    "p" "vb2scope_dmabuf"/"unmap_attachment" "dma_buf_unmap_attachment" " attach=$arg1:x64 sgt=$arg2:x64 dir=$arg3:u32";
    "p" "vb2scope_dmabuf"/"map_attachment_unlocked" "dma_buf_map_attachment_unlocked" " attach=$arg1:x64 dir=$arg2:u32";
    "p" "vb2scope_dmabuf"/"unmap_attachment_unlocked" "dma_buf_unmap_attachment_unlocked" " attach=$arg1:x64 sgt=$arg2:x64 dir=$arg3:u32";
    "p" "vb2scope_dmabuf"/"vmap" "dma_buf_vmap" " dbuf=$arg1:x64";
    "p" "vb2scope_dmabuf"/"vunmap" "dma_buf_vunmap" " dbuf=$arg1:x64";
    "p" "vb2scope_dmabuf"/"vmap_unlocked" "dma_buf_vmap_unlocked" " dbuf=$arg1:x64";
    "p" "vb2scope_dmabuf"/"vunmap_unlocked" "dma_buf_vunmap_unlocked" " dbuf=$arg1:x64";
    "p" "vb2scope_dmabuf"/"release" "dma_buf_release" " dentry=$arg1:x64";
    // vb2 core entry points
    "p" "vb2scope_core"/"reqbufs" "vb2_core_reqbufs" " q=$arg1:x64 memory=$arg2:u32 count=+0($arg4):u32";
    "p" "vb2scope_core"/"create_bufs" "vb2_core_create_bufs" " q=$arg1:x64 memory=$arg2:u32 count=+0($arg4):u32";
    "p" "vb2scope_core"/"expbuf" "vb2_core_expbuf" " q=$arg1:x64 plane=$arg5:u32 flags=$arg6:x32";
    "p" "vb2scope_core"/"streamon" "vb2_core_streamon" " q=$arg1:x64 type=$arg2:u32";
    "p" "vb2scope_core"/"streamoff" "vb2_core_streamoff" " q=$arg1:x64 type=$arg2:u32";
    "p" "vb2scope_core"/"queue_release" "vb2_core_queue_release" " q=$arg1:x64";
};

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
}

/// The memop of an allocator event name; the allocator prefix does not matter.
pub fn memop_kind(event: &str) -> Option<MemopKind> {
    let base = ["vmalloc_", "dc_", "sg_"]
        .iter()
        .find_map(|p| event.strip_prefix(p))?;
    match base {
        "alloc" => Some(MemopKind::Alloc),
        "put" => Some(MemopKind::Put),
        "get_userptr" => Some(MemopKind::GetUserptr),
        "put_userptr" => Some(MemopKind::PutUserptr),
        "attach_dmabuf" => Some(MemopKind::AttachDmabuf),
        "detach_dmabuf" => Some(MemopKind::DetachDmabuf),
        "map_dmabuf" => Some(MemopKind::MapDmabuf),
        "unmap_dmabuf" => Some(MemopKind::UnmapDmabuf),
        "prepare" => Some(MemopKind::Prepare),
        "finish" => Some(MemopKind::Finish),
        "get_dmabuf" => Some(MemopKind::GetDmabuf),
        "mmap" => Some(MemopKind::Mmap),
        _ => None,
    }
}

/// What an event name means, if it is one of our probes (or of the sample captures' list).
pub fn classify(event: &str) -> Option<Probe> {
    if let Some(k) = event.strip_suffix("_ret").and_then(memop_kind) {
        return Some(Probe::MemRet(k));
    }
    if let Some(k) = memop_kind(event) {
        return Some(Probe::Mem(k));
    }
    let def = KPROBES.iter().find(|d| d.event == event)?;
    Some(match (def.group, event) {
        (_, "get") => Probe::DmabufGet,
        (_, "get_ret") => Probe::DmabufGetRet,
        (_, "put") => Probe::DmabufPut,
        (GROUP_DMABUF, _) => Probe::Dmabuf,
        _ => Probe::Core,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_well_formed_and_unique() {
        for (i, d) in KPROBES.iter().enumerate() {
            let head = format!("{}/{} {}", d.group, d.event, d.symbol);
            assert!(
                d.def.get(2..).is_some_and(|s| s.starts_with(&head)),
                "{}",
                d.def
            );
            assert!(
                d.def.starts_with("p:") || d.def.starts_with("r:"),
                "{}",
                d.def
            );
            assert!(GROUPS.contains(&d.group), "{}", d.def);
            assert!(
                KPROBES.iter().skip(i + 1).all(|o| o.event != d.event),
                "{} twice: ftrace prints events without their group",
                d.event
            );
            assert!(classify(d.event).is_some(), "{}", d.event);
            // A return probe follows the entry probe of the same function, when there is one.
            if d.def.starts_with("r:") {
                let entry = KPROBES.iter().position(|o| o.symbol == d.symbol);
                assert!(entry.is_some_and(|e| e < i), "{}", d.def);
            }
        }
    }

    /// Parameter names of every probed function in Linux 6.12: videobuf2-vmalloc.c,
    /// -dma-contig.c and -dma-sg.c (as `struct vb2_mem_ops` has them), dma-buf.c and
    /// videobuf2-core.c.
    const SIGNATURES_6_12: &[(&str, &[&str])] = &[
        ("vb2_vmalloc_alloc", &["vb", "dev", "size"]),
        ("vb2_vmalloc_put", &["buf_priv"]),
        ("vb2_vmalloc_get_userptr", &["vb", "dev", "vaddr", "size"]),
        ("vb2_vmalloc_put_userptr", &["buf_priv"]),
        ("vb2_vmalloc_get_dmabuf", &["vb", "buf_priv", "flags"]),
        ("vb2_vmalloc_attach_dmabuf", &["vb", "dev", "dbuf", "size"]),
        ("vb2_vmalloc_detach_dmabuf", &["mem_priv"]),
        ("vb2_vmalloc_map_dmabuf", &["mem_priv"]),
        ("vb2_vmalloc_unmap_dmabuf", &["mem_priv"]),
        ("vb2_vmalloc_mmap", &["buf_priv", "vma"]),
        ("vb2_dc_alloc", &["vb", "dev", "size"]),
        ("vb2_dc_put", &["buf_priv"]),
        ("vb2_dc_get_userptr", &["vb", "dev", "vaddr", "size"]),
        ("vb2_dc_put_userptr", &["buf_priv"]),
        ("vb2_dc_get_dmabuf", &["vb", "buf_priv", "flags"]),
        ("vb2_dc_attach_dmabuf", &["vb", "dev", "dbuf", "size"]),
        ("vb2_dc_detach_dmabuf", &["mem_priv"]),
        ("vb2_dc_map_dmabuf", &["mem_priv"]),
        ("vb2_dc_unmap_dmabuf", &["mem_priv"]),
        ("vb2_dc_prepare", &["buf_priv"]),
        ("vb2_dc_finish", &["buf_priv"]),
        ("vb2_dc_mmap", &["buf_priv", "vma"]),
        ("vb2_dma_sg_alloc", &["vb", "dev", "size"]),
        ("vb2_dma_sg_put", &["buf_priv"]),
        ("vb2_dma_sg_get_userptr", &["vb", "dev", "vaddr", "size"]),
        ("vb2_dma_sg_put_userptr", &["buf_priv"]),
        ("vb2_dma_sg_get_dmabuf", &["vb", "buf_priv", "flags"]),
        ("vb2_dma_sg_attach_dmabuf", &["vb", "dev", "dbuf", "size"]),
        ("vb2_dma_sg_detach_dmabuf", &["mem_priv"]),
        ("vb2_dma_sg_map_dmabuf", &["mem_priv"]),
        ("vb2_dma_sg_unmap_dmabuf", &["mem_priv"]),
        ("vb2_dma_sg_prepare", &["buf_priv"]),
        ("vb2_dma_sg_finish", &["buf_priv"]),
        ("vb2_dma_sg_mmap", &["buf_priv", "vma"]),
        ("dma_buf_export", &["exp_info"]),
        ("dma_buf_fd", &["dmabuf", "flags"]),
        ("dma_buf_get", &["fd"]),
        ("dma_buf_put", &["dmabuf"]),
        (
            "dma_buf_dynamic_attach",
            &["dmabuf", "dev", "importer_ops", "importer_priv"],
        ),
        ("dma_buf_detach", &["dmabuf", "attach"]),
        ("dma_buf_map_attachment", &["attach", "direction"]),
        (
            "dma_buf_unmap_attachment",
            &["attach", "sg_table", "direction"],
        ),
        ("dma_buf_map_attachment_unlocked", &["attach", "direction"]),
        (
            "dma_buf_unmap_attachment_unlocked",
            &["attach", "sg_table", "direction"],
        ),
        ("dma_buf_vmap", &["dmabuf", "map"]),
        ("dma_buf_vunmap", &["dmabuf", "map"]),
        ("dma_buf_vmap_unlocked", &["dmabuf", "map"]),
        ("dma_buf_vunmap_unlocked", &["dmabuf", "map"]),
        ("dma_buf_release", &["dentry"]),
        ("vb2_core_reqbufs", &["q", "memory", "flags", "count"]),
        (
            "vb2_core_create_bufs",
            &[
                "q",
                "memory",
                "flags",
                "count",
                "requested_planes",
                "requested_sizes",
                "first_index",
            ],
        ),
        (
            "vb2_core_expbuf",
            &["q", "fd", "type", "vb", "plane", "flags"],
        ),
        ("vb2_core_streamon", &["q", "type"]),
        ("vb2_core_streamoff", &["q", "type"]),
        ("vb2_core_queue_release", &["q"]),
    ];

    /// `$argN` → N.
    fn arg_number(s: &str) -> Option<usize> {
        s.strip_prefix("$arg")?.parse().ok()
    }

    #[test]
    fn arguments_match_the_6_12_signatures() {
        for d in KPROBES {
            let params = SIGNATURES_6_12
                .iter()
                .find(|(f, _)| *f == d.symbol)
                .map(|(_, p)| *p);
            let Some(params) = params else {
                panic!("{}: no 6.12 signature listed", d.symbol);
            };
            // `name=FETCH:TYPE` after `p:group/event symbol`.
            for arg in d.def.split_whitespace().skip(2) {
                let (name, fetch) = arg.split_once('=').unwrap_or((arg, ""));
                let fetch = fetch.rsplit_once(':').map_or(fetch, |(f, _)| f);
                if fetch == "$retval" {
                    assert!(d.def.starts_with("r:"), "{}", d.def);
                    continue;
                }
                // A direct argument names its parameter; a dereference reads a field of one.
                let (n, wanted): (_, &[&str]) = match fetch.split_once('(') {
                    None => (
                        arg_number(fetch),
                        match name {
                            "priv" => &["buf_priv", "mem_priv"],
                            "dbuf" => &["dmabuf", "dbuf"],
                            "dir" => &["direction"],
                            "sgt" => &["sg_table"],
                            _ => std::slice::from_ref(&name),
                        },
                    ),
                    Some((_, inner)) => (
                        arg_number(inner.trim_end_matches(')')),
                        match name {
                            "q" | "index" | "type" => &["vb"],
                            "count" => &["count"],
                            "dbuf_size" => &["dbuf"],
                            _ => &[],
                        },
                    ),
                };
                let param = n.and_then(|n| params.get(n.checked_sub(1)?));
                assert!(
                    param.is_some_and(|p| wanted.contains(p)),
                    "{}: {name} reads {fetch}, which is {param:?} in {}{params:?}",
                    d.def,
                    d.symbol
                );
            }
        }
    }

    #[test]
    fn create_bufs_reads_count_through_its_fourth_argument() {
        // Since 5.14 `flags` comes before `count` (the review's finding: it read `$arg3`).
        let d = KPROBES.iter().find(|d| d.event == "create_bufs");
        assert!(
            d.is_some_and(|d| d.def.contains(" count=+0($arg4):u32")),
            "{d:?}"
        );
    }

    #[test]
    fn vb_probes_fetch_the_buffer_and_allocating_ones_return_priv() {
        for d in KPROBES.iter().filter(|d| d.def.contains("vb=$arg1")) {
            assert!(
                d.def
                    .contains("q=+0($arg1):x64 index=+8($arg1):u32 type=+12($arg1):u32"),
                "{}",
                d.def
            );
        }
        for base in ["alloc", "get_userptr", "attach_dmabuf"] {
            for a in ["vmalloc", "dc", "sg"] {
                let ret = format!("{a}_{base}_ret");
                assert!(KPROBES.iter().any(|d| d.event == ret), "{ret}");
            }
        }
    }

    #[test]
    fn names_map_to_memops() {
        assert_eq!(
            classify("vmalloc_alloc"),
            Some(Probe::Mem(MemopKind::Alloc))
        );
        assert_eq!(classify("dc_put"), Some(Probe::Mem(MemopKind::Put)));
        assert_eq!(classify("sg_mmap"), Some(Probe::Mem(MemopKind::Mmap)));
        assert_eq!(
            classify("vmalloc_attach_dmabuf_ret"),
            Some(Probe::MemRet(MemopKind::AttachDmabuf))
        );
        assert_eq!(classify("get"), Some(Probe::DmabufGet));
        assert_eq!(classify("get_ret"), Some(Probe::DmabufGetRet));
        assert_eq!(classify("put"), Some(Probe::DmabufPut));
        assert_eq!(classify("vmap"), Some(Probe::Dmabuf));
        assert_eq!(classify("reqbufs"), Some(Probe::Core));
        assert_eq!(classify("vb2_qbuf"), None);
        assert_eq!(classify("vmalloc_bogus"), None);
    }
}
