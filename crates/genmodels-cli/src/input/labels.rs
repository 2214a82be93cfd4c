//! Labels of images or rows: IDX label files (as MNIST ships) or a one-column CSV.

use std::path::Path;

use anyhow::Result;

use crate::common::usage;

/// Reads labels: IDX (as MNIST ships) or a CSV with one column of non-negative integers.
pub fn read_labels(path: &Path) -> Result<Vec<usize>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" || ext == "txt" {
        let t = genmodels::io::read_csv(path)?.numeric(None)?;
        if t.data.ncols() != 1 {
            return Err(usage(format!(
                "{}: labels need one column, the file has {}",
                path.display(),
                t.data.ncols()
            )));
        }
        return t
            .data
            .column(0)
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v >= 0.0 && v.fract() == 0.0 && v < 1e9 {
                    Ok(v as usize)
                } else {
                    Err(usage(format!(
                        "{}, row {}: label {v} is not a non-negative integer",
                        path.display(),
                        i + 1
                    )))
                }
            })
            .collect();
    }
    Ok(genmodels::io::idx::read_idx_labels(path)?
        .into_iter()
        .map(usize::from)
        .collect())
}

/// Labels that must match `n` images.
pub fn read_labels_for(path: &Path, n: usize, images: &Path) -> Result<Vec<usize>> {
    let l = read_labels(path)?;
    if l.len() != n {
        return Err(usage(format!(
            "{}: {} labels for {} images in {}",
            path.display(),
            l.len(),
            n,
            images.display()
        )));
    }
    Ok(l)
}

/// Classes from an IDX label file, or from the first column of a CSV (with a header row).
pub fn read_class_names(path: &Path) -> Result<Vec<String>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" || ext == "txt" {
        let t = genmodels::io::read_csv(path)?;
        return Ok(t.rows.iter().map(|(_, r)| r[0].clone()).collect());
    }
    Ok(genmodels::io::idx::read_idx_labels(path)?
        .iter()
        .map(|b| b.to_string())
        .collect())
}
