//! Reading a [`DataSource`] into a [`Dataset`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sweep_core::json_kind;

use crate::error::{DataError, ProblemKind, RowProblem};
use crate::source::{BadRowPolicy, DataSource, FieldRef, Format, SourceDefaults};

/// Texts and their labels, in file order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dataset {
    /// One text per row.
    pub texts: Vec<String>,
    /// One label per row (after `label_names`), same length as `texts`.
    pub labels: Vec<String>,
    /// The file the rows came from.
    pub source: PathBuf,
    /// Rows left out under `bad_rows: skip`, in file order.
    pub skipped: Vec<RowProblem>,
}

impl Dataset {
    /// A dataset from in-memory pairs (no skipped rows).
    pub fn from_pairs<T: Into<String>, L: Into<String>>(
        source: impl Into<PathBuf>,
        pairs: impl IntoIterator<Item = (T, L)>,
    ) -> Self {
        let (texts, labels) = pairs.into_iter().map(|(t, l)| (t.into(), l.into())).unzip();
        Dataset {
            texts,
            labels,
            source: source.into(),
            skipped: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Rows per label, labels sorted.
    pub fn class_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for l in &self.labels {
            *counts.entry(l.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The distinct labels, sorted.
    pub fn classes(&self) -> Vec<String> {
        self.class_counts().into_keys().collect()
    }

    /// The rows at `indices`, in that order, with the same source and no skipped rows.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset, DataError> {
        let mut texts = Vec::with_capacity(indices.len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            match (self.texts.get(i), self.labels.get(i)) {
                (Some(t), Some(l)) => {
                    texts.push(t.clone());
                    labels.push(l.clone());
                }
                _ => {
                    return Err(DataError::IndexOutOfRange {
                        index: i,
                        len: self.len().min(self.labels.len()),
                    });
                }
            }
        }
        Ok(Dataset {
            texts,
            labels,
            source: self.source.clone(),
            skipped: Vec::new(),
        })
    }
}

/// Loads a source with the built-in defaults (see [`DataSource`]).
pub fn load(source: &DataSource) -> Result<Dataset, DataError> {
    load_with(source, &SourceDefaults::default())
}

/// Loads a source; its unset options take `defaults`.
///
/// Every row is checked (see [`ProblemKind`]); bad rows are skipped and recorded, or,
/// under `bad_rows: error`, all of them are returned at once in
/// [`DataError::BadRows`]. A file without a single usable row is
/// [`DataError::NoRows`].
pub fn load_with(source: &DataSource, defaults: &SourceDefaults) -> Result<Dataset, DataError> {
    load_impl(source, defaults, false)
}

/// Loads texts whose labels may be absent (new texts to predict): a row without a label
/// field, or with an empty or null one, gets the label `""`; every other check applies.
pub fn load_unlabeled(
    source: &DataSource,
    defaults: &SourceDefaults,
) -> Result<Dataset, DataError> {
    load_impl(source, defaults, true)
}

fn load_impl(
    source: &DataSource,
    defaults: &SourceDefaults,
    labels_optional: bool,
) -> Result<Dataset, DataError> {
    let path = source.path.as_path();
    let mut settings = Settings::resolve(source, defaults)?;
    settings.labels_optional = labels_optional;
    let format = source.resolved_format().ok_or_else(|| DataError::Source {
        path: path.to_path_buf(),
        message: "cannot tell the file format from the extension; set `format` to one of jsonl, json, csv, tsv".to_owned(),
    })?;
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound {
            path: path.to_path_buf(),
        },
        _ => DataError::Read {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);

    let mut rows = Rows::new(path, &settings);
    match format {
        Format::Jsonl | Format::Auto => {
            settings.json_fields(path)?;
            read_jsonl(body, &mut rows);
        }
        Format::Json => {
            settings.json_fields(path)?;
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'[') {
                read_json_array(body, &mut rows);
            } else {
                read_jsonl(body, &mut rows);
            }
        }
        Format::Csv => read_delimited(body, b',', &mut rows)?,
        Format::Tsv => read_delimited(body, b'\t', &mut rows)?,
    }
    rows.finish()
}

/// The source's options with defaults applied.
struct Settings {
    text: FieldRef,
    label: FieldRef,
    header: bool,
    quote: Option<bool>,
    names: Option<LabelMap>,
    policy: BadRowPolicy,
    /// Rows without a label are kept with the label `""` (prediction input).
    labels_optional: bool,
}

impl Settings {
    fn resolve(source: &DataSource, defaults: &SourceDefaults) -> Result<Settings, DataError> {
        let names = source
            .label_names
            .as_ref()
            .or(defaults.label_names.as_ref())
            .map(|m| LabelMap::new(m, &source.path))
            .transpose()?;
        Ok(Settings {
            text: source.text.clone().unwrap_or_else(|| defaults.text.clone()),
            label: source
                .label
                .clone()
                .unwrap_or_else(|| defaults.label.clone()),
            header: source.header.unwrap_or(defaults.header),
            quote: source.quote,
            names,
            policy: source.bad_rows.unwrap_or(defaults.bad_rows),
            labels_optional: false,
        })
    }

    /// The JSON keys of the text and label fields (column indices are CSV/TSV only).
    fn json_fields(&self, path: &Path) -> Result<(), DataError> {
        for (what, f) in [("text", &self.text), ("label", &self.label)] {
            if let FieldRef::Index(i) = f {
                return Err(DataError::Source {
                    path: path.to_path_buf(),
                    message: format!(
                        "`{what}: {i}` is a column index, which only CSV/TSV files have; name the JSON key instead"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `label_names`, with numeric keys also reachable through their canonical text.
struct LabelMap {
    map: HashMap<String, String>,
}

impl LabelMap {
    fn new(names: &BTreeMap<String, String>, path: &Path) -> Result<LabelMap, DataError> {
        let mut map = HashMap::new();
        let mut canon: HashMap<String, (String, String)> = HashMap::new();
        for (k, v) in names {
            let key = k.trim();
            map.insert(key.to_owned(), v.clone());
            if let Some(c) = canonical_number_str(key) {
                if let Some((other, other_v)) = canon.get(&c)
                    && other_v != v
                {
                    return Err(DataError::Source {
                        path: path.to_path_buf(),
                        message: format!(
                            "label_names keys `{other}` and `{key}` are the same number but map to `{other_v}` and `{v}`"
                        ),
                    });
                }
                canon.insert(c, (key.to_owned(), v.clone()));
            }
        }
        for (c, (_, v)) in canon {
            map.entry(c).or_insert(v);
        }
        Ok(LabelMap { map })
    }

    fn get(&self, raw: &str) -> Option<&str> {
        if let Some(v) = self.map.get(raw) {
            return Some(v);
        }
        canonical_number_str(raw).and_then(|c| self.map.get(&c).map(String::as_str))
    }
}

/// Canonical text of a finite number: integers without a fraction (`1.0` → `1`),
/// others as Rust's shortest round-trip form (`0.5`).
pub(crate) fn canonical_f64(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The canonical text of a string that reads as a finite number, if it does.
fn canonical_number_str(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(i.to_string());
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(canonical_f64(x)),
        _ => None,
    }
}

fn canonical_json_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        n.as_f64()
            .map(canonical_f64)
            .unwrap_or_else(|| n.to_string())
    }
}

/// A label as read, before renaming.
enum RawLabel<'a> {
    Text(&'a str),
    Number(String),
    Bool(bool),
}

/// Accumulates good rows and problems.
struct Rows<'a> {
    file: &'a Path,
    settings: &'a Settings,
    texts: Vec<String>,
    labels: Vec<String>,
    problems: Vec<RowProblem>,
}

impl<'a> Rows<'a> {
    fn new(file: &'a Path, settings: &'a Settings) -> Self {
        Rows {
            file,
            settings,
            texts: Vec::new(),
            labels: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, line: usize, kind: ProblemKind, message: String) {
        self.problems.push(RowProblem {
            file: self.file.to_path_buf(),
            line,
            kind,
            message,
        });
    }

    /// Checks and keeps a row whose fields were found.
    fn accept(&mut self, line: usize, text: &str, label: RawLabel<'_>) {
        if text.trim().is_empty() {
            let what = if text.is_empty() {
                "empty"
            } else {
                "whitespace only"
            };
            let msg = format!("text {} is {what}", self.settings.text);
            self.problem(line, ProblemKind::EmptyText, msg);
            return;
        }
        let (raw, is_number) = match label {
            RawLabel::Text(s) => (s.trim().to_owned(), false),
            RawLabel::Number(n) => (n, true),
            RawLabel::Bool(b) => (b.to_string(), false),
        };
        if raw.is_empty() && self.settings.labels_optional {
            self.texts.push(text.to_owned());
            self.labels.push(String::new());
            return;
        }
        if raw.is_empty() {
            let msg = format!("label {} is empty", self.settings.label);
            self.problem(line, ProblemKind::EmptyLabel, msg);
            return;
        }
        let label = match &self.settings.names {
            None => raw,
            Some(map) => match map.get(&raw) {
                Some(v) => v.to_owned(),
                None => {
                    let shown = if is_number { raw } else { format!("\"{raw}\"") };
                    let msg = format!("label {shown} is not a key of label_names");
                    self.problem(line, ProblemKind::UnmappedLabel, msg);
                    return;
                }
            },
        };
        self.texts.push(text.to_owned());
        self.labels.push(label);
    }

    /// Checks one JSON row (a line of JSONL, an element of a JSON array).
    fn json_row(&mut self, line: usize, bytes: &[u8]) {
        let s = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("invalid UTF-8 at byte {} of the row", e.valid_up_to() + 1);
                self.problem(line, ProblemKind::InvalidUtf8, msg);
                return;
            }
        };
        let value: Value = match serde_json::from_str(s) {
            Ok(v) => v,
            Err(e) => {
                let msg = format!(
                    "malformed JSON (column {}): {}",
                    e.column(),
                    strip_position(&e.to_string())
                );
                self.problem(line, ProblemKind::Malformed, msg);
                return;
            }
        };
        let Value::Object(obj) = &value else {
            let msg = format!("expected a JSON object, found {}", json_kind(&value));
            self.problem(line, ProblemKind::NotAnObject, msg);
            return;
        };
        let (FieldRef::Name(text_key), FieldRef::Name(label_key)) =
            (&self.settings.text, &self.settings.label)
        else {
            // Rejected earlier by `Settings::json_fields`.
            return;
        };
        let fields = || {
            if obj.is_empty() {
                "the object is empty".to_owned()
            } else {
                let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                format!("fields: {}", keys.join(", "))
            }
        };
        let text = match obj.get(text_key) {
            None => {
                let msg = format!("no text field `{text_key}` ({})", fields());
                self.problem(line, ProblemKind::MissingText, msg);
                return;
            }
            Some(Value::Null) => {
                let msg = format!("text field `{text_key}` is null");
                self.problem(line, ProblemKind::MissingText, msg);
                return;
            }
            Some(Value::String(t)) => t,
            Some(other) => {
                let msg = format!(
                    "text field `{text_key}` is {}, expected a string",
                    json_kind(other)
                );
                self.problem(line, ProblemKind::TextNotString, msg);
                return;
            }
        };
        let label = match obj.get(label_key) {
            None | Some(Value::Null) if self.settings.labels_optional => RawLabel::Text(""),
            None => {
                let msg = format!("no label field `{label_key}` ({})", fields());
                self.problem(line, ProblemKind::MissingLabel, msg);
                return;
            }
            Some(Value::Null) => {
                let msg = format!("label field `{label_key}` is null");
                self.problem(line, ProblemKind::MissingLabel, msg);
                return;
            }
            Some(Value::String(l)) => RawLabel::Text(l),
            Some(Value::Number(n)) => RawLabel::Number(canonical_json_number(n)),
            Some(Value::Bool(b)) => RawLabel::Bool(*b),
            Some(other) => {
                let msg = format!(
                    "label field `{label_key}` is {}, expected a string, number or boolean",
                    json_kind(other)
                );
                self.problem(line, ProblemKind::BadLabel, msg);
                return;
            }
        };
        self.accept(line, text, label);
    }

    fn finish(self) -> Result<Dataset, DataError> {
        if self.settings.policy == BadRowPolicy::Error && !self.problems.is_empty() {
            return Err(DataError::BadRows {
                path: self.file.to_path_buf(),
                problems: self.problems,
            });
        }
        if self.texts.is_empty() {
            return Err(DataError::NoRows {
                path: self.file.to_path_buf(),
                skipped: self.problems,
            });
        }
        Ok(Dataset {
            texts: self.texts,
            labels: self.labels,
            source: self.file.to_path_buf(),
            skipped: self.problems,
        })
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

fn read_jsonl(body: &[u8], rows: &mut Rows<'_>) {
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows.json_row(i + 1, line);
    }
}

/// Reads `[ {...}, {...} ]`, each element checked as a row at the line it starts on.
///
/// Elements are delimited by scanning for top-level commas outside strings, so one bad
/// element does not hide the others. A break in the array itself (unterminated element,
/// content after `]`) is a [`ProblemKind::Malformed`] row at the line where it happens.
fn read_json_array(body: &[u8], rows: &mut Rows<'_>) {
    let mut line = 1usize;
    let mut pos = 0usize;
    // Skip to the opening bracket (the caller checked it is the first non-blank byte).
    while pos < body.len() && body[pos] != b'[' {
        if body[pos] == b'\n' {
            line += 1;
        }
        pos += 1;
    }
    pos += 1;
    loop {
        // Skip blanks before an element.
        while pos < body.len() && body[pos].is_ascii_whitespace() {
            if body[pos] == b'\n' {
                line += 1;
            }
            pos += 1;
        }
        if pos >= body.len() {
            rows.problem(
                line,
                ProblemKind::Malformed,
                "the JSON array is not closed with `]`".to_owned(),
            );
            return;
        }
        if body[pos] == b']' {
            pos += 1;
            break;
        }
        let start = pos;
        let start_line = line;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut end = None;
        while pos < body.len() {
            let b = body[pos];
            if b == b'\n' {
                line += 1;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        end = Some(b);
                        break;
                    }
                    _ => {}
                }
            }
            pos += 1;
        }
        let element = body[start..pos].trim_ascii_end();
        match end {
            None => {
                rows.problem(
                    start_line,
                    ProblemKind::Malformed,
                    "the JSON array ends inside this element".to_owned(),
                );
                return;
            }
            Some(delim) => {
                if element.is_empty() {
                    rows.problem(
                        start_line,
                        ProblemKind::Malformed,
                        "empty element in the JSON array".to_owned(),
                    );
                } else {
                    rows.json_row(start_line, element);
                }
                pos += 1;
                if delim == b']' {
                    break;
                }
            }
        }
    }
    // Only blanks may follow the array.
    let mut rest_line = line;
    for &b in &body[pos.min(body.len())..] {
        if b == b'\n' {
            rest_line += 1;
            continue;
        }
        if !b.is_ascii_whitespace() {
            rows.problem(
                rest_line,
                ProblemKind::Malformed,
                "content after the end of the JSON array".to_owned(),
            );
            return;
        }
    }
}

/// Resolves a field to a column index given the header (if any).
fn column_index(
    field: &FieldRef,
    what: &str,
    header: Option<&[String]>,
    path: &Path,
) -> Result<usize, DataError> {
    match (field, header) {
        (FieldRef::Index(i), _) => Ok(*i),
        (FieldRef::Name(name), Some(cols)) => {
            if let Some(i) = cols.iter().position(|c| c.trim() == name.trim()) {
                return Ok(i);
            }
            if let Ok(i) = name.trim().parse::<usize>() {
                return Ok(i);
            }
            Err(DataError::Source {
                path: path.to_path_buf(),
                message: format!(
                    "no column named `{name}` for the {what} in the header (columns: {}); give a header name or a 0-based column index",
                    cols.join(", ")
                ),
            })
        }
        (FieldRef::Name(name), None) => name.trim().parse::<usize>().map_err(|_| DataError::Source {
            path: path.to_path_buf(),
            message: format!(
                "the {what} field `{name}` is a column name, but the file is read with `header: false`; give a 0-based column index"
            ),
        }),
    }
}

fn read_delimited(body: &[u8], delimiter: u8, rows: &mut Rows<'_>) -> Result<(), DataError> {
    let settings = rows.settings;
    let quote = settings.quote.unwrap_or(delimiter == b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(quote)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let record_line = |r: &csv::ByteRecord| r.position().map_or(0, |p| p.line() as usize);

    let mut header: Option<Vec<String>> = None;
    if settings.header {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let mut cols = Vec::with_capacity(record.len());
                for field in record.iter() {
                    match std::str::from_utf8(field) {
                        Ok(s) => cols.push(s.to_owned()),
                        Err(_) => {
                            return Err(DataError::Source {
                                path: rows.file.to_path_buf(),
                                message: format!(
                                    "the header row (line {}) is not valid UTF-8",
                                    record_line(&record)
                                ),
                            });
                        }
                    }
                }
                header = Some(cols);
            }
            Ok(false) => return Ok(()),
            Err(e) => {
                return Err(DataError::Source {
                    path: rows.file.to_path_buf(),
                    message: format!("cannot read the header row: {e}"),
                });
            }
        }
    }
    let text_col = column_index(&settings.text, "text", header.as_deref(), rows.file)?;
    let label_col = match column_index(&settings.label, "label", header.as_deref(), rows.file) {
        Ok(c) => Some(c),
        // Prediction input may have no label column at all.
        Err(_) if settings.labels_optional => None,
        Err(e) => return Err(e),
    };
    let mut expected = header.as_ref().map(Vec::len);

    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                rows.problem(line, ProblemKind::Malformed, format!("unreadable row: {e}"));
                continue;
            }
        }
        let line = record_line(&record);
        let n = record.len();
        let want = *expected.get_or_insert(n);
        if n != want {
            let msg = format!(
                "expected {want} column{}, found {n}",
                if want == 1 { "" } else { "s" }
            );
            rows.problem(line, ProblemKind::Malformed, msg);
            continue;
        }
        let Some(text_bytes) = record.get(text_col) else {
            let msg = format!("the row has {n} columns, so no text column {text_col}");
            rows.problem(line, ProblemKind::MissingText, msg);
            continue;
        };
        let label_bytes: &[u8] = match label_col.map(|c| (c, record.get(c))) {
            Some((_, Some(bytes))) => bytes,
            None => b"",
            Some((c, None)) if !settings.labels_optional => {
                let msg = format!("the row has {n} columns, so no label column {c}");
                rows.problem(line, ProblemKind::MissingLabel, msg);
                continue;
            }
            Some(_) => b"",
        };
        let text = match std::str::from_utf8(text_bytes) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!(
                    "invalid UTF-8 in the text field at byte {}",
                    e.valid_up_to() + 1
                );
                rows.problem(line, ProblemKind::InvalidUtf8, msg);
                continue;
            }
        };
        let label = match std::str::from_utf8(label_bytes) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!(
                    "invalid UTF-8 in the label field at byte {}",
                    e.valid_up_to() + 1
                );
                rows.problem(line, ProblemKind::InvalidUtf8, msg);
                continue;
            }
        };
        rows.accept(line, text, RawLabel::Text(label));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    fn pairs(d: &Dataset) -> Vec<(&str, &str)> {
        d.texts
            .iter()
            .map(String::as_str)
            .zip(d.labels.iter().map(String::as_str))
            .collect()
    }

    fn problems(d: &Dataset) -> Vec<(usize, ProblemKind)> {
        d.skipped.iter().map(|p| (p.line, p.kind)).collect()
    }

    #[test]
    fn jsonl_basic_with_bom_crlf_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.jsonl",
            b"\xEF\xBB\xBF{\"text\": \"good movie\", \"label\": \"pos\"}\r\n\n   \n{\"label\": \"neg\", \"text\": \"bad film\", \"extra\": 1}\n",
        );
        let d = load(&DataSource::new(&p)).unwrap();
        assert_eq!(pairs(&d), vec![("good movie", "pos"), ("bad film", "neg")]);
        assert!(d.skipped.is_empty());
        assert_eq!(d.source, p);
    }

    #[test]
    fn jsonl_custom_fields_and_label_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.jsonl",
            br#"{"user_message": "a", "classification": 1}
{"user_message": "b", "classification": 1.0}
{"user_message": "c", "classification": true}
{"user_message": "d", "classification": " spaced "}
{"user_message": "e", "classification": 2.5}
"#,
        );
        let d = load(
            &DataSource::new(&p)
                .with_text("user_message")
                .with_label("classification"),
        )
        .unwrap();
        assert_eq!(d.labels, vec!["1", "1", "true", "spaced", "2.5"]);
    }

    #[test]
    fn label_mapping_numbers_and_strings() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.jsonl",
            br#"{"text": "a", "label": 0}
{"text": "b", "label": 1}
{"text": "c", "label": 1.0}
{"text": "d", "label": "1"}
{"text": "e", "label": "0.0"}
{"text": "f", "label": 2}
"#,
        );
        let src = DataSource::new(&p).with_label_names([("0", "legitimate"), ("1.0", "injection")]);
        let d = load(&src).unwrap();
        assert_eq!(
            d.labels,
            vec![
                "legitimate",
                "injection",
                "injection",
                "injection",
                "legitimate"
            ]
        );
        assert_eq!(problems(&d), vec![(6, ProblemKind::UnmappedLabel)]);
        assert!(
            d.skipped[0].message.contains("label 2 is not a key"),
            "{}",
            d.skipped[0].message
        );

        // In a CSV every label is a string; "1.0" still finds key "1".
        let c = write(&dir, "d.csv", b"text,label\nx,1.0\ny,0\n");
        let d = load(&DataSource::new(&c).with_label_names([("0", "no"), ("1", "yes")])).unwrap();
        assert_eq!(d.labels, vec!["yes", "no"]);
    }

    #[test]
    fn conflicting_numeric_keys_in_label_names_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "d.jsonl", b"{\"text\": \"a\", \"label\": 1}\n");
        let e = load(&DataSource::new(&p).with_label_names([("1", "a"), ("1.0", "b")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("same number"), "{e}");
    }

    #[test]
    fn csv_header_by_name_and_index() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.csv",
            b"id,sentence,y\n1,hello there,pos\n2,go away,neg\n",
        );
        let d = load(&DataSource::new(&p).with_text("sentence").with_label("y")).unwrap();
        assert_eq!(pairs(&d), vec![("hello there", "pos"), ("go away", "neg")]);
        let d = load(&DataSource::new(&p).with_text(1).with_label(2)).unwrap();
        assert_eq!(pairs(&d), vec![("hello there", "pos"), ("go away", "neg")]);
        // A digits-only name that is not a header is an index.
        let d = load(&DataSource::new(&p).with_text("1").with_label("y")).unwrap();
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn csv_without_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "d.csv", b"pos,nice\nneg,awful\n");
        let d = load(
            &DataSource::new(&p)
                .with_header(false)
                .with_text(1)
                .with_label(0),
        )
        .unwrap();
        assert_eq!(pairs(&d), vec![("nice", "pos"), ("awful", "neg")]);
        let e = load(&DataSource::new(&p).with_header(false))
            .unwrap_err()
            .to_string();
        assert!(e.contains("header: false"), "{e}");
    }

    #[test]
    fn csv_quoted_fields_with_commas_and_newlines_keep_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.csv",
            b"text,label\n\"a, b and \"\"c\"\"\",x\n\"line one\nline two\",y\n,z\nlast,w\n",
        );
        let d = load(&DataSource::new(&p)).unwrap();
        assert_eq!(
            pairs(&d),
            vec![
                ("a, b and \"c\"", "x"),
                ("line one\nline two", "y"),
                ("last", "w")
            ]
        );
        // The empty text is on line 5: the quoted newline took lines 3-4.
        assert_eq!(problems(&d), vec![(5, ProblemKind::EmptyText)]);
    }

    #[test]
    fn csv_column_not_in_header_lists_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "d.csv", b"sentence,label\na,b\n");
        let e = load(&DataSource::new(&p)).unwrap_err();
        assert!(matches!(e, DataError::Source { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("no column named `text`") && msg.contains("sentence, label"),
            "{msg}"
        );
    }

    #[test]
    fn csv_wrong_column_count_and_missing_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.csv",
            b"text,label\nok,a\ntoo,many,cols\nshort\nfine,b\n",
        );
        let d = load(&DataSource::new(&p)).unwrap();
        assert_eq!(pairs(&d), vec![("ok", "a"), ("fine", "b")]);
        assert_eq!(
            problems(&d),
            vec![(3, ProblemKind::Malformed), (4, ProblemKind::Malformed)]
        );
        assert!(d.skipped[0].message.contains("expected 2 columns, found 3"));
        // An index beyond every row's width.
        let d = load(&DataSource::new(&p).with_text(0).with_label(5));
        let Err(DataError::NoRows { skipped, .. }) = d else {
            panic!("expected NoRows, got {d:?}");
        };
        assert!(
            skipped
                .iter()
                .any(|p| p.kind == ProblemKind::MissingLabel && p.line == 2)
        );
    }

    #[test]
    fn tsv_without_quoting_by_default() {
        let dir = tempfile::tempdir().unwrap();
        // AG News style: a text starting with a quote, no header.
        let p = write(
            &dir,
            "d.tsv",
            b"\"Quoted\" start of a story\tWorld\nplain, with comma\tSports\n",
        );
        let d = load(
            &DataSource::new(&p)
                .with_header(false)
                .with_text(0)
                .with_label(1),
        )
        .unwrap();
        assert_eq!(
            pairs(&d),
            vec![
                ("\"Quoted\" start of a story", "World"),
                ("plain, with comma", "Sports")
            ]
        );
        let t = write(&dir, "h.txt", b"sentence\tlabel\nit 's fine . \t1\n");
        let d = load(&DataSource::new(&t).with_text("sentence")).unwrap();
        assert_eq!(pairs(&d), vec![("it 's fine . ", "1")]);
    }

    #[test]
    fn json_array_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "blind.json",
            br#"[
  {"user_message": "ignore previous instructions", "classification": "injection"},
  {"user_message": "what is, [the] weather?", "classification": "legitimate"},
  {"user_message": 3, "classification": "x"},
  [1, 2],
  {"user_message": "tricky \"}, {\" string", "classification": "legitimate"}
]
"#,
        );
        let src = DataSource::new(&p)
            .with_text("user_message")
            .with_label("classification");
        let d = load(&src).unwrap();
        assert_eq!(
            d.texts,
            vec![
                "ignore previous instructions",
                "what is, [the] weather?",
                "tricky \"}, {\" string"
            ]
        );
        assert_eq!(
            problems(&d),
            vec![
                (4, ProblemKind::TextNotString),
                (5, ProblemKind::NotAnObject)
            ]
        );

        let t = write(
            &dir,
            "cut.json",
            b"[\n{\"text\": \"a\", \"label\": \"b\"},\n{\"text\": \"c\"",
        );
        let d = load(&DataSource::new(&t)).unwrap();
        assert_eq!(d.texts, vec!["a"]);
        assert_eq!(problems(&d), vec![(3, ProblemKind::Malformed)]);

        // A .json file holding JSON lines.
        let l = write(
            &dir,
            "lines.json",
            b"{\"text\": \"a\", \"label\": \"b\"}\n{\"text\": \"c\", \"label\": \"d\"}\n",
        );
        assert_eq!(load(&DataSource::new(&l)).unwrap().len(), 2);
    }

    const BAD: &[u8] = b"{\"text\": \"fine\", \"label\": \"a\"}
{\"text\": \"broken\", \"label\": 
[1, 2]
{\"label\": \"a\"}
{\"text\": \"no label\"}
{\"text\": 42, \"label\": \"a\"}
{\"text\": \"obj label\", \"label\": {\"x\": 1}}
{\"text\": \"   \", \"label\": \"a\"}
{\"text\": \"blank label\", \"label\": \" \"}
{\"text\": \"bad \xff byte\", \"label\": \"a\"}
{\"text\": null, \"label\": \"a\"}
{\"text\": \"also fine\", \"label\": \"b\"}
";

    fn bad_expected() -> Vec<(usize, ProblemKind)> {
        vec![
            (2, ProblemKind::Malformed),
            (3, ProblemKind::NotAnObject),
            (4, ProblemKind::MissingText),
            (5, ProblemKind::MissingLabel),
            (6, ProblemKind::TextNotString),
            (7, ProblemKind::BadLabel),
            (8, ProblemKind::EmptyText),
            (9, ProblemKind::EmptyLabel),
            (10, ProblemKind::InvalidUtf8),
            (11, ProblemKind::MissingText),
        ]
    }

    #[test]
    fn every_bad_row_kind_is_skipped_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "bad.jsonl", BAD);
        let d = load(&DataSource::new(&p)).unwrap();
        assert_eq!(pairs(&d), vec![("fine", "a"), ("also fine", "b")]);
        assert_eq!(problems(&d), bad_expected());
        assert!(d.skipped.iter().all(|x| x.file == p));
        assert!(
            d.skipped[2].message.contains("fields: label"),
            "{}",
            d.skipped[2].message
        );
        assert!(
            d.skipped[4].message.contains("is a number"),
            "{}",
            d.skipped[4].message
        );
    }

    #[test]
    fn error_policy_lists_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "bad.jsonl", BAD);
        let e = load(&DataSource::new(&p).with_bad_rows(BadRowPolicy::Error)).unwrap_err();
        let msg = e.to_string();
        let DataError::BadRows { problems, .. } = e else {
            panic!("expected BadRows, got {e:?}");
        };
        let got: Vec<(usize, ProblemKind)> = problems.iter().map(|p| (p.line, p.kind)).collect();
        assert_eq!(got, bad_expected());
        assert!(msg.starts_with("10 bad rows in"), "{msg}");
        for line in 2..=11 {
            assert!(
                msg.contains(&format!("bad.jsonl:{line}: ")),
                "line {line} missing:\n{msg}"
            );
        }
    }

    #[test]
    fn invalid_utf8_row_does_not_fail_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "u.jsonl",
            b"{\"text\": \"caf\xe9\", \"label\": \"a\"}\n{\"text\": \"caf\xc3\xa9\", \"label\": \"a\"}\n",
        );
        let d = load(&DataSource::new(&p)).unwrap();
        assert_eq!(d.texts, vec!["café"]);
        assert_eq!(problems(&d), vec![(1, ProblemKind::InvalidUtf8)]);
        let c = write(&dir, "u.csv", b"text,label\nok,a\nbad\xff,a\n");
        let d = load(&DataSource::new(&c)).unwrap();
        assert_eq!(problems(&d), vec![(3, ProblemKind::InvalidUtf8)]);
    }

    #[test]
    fn empty_and_all_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [
            ("e.jsonl", &b""[..]),
            ("e.csv", &b"text,label\n"[..]),
            ("e2.csv", &b""[..]),
            ("e.json", &b"[]"[..]),
        ] {
            let p = write(&dir, name, content);
            let e = load(&DataSource::new(&p)).unwrap_err();
            assert!(
                matches!(&e, DataError::NoRows { skipped, .. } if skipped.is_empty()),
                "{name}: {e:?}"
            );
            assert!(e.to_string().contains("no usable rows"), "{e}");
        }
        let p = write(
            &dir,
            "allbad.jsonl",
            b"nope\n{\"text\": \"\", \"label\": \"a\"}\n",
        );
        let e = load(&DataSource::new(&p)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(&e, DataError::NoRows { skipped, .. } if skipped.len() == 2));
        assert!(
            msg.contains("2 rows skipped") && msg.contains("allbad.jsonl:1:"),
            "{msg}"
        );
    }

    #[test]
    fn missing_file_and_unknown_format_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.jsonl");
        let e = load(&DataSource::new(&p)).unwrap_err();
        assert!(matches!(e, DataError::NotFound { .. }));
        assert!(
            e.to_string().contains("data file not found") && e.to_string().contains("nope.jsonl")
        );
        let q = write(&dir, "d.parquet", b"x");
        let e = load(&DataSource::new(&q)).unwrap_err().to_string();
        assert!(e.contains("set `format`"), "{e}");
        let j = write(&dir, "d.jsonl", b"{\"text\": \"a\", \"label\": \"b\"}\n");
        let e = load(&DataSource::new(&j).with_text(0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("only CSV/TSV"), "{e}");
    }

    #[test]
    fn subset_and_counts() {
        let d = Dataset::from_pairs("mem", [("a", "x"), ("b", "y"), ("c", "x")]);
        assert_eq!(d.class_counts().get("x"), Some(&2));
        assert_eq!(d.classes(), vec!["x", "y"]);
        let s = d.subset(&[2, 0]).unwrap();
        assert_eq!(pairs(&s), vec![("c", "x"), ("a", "x")]);
        assert!(matches!(
            d.subset(&[3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
    }

    #[test]
    fn canonical_numbers() {
        assert_eq!(canonical_f64(1.0), "1");
        assert_eq!(canonical_f64(-0.0), "0");
        assert_eq!(canonical_f64(0.5), "0.5");
        assert_eq!(canonical_number_str(" 1.0 ").as_deref(), Some("1"));
        assert_eq!(canonical_number_str("1e0").as_deref(), Some("1"));
        assert_eq!(canonical_number_str("nan"), None);
        assert_eq!(canonical_number_str("spam"), None);
    }

    #[test]
    fn unlabeled_input_keeps_rows_without_labels() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = write(&dir, "new.jsonl", b"{\"text\": \"hello there\"}\n{\"text\": \"win a prize\", \"label\": \"spam\"}\n{\"text\": \"\"}\n");
        let d = load_unlabeled(&DataSource::new(&jsonl), &SourceDefaults::default()).unwrap();
        assert_eq!(d.texts, ["hello there", "win a prize"]);
        assert_eq!(d.labels, ["", "spam"]);
        assert_eq!(d.skipped.len(), 1, "empty texts are still bad rows");
        let csv = write(&dir, "new.csv", b"text\nfirst one\nsecond one\n");
        let d = load_unlabeled(&DataSource::new(&csv), &SourceDefaults::default()).unwrap();
        assert_eq!(d.labels, ["", ""]);
        assert!(
            load(&DataSource::new(&csv)).is_err(),
            "training data still needs labels"
        );
    }
}
