//! The server crate's integration tests, one binary: each module is one
//! area, and they share their helpers (`common`).

mod alignment;
mod alignment_api;
mod alignment_csv;
mod api_v1;
mod auth;
mod check_ins;
mod common;
mod filters;
mod folding;
mod http;
mod lifecycle;
mod pages;
mod planning;
mod reminders;
mod replicas;
mod robustness;
mod security;
mod statements;
mod transfer;
