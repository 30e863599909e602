//! The text importers (strace, ftrace) against `grep -c .` of the same file: real captures of
//! the repository made into a long capture of about 200 MB each.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

/// Real captures of the repository, made long to be large text inputs for the importers.
const TEXT_SAMPLES: [(&str, &str); 3] = [
    (
        "strace (a real session, -f -ttt)",
        include_str!("../../tests/fixtures/import/strace/k612-01-vmalloc-mmap.strace.txt"),
    ),
    (
        "strace (dense: every line a V4L2 ioctl, -ttt -T)",
        include_str!("../../tests/fixtures/import/strace/strace-6.1_sp_mmap.ttt.txt"),
    ),
    (
        "ftrace (vb2 tracepoints and memop kprobes)",
        include_str!(
            "../../tests/fixtures/import/joined/03-vmalloc-dmabuf-import-from-out.ftrace.txt"
        ),
    ),
];

/// The importers against `grep -c .` of the same text file (about `mb` MB), read from a warm
/// page cache: reading the file and importing it (into a trace, not judged).
pub(super) fn text_imports(dir: &Path, mb: usize) -> Result<()> {
    println!();
    println!("| text input | MiB | grep -c . | read and import | import speed / grep -c speed |");
    println!("| --- | --- | --- | --- | --- |");
    for (i, (what, one)) in TEXT_SAMPLES.iter().enumerate() {
        let text = long_capture(one, mb << 20);
        let path = dir.join(format!("import-{i}.txt"));
        std::fs::write(&path, &text)?;
        drop(text);
        let grep = super::bench_scale::floor("grep", &["-c", "."], &path)?;
        let mut import = f64::MAX;
        for _ in 0..3 {
            let t0 = Instant::now();
            let imported = read_and_import(&path)?;
            import = import.min(t0.elapsed().as_secs_f64());
            drop(imported);
        }
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        println!(
            "| {what} | {:.1} | {grep:.3} | {import:.3} | {:.0} % |",
            size as f64 / 1048576.0,
            grep / import * 100.0
        );
    }
    text_checks(dir, mb)
}

/// `check` of long text captures, as a CI job runs it (read, import, replay under every
/// candidate policy), at a quarter of `mb` and at `mb`: how it grows with a recording's
/// length. Each copy of a sample opens the device again, so a long capture holds thousands
/// of file handles, and of M2M contexts when the sample is a codec or converter's.
fn text_checks(dir: &Path, mb: usize) -> Result<()> {
    println!();
    println!(
        "| text input | check of {} MiB | check of {mb} MiB | growth (linear: 4.0) |",
        mb as f64 / 4.0
    );
    println!("| --- | --- | --- | --- |");
    let m2m = zstd::decode_all(M2M_COMPLIANCE)?;
    let m2m = String::from_utf8_lossy(&m2m);
    let samples = TEXT_SAMPLES
        .iter()
        .copied()
        .chain([("strace (v4l2-compliance on vim2m, -f -ttt)", &*m2m)]);
    for (i, (what, one)) in samples.enumerate() {
        let mut secs = [0.0; 2];
        for (k, bytes) in [(mb << 20) / 4, mb << 20].into_iter().enumerate() {
            let path = dir.join(format!("check-{i}-{k}.txt"));
            std::fs::write(&path, long_capture(one, bytes))?;
            let mut best = f64::MAX;
            for _ in 0..2 {
                let t0 = Instant::now();
                let imported = read_and_import(&path)?;
                let choice = vb2scope_core::check::choose_policy(&imported.trace);
                best = best.min(t0.elapsed().as_secs_f64());
                drop(choice);
            }
            std::fs::remove_file(&path)?;
            if let Some(s) = secs.get_mut(k) {
                *s = best;
            }
        }
        let [quarter, whole] = secs;
        println!(
            "| {what} | {quarter:.2} s | {whole:.2} s | {:.1} |",
            whole / quarter.max(1e-9)
        );
    }
    Ok(())
}

/// The file at `path`, read (mapped) and imported as `check` and `import` do.
fn read_and_import(path: &Path) -> Result<vb2scope_core::import::Imported> {
    let bytes = super::mapped::read(path)?;
    let name = path.display().to_string();
    let (imported, _) = vb2scope_core::import::import_bytes(&bytes, &name, None, None)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(imported)
}

/// A real v4l2-compliance run on vim2m (Linux 6.12): many opens, refused calls, an M2M
/// context per open.
const M2M_COMPLIANCE: &[u8] = include_bytes!(
    "../../tests/fixtures/corpus/linux-6.12.118+deb12-amd64/compliance-vim2m.strace.txt.zst"
);

/// `sample` repeated until it is `bytes` long, read as one long capture: each repetition's
/// time stamps (the first `S.uuuuuu` of each line: strace's `-ttt`, ftrace's time) move on
/// past the last one's, as a session recorded for that long would. Repeated as it is, the
/// clock would start again with every copy, which no recording does: the calls of every copy
/// would pile up at the same instants.
fn long_capture(sample: &str, bytes: usize) -> String {
    let times: Vec<u64> = sample
        .lines()
        .filter_map(|l| stamp(l).map(|s| s.2))
        .collect();
    let first = times.iter().copied().min().unwrap_or(0);
    let span = times.iter().copied().max().unwrap_or(0) - first;
    // A second between copies, as between two runs of the same program.
    let step = span + 1_000_000;
    let mut out = String::with_capacity(bytes + sample.len());
    let mut copy = 0u64;
    while out.len() < bytes {
        for line in sample.split_inclusive('\n') {
            match stamp(line) {
                Some((at, end, us)) => {
                    let moved = us + copy * step;
                    out.push_str(&line[..at]);
                    out.push_str(&format!("{}.{:06}", moved / 1_000_000, moved % 1_000_000));
                    out.push_str(&line[end..]);
                }
                None => out.push_str(line),
            }
        }
        copy += 1;
    }
    out
}

/// The first `S.uuuuuu` token of a line that ends at a space or a colon: where it starts,
/// where it ends, and its value in µs.
fn stamp(line: &str) -> Option<(usize, usize, u64)> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let at = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int = i;
        if int > at && b.get(i) == Some(&b'.') && (at == 0 || !b[at - 1].is_ascii_alphanumeric()) {
            i += 1;
            let frac = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - frac == 6 && matches!(b.get(i), Some(b' ' | b':')) {
                let s: u64 = line[at..int].parse().ok()?;
                let us: u64 = line[frac..i].parse().ok()?;
                return Some((at, i, s * 1_000_000 + us));
            }
        }
        i = i.max(at + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_move_on_in_time() {
        let sample =
            "270   100.000001 close(3) = 0\n  task-1 [000] .....   5.500000: x: y\n# tracer\n";
        let long = long_capture(sample, sample.len() * 2);
        let lines: Vec<&str> = long.lines().collect();
        assert_eq!(lines[0], "270   100.000001 close(3) = 0");
        assert_eq!(lines[1], "  task-1 [000] .....   5.500000: x: y");
        assert_eq!(lines[2], "# tracer");
        // The span is 94.500001 s; the next copy starts a second after it.
        assert_eq!(lines[3], "270   195.500002 close(3) = 0");
        assert_eq!(lines[4], "  task-1 [000] .....   101.000001: x: y");
    }
}
