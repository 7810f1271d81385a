//! A small typed filter language over runs, for choosing which runs a listing, an export or
//! a comparison takes:
//!
//! ```text
//! params.model.lr > 1e-3 and status = completed or metrics.val/f1 >= 0.8
//! ```
//!
//! # Grammar
//!
//! ```text
//! filter     := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not"* primary
//! primary    := "(" or ")" | field test
//! test       := cmp value
//!             | ["not"] "in" "(" value ("," value)* ")"
//!             | ["not"] "like" string
//!             | "is" ["not"] "null"
//! cmp        := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//! value      := number | string | word | "true" | "false"
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`: `a or b and c` is
//! `a or (b and c)`, and `not a and b` is `(not a) and b`. Parentheses nest at most 64
//! deep (an `in` list's do not count). Keywords (`and`, `or`, `not`, `in`, `like`, `is`, `null`, `true`, `false`) are
//! case-insensitive; so are the field names before the first dot (`Status`, `METRICS.acc`),
//! but not the keys and metric names after it.
//!
//! # Fields
//!
//! A field is everything up to whitespace, an operator (`=`, `!`, `<`, `>`), a parenthesis,
//! a comma or a quote, so metric names keep their `/`, `_`, `-` and `.`:
//!
//! | field              | value                                                          |
//! |--------------------|----------------------------------------------------------------|
//! | `params.<key>`     | the run's searched value at the dotted key (`params.model.lr`) |
//! | `config.<key>`     | the run's config, flattened to dotted keys (`config.data.seed`)|
//! | `metrics.<name>`   | the best value of metric `<name>` (`metrics.val/macro_f1`)     |
//! | `best.<name>`      | the same as `metrics.<name>`                                   |
//! | `last.<name>`      | the last finite value logged                                   |
//! | `min.<name>`, `max.<name>` | the smallest and largest finite value logged           |
//! | `status`           | `pending`, `running`, `completed`, `failed`, `pruned` or `interrupted` |
//! | `run`, `sweep`     | the run id and the sweep id                                    |
//! | `name`             | the run's name (given, or `<sweep name>-<number>`)             |
//! | `tag`              | the run's tags (see below)                                     |
//! | `duration`         | seconds from start to end; null unless both are known          |
//! | `host`, `reason`   | where the run ran, why it ended as it did (null when unknown)  |
//! | `attempt`, `number`| the attempt (from 1) and the run's position in its sweep (from 0) |
//!
//! A field the run does not have (a missing param, a metric never logged, a JSON `null`)
//! is null. A config or param value that is a list or an object passes no comparison.
//!
//! # Values
//!
//! - numbers: `3`, `-2`, `0.5`, `1e-3`, `.5`;
//! - strings in single or double quotes: `'adam'`, `"it's"`; inside, `\\` is a backslash
//!   and `\'` (or `\"`) the quote; any other backslash is kept as written;
//! - bare words, read as strings: `completed`, `adam`, `2024-01-01`, `lr_%`. A word that
//!   reads as a number is a number, so quote a string that looks like one (`tag = '2024'`);
//! - `true` and `false`;
//! - `null`, only in `is null` and `is not null`.
//!
//! # Tests
//!
//! - `=` (or `==`), `!=`, `<`, `<=`, `>`, `>=`: numbers compare numerically (`1` equals
//!   `1.0`), strings lexicographically (by code point, case-sensitive), booleans only with
//!   `=` and `!=`. Values of different types never compare: `params.x = 1` is false, and so
//!   is `params.x != 1`, when `x` is the string `"1"`.
//! - `in (v, …)` is true when the field equals one of the values; `not in (v, …)` when it
//!   differs (`!=`) from every one of them.
//! - `like 'pattern'` matches a whole string, SQL style: `%` is any run of characters
//!   (empty included), `_` exactly one character; there is no escape, and case matters.
//!   `not like` is true for a string that does not match. Non-strings never match either.
//! - `is null`, `is not null`: whether the field is missing.
//!
//! Every test on a null field is false except `is null`: `params.x != 1` is false for a run
//! without `x`, as in SQL. `and`, `or` and `not` are plain two-valued logic over the results,
//! so `not params.x = 1` is true for a run without `x`.
//!
//! `status` compares by the status's lowercase name; `status = Completed` reads as
//! `status = completed`, and an unknown name (`status = done`) is an error.
//!
//! A run has any number of tags. `tag = x`, `tag < x`, `tag in (…)` and `tag like …` are
//! true when at least one tag passes; `tag != x`, `tag not in (…)` and `tag not like …` when
//! the run has tags and every one of them passes; `tag is null` when it has none.
//!
//! # Errors
//!
//! A filter that does not read is a [`FilterError`] with the 1-based column (in characters)
//! of the offending token, or one past the end when the filter stops too early: an unknown
//! field (with a did-you-mean for a close name), a missing operator, value or field, an
//! unterminated string, an unclosed `(` or an unmatched `)`, input after a complete
//! condition, `in` without a parenthesised list, `like` with a non-string, `null` outside
//! `is null`, a boolean with `<`/`>`, an unknown status, a number out of range, nesting
//! deeper than 64 parentheses, and an empty filter.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use sweep_core::{RunRecord, RunStatus, Value, values_equal};

/// How deep parentheses may nest.
const MAX_DEPTH: usize = 64;

/// Fields that take a name after a dot (`metrics.acc`).
const NAMED_ROOTS: [&str; 7] = ["params", "config", "metrics", "last", "min", "max", "best"];
/// Fields that stand alone.
const PLAIN_ROOTS: [&str; 10] = [
    "status", "run", "name", "sweep", "tag", "duration", "host", "reason", "attempt", "number",
];
const KEYWORDS: [&str; 9] = [
    "and", "or", "not", "in", "like", "is", "null", "true", "false",
];
const OPERATORS: &str = "=, !=, <, <=, >, >=, in, not in, like, not like, is null, is not null";

/// A parsed filter: `params.model.lr > 1e-3 and status = completed or metrics.val/f1 >= 0.8`.
///
/// The language is described at the top of `crates/sweep-analysis/src/filter.rs`: fields,
/// values, tests, null semantics, precedence and errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    expr: Expr,
}

/// Where and why a filter does not read; Display shows the message, then the filter text on
/// its own line and a caret under the 1-based `column` (in characters), both lines indented
/// by two spaces:
///
/// ```text
/// expected a value after `=`, found the end of the filter
///   status =
///           ^
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FilterError {
    /// 1-based, in characters; one past the last character when the filter ends too early.
    pub column: usize,
    pub message: String,
    /// The whole filter text.
    pub text: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Control characters (a newline, a tab) would break the caret's alignment: each
        // shows as one space, so columns still count characters.
        let shown: String = self
            .text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let pad = " ".repeat(self.column.saturating_sub(1));
        write!(f, "{}\n  {shown}\n  {pad}^", self.message)
    }
}

impl std::error::Error for FilterError {}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Test(Field, Test),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stat {
    Last,
    Min,
    Max,
    Best,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Param(String),
    Config(String),
    Metric(Stat, String),
    Status,
    Run,
    Name,
    Sweep,
    Tag,
    Duration,
    Host,
    Reason,
    Attempt,
    Number,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn accepts(self, o: Ordering) -> bool {
        match self {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ne => o != Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Cmp(Cmp, Value),
    In { negated: bool, values: Vec<Value> },
    Like { negated: bool, pattern: String },
    IsNull { negated: bool },
}

impl Test {
    /// `!=`, `not in` and `not like`: over tags, every tag must pass them.
    fn is_negative(&self) -> bool {
        match self {
            Test::Cmp(op, _) => *op == Cmp::Ne,
            Test::In { negated, .. } | Test::Like { negated, .. } => *negated,
            Test::IsNull { .. } => false,
        }
    }

    /// Whether a present (non-null) value passes.
    fn holds(&self, v: &Value) -> bool {
        match self {
            Test::Cmp(op, lit) => compare(*op, v, lit),
            Test::In {
                negated: false,
                values,
            } => values.iter().any(|l| compare(Cmp::Eq, v, l)),
            Test::In {
                negated: true,
                values,
            } => values.iter().all(|l| compare(Cmp::Ne, v, l)),
            Test::Like { negated, pattern } => match v {
                Value::String(s) => like(s, pattern) != *negated,
                _ => false,
            },
            Test::IsNull { negated } => *negated,
        }
    }
}

/// A test of two present values; values of different types never pass.
fn compare(op: Cmp, v: &Value, lit: &Value) -> bool {
    match (v, lit) {
        (Value::Number(a), Value::Number(b)) => match op {
            Cmp::Eq => values_equal(v, lit),
            Cmp::Ne => !values_equal(v, lit),
            _ if values_equal(v, lit) => op.accepts(Ordering::Equal),
            _ => number_order(a, b).is_some_and(|o| op.accepts(o)),
        },
        (Value::String(a), Value::String(b)) => op.accepts(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => match op {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            _ => false,
        },
        _ => false,
    }
}

/// Integers exactly, anything else as floats.
fn number_order(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// SQL LIKE over characters: `%` any run, `_` one character, no escape.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    // After a `%`: the pattern position after it and the text position it is retried from.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = t.get(ti) {
        match p.get(pi) {
            Some('%') => {
                star = Some((pi + 1, ti));
                pi += 1;
            }
            Some(&q) if q == '_' || q == c => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&q| q == '%'))
}

/// A run and what is worked out from it at most once per match.
struct Subject<'a> {
    run: &'a RunRecord,
    tags: &'a [String],
    config: OnceCell<BTreeMap<String, Value>>,
}

impl Subject<'_> {
    fn value(&self, field: &Field) -> Option<Value> {
        let run = self.run;
        let number = |f: Option<f64>| f.and_then(serde_json::Number::from_f64).map(Value::Number);
        let v = match field {
            Field::Param(k) => run.params.get(k).cloned(),
            Field::Config(k) => self
                .config
                .get_or_init(|| crate::compare::flatten(&run.config))
                .get(k)
                .cloned(),
            Field::Metric(stat, name) => number(run.summary.get(name).and_then(|s| match stat {
                Stat::Last => s.last,
                Stat::Min => s.min,
                Stat::Max => s.max,
                Stat::Best => s.best,
            })),
            Field::Status => Some(Value::String(run.status.as_str().to_string())),
            Field::Run => Some(Value::String(run.id.clone())),
            Field::Name => Some(Value::String(run.name.clone())),
            Field::Sweep => Some(Value::String(run.sweep_id.clone())),
            Field::Duration => number(run.duration()),
            Field::Host => run.host.clone().map(Value::String),
            Field::Reason => run.reason.clone().map(Value::String),
            Field::Attempt => Some(Value::from(run.attempt)),
            Field::Number => Some(Value::from(run.number)),
            Field::Tag => None,
        };
        v.filter(|v| !v.is_null())
    }
}

impl Expr {
    fn eval(&self, s: &Subject<'_>) -> bool {
        match self {
            Expr::Or(items) => items.iter().any(|e| e.eval(s)),
            Expr::And(items) => items.iter().all(|e| e.eval(s)),
            Expr::Not(e) => !e.eval(s),
            Expr::Test(Field::Tag, test) => {
                if let Test::IsNull { negated } = test {
                    return s.tags.is_empty() != *negated;
                }
                let mut tags = s.tags.iter().map(|t| Value::String(t.clone()));
                if s.tags.is_empty() {
                    false
                } else if test.is_negative() {
                    tags.all(|t| test.holds(&t))
                } else {
                    tags.any(|t| test.holds(&t))
                }
            }
            Expr::Test(field, test) => match (s.value(field), test) {
                (None, Test::IsNull { negated }) => !negated,
                (None, _) => false,
                (Some(v), test) => test.holds(&v),
            },
        }
    }
}

impl Filter {
    /// Reads a filter, or says where and why it does not read.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let tokens = lex(text);
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            text,
        };
        if matches!(p.peek().kind, Kind::End) {
            return Err(p.error(
                1,
                "empty filter: expected a condition such as `status = completed`",
            ));
        }
        let expr = p.or()?;
        let tok = p.peek_ok()?;
        match tok.kind {
            Kind::End => Ok(Filter { expr }),
            Kind::RParen => Err(p.error(tok.col, "unmatched `)`")),
            _ => {
                let msg = format!(
                    "unexpected {} after a complete condition: expected `and`, `or` or the end \
                     of the filter",
                    tok.describe()
                );
                Err(p.error(tok.col, msg))
            }
        }
    }

    /// Whether `run` (with its `tags`) passes.
    pub fn matches(&self, run: &RunRecord, tags: &[String]) -> bool {
        self.expr.eval(&Subject {
            run,
            tags,
            config: OnceCell::new(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    LParen,
    RParen,
    Comma,
    Op(Cmp),
    Str(String),
    Word(String),
    /// A token that does not read; the parser reports it when it gets there, so errors come
    /// out in the order of the text.
    Bad(String),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// 1-based, in characters.
    col: usize,
    /// The token as written.
    src: String,
}

impl Token {
    fn describe(&self) -> String {
        match self.kind {
            Kind::End => "the end of the filter".to_string(),
            _ => format!("`{}`", self.src),
        }
    }

    fn keyword(&self) -> Option<&'static str> {
        match &self.kind {
            Kind::Word(w) => KEYWORDS.into_iter().find(|k| w.eq_ignore_ascii_case(k)),
            _ => None,
        }
    }

    fn is(&self, keyword: &str) -> bool {
        self.keyword() == Some(keyword)
    }
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '!' | '<' | '>' | '\'' | '"')
}

/// The tokens of `text`, ending with `End`; lexing stops at the first bad token.
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let src =
        |a: usize, b: usize| -> String { chars.get(a..b).unwrap_or_default().iter().collect() };
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        let next = chars.get(i + 1).copied();
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Kind::LParen
            }
            ')' => {
                i += 1;
                Kind::RParen
            }
            ',' => {
                i += 1;
                Kind::Comma
            }
            '=' | '!' | '<' | '>' => {
                let double = next == Some('=');
                i += if double { 2 } else { 1 };
                match (c, double) {
                    ('=', _) => Kind::Op(Cmp::Eq),
                    ('!', true) => Kind::Op(Cmp::Ne),
                    ('<', false) => Kind::Op(Cmp::Lt),
                    ('<', true) => Kind::Op(Cmp::Le),
                    ('>', false) => Kind::Op(Cmp::Gt),
                    ('>', true) => Kind::Op(Cmp::Ge),
                    _ => Kind::Bad("unexpected `!`: did you mean `!=`?".to_string()),
                }
            }
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i).copied() {
                        None => {
                            break Kind::Bad(format!("unterminated string: no closing `{quote}`"));
                        }
                        Some(q) if q == quote => {
                            i += 1;
                            break Kind::Str(s);
                        }
                        Some('\\') => match chars.get(i + 1).copied() {
                            Some(e) if e == '\\' || e == quote => {
                                s.push(e);
                                i += 2;
                            }
                            _ => {
                                s.push('\\');
                                i += 1;
                            }
                        },
                        Some(other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                while chars.get(i).is_some_and(|&c| !is_delimiter(c)) {
                    i += 1;
                }
                Kind::Word(src(start, i))
            }
        };
        let bad = matches!(kind, Kind::Bad(_));
        out.push(Token {
            kind,
            col: start + 1,
            src: src(start, i),
        });
        if bad {
            return out;
        }
    }
    out.push(Token {
        kind: Kind::End,
        col: chars.len() + 1,
        src: String::new(),
    });
    out
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    /// Parentheses open around the current position.
    depth: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn error(&self, column: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            column,
            message: message.into(),
            text: self.text.to_string(),
        }
    }

    /// The current token (the last one, `End` or a bad token, once there).
    fn peek(&self) -> Token {
        let at = self.pos.min(self.tokens.len().saturating_sub(1));
        self.tokens.get(at).cloned().unwrap_or(Token {
            kind: Kind::End,
            col: self.text.chars().count() + 1,
            src: String::new(),
        })
    }

    /// The current token, or the error a bad token stands for.
    fn peek_ok(&self) -> Result<Token, FilterError> {
        let tok = self.peek();
        match &tok.kind {
            Kind::Bad(msg) => Err(self.error(tok.col, msg.clone())),
            _ => Ok(tok),
        }
    }

    /// The current token, moving past it.
    fn next(&mut self) -> Result<Token, FilterError> {
        let tok = self.peek_ok()?;
        if !matches!(tok.kind, Kind::End) {
            self.pos += 1;
        }
        Ok(tok)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let first = self.and()?;
        let mut items = Vec::new();
        while self.peek_ok()?.is("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.is_empty() {
            first
        } else {
            items.insert(0, first);
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let first = self.unary()?;
        let mut items = Vec::new();
        while self.peek_ok()?.is("and") {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.is_empty() {
            first
        } else {
            items.insert(0, first);
            Expr::And(items)
        })
    }

    /// `not`s in a row cancel in pairs, so a long run of them builds no deep tree.
    fn unary(&mut self) -> Result<Expr, FilterError> {
        let mut negate = false;
        while self.peek_ok()?.is("not") {
            self.pos += 1;
            negate = !negate;
        }
        let e = self.primary()?;
        Ok(if negate { Expr::Not(Box::new(e)) } else { e })
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let tok = self.next()?;
        match &tok.kind {
            Kind::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.error(
                        tok.col,
                        format!("too deeply nested: at most {MAX_DEPTH} levels of parentheses"),
                    ));
                }
                self.depth += 1;
                let e = self.or()?;
                self.depth -= 1;
                let close = self.next()?;
                match close.kind {
                    Kind::RParen => Ok(e),
                    Kind::End => Err(self.error(tok.col, "`(` is never closed")),
                    _ => Err(self.error(
                        close.col,
                        format!(
                            "unexpected {}: expected `and`, `or` or `)`",
                            close.describe()
                        ),
                    )),
                }
            }
            Kind::Word(w) if tok.keyword().is_none() => {
                let field = self.field(w, tok.col)?;
                let test = self.test(&field, &tok)?;
                Ok(Expr::Test(field, test))
            }
            _ => Err(self.error(
                tok.col,
                format!(
                    "expected a field such as `status` or `metrics.acc`, found {}",
                    tok.describe()
                ),
            )),
        }
    }

    fn field(&self, word: &str, col: usize) -> Result<Field, FilterError> {
        let (root, rest) = match word.split_once('.') {
            Some((root, rest)) => (root, Some(rest)),
            None => (word, None),
        };
        let lower = root.to_ascii_lowercase();
        let field = match (lower.as_str(), rest) {
            (root, Some(k)) if !k.is_empty() && NAMED_ROOTS.contains(&root) => match root {
                "params" => Field::Param(k.to_string()),
                "config" => Field::Config(k.to_string()),
                "last" => Field::Metric(Stat::Last, k.to_string()),
                "min" => Field::Metric(Stat::Min, k.to_string()),
                "max" => Field::Metric(Stat::Max, k.to_string()),
                _ => Field::Metric(Stat::Best, k.to_string()),
            },
            (root, _) if NAMED_ROOTS.contains(&root) => {
                return Err(self.error(col, format!("`{word}` needs a name: `{lower}.<name>`")));
            }
            ("status", None) => Field::Status,
            ("run", None) => Field::Run,
            ("name", None) => Field::Name,
            ("sweep", None) => Field::Sweep,
            ("tag", None) => Field::Tag,
            ("duration", None) => Field::Duration,
            ("host", None) => Field::Host,
            ("reason", None) => Field::Reason,
            ("attempt", None) => Field::Attempt,
            ("number", None) => Field::Number,
            (root, Some(_)) if PLAIN_ROOTS.contains(&root) => {
                return Err(self.error(
                    col,
                    format!("unknown field `{word}`: `{lower}` takes no name after a dot"),
                ));
            }
            _ => {
                let mut message = format!(
                    "unknown field `{word}`: fields are {}, {}",
                    NAMED_ROOTS.map(|r| format!("{r}.*")).join(", "),
                    PLAIN_ROOTS.join(", ")
                );
                if let Some(s) = suggest_field(&lower, rest) {
                    message.push_str(&format!("; did you mean `{s}`?"));
                }
                return Err(self.error(col, message));
            }
        };
        Ok(field)
    }

    fn test(&mut self, field: &Field, field_tok: &Token) -> Result<Test, FilterError> {
        let tok = self.next()?;
        if let Kind::Op(op) = tok.kind {
            let (lit, at) = self.value(&tok)?;
            let lit = self.literal(field, &lit, at, Some(op))?;
            return Ok(Test::Cmp(op, lit));
        }
        match tok.keyword() {
            Some("in") => self.list(field, &tok, false),
            Some("like") => self.like(&tok, false),
            Some("not") => {
                let second = self.next()?;
                match second.keyword() {
                    Some("in") => self.list(field, &second, true),
                    Some("like") => self.like(&second, true),
                    _ => Err(self.error(
                        second.col,
                        format!(
                            "expected `in` or `like` after `not`, found {}",
                            second.describe()
                        ),
                    )),
                }
            }
            Some("is") => {
                let mut second = self.next()?;
                let negated = second.is("not");
                if negated {
                    second = self.next()?;
                }
                if second.is("null") {
                    Ok(Test::IsNull { negated })
                } else {
                    let after = if negated { "is not" } else { "is" };
                    Err(self.error(
                        second.col,
                        format!(
                            "expected `null` after `{after}`, found {}",
                            second.describe()
                        ),
                    ))
                }
            }
            _ => Err(self.error(
                tok.col,
                format!(
                    "expected an operator after `{}` ({OPERATORS}), found {}",
                    field_tok.src,
                    tok.describe()
                ),
            )),
        }
    }

    /// The value after `after`, with its token.
    fn value(&mut self, after: &Token) -> Result<(Value, Token), FilterError> {
        let tok = self.next()?;
        let value = match (&tok.kind, tok.keyword()) {
            (Kind::Str(s), _) => Value::String(s.clone()),
            (Kind::Word(_), Some("null")) => Value::Null,
            (Kind::Word(_), Some("true")) => Value::Bool(true),
            (Kind::Word(_), Some("false")) => Value::Bool(false),
            (Kind::Word(w), None) => match number(w) {
                Some(Some(n)) => Value::Number(n),
                Some(None) => {
                    return Err(self.error(tok.col, format!("number `{w}` is out of range")));
                }
                None => Value::String(w.clone()),
            },
            _ => {
                return Err(self.error(
                    tok.col,
                    format!(
                        "expected a value after `{}`, found {}",
                        after.src,
                        tok.describe()
                    ),
                ));
            }
        };
        Ok((value, tok))
    }

    /// Checks a value to compare with (`op`) or to look for in a list (`None`): no null,
    /// no ordered booleans, statuses by their known names.
    fn literal(
        &self,
        field: &Field,
        lit: &Value,
        at: Token,
        op: Option<Cmp>,
    ) -> Result<Value, FilterError> {
        let ordered = op.is_some_and(|o| !matches!(o, Cmp::Eq | Cmp::Ne));
        match lit {
            Value::Null => Err(self.error(
                at.col,
                "`null` is not a value to compare with: write `is null` or `is not null`",
            )),
            Value::Bool(_) if ordered => {
                Err(self.error(at.col, "booleans compare only with `=` and `!=`"))
            }
            _ if *field == Field::Status && !ordered => {
                let name = lit.as_str().unwrap_or(&at.src);
                match name.parse::<RunStatus>() {
                    Ok(status) => Ok(Value::String(status.as_str().to_string())),
                    Err(_) => {
                        let names = RunStatus::ALL.map(RunStatus::as_str);
                        let mut message = format!(
                            "unknown status `{name}`: expected one of {}",
                            names.join(", ")
                        );
                        let lower = name.to_lowercase();
                        if let Some(s) = closest(&lower, names) {
                            message.push_str(&format!("; did you mean `{s}`?"));
                        }
                        Err(self.error(at.col, message))
                    }
                }
            }
            _ => Ok(lit.clone()),
        }
    }

    fn list(&mut self, field: &Field, in_tok: &Token, negated: bool) -> Result<Test, FilterError> {
        let open = self.next()?;
        if open.kind != Kind::LParen {
            return Err(self.error(
                open.col,
                format!(
                    "expected `(` after `{}`: write `{} (a, b)`, found {}",
                    in_tok.src,
                    in_tok.src,
                    open.describe()
                ),
            ));
        }
        let mut values = Vec::new();
        let mut after = open.clone();
        loop {
            let (lit, at) = self.value(&after)?;
            values.push(self.literal(field, &lit, at, None)?);
            let sep = self.next()?;
            match sep.kind {
                Kind::Comma => after = sep,
                Kind::RParen => break,
                Kind::End => return Err(self.error(open.col, "`(` is never closed")),
                _ => {
                    return Err(self.error(
                        sep.col,
                        format!(
                            "expected `,` or `)` in the `{}` list, found {}",
                            in_tok.src,
                            sep.describe()
                        ),
                    ));
                }
            }
        }
        Ok(Test::In { negated, values })
    }

    fn like(&mut self, like_tok: &Token, negated: bool) -> Result<Test, FilterError> {
        let (lit, at) = self.value(like_tok)?;
        match lit {
            Value::String(pattern) => Ok(Test::Like { negated, pattern }),
            _ => Err(self.error(
                at.col,
                format!(
                    "`{}` needs a string pattern such as 'val/%', found {}",
                    like_tok.src,
                    at.describe()
                ),
            )),
        }
    }
}

/// A word that looks like a number: `Some(None)` when it is one but out of range.
fn number(word: &str) -> Option<Option<serde_json::Number>> {
    let first = word.chars().next()?;
    let looks_numeric = (first.is_ascii_digit() || matches!(first, '-' | '+' | '.'))
        && word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if !looks_numeric {
        return None;
    }
    if let Ok(i) = word.parse::<i64>() {
        return Some(Some(i.into()));
    }
    if let Ok(u) = word.parse::<u64>() {
        return Some(Some(u.into()));
    }
    let f = word.parse::<f64>().ok()?;
    Some(serde_json::Number::from_f64(f).filter(|_| f.is_finite()))
}

/// A field close to an unknown one: `parms.lr` → `params.lr`, `stauts` → `status`.
fn suggest_field(root: &str, rest: Option<&str>) -> Option<String> {
    match rest {
        Some(rest) => closest(root, NAMED_ROOTS).map(|r| format!("{r}.{rest}")),
        None => {
            let all = NAMED_ROOTS.into_iter().chain(PLAIN_ROOTS);
            let r = closest(root, all)?;
            Some(if NAMED_ROOTS.contains(&r) {
                format!("{r}.<name>")
            } else {
                r.to_string()
            })
        }
    }
}

/// The candidate nearest `word` by edit distance, if within 2 and shorter than the word.
fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let len = word.chars().count();
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= 2 && d < len)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = i;
        let mut left = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let best = if ca == cb {
                diag
            } else {
                1 + diag.min(up).min(left)
            };
            diag = up;
            left = best;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = best;
            }
        }
        if let Some(slot) = row.first_mut() {
            *slot = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::tests::run;
    use serde_json::json;
    use sweep_core::{Goal, MetricSummary};

    fn parse(text: &str) -> Filter {
        match Filter::parse(text) {
            Ok(f) => f,
            Err(e) => panic!("`{text}` does not parse:\n{e}"),
        }
    }

    fn err(text: &str) -> FilterError {
        match Filter::parse(text) {
            Ok(f) => panic!("`{text}` parses: {f:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error's column and that its message contains `part`.
    fn assert_err(text: &str, column: usize, part: &str) {
        let e = err(text);
        assert_eq!(e.text, text);
        assert!(
            e.message.contains(part),
            "`{text}`: message {:?} lacks {part:?}",
            e.message
        );
        assert_eq!(e.column, column, "`{text}`: {e}");
    }

    fn metric(values: &[f64]) -> MetricSummary {
        let mut s = MetricSummary::new(Goal::Maximize);
        for (i, v) in values.iter().enumerate() {
            s.push(*v, i as u64);
        }
        s
    }

    /// Run 3, completed, acc 0.9, with params, a config, `val/macro_f1` logged 0.5, 0.8,
    /// 0.7, on host `gpu-1`, 2.5 s long.
    fn sample() -> RunRecord {
        let mut r = run(3, RunStatus::Completed, Some(0.9));
        r.params = [
            ("model.lr".to_string(), json!(0.01)),
            ("optimizer".to_string(), json!("adam")),
            ("epochs".to_string(), json!(10)),
            ("flag".to_string(), json!(true)),
            ("nothing".to_string(), Value::Null),
        ]
        .into();
        r.config = json!({"model": {"lr": 0.01, "depth": 3}, "data": {"name": "ünï ✓"}});
        r.summary
            .insert("val/macro_f1".into(), metric(&[0.5, 0.8, 0.7]));
        r.host = Some("gpu-1".into());
        r
    }

    fn passes(text: &str, run: &RunRecord, tags: &[&str]) -> bool {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        parse(text).matches(run, &tags)
    }

    fn yes(text: &str) {
        assert!(passes(text, &sample(), &[]), "`{text}` should pass");
    }

    fn no(text: &str) {
        assert!(!passes(text, &sample(), &[]), "`{text}` should not pass");
    }

    #[test]
    fn the_doc_example_reads_as_and_before_or() {
        let f = parse("params.model.lr > 1e-3 and status = completed or metrics.val/f1 >= 0.8");
        let make = |lr: f64, status: RunStatus, f1: Option<f64>| {
            let mut r = run(0, status, None);
            r.params.insert("model.lr".into(), json!(lr));
            if let Some(v) = f1 {
                r.summary.insert("val/f1".into(), metric(&[v]));
            }
            r
        };
        let cases = [
            (make(0.01, RunStatus::Completed, Some(0.5)), true),
            (make(0.01, RunStatus::Failed, Some(0.5)), false),
            (make(1e-4, RunStatus::Failed, Some(0.9)), true),
            (make(1e-4, RunStatus::Completed, None), false),
            (make(1e-3, RunStatus::Completed, Some(0.8)), true),
            (make(1e-3, RunStatus::Completed, Some(0.79)), false),
        ];
        for (i, (r, want)) in cases.iter().enumerate() {
            assert_eq!(f.matches(r, &[]), *want, "case {i}");
        }
    }

    #[test]
    fn each_comparison_is_true_and_false() {
        yes("params.epochs = 10");
        no("params.epochs = 11");
        yes("params.epochs == 10");
        no("params.epochs == 9");
        yes("params.epochs != 11");
        no("params.epochs != 10");
        yes("params.epochs < 11");
        no("params.epochs < 10");
        yes("params.epochs <= 10");
        no("params.epochs <= 9.5");
        yes("params.epochs > 9.5");
        no("params.epochs > 10");
        yes("params.epochs >= 10");
        no("params.epochs >= 10.5");
        yes("params.epochs>=-2");
        // Strings, lexicographically.
        yes("params.optimizer = adam");
        no("params.optimizer = 'Adam'");
        yes("params.optimizer != sgd");
        no("params.optimizer != \"adam\"");
        yes("params.optimizer < b");
        no("params.optimizer < adam");
        yes("params.optimizer <= adam");
        yes("params.optimizer > a");
        no("params.optimizer > adamw");
        yes("params.optimizer >= adam");
        no("params.optimizer >= b");
        // Booleans, only by = and !=.
        yes("params.flag = true");
        yes("params.flag = TRUE");
        no("params.flag = false");
        yes("params.flag != false");
        no("params.flag != true");
    }

    #[test]
    fn integers_equal_floats_and_numbers_read_in_any_form() {
        yes("params.epochs = 10.0");
        yes("params.epochs = 1e1");
        yes("config.model.depth = 3.0");
        yes("params.model.lr = 1e-2");
        yes("params.model.lr = 0.010");
        no("params.model.lr = 0.0100001");
        let mut r = sample();
        r.summary.insert("epoch".into(), metric(&[4.0]));
        assert!(passes("last.epoch = 4", &r, &[]));
        assert!(passes("last.epoch != 4.5", &r, &[]));
        assert!(passes(
            "number = 3 and number = 3.0 and number < 3.5",
            &r,
            &[]
        ));
        r.params.insert("small".into(), json!(0.5));
        assert!(passes("params.small = .5 and params.small = +0.5", &r, &[]));
        r.params.insert("neg".into(), json!(-2));
        assert!(passes("params.neg = -2 and params.neg < -1.5", &r, &[]));
        r.params.insert("big".into(), json!(u64::MAX));
        assert!(passes("params.big = 18446744073709551615", &r, &[]));
        assert!(passes("params.big > 18446744073709551614", &r, &[]));
    }

    #[test]
    fn different_types_never_compare() {
        let mut r = sample();
        r.params.insert("seed".into(), json!("1"));
        for text in [
            "params.seed = 1",
            "params.seed != 1",
            "params.seed < 2",
            "params.epochs = '10'",
            "params.epochs != '10'",
            "params.flag = 1",
            "params.flag != 1",
            "params.optimizer = true",
            "params.epochs like '1%'",
            "params.epochs not like 'x%'",
            "params.flag in (1, 'true')",
        ] {
            assert!(!passes(text, &r, &[]), "`{text}`");
        }
        assert!(passes("params.seed = '1'", &r, &[]));
        assert!(passes("params.seed = \"1\"", &r, &[]));
    }

    #[test]
    fn in_and_not_in() {
        yes("params.optimizer in (sgd, adam)");
        yes("params.optimizer IN ('adam')");
        no("params.optimizer in (sgd, 'adamw')");
        yes("params.optimizer not in (sgd, adamw)");
        no("params.optimizer not in (sgd, adam)");
        yes("params.epochs in (1, 10.0, 'x')");
        no("params.epochs in (1, 2)");
        // `not in` is `!=` with every value, so a value of another type is not a difference.
        no("params.epochs not in (1, 'x')");
        yes("params.epochs not in (1, 2)");
        yes("status in (failed, completed)");
        no("status not in (Completed)");
    }

    #[test]
    fn like_matches_whole_strings_with_percent_and_underscore() {
        yes("run like 'r%'");
        yes("run like r_");
        yes("run like '%3'");
        yes("run like '%'");
        yes("run like '%%r%3%'");
        yes("host like 'gpu-_'");
        no("host like 'gpu'");
        no("host like 'gpu-__'");
        no("host like 'GPU%'");
        no("run like '_'");
        no("run like ''");
        yes("run not like 'x%'");
        no("run not like 'r%'");
        yes("host like '%-%'");
        // `_` is one character, not one byte.
        yes("config.data.name like '_n_ _'");
        yes("config.data.name like 'ü%✓'");
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("abcabd", "%ab_"));
        assert!(!like("abcab", "%ab_d"));
        assert!(like("aaa", "a%a%a"));
        assert!(!like("aa", "a%a%a"));
    }

    #[test]
    fn null_fails_every_test_but_is_null() {
        for field in [
            "params.missing",
            "params.nothing",
            "config.model.width",
            "metrics.missing",
            "reason",
            "tag",
        ] {
            for test in [
                "= 1",
                "!= 1",
                "< 1",
                ">= 1",
                "= x",
                "!= x",
                "in (1, x)",
                "not in (1, x)",
                "like '%'",
                "not like 'x'",
                "is not null",
            ] {
                no(&format!("{field} {test}"));
            }
            yes(&format!("{field} is null"));
            yes(&format!("{field} IS NULL"));
            // Two-valued logic: `not` of a false test is true.
            yes(&format!("not {field} = 1"));
        }
        yes("params.optimizer is not null");
        no("params.optimizer is null");
        yes("host is not null");
        let mut r = sample();
        r.ended_at = None;
        assert!(passes("duration is null", &r, &[]));
        assert!(!passes("duration >= 0", &r, &[]));
    }

    #[test]
    fn and_or_not_and_parentheses() {
        // `a or b and c` is `a or (b and c)`.
        yes("status = completed or status = failed and number = 0");
        no("(status = completed or status = failed) and number = 0");
        yes("status = failed and number = 0 or status = completed");
        no("status = failed and (number = 0 or status = completed)");
        // `not` binds tighter than `and`.
        yes("not status = failed and number = 3");
        no("not (status = completed and number = 3)");
        yes("not (status = failed or number = 4)");
        no("not status = completed");
        yes("not not status = completed");
        no("NOT not Not status = completed");
        yes("((((status = completed))))");
        yes("status = completed And (number = 1 OR number = 3)");
        no("status = completed and number = 1 or number = 2");
        // Long chains build flat lists.
        let chain = vec!["number = 3"; 10_000].join(" and ");
        yes(&chain);
        let chain = vec!["number = 1"; 10_000].join(" or ") + " or run = r3";
        yes(&chain);
        let nots = "not ".repeat(100_001) + "status = completed";
        no(&nots);
    }

    #[test]
    fn tags_are_any_for_positive_tests_and_all_for_negative_ones() {
        let r = sample();
        let tags = ["baseline", "gpu"];
        assert!(passes("tag = gpu", &r, &tags));
        assert!(!passes("tag = cpu", &r, &tags));
        assert!(passes("tag != cpu", &r, &tags));
        assert!(!passes("tag != gpu", &r, &tags));
        assert!(passes("tag in (cpu, gpu)", &r, &tags));
        assert!(!passes("tag in (cpu, tpu)", &r, &tags));
        assert!(passes("tag not in (cpu, tpu)", &r, &tags));
        assert!(!passes("tag not in (cpu, gpu)", &r, &tags));
        assert!(passes("tag like 'base%'", &r, &tags));
        assert!(!passes("tag not like 'base%'", &r, &tags));
        assert!(passes("tag not like 'x%'", &r, &tags));
        assert!(passes("tag < c", &r, &tags));
        assert!(!passes("tag > h", &r, &tags));
        assert!(passes("tag is not null", &r, &tags));
        assert!(!passes("tag is null", &r, &tags));
        assert!(!passes("tag = 1", &r, &["1"]));
        assert!(passes("tag = '1'", &r, &["1"]));
        // No tags: null.
        assert!(passes("tag is null", &r, &[]));
        for text in [
            "tag = gpu",
            "tag != gpu",
            "tag not in (a)",
            "tag not like 'x'",
        ] {
            assert!(!passes(text, &r, &[]), "`{text}`");
        }
    }

    #[test]
    fn metric_names_keep_slashes_and_each_statistic_reads() {
        yes("metrics.val/macro_f1 = 0.8");
        yes("metrics.val/macro_f1>=0.8");
        yes("best.val/macro_f1 = 0.8");
        yes("last.val/macro_f1 = 0.7");
        yes("min.val/macro_f1 = 0.5");
        yes("max.val/macro_f1 = 0.8");
        no("metrics.val/macro_f1 > 0.8");
        yes("metrics.acc = 0.9");
        yes("(metrics.val/macro_f1<0.9)");
        let mut r = sample();
        r.summary.insert("train/loss-ema.v2".into(), metric(&[1.0]));
        assert!(passes("last.train/loss-ema.v2 = 1", &r, &[]));
        // Metric names are case-sensitive; the root is not.
        no("metrics.VAL/macro_f1 = 0.8");
        yes("METRICS.val/macro_f1 = 0.8");
    }

    #[test]
    fn run_fields_read() {
        yes("status = completed");
        yes("status = COMPLETED");
        yes("Status = 'Completed'");
        no("status = failed");
        yes("status > comp");
        yes("status >= completed");
        no("status > completed");
        yes("run = r3");
        yes("sweep = s");
        yes("duration = 2.5");
        yes("duration > 2 and duration < 3");
        yes("host = 'gpu-1'");
        yes("reason is null");
        yes("attempt = 1");
        yes("number = 3");
        no("number = '3'");
        yes("config.model.lr = 0.01 and params.model.lr = 0.01");
        let mut r = sample();
        r.reason = Some("timeout after 60s".into());
        r.config = json!({"model": {"lr": 0.1}, "model.base.act": "mish"});
        assert!(passes("reason like 'timeout%'", &r, &[]));
        assert!(passes("config.model.base.act = mish", &r, &[]));
        assert!(passes("config.model.lr = 0.1", &r, &[]));
        // Only leaves are fields.
        assert!(passes("config.model is null", &r, &[]));
    }

    #[test]
    fn strings_hold_unicode_and_escapes() {
        yes("config.data.name = 'ünï ✓'");
        yes("config.data.name = \"ünï ✓\"");
        no("config.data.name = 'uni ✓'");
        let mut r = sample();
        r.params.insert("quote".into(), json!("it's \"x\""));
        r.params.insert("path".into(), json!(r"C:\data\x"));
        r.params.insert("émoji".into(), json!("🚀"));
        assert!(passes(r#"params.quote = 'it\'s "x"'"#, &r, &[]));
        assert!(passes(r#"params.quote = "it's \"x\"""#, &r, &[]));
        assert!(passes(r"params.path = 'C:\\data\\x'", &r, &[]));
        assert!(passes(r"params.path = 'C:\data\x'", &r, &[]));
        assert!(passes("params.émoji = 🚀", &r, &[]));
        assert!(passes("params.émoji like '_'", &r, &[]));
        // A word that does not read as a number is a string.
        r.params.insert("date".into(), json!("2024-01-01"));
        r.params.insert("version".into(), json!("1.2.3"));
        assert!(passes("params.date = 2024-01-01", &r, &[]));
        assert!(passes("params.version = 1.2.3", &r, &[]));
        assert!(passes("params.optimizer=adam", &r, &[]));
    }

    #[test]
    fn filters_compare_by_their_trees() {
        assert_eq!(
            parse("status = completed AND number = 1"),
            parse("(Status == 'Completed') and (((number = 1)))")
        );
        assert_eq!(parse("not not run = x"), parse("run = x"));
        assert_ne!(parse("run = x"), parse("run = 'y'"));
        assert_ne!(parse("run = x"), parse("sweep = x"));
    }

    #[test]
    fn unknown_fields_list_the_fields_and_suggest_a_close_one() {
        let e = err("parms.lr > 1");
        assert_eq!(e.column, 1);
        assert!(
            e.message.starts_with(
                "unknown field `parms.lr`: fields are params.*, config.*, metrics.*, last.*, \
                 min.*, max.*, best.*, status, run, name, sweep, tag, duration, host, \
                 reason, attempt, number"
            ),
            "{}",
            e.message
        );
        assert!(
            e.message.ends_with("did you mean `params.lr`?"),
            "{}",
            e.message
        );
        assert_err(
            "status = completed and stauts = failed",
            24,
            "did you mean `status`?",
        );
        assert_err("metric.val/acc > 1", 1, "did you mean `metrics.val/acc`?");
        assert_err("tags = x", 1, "did you mean `tag`?");
        assert_err("metric > 1", 1, "did you mean `metrics.<name>`?");
        assert_err("lr > 1", 1, "unknown field `lr`");
        assert!(!err("lr > 1").message.contains("did you mean"));
        assert!(!err("xyzzy.q = 1").message.contains("did you mean"));
        assert_err("metrics > 1", 1, "`metrics` needs a name: `metrics.<name>`");
        assert_err("(params. = 1)", 2, "`params.` needs a name");
        assert_err("status.x = 1", 1, "`status` takes no name after a dot");
        // A value or keyword where a field belongs.
        assert_err("= 3", 1, "expected a field such as `status`");
        assert_err("and status = x", 1, "found `and`");
        assert_err("run = x and", 12, "found the end of the filter");
        assert_err("not", 4, "expected a field");
        assert_err("()", 2, "found `)`");
        assert_err("'status' = x", 1, "found `'status'`");
    }

    #[test]
    fn missing_operators_values_and_bad_tests_point_at_the_token() {
        assert_err("status completed", 8, "expected an operator after `status`");
        assert_err("params.lr", 10, "found the end of the filter");
        assert_err("run (x)", 5, "expected an operator");
        assert_err("status =", 9, "expected a value after `=`, found the end");
        assert_err("params.lr > )", 13, "expected a value after `>`, found `)`");
        assert_err("params.lr < and x = 1", 13, "found `and`");
        assert_err(
            "params.lr <> 1",
            12,
            "expected a value after `<`, found `>`",
        );
        assert_err("status ! = x", 8, "did you mean `!=`?");
        assert_err("reason = null", 10, "write `is null` or `is not null`");
        assert_err("tag in (a, null)", 12, "write `is null`");
        assert_err(
            "params.flag < true",
            15,
            "booleans compare only with `=` and `!=`",
        );
        assert_err("params.flag >= FALSE", 16, "booleans compare only");
        assert_err(
            "reason is nul",
            11,
            "expected `null` after `is`, found `nul`",
        );
        assert_err("reason is not 5", 15, "expected `null` after `is not`");
        assert_err("reason is", 10, "found the end");
        assert_err("reason not = x", 12, "expected `in` or `like` after `not`");
        assert_err("params.x = 1e999", 12, "number `1e999` is out of range");
        assert_err("status = complete", 10, "did you mean `completed`?");
        assert_err("status in (failed, done)", 20, "unknown status `done`");
        assert_err("status != 1", 11, "unknown status `1`");
    }

    #[test]
    fn in_needs_a_parenthesised_list_and_like_a_string() {
        assert_err("status in completed", 11, "expected `(` after `in`");
        assert_err("status not in completed", 15, "expected `(` after `in`");
        assert_err("status in", 10, "expected `(` after `in`");
        assert_err("status in (completed failed)", 22, "expected `,` or `)`");
        assert_err("status in (completed,", 22, "expected a value after `,`");
        assert_err("status in (completed, )", 23, "found `)`");
        assert_err("tag in ()", 9, "expected a value after `(`, found `)`");
        assert_err("status in (completed", 11, "`(` is never closed");
        assert_err("run like 5", 10, "`like` needs a string pattern");
        assert_err("run not like true", 14, "`like` needs a string pattern");
        assert_err("run LIKE -1.5", 10, "`LIKE` needs a string pattern");
        assert_err("run like", 9, "expected a value after `like`");
    }

    #[test]
    fn strings_parentheses_and_trailing_input() {
        assert_err("reason = 'oops", 10, "unterminated string: no closing `'`");
        assert_err(r#"host = "a\""#, 8, "no closing `\"`");
        assert_err(r"host = 'a\", 8, "unterminated string");
        assert_err("parms.x = 'oops", 1, "unknown field");
        assert_err("(status = completed", 1, "`(` is never closed");
        assert_err(
            "status = failed or (run = r1 and (number = 1)",
            20,
            "`(` is never closed",
        );
        assert_err("status = failed)", 16, "unmatched `)`");
        assert_err("(status = failed))", 18, "unmatched `)`");
        assert_err(
            "status = failed running",
            17,
            "unexpected `running` after a complete",
        );
        assert_err("status = failed, x", 16, "unexpected `,`");
        assert_err("(status = failed x)", 18, "expected `and`, `or` or `)`");
        assert_err("number = 1 2", 12, "unexpected `2`");
        // Columns count characters, not bytes.
        assert_err("host = 'ünïcødé' bad", 18, "unexpected `bad`");
        assert_err("params.émoji = 🚀🚀 ü", 19, "unexpected `ü`");
    }

    #[test]
    fn empty_filters_are_errors() {
        assert_err("", 1, "empty filter");
        assert_err(" \t\n ", 1, "empty filter");
    }

    #[test]
    fn display_puts_a_caret_under_the_column() {
        let e = err("status completed");
        assert_eq!(
            e.to_string(),
            format!(
                "expected an operator after `status` ({OPERATORS}), found `completed`\n  \
                 status completed\n         ^"
            )
        );
        assert_eq!(
            err("status =").to_string(),
            "expected a value after `=`, found the end of the filter\n  status =\n          ^"
        );
        let e = err("params.lr");
        assert!(
            e.to_string().ends_with("\n  params.lr\n           ^"),
            "{e}"
        );
        // A newline in the text shows as a space, so the caret still lines up.
        let e = err("run = x\nand");
        assert_eq!(e.column, 12);
        assert!(
            e.to_string().ends_with("\n  run = x and\n             ^"),
            "{e}"
        );
        let e = err("host = 'ü' x");
        assert!(
            e.to_string().ends_with("\n  host = 'ü' x\n             ^"),
            "{e}"
        );
        let e: Box<dyn std::error::Error> = Box::new(err(""));
        assert!(e.to_string().starts_with("empty filter"));
    }

    #[test]
    fn nesting_stops_at_64_parentheses() {
        let nested = |n: usize| format!("{}status = completed{}", "(".repeat(n), ")".repeat(n));
        yes(&nested(64));
        assert_err(&nested(65), 65, "at most 64 levels of parentheses");
        assert_err(&nested(100_000), 65, "at most 64");
        assert_err(&"(".repeat(100_000), 65, "at most 64");
        // Siblings do not add up.
        let siblings = vec![nested(64); 50].join(" or ");
        yes(&siblings);
        let mixed = "(not ".repeat(64) + "status = failed" + &")".repeat(64);
        no(&mixed);
        let mixed = "(not ".repeat(63) + "status = failed" + &")".repeat(63);
        yes(&mixed);
    }

    #[test]
    fn no_input_panics() {
        let seeds = [
            "params.model.lr > 1e-3 and status = completed or metrics.val/f1 >= 0.8",
            "not (tag in ('a', \"b\\\"c\") or run like 'x_%') and reason is not null",
            "host != 'ü✓' and (duration <= -2.5e3 or attempt == 1)",
        ];
        let pieces = [
            "(", ")", ",", "=", "==", "!", "!=", "<", "<=", ">", ">=", "'", "\"", "\\", " ", "and",
            "or", "not", "in", "like", "is", "null", "true", "false", "status", "params.x", "tag",
            "1e999", "-", ".", "1", "ü", "\n", "%", "_", "metrics.",
        ];
        let r = sample();
        let tags = vec!["a".to_string()];
        let check = |text: &str| match Filter::parse(text) {
            Ok(f) => {
                f.matches(&r, &tags);
                f.matches(&r, &[]);
            }
            Err(e) => {
                assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "{e}");
                assert!(e.to_string().ends_with('^'), "{e}");
            }
        };
        for seed in seeds {
            let chars: Vec<char> = seed.chars().collect();
            for end in 0..=chars.len() {
                check(&chars[..end].iter().collect::<String>());
                check(&chars[end..].iter().collect::<String>());
            }
        }
        // Deterministic pseudo-random token soup.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 12) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
                if state & 1 == 0 {
                    text.push(' ');
                }
            }
            check(&text);
            state = state.wrapping_add(0x1234_5678);
        }
    }
}
