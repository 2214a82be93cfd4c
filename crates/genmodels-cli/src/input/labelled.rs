//! Labelled training data for a classifier: a CSV with a label column, or images with a
//! label file; the classes coded in a stable order.

use std::path::Path;

use anyhow::Result;
use genmodels::io::images::Images;
use ndarray::Array2;

use crate::common::usage;
use crate::input::labels::read_class_names;

/// Features, their column names, the labels when the file has them, and the image shape
/// for images.
pub type Labelled = (
    Array2<f64>,
    Vec<String>,
    Option<Vec<String>>,
    Option<(usize, usize)>,
);

/// Reads features (and labels, when `label_column` is in the file).
pub fn read(path: &Path, features: Option<&[String]>, label_column: &str) -> Result<Labelled> {
    let t = genmodels::io::read_csv(path)?;
    if features.is_none() && !t.header.iter().any(|h| h == label_column) {
        return Err(usage(format!(
            "{}: no column {label_column:?} for the labels; the columns are: {}",
            path.display(),
            t.header.join(", ")
        )));
    }
    let cols: Vec<String> = match features {
        Some(f) => f.to_vec(),
        None => t
            .header
            .iter()
            .filter(|h| *h != label_column)
            .cloned()
            .collect(),
    };
    let x = t.numeric(Some(&cols))?.data;
    let labels = t
        .header
        .iter()
        .position(|h| h == label_column)
        .map(|j| t.rows.iter().map(|(_, r)| r[j].clone()).collect());
    Ok((x, cols, labels, None))
}

/// Whether a classifier's data file holds images (IDX or .npy, or anything with `--labels`)
/// rather than a CSV with a label column.
pub fn is_image_input(path: &Path, labels: Option<&Path>) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    labels.is_some() || !matches!(ext.as_str(), "csv" | "txt" | "tsv")
}

/// Images (one per row, values in [0, 1] for 8-bit input), named x1…xD, with their labels
/// when a label file is given, and their shape.
pub fn read_images(path: &Path, labels: Option<&Path>) -> Result<Labelled> {
    let im = Images::read(path)?;
    let x = im.pixels.mapv(f64::from);
    let labels = match labels {
        Some(l) => {
            let v = read_class_names(l)?;
            if v.len() != x.nrows() {
                return Err(usage(format!(
                    "{} has {} labels but {} has {} images",
                    l.display(),
                    v.len(),
                    path.display(),
                    x.nrows()
                )));
            }
            Some(v)
        }
        None => None,
    };
    let names = (1..=x.ncols()).map(|j| format!("x{j}")).collect();
    Ok((x, names, labels, Some((im.height, im.width))))
}

pub fn class_codes(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut classes: Vec<String> = labels.to_vec();
    // Numeric classes (digits) sort as numbers, others as text.
    classes.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    classes.dedup();
    let codes = labels
        .iter()
        .map(|l| {
            classes
                .iter()
                .position(|c| c == l)
                .expect("from the same labels")
        })
        .collect();
    (classes, codes)
}
