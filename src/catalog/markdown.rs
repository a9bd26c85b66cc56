//! The markdown page parser (nom): `## heading` lines open sections, each followed by a
//! pipe table of name | status | description.

use super::Section;

/// A page that cannot be parsed: what is wrong and on which 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub line: usize,
    pub message: String,
}

pub fn parse_page(text: &str) -> Result<Vec<Section>, PageError> {
    let _ = text;
    todo!("catalog markdown parser")
}
