//! The conditional Gaussian mixture: for a row with some features missing, the exact
//! distribution of the missing features given the observed ones.
//!
//! Given observed `x_o`, the posterior weight of component k is `∝ w_k N(x_o; μ_o, Σ_oo)`, and
//! within it `x_m | x_o ~ N(μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o), Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om)`.

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};
use rand::distr::weighted::WeightedIndex;
use rand::RngCore;
use rand_distr::{Distribution, StandardNormal};

use super::gaussian::{refuse_overflowing_rows, GaussianMixture};
use crate::core::data::{check_gaussian_data, offset_rows};
use crate::core::numerics::{cholesky_lower, logsumexp, lower_triangular_inverse, LN_2PI};
use crate::core::{DataError, NumericalError, Result, SampleGiven};

/// The mixture of the missing features given the observed ones, for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionalMixture {
    /// Indices of the missing features, in order.
    pub missing: Vec<usize>,
    /// Posterior component weights given the observed features.
    pub weights: Array1<f64>,
    /// Conditional means of the missing features per component (K × m).
    pub means: Array2<f64>,
    /// Conditional covariances per component (K × m × m).
    pub covariances: Array3<f64>,
    /// Marginal log-density of the observed features (0 when nothing is observed).
    pub log_marginal: f64,
}

impl ConditionalMixture {
    /// The conditional mean of the missing features (the imputation minimising squared error).
    pub fn mean(&self) -> Array1<f64> {
        self.weights.dot(&self.means)
    }
}

impl GaussianMixture {
    /// Conditions on a row where `None` marks a missing feature.
    pub fn condition(&self, row: &[Option<f64>]) -> Result<ConditionalMixture> {
        let d = self.n_features();
        if row.len() != d {
            return Err(DataError::Columns {
                expected: d,
                found: row.len(),
                hint: String::new(),
            }
            .into());
        }
        if let Some((j, v)) = row
            .iter()
            .enumerate()
            .find_map(|(j, v)| v.filter(|v| !v.is_finite()).map(|v| (j, v)))
        {
            return Err(DataError::NonFinite {
                row: 1,
                column: (j + 1).to_string(),
                value: v.to_string(),
                hint: "; mark missing values as absent, not infinite".into(),
            }
            .into());
        }
        let observed = Array2::from_shape_fn((1, d), |(_, j)| row[j].unwrap_or(0.0));
        check_gaussian_data(observed.view(), "")?;
        let obs: Vec<usize> = (0..d).filter(|&j| row[j].is_some()).collect();
        let mis: Vec<usize> = (0..d).filter(|&j| row[j].is_none()).collect();
        let xo: Array1<f64> = obs.iter().map(|&j| row[j].expect("observed")).collect();
        let k = self.n_components();
        let (m, o) = (mis.len(), obs.len());
        let mut log_post = Array1::zeros(k);
        let mut means = Array2::zeros((k, m));
        let mut covs = Array3::zeros((k, m, m));
        for c in 0..k {
            let cov = self.components.full_covariance(c);
            let mu = self.components.means.row(c);
            let sub = |a: &[usize], b: &[usize]| {
                Array2::from_shape_fn((a.len(), b.len()), |(i, j)| cov[[a[i], b[j]]])
            };
            let s_mm = sub(&mis, &mis);
            let mu_m: Array1<f64> = mis.iter().map(|&j| mu[j]).collect();
            if o == 0 {
                log_post[c] = self.weights[c].ln();
                means.row_mut(c).assign(&mu_m);
                covs.index_axis_mut(Axis(0), c).assign(&s_mm);
                continue;
            }
            let s_oo = sub(&obs, &obs);
            let s_mo = sub(&mis, &obs);
            let l =
                cholesky_lower(s_oo.view()).map_err(|p| NumericalError::NotPositiveDefinite {
                    component: c,
                    pivot: p,
                })?;
            let li = lower_triangular_inverse(l.view());
            let diff: Array1<f64> = obs.iter().zip(xo.iter()).map(|(&j, v)| v - mu[j]).collect();
            let z = li.dot(&diff); // L⁻¹(x_o − μ_o)
            let log_det: f64 = l.diag().mapv(f64::ln).sum();
            log_post[c] = self.weights[c].ln() - 0.5 * (o as f64 * LN_2PI + z.dot(&z)) - log_det;
            // Σ_mo Σ_oo⁻¹ = (L⁻¹ Σ_om)ᵀ L⁻¹
            let a = li.dot(&s_mo.t()); // o × m
            means.row_mut(c).assign(&(&mu_m + &a.t().dot(&z)));
            covs.index_axis_mut(Axis(0), c)
                .assign(&(&s_mm - &a.t().dot(&a)));
        }
        let lse = logsumexp(log_post.as_slice().expect("contiguous"));
        if o > 0 && !lse.is_finite() {
            // The observed cells overflowed every component: name the farthest of them (a
            // missing cell stands at component 0's mean, so it is never the one named).
            let at = Array2::from_shape_fn((1, d), |(_, j)| {
                row[j].unwrap_or(self.components.means[[0, j]])
            });
            let overflowed = Array2::from_elem((1, k), f64::NEG_INFINITY);
            refuse_overflowing_rows(&self.components, at.view(), overflowed.view())?;
        }
        let weights = log_post.mapv(|v| (v - lse).exp());
        Ok(ConditionalMixture {
            missing: mis,
            weights,
            means,
            covariances: covs,
            log_marginal: if o == 0 { 0.0 } else { lse },
        })
    }

    /// Fills every NaN cell with its conditional mean given the row's observed cells.
    pub fn impute(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_incomplete(x)?;
        let mut out = x.to_owned();
        for (i, mut row) in out.outer_iter_mut().enumerate() {
            if !row.iter().any(|v| v.is_nan()) {
                continue;
            }
            let r: Vec<Option<f64>> = row.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
            let cm = self.condition(&r).map_err(|e| at_row(e, i))?;
            for (j, v) in cm.missing.iter().zip(cm.mean().iter()) {
                row[*j] = *v;
            }
        }
        Ok(out)
    }

    /// Log-likelihood of each row's observed cells (NaN marks a missing cell), marginalising the
    /// missing ones exactly. A row with nothing observed scores 0.
    pub fn marginal_log_likelihood(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.check_incomplete(x)?;
        let mut out = Array1::zeros(x.nrows());
        let complete: Vec<usize> = (0..x.nrows())
            .filter(|&i| !x.row(i).iter().any(|v| v.is_nan()))
            .collect();
        if !complete.is_empty() {
            let sub = x.select(Axis(0), &complete);
            let ll = crate::core::LogLikelihood::log_likelihood(self, &sub)?;
            for (i, v) in complete.iter().zip(ll.iter()) {
                out[*i] = *v;
            }
        }
        for (i, row) in x.outer_iter().enumerate() {
            if row.iter().any(|v| v.is_nan()) {
                let r: Vec<Option<f64>> = row.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
                out[i] = self.condition(&r).map_err(|e| at_row(e, i))?.log_marginal;
            }
        }
        Ok(out)
    }

    fn check_incomplete(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_not_empty(x)?;
        crate::core::data::check_columns(x, self.n_features())?;
        for (i, row) in x.outer_iter().enumerate() {
            if let Some(j) = row.iter().position(|v| v.is_infinite()) {
                return Err(DataError::NonFinite {
                    row: i + 1,
                    column: (j + 1).to_string(),
                    value: row[j].to_string(),
                    hint: "; only NaN/empty cells are treated as missing".into(),
                }
                .into());
            }
        }
        // Missing cells aside, the values must be within a Gaussian model's range.
        check_gaussian_data(x.mapv(|v| if v.is_nan() { 0.0 } else { v }).view(), "")?;
        Ok(())
    }
}

/// An error of [`GaussianMixture::condition`] (which numbers its one row 1) for row `i`
/// (0-based) of a matrix: a cell's error names the cell, others get the row in front.
fn at_row(e: crate::core::Error, i: usize) -> crate::core::Error {
    use crate::core::Error;
    match e {
        Error::Data(
            DataError::NonFinite { .. } | DataError::TooLarge { .. } | DataError::Support { .. },
        ) => offset_rows(e, i),
        Error::Data(d) => DataError::Other(format!("row {}: {d}", i + 1)).into(),
        other => other,
    }
}

impl SampleGiven<[Option<f64>]> for GaussianMixture {
    type Output = Array2<f64>;
    /// Samples complete rows: observed features as given, missing ones drawn from their
    /// conditional mixture.
    fn sample_given(
        &self,
        row: &[Option<f64>],
        n: usize,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        let d = self.n_features();
        crate::core::memory::check_rows("samples", n, d, 8)?;
        let cm = self.condition(row)?;
        let m = cm.missing.len();
        let mut out = Array2::zeros((n, d));
        let factors: Vec<Array2<f64>> = cm
            .covariances
            .outer_iter()
            .enumerate()
            .map(|(c, s)| {
                if m == 0 {
                    return Ok(Array2::zeros((0, 0)));
                }
                // Tiny negative round-off on a conditional variance is clamped by a jitter.
                let mut s = s.to_owned();
                let scale = s
                    .diag()
                    .iter()
                    .fold(0.0f64, |a, b| a.max(b.abs()))
                    .max(1e-300);
                for i in 0..m {
                    s[[i, i]] += 1e-12 * scale;
                }
                cholesky_lower(s.view()).map_err(|p| NumericalError::NotPositiveDefinite {
                    component: c,
                    pivot: p,
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        let pick = WeightedIndex::new(cm.weights.iter()).map_err(|e| {
            DataError::Other(format!(
                "the conditional weights cannot be sampled from: {e}"
            ))
        })?;
        for mut out_row in out.outer_iter_mut() {
            for (j, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    out_row[j] = *v;
                }
            }
            if m == 0 {
                continue;
            }
            let c = pick.sample(rng);
            let z: Array1<f64> = (0..m).map(|_| StandardNormal.sample(rng)).collect();
            let v = factors[c].dot(&z) + cm.means.row(c);
            for (j, x) in cm.missing.iter().zip(v.iter()) {
                out_row[*j] = *x;
            }
        }
        Ok(out)
    }
}
