//! A lesson: a scenario whose `##` comments say, step by step, what each statement teaches.
//! The leading `#` block is its title and introduction (as for any scenario); a block of
//! `##` lines narrates the statement that follows it, and its `## >` lines quote the spec
//! (or kernel) sentence the step rests on, word for word. The scenario runs as any other:
//! the narration is only comments to the parser.

/// What a lesson says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lesson {
    pub title: String,
    /// The introduction, paragraphs separated by a blank line.
    pub intro: String,
    pub steps: Vec<LessonStep>,
}

/// The narration of one statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonStep {
    /// The statement's line (1-based), as the events it records carry it.
    pub line: u32,
    /// The statement, as written.
    pub statement: String,
    pub text: String,
    /// Sentences quoted, each whole (a quote may run over several `## >` lines).
    pub quotes: Vec<String>,
}

impl Lesson {
    /// Reads the lesson out of a scenario's text. Never fails: a scenario without `##`
    /// lines is a lesson with no steps.
    pub fn parse(text: &str) -> Lesson {
        let mut lesson = Lesson::default();
        let mut header = Vec::new();
        let mut in_header = true;
        let mut pending: Option<LessonStep> = None;
        let mut last_was_quote = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(note) = line.strip_prefix("##") {
                in_header = false;
                let step = pending.get_or_insert_with(LessonStep::default);
                match note.trim_start().strip_prefix('>') {
                    Some(q) => {
                        let q = q.trim();
                        match step.quotes.last_mut() {
                            Some(last) if last_was_quote => {
                                last.push(' ');
                                last.push_str(q);
                            }
                            _ => step.quotes.push(q.to_owned()),
                        }
                        last_was_quote = true;
                    }
                    None => {
                        join(&mut step.text, note.trim());
                        last_was_quote = false;
                    }
                }
                continue;
            }
            last_was_quote = false;
            if let Some(c) = line.strip_prefix('#') {
                if in_header {
                    header.push(c.trim().to_owned());
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            in_header = false;
            if let Some(mut step) = pending.take() {
                step.line = i as u32 + 1;
                let code = line.split('#').next().unwrap_or(line);
                step.statement = code.trim().to_owned();
                lesson.steps.push(step);
            }
        }
        let mut lines = header.into_iter();
        lesson.title = lines.next().unwrap_or_default();
        for l in lines {
            if l.is_empty() {
                if !lesson.intro.is_empty() && !lesson.intro.ends_with("\n\n") {
                    lesson.intro.push_str("\n\n");
                }
            } else {
                join(&mut lesson.intro, &l);
            }
        }
        lesson.intro = lesson.intro.trim().to_owned();
        lesson
    }

    /// The step narrating `line`, or the last one before it: what the lesson says at an
    /// event recorded by that line.
    pub fn step_at(&self, line: u32) -> Option<usize> {
        self.steps
            .partition_point(|s| s.line <= line)
            .checked_sub(1)
    }
}

/// Appends `words` to `text`, a space between.
fn join(text: &mut String, words: &str) {
    if words.is_empty() {
        return;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push(' ');
    }
    text.push_str(words);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narration_belongs_to_the_next_statement() {
        let text = "# Title\n#\n# Intro one\n# goes on.\n#\n# Two.\nqueue capture\n\
                    ## Allocates.\n## > A quoted\n## > sentence.\nreqbufs 2 mmap\nexpect ok\n\
                    qbuf 0\n## Starts.\nstreamon\n";
        let l = Lesson::parse(text);
        assert_eq!(l.title, "Title");
        assert_eq!(l.intro, "Intro one goes on.\n\nTwo.");
        assert_eq!(l.steps.len(), 2);
        assert_eq!(l.steps[0].line, 11);
        assert_eq!(l.steps[0].statement, "reqbufs 2 mmap");
        assert_eq!(l.steps[0].text, "Allocates.");
        assert_eq!(l.steps[0].quotes, ["A quoted sentence."]);
        assert_eq!(l.steps[1].line, 15);
        assert_eq!(l.step_at(10), None);
        assert_eq!(l.step_at(13), Some(0));
        assert_eq!(l.step_at(15), Some(1));
    }
}
