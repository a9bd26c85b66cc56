//! errscope reads API-gateway access logs and holds every response up against the
//! API's published error-code catalog.
//!
//! The data flow, one module per step:
//!
//! ```text
//! input (mmap / stream, newline-aligned chunks)
//!   -> lines (memchr; or line_index: line ends and quotes, for nginx's own layouts)
//!   -> format (one line -> Fields)  -> routes (path -> section; path_memo: once per path)
//!   -> classify (Catalog + section + status + name -> Class)
//!   -> tally (one accumulator per worker thread, exact merge; latency: its latencies)
//!   -> report (serde model) -> render (text | json | markdown | csv | html)
//!   -> diff (two reports -> what changed)
//!   -> partial (a run's tally, losslessly) -> merge (many partials -> one analysis)
//! ```
//!
//! `main.rs` is a thin shell over [`app::run`].
//!
//! The library is errscope's own insides, not an API for other crates: its docs are
//! for the people working on it, built with `cargo doc --document-private-items`
//! (CI builds them so, with warnings as errors), and so may link private items.
#![allow(rustdoc::private_intra_doc_links)]
// Every public item says what it is (CI denies warnings, so a new one must too).
#![warn(missing_docs)]

pub mod analyze;
pub mod catalog;
pub mod classify;
pub mod command;
pub mod error;
pub mod fleet;
pub mod format;
pub mod generate;
pub mod input;
pub mod lines;
pub mod report;
pub mod tally;

pub use error::{Error, Result};
