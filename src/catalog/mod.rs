//! The error-code catalog: sections of (name, HTTP status, description) entries, the
//! embedded default page, loading from a markdown page or a JSON catalog, and the
//! interned lookups the classifier uses on the hot path.

pub mod diff;
pub mod lint;
mod markdown;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The platform's published error page, embedded so errscope runs with no flags.
pub const EMBEDDED_PAGE: &str = include_str!("../../catalog/api-error-codes.zh.md");

/// The largest catalog file read (`--catalog`); the published page is 3 KiB.
pub const MAX_PAGE_BYTES: u64 = 64 << 20;

/// Sections × distinct names at most: the size of the status lookup table (4 bytes
/// a cell), so a hostile catalog cannot exhaust memory.
pub const MAX_TABLE_CELLS: usize = 16 << 20;

/// Index of a section in [`Catalog::sections`].
pub type SectionId = u8;
/// Interned id of an error name listed in at least one section.
pub type NameId = u32;

/// The `schema` value of a JSON catalog.
pub const JSON_SCHEMA: &str = "errscope-catalog";

/// One row of a section's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The error name, exactly as listed (case matters).
    pub name: String,
    /// The documented HTTP status.
    pub status: u16,
    /// The description, as the page writes it.
    pub description: String,
    /// 1-based line of the row in the page it came from (absent in JSON catalogs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// One product section of the page: its heading and its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Short id used in routes and reports: `media`, `llm`, `billing`, …
    pub id: String,
    /// The heading as the page prints it.
    pub title: String,
    /// The table's rows, in page order.
    pub entries: Vec<Entry>,
}

/// The JSON form of a catalog, as `errscope catalog -o json` prints it and
/// `--catalog` reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDocument {
    /// Always `errscope-catalog`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The sections, in page order.
    pub sections: Vec<Section>,
}

/// A loaded catalog with its lookup tables.
#[derive(Debug, Clone)]
pub struct Catalog {
    source: String,
    sections: Vec<Section>,
    names: Vec<String>,
    /// FxHash: a fixed table looked up with log bytes cannot be grown by them.
    ids: FxHashMap<Box<[u8]>, NameId>,
    /// Upper-cased name -> id, to say which catalog name an undocumented one resembles.
    folded: HashMap<String, NameId>,
    /// `status[section][name]`: the documented status of `name` in `section`.
    status: Vec<Vec<Option<u16>>>,
}

impl Catalog {
    /// The embedded copy of the published page.
    pub fn embedded() -> Catalog {
        Catalog::from_markdown(EMBEDDED_PAGE, "embedded")
            .expect("the embedded catalog page parses (tested)")
    }

    /// Parse a markdown page (headings + pipe tables). `source_name` names it in errors.
    pub fn from_markdown(text: &str, source_name: &str) -> Result<Catalog> {
        let sections = markdown::parse_page(text).map_err(|e| Error::Catalog {
            source_name: source_name.to_string(),
            line: Some(e.line),
            message: e.message,
        })?;
        Catalog::from_sections(sections, source_name)
    }

    /// Parse a JSON catalog as printed by `errscope catalog -o json`.
    pub fn from_json(text: &str, source_name: &str) -> Result<Catalog> {
        let err = |line: Option<usize>, message: String| Error::Catalog {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let doc: CatalogDocument =
            serde_json::from_str(text).map_err(|e| err(Some(e.line()), e.to_string()))?;
        if doc.schema != JSON_SCHEMA {
            return Err(err(
                None,
                format!("schema is {:?}, expected {JSON_SCHEMA:?}", doc.schema),
            ));
        }
        if doc.version != 1 {
            return Err(err(
                None,
                format!(
                    "version {} is not supported (this errscope reads 1)",
                    doc.version
                ),
            ));
        }
        Catalog::from_sections(doc.sections, source_name)
    }

    /// Load `path`: a JSON catalog when its first non-blank byte is `{`, else a page.
    pub fn load(path: &Path) -> Result<Catalog> {
        use std::io::Read;
        let io_err = |source| Error::Input {
            path: path.to_path_buf(),
            source,
        };
        let name = path.display().to_string();
        // Read at most one byte past the limit: enough to tell the page is too big,
        // without reading a huge (or endless: a FIFO, /dev/zero) file whole.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PAGE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io_err)?;
        if bytes.len() as u64 > MAX_PAGE_BYTES {
            return Err(Error::Catalog {
                source_name: name,
                line: None,
                message: format!(
                    "larger than {} MiB; a catalog page is far smaller",
                    MAX_PAGE_BYTES >> 20
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| Error::Catalog {
            source_name: name.clone(),
            line: None,
            message: format!(
                "not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        if text.trim_start().starts_with('{') {
            Catalog::from_json(&text, &name)
        } else {
            Catalog::from_markdown(&text, &name)
        }
    }

    /// Build the lookup tables. Sections need unique ids; a name listed twice in one
    /// section keeps its first row for classification.
    pub fn from_sections(sections: Vec<Section>, source_name: &str) -> Result<Catalog> {
        let err = |message: String| Error::Catalog {
            source_name: source_name.to_string(),
            line: None,
            message,
        };
        if sections.is_empty() {
            return Err(err("no sections with error tables found".into()));
        }
        if sections.len() > usize::from(SectionId::MAX) {
            return Err(err(format!(
                "{} sections; at most 254 are supported",
                sections.len()
            )));
        }
        for (i, s) in sections.iter().enumerate() {
            if sections[..i].iter().any(|o| o.id == s.id) {
                return Err(err(format!("two sections have the id {:?}", s.id)));
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut ids: FxHashMap<Box<[u8]>, NameId> = FxHashMap::default();
        for entry in sections.iter().flat_map(|s| &s.entries) {
            if !ids.contains_key(entry.name.as_bytes()) {
                ids.insert(entry.name.as_bytes().into(), names.len() as NameId);
                names.push(entry.name.clone());
            }
        }
        if sections.len().saturating_mul(names.len()) > MAX_TABLE_CELLS {
            return Err(err(format!(
                "{} sections × {} distinct names is too large a catalog (at most {} cells)",
                sections.len(),
                names.len(),
                MAX_TABLE_CELLS
            )));
        }
        let mut status = vec![vec![None; names.len()]; sections.len()];
        for (si, section) in sections.iter().enumerate() {
            for entry in &section.entries {
                let slot = &mut status[si][ids[entry.name.as_bytes()] as usize];
                if slot.is_none() {
                    *slot = Some(entry.status);
                }
            }
        }
        let folded = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_ascii_uppercase(), i as NameId))
            .collect();
        Ok(Catalog {
            source: source_name.to_string(),
            sections,
            names,
            ids,
            folded,
            status,
        })
    }

    /// Where the catalog came from: `embedded` or the path given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The sections, in page order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section with this id.
    pub fn section(&self, id: SectionId) -> &Section {
        &self.sections[usize::from(id)]
    }

    /// The id of the section called `id` (`media`, …), if there is one.
    pub fn section_id(&self, id: &str) -> Option<SectionId> {
        self.sections
            .iter()
            .position(|s| s.id == id)
            .map(|i| i as SectionId)
    }

    /// Number of distinct names over all sections.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// The interned id of an exact name, if any section lists it.
    #[inline]
    pub fn name_id(&self, name: &[u8]) -> Option<NameId> {
        self.ids.get(name).copied()
    }

    /// The name with this interned id.
    pub fn name(&self, id: NameId) -> &str {
        &self.names[id as usize]
    }

    /// The documented status of `name` in `section`, if the section lists it.
    #[inline]
    pub fn status_in(&self, section: SectionId, name: NameId) -> Option<u16> {
        self.status[usize::from(section)][name as usize]
    }

    /// Every section listing `name`, with its documented status there, in page order.
    pub fn listings(&self, name: NameId) -> impl Iterator<Item = (SectionId, u16)> + '_ {
        self.status
            .iter()
            .enumerate()
            .filter_map(move |(s, row)| row[name as usize].map(|st| (s as SectionId, st)))
    }

    /// The catalog name that `name` equals when case is ignored, for a name the
    /// catalog does not list exactly (`invalid_api_key` resembles `INVALID_API_KEY`).
    pub fn resembles(&self, name: &str) -> Option<&str> {
        let id = *self.folded.get(&name.to_ascii_uppercase())?;
        let found = self.name(id);
        (found != name).then_some(found)
    }

    /// The JSON document `--catalog` accepts back.
    pub fn to_document(&self) -> CatalogDocument {
        CatalogDocument {
            schema: JSON_SCHEMA.to_string(),
            version: 1,
            sections: self.sections.clone(),
        }
    }
}
