//! The per-request work at the edge: validating a submit into domain values and screening it, measured beside
//! a baseline from the same run (encoding the same request as protobuf, the least any gRPC handler does).
//! Report the ratios, not the absolute figures: this machine is shared and noisy.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use insurance_verifier::api::convert::submission_from_proto;
use insurance_verifier::api::pb;
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::screening::Screener;
use prost::Message;
use time::macros::date;

fn form(carrier: &str, member_id: &str) -> pb::SubmitVerificationRequest {
    pb::SubmitVerificationRequest {
        applicant: Some(pb::Person {
            first_name: "Jordan".into(),
            last_name: "Sample".into(),
            middle_name: String::new(),
            date_of_birth: "1988-04-12".into(),
        }),
        relationship: pb::SubscriberRelationship::Self_ as i32,
        subscriber: None,
        card: Some(pb::InsuranceCard {
            carrier_name: carrier.into(),
            plan_name: String::new(),
            payer_id: String::new(),
            member_id: member_id.into(),
            group_number: "GRP-2001".into(),
            plan_type: pb::PlanType::Unknown as i32,
        }),
        contact: Some(pb::Contact {
            phone: "(502) 555-0142".into(),
            email: "jordan.sample@example.org".into(),
            preferred_time: "mornings".into(),
        }),
        consent: true,
        source: "website".into(),
        request_id: "form-0001".into(),
        wait_for_result: None,
    }
}

fn edge(c: &mut Criterion) {
    let screener = Screener::embedded();
    let commercial = form("Anthem Blue Cross Blue Shield", "XJH123456789");
    let medicaid_brand = form("Pasport by Molina", "XJH123456789");
    let today = date!(2026 - 11 - 27);
    let mut group = c.benchmark_group("edge");

    group.bench_function("baseline: protobuf encode of the submit", |b| {
        b.iter(|| black_box(black_box(&commercial).encode_to_vec()))
    });
    group.bench_function("validate submit into domain values", |b| {
        b.iter(|| black_box(submission_from_proto(black_box(commercial.clone()), today)))
    });
    let card = sample_request().card;
    group.bench_function("screen a commercial card", |b| {
        b.iter(|| black_box(screener.screen_request(black_box(&card))))
    });
    let misspelt = submission_from_proto(medicaid_brand, today).map(|s| s.request.card).ok();
    if let Some(misspelt) = misspelt {
        group.bench_function("screen a misspelt Medicaid brand", |b| {
            b.iter(|| black_box(screener.screen_request(black_box(&misspelt))))
        });
    }
    let request = sample_request();
    group.bench_function("request fingerprint (idempotency digest)", |b| {
        b.iter(|| black_box(black_box(&request).fingerprint()))
    });
    group.finish();
}

criterion_group!(benches, edge);
criterion_main!(benches);
