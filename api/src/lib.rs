#![recursion_limit = "512"]
//! The `nanbyo` binary's library: configuration, telemetry, the HTTP application, the CLI
//! subcommands and the benchmarks. `main.rs` only wires these together.

pub mod accounts;
pub mod auth;
pub mod bench;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod forms;
pub mod history;
pub mod http;
pub mod imports;
pub mod nats;
pub mod openapi;
pub mod provision;
pub mod research;
pub mod search;
pub mod startup;
pub mod telemetry;
