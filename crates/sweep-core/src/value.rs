use crate::{Params, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Canonical JSON text of a value: object keys sorted, numbers normalised so that `1.0`
/// and `1` are the same text, no whitespace. Two values are "the same" for Sweep (grid
/// de-duplication, config hashing) exactly when their canonical texts are equal, so
/// `true` differs from `1` and objects compare regardless of key order.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                write_float(f, out);
            }
        }
        Value::String(s) => {
            // serde_json's string escaping is canonical already.
            out.push_str(&Value::String(s.clone()).to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn write_float(f: f64, out: &mut String) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT {
        let _ = write!(out, "{}", f as i64);
    } else {
        let _ = write!(out, "{f:?}");
    }
}

/// The identity of a value for comparisons by content (see [`canonical_json`]).
pub fn value_key(value: &Value) -> String {
    canonical_json(value)
}

/// Whether two values are the same by content: `1.0 == 1`, `true != 1`, objects
/// regardless of key order.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    value_key(a) == value_key(b)
}

/// SHA-256 of the canonical JSON of a config, in lowercase hex. Stable across runs,
/// machines and key orders.
pub fn config_hash(value: &Value) -> String {
    let digest = Sha256::digest(canonical_json(value).as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The first eight hex digits of [`config_hash`], as used in run ids.
pub fn hash8(value: &Value) -> String {
    config_hash(value)[..8].to_string()
}

/// A name as a fragment of an id: lowercase ASCII letters, digits, `-` and `_`, other
/// characters as `-`, at most 40 characters; `sweep` when nothing is left.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "sweep".into()
    } else {
        s.chars().take(40).collect()
    }
}

/// Writes `value` at a dotted key: `training.lr` sets `config["training"]["lr"]`, creating
/// intermediate objects as needed. A non-object in the way is replaced by an object.
pub fn set_dotted(config: &mut Value, key: &str, value: Value) {
    if !config.is_object() {
        *config = Value::Object(Default::default());
    }
    let mut parts = key.split('.').peekable();
    let mut node = config;
    while let Some(part) = parts.next() {
        let Value::Object(map) = node else {
            return;
        };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        let child = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
        if !child.is_object() {
            *child = Value::Object(Default::default());
        }
        node = child;
    }
}

/// The resolved config of a run: the base config with every param written at its dotted
/// key, in param-name order.
///
/// A param whose name extends another param's name (`model.base_model.activation` beside
/// `model`, Hydra's override style) cannot live inside the other's value, so it is written
/// as one top-level key under its full name, dots included, as W&B's run config holds it:
/// `{"model": "v0", "model.base_model.activation": "mish"}`.
pub fn resolve_config(base: &Value, params: &Params) -> Value {
    let mut config = if base.is_object() {
        base.clone()
    } else {
        Value::Object(Default::default())
    };
    for (key, value) in params {
        let extends_another = key
            .match_indices('.')
            .any(|(i, _)| params.contains_key(&key[..i]));
        match (&mut config, extends_another) {
            (Value::Object(map), true) => {
                map.insert(key.clone(), value.clone());
            }
            _ => set_dotted(&mut config, key, value.clone()),
        }
    }
    config
}

/// The kind of a JSON value, for error messages ("expected an object, found a string").
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_param_extending_another_s_name_is_a_flat_key_beside_it() {
        let params = Params::from([
            ("model".to_string(), json!("v0")),
            ("model.base_model.activation".to_string(), json!("mish")),
            ("optim.lr".to_string(), json!(0.1)),
        ]);
        let base = json!({"optim": {"momentum": 0.9}});
        assert_eq!(
            resolve_config(&base, &params),
            json!({
                "model": "v0",
                "model.base_model.activation": "mish",
                "optim": {"lr": 0.1, "momentum": 0.9}
            })
        );
    }

    #[test]
    fn canonical_form_compares_by_content() {
        assert!(values_equal(&json!(1.0), &json!(1)));
        assert!(!values_equal(&json!(true), &json!(1)));
        assert!(!values_equal(&json!("1"), &json!(1)));
        assert!(values_equal(
            &json!({"a": 1, "b": [1.0, {"y": 2, "x": 1}]}),
            &json!({"b": [1, {"x": 1.0, "y": 2}], "a": 1.0})
        ));
        assert!(!values_equal(&json!(0.1), &json!(0.10000001)));
        assert_eq!(
            canonical_json(&json!({"b": 1e-5, "a": null})),
            r#"{"a":null,"b":1e-5}"#
        );
    }

    #[test]
    fn hash_is_stable_and_order_free() {
        let a = json!({"model": {"lr": 0.01, "kind": "lr"}, "seed": 1});
        let b = json!({"seed": 1.0, "model": {"kind": "lr", "lr": 0.01}});
        assert_eq!(config_hash(&a), config_hash(&b));
        assert_eq!(hash8(&a).len(), 8);
        assert_ne!(hash8(&a), hash8(&json!({"seed": 2})));
        // Pinned: a change to the canonical form changes every stored run id.
        assert_eq!(hash8(&json!({})), "44136fa3");
    }

    #[test]
    fn dotted_keys_write_nested_values() {
        let base = json!({"training": {"lr": 0.1, "epochs": 3}, "name": "x"});
        let mut params = Params::new();
        params.insert("training.lr".into(), json!(0.01));
        params.insert("model.detr.dim".into(), json!(128));
        params.insert("name.sub".into(), json!(true));
        let cfg = resolve_config(&base, &params);
        assert_eq!(
            cfg,
            json!({"training": {"lr": 0.01, "epochs": 3}, "model": {"detr": {"dim": 128}}, "name": {"sub": true}})
        );
    }
}
