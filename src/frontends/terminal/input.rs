//! Multi-line input: joins lines continued with a trailing `\` and `"""` blocks into one
//! request. Pure: it sees lines, not a terminal.

/// The longest request, in bytes, the terminal will pass on; a runaway paste stops here.
pub(crate) const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// A line alone that opens or closes a block.
const FENCE: &str = "\"\"\"";

/// What one more line made of the request so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Assembled {
    /// More lines are needed (a continuation or an open block).
    Pending,
    /// A whole request (possibly empty).
    Done(String),
    /// The request grew past [`MAX_REQUEST_BYTES`] and was dropped.
    TooLong,
}

/// Where the assembler is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Mode {
    /// At the start of a request.
    #[default]
    Fresh,
    /// The last line ended in `\`.
    Continued,
    /// Inside a `"""` block.
    Block,
}

/// Collects lines until they make a request.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    text: String,
    mode: Mode,
}

impl Assembler {
    /// Takes one line (without its newline).
    pub(crate) fn push(&mut self, line: &str) -> Assembled {
        let fence = line.trim() == FENCE;
        match self.mode {
            Mode::Block if fence => return self.finish(),
            Mode::Block => self.append(line),
            Mode::Fresh if fence => self.mode = Mode::Block,
            Mode::Fresh | Mode::Continued => match line.strip_suffix('\\') {
                Some(head) => {
                    self.append(head);
                    self.mode = Mode::Continued;
                }
                None => {
                    self.append(line);
                    return self.finish();
                }
            },
        }
        if self.text.len() > MAX_REQUEST_BYTES {
            self.discard();
            return Assembled::TooLong;
        }
        Assembled::Pending
    }

    /// Whether a request is half-typed (the prompt shows it).
    pub(crate) fn is_pending(&self) -> bool {
        self.mode != Mode::Fresh
    }

    /// Drops the half-typed request.
    pub(crate) fn discard(&mut self) {
        self.text.clear();
        self.mode = Mode::Fresh;
    }

    fn append(&mut self, line: &str) {
        // The first line of a block or continuation starts the text; later ones keep
        // their line breaks, so what the person laid out reaches the agent as typed.
        if self.mode != Mode::Fresh && !(self.mode == Mode::Block && self.text.is_empty()) {
            self.text.push('\n');
        }
        self.text.push_str(line);
    }

    fn finish(&mut self) -> Assembled {
        let text = std::mem::take(&mut self.text);
        self.mode = Mode::Fresh;
        if text.len() > MAX_REQUEST_BYTES {
            return Assembled::TooLong;
        }
        Assembled::Done(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> Vec<Assembled> {
        let mut a = Assembler::default();
        lines.iter().map(|l| a.push(l)).collect()
    }

    #[test]
    fn a_plain_line_is_a_request() {
        assert_eq!(feed(&["hello"]), [Assembled::Done("hello".into())]);
        assert_eq!(feed(&[""]), [Assembled::Done(String::new())]);
    }

    #[test]
    fn a_trailing_backslash_continues() {
        let out = feed(&["turn on \\", "the kitchen \\", "light"]);
        assert_eq!(out[0], Assembled::Pending);
        assert_eq!(out[1], Assembled::Pending);
        assert_eq!(
            out[2],
            Assembled::Done("turn on \nthe kitchen \nlight".into())
        );
    }

    #[test]
    fn a_block_keeps_its_lines_and_backslashes() {
        let out = feed(&["\"\"\"", "line one \\", "", "line two", "  \"\"\"  "]);
        assert!(out[..4].iter().all(|a| *a == Assembled::Pending));
        assert_eq!(out[4], Assembled::Done("line one \\\n\nline two".into()));
    }

    #[test]
    fn an_empty_block_is_an_empty_request() {
        assert_eq!(
            feed(&["\"\"\"", "\"\"\""])[1],
            Assembled::Done(String::new())
        );
    }

    #[test]
    fn pending_and_discard() {
        let mut a = Assembler::default();
        assert!(!a.is_pending());
        a.push("\"\"\"");
        a.push("half");
        assert!(a.is_pending());
        a.discard();
        assert!(!a.is_pending());
        assert_eq!(a.push("fresh"), Assembled::Done("fresh".into()));
    }

    #[test]
    fn a_runaway_block_is_dropped_and_the_next_request_works() {
        let mut a = Assembler::default();
        a.push("\"\"\"");
        let line = "x".repeat(1024);
        let outcomes: Vec<_> = (0..20).map(|_| a.push(&line)).collect();
        assert!(outcomes.contains(&Assembled::TooLong));
        assert!(!a.is_pending());
        assert_eq!(a.push("ok"), Assembled::Done("ok".into()));
    }

    #[test]
    fn one_huge_line_is_too_long() {
        let line = "y".repeat(MAX_REQUEST_BYTES + 1);
        assert_eq!(feed(&[&line]), [Assembled::TooLong]);
    }
}
