//! The hyper-parameters of a Gaussian-mixture fit: [`GaussianMixtureParams`] (the builder and
//! its checks), how EM starts ([`InitMethod`], [`InitParams`]).

use crate::core::ParamGuard;
use std::str::FromStr;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::components::*;
use super::covariance::*;
use crate::core::ParamError;
use crate::mixture::em::EmSettings;

/// User-given initial parameters (scikit-learn's `weights_init`, `means_init`,
/// `precisions_init`). Missing weights are equal; missing precisions come from the whole
/// data's covariance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitParams {
    /// Initial weights (K), summing to one.
    #[serde(default)]
    pub weights: Option<Array1<f64>>,
    /// Initial means (K × d).
    pub means: Array2<f64>,
    /// Initial precision matrices, in the layout of the covariance type.
    #[serde(default)]
    pub precisions: Option<CovarianceParams>,
}

/// How EM is started.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum InitMethod {
    /// A k-means run (k-means++ seeding, then Lloyd's iterations); responsibilities are its
    /// hard labels (scikit-learn's default `kmeans`).
    #[default]
    KMeans,
    /// Responsibilities drawn uniformly at random, then normalised.
    Random,
    /// Means at K distinct random rows, equal weights, and every covariance the whole data's
    /// covariance (scikit-learn's `random_from_data` gives each component only `reg_covar`
    /// as covariance, a start EM often cannot recover from).
    RandomFromData,
    /// Parameters given by the user.
    Given(InitParams),
    /// Continue from an earlier fit (`warm_start`).
    Warm(Box<GaussianMixture>),
}

impl InitMethod {
    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::KMeans => "kmeans",
            Self::Random => "random",
            Self::RandomFromData => "random-from-data",
            Self::Given(_) => "given",
            Self::Warm(_) => "warm-start",
        }
    }
}

impl FromStr for InitMethod {
    type Err = ParamError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamError> {
        match s {
            "kmeans" | "kmeans++" | "k-means++" | "k-means" => Ok(Self::KMeans),
            "random" => Ok(Self::Random),
            "random-from-data" | "random_from_data" => Ok(Self::RandomFromData),
            _ => Err(ParamError::invalid(
                "init",
                s,
                "one of kmeans, random, random-from-data (or given parameters)",
            )),
        }
    }
}

/// Checked hyper-parameters of a Gaussian mixture. Build with [`GaussianMixture::params`].
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixtureParams {
    pub(super) em: EmSettings,
    pub(super) covariance: CovarianceType,
    pub(super) init: InitMethod,
    pub(super) reg_covar: f64,
}

impl GaussianMixture {
    /// Hyper-parameters for a mixture of `n_components` Gaussians, with scikit-learn's
    /// defaults: full covariances, k-means start, `max_iter` 100, `tol` 1e-3, `reg_covar` 1e-6,
    /// one run, seed 0.
    pub fn params(n_components: usize) -> GaussianMixtureParams {
        GaussianMixtureParams {
            em: EmSettings::new(n_components),
            covariance: CovarianceType::Full,
            init: InitMethod::KMeans,
            reg_covar: 1e-6,
        }
    }

    /// The Gaussian components.
    pub fn means(&self) -> &Array2<f64> {
        &self.components.means
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.components.covariance_type()
    }
}

impl ParamGuard for GaussianMixtureParams {
    /// Rejects unusable hyper-parameters before any work is done.
    fn check(&self) -> std::result::Result<(), ParamError> {
        let invalid =
            |name, value: String, expected: &str| Err(ParamError::invalid(name, value, expected));
        self.em.check()?;
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return invalid(
                "reg_covar",
                self.reg_covar.to_string(),
                "must be a finite number >= 0",
            );
        }
        match &self.init {
            InitMethod::Given(p) => {
                if p.means.nrows() != self.em.n_components {
                    return Err(ParamError::InitShape {
                        name: "means",
                        found: format!("{:?}", p.means.shape()),
                        expected: format!("[{}, d]", self.em.n_components),
                    });
                }
                if let Some(w) = &p.weights {
                    if w.len() != self.em.n_components {
                        return Err(ParamError::InitShape {
                            name: "weights",
                            found: format!("[{}]", w.len()),
                            expected: format!("[{}]", self.em.n_components),
                        });
                    }
                    if crate::core::data::check_distribution(w.view(), "").is_err() {
                        return invalid(
                            "weights_init",
                            format!("{w}"),
                            "must be non-negative and sum to 1",
                        );
                    }
                }
                if let Some(pr) = &p.precisions {
                    if pr.covariance_type() != self.covariance {
                        return invalid(
                            "precisions_init",
                            pr.covariance_type().to_string(),
                            &format!("must be of covariance type {}", self.covariance),
                        );
                    }
                }
            }
            InitMethod::Warm(m)
                if m.n_components() != self.em.n_components
                    || m.covariance_type() != self.covariance =>
            {
                return invalid(
                    "warm_start",
                    format!("{} components, {}", m.n_components(), m.covariance_type()),
                    &format!(
                        "must have {} components and {} covariance",
                        self.em.n_components, self.covariance
                    ),
                );
            }
            _ => {}
        }
        Ok(())
    }
}
