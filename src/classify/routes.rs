//! Request path -> catalog section, by prefix rules (longest prefix wins).

use crate::catalog::{Catalog, SectionId};
use crate::error::{Error, Result};

/// The platform's paths (docs/architecture.md, "The catalog"): prefix -> section id.
pub const DEFAULT_ROUTES: &[(&str, &str)] = &[
    ("/v3/async/", "media"),
    ("/v3/openai/", "llm"),
    ("/v3/", "media"),
    ("/v2/", "media"),
    ("/openai/", "llm"),
    ("/openapi/v1/billing/", "billing"),
];

/// The path-prefix rules that give a request its catalog section.
#[derive(Debug, Clone)]
pub struct Routes {
    /// Longest prefix first.
    rules: Vec<Rule>,
}

/// One prefix rule, with its first bytes packed into a word so that most rules are
/// ruled out by one integer compare instead of a `memcmp` per line.
#[derive(Debug, Clone)]
struct Rule {
    prefix: Vec<u8>,
    section: SectionId,
    /// The prefix's first (up to 8) bytes, little-endian.
    head: u64,
    /// Which bytes of `head` count.
    mask: u64,
}

impl Rule {
    fn new(prefix: Vec<u8>, section: SectionId) -> Rule {
        let n = prefix.len().min(8);
        Rule {
            head: first_word(&prefix),
            mask: if n == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            },
            prefix,
            section,
        }
    }

    /// `path` is a request path (no origin, no query) and `word` its [`first_word`].
    #[inline]
    fn matches(&self, path: &[u8], word: u64) -> bool {
        if word & self.mask == self.head && path.starts_with(&self.prefix) {
            return true;
        }
        // A prefix ending in `/` also matches the path without it (`/v3/openai`
        // for `/v3/openai/`): only a path shorter than the prefix can be that.
        path.len() + 1 == self.prefix.len()
            && self.prefix.ends_with(b"/")
            && self.prefix.starts_with(path)
    }
}

/// The first 8 bytes of `bytes` (zero-padded), little-endian. Route prefixes hold no
/// zero bytes, so the padding never matches one.
#[inline]
fn first_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

impl Routes {
    /// The default rules whose sections exist in `catalog`, then `overrides`
    /// (`PREFIX=SECTION`, each adding a rule or replacing one with the same prefix).
    pub fn new(catalog: &Catalog, overrides: &[String]) -> Result<Routes> {
        let mut rules: Vec<(Vec<u8>, SectionId)> = DEFAULT_ROUTES
            .iter()
            .filter_map(|(p, s)| Some((p.as_bytes().to_vec(), catalog.section_id(s)?)))
            .collect();
        for spec in overrides {
            let err = |message: String| Error::Route {
                spec: spec.clone(),
                message,
            };
            let (prefix, section) = spec
                .split_once('=')
                .ok_or_else(|| err("expected PREFIX=SECTION".into()))?;
            if !prefix.starts_with('/') {
                return Err(err("the prefix must start with '/'".into()));
            }
            // Paths are routed without their query (see `section_for`).
            if prefix.contains(['?', '#']) {
                return Err(err(
                    "a prefix is a path: it cannot hold a query ('?') or fragment ('#')".into(),
                ));
            }
            let id = catalog.section_id(section).ok_or_else(|| {
                let ids: Vec<&str> = catalog.sections().iter().map(|s| s.id.as_str()).collect();
                err(format!(
                    "no section {section:?} in the catalog (sections: {})",
                    ids.join(", ")
                ))
            })?;
            rules.retain(|(p, _)| p != prefix.as_bytes());
            rules.push((prefix.as_bytes().to_vec(), id));
        }
        rules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(Routes {
            rules: rules.into_iter().map(|(p, s)| Rule::new(p, s)).collect(),
        })
    }

    /// The section for `path`; `None` when no rule matches. A full URL
    /// (`https://host/v3/...`) is matched on its path, without its query or
    /// fragment (see [`crate::classify::path::request_path`]). A prefix ending in `/` also
    /// matches the path without it (`/v3/openai` for `/v3/openai/`).
    #[inline]
    pub fn section_for(&self, path: &[u8]) -> Option<SectionId> {
        self.section_for_request_path(crate::classify::path::request_path(path))
    }

    /// [`Routes::section_for`] for a path already stripped by
    /// [`crate::classify::path::request_path`].
    #[inline]
    pub fn section_for_request_path(&self, path: &[u8]) -> Option<SectionId> {
        let word = first_word(path);
        self.rules
            .iter()
            .find(|rule| rule.matches(path, word))
            .map(|rule| rule.section)
    }

    /// The rules, longest prefix first, for display.
    pub fn rules(&self) -> impl Iterator<Item = (&[u8], SectionId)> {
        self.rules.iter().map(|r| (r.prefix.as_slice(), r.section))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(routes: &Routes, catalog: &Catalog, path: &str) -> Option<String> {
        routes
            .section_for(path.as_bytes())
            .map(|s| catalog.section(s).id.clone())
    }

    #[test]
    fn defaults_longest_prefix_wins() {
        let c = Catalog::embedded();
        let r = Routes::new(&c, &[]).unwrap();
        for (path, want) in [
            ("/v3/async/task-result?task_id=1", Some("media")),
            ("/v3/async/txt2img", Some("media")),
            ("/v3/openai/chat/completions", Some("llm")),
            ("/v3/openai", Some("llm")),
            ("/v3/openai?model=x", Some("llm")),
            // The query is not part of the path, however long it is.
            ("/v3/async?task_id=6f9b6dae6f4c57a8", Some("media")),
            ("/v3/async#frag", Some("media")),
            ("/v3/openai/?x", Some("llm")),
            ("/v3/openaiX", Some("media")),
            ("/v3/img2img", Some("media")),
            ("/v2/txt2img", Some("media")),
            ("/openai/v1/chat/completions", Some("llm")),
            ("/openapi/v1/billing/bill/list", Some("billing")),
            ("https://api.example.com/v3/openai/models", Some("llm")),
            ("/healthz", None),
            ("/", None),
            ("", None),
        ] {
            assert_eq!(section(&r, &c, path).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn overrides_add_and_replace() {
        let c = Catalog::embedded();
        let r = Routes::new(&c, &["/v3/=llm".into(), "/custom/=billing".into()]).unwrap();
        assert_eq!(section(&r, &c, "/v3/img2img").as_deref(), Some("llm"));
        assert_eq!(section(&r, &c, "/v3/async/x").as_deref(), Some("media"));
        assert_eq!(section(&r, &c, "/custom/a").as_deref(), Some("billing"));
        for bad in ["/x", "x=media", "/x=nope", "/x?y=media", "/x#y=llm"] {
            let e = Routes::new(&c, &[bad.into()]).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
