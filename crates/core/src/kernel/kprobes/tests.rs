use super::*;

const LISTS: [&[KprobeDef]; 2] = [WITH_VB, WITHOUT_VB];

#[test]
fn definitions_are_well_formed_and_unique() {
    for list in LISTS {
        well_formed(list);
    }
}

fn well_formed(list: &[KprobeDef]) {
    for (i, d) in list.iter().enumerate() {
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
            list.iter().skip(i + 1).all(|o| o.event != d.event),
            "{} twice: ftrace prints events without their group",
            d.event
        );
        assert!(classify(d.event).is_some(), "{}", d.event);
        // A return probe follows the entry probe of the same function, when there is one.
        if d.def.starts_with("r:") {
            let entry = list.iter().position(|o| o.symbol == d.symbol);
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
    ("vb2_vmalloc_dmabuf_ops_release", &["dbuf"]),
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
    ("vb2_dc_dmabuf_ops_release", &["dbuf"]),
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
    ("vb2_dma_sg_dmabuf_ops_release", &["dbuf"]),
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
    ("v4l2_m2m_ioctl_decoder_cmd", &["file", "priv", "dc"]),
    ("v4l2_m2m_ioctl_encoder_cmd", &["file", "priv", "ec"]),
];

/// `$argN` → N.
fn arg_number(s: &str) -> Option<usize> {
    s.strip_prefix("$arg")?.parse().ok()
}

/// Parameter names of every function the older list probes, in Linux 5.10.
const SIGNATURES_5_10: &[(&str, &[&str])] = &[
    (
        "vb2_vmalloc_alloc",
        &["dev", "attrs", "size", "dma_dir", "gfp_flags"],
    ),
    ("vb2_vmalloc_put", &["buf_priv"]),
    (
        "vb2_vmalloc_get_userptr",
        &["dev", "vaddr", "size", "dma_dir"],
    ),
    ("vb2_vmalloc_put_userptr", &["buf_priv"]),
    ("vb2_vmalloc_get_dmabuf", &["buf_priv", "flags"]),
    (
        "vb2_vmalloc_attach_dmabuf",
        &["dev", "dbuf", "size", "dma_dir"],
    ),
    ("vb2_vmalloc_detach_dmabuf", &["mem_priv"]),
    ("vb2_vmalloc_map_dmabuf", &["mem_priv"]),
    ("vb2_vmalloc_unmap_dmabuf", &["mem_priv"]),
    ("vb2_vmalloc_mmap", &["buf_priv", "vma"]),
    ("vb2_vmalloc_dmabuf_ops_release", &["dbuf"]),
    (
        "vb2_dc_alloc",
        &["dev", "attrs", "size", "dma_dir", "gfp_flags"],
    ),
    ("vb2_dc_put", &["buf_priv"]),
    ("vb2_dc_get_userptr", &["dev", "vaddr", "size", "dma_dir"]),
    ("vb2_dc_put_userptr", &["buf_priv"]),
    ("vb2_dc_get_dmabuf", &["buf_priv", "flags"]),
    ("vb2_dc_attach_dmabuf", &["dev", "dbuf", "size", "dma_dir"]),
    ("vb2_dc_detach_dmabuf", &["mem_priv"]),
    ("vb2_dc_map_dmabuf", &["mem_priv"]),
    ("vb2_dc_unmap_dmabuf", &["mem_priv"]),
    ("vb2_dc_prepare", &["buf_priv"]),
    ("vb2_dc_finish", &["buf_priv"]),
    ("vb2_dc_mmap", &["buf_priv", "vma"]),
    ("vb2_dc_dmabuf_ops_release", &["dbuf"]),
    (
        "vb2_dma_sg_alloc",
        &["dev", "dma_attrs", "size", "dma_dir", "gfp_flags"],
    ),
    ("vb2_dma_sg_put", &["buf_priv"]),
    (
        "vb2_dma_sg_get_userptr",
        &["dev", "vaddr", "size", "dma_dir"],
    ),
    ("vb2_dma_sg_put_userptr", &["buf_priv"]),
    ("vb2_dma_sg_get_dmabuf", &["buf_priv", "flags"]),
    (
        "vb2_dma_sg_attach_dmabuf",
        &["dev", "dbuf", "size", "dma_dir"],
    ),
    ("vb2_dma_sg_detach_dmabuf", &["mem_priv"]),
    ("vb2_dma_sg_map_dmabuf", &["mem_priv"]),
    ("vb2_dma_sg_unmap_dmabuf", &["mem_priv"]),
    ("vb2_dma_sg_prepare", &["buf_priv"]),
    ("vb2_dma_sg_finish", &["buf_priv"]),
    ("vb2_dma_sg_mmap", &["buf_priv", "vma"]),
    ("vb2_dma_sg_dmabuf_ops_release", &["dbuf"]),
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
    ("dma_buf_vmap", &["dmabuf"]),
    ("dma_buf_vunmap", &["dmabuf", "vaddr"]),
    ("dma_buf_release", &["dentry"]),
    ("vb2_core_reqbufs", &["q", "memory", "count"]),
    (
        "vb2_core_create_bufs",
        &[
            "q",
            "memory",
            "count",
            "requested_planes",
            "requested_sizes",
        ],
    ),
    (
        "vb2_core_expbuf",
        &["q", "fd", "type", "index", "plane", "flags"],
    ),
    ("vb2_core_streamon", &["q", "type"]),
    ("vb2_core_streamoff", &["q", "type"]),
    ("vb2_core_queue_release", &["q"]),
    ("v4l2_m2m_ioctl_decoder_cmd", &["file", "priv", "dc"]),
    ("v4l2_m2m_ioctl_encoder_cmd", &["file", "priv", "ec"]),
    ("__vb2_buf_mem_alloc", &["vb"]),
    ("__prepare_userptr", &["vb"]),
    ("__prepare_dmabuf", &["vb"]),
];

#[test]
fn arguments_match_the_6_12_signatures() {
    arguments_match(WITH_VB, SIGNATURES_6_12, "6.12");
}

#[test]
fn arguments_match_the_5_10_signatures() {
    arguments_match(WITHOUT_VB, SIGNATURES_5_10, "5.10");
}

fn arguments_match(list: &[KprobeDef], signatures: &[(&str, &[&str])], release: &str) {
    for d in list {
        let params = signatures
            .iter()
            .find(|(f, _)| *f == d.symbol)
            .map(|(_, p)| *p);
        let Some(params) = params else {
            panic!("{}: no {release} signature listed", d.symbol);
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
                        // `struct vb2_queue` starts with its `type`.
                        "qtype" => &["q"],
                        "count" => &["count"],
                        "dbuf_size" => &["dbuf"],
                        // `struct v4l2_decoder_cmd` / `_encoder_cmd` start with `cmd`.
                        "cmd" => &["dc", "ec"],
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
    let d = WITH_VB.iter().find(|d| d.event == "create_bufs");
    assert!(
        d.is_some_and(|d| d.def.contains(" count=+0($arg4):u32")),
        "{d:?}"
    );
}

#[test]
fn vb_probes_fetch_the_buffer_and_allocating_ones_return_priv() {
    for list in LISTS {
        for d in list.iter().filter(|d| d.def.contains("vb=$arg1")) {
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
                assert!(list.iter().any(|d| d.event == ret), "{ret}");
            }
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

#[test]
fn the_release_picks_the_list() {
    for (release, vb) in [
        ("5.10.0-32-amd64", false),
        ("5.15.2", false),
        ("5.15.3", true),
        ("5.15.0-91-generic", true),
        ("5.16.0", true),
        ("6.1.0-37-amd64", true),
        ("7.2.13+deb14-amd64", true),
        ("weird", true),
    ] {
        assert_eq!(memops_take_vb(release), vb, "{release}");
    }
    assert!(std::ptr::eq(for_release("5.10.223"), WITHOUT_VB));
    assert_eq!(classify("prepare_dmabuf"), Some(Probe::BufferContext));
}
