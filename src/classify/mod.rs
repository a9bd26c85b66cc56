//! The classification table (docs/architecture.md, "Classifying one response"), as
//! code: (section, status, error name) -> class.

pub mod path;
pub mod path_memo;
pub mod routes;
pub mod secrets;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, NameId, SectionId};

/// Where every input line lands: exactly one class per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No error name, status < 400.
    Ok,
    /// The name is listed in this section with exactly this status.
    Documented,
    /// The name is listed in this section with another status.
    StatusMismatch,
    /// The name is not in this section but is listed in another.
    WrongSection,
    /// The name is listed in no section.
    Undocumented,
    /// No error name, status >= 400.
    UnnamedError,
    /// The line could not be parsed into at least a status.
    Malformed,
}

impl Class {
    /// Every class, in report order (the order of [`crate::report::ClassCounts`]).
    pub const ALL: [Class; 7] = [
        Class::Ok,
        Class::Documented,
        Class::StatusMismatch,
        Class::WrongSection,
        Class::Undocumented,
        Class::UnnamedError,
        Class::Malformed,
    ];

    /// The class as written in reports: `ok`, `status_mismatch`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Documented => "documented",
            Class::StatusMismatch => "status_mismatch",
            Class::WrongSection => "wrong_section",
            Class::Undocumented => "undocumented",
            Class::UnnamedError => "unnamed_error",
            Class::Malformed => "malformed",
        }
    }

    /// The class written as [`Class::as_str`] writes it.
    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The outcome for one parsed line. Catalog names carry the section they are
/// accounted to: the request's section, or for a path no route matches, the section
/// whose documented status matches (else the first section listing the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// [`Class::Ok`].
    Ok,
    /// [`Class::UnnamedError`].
    UnnamedError,
    /// [`Class::Documented`]: `name` as `section` documents it.
    Documented {
        /// The section the line is accounted to.
        section: SectionId,
        /// The catalog name.
        name: NameId,
    },
    /// [`Class::StatusMismatch`]: `name` with another status than `section` documents.
    StatusMismatch {
        /// The section the line is accounted to.
        section: SectionId,
        /// The catalog name.
        name: NameId,
    },
    /// [`Class::WrongSection`]: `name` in a `section` that does not list it.
    WrongSection {
        /// The request's section.
        section: SectionId,
        /// The catalog name.
        name: NameId,
    },
    /// [`Class::Undocumented`].
    Undocumented,
}

impl Verdict {
    /// The class of this verdict.
    pub fn class(self) -> Class {
        match self {
            Verdict::Ok => Class::Ok,
            Verdict::UnnamedError => Class::UnnamedError,
            Verdict::Documented { .. } => Class::Documented,
            Verdict::StatusMismatch { .. } => Class::StatusMismatch,
            Verdict::WrongSection { .. } => Class::WrongSection,
            Verdict::Undocumented => Class::Undocumented,
        }
    }
}

/// Classify one response. `section` is `None` when no route matches the path: the
/// name is then checked against all sections together.
///
/// Always inlined: with a line loop per kind of input (`analyze`), LLVM left it
/// out of line, and JSON lines ran slower, the text loop unchanged (figures in
/// docs/performance.md).
#[inline(always)]
pub fn classify(
    catalog: &Catalog,
    section: Option<SectionId>,
    status: u16,
    name: Option<&[u8]>,
) -> Verdict {
    let Some(name) = name else {
        return if status < 400 {
            Verdict::Ok
        } else {
            Verdict::UnnamedError
        };
    };
    let Some(id) = catalog.name_id(name) else {
        return Verdict::Undocumented;
    };
    match section {
        Some(section) => match catalog.status_in(section, id) {
            Some(documented) if documented == status => Verdict::Documented { section, name: id },
            Some(_) => Verdict::StatusMismatch { section, name: id },
            None => Verdict::WrongSection { section, name: id },
        },
        None => {
            let mut first = None;
            for (section, documented) in catalog.listings(id) {
                if documented == status {
                    return Verdict::Documented { section, name: id };
                }
                first.get_or_insert(section);
            }
            let section = first.expect("an interned name is listed in some section");
            Verdict::StatusMismatch { section, name: id }
        }
    }
}
