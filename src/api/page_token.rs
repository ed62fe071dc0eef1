//! Opaque `ListVerifications` page tokens: the change cursor to continue after, bound to the filters the
//! token was issued for so that a token cannot silently be reused with different filters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::store::ListQuery;

/// A decoded page token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageToken {
    /// Continue with changes after this cursor.
    pub after_cursor: i64,
}

/// Why a page token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    /// Not a token this service issued.
    #[error("is not a page token issued by this service")]
    Malformed,
    /// Issued for other filters.
    #[error("was issued for different filters")]
    FilterMismatch,
}

/// A short digest of the filters (the cursor and limit are not part of it).
fn filter_digest(query: &ListQuery) -> [u8; 8] {
    let mut hasher = Sha256::new();
    for status in &query.statuses {
        hasher.update(status.as_str());
        hasher.update(b",");
    }
    hasher.update(b"|");
    for outcome in &query.outcomes {
        hasher.update(outcome.as_str());
        hasher.update(b",");
    }
    hasher.update(b"|");
    for state in &query.follow_up_states {
        hasher.update(state.as_str());
        hasher.update(b",");
    }
    let full = hasher.finalize();
    let mut short = [0u8; 8];
    short.copy_from_slice(&full[..8]);
    short
}

/// Encodes a token continuing after `after_cursor` for `query`'s filters.
pub fn encode(after_cursor: i64, query: &ListQuery) -> String {
    let mut bytes = Vec::with_capacity(17);
    bytes.push(1u8); // format version
    bytes.extend_from_slice(&after_cursor.to_be_bytes());
    bytes.extend_from_slice(&filter_digest(query));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a token and checks it belongs to `query`'s filters.
pub fn decode(token: &str, query: &ListQuery) -> Result<PageToken, PageTokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| PageTokenError::Malformed)?;
    if bytes.len() != 17 || bytes[0] != 1 {
        return Err(PageTokenError::Malformed);
    }
    let mut cursor = [0u8; 8];
    cursor.copy_from_slice(&bytes[1..9]);
    let after_cursor = i64::from_be_bytes(cursor);
    if after_cursor < 0 {
        return Err(PageTokenError::Malformed);
    }
    if bytes[9..17] != filter_digest(query) {
        return Err(PageTokenError::FilterMismatch);
    }
    Ok(PageToken { after_cursor })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::Status;

    #[test]
    fn a_token_round_trips_with_the_same_filters() {
        let query = ListQuery { statuses: vec![Status::Rejected], ..ListQuery::default() };
        assert_eq!(decode(&encode(42, &query), &query), Ok(PageToken { after_cursor: 42 }));
    }

    #[test]
    fn a_token_is_refused_with_other_filters() {
        let issued = ListQuery { statuses: vec![Status::Rejected], ..ListQuery::default() };
        let other = ListQuery { statuses: vec![Status::Completed], ..ListQuery::default() };
        assert_eq!(decode(&encode(42, &issued), &other), Err(PageTokenError::FilterMismatch));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics_the_decoder(raw in "\\PC{0,64}") {
            let _ = decode(&raw, &ListQuery::default());
        }
    }
}
