//! Gaussian components with full, tied, diagonal or spherical covariances, and the
//! checked hyper-parameters that fit a [`GaussianMixture`].
//!
//! One file per concern, as `bayesnet/` is: [`covariance`] (types, layouts, conversions),
//! [`components`] (the parameters and their derived products), [`em_step`] (statistics,
//! densities, M-step, sampling), [`validate`] (checks of stored parameters), [`params`] (the
//! fit's hyper-parameters) and [`fit`] (initialisation, restarts, EM passes).

pub mod components;
pub mod covariance;
pub mod em_step;
pub mod fit;
pub mod params;
pub mod validate;

pub(crate) use components::refuse_overflowing_rows;
pub use components::{GaussianComponents, GaussianMixture, GaussianScratch};
pub use covariance::{CovarianceParams, CovarianceType};
pub use em_step::GaussianStats;
pub use params::{GaussianMixtureParams, InitMethod, InitParams};
pub use validate::COVARIANCE_TOLERANCE;
