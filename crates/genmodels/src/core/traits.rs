//! The traits every family implements, so that the classifier and the CLI are generic.

use ndarray::Array1;
use rand::RngCore;

use super::error::Result;
use super::monitor::{Monitor, Silent};

/// Checked hyper-parameters that fit a model to data of type `D`.
pub trait Fit<D: ?Sized> {
    /// The fitted model.
    type Model;
    /// Fits, reporting each iteration to `monitor` (which may stop the fit early).
    fn fit_with(&self, data: &D, monitor: &mut dyn Monitor) -> Result<Self::Model>;
    /// Fits silently.
    fn fit(&self, data: &D) -> Result<Self::Model> {
        self.fit_with(data, &mut Silent)
    }
}

/// What kind of number a log-likelihood is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LikelihoodKind {
    /// The exact log-likelihood.
    Exact,
    /// A stochastic estimate with a standard error.
    Estimate {
        /// Standard error of the estimate, in nats.
        stderr: f64,
    },
    /// A lower bound (ELBO-like).
    LowerBound,
}

/// log p(x) for each observation (each row, each sequence).
pub trait LogLikelihood<D: ?Sized> {
    /// One log-likelihood per observation, in nats.
    fn log_likelihood(&self, data: &D) -> Result<Array1<f64>>;
    /// Whether the numbers are exact, estimates or bounds.
    fn kind(&self) -> LikelihoodKind {
        LikelihoodKind::Exact
    }
}

/// Unconditional sampling.
pub trait Sample {
    /// What a batch of samples is.
    type Output;
    /// Draws `n` samples.
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<Self::Output>;
}

/// Sampling given a condition `C` (observed features, a label, evidence...).
pub trait SampleGiven<C: ?Sized> {
    /// What a batch of samples is.
    type Output;
    /// Draws `n` samples from the conditional distribution given `c`.
    fn sample_given(&self, c: &C, n: usize, rng: &mut dyn RngCore) -> Result<Self::Output>;
}

/// What one E-step over a chunk of data produces; chunks merge, then the M-step reads the sum.
pub trait SufficientStats: Send + Sized {
    /// Adds `other` (computed on another chunk, with the same parameters) into `self`.
    fn merge(&mut self, other: Self);
}

/// What one pass of a model over some data gives for model comparison: the total
/// log-likelihood, the number of observations it is over (rows, or steps of all sequences) and
/// the model's free parameters. BIC, AIC and the mean follow from it without another pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Total log-likelihood of the data, in nats.
    pub total_log_likelihood: f64,
    /// Number of observations the BIC penalty counts (rows, or time steps).
    pub n_observations: usize,
    /// Free parameters of the model.
    pub n_parameters: usize,
}

impl Criteria {
    /// Bayesian information criterion `−2 ln L + p ln n` (lower is better).
    pub fn bic(&self) -> f64 {
        -2.0 * self.total_log_likelihood
            + self.n_parameters as f64 * (self.n_observations as f64).ln()
    }

    /// Akaike information criterion `−2 ln L + 2p` (lower is better).
    pub fn aic(&self) -> f64 {
        -2.0 * self.total_log_likelihood + 2.0 * self.n_parameters as f64
    }

    /// Mean log-likelihood per observation.
    pub fn mean_log_likelihood(&self) -> f64 {
        self.total_log_likelihood / self.n_observations as f64
    }
}
