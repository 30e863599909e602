//! What a desktop installs beside the binary, made from the command line's own definition:
//! shell completion scripts and manual pages.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap_complete::Shell;

/// Prints the completion script for `shell`.
pub fn completions(shell: Shell) -> Result<i32> {
    let mut cmd = super::command();
    let name = cmd.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    std::io::stdout()
        .lock()
        .write_all(&script)
        .context("cannot write the completion script")?;
    Ok(0)
}

/// Writes `vb2scope.1` and one page per subcommand (`vb2scope-check.1`, …) into `out`, naming
/// each file written; prints `vb2scope.1` alone without `out`.
pub fn man(out: Option<&Path>) -> Result<i32> {
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out else {
        let page = main_page(&cmd)?;
        std::io::stdout()
            .lock()
            .write_all(&page)
            .context("cannot write the manual page")?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut written = Vec::new();
    write_pages(&cmd, dir, &mut written)?;
    for p in &written {
        println!("{}", p.display());
    }
    Ok(0)
}

/// `vb2scope.1` as clap_mangen makes it, with the policies `--version` names in a section of
/// their own (in VERSION, roff would run its lines together).
fn main_page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone().long_version(None::<&str>))
        .source(source())
        .render(&mut page)?;
    let page = String::from_utf8(page).context("the manual page is not UTF-8")?;
    let policies = format!(
        ".SH POLICIES\n\\fB\\-\\-policy\\fR takes {}.\n.br\n{}.\n",
        roff_text(&super::policy_names().join(", ")),
        roff_text(&super::other_releases()),
    );
    let at = page.find(".SH VERSION").unwrap_or(page.len());
    Ok([&page[..at], &policies, &page[at..]].concat().into_bytes())
}

fn source() -> String {
    format!("vb2scope {}", env!("CARGO_PKG_VERSION"))
}

/// `s` as roff text, within a line.
fn roff_text(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// The page of `cmd`, then those of its visible subcommands, depth first.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    // Each page's footer names the program and its version, not the subcommand.
    let page = clap_mangen::Man::new(cmd.clone()).source(source());
    let path = dir.join(page.get_filename());
    let roff = if written.is_empty() {
        main_page(cmd)?
    } else {
        let mut roff = Vec::new();
        page.render(&mut roff)?;
        roff
    };
    std::fs::write(&path, roff).with_context(|| format!("{}: cannot write", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
