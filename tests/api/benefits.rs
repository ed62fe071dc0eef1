//! The benefit summary over the API: structured visit limits, plan dates, network indicators, the carrier's
//! rejections with follow-up actions, and the same summary read back into the domain and rendered for people.

use insurance_verifier::api::convert::benefits_from_proto;
use insurance_verifier::api::pb;
use insurance_verifier::api::pb::{PlanType, VerificationOutcome, VerificationStatus};
use insurance_verifier::report::render_summary;

use crate::helpers::{TestApp, form, wait};
use crate::on_both_stores;

async fn an_active_members_summary_carries_structured_limits_and_plan_dates(app: &TestApp) {
    // Arrange
    let mut message = form("Anthem Blue Cross Blue Shield", "ACT100201", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    let stored = app.get(&verification.id).await.expect("stored");

    // Assert: the same summary in the reply and from the store.
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    let benefits = stored.benefits.clone().expect("benefits");
    assert_eq!(Some(&benefits), verification.benefits.as_ref(), "the stored summary is the one replied");
    let dates = benefits.plan_dates.clone().expect("plan dates");
    assert!(!dates.plan_begin.is_empty() && !dates.plan_end.is_empty(), "{dates:?}");
    assert_eq!(benefits.plan_begin_date, dates.plan_begin);
    let substance = benefits.categories.iter().find(|c| c.service_type_code == "AI").expect("substance abuse");
    let limit = substance.visit_limits.first().expect("a structured visit limit");
    assert_eq!(limit.quantity, Some(30.0));
    assert_eq!((limit.unit_code.as_str(), limit.unit.as_str()), ("VS", "visits"));
    assert_eq!((limit.period_code.as_str(), limit.period.as_str()), ("23", "calendar year"));
    assert_eq!(limit.remaining, None, "not given by the carrier: unknown, not zero");
    assert!(benefits.rejections.is_empty());

    // The API's summary reads back into the domain and renders what admissions reads out.
    let domain = benefits_from_proto(&benefits);
    let text = render_summary(&domain);
    assert!(text.contains("visit limit: 30 visits per calendar year, remaining unknown"), "{text}");
    assert!(text.contains("[AI] Substance abuse: active"), "{text}");
}
on_both_stores!(an_active_members_summary_carries_structured_limits_and_plan_dates);

async fn a_member_not_found_shows_the_carriers_rejection_and_follow_up(app: &TestApp) {
    // Arrange: the sandbox answers NF… with AAA 75 on HTTP 400, follow-up "Please Correct and Resubmit".
    let mut message = form("Humana", "NF300201", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    let verification = app.wait_until_final(&verification.id).await;

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed);
    assert_eq!(verification.outcome(), VerificationOutcome::MemberNotFound);
    assert!(verification.status_detail.contains("Please Correct and Resubmit"), "{}", verification.status_detail);
    assert!(verification.status_detail.contains("member ID"), "{}", verification.status_detail);
    assert!(!verification.status_detail.contains("NF300201"), "never the member ID itself");
    let attempt = verification.attempts.last().expect("an attempt");
    assert_eq!(attempt.error_code, "AAA:75");
    assert!(attempt.detail.contains("follow-up C"), "{}", attempt.detail);
    let benefits = verification.benefits.expect("the carrier's rejections are kept");
    let rejection = benefits.rejections.first().expect("a rejection");
    assert_eq!(rejection.code, "75");
    assert_eq!(rejection.rejection_class(), pb::RejectionClass::FixApplicant);
    assert_eq!(rejection.field(), pb::ApplicantField::MemberIdentity);
    let follow_up = rejection.follow_up.clone().expect("follow-up");
    assert_eq!((follow_up.code.as_str(), follow_up.meaning.as_str()), ("C", "Please Correct and Resubmit"));
    assert!(benefits.categories.is_empty(), "no benefits for a member the carrier did not find");
}
on_both_stores!(a_member_not_found_shows_the_carriers_rejection_and_follow_up);

async fn a_government_plan_in_the_answer_is_stored_with_its_rule_and_summary(app: &TestApp) {
    // Arrange: Humana is forwarded on its name; the sandbox's MA… answer is a Medicare Advantage plan.
    let mut message = form("Humana", "MA300202", PlanType::Unknown);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    let stored = app.get(&verification.id).await.expect("stored");

    // Assert
    assert_eq!(stored.outcome(), VerificationOutcome::GovernmentPlanFound);
    let screening = stored.screening.expect("screening");
    assert_eq!(screening.rule, "answer:insurance_type");
    assert!(!screening.reason.is_empty());
    assert!(stored.status_detail.contains("government plan"), "{}", stored.status_detail);
    assert!(stored.benefits.is_some(), "the answer's summary is kept for the referral call");
}
on_both_stores!(a_government_plan_in_the_answer_is_stored_with_its_rule_and_summary);
