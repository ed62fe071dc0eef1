//! Insurance verification service for an addiction-treatment clinic.
//!
//! The website's insurance form calls [`api`] over gRPC. A request is validated into [`domain`] values,
//! [`screening`] refuses Medicaid and Medicare up front, [`store`] makes it durable, and [`dispatch`] sends
//! everything else to the carrier through a [`carriers`] connector, screens the answer again and stores the
//! normalised result. [`sandbox`] is a built-in carrier simulator for the default run, tests and benchmarks.
//! [`startup`] wires it all together from [`config`]; [`telemetry`] sets up PHI-safe logs and traces.
//! [`loadgen`] drives a running service over gRPC and reports throughput and latency against baselines.
#![forbid(unsafe_code)]

pub mod api;
pub mod carriers;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod explain;
/// Liveness and readiness for the gRPC health service and HTTP probes, kept in step with the store.
pub mod health;
pub mod loadgen;
pub mod report;
pub mod sandbox;
pub mod screening;
pub mod startup;
pub mod store;
pub mod telemetry;
