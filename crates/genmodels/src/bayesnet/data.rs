//! Discrete data: columns of state names coded as small integers, with missing cells.

use std::collections::BTreeSet;

use super::network::BayesNet;
use crate::core::{DataError, NetworkError, ReadError, Result};
use crate::io::CsvTable;

/// The code of a missing cell.
pub const MISSING: u16 = u16::MAX;

/// A table of discrete observations, stored by column: `columns[j][i]` is the state index of
/// row `i` in column `j` (an index into `states[j]`), or [`MISSING`].
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteData {
    /// Column (variable) names.
    pub names: Vec<String>,
    /// The state names of each column, in code order.
    pub states: Vec<Vec<String>>,
    /// The codes, one vector per column.
    pub columns: Vec<Vec<u16>>,
}

/// Whether a CSV cell means "missing": empty, `NA`, `NaN`, `?` (any case).
pub fn is_missing_cell(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t == "?" || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("nan")
}

/// The observed cells of one coded row (one code per network variable) as evidence
/// `(variable, state)`, missing cells left out.
pub fn observed_cells(cells: &[u16]) -> impl Iterator<Item = (usize, usize)> + '_ {
    cells
        .iter()
        .enumerate()
        .filter(|(_, &c)| c != MISSING)
        .map(|(v, &c)| (v, c as usize))
}

impl DiscreteData {
    /// A table with one column per variable of `net` (its names and states), from codes
    /// already known to be in range (as samplers produce them).
    pub(crate) fn of_network(net: &BayesNet, columns: Vec<Vec<u16>>) -> Self {
        Self {
            names: net.variables().iter().map(|v| v.name.clone()).collect(),
            states: net.variables().iter().map(|v| v.states.clone()).collect(),
            columns,
        }
    }

    /// Checks that every variable of `net` has few enough states to be coded as `u16` (one
    /// code is [`MISSING`]).
    pub(crate) fn check_codable(net: &BayesNet) -> Result<()> {
        if let Some(v) = net
            .variables()
            .iter()
            .find(|v| v.cardinality() >= MISSING as usize)
        {
            return Err(NetworkError::Other(format!(
                "`{}` has {} states, more than discrete data can hold",
                v.name,
                v.cardinality()
            ))
            .into());
        }
        Ok(())
    }

    /// Builds a table from codes, checking that lengths and codes agree with the states.
    pub fn new(
        names: Vec<String>,
        states: Vec<Vec<String>>,
        columns: Vec<Vec<u16>>,
    ) -> Result<Self> {
        if names.is_empty() || columns.is_empty() {
            return Err(DataError::Empty {
                what: "the data".into(),
            }
            .into());
        }
        if names.len() != states.len() || names.len() != columns.len() {
            return Err(DataError::Other(format!(
                "{} names, {} state lists and {} columns: they must match",
                names.len(),
                states.len(),
                columns.len()
            ))
            .into());
        }
        let n = columns[0].len();
        for (j, col) in columns.iter().enumerate() {
            if col.len() != n {
                return Err(DataError::Length {
                    what: format!("column `{}`", names[j]),
                    found: col.len(),
                    expected: n,
                }
                .into());
            }
            if states[j].len() >= MISSING as usize {
                return Err(DataError::Other(format!(
                    "column `{}` has {} distinct values; at most {} are supported",
                    names[j],
                    states[j].len(),
                    MISSING - 1
                ))
                .into());
            }
            if let Some(i) = col
                .iter()
                .position(|&c| c != MISSING && c as usize >= states[j].len())
            {
                return Err(DataError::Support {
                    row: i + 1,
                    column: j + 1,
                    value: col[i].to_string(),
                    support: format!("codes 0..{}", states[j].len()),
                }
                .into());
            }
        }
        Ok(Self {
            names,
            states,
            columns,
        })
    }

    /// Reads the chosen columns (all when `None`) of a CSV table as text categories; each
    /// column's states are its distinct values in sorted order (as pgmpy and bnlearn do).
    /// Missing cells (see [`is_missing_cell`]) become [`MISSING`].
    pub fn from_csv(table: &CsvTable, columns: Option<&[String]>) -> Result<Self> {
        let idx: Vec<usize> = match columns {
            Some(cols) => cols
                .iter()
                .map(|c| table.column_index(c))
                .collect::<Result<_>>()?,
            None => (0..table.header.len()).collect(),
        };
        if table.rows.is_empty() {
            return Err(ReadError::Format {
                path: table.path.clone(),
                line: None,
                column: None,
                message: "the file has a header but no data rows".into(),
            }
            .into());
        }
        let mut names = Vec::with_capacity(idx.len());
        let mut states = Vec::with_capacity(idx.len());
        let mut cols = Vec::with_capacity(idx.len());
        for &c in &idx {
            let set: BTreeSet<&str> = table
                .rows
                .iter()
                .map(|(_, r)| r[c].as_str())
                .filter(|s| !is_missing_cell(s))
                .collect();
            let st: Vec<String> = set.iter().map(|s| s.to_string()).collect();
            if st.len() >= MISSING as usize {
                return Err(ReadError::Format {
                    path: table.path.clone(),
                    line: None,
                    column: Some(table.header[c].clone()),
                    message: format!(
                        "{} distinct values: too many for a discrete variable",
                        st.len()
                    ),
                }
                .into());
            }
            let code: Vec<u16> = table
                .rows
                .iter()
                .map(|(_, r)| {
                    let s = r[c].as_str();
                    if is_missing_cell(s) {
                        MISSING
                    } else {
                        st.binary_search_by(|x| x.as_str().cmp(s))
                            .expect("value came from this column") as u16
                    }
                })
                .collect();
            names.push(table.header[c].clone());
            states.push(st);
            cols.push(code);
        }
        Self::new(names, states, cols)
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Whether any cell is missing.
    pub fn has_missing(&self) -> bool {
        self.columns.iter().any(|c| c.contains(&MISSING))
    }

    /// The column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The same data with one column per network variable, in the network's order and coded
    /// with the network's states. Columns the network does not have are an error unless
    /// `ignore_extra`; variables with no column are an error unless `allow_missing_columns`
    /// (then they are entirely missing). A value that is not a state of its variable is an
    /// error naming the row, the column and the states.
    pub fn align_to(
        &self,
        net: &BayesNet,
        ignore_extra: bool,
        allow_missing_columns: bool,
    ) -> Result<DiscreteData> {
        let n = self.n_rows();
        if !ignore_extra {
            if let Some(extra) = self.names.iter().find(|c| net.index_of(c).is_err()) {
                return Err(DataError::Other(format!(
                    "the data has a column `{extra}` that is not a variable of the network"
                ))
                .into());
            }
        }
        let mut columns = Vec::with_capacity(net.n_variables());
        for v in net.variables() {
            let Some(j) = self.column_index(&v.name) else {
                if allow_missing_columns {
                    columns.push(vec![MISSING; n]);
                    continue;
                }
                return Err(DataError::Other(format!(
                    "the data has no column for the network's variable `{}`",
                    v.name
                ))
                .into());
            };
            // Map this column's codes to the variable's.
            let map: Vec<Option<u16>> = self.states[j]
                .iter()
                .map(|s| v.states.iter().position(|t| t == s).map(|k| k as u16))
                .collect();
            let mut col = Vec::with_capacity(n);
            for (i, &c) in self.columns[j].iter().enumerate() {
                if c == MISSING {
                    col.push(MISSING);
                    continue;
                }
                match map[c as usize] {
                    Some(k) => col.push(k),
                    None => {
                        return Err(DataError::Other(format!(
                            "row {}, column `{}`: {}",
                            i + 1,
                            v.name,
                            NetworkError::UnknownState {
                                variable: v.name.clone(),
                                state: self.states[j][c as usize].clone(),
                                states: v.states.join(", "),
                            }
                        ))
                        .into())
                    }
                }
            }
            columns.push(col);
        }
        Ok(DiscreteData {
            names: net.variables().iter().map(|v| v.name.clone()).collect(),
            states: net.variables().iter().map(|v| v.states.clone()).collect(),
            columns,
        })
    }

    /// Row `i` as state indices (with [`MISSING`] where missing).
    pub fn row(&self, i: usize) -> Vec<u16> {
        self.columns.iter().map(|c| c[i]).collect()
    }

    /// The rows listed in `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> DiscreteData {
        DiscreteData {
            names: self.names.clone(),
            states: self.states.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| rows.iter().map(|&i| c[i]).collect())
                .collect(),
        }
    }

    /// The table as text rows (missing cells empty), for writing CSV.
    pub fn text_rows(&self) -> Vec<Vec<String>> {
        (0..self.n_rows())
            .map(|i| {
                self.columns
                    .iter()
                    .enumerate()
                    .map(|(j, c)| {
                        if c[i] == MISSING {
                            String::new()
                        } else {
                            self.states[j][c[i] as usize].clone()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

impl BayesNet {
    /// log P(row) of every complete row of `data` (columns matched to variables by name; extra
    /// columns are an error). Rows with missing cells are an error: their probability needs
    /// inference (see `inference`).
    pub fn log_likelihood_rows(&self, data: &DiscreteData) -> Result<Vec<f64>> {
        let d = data.align_to(self, false, false)?;
        let n = d.n_rows();
        let mut out = vec![0.0; n];
        let mut assignment = vec![0usize; self.n_variables()];
        for (i, o) in out.iter_mut().enumerate() {
            for (v, col) in d.columns.iter().enumerate() {
                if col[i] == MISSING {
                    return Err(DataError::Other(format!(
                        "row {}, column `{}` is missing: scoring needs complete rows",
                        i + 1,
                        d.names[v]
                    ))
                    .into());
                }
                assignment[v] = col[i] as usize;
            }
            *o = self.log_prob(&assignment);
        }
        Ok(out)
    }
}
