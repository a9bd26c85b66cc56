//! Every gateway preset (logfmt, Envoy, Apache, Kong, Caddy, ...) through
//! `format::presets`, and format detection, on any input: a result, never a panic.
#![no_main]

use errscope::format::{self, presets, FormatChoice, LogFormat};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn parsers() -> &'static [LogFormat] {
    static PARSERS: OnceLock<Vec<LogFormat>> = OnceLock::new();
    PARSERS.get_or_init(|| {
        presets::PRESETS
            .iter()
            .map(|p| p.build(&[]).unwrap())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        for parser in parsers() {
            match parser.parse(line) {
                Ok(fields) => assert!((100..=599).contains(&fields.status)),
                Err(reason) => assert!(!reason.as_str().is_empty()),
            }
        }
    }
    // Auto detection over the whole input as a sample: a format or an error.
    let _ = format::build_detected(&FormatChoice::Auto, &[], data);
    // Envelopes: detected and taken off any bytes without a panic.
    let _ = format::build_reading(&FormatChoice::Auto, &[], data);
});
