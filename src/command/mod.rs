//! The command layer: the command line ([`cli`]), what each command does with it and
//! how its output is written ([`app`]), the progress line ([`progress`]) and Ctrl-C
//! handling ([`interrupt`]).
//!
//! The library beneath never depends on this layer: it takes plain options and
//! returns values and errors (checked by `tests/integration/layers.rs`).

mod analyze;
pub mod app;
pub mod cli;
mod generate;
pub mod interrupt;
pub mod output;
pub mod progress;
