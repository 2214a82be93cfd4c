//! Gaussian-mixture emissions (GMM-HMM): state `k` emits from its own mixture of `M`
//! Gaussians. The mixture components are the foundation's [`GaussianComponents`], reused as
//! they are: K·M of them, component `k·M + m` being mixture `m` of state `k`.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::core::numerics::{column_sums, softmax_rows};
use crate::core::{Result, SufficientStats};
use crate::mixture::{Components, GaussianComponents, GaussianScratch, GaussianStats};

/// K states, each a mixture of M Gaussians.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixtureEmission {
    /// Mixture weights per state (K × M), rows summing to one.
    pub weights: Array2<f64>,
    /// The K·M Gaussian components; component `k·M + m` is mixture `m` of state `k`.
    pub components: GaussianComponents,
    /// How Baum-Welch re-estimates the covariances (exact EM unless asked otherwise).
    #[serde(default, skip_serializing_if = "GmmCovarianceUpdate::is_exact")]
    pub covariance_update: GmmCovarianceUpdate,
}

/// How the M-step of a GMM-HMM centres each Gaussian's covariance statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GmmCovarianceUpdate {
    /// Exact EM: `Σ_t γ_t(k,m) (x_t − μ_new)(x_t − μ_new)ᵀ / N_km`, about the new means (the
    /// maximiser of the expected complete-data log-likelihood, so the likelihood never falls).
    #[default]
    Exact,
    /// hmmlearn's `GMMHMM` (0.3.3): `Σ_t γ_t(k,m) (x_t − μ_old)(x_t − μ_old)ᵀ / N_km`, about the
    /// means that entered the iteration, i.e. the exact update plus
    /// `(μ_new − μ_old)(μ_new − μ_old)ᵀ`. A generalised EM step, kept to reproduce hmmlearn's
    /// fits iteration by iteration (full and diag covariances; hmmlearn's tied and spherical
    /// GMM-HMMs are different models, see `fixtures/HMMLEARN_NOTES.md`).
    PreviousMeans,
}

impl GmmCovarianceUpdate {
    fn is_exact(&self) -> bool {
        *self == GmmCovarianceUpdate::Exact
    }
}

/// Statistics of the inner Gaussians plus the soft count of each (state, mixture) pair.
#[derive(Debug, Clone)]
pub struct GmmEmissionStats {
    inner: GaussianStats,
    nkm: Array1<f64>,
}

impl SufficientStats for GmmEmissionStats {
    fn merge(&mut self, other: Self) {
        self.inner.merge(other.inner);
        self.nkm += &other.nkm;
    }
}

/// What the density pass keeps: the inner Gaussians' scratch and each step's mixture
/// responsibilities within every state (T × K·M).
#[derive(Debug)]
pub struct GmmEmissionScratch {
    inner: GaussianScratch,
    within: Array2<f64>,
}

impl GaussianMixtureEmission {
    /// Mixtures per state.
    pub fn n_mix(&self) -> usize {
        self.weights.ncols()
    }
}

impl Components for GaussianMixtureEmission {
    type Stats = GmmEmissionStats;
    type Scratch = GmmEmissionScratch;

    fn n_components(&self) -> usize {
        self.weights.nrows()
    }

    fn n_features(&self) -> usize {
        self.components.n_features()
    }

    fn log_density_into(
        &self,
        x: ArrayView2<'_, f64>,
        out: &mut Array2<f64>,
    ) -> GmmEmissionScratch {
        let (k, m) = self.weights.dim();
        let mut within = Array2::zeros((x.nrows(), k * m));
        let inner = self.components.log_density_into(x, &mut within);
        let lw: Vec<f64> = self.weights.iter().map(|w| w.ln()).collect();
        for mut row in within.outer_iter_mut() {
            row.iter_mut().zip(&lw).for_each(|(v, l)| *v += l);
        }
        // log b_k(x) = logsumexp_m(log w_km + log N_km(x)); `within` becomes the softmax over m.
        for state in 0..k {
            let mut block = within
                .slice_mut(s![.., state * m..(state + 1) * m])
                .to_owned();
            let lse = softmax_rows(block.view_mut());
            out.column_mut(state).assign(&lse);
            within
                .slice_mut(s![.., state * m..(state + 1) * m])
                .assign(&block);
        }
        GmmEmissionScratch { inner, within }
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        self.components.check_data(x)
    }

    fn check_log_density(
        &self,
        x: ArrayView2<'_, f64>,
        log_density: ArrayView2<'_, f64>,
    ) -> Result<()> {
        crate::mixture::refuse_overflowing_rows(&self.components, x, log_density)
    }

    fn empty_stats(&self) -> GmmEmissionStats {
        GmmEmissionStats {
            inner: self.components.empty_stats(),
            nkm: Array1::zeros(self.weights.len()),
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        scratch: Option<GmmEmissionScratch>,
        st: &mut GmmEmissionStats,
    ) {
        let (k, m) = self.weights.dim();
        let (inner_scratch, within) = match scratch {
            Some(s) => (Some(s.inner), s.within),
            None => {
                let mut out = Array2::zeros((x.nrows(), k));
                let s = self.log_density_into(x, &mut out);
                (Some(s.inner), s.within)
            }
        };
        // γ_t(k, m) = γ_t(k) · P(m | x_t, k).
        let mut r = within;
        for (mut row, g) in r.outer_iter_mut().zip(resp.outer_iter()) {
            for state in 0..k {
                for j in 0..m {
                    row[state * m + j] *= g[state];
                }
            }
        }
        st.nkm += &column_sums(r.view());
        self.components
            .accumulate(x, r.view(), inner_scratch, &mut st.inner);
    }

    fn m_step(&self, nk: &Array1<f64>, st: &GmmEmissionStats) -> Result<(Self, Vec<usize>)> {
        let (k, m) = self.weights.dim();
        let nkm = st.nkm.mapv(|v| v + 10.0 * f64::EPSILON);
        let (components, _) = match self.covariance_update {
            GmmCovarianceUpdate::Exact => self.components.m_step(&nkm, &st.inner)?,
            GmmCovarianceUpdate::PreviousMeans => self
                .components
                .m_step_about_previous_means(&nkm, &st.inner)?,
        };
        let mut weights = self.weights.clone();
        let mut empty = Vec::new();
        for state in 0..k {
            let block = nkm.slice(s![state * m..(state + 1) * m]);
            if nk[state] <= 100.0 * f64::EPSILON {
                empty.push(state);
                continue;
            }
            weights.row_mut(state).assign(&(&block / block.sum()));
        }
        Ok((
            GaussianMixtureEmission {
                weights,
                components,
                covariance_update: self.covariance_update,
            },
            empty,
        ))
    }

    fn n_component_parameters(&self) -> usize {
        let (k, m) = self.weights.dim();
        k * (m - 1) + self.components.n_component_parameters()
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        let m = self.n_mix();
        let picks: Vec<Option<WeightedIndex<f64>>> = self
            .weights
            .outer_iter()
            .map(|r| WeightedIndex::new(r.iter()).ok())
            .collect();
        let inner: Vec<usize> = component
            .iter()
            .map(|&state| state * m + picks[state].as_ref().map(|w| w.sample(rng)).unwrap_or(0))
            .collect();
        self.components.sample_components(&inner, rng, out);
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (k, m) = self.weights.dim();
        if k == 0 || m == 0 {
            return Err("a GMM emission needs at least one state and one mixture".into());
        }
        if self.components.n_components() != k * m {
            return Err(format!(
                "{} Gaussians for {k} states × {m} mixtures",
                self.components.n_components()
            ));
        }
        for (i, r) in self.weights.outer_iter().enumerate() {
            crate::core::data::check_distribution(r, &format!("the mixture weights of state {i}"))?;
        }
        self.components.validate()
    }
}

/// Gaussian-mixture emissions started from k-means with K·M clusters, grouped M by M into
/// states along the first principal direction of their centres (so each state starts as a
/// coherent region of the data).
#[derive(Debug, Clone, PartialEq)]
pub struct GmmInit {
    /// Mixtures per state.
    pub n_mix: usize,
    /// Covariance type of every Gaussian.
    pub covariance: crate::mixture::CovarianceType,
    /// Added to covariance diagonals at each M-step.
    pub reg_covar: f64,
    /// How the covariances are re-estimated (exact EM by default).
    pub covariance_update: GmmCovarianceUpdate,
}

impl GmmInit {
    /// `n_mix` mixtures per state with `covariance` Gaussians, `reg_covar` 1e-6, exact EM.
    pub fn new(n_mix: usize, covariance: crate::mixture::CovarianceType) -> Self {
        GmmInit {
            n_mix,
            covariance,
            reg_covar: 1e-6,
            covariance_update: GmmCovarianceUpdate::Exact,
        }
    }
}

impl super::fit::EmissionInit for GmmInit {
    type Emission = GaussianMixtureEmission;

    fn check(&self) -> std::result::Result<(), crate::core::ParamError> {
        if self.n_mix == 0 {
            return Err(crate::core::ParamError::invalid(
                "n_mix",
                "0",
                "at least 1 mixture per state",
            ));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(crate::core::ParamError::invalid(
                "reg_covar",
                self.reg_covar,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        Ok(crate::core::data::check_gaussian_data(
            x,
            "HMM observations must be complete",
        )?)
    }

    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut crate::core::SeededRng,
    ) -> Result<GaussianMixtureEmission> {
        let m = self.n_mix;
        let km = crate::mixture::kmeans(x, n_states * m, 300, 1e-4, rng)?;
        // Order clusters by their projection on the direction of largest spread of the centres.
        let c = &km.centers;
        let mean = c.mean_axis(Axis(0)).expect("K·M >= 1");
        let spread = c.var_axis(Axis(0), 0.0);
        let dim = (0..spread.len())
            .max_by(|a, b| spread[*a].total_cmp(&spread[*b]))
            .unwrap_or(0);
        let mut order: Vec<usize> = (0..c.nrows()).collect();
        order.sort_by(|a, b| (c[[*a, dim]] - mean[dim]).total_cmp(&(c[[*b, dim]] - mean[dim])));
        let mut slot = vec![0usize; c.nrows()];
        for (pos, &cluster) in order.iter().enumerate() {
            slot[cluster] = pos;
        }
        let mut resp = Array2::zeros((x.nrows(), n_states * m));
        for (i, &l) in km.labels.iter().enumerate() {
            resp[[i, slot[l]]] = 1.0;
        }
        let components = GaussianComponents::estimate_from_responsibilities(
            x,
            resp.view(),
            self.covariance,
            self.reg_covar,
        )?;
        Ok(GaussianMixtureEmission {
            weights: Array2::from_elem((n_states, m), 1.0 / m as f64),
            components,
            covariance_update: self.covariance_update,
        })
    }
}
