//! The semantics the model can follow, and the behaviour switches that tell them apart. Each
//! switch is one row (or part of a row) of the reference's policy matrix (§3), or one of the
//! differences between the kernels people run (§10), with the release it appeared in.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A Linux release, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kernel {
    pub major: u16,
    pub minor: u16,
}

impl Kernel {
    pub const fn new(major: u16, minor: u16) -> Kernel {
        Kernel { major, minor }
    }
    /// The oldest release modelled: Debian 11's kernel. Older releases are taken as this one.
    pub const OLDEST: Kernel = Kernel::new(5, 10);
    /// The newest release modelled (`modern`). Newer releases behave like it until a change
    /// is modelled.
    pub const NEWEST: Kernel = Kernel::new(7, 2);
    /// The releases offered by name: the long-term kernels people run, and the newest.
    pub const NAMED: [Kernel; 6] = [
        Kernel::new(5, 10),
        Kernel::new(5, 15),
        Kernel::new(6, 1),
        Kernel::new(6, 6),
        Kernel::new(6, 12),
        Kernel::NEWEST,
    ];

    /// Reads `6.12`, `6.12.117+deb12-amd64`, `linux-6.1`, `v5.10.223`.
    pub fn parse(s: &str) -> Option<Kernel> {
        let s = s.trim();
        let s = s.strip_prefix("linux-").unwrap_or(s);
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut it = s.split(|c: char| !c.is_ascii_digit());
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        (major >= 2).then_some(Kernel { major, minor })
    }

    /// This release, or the oldest modelled one if it is older.
    pub fn clamped(self) -> Kernel {
        self.max(Kernel::OLDEST)
    }

    /// At least `major.minor`.
    pub fn at_least(self, major: u16, minor: u16) -> bool {
        self >= Kernel::new(major, minor)
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Which vb2 the model behaves like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// The V4L2 specification as written.
    Spec,
    /// vb2 with the DMABUF PATCHv7 (2012), before the unmap in `__vb2_queue_cancel`.
    Vb2_2012,
    /// vb2 as merged in Linux 3.8.
    Vb2_3_8,
    /// vb2 as in a Linux release (5.10 or later); [`Policy::MODERN`] is the newest.
    Linux(Kernel),
}

/// How the MMAP `m.offset` cookies of a queue are made (`__setup_offsets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetScheme {
    /// Each plane right after the previous one, page aligned: buffer N of size S at
    /// `N × PAGE_ALIGN(S)` (before 6.8).
    Cumulative,
    /// `index << 15 | plane << 12`, whatever the size (6.8, 3431e32cb585).
    Indexed,
}

impl Policy {
    /// vb2 in the newest release modelled.
    pub const MODERN: Policy = Policy::Linux(Kernel::NEWEST);
    /// The four generations of semantics, one severity column each.
    pub const ALL: [Policy; 4] = [
        Policy::Spec,
        Policy::Vb2_2012,
        Policy::Vb2_3_8,
        Policy::MODERN,
    ];

    /// Every policy offered by name: the three old semantics and each named release.
    pub fn offered() -> impl Iterator<Item = Policy> {
        [Policy::Spec, Policy::Vb2_2012, Policy::Vb2_3_8]
            .into_iter()
            .chain(Kernel::NAMED.into_iter().map(Policy::Linux))
    }

    /// Index of this policy's generation in [`Policy::ALL`]: the rules' severity column.
    pub fn generation(self) -> usize {
        match self {
            Policy::Spec => 0,
            Policy::Vb2_2012 => 1,
            Policy::Vb2_3_8 => 2,
            Policy::Linux(_) => 3,
        }
    }

    /// The release of a `Linux` policy.
    pub fn kernel(self) -> Option<Kernel> {
        match self {
            Policy::Linux(k) => Some(k),
            _ => None,
        }
    }

    pub fn name(self) -> Cow<'static, str> {
        match self {
            Policy::Spec => "spec".into(),
            Policy::Vb2_2012 => "vb2-2012".into(),
            Policy::Vb2_3_8 => "vb2-3.8".into(),
            Policy::Linux(k) if k == Kernel::NEWEST => "modern".into(),
            Policy::Linux(k) => format!("linux-{k}").into(),
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spec" => Some(Policy::Spec),
            "vb2-2012" | "2012" | "pre-2012" => Some(Policy::Vb2_2012),
            "vb2-3.8" | "3.8" | "v3.8" => Some(Policy::Vb2_3_8),
            "modern" | "newest" => Some(Policy::MODERN),
            // A release is named only from the oldest modelled on.
            s => Kernel::parse(s)
                .filter(|&k| k >= Kernel::OLDEST)
                .map(Policy::Linux),
        }
    }

    /// vb2 of a release; older than the oldest modelled is taken as the oldest.
    pub fn for_kernel(k: Kernel) -> Policy {
        Policy::Linux(k.clamped())
    }

    fn old_core(self) -> bool {
        matches!(self, Policy::Vb2_2012 | Policy::Vb2_3_8)
    }

    fn linux_since(self, major: u16, minor: u16) -> bool {
        matches!(self, Policy::Linux(k) if k.at_least(major, minor))
    }

    /// PREPARED is a buffer state (3.6/3.8), rather than a bit on a DEQUEUED buffer.
    pub fn prepared_is_state(self) -> bool {
        self.old_core()
    }
    /// USERPTR pages are unlocked when the buffer is dequeued (spec: "Buffers remain locked
    /// until dequeued").
    pub fn dqbuf_unpins(self) -> bool {
        self == Policy::Spec
    }
    /// DMABUF planes are unmapped at DQBUF (until 2cc1802f62e5, v5.1).
    pub fn dqbuf_unmaps(self) -> bool {
        !matches!(self, Policy::Linux(_))
    }
    /// STREAMOFF (queue cancel) unlocks USERPTR pages.
    pub fn cancel_unpins(self) -> bool {
        self == Policy::Spec
    }
    /// STREAMOFF (queue cancel) unmaps DMABUF planes. 2012 did not: the bug.
    pub fn cancel_unmaps(self) -> bool {
        matches!(self, Policy::Spec | Policy::Vb2_3_8)
    }
    /// `map_dmabuf` runs on every plane at prepare, mapped or not (3.6/3.8 `__qbuf_dmabuf`).
    pub fn map_unconditionally(self) -> bool {
        self.old_core()
    }
    /// A change of any plane's dma-buf re-acquires all planes (6.12, 03a979b74dc1).
    pub fn reacquire_all_planes(self) -> bool {
        self.linux_since(6, 12)
    }
    /// STREAMON while streaming fails with EBUSY ("streamon: already streaming").
    pub fn streamon_twice_fails(self) -> bool {
        self.old_core()
    }
    /// STREAMOFF while not streaming fails with EINVAL and leaves queued buffers queued.
    pub fn streamoff_idle_fails(self) -> bool {
        self.old_core()
    }
    /// A failed `start_streaming` cancels the queue: every buffer back to DEQUEUED.
    pub fn start_fail_cancels(self) -> bool {
        self.old_core()
    }
    /// REQBUFS with mmapped or exported MMAP buffers succeeds and orphans them
    /// (`V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS`, v5.0).
    pub fn orphans_buffers(self) -> bool {
        matches!(self, Policy::Linux(_))
    }
    /// REQBUFS(0) while streaming does an implicit STREAMOFF (spec wording).
    pub fn reqbufs0_implicit_streamoff(self) -> bool {
        self == Policy::Spec
    }
    /// `V4L2_BUF_FLAG_LAST` ends a capture stream: DQBUF then returns EPIPE (v4.2; long
    /// before the oldest modelled release). vb2 of 2012 and 3.8 have neither.
    pub fn has_last_buffer(self) -> bool {
        matches!(self, Policy::Spec | Policy::Linux(_))
    }
    /// The Request API (media requests, `V4L2_BUF_FLAG_REQUEST_FD`; v4.20). Before it the
    /// flag was not defined, and the media request ioctls did not exist (ENOTTY).
    pub fn has_requests(self) -> bool {
        matches!(self, Policy::Spec | Policy::Linux(_))
    }
    /// The errno of a USERPTR plane whose address is not user memory (0, unmapped): the
    /// allocator's `get_userptr` pins it through a frame vector, and pinning fails with
    /// EFAULT (every allocator since frame vectors, v4.2). In 2012 and 3.8 `get_userptr`
    /// returned NULL and vb2 made that EINVAL; the spec names EINVAL too.
    pub fn bad_userptr_errno(self) -> crate::v4l2::Errno {
        match self {
            Policy::Linux(_) => crate::v4l2::Errno::EFAULT,
            _ => crate::v4l2::Errno::EINVAL,
        }
    }
    /// `vb2_queue_error` exists (v3.16): QBUF and DQBUF fail with EIO after a fatal error.
    pub fn has_queue_error(self) -> bool {
        matches!(self, Policy::Spec | Policy::Linux(_))
    }
    /// The driver's `min_queued_buffers` defers `start_streaming`.
    pub fn has_min_queued(self) -> bool {
        matches!(self, Policy::Spec | Policy::Linux(_))
    }
    /// VIDIOC_REMOVE_BUFS exists (6.10, a3293a85381e); before, the ioctl is ENOTTY.
    pub fn has_remove_bufs(self) -> bool {
        self == Policy::Spec || self.linux_since(6, 10)
    }
    /// Buffers left ACTIVE after `stop_streaming` give a WARN and "driver bug" lines.
    pub fn warns_active_after_stop(self) -> bool {
        matches!(self, Policy::Linux(_))
    }
    /// The cache `prepare` memop runs at `buf_queue` time rather than at QBUF/PREPARE_BUF.
    pub fn prepare_at_buf_queue(self) -> bool {
        self.old_core()
    }
    /// The core calls the cache `prepare`/`finish` memops for DMABUF planes too (5.16,
    /// cde513fd9b35); before, only for MMAP and USERPTR.
    pub fn dmabuf_cache_sync(self) -> bool {
        !matches!(self, Policy::Linux(k) if !k.at_least(5, 16))
    }
    /// Closing a handle releases the queue when the queue has no owner at all (6.8).
    pub fn close_releases_unowned(self) -> bool {
        self.linux_since(6, 8)
    }
    /// How MMAP offset cookies are made.
    pub fn offset_scheme(self) -> OffsetScheme {
        if self.linux_since(6, 8) || self == Policy::Spec {
            OffsetScheme::Indexed
        } else {
            OffsetScheme::Cumulative
        }
    }
    /// The most buffers a queue can have unless the driver says otherwise: `VB2_MAX_FRAME`
    /// (32), a hard limit before 6.8 and `max_num_buffers`'s default since.
    pub fn default_max_buffers(self) -> u32 {
        crate::v4l2::VB2_MAX_FRAME
    }
    /// A queue may hold more than 32 buffers if its driver allows (`max_num_buffers`, 6.8).
    pub fn driver_sets_max_buffers(self) -> bool {
        self == Policy::Spec || self.linux_since(6, 8)
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Policy::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown policy {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_parse_from_uname_and_names() {
        assert_eq!(
            Kernel::parse("6.12.117+deb12-amd64"),
            Some(Kernel::new(6, 12))
        );
        assert_eq!(Kernel::parse("linux-6.1"), Some(Kernel::new(6, 1)));
        assert_eq!(Kernel::parse("v5.10.223"), Some(Kernel::new(5, 10)));
        assert_eq!(Kernel::parse("7.2.13+deb14-amd64"), Some(Kernel::new(7, 2)));
        assert_eq!(Kernel::parse("modern"), None);
        assert_eq!(Kernel::parse("6"), None);
    }

    #[test]
    fn policy_names_round_trip() {
        for p in Policy::offered() {
            assert_eq!(Policy::parse(&p.name()), Some(p), "{p}");
        }
        assert_eq!(
            Policy::parse("6.12"),
            Some(Policy::Linux(Kernel::new(6, 12)))
        );
        assert_eq!(Policy::parse("linux-4.19"), None);
        assert_eq!(
            Policy::for_kernel(Kernel::new(4, 19)),
            Policy::Linux(Kernel::OLDEST)
        );
        assert_eq!(Policy::MODERN.name(), "modern");
    }

    #[test]
    fn switches_follow_the_release() {
        let l = |a, b| Policy::Linux(Kernel::new(a, b));
        assert_eq!(l(6, 1).offset_scheme(), OffsetScheme::Cumulative);
        assert_eq!(l(6, 8).offset_scheme(), OffsetScheme::Indexed);
        assert!(!l(6, 6).has_remove_bufs() && l(6, 10).has_remove_bufs());
        assert!(!l(6, 1).close_releases_unowned() && l(6, 12).close_releases_unowned());
        assert!(!l(6, 11).reacquire_all_planes() && l(6, 12).reacquire_all_planes());
        assert!(!l(5, 10).dmabuf_cache_sync() && l(6, 1).dmabuf_cache_sync());
    }
}
