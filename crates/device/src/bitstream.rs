//! A coded stream that a scenario feeds to a decoder's OUTPUT buffers (`bitstream NAME PATH`,
//! `qbuf … data=NAME`), one frame per buffer where the format shows where frames end, else
//! as much as the buffer holds.

/// vicodec's FWHT frame header (`struct fwht_cframe_hdr`): two magic words, then nine
/// big-endian words, the last the size of the coded data after the header.
const FWHT_MAGIC: [u8; 8] = [0x4f, 0x4f, 0x4f, 0x4f, 0xff, 0xff, 0xff, 0xff];
const FWHT_HEADER: usize = 44;

pub struct Bitstream {
    bytes: Vec<u8>,
    pos: usize,
}

impl Bitstream {
    pub fn new(bytes: Vec<u8>) -> Bitstream {
        Bitstream { bytes, pos: 0 }
    }

    /// The next frame, or the next `max` bytes of a stream in no known format; `None` at the
    /// end. A frame longer than `max` is cut to it (the decoder sees a short frame, as it
    /// would from an application with buffers too small).
    pub fn next_chunk(&mut self, max: usize) -> Option<&[u8]> {
        let rest = self.bytes.get(self.pos..).filter(|r| !r.is_empty())?;
        let len = fwht_frame_len(rest).unwrap_or(rest.len()).min(max.max(1));
        let chunk = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Some(chunk)
    }
}

/// The length of the FWHT frame `b` starts with, header included, at most `b.len()`.
fn fwht_frame_len(b: &[u8]) -> Option<usize> {
    if !b.starts_with(&FWHT_MAGIC) {
        return None;
    }
    let size = b.get(FWHT_HEADER - 4..FWHT_HEADER)?;
    let size = u32::from_be_bytes(size.try_into().ok()?) as usize;
    Some(FWHT_HEADER.saturating_add(size).min(b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwht(size: u32, fill: u8) -> Vec<u8> {
        let mut v = FWHT_MAGIC.to_vec();
        v.extend([0u8; FWHT_HEADER - 12]);
        v.extend(size.to_be_bytes());
        v.extend(std::iter::repeat_n(fill, size as usize));
        v
    }

    #[test]
    fn fwht_frames_one_by_one() {
        let mut bytes = fwht(10, 1);
        bytes.extend(fwht(3, 2));
        let mut s = Bitstream::new(bytes);
        assert_eq!(s.next_chunk(4096).map(<[u8]>::len), Some(54));
        assert_eq!(s.next_chunk(4096).map(|c| c[FWHT_HEADER]), Some(2));
        assert_eq!(s.next_chunk(4096), None);
    }

    #[test]
    fn unknown_format_in_buffer_sized_chunks() {
        let mut s = Bitstream::new(vec![7; 10]);
        assert_eq!(s.next_chunk(4).map(<[u8]>::len), Some(4));
        assert_eq!(s.next_chunk(4).map(<[u8]>::len), Some(4));
        assert_eq!(s.next_chunk(4).map(<[u8]>::len), Some(2));
        assert_eq!(s.next_chunk(4), None);
    }

    #[test]
    fn truncated_or_oversized_frames_are_cut() {
        let mut whole = fwht(100, 0);
        whole.truncate(60);
        assert_eq!(
            Bitstream::new(whole).next_chunk(4096).map(<[u8]>::len),
            Some(60)
        );
        assert_eq!(
            Bitstream::new(fwht(100, 0)).next_chunk(50).map(<[u8]>::len),
            Some(50)
        );
        assert_eq!(
            Bitstream::new(FWHT_MAGIC.to_vec())
                .next_chunk(99)
                .map(<[u8]>::len),
            Some(8)
        );
    }
}
