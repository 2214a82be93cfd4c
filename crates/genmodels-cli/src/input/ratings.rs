//! Ratings: `user,item,rating` rows of a CSV, the columns named by `--ratings`.

use std::path::Path;

use anyhow::Result;

use crate::common::usage;

pub fn split_columns(s: &str) -> Result<Vec<String>> {
    let cols: Vec<String> = s.split(',').map(|c| c.trim().to_string()).collect();
    if cols.len() != 3 || cols.iter().any(|c| c.is_empty()) {
        return Err(usage(format!(
            "--ratings {s:?}: expected the three column names USER,ITEM,RATING"
        )));
    }
    Ok(cols)
}

/// Reads `(user, item, rating)` rows; the rating column may be absent when `need_rating` is
/// false (NaN then).
pub fn read_ratings(
    path: &Path,
    cols: &[String],
    need_rating: bool,
) -> Result<Vec<(String, String, f64)>> {
    let t = genmodels::io::read_csv(path)?;
    let u = t.column_index(&cols[0])?;
    let i = t.column_index(&cols[1])?;
    let r = if need_rating || t.header.contains(&cols[2]) {
        Some(t.column_index(&cols[2])?)
    } else {
        None
    };
    if t.rows.is_empty() {
        return Err(usage(format!(
            "{}: the file has a header but no ratings",
            path.display()
        )));
    }
    t.rows
        .iter()
        .map(|(line, row)| {
            let v = match r {
                Some(r) => {
                    let v = genmodels::io::csv::parse_number(&row[r]).unwrap_or(f64::NAN);
                    if !v.is_finite() {
                        return Err(usage(format!(
                            "{}, line {line}, column {}: {:?} is not a rating (a finite number)",
                            path.display(),
                            cols[2],
                            row[r]
                        )));
                    }
                    v
                }
                None => f64::NAN,
            };
            Ok((row[u].trim().to_string(), row[i].trim().to_string(), v))
        })
        .collect()
}
