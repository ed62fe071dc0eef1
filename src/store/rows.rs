//! Row <-> domain mapping shared by both backends.
//!
//! Three column codecs ([`DbId`], [`DbTime`], [`DbJson`]) read and write the same Rust values on SQLite and
//! PostgreSQL while each backend keeps its natural column type (TEXT / UUID, INTEGER microseconds /
//! TIMESTAMPTZ, TEXT / JSONB). With them one `FromRow` struct per table serves both stores, and the conversion to
//! domain values lives here once. Stored data that does not decode becomes [`StoreError::Corrupt`], never a panic,
//! and the error texts name the verification and the column, never the value (it may be PHI).

use std::collections::HashMap;

use serde_json::value::RawValue;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::types::Json;
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};
use time::{Duration, OffsetDateTime, UtcOffset};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::{ClaimedWork, StoreError};
use crate::domain::verification::truncate_to_micros;
use crate::domain::{
    AttemptResultClass, BenefitSummary, CarrierAttempt, ControlNumbers, FollowUpState, NewVerification, Outcome,
    RequestId, ScreeningDecision, Status, Transition, Verdict, Verification, VerificationRequest,
};

// ---------------------------------------------------------------------------------------------------------------
// Column codecs
// ---------------------------------------------------------------------------------------------------------------

/// Implements `Type`, `Encode` and `Decode` of one backend (`$db`) for a column codec, which that backend stores as
/// `$column`: the type information is `$column`'s, `encode` writes the codec (`$this`) into `$buf`, and `decode`
/// turns the backend's `$value` into the codec. Only those two bodies differ between the six codec-backend pairs;
/// the macro writes the trait boilerplate around them once.
macro_rules! column_codec {
    (
        $codec:ident on $db:ty as $column:ty,
        encode: |$this:ident, $buf:ident| $encode:expr,
        decode: |$value:ident| $decode:expr $(,)?
    ) => {
        impl Type<$db> for $codec {
            fn type_info() -> <$db as Database>::TypeInfo {
                <$column as Type<$db>>::type_info()
            }

            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <$column as Type<$db>>::compatible(ty)
            }
        }

        impl Encode<'_, $db> for $codec {
            fn encode_by_ref(&self, $buf: &mut <$db as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                let $this = self;
                $encode
            }
        }

        impl<'r> Decode<'r, $db> for $codec {
            fn decode($value: <$db as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                $decode
            }
        }
    };
}

/// A UUID column: hyphenated TEXT in SQLite (readable with the `sqlite3` shell), UUID in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DbId(pub(crate) Uuid);

column_codec! {
    DbId on Sqlite as Hyphenated,
    encode: |id, buf| <Hyphenated as Encode<Sqlite>>::encode(id.0.hyphenated(), buf),
    decode: |value| Ok(DbId(<Hyphenated as Decode<Sqlite>>::decode(value)?.into_uuid())),
}

column_codec! {
    DbId on Postgres as Uuid,
    encode: |id, buf| <Uuid as Encode<Postgres>>::encode_by_ref(&id.0, buf),
    decode: |value| Ok(DbId(<Uuid as Decode<Postgres>>::decode(value)?)),
}

/// A timestamp column, always written truncated to whole microseconds (what TIMESTAMPTZ keeps), so a value read
/// back equals the value written on both backends. SQLite stores INTEGER microseconds since the Unix epoch: they
/// compare and sort as numbers, unlike text with varying offsets or fraction lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbTime(pub(crate) OffsetDateTime);

impl DbTime {
    /// Wraps a timestamp, truncated to microseconds and expressed in UTC.
    pub(crate) fn new(at: OffsetDateTime) -> Self {
        DbTime(truncate_to_micros(at).to_offset(UtcOffset::UTC))
    }

    fn unix_micros(self) -> Result<i64, BoxDynError> {
        Ok(i64::try_from(self.0.unix_timestamp_nanos().div_euclid(1_000))?)
    }
}

column_codec! {
    DbTime on Sqlite as i64,
    encode: |time, buf| <i64 as Encode<Sqlite>>::encode(time.unix_micros()?, buf),
    decode: |value| {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(DbTime(OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)?))
    },
}

column_codec! {
    DbTime on Postgres as OffsetDateTime,
    encode: |time, buf| <OffsetDateTime as Encode<Postgres>>::encode(truncate_to_micros(time.0), buf),
    decode: |value| Ok(DbTime(<OffsetDateTime as Decode<Postgres>>::decode(value)?)),
}

/// A JSON document column: TEXT in SQLite, JSONB in PostgreSQL. Holds the JSON text; the domain types are
/// (de)serialised by the mapping functions below, which turn failures into PHI-free errors.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DbJson(pub(crate) String);

/// The request document holds PHI: `Debug` shows its size only.
impl std::fmt::Debug for DbJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbJson(<{} bytes redacted>)", self.0.len())
    }
}

column_codec! {
    DbJson on Sqlite as String,
    encode: |json, buf| <String as Encode<Sqlite>>::encode_by_ref(&json.0, buf),
    decode: |value| Ok(DbJson(<String as Decode<Sqlite>>::decode(value)?)),
}

column_codec! {
    DbJson on Postgres as Json<Box<RawValue>>,
    encode: |json, buf| {
        // Borrowing as a RawValue writes the text as it is (no re-serialisation) in the JSONB wire format.
        let raw: &RawValue = serde_json::from_str(&json.0)?;
        <Json<&RawValue> as Encode<Postgres>>::encode(Json(raw), buf)
    },
    decode: |value| {
        let raw = <Json<Box<RawValue>> as Decode<Postgres>>::decode(value)?;
        Ok(DbJson(raw.0.get().to_owned()))
    },
}

// ---------------------------------------------------------------------------------------------------------------
// Rows read
// ---------------------------------------------------------------------------------------------------------------

/// One `verifications` row as selected by `verification_columns!()` (see `sql.rs`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct VerificationRow {
    pub(crate) id: DbId,
    pub(crate) request_id: Option<String>,
    pub(crate) fingerprint: String,
    pub(crate) request: DbJson,
    pub(crate) status: String,
    pub(crate) outcome: Option<String>,
    pub(crate) verdict: String,
    pub(crate) screening_rule: String,
    pub(crate) screening_reason: String,
    pub(crate) carrier: Option<String>,
    pub(crate) payer_id: Option<String>,
    pub(crate) benefits: Option<DbJson>,
    pub(crate) follow_up: String,
    pub(crate) status_detail: Option<String>,
    pub(crate) next_attempt_at: Option<DbTime>,
    pub(crate) attempt_count: i32,
    pub(crate) lease_token: Option<DbId>,
    pub(crate) lease_expires_at: Option<DbTime>,
    pub(crate) created_at: DbTime,
    pub(crate) updated_at: DbTime,
    pub(crate) change_cursor: i64,
    pub(crate) round_started_at: Option<DbTime>,
    pub(crate) round_attempt_base: i32,
    pub(crate) trace_context: Option<String>,
}

impl VerificationRow {
    /// The verification this row holds, with `attempts` (oldest first).
    pub(crate) fn into_verification(self, attempts: Vec<CarrierAttempt>) -> Result<Verification, StoreError> {
        let id = self.id.0;
        let request_id = self
            .request_id
            .map(|raw| RequestId::parse(&raw).map_err(|_| corrupt(id, "request_id", "is not a valid request id")))
            .transpose()?;
        let benefits = self.benefits.map(|json| decode_json::<BenefitSummary>(id, "benefits", &json.0)).transpose()?;
        Ok(Verification {
            id,
            request_id,
            fingerprint: self.fingerprint,
            request: decode_json::<VerificationRequest>(id, "request", &self.request.0)?,
            status: parse_enum(id, "status", &self.status, Status::parse)?,
            outcome: self.outcome.map(|raw| parse_enum(id, "outcome", &raw, Outcome::parse)).transpose()?,
            screening: ScreeningDecision {
                verdict: parse_enum(id, "verdict", &self.verdict, Verdict::parse)?,
                rule: self.screening_rule,
                reason: self.screening_reason,
            },
            carrier: self.carrier,
            payer_id: self.payer_id,
            attempts,
            benefits,
            follow_up: parse_enum(id, "follow_up", &self.follow_up, FollowUpState::parse)?,
            status_detail: self.status_detail,
            next_attempt_at: self.next_attempt_at.map(|t| t.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            change_cursor: self.change_cursor,
        })
    }

    /// The claim this row holds, right after a claim statement leased it.
    pub(crate) fn into_claimed(self) -> Result<ClaimedWork, StoreError> {
        let id = self.id.0;
        let attempts_made =
            u32::try_from(self.attempt_count).map_err(|_| corrupt(id, "attempt_count", "is negative"))?;
        let earlier_rounds =
            u32::try_from(self.round_attempt_base).map_err(|_| corrupt(id, "round_attempt_base", "is negative"))?;
        Ok(ClaimedWork {
            verification_id: id,
            request: decode_json::<VerificationRequest>(id, "request", &self.request.0)?,
            carrier: self.carrier.ok_or_else(|| corrupt(id, "carrier", "is missing on pending work"))?,
            payer_id: self.payer_id.ok_or_else(|| corrupt(id, "payer_id", "is missing on pending work"))?,
            attempts_made,
            attempts_in_round: attempts_made.saturating_sub(earlier_rounds),
            round_started_at: self.round_started_at.unwrap_or(self.created_at).0,
            trace_context: self.trace_context,
            lease_token: self.lease_token.ok_or_else(|| corrupt(id, "lease_token", "is missing after a claim"))?.0,
            lease_expires_at: self
                .lease_expires_at
                .ok_or_else(|| corrupt(id, "lease_expires_at", "is missing after a claim"))?
                .0,
        })
    }
}

/// The claims of a batch that decode. A corrupt row is logged (by id only) and skipped rather than failing the
/// whole batch: failing would leave the healthy claims leased but unworked, and the same corrupt row would fail
/// every later batch it lands in. The skipped row keeps its lease, so it comes back only after the lease expires
/// (and is logged again) instead of on every poll.
pub(crate) fn usable_claims(mut rows: Vec<VerificationRow>) -> Vec<ClaimedWork> {
    // A batch statement returns rows in no particular order: hand them out oldest due first, as documented.
    rows.sort_by_key(|row| (row.next_attempt_at.map(|t| t.0), row.id.0));
    rows.into_iter()
        .filter_map(|row| {
            let id = row.id.0;
            row.into_claimed()
                .map_err(
                    |error| tracing::error!(verification_id = %id, %error, "skipping corrupt pending verification"),
                )
                .ok()
        })
        .collect()
}

/// One `verification_attempts` row as selected by `attempt_columns!()` (see `sql.rs`). No `Debug`: the raw
/// bodies hold PHI.
#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub(crate) verification_id: DbId,
    pub(crate) attempt_number: i32,
    pub(crate) carrier: String,
    pub(crate) started_at: DbTime,
    pub(crate) latency_micros: i64,
    pub(crate) http_status: Option<i32>,
    pub(crate) result_class: String,
    pub(crate) error_code: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) raw_request: Option<Vec<u8>>,
    pub(crate) raw_response: Option<Vec<u8>>,
    pub(crate) control_numbers: Option<DbJson>,
}

/// Raw bodies are stored as bytes (see the migration); they were text when written, so decoding is lossless.
fn body_text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

impl AttemptRow {
    /// The attempt this row holds.
    pub(crate) fn into_attempt(self) -> Result<CarrierAttempt, StoreError> {
        let id = self.verification_id.0;
        Ok(CarrierAttempt {
            attempt_number: self.attempt_number,
            carrier: self.carrier,
            started_at: self.started_at.0,
            latency: Duration::microseconds(self.latency_micros),
            http_status: self
                .http_status
                .map(|status| u16::try_from(status).map_err(|_| corrupt(id, "http_status", "is out of range")))
                .transpose()?,
            result_class: parse_enum(id, "result_class", &self.result_class, AttemptResultClass::parse)?,
            error_code: self.error_code,
            detail: self.detail,
            raw_request: body_text(self.raw_request),
            raw_response: body_text(self.raw_response),
            control_numbers: self
                .control_numbers
                .map(|json| decode_json::<ControlNumbers>(id, "control_numbers", &json.0))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// Converts attempt rows (ordered by attempt number within each verification) into attempts per verification.
pub(crate) fn attempts_by_verification(
    rows: Vec<AttemptRow>,
) -> Result<HashMap<Uuid, Vec<CarrierAttempt>>, StoreError> {
    let mut grouped: HashMap<Uuid, Vec<CarrierAttempt>> = HashMap::new();
    for row in rows {
        let id = row.verification_id.0;
        grouped.entry(id).or_default().push(row.into_attempt()?);
    }
    Ok(grouped)
}

/// Converts attempt rows of one verification.
pub(crate) fn attempts_of_one(rows: Vec<AttemptRow>) -> Result<Vec<CarrierAttempt>, StoreError> {
    rows.into_iter().map(AttemptRow::into_attempt).collect()
}

/// Joins a page of verification rows with their attempts, keeping the page order.
pub(crate) fn assemble_page(
    rows: Vec<VerificationRow>,
    attempt_rows: Vec<AttemptRow>,
) -> Result<Vec<Verification>, StoreError> {
    let mut attempts = attempts_by_verification(attempt_rows)?;
    rows.into_iter()
        .map(|row| {
            let own = attempts.remove(&row.id.0).unwrap_or_default();
            row.into_verification(own)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Values written
// ---------------------------------------------------------------------------------------------------------------

/// The column values of a new `verifications` row, in the order `bind_new_verification!` binds them.
pub(crate) struct NewVerificationValues {
    pub(crate) id: DbId,
    pub(crate) request_id: Option<String>,
    pub(crate) fingerprint: String,
    pub(crate) request: DbJson,
    pub(crate) status: &'static str,
    pub(crate) outcome: Option<&'static str>,
    pub(crate) verdict: &'static str,
    pub(crate) screening_rule: String,
    pub(crate) screening_reason: String,
    pub(crate) carrier: Option<String>,
    pub(crate) payer_id: Option<String>,
    pub(crate) follow_up: &'static str,
    pub(crate) status_detail: Option<String>,
    pub(crate) next_attempt_at: Option<DbTime>,
    pub(crate) created_at: DbTime,
    pub(crate) trace_context: Option<String>,
}

impl NewVerificationValues {
    /// The values to insert for `new`.
    pub(crate) fn of(new: &NewVerification) -> Result<Self, StoreError> {
        Ok(NewVerificationValues {
            id: DbId(new.id),
            request_id: new.request_id.as_ref().map(|r| r.as_str().to_owned()),
            fingerprint: new.fingerprint.clone(),
            request: encode_json(&new.request)?,
            status: new.status.as_str(),
            outcome: new.outcome.map(Outcome::as_str),
            verdict: new.screening.verdict.as_str(),
            screening_rule: new.screening.rule.clone(),
            screening_reason: new.screening.reason.clone(),
            carrier: new.carrier.clone(),
            payer_id: new.payer_id.clone(),
            follow_up: new.follow_up.as_str(),
            status_detail: new.status_detail.clone(),
            next_attempt_at: new.next_attempt_at.map(DbTime::new),
            created_at: DbTime::new(new.created_at),
            trace_context: new.trace_context.clone(),
        })
    }
}

/// The column values a [`Transition`] writes, in the order `bind_transition!` binds them.
pub(crate) struct TransitionValues {
    pub(crate) status: &'static str,
    pub(crate) outcome: Option<&'static str>,
    /// True when the transition replaces the benefit summary (a completed answer), even with none.
    pub(crate) replace_benefits: bool,
    pub(crate) benefits: Option<DbJson>,
    /// A screening decision that overrides the stored one (a government plan found in the answer).
    pub(crate) verdict: Option<&'static str>,
    pub(crate) screening_rule: Option<String>,
    pub(crate) screening_reason: Option<String>,
    pub(crate) follow_up: &'static str,
    pub(crate) status_detail: Option<String>,
    pub(crate) next_attempt_at: Option<DbTime>,
}

impl TransitionValues {
    /// The values `transition` writes.
    ///
    /// `Complete` replaces the benefits and, when it carries one, the screening decision; `Fail` and `Retry` keep
    /// both as they are. Only `Retry` keeps a due time; the final statuses clear it.
    pub(crate) fn of(transition: &Transition) -> Result<Self, StoreError> {
        let (replace_benefits, benefits, screening, status_detail, next_attempt_at) = match transition {
            Transition::Complete { benefits, screening, status_detail, .. } => {
                (true, benefits.as_ref().map(encode_json).transpose()?, screening.as_ref(), status_detail.clone(), None)
            }
            Transition::Fail { status_detail, .. } => (false, None, None, Some(status_detail.clone()), None),
            Transition::Retry { next_attempt_at, status_detail } => {
                (false, None, None, Some(status_detail.clone()), Some(DbTime::new(*next_attempt_at)))
            }
        };
        Ok(TransitionValues {
            status: transition.status().as_str(),
            outcome: transition.outcome().map(Outcome::as_str),
            replace_benefits,
            benefits,
            verdict: screening.map(|s| s.verdict.as_str()),
            screening_rule: screening.map(|s| s.rule.clone()),
            screening_reason: screening.map(|s| s.reason.clone()),
            follow_up: transition.follow_up().as_str(),
            status_detail,
            next_attempt_at,
        })
    }
}

/// The column values of a new `verification_attempts` row, in the order `bind_attempt!` binds them.
pub(crate) struct AttemptValues {
    pub(crate) verification_id: DbId,
    pub(crate) attempt_number: i32,
    pub(crate) carrier: String,
    pub(crate) started_at: DbTime,
    pub(crate) latency_micros: i64,
    pub(crate) http_status: Option<i32>,
    pub(crate) result_class: &'static str,
    pub(crate) error_code: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) raw_request: Option<Vec<u8>>,
    pub(crate) raw_response: Option<Vec<u8>>,
    pub(crate) control_numbers: Option<DbJson>,
}

impl AttemptValues {
    /// The values to insert for `attempt` of verification `id`. The latency is kept in whole microseconds.
    pub(crate) fn of(id: Uuid, attempt: &CarrierAttempt) -> Self {
        AttemptValues {
            verification_id: DbId(id),
            attempt_number: attempt.attempt_number,
            carrier: attempt.carrier.clone(),
            started_at: DbTime::new(attempt.started_at),
            latency_micros: i64::try_from(attempt.latency.whole_microseconds()).unwrap_or(i64::MAX),
            http_status: attempt.http_status.map(i32::from),
            result_class: attempt.result_class.as_str(),
            error_code: attempt.error_code.clone(),
            detail: attempt.detail.clone(),
            raw_request: attempt.raw_request.as_ref().map(|body| body.clone().into_bytes()),
            raw_response: attempt.raw_response.as_ref().map(|body| body.clone().into_bytes()),
            // Serialising four optional strings cannot fail; `ok()` keeps this constructor infallible.
            control_numbers: (!attempt.control_numbers.is_empty())
                .then(|| serde_json::to_string(&attempt.control_numbers).ok().map(DbJson))
                .flatten(),
        }
    }
}

/// The lease a claim writes: a fresh token, its holder and its expiry.
pub(crate) struct LeaseValues {
    pub(crate) token: DbId,
    pub(crate) expires_at: DbTime,
    /// The claim time, against which other leases count as expired.
    pub(crate) now: DbTime,
}

impl LeaseValues {
    /// A new lease taken at `now` for `lease`.
    pub(crate) fn new(now: OffsetDateTime, lease: std::time::Duration) -> Self {
        // A lease longer than time itself is a caller bug; saturate rather than fail the claim.
        let expires_at = now.checked_add(Duration::try_from(lease).unwrap_or(Duration::MAX)).unwrap_or(now);
        LeaseValues { token: DbId(Uuid::now_v7()), expires_at: DbTime::new(expires_at), now: DbTime::new(now) }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

/// A [`StoreError::Corrupt`] naming the verification and the column (never the value: it may be PHI).
pub(crate) fn corrupt(id: Uuid, column: &str, problem: &str) -> StoreError {
    StoreError::Corrupt(format!("verification {id}: column {column} {problem}"))
}

fn parse_enum<T>(id: Uuid, column: &str, raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| corrupt(id, column, "holds an unknown value"))
}

fn decode_json<T: serde::de::DeserializeOwned>(id: Uuid, column: &str, json: &str) -> Result<T, StoreError> {
    // serde_json's messages quote the offending value, which may be PHI: report only where and what kind.
    serde_json::from_str(json).map_err(|e| {
        corrupt(
            id,
            column,
            &format!("does not decode ({:?} error at line {} column {})", e.classify(), e.line(), e.column()),
        )
    })
}

fn encode_json<T: serde::Serialize>(value: &T) -> Result<DbJson, StoreError> {
    let encode_error = |e: serde_json::Error| StoreError::Query(sqlx::Error::Encode(Box::new(e)));
    let text = serde_json::to_string(value).map_err(encode_error)?;
    // PostgreSQL's JSONB refuses the NUL character, and carriers do send it. Such text is garbage anyway:
    // replace it rather than lose the attempt's result. The check keeps the common case to one scan.
    if !text.contains("\\u0000") {
        return Ok(DbJson(text));
    }
    let mut document = serde_json::to_value(value).map_err(encode_error)?;
    replace_nul(&mut document);
    serde_json::to_string(&document).map(DbJson).map_err(encode_error)
}

/// Replaces every NUL character in the document's strings (and keys) with U+FFFD.
fn replace_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{fffd}");
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(replace_nul),
        serde_json::Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                replace_nul(&mut item);
                map.insert(key.replace('\0', "\u{fffd}"), item);
            }
        }
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn timestamps_are_truncated_to_microseconds_and_kept_in_utc() {
        let at = datetime!(2026-11-27 12:00:00.123456789 +02:00);
        let stored = DbTime::new(at);
        assert_eq!(stored.0, datetime!(2026-11-27 10:00:00.123456 UTC));
        assert_eq!(stored.0.offset(), UtcOffset::UTC);
    }

    #[test]
    fn timestamps_before_the_epoch_round_down_to_whole_microseconds() {
        let stored = DbTime::new(datetime!(1969-12-31 23:59:59.999999999 UTC));
        assert_eq!(stored.unix_micros().ok(), Some(-1));
    }

    #[test]
    fn a_corrupt_request_is_reported_without_its_content() {
        let id = Uuid::nil();
        let Err(StoreError::Corrupt(message)) =
            decode_json::<VerificationRequest>(id, "request", r#"{"applicant":"Canary"}"#)
        else {
            panic!("expected a corrupt-data error");
        };
        assert!(message.contains("column request"), "{message}");
        assert!(!message.contains("Canary"), "{message}");
    }
}
