//! `VerificationService`: validate at the edge, screen, route, store durably, then reply at once or after
//! waiting for the carrier's answer.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::auth::{Authenticator, Role};
use super::convert::{follow_up_from_proto, outcome_from_proto, status_from_proto, wait_from_proto};
use super::error::ApiError;
use super::page_token;
use super::pb;
use super::pb::verification_service_server::VerificationService;
use crate::carriers::Directory;
use crate::dispatch::{ChangeFeed, Dispatcher};
use crate::domain::NewVerification;
use crate::domain::lifecycle::admit;
use crate::domain::{
    Outcome, RouteChoice, Routing, Status as VerificationStatus, Submission, Verification, Violations,
};
use crate::screening::Screener;
use crate::store::{InsertOutcome, ListQuery, RetryOutcome, Store};
use crate::telemetry;

/// Default page size of `ListVerifications`.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size of `ListVerifications`.
const MAX_PAGE_SIZE: u32 = 500;
/// How often a waiting submit re-reads the store, in case another replica processes its verification (results
/// stored by this process arrive at once through the change feed). Not shorter: a thousand waiting callers
/// re-reading every half second cost more reads than the results themselves.
const WAIT_RECHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How much the service takes on.
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    /// The longest `wait_for_result` honoured.
    pub max_wait_for_result: Duration,
    /// Calls served at once before more are refused with `RESOURCE_EXHAUSTED`.
    pub max_in_flight: u32,
}

/// The gRPC service: shared, cheap to clone.
#[derive(Clone)]
pub struct VerificationApi {
    store: Arc<dyn Store>,
    screener: Arc<Screener>,
    directory: Arc<Directory>,
    changes: ChangeFeed,
    auth: Authenticator,
    max_wait_for_result: Duration,
    /// One permit per call being served: the global in-flight limit.
    in_flight: Arc<Semaphore>,
    /// This replica's dispatcher, for the carrier lanes' status.
    dispatcher: Arc<Dispatcher>,
    /// Cancelled when the server starts shutting down: calls waiting for a result answer with what is stored,
    /// so in-flight RPCs end within the grace period.
    draining: CancellationToken,
}

impl VerificationApi {
    /// Builds the service over its collaborators.
    pub fn new(
        store: Arc<dyn Store>,
        screener: Arc<Screener>,
        directory: Arc<Directory>,
        changes: ChangeFeed,
        auth: Authenticator,
        limits: ApiLimits,
        dispatcher: Arc<Dispatcher>,
    ) -> Self {
        let in_flight = Arc::new(Semaphore::new(usize::try_from(limits.max_in_flight.max(1)).unwrap_or(1)));
        VerificationApi {
            store,
            screener,
            directory,
            changes,
            auth,
            max_wait_for_result: limits.max_wait_for_result,
            in_flight,
            dispatcher,
            draining: CancellationToken::new(),
        }
    }

    /// Ends waits for results when `draining` is cancelled (shutdown).
    #[must_use]
    pub fn with_drain(mut self, draining: CancellationToken) -> Self {
        self.draining = draining;
        self
    }

    /// A place among the calls served at once, or `RESOURCE_EXHAUSTED` at once when there is none: a flood is
    /// turned away in microseconds instead of queueing for the database.
    fn admit_call(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.in_flight).try_acquire_owned().map_err(|_| ApiError::Overloaded)
    }

    /// Where a retried verification goes: the current directory's route for its card, or its stored carrier when
    /// the card no longer routes but that carrier is still in the directory. Refusals say why not.
    fn route_for_retry(&self, verification: &Verification) -> Result<Option<RouteChoice>, ApiError> {
        if verification.status == VerificationStatus::Rejected {
            return Err(ApiError::NotRetryable {
                reason: "REFUSED_UP_FRONT",
                description: "Medicaid and Medicare cards are never sent to a carrier: refer the applicant",
            });
        }
        if verification.outcome == Some(Outcome::GovernmentPlanFound) {
            return Err(ApiError::NotRetryable {
                reason: "GOVERNMENT_PLAN_FOUND",
                description: "the carrier's answer showed a government plan: refer the applicant",
            });
        }
        if verification.status == VerificationStatus::Pending {
            return Ok(None);
        }
        match self.directory.routing(&verification.request.card) {
            Routing::Route(route) => Ok(Some(route)),
            Routing::BatchOnly { .. } => Err(ApiError::NotRetryable {
                reason: "NO_REALTIME_ROUTE",
                description: "the carrier answers eligibility in batch only: verify by phone",
            }),
            Routing::UnknownCarrier => {
                let stored = verification.carrier.as_deref().and_then(|id| self.directory.route(id));
                match stored {
                    Some(route) if route.realtime => Ok(None),
                    _ => Err(ApiError::NotRetryable {
                        reason: "NO_REALTIME_ROUTE",
                        description: "no electronic eligibility route for this carrier: verify by phone",
                    }),
                }
            }
        }
    }

    /// Screens, routes and stores a submission; returns the stored verification and whether it was replayed.
    async fn submit(&self, submission: Submission) -> Result<(Verification, bool), ApiError> {
        let screening = self.screener.screen_request(&submission.request.card);
        let route = if screening.refuses() {
            Routing::UnknownCarrier
        } else {
            self.directory.routing(&submission.request.card)
        };
        let now = crate::domain::verification::truncate_to_micros(OffsetDateTime::now_utc());
        let new = NewVerification {
            // This call's trace context, kept with the verification so the carrier attempts join its trace.
            trace_context: telemetry::otel::current_traceparent(),
            ..admit(Uuid::now_v7(), submission.request_id, submission.request, screening, route, now)
        };
        tracing::Span::current().record("verification_id", tracing::field::display(new.id));
        match self.store.insert_verification(&new).await? {
            InsertOutcome::Created(verification) => {
                tracing::info!(
                    status = verification.status.as_str(),
                    verdict = verification.screening.verdict.as_str(),
                    rule = %verification.screening.rule,
                    carrier = verification.carrier.as_deref().unwrap_or(""),
                    "verification accepted"
                );
                telemetry::metrics::submitted(match verification.status {
                    VerificationStatus::Pending => "accepted",
                    VerificationStatus::Rejected => "refused",
                    VerificationStatus::Completed | VerificationStatus::Failed => "unrouted",
                });
                telemetry::metrics::finished(&verification);
                self.changes.publish(&verification);
                Ok((verification, false))
            }
            InsertOutcome::Existing(existing) if existing.fingerprint == new.fingerprint => {
                tracing::Span::current().record("verification_id", tracing::field::display(existing.id));
                tracing::info!("idempotent replay of an earlier submit");
                telemetry::metrics::submitted("duplicate");
                Ok((existing, true))
            }
            InsertOutcome::Existing(existing) => {
                tracing::info!(existing_id = %existing.id, "request_id reused with different content");
                Err(ApiError::RequestIdConflict)
            }
        }
    }

    /// Waits until the verification is final or `wait` runs out, and returns its latest stored state.
    async fn wait_for_final(&self, verification: Verification, wait: Duration) -> Result<Verification, ApiError> {
        if verification.status.is_final() || wait.is_zero() {
            return Ok(verification);
        }
        let id = verification.id;
        let watch = self.changes.watch_final(id);
        let mut ended = std::pin::pin!(watch.notify().notified());
        ended.as_mut().enable();
        // Re-read once after registering: the change may have landed between the insert and the registration.
        let mut latest = self.store.get_verification(id).await?.unwrap_or(verification);
        let deadline = tokio::time::Instant::now() + wait;
        // One interval for the whole wait: events about other verifications must not postpone the re-read.
        let mut recheck = tokio::time::interval(WAIT_RECHECK_INTERVAL);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        recheck.tick().await; // the first tick is immediate; we just read the store
        while !latest.status.is_final() {
            let reread = tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    // Last look before answering PENDING: another replica may have just finished it.
                    if let Some(fresh) = self.store.get_verification(id).await? {
                        latest = fresh;
                    }
                    break;
                }
                () = ended.as_mut() => {
                    // This process stored its final state and handed it over: no need to read it back (unless
                    // it is an older end, from before a retry request reopened it).
                    if let Some(stored) = watch.final_state().filter(|s| s.change_cursor > latest.change_cursor) {
                        latest = stored;
                        continue;
                    }
                    ended.set(watch.notify().notified());
                    ended.as_mut().enable();
                    true
                }
                // Another replica may be processing it: its changes reach us only through the store.
                _ = recheck.tick() => true,
                // Shutting down: answer with what is stored (the work itself is safe in the store).
                () = self.draining.cancelled() => break,
            };
            if reread && let Some(fresh) = self.store.get_verification(id).await? {
                latest = fresh;
            }
        }
        Ok(latest)
    }
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| {
        let mut violations = Violations::default();
        violations.add("id", "must be a verification id (UUID)");
        ApiError::InvalidArgument(violations)
    })
}

fn list_query(message: &pb::ListVerificationsRequest) -> Result<ListQuery, ApiError> {
    let mut violations = Violations::default();
    let limit = match message.page_size {
        0 => DEFAULT_PAGE_SIZE,
        size if size < 0 || size.unsigned_abs() > MAX_PAGE_SIZE => {
            violations.add("page_size", "must be between 0 and 500");
            DEFAULT_PAGE_SIZE
        }
        size => size.unsigned_abs(),
    };
    let mut query = ListQuery { after_cursor: 0, limit, ..ListQuery::default() };
    for raw in &message.statuses {
        match status_from_proto(*raw) {
            Some(status) => query.statuses.push(status),
            None => violations.add("statuses", "contains an unknown or unspecified status"),
        }
    }
    for raw in &message.outcomes {
        match outcome_from_proto(*raw) {
            Some(outcome) => query.outcomes.push(outcome),
            None => violations.add("outcomes", "contains an unknown or unspecified outcome"),
        }
    }
    for raw in &message.follow_up_states {
        match follow_up_from_proto(*raw) {
            Some(state) => query.follow_up_states.push(state),
            None => violations.add("follow_up_states", "contains an unknown or unspecified state"),
        }
    }
    // Filters are sets: sort so that the same filters in another order share page tokens.
    query.statuses.sort_by_key(|s| s.as_str());
    query.statuses.dedup();
    query.outcomes.sort_by_key(|o| o.as_str());
    query.outcomes.dedup();
    query.follow_up_states.sort_by_key(|f| f.as_str());
    query.follow_up_states.dedup();
    if !message.page_token.is_empty() {
        match page_token::decode(&message.page_token, &query) {
            Ok(token) => query.after_cursor = token.after_cursor,
            Err(why) => violations.add("page_token", why.to_string()),
        }
    }
    if violations.is_empty() { Ok(query) } else { Err(ApiError::InvalidArgument(violations)) }
}

/// Turns a handler's result into the RPC's, recording the status code on the RPC span (ops read it).
fn finish<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    let result = result.map(Response::new).map_err(Status::from);
    let code = match &result {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    };
    tracing::Span::current().record("rpc.code", tracing::field::debug(code));
    // One line per refused or failed call, so ops see them without raising the log level; the message is ours
    // (no PHI), never the request's content.
    if let Err(status) = &result {
        tracing::info!(code = ?status.code(), "rpc failed");
    }
    result
}

impl VerificationApi {
    #[tracing::instrument(
        name = "rpc.submit_verification",
        skip_all,
        fields(rpc.method = "SubmitVerification", rpc.code = tracing::field::Empty, verification_id = tracing::field::Empty)
    )]
    async fn handle_submit(
        &self,
        request: Request<pb::SubmitVerificationRequest>,
    ) -> Result<Response<pb::SubmitVerificationResponse>, Status> {
        finish(
            async {
                let _slot = self.admit_call()?;
                self.auth.authorize(request.metadata(), "SubmitVerification", &[Role::Website])?;
                let submission = Submission::try_from(request.into_inner()).map_err(ApiError::InvalidArgument)?;
                let wait = submission.wait_for_result.min(self.max_wait_for_result);
                let (verification, replayed) = self.submit(submission).await?;
                let verification = self.wait_for_final(verification, wait).await?;
                Ok(pb::SubmitVerificationResponse {
                    verification: Some(pb::Verification::from(&verification)),
                    replayed,
                })
            }
            .await,
        )
    }

    #[tracing::instrument(
        name = "rpc.get_verification",
        skip_all,
        fields(rpc.method = "GetVerification", rpc.code = tracing::field::Empty, verification_id = tracing::field::Empty)
    )]
    async fn handle_get(
        &self,
        request: Request<pb::GetVerificationRequest>,
    ) -> Result<Response<pb::GetVerificationResponse>, Status> {
        finish(
            async {
                let _slot = self.admit_call()?;
                self.auth.authorize(request.metadata(), "GetVerification", &[Role::Admissions])?;
                let id = parse_id(&request.get_ref().id)?;
                tracing::Span::current().record("verification_id", tracing::field::display(id));
                let verification = self.store.get_verification(id).await?.ok_or(ApiError::NotFound)?;
                Ok(pb::GetVerificationResponse { verification: Some(pb::Verification::from(&verification)) })
            }
            .await,
        )
    }

    #[tracing::instrument(
        name = "rpc.list_verifications",
        skip_all,
        fields(rpc.method = "ListVerifications", rpc.code = tracing::field::Empty)
    )]
    async fn handle_list(
        &self,
        request: Request<pb::ListVerificationsRequest>,
    ) -> Result<Response<pb::ListVerificationsResponse>, Status> {
        finish(
            async {
                let _slot = self.admit_call()?;
                self.auth.authorize(request.metadata(), "ListVerifications", &[Role::Admissions])?;
                let query = list_query(request.get_ref())?;
                let page = self.store.list_verifications(&query).await?;
                let last_cursor = page.last().map_or(query.after_cursor, |v| v.change_cursor);
                tracing::debug!(returned = page.len(), "listed verifications");
                Ok(pb::ListVerificationsResponse {
                    verifications: page.iter().map(pb::Verification::from).collect(),
                    next_page_token: page_token::encode(last_cursor, &query),
                })
            }
            .await,
        )
    }
}

impl VerificationApi {
    #[tracing::instrument(
        name = "rpc.retry_verification",
        skip_all,
        fields(rpc.method = "RetryVerification", rpc.code = tracing::field::Empty, verification_id = tracing::field::Empty)
    )]
    async fn handle_retry(
        &self,
        request: Request<pb::RetryVerificationRequest>,
    ) -> Result<Response<pb::RetryVerificationResponse>, Status> {
        finish(
            async {
                let _slot = self.admit_call()?;
                self.auth.authorize(request.metadata(), "RetryVerification", &[Role::Admissions])?;
                let message = request.into_inner();
                let mut violations = Violations::default();
                let wait = wait_from_proto(message.wait_for_result, &mut violations);
                let id = match Uuid::parse_str(message.id.trim()) {
                    Ok(id) => Some(id),
                    Err(_) => {
                        violations.add("id", "must be a verification id (UUID)");
                        None
                    }
                };
                let (Some(id), Some(wait)) = (id, wait) else {
                    return Err(ApiError::InvalidArgument(violations));
                };
                tracing::Span::current().record("verification_id", tracing::field::display(id));
                let current = self.store.get_verification(id).await?.ok_or(ApiError::NotFound)?;
                let route = self.route_for_retry(&current)?;
                let now = crate::domain::verification::truncate_to_micros(OffsetDateTime::now_utc());
                let (verification, reopened) = match self
                    .store
                    .request_retry(id, route.as_ref(), telemetry::otel::current_traceparent().as_deref(), now)
                    .await?
                {
                    RetryOutcome::Reopened(verification) => (verification, true),
                    RetryOutcome::AlreadyPending(verification) => (verification, false),
                    RetryOutcome::NotFound => return Err(ApiError::NotFound),
                    // It changed between the read and the update (another replica's carrier answer): say why now.
                    RetryOutcome::NotRetryable(verification) => {
                        self.route_for_retry(&verification)?;
                        return Err(ApiError::NotRetryable {
                            reason: "NOT_RETRYABLE",
                            description: "the verification cannot be sent to its carrier again",
                        });
                    }
                };
                tracing::info!(reopened, "new carrier attempt requested");
                // Wakes this replica's dispatcher (others find the work when they poll).
                self.changes.publish(&verification);
                let verification = self.wait_for_final(verification, wait.min(self.max_wait_for_result)).await?;
                Ok(pb::RetryVerificationResponse {
                    verification: Some(pb::Verification::from(&verification)),
                    reopened,
                })
            }
            .await,
        )
    }

    #[tracing::instrument(
        name = "rpc.list_carrier_status",
        skip_all,
        fields(rpc.method = "ListCarrierStatus", rpc.code = tracing::field::Empty)
    )]
    async fn handle_carrier_status(
        &self,
        request: Request<pb::ListCarrierStatusRequest>,
    ) -> Result<Response<pb::ListCarrierStatusResponse>, Status> {
        finish(
            async {
                let _slot = self.admit_call()?;
                self.auth.authorize(request.metadata(), "ListCarrierStatus", &[Role::Ops, Role::Admissions])?;
                Ok(pb::ListCarrierStatusResponse {
                    replica: self.dispatcher.worker_id().to_owned(),
                    carriers: self.dispatcher.carrier_status().iter().map(pb::CarrierStatus::from).collect(),
                })
            }
            .await,
        )
    }
}

#[tonic::async_trait]
impl VerificationService for VerificationApi {
    async fn submit_verification(
        &self,
        request: Request<pb::SubmitVerificationRequest>,
    ) -> Result<Response<pb::SubmitVerificationResponse>, Status> {
        self.handle_submit(request).await
    }

    async fn get_verification(
        &self,
        request: Request<pb::GetVerificationRequest>,
    ) -> Result<Response<pb::GetVerificationResponse>, Status> {
        self.handle_get(request).await
    }

    async fn list_verifications(
        &self,
        request: Request<pb::ListVerificationsRequest>,
    ) -> Result<Response<pb::ListVerificationsResponse>, Status> {
        self.handle_list(request).await
    }

    async fn retry_verification(
        &self,
        request: Request<pb::RetryVerificationRequest>,
    ) -> Result<Response<pb::RetryVerificationResponse>, Status> {
        self.handle_retry(request).await
    }

    async fn list_carrier_status(
        &self,
        request: Request<pb::ListCarrierStatusRequest>,
    ) -> Result<Response<pb::ListCarrierStatusResponse>, Status> {
        self.handle_carrier_status(request).await
    }
}
