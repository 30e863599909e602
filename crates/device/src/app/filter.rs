//! The seccomp filter a recorded program runs under: the calls that can touch a buffer's
//! life stop for the tracer (`RET_TRACE`), and the waits (poll, select), whose fds only the
//! tracer can read, to find waits on media requests; everything else runs at full speed. A classic BPF
//! program, assembled here with labels; an i386 call of a 64-bit program never kills it
//! (unlike seccompiler's prologue): its ioctls stop, to be marked as not decoded.

use nix::libc::{self, sock_filter};

use super::uapi::REQUESTS;

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub(super) const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
pub(super) const I386_IOCTL: u32 = 54;

/// `seccomp_data` offsets: nr, arch, then the arguments (low 32 bits first on x86).
const NR: u32 = 0;
const ARCH: u32 = 4;
fn arg_lo(i: u32) -> u32 {
    16 + 8 * i
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Label {
    Allow,
    Trace,
    Native,
    I386,
    Ioctl,
    Fcntl,
    Mmap,
}

enum Ins {
    Ld(u32),
    /// Jump to `t` when A == k (or when A & k != 0 with `set`), else to `f`.
    Jmp {
        k: u32,
        set: bool,
        t: Target,
        f: Target,
    },
    Ret(u32),
    Mark(Label),
}

#[derive(Clone, Copy)]
enum Target {
    Next,
    To(Label),
}

fn jeq(k: u32, t: Label) -> Ins {
    Ins::Jmp {
        k,
        set: false,
        t: Target::To(t),
        f: Target::Next,
    }
}

/// The syscalls that stop, by x86_64 number, and where each goes.
fn syscalls() -> Vec<(u32, Label)> {
    let nr = |n: libc::c_long| n as u32;
    vec![
        (nr(libc::SYS_ioctl), Label::Ioctl),
        (nr(libc::SYS_fcntl), Label::Fcntl),
        (nr(libc::SYS_mmap), Label::Mmap),
        (nr(libc::SYS_open), Label::Trace),
        (nr(libc::SYS_openat), Label::Trace),
        (nr(libc::SYS_openat2), Label::Trace),
        (nr(libc::SYS_close), Label::Trace),
        (nr(libc::SYS_close_range), Label::Trace),
        (nr(libc::SYS_dup), Label::Trace),
        (nr(libc::SYS_dup2), Label::Trace),
        (nr(libc::SYS_dup3), Label::Trace),
        (nr(libc::SYS_munmap), Label::Trace),
        // Waits on media requests (R31); the tracer lets a wait on none go at once.
        (nr(libc::SYS_poll), Label::Trace),
        (nr(libc::SYS_ppoll), Label::Trace),
        (nr(libc::SYS_select), Label::Trace),
        (nr(libc::SYS_pselect6), Label::Trace),
        (nr(libc::SYS_epoll_ctl), Label::Trace),
    ]
}

fn program() -> Vec<Ins> {
    use Ins::*;
    let mut p = vec![
        Ld(ARCH),
        jeq(AUDIT_ARCH_X86_64, Label::Native),
        jeq(AUDIT_ARCH_I386, Label::I386),
        Ret(RET_ALLOW),
        Mark(Label::Native),
        Ld(NR),
        Jmp {
            k: X32_SYSCALL_BIT,
            set: true,
            t: Target::To(Label::Allow),
            f: Target::Next,
        },
    ];
    p.extend(syscalls().into_iter().map(|(nr, to)| jeq(nr, to)));
    p.push(Ret(RET_ALLOW));
    p.push(Mark(Label::Ioctl));
    p.push(Ld(arg_lo(1)));
    p.extend(REQUESTS.iter().map(|&(req, _)| jeq(req, Label::Trace)));
    p.push(Ret(RET_ALLOW));
    p.push(Mark(Label::Fcntl));
    p.push(Ld(arg_lo(1)));
    p.push(jeq(libc::F_DUPFD as u32, Label::Trace));
    p.push(jeq(libc::F_DUPFD_CLOEXEC as u32, Label::Trace));
    p.push(Ret(RET_ALLOW));
    // A buffer's mmap() is MAP_SHARED of a file; private and anonymous mappings run free.
    p.push(Mark(Label::Mmap));
    p.push(Ld(arg_lo(3)));
    p.push(Jmp {
        k: libc::MAP_SHARED as u32,
        set: true,
        t: Target::Next,
        f: Target::To(Label::Allow),
    });
    p.push(Jmp {
        k: libc::MAP_ANONYMOUS as u32,
        set: true,
        t: Target::To(Label::Allow),
        f: Target::To(Label::Trace),
    });
    p.push(Mark(Label::I386));
    p.push(Ld(NR));
    p.push(jeq(I386_IOCTL, Label::Trace));
    p.push(Ret(RET_ALLOW));
    p.push(Mark(Label::Trace));
    p.push(Ret(RET_TRACE));
    p.push(Mark(Label::Allow));
    p.push(Ret(RET_ALLOW));
    p
}

/// What the filter decides, for a process traced without it (`--attach`: a filter can only
/// be installed by the process itself): whether a native call stops.
pub fn stops(nr: u64, args: &[u64; 6]) -> bool {
    let Ok(nr) = u32::try_from(nr) else {
        return false;
    };
    let Some(&(_, to)) = syscalls().iter().find(|&&(n, _)| n == nr) else {
        return false;
    };
    let lo = |i: usize| args[i] as u32;
    match to {
        Label::Ioctl => REQUESTS.iter().any(|&(req, _)| req == lo(1)),
        Label::Fcntl => lo(1) == libc::F_DUPFD as u32 || lo(1) == libc::F_DUPFD_CLOEXEC as u32,
        Label::Mmap => {
            lo(3) & libc::MAP_SHARED as u32 != 0 && lo(3) & libc::MAP_ANONYMOUS as u32 == 0
        }
        _ => true,
    }
}

/// Why a program cannot be assembled (a jump too far): a bug here, never the user's.
#[derive(Debug, thiserror::Error)]
#[error("the seccomp filter cannot be assembled: {0}")]
pub struct FilterError(String);

/// The filter, assembled.
pub fn filter() -> Result<Vec<sock_filter>, FilterError> {
    let prog = program();
    let mut at = Vec::new();
    let mut n = 0usize;
    for ins in &prog {
        match ins {
            Ins::Mark(l) => at.push((*l, n)),
            _ => n += 1,
        }
    }
    let addr = |l: Label| {
        at.iter()
            .find(|(m, _)| *m == l)
            .map(|&(_, a)| a)
            .ok_or_else(|| FilterError(format!("no label {l:?}")))
    };
    let mut out = Vec::with_capacity(n);
    for ins in &prog {
        let i = out.len();
        let rel = |t: Target| -> Result<u8, FilterError> {
            match t {
                Target::Next => Ok(0),
                Target::To(l) => {
                    let d = addr(l)?.checked_sub(i + 1);
                    d.and_then(|d| u8::try_from(d).ok())
                        .ok_or_else(|| FilterError(format!("jump to {l:?} from {i}")))
                }
            }
        };
        let f = match *ins {
            Ins::Mark(_) => continue,
            Ins::Ld(off) => stmt((libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16, off),
            Ins::Ret(k) => stmt((libc::BPF_RET | libc::BPF_K) as u16, k),
            Ins::Jmp { k, set, t, f } => sock_filter {
                code: (libc::BPF_JMP
                    | if set { libc::BPF_JSET } else { libc::BPF_JEQ }
                    | libc::BPF_K) as u16,
                jt: rel(t)?,
                jf: rel(f)?,
                k,
            },
        };
        out.push(f);
    }
    Ok(out)
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the filter on one `seccomp_data` (nr, arch, args) as the kernel would.
    fn run(f: &[sock_filter], nr: u32, arch: u32, args: [u64; 6]) -> u32 {
        let word = |off: u32| -> u32 {
            match off {
                NR => nr,
                ARCH => arch,
                o => {
                    let i = ((o - 16) / 8) as usize;
                    args[i] as u32
                }
            }
        };
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let ins = f[pc];
            let class = u32::from(ins.code) & 0x07;
            match class {
                c if c == libc::BPF_LD => {
                    a = word(ins.k);
                    pc += 1;
                }
                c if c == libc::BPF_RET => return ins.k,
                _ => {
                    let op = u32::from(ins.code) & 0xf0;
                    let hit = if op == libc::BPF_JSET {
                        a & ins.k != 0
                    } else {
                        a == ins.k
                    };
                    pc += 1 + usize::from(if hit { ins.jt } else { ins.jf });
                }
            }
        }
    }

    const X86: u32 = AUDIT_ARCH_X86_64;

    #[test]
    fn buffer_calls_stop_and_the_rest_runs() {
        let f = filter().expect("assembles");
        let ioctl = libc::SYS_ioctl as u32;
        let qbuf = 0xc058_560f;
        assert_eq!(run(&f, ioctl, X86, [3, qbuf, 0, 0, 0, 0]), RET_TRACE);
        // ENUM_FMT and FIONREAD run free.
        assert_eq!(run(&f, ioctl, X86, [3, 0xc040_5602, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(run(&f, ioctl, X86, [3, 0x541b, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(run(&f, libc::SYS_read as u32, X86, [0; 6]), RET_ALLOW);
        assert_eq!(run(&f, libc::SYS_close as u32, X86, [0; 6]), RET_TRACE);
        let mmap = libc::SYS_mmap as u32;
        let shared = libc::MAP_SHARED as u64;
        let anon = libc::MAP_ANONYMOUS as u64;
        let private = libc::MAP_PRIVATE as u64;
        assert_eq!(run(&f, mmap, X86, [0, 4096, 3, shared, 3, 0]), RET_TRACE);
        assert_eq!(
            run(&f, mmap, X86, [0, 4096, 3, shared | anon, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(run(&f, mmap, X86, [0, 4096, 3, private, 3, 0]), RET_ALLOW);
        let fcntl = libc::SYS_fcntl as u32;
        assert_eq!(
            run(
                &f,
                fcntl,
                X86,
                [3, libc::F_DUPFD_CLOEXEC as u64, 0, 0, 0, 0]
            ),
            RET_TRACE
        );
        assert_eq!(
            run(&f, fcntl, X86, [3, libc::F_GETFL as u64, 0, 0, 0, 0]),
            RET_ALLOW
        );
    }

    /// `stops` and the filter agree on every call the tests above try, and on more.
    #[test]
    fn the_filter_and_its_userspace_twin_agree() {
        let f = filter().expect("assembles");
        let requests = [
            0xc058_560f,
            0xc040_5602,
            0x541b,
            0xc014_5608,
            0xc0d0_5605,
            0,
        ];
        let flags = [
            libc::MAP_SHARED as u64,
            (libc::MAP_SHARED | libc::MAP_ANONYMOUS) as u64,
            libc::MAP_PRIVATE as u64,
            libc::F_DUPFD as u64,
            libc::F_GETFL as u64,
        ];
        for nr in 0..450u32 {
            for &r in &requests {
                for &fl in &flags {
                    let args = [3, r.max(fl), 0, fl, 3, 0];
                    let bpf = run(&f, nr, X86, args) == RET_TRACE;
                    assert_eq!(stops(u64::from(nr), &args), bpf, "nr {nr} args {args:?}");
                }
            }
        }
    }

    #[test]
    fn other_abis_are_never_killed() {
        let f = filter().expect("assembles");
        assert_eq!(run(&f, I386_IOCTL, AUDIT_ARCH_I386, [0; 6]), RET_TRACE);
        assert_eq!(run(&f, 3, AUDIT_ARCH_I386, [0; 6]), RET_ALLOW);
        assert_eq!(run(&f, X32_SYSCALL_BIT | 16, X86, [0; 6]), RET_ALLOW);
        assert_eq!(run(&f, 16, 0xc000_00b7, [0; 6]), RET_ALLOW);
    }
}
