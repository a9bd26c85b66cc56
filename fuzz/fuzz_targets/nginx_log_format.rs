//! The nginx `log_format` compiler on any format string, and the compiled parser on
//! lines made from the same bytes: an error or a parser, and then a result per line,
//! the same with or without the fast split of nginx's own layouts (formats near the
//! gateway seed reach it), and the same again given the line's quotes as a line
//! index lists them (`parse_quoted`).
#![no_main]

use errscope::format::nginx::NginxFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the format, the rest are lines to parse with it.
    let mut parts = data.split(|&b| b == b'\n');
    let format = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let Ok(parser) = NginxFormat::compile_named("fuzz", &format, &[]) else {
        return;
    };
    let walk = parser.without_layout();
    for line in parts {
        let parsed = parser.parse(line);
        if let Ok(fields) = parsed {
            assert!((100..=599).contains(&fields.status), "{}", fields.status);
        }
        assert_eq!(parsed, walk.parse(line));
        assert_eq!(parsed, parser.parse_listing_quotes(line));
    }
});
