//! The layering ARCHITECTURE.md promises, checked on the sources. Between crates the
//! compiler keeps it (the core depends on no device and no GUI crate); inside the core, each
//! module may use only the modules below it, which this test keeps.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module of `vb2scope-core` and the core modules it may use.
const CORE: &[(&str, &[&str])] = &[
    ("v4l2", &[]),
    ("progress", &[]),
    ("read_ahead", &[]),
    ("time", &[]),
    ("policy", &["v4l2"]),
    ("rules", &["v4l2", "policy"]),
    ("model", &["v4l2", "policy", "rules"]),
    ("trace", &["v4l2", "policy", "time"]),
    ("format", &["v4l2", "policy", "progress", "time", "trace"]),
    ("kernel", &["v4l2", "trace", "format", "read_ahead"]),
    (
        "import",
        &[
            "v4l2",
            "policy",
            "progress",
            "read_ahead",
            "time",
            "trace",
            "format",
            "kernel",
        ],
    ),
    (
        "scenario",
        &["v4l2", "policy", "time", "trace", "format", "check"],
    ),
    ("check", &["v4l2", "policy", "rules", "model", "trace"]),
    (
        "diff",
        &["v4l2", "policy", "time", "rules", "model", "trace", "check"],
    ),
    (
        "timeline",
        &[
            "v4l2", "policy", "time", "progress", "rules", "model", "trace", "check",
        ],
    ),
    (
        "report",
        &[
            "v4l2", "policy", "time", "rules", "trace", "format", "check",
        ],
    ),
    (
        "export",
        &[
            "v4l2", "policy", "time", "rules", "model", "trace", "format", "check", "timeline",
        ],
    ),
    (
        "analysis",
        &[
            "v4l2", "policy", "progress", "trace", "format", "import", "scenario", "check",
            "timeline",
        ],
    ),
];

/// The core modules the device layer may use: it records traces, and never knows the model.
const DEVICE_USES: &[&str] = &["v4l2", "time", "trace", "format", "kernel", "scenario"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The sources under `dir`, without comment lines (which name modules freely).
fn code(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let code: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            (p, code.join("\n"))
        })
        .collect()
}

/// The modules named after `prefix::` in `text`.
fn uses(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_core_module_uses_only_the_modules_below_it() {
    let src = root().join("crates/core/src");
    let mut bad = Vec::new();
    for (p, text) in code(&src) {
        let rel = p.strip_prefix(&src).unwrap_or(&p);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        let module = first
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue;
        }
        let Some((_, allowed)) = CORE.iter().find(|(m, _)| *m == module) else {
            bad.push(format!(
                "{}: module {module} is not in the layering",
                rel.display()
            ));
            continue;
        };
        for used in uses(&text, "crate::") {
            if used != module && !allowed.contains(&used.as_str()) {
                bad.push(format!("{}: {module} uses {used}", rel.display()));
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn the_device_layer_never_knows_the_model() {
    let mut bad = Vec::new();
    for (p, text) in code(&root().join("crates/device/src")) {
        for used in uses(&text, "vb2scope_core::") {
            if !DEVICE_USES.contains(&used.as_str()) {
                bad.push(format!("{}: uses vb2scope_core::{used}", p.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn only_the_window_draws_and_only_the_device_layer_touches_devices() {
    let mut bad = Vec::new();
    for (krate, banned) in [
        ("crates/core/src", &["egui", "eframe", "v4l2r", "nix::"][..]),
        ("crates/device/src", &["egui", "eframe"][..]),
        ("crates/gui/src", &["v4l2r", "nix::"][..]),
    ] {
        for (p, text) in code(&root().join(krate)) {
            for b in banned {
                if text.contains(b) {
                    bad.push(format!("{}: {b}", p.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
