//! The hot path of JSON-lines ingest: a metric line read straight into `(key, number)`
//! pairs that borrow from the line, without building a JSON tree or a map per record.
//!
//! Anything unusual (invalid JSON, Python's bare `NaN`, a line that is not an object) makes
//! [`numbers`] give up, and the caller reads the line the slow way, which reports why.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The numeric fields of a JSON object line, in order, into `out` (cleared first); false
/// when the line is not a well-formed JSON object. A string spelling a non-finite number
/// (`"NaN"`, `"Infinity"`, …) counts as a number, as [`sweep_core::metric_number`] has it;
/// other values are skipped.
pub(crate) fn numbers<'a>(line: &'a str, out: &mut Vec<(Cow<'a, str>, f64)>) -> bool {
    out.clear();
    let mut de = serde_json::Deserializer::from_str(line);
    let ok = de.deserialize_map(Fields { out: &mut *out }).is_ok() && de.end().is_ok();
    if !ok {
        out.clear();
    }
    ok
}

struct Fields<'o, 'a> {
    out: &'o mut Vec<(Cow<'a, str>, f64)>,
}

impl<'de: 'a, 'a> Visitor<'de> for Fields<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(v) = map.next_value_seed(Number)? {
                self.out.push((key, v));
            }
        }
        Ok(())
    }
}

/// A key, borrowed from the line unless it holds escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// A value as a metric number, or `None` (skipped) for anything else.
struct Number;

impl<'de> DeserializeSeed<'de> for Number {
    type Value = Option<f64>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Number {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(sweep_core::metric_number(&serde_json::Value::String(
            v.to_string(),
        )))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sweep_core::parse_metric_line;

    /// The fast path agrees with `parse_metric_line` wherever it answers.
    #[test]
    fn the_fast_path_reads_what_the_slow_path_reads() {
        let lines = [
            r#"{"step": 3, "val/acc": 0.8125, "note": "x", "ok": true, "n": null}"#,
            r#"{"loss": "NaN", "big": 18446744073709551615, "neg": -2, "e": 1e-320}"#,
            r#"{"nested": {"a": [1, 2]}, "list": [1, {"b": 2}], "x": 0.1}"#,
            r#"{"esc\u00e9ped": 1.5, "x": 2, "x": 3}"#,
        ];
        let mut out = Vec::new();
        for line in lines {
            assert!(numbers(line, &mut out), "{line}");
            let (slow, _) = parse_metric_line(line).unwrap();
            let fast: sweep_core::MetricRecord =
                out.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            assert_eq!(
                format!("{fast:?}"),
                format!("{slow:?}"),
                "{line} (NaN compared by Debug)"
            );
        }
    }

    #[test]
    fn anything_else_is_left_to_the_slow_path() {
        let mut out = vec![(Cow::Borrowed("stale"), 1.0)];
        for line in [
            r#"{"loss": NaN}"#,
            "[1, 2]",
            r#"{"a": 1"#,
            r#"{"a": 1} x"#,
            "3",
        ] {
            assert!(!numbers(line, &mut out), "{line}");
            assert!(out.is_empty());
        }
    }
}
