//! A fully read result, stored compactly: one byte buffer for every cell and one end offset
//! per cell (plus a NULL bitmap), not an allocation per cell.

/// A result column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The column name (or alias).
    pub name: String,
    /// The MySQL field type number (`MYSQL_TYPE_*`).
    pub type_code: u32,
    /// The MySQL field flags (`UNSIGNED_FLAG`, `BINARY_FLAG`, …).
    pub flags: u32,
}

/// A fully read result: columns, rows of text cells (None = SQL NULL), counts.
#[derive(Clone, Debug, Default)]
pub struct QueryResult {
    columns: Vec<Column>,
    rows: usize,
    /// Every non-NULL cell's bytes, row-major.
    data: Vec<u8>,
    /// End offset in `data` of each cell, row-major (start = previous end).
    ends: Vec<usize>,
    /// One bit per cell: set for SQL NULL.
    nulls: Vec<u64>,
    affected_rows: u64,
    insert_id: u64,
}

impl QueryResult {
    pub(crate) fn new(columns: Vec<Column>) -> Self {
        QueryResult {
            columns,
            ..Default::default()
        }
    }

    /// Appends one row; `cell(i)` gives column `i`'s bytes or `None` for NULL.
    pub(crate) fn push_row<'a>(&mut self, mut cell: impl FnMut(usize) -> Option<&'a [u8]>) {
        for i in 0..self.columns.len() {
            let idx = self.ends.len();
            if idx % 64 == 0 {
                self.nulls.push(0);
            }
            match cell(i) {
                Some(bytes) => self.data.extend_from_slice(bytes),
                None => self.nulls[idx / 64] |= 1 << (idx % 64),
            }
            self.ends.push(self.data.len());
        }
        self.rows += 1;
    }

    /// Gives back the spare capacity left by growth once every row is in.
    pub(crate) fn shrink(&mut self) {
        self.data.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.nulls.shrink_to_fit();
    }

    pub(crate) fn set_counts(&mut self, affected_rows: u64, insert_id: u64) {
        self.affected_rows = affected_rows;
        self.insert_id = insert_id;
    }

    /// The columns (empty for statements without a result set).
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// The cell at (`row`, `col`) in the server's text form; `None` for SQL NULL or out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<&[u8]> {
        let ncols = self.columns.len();
        if row >= self.rows || col >= ncols {
            return None;
        }
        let idx = row * ncols + col;
        if self.nulls[idx / 64] & (1 << (idx % 64)) != 0 {
            return None;
        }
        let start = if idx == 0 { 0 } else { self.ends[idx - 1] };
        Some(&self.data[start..self.ends[idx]])
    }

    /// The cell as UTF-8 text (`None` for NULL, out of range or invalid UTF-8).
    pub fn get_str(&self, row: usize, col: usize) -> Option<&str> {
        self.get(row, col).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Rows changed by the statement.
    pub fn affected_rows(&self) -> u64 {
        self.affected_rows
    }

    /// The AUTO_INCREMENT id of the last insert.
    pub fn insert_id(&self) -> u64 {
        self.insert_id
    }

    /// Bytes held by the cells and their index (capacity, not length): proportional to the
    /// data, about 8 bytes of overhead per cell.
    pub fn heap_size(&self) -> usize {
        self.data.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.nulls.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_nulls_and_bounds() {
        let col = |n: &str| Column {
            name: n.into(),
            type_code: 253,
            flags: 0,
        };
        let mut r = QueryResult::new(vec![col("a"), col("b")]);
        let rows: Vec<[Option<&[u8]>; 2]> = (0..100)
            .map(|i| {
                if i % 3 == 0 {
                    [None, Some(&b"x"[..])]
                } else {
                    [Some(&b""[..]), Some(&b"yz"[..])]
                }
            })
            .collect();
        for row in &rows {
            r.push_row(|i| row[i]);
        }
        assert_eq!(r.row_count(), 100);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(r.get(i, 0), row[0]);
            assert_eq!(r.get(i, 1), row[1]);
        }
        assert_eq!(r.get(100, 0), None);
        assert_eq!(r.get(0, 2), None);
        assert_eq!(QueryResult::default().get(0, 0), None);
    }
}
