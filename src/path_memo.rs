//! A memo of request paths for the lines of one chunk: each distinct path (origin
//! and query stripped) is routed to its section and grouped into its endpoint once,
//! and the counts of its lines gather in the memo until [`PathMemo::flush`] adds
//! them to the tally at the chunk's end.
//!
//! Why: routing and endpoint grouping (split into segments, tell IDs from words,
//! hash the endpoint, find it among the capped endpoints) were a third of the time
//! of a gateway line, yet a log holds few distinct paths. A memo hit costs one hash
//! of the path and one comparison.
//!
//! Exactness: a hit gives what the slow path computes, because both functions
//! depend only on the stripped path ([`Routes::section_for`] and
//! [`path::endpoint_into`] strip it with [`path::request_path`] and go on from
//! there; the memo strips once and calls what they go on with), and counts merged
//! into the capped endpoint map give the same map as counting line by line (which
//! endpoints keep a row depends on their ranks only, see [`crate::capped`]). The
//! memo holds at most [`MEMO_PATHS`] paths; lines of other paths take the slow
//! path, so a log of a million distinct paths costs one extra lookup per line and
//! no extra memory.

use std::collections::HashMap;

use crate::catalog::SectionId;
use crate::classify::Class;
use crate::path;
use crate::routes::Routes;
use crate::tally::{ClassTally, Tally};

/// Distinct paths a memo keeps.
pub const MEMO_PATHS: usize = 4096;

/// One memoised path.
pub struct Memo {
    section: Option<SectionId>,
    endpoint: Box<[u8]>,
    /// Lines of this path since the last flush.
    counts: ClassTally,
}

/// A path resolved to its section and to where its endpoint counts go.
pub enum Resolved<'m> {
    Memo(&'m mut Memo),
    /// Not memoised (the memo is full): the endpoint, computed for this line.
    Direct {
        section: Option<SectionId>,
        endpoint: &'m [u8],
    },
}

impl Resolved<'_> {
    pub fn section(&self) -> Option<SectionId> {
        match self {
            Resolved::Memo(memo) => memo.section,
            Resolved::Direct { section, .. } => *section,
        }
    }

    /// Count a line of this path under its endpoint.
    #[inline]
    pub fn count(self, class: Class, status: u16, tally: &mut Tally) {
        match self {
            Resolved::Memo(memo) => memo.counts.record(class, status),
            Resolved::Direct { endpoint, .. } => tally.record_endpoint(endpoint, class, status),
        }
    }
}

/// The memo of one chunk's paths (made and flushed by `analyze::process_chunk`).
#[derive(Default)]
pub struct PathMemo {
    /// Request path -> index into `memos`. Seeded per run: keys come from log content.
    index: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    memos: Vec<Memo>,
    /// The endpoint of a path that is not memoised, reused line after line.
    scratch: Vec<u8>,
}

impl PathMemo {
    /// The section and endpoint of `raw_path` (as logged: a full URL, a query).
    #[inline]
    pub fn resolve(&mut self, raw_path: &[u8], routes: &Routes) -> Resolved<'_> {
        let key = path::request_path(raw_path);
        // One lookup for a hit; the key is copied only for a new path.
        if let Some(&i) = self.index.get(key) {
            return Resolved::Memo(&mut self.memos[i]);
        }
        let section = routes.section_for_request_path(key);
        path::request_endpoint_into(key, &mut self.scratch);
        if self.memos.len() >= MEMO_PATHS {
            return Resolved::Direct {
                section,
                endpoint: &self.scratch,
            };
        }
        self.index.insert(key.into(), self.memos.len());
        self.memos.push(Memo {
            section,
            endpoint: self.scratch.as_slice().into(),
            counts: ClassTally::default(),
        });
        Resolved::Memo(self.memos.last_mut().expect("just pushed"))
    }

    /// Add the gathered endpoint counts to `tally` and start over from zero.
    pub fn flush(&mut self, tally: &mut Tally) {
        for memo in &mut self.memos {
            if memo.counts != ClassTally::default() {
                tally.add_endpoint_counts(&memo.endpoint, &memo.counts);
                memo.counts = ClassTally::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Options;
    use crate::catalog::Catalog;

    fn endpoints(tally: &Tally) -> Vec<(String, u64)> {
        let mut rows: Vec<(String, u64)> = tally
            .endpoints
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.requests()))
            .collect();
        rows.sort();
        rows
    }

    /// Memoised, direct and flushed counts add up to what counting each line's
    /// endpoint directly gives, with the same sections.
    #[test]
    fn memo_hits_misses_and_overflow_match_the_slow_path() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let config = Options::default().tally_config();
        let mut paths: Vec<String> = [
            "/v3/async/task-result?task_id=1",
            "/v3/async/task-result?task_id=2",
            "https://h/v3/async/task-result",
            "/v3/openai?x",
            "/v3/openai",
            "/v1/jobs/123/logs",
            "/healthz",
            "",
        ]
        .map(String::from)
        .to_vec();
        // Enough distinct paths to fill the memo, each seen twice.
        for i in 0..MEMO_PATHS + 10 {
            paths.push(format!("/v3/p{i}/x"));
            paths.push(format!("/v3/p{i}/x?again"));
        }
        let mut memo = PathMemo::default();
        let mut fast = Tally::new(config);
        let mut slow = Tally::new(config);
        let mut scratch = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let p = p.as_bytes();
            let resolved = memo.resolve(p, &routes);
            assert_eq!(resolved.section(), routes.section_for(p), "{p:?}");
            resolved.count(Class::Ok, 200, &mut fast);
            path::endpoint_into(p, &mut scratch);
            slow.record_endpoint(&scratch, Class::Ok, 200);
            if i % 1000 == 0 {
                memo.flush(&mut fast);
            }
        }
        memo.flush(&mut fast);
        assert_eq!(memo.memos.len(), MEMO_PATHS);
        assert_eq!(endpoints(&fast), endpoints(&slow));
        // A second flush adds nothing.
        memo.flush(&mut fast);
        assert_eq!(endpoints(&fast), endpoints(&slow));
    }
}
