//! The demo's Old Faithful section: a Gaussian mixture, K and the covariance type chosen by BIC.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use genmodels::core::{rng_from_seed, Sample, SampleGiven, Silent};
use genmodels::io::csv::parse_csv;
use genmodels::io::save_model;
use genmodels::mixture::{select_gaussian_mixture, CovarianceType, Criterion, GaussianMixture};

use super::report::md_table;
use crate::common::num;
use crate::plot;
const FAITHFUL: &str = include_str!("../../../../data/old_faithful.csv");

/// What the Old Faithful section found (for the summary).
pub struct Summary {
    /// The mixture BIC chose.
    pub gmm: GaussianMixture,
    /// Its BIC.
    pub bic: f64,
    /// The expected eruption length given a waiting time of 80 minutes.
    pub eruption_given_80: f64,
}

/// Fits and selects the mixture, draws its pictures, uses it conditionally.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
) -> Result<Summary> {
    // --- Old Faithful: Gaussian mixture, K and covariance type chosen by BIC -----------------
    progress("Gaussian mixtures on Old Faithful, K = 1..6 × 4 covariance types");
    let t0 = Instant::now();
    let table =
        parse_csv(FAITHFUL.as_bytes(), Path::new("data/old_faithful.csv"))?.numeric(None)?;
    let x = table.data.view();
    let n_init = if quick { 1 } else { 3 };
    let base = GaussianMixture::params(1)
        .n_init(n_init)
        .seed(0)
        .tol(1e-6)
        .max_iter(500);
    let ks: Vec<usize> = (1..=6).collect();
    let sel = select_gaussian_mixture(
        &base,
        &ks,
        &CovarianceType::ALL,
        Criterion::Bic,
        x,
        &mut Silent,
    )?;
    let mut gmm = sel.best.clone();
    gmm.feature_names = Some(table.names.clone());
    save_model(&gmm, &path_of("faithful.json"))?;
    let faithful_secs = t0.elapsed().as_secs_f64();

    let _ = writeln!(md, "## Gaussian mixture: Old Faithful eruptions\n");
    let _ = writeln!(
        md,
        "272 eruptions of the Old Faithful geyser (eruption length in minutes, waiting time to the next \
         eruption in minutes). Every K from 1 to 6 and every covariance type was fitted by EM \
         (k-means start, {n_init} restart(s), seed 0); the lowest BIC wins: **K = {}, {} covariance** \
         (fitted in {:.2} s in all). Waiting times are whole minutes, so some candidates put a \
         component on a single repeated value, where its variance shrinks to `reg_covar` and the \
         likelihood becomes a spike; those are marked *collapsed* and passed over (scikit-learn \
         would pick them).\n",
        gmm.n_components(),
        gmm.covariance_type(),
        faithful_secs
    );
    let rows: Vec<Vec<String>> = sel
        .table
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mark = if i == sel.best_index {
                " **← chosen**"
            } else if r.collapsed {
                " (collapsed)"
            } else {
                ""
            };
            vec![
                r.n_components.to_string(),
                r.covariance_type.to_string(),
                r.n_parameters.to_string(),
                num(r.log_likelihood),
                format!("{}{mark}", num(r.bic)),
                num(r.aic),
            ]
        })
        .collect();
    md_table(
        md,
        &[
            "K",
            "covariance",
            "parameters",
            "log-lik / row",
            "BIC",
            "AIC",
        ],
        &rows,
    );
    let _ = writeln!(md, "The chosen model:\n");
    let rows: Vec<Vec<String>> = (0..gmm.n_components())
        .map(|c| {
            let cov = gmm.components.full_covariance(c);
            vec![
                c.to_string(),
                num(gmm.weights[c]),
                num(gmm.components.means[[c, 0]]),
                num(gmm.components.means[[c, 1]]),
                num(cov[[0, 0]].sqrt()),
                num(cov[[1, 1]].sqrt()),
                num(cov[[0, 1]] / (cov[[0, 0]] * cov[[1, 1]]).sqrt()),
            ]
        })
        .collect();
    md_table(
        md,
        &[
            "component",
            "weight",
            "mean eruptions",
            "mean waiting",
            "sd eruptions",
            "sd waiting",
            "correlation",
        ],
        &rows,
    );

    let means: Vec<(f64, f64)> = gmm
        .components
        .means
        .outer_iter()
        .map(|r| (r[0], r[1]))
        .collect();
    let covs: Vec<[[f64; 2]; 2]> = (0..gmm.n_components())
        .map(|c| {
            let s = gmm.components.full_covariance(c);
            [[s[[0, 0]], s[[0, 1]]], [s[[1, 0]], s[[1, 1]]]]
        })
        .collect();
    let pts: Vec<(f64, f64)> = x.outer_iter().map(|r| (r[0], r[1])).collect();
    let labels = gmm.predict(x)?.to_vec();
    plot::gmm_scatter(
        &path_of("faithful.png"),
        &format!(
            "Old Faithful: {}-component Gaussian mixture ({})",
            gmm.n_components(),
            gmm.covariance_type()
        ),
        "eruptions (min)",
        "waiting (min)",
        Some((&pts, &labels)),
        &means,
        &covs,
        &gmm.weights.to_vec(),
    )?;
    let series: Vec<(String, Vec<(f64, f64)>)> = CovarianceType::ALL
        .iter()
        .map(|t| {
            let v = sel
                .table
                .iter()
                .filter(|r| r.covariance_type == *t && r.error.is_none())
                .map(|r| (r.n_components as f64, r.bic))
                .collect();
            (format!("BIC ({t})"), v)
        })
        .collect();
    let s: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    plot::line_chart(
        &path_of("faithful_bic.png"),
        "Old Faithful: BIC by K and covariance type",
        "K",
        "BIC (lower is better)",
        &s,
    )?;
    let _ = writeln!(
        md,
        "![scatter with 1σ and 2σ ellipses](faithful.png)\n\n![BIC against K](faithful_bic.png)\n"
    );

    // Conditional use: eruptions given waiting.
    let mut rng = rng_from_seed(1);
    let given = gmm.sample_given([None, Some(80.0)].as_slice(), 2000, &mut rng)?;
    let cond_mean = gmm.impute(ndarray::array![[f64::NAN, 80.0], [f64::NAN, 55.0]].view())?;
    let _ = writeln!(
        md,
        "Conditional use: given a waiting time of 80 min the expected eruption length is **{} min** \
         (given 55 min: {} min); 2000 draws of eruptions | waiting = 80 have mean {} and sd {}.\n",
        num(cond_mean[[0, 0]]),
        num(cond_mean[[1, 0]]),
        num(given.column(0).mean().unwrap_or(f64::NAN)),
        num(given.column(0).std(1.0))
    );
    let samples = gmm.sample(500, &mut rng_from_seed(2))?;
    crate::common::write_table(
        &path_of("faithful_samples.csv"),
        &table.names,
        &samples.x,
        Some((
            "component",
            samples.component.iter().map(|c| c.to_string()).collect(),
        )),
    )?;
    let _ = writeln!(md, "500 new eruptions drawn from the model: `faithful_samples.csv`; the model itself: `faithful.json`.\n");
    Ok(Summary {
        bic: sel.table[sel.best_index].bic,
        eruption_given_80: cond_mean[[0, 0]],
        gmm,
    })
}
