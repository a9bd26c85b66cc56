//! Apache httpd `LogFormat` strings, translated into the equivalent nginx-style
//! format so that the nginx compiler ([`super::nginx::NginxFormat`]) parses them.
//!
//! Each `%` directive becomes an nginx variable with the name errscope gives that
//! role (`%>s` is `$status`, `%r` is `$request`, `%{X-Error-Code}o` is
//! `$sent_http_x_error_code`, ...); directives whose unit differs from nginx's
//! (`%D` in microseconds, `%{ms}T`) also yield a [`FieldOverride`] that states the
//! unit. Directives errscope cannot express are an error that names them.
//!
//! Reference: <https://httpd.apache.org/docs/current/mod/mod_log_config.html#formats>.

use super::{FieldKey, FieldOverride, FieldUnit};
use crate::error::{Error, Result};
use crate::format::timestamp::{DurationUnit, TimeUnit};

/// An Apache `LogFormat` translated for the nginx compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The nginx-style format string.
    pub format: String,
    /// Roles the variable names alone do not convey (units, non-default names).
    pub fields: Vec<FieldOverride>,
}

/// Directives, as listed in `errscope presets` and in errors.
pub const SUPPORTED: &str = "%% %a %A %b %B %D %f %h %H %I %k %l %L %m %O %p %P %q %r %R %s %>s \
%<s %S %t %{sec}t %{msec}t %{FORMAT}t %T %{s|ms|us}T %u %U %U%q %v %V %X %{H}i %{H}o %{V}e \
%{N}n %{C}C";

fn error(message: String) -> Error {
    Error::LogFormat {
        message: format!("Apache LogFormat: {message}"),
    }
}

/// Translate an Apache `LogFormat` string, as written in `httpd.conf` (with `\"`
/// escapes) or with the escapes already removed.
pub fn translate(log_format: &str) -> Result<Translated> {
    let text = unescape(log_format.trim());
    let has_final_status = text.contains("%>s");
    let mut out = Translated {
        format: String::with_capacity(text.len() * 2),
        fields: Vec::new(),
    };
    let mut latency: Option<(String, DurationUnit, u8)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '%' {
            if c == '$' && chars.peek().is_some_and(|&(_, n)| is_nginx_name_char(n)) {
                return Err(error(format!(
                    "a literal \"$\" followed by a name (at byte {at}) cannot be told apart \
                     from a variable"
                )));
            }
            out.format.push(c);
            continue;
        }
        // Modifiers: a status condition (`400,501` or `!200,304`) and `<` / `>`.
        let mut redirect = None;
        while let Some(&(_, m)) = chars.peek() {
            match m {
                '!' | ',' | '0'..='9' => {}
                '<' | '>' => redirect = Some(m),
                _ => break,
            }
            chars.next();
        }
        let mut arg = None;
        if chars.peek().is_some_and(|&(_, n)| n == '{') {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some((_, '}')) => break,
                    Some((_, ch)) => s.push(ch),
                    None => return Err(error(format!("unclosed \"%{{\" at byte {at}"))),
                }
            }
            arg = Some(s);
        }
        let Some((_, directive)) = chars.next() else {
            return Err(error("the format ends with a lone \"%\"".into()));
        };
        // `%U%q` is the path with its query string: nginx's `$request_uri`.
        if directive == 'U' && arg.is_none() && text[at..].starts_with("%U%q") {
            chars.next();
            chars.next();
            out.format.push_str("$request_uri");
            continue;
        }
        let var: String = match (directive, arg.as_deref()) {
            ('%', None) => {
                out.format.push('%');
                continue;
            }
            ('h', None) => "remote_addr".into(),
            ('a', None) => "client_addr".into(),
            ('a', Some("c")) => "peer_addr".into(),
            ('A', None) => "server_addr".into(),
            ('l', None) => "remote_logname".into(),
            ('u', None) => "remote_user".into(),
            ('t', None) => "[$time_local]".into(),
            ('t', Some(spec)) => {
                let spec = spec.trim_start_matches("begin:").trim_start_matches("end:");
                let unit = match spec {
                    "sec" => Some(TimeUnit::EpochS),
                    "msec" => Some(TimeUnit::EpochMs),
                    "usec" | "msec_frac" | "usec_frac" => {
                        return Err(error(format!(
                            "%{{{spec}}}t cannot be read as a time; log %{{msec}}t or %t"
                        )))
                    }
                    // A strftime pattern: read as ISO-8601 or `10/Oct/2000:13:55:36 -0700`.
                    _ => None,
                };
                out.fields.push(FieldOverride {
                    key: FieldKey::Time,
                    path: "time_apache".into(),
                    unit: unit.map(FieldUnit::Time),
                });
                "time_apache".into()
            }
            ('r', None) => "request".into(),
            ('s', None) => match redirect {
                Some('>') => "status".into(),
                _ if !has_final_status => "status".into(),
                _ => "original_status".into(),
            },
            ('b', None) => "body_bytes_sent".into(),
            ('B', None) => "body_bytes".into(),
            ('O', None) => "bytes_sent".into(),
            ('I', None) => "request_length".into(),
            ('S', None) => "bytes_transferred".into(),
            ('D', None) => latency_var(&mut latency, "request_time_us", DurationUnit::Us, 3),
            ('T', None) => latency_var(&mut latency, "request_time_s", DurationUnit::S, 1),
            ('T', Some(u)) => {
                let unit = DurationUnit::parse(u)
                    .filter(|u| *u != DurationUnit::Ns)
                    .ok_or_else(|| error(format!("%{{{u}}}T: the unit is s, ms or us")))?;
                let rank = if unit == DurationUnit::S { 1 } else { 2 };
                latency_var(&mut latency, &format!("request_time_{u}"), unit, rank)
            }
            ('f', None) => "request_filename".into(),
            ('H', None) => "server_protocol".into(),
            ('k', None) => "keepalive_requests".into(),
            ('L', None) => "log_id".into(),
            ('m', None) => "request_method".into(),
            ('p', None) => "server_port".into(),
            ('P', None) => "pid".into(),
            ('q', None) => "query_string".into(),
            ('R', None) => "handler".into(),
            ('U', None) => "uri".into(),
            ('v', None) => "server_name".into(),
            ('V', None) => "host".into(),
            ('X', None) => "connection_status".into(),
            ('i', Some(h)) => format!("http_{}", name_part(h)),
            ('o', Some(h)) => format!("sent_http_{}", name_part(h)),
            ('e', Some(v)) => format!("env_{}", name_part(v)),
            ('n', Some(v)) => format!("note_{}", name_part(v)),
            ('C', Some(v)) => format!("cookie_{}", name_part(v)),
            (d, Some(a)) => {
                return Err(error(format!(
                    "%{{{a}}}{d} is not supported; supported directives: {SUPPORTED}"
                )))
            }
            (d, None) => {
                return Err(error(format!(
                    "%{d} is not supported; supported directives: {SUPPORTED}"
                )))
            }
        };
        if var.starts_with('[') {
            out.format.push_str(&var);
        } else {
            out.format.push('$');
            out.format.push_str(&var);
        }
    }
    if let Some((var, unit, _)) = latency {
        out.fields.push(FieldOverride {
            key: FieldKey::Latency,
            path: var,
            unit: Some(FieldUnit::Duration(unit)),
        });
    }
    Ok(out)
}

/// Record a latency directive; the most precise one logged wins (`%D` over
/// `%{ms}T` over `%T`). Returns the variable name.
fn latency_var(
    best: &mut Option<(String, DurationUnit, u8)>,
    var: &str,
    unit: DurationUnit,
    rank: u8,
) -> String {
    if best.as_ref().is_none_or(|b| rank > b.2) {
        *best = Some((var.to_string(), unit, rank));
    }
    var.to_string()
}

/// A header or variable name as part of an nginx variable name: lower case, `-`
/// as `_` (nginx's own rule for `$http_*`).
fn name_part(h: &str) -> String {
    h.chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' => c,
            _ => '_',
        })
        .collect()
}

fn is_nginx_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// Undo the escapes httpd.conf strings use (`\"`, `\\`, `\t`, `\n`), and drop the
/// quotes around a format pasted with them.
fn unescape(s: &str) -> String {
    let s = match s.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if inner.contains("\\\"") => inner,
        _ => s,
    };
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::nginx::NginxFormat;

    fn compile(log_format: &str) -> NginxFormat {
        let t = translate(log_format).unwrap();
        NginxFormat::compile_named("apache", &t.format, &t.fields).unwrap()
    }

    #[test]
    fn common_and_combined() {
        let t = translate(r#"%h %l %u %t "%r" %>s %b"#).unwrap();
        assert_eq!(
            t.format,
            r#"$remote_addr $remote_logname $remote_user [$time_local] "$request" $status $body_bytes_sent"#
        );
        assert!(t.fields.is_empty());
        let t =
            translate(r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\""#).unwrap();
        assert_eq!(
            t.format,
            r#"$remote_addr $remote_logname $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
        );
    }

    #[test]
    fn latency_units() {
        let t = translate("%>s %D").unwrap();
        assert_eq!(t.format, "$status $request_time_us");
        let f = compile("%>s %D");
        assert_eq!(f.parse(b"200 1500").unwrap().latency_us, Some(1500));
        assert_eq!(f.latency_source().as_deref(), Some("$request_time_us (us)"));
        let f = compile("%>s %T %{ms}T");
        assert_eq!(f.parse(b"200 1 1234").unwrap().latency_us, Some(1_234_000));
        let f = compile("%>s %T");
        assert_eq!(f.parse(b"200 2").unwrap().latency_us, Some(2_000_000));
        // %D is the most precise, wherever it stands.
        let f = compile("%D %>s %T");
        assert_eq!(f.parse(b"1500 200 0").unwrap().latency_us, Some(1500));
    }

    #[test]
    fn error_name_from_response_header() {
        let f = compile(r#"%h "%r" %>s "%{X-Error-Code}o""#);
        let got = f
            .parse(br#"::1 "GET /v3/openai/x HTTP/1.1" 403 "INVALID_API_KEY""#)
            .unwrap();
        assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]));
        assert_eq!(got.path, Some(&b"/v3/openai/x"[..]));
    }

    #[test]
    fn status_directives() {
        assert_eq!(
            translate("%s %>s").unwrap().format,
            "$original_status $status"
        );
        assert_eq!(translate("%s").unwrap().format, "$status");
        assert_eq!(
            translate("%<s %>s").unwrap().format,
            "$original_status $status"
        );
        // A status condition modifier is ignored: the value is `-` when it fails.
        assert_eq!(
            translate("%>s %400,501{User-agent}i %!200{Referer}i")
                .unwrap()
                .format,
            "$status $http_user_agent $http_referer"
        );
    }

    #[test]
    fn path_and_query() {
        let f = compile("%>s %U%q");
        assert_eq!(
            f.parse(b"200 /v2/x?a=1").unwrap().path,
            Some(&b"/v2/x?a=1"[..])
        );
        let f = compile("%>s %U %q");
        assert_eq!(
            f.parse(b"200 /v2/x ?a=1").unwrap().path,
            Some(&b"/v2/x"[..])
        );
    }

    #[test]
    fn times() {
        let f = compile("%{sec}t %>s");
        assert_eq!(
            f.parse(b"1714564800 200").unwrap().time_ms,
            Some(1_714_564_800_000)
        );
        let f = compile("%{msec}t %>s");
        assert_eq!(
            f.parse(b"1714564800250 200").unwrap().time_ms,
            Some(1_714_564_800_250)
        );
        let f = compile("[%{%Y-%m-%dT%H:%M:%S%z}t] %>s");
        assert_eq!(
            f.parse(b"[2024-05-01T20:00:00+0800] 200").unwrap().time_ms,
            Some(1_714_564_800_000)
        );
        assert!(translate("%{usec}t %>s").is_err());
    }

    #[test]
    fn percent_literal_and_pasted_quotes() {
        assert_eq!(translate("%>s 100%%").unwrap().format, "$status 100%");
        assert_eq!(
            translate(r#""%h \"%r\" %>s""#).unwrap().format,
            r#"$remote_addr "$request" $status"#
        );
    }

    #[test]
    fn unsupported_directives_are_named() {
        for (fmt, want) in [
            ("%>s %Z", "%Z"),
            ("%>s %{x}Z", "%{x}Z"),
            ("%>s %{h}T", "%{h}T"),
            ("%>s %{X", "unclosed"),
            ("%>s %", "lone"),
            ("%>s $cost", "\"$\""),
        ] {
            let e = translate(fmt).unwrap_err().to_string();
            assert!(e.contains(want), "{fmt}: {e}");
            assert!(e.contains("Apache LogFormat"), "{e}");
        }
        // No status at all: the nginx compiler says so.
        let t = translate("%h %b").unwrap();
        let e = NginxFormat::compile_named("apache", &t.format, &t.fields).unwrap_err();
        assert!(e.to_string().contains("$status"), "{e}");
    }
}
