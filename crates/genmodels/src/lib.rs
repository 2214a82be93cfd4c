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
//! use ndarray::Array2;
//! # fn main() -> genmodels::core::Result<()> {
//! // Two well-separated blobs.
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| {
//!     let centre = if i < 100 { 0.0 } else { 8.0 };
//!     centre + ((i * 7 + j * 13) % 10) as f64 / 10.0
//! });
//! // Choose K by BIC among 1..=4.
//! let base = GaussianMixture::params(1).seed(1);
//! let sel = select_gaussian_mixture(&base, &[1, 2, 3, 4], &[CovarianceType::Full], Criterion::Bic, x.view(), &mut Silent)?;
//! assert_eq!(sel.best.n_components(), 2);
//! let ll = sel.best.log_likelihood(&x)?;             // one value per row
//! assert_eq!(ll.len(), 200);
//! let s = sel.best.sample(5, &mut rng_from_seed(3))?;  // rows plus their component
//! assert_eq!(s.x.nrows(), 5);
//! // The conditional mean of the second feature given the first.
//! let filled = sel.best.impute(ndarray::array![[8.4, f64::NAN]].view())?;
//! assert!((filled[[0, 1]] - 8.45).abs() < 0.5);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod core;
pub mod io;
pub mod mixture;

/// The names most programs need.
pub mod prelude {
    pub use crate::core::{
        rng_from_seed, Error, Fit, Flow, LikelihoodKind, LogLikelihood, Monitor, Recorder, Result, Sample,
        SampleGiven, Silent, Step,
    };
    pub use crate::mixture::{
        select_gaussian_mixture, BernoulliMixture, CovarianceType, Criterion, GaussianMixture, InitMethod,
        InitParams,
    };
}
