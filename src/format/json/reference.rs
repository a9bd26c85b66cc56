//! The reference reading of a JSON line: serde_json walks it, capturing wanted
//! values as raw text and skipping the rest (see [`super`]'s module doc).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Captures, Leaf, Node, Source};

/// Walks one JSON value positioned at a trie node: an object's keys are matched
/// against the node's children; any other value is skipped. Yields whether the
/// value was an object.
pub(super) struct Walk<'f, 'c, 'de> {
    pub sources: &'f [Source],
    pub node: &'f Node,
    pub caps: &'c mut Captures<'de>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        // `deserialize_any` so that a value of another type on a wanted path (a
        // string where an object was expected) is skipped, not an error.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Walk {
            sources,
            node,
            caps,
        } = self;
        while let Some(child) = map.next_key_seed(KeySeed(node))? {
            let Some(child) = child else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let capture = child
                .leaves
                .iter()
                .any(|&id| caps.wants(&Leaf::new(sources, id)));
            if capture {
                let raw: &'de RawValue = map.next_value()?;
                let raw = raw.get();
                for &id in &child.leaves {
                    caps.offer(&Leaf::new(sources, id), raw.as_bytes());
                }
                // The same value is also on a longer path: walk the captured text
                // again. It is a slice of the line, so what is captured inside still
                // borrows from the line; it has been validated already, so this
                // cannot fail, and the trie's depth bounds the recursion.
                if !child.children.is_empty() && raw.starts_with('{') {
                    let mut inner = serde_json::Deserializer::from_str(raw);
                    let walk = Walk {
                        sources,
                        node: child,
                        caps: &mut *caps,
                    };
                    walk.deserialize(&mut inner).map_err(de::Error::custom)?;
                }
            } else if !child.children.is_empty() {
                map.next_value_seed(Walk {
                    sources,
                    node: child,
                    caps: &mut *caps,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        // IgnoredAny skips nested values iteratively (serde_json keeps its own
        // stack on the heap), so even absurd nesting cannot overflow ours.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Reads one object key and looks it up among a node's children. `visit_str`
/// sees both borrowed keys and (rare) keys unescaped into serde_json's scratch
/// buffer, so `"st\u0061tus"` matches `status` without an allocation of ours.
struct KeySeed<'f>(&'f Node);

impl<'de, 'f> DeserializeSeed<'de> for KeySeed<'f> {
    type Value = Option<&'f Node>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'f> Visitor<'de> for KeySeed<'f> {
    type Value = Option<&'f Node>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.child(key))
    }
}
