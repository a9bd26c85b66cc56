//! The command layer: the command line ([`cli`]) and what is made from it (completion
//! scripts and the manual page, [`man`]), what each command does with it and how its
//! output is written ([`app`]), the progress line ([`progress`]) and Ctrl-C
//! handling ([`interrupt`]).
//!
//! The library beneath never depends on this layer: it takes plain options and
//! returns values and errors (checked by `tests/integration/layers.rs`).

mod analyze;
pub mod app;
pub mod cli;
mod generate;
pub mod interrupt;
pub mod man;
pub mod output;
pub mod progress;
