//! The X12 tokenizer: delimiters from the ISA segment, then a lazy, borrowing iterator of segments.
//!
//! Nothing here allocates per segment or per element: a [`Segment`] is two string slices into the input plus
//! the delimiters, and elements, components and repetitions are split on demand. Every byte sequence is
//! accepted without panicking; what cannot be read becomes an [`X12Error`] that names segment positions and
//! ids, never element values (they carry PHI).

use std::fmt;

use super::X12Error;

/// Delimiters read from the ISA segment (never assumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// Separates elements (ISA byte 3), usually `*`.
    pub element: u8,
    /// Separates repetitions of one element (ISA11 in 005010); `None` in 004010-era envelopes where ISA11 is `U`.
    pub repetition: Option<u8>,
    /// Separates the components of a composite element (ISA16), usually `:` or `>`.
    pub component: u8,
    /// Ends a segment (the byte after ISA16), usually `~`.
    pub segment: u8,
}

impl Delimiters {
    /// The delimiters most senders use: `*` elements, `^` repetitions, `:` components, `~` segments.
    pub const STANDARD: Delimiters =
        Delimiters { element: b'*', repetition: Some(b'^'), component: b':', segment: b'~' };

    /// Checks that the delimiters can tokenize unambiguously: ASCII (so every split lands on a UTF-8 character
    /// boundary), not letters or digits (those occur in data), and pairwise distinct.
    pub fn validate(&self) -> Result<(), X12Error> {
        let mut all = vec![self.element, self.component, self.segment];
        all.extend(self.repetition);
        for &byte in &all {
            if !byte.is_ascii() || byte.is_ascii_alphanumeric() {
                return Err(X12Error::InvalidDelimiters { reason: "a delimiter is a letter, a digit or not ASCII" });
            }
        }
        for (i, a) in all.iter().enumerate() {
            if all.iter().skip(i + 1).any(|b| b == a) {
                return Err(X12Error::InvalidDelimiters { reason: "two delimiters are the same character" });
            }
        }
        Ok(())
    }

    /// The repetition separator as a `char`, or the segment terminator when the envelope has none: the
    /// terminator cannot occur inside a segment, so splitting on it yields the whole element once.
    fn repetition_or_never(&self) -> char {
        char::from(self.repetition.unwrap_or(self.segment))
    }
}

impl Default for Delimiters {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// One segment, borrowed from the input: its id and its elements, split lazily.
///
/// Cheap to copy. Its `Debug` output shows the id, position and element count only, never the values (PHI).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The segment without its terminator; starts with the id, which is ASCII and `id_len` bytes long.
    text: &'a str,
    id_len: u8,
    delimiters: Delimiters,
    index: usize,
}

impl<'a> Segment<'a> {
    /// Builds a segment from its text without terminator (e.g. `EB*1**30`), for tests and builders that already
    /// hold one. The id is validated as in the tokenizer; `index` is the 1-based position reported in errors.
    pub fn from_text(text: &'a str, delimiters: Delimiters, index: usize) -> Result<Segment<'a>, X12Error> {
        let bytes = text.as_bytes();
        // An id is 2 or 3 bytes, so look at bytes 2 and 3 for the element separator instead of scanning (this
        // runs once per segment: a scan here cost a quarter of the tokenizer's time).
        let id_len: u8 = match bytes {
            [_, _] => 2,
            [_, _, third, ..] if *third == delimiters.element => 2,
            [_, _, _] => 3,
            [_, _, _, fourth, ..] if *fourth == delimiters.element => 3,
            _ => return Err(X12Error::InvalidSegmentId { index }),
        };
        let id = bytes.get(..usize::from(id_len)).ok_or(X12Error::InvalidSegmentId { index })?;
        if !is_segment_id(id) {
            return Err(X12Error::InvalidSegmentId { index });
        }
        Ok(Segment { text, id_len, delimiters, index })
    }

    /// The segment id, e.g. `EB` (2 or 3 upper-case letters or digits).
    pub fn id(&self) -> &'a str {
        // The id is ASCII (checked when the segment was built), so this boundary is a character boundary.
        self.text.get(..usize::from(self.id_len)).unwrap_or_default()
    }

    /// Everything after the id: empty, or starting with the element separator, so that `split` yields the id's
    /// empty slot first and X12 positions line up with split indexes.
    fn rest(&self) -> &'a str {
        self.text.get(usize::from(self.id_len)..).unwrap_or_default()
    }

    /// The element at X12 position `position`, 1-based (`EB01` is `element(1)`); `None` when the segment has no
    /// such element or it is empty. `element(0)` is `None` (use [`Segment::id`]).
    pub fn element(&self, position: usize) -> Option<&'a str> {
        if position == 0 {
            return None;
        }
        // Find the separators before and after the element with a byte search: `str::split(char)` decodes
        // characters one by one, and this runs for every element of every segment read.
        let rest = self.rest();
        let mut separators = memchr::memchr_iter(self.delimiters.element, rest.as_bytes());
        let start = separators.nth(position - 1)? + 1;
        let end = separators.next().unwrap_or(rest.len());
        rest.get(start..end).filter(|value| !value.is_empty())
    }

    /// The components of the element at `position`, split by the component separator (e.g. `HI01`, `EB13`);
    /// none when the element is absent. Empty components are yielded as empty strings so that component
    /// positions are kept.
    pub fn components(&self, position: usize) -> impl Iterator<Item = &'a str> + use<'a> {
        let separator = char::from(self.delimiters.component);
        self.element(position).into_iter().flat_map(move |value| value.split(separator))
    }

    /// The component `component` (1-based) of the element at `position`; `None` when absent or empty.
    pub fn component(&self, position: usize, component: usize) -> Option<&'a str> {
        component.checked_sub(1).and_then(|skip| self.components(position).nth(skip)).filter(|value| !value.is_empty())
    }

    /// The repetitions of the element at `position`, split by the repetition separator (e.g. `EB03`
    /// `30^AI^MH`); one item when the envelope has no repetition separator, none when the element is absent.
    pub fn repetitions(&self, position: usize) -> impl Iterator<Item = &'a str> + use<'a> {
        let separator = self.delimiters.repetition_or_never();
        self.element(position).into_iter().flat_map(move |value| value.split(separator))
    }

    /// How many elements the segment has as written, empty ones included, the id excluded (`EB*1**30` has 3).
    pub fn element_count(&self) -> usize {
        memchr::memchr_iter(self.delimiters.element, self.rest().as_bytes()).count()
    }

    /// The elements in order, position 1 first, empty ones as empty strings.
    pub fn elements(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.rest().split(char::from(self.delimiters.element)).skip(1)
    }

    /// The 1-based position of the segment in the interchange (ISA is 1), as reported in errors and warnings.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The delimiters this segment was read with.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// The segment's text without its terminator, as sent. Carries PHI: keep it out of logs.
    pub fn raw(&self) -> &'a str {
        self.text
    }
}

impl fmt::Debug for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are PHI (names, member IDs, dates of birth): show the shape only.
        f.debug_struct("Segment")
            .field("id", &self.id())
            .field("index", &self.index)
            .field("elements", &self.element_count())
            .finish()
    }
}

/// True for a plausible segment id: 2 or 3 upper-case ASCII letters or digits, starting with a letter.
fn is_segment_id(id: &[u8]) -> bool {
    matches!(id.len(), 2 | 3)
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The UTF-8 byte order mark some Windows tools put before the ISA.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Number of element separators in an ISA segment (ISA01 to ISA16).
const ISA_ELEMENTS: usize = 16;

/// Skips a leading byte order mark and whitespace.
fn skip_preamble(input: &[u8]) -> &[u8] {
    let mut rest = input;
    loop {
        if let Some(after) = rest.strip_prefix(BOM) {
            rest = after;
        } else if let Some((first, after)) = rest.split_first()
            && first.is_ascii_whitespace()
        {
            rest = after;
        } else {
            return rest;
        }
    }
}

/// Reads the delimiters from the ISA segment at the start of `input` (after any BOM or whitespace).
///
/// The ISA is fixed-width (106 bytes: element separator at byte 3, repetition separator ISA11 at byte 82,
/// component separator ISA16 at byte 104, terminator at 105), but some senders do not pad its fields, so the
/// delimiters are found by counting element separators rather than by offset: for a conforming ISA both agree.
pub fn read_delimiters(input: &[u8]) -> Result<Delimiters, X12Error> {
    let input = skip_preamble(input);
    if !input.starts_with(b"ISA") {
        return Err(X12Error::NotAnInterchange);
    }
    let element = *input.get(3).ok_or(X12Error::InvalidIsa { reason: "the ISA segment is cut short" })?;
    // Position of the separator before ISA16; ISA16 is one byte, the terminator follows it.
    let mut separators = memchr::memchr_iter(element, input);
    let before_isa16 = separators
        .nth(ISA_ELEMENTS - 1)
        .ok_or(X12Error::InvalidIsa { reason: "the ISA segment has fewer than 16 elements" })?;
    let component =
        *input.get(before_isa16 + 1).ok_or(X12Error::InvalidIsa { reason: "the ISA segment is cut short" })?;
    let segment =
        *input.get(before_isa16 + 2).ok_or(X12Error::InvalidIsa { reason: "the ISA segment is cut short" })?;
    // ISA11: between the 10th and the 11th separator. In 005010 it is the repetition separator; in 004010 it is
    // the standards identifier `U` (a letter), meaning the envelope has no repetition separator.
    let mut separators = memchr::memchr_iter(element, input);
    let before_isa11 = separators
        .nth(ISA_ELEMENTS - 6)
        .ok_or(X12Error::InvalidIsa { reason: "the ISA segment has fewer than 16 elements" })?;
    let after_isa11 =
        separators.next().ok_or(X12Error::InvalidIsa { reason: "the ISA segment has fewer than 16 elements" })?;
    let isa11 = input.get(before_isa11 + 1..after_isa11).unwrap_or_default();
    let repetition = match isa11 {
        [byte] if !byte.is_ascii_alphanumeric() && *byte != b' ' => Some(*byte),
        _ => None,
    };
    if element.is_ascii_whitespace() || component.is_ascii_whitespace() {
        return Err(X12Error::InvalidDelimiters { reason: "an element or component separator is whitespace" });
    }
    let delimiters = Delimiters { element, repetition, component, segment };
    delimiters.validate()?;
    Ok(delimiters)
}

/// Reads the delimiters from the ISA and returns them with a lazy iterator over every segment, ISA first.
///
/// Leading whitespace and a UTF-8 byte order mark are skipped; so is whitespace after each terminator (CR/LF
/// line breaks). Errors in the ISA are returned here; errors in later segments are yielded by the iterator.
pub fn segments(input: &[u8]) -> Result<(Delimiters, Segments<'_>), X12Error> {
    let delimiters = read_delimiters(input)?;
    let input = skip_preamble(input);
    // UTF-8 is checked once for the whole input (one fast pass) rather than segment by segment; segments are
    // then sliced from the valid prefix, and the first one reaching past it is the one reported as not UTF-8.
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(input.get(..error.valid_up_to()).unwrap_or_default()).unwrap_or_default(),
    };
    let terminators = memchr::memchr_iter(delimiters.segment, input);
    Ok((delimiters, Segments { input, text, position: 0, terminators, delimiters, index: 0, failed: false }))
}

/// Iterator over the segments of an interchange; see [`segments`]. Stops after the first error.
#[derive(Clone)]
pub struct Segments<'a> {
    /// The interchange, from the ISA on.
    input: &'a [u8],
    /// The longest prefix of `input` that is valid UTF-8 (all of it, for a well-formed interchange).
    text: &'a str,
    /// Where the next segment starts (before any whitespace that separates it from the previous one).
    position: usize,
    /// Every segment terminator in `input`, in order: one scan over the whole input instead of a search per
    /// segment (segments average 30 bytes, where a fresh search costs more than it scans).
    terminators: memchr::Memchr<'a>,
    delimiters: Delimiters,
    index: usize,
    failed: bool,
}

impl Segments<'_> {
    /// The delimiters the segments are split with.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Skips line breaks and blanks between segments. When the terminator is itself a line break, a CR LF or a
    /// blank line after it would otherwise read as an empty segment, so it is skipped as well.
    fn skip_separating_whitespace(&mut self) {
        while self.input.get(self.position).is_some_and(u8::is_ascii_whitespace) {
            self.position += 1;
        }
    }

    /// The first terminator at or after `from`; terminators inside skipped whitespace (a line feed terminator
    /// followed by blank lines) are passed over.
    fn next_terminator(&mut self, from: usize) -> Option<usize> {
        self.terminators.by_ref().find(|&at| at >= from)
    }
}

impl fmt::Debug for Segments<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segments")
            .field("delimiters", &self.delimiters)
            .field("next_index", &(self.index + 1))
            .field("remaining_bytes", &self.input.len().saturating_sub(self.position))
            .finish()
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, X12Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.skip_separating_whitespace();
        if self.position >= self.input.len() {
            return None;
        }
        self.index += 1;
        let index = self.index;
        let start = self.position;
        let Some(end) = self.next_terminator(start) else {
            // A segment without its terminator is a truncated file: reading it would yield cut-off values.
            self.failed = true;
            self.position = self.input.len();
            return Some(Err(X12Error::UnterminatedSegment { index }));
        };
        self.position = end + 1;
        // With a line feed as terminator, CR LF line ends leave a carriage return at the end of the segment.
        let end = if self.delimiters.segment == b'\n' && end > start && self.input.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        // `get` is `None` when the segment reaches past the valid UTF-8 prefix (or would split a character).
        let result = match self.text.get(start..end) {
            Some(text) => Segment::from_text(text, self.delimiters, index),
            None => Err(not_utf8(self.input.get(start..end).unwrap_or_default(), self.delimiters, index)),
        };
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }
}

/// The input with every byte that is not part of valid UTF-8 replaced by `?`, borrowed when it is valid already.
///
/// The tokenizer refuses non-UTF-8 segments (an error naming the segment). Some payers send ISO-8859-1 names
/// (`MU\xD1OZ`); a caller that prefers a readable answer with `?` in such a name over no answer runs the
/// input through this first. One byte becomes one byte, so the ISA's fixed offsets still hold.
pub fn replace_invalid_utf8(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if std::str::from_utf8(input).is_ok() {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(_) => {
                out.extend_from_slice(rest);
                break;
            }
            Err(error) => {
                let valid = error.valid_up_to();
                // An incomplete sequence at the very end has no `error_len`: replace what is left.
                let bad = error.error_len().unwrap_or(rest.len().saturating_sub(valid)).max(1);
                out.extend_from_slice(rest.get(..valid).unwrap_or_default());
                out.extend(std::iter::repeat_n(b'?', bad));
                rest = rest.get(valid + bad..).unwrap_or_default();
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The error for a segment that is not UTF-8, naming its id when the id itself is readable.
fn not_utf8(bytes: &[u8], delimiters: Delimiters, index: usize) -> X12Error {
    let id_end = memchr::memchr(delimiters.element, bytes).unwrap_or(bytes.len());
    let id = bytes.get(..id_end).filter(|id| is_segment_id(id)).and_then(|id| std::str::from_utf8(id).ok());
    X12Error::NotUtf8 { index, segment: id.map(str::to_owned) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA_5010: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260115*0930*^*00501*000000101*0*T*:~";

    fn all(input: &str) -> Result<Vec<Segment<'_>>, X12Error> {
        let (_, tokens) = segments(input.as_bytes())?;
        tokens.collect()
    }

    #[test]
    fn delimiters_of_a_standard_5010_isa_are_read_from_their_fixed_positions() {
        // Arrange: the ISA is exactly 106 bytes, so byte offsets and separator counting must agree.
        assert_eq!(ISA_5010.len(), 106);

        // Act
        let delimiters = read_delimiters(ISA_5010.as_bytes()).expect("present");

        // Assert
        assert_eq!(delimiters, Delimiters::STANDARD);
        assert_eq!(delimiters.element, ISA_5010.as_bytes()[3]);
        assert_eq!(delimiters.repetition, Some(ISA_5010.as_bytes()[82]));
        assert_eq!(delimiters.component, ISA_5010.as_bytes()[104]);
        assert_eq!(delimiters.segment, ISA_5010.as_bytes()[105]);
    }

    #[test]
    fn a_4010_isa_with_u_in_isa11_has_no_repetition_separator() {
        let isa = "ISA*03*0000000000*01*0000000000*ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345*101127*1719*U*00401*000003438*0*P*>~";

        let delimiters = read_delimiters(isa.as_bytes()).expect("present");

        assert_eq!(delimiters, Delimiters { element: b'*', repetition: None, component: b'>', segment: b'~' });
    }

    #[test]
    fn unusual_delimiters_are_taken_from_the_isa_not_assumed() {
        let input = "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |260115|0930|^|00501|000000101|0|T|>~\r\nEB|1||30^AI^MH|C1>98~\r\n";

        let (delimiters, tokens) = segments(input.as_bytes()).expect("present");
        let segments: Vec<_> = tokens.collect::<Result<_, _>>().expect("present");

        assert_eq!(delimiters, Delimiters { element: b'|', repetition: Some(b'^'), component: b'>', segment: b'~' });
        let eb = segments[1];
        assert_eq!(eb.id(), "EB");
        assert_eq!(eb.element(1), Some("1"));
        assert_eq!(eb.element(2), None, "an empty element is None");
        assert_eq!(eb.repetitions(3).collect::<Vec<_>>(), ["30", "AI", "MH"]);
        assert_eq!(eb.components(4).collect::<Vec<_>>(), ["C1", "98"]);
        assert_eq!(eb.component(4, 2), Some("98"));
        assert_eq!(eb.element_count(), 4);
    }

    #[test]
    fn leading_bom_whitespace_and_line_breaks_between_segments_are_skipped() {
        let input = format!("\u{feff}\r\n  {ISA_5010}\r\nGS*HB*A*B*20260115*0930*1*X*005010X279A1~\n\nGE*0*1~");

        let ids: Vec<_> = all(&input).expect("present").iter().map(|s| s.id()).collect();

        assert_eq!(ids, ["ISA", "GS", "GE"]);
    }

    #[test]
    fn element_positions_are_one_based_and_out_of_range_is_none() {
        let segment = Segment::from_text("NM1*IL*1*DOE*JANE****MI*KY123", Delimiters::STANDARD, 7).expect("present");

        assert_eq!(segment.element(0), None);
        assert_eq!(segment.element(1), Some("IL"));
        assert_eq!(segment.element(9), Some("KY123"));
        assert_eq!(segment.element(10), None);
        assert_eq!(segment.element_count(), 9);
        assert_eq!(segment.elements().nth(2), Some("DOE"));
        assert_eq!(segment.index(), 7);
        assert_eq!(segment.repetitions(99).count(), 0);
        assert_eq!(segment.components(99).count(), 0);
        assert_eq!(segment.component(1, 0), None);
    }

    #[test]
    fn without_a_repetition_separator_an_element_is_one_repetition() {
        let delimiters = Delimiters { repetition: None, ..Delimiters::STANDARD };
        let segment = Segment::from_text("EB*1**30^AI", delimiters, 1).expect("present");

        assert_eq!(segment.repetitions(3).collect::<Vec<_>>(), ["30^AI"]);
    }

    #[test]
    fn debug_output_of_a_segment_never_shows_its_values() {
        let segment =
            Segment::from_text("NM1*IL*1*BLUEGRASS*WILMA****MI*KYW99887766", Delimiters::STANDARD, 3).expect("present");

        let debug = format!("{segment:?}");

        assert!(debug.contains("NM1"));
        assert!(!debug.contains("BLUEGRASS") && !debug.contains("WILMA") && !debug.contains("KYW99887766"), "{debug}");
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_the_segment_position() {
        let input = format!("{ISA_5010}GS*HB*A*B*20260115*0930*1*X*005010X279A1~EB*1**3");

        let error = all(&input).expect_err("an error");

        assert_eq!(error, X12Error::UnterminatedSegment { index: 3 });
    }

    #[test]
    fn non_utf8_bytes_are_an_error_naming_the_segment_and_not_its_value() {
        let mut input = ISA_5010.as_bytes().to_vec();
        input.extend_from_slice(b"NM1*IL*1*MU\xD1OZ~");

        let (_, tokens) = segments(&input).expect("present");
        let error = tokens.collect::<Result<Vec<_>, _>>().expect_err("an error");

        assert_eq!(error, X12Error::NotUtf8 { index: 2, segment: Some("NM1".to_owned()) });
        assert!(!error.to_string().contains("MU"), "{error}");
    }

    #[test]
    fn latin1_bytes_can_be_replaced_so_that_the_segment_reads_with_a_question_mark() {
        let mut input = ISA_5010.as_bytes().to_vec();
        input.extend_from_slice(b"NM1*IL*1*MU\xD1OZ*ANA~DMG*D8*19800101~\xE9\x80");

        let cleaned = replace_invalid_utf8(&input);
        let (_, tokens) = segments(&cleaned).expect("delimiters");
        let read: Vec<Result<Segment<'_>, X12Error>> = tokens.collect();

        assert_eq!(cleaned.len(), input.len(), "one byte for one byte");
        let nm1 = read[1].as_ref().expect("readable now");
        assert_eq!(nm1.element(3), Some("MU?OZ"));
        assert_eq!(read[2].as_ref().map(|dmg| dmg.element(2)), Ok(Some("19800101")));
        // The trailing bytes became `??`, a segment without terminator.
        assert_eq!(read[3], Err(X12Error::UnterminatedSegment { index: 4 }));
        assert!(matches!(replace_invalid_utf8(ISA_5010.as_bytes()), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn input_that_is_not_an_interchange_is_rejected() {
        assert_eq!(read_delimiters(b"{\"json\": true}").expect_err("an error"), X12Error::NotAnInterchange);
        assert_eq!(read_delimiters(b"").expect_err("an error"), X12Error::NotAnInterchange);
        assert!(matches!(read_delimiters(b"ISA*00*"), Err(X12Error::InvalidIsa { .. })));
    }

    #[test]
    fn letters_or_duplicates_as_delimiters_are_rejected() {
        let same = ISA_5010.replace("*:~", "*~~");
        let letter = ISA_5010.replace("*:~", "*A~");

        assert!(matches!(read_delimiters(same.as_bytes()), Err(X12Error::InvalidDelimiters { .. })));
        assert!(matches!(read_delimiters(letter.as_bytes()), Err(X12Error::InvalidDelimiters { .. })));
    }

    #[test]
    fn a_line_feed_terminator_with_crlf_line_ends_drops_the_carriage_return() {
        let input = ISA_5010.replace(":~", ":\n") + "\r\nDTP*291*D8*20260101\r\n";

        let segments = all(&input).expect("present");

        assert_eq!(segments[1].element(3), Some("20260101"));
    }

    #[test]
    fn a_garbled_segment_id_is_an_error() {
        let input = format!("{ISA_5010}eb*1~");

        assert_eq!(all(&input).expect_err("an error"), X12Error::InvalidSegmentId { index: 2 });
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn tokenizing_arbitrary_bytes_after_an_isa_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
                let mut input = super::ISA_5010.as_bytes().to_vec();
                input.extend_from_slice(&tail);
                if let Ok((_, tokens)) = segments(&input) {
                    for segment in tokens.flatten() {
                        for position in 0..segment.element_count() + 2 {
                            let _ = segment.element(position);
                            let _ = segment.components(position).count();
                            let _ = segment.repetitions(position).count();
                        }
                    }
                }
            }

            #[test]
            fn replacing_invalid_utf8_keeps_the_length_and_the_valid_text(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let cleaned = replace_invalid_utf8(&bytes);
                prop_assert_eq!(cleaned.len(), bytes.len());
                prop_assert!(std::str::from_utf8(&cleaned).is_ok());
                if std::str::from_utf8(&bytes).is_ok() {
                    prop_assert_eq!(&cleaned[..], &bytes[..]);
                }
            }

            #[test]
            fn elements_written_are_the_elements_read(values in proptest::collection::vec("[A-Z0-9 .-]{0,12}", 1..20)) {
                let text = format!("REF*{}", values.join("*"));
                let segment = Segment::from_text(&text, Delimiters::STANDARD, 1).expect("present");
                prop_assert_eq!(segment.element_count(), values.len());
                for (i, value) in values.iter().enumerate() {
                    let expected = (!value.is_empty()).then_some(value.as_str());
                    prop_assert_eq!(segment.element(i + 1), expected);
                }
            }
        }
    }
}
