//! [`DataReport`]: what the data of a run looks like, logged with every run.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::load::Dataset;

/// How many leaked texts a report keeps as examples, per split.
pub const LEAK_EXAMPLES: usize = 5;

/// Facts about every split of a run's data, and across splits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataReport {
    /// One entry per split: `train` first, then `val`, `test` and the eval sets.
    pub splits: Vec<SplitReport>,
    /// Sorted labels over all splits.
    pub classes: Vec<String>,
    /// Remarks for people (cross-validation warnings, how held-out parts were drawn).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Facts about one split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitReport {
    /// `train`, `val`, `test` or an eval set's name.
    pub name: String,
    /// Where the rows came from: a file, or a held-out part of the train file.
    pub origin: String,
    /// Number of rows.
    pub rows: usize,
    /// Rows per label.
    pub class_counts: BTreeMap<String, usize>,
    /// Largest class count over smallest (classes absent from the split are not
    /// counted); `None` for an empty split. 1 for a single class.
    pub imbalance: Option<f64>,
    /// Rows whose text is empty or whitespace only.
    pub empty_texts: usize,
    /// Rows whose exact text appears earlier in the same split.
    pub duplicate_texts: usize,
    /// Mean text length in Unicode scalar values (Rust `char`s).
    pub mean_chars: f64,
    /// Mean number of whitespace-separated tokens.
    pub mean_tokens: f64,
    /// Texts also in train; `None` for train itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leakage: Option<Leakage>,
    /// Labels of this split that train never has, with their row counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unseen_labels: BTreeMap<String, usize>,
    /// Rows of this split's file left out as bad, by kind (`invalid_utf8`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, usize>,
}

impl SplitReport {
    /// Total rows left out as bad.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Rows of a split whose text (trimmed) also occurs in train (trimmed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leakage {
    /// Leaked rows (a text leaked twice counts twice).
    pub rows: usize,
    /// `rows` over the split's rows.
    pub fraction: f64,
    /// Leaked rows whose label differs from every train label of that text.
    pub label_conflicts: usize,
    /// Up to [`LEAK_EXAMPLES`] leaked rows, distinct texts, in split order.
    pub examples: Vec<LeakExample>,
}

/// One leaked row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakExample {
    /// The text as in the split.
    pub text: String,
    /// Its label in the split.
    pub label: String,
    /// Its label at its first occurrence in train.
    pub train_label: String,
}

fn split_report(name: &str, data: &Dataset) -> SplitReport {
    let class_counts = data.class_counts();
    let imbalance = match (class_counts.values().max(), class_counts.values().min()) {
        (Some(&max), Some(&min)) if min > 0 => Some(max as f64 / min as f64),
        _ => None,
    };
    let mut seen: HashSet<&str> = HashSet::with_capacity(data.len());
    let mut duplicate_texts = 0;
    let mut empty_texts = 0;
    let mut chars = 0usize;
    let mut tokens = 0usize;
    for t in &data.texts {
        if !seen.insert(t.as_str()) {
            duplicate_texts += 1;
        }
        if t.trim().is_empty() {
            empty_texts += 1;
        }
        chars += t.chars().count();
        tokens += t.split_whitespace().count();
    }
    let mean = |total: usize| {
        if data.is_empty() {
            0.0
        } else {
            total as f64 / data.len() as f64
        }
    };
    let mut skipped = BTreeMap::new();
    for p in &data.skipped {
        *skipped.entry(p.kind.as_str().to_owned()).or_insert(0) += 1;
    }
    SplitReport {
        name: name.to_owned(),
        origin: data.source.display().to_string(),
        rows: data.len(),
        class_counts,
        imbalance,
        empty_texts,
        duplicate_texts,
        mean_chars: mean(chars),
        mean_tokens: mean(tokens),
        leakage: None,
        unseen_labels: BTreeMap::new(),
        skipped,
    }
}

impl DataReport {
    /// Computes the report of `train` and the other splits (`("val", &val)`,
    /// `("test", &test)`, `("blind", &blind)`, …). Leakage and unseen labels of every
    /// other split are measured against train.
    pub fn build(train: &Dataset, others: &[(&str, &Dataset)]) -> DataReport {
        let mut splits = vec![split_report("train", train)];
        // Trimmed train text → labels, first-occurrence label first.
        let mut train_texts: HashMap<&str, Vec<&str>> = HashMap::with_capacity(train.len());
        for (t, l) in train.texts.iter().zip(&train.labels) {
            let labels = train_texts.entry(t.trim()).or_default();
            if !labels.contains(&l.as_str()) {
                labels.push(l);
            }
        }
        let train_classes: BTreeSet<&str> = train.labels.iter().map(String::as_str).collect();
        let mut classes: BTreeSet<String> = train.labels.iter().cloned().collect();
        for (name, data) in others {
            let mut report = split_report(name, data);
            let mut rows = 0;
            let mut label_conflicts = 0;
            let mut examples = Vec::new();
            let mut example_texts = HashSet::new();
            for (t, l) in data.texts.iter().zip(&data.labels) {
                let Some(train_labels) = train_texts.get(t.trim()) else {
                    continue;
                };
                rows += 1;
                if !train_labels.contains(&l.as_str()) {
                    label_conflicts += 1;
                }
                if examples.len() < LEAK_EXAMPLES && example_texts.insert(t.trim()) {
                    examples.push(LeakExample {
                        text: t.clone(),
                        label: l.clone(),
                        train_label: train_labels
                            .first()
                            .map_or_else(String::new, |s| (*s).to_owned()),
                    });
                }
            }
            report.leakage = Some(Leakage {
                rows,
                fraction: if data.is_empty() {
                    0.0
                } else {
                    rows as f64 / data.len() as f64
                },
                label_conflicts,
                examples,
            });
            for (label, &count) in &report.class_counts {
                if !train_classes.contains(label.as_str()) {
                    report.unseen_labels.insert(label.clone(), count);
                }
            }
            classes.extend(data.labels.iter().cloned());
            splits.push(report);
        }
        DataReport {
            splits,
            classes: classes.into_iter().collect(),
            notes: Vec::new(),
        }
    }

    /// The report of one split by name.
    pub fn split(&self, name: &str) -> Option<&SplitReport> {
        self.splits.iter().find(|s| s.name == name)
    }

    /// The report as flat metrics, for logging with a run:
    ///
    /// - `data/classes`: labels over all splits;
    /// - per split `S`: `data/S/rows`, `data/S/classes`, `data/S/class/<label>`,
    ///   `data/S/imbalance` (when defined), `data/S/empty_texts`, `data/S/duplicates`,
    ///   `data/S/mean_chars`, `data/S/mean_tokens`, `data/S/skipped` and
    ///   `data/S/skipped/<kind>` per kind met;
    /// - per split other than train: `data/leakage/S` (leaked rows),
    ///   `data/leakage/S/fraction`, `data/leakage/S/label_conflicts`,
    ///   `data/S/unseen_labels` (distinct labels absent from train) and
    ///   `data/S/unseen_label_rows`.
    pub fn to_metrics(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        m.insert("data/classes".to_owned(), self.classes.len() as f64);
        for s in &self.splits {
            let k = |what: &str| format!("data/{}/{what}", s.name);
            m.insert(k("rows"), s.rows as f64);
            m.insert(k("classes"), s.class_counts.len() as f64);
            for (label, &count) in &s.class_counts {
                m.insert(k(&format!("class/{label}")), count as f64);
            }
            if let Some(r) = s.imbalance {
                m.insert(k("imbalance"), r);
            }
            m.insert(k("empty_texts"), s.empty_texts as f64);
            m.insert(k("duplicates"), s.duplicate_texts as f64);
            m.insert(k("mean_chars"), s.mean_chars);
            m.insert(k("mean_tokens"), s.mean_tokens);
            m.insert(k("skipped"), s.skipped_total() as f64);
            for (kind, &count) in &s.skipped {
                m.insert(k(&format!("skipped/{kind}")), count as f64);
            }
            if let Some(leak) = &s.leakage {
                let l = format!("data/leakage/{}", s.name);
                m.insert(l.clone(), leak.rows as f64);
                m.insert(format!("{l}/fraction"), leak.fraction);
                m.insert(format!("{l}/label_conflicts"), leak.label_conflicts as f64);
                m.insert(k("unseen_labels"), s.unseen_labels.len() as f64);
                m.insert(
                    k("unseen_label_rows"),
                    s.unseen_labels.values().sum::<usize>() as f64,
                );
            }
        }
        m
    }
}

/// At most `max` characters of `s` on one line, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn class_summary(counts: &BTreeMap<String, usize>) -> String {
    const LISTED: usize = 6;
    if counts.len() <= LISTED {
        counts
            .iter()
            .map(|(l, c)| format!("{l} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        let min = counts.values().min().copied().unwrap_or(0);
        let max = counts.values().max().copied().unwrap_or(0);
        format!("{} classes, {min}–{max} rows each", counts.len())
    }
}

impl fmt::Display for DataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "data: {} class{} ({})",
            self.classes.len(),
            if self.classes.len() == 1 { "" } else { "es" },
            clip(&self.classes.join(", "), 100)
        )?;
        let header = [
            "split",
            "rows",
            "classes",
            "imbalance",
            "duplicates",
            "empty",
            "mean chars",
            "mean tokens",
            "also in train",
        ];
        let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
        for s in &self.splits {
            table.push(vec![
                s.name.clone(),
                s.rows.to_string(),
                class_summary(&s.class_counts),
                s.imbalance
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
                s.duplicate_texts.to_string(),
                s.empty_texts.to_string(),
                format!("{:.1}", s.mean_chars),
                format!("{:.1}", s.mean_tokens),
                match &s.leakage {
                    None => "-".to_owned(),
                    Some(l) => format!("{} ({:.1}%)", l.rows, 100.0 * l.fraction),
                },
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                table
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &table {
            let mut line = String::from(" ");
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                line.push(' ');
                if c == 0 || c == 2 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                line.push(' ');
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        for s in &self.splits {
            if !s.skipped.is_empty() {
                let kinds: Vec<String> =
                    s.skipped.iter().map(|(k, c)| format!("{k} {c}")).collect();
                writeln!(
                    f,
                    "  {}: {} bad row{} skipped ({}) in {}",
                    s.name,
                    s.skipped_total(),
                    if s.skipped_total() == 1 { "" } else { "s" },
                    kinds.join(", "),
                    s.origin
                )?;
            }
        }
        for s in &self.splits {
            if let Some(l) = &s.leakage
                && l.rows > 0
            {
                write!(
                    f,
                    "  {}: {} row{} also in train",
                    s.name,
                    l.rows,
                    if l.rows == 1 { "" } else { "s" }
                )?;
                if l.label_conflicts > 0 {
                    write!(f, ", {} with a different label", l.label_conflicts)?;
                }
                writeln!(f, ", e.g.:")?;
                for e in &l.examples {
                    if e.label == e.train_label {
                        writeln!(f, "    \"{}\" ({})", clip(&e.text, 70), e.label)?;
                    } else {
                        writeln!(
                            f,
                            "    \"{}\" ({}; train: {})",
                            clip(&e.text, 70),
                            e.label,
                            e.train_label
                        )?;
                    }
                }
            }
        }
        for s in &self.splits {
            if !s.unseen_labels.is_empty() {
                let list: Vec<String> = s
                    .unseen_labels
                    .iter()
                    .map(|(l, c)| format!("{l} ({c} row{})", if *c == 1 { "" } else { "s" }))
                    .collect();
                writeln!(
                    f,
                    "  {}: labels never seen in train: {}",
                    s.name,
                    list.join(", ")
                )?;
            }
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hand_made() -> (Dataset, Dataset, Dataset) {
        let train = Dataset::from_pairs(
            "train.jsonl",
            [
                ("free money now", "spam"),
                ("see you at noon", "ham"),
                ("see you at noon", "ham"),
                ("call me", "ham"),
                ("free money now", "spam"),
                ("lunch?", "ham"),
                ("ok", "ham"),
                ("win a prize", "spam"),
            ],
        );
        let test = Dataset::from_pairs(
            "test.jsonl",
            [
                ("  call me ", "ham"),  // leaks (after trimming)
                ("win a prize", "ham"), // leaks, with another label
                ("brand new text", "spam"),
                ("win a prize", "ham"),   // leaks again, duplicate in test
                ("who are you", "other"), // label unseen in train
            ],
        );
        let blind = Dataset::from_pairs("blind.json", [("never seen", "spam"), ("ok", "ham")]);
        (train, test, blind)
    }

    #[test]
    fn numbers_on_a_hand_made_dataset() {
        let (train, test, blind) = hand_made();
        let r = DataReport::build(&train, &[("test", &test), ("blind", &blind)]);
        assert_eq!(r.classes, vec!["ham", "other", "spam"]);

        let t = r.split("train").unwrap();
        assert_eq!(t.rows, 8);
        assert_eq!(t.class_counts.get("ham"), Some(&5));
        assert_eq!(t.class_counts.get("spam"), Some(&3));
        assert_eq!(t.imbalance, Some(5.0 / 3.0));
        assert_eq!(t.duplicate_texts, 2);
        assert_eq!(t.empty_texts, 0);
        // chars: 14+15+15+7+14+6+2+11 = 84; tokens: 3+4+4+2+3+1+1+3 = 21
        assert!(
            (t.mean_chars - 84.0 / 8.0).abs() < 1e-12,
            "{}",
            t.mean_chars
        );
        assert!(
            (t.mean_tokens - 21.0 / 8.0).abs() < 1e-12,
            "{}",
            t.mean_tokens
        );
        assert!(t.leakage.is_none());

        let s = r.split("test").unwrap();
        assert_eq!(s.duplicate_texts, 1);
        assert_eq!(s.imbalance, Some(3.0));
        let leak = s.leakage.as_ref().unwrap();
        assert_eq!(leak.rows, 3);
        assert_eq!(leak.label_conflicts, 2);
        assert!((leak.fraction - 0.6).abs() < 1e-12);
        assert_eq!(leak.examples.len(), 2, "distinct texts only");
        assert_eq!(leak.examples[1].train_label, "spam");
        assert_eq!(s.unseen_labels.get("other"), Some(&1));

        let b = r.split("blind").unwrap();
        assert_eq!(b.leakage.as_ref().map(|l| l.rows), Some(1));

        let m = r.to_metrics();
        assert_eq!(m.get("data/train/rows"), Some(&8.0));
        assert_eq!(m.get("data/train/class/spam"), Some(&3.0));
        assert_eq!(m.get("data/train/duplicates"), Some(&2.0));
        assert_eq!(m.get("data/leakage/test"), Some(&3.0));
        assert_eq!(m.get("data/leakage/test/label_conflicts"), Some(&2.0));
        assert_eq!(m.get("data/leakage/blind"), Some(&1.0));
        assert_eq!(m.get("data/test/unseen_labels"), Some(&1.0));
        assert_eq!(m.get("data/test/unseen_label_rows"), Some(&1.0));
        assert_eq!(m.get("data/classes"), Some(&3.0));
        assert!(!m.contains_key("data/leakage/train"));

        let text = r.to_string();
        assert!(
            text.contains("data: 3 classes (ham, other, spam)"),
            "{text}"
        );
        assert!(text.contains("3 (60.0%)"), "{text}");
        assert!(
            text.contains("test: 3 rows also in train, 2 with a different label"),
            "{text}"
        );
        assert!(
            text.contains("\"win a prize\" (ham; train: spam)"),
            "{text}"
        );
        assert!(
            text.contains("labels never seen in train: other (1 row)"),
            "{text}"
        );

        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["splits"][1]["leakage"]["rows"], 3);
        let back: DataReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn skipped_rows_are_counted_by_kind() {
        let mut train = Dataset::from_pairs("t.jsonl", [("a", "x"), ("b", "y")]);
        for (line, kind) in [
            (3, crate::ProblemKind::Malformed),
            (4, crate::ProblemKind::Malformed),
            (5, crate::ProblemKind::InvalidUtf8),
        ] {
            train.skipped.push(crate::RowProblem {
                file: "t.jsonl".into(),
                line,
                kind,
                message: "bad".into(),
            });
        }
        let r = DataReport::build(&train, &[]);
        let m = r.to_metrics();
        assert_eq!(m.get("data/train/skipped"), Some(&3.0));
        assert_eq!(m.get("data/train/skipped/malformed"), Some(&2.0));
        assert_eq!(m.get("data/train/skipped/invalid_utf8"), Some(&1.0));
        assert!(
            r.to_string()
                .contains("train: 3 bad rows skipped (invalid_utf8 1, malformed 2)"),
            "{r}"
        );
    }

    #[test]
    fn empty_split_has_no_imbalance() {
        let train = Dataset::from_pairs("t", [("a", "x")]);
        let empty = Dataset::default();
        let r = DataReport::build(&train, &[("val", &empty)]);
        let v = r.split("val").unwrap();
        assert_eq!(v.imbalance, None);
        assert_eq!(v.mean_chars, 0.0);
        assert_eq!(r.split("train").unwrap().imbalance, Some(1.0));
        assert!(!r.to_metrics().contains_key("data/val/imbalance"));
    }
}
