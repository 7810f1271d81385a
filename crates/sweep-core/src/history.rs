//! A run's history held by column: one column of values per metric key.
//!
//! Ingesting 10,000 runs of 1,000 records is 10 million records; as one map per record that
//! is 60 million key strings. Here a record costs a value per key and a presence flag, and
//! the column is what the store writes and what analysis reads.

use crate::{MetricRecord, MetricSpec, MetricSummary, Summary, metric_goal};

/// One metric key's values, a slot per record of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    key: String,
    /// The value at each record; 0.0 where the record lacks the key.
    values: Vec<f64>,
    /// Whether each record has the key; `None` when every record has it.
    present: Option<Vec<bool>>,
}

impl Column {
    /// The metric key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value at each record, 0.0 where [`Column::is_present`] is false.
    pub fn raw_values(&self) -> &[f64] {
        &self.values
    }

    /// Whether each record has the key; `None` when all do.
    pub fn presence(&self) -> Option<&[bool]> {
        self.present.as_deref()
    }

    /// Whether record `row` has this key.
    pub fn is_present(&self, row: usize) -> bool {
        row < self.values.len() && self.present.as_ref().is_none_or(|p| p[row])
    }

    /// `(row, value)` for each record that has the key, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.values
            .iter()
            .enumerate()
            .filter(|(i, _)| self.present.as_ref().is_none_or(|p| p[*i]))
            .map(|(i, v)| (i, *v))
    }

    /// A column from its parts; `None` when the lengths disagree.
    pub fn from_parts(key: String, values: Vec<f64>, present: Option<Vec<bool>>) -> Option<Self> {
        if present.as_ref().is_some_and(|p| p.len() != values.len()) {
            return None;
        }
        // A presence vector of all true says nothing.
        let present = present.filter(|p| p.iter().any(|b| !b));
        Some(Column {
            key,
            values,
            present,
        })
    }

    fn push_absent(&mut self) {
        let n = self.values.len();
        self.present
            .get_or_insert_with(|| vec![true; n])
            .push(false);
        self.values.push(0.0);
    }

    fn push(&mut self, value: f64) {
        self.values.push(value);
        if let Some(p) = &mut self.present {
            p.push(true);
        }
    }
}

/// The records of a run, by column. Columns are kept in the order their keys first appear.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    len: usize,
    columns: Vec<Column>,
    /// Whether a record is being pushed (between [`History::begin`] and [`History::end`]).
    open: bool,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History::default()
    }

    /// The history of these records.
    pub fn from_records(records: &[MetricRecord]) -> Self {
        let mut h = History::new();
        for r in records {
            h.push(r);
        }
        h
    }

    /// A history from columns of equal length (the store's decoder); `None` when they differ
    /// or a key repeats.
    pub fn from_columns(len: usize, columns: Vec<Column>) -> Option<Self> {
        if columns.iter().any(|c| c.values.len() != len) {
            return None;
        }
        let mut keys: Vec<&str> = columns.iter().map(|c| c.key.as_str()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        Some(History {
            len,
            columns,
            open: false,
        })
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The columns, in the order their keys first appeared.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column of `key`.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// Appends one record.
    pub fn push(&mut self, record: &MetricRecord) {
        self.begin();
        for (k, v) in record {
            self.set(k, *v);
        }
        self.end();
    }

    /// Starts a record; [`History::set`] fills it and [`History::end`] closes it. Ingest
    /// parses a line straight into the columns this way, without building a map.
    pub fn begin(&mut self) {
        if self.open {
            self.end();
        }
        self.open = true;
    }

    /// Sets `key` in the open record (a repeated key keeps its last value).
    pub fn set(&mut self, key: &str, value: f64) {
        debug_assert!(self.open, "History::set outside begin/end");
        let row = self.len;
        let column = match self.columns.iter().position(|c| c.key == key) {
            Some(i) => &mut self.columns[i],
            None => {
                let mut c = Column {
                    key: key.to_string(),
                    values: Vec::with_capacity(row + 1),
                    present: None,
                };
                for _ in 0..row {
                    c.push_absent();
                }
                self.columns.push(c);
                let last = self.columns.len() - 1;
                &mut self.columns[last]
            }
        };
        if column.values.len() > row {
            column.values[row] = value;
        } else {
            column.push(value);
        }
    }

    /// Closes the open record; a record with no key is dropped.
    pub fn end(&mut self) {
        if !self.open {
            return;
        }
        self.open = false;
        let row = self.len;
        if self.columns.iter().all(|c| c.values.len() == row) {
            return;
        }
        for c in &mut self.columns {
            if c.values.len() == row {
                c.push_absent();
            }
        }
        self.len += 1;
    }

    /// Whether the open record has `key` already.
    pub fn open_has(&self, key: &str) -> bool {
        self.open && self.column(key).is_some_and(|c| c.values.len() > self.len)
    }

    /// Record `row` as a map.
    pub fn record(&self, row: usize) -> MetricRecord {
        self.columns
            .iter()
            .filter(|c| c.is_present(row))
            .map(|c| (c.key.clone(), c.values[row]))
            .collect()
    }

    /// Every record as a map, in order.
    pub fn records(&self) -> Vec<MetricRecord> {
        (0..self.len).map(|i| self.record(i)).collect()
    }

    /// Appends every record of `other`.
    pub fn extend(&mut self, other: &History) {
        for row in 0..other.len {
            self.begin();
            for c in &other.columns {
                if c.is_present(row) {
                    self.set(&c.key, c.values[row]);
                }
            }
            self.end();
        }
    }

    /// Folds the history into `summary`, as folding each record at its position (offset by
    /// `first_step`) with [`crate::fold_record`] would.
    pub fn fold_into(&self, summary: &mut Summary, first_step: u64, metric: Option<&MetricSpec>) {
        for c in &self.columns {
            let s = summary
                .entry(c.key.clone())
                .or_insert_with(|| MetricSummary::new(metric_goal(&c.key, metric)));
            for (row, v) in c.iter() {
                s.push(v, first_step + row as u64);
            }
        }
        // fold_record creates an entry only for keys that occur; a column always has one.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Goal, fold_record};

    fn rec(pairs: &[(&str, f64)]) -> MetricRecord {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn records_come_back_as_they_were_pushed() {
        let records = vec![
            rec(&[("loss", 1.0)]),
            rec(&[("loss", 0.5), ("acc", f64::NAN)]),
            rec(&[("acc", 0.7)]),
        ];
        let h = History::from_records(&records);
        assert_eq!(h.len(), 3);
        let back = h.records();
        assert_eq!(back[0], records[0]);
        assert_eq!(back[2], records[2]);
        assert_eq!(back[1]["loss"], 0.5);
        assert!(back[1]["acc"].is_nan());
        assert_eq!(
            h.column("loss").unwrap().presence(),
            Some(&[true, true, false][..])
        );
        assert_eq!(h.column("acc").unwrap().iter().count(), 2);
    }

    #[test]
    fn an_empty_record_is_dropped_and_a_repeated_key_keeps_the_last_value() {
        let mut h = History::new();
        h.begin();
        h.end();
        h.begin();
        h.set("a", 1.0);
        assert!(h.open_has("a"));
        h.set("a", 2.0);
        h.end();
        assert_eq!(h.len(), 1);
        assert_eq!(h.records(), vec![rec(&[("a", 2.0)])]);
    }

    #[test]
    fn folding_columns_equals_folding_records() {
        let records = vec![
            rec(&[("val/acc", 0.5), ("loss", 1.0)]),
            rec(&[("val/acc", 0.9)]),
            rec(&[("val/acc", 0.7), ("loss", 0.2), ("lr", f64::NAN)]),
        ];
        let spec = MetricSpec::new("val/acc", Goal::Maximize);
        let mut by_record = Summary::new();
        for (i, r) in records.iter().enumerate() {
            fold_record(&mut by_record, r, 10 + i as u64, Some(&spec));
        }
        let mut by_column = Summary::new();
        History::from_records(&records).fold_into(&mut by_column, 10, Some(&spec));
        assert_eq!(
            serde_json::to_string(&by_record).unwrap(),
            serde_json::to_string(&by_column).unwrap()
        );
    }

    #[test]
    fn columns_of_unequal_length_or_repeated_keys_are_refused() {
        let a = Column::from_parts("a".into(), vec![1.0, 2.0], None).unwrap();
        let b = Column::from_parts("b".into(), vec![1.0], None).unwrap();
        assert!(History::from_columns(2, vec![a.clone(), b]).is_none());
        assert!(History::from_columns(2, vec![a.clone(), a.clone()]).is_none());
        assert!(Column::from_parts("c".into(), vec![1.0], Some(vec![true, false])).is_none());
        assert_eq!(History::from_columns(2, vec![a]).unwrap().len(), 2);
    }
}
