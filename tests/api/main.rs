//! Black-box tests over real gRPC on loopback, against real SQLite files and real PostgreSQL, with the sandbox
//! carrier answering over real HTTP.

mod helpers;
#[path = "../support/mod.rs"]
mod support;

mod access;
mod benefits;
mod directory;
mod faults;
mod health_and_reflection;
mod list;
mod metrics;
mod reliability;
mod restart;
mod submit;
mod x12_routes;
