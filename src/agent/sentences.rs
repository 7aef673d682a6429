//! Streamed text cut into sentences as they form, so a speaker can start on the first one
//! while the model is still writing the rest.

/// Characters that end a sentence when a space or the end follows.
const ENDS: [char; 5] = ['.', '!', '?', '…', '\n'];

/// Collects deltas and hands out each sentence once it is complete.
pub(crate) struct Sentences<'a> {
    pending: String,
    emit: &'a mut dyn FnMut(&str),
}

impl<'a> Sentences<'a> {
    /// Sentences go to `emit`.
    pub(crate) fn new(emit: &'a mut dyn FnMut(&str)) -> Self {
        Sentences {
            pending: String::new(),
            emit,
        }
    }

    /// Adds a piece of text; emits every sentence it completes.
    pub(crate) fn push(&mut self, delta: &str) {
        self.pending.push_str(delta);
        while let Some(end) = self.sentence_end() {
            let sentence: String = self.pending.drain(..end).collect();
            let sentence = sentence.trim();
            if !sentence.is_empty() {
                (self.emit)(sentence);
            }
        }
    }

    /// Emits what is left (the last sentence may lack its full stop).
    pub(crate) fn finish(mut self) {
        let rest = std::mem::take(&mut self.pending);
        if !rest.trim().is_empty() {
            (self.emit)(rest.trim());
        }
    }

    /// Byte index just past the first complete sentence: an end mark followed by a space.
    fn sentence_end(&self) -> Option<usize> {
        let mut chars = self.pending.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if ENDS.contains(&c) {
                if let Some(&(_, next)) = chars.peek() {
                    if next.is_whitespace() {
                        return Some(i + c.len_utf8());
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(pieces: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut emit = |s: &str| out.push(s.to_owned());
        let mut sentences = Sentences::new(&mut emit);
        for p in pieces {
            sentences.push(p);
        }
        sentences.finish();
        out
    }

    #[test]
    fn sentences_come_out_as_they_complete() {
        assert_eq!(
            cut(&["The lamp ", "is on. Enjoy", " the film!"]),
            ["The lamp is on.", "Enjoy the film!"]
        );
        assert_eq!(
            cut(&["Свет включён. Что ", "ещё?"]),
            ["Свет включён.", "Что ещё?"]
        );
        assert_eq!(
            cut(&["It is 21.5 degrees", " now."]),
            ["It is 21.5 degrees now."]
        );
        assert!(cut(&["", "  "]).is_empty());
    }
}
