//! Mixture models: a weighted sum of K component densities, fitted by EM.
//!
//! ## The algorithm
//!
//! Expectation-maximisation alternates an E-step, which computes each row's responsibilities
//! `r_ik ∝ w_k p_k(x_i)` in log space, and an M-step, which re-estimates weights and component
//! parameters from responsibility-weighted sufficient statistics. The E-step runs over row
//! chunks in parallel; each chunk yields statistics that [`merge`](crate::core::SufficientStats::merge),
//! so the same code fits data held in memory and data streamed chunk by chunk
//! ([`GaussianMixtureParams::fit_chunks`]). The objective reported per iteration is the mean
//! log-likelihood computed in that iteration's E-step (scikit-learn's `lower_bound_`), which EM
//! never decreases.
//!
//! What differs between families — Gaussian ([`GaussianComponents`]) or Bernoulli
//! ([`BernoulliComponents`]) — lives behind the [`Components`] trait; adding a Poisson or
//! categorical mixture is one more implementation of it.

mod bernoulli;
mod conditional;
mod discrete;
mod em;
mod gaussian;
mod kmeans;
mod model;
mod selection;

pub use bernoulli::{BernoulliComponents, BernoulliMixture, BernoulliMixtureParams};
pub use conditional::ConditionalMixture;
pub use discrete::{
    CategoricalComponents, CategoricalMixture, MultinomialComponents, MultinomialMixture,
    PoissonComponents, PoissonMixture, WeightedSums,
};
pub use em::FitReport;
pub(crate) use gaussian::refuse_overflowing_rows;
pub use gaussian::{
    CovarianceParams, CovarianceType, GaussianComponents, GaussianMixture, GaussianMixtureParams,
    GaussianScratch, GaussianStats, InitMethod, InitParams, COVARIANCE_TOLERANCE,
};
pub use kmeans::{kmeans, KMeansResult};
pub(crate) use model::argmax as argmax_of;
pub(crate) use model::check_feature_names;
pub use model::{Components, Mixture, MixtureSample};
pub use selection::{select_gaussian_mixture, Criterion, Selection, SelectionRow};

impl crate::io::ModelFile for GaussianMixture {
    const FAMILY: &'static str = "gmm";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}

impl crate::io::ModelFile for BernoulliMixture {
    const FAMILY: &'static str = "bernoulli-mixture";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}
