//! Problems found while reading input: where (line, byte) and what. Reading goes on.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagSeverity {
    Info,
    Warning,
    Error,
}

/// One problem in an input file. `line` is 1-based; `byte` is the offset of the line start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: DiagSeverity,
    pub line: u32,
    pub byte: u64,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            DiagSeverity::Info => "info",
            DiagSeverity::Warning => "warning",
            DiagSeverity::Error => "error",
        };
        write!(f, "line {}: {s}: {}", self.line, self.message)
    }
}

/// One diagnostic per kind: those whose messages differ only in numbers (a pointer, a thread,
/// a count) are one kind, given once, at its first line, with how many there were and the
/// line of the last one.
pub fn summarize(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    fn kind(m: &str) -> String {
        let mut out = String::with_capacity(m.len());
        let mut digits = false;
        for w in m.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
            let word = w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
            let numeric = !word.is_empty()
                && (word.bytes().all(|b| b.is_ascii_digit())
                    || (word.starts_with("0x") && word.len() > 2));
            if numeric {
                if !digits {
                    out.push('#');
                }
                digits = true;
                out.push_str(&w[word.len()..]);
            } else {
                digits = false;
                out.push_str(w);
            }
        }
        out
    }
    let mut out: Vec<(Diagnostic, u32, u32)> = Vec::new();
    let mut at: std::collections::HashMap<(DiagSeverity, String), usize> =
        std::collections::HashMap::new();
    for d in diags {
        let key = (d.severity, kind(&d.message));
        match at.get(&key).and_then(|&i| out.get_mut(i)) {
            Some((_, n, last)) => {
                *n += 1;
                *last = d.line;
            }
            None => {
                at.insert(key, out.len());
                let line = d.line;
                out.push((d, 1, line));
            }
        }
    }
    out.into_iter()
        .map(|(mut d, n, last)| {
            if n > 1 {
                d.message
                    .push_str(&format!(" ({n} like this, the last at line {last})"));
            }
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(line: u32, m: &str) -> Diagnostic {
        Diagnostic {
            severity: DiagSeverity::Warning,
            line,
            byte: 0,
            message: m.into(),
        }
    }

    #[test]
    fn kinds_differing_in_numbers_are_summed_up() {
        let d = summarize(vec![
            warn(3, "vmalloc_put not attributed: priv 0xff1 (thread 403)"),
            warn(7, "something else"),
            warn(9, "vmalloc_put not attributed: priv 0xab2 (thread 404)"),
            warn(12, "vmalloc_put not attributed: priv 0xcd3 (thread 403)"),
        ]);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].line, 3);
        assert!(
            d[0].message.ends_with("(3 like this, the last at line 12)"),
            "{}",
            d[0].message
        );
        assert_eq!(d[1].message, "something else");
    }
}
