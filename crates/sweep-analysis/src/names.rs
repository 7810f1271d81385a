//! Display names for config keys and values in tables meant for people:
//!
//! ```yaml
//! keys:
//!   optim.lr: LR
//!   model.kind: model
//! values:
//!   model.weights:
//!     null: random          # YAML scalars: null, numbers and booleans match by value
//!   model.kind:
//!     logistic_regression: LogReg
//! ```
//!
//! Machine outputs (JSON, CSV) keep the keys and values as recorded, so tools see stable
//! names.

use std::collections::BTreeMap;
use sweep_core::{Value, value_key};

/// Display names read from a mapping (see the module doc).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisplayNames {
    keys: BTreeMap<String, String>,
    /// Key → canonical value ([`value_key`]) → name.
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A mapping key as a value: YAML's scalars (`null`, `true`, numbers) by value, anything
/// else as the string it is.
fn scalar(text: &str) -> Value {
    match text {
        "null" | "~" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

impl DisplayNames {
    /// Reads the mapping; every problem at once, each naming its key.
    pub fn from_value(v: &Value) -> Result<DisplayNames, Vec<String>> {
        let mut names = DisplayNames::default();
        let mut problems = Vec::new();
        let Value::Object(root) = v else {
            return Err(vec!["expected a mapping with `keys` and `values`".into()]);
        };
        for (k, _) in root.iter().filter(|(k, _)| *k != "keys" && *k != "values") {
            problems.push(format!("`{k}`: unknown section (`keys` or `values`)"));
        }
        match root.get("keys") {
            None | Some(Value::Null) => {}
            Some(Value::Object(keys)) => {
                for (key, name) in keys {
                    match name {
                        Value::String(n) => {
                            names.keys.insert(key.clone(), n.clone());
                        }
                        other => problems.push(format!(
                            "keys.{key}: a display name must be a string, found {}",
                            sweep_core::json_kind(other)
                        )),
                    }
                }
            }
            Some(other) => problems.push(format!(
                "keys: expected a mapping of config keys to names, found {}",
                sweep_core::json_kind(other)
            )),
        }
        match root.get("values") {
            None | Some(Value::Null) => {}
            Some(Value::Object(values)) => {
                for (key, map) in values {
                    let Value::Object(map) = map else {
                        problems.push(format!(
                            "values.{key}: expected a mapping of values to names, found {}",
                            sweep_core::json_kind(map)
                        ));
                        continue;
                    };
                    let entry = names.values.entry(key.clone()).or_default();
                    for (value, name) in map {
                        match name {
                            Value::String(n) => {
                                entry.insert(value_key(&scalar(value)), n.clone());
                            }
                            other => problems.push(format!(
                                "values.{key}.{value}: a display name must be a string, found {}",
                                sweep_core::json_kind(other)
                            )),
                        }
                    }
                }
            }
            Some(other) => problems.push(format!(
                "values: expected a mapping of config keys to value names, found {}",
                sweep_core::json_kind(other)
            )),
        }
        if problems.is_empty() {
            Ok(names)
        } else {
            Err(problems)
        }
    }

    /// The name to show for a config key (the key itself when it has none).
    pub fn key<'a>(&'a self, key: &'a str) -> &'a str {
        self.keys.get(key).map_or(key, String::as_str)
    }

    /// The name to show for a key's value, when the mapping gives one.
    pub fn value(&self, key: &str, value: &Value) -> Option<&str> {
        self.values
            .get(key)?
            .get(&value_key(value))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_values_get_their_names_by_value() {
        let names = DisplayNames::from_value(&json!({
            "keys": {"optim.lr": "LR"},
            "values": {
                "model.weights": {"null": "random", "imagenet": "pretrained"},
                "optim.lr": {"0.1": "high", "true": "yes"}
            }
        }))
        .unwrap_or_default();
        assert_eq!(names.key("optim.lr"), "LR");
        assert_eq!(names.key("seed"), "seed");
        assert_eq!(names.value("model.weights", &Value::Null), Some("random"));
        assert_eq!(
            names.value("model.weights", &json!("imagenet")),
            Some("pretrained")
        );
        assert_eq!(names.value("optim.lr", &json!(0.1)), Some("high"));
        assert_eq!(names.value("optim.lr", &json!(true)), Some("yes"));
        assert_eq!(
            names.value("optim.lr", &json!("0.1")),
            None,
            "a string is not 0.1"
        );
        assert_eq!(names.value("other", &json!(1)), None);
    }

    #[test]
    fn every_problem_is_named() {
        let problems = DisplayNames::from_value(&json!({
            "keys": {"a": 1},
            "values": {"b": [1], "c": {"x": {"y": 1}}},
            "colours": {}
        }));
        let problems = problems.err().unwrap_or_default();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("keys.a:")));
        assert!(problems.iter().any(|p| p.starts_with("values.b:")));
        assert!(problems.iter().any(|p| p.starts_with("values.c.x:")));
        assert!(problems.iter().any(|p| p.starts_with("`colours`")));
    }
}
