//! errscope reads API-gateway access logs and holds every response up against the
//! API's published error-code catalog.
//!
//! The data flow, one folder per stage:
//!
//! ```text
//! input (paths -> sources; mmap / stream; byte ranges; newline-aligned chunks)
//!   -> lines (line ends and quotes many bytes at a time; memchr)
//!   -> format (one line -> Fields; envelopes; detection; times)
//!   -> classify (path -> section and endpoint; Catalog + section + status + name -> Class)
//!   -> tally (one accumulator per worker thread, exact merge; latencies; capped maps)
//!   -> report (serde model) -> render (text | json | markdown | csv | html | openmetrics)
//!      report::diff (two reports -> what changed), report::trend (many nights)
//!   -> fleet (a run's tally as a partial report, losslessly; many partials merged)
//! ```
//!
//! [`analyze`] drives the stages over every input in parallel; [`catalog`] is the
//! published page they classify against; [`generate`] makes test logs with their
//! ground truth. The command layer, [`command`], sits on top: `main.rs` is a thin
//! shell over [`command::app::main`], and nothing in the library imports it.
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
