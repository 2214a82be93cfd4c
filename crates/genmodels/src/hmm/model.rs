//! The hidden Markov model: start probabilities, a transition matrix and per-state emissions.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::RngCore;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::inference::{forward_backward, log_likelihood, viterbi, Posteriors};
use crate::core::data::{check_distribution, Sequences};
use crate::core::{Criteria, DataError, LogLikelihood, Result};
use crate::mixture::{Components, FitReport};

/// A hidden Markov model whose per-state emission densities are any mixture [`Components`]
/// family (Gaussian, categorical, Poisson…): state `s` emits from component `s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hmm<E> {
    /// `P(z_1 = s)`.
    pub startprob: Array1<f64>,
    /// `P(z_t = j | z_{t−1} = i)`, rows summing to one.
    pub transmat: Array2<f64>,
    /// The emission densities, one component per state.
    pub emission: E,
    /// How the fit went (absent for models built by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<FitReport>,
    /// Names of the observed features, when the data had them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_names: Option<Vec<String>>,
    /// For symbol emissions read from text: the symbol of each code, in code order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols: Option<Vec<String>>,
}

/// Observations and hidden states drawn from an HMM.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmSample {
    /// Observations (steps × features).
    pub x: Array2<f64>,
    /// The hidden state of each step.
    pub states: Vec<usize>,
}

impl<E: Components> Hmm<E> {
    /// Builds an HMM, checking shapes and distributions.
    pub fn new(
        startprob: Array1<f64>,
        transmat: Array2<f64>,
        emission: E,
    ) -> std::result::Result<Self, String> {
        let m = Hmm {
            startprob,
            transmat,
            emission,
            report: None,
            feature_names: None,
            symbols: None,
        };
        m.validate()?;
        Ok(m)
    }

    /// Number of hidden states.
    pub fn n_states(&self) -> usize {
        self.startprob.len()
    }

    /// Number of observed features.
    pub fn n_features(&self) -> usize {
        self.emission.n_features()
    }

    /// Checks shapes and that every distribution sums to one.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let s = self.startprob.len();
        if s == 0 {
            return Err("the model has no states".into());
        }
        if self.transmat.dim() != (s, s) {
            return Err(format!(
                "the transition matrix is {:?}, expected {s}×{s}",
                self.transmat.dim()
            ));
        }
        if self.emission.n_components() != s {
            return Err(format!(
                "{} emission components for {s} states",
                self.emission.n_components()
            ));
        }
        check_distribution(self.startprob.view(), "startprob")?;
        for (i, row) in self.transmat.outer_iter().enumerate() {
            check_distribution(row, &format!("row {i} of the transition matrix"))?;
        }
        crate::mixture::check_feature_names(self.feature_names.as_deref(), self.n_features())?;
        self.emission.validate()
    }

    pub(crate) fn check_input(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        crate::core::data::check_columns(x, self.n_features())?;
        self.emission.check_data(x)
    }

    /// `log p(x_t | z_t = s)` for every step (T × S).
    pub fn log_emissions(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.n_states()));
        self.emission.log_density_into(x, &mut out);
        out
    }

    fn log_params(&self) -> (Array1<f64>, Array2<f64>) {
        (self.startprob.mapv(f64::ln), self.transmat.mapv(f64::ln))
    }

    /// `log p(x_t | z_t = s)` of one sequence whose first step is row `first_row` (0-based) of
    /// all the data, refusing a step whose emission densities overflowed (see
    /// [`Components::check_log_density`]); errors count rows in all the data.
    fn checked_log_emissions(
        &self,
        x: ArrayView2<'_, f64>,
        first_row: usize,
    ) -> Result<(Array2<f64>, E::Scratch)> {
        let mut out = Array2::zeros((x.nrows(), self.n_states()));
        let scratch = self.emission.log_density_into(x, &mut out);
        self.emission
            .check_log_density(x, out.view())
            .map_err(|e| crate::core::data::offset_rows(e, first_row))?;
        Ok((out, scratch))
    }

    /// Forward-backward on sequence `which` (already checked), whose first step is row
    /// `first_row` of all the data.
    pub(crate) fn posteriors_unchecked(
        &self,
        x: ArrayView2<'_, f64>,
        which: usize,
        first_row: usize,
    ) -> Result<(Posteriors, E::Scratch)> {
        let (log_b, scratch) = self.checked_log_emissions(x, first_row)?;
        let p = forward_backward(self.startprob.view(), self.transmat.view(), log_b.view()).ok_or_else(|| {
            DataError::Other(format!(
                "sequence {} has probability zero under the model (no state path can emit it); check the topology or the data",
                which + 1
            ))
        })?;
        Ok((p, scratch))
    }

    /// The posterior probability of every state at every step (rows × S), sequence by sequence.
    pub fn predict_proba(&self, data: &Sequences) -> Result<Array2<f64>> {
        self.check_input(data.x.view())?;
        let parts: Vec<Result<Array2<f64>>> = data
            .ranges()
            .into_par_iter()
            .enumerate()
            .map(|(i, r)| {
                let first = r.start;
                Ok(self
                    .posteriors_unchecked(data.x.slice(s![r, ..]), i, first)?
                    .0
                    .gamma)
            })
            .collect();
        let mut out = Array2::zeros((data.x.nrows(), self.n_states()));
        for (r, p) in data.ranges().into_iter().zip(parts) {
            out.slice_mut(s![r, ..]).assign(&p?);
        }
        Ok(out)
    }

    /// The Viterbi (most probable) state path of each sequence and its log-probability
    /// `log p(x, z*)`.
    pub fn decode(&self, data: &Sequences) -> Result<Vec<(f64, Vec<usize>)>> {
        self.check_input(data.x.view())?;
        let (ls, lt) = self.log_params();
        let paths: Vec<(f64, Vec<usize>)> = data
            .ranges()
            .into_par_iter()
            .map(|r| {
                let first = r.start;
                let (lb, _) = self.checked_log_emissions(data.x.slice(s![r, ..]), first)?;
                Ok(viterbi(ls.view(), lt.view(), lb.view()))
            })
            .collect::<Result<_>>()?;
        if let Some(i) = paths.iter().position(|(lp, _)| *lp == f64::NEG_INFINITY) {
            return Err(DataError::Other(format!(
                "sequence {} has probability zero under the model (no state path can emit it); check the topology or the data",
                i + 1
            ))
            .into());
        }
        Ok(paths)
    }

    /// The state of maximal posterior probability at each step (posterior decoding).
    pub fn decode_posterior(&self, data: &Sequences) -> Result<Vec<usize>> {
        let p = self.predict_proba(data)?;
        Ok(p.axis_iter(Axis(0))
            .map(|r| crate::mixture::argmax_of(r.iter().copied()))
            .collect())
    }

    /// Draws one sequence of `n_steps` observations with its hidden states.
    pub fn sample_sequence(&self, n_steps: usize, rng: &mut dyn RngCore) -> Result<HmmSample> {
        // The observations and their states.
        crate::core::memory::check_rows("steps", n_steps, self.n_features() + 1, 8)?;
        let bad = |e: rand::distr::weighted::Error| {
            DataError::Other(format!(
                "the model's probabilities cannot be sampled from: {e}"
            ))
        };
        let start: WeightedIndex<f64> = WeightedIndex::new(self.startprob.iter()).map_err(bad)?;
        let rows: Vec<WeightedIndex<f64>> = self
            .transmat
            .outer_iter()
            .map(|r| WeightedIndex::new(r.iter()))
            .collect::<std::result::Result<_, _>>()
            .map_err(bad)?;
        let mut states = Vec::with_capacity(n_steps);
        for t in 0..n_steps {
            let s: usize = if t == 0 {
                start.sample(rng)
            } else {
                let row: &WeightedIndex<f64> = &rows[states[t - 1]];
                row.sample(rng)
            };
            states.push(s);
        }
        let mut x = Array2::zeros((n_steps, self.n_features()));
        self.emission.sample_components(&states, rng, &mut x);
        Ok(HmmSample { x, states })
    }

    /// A stationary distribution of the hidden chain (`π A = π`), reached from the uniform
    /// distribution (for a reducible chain, the one that start leads to).
    pub fn stationary_distribution(&self) -> Array1<f64> {
        // Power iteration on the lazy chain (A + I)/2, which has the same stationary
        // distribution but is aperiodic, so the iteration converges even for periodic chains.
        let s = self.n_states();
        let lazy = (&self.transmat + &Array2::<f64>::eye(s)) * 0.5;
        let mut p = Array1::from_elem(s, 1.0 / s as f64);
        for _ in 0..100_000 {
            let next = p.dot(&lazy);
            let diff: f64 = (&next - &p).mapv(f64::abs).sum();
            p = next;
            if diff < 1e-15 {
                break;
            }
        }
        &p / p.sum()
    }

    /// Expected number of consecutive steps spent in each state, `1 / (1 − a_ss)` (infinite for
    /// an absorbing state).
    pub fn expected_durations(&self) -> Array1<f64> {
        self.transmat.diag().mapv(|a| {
            if a >= 1.0 {
                f64::INFINITY
            } else {
                1.0 / (1.0 - a)
            }
        })
    }

    /// Free parameters: start probabilities and transition rows (structural zeros excluded) and
    /// the emission parameters.
    pub fn n_parameters(&self) -> usize {
        let free = |v: ndarray::ArrayView1<'_, f64>| {
            v.iter().filter(|p| **p > 0.0).count().saturating_sub(1)
        };
        free(self.startprob.view())
            + self.transmat.outer_iter().map(free).sum::<usize>()
            + self.emission.n_component_parameters()
    }

    /// Total log-likelihood, steps and parameters on `data`, from one forward pass per
    /// sequence (BIC, AIC and the mean per step follow from it).
    pub fn criteria(&self, data: &Sequences) -> Result<Criteria> {
        Ok(Criteria {
            total_log_likelihood: self.log_likelihood(data)?.sum(),
            n_observations: data.x.nrows(),
            n_parameters: self.n_parameters(),
        })
    }

    /// Total log-likelihood of all sequences.
    pub fn score(&self, data: &Sequences) -> Result<f64> {
        Ok(self.criteria(data)?.total_log_likelihood)
    }

    /// Bayesian information criterion (lower is better).
    pub fn bic(&self, data: &Sequences) -> Result<f64> {
        Ok(self.criteria(data)?.bic())
    }

    /// Akaike information criterion (lower is better).
    pub fn aic(&self, data: &Sequences) -> Result<f64> {
        Ok(self.criteria(data)?.aic())
    }
}

impl<E: Components> LogLikelihood<Sequences> for Hmm<E> {
    /// One log-likelihood per sequence (−∞ for a sequence the model cannot emit).
    fn log_likelihood(&self, data: &Sequences) -> Result<Array1<f64>> {
        self.check_input(data.x.view())?;
        let v: Vec<f64> = data
            .ranges()
            .into_par_iter()
            .map(|r| {
                let first = r.start;
                let (lb, _) = self.checked_log_emissions(data.x.slice(s![r, ..]), first)?;
                Ok(log_likelihood(
                    self.startprob.view(),
                    self.transmat.view(),
                    lb.view(),
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Array1::from(v))
    }
}
