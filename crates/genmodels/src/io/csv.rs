//! CSV with a header row: read as text, then converted column by column with errors that name
//! the file, line and column.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::atomic::write_atomic;
use crate::core::{ReadError, Result};

/// A CSV file read as text: its header and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Where it came from (used in error messages).
    pub path: PathBuf,
    /// Column names from the header row.
    pub header: Vec<String>,
    /// Data rows (each as long as the header), with their 1-based line numbers.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Numeric columns with their names.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericTable {
    /// Column names.
    pub names: Vec<String>,
    /// Values (rows × columns); missing cells are NaN.
    pub data: Array2<f64>,
}

fn format_err(
    path: &Path,
    line: Option<usize>,
    column: Option<String>,
    message: impl Into<String>,
) -> ReadError {
    ReadError::Format {
        path: path.into(),
        line,
        column,
        message: message.into(),
    }
}

/// Parses CSV text (with a header row). `path` is only used in error messages.
pub fn parse_csv(text: &[u8], path: &Path) -> Result<CsvTable> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            format_err(
                path,
                Some(1),
                None,
                format!("cannot read the header row: {e}"),
            )
        })?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(format_err(
            path,
            None,
            None,
            "the file is empty: a header row and at least one data row are needed",
        )
        .into());
    }
    let mut seen = std::collections::HashSet::new();
    for h in &header {
        if !seen.insert(h) {
            return Err(format_err(
                path,
                Some(1),
                Some(h.clone()),
                "duplicate column name in the header",
            )
            .into());
        }
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            format_err(path, line, None, format!("malformed CSV: {e}"))
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        if rec.len() != header.len() {
            return Err(format_err(
                path,
                Some(line),
                None,
                format!(
                    "this row has {} fields but the header has {}",
                    rec.len(),
                    header.len()
                ),
            )
            .into());
        }
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(CsvTable {
        path: path.into(),
        header,
        rows,
    })
}

/// Reads a CSV file (with a header row) as text.
pub fn read_csv(path: &Path) -> Result<CsvTable> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    parse_csv(&bytes, path)
}

/// Parses one numeric cell: empty, `NA`, `nan` (any case) are NaN; `inf` parses as infinity
/// (models that cannot use it say so).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

impl CsvTable {
    /// The 0-based index of a column, or an error listing the columns there are.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            format_err(
                &self.path,
                None,
                Some(name.to_string()),
                format!(
                    "no such column; the columns are: {}",
                    self.header.join(", ")
                ),
            )
            .into()
        })
    }

    /// The columns that feed a model whose features are `model` (by name), in the model's
    /// order, from the columns `selected` by the user (all but `exclude` when `None`).
    ///
    /// A model with named features is matched by name, never by position: the selection may
    /// list the features in any order, and a feature missing from it (or from the file) is an
    /// error, as is a selected column the model does not have. A model without names (`None`,
    /// or the placeholder names `x1…xD` of a model fitted on a `.npy` when the file has no
    /// such columns) takes the selected columns by position; the caller checks their number.
    ///
    /// ```
    /// # fn main() -> genmodels::core::Result<()> {
    /// let t = genmodels::io::csv::parse_csv(b"waiting,eruptions\n80,3.6\n", "f.csv".as_ref())?;
    /// let model = ["eruptions".to_string(), "waiting".to_string()];
    /// let sel = ["waiting".to_string(), "eruptions".to_string()];
    /// assert_eq!(t.model_columns(Some(&sel), Some(&model), &[])?, model.to_vec());
    /// assert!(t.model_columns(Some(&sel[..1]), Some(&model), &[]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn model_columns(
        &self,
        selected: Option<&[String]>,
        model: Option<&[String]>,
        exclude: &[&str],
    ) -> Result<Vec<String>> {
        let available: Vec<String> = match selected {
            Some(sel) => {
                for c in sel {
                    self.column_index(c)?;
                }
                sel.to_vec()
            }
            None => self
                .header
                .iter()
                .filter(|h| !exclude.contains(&h.as_str()))
                .cloned()
                .collect(),
        };
        let Some(model) = model else {
            return Ok(available);
        };
        let placeholder = model
            .iter()
            .enumerate()
            .all(|(j, n)| *n == format!("x{}", j + 1));
        if placeholder && !model.iter().all(|n| self.header.contains(n)) {
            return Ok(available);
        }
        if let Some(extra) = selected.into_iter().flatten().find(|c| !model.contains(c)) {
            return Err(format_err(
                &self.path,
                None,
                Some(extra.clone()),
                format!(
                    "not a feature of the model, whose features are: {}",
                    model.join(", ")
                ),
            )
            .into());
        }
        let missing: Vec<&String> = model.iter().filter(|n| !available.contains(n)).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            let (what, from) = match selected {
                Some(_) => ("selected", "columns selected"),
                None => ("in the file", "file's columns"),
            };
            return Err(format_err(
                &self.path,
                None,
                None,
                format!(
                    "the model's feature{} {} {} not {what} (the model's features are matched by \
                     name: {}; the {from} are: {})",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" },
                    model.join(", "),
                    available.join(", ")
                ),
            )
            .into());
        }
        Ok(model.to_vec())
    }

    /// Converts the chosen columns (all when `None`) to numbers.
    pub fn numeric(&self, columns: Option<&[String]>) -> Result<NumericTable> {
        let idx: Vec<usize> = match columns {
            Some(cols) => cols
                .iter()
                .map(|c| self.column_index(c))
                .collect::<Result<_>>()?,
            None => (0..self.header.len()).collect(),
        };
        if self.rows.is_empty() {
            return Err(format_err(
                &self.path,
                None,
                None,
                "the file has a header but no data rows",
            )
            .into());
        }
        let mut data = Array2::zeros((self.rows.len(), idx.len()));
        for (i, (line, row)) in self.rows.iter().enumerate() {
            for (j, &c) in idx.iter().enumerate() {
                data[[i, j]] = parse_number(&row[c]).ok_or_else(|| {
                    format_err(
                        &self.path,
                        Some(*line),
                        Some(self.header[c].clone()),
                        format!(
                            "{:?} is not a number (select numeric columns with --columns)",
                            row[c]
                        ),
                    )
                })?;
            }
        }
        Ok(NumericTable {
            names: idx.iter().map(|&c| self.header[c].clone()).collect(),
            data,
        })
    }
}

/// Formats a number for CSV output: shortest representation that round-trips.
pub fn fmt_number(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Writes rows of string cells under a header, atomically.
pub fn write_csv(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    write_atomic(path, |w| {
        let mut wr = ::csv::Writer::from_writer(w);
        wr.write_record(header)?;
        for r in rows {
            wr.write_record(&r)?;
        }
        wr.flush()?;
        Ok(())
    })
    .map_err(|source| {
        ReadError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("t.csv")
    }

    #[test]
    fn reads_selected_columns_and_missing_cells() {
        let t = parse_csv(b"a,b,c\n1,2,x\n3,,y\n", &p()).unwrap();
        let n = t
            .numeric(Some(&["b".to_string(), "a".to_string()]))
            .unwrap();
        assert_eq!(n.names, vec!["b", "a"]);
        assert_eq!(n.data[[0, 0]], 2.0);
        assert!(n.data[[1, 0]].is_nan());
        assert_eq!(n.data[[1, 1]], 3.0);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let t = parse_csv(b"a,b\n1,2\n3,oops\n", &p()).unwrap();
        let e = t.numeric(None).unwrap_err().to_string();
        assert!(
            e.contains("t.csv")
                && e.contains("line 3")
                && e.contains("column b")
                && e.contains("oops"),
            "{e}"
        );
        let e = parse_csv(b"a,b\n1,2\n3\n", &p()).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("1 fields"), "{e}");
        let e = t
            .numeric(Some(&["zzz".to_string()]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("zzz") && e.contains("a, b"), "{e}");
    }

    #[test]
    fn empty_and_header_only() {
        assert!(parse_csv(b"", &p())
            .unwrap_err()
            .to_string()
            .contains("empty"));
        let t = parse_csv(b"a,b\n", &p()).unwrap();
        assert!(t
            .numeric(None)
            .unwrap_err()
            .to_string()
            .contains("no data rows"));
    }
}
