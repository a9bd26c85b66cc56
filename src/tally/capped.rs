//! A map that keeps at most `cap` keys and counts every other key's values together.
//!
//! Which keys are kept does not depend on how the input was split into chunks or in
//! which order partial results merge: a key is kept exactly when its rank is among
//! the `cap` smallest ranks of all keys seen. The proof is short: a key in the
//! global bottom `cap` can never be pushed out of any partial map, because every key
//! that outranks it there outranks it globally too, and there are fewer than `cap`
//! of those. So kept keys keep complete values, and `other` holds exactly the rest.
//! Ranks are a hash of the key (an unbiased, fixed sample of names) or the key itself
//! (the earliest time buckets).

use std::borrow::Borrow;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hash};

/// The owned key a borrowed one is stored as (`[u8]` -> `Box<[u8]>`).
pub trait OwnedKey<K> {
    /// The key, owned, to be stored.
    fn owned_key(&self) -> K;
}

impl OwnedKey<Box<[u8]>> for [u8] {
    fn owned_key(&self) -> Box<[u8]> {
        self.into()
    }
}

impl OwnedKey<i64> for i64 {
    fn owned_key(&self) -> i64 {
        *self
    }
}

/// A value that can absorb another of its kind exactly.
pub trait Merge {
    /// Add `other`'s counts to `self`'s.
    fn merge(&mut self, other: &Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: &u64) {
        *self += other;
    }
}

/// A map of at most `cap` keys, the rest's values added together (module doc).
#[derive(Debug, Clone)]
pub struct CappedMap<K, V> {
    cap: usize,
    /// Seeded per run: keys come from log content, which must not be able to pick
    /// colliding hashes.
    map: HashMap<K, (u64, V), foldhash::fast::RandomState>,
    /// Values of keys not kept.
    other: Option<V>,
    /// The kept keys by (rank, key), largest on top: built when the map first
    /// fills, so that each eviction costs a heap step, not a scan of the map.
    ranked: BinaryHeap<(u64, K)>,
}

impl<K: Hash + Eq + Ord + Clone, V: Merge + Clone> CappedMap<K, V> {
    /// An empty map that keeps at most `cap` keys.
    pub fn new(cap: usize) -> CappedMap<K, V> {
        CappedMap {
            cap,
            map: HashMap::default(),
            other: None,
            ranked: BinaryHeap::new(),
        }
    }

    /// The value for `key`, inserted with `init` if new: the kept entry, or the
    /// shared `other` value when the key does not rank among the kept ones. `rank`
    /// is only computed for a key not seen yet.
    #[inline]
    pub fn entry<Q>(
        &mut self,
        key: &Q,
        rank: impl FnOnce() -> u64,
        init: impl FnOnce() -> V,
    ) -> &mut V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Ord + OwnedKey<K> + ?Sized,
    {
        // Once the map has filled, every kept key ranks at most as high as the
        // top of `ranked`: a key ranking above it is not kept, which its rank
        // alone tells, without a lookup. In a log of a million distinct names
        // that is nearly every line.
        let mut rank = Rank::Later(rank);
        if let Some((top_rank, top_key)) = self.ranked.peek() {
            let known = rank.get();
            if (known, key) > (*top_rank, top_key.borrow()) {
                return self.other.get_or_insert_with(init);
            }
            rank = Rank::Known(known);
        }
        if self.map.contains_key(key) {
            // Found twice, unless the key's bytes changed in between: a mapped
            // file cut while it is read, whose pages read as zeros from then on
            // (src/input/sigbus.rs). Its chunk is dropped, so where the line counts
            // does not matter; it must only not panic.
            return match self.map.get_mut(key) {
                Some(kept) => &mut kept.1,
                None => self.other.get_or_insert_with(init),
            };
        }
        let rank = rank.get();
        // A key that is not kept is never copied: a log of a million distinct
        // names allocates only for the few that rank among the kept ones.
        if !self.admit(rank, key) {
            return self.other.get_or_insert_with(init);
        }
        self.insert_kept(rank, key.owned_key(), init())
    }

    /// Make room for a new key if it outranks the largest kept one (evicting that
    /// one into `other`); say whether it may be inserted.
    fn admit<Q>(&mut self, rank: u64, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Ord + ?Sized,
    {
        if self.map.len() < self.cap {
            return true;
        }
        if self.cap == 0 {
            return false;
        }
        if self.ranked.is_empty() {
            self.ranked = self.map.iter().map(|(k, (r, _))| (*r, k.clone())).collect();
        }
        let (top_rank, top_key) = self
            .ranked
            .peek()
            .expect("a full map with cap > 0 has keys");
        if (rank, key) >= (*top_rank, top_key.borrow()) {
            return false;
        }
        let (_, evicted) = self.ranked.pop().expect("peeked above");
        let (_, value) = self
            .map
            .remove::<K>(&evicted)
            .expect("ranked keys are kept");
        self.merge_other(&value);
        true
    }

    /// Insert a key [`CappedMap::admit`] let in, and rank it too once `ranked` is
    /// in use (the map has filled).
    fn insert_kept(&mut self, rank: u64, key: K, value: V) -> &mut V {
        if !self.ranked.is_empty() {
            self.ranked.push((rank, key.clone()));
        }
        &mut self.map.entry(key).or_insert((rank, value)).1
    }

    fn merge_other(&mut self, value: &V) {
        match &mut self.other {
            Some(o) => o.merge(value),
            None => self.other = Some(value.clone()),
        }
    }

    /// Absorb `other`: the result is the map of all the keys and values both saw.
    pub fn merge(&mut self, other: CappedMap<K, V>) {
        for (key, (rank, value)) in other.map {
            self.add(rank, key, value);
        }
        if let Some(o) = &other.other {
            self.merge_other(o);
        }
    }

    /// Add `value` under `key` of rank `rank`, as [`CappedMap::merge`] adds the
    /// entries of another map: to a kept key's value, as a new kept key, or to
    /// `other`. Restores a map written out key by key ([`crate::fleet::partial`]), however
    /// many keys it lists.
    pub fn add(&mut self, rank: u64, key: K, value: V) {
        if let Some(mine) = self.map.get_mut(&key) {
            mine.1.merge(&value);
        } else if self.admit(rank, &key) {
            self.insert_kept(rank, key, value);
        } else {
            self.merge_other(&value);
        }
    }

    /// Add `value` to the values of the keys not kept.
    pub fn add_other(&mut self, value: &V) {
        self.merge_other(value);
    }

    /// Kept keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A kept key's value.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key).map(|(_, v)| v)
    }

    /// The kept keys and their values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().map(|(k, (_, v))| (k, v))
    }

    /// The values of the keys not kept, merged; `None` when every key was kept.
    pub fn other(&self) -> Option<&V> {
        self.other.as_ref()
    }
}

/// A key's rank, computed at most once, when first needed.
enum Rank<F> {
    Later(F),
    Known(u64),
}

impl<F: FnOnce() -> u64> Rank<F> {
    fn get(self) -> u64 {
        match self {
            Rank::Later(rank) => rank(),
            Rank::Known(rank) => rank,
        }
    }
}

/// The rank of a byte-string key: a hash that is the same on every run and machine
/// (a fixed seed), so the kept sample of names is reproducible.
#[inline]
pub fn hash_rank(key: &[u8]) -> u64 {
    foldhash::fast::FixedState::with_seed(0x6572_7273_636f_7065).hash_one(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default, PartialEq)]
    struct Count(u64);

    impl Merge for Count {
        fn merge(&mut self, other: &Self) {
            self.0 += other.0;
        }
    }

    fn record(map: &mut CappedMap<Box<[u8]>, Count>, key: &[u8]) {
        map.entry(key, || hash_rank(key), Count::default).0 += 1;
    }

    fn contents(map: &CappedMap<Box<[u8]>, Count>) -> (Vec<(Vec<u8>, u64)>, u64) {
        let mut kept: Vec<_> = map.iter().map(|(k, v)| (k.to_vec(), v.0)).collect();
        kept.sort();
        (kept, map.other().map_or(0, |o| o.0))
    }

    /// Keys with skewed frequencies: key i occurs i + 1 times, interleaved.
    fn stream() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for round in 0..40 {
            for k in 0..40u32 {
                if round <= k {
                    out.push(format!("name-{k}").into_bytes());
                }
            }
        }
        out
    }

    /// The kept keys are exactly the `cap` of smallest (rank, key), with their full
    /// counts, however many evictions it took (keys arrive in an order that evicts
    /// often: the first keys seen are not the ones kept).
    #[test]
    fn keeps_the_smallest_ranks_through_many_evictions() {
        let keys: Vec<Vec<u8>> = (0..5000).map(|i| format!("k{i}").into_bytes()).collect();
        let mut by_rank: Vec<&Vec<u8>> = keys.iter().collect();
        by_rank.sort_by_key(|k| (hash_rank(k), k.to_vec()));
        let cap = 50;
        let mut map = CappedMap::new(cap);
        for key in by_rank.iter().rev().chain(&by_rank) {
            record(&mut map, key);
        }
        let mut want: Vec<(Vec<u8>, u64)> =
            by_rank[..cap].iter().map(|k| (k.to_vec(), 2)).collect();
        want.sort();
        assert_eq!(contents(&map), (want, 2 * 5000 - 2 * cap as u64));
    }

    #[test]
    fn any_split_and_merge_order_gives_the_same_map() {
        let items = stream();
        let cap = 7;
        let mut whole = CappedMap::new(cap);
        items.iter().for_each(|k| record(&mut whole, k));
        let want = contents(&whole);
        assert_eq!(want.0.len(), cap);
        assert_eq!(
            want.0.iter().map(|k| k.1).sum::<u64>() + want.1,
            items.len() as u64
        );
        for chunk in [1, 2, 3, 5, 64, 333] {
            let parts: Vec<CappedMap<Box<[u8]>, Count>> = items
                .chunks(chunk)
                .map(|c| {
                    let mut m = CappedMap::new(cap);
                    c.iter().for_each(|k| record(&mut m, k));
                    m
                })
                .collect();
            // Left fold, right fold, and pairwise tree merges must all agree.
            let mut left = CappedMap::new(cap);
            parts.iter().cloned().for_each(|p| left.merge(p));
            let mut right = CappedMap::new(cap);
            parts.iter().rev().cloned().for_each(|p| right.merge(p));
            let mut level = parts;
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|pair| {
                        let mut m = pair[0].clone();
                        if let Some(b) = pair.get(1) {
                            m.merge(b.clone());
                        }
                        m
                    })
                    .collect();
            }
            for got in [&left, &right, &level[0]] {
                assert_eq!(contents(got), want, "chunk {chunk}");
            }
        }
    }

    /// With every rank equal, the keys themselves decide, and a full map still
    /// counts each line of a kept key as that key's, the top one included.
    #[test]
    fn equal_ranks_keep_the_smallest_keys_with_exact_counts() {
        let keys: Vec<Vec<u8>> = (0..100).map(|i| format!("k{i:03}").into_bytes()).collect();
        let cap = 10;
        let mut map = CappedMap::new(cap);
        for key in keys.iter().rev().chain(&keys).chain(keys.iter().rev()) {
            map.entry(&key[..], || 7, Count::default).0 += 1;
        }
        let want: Vec<(Vec<u8>, u64)> = keys[..cap].iter().map(|k| (k.clone(), 3)).collect();
        assert_eq!(contents(&map), (want, 3 * (100 - cap as u64)));
    }

    #[test]
    fn kept_keys_have_exact_counts() {
        let items = stream();
        let mut map = CappedMap::new(5);
        items.iter().for_each(|k| record(&mut map, k));
        for (key, count) in map.iter() {
            let exact = items.iter().filter(|k| k.as_slice() == &key[..]).count() as u64;
            assert_eq!(count.0, exact, "{}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn under_the_cap_nothing_is_other_and_zero_cap_keeps_nothing() {
        let mut map = CappedMap::new(100);
        stream().iter().for_each(|k| record(&mut map, k));
        assert_eq!(map.len(), 40);
        assert!(map.other().is_none());
        let mut none = CappedMap::new(0);
        record(&mut none, b"x");
        assert!(none.is_empty());
        assert_eq!(none.other(), Some(&Count(1)));
    }
}
