//! Events in words, for the event table and the step explanation.

use vb2scope_core::trace::{Body, DriverAction, IoctlArg, Trace};
use vb2scope_core::v4l2::outcome_str;

/// A kernel log line in words: code addresses (`func+0xec/0x100`) become the function's
/// name, and a WARN's CPU and PID go (the raw line stays in the inspector).
fn klog_text(text: &str) -> String {
    let text = match text.split_once(" CPU: ") {
        Some((head, rest)) => match rest.split_once(" at ") {
            Some((_, site)) => format!("{head} at {site}"),
            None => text.to_owned(),
        },
        None => text.to_owned(),
    };
    text.split(' ')
        .map(|w| match w.split_once("+0x") {
            Some((func, off)) if off.contains("/0x") && !func.is_empty() => func,
            _ => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the events panel shows for a value the source did not record.
const UNKNOWN: &str = "unknown (not in the source)";

/// A kprobe's text without the probed address: `(vb2_core_queue_release+0x4/0x80
/// [videobuf2_common]) q=0x…` reads `vb2_core_queue_release q=0x…` (the raw line stays in
/// the inspector).
fn probe_text(text: &str) -> String {
    let Some(rest) = text.strip_prefix('(') else {
        return text.to_owned();
    };
    let Some((site, args)) = rest.split_once(')') else {
        return text.to_owned();
    };
    let func = site.split(['+', ' ']).next().unwrap_or(site);
    format!("{func}{args}")
}

/// An ioctl argument other than a buffer, in words.
fn argument(a: &IoctlArg) -> String {
    match *a {
        IoctlArg::Alloc {
            ty,
            memory,
            count,
            count_out,
            index,
            caps,
            max_buffers,
        } => {
            let mut s = format!("{} {} count {count}", ty.as_str(), memory.as_str());
            if let Some(c) = count_out {
                s.push_str(&format!(", granted {c}"));
            }
            if let Some(i) = index {
                s.push_str(&format!(", first index {i}"));
            }
            if let Some(c) = caps {
                s.push_str(&format!(", capabilities {c:#x}"));
            }
            if let Some(m) = max_buffers {
                s.push_str(&format!(", at most {m} buffers"));
            }
            s
        }
        IoctlArg::Remove { ty, index, count } => {
            format!("{} index {index} count {count}", ty.as_str())
        }
        IoctlArg::Stream { ty } => ty.as_str().to_owned(),
        IoctlArg::Expbuf {
            ty,
            index,
            plane,
            fd_out,
        } => {
            let out = fd_out.map_or_else(String::new, |f| format!(", exported as fd {f}"));
            format!("{} index {index} plane {plane}{out}", ty.as_str())
        }
        IoctlArg::Buffer(b) => format!("{} index {}", b.ty.as_str(), b.index),
        IoctlArg::Undecoded => "not decoded by its source".into(),
        IoctlArg::Querycap(c) => match c.device_caps {
            Some(d) => format!("node capabilities {d:#x}"),
            None => "capabilities not recorded".into(),
        },
        IoctlArg::Command { .. }
        | IoctlArg::Event { .. }
        | IoctlArg::Request { .. }
        | IoctlArg::Controls { .. } => codec_arg(a).trim_start().to_owned(),
    }
}

/// A codec command, an event or a media request, in words, with a leading space; empty
/// when there is nothing to say.
fn codec_arg(a: &IoctlArg) -> String {
    use vb2scope_core::v4l2::codec;
    match *a {
        IoctlArg::Command {
            cmd: Some(c),
            flags,
        } => {
            let name =
                codec::cmd_name(c, false).map_or_else(|| format!("command {c}"), str::to_owned);
            if flags != 0 {
                format!(" {name} (flags {flags:#x})")
            } else {
                format!(" {name}")
            }
        }
        IoctlArg::Command { cmd: None, .. } => " (command not decoded)".into(),
        IoctlArg::Event {
            ty: Some(t),
            changes,
        } => {
            let name = codec::event_name(t).map_or_else(|| format!("event {t}"), str::to_owned);
            if changes & codec::SRC_CH_RESOLUTION != 0 {
                format!(" {name} (resolution)")
            } else {
                format!(" {name}")
            }
        }
        IoctlArg::Event { ty: None, .. } => " (event not decoded)".into(),
        IoctlArg::Request { fd_out: Some(f) } => format!(" → request fd {f}"),
        IoctlArg::Controls {
            count, request_fd, ..
        } => match request_fd {
            Some(r) => format!(" {count} control(s) of request fd {r}"),
            None => format!(" {count} control(s) of a request (fd not recorded)"),
        },
        _ => String::new(),
    }
}

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
                    max_buffers,
                    ..
                }) => {
                    let got = count_out.map(|c| format!(" → {c}")).unwrap_or_default();
                    let max = max_buffers
                        .map(|m| format!(" (at most {m})"))
                        .unwrap_or_default();
                    format!(" count {count} {}{got}{max}", memory.as_str())
                }
                Some(IoctlArg::Remove { index, count, .. }) => {
                    format!(" index {index} count {count}")
                }
                Some(IoctlArg::Stream { ty }) => format!(" {}", ty.short()),
                Some(IoctlArg::Undecoded) => " (argument not decoded)".into(),
                Some(
                    a @ (IoctlArg::Command { .. }
                    | IoctlArg::Event { .. }
                    | IoctlArg::Request { .. }
                    | IoctlArg::Controls { .. }),
                ) => codec_arg(a),
                Some(IoctlArg::Querycap(c)) if !trace.str(c.driver).is_empty() => {
                    format!(
                        " driver {:?} card {:?}",
                        trace.str(c.driver),
                        trace.str(c.card)
                    )
                }
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
                    let m = match (b.memory, b.known_m()) {
                        (Some(vb2scope_core::v4l2::Memory::Dmabuf), Some(m)) => {
                            format!(" fd {}", m as i64)
                        }
                        (Some(vb2scope_core::v4l2::Memory::Userptr), Some(m)) => {
                            format!(" ptr {m:#x}")
                        }
                        (Some(vb2scope_core::v4l2::Memory::Dmabuf), None) => " fd ?".into(),
                        (Some(vb2scope_core::v4l2::Memory::Userptr), None) => " ptr ?".into(),
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
        Body::Poll {
            fd,
            events,
            revents,
        } => {
            use vb2scope_core::v4l2::poll::names;
            let got = if revents == 0 {
                "nothing (timeout)".to_owned()
            } else {
                names(revents)
            };
            format!("poll fd {fd} for {} = {got}", names(events))
        }
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
        Body::Dmabuf { fd, name, ext } => {
            let x = trace.extent(ext);
            let ino = if x.offset != 0 {
                format!(" ino {}", x.offset)
            } else {
                String::new()
            };
            format!(
                "dma-buf{ino} {} of {} bytes = fd {fd}",
                trace.str(name),
                x.len
            )
        }
        Body::Tracepoint { name, text } => {
            format!("{}: {}", trace.str(name), probe_text(trace.str(text)))
        }
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
            DriverAction::Config(c) => format!("driver: {}", c.describe()),
        },
        Body::Klog { text } => format!("kernel: {}", klog_text(trace.str(text))),
        Body::Marker { text } => format!("marker: {}", trace.str(text)),
        Body::Expect { want } => format!("expect {}", outcome_str(want)),
    };
    format!("{what}  [{}]", e.origin().as_str())
}

/// The decoded fields of event `i`, as (name, value) pairs, for the inspector.
pub fn fields(
    trace: &Trace,
    i: usize,
    tb: &vb2scope_core::time::TimeBase,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(e) = trace.events.get(i) else {
        return out;
    };
    out.push(("time".into(), tb.rel_ns(e.t_ns)));
    out.push((
        "trace clock".into(),
        format!("{} s", vb2scope_core::time::seconds(e.t_ns)),
    ));
    if let Some(w) = tb.clock.wall(e.t_ns) {
        out.push(("wall clock".into(), w));
    }
    let th = trace.thread(e.thread);
    if th.pid != 0 {
        out.push(("pid / tid".into(), format!("{} / {}", th.pid, th.tid)));
    }
    if e.line() != 0 {
        out.push(("scenario line".into(), e.line().to_string()));
    }
    if let Body::Tracepoint { name, text } = e.body {
        out.push(("tracepoint".into(), trace.str(name).to_owned()));
        out.push(("raw text".into(), trace.str(text).to_owned()));
    }
    if let Body::Ioctl {
        fd,
        cmd,
        result,
        arg,
    } = e.body
    {
        out.push(("ioctl".into(), format!("{} on fd {fd}", cmd.name())));
        out.push(("result".into(), outcome_str(result)));
        match trace.arg(arg) {
            Some(IoctlArg::Buffer(b)) if b.index != u32::MAX => {
                let flags = vb2scope_core::v4l2::flags::names(b.flags);
                out.push(("index".into(), b.index.to_string()));
                out.push(("type".into(), b.ty.as_str().into()));
                out.push((
                    "memory".into(),
                    b.memory.map(|m| m.as_str()).unwrap_or("-").into(),
                ));
                out.push(("flags".into(), format!("{:#010x} {flags}", b.flags)));
                out.push(("field".into(), b.field.to_string()));
                out.push((
                    "bytesused / length".into(),
                    format!("{} / {}", b.bytesused, b.length),
                ));
                out.push(("sequence".into(), b.sequence.to_string()));
                out.push(("timestamp".into(), format!("{} ns", b.timestamp_ns)));
                let m = match b.memory {
                    Some(vb2scope_core::v4l2::Memory::Dmabuf) => "m.fd",
                    Some(vb2scope_core::v4l2::Memory::Userptr) => "m.userptr",
                    _ => "m.offset",
                };
                let shown =
                    |v: Option<u64>| v.map_or_else(|| UNKNOWN.to_string(), |v| format!("{v:#x}"));
                if b.planes_count == 0 && b.ty.is_mplane() {
                    out.push(("planes".into(), UNKNOWN.into()));
                } else if b.planes_count == 0 {
                    out.push((m.into(), shown(b.known_m())));
                }
                for (p, pl) in trace.planes_of(b).iter().enumerate() {
                    out.push((
                        format!("plane {p}"),
                        format!(
                            "{m} {}, length {}, bytesused {}, data_offset {}",
                            shown(pl.known_m()),
                            pl.length,
                            pl.bytesused,
                            pl.data_offset
                        ),
                    ));
                }
            }
            Some(a) => out.push(("argument".into(), argument(a))),
            None => {}
        }
    }
    out
}
