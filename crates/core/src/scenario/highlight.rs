//! What each part of a scenario line is, for an editor to colour: the statement keyword,
//! numbers, `key=value` options, names, comments, and a lesson's narration and quotes.

use super::parse::VERBS;

/// The kind of a span of a scenario line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A statement keyword (`qbuf`).
    Verb,
    /// A first word that is no statement: the parser will refuse it.
    Unknown,
    Number,
    /// The `key=` of an option (`fd=`, `planes=`).
    Key,
    /// Any other word: a name, a memory type, an errno.
    Word,
    Comment,
    /// A lesson's `##` narration, and its `## >` quotes.
    Narration,
    Quote,
}

/// The classed spans of `line`, as byte ranges in order; spaces belong to none.
pub fn classes(line: &str) -> Vec<(std::ops::Range<usize>, Class)> {
    let mut out = Vec::new();
    let code_end = line.find('#').unwrap_or(line.len());
    let code = line.get(..code_end).unwrap_or("");
    let mut first = true;
    let mut at = 0;
    for word in code.split_inclusive(char::is_whitespace) {
        let start = at;
        at += word.len();
        let w = word.trim_end();
        if w.is_empty() {
            continue;
        }
        let end = start + w.len();
        if first {
            first = false;
            let verb = VERBS.iter().any(|v| v.eq_ignore_ascii_case(w));
            out.push((start..end, if verb { Class::Verb } else { Class::Unknown }));
        } else if let Some(eq) = w.find('=') {
            out.push((start..start + eq + 1, Class::Key));
            if eq + 1 < w.len() {
                out.push((start + eq + 1..end, value_class(&w[eq + 1..])));
            }
        } else {
            out.push((start..end, value_class(w)));
        }
    }
    if code_end < line.len() {
        let comment = line.get(code_end..).unwrap_or("");
        let class = match comment.strip_prefix("##") {
            Some(rest) if rest.trim_start().starts_with('>') => Class::Quote,
            Some(_) => Class::Narration,
            None => Class::Comment,
        };
        out.push((code_end..line.len(), class));
    }
    out
}

fn value_class(w: &str) -> Class {
    let digits = w.strip_prefix("0x").unwrap_or(w);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_hexdigit())
        && w.as_bytes()[0].is_ascii_digit()
    {
        Class::Number
    } else {
        Class::Word
    }
}

/// The verbs that complete `prefix` (the first word of a line being typed), in the order
/// of [`VERBS`]; none for an empty prefix or one already whole.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.to_ascii_lowercase();
    if p.is_empty() {
        return Vec::new();
    }
    VERBS
        .iter()
        .copied()
        .filter(|v| v.starts_with(&p) && *v != p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_classed_word_by_word() {
        let line = "qbuf 0 fd=heap0  # why ## not narration";
        let c: Vec<(&str, Class)> = classes(line)
            .into_iter()
            .map(|(r, k)| (&line[r], k))
            .collect();
        assert_eq!(
            c,
            [
                ("qbuf", Class::Verb),
                ("0", Class::Number),
                ("fd=", Class::Key),
                ("heap0", Class::Word),
                ("# why ## not narration", Class::Comment),
            ]
        );
        assert_eq!(classes("## > A quote")[0].1, Class::Quote);
        assert_eq!(classes("  ## step")[0].1, Class::Narration);
        assert_eq!(classes("qbuff 0")[0].1, Class::Unknown);
        assert_eq!(classes("dmabuf a 0x1000")[2].1, Class::Number);
    }

    #[test]
    fn verbs_complete_their_prefix() {
        assert_eq!(complete("str"), ["streamon", "streamoff"]);
        assert_eq!(complete("QB"), ["qbuf"]);
        assert!(complete("qbuf").is_empty());
        assert!(complete("").is_empty());
        assert!(complete("zz").is_empty());
    }
}
