//! HAProxy's HTTP log (`option httplog`), whose optional captured-header groups
//! (`{...}`) no fixed format string describes:
//!
//! ```text
//! %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
//! ```
//!
//! - the status `%ST`: `-1` (no response was sent) is no response;
//! - the latency is `%Ta` (the fifth timer, ms; `Tt` in HAProxy 1.x, same place), `-1`
//!   none;
//! - the time is `%tr`, local time without an offset (`06/Feb/2009:12:14:14.655`),
//!   read as UTC;
//! - the error name: the first value that looks like an error name in the last
//!   captured-header group, where `capture response header X-Error-Code len 64`
//!   puts it (request captures come first, response captures last);
//! - the path: the request line's target.
//!
//! The syslog header HAProxy writes before each line is an envelope
//! ([`super::envelope`]).

use super::detect::plausible_name;
use super::{non_empty_name, request, text_status, Fields, Malformed};
use crate::format::timestamp;

/// The `option httplog` parser.
#[derive(Debug, Clone, Default)]
pub struct HaproxyFormat;

impl HaproxyFormat {
    /// Whether `line` begins as an `option httplog` line does: `ip:port [date`.
    pub fn starts_like(&self, line: &[u8]) -> bool {
        let mut fields = line.splitn(3, |&c| c == b' ');
        let client = fields.next().unwrap_or_default();
        client.contains(&b':') && fields.next().is_some_and(|d| d.starts_with(b"["))
    }

    /// One line's fields, or why it is malformed.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let mut rest = line;
        let mut field = || -> Result<&'a [u8], Malformed> {
            let at = memchr::memchr(b' ', rest).ok_or(Malformed::NoMatch)?;
            let f = &rest[..at];
            rest = &rest[at + 1..];
            Ok(f)
        };
        let client = field()?;
        let accept_date = field()?;
        let _frontend = field()?;
        let backend_server = field()?;
        let timers = field()?;
        let status = field()?;
        let _bytes = field()?;
        let _request_cookie = field()?;
        let _response_cookie = field()?;
        let termination = field()?;
        let conns = field()?;
        let queues = field()?;
        let shape = client.contains(&b':')
            && accept_date.starts_with(b"[")
            && accept_date.ends_with(b"]")
            && backend_server.contains(&b'/')
            && termination.len() == 4
            && count(timers, b'/') == 4
            && count(conns, b'/') == 4
            && count(queues, b'/') == 1;
        if !shape {
            return Err(Malformed::NoMatch);
        }
        // Captured header groups, then the quoted request line.
        let mut last_group = None;
        while rest.starts_with(b"{") {
            let end = memchr::memmem::find(rest, b"} ").ok_or(Malformed::NoMatch)?;
            last_group = Some(&rest[1..end]);
            rest = &rest[end + 2..];
        }
        let request_line = rest.strip_prefix(b"\"").ok_or(Malformed::NoMatch)?;
        let request_line = request_line.strip_suffix(b"\"").unwrap_or(request_line);
        let status = match status {
            b"-1" => return Err(Malformed::NoResponse),
            s => text_status(s)?,
        };
        let ta = timers.rsplit(|&c| c == b'/').next().unwrap_or_default();
        let ta = ta.strip_prefix(b"+").unwrap_or(ta);
        let latency_us = timestamp::parse_duration(ta, timestamp::DurationUnit::Ms);
        let name = last_group.and_then(|g| {
            g.split(|&c| c == b'|')
                .find(|v| plausible_name(v))
                .and_then(non_empty_name)
        });
        let (time_ms, bad_time) = match accept_time(&accept_date[1..accept_date.len() - 1]) {
            Some(t) => (Some(t), false),
            None => (None, true),
        };
        Ok(Fields {
            status,
            name,
            path: request::request_target(request_line),
            latency_us,
            time_ms,
            bad_time,
        })
    }
}

fn count(b: &[u8], c: u8) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// `06/Feb/2009:12:14:14.655` (no offset), read as UTC.
fn accept_time(v: &[u8]) -> Option<i64> {
    let (seconds, millis) = match v.len() {
        20 => (v, 0),
        24 if v[20] == b'.' => {
            let ms = std::str::from_utf8(&v[21..]).ok()?.parse::<i64>().ok()?;
            (&v[..20], ms)
        }
        _ => return None,
    };
    let mut text = [0u8; 26];
    text[..20].copy_from_slice(seconds);
    text[20..].copy_from_slice(b" +0000");
    Some(timestamp::parse_time_local(&text)? + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Fields<'_>, Malformed> {
        HaproxyFormat.parse(line.as_bytes())
    }

    #[test]
    fn documented_lines() {
        // The httplog example of HAProxy's configuration manual (section 8.2.3).
        let f = parse(r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#).unwrap();
        assert_eq!(f.status, 200);
        assert_eq!(f.path, Some(&b"/index.html"[..]));
        assert_eq!(f.latency_us, Some(109_000));
        assert_eq!(f.time_ms, Some(1_233_922_454_655));
        assert_eq!(f.name, None);
        // No captures at all.
        let f = parse(r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /x HTTP/1.1""#).unwrap();
        assert_eq!((f.status, f.path), (200, Some(&b"/x"[..])));
    }

    #[test]
    fn captured_names_timers_and_no_response() {
        let f = parse(r#"203.0.113.7:5000 [27/Nov/2026:02:00:01.000] fe~ api/s1 0/0/1/11/12 403 98 - - ---- 1/1/0/0/0 0/0 {api.example.com|curl} {INVALID_API_KEY} "POST /v3/async/txt2img HTTP/1.1""#).unwrap();
        assert_eq!((f.status, f.name), (403, Some(&b"INVALID_API_KEY"[..])));
        // Only a response capture, with a header that is not a name.
        let f = parse(r#"203.0.113.7:5000 [27/Nov/2026:02:00:01.000] fe api/s1 0/0/1/-1/-1 504 98 - - sH-- 1/1/0/0/0 0/0 {text/plain} "GET / HTTP/1.1""#).unwrap();
        assert_eq!((f.status, f.name, f.latency_us), (504, None, None));
        // The client went away before a response.
        let e = parse(
            r#"203.0.113.7:5000 [27/Nov/2026:02:00:01.000] fe api/<NOSRV> -1/-1/-1/-1/+2 -1 0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>""#,
        );
        assert_eq!(e.unwrap_err(), Malformed::NoResponse);
        // A request line HAProxy could not read gives no path.
        let f = parse(r#"203.0.113.7:5000 [27/Nov/2026:02:00:01.000] fe fe/<NOSRV> -1/-1/-1/-1/0 400 187 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>""#).unwrap();
        assert_eq!((f.status, f.path), (400, None));
        for bad in [
            "",
            "haproxy started",
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200"#,
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30 200 2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {cut"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(r#"10.0.1.2:33317 [bad] http-in static/srv1 1/0/3/6/9 200 27 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#).unwrap().bad_time);
    }
}
