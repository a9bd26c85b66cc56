//! Every gateway preset (logfmt, Envoy, Apache, Kong, Caddy, ...) through
//! `format::presets`, and format detection, on any input: a result, never a panic;
//! and detection that drops candidates early gives exactly the outcome of scoring
//! every candidate on the whole sample (`detect::detect_unpruned`).
#![no_main]

use errscope::format::{self, detect, presets, FormatChoice, LogFormat};
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
    // Dropping candidates early changes nothing, plain or as enveloped lines.
    let outcome = |result: errscope::error::Result<(LogFormat, format::Detection)>| match result {
        Ok((f, d)) => Ok((f.name(), d)),
        Err(e) => Err(e.to_string()),
    };
    for enveloped in [false, true] {
        assert_eq!(
            outcome(detect::detect_in(&[], data, enveloped)),
            outcome(detect::detect_unpruned(&[], data, enveloped)),
        );
    }
    // Envelopes: detected and taken off any bytes without a panic.
    let _ = format::build_reading(&FormatChoice::Auto, &[], data);
});
