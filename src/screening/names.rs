//! The name matcher: finds government plan, programme and product names (from `data/screening/names.toml`) in
//! what an applicant typed or a carrier answered, tolerating case, punctuation, split words and typos.
//!
//! Everything that can be prepared is prepared once in [`NameTable::build`]: the vocabulary of table words, the
//! misspelling map, the typo buckets and the patterns indexed by their first word. A call normalises the text once,
//! finds which table words each typed word (or run of up to three typed words) can be, and only then tries the
//! patterns that start with one of those words. No regex, no per-call compilation.

use std::collections::{HashMap, HashSet};

use super::data::{Category, NamesFile};
use super::text::Words;

/// A typed word shorter than this is never read as a typo: short words are too close to each other.
const MIN_TYPO_LEN: usize = 5;
/// Words at least this long (typed and table word) may be two typos away instead of one.
const LONG_WORD_LEN: usize = 10;
/// A table word may be typed in this many pieces at most ("united health care").
const MAX_PIECES: usize = 3;

type WordId = usize;

/// What a name entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    /// A government plan, programme or product.
    Government(Category),
    /// A commercial product word ("Ambetter", "Marketplace") that switches off `unless_commercial` entries.
    CommercialMarker,
}

/// One entry of the name table, ready to match.
#[derive(Debug)]
struct Entry {
    kind: EntryKind,
    reason: String,
    priority: u8,
    negatable: bool,
    unless_commercial: bool,
    answer_only: bool,
}

/// A pattern: table words that must appear next to each other, in order.
#[derive(Debug)]
struct Pattern {
    words: Vec<WordId>,
    entry: usize,
}

/// Where the text comes from: some entries apply only to one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameContext {
    /// What the applicant typed; `marketplace_chosen` when the form's plan type is Marketplace, which (like a
    /// commercial marker in the name) switches off brand names a Medicaid plan shares with Marketplace plans.
    Request { marketplace_chosen: bool },
    /// A carrier's answer (plan descriptions, other payers' names).
    Answer,
}

/// The entry that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameHit<'a> {
    /// What kind of government plan it is.
    pub category: Category,
    /// The sentence for admissions staff, from the table.
    pub reason: &'a str,
}

/// A pattern found in the text.
#[derive(Debug, Clone, Copy)]
struct Found {
    entry: usize,
    start: usize,
    len: usize,
}

/// The compiled name table.
#[derive(Debug)]
pub(crate) struct NameTable {
    stop_words: HashSet<String>,
    negations: HashSet<String>,
    never_fuzzy: HashSet<String>,
    /// Table words and known misspellings -> table word.
    exact: HashMap<String, WordId>,
    /// Table words that also match at the start of a longer typed word.
    prefixes: Vec<(String, WordId)>,
    /// Table words long enough to be matched by typo, by first letter, with their length in characters.
    typo_buckets: HashMap<char, Vec<(WordId, usize)>>,
    vocabulary: Vec<String>,
    patterns: Vec<Pattern>,
    /// Patterns by their first word.
    patterns_by_first: Vec<Vec<usize>>,
    entries: Vec<Entry>,
}

impl NameTable {
    /// Compiles the parsed `names.toml`, refusing anything that would silently never match.
    pub fn build(file: NamesFile) -> Result<Self, String> {
        let stop_words = single_words(&file.stop_words, "stop_words", &HashSet::new())?;
        let negations = single_words(&file.negations, "negations", &stop_words)?;
        let never_fuzzy = single_words(&file.never_fuzzy, "never_fuzzy", &stop_words)?;
        let mut table = NameTable {
            stop_words,
            negations,
            never_fuzzy,
            exact: HashMap::new(),
            prefixes: Vec::new(),
            typo_buckets: HashMap::new(),
            vocabulary: Vec::new(),
            patterns: Vec::new(),
            patterns_by_first: Vec::new(),
            entries: Vec::new(),
        };

        table.entries.push(Entry {
            kind: EntryKind::CommercialMarker,
            reason: String::new(),
            priority: 0,
            negatable: false,
            unless_commercial: false,
            answer_only: false,
        });
        for marker in &file.commercial_markers {
            table.add_pattern(marker, 0, "commercial_markers")?;
        }

        for plan in &file.plans {
            if plan.name.trim().is_empty() {
                return Err("a [[plan]] has an empty name".to_owned());
            }
            if plan.reason.trim().is_empty() {
                return Err(format!("plan \"{}\" has an empty reason", plan.name));
            }
            if plan.patterns.is_empty() {
                return Err(format!("plan \"{}\" has no patterns", plan.name));
            }
            if !(1..=3).contains(&plan.priority) {
                return Err(format!("plan \"{}\": priority must be 1, 2 or 3", plan.name));
            }
            let entry = table.entries.len();
            table.entries.push(Entry {
                kind: EntryKind::Government(plan.category),
                reason: plan.reason.trim().to_owned(),
                priority: plan.priority,
                negatable: plan.negatable,
                unless_commercial: plan.unless_commercial,
                answer_only: plan.answer_only,
            });
            for pattern in &plan.patterns {
                table.add_pattern(pattern, entry, &plan.name)?;
            }
        }

        for (word, misspellings) in &file.misspellings {
            let Some(&id) = table.exact.get(word.as_str()) else {
                return Err(format!("misspellings: \"{word}\" is not a word of any pattern"));
            };
            for misspelling in misspellings {
                let typed = table.one_word(misspelling, "misspellings")?;
                if let Some(&other) = table.exact.get(typed.as_str()) {
                    return Err(format!(
                        "misspellings: \"{typed}\" is already the table word \"{}\"",
                        table.vocabulary[other]
                    ));
                }
                table.exact.insert(typed, id);
            }
        }

        for word in &file.prefix_words {
            let word = table.one_word(word, "prefix_words")?;
            let Some(&id) = table.exact.get(word.as_str()) else {
                return Err(format!("prefix_words: \"{word}\" is not a word of any pattern"));
            };
            table.prefixes.push((word, id));
        }

        for (id, word) in table.vocabulary.iter().enumerate() {
            // A `never_fuzzy` word is not a typo target either: "medicar" is one letter from "medical" too, and
            // must read as "medicare", not as a tie.
            let len = word.chars().count();
            if table.never_fuzzy.contains(word) {
                continue;
            }
            if let Some(first) = word.chars().next().filter(|_| len >= MIN_TYPO_LEN) {
                table.typo_buckets.entry(first).or_default().push((id, len));
            }
        }
        Ok(table)
    }

    /// Normalises one configured word, which must stay exactly one word.
    fn one_word(&self, raw: &str, section: &str) -> Result<String, String> {
        let words = Words::of(&[raw], &self.stop_words);
        match (words.len(), words.get(0)) {
            (1, word) => Ok(word.to_owned()),
            _ => Err(format!("{section}: \"{raw}\" must be exactly one word that is not a stop word")),
        }
    }

    fn add_pattern(&mut self, raw: &str, entry: usize, owner: &str) -> Result<(), String> {
        let normalised = Words::of(&[raw], &self.stop_words);
        if normalised.is_empty() {
            return Err(format!("{owner}: pattern \"{raw}\" has no words left after normalising"));
        }
        let words: Vec<WordId> = normalised.iter().map(|word| self.intern(word)).collect();
        let index = self.patterns.len();
        self.patterns_by_first[words[0]].push(index);
        self.patterns.push(Pattern { words, entry });
        Ok(())
    }

    fn intern(&mut self, word: &str) -> WordId {
        if let Some(&id) = self.exact.get(word) {
            return id;
        }
        let id = self.vocabulary.len();
        self.vocabulary.push(word.to_owned());
        self.patterns_by_first.push(Vec::new());
        self.exact.insert(word.to_owned(), id);
        id
    }

    /// Number of government entries (for diagnostics).
    pub fn entry_count(&self) -> usize {
        self.entries.iter().filter(|e| matches!(e.kind, EntryKind::Government(_))).count()
    }

    /// Finds the government plan named in `texts` (read as one run of words), if any.
    pub fn find(&self, texts: &[&str], context: NameContext) -> Option<NameHit<'_>> {
        let words = Words::of(texts, &self.stop_words);
        if words.is_empty() {
            return None;
        }
        let lattice = self.lattice(&words);
        let mut found = Vec::new();
        for start in 0..words.len() {
            for &(pieces, word) in lattice.from(start) {
                for &index in &self.patterns_by_first[word] {
                    let pattern = &self.patterns[index];
                    if let Some(end) = self.match_rest(&pattern.words[1..], start + pieces, &lattice) {
                        found.push(Found { entry: pattern.entry, start, len: end - start });
                    }
                }
            }
        }
        self.decide(&found, &words, context)
    }

    /// Which table words each typed word, or run of up to [`MAX_PIECES`] typed words, can be.
    fn lattice(&self, words: &Words) -> Lattice {
        let mut lattice = Lattice { edges: Vec::new(), offsets: Vec::with_capacity(words.len() + 1) };
        let mut candidate = String::new();
        for start in 0..words.len() {
            lattice.offsets.push(lattice.edges.len());
            for pieces in 1..=MAX_PIECES {
                if !words.joined_into(start, pieces, &mut candidate) {
                    break;
                }
                if let Some(&id) = self.exact.get(candidate.as_str()) {
                    lattice.edges.push((pieces, id));
                } else if pieces == 1 {
                    // Typos and prefixes only on a word as typed: run-together words are already a guess.
                    if let Some(id) = self.prefix_of(&candidate).or_else(|| self.typo_of(&candidate)) {
                        lattice.edges.push((1, id));
                    }
                }
            }
        }
        lattice.offsets.push(lattice.edges.len());
        lattice
    }

    fn prefix_of(&self, typed: &str) -> Option<WordId> {
        self.prefixes
            .iter()
            .find(|(prefix, _)| typed.len() > prefix.len() && typed.starts_with(prefix.as_str()))
            .map(|&(_, id)| id)
    }

    /// The one table word `typed` is a typo of: same first letter, one edit away (two for long words), and no
    /// other table word as near. Ambiguity means no match: a wrong refusal is worse than a missed one.
    fn typo_of(&self, typed: &str) -> Option<WordId> {
        let len = typed.chars().count();
        if len < MIN_TYPO_LEN || self.never_fuzzy.contains(typed) {
            return None;
        }
        let first = typed.chars().next()?;
        let mut best: Option<(usize, WordId)> = None;
        let mut ambiguous = false;
        for &(id, word_len) in self.typo_buckets.get(&first)? {
            let allowed = if len >= LONG_WORD_LEN && word_len >= LONG_WORD_LEN { 2 } else { 1 };
            if len.abs_diff(word_len) > allowed {
                continue;
            }
            let distance = strsim::osa_distance(typed, &self.vocabulary[id]);
            if distance > allowed {
                continue;
            }
            match best {
                Some((best_distance, _)) if distance == best_distance => ambiguous = true,
                Some((best_distance, _)) if distance > best_distance => {}
                _ => {
                    best = Some((distance, id));
                    ambiguous = false;
                }
            }
        }
        if ambiguous { None } else { best.map(|(_, id)| id) }
    }

    /// Where the rest of a pattern ends when it continues at `position`.
    fn match_rest(&self, rest: &[WordId], position: usize, lattice: &Lattice) -> Option<usize> {
        let Some((&next, tail)) = rest.split_first() else {
            return Some(position);
        };
        lattice
            .from(position)
            .iter()
            .filter(|&&(_, word)| word == next)
            .find_map(|&(pieces, _)| self.match_rest(tail, position + pieces, lattice))
    }

    /// Applies negations, commercial markers and context, then picks the deciding entry: the highest priority
    /// (then longest pattern, then first in the file) decides Medicaid or Medicare; the longest pattern of that
    /// verdict names it.
    fn decide(&self, found: &[Found], words: &Words, context: NameContext) -> Option<NameHit<'_>> {
        let commercial = matches!(context, NameContext::Request { marketplace_chosen: true })
            || found.iter().any(|f| self.entries[f.entry].kind == EntryKind::CommercialMarker);
        let eligible = found.iter().filter_map(|f| {
            let entry = &self.entries[f.entry];
            let EntryKind::Government(category) = entry.kind else {
                return None;
            };
            let negated = entry.negatable && f.start > 0 && self.negations.contains(words.get(f.start - 1));
            let switched_off = (entry.unless_commercial && commercial)
                || (entry.answer_only && context != NameContext::Answer)
                || negated;
            (!switched_off).then_some((f, entry, category))
        });
        let by_priority = |&(f, entry, _): &(&Found, &Entry, Category)| (entry.priority, f.len, usize::MAX - f.entry);
        let (_, _, deciding) = eligible.clone().max_by_key(by_priority)?;
        let verdict = deciding.verdict();
        let (_, entry, category) = eligible
            .filter(|(_, _, category)| category.verdict() == verdict)
            .max_by_key(|&(f, entry, _)| (f.len, entry.priority, usize::MAX - f.entry))?;
        Some(NameHit { category, reason: &entry.reason })
    }
}

/// For each typed word position, the table words that start there and how many typed words each covers.
struct Lattice {
    edges: Vec<(usize, WordId)>,
    offsets: Vec<usize>,
}

impl Lattice {
    fn from(&self, position: usize) -> &[(usize, WordId)] {
        match (self.offsets.get(position), self.offsets.get(position + 1)) {
            (Some(&start), Some(&end)) => &self.edges[start..end],
            _ => &[],
        }
    }
}

fn single_words(raw: &[String], section: &str, stop_words: &HashSet<String>) -> Result<HashSet<String>, String> {
    raw.iter()
        .map(|word| {
            let words = Words::of(&[word], stop_words);
            match words.len() {
                1 => Ok(words.get(0).to_owned()),
                _ => Err(format!("{section}: \"{word}\" must be exactly one word")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{EMBEDDED_NAMES, data::NamesFile};
    use super::*;

    fn table() -> NameTable {
        let file: NamesFile = toml::from_str(EMBEDDED_NAMES).expect("names.toml parses");
        NameTable::build(file).expect("names.toml builds")
    }

    fn request(table: &NameTable, text: &str) -> Option<Category> {
        table.find(&[text], NameContext::Request { marketplace_chosen: false }).map(|hit| hit.category)
    }

    #[test]
    fn the_embedded_name_table_builds() {
        let table = table();

        assert!(table.entry_count() > 30);
    }

    #[test]
    fn a_plain_government_name_is_found_whatever_the_case_and_punctuation() {
        let table = table();

        assert_eq!(request(&table, "  MEDICAID!! "), Some(Category::Medicaid));
        assert_eq!(request(&table, "medicare."), Some(Category::Medicare));
    }

    #[test]
    fn a_word_typed_in_pieces_is_joined() {
        let table = table();

        assert_eq!(request(&table, "medi-caid"), Some(Category::Medicaid));
        assert_eq!(request(&table, "Tenn Care"), Some(Category::MedicaidProgram));
        assert_eq!(request(&table, "Well Care of Kentucky"), Some(Category::MedicaidMco));
    }

    #[test]
    fn one_typo_in_a_long_word_still_matches() {
        let table = table();

        assert_eq!(request(&table, "medicar"), Some(Category::Medicare));
        assert_eq!(request(&table, "Passport Helth Plan"), Some(Category::MedicaidMco));
    }

    #[test]
    fn a_listed_misspelling_beats_the_nearer_other_programme() {
        // Arrange: "medicade" is one letter from "medicare" but means Medicaid.
        let table = table();

        // Act
        let found = request(&table, "medicade");

        // Assert
        assert_eq!(found, Some(Category::Medicaid));
    }

    #[test]
    fn commercial_words_near_medicaid_are_never_read_as_typos() {
        let table = table();

        for name in ["Medica", "Medical Mutual", "Medico", "MedCost", "Medi-Share", "Medicine"] {
            assert_eq!(request(&table, name), None, "{name}");
        }
    }

    #[test]
    fn a_prefix_word_matches_inside_a_brand_word() {
        let table = table();

        assert_eq!(request(&table, "AARP MedicareRx Preferred"), Some(Category::Medicare));
    }

    #[test]
    fn a_negated_generic_word_does_not_fire() {
        let table = table();

        assert_eq!(request(&table, "Anthem PPO (not Medicaid)"), None);
        assert_eq!(request(&table, "non-Medicare group plan"), None);
    }

    #[test]
    fn a_commercial_marker_switches_off_a_shared_brand_name() {
        let table = table();

        assert_eq!(request(&table, "WellCare of Kentucky"), Some(Category::MedicaidMco));
        assert_eq!(request(&table, "Ambetter from WellCare of Kentucky"), None);
    }

    #[test]
    fn choosing_marketplace_switches_off_a_shared_brand_name_but_not_the_word_medicaid() {
        let table = table();
        let marketplace = NameContext::Request { marketplace_chosen: true };

        assert_eq!(table.find(&["WellCare of Kentucky"], marketplace), None);
        assert_eq!(table.find(&["Medicaid"], marketplace).map(|h| h.category), Some(Category::Medicaid));
    }

    #[test]
    fn answer_only_patterns_are_ignored_on_a_request() {
        let table = table();

        assert_eq!(request(&table, "CMS"), None);
        assert_eq!(table.find(&["CMS"], NameContext::Answer).map(|h| h.category), Some(Category::Medicare));
    }

    #[test]
    fn an_explicit_medicare_word_decides_over_a_medicaid_brand() {
        // Arrange: WellCare of Kentucky is Medicaid, but the applicant wrote Medicare.
        let table = table();

        // Act
        let found = request(&table, "WellCare of Kentucky Medicare");

        // Assert
        assert_eq!(found, Some(Category::Medicare));
    }

    #[test]
    fn the_most_specific_name_of_the_verdict_names_the_rule() {
        let table = table();

        assert_eq!(request(&table, "AARP Medicare Supplement Plan G"), Some(Category::Medigap));
        assert_eq!(request(&table, "Humana Gold Plus Medicare HMO"), Some(Category::MedicareAdvantage));
    }

    #[test]
    fn medicare_and_medicaid_together_is_dual_eligible() {
        let table = table();

        assert_eq!(request(&table, "Medicare & Medicaid"), Some(Category::MedicareDual));
    }

    #[test]
    fn carrier_and_plan_name_are_read_together() {
        let table = table();

        let found = table.find(&["Humana", "Gold Plus HMO"], NameContext::Request { marketplace_chosen: false });

        assert_eq!(found.map(|h| h.category), Some(Category::MedicareAdvantage));
    }

    #[test]
    fn a_brand_alone_is_not_a_government_name() {
        let table = table();

        for brand in ["Humana", "WellCare", "Molina", "CareSource", "Anthem", "Aetna", "UnitedHealthcare", "AARP"] {
            assert_eq!(request(&table, brand), None, "{brand}");
        }
    }

    #[test]
    fn an_ambiguous_typo_matches_nothing() {
        // Arrange: a table built so that "medicaie" is one edit from both words.
        let file: NamesFile = toml::from_str(
            r#"
            stop_words = []
            negations = []
            prefix_words = []
            never_fuzzy = []
            commercial_markers = []
            [[plan]]
            name = "a"
            category = "medicaid"
            patterns = ["medicaid"]
            reason = "a."
            [[plan]]
            name = "b"
            category = "medicare"
            patterns = ["medicare"]
            reason = "b."
            "#,
        )
        .expect("test table parses");
        let table = NameTable::build(file).expect("test table builds");

        // Act
        let found = request(&table, "medicaie");

        // Assert
        assert_eq!(found, None);
    }

    #[test]
    fn a_misspelling_of_an_unknown_word_is_refused_at_build() {
        let file: NamesFile = toml::from_str(
            r#"
            stop_words = []
            negations = []
            prefix_words = []
            never_fuzzy = []
            commercial_markers = []
            [misspellings]
            medigap = ["medigapp"]
            [[plan]]
            name = "a"
            category = "medicaid"
            patterns = ["medicaid"]
            reason = "a."
            "#,
        )
        .expect("test table parses");

        let built = NameTable::build(file);

        assert!(built.is_err());
    }

    #[test]
    fn a_pattern_made_only_of_stop_words_is_refused_at_build() {
        let file: NamesFile = toml::from_str(
            r#"
            stop_words = ["of"]
            negations = []
            prefix_words = []
            never_fuzzy = []
            commercial_markers = []
            [[plan]]
            name = "a"
            category = "medicaid"
            patterns = ["of"]
            reason = "a."
            "#,
        )
        .expect("test table parses");

        assert!(NameTable::build(file).is_err());
    }

    #[test]
    fn no_never_fuzzy_word_is_a_government_name_on_its_own() {
        // Arrange: these are real words and commercial carriers close to "medicaid"/"medicare".
        let table = table();

        // Act / Assert
        for word in &table.never_fuzzy {
            assert_eq!(request(&table, word), None, "{word}");
            assert_eq!(table.find(&[word.as_str()], NameContext::Answer), None, "{word}");
        }
    }
}
