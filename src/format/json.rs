//! JSON-lines logs: fields found under common key names, or at `--field` paths.

use super::{FieldOverride, Fields, Malformed};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct JsonFormat {}

impl JsonFormat {
    pub fn new(fields: &[FieldOverride]) -> Result<JsonFormat> {
        let _ = fields;
        Ok(JsonFormat {})
    }

    pub fn latency_source(&self) -> String {
        todo!()
    }

    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let _ = line;
        todo!("json parser")
    }
}
