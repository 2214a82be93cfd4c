//! Images: IDX (as MNIST ships), .npy or CSV, one image per row, binarised as asked, with
//! errors that name the file.

use std::path::Path;

use anyhow::Result;
use genmodels::io::images::Images;
use genmodels::neural::neural_rng;
use genmodels::neural::rbm::Visible;

use crate::common::{in_file, usage};
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

/// Reads images, keeps the first `limit`, binarises as asked (`T` or `stochastic`), and
/// checks them for the visible units. Returns the images and a description of the
/// binarisation.
pub fn read_for_units(
    path: &Path,
    binarize: Option<&str>,
    limit: Option<usize>,
    seed: u64,
    visible: Visible,
    trained_binarization: Option<&str>,
) -> Result<(Images, String)> {
    let mut im = Images::read(path).map_err(|e| in_file(e, path, &[]))?;
    if let Some(n) = limit {
        if n == 0 {
            return Err(usage("--limit 0: at least one row is needed"));
        }
        im = im.head(n);
    }
    let desc = match binarize {
        None => "none".to_string(),
        Some("stochastic") => {
            im = im
                .binarize_stochastic(&mut neural_rng(seed ^ 0xb1_5eed))
                .map_err(|e| in_file(e, path, &[]))?;
            format!("stochastic (seed {seed})")
        }
        Some(t) => {
            let t: f32 = t.parse().map_err(|_| {
                usage(format!(
                    "--binarize {t:?}: expected a threshold (a number) or `stochastic`"
                ))
            })?;
            if !t.is_finite() {
                return Err(usage(format!(
                    "--binarize {t}: the threshold must be finite"
                )));
            }
            im = im.binarize(t);
            format!("threshold {t}")
        }
    };
    if visible == Visible::Bernoulli {
        if let Err(e) = im.check_binary() {
            let hint = match trained_binarization {
                Some(b) if b.starts_with("threshold ") => {
                    format!(
                        " (the model was trained on data binarised with --binarize {})",
                        &b[10..]
                    )
                }
                _ => String::new(),
            };
            return Err(usage(format!("{}{hint}", in_file(e, path, &[]))));
        }
    }
    Ok((im, desc))
}
