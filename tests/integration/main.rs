//! Integration tests: run the real binary on fixtures.
mod presets;
