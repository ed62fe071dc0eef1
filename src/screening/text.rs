//! Normalising names into words: the one place that decides what counts as "the same text".

use std::collections::HashSet;
use std::ops::Range;

/// The words of one or more names, lower-cased, without punctuation or stop words. One buffer for all the
/// words, so normalising a name costs two allocations, not one per word.
#[derive(Debug, Default)]
pub(crate) struct Words {
    buf: String,
    spans: Vec<Range<usize>>,
}

impl Words {
    /// Normalises `texts` (e.g. carrier name then plan name) into one word sequence.
    pub fn of(texts: &[&str], stop_words: &HashSet<String>) -> Self {
        let mut words = Words::default();
        for text in texts {
            words.push_text(text, stop_words);
        }
        words
    }

    /// Appends the words of `text`. Letters and digits make words (lower-cased); apostrophes vanish so
    /// "Employees'" and "Children's" stay one word; every other character ends a word.
    fn push_text(&mut self, text: &str, stop_words: &HashSet<String>) {
        let mut start = self.buf.len();
        for c in text.chars().map(fold_fullwidth) {
            if c.is_alphanumeric() {
                if c.is_ascii() {
                    self.buf.push(c.to_ascii_lowercase());
                } else {
                    self.buf.extend(c.to_lowercase());
                }
            } else if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '`') {
                // Apostrophes join: "Children's" -> "childrens".
            } else {
                self.end_word(start, stop_words);
                start = self.buf.len();
            }
        }
        self.end_word(start, stop_words);
    }

    fn end_word(&mut self, start: usize, stop_words: &HashSet<String>) {
        let end = self.buf.len();
        if start == end {
            return;
        }
        if stop_words.contains(&self.buf[start..end]) {
            self.buf.truncate(start);
            return;
        }
        self.spans.push(start..end);
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no words.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The word at `index`.
    pub fn get(&self, index: usize) -> &str {
        self.spans.get(index).map_or("", |span| &self.buf[span.clone()])
    }

    /// Writes the words `start..start + count` run together into `out` ("well" + "care" -> "wellcare"); false
    /// when there are not that many words.
    pub fn joined_into(&self, start: usize, count: usize, out: &mut String) -> bool {
        out.clear();
        if start + count > self.spans.len() {
            return false;
        }
        for span in &self.spans[start..start + count] {
            out.push_str(&self.buf[span.clone()]);
        }
        true
    }

    /// Every word in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|span| &self.buf[span.clone()])
    }
}

/// Full-width forms (what some phone keyboards type in CJK mode: "Ｍｅｄｉｃａｉｄ") read as plain ASCII.
fn fold_fullwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop() -> HashSet<String> {
        ["of", "by"].iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn punctuation_case_and_stop_words_are_ignored() {
        // Arrange
        let texts = ["  Passport   by MOLINA-Healthcare, Inc. "];

        // Act
        let words = Words::of(&texts, &stop());

        // Assert
        assert_eq!(words.iter().collect::<Vec<_>>(), ["passport", "molina", "healthcare", "inc"]);
    }

    #[test]
    fn apostrophes_join_a_word_instead_of_splitting_it() {
        let words = Words::of(&["Kentucky Employees\u{2019} Children's"], &stop());

        assert_eq!(words.iter().collect::<Vec<_>>(), ["kentucky", "employees", "childrens"]);
    }

    #[test]
    fn several_texts_make_one_word_sequence() {
        let words = Words::of(&["Humana", "Gold Plus HMO"], &stop());

        assert_eq!(words.len(), 4);
        assert_eq!(words.get(1), "gold");
        assert_eq!(words.get(9), "");
    }

    #[test]
    fn adjacent_words_can_be_run_together() {
        let words = Words::of(&["Medi-Caid of KY"], &stop());
        let mut out = String::new();

        assert!(words.joined_into(0, 2, &mut out));
        assert_eq!(out, "medicaid");
        assert!(!words.joined_into(2, 2, &mut out));
    }

    #[test]
    fn non_ascii_letters_are_lower_cased_and_kept() {
        let words = Words::of(&["MÉDICAID"], &stop());

        assert_eq!(words.get(0), "médicaid");
    }

    #[test]
    fn full_width_letters_read_as_ascii() {
        let words = Words::of(&["\u{FF2D}\u{FF45}\u{FF44}\u{FF49}\u{FF43}\u{FF41}\u{FF49}\u{FF44}\u{3000}KY"], &stop());

        assert_eq!(words.iter().collect::<Vec<_>>(), ["medicaid", "ky"]);
    }

    #[test]
    fn text_of_only_punctuation_has_no_words() {
        let words = Words::of(&["-- / ..", ""], &stop());

        assert!(words.is_empty());
    }
}
