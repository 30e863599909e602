//! Exporters: a trace, its timeline and its check report turned into files other tools open.
//! Chrome trace-event JSON for ui.perfetto.dev, a standalone SVG of the timeline, a
//! self-contained HTML report for CI artifacts, and the native format. Pure: strings and
//! writers in, no file I/O (that is `cli`'s job).

pub mod html;
pub mod perfetto;
pub mod svg;
mod svg_codec;

use crate::time::TimeBase;
use crate::timeline::{Lane, Timeline};
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

/// At most this many dma-bufs in a report's table and drawing: a long session can make
/// thousands, and the report must stay a file a browser opens.
pub const MAX_DMABUFS: usize = 64;

/// The trace's own title, its first line; `None` when it has none. Never the header's source
/// ("made by"), which can be a long command line.
pub(crate) fn trace_title(trace: &Trace) -> Option<String> {
    let t = trace.header.title.lines().next().unwrap_or("").trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// What a report or a drawing is called: the file name of the input as the user named it
/// (`source`, a path), else the trace's own title, else a generic name.
pub(crate) fn report_title(source: &str, trace: &Trace) -> String {
    let name = std::path::Path::new(source)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty());
    name.or_else(|| trace_title(trace))
        .unwrap_or_else(|| "vb2scope trace".to_string())
}

/// The one time base of the exports: times from the first buffer event, so that every
/// printed time reads the same as the window's, with the trace's own clock for the absolute.
pub(crate) fn time_base(trace: &Trace, tl: &Timeline) -> TimeBase {
    TimeBase::new(tl.activity_range().0, trace.header.clock)
}

/// The lanes of one queue, as consecutive runs of the timeline's sorted lanes.
pub(crate) fn queue_groups(lanes: &[Lane]) -> Vec<&[Lane]> {
    lanes
        .chunk_by(|a, b| a.queue == b.queue)
        .collect::<Vec<_>>()
}
