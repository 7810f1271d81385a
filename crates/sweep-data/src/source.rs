//! Where a dataset comes from and how to read it: [`DataSource`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// File format of a data source.
///
/// `auto` (the default) decides by the file extension (case-insensitive):
///
/// | extension | format |
/// |---|---|
/// | `.jsonl`, `.ndjson` | [`Format::Jsonl`] |
/// | `.json` | [`Format::Json`] when the first non-blank byte is `[`, else [`Format::Jsonl`] |
/// | `.csv` | [`Format::Csv`] |
/// | `.tsv`, `.tab`, `.txt` | [`Format::Tsv`] |
///
/// Any other extension is an error asking for an explicit `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide by extension (see the table above).
    #[default]
    Auto,
    /// JSON lines: one JSON object per line; blank lines are ignored.
    Jsonl,
    /// One JSON array of objects (the seeds' "blind set" files are written this way);
    /// a file whose first non-blank byte is not `[` is read as JSON lines.
    Json,
    /// Comma-separated values (RFC 4180 quoting).
    Csv,
    /// Tab-separated values (no quoting unless `quote: true`).
    Tsv,
}

impl Format {
    /// The format's name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a row that cannot be used (see [`crate::ProblemKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BadRowPolicy {
    /// Leave the row out and record it in [`crate::Dataset::skipped`] (default).
    #[default]
    Skip,
    /// Fail the load with an error that lists every bad row of the file.
    Error,
}

impl BadRowPolicy {
    /// The policy's name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            BadRowPolicy::Skip => "skip",
            BadRowPolicy::Error => "error",
        }
    }
}

/// A field of a row: a JSON key / CSV header name, or a 0-based CSV/TSV column index.
///
/// In a config, a string is a name and a non-negative integer is an index
/// (`text: 1`). For CSV/TSV a name that is not in the header but is written with
/// digits only (`"1"`) is also taken as an index. Indices are only valid for CSV/TSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// A JSON key or a CSV/TSV header name.
    Name(String),
    /// A 0-based CSV/TSV column index.
    Index(usize),
}

impl FieldRef {
    /// `FieldRef::Name(name)`.
    pub fn name(name: impl Into<String>) -> Self {
        FieldRef::Name(name.into())
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Name(n) => write!(f, "`{n}`"),
            FieldRef::Index(i) => write!(f, "column {i}"),
        }
    }
}

impl From<&str> for FieldRef {
    fn from(s: &str) -> Self {
        FieldRef::Name(s.to_owned())
    }
}

impl From<usize> for FieldRef {
    fn from(i: usize) -> Self {
        FieldRef::Index(i)
    }
}

impl Serialize for FieldRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldRef::Name(n) => s.serialize_str(n),
            FieldRef::Index(i) => s.serialize_u64(*i as u64),
        }
    }
}

impl<'de> Deserialize<'de> for FieldRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FieldRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name or a 0-based column index")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldRef, E> {
                if v.is_empty() {
                    return Err(E::custom("a field name cannot be empty"));
                }
                Ok(FieldRef::Name(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldRef, E> {
                usize::try_from(v)
                    .map(FieldRef::Index)
                    .map_err(|_| E::custom(format!("column index {v} is too large")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldRef, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::custom(format!(
                        "column index {v} is negative; indices start at 0"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Built-in defaults shared by the sources of a [`crate::DataPlan`]; a source's own
/// setting wins over these.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDefaults {
    /// Text field (built-in default `text`).
    pub text: FieldRef,
    /// Label field (built-in default `label`).
    pub label: FieldRef,
    /// Whether CSV/TSV files start with a header row (built-in default `true`).
    pub header: bool,
    /// Label renaming (built-in default: none).
    pub label_names: Option<BTreeMap<String, String>>,
    /// Bad-row policy (built-in default `skip`).
    pub bad_rows: BadRowPolicy,
}

impl Default for SourceDefaults {
    fn default() -> Self {
        SourceDefaults {
            text: FieldRef::name("text"),
            label: FieldRef::name("label"),
            header: true,
            label_names: None,
            bad_rows: BadRowPolicy::Skip,
        }
    }
}

/// One dataset file and how to read it.
///
/// In a config it is either a bare path (`train: data/train.jsonl`) or an object:
///
/// ```yaml
/// train:
///   path: data/train.csv      # required
///   format: auto              # auto | jsonl | json | csv | tsv (default auto, by extension)
///   text: text                # JSON key, header name or 0-based column index (default "text")
///   label: label              # same (default "label")
///   header: true              # CSV/TSV: first row is a header (default true)
///   quote: true               # CSV/TSV: honour "..." quoting (default: true for CSV, false for TSV)
///   label_names: {"0": legitimate, "1": injection}   # optional renaming of labels
///   bad_rows: skip            # skip | error (default skip)
/// ```
///
/// Unset optional fields take the [`SourceDefaults`] (those of the enclosing
/// [`crate::DataPlan`], or the built-in ones listed above). Unknown keys are errors.
///
/// `label_names` is looked up with the label as read (trimmed); labels that are JSON
/// numbers are read through their canonical text (`1`, `1.0` → `"1"`), and a string label
/// that is not a key but reads as a number (`"1.0"` in a CSV) is looked up by its canonical
/// text too. Numeric keys are canonicalised the same way. With `label_names` set, a label
/// that is not a key is a bad row ([`crate::ProblemKind::UnmappedLabel`]): a partial map
/// would silently mix names and codes.
///
/// TSV defaults to no quoting because real TSV files (AG News, SST-2 as distributed) hold
/// texts that begin with `"`, which a quoting reader would join with the following lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSource {
    /// The file to read. Relative paths are relative to the process's working directory
    /// unless rebased with [`DataSource::rebased`].
    pub path: PathBuf,
    /// File format (default `auto`).
    pub format: Format,
    /// Text field; `None` = the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<FieldRef>,
    /// Label field; `None` = the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<FieldRef>,
    /// CSV/TSV header row; `None` = the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    /// CSV/TSV quoting; `None` = true for CSV, false for TSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<bool>,
    /// Label renaming; `None` = the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_names: Option<BTreeMap<String, String>>,
    /// Bad-row policy; `None` = the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_rows: Option<BadRowPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSourceFields {
    path: PathBuf,
    #[serde(default)]
    format: Format,
    #[serde(default)]
    text: Option<FieldRef>,
    #[serde(default)]
    label: Option<FieldRef>,
    #[serde(default)]
    header: Option<bool>,
    #[serde(default)]
    quote: Option<bool>,
    #[serde(default)]
    label_names: Option<BTreeMap<String, String>>,
    #[serde(default)]
    bad_rows: Option<BadRowPolicy>,
}

impl<'de> Deserialize<'de> for DataSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DataSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a file path or an object with `path` and reading options")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DataSource, E> {
                if v.is_empty() {
                    return Err(E::custom("a data file path cannot be empty"));
                }
                Ok(DataSource::new(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DataSource, A::Error> {
                let f = DataSourceFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if f.path.as_os_str().is_empty() {
                    return Err(de::Error::custom("a data file path cannot be empty"));
                }
                Ok(DataSource {
                    path: f.path,
                    format: f.format,
                    text: f.text,
                    label: f.label,
                    header: f.header,
                    quote: f.quote,
                    label_names: f.label_names,
                    bad_rows: f.bad_rows,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl DataSource {
    /// A source with every option at its default.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataSource {
            path: path.into(),
            format: Format::Auto,
            text: None,
            label: None,
            header: None,
            quote: None,
            label_names: None,
            bad_rows: None,
        }
    }

    /// Sets the format.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Sets the text field.
    pub fn with_text(mut self, text: impl Into<FieldRef>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets the label field.
    pub fn with_label(mut self, label: impl Into<FieldRef>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets whether a CSV/TSV file has a header row.
    pub fn with_header(mut self, header: bool) -> Self {
        self.header = Some(header);
        self
    }

    /// Sets the bad-row policy.
    pub fn with_bad_rows(mut self, policy: BadRowPolicy) -> Self {
        self.bad_rows = Some(policy);
        self
    }

    /// Sets the label renaming.
    pub fn with_label_names<K: Into<String>, V: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.label_names = Some(
            names
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// The same source with a relative path joined onto `base` (an absolute path is kept).
    pub fn rebased(mut self, base: &Path) -> Self {
        if self.path.is_relative() {
            self.path = base.join(&self.path);
        }
        self
    }

    /// The format to read the file as: the configured one, or the one the extension
    /// names (see [`Format`]); `None` when `auto` cannot decide. [`Format::Json`] is
    /// returned for `.json`; the loader sniffs the content to choose between an array
    /// and JSON lines.
    pub fn resolved_format(&self) -> Option<Format> {
        if self.format != Format::Auto {
            return Some(self.format);
        }
        let ext = self.path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "tsv" | "tab" | "txt" => Some(Format::Tsv),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_from_bare_path_or_object() {
        let s: DataSource = serde_json::from_str(r#""data/train.jsonl""#).unwrap();
        assert_eq!(s, DataSource::new("data/train.jsonl"));
        let s: DataSource = serde_json::from_str(
            r#"{"path": "a.csv", "format": "csv", "text": 1, "label": "y", "header": false,
                "label_names": {"0": "neg"}, "bad_rows": "error", "quote": true}"#,
        )
        .unwrap();
        assert_eq!(s.format, Format::Csv);
        assert_eq!(s.text, Some(FieldRef::Index(1)));
        assert_eq!(s.label, Some(FieldRef::name("y")));
        assert_eq!(s.header, Some(false));
        assert_eq!(s.quote, Some(true));
        assert_eq!(s.bad_rows, Some(BadRowPolicy::Error));
        assert_eq!(
            s.label_names
                .as_ref()
                .and_then(|m| m.get("0"))
                .map(String::as_str),
            Some("neg")
        );
    }

    #[test]
    fn source_rejects_unknown_keys_and_bad_values() {
        let e = serde_json::from_str::<DataSource>(r#"{"path": "a.csv", "txt": "t"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `txt`"), "{e}");
        let e = serde_json::from_str::<DataSource>(r#"{"path": "a.csv", "text": -1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("negative"), "{e}");
        let e = serde_json::from_str::<DataSource>(r#"{"path": "a.csv", "format": "xml"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `xml`"), "{e}");
        assert!(serde_json::from_str::<DataSource>(r#""""#).is_err());
        assert!(serde_json::from_str::<DataSource>(r#"{"text": "t"}"#).is_err());
    }

    #[test]
    fn format_by_extension() {
        let f = |p: &str| DataSource::new(p).resolved_format();
        assert_eq!(f("a.jsonl"), Some(Format::Jsonl));
        assert_eq!(f("a.NDJSON"), Some(Format::Jsonl));
        assert_eq!(f("a.json"), Some(Format::Json));
        assert_eq!(f("a.csv"), Some(Format::Csv));
        assert_eq!(f("a.tsv"), Some(Format::Tsv));
        assert_eq!(f("a.txt"), Some(Format::Tsv));
        assert_eq!(f("a.parquet"), None);
        assert_eq!(f("noext"), None);
        assert_eq!(
            DataSource::new("a.parquet")
                .with_format(Format::Csv)
                .resolved_format(),
            Some(Format::Csv)
        );
    }

    #[test]
    fn rebase_only_relative_paths() {
        let base = Path::new("/specs");
        assert_eq!(
            DataSource::new("d/t.jsonl").rebased(base).path,
            PathBuf::from("/specs/d/t.jsonl")
        );
        assert_eq!(
            DataSource::new("/abs/t.jsonl").rebased(base).path,
            PathBuf::from("/abs/t.jsonl")
        );
    }
}
