mod support;
use std::sync::Arc;
use std::time::Instant;
use insurance_verifier::domain::lifecycle::admit;
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::{RouteChoice, ScreeningDecision};
use insurance_verifier::store::Store;
use uuid::Uuid;

async fn run(store: Arc<dyn Store>, label: &str) {
    let total = 4000usize;
    let conc = 32usize;
    let start = Instant::now();
    let tasks: Vec<_> = (0..conc).map(|_| { let s = store.clone(); tokio::spawn(async move {
        let mut lat = Vec::new();
        for _ in 0..total/conc {
            let n = admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), Some(RouteChoice{carrier:"s".into(), payer_id:"p".into()}), time::OffsetDateTime::now_utc());
            let t = Instant::now();
            s.insert_verification(&n).await.unwrap();
            lat.push(t.elapsed());
        }
        lat
    })}).collect();
    let mut lats = Vec::new();
    for t in tasks { lats.extend(t.await.unwrap()); }
    let el = start.elapsed();
    lats.sort();
    println!("{label}: {:.0}/s p50 {:?} p99 {:?}", total as f64 / el.as_secs_f64(), lats[lats.len()/2], lats[lats.len()*99/100]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench() {
    let (s, _d) = support::sqlite_store().await;
    run(Arc::new(s), "sqlite").await;
    let (p, _g) = support::postgres_store().await.unwrap();
    run(Arc::new(p), "postgres").await;
}
