//! Finding lines and the values inside them, many bytes at a time: the second stage
//! of the pipeline, between the input's chunks and the format's parsers.
//!
//! - [`index`]: the line ends and quotes of a stretch of a chunk, 64 bytes at a time
//!   (nginx's own layouts, whose quoted values may hold anything);
//! - [`scan`]: byte searches for short text and the sixteen-byte comparisons both
//!   line parsers build on.
//!
//! Other formats find their lines with `memchr` directly (see [`crate::analyze`]).

pub mod index;
pub mod scan;
