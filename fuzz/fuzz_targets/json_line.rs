//! The JSON-lines parser (default keys, and a nested `--field` set like Kong's) on
//! any line: fields with a status in 100..=599, or a malformed reason; and exactly
//! what the serde walk alone reads (the fast path may only ever agree with it),
//! whether the line is read alone or, split into lines, from the line loop's
//! structural index of a window (`LineIndex`, `parse_indexed`).
#![no_main]

use errscope::format::json::{JsonFormat, LineIndex};
use errscope::format::FieldOverride;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn parsers() -> &'static [JsonFormat] {
    static PARSERS: OnceLock<Vec<JsonFormat>> = OnceLock::new();
    PARSERS.get_or_init(|| {
        let kong: Vec<FieldOverride> = [
            "status=response.status",
            "path=request.uri",
            "name=response.headers.x-error-code",
            "latency=latencies.request:ms",
            "time=started_at:epoch_ms",
            "body=response.body",
        ]
        .iter()
        .map(|s| FieldOverride::parse(s).unwrap())
        .collect();
        vec![
            JsonFormat::new(&[]).unwrap(),
            JsonFormat::new(&kong).unwrap(),
        ]
    })
}

fuzz_target!(|line: &[u8]| {
    for parser in parsers() {
        let parsed = parser.parse(line);
        match parsed {
            Ok(fields) => assert!((100..=599).contains(&fields.status)),
            Err(reason) => assert!(!reason.as_str().is_empty()),
        }
        if !line.trim_ascii().is_empty() {
            assert_eq!(parsed, parser.parse_with_serde(line));
        }
        LineIndex::default().for_each_line(line, &mut |text, at| {
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if let Some(at) = at {
                let indexed = parser.parse_indexed(text, at);
                assert_eq!(indexed, parser.parse(text));
                if !text.trim_ascii().is_empty() {
                    assert_eq!(indexed, parser.parse_with_serde(text));
                }
            }
        });
    }
});
