//! Exporters: a trace, its timeline and its check report turned into files other tools open.
//! Chrome trace-event JSON for ui.perfetto.dev, a standalone SVG of the timeline, a
//! self-contained HTML report for CI artifacts, and the native format. Pure: strings and
//! writers in, no file I/O (that is `cli`'s job).

pub mod html;
pub mod perfetto;
pub mod svg;

use crate::timeline::Lane;
use crate::trace::Trace;

/// What `vb2scope export --to` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Perfetto,
    Svg,
    Html,
    Native,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Perfetto,
        ExportFormat::Svg,
        ExportFormat::Html,
        ExportFormat::Native,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Perfetto => "perfetto",
            ExportFormat::Svg => "svg",
            ExportFormat::Html => "html",
            ExportFormat::Native => "native",
        }
    }

    /// The usual file extension, for naming outputs.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Perfetto => "json",
            ExportFormat::Svg => "svg",
            ExportFormat::Html => "html",
            ExportFormat::Native => "jsonl",
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    /// Accepts the names (any case) and the aliases `chrome`/`json` for Perfetto, `jsonl`/`vb2`
    /// for native.
    fn from_str(s: &str) -> Result<ExportFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "perfetto" | "chrome" | "json" => Ok(ExportFormat::Perfetto),
            "svg" => Ok(ExportFormat::Svg),
            "html" => Ok(ExportFormat::Html),
            "native" | "jsonl" | "vb2" => Ok(ExportFormat::Native),
            other => Err(format!(
                "unknown export format {other:?}: expected perfetto, svg, html or native"
            )),
        }
    }
}

/// The trace in the native format (versioned JSON Lines), as `format::write_native` writes it.
pub fn export_native(trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail; an error here would be a bug in the writer.
    let _ = crate::format::write_native(&mut out, trace);
    out
}

/// Escapes text for XML and HTML, in element content and in quoted attributes alike.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

pub(crate) use crate::timeline::ms;

/// The trace's title, or its source when it has none; the first line only.
pub(crate) fn trace_title(trace: &Trace) -> String {
    let t = trace.header.title.lines().next().unwrap_or("").trim();
    if t.is_empty() {
        if trace.header.source.is_empty() {
            "vb2scope trace".to_string()
        } else {
            trace.header.source.clone()
        }
    } else {
        t.to_string()
    }
}

/// The lanes of one queue, as consecutive runs of the timeline's sorted lanes.
pub(crate) fn queue_groups(lanes: &[Lane]) -> Vec<&[Lane]> {
    lanes
        .chunk_by(|a, b| a.queue == b.queue)
        .collect::<Vec<_>>()
}
