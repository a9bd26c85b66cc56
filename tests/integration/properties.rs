//! Properties over the library API (proptest, kept to small case counts):
//!
//! - any byte string given to any line parser gives fields with a status in
//!   100..=599 or a malformed reason, never a panic; so do the `log_format`
//!   compiler and the catalog page parser on any text;
//! - the report of an input does not depend on the chunk size it is cut into, and
//!   its accounting holds: lines = sum of classes, bytes = the input's size;
//! - a generated log of any seed in any envelope, gateway text or JSON lines, cut
//!   into chunks of any size, counts exactly as the generator's truth says.
//!
//! (Merging in any grouping and order is a property test in `src/analyze/mod.rs`,
//! where the per-chunk results are visible.)

use errscope::analyze::{analyze_bytes, Options};
use errscope::catalog::Catalog;
use errscope::classify::routes::Routes;
use errscope::format::json::JsonFormat;
use errscope::format::nginx::NginxFormat;
use errscope::format::{presets, FormatChoice, LogFormat};
use errscope::generate::Generator;
use errscope::generate::{GenerateEnvelope, GenerateFormat};
use errscope::report;
use proptest::prelude::*;

const SAMPLE: &[u8] = include_bytes!("../../fixtures/sample.log");
const SAMPLE_JSON: &[u8] = include_bytes!("../../fixtures/sample.jsonl");

fn sample_lines(sample: &'static [u8]) -> Vec<&'static [u8]> {
    sample.split(|&b| b == b'\n').collect()
}

/// Bytes shaped like log lines: real lines, lines with bytes changed, and noise.
fn log_bytes(sample: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        6 => proptest::sample::select(sample_lines(sample)).prop_map(<[u8]>::to_vec),
        2 => (proptest::sample::select(sample_lines(sample)), any::<prop::sample::Index>(), any::<u8>())
            .prop_map(|(l, i, b)| {
                let mut l = l.to_vec();
                if !l.is_empty() {
                    let i = i.index(l.len());
                    l[i] = b;
                }
                l
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..60),
        1 => proptest::collection::vec(prop::sample::select(b"\"[] -{}:,\\\r\t0123456789".to_vec()), 0..60),
    ];
    proptest::collection::vec(line, 0..40).prop_map(|lines| lines.join(&b'\n'))
}

fn parsers() -> Vec<LogFormat> {
    let mut all: Vec<LogFormat> = presets::PRESETS
        .iter()
        .map(|p| p.build(&[]).unwrap())
        .collect();
    all.push(LogFormat::Json(JsonFormat::new(&[]).unwrap()));
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_parser_classifies_any_line(line in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        log_bytes(SAMPLE),
        log_bytes(SAMPLE_JSON),
    ]) {
        for parser in parsers() {
            match parser.parse(&line) {
                Ok(fields) => prop_assert!((100..=599).contains(&fields.status), "{}", fields.status),
                Err(reason) => prop_assert!(!reason.as_str().is_empty()),
            }
        }
    }

    #[test]
    fn log_format_compiler_takes_any_text(
        format in "([$]{0,2}[a-z_{}]{0,12}[ \"\\[\\]|-]{0,3}){0,8}",
        line in log_bytes(SAMPLE),
    ) {
        if let Ok(parser) = NginxFormat::compile_named("prop", &format, &[]) {
            for l in line.split(|&b| b == b'\n') {
                if let Ok(fields) = parser.parse(l) {
                    prop_assert!((100..=599).contains(&fields.status));
                }
            }
        }
    }

    #[test]
    fn catalog_parser_takes_any_text(page in "(#{0,3} ?[|:\\-`{}#a-zA-Z_0-9 ]{0,30}\n){0,20}") {
        match Catalog::from_markdown(&page, "prop") {
            Ok(catalog) => prop_assert!(!catalog.sections().is_empty()),
            Err(e) => prop_assert!(e.to_string().starts_with("catalog prop")),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any chunk size gives the report of the whole input read as one chunk, and
    /// the report accounts for every line and byte.
    #[test]
    fn chunk_size_never_changes_the_report(
        data in prop_oneof![log_bytes(SAMPLE), log_bytes(SAMPLE_JSON)],
        chunk in 1usize..400,
    ) {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let format = if data.starts_with(b"{") {
            FormatChoice::Json
        } else {
            FormatChoice::NginxPreset("gateway".into())
        };
        let opts = |chunk_size| Options {
            format: format.clone(),
            chunk_size,
            max_names: 3,
            max_endpoints: 3,
            max_examples: 3,
            bucket_ms: Some(600_000),
            ..Options::default()
        };
        let whole = analyze_bytes("mem.log", &data, &catalog, &routes, &opts(usize::MAX));
        let whole = report::build(&whole, &catalog);
        let cut = analyze_bytes("mem.log", &data, &catalog, &routes, &opts(chunk));
        let cut = report::build(&cut, &catalog);
        prop_assert_eq!(&cut, &whole);
        let t = &whole.totals;
        prop_assert_eq!(t.classes.sum() + t.unclassified(), t.lines);
        prop_assert_eq!(t.bytes, data.len() as u64);
        let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        let unterminated = u64::from(!data.is_empty() && !data.ends_with(b"\n"));
        prop_assert_eq!(t.lines, newlines + unterminated);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// `generate --envelope` for any seed and length, read with `--format auto` in
    /// chunks of any size: the report's counts are the truth's, row by row
    /// (`tests/integration/envelopes.rs` reads such logs through every strategy of
    /// the binary).
    #[test]
    fn generated_envelopes_count_as_their_truth(
        seed in any::<u64>(),
        records in 1u64..300,
        chunk in 1usize..4000,
        envelope in proptest::sample::select(vec![
            GenerateEnvelope::Cri,
            GenerateEnvelope::Docker,
            GenerateEnvelope::Compose,
            GenerateEnvelope::Syslog,
            GenerateEnvelope::Syslog5424,
        ]),
        format in proptest::sample::select(vec![GenerateFormat::Gateway, GenerateFormat::Json]),
    ) {
        let mut generator = Generator::new(format, seed, records).in_envelope(Some(envelope));
        let mut log = Vec::new();
        for _ in 0..records {
            generator.write_line(&mut log).unwrap();
        }
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let opts = Options { chunk_size: chunk, ..Options::default() };
        let analysis = analyze_bytes("mem.log", &log, &catalog, &routes, &opts);
        prop_assert!(analysis.inputs[0].envelope.is_some(), "{:?}", analysis.inputs[0]);
        let r = report::build(&analysis, &catalog);
        prop_assert_eq!(crate::util::as_truth(&r), generator.truth);
    }
}
