//! Discrete components: categorical symbols and Poisson counts. Each is one [`Components`]
//! implementation, so each is a mixture family and an HMM emission at once.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::RngCore;
use rand_distr::Poisson;
use serde::{Deserialize, Serialize};

use super::model::{Components, Mixture};
use crate::core::{DataError, Result, SufficientStats};

/// Per-component sums `Σ r_ik f(x_i)` (K × d) for families whose M-step divides them by the
/// soft counts.
#[derive(Debug, Clone)]
pub struct WeightedSums {
    s1: Array2<f64>,
}

impl SufficientStats for WeightedSums {
    fn merge(&mut self, other: Self) {
        self.s1 += &other.s1;
    }
}

/// Rows of `s1` normalised into distributions; a component with no mass keeps its previous row
/// (its index is returned).
fn normalised_rows(
    prev: &Array2<f64>,
    s1: &Array2<f64>,
    nk: &Array1<f64>,
) -> (Array2<f64>, Vec<usize>) {
    let mut probs = prev.clone();
    let mut empty = Vec::new();
    for (k, (mut row, s)) in probs.outer_iter_mut().zip(s1.outer_iter()).enumerate() {
        let total = s.sum();
        if nk[k] <= 100.0 * f64::EPSILON || total <= 0.0 {
            empty.push(k);
            continue;
        }
        row.assign(&(&s / total));
    }
    (probs, empty)
}

/// One sampler per row of a probability table (`None` for a row that cannot be sampled).
fn row_samplers(probs: &Array2<f64>) -> Vec<Option<WeightedIndex<f64>>> {
    probs
        .outer_iter()
        .map(|r| WeightedIndex::new(r.iter()).ok())
        .collect()
}

/// A finite, non-negative whole number. Every float from 2^52 up is whole; below, a round trip
/// through an integer is exact only for whole numbers (cheaper than `fract`, which is a libm
/// call on baseline x86-64).
fn is_count(v: f64) -> bool {
    const WHOLE: f64 = 4_503_599_627_370_496.0; // 2^52
    v >= 0.0 && v.is_finite() && (v >= WHOLE || (v as u64) as f64 == v)
}

/// K categorical distributions over `V` symbols, coded `0..V` in a single column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalComponents {
    /// `P(symbol = v | component k)` (K × V), rows summing to one.
    pub probs: Array2<f64>,
}

/// A mixture of categorical distributions.
pub type CategoricalMixture = Mixture<CategoricalComponents>;

impl Components for CategoricalComponents {
    type Stats = WeightedSums;
    type Scratch = ();

    fn n_components(&self) -> usize {
        self.probs.nrows()
    }

    fn n_features(&self) -> usize {
        1
    }

    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) {
        // Symbol-major log-probabilities (V × K), so each step copies one contiguous row.
        let logp = self
            .probs
            .t()
            .mapv(f64::ln)
            .as_standard_layout()
            .into_owned();
        for (xr, mut orow) in x.outer_iter().zip(out.outer_iter_mut()) {
            orow.assign(&logp.row(xr[0] as usize));
        }
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_not_empty(x)?;
        crate::core::data::check_columns(x, 1)?;
        let v = self.probs.ncols();
        for (i, r) in x.outer_iter().enumerate() {
            if !(is_count(r[0]) && (r[0] as usize) < v) {
                return Err(DataError::Support {
                    row: i + 1,
                    column: 1,
                    value: r[0].to_string(),
                    support: format!(
                        "symbol codes 0..{} of the model's vocabulary",
                        v.saturating_sub(1)
                    ),
                }
                .into());
            }
        }
        Ok(())
    }

    fn empty_stats(&self) -> WeightedSums {
        WeightedSums {
            s1: Array2::zeros(self.probs.raw_dim()),
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        _: Option<()>,
        st: &mut WeightedSums,
    ) {
        // Symbol-major (V × K) sums, so each step adds one contiguous row; then transposed in.
        let (k, v) = self.probs.dim();
        let mut sums = vec![0.0; v * k];
        for (xr, rr) in x.outer_iter().zip(resp.outer_iter()) {
            let code = xr[0] as usize;
            let row = &mut sums[code * k..(code + 1) * k];
            row.iter_mut().zip(rr.iter()).for_each(|(o, r)| *o += r);
        }
        for ((c, j), o) in st.s1.indexed_iter_mut() {
            *o += sums[j * k + c];
        }
    }

    fn m_step(&self, nk: &Array1<f64>, st: &WeightedSums) -> Result<(Self, Vec<usize>)> {
        let (probs, empty) = normalised_rows(&self.probs, &st.s1, nk);
        Ok((CategoricalComponents { probs }, empty))
    }

    fn n_component_parameters(&self) -> usize {
        self.probs.nrows() * (self.probs.ncols() - 1)
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        let picks = row_samplers(&self.probs);
        for (i, &k) in component.iter().enumerate() {
            out[[i, 0]] = picks[k]
                .as_ref()
                .map(|w| w.sample(rng) as f64)
                .unwrap_or(0.0);
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.probs.ncols() == 0 {
            return Err("the vocabulary is empty".into());
        }
        for (k, r) in self.probs.outer_iter().enumerate() {
            crate::core::data::check_distribution(
                r,
                &format!("the probabilities of component {k}"),
            )?;
        }
        Ok(())
    }
}

/// K products of independent Poisson distributions over `d` count features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoissonComponents {
    /// Rates `λ_kj` (K × d).
    pub rates: Array2<f64>,
}

/// A mixture of Poisson distributions.
pub type PoissonMixture = Mixture<PoissonComponents>;

impl Components for PoissonComponents {
    type Stats = WeightedSums;
    type Scratch = ();

    fn n_components(&self) -> usize {
        self.rates.nrows()
    }

    fn n_features(&self) -> usize {
        self.rates.ncols()
    }

    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) {
        // log p_k(x) = Σ_j x_j ln λ_kj − λ_kj − ln x_j!: one matrix product plus constants.
        let log_rates = self.rates.mapv(f64::ln);
        let rate_sum = self.rates.sum_axis(Axis(1));
        let lfact: Array1<f64> = x
            .outer_iter()
            .map(|r| r.iter().map(|v| libm::lgamma(v + 1.0)).sum())
            .collect();
        // 0 · ln 0 counts as 0: a zero rate only rules out positive counts.
        let safe_log = log_rates.mapv(|v| if v == f64::NEG_INFINITY { -1e300 } else { v });
        general_mat_mul(1.0, &x, &safe_log.t(), 0.0, out);
        for ((mut row, lf), xr) in out.outer_iter_mut().zip(lfact.iter()).zip(x.outer_iter()) {
            for k in 0..row.len() {
                let impossible = xr
                    .iter()
                    .zip(log_rates.row(k).iter())
                    .any(|(v, l)| *v > 0.0 && *l == f64::NEG_INFINITY);
                row[k] = if impossible {
                    f64::NEG_INFINITY
                } else {
                    row[k] - rate_sum[k] - lf
                };
            }
        }
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_not_empty(x)?;
        for (i, r) in x.outer_iter().enumerate() {
            if let Some(j) = r.iter().position(|v| !is_count(*v)) {
                return Err(DataError::Support {
                    row: i + 1,
                    column: j + 1,
                    value: r[j].to_string(),
                    support: "non-negative whole counts".into(),
                }
                .into());
            }
        }
        Ok(())
    }

    fn empty_stats(&self) -> WeightedSums {
        WeightedSums {
            s1: Array2::zeros(self.rates.raw_dim()),
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        _: Option<()>,
        st: &mut WeightedSums,
    ) {
        general_mat_mul(1.0, &resp.t(), &x, 1.0, &mut st.s1);
    }

    fn m_step(&self, nk: &Array1<f64>, st: &WeightedSums) -> Result<(Self, Vec<usize>)> {
        let mut rates = &st.s1 / &nk.view().insert_axis(Axis(1));
        let mut empty = Vec::new();
        for (k, mut row) in rates.outer_iter_mut().enumerate() {
            if nk[k] <= 100.0 * f64::EPSILON {
                row.assign(&self.rates.row(k));
                empty.push(k);
            }
        }
        Ok((PoissonComponents { rates }, empty))
    }

    fn n_component_parameters(&self) -> usize {
        self.rates.len()
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        for (i, &k) in component.iter().enumerate() {
            for (o, l) in out.row_mut(i).iter_mut().zip(self.rates.row(k).iter()) {
                *o = if *l > 0.0 {
                    Poisson::new(*l).map(|p| p.sample(rng)).unwrap_or(0.0)
                } else {
                    0.0
                };
            }
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.rates.ncols() == 0 {
            return Err("the model has no features".into());
        }
        if let Some(((k, j), l)) = self
            .rates
            .indexed_iter()
            .find(|(_, l)| !(l.is_finite() && **l >= 0.0))
        {
            return Err(format!(
                "the Poisson rate of feature {j} in component {k} is {l}; rates must be finite and non-negative"
            ));
        }
        Ok(())
    }
}

/// K multinomial distributions over `V` categories: each row is a vector of counts whose sum is
/// its number of trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultinomialComponents {
    /// Category probabilities per component (K × V), rows summing to one.
    pub probs: Array2<f64>,
    /// Trials per observation, used when sampling (the likelihood reads each row's own total).
    pub n_trials: usize,
}

/// A mixture of multinomial distributions.
pub type MultinomialMixture = Mixture<MultinomialComponents>;

impl Components for MultinomialComponents {
    type Stats = WeightedSums;
    type Scratch = ();

    fn n_components(&self) -> usize {
        self.probs.nrows()
    }

    fn n_features(&self) -> usize {
        self.probs.ncols()
    }

    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) {
        // log p_k(x) = ln n! − Σ_j ln x_j! + Σ_j x_j ln p_kj (with 0 · ln 0 = 0).
        let logp = self.probs.mapv(|p| if p > 0.0 { p.ln() } else { -1e300 });
        general_mat_mul(1.0, &x, &logp.t(), 0.0, out);
        for (mut row, xr) in out.outer_iter_mut().zip(x.outer_iter()) {
            let n: f64 = xr.sum();
            let c = libm::lgamma(n + 1.0) - xr.iter().map(|v| libm::lgamma(v + 1.0)).sum::<f64>();
            for k in 0..row.len() {
                let impossible = xr
                    .iter()
                    .zip(self.probs.row(k).iter())
                    .any(|(v, p)| *v > 0.0 && *p == 0.0);
                row[k] = if impossible {
                    f64::NEG_INFINITY
                } else {
                    row[k] + c
                };
            }
        }
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_not_empty(x)?;
        crate::core::data::check_columns(x, self.probs.ncols())?;
        PoissonComponents {
            rates: Array2::ones((1, x.ncols())),
        }
        .check_data(x)
    }

    fn empty_stats(&self) -> WeightedSums {
        WeightedSums {
            s1: Array2::zeros(self.probs.raw_dim()),
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        _: Option<()>,
        st: &mut WeightedSums,
    ) {
        general_mat_mul(1.0, &resp.t(), &x, 1.0, &mut st.s1);
    }

    fn m_step(&self, nk: &Array1<f64>, st: &WeightedSums) -> Result<(Self, Vec<usize>)> {
        let (probs, empty) = normalised_rows(&self.probs, &st.s1, nk);
        Ok((
            MultinomialComponents {
                probs,
                n_trials: self.n_trials,
            },
            empty,
        ))
    }

    fn n_component_parameters(&self) -> usize {
        self.probs.nrows() * (self.probs.ncols() - 1)
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        let picks = row_samplers(&self.probs);
        for (i, &k) in component.iter().enumerate() {
            if let Some(w) = &picks[k] {
                for _ in 0..self.n_trials {
                    out[[i, w.sample(rng)]] += 1.0;
                }
            }
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        CategoricalComponents {
            probs: self.probs.clone(),
        }
        .validate()
    }
}
