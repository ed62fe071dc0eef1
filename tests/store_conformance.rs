//! The store contract, checked the same way against both backends.
//!
//! Every case below is an `async fn(&Harness)`; `conformance_suite!` turns each into a `sqlite::<case>` test (a
//! real database file in a temporary directory) and a `postgres::<case>` test (a fresh schema in the database
//! named by `IV_TEST_POSTGRES_URL`; skipped with a notice when unset, failing under `CI=true`).

mod support;

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use insurance_verifier::domain::lifecycle::admit;
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::verification::truncate_to_micros;
use insurance_verifier::domain::{
    Accumulator, AttemptResultClass, BenefitSummary, CarrierAttempt, CategoryBenefit, ControlNumbers, CostShare,
    FollowUpState, NewVerification, Outcome, PayerId, Person, Relationship, RequestId, RouteChoice, ScreeningDecision,
    Status, Transition, Verdict, Verification,
};
use insurance_verifier::store::{ClaimFilter, ClaimedWork, InsertOutcome, ListQuery, RetryOutcome, Store, StoreError};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------------------------

/// A migrated store of one backend, plus direct access to its database for tampering with rows.
struct Harness {
    store: Arc<dyn Store>,
    raw: Raw,
    /// Keeps the temporary directory or the test schema alive for the test's duration.
    _keep: Box<dyn Any + Send>,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Harness {
    async fn sqlite() -> Self {
        let (store, dir) = support::sqlite_store().await;
        let raw = sqlx::SqlitePool::connect(&support::sqlite_url(dir.path())).await.expect("open the file directly");
        Harness { store: Arc::new(store), raw: Raw::Sqlite(raw), _keep: Box::new(dir) }
    }

    async fn postgres() -> Option<Self> {
        let (store, guard) = support::postgres_store().await?;
        let raw = guard.pool().await;
        Some(Harness { store: Arc::new(store), raw: Raw::Postgres(raw), _keep: Box::new(guard) })
    }

    /// Overwrites the stored request of `id` with JSON that is valid but not a request, as a hand edit or a
    /// botched migration might.
    async fn corrupt_request(&self, id: Uuid) {
        const SQL: &str = r#"UPDATE verifications SET request = '{"applicant": 1}' WHERE id = $1"#;
        let updated = match &self.raw {
            Raw::Sqlite(pool) => {
                sqlx::query(SQL).bind(id.hyphenated().to_string()).execute(pool).await.map(|r| r.rows_affected())
            }
            Raw::Postgres(pool) => sqlx::query(SQL).bind(id).execute(pool).await.map(|r| r.rows_affected()),
        };
        assert_eq!(updated.expect("tamper with the row"), 1);
    }

    async fn insert(&self, new: &NewVerification) -> Verification {
        match self.store.insert_verification(new).await.expect("insert") {
            InsertOutcome::Created(v) => v,
            InsertOutcome::Existing(v) => panic!("expected a new verification, got existing {}", v.id),
        }
    }

    async fn get(&self, id: Uuid) -> Verification {
        self.store.get_verification(id).await.expect("get").expect("verification exists")
    }

    async fn list(&self, query: ListQuery) -> Vec<Verification> {
        self.store.list_verifications(&query).await.expect("list")
    }

    async fn claim_due(&self, worker: &str, now: OffsetDateTime, lease: StdDuration, limit: u32) -> Vec<ClaimedWork> {
        self.store.claim_due(worker, now, lease, limit).await.expect("claim_due")
    }

    async fn claim_one(&self, id: Uuid, worker: &str, now: OffsetDateTime, lease: StdDuration) -> Option<ClaimedWork> {
        self.store.claim_one(id, worker, now, lease).await.expect("claim_one")
    }
}

macro_rules! conformance_suite {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let harness = super::Harness::sqlite().await;
                    super::$case(&harness).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(harness) = super::Harness::postgres().await else { return };
                    super::$case(&harness).await;
                }
            )+
        }
    };
}

conformance_suite!(
    migrating_again_changes_nothing,
    a_stored_verification_reads_back_with_every_field_and_microsecond_times,
    an_unknown_id_reads_as_none,
    inserting_a_used_request_id_returns_the_stored_verification_unchanged,
    a_retried_insert_of_the_same_verification_returns_it,
    concurrent_inserts_with_one_request_id_create_exactly_one_verification,
    listing_follows_the_change_cursor_and_pages_after_a_cursor,
    listing_filters_by_status_outcome_and_follow_up,
    listing_returns_each_verification_with_its_own_attempts,
    the_change_cursor_grows_with_every_change_and_not_with_claims,
    a_poller_never_misses_a_change_made_by_concurrent_writers,
    claim_due_returns_only_due_pending_unleased_work_oldest_first,
    claim_due_respects_its_limit,
    concurrent_claimers_never_get_the_same_verification,
    an_expired_lease_is_reclaimed_and_the_old_holder_can_record_nothing,
    a_completed_attempt_stores_the_answer_and_ends_the_work,
    nul_characters_from_a_carrier_are_stored_instead_of_refused,
    a_government_plan_in_the_answer_replaces_the_screening_decision,
    a_failed_attempt_ends_the_work_and_keeps_the_screening,
    a_retry_keeps_the_work_pending_until_it_is_due_again,
    a_claim_records_one_result_only,
    a_released_claim_can_be_claimed_again_at_once,
    a_stale_release_leaves_the_new_holders_lease_alone,
    claim_one_takes_work_early_but_never_a_held_lease_or_final_work,
    rejected_and_failed_verifications_are_never_claimed,
    pending_summary_counts_pending_work_and_its_oldest_creation_time,
    a_corrupt_stored_request_is_reported_as_corrupt_and_skipped_by_claims,
    a_filtered_claim_skips_the_named_carriers_except_their_overdue_work,
    a_deferred_claim_is_released_and_due_again_later_without_an_attempt,
    closing_a_claim_fails_the_verification_without_an_attempt,
    a_retry_request_reopens_an_ended_verification_with_a_new_round,
    a_retry_request_on_pending_work_makes_it_due_now,
    refused_and_government_plan_verifications_are_not_reopened,
    the_submits_trace_context_reaches_the_claim_and_a_retry_request_replaces_it,
);

// ---------------------------------------------------------------------------------------------------------------
// Sample values
// ---------------------------------------------------------------------------------------------------------------

/// A time with nanoseconds, so every test also checks the truncation to microseconds.
const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00.123456789 UTC);
const LEASE: StdDuration = StdDuration::from_secs(30);

fn at(seconds: i64) -> OffsetDateTime {
    T0 + Duration::seconds(seconds)
}

fn route() -> RouteChoice {
    RouteChoice { carrier: "sandbox".to_owned(), payer_id: "SANDBOX1".to_owned() }
}

/// A routed, pending verification due at `created`.
fn pending(created: OffsetDateTime) -> NewVerification {
    admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), Some(route()), created)
}

/// A pending verification due at `due`, created at T0.
fn pending_due(due: OffsetDateTime) -> NewVerification {
    NewVerification { next_attempt_at: Some(due), ..pending(T0) }
}

fn medicaid() -> ScreeningDecision {
    ScreeningDecision {
        verdict: Verdict::Medicaid,
        rule: "plan_type".to_owned(),
        reason: "Medicaid chosen on the form".to_owned(),
    }
}

/// A verification refused up front.
fn rejected(created: OffsetDateTime) -> NewVerification {
    admit(Uuid::now_v7(), None, sample_request(), medicaid(), Some(route()), created)
}

/// A verification with no carrier route: failed as carrier not supported.
fn unrouted(created: OffsetDateTime) -> NewVerification {
    admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), None, created)
}

fn with_request_id(new: NewVerification, key: &str) -> NewVerification {
    NewVerification { request_id: Some(RequestId::parse(key).expect("valid request id")), ..new }
}

/// Everything a request can carry: a subscriber, middle names, non-ASCII names, every contact field.
fn full_request_verification(created: OffsetDateTime) -> NewVerification {
    let mut request = sample_request();
    request.applicant.first_name = "Zoë".to_owned();
    request.applicant.middle_name = Some("Lee".to_owned());
    request.relationship = Relationship::Spouse;
    request.subscriber = Some(Person {
        first_name: "Avery".to_owned(),
        last_name: "O'Neil-Sample".to_owned(),
        middle_name: Some("Q.".to_owned()),
        date_of_birth: date!(1985 - 02 - 28),
    });
    request.card.payer_id = Some(PayerId::parse("00060").expect("valid payer id"));
    request.contact.email = Some("zoe.sample@example.org".to_owned());
    let new = admit(
        Uuid::now_v7(),
        Some(RequestId::parse("website:form-0001").expect("valid request id")),
        request,
        ScreeningDecision::forward(),
        Some(route()),
        created,
    );
    NewVerification { status_detail: Some("queued behind a carrier outage".to_owned()), ..new }
}

fn benefits() -> BenefitSummary {
    let share = CostShare {
        copay_cents: Some(3_500),
        coinsurance_percent: Some(20.0),
        deductible_individual: Accumulator { total_cents: Some(150_000), remaining_cents: Some(42_017) },
        deductible_family: Accumulator { total_cents: Some(300_000), remaining_cents: None },
        out_of_pocket_individual: Accumulator { total_cents: Some(600_000), remaining_cents: Some(512_345) },
        out_of_pocket_family: Accumulator::default(),
        ..CostShare::default()
    };
    BenefitSummary {
        plan_name: Some("Blue Access PPO".to_owned()),
        group_number: Some("GRP-2001".to_owned()),
        coverage_active: Some(true),
        plan_begin_date: Some("2026-01-01".to_owned()),
        plan_end_date: None,
        insurance_type_code: Some("PR".to_owned()),
        categories: vec![CategoryBenefit {
            service_type_code: "AI".to_owned(),
            label: "Substance abuse".to_owned(),
            active: Some(true),
            in_network: share.clone(),
            out_of_network: CostShare { coinsurance_percent: Some(37.5), ..CostShare::default() },
            network_unspecified: CostShare::default(),
            prior_authorization_required: Some(true),
            limits: vec!["30 visits per calendar year".to_owned()],
            messages: vec!["Prior authorization required for IOP".to_owned()],
            ..CategoryBenefit::default()
        }],
        carve_out_administrator: Some("Carelon Behavioral Health".to_owned()),
        messages: vec!["Plan-wide message".to_owned()],
        ..BenefitSummary::default()
    }
}

/// One carrier attempt; started with nanoseconds so the stored value is truncated.
fn attempt(number: i32, started_at: OffsetDateTime, class: AttemptResultClass) -> CarrierAttempt {
    CarrierAttempt {
        attempt_number: number,
        carrier: "sandbox".to_owned(),
        started_at,
        latency: Duration::microseconds(183_250),
        http_status: Some(if class == AttemptResultClass::Answered { 200 } else { 503 }),
        result_class: class,
        error_code: (class != AttemptResultClass::Answered).then(|| "HTTP:503".to_owned()),
        detail: Some(format!("attempt {number}")),
        raw_request: Some(r#"{"subscriber":{"firstName":"Zoë","memberId":"ACT100001"}}"#.to_owned()),
        raw_response: Some(r#"{"planStatus":[{"statusCode":"1"}]}"#.to_owned()),
        control_numbers: if number % 2 == 0 { ControlNumbers::default() } else { ControlNumbers::generate() },
    }
}

/// An attempt as it reads back: times truncated to microseconds.
fn stored(attempt: &CarrierAttempt) -> CarrierAttempt {
    CarrierAttempt { started_at: truncate_to_micros(attempt.started_at), ..attempt.clone() }
}

fn complete_active() -> Transition {
    Transition::Complete {
        outcome: Outcome::CoverageActive,
        benefits: Some(Box::new(benefits())),
        screening: None,
        status_detail: None,
    }
}

fn retry_at(next: OffsetDateTime) -> Transition {
    Transition::Retry { next_attempt_at: next, status_detail: "attempt 1 failed (server_error): HTTP 503".to_owned() }
}

fn ids(verifications: &[Verification]) -> Vec<Uuid> {
    verifications.iter().map(|v| v.id).collect()
}

fn claimed_ids(claims: &[ClaimedWork]) -> Vec<Uuid> {
    claims.iter().map(|c| c.verification_id).collect()
}

fn all(limit: u32) -> ListQuery {
    ListQuery { limit, ..ListQuery::default() }
}

// ---------------------------------------------------------------------------------------------------------------
// Migrations, insert and get
// ---------------------------------------------------------------------------------------------------------------

async fn migrating_again_changes_nothing(h: &Harness) {
    // Arrange
    let stored = h.insert(&pending(T0)).await;

    // Act
    h.store.migrate().await.expect("second migration");
    h.store.migrate().await.expect("third migration");

    // Assert
    assert_eq!(h.get(stored.id).await, stored);
    assert_eq!(ids(&h.list(all(10)).await), vec![stored.id]);
}

async fn a_stored_verification_reads_back_with_every_field_and_microsecond_times(h: &Harness) {
    // Arrange
    let new = full_request_verification(T0);

    // Act
    let created = h.insert(&new).await;
    let read = h.get(new.id).await;

    // Assert
    assert!(created.change_cursor > 0, "a cursor is assigned");
    let expected = Verification {
        id: new.id,
        request_id: new.request_id.clone(),
        fingerprint: new.fingerprint.clone(),
        request: new.request.clone(),
        status: Status::Pending,
        outcome: None,
        screening: ScreeningDecision::forward(),
        carrier: Some("sandbox".to_owned()),
        payer_id: Some("SANDBOX1".to_owned()),
        attempts: Vec::new(),
        benefits: None,
        follow_up: FollowUpState::AwaitingResult,
        status_detail: Some("queued behind a carrier outage".to_owned()),
        next_attempt_at: Some(datetime!(2026-11-27 12:00:00.123456 UTC)),
        created_at: datetime!(2026-11-27 12:00:00.123456 UTC),
        updated_at: datetime!(2026-11-27 12:00:00.123456 UTC),
        change_cursor: created.change_cursor,
    };
    assert_eq!(created, expected, "the insert returns what was stored");
    assert_eq!(read, expected, "a read returns the same");
    assert_eq!(read.request.fingerprint(), new.fingerprint, "the request round-trips exactly");
}

async fn an_unknown_id_reads_as_none(h: &Harness) {
    // Arrange
    h.insert(&pending(T0)).await;

    // Act
    let found = h.store.get_verification(Uuid::now_v7()).await.expect("get");

    // Assert
    assert_eq!(found, None);
}

async fn inserting_a_used_request_id_returns_the_stored_verification_unchanged(h: &Harness) {
    // Arrange
    let first = h.insert(&with_request_id(pending(T0), "retry-key-1")).await;
    let retried = with_request_id(pending(at(5)), "retry-key-1");
    let mut other_content = with_request_id(pending(at(6)), "retry-key-1");
    other_content.request.card.group_number = Some("GRP-9999".to_owned());
    other_content.fingerprint = other_content.request.fingerprint();

    // Act
    let again = h.store.insert_verification(&retried).await.expect("insert retried");
    let conflicting = h.store.insert_verification(&other_content).await.expect("insert conflicting");

    // Assert
    let InsertOutcome::Existing(again) = again else { panic!("a retried submit must not create a verification") };
    assert_eq!(again, first);
    let InsertOutcome::Existing(conflicting) = conflicting else { panic!("a reused key must not create one") };
    assert_eq!(conflicting.id, first.id);
    assert_ne!(conflicting.fingerprint, other_content.fingerprint, "the caller can tell the content differs");
    assert_eq!(h.list(all(10)).await.len(), 1);
}

async fn a_retried_insert_of_the_same_verification_returns_it(h: &Harness) {
    // Arrange: an insert whose reply was lost is sent again with the same id and no request id.
    let new = pending(T0);
    let first = h.insert(&new).await;

    // Act
    let again = h.store.insert_verification(&new).await.expect("insert again");

    // Assert
    let InsertOutcome::Existing(again) = again else { panic!("the same verification must not be stored twice") };
    assert_eq!(again, first);
}

async fn concurrent_inserts_with_one_request_id_create_exactly_one_verification(h: &Harness) {
    // Arrange
    let submits: Vec<NewVerification> = (0..20).map(|i| with_request_id(pending(at(i)), "same-key")).collect();

    // Act
    let tasks: Vec<_> = submits
        .into_iter()
        .map(|new| {
            let store = h.store.clone();
            tokio::spawn(async move { store.insert_verification(&new).await })
        })
        .collect();
    let mut created = Vec::new();
    let mut existing = Vec::new();
    for task in tasks {
        match task.await.expect("task").expect("insert") {
            InsertOutcome::Created(v) => created.push(v),
            InsertOutcome::Existing(v) => existing.push(v),
        }
    }

    // Assert
    assert_eq!(created.len(), 1, "exactly one insert creates");
    assert_eq!(existing.len(), 19);
    assert!(existing.iter().all(|v| v.id == created[0].id), "every loser gets the winner's verification");
    assert_eq!(ids(&h.list(all(100)).await), vec![created[0].id]);
}

// ---------------------------------------------------------------------------------------------------------------
// Listing and the change cursor
// ---------------------------------------------------------------------------------------------------------------

async fn listing_follows_the_change_cursor_and_pages_after_a_cursor(h: &Harness) {
    // Arrange
    let mut inserted = Vec::new();
    for i in 0..5 {
        inserted.push(h.insert(&pending(at(i))).await.id);
    }

    // Act: page through two at a time.
    let mut pages = Vec::new();
    let mut after_cursor = 0;
    loop {
        let page = h.list(ListQuery { after_cursor, limit: 2, ..ListQuery::default() }).await;
        let Some(last) = page.last() else { break };
        after_cursor = last.change_cursor;
        pages.push(page);
    }

    // Assert
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    let listed: Vec<Verification> = pages.into_iter().flatten().collect();
    assert_eq!(ids(&listed), inserted, "insertion order is cursor order");
    assert!(listed.windows(2).all(|w| w[0].change_cursor < w[1].change_cursor), "strictly increasing cursors");
    assert!(h.list(all(0)).await.is_empty(), "a limit of 0 lists nothing");
}

async fn listing_filters_by_status_outcome_and_follow_up(h: &Harness) {
    // Arrange
    let waiting = h.insert(&pending(T0)).await;
    let refused = h.insert(&rejected(at(1))).await;
    let unsupported = h.insert(&unrouted(at(2))).await;
    let refused_later = h.insert(&rejected(at(3))).await;
    let query = |statuses: Vec<Status>, outcomes: Vec<Outcome>, follow_up_states: Vec<FollowUpState>| ListQuery {
        after_cursor: 0,
        limit: 100,
        statuses,
        outcomes,
        follow_up_states,
    };

    // Act
    let by_status = h.list(query(vec![Status::Rejected], vec![], vec![])).await;
    let by_two_statuses = h.list(query(vec![Status::Pending, Status::Failed], vec![], vec![])).await;
    let by_outcome = h.list(query(vec![], vec![Outcome::CarrierNotSupported], vec![])).await;
    let by_follow_up = h.list(query(vec![], vec![], vec![FollowUpState::AwaitingResult])).await;
    let combined = h.list(query(vec![Status::Rejected], vec![], vec![FollowUpState::ReferElsewhere])).await;
    let nothing = h.list(query(vec![Status::Completed], vec![], vec![])).await;
    let after_first_refusal = h
        .list(ListQuery { after_cursor: refused.change_cursor, ..query(vec![Status::Rejected], vec![], vec![]) })
        .await;

    // Assert
    assert_eq!(ids(&by_status), vec![refused.id, refused_later.id]);
    assert_eq!(ids(&by_two_statuses), vec![waiting.id, unsupported.id]);
    assert_eq!(ids(&by_outcome), vec![unsupported.id]);
    assert_eq!(ids(&by_follow_up), vec![waiting.id]);
    assert_eq!(ids(&combined), vec![refused.id, refused_later.id]);
    assert!(nothing.is_empty());
    assert_eq!(ids(&after_first_refusal), vec![refused_later.id]);
}

async fn listing_returns_each_verification_with_its_own_attempts(h: &Harness) {
    // Arrange
    let retried = h.insert(&pending(T0)).await;
    let answered = h.insert(&pending(at(1))).await;
    let untouched = h.insert(&rejected(at(2))).await;
    let failure = attempt(1, at(10), AttemptResultClass::ServerError);
    let answer = attempt(1, at(11), AttemptResultClass::Answered);
    let claim = h.claim_one(retried.id, "w1", at(10), LEASE).await.expect("claimed");
    h.store.record_attempt(&claim, &failure, &retry_at(at(70)), at(10)).await.expect("record retry");
    let claim = h.claim_one(answered.id, "w1", at(11), LEASE).await.expect("claimed");
    h.store.record_attempt(&claim, &answer, &complete_active(), at(11)).await.expect("record answer");

    // Act
    let listed = h.list(all(10)).await;

    // Assert
    let attempts_of = |id: Uuid| listed.iter().find(|v| v.id == id).map(|v| v.attempts.clone()).expect("listed");
    assert_eq!(listed.len(), 3);
    assert_eq!(attempts_of(retried.id), vec![stored(&failure)]);
    assert_eq!(attempts_of(answered.id), vec![stored(&answer)]);
    assert_eq!(attempts_of(untouched.id), Vec::new());
}

async fn the_change_cursor_grows_with_every_change_and_not_with_claims(h: &Harness) {
    // Arrange
    let a = h.insert(&pending(T0)).await;
    let b = h.insert(&pending(at(1))).await;
    assert!(b.change_cursor > a.change_cursor, "each insert takes a larger cursor");

    // Act: a claim and a release are not visible changes; recording an attempt is.
    let claim = h.claim_one(a.id, "w1", at(2), LEASE).await.expect("claimed");
    let after_claim = h.get(a.id).await;
    h.store.release_claim(&claim).await.expect("release");
    let after_release = h.get(a.id).await;
    let claim = h.claim_one(a.id, "w1", at(3), LEASE).await.expect("claimed again");
    let recorded = h
        .store
        .record_attempt(&claim, &attempt(1, at(3), AttemptResultClass::Timeout), &retry_at(at(60)), at(4))
        .await
        .expect("record");

    // Assert
    assert_eq!(after_claim.change_cursor, a.change_cursor);
    assert_eq!(after_release.change_cursor, a.change_cursor);
    assert!(recorded.change_cursor > b.change_cursor, "the update moves past every earlier change");
    assert_eq!(recorded.updated_at, truncate_to_micros(at(4)));
    let since_b = h.list(ListQuery { after_cursor: b.change_cursor, ..all(10) }).await;
    assert_eq!(ids(&since_b), vec![a.id], "a poller past b sees a's update");
    assert_eq!(since_b[0], recorded);
}

async fn a_poller_never_misses_a_change_made_by_concurrent_writers(h: &Harness) {
    // Arrange: 8 writers insert 25 verifications each while a poller follows the cursor.
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = h.store.clone();
            tokio::spawn(async move {
                let mut written = Vec::new();
                for i in 0..EACH {
                    let new = pending(at(i64::try_from(w * EACH + i).expect("small")));
                    store.insert_verification(&new).await.expect("insert");
                    written.push(new.id);
                }
                written
            })
        })
        .collect();

    // Act
    let mut seen = Vec::new();
    let mut after_cursor = 0;
    let mut writers_done = false;
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
    loop {
        let page = h.list(ListQuery { after_cursor, limit: 7, ..ListQuery::default() }).await;
        if let Some(last) = page.last() {
            assert!(last.change_cursor > after_cursor);
            after_cursor = last.change_cursor;
            seen.extend(ids(&page));
            continue;
        }
        if writers_done {
            break;
        }
        writers_done = writers.iter().all(|w| w.is_finished());
        assert!(tokio::time::Instant::now() < deadline, "writers did not finish");
        tokio::task::yield_now().await;
    }

    // Assert
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(writer.await.expect("writer"));
    }
    let seen_set: HashSet<Uuid> = seen.iter().copied().collect();
    assert_eq!(seen.len(), seen_set.len(), "nothing seen twice");
    assert_eq!(seen_set, written, "the poller saw every insert");
}

// ---------------------------------------------------------------------------------------------------------------
// Claims and leases
// ---------------------------------------------------------------------------------------------------------------

async fn claim_due_returns_only_due_pending_unleased_work_oldest_first(h: &Harness) {
    // Arrange
    let due_later = h.insert(&pending_due(at(-5))).await;
    let due_first = h.insert(&pending_due(at(-10))).await;
    let not_yet_due = h.insert(&pending_due(at(3600))).await;
    h.insert(&rejected(at(-20))).await;
    h.insert(&unrouted(at(-20))).await;

    let two_hours = StdDuration::from_secs(7200);

    // Act
    let first = h.claim_due("w1", T0, two_hours, 10).await;
    let second = h.claim_due("w2", T0, LEASE, 10).await;
    let at_due_time = h.claim_due("w2", at(3600), LEASE, 10).await;

    // Assert
    assert_eq!(claimed_ids(&first), vec![due_first.id, due_later.id], "due work, oldest due first");
    let claim = &first[0];
    assert_eq!(claim.request, sample_request());
    assert_eq!((claim.carrier.as_str(), claim.payer_id.as_str()), ("sandbox", "SANDBOX1"));
    assert_eq!(claim.attempts_made, 0);
    assert_eq!(claim.lease_expires_at, truncate_to_micros(T0) + Duration::hours(2));
    assert_ne!(first[0].lease_token, first[1].lease_token, "each claim has its own lease");
    assert!(second.is_empty(), "leased work is not handed out twice");
    assert_eq!(claimed_ids(&at_due_time), vec![not_yet_due.id], "the leases of the others still hold");
}

async fn claim_due_respects_its_limit(h: &Harness) {
    // Arrange
    for i in 0..5 {
        h.insert(&pending_due(at(-10 + i))).await;
    }

    // Act
    let batch = h.claim_due("w1", T0, LEASE, 3).await;
    let rest = h.claim_due("w1", T0, LEASE, 3).await;
    let none = h.claim_due("w1", T0, LEASE, 0).await;

    // Assert
    assert_eq!(batch.len(), 3);
    assert_eq!(rest.len(), 2);
    assert!(none.is_empty());
}

async fn concurrent_claimers_never_get_the_same_verification(h: &Harness) {
    // Arrange
    let mut inserted = HashSet::new();
    for i in 0..50 {
        inserted.insert(h.insert(&pending_due(at(-100 + i))).await.id);
    }

    // Act: four workers claim in batches of 5 until nothing is left.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = h.store.clone();
            tokio::spawn(async move {
                let worker = format!("worker-{w}");
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_due(&worker, T0, LEASE, 5).await.expect("claim");
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed_ids(&batch));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.expect("worker"));
    }

    // Assert
    let unique: HashSet<Uuid> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), unique.len(), "no verification was claimed twice");
    assert_eq!(unique, inserted, "every verification was claimed");
}

async fn an_expired_lease_is_reclaimed_and_the_old_holder_can_record_nothing(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let old = h.claim_due("slow-worker", T0, LEASE, 10).await.pop().expect("claimed");
    assert!(h.claim_due("w2", at(29), LEASE, 10).await.is_empty(), "an unexpired lease holds");

    // Act
    let new = h.claim_due("w2", at(31), LEASE, 10).await.pop().expect("reclaimed after expiry");
    let late = h
        .store
        .record_attempt(&old, &attempt(1, at(1), AttemptResultClass::Answered), &complete_active(), at(32))
        .await;

    // Assert
    assert_eq!(new.verification_id, v.id);
    assert_ne!(new.lease_token, old.lease_token);
    assert!(matches!(late, Err(StoreError::LeaseLost(id)) if id == v.id), "got {late:?}");
    assert_eq!(h.get(v.id).await, v, "nothing was written");
    let recorded = h
        .store
        .record_attempt(&new, &attempt(1, at(31), AttemptResultClass::Answered), &complete_active(), at(33))
        .await
        .expect("the new holder records");
    assert_eq!(recorded.status, Status::Completed);
}

async fn a_completed_attempt_stores_the_answer_and_ends_the_work(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let answer = attempt(1, at(1), AttemptResultClass::Answered);

    // Act
    let recorded = h.store.record_attempt(&claim, &answer, &complete_active(), at(2)).await.expect("record");

    // Assert
    let expected = Verification {
        status: Status::Completed,
        outcome: Some(Outcome::CoverageActive),
        attempts: vec![stored(&answer)],
        benefits: Some(benefits()),
        follow_up: FollowUpState::CallApplicant,
        status_detail: None,
        next_attempt_at: None,
        updated_at: truncate_to_micros(at(2)),
        change_cursor: recorded.change_cursor,
        ..v.clone()
    };
    assert_eq!(recorded, expected);
    assert_eq!(h.get(v.id).await, expected);
    assert!(h.claim_one(v.id, "w2", at(3), LEASE).await.is_none(), "completed work is not claimable");
    assert!(h.claim_due("w2", at(100_000), LEASE, 10).await.is_empty());
}

async fn nul_characters_from_a_carrier_are_stored_instead_of_refused(h: &Harness) {
    // Arrange: carriers send anything; PostgreSQL's JSONB and TEXT refuse NUL.
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let mut answer = attempt(1, at(1), AttemptResultClass::Answered);
    answer.raw_response = Some("{\"planCoverage\":\"Gold\u{0}PPO\"}\u{0}".to_owned());
    let mut summary = benefits();
    summary.plan_name = Some("Gold\u{0}PPO".to_owned());
    summary.messages.push("\u{0}".to_owned());
    let transition = Transition::Complete {
        outcome: Outcome::CoverageActive,
        benefits: Some(Box::new(summary)),
        screening: None,
        status_detail: None,
    };

    // Act
    let recorded = h.store.record_attempt(&claim, &answer, &transition, at(2)).await.expect("record");

    // Assert
    assert_eq!(recorded.status, Status::Completed);
    let stored_summary = recorded.benefits.expect("benefits");
    assert_eq!(stored_summary.plan_name.as_deref(), Some("Gold\u{fffd}PPO"), "NUL replaced, the rest kept");
    assert_eq!(recorded.attempts[0].raw_response, answer.raw_response, "raw bodies are bytes, kept exactly");
}

async fn a_government_plan_in_the_answer_replaces_the_screening_decision(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let answer_screening = ScreeningDecision {
        verdict: Verdict::Medicare,
        rule: "answer:insurance_type".to_owned(),
        reason: "Medicare Advantage".to_owned(),
    };
    let transition = Transition::Complete {
        outcome: Outcome::GovernmentPlanFound,
        benefits: Some(Box::new(benefits())),
        screening: Some(answer_screening.clone()),
        status_detail: Some("carrier answer shows a government plan: Medicare Advantage".to_owned()),
    };

    // Act
    let recorded = h
        .store
        .record_attempt(&claim, &attempt(1, at(1), AttemptResultClass::Answered), &transition, at(2))
        .await
        .expect("record");

    // Assert
    assert_eq!(recorded.screening, answer_screening);
    assert_eq!(recorded.outcome, Some(Outcome::GovernmentPlanFound));
    assert_eq!(recorded.follow_up, FollowUpState::ReferElsewhere);
    assert_eq!(recorded.status_detail.as_deref(), Some("carrier answer shows a government plan: Medicare Advantage"));
    assert_eq!(h.get(v.id).await, recorded);
}

async fn a_failed_attempt_ends_the_work_and_keeps_the_screening(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let refused = attempt(1, at(1), AttemptResultClass::Rejected);
    let transition = Transition::Fail {
        outcome: Outcome::CarrierRejected,
        status_detail: "carrier refused the request (AAA:41): verify by phone".to_owned(),
    };

    // Act
    let recorded = h.store.record_attempt(&claim, &refused, &transition, at(2)).await.expect("record");

    // Assert
    let expected = Verification {
        status: Status::Failed,
        outcome: Some(Outcome::CarrierRejected),
        attempts: vec![stored(&refused)],
        follow_up: FollowUpState::VerifyManually,
        status_detail: Some("carrier refused the request (AAA:41): verify by phone".to_owned()),
        next_attempt_at: None,
        updated_at: truncate_to_micros(at(2)),
        change_cursor: recorded.change_cursor,
        ..v.clone()
    };
    assert_eq!(recorded, expected);
    assert_eq!(h.get(v.id).await, expected);
    assert!(h.claim_due("w2", at(100_000), LEASE, 10).await.is_empty(), "failed work is not claimed");
}

async fn a_retry_keeps_the_work_pending_until_it_is_due_again(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_due("w1", at(1), LEASE, 10).await.pop().expect("claimed");
    let failure = attempt(1, at(1), AttemptResultClass::ServerError);
    let next = at(61) + Duration::nanoseconds(999);

    // Act
    let retrying = h.store.record_attempt(&claim, &failure, &retry_at(next), at(2)).await.expect("record retry");
    let too_early = h.claim_due("w2", at(60), LEASE, 10).await;
    let second = h.claim_due("w2", at(62), LEASE, 10).await.pop().expect("claimed when due");
    let answer = attempt(2, at(62), AttemptResultClass::Answered);
    let done = h.store.record_attempt(&second, &answer, &complete_active(), at(63)).await.expect("record answer");

    // Assert
    let expected_retrying = Verification {
        status: Status::Pending,
        outcome: None,
        attempts: vec![stored(&failure)],
        follow_up: FollowUpState::AwaitingResult,
        status_detail: Some("attempt 1 failed (server_error): HTTP 503".to_owned()),
        next_attempt_at: Some(truncate_to_micros(next)),
        updated_at: truncate_to_micros(at(2)),
        change_cursor: retrying.change_cursor,
        ..v.clone()
    };
    assert_eq!(retrying, expected_retrying);
    assert!(too_early.is_empty(), "not claimed before it is due");
    assert_eq!(second.attempts_made, 1, "the claim knows one attempt was made");
    assert_eq!(done.attempts, vec![stored(&failure), stored(&answer)], "attempts in order");
    assert_eq!(done.status, Status::Completed);
    assert!(done.change_cursor > retrying.change_cursor);
}

async fn a_claim_records_one_result_only(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let first = h
        .store
        .record_attempt(&claim, &attempt(1, at(1), AttemptResultClass::Timeout), &retry_at(at(2)), at(2))
        .await
        .expect("first record");

    // Act: the same claim again (a duplicated message, a confused worker).
    let again = h
        .store
        .record_attempt(&claim, &attempt(2, at(3), AttemptResultClass::Answered), &complete_active(), at(3))
        .await;

    // Assert
    assert!(matches!(again, Err(StoreError::LeaseLost(_))), "got {again:?}");
    assert_eq!(h.get(v.id).await, first, "nothing more was written");
}

async fn a_released_claim_can_be_claimed_again_at_once(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_due("w1", at(1), LEASE, 10).await.pop().expect("claimed");

    // Act
    h.store.release_claim(&claim).await.expect("release");
    let again = h.claim_due("w2", at(2), LEASE, 10).await;

    // Assert
    assert_eq!(claimed_ids(&again), vec![v.id], "claimable before the old lease would have expired");
    assert_ne!(again[0].lease_token, claim.lease_token);
    assert_eq!(h.get(v.id).await, v, "a release changes nothing visible");
}

async fn a_stale_release_leaves_the_new_holders_lease_alone(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let old = h.claim_due("w1", at(1), LEASE, 10).await.pop().expect("claimed");
    let new = h.claim_due("w2", at(40), LEASE, 10).await.pop().expect("reclaimed after expiry");

    // Act
    h.store.release_claim(&old).await.expect("a stale release is not an error");

    // Assert
    assert!(h.claim_due("w3", at(41), LEASE, 10).await.is_empty(), "the new lease still holds");
    let recorded = h
        .store
        .record_attempt(&new, &attempt(1, at(40), AttemptResultClass::Answered), &complete_active(), at(42))
        .await
        .expect("the new holder records");
    assert_eq!(recorded.id, v.id);
}

async fn claim_one_takes_work_early_but_never_a_held_lease_or_final_work(h: &Harness) {
    // Arrange
    let later = h.insert(&pending_due(at(3600))).await;
    let refused = h.insert(&rejected(T0)).await;
    let unsupported = h.insert(&unrouted(T0)).await;

    // Act
    let early = h.claim_one(later.id, "fast-path", T0, LEASE).await;
    let while_held = h.claim_one(later.id, "w2", at(10), LEASE).await;
    let after_expiry = h.claim_one(later.id, "w2", at(31), LEASE).await;
    let of_refused = h.claim_one(refused.id, "w2", T0, LEASE).await;
    let of_unsupported = h.claim_one(unsupported.id, "w2", T0, LEASE).await;
    let of_unknown = h.claim_one(Uuid::now_v7(), "w2", T0, LEASE).await;

    // Assert
    let early = early.expect("not-yet-due work can be claimed by id");
    assert_eq!(early.verification_id, later.id);
    assert!(while_held.is_none(), "an unexpired lease of another worker is not stolen");
    let after_expiry = after_expiry.expect("an expired lease can be taken over");
    assert_ne!(after_expiry.lease_token, early.lease_token);
    assert!(of_refused.is_none());
    assert!(of_unsupported.is_none());
    assert!(of_unknown.is_none());
}

async fn rejected_and_failed_verifications_are_never_claimed(h: &Harness) {
    // Arrange
    let refused = h.insert(&rejected(T0)).await;
    let unsupported = h.insert(&unrouted(T0)).await;

    // Act
    let far_future = h.claim_due("w1", at(10_000_000), LEASE, 100).await;
    let by_id = [
        h.claim_one(refused.id, "w1", at(10_000_000), LEASE).await,
        h.claim_one(unsupported.id, "w1", at(10_000_000), LEASE).await,
    ];

    // Assert
    assert!(far_future.is_empty());
    assert!(by_id.iter().all(Option::is_none));
    assert_eq!(h.get(refused.id).await, refused);
    assert_eq!(h.get(unsupported.id).await, unsupported);
}

async fn pending_summary_counts_pending_work_and_its_oldest_creation_time(h: &Harness) {
    // Arrange
    let empty = h.store.pending_summary().await.expect("summary of nothing");
    h.insert(&rejected(at(-100))).await;
    let oldest = h.insert(&pending(at(-50))).await;
    h.insert(&pending(at(-10))).await;

    // Act
    let before = h.store.pending_summary().await.expect("summary");
    let claim = h.claim_one(oldest.id, "w1", T0, LEASE).await.expect("claimed");
    h.store
        .record_attempt(&claim, &attempt(1, T0, AttemptResultClass::Answered), &complete_active(), T0)
        .await
        .expect("record");
    let after = h.store.pending_summary().await.expect("summary");

    // Assert
    assert_eq!(empty, (0, None));
    assert_eq!(before, (2, Some(truncate_to_micros(at(-50)))));
    assert_eq!(after, (1, Some(truncate_to_micros(at(-10)))));
}

async fn a_corrupt_stored_request_is_reported_as_corrupt_and_skipped_by_claims(h: &Harness) {
    // Arrange
    let broken = h.insert(&pending_due(at(-10))).await;
    let healthy = h.insert(&pending_due(at(-5))).await;
    h.corrupt_request(broken.id).await;

    // Act
    let got = h.store.get_verification(broken.id).await;
    let listed = h.store.list_verifications(&all(10)).await;
    let claimed = h.claim_due("w1", T0, LEASE, 10).await;
    let claimed_broken = h.store.claim_one(broken.id, "w2", at(60), LEASE).await;

    // Assert
    assert!(matches!(&got, Err(StoreError::Corrupt(m)) if m.contains(&broken.id.to_string())), "got {got:?}");
    assert!(matches!(listed, Err(StoreError::Corrupt(_))), "got {listed:?}");
    assert_eq!(claimed_ids(&claimed), vec![healthy.id], "healthy work still flows");
    assert!(matches!(claimed_broken, Err(StoreError::Corrupt(_))), "got {claimed_broken:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Backend-specific behaviour
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_creates_a_missing_database_file_and_directory_in_wal_mode() {
    // Arrange
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("nested").join("data").join("iv.db");
    let url = format!("sqlite://{}", file.display());

    // Act
    let store = insurance_verifier::store::SqliteStore::connect(&url, 2).await.expect("connect");
    store.migrate().await.expect("migrate");

    // Assert
    assert!(file.is_file(), "the database file was created");
    let raw = sqlx::SqlitePool::connect(&url).await.expect("open directly");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&raw).await.expect("journal mode");
    assert_eq!(mode, "wal");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn postgres_connect_refuses_a_schema_name_that_is_not_a_plain_identifier() {
    // Arrange
    let Some(url) = support::postgres_url() else { return };

    // Act
    let refused = insurance_verifier::store::PostgresStore::connect_with_schema(&url, 1, Some("x; DROP")).await;

    // Assert
    assert!(matches!(refused, Err(StoreError::Query(_))), "got {:?}", refused.err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_list_waits_for_a_writer_that_holds_an_earlier_cursor() {
    // Arrange: a writer draws a cursor for `a` and has not committed; then `b` is inserted and committed with a
    // larger cursor. A list that returned `b` now would let a poller move past `a`'s cursor for good.
    let Some(h) = Harness::postgres().await else { return };
    let Raw::Postgres(pool) = &h.raw else { unreachable!("a PostgreSQL harness") };
    let a = h.insert(&pending(T0)).await;
    let mut writer = pool.begin().await.expect("begin");
    sqlx::query("UPDATE verifications SET change_cursor = verification_next_cursor() WHERE id = $1")
        .bind(a.id)
        .execute(&mut *writer)
        .await
        .expect("draw a cursor");
    let b = h.insert(&pending(at(1))).await;

    // Act
    let store = h.store.clone();
    let list =
        tokio::spawn(
            async move { store.list_verifications(&ListQuery { after_cursor: a.change_cursor, ..all(10) }).await },
        );
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let finished_early = list.is_finished();
    writer.commit().await.expect("commit");
    let listed = list.await.expect("list task").expect("list");

    // Assert
    assert!(!finished_early, "the list waited for the writer");
    assert_eq!(ids(&listed), vec![a.id, b.id], "both changes, in cursor order (a drew first)");
}

// ---------------------------------------------------------------------------------------------------------------
// Carrier lanes, deadlines and retry requests
// ---------------------------------------------------------------------------------------------------------------

/// A pending verification routed to `carrier`, created (and due) at `created`.
fn pending_for(carrier: &str, created: OffsetDateTime) -> NewVerification {
    let route = RouteChoice { carrier: carrier.to_owned(), payer_id: "P1".to_owned() };
    admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), Some(route), created)
}

async fn a_filtered_claim_skips_the_named_carriers_except_their_overdue_work(h: &Harness) {
    // Arrange: a sick carrier's fresh and old work, and a healthy carrier's work.
    let old_sick = h.insert(&pending_for("sick", at(-600))).await;
    let fresh_sick = h.insert(&pending_for("sick", at(-10))).await;
    let healthy = h.insert(&pending_for("healthy", at(-5))).await;
    let filter = ClaimFilter { skip_carriers: vec!["sick".to_owned()], overdue_before: Some(at(-300)) };

    // Act
    let claimed = h.store.claim_due_filtered("w1", T0, LEASE, 10, &filter).await.expect("claim");

    // Assert: the overdue work comes along (to be closed), the fresh work of the skipped carrier stays.
    let ids: HashSet<Uuid> = claimed_ids(&claimed).into_iter().collect();
    assert_eq!(ids, HashSet::from([old_sick.id, healthy.id]));
    assert!(!ids.contains(&fresh_sick.id));
    let overdue = claimed.iter().find(|c| c.verification_id == old_sick.id).expect("overdue claimed");
    assert_eq!(overdue.round_started_at, truncate_to_micros(at(-600)), "a first round starts at creation");
    assert_eq!(overdue.attempts_in_round, 0);
    let rest = h.store.claim_due_filtered("w2", T0, LEASE, 10, &ClaimFilter::default()).await.expect("claim");
    assert_eq!(claimed_ids(&rest), vec![fresh_sick.id], "unfiltered, the skipped work is claimable");
}

async fn a_deferred_claim_is_released_and_due_again_later_without_an_attempt(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_due("w1", at(1), LEASE, 10).await.pop().expect("claimed");

    // Act
    h.store.defer_claim(&claim, at(60)).await.expect("defer");

    // Assert
    assert!(h.claim_due("w2", at(59), LEASE, 10).await.is_empty(), "not due before the new time");
    let again = h.claim_due("w2", at(60), LEASE, 10).await;
    assert_eq!(claimed_ids(&again), vec![v.id]);
    assert_eq!(again[0].attempts_made, 0, "a deferral is not an attempt");
    let stored = h.get(v.id).await;
    assert_eq!((stored.status, stored.change_cursor), (Status::Pending, v.change_cursor), "nothing visible changed");
    h.store.defer_claim(&claim, at(500)).await.expect("a stale deferral is a no-op");
    assert!(h.claim_one(v.id, "w3", at(61), LEASE).await.is_none(), "the stale deferral left w2's lease alone");
}

async fn closing_a_claim_fails_the_verification_without_an_attempt(h: &Harness) {
    // Arrange
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let give_up = insurance_verifier::domain::lifecycle::deadline_passed();

    // Act
    let closed = h.store.close_claim(&claim, &give_up, at(2)).await.expect("close");

    // Assert
    assert_eq!((closed.status, closed.outcome), (Status::Failed, Some(Outcome::CarrierUnavailable)));
    assert_eq!(closed.follow_up, FollowUpState::VerifyManually);
    assert!(closed.attempts.is_empty(), "no carrier attempt is invented");
    assert!(closed.change_cursor > v.change_cursor);
    assert!(h.claim_due("w2", at(100), LEASE, 10).await.is_empty());
    let again = h.store.close_claim(&claim, &give_up, at(3)).await;
    assert!(matches!(again, Err(StoreError::LeaseLost(id)) if id == v.id), "{again:?}");
}

async fn a_retry_request_reopens_an_ended_verification_with_a_new_round(h: &Harness) {
    // Arrange: one failed attempt ended the verification.
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let fail = Transition::Fail { outcome: Outcome::CarrierUnavailable, status_detail: "gave up".to_owned() };
    let failed = h
        .store
        .record_attempt(&claim, &attempt(1, at(1), AttemptResultClass::ServerError), &fail, at(2))
        .await
        .expect("record");
    let new_route = RouteChoice { carrier: "moved".to_owned(), payer_id: "P2".to_owned() };

    // Act
    let outcome = h.store.request_retry(v.id, Some(&new_route), None, at(100)).await.expect("retry");

    // Assert
    let RetryOutcome::Reopened(reopened) = outcome else { panic!("expected a reopen, got {outcome:?}") };
    assert_eq!((reopened.status, reopened.outcome), (Status::Pending, None));
    assert_eq!(reopened.follow_up, FollowUpState::AwaitingResult);
    assert_eq!((reopened.carrier.as_deref(), reopened.payer_id.as_deref()), (Some("moved"), Some("P2")));
    assert_eq!(reopened.attempts.len(), 1, "earlier attempts are kept");
    assert!(reopened.change_cursor > failed.change_cursor, "dashboards see the reopen");
    let claim = h.claim_due("w2", at(100), LEASE, 10).await.pop().expect("due at once");
    assert_eq!((claim.attempts_made, claim.attempts_in_round), (1, 0), "a new round; numbers keep counting");
    assert_eq!(claim.round_started_at, truncate_to_micros(at(100)));
    assert_eq!(claim.carrier, "moved");
}

async fn a_retry_request_on_pending_work_makes_it_due_now(h: &Harness) {
    // Arrange: a pending verification waiting for a retry an hour away.
    let v = h.insert(&pending_due(at(3600))).await;

    // Act
    let outcome = h.store.request_retry(v.id, None, None, at(5)).await.expect("retry");

    // Assert
    assert!(matches!(outcome, RetryOutcome::AlreadyPending(ref p) if p.id == v.id), "{outcome:?}");
    assert_eq!(claimed_ids(&h.claim_due("w1", at(5), LEASE, 10).await), vec![v.id]);
    let unknown = h.store.request_retry(Uuid::now_v7(), None, None, at(5)).await.expect("retry");
    assert!(matches!(unknown, RetryOutcome::NotFound));
}

async fn refused_and_government_plan_verifications_are_not_reopened(h: &Harness) {
    // Arrange
    let refused = h.insert(&rejected(T0)).await;
    let v = h.insert(&pending(T0)).await;
    let claim = h.claim_one(v.id, "w1", at(1), LEASE).await.expect("claimed");
    let government = Transition::Complete {
        outcome: Outcome::GovernmentPlanFound,
        benefits: None,
        screening: Some(medicaid()),
        status_detail: None,
    };
    h.store
        .record_attempt(&claim, &attempt(1, at(1), AttemptResultClass::Answered), &government, at(2))
        .await
        .expect("record");

    // Act
    let on_refused = h.store.request_retry(refused.id, Some(&route()), None, at(10)).await.expect("retry");
    let on_government = h.store.request_retry(v.id, Some(&route()), None, at(10)).await.expect("retry");

    // Assert
    assert!(matches!(on_refused, RetryOutcome::NotRetryable(ref r) if r.status == Status::Rejected), "{on_refused:?}");
    assert!(matches!(on_government, RetryOutcome::NotRetryable(ref g) if g.status == Status::Completed));
    assert!(h.claim_due("w2", at(100), LEASE, 10).await.is_empty());
}

async fn the_submits_trace_context_reaches_the_claim_and_a_retry_request_replaces_it(h: &Harness) {
    // Arrange: a verification submitted under a trace, ended by a failed attempt.
    const SUBMIT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const RETRY: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let traced = NewVerification { trace_context: Some(SUBMIT.to_owned()), ..pending(T0) };
    let v = h.insert(&traced).await;
    let untraced = h.insert(&pending(T0)).await;

    // Act: claim both, fail the traced one, ask for a retry under another trace, claim it again.
    let claims = h.claim_due("w1", at(1), LEASE, 10).await;
    let claim = claims.iter().find(|c| c.verification_id == v.id).expect("claimed").clone();
    let fail = Transition::Fail { outcome: Outcome::CarrierUnavailable, status_detail: "gave up".to_owned() };
    h.store
        .record_attempt(&claim, &attempt(1, at(1), AttemptResultClass::ServerError), &fail, at(2))
        .await
        .expect("record");
    h.store.request_retry(v.id, None, Some(RETRY), at(10)).await.expect("retry");
    let again = h.claim_one(v.id, "w2", at(10), LEASE).await.expect("claimed again");

    // Assert
    assert_eq!(claim.trace_context.as_deref(), Some(SUBMIT));
    let other = claims.iter().find(|c| c.verification_id == untraced.id).expect("claimed");
    assert_eq!(other.trace_context, None, "no trace, no context");
    assert_eq!(again.trace_context.as_deref(), Some(RETRY), "the new round joins the retry's trace");
}
