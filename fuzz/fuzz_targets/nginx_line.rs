//! The nginx `gateway` and `combined` parsers on any line: fields with a status in
//! 100..=599, or a malformed reason; and the same result with or without the fast
//! split of their layout (`format::nginx::layout`), whether it searches for the
//! line's quotes or is given them as a line index lists them (`parse_quoted`).
#![no_main]

use errscope::format::nginx::{self, NginxFormat};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Each preset's parser, and the same format read by the compiled walk alone.
fn parsers() -> &'static [(NginxFormat, NginxFormat)] {
    static PARSERS: OnceLock<Vec<(NginxFormat, NginxFormat)>> = OnceLock::new();
    PARSERS.get_or_init(|| {
        nginx::PRESETS
            .iter()
            .map(|(name, format, _)| {
                let parser = NginxFormat::compile_named(name, format, &[]).unwrap();
                let walk = parser.without_layout();
                (parser, walk)
            })
            .collect()
    })
}

fuzz_target!(|line: &[u8]| {
    for (parser, walk) in parsers() {
        let parsed = parser.parse(line);
        match parsed {
            Ok(fields) => assert!((100..=599).contains(&fields.status)),
            Err(reason) => assert!(!reason.as_str().is_empty()),
        }
        assert_eq!(parsed, walk.parse(line));
        assert_eq!(parsed, parser.parse_listing_quotes(line));
    }
});
