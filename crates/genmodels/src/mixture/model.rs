//! The generic mixture model: weights plus a family of components.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::em::{EmStats, FitReport};
use crate::core::numerics::{column_sums, logsumexp_rows, normalize_log_rows, softmax_rows};
use crate::core::{Criteria, DataError, LogLikelihood, Result, Sample, SufficientStats};

/// A family of mixture components: the part of EM that differs between Gaussian, Bernoulli,
/// Poisson... mixtures. Implement this to add a mixture family; weights, the E-step, chunking,
/// restarts, convergence and model selection come for free.
pub trait Components: Clone + Send + Sync {
    /// Statistics accumulated in the E-step (besides the soft counts, which EM keeps itself).
    type Stats: SufficientStats + Clone;

    /// Number of components K.
    fn n_components(&self) -> usize;
    /// Number of features d.
    fn n_features(&self) -> usize;
    /// What evaluating the densities of a chunk leaves behind for [`Components::accumulate`] on
    /// the same chunk (e.g. whitened residuals), so the E-step does not compute it twice; `()`
    /// when nothing is shared.
    type Scratch: Send;
    /// Writes `log p_k(x_i)` (without the mixture weight) into `out[i, k]`.
    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) -> Self::Scratch;
    /// Checks that `x` is in the support of this family (finite, binary, ...).
    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()>;
    /// Checks the log-densities computed for `x` (one row per row of `x`, one column per
    /// component or state, weights possibly added): an error naming the 1-based row (of `x`)
    /// whose densities overflowed, so that it has no finite likelihood. The default accepts
    /// every value: for discrete families a density of zero is a legitimate answer.
    fn check_log_density(
        &self,
        x: ArrayView2<'_, f64>,
        log_density: ArrayView2<'_, f64>,
    ) -> Result<()> {
        let _ = (x, log_density);
        Ok(())
    }
    /// Empty statistics.
    fn empty_stats(&self) -> Self::Stats;
    /// Adds the statistics of chunk `x` with responsibilities `resp` (rows already multiplied by
    /// their sample weights).
    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        scratch: Option<Self::Scratch>,
        stats: &mut Self::Stats,
    );
    /// The M-step: new components from soft counts `nk` and statistics. Components with no
    /// mass keep their previous parameters; their indices are returned.
    fn m_step(&self, nk: &Array1<f64>, stats: &Self::Stats) -> Result<(Self, Vec<usize>)>;
    /// Number of free parameters of the components (weights excluded).
    fn n_component_parameters(&self) -> usize;
    /// Draws one observation from component `component[i]` into row `i` of `out`.
    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>);
    /// Checks internal consistency (after loading a file); returns a reason on failure.
    fn validate(&self) -> std::result::Result<(), String>;
}

/// A fitted mixture: weights and components, plus the report of the fit that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mixture<C> {
    /// Mixture weights, summing to one.
    pub weights: Array1<f64>,
    /// The components.
    pub components: C,
    /// How the fit went (absent for models built by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<FitReport>,
    /// Names of the features, when the data had them (e.g. a CSV header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_names: Option<Vec<String>>,
}

/// Samples drawn from a mixture: the rows and the component each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureSample {
    /// The drawn rows (n × d).
    pub x: Array2<f64>,
    /// The component of each row.
    pub component: Array1<usize>,
}

impl<C: Components> Mixture<C> {
    /// Builds a mixture from weights and components, checking them.
    pub fn new(weights: Array1<f64>, components: C) -> std::result::Result<Self, String> {
        let m = Mixture {
            weights,
            components,
            report: None,
            feature_names: None,
        };
        m.validate()?;
        Ok(m)
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.components.n_components()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.components.n_features()
    }

    /// The feature names the model was fitted with, or `x1, x2, …` when it had none.
    pub fn feature_names_or_default(&self) -> Vec<String> {
        self.feature_names
            .clone()
            .unwrap_or_else(|| (1..=self.n_features()).map(|j| format!("x{j}")).collect())
    }

    /// Checks shapes and that the weights form a distribution.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let k = self.components.n_components();
        if k == 0 {
            return Err("the model has no components".into());
        }
        if self.weights.len() != k {
            return Err(format!(
                "{} weights for {} components",
                self.weights.len(),
                k
            ));
        }
        crate::core::data::check_distribution(self.weights.view(), "the mixture weights")?;
        check_feature_names(self.feature_names.as_deref(), self.n_features())?;
        self.components.validate()
    }

    pub(crate) fn check_input(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_not_empty(x)?;
        crate::core::data::check_columns(x, self.n_features())?;
        self.components.check_data(x)
    }

    /// `log w_k + log p_k(x_i)` for every row and component (n × K).
    pub fn weighted_log_prob(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        let lp = self.weighted_log_prob_unchecked(x);
        self.components.check_log_density(x, lp.view())?;
        Ok(lp)
    }

    pub(crate) fn weighted_log_prob_unchecked(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        self.weighted_log_prob_scratch(x).0
    }

    fn weighted_log_prob_scratch(&self, x: ArrayView2<'_, f64>) -> (Array2<f64>, C::Scratch) {
        let mut out = Array2::zeros((x.nrows(), self.n_components()));
        let scratch = self.components.log_density_into(x, &mut out);
        let lw: Vec<f64> = self.weights.iter().map(|w| w.ln()).collect();
        for mut row in out.outer_iter_mut() {
            let row = row
                .as_slice_mut()
                .expect("rows of a new array are contiguous");
            row.iter_mut().zip(&lw).for_each(|(o, l)| *o += l);
        }
        (out, scratch)
    }

    /// Posterior probability of each component for each row (n × K), rows summing to one.
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut lp = self.weighted_log_prob(x)?;
        normalize_log_rows(lp.view_mut());
        lp.mapv_inplace(f64::exp);
        Ok(lp)
    }

    /// The most probable component of each row.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let lp = self.weighted_log_prob(x)?;
        Ok(lp
            .axis_iter(Axis(0))
            .map(|r| argmax(r.iter().copied()))
            .collect())
    }

    /// Total log-likelihood, observations and parameters on `x`, from one pass (BIC, AIC and
    /// the mean follow from it).
    pub fn criteria(&self, x: ArrayView2<'_, f64>) -> Result<Criteria> {
        let lp = self.weighted_log_prob(x)?;
        Ok(Criteria {
            total_log_likelihood: logsumexp_rows(lp.view()).sum(),
            n_observations: x.nrows(),
            n_parameters: self.n_parameters(),
        })
    }

    /// Mean log-likelihood per row (scikit-learn's `score`).
    pub fn score(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        Ok(self.criteria(x)?.mean_log_likelihood())
    }

    /// Number of free parameters (weights, then components).
    pub fn n_parameters(&self) -> usize {
        self.n_components() - 1 + self.components.n_component_parameters()
    }

    /// Bayesian information criterion on `x` (lower is better).
    pub fn bic(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        Ok(self.criteria(x)?.bic())
    }

    /// Akaike information criterion on `x` (lower is better).
    pub fn aic(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        Ok(self.criteria(x)?.aic())
    }

    /// E-step over a chunk: soft counts, statistics and the weighted log-likelihood sum.
    pub(crate) fn e_step_chunk(
        &self,
        x: ArrayView2<'_, f64>,
        sample_weight: Option<ndarray::ArrayView1<'_, f64>>,
    ) -> EmStats<C::Stats> {
        let (mut lp, scratch) = self.weighted_log_prob_scratch(x);
        let lse = softmax_rows(lp.view_mut());
        let (ll_sum, w_sum) = match sample_weight {
            Some(w) => {
                for (mut row, wi) in lp.axis_iter_mut(Axis(0)).zip(w.iter()) {
                    row *= *wi;
                }
                (
                    lse.iter()
                        .zip(w.iter())
                        .map(|(l, w)| if *w == 0.0 { 0.0 } else { l * w })
                        .sum(),
                    w.sum(),
                )
            }
            None => (lse.sum(), x.nrows() as f64),
        };
        let nk = column_sums(lp.view());
        let mut inner = self.components.empty_stats();
        self.components
            .accumulate(x, lp.view(), Some(scratch), &mut inner);
        EmStats {
            nk,
            ll_sum,
            w_sum,
            inner,
        }
    }
}

/// Feature names, when given, must be one per feature.
pub(crate) fn check_feature_names(
    names: Option<&[String]>,
    d: usize,
) -> std::result::Result<(), String> {
    match names {
        Some(n) if n.len() != d => Err(format!("{} feature names for {d} features", n.len())),
        _ => Ok(()),
    }
}

pub(crate) fn argmax(it: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in it.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

impl<C: Components> LogLikelihood<Array2<f64>> for Mixture<C> {
    fn log_likelihood(&self, x: &Array2<f64>) -> Result<Array1<f64>> {
        let lp = self.weighted_log_prob(x.view())?;
        Ok(logsumexp_rows(lp.view()))
    }
}

impl<C: Components> Sample for Mixture<C> {
    type Output = MixtureSample;
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<MixtureSample> {
        let d = self.n_features();
        // The samples and their components.
        crate::core::memory::check_rows("samples", n, d + 1, 8)?;
        let mut x = Array2::zeros((n, d));
        let mut comp: Array1<usize> = Array1::zeros(n);
        let pick = WeightedIndex::new(self.weights.iter()).map_err(|e| {
            DataError::Other(format!("the mixture weights cannot be sampled from: {e}"))
        })?;
        for c in comp.iter_mut() {
            *c = pick.sample(rng);
        }
        self.components.sample_components(
            comp.as_slice().expect("new arrays are contiguous"),
            rng,
            &mut x,
        );
        Ok(MixtureSample { x, component: comp })
    }
}
