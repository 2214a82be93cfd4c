//! Images: IDX (as MNIST ships), .npy or CSV, one image per row, binarised as asked, with
//! errors that name the file.

use std::path::Path;

use anyhow::Result;
use genmodels::io::images::Images;
use genmodels::neural::neural_rng;

use crate::common::usage;
use crate::verbs::Binarize;

/// Reads images for scoring, binarised as asked (`stochastic`: seeded by `seed`), the first
/// `limit` only when given; names the file in errors.
pub fn read_binarized(
    path: &Path,
    b: Option<Binarize>,
    limit: Option<usize>,
    seed: u64,
) -> Result<Images> {
    let mut im = Images::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    if let Some(n) = limit {
        im = im.head(n);
    }
    Ok(match b {
        None => im,
        Some(Binarize::Threshold(t)) => im.binarize(t as f32),
        Some(Binarize::Stochastic) => im
            .binarize_stochastic(&mut neural_rng(seed ^ 0xb1_5eed))
            .map_err(|e| usage(format!("{}: {e}", path.display())))?,
    })
}

/// Reads images, binarised at `t` when given; names the file in errors.
pub fn read_images(path: &Path, t: Option<f32>) -> Result<Images> {
    let im = Images::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    Ok(match t {
        Some(t) => im.binarize(t),
        None => im,
    })
}

/// A library error about data, naming the file.
pub fn in_images(e: genmodels::core::Error, path: &Path) -> anyhow::Error {
    use genmodels::core::Error;
    match e {
        Error::Data(_) | Error::Param(_) => usage(format!("{}: {e}", path.display())),
        other => other.into(),
    }
}
