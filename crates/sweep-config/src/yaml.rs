//! A small YAML 1.2 (and JSON) document tree that keeps the line and column of every key
//! and value, built from granit-parser's event API.
//!
//! Plain scalars are resolved with the YAML 1.2 core schema: `1e-5` is a number, `yes` and
//! `on` are strings. Duplicate keys are reported, aliases resolve to the anchored node, and
//! `<<` merge keys are honoured (explicit keys win over merged ones).
//!
//! The syntax accepted is what PyYAML (W&B's loader) and ruamel.yaml accept: a flow
//! collection's entries and closing bracket may sit at or left of the enclosing block's
//! indentation (`values: [` on one line, `]` at column 1), and a block scalar that ends the
//! file without a line break has no final line feed.

use granit_parser::{Event, Marker, Parser, ScalarStyle, Span, SpannedEventReceiver, Tag};
use std::collections::HashMap;

/// A 1-based position in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub(crate) const START: Pos = Pos { line: 1, col: 1 };

    fn from_marker(m: &Marker) -> Pos {
        Pos {
            line: m.line().max(1),
            col: m.col() + 1,
        }
    }
}

/// One node of the document tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub kind: Kind,
    /// The scalar's text as written (empty for collections).
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry: the key's text and position, and the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub(crate) fn new(pos: Pos, kind: Kind) -> Node {
        Node {
            pos,
            kind,
            raw: String::new(),
        }
    }

    /// What the node is, for messages: "a number", "a list", ...
    pub(crate) fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of a mapping entry by key.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// Converts a serde_json value into a node, every position set to `pos`.
    pub(crate) fn from_json(value: &serde_json::Value, pos: Pos) -> Node {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Kind::Str(s.clone()),
            Value::Array(items) => {
                Kind::Seq(items.iter().map(|v| Node::from_json(v, pos)).collect())
            }
            Value::Object(map) => Kind::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_pos: pos,
                        value: Node::from_json(v, pos),
                    })
                    .collect(),
            ),
        };
        let raw = match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        Node { pos, kind, raw }
    }
}

/// A problem found while reading the document: its position, the dotted key path where it
/// happened, and a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadProblem {
    pub pos: Pos,
    pub key: String,
    pub message: String,
}

/// The result of reading a document: the root node (`None` for an empty stream or a
/// syntax error) and every problem found.
#[derive(Debug)]
pub(crate) struct Document {
    pub root: Option<Node>,
    pub problems: Vec<ReadProblem>,
}

/// Reads YAML (or JSON, which is YAML flow style). When the YAML parser rejects text that
/// serde_json accepts, the JSON value is used with every position at line 1.
pub(crate) fn read_document(text: &str) -> Document {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The parser refuses more than 255 nested block collections as a syntax error; say what
    // is wrong before parsing. A block level needs a column of indentation or a `-`/`?`
    // indicator, so the leading run of those bounds the depth of a line.
    if let Some((i, _)) = text.lines().enumerate().find(|(_, line)| {
        line.chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-' | '?'))
            .count()
            > MAX_INDENT
    }) {
        return Document {
            root: None,
            problems: vec![ReadProblem {
                pos: Pos {
                    line: i + 1,
                    col: 1,
                },
                key: String::new(),
                message: format!(
                    "nested too deeply (more than {MAX_INDENT} columns of indentation and `-` indicators)"
                ),
            }],
        };
    }
    let mut builder = Builder::default();
    let options = granit_parser::options! {
        // As PyYAML: `key: |` + `text` at the end of the file is "text", not "text\n".
        block_scalar_eof_without_line_feed: true,
        emit_comments: false,
    };
    let mut parser = Parser::new_from_str_with_options(text, options);
    match parser.load(&mut builder, true) {
        Ok(()) => {
            let mut problems = builder.problems;
            let docs = builder.docs;
            if docs.len() > 1 {
                let pos = builder.second_doc_pos.unwrap_or(Pos::START);
                problems.push(ReadProblem {
                    pos,
                    key: String::new(),
                    message: format!(
                        "the file holds {} YAML documents (separated by `---`); a spec or config is one document",
                        docs.len()
                    ),
                });
            }
            if docs.is_empty() {
                problems.push(ReadProblem {
                    pos: Pos::START,
                    key: String::new(),
                    message: "the file is empty".to_string(),
                });
            }
            Document {
                root: docs.into_iter().next(),
                problems,
            }
        }
        Err(err) => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                return Document {
                    root: Some(Node::from_json(&value, Pos::START)),
                    problems: Vec::new(),
                };
            }
            let pos = Pos::from_marker(err.marker());
            // `{` and `}` are flow indicators: `[${env}, ${args}]` needs quotes.
            let near = text
                .lines()
                .skip(pos.line.saturating_sub(2))
                .take(2)
                .any(|l| l.contains("${"));
            let hint = if near {
                " (inside `[...]` or `{...}`, quote command macros: `[\"${env}\", \"${args}\"]`)"
            } else {
                ""
            };
            Document {
                root: None,
                problems: vec![ReadProblem {
                    pos,
                    key: String::new(),
                    message: format!("invalid YAML: {}{hint}", err.info()),
                }],
            }
        }
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        path: String,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        path: String,
        entries: Vec<Entry>,
        /// Key text, key position, and whether it is the `<<` merge key.
        pending_key: Option<(String, Pos, bool)>,
        merges: Vec<Node>,
    },
}

/// How deep collections may nest; deeper input is reported, not recursed into.
const MAX_DEPTH: usize = 100;

/// The longest run of indentation and block indicators a line may start with.
const MAX_INDENT: usize = 256;

/// How many nodes aliases may copy in all (a guard against "billion laughs" documents).
const ALIAS_NODE_BUDGET: usize = 1_000_000;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Open collections being skipped because they nest too deeply.
    skipping: usize,
    /// Nodes copied by aliases so far.
    alias_nodes: usize,
    anchors: HashMap<usize, Node>,
    docs: Vec<Node>,
    problems: Vec<ReadProblem>,
    doc_starts: usize,
    second_doc_pos: Option<Pos>,
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Builder {
    /// The dotted path of the next value pushed into the top frame.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { path, items, .. }) => format!("{path}[{}]", items.len()),
            Some(Frame::Map {
                path, pending_key, ..
            }) => match pending_key {
                Some((key, _, _)) => join_path(path, key),
                None => path.clone(),
            },
        }
    }

    /// Attaches a finished node to its parent. `merge_key` is true for a plain `<<` scalar.
    fn push_value(&mut self, node: Node, anchor: usize, merge_key: bool) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(top) = self.stack.last_mut() else {
            self.docs.push(node);
            return;
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                path,
                entries,
                pending_key,
                merges,
                ..
            } => match pending_key.take() {
                None => {
                    let (key, is_merge) = match &node.kind {
                        Kind::Seq(_) | Kind::Map(_) => {
                            self.problems.push(ReadProblem {
                                pos: node.pos,
                                key: path.clone(),
                                message: "a mapping key must be a scalar, not a list or mapping"
                                    .to_string(),
                            });
                            (String::from("?"), false)
                        }
                        _ => (node.raw.clone(), merge_key),
                    };
                    *pending_key = Some((key, node.pos, is_merge));
                }
                Some((_, _, true)) => merges.push(node),
                Some((key, key_pos, false)) => {
                    let mut node = node;
                    if node.kind == Kind::Null && node.raw.is_empty() {
                        // `key:` with nothing after it: the parser marks the next token.
                        node.pos = key_pos;
                    }
                    if let Some(first) = entries.iter().find(|e| e.key == key) {
                        let first_line = first.key_pos.line;
                        self.problems.push(ReadProblem {
                            pos: key_pos,
                            key: join_path(path, &key),
                            message: format!(
                                "duplicate key `{key}` (first given on line {first_line})"
                            ),
                        });
                    } else {
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                }
            },
        }
    }

    fn finish_map(
        &mut self,
        pos: Pos,
        path: String,
        mut entries: Vec<Entry>,
        merges: Vec<Node>,
    ) -> Node {
        for merge in merges {
            let sources: Vec<Node> = match merge.kind {
                Kind::Map(_) => vec![merge],
                Kind::Seq(items) => items,
                _ => {
                    self.problems.push(ReadProblem {
                        pos: merge.pos,
                        key: join_path(&path, "<<"),
                        message: "a `<<` merge key takes a mapping or a list of mappings"
                            .to_string(),
                    });
                    Vec::new()
                }
            };
            for source in sources {
                match source.kind {
                    Kind::Map(merged) => {
                        for e in merged {
                            if !entries.iter().any(|x| x.key == e.key) {
                                entries.push(e);
                            }
                        }
                    }
                    _ => self.problems.push(ReadProblem {
                        pos: source.pos,
                        key: join_path(&path, "<<"),
                        message: "a `<<` merge key takes a mapping or a list of mappings"
                            .to_string(),
                    }),
                }
            }
        }
        // A mapping is reported at its first key when that comes before its start.
        let pos = match entries.first() {
            Some(first) if first.key_pos < pos => first.key_pos,
            _ => pos,
        };
        Node::new(pos, Kind::Map(entries))
    }
}

fn node_count(node: &Node) -> usize {
    match &node.kind {
        Kind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Kind::Map(entries) => 1 + entries.iter().map(|e| node_count(&e.value)).sum::<usize>(),
        _ => 1,
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let pos = Pos::from_marker(&span.start);
        if self.skipping > 0 {
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skipping += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    self.skipping -= 1;
                    if self.skipping == 0 {
                        self.push_value(Node::new(pos, Kind::Null), 0, false);
                    }
                }
                _ => {}
            }
            return;
        }
        if matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            let path = self.child_path();
            self.problems.push(ReadProblem {
                pos,
                key: path,
                message: format!("nested too deeply (more than {MAX_DEPTH} levels)"),
            });
            self.skipping = 1;
            return;
        }
        match ev {
            Event::DocumentStart(..) => {
                self.doc_starts += 1;
                if self.doc_starts == 2 {
                    self.second_doc_pos = Some(pos);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let path = self.child_path();
                // An empty node (`key:` with nothing after it) is reported as a plain `~` with
                // an empty span; its text as written is empty.
                let text = if style == ScalarStyle::Plain && span.end.index() <= span.start.index()
                {
                    String::new()
                } else {
                    text.into_owned()
                };
                let tag = tag.as_deref();
                let merge_key = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                let kind = match resolve_scalar(&text, style, tag) {
                    Ok(kind) => kind,
                    Err(message) => {
                        self.problems.push(ReadProblem {
                            pos,
                            key: path,
                            message,
                        });
                        Kind::Str(text.clone())
                    }
                };
                self.push_value(
                    Node {
                        pos,
                        kind,
                        raw: text,
                    },
                    anchor,
                    merge_key,
                );
            }
            Event::SequenceStart(_, anchor, _) => {
                let path = self.child_path();
                self.stack.push(Frame::Seq {
                    pos,
                    anchor,
                    path,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(_, anchor, _) => {
                let path = self.child_path();
                self.stack.push(Frame::Map {
                    pos,
                    anchor,
                    path,
                    entries: Vec::new(),
                    pending_key: None,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    pos, anchor, items, ..
                }) = self.stack.pop()
                {
                    self.push_value(Node::new(pos, Kind::Seq(items)), anchor, false);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    pos,
                    anchor,
                    path,
                    entries,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    let node = self.finish_map(pos, path, entries, merges);
                    self.push_value(node, anchor, false);
                }
            }
            Event::Alias(id) => {
                let node = match self.anchors.get(&id) {
                    Some(node) if self.alias_nodes + node_count(node) > ALIAS_NODE_BUDGET => {
                        let path = self.child_path();
                        self.problems.push(ReadProblem {
                            pos,
                            key: path,
                            message: format!(
                                "aliases expand to more than {ALIAS_NODE_BUDGET} values"
                            ),
                        });
                        Node::new(pos, Kind::Null)
                    }
                    Some(node) => {
                        self.alias_nodes += node_count(node);
                        node.clone()
                    }
                    None => {
                        let path = self.child_path();
                        self.problems.push(ReadProblem {
                            pos,
                            key: path,
                            message: "alias to an unknown anchor".to_string(),
                        });
                        Node::new(pos, Kind::Null)
                    }
                };
                self.push_value(node, 0, false);
            }
            // Stream and document ends, and metadata events (comments, anchor names) that the
            // options above leave off.
            _ => {}
        }
    }
}

const CORE_TAG: &str = "tag:yaml.org,2002:";

/// Resolves a scalar with the YAML 1.2 core schema, honouring the core tags.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Kind, String> {
    if let Some(tag) = tag {
        if tag.handle() == CORE_TAG {
            return match tag.suffix() {
                "str" => Ok(Kind::Str(text.to_string())),
                "null" => match resolve_plain(text) {
                    Kind::Null => Ok(Kind::Null),
                    _ => Err(format!("`{text}` is not a null")),
                },
                "bool" => match resolve_plain(text) {
                    Kind::Bool(b) => Ok(Kind::Bool(b)),
                    _ => Err(format!("`{text}` is not a boolean (true or false)")),
                },
                "int" => match resolve_plain(text) {
                    Kind::Int(i) => Ok(Kind::Int(i)),
                    _ => Err(format!("`{text}` is not an integer")),
                },
                "float" => match resolve_plain(text) {
                    Kind::Int(i) => Ok(Kind::Float(i as f64)),
                    Kind::Float(f) => Ok(Kind::Float(f)),
                    _ => Err(format!("`{text}` is not a number")),
                },
                _ => Ok(Kind::Str(text.to_string())),
            };
        }
        return Ok(Kind::Str(text.to_string()));
    }
    if style != ScalarStyle::Plain {
        return Ok(Kind::Str(text.to_string()));
    }
    Ok(resolve_plain(text))
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Kind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(i) = i64::from_str_radix(hex, 16)
        {
            return Kind::Int(i);
        }
        return Kind::Str(text.to_string());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty()
            && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
            && let Ok(i) = i64::from_str_radix(oct, 8)
        {
            return Kind::Int(i);
        }
        return Kind::Str(text.to_string());
    }
    let unsigned = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let digits = text.strip_prefix('+').unwrap_or(text);
        return match digits.parse::<i64>() {
            Ok(i) => Kind::Int(i),
            // Beyond i64: keep the magnitude as a float.
            Err(_) => digits
                .parse::<f64>()
                .map(Kind::Float)
                .unwrap_or_else(|_| Kind::Str(text.to_string())),
        };
    }
    if is_core_float(unsigned)
        && let Ok(f) = text.parse::<f64>()
    {
        return Kind::Float(f);
    }
    Kind::Str(text.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (the sign already stripped).
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac_digits = count_digits(&b[i..]);
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_digits = count_digits(&b[i..]);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let doc = read_document(text);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        doc.root
            .unwrap_or_else(|| Node::new(Pos::START, Kind::Null))
    }

    #[test]
    fn yaml_1_2_core_schema() {
        assert_eq!(resolve_plain("1e-5"), Kind::Float(1e-5));
        assert_eq!(resolve_plain("-1E+3"), Kind::Float(-1000.0));
        assert_eq!(resolve_plain(".5"), Kind::Float(0.5));
        assert_eq!(resolve_plain("3"), Kind::Int(3));
        assert_eq!(resolve_plain("+3"), Kind::Int(3));
        assert_eq!(resolve_plain("0x1f"), Kind::Int(31));
        assert_eq!(resolve_plain("0o17"), Kind::Int(15));
        assert_eq!(resolve_plain("yes"), Kind::Str("yes".into()));
        assert_eq!(resolve_plain("on"), Kind::Str("on".into()));
        assert_eq!(resolve_plain("inf"), Kind::Str("inf".into()));
        assert_eq!(resolve_plain("nan"), Kind::Str("nan".into()));
        assert_eq!(resolve_plain("1_000"), Kind::Str("1_000".into()));
        assert_eq!(resolve_plain("1e"), Kind::Str("1e".into()));
        assert_eq!(resolve_plain("~"), Kind::Null);
        assert_eq!(resolve_plain("False"), Kind::Bool(false));
        assert!(matches!(resolve_plain(".nan"), Kind::Float(f) if f.is_nan()));
    }

    #[test]
    fn positions_are_one_based_for_keys_and_values() {
        let r = root("a: 1\nb:\n  c: [x, 'y']\n");
        let entries = r.as_map().unwrap_or_default();
        assert_eq!(entries[1].key, "b");
        assert_eq!(entries[1].key_pos, Pos { line: 2, col: 1 });
        let b = &entries[1].value;
        assert_eq!(b.pos, Pos { line: 3, col: 3 });
        let c = b.get("c").map(|n| n.pos);
        assert_eq!(c, Some(Pos { line: 3, col: 6 }));
    }

    #[test]
    fn quoted_and_tagged_scalars_are_strings() {
        let r = root("a: '1'\nb: !!str 2\nc: !!float 3\nd: \"true\"\n");
        assert_eq!(r.get("a").map(|n| &n.kind), Some(&Kind::Str("1".into())));
        assert_eq!(r.get("b").map(|n| &n.kind), Some(&Kind::Str("2".into())));
        assert_eq!(r.get("c").map(|n| &n.kind), Some(&Kind::Float(3.0)));
        assert_eq!(r.get("d").map(|n| &n.kind), Some(&Kind::Str("true".into())));
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_lines() {
        let doc = read_document("a: 1\nb:\n  x: 1\n  x: 2\n");
        assert_eq!(doc.problems.len(), 1);
        let p = &doc.problems[0];
        assert_eq!(p.pos.line, 4);
        assert_eq!(p.key, "b.x");
        assert!(p.message.contains("line 3"), "{}", p.message);
    }

    #[test]
    fn aliases_and_merge_keys_resolve() {
        let r = root("base: &b {lr: 0.1, wd: 0}\nother:\n  <<: *b\n  wd: 1\nlist: *b\n");
        let other = r.get("other");
        assert_eq!(
            other.and_then(|o| o.get("lr")).map(|n| &n.kind),
            Some(&Kind::Float(0.1))
        );
        assert_eq!(
            other.and_then(|o| o.get("wd")).map(|n| &n.kind),
            Some(&Kind::Int(1))
        );
        assert_eq!(
            r.get("list").and_then(|o| o.get("wd")).map(|n| &n.kind),
            Some(&Kind::Int(0))
        );
    }

    #[test]
    fn syntax_errors_and_empty_files_are_problems() {
        let doc = read_document("a: [1\nb: 2\n");
        assert!(doc.root.is_none());
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].pos.line, 2);
        let doc = read_document("# nothing here\n");
        assert!(doc.root.is_none());
        assert!(doc.problems[0].message.contains("empty"));
        let doc = read_document("a: 1\n---\nb: 2\n");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].pos.line, 2);
    }

    #[test]
    fn json_is_read_by_the_same_parser() {
        let r = root("{\"a\": 1, \"b\": [true, null, 1e-5], \"c\": {\"d\": \"x\"}}");
        assert_eq!(r.get("a").map(|n| &n.kind), Some(&Kind::Int(1)));
        let b = r.get("b");
        assert!(matches!(b.map(|n| &n.kind), Some(Kind::Seq(items)) if items.len() == 3));
        // Tabs in JSON indentation are fine for JSON; the serde_json fallback takes them.
        let r = root("{\n\t\"a\":\t1,\n\t\"b\":\"x\"\n}");
        assert_eq!(r.get("a").map(|n| &n.kind), Some(&Kind::Int(1)));
    }

    const HEAD: &str = "program: t.py\nmethod: grid\nparameters:\n  lr:\n";

    /// `parameters.lr.values` of a spec.
    fn lr_values(text: &str) -> Node {
        let r = root(text);
        r.get("parameters")
            .and_then(|p| p.get("lr"))
            .and_then(|lr| lr.get("values"))
            .cloned()
            .unwrap_or_else(|| Node::new(Pos::START, Kind::Null))
    }

    /// The kinds and positions of a list's items.
    fn items(node: &Node) -> Vec<(Kind, Pos)> {
        match &node.kind {
            Kind::Seq(items) => items.iter().map(|n| (n.kind.clone(), n.pos)).collect(),
            _ => Vec::new(),
        }
    }

    fn at(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn flow_collections_may_sit_left_of_the_block_indentation_as_in_pyyaml() {
        // e: `]` at column 1. PyYAML: {'values': [0.1, 0.2]}.
        let v = lr_values(&format!("{HEAD}    values: [\n      0.1, 0.2\n]\n"));
        assert_eq!(v.pos, at(5, 13));
        let want = vec![(Kind::Float(0.1), at(6, 7)), (Kind::Float(0.2), at(6, 12))];
        assert_eq!(items(&v), want);
        // f: `]` left of its key.
        let v = lr_values(&format!("{HEAD}    values: [\n      0.1, 0.2\n  ]\n"));
        assert_eq!(items(&v), want);
        // g: content at the key's indentation.
        let v = lr_values(&format!("{HEAD}    values: [0.1,\n    0.2]\n"));
        let want_g = vec![(Kind::Float(0.1), at(5, 14)), (Kind::Float(0.2), at(6, 5))];
        assert_eq!(items(&v), want_g);
        // i: inside a block sequence. PyYAML: {'values': [[1, 2]]}.
        let v = lr_values(&format!("{HEAD}    values:\n    - [1,\n    2]\n"));
        let inner = match &v.kind {
            Kind::Seq(outer) if outer.len() == 1 => outer[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(inner.pos, at(6, 7));
        let want_i = vec![(Kind::Int(1), at(6, 8)), (Kind::Int(2), at(7, 5))];
        assert_eq!(items(&inner), want_i);
        // Entries and brackets at column 1, in a flow mapping too.
        let v = lr_values(&format!("{HEAD}    values: [\n0.1,\n0.2\n]\n"));
        assert_eq!(
            items(&v),
            vec![(Kind::Float(0.1), at(6, 1)), (Kind::Float(0.2), at(7, 1))]
        );
        let r = root("parameters:\n  lr: {\nvalues: [1, 2]\n}\n");
        let lr = r.get("parameters").and_then(|p| p.get("lr"));
        assert_eq!(lr.map(|n| n.pos), Some(at(2, 7)));
        let v = lr.and_then(|lr| lr.get("values")).map(items);
        assert_eq!(
            v,
            Some(vec![(Kind::Int(1), at(3, 10)), (Kind::Int(2), at(3, 13))])
        );
        // The whole spec is valid.
        let spec = crate::test_util::parse(&format!("{HEAD}    values: [\n      0.1, 0.2\n]\n"));
        assert_eq!(spec.parameters.len(), 1);
    }

    #[test]
    fn flow_collections_indented_past_their_key_are_still_read() {
        // `]` at the key's own indentation.
        let v = lr_values(&format!("{HEAD}    values: [\n      0.1, 0.2\n    ]\n"));
        let want = vec![(Kind::Float(0.1), at(6, 7)), (Kind::Float(0.2), at(6, 12))];
        assert_eq!(items(&v), want);
        // A flow mapping holding a multi-line flow list.
        let r = root("lr: {values: [\n 1, 2\n ]}\n");
        let v = r.get("lr").and_then(|lr| lr.get("values")).map(items);
        assert_eq!(
            v,
            Some(vec![(Kind::Int(1), at(2, 2)), (Kind::Int(2), at(2, 5))])
        );
        // A multi-line command at the top level.
        let r = root(
            "program: t.py\nmethod: grid\ncommand: [\n  \"${env}\", python,\n  \"${program}\", \"${args}\"\n]\n",
        );
        let command = r.get("command").map(items).unwrap_or_default();
        let words: Vec<Kind> = command.into_iter().map(|(k, _)| k).collect();
        let want: Vec<Kind> = ["${env}", "python", "${program}", "${args}"]
            .into_iter()
            .map(|s| Kind::Str(s.into()))
            .collect();
        assert_eq!(words, want);
    }

    #[test]
    fn empty_values_and_block_scalars_read_as_pyyaml_reads_them() {
        // `key:` with nothing after it is null at the key; `!!str` with nothing is "".
        let r = root("a:\nb: !!str\nc: ~\nl:\n- \n- 1\n");
        let a = r.get("a");
        assert_eq!(
            a.map(|n| (&n.kind, n.pos, n.raw.as_str())),
            Some((&Kind::Null, at(1, 1), ""))
        );
        assert_eq!(r.get("b").map(|n| &n.kind), Some(&Kind::Str(String::new())));
        assert_eq!(
            r.get("c").map(|n| (&n.kind, n.raw.as_str())),
            Some((&Kind::Null, "~"))
        );
        let l = r.get("l").map(items).unwrap_or_default();
        assert_eq!(l.len(), 2);
        assert_eq!((&l[0].0, l[0].1.line), (&Kind::Null, 5));
        // A block scalar that ends the file without a line break has no final line feed.
        let r = root("a: |\n  x\n  y");
        assert_eq!(r.get("a").map(|n| &n.kind), Some(&Kind::Str("x\ny".into())));
        let r = root("a: |\n  x\n  y\n");
        assert_eq!(
            r.get("a").map(|n| &n.kind),
            Some(&Kind::Str("x\ny\n".into()))
        );
    }
}
