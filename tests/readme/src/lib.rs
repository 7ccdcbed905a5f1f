//! The README's examples, compiled and run as doc tests (`cargo test -p portico-readme`): they
//! use only what a new user has, the `portico` facade, poem-openapi and tokio.

/// The README, whose Rust blocks are this crate's doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
