//! The probes for kernels whose vb2 memops take the buffer first (`struct vb2_buffer *vb`:
//! 5.16 on, and 5.15 from 5.15.3, a4b83deb3e76). Argument positions follow the Linux 6.12
//! signatures; `tests.rs` checks them.

use super::KprobeDef;

/// Every probe, in the order they are added. Entry probes come before their return probes.
pub static WITH_VB: &[KprobeDef] = defs! {
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
    // The exporter's release of a dma-buf it exported: the vb2 reference it drops (its
    // put is often inlined there, and then not seen on its own).
    "p" "vb2scope_mem"/"vmalloc_dmabuf_release" "vb2_vmalloc_dmabuf_ops_release" " dbuf=$arg1:x64";
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
    "p" "vb2scope_mem"/"dc_dmabuf_release" "vb2_dc_dmabuf_ops_release" " dbuf=$arg1:x64";
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
    "p" "vb2scope_mem"/"sg_dmabuf_release" "vb2_dma_sg_dmabuf_ops_release" " dbuf=$arg1:x64";
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
    "p" "vb2scope_core"/"reqbufs" "vb2_core_reqbufs" " q=$arg1:x64 qtype=+0($arg1):u32 memory=$arg2:u32 count=+0($arg4):u32";
    "p" "vb2scope_core"/"create_bufs" "vb2_core_create_bufs" " q=$arg1:x64 qtype=+0($arg1):u32 memory=$arg2:u32 count=+0($arg4):u32";
    "p" "vb2scope_core"/"expbuf" "vb2_core_expbuf" " q=$arg1:x64 plane=$arg5:u32 flags=$arg6:x32";
    "p" "vb2scope_core"/"streamon" "vb2_core_streamon" " q=$arg1:x64 type=$arg2:u32";
    "p" "vb2scope_core"/"streamoff" "vb2_core_streamoff" " q=$arg1:x64 type=$arg2:u32";
    "p" "vb2scope_core"/"queue_release" "vb2_core_queue_release" " q=$arg1:x64 qtype=+0($arg1):u32";
    // A codec command's kind (strace prints the argument as a pointer): the helpers'
    // ioctls, which most M2M codecs call, with the command copied into the kernel.
    "p" "vb2scope_core"/"m2m_decoder_cmd" "v4l2_m2m_ioctl_decoder_cmd" " cmd=+0($arg3):u32";
    "p" "vb2scope_core"/"m2m_encoder_cmd" "v4l2_m2m_ioctl_encoder_cmd" " cmd=+0($arg3):u32";
};
