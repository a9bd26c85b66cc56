//! Parser micro-benchmarks, throughput in bytes of log text.
//!
//! Each benchmark parses every line of 1 MiB of log made by errscope's own
//! generator (the same mix of classes as `errscope generate`), so the figures
//! compare directly with the whole-process numbers of `benches/throughput.sh`.
//!
//! Run with `cargo bench --bench parsers`. `line_split` is the floor: finding the
//! newlines alone, which every format pays before it parses anything.

use std::hint::black_box;
use std::sync::OnceLock;

use divan::counter::BytesCount;
use divan::Bencher;

use errscope::catalog::Catalog;
use errscope::classify::classify;
use errscope::classify::routes::Routes;
use errscope::format::json::JsonFormat;
use errscope::format::nginx::{self, NginxFormat};
use errscope::format::LogFormat;
use errscope::generate::GenerateFormat;
use errscope::generate::Generator;
use errscope::lines::index;

const SAMPLE_BYTES: usize = 1 << 20;

fn main() {
    divan::main();
}

/// About [`SAMPLE_BYTES`] of generated log in `format`, always the same bytes: the
/// first MiB of `errscope generate --bytes 1GiB --seed 1` (same time step per line).
fn generated(format: GenerateFormat) -> Vec<u8> {
    let mut generator = Generator::new(format, 1, (1u64 << 30) / 200);
    let mut out = Vec::with_capacity(SAMPLE_BYTES + 4096);
    while out.len() < SAMPLE_BYTES {
        generator
            .write_line(&mut out)
            .expect("writing to a Vec cannot fail");
    }
    out
}

fn gateway_log() -> &'static [u8] {
    static LOG: OnceLock<Vec<u8>> = OnceLock::new();
    LOG.get_or_init(|| generated(GenerateFormat::Gateway))
}

fn json_log() -> &'static [u8] {
    static LOG: OnceLock<Vec<u8>> = OnceLock::new();
    LOG.get_or_init(|| generated(GenerateFormat::Json))
}

fn gateway_format() -> LogFormat {
    let fmt = nginx::preset("gateway").expect("the gateway preset exists");
    LogFormat::Nginx(NginxFormat::compile_named("gateway", fmt, &[]).expect("preset compiles"))
}

fn json_format() -> LogFormat {
    LogFormat::Json(JsonFormat::new(&[]).expect("default keys compile"))
}

/// The sample's lines, split with memchr as the pipeline does (a byte-by-byte
/// split would cost as much as the parsers being measured).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', data).map(move |end| {
        let line = &data[start..end];
        start = end + 1;
        line
    })
}

/// Parse every line; the sum of statuses keeps the work from being optimized away.
fn parse_all(format: &LogFormat, data: &[u8]) -> u64 {
    lines(data)
        .map(|line| {
            format
                .parse(black_box(line))
                .map_or(0, |f| u64::from(f.status))
        })
        .sum()
}

/// The floor: split the sample into lines with memchr and nothing else.
#[divan::bench(args = ["gateway", "json"])]
fn line_split(bencher: Bencher, which: &str) {
    let data = if which == "json" {
        json_log()
    } else {
        gateway_log()
    };
    bencher
        .counter(BytesCount::of_slice(data))
        .bench(|| memchr::memchr_iter(b'\n', black_box(data)).count());
}

#[divan::bench]
fn nginx_gateway(bencher: Bencher) {
    let (format, data) = (gateway_format(), gateway_log());
    bencher
        .counter(BytesCount::of_slice(data))
        .bench(|| parse_all(&format, data));
}

/// The gateway preset as the pipeline reads it: lines and their quotes listed
/// window by window ([`index::LineIndex::for_each_line`]), each line split from its
/// quotes without searching. Includes finding the lines, which `nginx_gateway`
/// leaves to memchr.
#[divan::bench]
fn nginx_gateway_indexed(bencher: Bencher) {
    let (format, data) = (gateway_format(), gateway_log());
    bencher.counter(BytesCount::of_slice(data)).bench(|| {
        let mut sum = 0u64;
        index::LineIndex::default().for_each_line(black_box(data), &mut |line, quotes| {
            let parsed = match quotes {
                Some((quotes, base)) => format.parse_quoted(line, quotes, base),
                None => format.parse(line),
            };
            sum += parsed.map_or(0, |f| u64::from(f.status));
        });
        sum
    });
}

/// The `combined` preset reads the gateway lines too (their extra fields ignored):
/// a format with fewer variables and no error name.
#[divan::bench]
fn nginx_combined(bencher: Bencher) {
    let fmt = nginx::preset("combined").expect("the combined preset exists");
    let format = LogFormat::Nginx(NginxFormat::compile_named("combined", fmt, &[]).unwrap());
    let data = gateway_log();
    bencher
        .counter(BytesCount::of_slice(data))
        .bench(|| parse_all(&format, data));
}

#[divan::bench]
fn json_lines(bencher: Bencher) {
    let (format, data) = (json_format(), json_log());
    bencher
        .counter(BytesCount::of_slice(data))
        .bench(|| parse_all(&format, data));
}

/// Parse, route and classify each line: what a worker does before it tallies.
#[divan::bench(args = ["gateway", "json"])]
fn parse_and_classify(bencher: Bencher, which: &str) {
    let (format, data) = if which == "json" {
        (json_format(), json_log())
    } else {
        (gateway_format(), gateway_log())
    };
    let catalog = Catalog::embedded();
    let routes = Routes::new(&catalog, &[]).expect("default routes");
    bencher.counter(BytesCount::of_slice(data)).bench(|| {
        lines(data)
            .filter_map(|line| format.parse(black_box(line)).ok())
            .map(|f| {
                let section = f.path.and_then(|p| routes.section_for(p));
                classify(&catalog, section, f.status, f.name).class() as u64
            })
            .sum::<u64>()
    });
}
