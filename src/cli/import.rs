//! `vb2scope import A [B...] -o TRACE`: reads traces in other formats and writes one native
//! trace. A userspace log (strace, v4l2-tracer) and an ftrace capture of the same run are
//! joined: the kernel's memops land on the buffers the userspace calls name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use vb2scope_core::import::{Format, Imported, cut_short, import_bytes, join, unpacked};

use super::input::forced_format;

/// An ftrace capture's bytes, unpacked when compressed; a warning when they end early.
fn unpacked_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
    let (plain, cut) = unpacked(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if let Some(why) = cut {
        print_diagnostics(path, &[cut_short(&why, plain.len())]);
    }
    Ok(plain)
}

fn print_diagnostics(path: &Path, d: &[vb2scope_core::format::Diagnostic]) {
    for x in d.iter().take(20) {
        eprintln!("{}: {x}", path.display());
    }
    if d.len() > 20 {
        eprintln!("{}: … and {} more", path.display(), d.len() - 20);
    }
}

pub fn run(inputs: &[PathBuf], output: &Path) -> Result<i32> {
    let mut user: Option<(PathBuf, Imported)> = None;
    let mut kernel: Option<(PathBuf, super::mapped::FileBytes)> = None;
    for p in inputs {
        let bytes = super::mapped::read(p)?;
        let name = p.display().to_string();
        let format = forced_format()
            .or_else(|| vb2scope_core::import::detect(&bytes, &name))
            .with_context(|| {
                format!("{name}: not a format vb2scope reads; name one with --from")
            })?;
        if format == Format::Ftrace {
            if kernel.is_some() {
                bail!("{name}: only one ftrace capture can be joined");
            }
            kernel = Some((p.clone(), bytes));
            continue;
        }
        if user.is_some() {
            bail!(
                "{name}: only one userspace log (strace, v4l2-tracer, dmesg, native) can be joined with an ftrace capture"
            );
        }
        let (imp, f) = import_bytes(&bytes, &name, Some(format), None)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        eprintln!(
            "vb2scope: {name}: {} ({} events)",
            f.name(),
            imp.trace.events.len()
        );
        print_diagnostics(p, &imp.diagnostics);
        user = Some((p.clone(), imp));
    }
    let trace = match (user, kernel) {
        (Some((_, u)), Some((kp, bytes))) => {
            let bytes = unpacked_text(&kp, &bytes)?;
            let text = vb2scope_core::import::text_of(&bytes);
            // The joined list starts with the userspace log's own, printed above.
            let printed = u.diagnostics.len();
            let (joined, alignment) = join(u, &text);
            eprintln!("vb2scope: joined with {}: {alignment}", kp.display());
            print_diagnostics(&kp, joined.diagnostics.get(printed..).unwrap_or_default());
            joined.trace
        }
        (Some((_, u)), None) => u.trace,
        (None, Some((kp, bytes))) => {
            let bytes = unpacked_text(&kp, &bytes)?;
            let text = vb2scope_core::import::text_of(&bytes);
            let imp = vb2scope_core::import::import_ftrace(&text);
            print_diagnostics(&kp, &imp.diagnostics);
            imp.trace
        }
        (None, None) => bail!("nothing to import"),
    };
    super::output::write_trace(output, &trace)?;
    eprintln!(
        "vb2scope: wrote {} events to {}",
        trace.events.len(),
        output.display()
    );
    Ok(0)
}
