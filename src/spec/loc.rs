//! `Loc<T>`: a value with the byte span it came from, when toml knows it.
//!
//! `toml::Spanned<T>` fails outright on tables that toml creates implicitly (the
//! `services.gateway` of a lone `[services.gateway.operations.checkout]` header, or a
//! dotted-key table), which are ordinary TOML. `Loc<T>` speaks the same private
//! protocol as `Spanned` but falls back gracefully: for an implicit table it takes the
//! span of the table's first key (which sits on the line that created the table).

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

// The private protocol of serde_spanned (0.6), which toml implements.
const NAME: &str = "$__serde_spanned_private_Spanned";
const START: &str = "$__serde_spanned_private_start";
const END: &str = "$__serde_spanned_private_end";
const VALUE: &str = "$__serde_spanned_private_value";
const FIELDS: [&str; 3] = [START, END, VALUE];

/// A deserialized value and the byte range of its text, if known.
#[derive(Clone, Debug)]
pub(crate) struct Loc<T> {
    /// Byte range in the source text.
    pub span: Option<Range<usize>>,
    /// The value.
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loc<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(NAME, &FIELDS, LocVisitor(PhantomData))
    }
}

struct LocVisitor<T>(PhantomData<T>);

/// Reads the spanned protocol after its first key, `START`.
fn read_spanned<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    mut map: A,
) -> Result<Loc<T>, A::Error> {
    let start: usize = map.next_value()?;
    let mut end: Option<usize> = None;
    let mut value: Option<T> = None;
    while let Some(key) = map.next_key::<Key>()? {
        match key.name.as_str() {
            END => end = Some(map.next_value()?),
            VALUE => value = Some(map.next_value()?),
            other => return Err(de::Error::unknown_field(other, &FIELDS)),
        }
    }
    match (end, value) {
        (Some(end), Some(value)) => Ok(Loc {
            span: Some(start..end),
            value,
        }),
        (None, _) => Err(de::Error::missing_field(END)),
        (_, None) => Err(de::Error::missing_field(VALUE)),
    }
}

impl<'de, T: Deserialize<'de>> de::Visitor<'de> for LocVisitor<T> {
    type Value = Loc<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loc<T>, A::Error> {
        match map.next_key::<Key>()? {
            Some(k) if k.name == START => read_spanned(map),
            first => {
                let span = first.as_ref().and_then(|k| k.span.clone());
                let rest = Prepend {
                    first: first.map(|k| k.name),
                    map,
                };
                let value = T::deserialize(MapAccessDeserializer::new(rest))?;
                Ok(Loc { span, value })
            }
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loc<T>, E> {
        plain(T::deserialize(v.into_deserializer()))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Loc<T>, A::Error> {
        plain(T::deserialize(SeqAccessDeserializer::new(seq)))
    }
}

fn plain<T, E>(r: Result<T, E>) -> Result<Loc<T>, E> {
    r.map(|value| Loc { span: None, value })
}

/// A map key, with its span when the deserializer offers one.
struct Key {
    name: String,
    span: Option<Range<usize>>,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(NAME, &FIELDS, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> de::Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key {
            name: v.to_owned(),
            span: None,
        })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
        Ok(Key {
            name: v,
            span: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Key, A::Error> {
        let mut map = map;
        match map.next_key::<Key>()? {
            Some(k) if k.name == START => {
                let loc: Loc<String> = read_spanned(map)?;
                Ok(Key {
                    name: loc.value,
                    span: loc.span,
                })
            }
            _ => Err(de::Error::custom("expected a key")),
        }
    }
}

/// A map whose first key has already been read.
struct Prepend<A> {
    first: Option<String>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prepend<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(k) => seed.deserialize(k.into_deserializer()).map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}
