//! A memo of request paths for the lines one worker thread reads: each distinct path
//! (origin and query stripped) is routed to its section and grouped into its
//! endpoint once, and the counts of its lines gather in the memo until
//! [`PathMemo::flush`] adds them to the tally at each chunk's end. The paths stay
//! memoised from chunk to chunk: what a path routes to depends on the path alone.
//!
//! Why: routing and endpoint grouping (split into segments, tell IDs from words,
//! hash the endpoint, find it among the capped endpoints) were a large share of a
//! gateway line's time (figures in docs/performance.md), yet a log holds few
//! distinct paths. A memo hit costs one hash of the path and one comparison.
//!
//! Exactness: a hit gives what the slow path computes, because both functions
//! depend only on the stripped path ([`Routes::section_for`] and
//! [`path::endpoint_into`] strip it with [`path::request_path`] and go on from
//! there; the memo strips once and calls what they go on with), and counts merged
//! into the capped endpoint map give the same map as counting line by line (which
//! endpoints keep a row depends on their ranks only, see [`crate::tally::capped`]). The
//! memo holds at most [`MEMO_PATHS`] paths, and no path with an identifier in it;
//! lines of other paths take the slow path, so a log of a million distinct paths
//! costs one extra lookup per line and no extra memory.

use std::hash::BuildHasher;

use crate::catalog::SectionId;
use crate::classify::path;
use crate::classify::routes::Routes;
use crate::classify::Class;
use crate::lines::scan::Sixteen;
use crate::tally::{ClassTally, Tally};

/// Distinct paths a memo keeps.
pub const MEMO_PATHS: usize = 4096;

/// One memoised path.
pub struct Memo {
    /// The request path (origin and query stripped), its first [`HEAD`] bytes
    /// and its hash, as [`PathKey`] gives them.
    key: Box<[u8]>,
    head: [u128; 2],
    hash: u64,
    section: Option<SectionId>,
    endpoint: Box<[u8]>,
    /// Lines of this path since the last flush.
    counts: ClassTally,
}

/// A path resolved to its section and to where its endpoint counts go.
pub enum Resolved<'m> {
    /// Memoised: the path's section, and the counts its endpoint adds up in.
    Memo(&'m mut Memo),
    /// Not memoised (the memo is full, or the path holds an identifier): the
    /// endpoint, computed for this line.
    Direct {
        /// The request's section, if a route matched.
        section: Option<SectionId>,
        /// The endpoint (identifiers collapsed to `{id}`).
        endpoint: &'m [u8],
    },
}

impl Resolved<'_> {
    /// The request's section, if a route matched.
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

/// The memo of one worker's paths (kept by `analyze`'s per-thread result, flushed
/// by `analyze::process_chunk` at each chunk's end).
///
/// Its index is an open-addressing table of its own rather than a `HashMap`, so
/// that a line's path is stripped of its query, hashed and compared as two
/// blocks of sixteen bytes ([`PathKey::of`]), with no branch on its length: the
/// map's separate query search, hash and `memcmp` were a measurable share of a
/// gateway line's time (figures in docs/performance.md).
#[derive(Default)]
pub struct PathMemo {
    /// `memo index + 1` in the low 32 bits (0: vacant), the hash's high 32 bits
    /// above; a power of two long, at most half full.
    slots: Vec<u64>,
    memos: Vec<Memo>,
    /// Random per memo: keys come from log content.
    seed: Seed,
    /// The endpoint of a path that is not memoised, reused line after line.
    scratch: Vec<u8>,
}

impl PathMemo {
    /// The section and endpoint of `raw_path` (as logged: a full URL, a query).
    ///
    /// `line` is the line `raw_path` was read from: the path's key is read with
    /// the bytes that follow it there (see [`PathKey::of`]). A path that does
    /// not lie in `line` is read alone.
    #[inline]
    pub fn resolve(&mut self, raw_path: &[u8], line: &[u8], routes: &Routes) -> Resolved<'_> {
        let path = path::strip_origin(raw_path);
        let key = PathKey::of(path, tail_from(line, path), &self.seed);
        if let Some(i) = self.find(&key) {
            return Resolved::Memo(&mut self.memos[i]);
        }
        self.insert_new(key, routes)
    }

    /// The memo of `key`, if it has one.
    #[inline]
    fn find(&self, key: &PathKey) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = key.hash >> 32;
        let mut i = key.hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot >> 32 == tag {
                let memo = (slot as u32 - 1) as usize;
                let held = &self.memos[memo];
                if held.head == key.head
                    && held.key.len() == key.key.len()
                    && (key.key.len() <= HEAD || *held.key == *key.key)
                {
                    return Some(memo);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Route and group a path the memo has not seen, and memoise it unless the
    /// memo is full or the path holds an identifier.
    ///
    /// A path whose endpoint collapsed an identifier (`/v1/jobs/8f3a…/logs`) is
    /// seldom seen twice, and the memo lives as long as its thread: memoising such
    /// paths would fill it early, and every path first seen after that would take
    /// the slow path for the rest of the run.
    #[inline(never)]
    fn insert_new(&mut self, key: PathKey, routes: &Routes) -> Resolved<'_> {
        let section = routes.section_for_request_path(key.key);
        path::request_endpoint_into(key.key, &mut self.scratch);
        let has_id = !key.key.is_empty() && self.scratch != key.key;
        if has_id || self.memos.len() >= MEMO_PATHS {
            return Resolved::Direct {
                section,
                endpoint: &self.scratch,
            };
        }
        self.memos.push(Memo {
            key: key.key.into(),
            head: key.head,
            hash: key.hash,
            section,
            endpoint: self.scratch.as_slice().into(),
            counts: ClassTally::default(),
        });
        if self.memos.len() * 2 > self.slots.len() {
            self.grow();
        } else {
            self.place(self.memos.len() - 1);
        }
        Resolved::Memo(self.memos.last_mut().expect("just pushed"))
    }

    /// Double the table (16 slots at first) and place every memo anew.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        self.slots.clear();
        self.slots.resize(size, 0);
        for memo in 0..self.memos.len() {
            self.place(memo);
        }
    }

    /// Put memo `memo` into the first vacant slot of its probe sequence.
    fn place(&mut self, memo: usize) {
        let hash = self.memos[memo].hash;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (hash >> 32) << 32 | (memo as u64 + 1);
    }

    /// Add the gathered endpoint counts to `tally` and start them over from zero;
    /// the paths stay memoised.
    pub fn flush(&mut self, tally: &mut Tally) {
        for memo in &mut self.memos {
            if memo.counts != ClassTally::default() {
                tally.add_endpoint_counts(&memo.endpoint, &memo.counts);
                memo.counts = ClassTally::default();
            }
        }
    }
}

/// The keys of [`PathKey`]'s hash, drawn per memo.
struct Seed {
    /// Two for each block of the head.
    head: [[u64; 2]; 2],
    len: u64,
    /// For the bytes of a key past its first [`HEAD`].
    rest: foldhash::fast::RandomState,
}

impl Default for Seed {
    fn default() -> Seed {
        let rest = foldhash::fast::RandomState::default();
        let key = |i: u8| rest.hash_one(i);
        Seed {
            head: [[key(0), key(1)], [key(2), key(3)]],
            len: key(4),
            rest,
        }
    }
}

/// The bytes of a request path held as two blocks in [`Memo`], and read at once.
const HEAD: usize = 32;

/// A request path ([`path::strip_query`] of a path whose origin is stripped): its
/// bytes, its first [`HEAD`] bytes zero-padded to two blocks, and its hash.
#[derive(Debug, PartialEq, Eq)]
struct PathKey<'a> {
    key: &'a [u8],
    head: [u128; 2],
    hash: u64,
}

impl<'a> PathKey<'a> {
    /// The key of `path`, given `readable`: `path` and what follows it in the
    /// line (or `path` alone).
    ///
    /// Paths are short, so the first [`HEAD`] bytes are read as two sixteen-byte
    /// blocks whatever the path's length (from `readable`, which nearly always has
    /// them): the query is the first `?` or `#` among them, and the key's bytes are
    /// masked out of them, with no branch on where the path or its query ends. A
    /// key longer than that is searched and hashed on from there. The hash is a
    /// function of the key's bytes alone: `/a?x` and `/a` get the same one.
    #[inline(always)]
    fn of(path: &'a [u8], readable: &[u8], seed: &Seed) -> PathKey<'a> {
        let mut padded = [0u8; HEAD];
        let bytes: &[u8; HEAD] = match readable.first_chunk() {
            Some(bytes) => bytes,
            None => {
                // Near the end of a line: a zero-padded copy (zero is no query).
                padded[..readable.len()].copy_from_slice(readable);
                &padded
            }
        };
        let (first, second) = (&bytes[..16], &bytes[16..]);
        let blocks = [first, second].map(|b| b.first_chunk::<16>().expect("sixteen bytes"));
        let stops =
            u64::from(query_stops(blocks[0])) | u64::from(query_stops(blocks[1])) << 16 | 1 << HEAD;
        let in_head = (stops.trailing_zeros() as usize).min(path.len());
        let masks = head_mask(in_head);
        let head = [0, 1].map(|i| u128::from_le_bytes(*blocks[i]) & masks[i]);
        // The two blocks are hashed side by side, not one into the other: two
        // multiplications that do not wait for each other.
        let mut hash = fold(head[0], seed.head[0]) ^ fold(head[1], seed.head[1]);
        let key_len = if in_head < HEAD {
            in_head
        } else {
            let rest = path::strip_query(&path[HEAD..]);
            hash ^= seed.rest.hash_one(rest);
            HEAD + rest.len()
        };
        hash ^= (key_len as u64).wrapping_mul(seed.len);
        PathKey {
            key: &path[..key_len],
            head,
            hash,
        }
    }
}

/// `readable`'s bytes from where `sub` starts, when `sub` lies in it; else `sub`.
#[inline(always)]
fn tail_from<'a>(readable: &'a [u8], sub: &'a [u8]) -> &'a [u8] {
    let offset = (sub.as_ptr() as usize).wrapping_sub(readable.as_ptr() as usize);
    match readable.get(offset..) {
        Some(tail) if tail.len() >= sub.len() => tail,
        _ => sub,
    }
}

/// The bytes of a block that end a request path ([`path::PATH_ENDS`]).
#[inline(always)]
fn query_stops(bytes: &[u8; 16]) -> u16 {
    let block = Sixteen::load(bytes);
    let [query, fragment] = path::PATH_ENDS;
    block.eq(query) | block.eq(fragment)
}

/// Masks of the first `n` (0 to [`HEAD`]) bytes of two blocks, cut from a
/// window of ones followed by zeros.
#[inline(always)]
fn head_mask(n: usize) -> [u128; 2] {
    const WINDOW: [u8; 2 * HEAD] = {
        let mut bytes = [0u8; 2 * HEAD];
        let mut i = 0;
        while i < HEAD {
            bytes[i] = 0xff;
            i += 1;
        }
        bytes
    };
    let at = HEAD - n;
    [0, 16].map(|i| u128::from_le_bytes(*WINDOW[at + i..].first_chunk().expect("in the window")))
}

/// A sixteen-byte block hashed with two keys (foldhash's step).
#[inline(always)]
fn fold(block: u128, key: [u64; 2]) -> u64 {
    folded_multiply(block as u64 ^ key[0], (block >> 64) as u64 ^ key[1])
}

#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    product as u64 ^ (product >> 64) as u64
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
            let resolved = memo.resolve(p, p, &routes);
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

    /// Paths with an identifier are resolved but not memoised, so that a run of
    /// them does not fill the memo before a word-only path comes.
    #[test]
    fn identifier_paths_are_not_memoised() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let mut memo = PathMemo::default();
        for i in 0..MEMO_PATHS + 10 {
            let p = format!("/v1/jobs/{}/logs?tail=1", 1_000_000 + i);
            match memo.resolve(p.as_bytes(), p.as_bytes(), &routes) {
                Resolved::Direct { endpoint, .. } => assert_eq!(endpoint, b"/v1/jobs/{id}/logs"),
                Resolved::Memo(_) => panic!("{p} memoised"),
            }
        }
        assert!(memo.memos.is_empty());
        for p in [&b"/v3/openai/models"[..], b"", b"/"] {
            assert!(matches!(memo.resolve(p, p, &routes), Resolved::Memo(_)));
        }
        assert_eq!(memo.memos.len(), 3);
    }

    /// Paths whose keys differ only past the head, only in length, only in zero
    /// bytes (which pad the head's blocks), or only in their last byte, each
    /// with and without a query.
    fn look_alike_paths() -> Vec<Vec<u8>> {
        let head = "/v3/".to_string() + &"a".repeat(HEAD - 4);
        let mut paths: Vec<Vec<u8>> = Vec::new();
        for base in [
            "".to_string(),
            "/".to_string(),
            "/a".to_string(),
            "/a\0".to_string(),
            "/a\0\0".to_string(),
            "/b".to_string(),
            "/b\0".to_string(),
            "\0a".to_string(),
            head[..15].to_string(),
            head[..16].to_string(),
            head[..17].to_string(),
            head[..31].to_string(),
            head[..30].to_string() + "z",
            head.clone(),
            head[..31].to_string() + "z",
            head.clone() + "\0",
            head.clone() + "b",
            head.clone() + "c",
            head.clone() + "bc",
            head.clone() + &"d".repeat(40),
            head.clone() + &"d".repeat(41),
        ] {
            for suffix in ["", "?", "?q=1", "#f", "?a#b"] {
                paths.push(format!("{base}{suffix}").into_bytes());
            }
        }
        paths
    }

    /// Lines holding `path`, so that [`PathKey::of`] reads the bytes after it:
    /// alone, followed by the rest of a request line, and followed by bytes
    /// that look like a query.
    fn lines_around(path: &[u8]) -> Vec<(Vec<u8>, usize)> {
        [
            &b""[..],
            b" HTTP/1.1\" 200 12",
            b"?#?#?#?#?#?#?#?#?#?#?#?#?#?#?#?#?#",
        ]
        .iter()
        .map(|after| {
            let mut line = b"GET ".to_vec();
            line.extend_from_slice(path);
            line.extend_from_slice(after);
            (line, 4)
        })
        .collect()
    }

    /// The key is the path up to its query, and its head and hash are those of
    /// the key alone, whatever follows the path in its line.
    #[test]
    fn key_is_the_request_path_and_its_hash_ignores_what_follows() {
        let seed = Seed::default();
        let mut paths = look_alike_paths();
        // Every length up to three blocks, with the query at every place.
        let long = b"/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU";
        for len in 0..long.len() {
            paths.push(long[..len].to_vec());
            for stop in [b'?', b'#'] {
                let mut p = long[..len].to_vec();
                p.push(stop);
                p.extend_from_slice(b"tail");
                paths.push(p);
            }
        }
        for path in &paths {
            let want = path::request_path(path);
            let alone = PathKey::of(want, want, &seed);
            assert_eq!(alone.key, want);
            for (line, at) in lines_around(path) {
                let raw = &line[at..at + path.len()];
                let key = PathKey::of(raw, tail_from(&line, raw), &seed);
                assert_eq!(
                    key,
                    alone,
                    "{:?} in {:?}",
                    String::from_utf8_lossy(path),
                    line
                );
            }
        }
    }

    /// Look-alike paths each get a memo of their own, found again on every later
    /// line, whether or not the path lies in the line given.
    #[test]
    fn look_alike_paths_keep_apart() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let mut memo = PathMemo::default();
        let paths = look_alike_paths();
        for round in 0..3 {
            for path in &paths {
                for (line, at) in lines_around(path) {
                    let raw = &line[at..at + path.len()];
                    let given: &[u8] = if round == 1 { b"elsewhere" } else { &line };
                    let key = path::request_path(raw);
                    let found = match memo.resolve(raw, given, &routes) {
                        Resolved::Memo(m) => m as *const Memo,
                        Resolved::Direct { .. } => panic!("memo full"),
                    };
                    // The memo found holds this very key.
                    let held = memo
                        .memos
                        .iter()
                        .position(|m| std::ptr::eq(m, found))
                        .unwrap();
                    assert_eq!(
                        &*memo.memos[held].key,
                        key,
                        "{:?}",
                        String::from_utf8_lossy(raw)
                    );
                }
            }
        }
        let mut keys: Vec<&[u8]> = memo.memos.iter().map(|m| &*m.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), memo.memos.len(), "one memo per key");
    }

    /// When every hash collides, keys still find their own memos: only the
    /// comparison of the bytes keeps them apart.
    #[test]
    fn colliding_hashes_still_find_their_own_memos() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let mut memo = PathMemo::default();
        let paths: Vec<Vec<u8>> = look_alike_paths()
            .iter()
            .map(|p| path::request_path(p).to_vec())
            .collect();
        fn colliding<'p>(p: &'p [u8], seed: &Seed) -> PathKey<'p> {
            PathKey {
                hash: 0x5eed_0000_0000_0007,
                ..PathKey::of(p, p, seed)
            }
        }
        for p in &paths {
            if memo.find(&colliding(p, &memo.seed)).is_none() {
                memo.insert_new(colliding(p, &memo.seed), &routes);
            }
        }
        let mut keys = paths.clone();
        keys.sort();
        keys.dedup();
        assert_eq!(memo.memos.len(), keys.len());
        for p in &paths {
            let found = memo.find(&colliding(p, &memo.seed)).expect("memoised");
            assert_eq!(
                &*memo.memos[found].key,
                &p[..],
                "{:?}",
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn tail_from_reads_on_only_within_the_line() {
        let line = b"GET /a?b HTTP/1.1";
        assert_eq!(tail_from(line, &line[4..6]), b"/a?b HTTP/1.1");
        assert_eq!(tail_from(line, &line[17..]), b"");
        assert_eq!(tail_from(&line[..6], &line[4..8]), b"/a?b");
        assert_eq!(tail_from(&line[5..], &line[4..6]), b"/a");
        assert_eq!(tail_from(line, b"/static"), b"/static");
    }

    #[test]
    fn head_mask_keeps_the_first_bytes() {
        for n in 0..=HEAD {
            let mut want = [0u8; HEAD];
            want[..n].fill(0xff);
            let [a, b] = head_mask(n);
            let mut got = a.to_le_bytes().to_vec();
            got.extend_from_slice(&b.to_le_bytes());
            assert_eq!(got, want, "{n}");
        }
    }

    proptest::proptest! {
        /// Any path from an alphabet rich in separators, queries and zero bytes,
        /// followed by anything: the key and hash are those of the key alone,
        /// and the memo's endpoints and sections are the slow path's.
        #[test]
        fn memo_agrees_with_the_slow_path_on_any_paths(
            paths in proptest::collection::vec(
                (proptest::collection::vec(proptest::sample::select(b"/a1?#\0-".to_vec()), 0..70),
                 proptest::collection::vec(proptest::num::u8::ANY, 0..40)),
                1..40,
            ),
        ) {
            let catalog = Catalog::embedded();
            let routes = Routes::new(&catalog, &[]).unwrap();
            let config = Options::default().tally_config();
            let mut memo = PathMemo::default();
            let (mut fast, mut slow) = (Tally::new(config), Tally::new(config));
            let mut scratch = Vec::new();
            for (path, after) in &paths {
                let mut line = path.clone();
                line.extend_from_slice(after);
                let raw = &line[..path.len()];
                let want = path::request_path(raw);
                proptest::prop_assert_eq!(
                    PathKey::of(raw, &line, &memo.seed),
                    PathKey::of(want, want, &memo.seed)
                );
                let resolved = memo.resolve(raw, &line, &routes);
                proptest::prop_assert_eq!(resolved.section(), routes.section_for(raw));
                resolved.count(Class::Ok, 200, &mut fast);
                path::endpoint_into(raw, &mut scratch);
                slow.record_endpoint(&scratch, Class::Ok, 200);
            }
            memo.flush(&mut fast);
            proptest::prop_assert_eq!(endpoints(&fast), endpoints(&slow));
        }
    }
}
