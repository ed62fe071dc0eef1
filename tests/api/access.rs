//! Bearer tokens and roles.

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use tonic::Code;

use crate::helpers::{ADMISSIONS_TOKEN, Backend, OPS_TOKEN, WEBSITE_TOKEN, form, spawn_app, with_token};

#[tokio::test]
async fn each_role_may_call_only_its_rpcs() {
    // Arrange
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let mut client = app.client().await;
    // Act
    let by_admissions =
        client.submit_verification(with_token(form("Cigna", "ACT700001", PlanType::Employer), ADMISSIONS_TOKEN)).await;
    let by_ops = client.list_verifications(with_token(pb::ListVerificationsRequest::default(), OPS_TOKEN)).await;
    let by_website =
        client.list_verifications(with_token(pb::ListVerificationsRequest::default(), WEBSITE_TOKEN)).await;
    let allowed =
        client.list_verifications(with_token(pb::ListVerificationsRequest::default(), ADMISSIONS_TOKEN)).await;
    // Assert
    assert_eq!(by_admissions.expect_err("denied").code(), Code::PermissionDenied);
    assert_eq!(by_ops.expect_err("denied").code(), Code::PermissionDenied);
    assert_eq!(by_website.expect_err("denied").code(), Code::PermissionDenied);
    assert!(allowed.is_ok());
    app.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_unauthenticated_and_nothing_is_stored() {
    // Arrange
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let mut client = app.client().await;
    // Act
    let without = client.submit_verification(form("Cigna", "ACT700002", PlanType::Employer)).await;
    let unknown = client
        .submit_verification(with_token(form("Cigna", "ACT700003", PlanType::Employer), "not-a-real-token-at-all"))
        .await;
    // Assert
    assert_eq!(without.expect_err("unauthenticated").code(), Code::Unauthenticated);
    assert_eq!(unknown.expect_err("unauthenticated").code(), Code::Unauthenticated);
    let listed = app.list(pb::ListVerificationsRequest::default()).await.expect("list");
    assert!(listed.verifications.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn without_tokens_the_service_refuses_to_listen_beyond_loopback() {
    // Arrange
    let mut settings = crate::helpers::test_settings();
    settings.auth = Default::default();
    settings.listen_addr = "0.0.0.0:0".parse().expect("addr");
    // Act
    let built = insurance_verifier::startup::Application::build(settings).await;
    // Assert
    let error = built.err().expect("refused").to_string();
    assert!(error.contains("loopback"), "{error}");
}
