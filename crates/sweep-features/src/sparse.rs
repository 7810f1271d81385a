use serde::{Deserialize, Serialize};

/// A compressed sparse row matrix of `f32` values: row `i` holds the column indices
/// `indices[indptr[i]..indptr[i + 1]]` (sorted, unique) and their values in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CsrMatrix {
    pub n_rows: usize,
    pub n_cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub data: Vec<f32>,
}

impl CsrMatrix {
    /// An empty matrix with `n_cols` columns and no rows.
    pub fn empty(n_cols: usize) -> Self {
        CsrMatrix {
            n_rows: 0,
            n_cols,
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Appends a row given as (column, value) pairs sorted by column without duplicates.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = (u32, f32)>) {
        for (c, v) in row {
            self.indices.push(c);
            self.data.push(v);
        }
        self.indptr.push(self.indices.len());
        self.n_rows += 1;
    }

    /// The (columns, values) of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The rows at `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let mut out = CsrMatrix::empty(self.n_cols);
        for &r in rows {
            let (c, v) = self.row(r);
            out.push_row(c.iter().copied().zip(v.iter().copied()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let mut m = CsrMatrix::empty(5);
        m.push_row([(0, 1.0), (3, 2.0)]);
        m.push_row([]);
        m.push_row([(4, 0.5)]);
        assert_eq!((m.n_rows, m.nnz()), (3, 3));
        assert_eq!(m.row(0), (&[0u32, 3][..], &[1.0f32, 2.0][..]));
        assert_eq!(m.row(1).0.len(), 0);
        let s = m.select_rows(&[2, 0]);
        assert_eq!(s.row(0), (&[4u32][..], &[0.5f32][..]));
        assert_eq!(s.row(1).0, &[0, 3]);
    }
}
