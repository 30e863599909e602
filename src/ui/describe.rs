//! Events in words, for the event table and the step explanation.

use crate::model::{Origin, outcome_str};
use crate::trace::{Body, DriverAction, IoctlArg, Trace};

/// One line saying what event `i` is.
pub fn event(trace: &Trace, i: usize) -> String {
    let Some(e) = trace.events.get(i) else {
        return String::new();
    };
    let what = match e.body {
        Body::Ioctl {
            fd,
            cmd,
            result,
            arg,
        } => {
            let detail = match trace.arg(arg) {
                Some(IoctlArg::Alloc {
                    count,
                    memory,
                    count_out,
                    ..
                }) => {
                    let got = count_out.map(|c| format!(" → {c}")).unwrap_or_default();
                    format!(" count {count} {}{got}", memory.as_str())
                }
                Some(IoctlArg::Remove { index, count, .. }) => {
                    format!(" index {index} count {count}")
                }
                Some(IoctlArg::Stream { ty }) => format!(" {}", ty.short()),
                Some(IoctlArg::Expbuf {
                    index,
                    plane,
                    fd_out,
                    ..
                }) => {
                    format!(
                        " index {index} plane {plane}{}",
                        fd_out.map(|f| format!(" → fd {f}")).unwrap_or_default()
                    )
                }
                Some(IoctlArg::Buffer(b)) if b.index != u32::MAX => {
                    let m = match b.memory {
                        Some(crate::model::Memory::Dmabuf) => format!(" fd {}", b.m),
                        Some(crate::model::Memory::Userptr) => format!(" ptr {:#x}", b.m),
                        _ => String::new(),
                    };
                    format!(" {} index {}{m}", b.ty.short(), b.index)
                }
                _ => String::new(),
            };
            format!("{} fd {fd}{detail} = {}", cmd.name(), outcome_str(result))
        }
        Body::Open { fd, path, .. } => format!("open {} = fd {fd}", trace.str(path)),
        Body::Close { fd } => format!("close fd {fd}"),
        Body::Dup { fd, new_fd } => format!("dup fd {fd} = fd {new_fd}"),
        Body::Mmap { fd, ext } => {
            let x = trace.extent(ext);
            if fd < 0 {
                format!("user memory {:#x} +{}", x.addr, x.len)
            } else {
                format!("mmap fd {fd} offset {:#x} = {:#x}", x.offset, x.addr)
            }
        }
        Body::Munmap { ext } => {
            let x = trace.extent(ext);
            format!("munmap {:#x} +{}", x.addr, x.len)
        }
        Body::Dmabuf { fd, name, ext } => format!(
            "dma-buf {} of {} bytes = fd {fd}",
            trace.str(name),
            trace.extent(ext).len
        ),
        Body::Tracepoint { name, text } => format!("{}: {}", trace.str(name), trace.str(text)),
        Body::Memop {
            kind,
            ty,
            index,
            plane,
            ..
        } => format!("{} {} #{index} plane {plane}", kind.as_str(), ty.short()),
        Body::Driver { ty, action, .. } => match action {
            DriverAction::BufferDone { index, state } => {
                let i = index
                    .map(|i| format!("#{i}"))
                    .unwrap_or_else(|| "oldest active".into());
                format!(
                    "driver: vb2_buffer_done({} {i}, {})",
                    ty.short(),
                    state.as_str()
                )
            }
            DriverAction::Config(c) => format!("driver: {c:?}"),
        },
        Body::Klog { text } => format!("kernel: {}", trace.str(text)),
        Body::Marker { text } => format!("marker: {}", trace.str(text)),
        Body::Expect { want } => format!("expect {}", outcome_str(want)),
    };
    let origin = match e.origin {
        Origin::Observed => "observed",
        Origin::Inferred => "inferred",
        Origin::Scripted => "scripted",
    };
    format!("{what}  [{origin}]")
}
