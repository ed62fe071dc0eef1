//! Arbitrary bytes through every layer of the X12 reader: the tokenizer (drained, with the invariants of
//! every segment it yields), the envelope parser, the carrier-reply classifier, the 271 loop model and its
//! eligibility JSON. A panic anywhere, or a broken invariant, is a crash libFuzzer saves under `artifacts/`.
#![no_main]

use insurance_verifier::carriers::x12::{
    eligibility_271, eligibility_json, eligibility_json_all, parse, read_reply, segments,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tokenizer(data);
    match parse(data) {
        Ok(interchange) => {
            // Debug output must be printable (it is what error paths and tests show).
            let _ = format!("{interchange:?}");
            for transaction in interchange.transactions() {
                if let Ok(answer) = eligibility_271(transaction) {
                    let _ = format!("{answer:?}");
                    let json = eligibility_json(&answer);
                    assert!(serde_json::to_string(&json).is_ok(), "eligibility JSON serializes");
                    assert!(!eligibility_json_all(&answer).is_empty(), "at least one document per 271");
                }
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    match read_reply(data) {
        Ok(reply) => {
            let _ = format!("{reply:?}");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});

/// Drains the tokenizer and checks what every segment promises: it borrows from the input, its id is 2 or 3
/// characters, and no element, component or repetition holds a delimiter it was split on.
fn tokenizer(data: &[u8]) {
    let Ok((delimiters, tokens)) = segments(data) else { return };
    let input = data.as_ptr_range();
    for segment in tokens {
        let Ok(segment) = segment else { break };
        let raw = segment.raw().as_bytes().as_ptr_range();
        assert!(input.start <= raw.start && raw.end <= input.end, "a segment borrows from the input");
        assert!(!segment.raw().as_bytes().contains(&delimiters.segment), "a segment holds no terminator");
        assert!(matches!(segment.id().len(), 2 | 3), "segment ids are 2 or 3 characters");
        let _ = format!("{segment:?}");
        for position in 0..=segment.element_count() + 1 {
            if let Some(value) = segment.element(position) {
                assert!(!value.as_bytes().contains(&delimiters.element), "an element holds no element separator");
            }
            for component in segment.components(position) {
                assert!(!component.as_bytes().contains(&delimiters.component));
            }
            if let Some(repetition) = delimiters.repetition {
                for value in segment.repetitions(position) {
                    assert!(!value.as_bytes().contains(&repetition));
                }
            }
            let _ = segment.component(position, 1);
        }
        assert_eq!(segment.elements().count(), segment.element_count(), "elements() yields element_count() items");
    }
}
