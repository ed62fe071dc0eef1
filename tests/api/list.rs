//! `GetVerification` and `ListVerifications`: cursor paging, filters, polling without misses.

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::{PlanType, VerificationStatus};
use tonic::Code;

use crate::helpers::{TestApp, form, wait};
use crate::on_both_stores;

async fn a_poller_pages_through_everything_and_then_sees_later_changes(app: &TestApp) {
    // Arrange: five refused applicants (final at once, so the cursor order is stable).
    let mut ids = Vec::new();
    for n in 0..5 {
        let v = app.submit(form("Medicaid", &format!("ACT6000{n}"), PlanType::Medicaid)).await.expect("submit");
        ids.push(v.verification.expect("v").id);
    }
    // Act: two pages of two, then the rest.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .list(pb::ListVerificationsRequest { page_size: 2, page_token: token.clone(), ..Default::default() })
            .await
            .expect("list");
        token = page.next_page_token.clone();
        let count = page.verifications.len();
        seen.extend(page.verifications.into_iter().map(|v| v.id));
        if count < 2 {
            break;
        }
    }
    // Assert
    assert_eq!(seen, ids, "oldest change first, nothing skipped or repeated");
    let later = app.submit(form("Medicare", "ACT600099", PlanType::Medicare)).await.expect("submit");
    let page = app
        .list(pb::ListVerificationsRequest { page_size: 10, page_token: token, ..Default::default() })
        .await
        .expect("poll");
    let polled: Vec<_> = page.verifications.into_iter().map(|v| v.id).collect();
    assert_eq!(polled, vec![later.verification.expect("v").id]);
}
on_both_stores!(a_poller_pages_through_everything_and_then_sees_later_changes);

async fn a_completed_verification_moves_to_the_end_of_the_change_order(app: &TestApp) {
    // Arrange
    let pending = app.submit(form("Aetna", "SLOW300", PlanType::Employer)).await.expect("submit");
    let pending_id = pending.verification.expect("v").id;
    let refused = app.submit(form("Medicaid", "ACT600100", PlanType::Medicaid)).await.expect("submit");
    let refused_id = refused.verification.expect("v").id;
    // Act
    app.wait_until_final(&pending_id).await;
    let page = app.list(pb::ListVerificationsRequest::default()).await.expect("list");
    // Assert
    let order: Vec<_> = page.verifications.iter().map(|v| v.id.clone()).collect();
    assert_eq!(order, vec![refused_id, pending_id]);
    assert!(page.verifications[0].change_cursor < page.verifications[1].change_cursor);
}
on_both_stores!(a_completed_verification_moves_to_the_end_of_the_change_order);

async fn filters_select_by_status_and_outcome(app: &TestApp) {
    // Arrange
    app.submit(form("Medicaid", "ACT600200", PlanType::Medicaid)).await.expect("refused");
    let mut active = form("Cigna", "ACT600201", PlanType::Employer);
    active.wait_for_result = wait(10);
    app.submit(active).await.expect("active");
    // Act
    let rejected = app
        .list(pb::ListVerificationsRequest {
            statuses: vec![VerificationStatus::Rejected as i32],
            ..Default::default()
        })
        .await
        .expect("list");
    let active = app
        .list(pb::ListVerificationsRequest {
            outcomes: vec![pb::VerificationOutcome::CoverageActive as i32],
            ..Default::default()
        })
        .await
        .expect("list");
    // Assert
    assert_eq!(rejected.verifications.len(), 1);
    assert_eq!(rejected.verifications[0].status(), VerificationStatus::Rejected);
    assert_eq!(active.verifications.len(), 1);
    assert_eq!(active.verifications[0].card.as_ref().expect("card").member_id, "ACT600201");
}
on_both_stores!(filters_select_by_status_and_outcome);

async fn bad_ids_tokens_and_page_sizes_are_invalid_arguments(app: &TestApp) {
    // Act / Assert
    assert_eq!(app.get("not-a-uuid").await.expect_err("bad id").code(), Code::InvalidArgument);
    assert_eq!(app.get(&uuid::Uuid::now_v7().to_string()).await.expect_err("unknown id").code(), Code::NotFound);
    let bad_token = pb::ListVerificationsRequest { page_token: "garbage!".into(), ..Default::default() };
    assert_eq!(app.list(bad_token).await.expect_err("bad token").code(), Code::InvalidArgument);
    let bad_size = pb::ListVerificationsRequest { page_size: 5000, ..Default::default() };
    assert_eq!(app.list(bad_size).await.expect_err("bad size").code(), Code::InvalidArgument);
    let first = app.list(pb::ListVerificationsRequest::default()).await.expect("list");
    let other_filters = pb::ListVerificationsRequest {
        page_token: first.next_page_token,
        statuses: vec![VerificationStatus::Failed as i32],
        ..Default::default()
    };
    assert_eq!(app.list(other_filters).await.expect_err("filter mismatch").code(), Code::InvalidArgument);
}
on_both_stores!(bad_ids_tokens_and_page_sizes_are_invalid_arguments);
