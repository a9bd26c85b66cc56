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
pub mod app;
pub mod capped;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod diff;
pub mod error;
pub mod fail_on;
pub mod format;
pub mod generate;
pub mod input;
pub mod interrupt;
pub mod latency;
pub mod line_index;
pub mod merge;
pub mod partial;
pub mod path;
pub mod path_memo;
pub mod progress;
pub mod report;
pub mod routes;
pub mod scan;
pub mod secrets;
pub mod sigbus;
pub mod stage;
pub mod state;
pub mod tally;
pub mod timestamp;
pub mod trend;

pub use error::{Error, Result};
