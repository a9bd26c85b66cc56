//! A deterministic generator of realistic gateway logs with known ground truth: every
//! line is made as one class on purpose (documented codes in their sections,
//! injected status mismatches, wrong-section names, undocumented names, unnamed
//! errors, malformed lines), and the expected counts are written beside the log.
//! Tests and benchmarks use it; big inputs are generated, never committed. The
//! `errscope generate` command that writes a log and its truth to files is
//! `command::generate`.
//!
//! With an envelope (`--envelope`, [`GenerateEnvelope`]) every line is wrapped as
//! a log collector writes it, around the same records the plain log of that seed
//! holds: some long records split into continued pieces (CRI `P` lines, Docker
//! entries without their `\n`), and the gateway's startup and runtime messages
//! in between. The truth then counts as errscope's documented rule for envelopes
//! does (docs/reference.md, "Envelopes"): the messages and the malformed lines that
//! are no record at all (a TLS handshake's bytes, an error message) are
//! `not_access`, a cut record or a bad status stays `malformed`, and each piece
//! but the last of a split record is `continued`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Entry};
use crate::classify::Class;
use crate::format::timestamp::{format_iso8601_local, format_rfc3339, format_time_local};
use crate::report::ClassCounts;

/// `generate --format`: what the generated log is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateFormat {
    /// nginx text in the `gateway` preset.
    Gateway,
    /// JSON lines.
    Json,
}

/// `generate --envelope`: the envelopes errscope takes off
/// ([`crate::format::envelope`]), syslog in both of its RFCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateEnvelope {
    /// CRI (containerd, CRI-O): `TIME STREAM P|F RECORD`.
    Cri,
    /// Docker's json-file driver: `{"log":"RECORD\n","stream":…,"time":…}`.
    Docker,
    /// docker compose's prefix: `NAME  | RECORD`.
    Compose,
    /// Syslog, RFC 3164: `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: RECORD`.
    Syslog,
    /// Syslog, RFC 5424: `<PRI>1 TIME HOST APP PROCID - - RECORD`.
    Syslog5424,
}

/// The expected analysis of a generated log, keyed as the report keys its rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truth {
    /// Lines written.
    pub lines: u64,
    /// Lines per class, on purpose.
    pub classes: ClassCounts,
    /// `section/NAME` -> documented lines.
    pub documented: BTreeMap<String, u64>,
    /// `section/NAME/observed status` -> lines.
    pub status_mismatches: BTreeMap<String, u64>,
    /// `section/NAME/status` -> lines.
    pub wrong_section: BTreeMap<String, u64>,
    /// name -> lines.
    pub undocumented: BTreeMap<String, u64>,
    /// status -> lines.
    pub unnamed_errors: BTreeMap<String, u64>,
    /// Lines with a path no default route matches.
    pub unrouted: u64,
    /// Lines that are not access records, records with no response, and lines
    /// continued on the next (report `totals` of the same names); absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_access: u64,
    /// Records written with no response.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub no_response: u64,
    /// Lines written continued on the next one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub continued: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Names the catalog does not list, with the status a gateway sends them with.
/// Two differ from catalog names only by case.
pub const UNDOCUMENTED: &[(&str, u16)] = &[
    ("ANONYMOUS_ACCESS_QUOTA_EXCEEDS", 429),
    ("invalid_api_key", 401),
    ("MODEL_OVERLOADED", 503),
    ("CONTEXT_LENGTH_EXCEEDED", 400),
    ("Rate_Limit_Exceeded", 429),
];

/// Request paths per section id, as the platform's clients call them.
const PATHS: &[(&str, &[&str])] = &[
    (
        "media",
        &[
            "/v3/async/txt2img",
            "/v3/async/img2img",
            "/v3/async/task-result?task_id=",
            "/v3/remove-background",
            "/v2/txt2img",
        ],
    ),
    (
        "llm",
        &[
            "/v3/openai/chat/completions",
            "/openai/v1/chat/completions",
            "/v3/openai/models",
        ],
    ),
    (
        "billing",
        &[
            "/openapi/v1/billing/bill/list?cycle=2026-11",
            "/openapi/v1/billing/balance",
        ],
    ),
];
const UNROUTED_PATHS: &[&str] = &["/healthz", "/favicon.ico", "/robots.txt"];

const USER_AGENTS: &[&str] = &[
    "python-requests/2.31.0",
    "OpenAI/Python 1.52.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0",
    "Go-http-client/2.0",
];
const CLIENTS: &[&str] = &[
    "203.0.113.7",
    "198.51.100.23",
    "192.0.2.146",
    "2001:db8::1f",
    "203.0.113.250",
];

/// 2026-11-26T00:00:00+08:00, where every generated day starts.
const START_MS: i64 = 1_795_622_400_000;
const OFFSET_MIN: i32 = 480;

/// Per-mille weights of the classes drawn for each line.
const WEIGHTS: &[(Class, u32)] = &[
    (Class::Ok, 800),
    (Class::Documented, 100),
    (Class::StatusMismatch, 20),
    (Class::WrongSection, 15),
    (Class::Undocumented, 15),
    (Class::UnnamedError, 30),
    (Class::Malformed, 20),
];

/// SplitMix64: small, fast, and the same sequence on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// One request as the generator decided it.
struct Request {
    time_ms: i64,
    client: &'static str,
    method: &'static str,
    path: String,
    status: u16,
    latency_us: u64,
    name: Option<String>,
    body: Option<String>,
}

/// Writes a generated log line by line, counting each line's class in `truth`.
pub struct Generator {
    catalog: Catalog,
    format: GenerateFormat,
    rng: Rng,
    time_ms: i64,
    step_ms: u64,
    /// Access records written so far (lines, without an envelope).
    records: u64,
    /// The seed the log was made from; an envelope's own sequence derives from it.
    seed: u64,
    /// The envelope every line is wrapped in, if any.
    envelope: Option<Wrapping>,
    /// What was written so far, as the report should count it.
    pub truth: Truth,
}

/// An envelope being written: its kind, its own random sequence (so the records
/// inside are those of the plain log of the same seed), and a record's bytes
/// before they are wrapped.
struct Wrapping {
    kind: GenerateEnvelope,
    rng: Rng,
    record: Vec<u8>,
}

impl Generator {
    /// A generator for about `expected_lines` lines spread over one day.
    pub fn new(format: GenerateFormat, seed: u64, expected_lines: u64) -> Generator {
        Generator {
            catalog: Catalog::embedded(),
            format,
            rng: Rng(seed),
            time_ms: START_MS,
            step_ms: (2 * 86_400_000 / expected_lines.max(1)).max(1),
            records: 0,
            seed,
            envelope: None,
            truth: Truth::default(),
        }
    }

    /// Wrap every line in `envelope` (none: plain lines). The records are the same
    /// either way; see the module doc.
    pub fn in_envelope(mut self, envelope: Option<GenerateEnvelope>) -> Generator {
        self.envelope = envelope.map(|kind| Wrapping {
            kind,
            // "envelope" in ASCII: a sequence of its own, the same for every kind.
            rng: Rng(self.seed ^ 0x656e_7665_6c6f_7065),
            record: Vec::new(),
        });
        self
    }

    /// Start the log `day` days after 2026-11-26 (the same lines, a later date), so
    /// that a week of generated nights has a night per date.
    pub fn starting_on_day(mut self, day: u32) -> Generator {
        self.time_ms = START_MS + i64::from(day) * 86_400_000;
        self
    }

    /// The first `lines` lines of the log seeded with `seed`, newlines included: the
    /// generated input of unit tests.
    #[cfg(test)]
    pub fn log(format: GenerateFormat, seed: u64, lines: u64) -> Vec<u8> {
        let mut generator = Generator::new(format, seed, lines);
        let mut log = Vec::new();
        for _ in 0..lines {
            generator.write_line(&mut log).expect("writing to memory");
        }
        log
    }

    /// Write the next access record (with its newline) to `out`; in an envelope,
    /// wrapped, possibly split, and possibly after runtime messages, each a line of
    /// its own.
    pub fn write_line(&mut self, out: &mut impl Write) -> io::Result<()> {
        let Some(mut wrapping) = self.envelope.take() else {
            return self.write_record(out, false);
        };
        let mut record = std::mem::take(&mut wrapping.record);
        record.clear();
        let written = self.write_record(&mut record, true);
        let wrapped = written.and_then(|()| self.wrap(&mut wrapping, &record, out));
        wrapping.record = record;
        self.envelope = Some(wrapping);
        wrapped
    }

    /// Write the next access record (with its newline) to `out`, as it is, counting
    /// it as it will read in an envelope (`enveloped`) or without.
    fn write_record(&mut self, out: &mut impl Write, enveloped: bool) -> io::Result<()> {
        // The first lines show one of each class, so even a tiny sample has them all.
        let class = match WEIGHTS.get(self.records as usize) {
            Some(&(class, _)) => class,
            None => {
                let mut roll = self.rng.below(1000) as u32;
                WEIGHTS
                    .iter()
                    .find(|(_, w)| {
                        let hit = roll < *w;
                        roll = roll.saturating_sub(*w);
                        hit
                    })
                    .map_or(Class::Ok, |(c, _)| *c)
            }
        };
        self.time_ms += self.rng.below(self.step_ms) as i64;
        self.truth.lines += 1;
        self.records += 1;
        if class == Class::Malformed {
            let record = self.write_malformed(out)?;
            // In an envelope, a line that is no record at all is the program's
            // other output (docs/reference.md, "Envelopes").
            if record || !enveloped {
                self.truth.classes.malformed += 1;
            } else {
                self.truth.not_access += 1;
            }
            return Ok(());
        }
        let request = self.request(class);
        match self.format {
            GenerateFormat::Gateway => write_gateway(&mut self.rng, &request, out),
            GenerateFormat::Json => write_json(&mut self.rng, &request, out),
        }
    }

    fn section_paths(&self, section: usize) -> &'static [&'static str] {
        let id = &self.catalog.sections()[section].id;
        PATHS
            .iter()
            .find(|(s, _)| s == id)
            .map_or(UNROUTED_PATHS, |(_, p)| p)
    }

    fn path(&mut self, section: usize) -> String {
        let p = self.rng.pick(self.section_paths(section));
        if p.ends_with('=') {
            format!("{p}{:016x}", self.rng.next())
        } else {
            p.to_string()
        }
    }

    fn section(&mut self) -> usize {
        // media 60 %, llm 30 %, billing 10 %.
        match self.rng.below(10) {
            0..=5 => 0,
            6..=8 => 1,
            _ => 2,
        }
    }

    fn entry(&mut self, section: usize) -> Entry {
        let entries = &self.catalog.sections()[section].entries;
        entries[self.rng.below(entries.len() as u64) as usize].clone()
    }

    fn request(&mut self, class: Class) -> Request {
        let section = self.section();
        let sid = self.catalog.sections()[section].id.clone();
        let (path, status, name) = match class {
            Class::Ok => {
                let status = self
                    .rng
                    .pick(&[200, 200, 200, 200, 200, 200, 201, 204, 301, 304]);
                let path = if self.rng.chance(50) {
                    self.truth.unrouted += 1;
                    self.rng.pick(UNROUTED_PATHS).to_string()
                } else {
                    self.path(section)
                };
                self.truth.classes.ok += 1;
                (path, status, None)
            }
            Class::Documented => {
                let e = self.entry(section);
                let t = &mut self.truth;
                t.classes.documented += 1;
                *t.documented.entry(format!("{sid}/{}", e.name)).or_default() += 1;
                (self.path(section), e.status, Some(e.name))
            }
            Class::StatusMismatch => {
                let e = self.entry(section);
                let others: Vec<u16> = [400, 401, 403, 404, 429, 500, 502, 503]
                    .into_iter()
                    .filter(|s| *s != e.status)
                    .collect();
                let status = self.rng.pick(&others);
                let t = &mut self.truth;
                t.classes.status_mismatch += 1;
                *t.status_mismatches
                    .entry(format!("{sid}/{}/{status}", e.name))
                    .or_default() += 1;
                (self.path(section), status, Some(e.name))
            }
            Class::WrongSection => {
                // A name from another section that this one does not list.
                let (name, status) = loop {
                    let other = self.section();
                    if other == section {
                        continue;
                    }
                    let e = self.entry(other);
                    let id = self
                        .catalog
                        .name_id(e.name.as_bytes())
                        .expect("catalog name");
                    if self.catalog.status_in(section as u8, id).is_none() {
                        break (e.name, e.status);
                    }
                };
                let t = &mut self.truth;
                t.classes.wrong_section += 1;
                *t.wrong_section
                    .entry(format!("{sid}/{name}/{status}"))
                    .or_default() += 1;
                (self.path(section), status, Some(name))
            }
            Class::Undocumented => {
                let (name, status) = self.rng.pick(UNDOCUMENTED);
                let t = &mut self.truth;
                t.classes.undocumented += 1;
                *t.undocumented.entry(name.to_string()).or_default() += 1;
                (self.path(section), status, Some(name.to_string()))
            }
            Class::UnnamedError => {
                let status = self.rng.pick(&[404, 404, 499, 500, 502, 504]);
                let path = if status == 404 {
                    self.truth.unrouted += 1;
                    "/v1/unknown-route".to_string()
                } else {
                    self.path(section)
                };
                let t = &mut self.truth;
                t.classes.unnamed_error += 1;
                *t.unnamed_errors.entry(status.to_string()).or_default() += 1;
                (path, status, None)
            }
            Class::Malformed => unreachable!("malformed lines are written raw"),
        };
        let latency_us = match status {
            504 => 60_000_000 + self.rng.below(5_000),
            s if s >= 400 => 1_000 + self.rng.below(80_000),
            _ => 20_000 + self.rng.below(2_000_000),
        };
        let body = match (&name, status) {
            (Some(n), _) => Some(format!(
                r#"{{"code":{status},"reason":"{n}","message":"request failed","metadata":{{}}}}"#
            )),
            (None, 404) => Some("404 page not found".to_string()),
            _ => None,
        };
        Request {
            time_ms: self.time_ms,
            client: self.rng.pick(CLIENTS),
            method: if self.rng.chance(700) { "POST" } else { "GET" },
            path,
            status,
            latency_us,
            name,
            body,
        }
    }

    /// Write a malformed line; whether it is a record of the format at all (a cut
    /// record, a bad status), rather than other bytes (see the module doc).
    fn write_malformed(&mut self, out: &mut impl Write) -> io::Result<bool> {
        match self.rng.below(4) {
            // A TLS handshake sent to the plain-HTTP port: binary, not UTF-8.
            0 => out
                .write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\xee\xc0\xff\n")
                .map(|()| false),
            // A line cut before its status (a crash mid-write).
            1 => {
                let ts = format_time_local(self.time_ms, OFFSET_MIN);
                match self.format {
                    GenerateFormat::Gateway => {
                        writeln!(out, r#"198.51.100.23 - - [{ts}] "POST /v3/async/txt2im"#)
                    }
                    GenerateFormat::Json => {
                        writeln!(out, r#"{{"time":"{ts}","uri":"/v3/async/txt2im"#)
                    }
                }
                .map(|()| true)
            }
            // A status out of range.
            2 => {
                let request = Request {
                    time_ms: self.time_ms,
                    client: "192.0.2.146",
                    method: "GET",
                    path: "/v3/async/task-result".into(),
                    status: 999,
                    latency_us: 1000,
                    name: None,
                    body: None,
                };
                match self.format {
                    GenerateFormat::Gateway => write_gateway(&mut self.rng, &request, out),
                    GenerateFormat::Json => write_json(&mut self.rng, &request, out),
                }
                .map(|()| true)
            }
            // Text that is no log line at all.
            _ => out
                .write_all(
                    b"upstream prematurely closed connection while reading response header\n",
                )
                .map(|()| false),
        }
    }

    /// Write `record` (with its newline) to `out` in the envelope: the startup
    /// messages before the first record, now and then a runtime message, and a
    /// long record sometimes split into pieces.
    fn wrap(&mut self, w: &mut Wrapping, record: &[u8], out: &mut impl Write) -> io::Result<()> {
        let startup = if self.records == 1 {
            STARTUP_MESSAGES
        } else {
            0
        };
        let runtime = u64::from(w.rng.chance(RUNTIME_MESSAGE_PER_MILLE));
        for _ in 0..startup + runtime {
            let message = self.message(&mut w.rng);
            self.truth.lines += 1;
            self.truth.not_access += 1;
            write_wrapped(w.kind, self.time_ms, &[message.as_bytes()], "stderr", out)?;
        }
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        // Runtimes split a line longer than their buffer (16 KiB for containerd and
        // Docker); generated records are short, so some are split at random points
        // to exercise the joining.
        let splits = matches!(w.kind, GenerateEnvelope::Cri | GenerateEnvelope::Docker)
            && record.len() >= MIN_SPLIT_LEN
            && w.rng.chance(SPLIT_PER_MILLE);
        let mut pieces: Vec<&[u8]> = Vec::with_capacity(3);
        if splits {
            let mut rest = record;
            for _ in 0..1 + w.rng.below(2) {
                let at = 1 + w.rng.below(rest.len() as u64 - 1) as usize;
                pieces.push(&rest[..at]);
                rest = &rest[at..];
            }
            pieces.push(rest);
        } else {
            pieces.push(record);
        }
        let continued = pieces.len() as u64 - 1;
        self.truth.lines += continued;
        self.truth.continued += continued;
        write_wrapped(w.kind, self.time_ms, &pieces, "stdout", out)
    }

    /// One of the gateway's own messages (startup, runtime, its error log), as the
    /// programs behind each generated format write them; none is an access record.
    fn message(&self, rng: &mut Rng) -> String {
        let ts = format_iso8601_local(self.time_ms, OFFSET_MIN);
        let nginx_time = || {
            let t = format_time_local(self.time_ms, OFFSET_MIN);
            // `26/Nov/2026:08:00:00 +0800` as nginx's error log writes it:
            // `2026/11/26 08:00:00`.
            format!("{}/{}/{} {}", &ts[..4], &ts[5..7], &t[..2], &t[12..20])
        };
        match (self.format, rng.below(4)) {
            (GenerateFormat::Gateway, 0) => {
                "/docker-entrypoint.sh: Configuration complete; ready for start up".to_string()
            }
            (GenerateFormat::Gateway, 1) => format!(
                "{} [notice] 1#1: start worker process {}",
                nginx_time(),
                20 + rng.below(60)
            ),
            (GenerateFormat::Gateway, 2) => format!(
                "{} [error] 29#29: *{} upstream timed out (110: Connection timed out) while \
                 reading response header from upstream, client: {}, server: _",
                nginx_time(),
                rng.below(100_000),
                rng.pick(CLIENTS)
            ),
            (GenerateFormat::Json, 0) => format!(
                r#"{{"level":"info","ts":"{ts}","logger":"http","msg":"Configuration loaded"}}"#
            ),
            (GenerateFormat::Json, 1) => format!(
                r#"{{"level":"warn","ts":"{ts}","msg":"upstream health check failed","upstream":"10.0.3.{}:8080"}}"#,
                rng.below(16)
            ),
            (GenerateFormat::Json, 2) => "gateway: listening on :8080".to_string(),
            // Traefik's and Go programs' logfmt lines, beside either format.
            _ => format!(r#"time="{ts}" level=info msg="Configuration loaded from file""#),
        }
    }
}

/// Startup messages before the first record, in an envelope.
const STARTUP_MESSAGES: u64 = 3;
/// Chance of a runtime message before a record, in an envelope.
const RUNTIME_MESSAGE_PER_MILLE: u64 = 5;
/// Records at least this long are split now and then (CRI and Docker)...
const MIN_SPLIT_LEN: usize = 160;
/// ... with this chance, into two or three pieces.
const SPLIT_PER_MILLE: u64 = 50;

/// Write a record's `pieces` (the last one ends the record), each a line in
/// envelope `kind` written at `time_ms` to `stream`.
fn write_wrapped(
    kind: GenerateEnvelope,
    time_ms: i64,
    pieces: &[&[u8]],
    stream: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    let last = pieces.len() - 1;
    for (i, piece) in pieces.iter().enumerate() {
        let ends = i == last;
        match kind {
            GenerateEnvelope::Cri => {
                let tag = if ends { 'F' } else { 'P' };
                let time = format_iso8601_local(time_ms, OFFSET_MIN);
                write!(out, "{time} {stream} {tag} ")?;
                out.write_all(piece)?;
            }
            GenerateEnvelope::Docker => {
                // Docker writes the log as a JSON string, bytes that are not UTF-8
                // replaced, `<`, `>` and `&` escaped as Go's encoder does.
                let mut text = String::from_utf8_lossy(piece).into_owned();
                if ends {
                    text.push('\n');
                }
                let log = serde_json::to_string(&text)
                    .expect("strings serialize")
                    .replace('<', r"\u003c")
                    .replace('>', r"\u003e")
                    .replace('&', r"\u0026");
                let time = format_rfc3339(time_ms);
                write!(
                    out,
                    r#"{{"log":{log},"stream":"{stream}","time":"{time}"}}"#
                )?;
            }
            GenerateEnvelope::Compose => {
                out.write_all(b"gateway-1  | ")?;
                out.write_all(piece)?;
            }
            GenerateEnvelope::Syslog => {
                // `26/Nov/2026:08:00:00 +0800` -> `Nov 26 08:00:00`, the day padded
                // with a space.
                let t = format_time_local(time_ms, OFFSET_MIN);
                let day = t[..2].strip_prefix('0').unwrap_or(&t[..2]);
                let pri = if stream == "stderr" { 187 } else { 190 };
                write!(
                    out,
                    "<{pri}>{} {day:>2} {} gw-1 nginx[7]: ",
                    &t[3..6],
                    &t[12..20]
                )?;
                out.write_all(piece)?;
            }
            GenerateEnvelope::Syslog5424 => {
                let time = format_iso8601_local(time_ms, OFFSET_MIN);
                let pri = if stream == "stderr" { 187 } else { 190 };
                write!(out, "<{pri}>1 {time} gw-1 nginx 7 - - ")?;
                out.write_all(piece)?;
            }
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn write_gateway(rng: &mut Rng, r: &Request, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        r#"{} - - [{}] "{} {} HTTP/1.1" {} {} "-" "{}" {}.{:03} "{}""#,
        r.client,
        format_time_local(r.time_ms, OFFSET_MIN),
        r.method,
        r.path,
        r.status,
        r.body
            .as_ref()
            .map_or(200 + rng.below(4000) as usize, String::len),
        rng.pick(USER_AGENTS),
        r.latency_us / 1_000_000,
        r.latency_us / 1000 % 1000,
        r.name.as_deref().unwrap_or("-"),
    )
}

fn write_json(rng: &mut Rng, r: &Request, out: &mut impl Write) -> io::Result<()> {
    let q = |s: &str| serde_json::to_string(s).expect("strings serialize");
    write!(
        out,
        r#"{{"time":"{}","remote_addr":"{}","method":"{}","uri":{},"status":{},"request_time":{}.{:03},"upstream_addr":"10.0.3.{}:8080","user_agent":{}"#,
        format_iso8601_local(r.time_ms, OFFSET_MIN),
        r.client,
        r.method,
        q(&r.path),
        r.status,
        r.latency_us / 1_000_000,
        r.latency_us / 1000 % 1000,
        rng.below(16),
        q(rng.pick(USER_AGENTS)),
    )?;
    // Most gateways log the X-Error-Code header; some lines carry the name only in
    // the logged body.
    if let Some(name) = r.name.as_deref().filter(|_| rng.chance(700)) {
        write!(out, r#","error_code":{}"#, q(name))?;
    }
    if let Some(body) = &r.body {
        write!(out, r#","resp_body":{}"#, q(body))?;
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::envelope::{Envelope, Unwrapped, Unwrapper};

    const KINDS: [(GenerateEnvelope, Envelope); 5] = [
        (GenerateEnvelope::Cri, Envelope::Cri),
        (GenerateEnvelope::Docker, Envelope::Docker),
        (GenerateEnvelope::Compose, Envelope::Compose),
        (GenerateEnvelope::Syslog, Envelope::Syslog),
        (GenerateEnvelope::Syslog5424, Envelope::Syslog),
    ];

    fn wrapped(format: GenerateFormat, kind: GenerateEnvelope, seed: u64) -> (Vec<u8>, Truth) {
        let mut generator = Generator::new(format, seed, 500).in_envelope(Some(kind));
        let mut log = Vec::new();
        for _ in 0..500 {
            generator.write_line(&mut log).unwrap();
        }
        (log, generator.truth)
    }

    /// Unwrapped, a log in any envelope holds the plain log of the same seed, line
    /// for line (Docker's with bytes that are not UTF-8 replaced, as Docker does),
    /// and one more line per message the truth counts; the same seed gives the same
    /// bytes.
    #[test]
    fn an_envelope_holds_the_plain_log_and_the_messages() {
        for format in [GenerateFormat::Gateway, GenerateFormat::Json] {
            let plain = Generator::log(format, 3, 500);
            for (kind, envelope) in KINDS {
                let (log, truth) = wrapped(format, kind, 3);
                assert_eq!((log.clone(), truth.clone()), wrapped(format, kind, 3));
                let mut u = Unwrapper::default();
                let mut records: Vec<Vec<u8>> = Vec::new();
                let mut pieces = 0;
                for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    match u.unwrap(envelope, line) {
                        Unwrapped::Record(r, _) => records.push(r.to_vec()),
                        Unwrapped::Continued => pieces += 1,
                        Unwrapped::Foreign => panic!("{kind:?}: {line:?}"),
                    }
                }
                assert_eq!(pieces, truth.continued, "{kind:?}");
                let mut plain_lines = plain.split(|&b| b == b'\n').filter(|l| !l.is_empty());
                let mut want = plain_lines.next();
                let mut messages = 0;
                for r in &records {
                    let same = want.is_some_and(|w| match kind {
                        GenerateEnvelope::Docker => String::from_utf8_lossy(w).as_bytes() == r,
                        _ => w == r,
                    });
                    if same {
                        want = plain_lines.next();
                    } else {
                        messages += 1;
                    }
                }
                assert_eq!(want, None, "{kind:?}: every plain line is inside");
                let no_records = truth.not_access - messages;
                assert!(messages >= STARTUP_MESSAGES && no_records > 0, "{kind:?}");
                assert_eq!(truth.lines, 500 + messages + truth.continued, "{kind:?}");
            }
        }
    }
}
