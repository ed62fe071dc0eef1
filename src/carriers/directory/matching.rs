//! Matching the carrier name an applicant typed to a route of the directory.
//!
//! A wrong carrier is far worse than none: the applicant's details would go to a company that has never heard of
//! them, and the answer ("member not found") would mislead admissions. So every step here prefers `None` (the
//! verification fails as "carrier not supported" and a person verifies by phone) to a guess. The levels, each
//! tried only when the one before found nothing, are:
//!
//! 1. the *core* of the typed name equals the core of a route's name, alias or brand ([`NameKey`]: noise words such
//!    as "insurance", "inc", "of Kentucky", "PPO" dropped, "BCBS" expanded, spaces ignored, so "Care Source" is
//!    "CareSource");
//! 2. the typed name starts with a route's brand ("Humana ChoiceCare PPO" starts with "Humana");
//! 3. the typed core is within a few edits of a name's core ("Humanna", "United Heathcare", "Signa"); names of four
//!    letters or fewer never match fuzzily ("UMR" is not "UMWA");
//! 4. the typed name starts with a misspelt brand followed only by plan words ("Antem Blue Access").
//!
//! Levels 2-4 skip a route when the typed name contains one of its `not_names` ("Humana Military" is TRICARE,
//! "Aetna Better Health" is Medicaid) or names a state that none of the route's names mention ("Blue Cross Blue
//! Shield of Texas" is not Kentucky's Blue plan). At any level, two routes matching equally well is no match.

use strsim::osa_distance;

use super::normalise_name;

/// Words that say nothing about which carrier a name means: company suffixes, "insurance", the clinic's own state,
/// plan-type words. They are dropped wherever they appear.
const NOISE_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "of",
    "for",
    "inc",
    "incorporated",
    "co",
    "company",
    "companies",
    "corp",
    "corporation",
    "llc",
    "ltd",
    "insurance",
    "insurances",
    "ins",
    "insurer",
    "health",
    "healthplan",
    "plan",
    "plans",
    "kentucky",
    "ky",
    "ppo",
    "hmo",
    "epo",
    "pos",
    "hdhp",
    "hsa",
];

/// Words that may follow a misspelt brand (level 4): the names carriers give their plans and networks. A misspelt
/// brand followed by anything else ("Human Resources") is not taken for the brand.
const PLAN_WORDS: &[&str] = &[
    "access",
    "advantage",
    "basic",
    "blue",
    "bronze",
    "card",
    "care",
    "choice",
    "classic",
    "core",
    "employer",
    "essential",
    "family",
    "gold",
    "group",
    "i",
    "ii",
    "iii",
    "individual",
    "managed",
    "national",
    "network",
    "open",
    "option",
    "options",
    "platinum",
    "plus",
    "preferred",
    "premier",
    "select",
    "silver",
    "standard",
    "value",
];

/// US states, territories and their postal abbreviations, Kentucky excepted (it is a noise word: the clinic is
/// there). Postal codes that are also ordinary words in carrier names ("in", "or", "me", "co", "ok", "hi", "oh",
/// "de", "la", "pa", "id", "ma") are left out: missing one costs recall, never precision.
const OTHER_STATES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "district columbia",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "puerto rico",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "al",
    "ak",
    "az",
    "ar",
    "ca",
    "ct",
    "dc",
    "fl",
    "ga",
    "ia",
    "il",
    "ks",
    "md",
    "mi",
    "mn",
    "mo",
    "ms",
    "mt",
    "nc",
    "nd",
    "ne",
    "nh",
    "nj",
    "nm",
    "nv",
    "ny",
    "ri",
    "sc",
    "sd",
    "tn",
    "tx",
    "ut",
    "va",
    "vt",
    "wa",
    "wi",
    "wv",
    "wy",
];

/// Typed names whose core is longer than this are matched exactly only: nobody types a 100-letter carrier name,
/// and the edit distance is quadratic.
const MAX_FUZZY_CHARS: usize = 100;
/// A brand is tried against at most this many leading words of the typed name.
const MAX_BRAND_WORDS: usize = 8;

/// A name reduced to what identifies the carrier: normalised words without noise, abbreviations expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NameKey {
    /// The remaining words, in order.
    words: Vec<String>,
    /// The words joined without spaces: "care source" and "caresource" compare equal.
    compact: String,
}

impl NameKey {
    /// The key of `text`.
    pub(super) fn new(text: &str) -> NameKey {
        let normalised = normalise_name(text);
        let mut words = Vec::new();
        for word in normalised.split(' ').filter(|word| !word.is_empty()) {
            for expanded in expand(word) {
                if !NOISE_WORDS.contains(&expanded.as_str()) {
                    words.push(expanded);
                }
            }
        }
        let compact = words.concat();
        NameKey { words, compact }
    }

    /// The words joined without spaces (empty when the name was nothing but noise).
    pub(super) fn compact(&self) -> &str {
        &self.compact
    }

    /// True when nothing but noise words remained.
    pub(super) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The states (other than Kentucky) this name mentions.
    fn states(&self) -> Vec<&'static str> {
        OTHER_STATES.iter().copied().filter(|state| self.contains_phrase(state)).collect()
    }

    /// True when `phrase` (space-separated words) appears as consecutive words of this name.
    fn contains_phrase(&self, phrase: &str) -> bool {
        let phrase: Vec<&str> = phrase.split(' ').collect();
        self.words.windows(phrase.len()).any(|window| window.iter().zip(&phrase).all(|(word, part)| word == part))
    }

    /// True when the name contains `other`: as consecutive words, or (for keys of five letters or more) as
    /// letters regardless of spacing ("HealthKeepers" contains "Health Keepers").
    fn contains(&self, other: &NameKey) -> bool {
        if other.words.is_empty() {
            return false;
        }
        let consecutive = self.words.windows(other.words.len()).any(|window| window == other.words.as_slice());
        consecutive || (other.compact.chars().count() >= 5 && self.compact.contains(&other.compact))
    }

    /// How many leading words of this name spell `brand` (spaces ignored), when they do and words remain after
    /// them.
    fn brand_prefix_len(&self, brand: &NameKey) -> Option<usize> {
        let mut spelled = String::new();
        for (count, word) in self.words.iter().enumerate().take(MAX_BRAND_WORDS) {
            spelled.push_str(word);
            if spelled.len() > brand.compact.len() {
                return None;
            }
            if spelled == brand.compact {
                return (count + 1 < self.words.len()).then_some(count + 1);
            }
        }
        None
    }
}

/// Abbreviations and run-together spellings applicants use, written out.
fn expand(word: &str) -> Vec<String> {
    let words: &[&str] = match word {
        "bcbs" => &["blue", "cross", "blue", "shield"],
        "bc" => &["blue", "cross"],
        "bs" => &["blue", "shield"],
        "bluecross" => &["blue", "cross"],
        "blueshield" => &["blue", "shield"],
        "behavioural" => &["behavioral"],
        // Misspellings of noise words, so that they drop out as the words themselves do.
        "hlth" | "heath" | "helth" | "heatlh" | "healh" => &["health"],
        "insurence" | "insurace" | "insurnace" | "insuance" | "insureance" => &["insurance"],
        // "BCBSKY", "BCBSTX": the Blue abbreviation run together with a state code.
        _ if word.len() > 4 && word.starts_with("bcbs") && word.is_ascii() => {
            let mut words: Vec<String> = ["blue", "cross", "blue", "shield"].map(str::to_owned).into();
            // `word` is ASCII, so byte 4 is a character boundary.
            words.push(word[4..].to_owned());
            return words;
        }
        _ => return vec![word.to_owned()],
    };
    words.iter().map(|word| (*word).to_owned()).collect()
}

/// Edits tolerated between two spellings, by the length of the shorter one: none up to four letters (short names
/// and acronyms are too close to each other), then one, two, three.
fn allowed_edits(shorter_len: usize) -> usize {
    match shorter_len {
        0..=4 => 0,
        5..=9 => 1,
        10..=15 => 2,
        _ => 3,
    }
}

/// The edit distance between two compact spellings when it is within the tolerance, else `None`.
fn close(typed: &str, known: &str) -> Option<usize> {
    let shorter = typed.chars().count().min(known.chars().count());
    let allowed = allowed_edits(shorter);
    if allowed == 0 {
        return None;
    }
    let distance = osa_distance(typed, known);
    (distance <= allowed).then_some(distance)
}

/// The keys of one route.
#[derive(Debug, Clone)]
pub(super) struct RouteKeys {
    /// Display name and aliases.
    pub(super) names: Vec<NameKey>,
    /// Brands: names that still mean this carrier when followed by a plan name.
    pub(super) brands: Vec<NameKey>,
    /// Phrases that mean "not this carrier" even after one of its brands.
    pub(super) not_names: Vec<NameKey>,
    /// States mentioned by the route's own names and brands.
    states: Vec<&'static str>,
}

impl RouteKeys {
    /// Keys from the route's names, brands and exclusions.
    pub(super) fn new<'a>(
        names: impl IntoIterator<Item = &'a String>,
        brands: &[String],
        not_names: &[String],
    ) -> RouteKeys {
        let names: Vec<NameKey> = names.into_iter().map(|name| NameKey::new(name)).collect();
        let brands: Vec<NameKey> = brands.iter().map(|brand| NameKey::new(brand)).collect();
        let not_names = not_names.iter().map(|name| NameKey::new(name)).collect();
        let mut states: Vec<&'static str> = names.iter().chain(&brands).flat_map(NameKey::states).collect();
        states.sort_unstable();
        states.dedup();
        RouteKeys { names, brands, not_names, states }
    }

    /// Names and brands together.
    fn all_keys(&self) -> impl Iterator<Item = &NameKey> {
        self.names.iter().chain(&self.brands)
    }

    /// True when the typed name rules this route out before any brand or fuzzy match: it contains one of the
    /// route's `not_names`, or names a state none of the route's names mention.
    fn rules_out(&self, typed: &NameKey, typed_states: &[&'static str]) -> bool {
        self.not_names.iter().any(|not_name| typed.contains(not_name))
            || typed_states.iter().any(|state| !self.states.contains(state))
    }
}

/// The routes' keys, in directory order.
#[derive(Debug, Clone, Default)]
pub(super) struct NameIndex {
    routes: Vec<RouteKeys>,
}

/// What one level of matching found.
enum Found {
    /// Exactly one route.
    One(usize),
    /// Several routes equally well: give up, do not guess.
    Ambiguous,
    /// Nothing at this level.
    Nothing,
}

impl Found {
    /// From the routes that matched at one level, each with a score (lower is better): the one route with the
    /// best score, or `Ambiguous` when several routes share it.
    fn best(candidates: Vec<(usize, usize)>) -> Found {
        let Some(best) = candidates.iter().map(|&(_, score)| score).min() else {
            return Found::Nothing;
        };
        let mut routes: Vec<usize> =
            candidates.iter().filter(|&&(_, score)| score == best).map(|&(route, _)| route).collect();
        routes.sort_unstable();
        routes.dedup();
        match routes.as_slice() {
            [route] => Found::One(*route),
            _ => Found::Ambiguous,
        }
    }
}

impl NameIndex {
    /// An index over the routes' keys, in directory order.
    pub(super) fn new(routes: Vec<RouteKeys>) -> NameIndex {
        NameIndex { routes }
    }

    /// The route index the typed name means, by levels 1-4 of the module documentation, or `None` when no route
    /// or more than one matches.
    pub(super) fn find(&self, typed: &str) -> Option<usize> {
        let typed = NameKey::new(typed);
        if typed.is_empty() {
            return None;
        }
        let levels: [&dyn Fn(&NameKey) -> Found; 4] =
            [&|t| self.core_match(t), &|t| self.brand_match(t), &|t| self.fuzzy_match(t), &|t| {
                self.fuzzy_brand_match(t)
            }];
        for level in levels {
            match level(&typed) {
                Found::One(route) => return Some(route),
                Found::Ambiguous => return None,
                Found::Nothing => {}
            }
        }
        None
    }

    /// Level 1: the typed core equals a name's or brand's core.
    fn core_match(&self, typed: &NameKey) -> Found {
        let candidates = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, keys)| keys.all_keys().any(|key| key.compact == typed.compact))
            .map(|(index, _)| (index, 0))
            .collect();
        Found::best(candidates)
    }

    /// The routes levels 2-4 may consider for this typed name.
    fn eligible<'a>(&'a self, typed: &'a NameKey) -> impl Iterator<Item = (usize, &'a RouteKeys)> + 'a {
        let typed_states = typed.states();
        self.routes.iter().enumerate().filter(move |(_, keys)| !keys.rules_out(typed, &typed_states))
    }

    /// Level 2: the typed name starts with a brand, and more words follow.
    fn brand_match(&self, typed: &NameKey) -> Found {
        let candidates = self
            .eligible(typed)
            .filter(|(_, keys)| keys.brands.iter().any(|brand| typed.brand_prefix_len(brand).is_some()))
            .map(|(index, _)| (index, 0))
            .collect();
        Found::best(candidates)
    }

    /// Level 3: the typed core is a few edits from a name's or brand's core.
    fn fuzzy_match(&self, typed: &NameKey) -> Found {
        if typed.compact.chars().count() > MAX_FUZZY_CHARS {
            return Found::Nothing;
        }
        let candidates = self
            .eligible(typed)
            .filter_map(|(index, keys)| {
                keys.all_keys().filter_map(|key| close(&typed.compact, &key.compact)).min().map(|d| (index, d))
            })
            .collect();
        Found::best(candidates)
    }

    /// Level 4: the leading words are a few edits from a brand and every word after them is a plan word.
    fn fuzzy_brand_match(&self, typed: &NameKey) -> Found {
        if typed.compact.chars().count() > MAX_FUZZY_CHARS {
            return Found::Nothing;
        }
        let plan_words_after = |count: usize| {
            count < typed.words.len() && typed.words[count..].iter().all(|word| PLAN_WORDS.contains(&word.as_str()))
        };
        let mut candidates = Vec::new();
        for (index, keys) in self.eligible(typed) {
            for brand in &keys.brands {
                let mut leading = String::new();
                for (count, word) in typed.words.iter().enumerate().take(MAX_BRAND_WORDS) {
                    leading.push_str(word);
                    if plan_words_after(count + 1)
                        && let Some(distance) = close(&leading, &brand.compact)
                    {
                        candidates.push((index, distance));
                    }
                }
            }
        }
        Found::best(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(routes: &[(&[&str], &[&str], &[&str])]) -> NameIndex {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        NameIndex::new(
            routes
                .iter()
                .map(|(names, brands, not_names)| RouteKeys::new(&owned(names), &owned(brands), &owned(not_names)))
                .collect(),
        )
    }

    #[test]
    fn keys_drop_noise_words_and_expand_the_blue_abbreviation() {
        assert_eq!(NameKey::new("Anthem Insurance Company of Kentucky, Inc.").compact(), "anthem");
        assert_eq!(NameKey::new("BCBS KY").compact(), "bluecrossblueshield");
        assert_eq!(NameKey::new("BCBSTX").words, ["blue", "cross", "blue", "shield", "tx"]);
        assert_eq!(NameKey::new("Care Source").compact(), NameKey::new("CareSource PPO").compact());
        assert!(NameKey::new("Health Insurance Plan").is_empty());
    }

    #[test]
    fn short_names_never_match_fuzzily() {
        assert_eq!(close("umwa", "umr"), None);
        assert_eq!(close("umrs", "umr"), None);
        assert_eq!(close("signa", "cigna"), Some(1));
        assert_eq!(close("bluegrass", "bluecross"), None, "two edits in nine letters is another name");
    }

    #[test]
    fn a_brand_followed_by_plan_words_matches_but_not_by_other_words() {
        let index = index(&[(&["Humana"], &["Humana"], &["Military"])]);

        assert_eq!(index.find("Humana ChoiceCare PPO"), Some(0));
        assert_eq!(index.find("Humanna Choice Care"), Some(0));
        assert_eq!(index.find("Human Resources"), None);
        assert_eq!(index.find("Humana Military"), None);
    }

    #[test]
    fn another_state_rules_a_route_out_unless_its_names_mention_it() {
        let index = index(&[(&["Blue Cross Blue Shield"], &[], &[]), (&["Blue Cross Blue Shield of Texas"], &[], &[])]);

        assert_eq!(index.find("Blue Cross Blue Shield of Kentucky"), Some(0));
        assert_eq!(index.find("BCBS of Texas"), Some(1));
        assert_eq!(index.find("Blue Cross Blue Shield of Tennessee"), None);
    }

    #[test]
    fn two_routes_matching_equally_well_is_no_match() {
        let index = index(&[(&["Acmecare Health"], &[], &[]), (&["Acnecare Health"], &[], &[])]);

        assert_eq!(index.find("Acmecare"), Some(0));
        assert_eq!(index.find("Acmecar"), Some(0), "one edit from the first, two from the second");
        assert_eq!(index.find("Ackecare"), None, "one edit from both");
    }
}
