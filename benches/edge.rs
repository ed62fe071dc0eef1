//! The per-request work at the edge: validating a submit into domain values and screening it, measured beside
//! a baseline from the same run (encoding the same request as protobuf, the least any gRPC handler does).
//! Report the ratios, not the absolute figures: this machine is shared and noisy.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use insurance_verifier::api::convert::submission_from_proto;
use insurance_verifier::api::pb;
use insurance_verifier::api::samples::submit_form;
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::screening::Screener;
use prost::Message;
use time::macros::date;

fn form(carrier: &str, member_id: &str) -> pb::SubmitVerificationRequest {
    let mut form = submit_form(carrier, member_id, pb::PlanType::Unknown);
    form.request_id = "form-0001".into();
    form
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
