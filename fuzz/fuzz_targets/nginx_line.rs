//! The nginx `gateway` and `combined` parsers on any line: fields with a status in
//! 100..=599, or a malformed reason.
#![no_main]

use errscope::format::nginx::{self, NginxFormat};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn parsers() -> &'static [NginxFormat] {
    static PARSERS: OnceLock<Vec<NginxFormat>> = OnceLock::new();
    PARSERS.get_or_init(|| {
        nginx::PRESETS
            .iter()
            .map(|(name, format, _)| NginxFormat::compile_named(name, format, &[]).unwrap())
            .collect()
    })
}

fuzz_target!(|line: &[u8]| {
    for parser in parsers() {
        match parser.parse(line) {
            Ok(fields) => assert!((100..=599).contains(&fields.status)),
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
});
