//! Entity id globs (`light.kitchen_*`, `lock.*`), as config rules and exposure lists write them.

/// Matches `text` against `glob` (`*` any run, `?` one character), in O(len²) at worst.
pub(crate) fn matches(glob: &str, text: &str) -> bool {
    let (glob, text): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut g, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is currently stretched to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && (glob[g] == '?' || glob[g] == text[t]) {
            g += 1;
            t += 1;
        } else if g < glob.len() && glob[g] == '*' {
            star = Some((g, t));
            g += 1;
        } else if let Some((sg, st)) = star {
            star = Some((sg, st + 1));
            g = sg + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("lock.*", "lock.front_door"));
        assert!(matches("light.kitchen_?", "light.kitchen_1"));
        assert!(!matches("light.kitchen_?", "light.kitchen_12"));
        assert!(matches("*door*", "cover.garage_door"));
        assert!(!matches("switch.*", "light.kitchen"));
        assert!(matches("*", ""));
    }
}
