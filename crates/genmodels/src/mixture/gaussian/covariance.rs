//! Covariance types and their parameter layouts (scikit-learn's), and the conversions between
//! covariances and precision Cholesky factors.

use std::fmt;
use std::str::FromStr;

use ndarray::{Array1, Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

use crate::core::numerics::{
    covariance_from_precision_cholesky, precision_cholesky_from_covariance, symmetrize,
};
use crate::core::{NumericalError, ParamError, Result};

/// How the components' covariances are shaped (scikit-learn's `covariance_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceType {
    /// Each component has its own full covariance matrix.
    #[default]
    Full,
    /// All components share one full covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl CovarianceType {
    /// All four, in scikit-learn's order.
    pub const ALL: [CovarianceType; 4] = [Self::Full, Self::Tied, Self::Diag, Self::Spherical];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Tied => "tied",
            Self::Diag => "diag",
            Self::Spherical => "spherical",
        }
    }
}

impl fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CovarianceType {
    type Err = ParamError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamError> {
        match s {
            "full" => Ok(Self::Full),
            "tied" => Ok(Self::Tied),
            "diag" | "diagonal" => Ok(Self::Diag),
            "spherical" => Ok(Self::Spherical),
            _ => Err(ParamError::invalid(
                "covariance",
                s,
                "one of full, tied, diag, spherical",
            )),
        }
    }
}

/// Covariance-shaped parameters in scikit-learn's layout: full `K×d×d`, tied `d×d`, diag `K×d`,
/// spherical `K`. Used for covariances, precisions and precision Cholesky factors alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum CovarianceParams {
    /// One `d×d` matrix per component.
    Full(Array3<f64>),
    /// One `d×d` matrix shared by all components.
    Tied(Array2<f64>),
    /// One vector of `d` per component.
    Diag(Array2<f64>),
    /// One number per component.
    Spherical(Array1<f64>),
}

impl CovarianceParams {
    /// Which covariance type this is.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => CovarianceType::Full,
            Self::Tied(_) => CovarianceType::Tied,
            Self::Diag(_) => CovarianceType::Diag,
            Self::Spherical(_) => CovarianceType::Spherical,
        }
    }

    pub(super) fn shape_string(&self) -> String {
        match self {
            Self::Full(a) => format!("{:?}", a.shape()),
            Self::Tied(a) | Self::Diag(a) => format!("{:?}", a.shape()),
            Self::Spherical(a) => format!("{:?}", a.shape()),
        }
    }

    pub(super) fn check_shape(&self, k: usize, d: usize) -> bool {
        match self {
            Self::Full(a) => a.shape() == [k, d, d],
            Self::Tied(a) => a.shape() == [d, d],
            Self::Diag(a) => a.shape() == [k, d],
            Self::Spherical(a) => a.len() == k,
        }
    }

    pub(super) fn all_finite(&self) -> bool {
        match self {
            Self::Full(a) => a.iter().all(|v| v.is_finite()),
            Self::Tied(a) | Self::Diag(a) => a.iter().all(|v| v.is_finite()),
            Self::Spherical(a) => a.iter().all(|v| v.is_finite()),
        }
    }

    /// Expands component `k` to a full `d×d` matrix (for covariances or precisions; not for
    /// Cholesky factors of the diagonal types, which would need squaring).
    pub fn full_matrix(&self, k: usize, d: usize) -> Array2<f64> {
        match self {
            Self::Full(a) => a.index_axis(Axis(0), k).to_owned(),
            Self::Tied(a) => a.clone(),
            Self::Diag(a) => Array2::from_diag(&a.row(k)),
            Self::Spherical(a) => Array2::eye(d) * a[k],
        }
    }
}

/// Soft counts at or below this are an empty component (no data at all: only the 10·eps
/// scikit-learn adds).
pub(super) const EMPTY_MASS: f64 = 100.0 * f64::EPSILON;

pub(super) fn expected_shape(t: CovarianceType, k: usize, d: usize) -> String {
    match t {
        CovarianceType::Full => format!("[{k}, {d}, {d}]"),
        CovarianceType::Tied => format!("[{d}, {d}]"),
        CovarianceType::Diag => format!("[{k}, {d}]"),
        CovarianceType::Spherical => format!("[{k}]"),
    }
}

pub(super) fn check_positive<'a>(it: impl Iterator<Item = &'a f64>, per: usize) -> Result<()> {
    for (i, v) in it.enumerate() {
        if !(v.is_finite() && *v > 0.0) {
            return Err(NumericalError::NotPositiveDefinite {
                component: i / per.max(1),
                pivot: i % per.max(1),
            }
            .into());
        }
    }
    Ok(())
}

pub(super) fn precision_cholesky_of(cov: &CovarianceParams) -> Result<CovarianceParams> {
    let not_pd = |component, pivot| NumericalError::NotPositiveDefinite { component, pivot };
    Ok(match cov {
        CovarianceParams::Full(c) => {
            let mut out = Array3::zeros(c.raw_dim());
            for (k, (ck, mut ok)) in c.outer_iter().zip(out.outer_iter_mut()).enumerate() {
                ok.assign(&precision_cholesky_from_covariance(ck).map_err(|i| not_pd(k, i))?);
            }
            CovarianceParams::Full(out)
        }
        CovarianceParams::Tied(c) => CovarianceParams::Tied(
            precision_cholesky_from_covariance(c.view()).map_err(|i| not_pd(0, i))?,
        ),
        CovarianceParams::Diag(v) => {
            check_positive(v.iter(), v.ncols())?;
            CovarianceParams::Diag(v.mapv(|x| 1.0 / x.sqrt()))
        }
        CovarianceParams::Spherical(v) => {
            check_positive(v.iter(), 1)?;
            CovarianceParams::Spherical(v.mapv(|x| 1.0 / x.sqrt()))
        }
    })
}

pub(super) fn covariances_of(pc: &CovarianceParams, _d: usize) -> CovarianceParams {
    match pc {
        CovarianceParams::Full(u) => {
            let mut c = u.clone();
            for (mut ck, uk) in c.outer_iter_mut().zip(u.outer_iter()) {
                ck.assign(&symmetrize(covariance_from_precision_cholesky(uk)));
            }
            CovarianceParams::Full(c)
        }
        CovarianceParams::Tied(u) => {
            CovarianceParams::Tied(symmetrize(covariance_from_precision_cholesky(u.view())))
        }
        CovarianceParams::Diag(u) => CovarianceParams::Diag(u.mapv(|v| 1.0 / (v * v))),
        CovarianceParams::Spherical(u) => CovarianceParams::Spherical(u.mapv(|v| 1.0 / (v * v))),
    }
}
