//! The top-level keys a JSON-lines format wants, in a table with a perfect hash
//! ([`FlatKeys`]), for the fast walk ([`super::walk`]).

use std::ops::Range;

use super::{Leaf, Node, Source};

/// The top-level keys of a format whose key paths are all one key long, in a
/// small table with a perfect hash, so that a key of the line is found, or found
/// unwanted, with one hash, one load and one comparison, and no probe loop.
///
/// Why: the lookup is on every key of every line (a large share of a JSON line's
/// time in perf), and an open-addressing table ended it with a probe loop whose
/// exits depend on the key. With each wanted key alone in its slot, a key's
/// leaves follow from one comparison: fewer instructions per JSON line and less
/// time (figures in docs/performance.md; perf still puts much of the time on the
/// comparison, which waits on the key's load and hash).
#[derive(Debug, Clone)]
pub(super) struct FlatKeys {
    /// A power of two long; each wanted short key alone in its slot.
    table: Box<[Entry]>,
    /// The multiplier of [`slot_of`], chosen so that no two wanted keys share a
    /// slot, and the shift that keeps the product's top bits, as many as the
    /// table's size needs.
    multiplier: u64,
    shift: u32,
    /// Every key's leaves; an entry holds a range of them.
    leaves: Box<[Leaf]>,
    /// Wanted keys of [`PACKED`] bytes or more, looked up one by one.
    long: Box<[LongKey]>,
}

/// A wanted key of [`PACKED`] bytes or more.
#[derive(Debug, Clone)]
struct LongKey {
    key: Box<[u8]>,
    leaves: Range<u16>,
}

/// Keys shorter than this many bytes are packed into a `u128`.
const PACKED: usize = 16;

/// A slot of [`FlatKeys::table`].
#[derive(Debug, Clone)]
struct Entry {
    /// The key's bytes, little-endian and zero-padded.
    packed: u128,
    /// Its length; [`Entry::VACANT`] in a vacant slot.
    len: usize,
    leaves: Range<u16>,
}

impl Entry {
    const VACANT: usize = usize::MAX;
}

/// `MASKS[n]`: the low `n` bytes of a `u128`.
const MASKS: [u128; PACKED] = {
    let mut masks = [0u128; PACKED];
    let mut n = 1;
    while n < PACKED {
        masks[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    masks
};

impl FlatKeys {
    /// `None` when some key path is longer than one key: such formats (Kong's
    /// `response.status`) are read by the serde walk alone.
    pub(super) fn new(root: &Node, sources: &[Source]) -> Option<FlatKeys> {
        if root.children.iter().any(|(_, n)| !n.children.is_empty()) {
            return None;
        }
        let mut leaves = Vec::new();
        let mut short = Vec::new();
        let mut long = Vec::new();
        for (key, node) in &root.children {
            let start = u16::try_from(leaves.len()).ok()?;
            leaves.extend(node.leaves.iter().map(|&id| Leaf::new(sources, id)));
            let range = start..u16::try_from(leaves.len()).ok()?;
            if key.len() < PACKED {
                short.push((pack(key.as_bytes()), key.len(), range));
            } else {
                long.push(LongKey {
                    key: key.as_bytes().into(),
                    leaves: range,
                });
            }
        }
        let (size, multiplier) = perfect_hash(&short)?;
        let shift = 64 - size.trailing_zeros();
        let mut table = vec![
            Entry {
                packed: 0,
                len: Entry::VACANT,
                leaves: 0..0,
            };
            size
        ];
        for (packed, len, leaves) in short {
            table[slot_of(packed, len, multiplier, shift)] = Entry {
                packed,
                len,
                leaves,
            };
        }
        Some(FlatKeys {
            table: table.into(),
            multiplier,
            shift,
            leaves: leaves.into(),
            long: long.into(),
        })
    }

    /// The leaves of the key that starts at `line[at..]` and is `len` bytes
    /// long: none when it is not wanted. Always inlined: the walk calls it for
    /// every key, and out of line the call cost more than the lookup (figures in
    /// docs/performance.md).
    #[inline(always)]
    pub(super) fn get(&self, line: &[u8], at: usize, len: usize) -> &[Leaf] {
        let range = if len < PACKED {
            // The key is followed by at least its closing quote, so its 16 bytes
            // are usually there to load at once; masked to its length they
            // compare with the packed keys directly.
            let packed = match line.get(at..at + PACKED) {
                Some(word) => u128::from_le_bytes(word.try_into().expect("16 bytes")) & MASKS[len],
                None => pack(&line[at..at + len]),
            };
            let entry = &self.table[slot_of(packed, len, self.multiplier, self.shift)];
            if entry.packed != packed || entry.len != len {
                // Most keys of a line are not wanted: they return here, without
                // a range of leaves to check.
                return &[];
            }
            entry.leaves.clone()
        } else {
            let key = &line[at..at + len];
            match self.long.iter().find(|long| *long.key == *key) {
                Some(long) => long.leaves.clone(),
                None => return &[],
            }
        };
        &self.leaves[usize::from(range.start)..usize::from(range.end)]
    }
}

/// A key of under [`PACKED`] bytes as a little-endian, zero-padded integer.
fn pack(key: &[u8]) -> u128 {
    let mut bytes = [0u8; PACKED];
    bytes[..key.len()].copy_from_slice(key);
    u128::from_le_bytes(bytes)
}

/// The slot of [`FlatKeys::table`] (of `2^(64 - shift)` slots) for a packed key
/// of `len` bytes: multiply-shift hashing, the product's top bits.
#[inline]
fn slot_of(packed: u128, len: usize, multiplier: u64, shift: u32) -> usize {
    let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(29) ^ len as u64;
    (folded.wrapping_mul(multiplier) >> shift) as usize
}

/// A table size and a multiplier under which every short key has a slot of its
/// own: the first of a fixed sequence of odd multipliers that works, at the
/// smallest size that has one (from four slots per key). `None` when none does
/// (two keys that fold to the same word); the format is then read by the serde
/// walk alone.
fn perfect_hash(short: &[(u128, usize, Range<u16>)]) -> Option<(usize, u64)> {
    let mut size = (short.len() * 4).next_power_of_two().max(16);
    while size <= 1 << 16 {
        // splitmix64's increments and mixing: a fixed, well-spread sequence.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..1000 {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let multiplier = (z ^ (z >> 31)) | 1;
            let mut taken = vec![false; size];
            let shift = 64 - size.trailing_zeros();
            let distinct = short.iter().all(|&(packed, len, _)| {
                let slot = slot_of(packed, len, multiplier, shift);
                !std::mem::replace(&mut taken[slot], true)
            });
            if distinct {
                return Some((size, multiplier));
            }
        }
        size *= 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{defaults, FieldOverride};
    use super::*;

    /// The perfect hash gives every wanted key a slot of its own, for the
    /// defaults and for two hundred keys of every short length: each is found
    /// with its leaves, and look-alikes (one byte or one length off) find none.
    #[test]
    fn flat_keys_find_each_wanted_key_and_no_other() {
        let mut keys: Vec<String> = (0..200)
            .map(|i| format!("{}k{i}", "x".repeat(i % 12)))
            .collect();
        keys.extend(["a", "ab", "status", "code", "uri"].map(String::from));
        let root = {
            let mut root = Node::default();
            for (i, key) in keys.iter().enumerate() {
                root.insert(std::iter::once(key.as_str()), i);
            }
            root
        };
        let sources: Vec<Source> = keys
            .iter()
            .map(|k| {
                Source::from_override(&FieldOverride::parse(&format!("name={k}")).unwrap()).unwrap()
            })
            .collect();
        let flat = FlatKeys::new(&root, &sources).expect("a perfect hash for 205 keys");
        for (i, key) in keys.iter().enumerate() {
            let line = format!("{{\"{key}\":1}}");
            let leaves = flat.get(line.as_bytes(), 2, key.len());
            assert_eq!(
                leaves.iter().map(|l| l.source).collect::<Vec<_>>(),
                [i],
                "{key}"
            );
            for other in [
                format!("{key}z"),
                format!("z{}", &key[1..]),
                key[..key.len() - 1].to_string(),
            ] {
                if !keys.contains(&other) {
                    let line = format!("{{\"{other}\":1}}");
                    assert!(
                        flat.get(line.as_bytes(), 2, other.len()).is_empty(),
                        "{other}"
                    );
                }
            }
        }
        assert!(defaults().flat.is_some());
    }
}
