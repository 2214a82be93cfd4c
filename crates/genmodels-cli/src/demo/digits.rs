//! The demo's binarised-digits section: a Bernoulli mixture and its purity.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use genmodels::core::Fit;
use genmodels::io::csv::parse_csv;
use genmodels::io::save_model;
use genmodels::mixture::BernoulliMixture;

use crate::common::num;
use crate::plot;

const DIGITS: &str = include_str!("../../../../data/digits_binary.csv");

/// What the digits section found (for the summary).
pub struct Summary {
    /// The number of components.
    pub k: usize,
    /// The share of images whose cluster's majority digit is their own.
    pub purity: f64,
    /// The mean log-likelihood per image.
    pub log_likelihood: f64,
}

/// Fits the mixture and draws its component means.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
) -> Result<Summary> {
    // --- Binarised digits: Bernoulli mixture -------------------------------------------------
    progress("Bernoulli mixture on binarised digits");
    let t1 = Instant::now();
    let dt = parse_csv(DIGITS.as_bytes(), Path::new("data/digits_binary.csv"))?;
    let pixel_cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
    let dx = dt.numeric(Some(&pixel_cols))?.data;
    let k = 10;
    let bmm = BernoulliMixture::params(k)
        .n_init(if quick { 1 } else { 3 })
        .max_iter(if quick { 30 } else { 200 })
        .seed(0)
        .fit(&dx)?;
    save_model(&bmm, &path_of("digits_bernoulli.json"))?;
    let digits_secs = t1.elapsed().as_secs_f64();
    let imgs: Vec<Vec<f64>> = bmm
        .components
        .means
        .outer_iter()
        .map(|r| r.to_vec())
        .collect();
    plot::image_grid(&path_of("digits_means.png"), &imgs, 8, 8, 10)?;
    let labels = dt.numeric(Some(&["digit".to_string()]))?.data;
    let clusters = bmm.predict(dx.view())?;
    // Purity: the share of images whose cluster's majority digit is their own digit.
    let mut counts = vec![[0usize; 10]; k];
    for (c, l) in clusters.iter().zip(labels.column(0).iter()) {
        counts[*c][*l as usize] += 1;
    }
    let purity = counts
        .iter()
        .map(|c| *c.iter().max().unwrap_or(&0))
        .sum::<usize>() as f64
        / dx.nrows() as f64;
    let r = bmm.report.as_ref().expect("fitted");
    let _ = writeln!(md, "## Bernoulli mixture: binarised 8×8 digits\n");
    let _ = writeln!(
        md,
        "1,797 handwritten digits (scikit-learn's copy of UCI optdigits), pixels above 7/16 set to 1. A \
         10-component Bernoulli mixture, fitted by the same EM engine without labels, in {:.2} s \
         ({} iterations, {}; mean log-likelihood {} nats per image). Cluster purity against the true \
         digits: **{:.1} %**. The component means, as images:\n",
        digits_secs,
        r.n_iter,
        if r.converged { "converged" } else { "not converged" },
        num(r.lower_bound),
        100.0 * purity
    );
    let _ = writeln!(md, "![Bernoulli mixture means](digits_means.png)\n");
    Ok(Summary {
        k,
        purity,
        log_likelihood: r.lower_bound,
    })
}
