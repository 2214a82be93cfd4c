//! Data containers and the checks every family runs on its input.

use ndarray::{ArrayView1, ArrayView2};

use super::error::DataError;

/// Checks that `x` has rows and columns and only finite values.
pub fn check_finite(x: ArrayView2<'_, f64>, hint: &str) -> Result<(), DataError> {
    check_not_empty(x)?;
    for (i, row) in x.outer_iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if !v.is_finite() {
                return Err(DataError::NonFinite {
                    row: i + 1,
                    column: (j + 1).to_string(),
                    value: v.to_string(),
                    hint: if hint.is_empty() {
                        String::new()
                    } else {
                        format!("; {hint}")
                    },
                });
            }
        }
    }
    Ok(())
}

/// Checks that `x` has at least one row and one column.
pub fn check_not_empty(x: ArrayView2<'_, f64>) -> Result<(), DataError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(DataError::Empty {
            what: "the data".into(),
        });
    }
    Ok(())
}

/// Checks that `x` has the number of columns a model expects.
pub fn check_columns(x: ArrayView2<'_, f64>, expected: usize) -> Result<(), DataError> {
    if x.ncols() != expected {
        return Err(DataError::Columns {
            expected,
            found: x.ncols(),
            hint: String::new(),
        });
    }
    Ok(())
}

/// Checks optional per-row sample weights: right length, finite, non-negative, positive sum.
pub fn check_sample_weights(w: ArrayView1<'_, f64>, n: usize) -> Result<(), DataError> {
    if w.len() != n {
        return Err(DataError::Length {
            what: "sample_weight".into(),
            found: w.len(),
            expected: n,
        });
    }
    if let Some((i, v)) = w
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
    {
        return Err(DataError::Other(format!(
            "sample_weight[{i}] = {v}: weights must be finite and non-negative"
        )));
    }
    if w.sum() <= 0.0 {
        return Err(DataError::Other(
            "sample weights sum to zero: at least one row needs a positive weight".into(),
        ));
    }
    Ok(())
}
