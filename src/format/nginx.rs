//! nginx text logs: a `log_format` string compiled into a line parser.

use super::{FieldOverride, Fields, Malformed};
use crate::error::Result;

/// Named formats: (name, log_format string, what it is).
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "gateway",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$upstream_http_x_error_code""#,
        "nginx combined + $request_time and the upstream's X-Error-Code header (the default)",
    ),
    (
        "combined",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        "nginx's predefined combined format (no latency, no error name)",
    ),
];

/// The `log_format` string of a preset.
pub fn preset(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.0 == name).map(|p| p.1)
}

#[derive(Debug, Clone)]
pub struct NginxFormat {
    name: String,
}

impl NginxFormat {
    /// Compile `format` (named `name` in reports).
    pub fn compile_named(name: &str, format: &str, fields: &[FieldOverride]) -> Result<NginxFormat> {
        let _ = (format, fields);
        Ok(NginxFormat { name: name.to_string() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn latency_source(&self) -> Option<String> {
        todo!()
    }

    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let _ = line;
        todo!("nginx parser")
    }
}
