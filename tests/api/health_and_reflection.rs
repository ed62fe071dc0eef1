//! `grpc.health.v1` and server reflection, as a client that is not ours would use them.

use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::helpers::{Backend, spawn_app};

#[tokio::test]
async fn health_reports_serving_for_the_service_once_started() {
    // Arrange
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let channel = Channel::from_shared(app.address.clone()).expect("uri").connect().await.expect("connect");
    let mut health = HealthClient::new(channel);
    // Act
    let response = health
        .check(HealthCheckRequest { service: "insurance.verification.v1.VerificationService".into() })
        .await
        .expect("health");
    // Assert
    assert_eq!(response.into_inner().status(), ServingStatus::Serving);
    app.shutdown().await;
}

#[tokio::test]
async fn reflection_lists_the_verification_service() {
    // Arrange
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let channel = Channel::from_shared(app.address.clone()).expect("uri").connect().await.expect("connect");
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    // Act
    let mut stream =
        reflection.server_reflection_info(tokio_stream::iter([request])).await.expect("reflect").into_inner();
    let response = stream.message().await.expect("message").expect("one response");
    // Assert
    let Some(MessageResponse::ListServicesResponse(services)) = response.message_response else {
        panic!("unexpected reflection response");
    };
    let names: Vec<_> = services.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"insurance.verification.v1.VerificationService".to_owned()), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");
    app.shutdown().await;
}
