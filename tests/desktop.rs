//! What a desktop installs beside the binary: `--version`, shell completions, manual pages,
//! the desktop entry and its icon.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vb2scope_core::policy::Policy;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vb2scope"))
        .args(args)
        .current_dir(MANIFEST)
        .output()
        .expect("runs")
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vb2scope-desktop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

/// The subcommands `--help` lists (all but `help`).
fn subcommands() -> Vec<String> {
    let help = ok(&["--help"]);
    let section = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section");
    let names: Vec<String> = section
        .lines()
        .take_while(|l| !l.trim().is_empty())
        // An entry starts at two spaces; its wrapped description is indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    for known in ["check", "run", "record", "export", "completions", "man"] {
        assert!(names.iter().any(|n| n == known), "{known}: {names:?}");
    }
    names
}

#[test]
fn version_names_the_version_and_every_policy() {
    let long = ok(&["--version"]);
    let first = long.lines().next().unwrap_or_default();
    assert_eq!(first, format!("vb2scope {}", env!("CARGO_PKG_VERSION")));
    let policies = long
        .lines()
        .find_map(|l| l.strip_prefix("policies: "))
        .unwrap_or_else(|| panic!("no policies line: {long}"));
    let listed: Vec<&str> = policies
        .split(", ")
        .map(|p| p.split(' ').next().unwrap_or(p))
        .collect();
    for p in Policy::offered() {
        assert!(listed.contains(&&*p.name()), "{p} missing: {long}");
    }
    assert!(listed.contains(&"auto"), "{long}");
    assert!(
        policies.contains(&format!(
            "modern (linux-{})",
            vb2scope_core::policy::Kernel::NEWEST
        )),
        "{long}"
    );
    // Every name it lists is one `--policy` takes.
    for name in listed {
        ok(&["check", "traces/clean-session.vb2s", "--policy", name]);
    }
    // -V stays one line.
    assert_eq!(ok(&["-V"]).trim(), first);
}

#[test]
fn completions_cover_every_subcommand() {
    let subs = subcommands();
    let bash = ok(&["completions", "bash"]);
    assert!(bash.contains("complete -F _vb2scope"), "{bash}");
    for s in &subs {
        // The script has a case for each subcommand, for its own options.
        assert!(bash.contains(&format!("vb2scope,{s})")), "bash: {s}");
    }
    let zsh = ok(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef vb2scope"), "{zsh}");
    let fish = ok(&["completions", "fish"]);
    for s in &subs {
        assert!(zsh.contains(&format!("'{s}:")), "zsh: {s}");
        assert!(fish.contains(&format!("-a \"{s}\"")), "fish: {s}");
    }
    for shell in ["elvish", "powershell"] {
        assert!(ok(&["completions", shell]).contains("vb2scope"), "{shell}");
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "an unknown shell is refused");
}

#[test]
fn man_writes_a_page_per_subcommand() {
    let subs = subcommands();
    let dir = tmp_dir("man");
    let out = ok(&["man", "--out", dir.to_str().expect("UTF-8 path")]);
    let main = std::fs::read_to_string(dir.join("vb2scope.1")).expect("vb2scope.1");
    assert!(main.contains(".TH vb2scope 1"), "{main}");
    assert!(main.contains(".SH SUBCOMMANDS"), "{main}");
    assert!(main.contains(env!("CARGO_PKG_VERSION")));
    let policies = main
        .split(".SH POLICIES\n")
        .nth(1)
        .expect("a POLICIES section");
    for p in Policy::offered() {
        assert!(policies.contains(&p.name().replace('-', "\\-")), "{p}");
    }
    for s in &subs {
        assert!(
            main.contains(&format!("vb2scope\\-{}(1)", s.replace('-', "\\-"))),
            "{s} in vb2scope.1"
        );
        let path = dir.join(format!("vb2scope-{s}.1"));
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(page.contains(&format!(".TH vb2scope-{s} 1")), "{page}");
        assert!(page.contains(&format!("\"vb2scope {}\"", env!("CARGO_PKG_VERSION"))));
        assert!(out.contains(&path.display().to_string()), "{out}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        subs.len() + 1,
        "one page per subcommand, no more"
    );
    // Without --out, the main page on standard output.
    assert_eq!(ok(&["man"]), main);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The keys of the `[Desktop Entry]` group.
fn desktop_entry(text: &str) -> Vec<(String, String)> {
    let mut group = "";
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(g) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            group = g;
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line}"));
        assert_eq!(group, "Desktop Entry", "{line} outside the entry");
        keys.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    keys
}

#[test]
fn desktop_entry_runs_the_binary_with_its_icon() {
    let path = Path::new(MANIFEST).join("assets/vb2scope.desktop");
    let text = std::fs::read_to_string(&path).expect("assets/vb2scope.desktop");
    let keys = desktop_entry(&text);
    let get = |k: &str| {
        let vals: Vec<&str> = keys
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(vals.len(), 1, "{k} once: {text}");
        vals[0]
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_vb2scope"))
        .file_name()
        .and_then(|n| n.to_str())
        .expect("binary name");
    assert_eq!(get("Type"), "Application");
    assert_eq!(get("Name"), "vb2scope");
    let exec: Vec<&str> = get("Exec").split_whitespace().collect();
    assert_eq!(exec[0], bin);
    assert_eq!(&exec[1..], ["%f"], "one file, as the command line takes");
    assert_eq!(get("TryExec"), bin);
    assert_eq!(get("Terminal"), "false");
    assert!(get("Categories").ends_with(';'));
    // The icon is named by theme name; both its files are in assets/.
    let icon = get("Icon");
    assert_eq!(icon, bin);
    let svg = std::fs::read_to_string(Path::new(MANIFEST).join(format!("assets/{icon}.svg")))
        .expect("the SVG icon");
    assert!(svg.contains("<svg") && svg.contains("viewBox=\"0 0 256 256\""));
    let png = std::fs::File::open(Path::new(MANIFEST).join(format!("assets/{icon}.png")))
        .expect("the PNG icon");
    let info = png::Decoder::new(std::io::BufReader::new(png))
        .read_info()
        .expect("a PNG");
    assert_eq!((info.info().width, info.info().height), (256, 256));
    // Where desktop-file-utils is installed, the entry is valid by its rules too.
    if let Ok(o) = Command::new("desktop-file-validate").arg(&path).output() {
        assert!(
            o.status.success() && o.stdout.is_empty(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
