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

/// The largest magnitude that Gaussian models (mixtures, HMM emissions) accept in their data:
/// `1e150`. Squares of such values (≤ 1e300) and sums of many of them stay finite in `f64`
/// (whose largest value is about 1.8e308), so the log-likelihood of a row within it is a finite
/// number; a value like `1e308` would make it `−∞` (and posterior probabilities NaN).
pub const MAX_GAUSSIAN_MAGNITUDE: f64 = 1e150;

/// [`check_finite`], and every value at most [`MAX_GAUSSIAN_MAGNITUDE`] in magnitude: the
/// data of a Gaussian model. The error names the 1-based row and column.
pub fn check_gaussian_data(x: ArrayView2<'_, f64>, hint: &str) -> Result<(), DataError> {
    check_finite(x, hint)?;
    for (i, row) in x.outer_iter().enumerate() {
        if let Some((j, v)) = row
            .iter()
            .enumerate()
            .find(|(_, v)| v.abs() > MAX_GAUSSIAN_MAGNITUDE)
        {
            return Err(DataError::TooLarge {
                row: i + 1,
                column: (j + 1).to_string(),
                value: fmt_value(*v),
                reason: format!(
                    "a Gaussian model squares its values, which overflows beyond ±{MAX_GAUSSIAN_MAGNITUDE:e}; rescale the column or remove the row"
                ),
            });
        }
    }
    Ok(())
}

/// A value for an error message: plain digits for ordinary magnitudes, scientific notation
/// (`1e308`, not 309 digits) for very large or very small ones.
pub(crate) fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// `e` with the row numbers of its data errors moved on by `by`: for a check run on a slice of
/// the data that starts at row `by` (0-based) of the whole.
pub(crate) fn offset_rows(e: super::Error, by: usize) -> super::Error {
    use super::Error;
    match e {
        Error::Data(DataError::NonFinite {
            row,
            column,
            value,
            hint,
        }) => DataError::NonFinite {
            row: row + by,
            column,
            value,
            hint,
        }
        .into(),
        Error::Data(DataError::TooLarge {
            row,
            column,
            value,
            reason,
        }) => DataError::TooLarge {
            row: row + by,
            column,
            value,
            reason,
        }
        .into(),
        Error::Data(DataError::Support {
            row,
            column,
            value,
            support,
        }) => DataError::Support {
            row: row + by,
            column,
            value,
            support,
        }
        .into(),
        other => other,
    }
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

/// Observations grouped into independent sequences, in time order: the rows of `x`, split by
/// `lengths` (hmmlearn's convention). Every sequence has at least one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequences {
    /// All observations, sequence after sequence (rows × features).
    pub x: ndarray::Array2<f64>,
    /// The length of each sequence; they sum to the number of rows.
    pub lengths: Vec<usize>,
}

impl Sequences {
    /// Groups `x` by `lengths`, checking that they match.
    pub fn new(x: ndarray::Array2<f64>, lengths: Vec<usize>) -> Result<Self, DataError> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(DataError::Empty {
                what: "the sequence data".into(),
            });
        }
        if lengths.is_empty() {
            return Err(DataError::Other("at least one sequence is needed".into()));
        }
        if let Some(i) = lengths.iter().position(|l| *l == 0) {
            return Err(DataError::Other(format!(
                "sequence {} is empty: every sequence needs at least one step",
                i + 1
            )));
        }
        let total: usize = lengths.iter().sum();
        if total != x.nrows() {
            return Err(DataError::Length {
                what: "the sequence lengths (summed)".into(),
                found: total,
                expected: x.nrows(),
            });
        }
        Ok(Sequences { x, lengths })
    }

    /// One sequence holding every row.
    pub fn single(x: ndarray::Array2<f64>) -> Result<Self, DataError> {
        let n = x.nrows();
        Sequences::new(x, vec![n])
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether there are no sequences (never true for a checked value).
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The row range of each sequence.
    pub fn ranges(&self) -> Vec<std::ops::Range<usize>> {
        let mut start = 0;
        self.lengths
            .iter()
            .map(|l| {
                let r = start..start + l;
                start += l;
                r
            })
            .collect()
    }

    /// Sequence `i` as a view.
    pub fn get(&self, i: usize) -> ArrayView2<'_, f64> {
        let r = self.ranges()[i].clone();
        self.x.slice(ndarray::s![r, ..])
    }
}

/// How far from one a stored probability distribution (mixture weights, start and transition
/// probabilities, categorical tables, class priors) may sum: `1e-6`, absolute.
pub const DISTRIBUTION_TOLERANCE: f64 = 1e-6;

/// Checks that `v` is a probability distribution: finite entries in `[0, 1]` summing to one
/// within [`DISTRIBUTION_TOLERANCE`]. The error names `what` and the 0-based index of a bad
/// entry.
pub fn check_distribution(v: ArrayView1<'_, f64>, what: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err(format!("{what}: there are no entries"));
    }
    if let Some((i, p)) = v
        .iter()
        .enumerate()
        .find(|(_, p)| !(p.is_finite() && (0.0..=1.0).contains(*p)))
    {
        return Err(format!(
            "{what}: entry {i} is {p}, not a probability (0 to 1)"
        ));
    }
    let sum = v.sum();
    // The entries are finite, so the sum is a number.
    if (sum - 1.0).abs() > DISTRIBUTION_TOLERANCE {
        return Err(format!(
            "{what}: the entries sum to {sum}, not 1 (tolerance {DISTRIBUTION_TOLERANCE:e})"
        ));
    }
    Ok(())
}
