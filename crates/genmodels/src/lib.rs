//! # genmodels
//!
//! Generative models behind one interface: fit them to data, score data under them, sample
//! new data from them, and ask them questions.
//!
//! Every family follows the same shape: checked hyper-parameters (a builder) that
//! [`Fit`](core::Fit) data into an immutable model, which gives a per-observation
//! [`LogLikelihood`](core::LogLikelihood) (saying whether it is exact), can
//! [`Sample`](core::Sample) and [`SampleGiven`](core::SampleGiven) a condition, and answers the
//! family's own queries. Models save to versioned files ([`io::save_model`]).
//!
//! ```
//! use genmodels::prelude::*;
//! use genmodels::mixture::{CovarianceParams, GaussianComponents, Mixture};
//! use ndarray::array;
//! # fn main() -> genmodels::core::Result<()> {
//! // A known two-component mixture to draw data from.
//! let truth: GaussianMixture = Mixture::new(
//!     array![0.4, 0.6],
//!     GaussianComponents::from_covariances(
//!         array![[0.0, 0.0], [6.0, 3.0]],
//!         CovarianceParams::Spherical(array![1.0, 0.5]),
//!         0.0,
//!     )?,
//! )
//! .expect("valid parameters");
//! let x = truth.sample(500, &mut rng_from_seed(1))?.x;
//!
//! // Choose K by BIC among 1..=4, full covariances.
//! let base = GaussianMixture::params(1).seed(7);
//! let sel = select_gaussian_mixture(&base, &[1, 2, 3, 4], &[CovarianceType::Full], Criterion::Bic, x.view(), &mut Silent)?;
//! let model = sel.best;
//! assert_eq!(model.n_components(), 2);
//!
//! let ll = model.log_likelihood(&x)?; // one exact log-likelihood per row
//! assert_eq!(ll.len(), 500);
//! let new = model.sample(5, &mut rng_from_seed(3))?; // rows plus the component of each
//! assert_eq!(new.x.nrows(), 5);
//! // The missing second feature of a row, filled by its conditional mean given the first.
//! let filled = model.impute(array![[6.0, f64::NAN]].view())?;
//! assert!((filled[[0, 1]] - 3.0).abs() < 0.3);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod bayesnet;
pub mod classifier;
pub mod core;
pub mod hmm;
pub mod io;
pub mod mixture;
#[cfg(feature = "neural")]
pub mod neural;

/// The names most programs need.
pub mod prelude {
    pub use crate::core::{
        rng_from_seed, Error, Fit, Flow, LikelihoodKind, LogLikelihood, Monitor, Recorder, Result,
        Sample, SampleGiven, Silent, Step,
    };
    pub use crate::mixture::{
        select_gaussian_mixture, BernoulliMixture, CovarianceType, Criterion, GaussianMixture,
        InitMethod, InitParams,
    };
}

/// The README's library example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
