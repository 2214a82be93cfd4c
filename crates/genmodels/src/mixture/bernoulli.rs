//! Bernoulli components for binary data (e.g. binarised images), through the same EM machinery
//! as the Gaussian mixture.

use crate::core::ParamGuard;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use super::em::{best_of_runs, em_builder_methods, EmSettings, InMemory};
use super::model::{Components, Mixture};
use crate::core::{DataError, Fit, Monitor, ParamError, Result, SufficientStats};

/// K components of independent Bernoulli features: `p_k(x) = Π_j μ_kj^x_j (1−μ_kj)^(1−x_j)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BernoulliComponents {
    /// Probability that each feature is 1, per component (K × d).
    pub means: Array2<f64>,
    /// Probabilities are kept within `[clip, 1 − clip]` so no log is −∞.
    pub clip: f64,
}

/// A mixture of multivariate Bernoulli distributions.
pub type BernoulliMixture = Mixture<BernoulliComponents>;

/// Sums `Σ r_ik x_i` per component.
#[derive(Debug, Clone)]
pub struct BernoulliStats {
    s1: Array2<f64>,
}

impl SufficientStats for BernoulliStats {
    fn merge(&mut self, other: Self) {
        self.s1 += &other.s1;
    }
}

impl Components for BernoulliComponents {
    type Stats = BernoulliStats;

    fn n_components(&self) -> usize {
        self.means.nrows()
    }

    fn n_features(&self) -> usize {
        self.means.ncols()
    }

    type Scratch = ();

    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) {
        // log p_k(x) = x · (ln μ − ln(1−μ)) + Σ ln(1−μ): one matrix product.
        let log_odds = self.means.mapv(|m| m.ln() - (1.0 - m).ln());
        let base: Array1<f64> = self
            .means
            .map_axis(Axis(1), |r| r.iter().map(|m| (1.0 - m).ln()).sum());
        general_mat_mul(1.0, &x, &log_odds.t(), 0.0, out);
        *out += &base;
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        check_binary(x)
    }

    fn empty_stats(&self) -> BernoulliStats {
        BernoulliStats {
            s1: Array2::zeros(self.means.raw_dim()),
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        _: Option<()>,
        st: &mut BernoulliStats,
    ) {
        general_mat_mul(1.0, &resp.t(), &x, 1.0, &mut st.s1);
    }

    fn m_step(&self, nk: &Array1<f64>, st: &BernoulliStats) -> Result<(Self, Vec<usize>)> {
        let mut means = &st.s1 / &nk.view().insert_axis(Axis(1));
        let mut empty = Vec::new();
        for (k, mut row) in means.outer_iter_mut().enumerate() {
            if nk[k] <= 100.0 * f64::EPSILON {
                row.assign(&self.means.row(k));
                empty.push(k);
            }
        }
        let c = self.clip;
        means.mapv_inplace(|m| m.clamp(c, 1.0 - c));
        Ok((BernoulliComponents { means, clip: c }, empty))
    }

    fn n_component_parameters(&self) -> usize {
        self.means.len()
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        for (i, &k) in component.iter().enumerate() {
            for (o, m) in out.row_mut(i).iter_mut().zip(self.means.row(k).iter()) {
                *o = if rng.random::<f64>() < *m { 1.0 } else { 0.0 };
            }
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.means.ncols() == 0 {
            return Err("the model has no features".into());
        }
        if !(self.clip > 0.0 && self.clip < 0.5) {
            return Err("clip must be in (0, 0.5)".into());
        }
        if let Some(((k, j), m)) = self
            .means
            .indexed_iter()
            .find(|(_, m)| !(**m > 0.0 && **m < 1.0))
        {
            return Err(format!(
                "the Bernoulli mean of feature {j} in component {k} is {m}; means must lie strictly between 0 and 1"
            ));
        }
        Ok(())
    }
}

/// Checks that every value is 0 or 1.
pub(crate) fn check_binary(x: ArrayView2<'_, f64>) -> Result<()> {
    crate::core::data::check_not_empty(x)?;
    for (i, row) in x.outer_iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if *v != 0.0 && *v != 1.0 {
                return Err(DataError::Support {
                    row: i + 1,
                    column: j + 1,
                    value: v.to_string(),
                    support: "0 or 1; binarise the data first (e.g. --binarize T)".into(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Checked hyper-parameters of a Bernoulli mixture. Build with [`BernoulliMixture::params`].
#[derive(Debug, Clone, PartialEq)]
pub struct BernoulliMixtureParams {
    em: EmSettings,
    clip: f64,
    init_means: Option<(Array1<f64>, Array2<f64>)>,
}

impl BernoulliMixture {
    /// Hyper-parameters for a mixture of `n_components` Bernoulli components: `max_iter` 100,
    /// `tol` 1e-3, one run, seed 0, probabilities clipped to `[1e-10, 1 − 1e-10]`.
    pub fn params(n_components: usize) -> BernoulliMixtureParams {
        BernoulliMixtureParams {
            em: EmSettings::new(n_components),
            clip: 1e-10,
            init_means: None,
        }
    }
}

impl ParamGuard for BernoulliMixtureParams {
    /// Rejects unusable hyper-parameters.
    fn check(&self) -> std::result::Result<(), ParamError> {
        let bad =
            |name, value: String, expected: &str| Err(ParamError::invalid(name, value, expected));
        self.em.check()?;
        if !(self.clip > 0.0 && self.clip < 0.5) {
            return bad("clip", self.clip.to_string(), "must be in (0, 0.5)");
        }
        if let Some((w, m)) = &self.init_means {
            if w.len() != self.em.n_components || m.nrows() != self.em.n_components {
                return Err(ParamError::InitShape {
                    name: "means",
                    found: format!("{:?}", m.shape()),
                    expected: format!("[{}, d]", self.em.n_components),
                });
            }
        }
        Ok(())
    }
}

impl BernoulliMixtureParams {
    em_builder_methods!();

    /// Probabilities are kept in `[clip, 1 − clip]`.
    pub fn clip(mut self, c: f64) -> Self {
        self.clip = c;
        self
    }
    /// Start from these weights and means instead of random rows.
    pub fn init_params(mut self, weights: Array1<f64>, means: Array2<f64>) -> Self {
        self.init_means = Some((weights, means));
        self
    }

    fn initial(&self, x: ArrayView2<'_, f64>, run: usize) -> Result<BernoulliMixture> {
        let k = self.em.n_components;
        if let Some((w, m)) = &self.init_means {
            let comps = BernoulliComponents {
                means: m.mapv(|v| v.clamp(self.clip, 1.0 - self.clip)),
                clip: self.clip,
            };
            return Ok(Mixture {
                weights: w.clone(),
                components: comps,
                report: None,
                feature_names: None,
            });
        }
        let mut rng = self.em.rng(run);
        // Means halfway between K random rows and ½: a start that is neither flat nor certain.
        let idx = rand::seq::index::sample(&mut rng, x.nrows(), k);
        let mut means = Array2::zeros((k, x.ncols()));
        for (r, i) in idx.iter().enumerate() {
            means.row_mut(r).assign(&x.row(i).mapv(|v| 0.5 * v + 0.25));
        }
        Ok(Mixture {
            weights: Array1::from_elem(k, 1.0 / k as f64),
            components: BernoulliComponents {
                means,
                clip: self.clip,
            },
            report: None,
            feature_names: None,
        })
    }
}

impl Fit<Array2<f64>> for BernoulliMixtureParams {
    type Model = BernoulliMixture;
    fn fit_with(&self, x: &Array2<f64>, monitor: &mut dyn Monitor) -> Result<BernoulliMixture> {
        self.check()?;
        check_binary(x.view())?;
        self.em.check_rows(x.nrows())?;
        if let Some((_, m)) = &self.init_means {
            crate::core::data::check_columns(x.view(), m.ncols())?;
        }
        let mut data = InMemory {
            x: x.view(),
            w: None,
        };
        let n_init = if self.init_means.is_some() {
            1
        } else {
            self.em.n_init
        };
        best_of_runs(
            n_init,
            |run| self.initial(x.view(), run),
            &mut data,
            self.em.max_iter,
            self.em.tol,
            monitor,
        )
    }
}
