use super::*;
use crate::format::{read_native_bytes, write_native};
use crate::trace::Trace;

/// Every native trace of the repository (bundled and test fixtures: scenarios' records and
/// real recordings), read from its JSON Lines.
fn bundled() -> Vec<(String, Trace)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut dirs = vec![
        std::path::PathBuf::from(root).join("traces"),
        std::path::PathBuf::from(root).join("tests/fixtures"),
    ];
    let mut out = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                let bytes = std::fs::read(&path).expect("read");
                if let Ok((t, _)) = read_native_bytes(&bytes) {
                    out.push((path.display().to_string(), t));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() > 20);
    out
}

/// The repository's trace with the most events.
fn largest() -> (String, Trace) {
    bundled()
        .into_iter()
        .max_by_key(|(_, t)| t.events.len())
        .expect("a trace")
}

fn jsonl(t: &Trace) -> String {
    let mut out = Vec::new();
    write_native(&mut out, t).expect("write");
    String::from_utf8(out).expect("utf-8")
}

/// Writes `t` in chunks of `per` events.
fn binary(t: &Trace, per: usize) -> Vec<u8> {
    let mut w = BinaryWriter::new(Vec::new(), &t.header).expect("header");
    let mut start = 0;
    while start < t.events.len() {
        let end = (start + per).min(t.events.len());
        w.chunk(t, start..end).expect("chunk");
        start = end;
    }
    w.finish().expect("finish")
}

#[test]
fn every_bundled_trace_reads_back_the_same() {
    for (name, t) in bundled() {
        for per in [1, 7, CHUNK_EVENTS] {
            let bytes = binary(&t, per);
            let (back, diags) = read_binary_bytes(&bytes, None).expect("reads");
            assert!(diags.is_empty(), "{name}: {diags:?}");
            assert_eq!(jsonl(&back), jsonl(&t), "{name}, {per} events per chunk");
            assert_eq!(back.durations(), t.durations(), "{name}");
        }
    }
}

#[test]
fn a_file_cut_anywhere_keeps_its_whole_chunks() {
    let (name, t) = largest();
    let bytes = binary(&t, 5);
    let whole = jsonl(&t);
    let header_end = MAGIC.len() + 8 + u32_le(&bytes, MAGIC.len() + 4) as usize;
    for cut in (0..bytes.len()).step_by(97) {
        match read_binary_bytes(&bytes[..cut], None) {
            Err(_) => assert!(cut < header_end, "{name}: refused when cut at {cut}"),
            Ok((back, diags)) => {
                // What is read is a prefix of the trace, each event with its own arguments.
                let got = jsonl(&back);
                let body = got.split_once('\n').map_or("", |(_, b)| b);
                assert!(whole.contains(body), "{name}: cut at {cut}: not a prefix");
                assert!(!diags.is_empty(), "{name}: cut at {cut} said nothing");
            }
        }
    }
}

#[test]
fn a_damaged_chunk_loses_only_its_events() {
    let (_, t) = largest();
    let bytes = binary(&t, 4);
    // Find the second chunk and damage its compressed body.
    let first = MAGIC.len() + 8 + u32_le(&bytes, MAGIC.len() + 4) as usize;
    let second = first + 4 + META_LEN + u32_le(&bytes, first + 4) as usize;
    let mut bad = bytes.clone();
    let body = second + 4 + META_LEN;
    for b in bad.iter_mut().skip(body + 4).take(6) {
        *b ^= 0x5a;
    }
    let (back, diags) = read_binary_bytes(&bad, None).expect("reads");
    assert_eq!(back.events.len(), t.events.len() - 4);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].message.contains("unreadable"), "{diags:?}");
    // Every event after the damage still has its own arguments.
    let lines = |s: &str| s.lines().skip(1).map(str::to_owned).collect::<Vec<_>>();
    let (all, kept) = (lines(&jsonl(&t)), lines(&jsonl(&back)));
    assert_eq!(kept[..4], all[..4]);
    assert_eq!(kept[4..], all[8..]);
}

#[test]
fn garbage_is_refused_or_read_without_panic() {
    let (_, t) = bundled().swap_remove(0);
    let bytes = binary(&t, 3);
    let mut state = 0x9e37_79b9_u32;
    for round in 0..400 {
        let mut b = bytes.clone();
        for _ in 0..1 + round % 8 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let i = state as usize % b.len();
            b[i] = (state >> 8) as u8;
        }
        let _ = read_binary_bytes(&b, None);
    }
}

#[test]
fn a_newer_version_is_refused() {
    let (_, t) = bundled().swap_remove(0);
    let mut bytes = binary(&t, 64);
    bytes[MAGIC.len()] = 9;
    assert!(matches!(
        read_binary_bytes(&bytes, None),
        Err(crate::format::LoadError::BinaryTooNew(9))
    ));
}

fn u32_le(b: &[u8], i: usize) -> u32 {
    u32_at(b, i).expect("4 bytes")
}

/// A chunk repeats every device the trace knew, and a string may be long: neither may make
/// the reader refuse a chunk the writer made (a long M2M trace has a device per open).
#[test]
fn many_devices_and_long_strings_read_back() {
    use crate::trace::{Body, Event, TraceHeader};
    use crate::v4l2::Origin;
    let mut t = Trace::new(TraceHeader::default());
    for i in 0..1500 {
        t.device(&format!("/dev/video12 (open {i})"));
    }
    let long = t.intern(&"x".repeat(70_000));
    let thread = t.thread_id(1, 1);
    for i in 0..3u64 {
        t.push(Event::new(
            i,
            thread,
            Origin::Observed,
            Body::Marker { text: long },
        ));
    }
    let bytes = binary(&t, 2);
    let (back, diags) = read_binary_bytes(&bytes, None).expect("reads");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(back.events.len(), 3);
    assert_eq!(back.device_count(), 1500);
    assert_eq!(jsonl(&back), jsonl(&t));
}

/// A 108-byte file whose zstd frame claims a terabyte: an unreadable chunk, not an abort.
#[test]
fn a_frame_claiming_a_terabyte_is_refused_not_allocated() {
    let mut b = MAGIC.to_vec();
    let header = br#"{"vb2scope":"trace","version":1}"#;
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(header.len() as u32).to_le_bytes());
    b.extend_from_slice(header);
    b.extend_from_slice(&CHUNK);
    let frame = [
        0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0,
    ];
    let meta = Meta {
        compressed_len: frame.len() as u32,
        events: 1,
        strings: u32::MAX,
        ..Meta::default()
    };
    meta.encode(&mut b);
    b.extend_from_slice(&frame);
    let (t, diags) = read_binary_bytes(&b, None).expect("reads what it can");
    assert!(t.events.is_empty());
    assert!(
        diags.iter().any(|d| d.message.contains("unreadable")),
        "{diags:?}"
    );
}

/// Offsets read from the file may be anything: an index at `u64::MAX - 1` is no index.
#[test]
fn an_index_offset_past_the_end_is_no_index() {
    let (_, t) = bundled().swap_remove(0);
    let mut bytes = binary(&t, 3);
    let at = bytes.len() - END.len() - 8;
    bytes[at..at + 8].copy_from_slice(&(u64::MAX - 1).to_le_bytes());
    let (back, diags) = read_binary_bytes(&bytes, None).expect("reads by walking");
    assert_eq!(jsonl(&back), jsonl(&t));
    assert!(
        diags.iter().any(|d| d.message.contains("no index")),
        "{diags:?}"
    );
}

/// A chunk's event record is the layout of version 1 (the fields of the `Event` that was
/// stored whole then): t, pid, tid, origin, line, within, body, as postcard varints.
#[test]
fn the_event_record_is_version_1s() {
    let e = DiskEvent {
        t_ns: 5,
        pid: 7,
        tid: 300,
        origin: crate::v4l2::Origin::Inferred,
        line: 3,
        within: true,
        body: crate::trace::Body::Close { fd: 3 },
    };
    let bytes = postcard::to_stdvec(&e).expect("encodes");
    // 300 is varint ac 02; Close is Body's variant 2; fd 3 zigzags to 6.
    assert_eq!(bytes, [5, 7, 0xac, 0x02, 1, 3, 1, 2, 6]);
}
