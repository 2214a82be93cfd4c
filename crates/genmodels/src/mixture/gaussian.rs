//! Gaussian components with full, tied, diagonal or spherical covariances, and the
//! checked hyper-parameters that fit a [`GaussianMixture`].

use crate::core::{Checked, ParamGuard};
use std::fmt;
use std::str::FromStr;

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayView1, ArrayView2, Axis, Zip};
use rand::seq::index::sample as sample_indices;
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::em::{best_of_runs, em_builder_methods, EmSettings, InMemory, Passes, Streamed};
use super::kmeans::kmeans;
use super::model::{Components, Mixture};
use crate::core::data::{check_gaussian_data, check_sample_weights};
use crate::core::numerics::{
    center_sumsq, column_sums, covariance_from_precision_cholesky, gemm, lower_triangular_inverse,
    precision_cholesky_from_covariance, precision_cholesky_from_precision, symmetrize, LN_2PI,
};
use crate::core::{
    DataError, Fit, Monitor, NumericalError, ParamError, Result, Silent, SufficientStats,
};

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

    fn shape_string(&self) -> String {
        match self {
            Self::Full(a) => format!("{:?}", a.shape()),
            Self::Tied(a) | Self::Diag(a) => format!("{:?}", a.shape()),
            Self::Spherical(a) => format!("{:?}", a.shape()),
        }
    }

    fn check_shape(&self, k: usize, d: usize) -> bool {
        match self {
            Self::Full(a) => a.shape() == [k, d, d],
            Self::Tied(a) => a.shape() == [d, d],
            Self::Diag(a) => a.shape() == [k, d],
            Self::Spherical(a) => a.len() == k,
        }
    }

    fn all_finite(&self) -> bool {
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

/// The parameters of K Gaussian components: means and covariances, with the precision
/// Cholesky factors that every density evaluation uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianComponents {
    /// Component means (K × d).
    pub means: Array2<f64>,
    /// Covariances, in scikit-learn's layout for the covariance type.
    pub covariances: CovarianceParams,
    /// Upper-triangular `U` with `Σ⁻¹ = U Uᵀ` (for diag/spherical: `1/σ`), scikit-learn's
    /// `precisions_cholesky_`.
    pub precisions_cholesky: CovarianceParams,
    /// Added to the covariance diagonals at each M-step.
    pub reg_covar: f64,
    /// Products derived from the precision factors, computed once per parameter set.
    #[serde(skip)]
    whitening_cache: WhiteningCache,
}

/// For full and tied covariances: `[U_1 … U_K]`, `[μ_1 U_1 … μ_K U_K]` and each `U_k⁻¹`.
#[derive(Debug, Clone)]
struct Whitening {
    ucat: Array2<f64>,
    shift: Array1<f64>,
    uinv: Vec<Array2<f64>>,
}

/// For diagonal and spherical covariances, about a reference point `c` (the mean of the
/// means, so the expanded squares below do not cancel for data far from the origin):
/// `p²` (K×d), `−2 (μ−c)∘p²` and `Σ_j (μ−c)² p²`, so that the squared Mahalanobis distances of a
/// chunk are two matrix products, `(x−c)²·p²ᵀ − 2 (x−c)·((μ−c)∘p²)ᵀ + const`.
#[derive(Debug, Clone)]
struct DiagTerms {
    center: Array1<f64>,
    p2: Array2<f64>,
    m2p2: Array2<f64>,
    konst: Array1<f64>,
}

/// Products derived from the parameters once, then shared by every chunk of an E-step.
#[derive(Debug, Clone)]
enum Derived {
    Whitened(Whitening),
    Diagonal(DiagTerms),
}

/// A lazily filled cache that never affects equality (two models with the same parameters are
/// equal whether or not one of them has been used).
#[derive(Debug, Clone, Default)]
struct WhiteningCache(std::sync::OnceLock<Derived>);

/// What the Gaussian E-step keeps for the statistics of the same chunk: whitened residuals
/// (full, tied) or the centred data and its squares (diag, spherical).
#[derive(Debug)]
pub struct GaussianScratch(ScratchKind);

#[derive(Debug)]
enum ScratchKind {
    Whitened(Array2<f64>),
    Centered { xc: Array2<f64>, xc2: Array2<f64> },
}

impl PartialEq for WhiteningCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A Gaussian mixture model.
///
/// ```
/// use genmodels::prelude::*;
/// use ndarray::array;
/// # fn main() -> genmodels::core::Result<()> {
/// let x = array![[0.0, 0.1], [0.2, -0.1], [-0.1, 0.0], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]];
/// let model = GaussianMixture::params(2).covariance(CovarianceType::Diag).seed(7).fit(&x)?;
/// let labels = model.predict(x.view())?;
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// # Ok(()) }
/// ```
pub type GaussianMixture = Mixture<GaussianComponents>;

impl GaussianComponents {
    /// Builds components from means and covariances, computing the precision factors.
    pub fn from_covariances(
        means: Array2<f64>,
        covariances: CovarianceParams,
        reg_covar: f64,
    ) -> Result<Self> {
        let (k, d) = means.dim();
        if !covariances.check_shape(k, d) {
            return Err(ParamError::InitShape {
                name: "covariances",
                found: covariances.shape_string(),
                expected: expected_shape(covariances.covariance_type(), k, d),
            }
            .into());
        }
        let precisions_cholesky = precision_cholesky_of(&covariances)?;
        Ok(GaussianComponents {
            means,
            covariances,
            precisions_cholesky,
            reg_covar,
            whitening_cache: WhiteningCache::default(),
        })
    }

    /// Builds components from means and precision matrices (scikit-learn's `precisions_init`).
    pub fn from_precisions(
        means: Array2<f64>,
        precisions: CovarianceParams,
        reg_covar: f64,
    ) -> Result<Self> {
        let (k, d) = means.dim();
        if !precisions.check_shape(k, d) {
            return Err(ParamError::InitShape {
                name: "precisions",
                found: precisions.shape_string(),
                expected: expected_shape(precisions.covariance_type(), k, d),
            }
            .into());
        }
        let not_pd = |component, pivot| NumericalError::NotPositiveDefinite { component, pivot };
        let pc = match &precisions {
            CovarianceParams::Full(p) => {
                let mut out = Array3::zeros((k, d, d));
                for c in 0..k {
                    let u = precision_cholesky_from_precision(p.index_axis(Axis(0), c))
                        .map_err(|i| not_pd(c, i))?;
                    out.index_axis_mut(Axis(0), c).assign(&u);
                }
                CovarianceParams::Full(out)
            }
            CovarianceParams::Tied(p) => CovarianceParams::Tied(
                precision_cholesky_from_precision(p.view()).map_err(|i| not_pd(0, i))?,
            ),
            CovarianceParams::Diag(p) => {
                check_positive(p.iter(), d)?;
                CovarianceParams::Diag(p.mapv(f64::sqrt))
            }
            CovarianceParams::Spherical(p) => {
                check_positive(p.iter(), 1)?;
                CovarianceParams::Spherical(p.mapv(f64::sqrt))
            }
        };
        let covariances = covariances_of(&pc, d);
        Ok(GaussianComponents {
            means,
            covariances,
            precisions_cholesky: pc,
            reg_covar,
            whitening_cache: WhiteningCache::default(),
        })
    }

    /// Assembles components from all their parameters (e.g. another library's fitted model),
    /// checking that they are consistent.
    pub fn from_parts(
        means: Array2<f64>,
        covariances: CovarianceParams,
        precisions_cholesky: CovarianceParams,
        reg_covar: f64,
    ) -> std::result::Result<Self, String> {
        let c = GaussianComponents {
            means,
            covariances,
            precisions_cholesky,
            reg_covar,
            whitening_cache: WhiteningCache::default(),
        };
        c.validate()?;
        Ok(c)
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }

    fn derived(&self) -> &Derived {
        self.whitening_cache.0.get_or_init(|| {
            let (k, d) = self.means.dim();
            let factor = |c: usize| match &self.precisions_cholesky {
                CovarianceParams::Full(u) => Some(u.index_axis(Axis(0), c)),
                CovarianceParams::Tied(u) => Some(u.view()),
                _ => None,
            };
            if factor(0).is_some() {
                let mut ucat = Array2::zeros((d, k * d));
                let mut shift = Array1::zeros(k * d);
                let mut uinv = Vec::with_capacity(k);
                for c in 0..k {
                    let u = factor(c).expect("full or tied");
                    ucat.slice_mut(s![.., c * d..(c + 1) * d]).assign(&u);
                    shift
                        .slice_mut(s![c * d..(c + 1) * d])
                        .assign(&self.means.row(c).dot(&u));
                    // U is upper triangular: U⁻¹ = ((Uᵀ)⁻¹)ᵀ.
                    uinv.push(lower_triangular_inverse(u.t()).reversed_axes());
                }
                return Derived::Whitened(Whitening { ucat, shift, uinv });
            }
            let p2 = match &self.precisions_cholesky {
                CovarianceParams::Diag(u) => u.mapv(|v| v * v),
                CovarianceParams::Spherical(u) => {
                    Array2::from_shape_fn((k, d), |(c, _)| u[c] * u[c])
                }
                _ => unreachable!("full and tied are handled above"),
            };
            let center = self.means.mean_axis(Axis(0)).expect("K >= 1");
            let mc = &self.means - &center;
            let m2p2 = &mc * &p2 * -2.0;
            let konst = (&mc * &mc * &p2).sum_axis(Axis(1));
            Derived::Diagonal(DiagTerms {
                center,
                p2,
                m2p2,
                konst,
            })
        })
    }

    /// Components that collapsed onto repeated values: their covariance has a direction whose
    /// variance is below `2 × reg_covar`, so the data inside them contribute less spread than
    /// the regulariser itself. Such a component has an unbounded likelihood as `reg_covar → 0`
    /// (a spike on duplicated or rounded values, like the integer waiting times of Old
    /// Faithful), which makes BIC/AIC meaningless for it.
    pub fn collapsed_components(&self) -> Vec<usize> {
        let k = self.n_components();
        let d = self.n_features();
        let floor = 2.0 * self.reg_covar;
        if floor <= 0.0 {
            return Vec::new();
        }
        (0..k)
            .filter(|&c| match &self.covariances {
                CovarianceParams::Diag(v) => v.row(c).iter().any(|x| *x < floor),
                CovarianceParams::Spherical(v) => v[c] < floor,
                CovarianceParams::Full(_) | CovarianceParams::Tied(_) => {
                    let mut m = self.full_covariance(c);
                    for i in 0..d {
                        m[[i, i]] -= floor;
                    }
                    crate::core::numerics::cholesky_lower(m.view()).is_err()
                }
            })
            .collect()
    }

    /// The full `d×d` covariance of component `k`, whatever the covariance type.
    pub fn full_covariance(&self, k: usize) -> Array2<f64> {
        self.covariances.full_matrix(k, self.means.ncols())
    }

    /// Precision matrices `U Uᵀ` in scikit-learn's layout (`precisions_`).
    pub fn precisions(&self) -> CovarianceParams {
        match &self.precisions_cholesky {
            CovarianceParams::Full(u) => {
                let mut p = u.clone();
                for (mut pk, uk) in p.outer_iter_mut().zip(u.outer_iter()) {
                    pk.assign(&uk.dot(&uk.t()));
                }
                CovarianceParams::Full(p)
            }
            CovarianceParams::Tied(u) => CovarianceParams::Tied(u.dot(&u.t())),
            CovarianceParams::Diag(u) => CovarianceParams::Diag(u.mapv(|v| v * v)),
            CovarianceParams::Spherical(u) => CovarianceParams::Spherical(u.mapv(|v| v * v)),
        }
    }

    /// Log-determinant of each component's precision Cholesky factor.
    fn log_det_chol(&self) -> Array1<f64> {
        let (k, d) = self.means.dim();
        match &self.precisions_cholesky {
            CovarianceParams::Full(u) => u
                .outer_iter()
                .map(|uk| uk.diag().mapv(f64::ln).sum())
                .collect(),
            CovarianceParams::Tied(u) => Array1::from_elem(k, u.diag().mapv(f64::ln).sum()),
            CovarianceParams::Diag(u) => u.outer_iter().map(|r| r.mapv(f64::ln).sum()).collect(),
            CovarianceParams::Spherical(u) => u.mapv(|v| d as f64 * v.ln()),
        }
    }

    /// The parameters an M-step estimates from responsibilities `resp` (n × K, rows summing to
    /// one; hard labels work too): what k-means and random starts, or an HMM's initialisation,
    /// hand to EM.
    pub fn estimate_from_responsibilities(
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        covariance: CovarianceType,
        reg_covar: f64,
    ) -> Result<Self> {
        Ok(Self::from_responsibilities(x, resp, None, covariance, reg_covar)?.1)
    }

    /// Statistics from responsibilities, then an M-step: the parameters that EM would
    /// estimate from a hard or soft assignment (used by the k-means and random starts).
    fn from_responsibilities(
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        w: Option<ArrayView1<'_, f64>>,
        cov: CovarianceType,
        reg_covar: f64,
    ) -> Result<(Array1<f64>, Self)> {
        let (k, d) = (resp.ncols(), x.ncols());
        let mut resp = resp.to_owned();
        if let Some(w) = w {
            for (mut r, wi) in resp.outer_iter_mut().zip(w.iter()) {
                r *= *wi;
            }
        }
        let nk = resp.sum_axis(Axis(0)).mapv(|v| v + 10.0 * f64::EPSILON);
        let means = resp.t().dot(&x) / nk.view().insert_axis(Axis(1));
        // Placeholder precisions: only the means are read by `accumulate`.
        let placeholder = match cov {
            CovarianceType::Full => CovarianceParams::Full(Array3::zeros((k, d, d))),
            CovarianceType::Tied => CovarianceParams::Tied(Array2::zeros((d, d))),
            CovarianceType::Diag => CovarianceParams::Diag(Array2::ones((k, d))),
            CovarianceType::Spherical => CovarianceParams::Spherical(Array1::ones(k)),
        };
        let tmp = GaussianComponents {
            means,
            covariances: placeholder.clone(),
            precisions_cholesky: placeholder,
            reg_covar,
            whitening_cache: WhiteningCache::default(),
        };
        let mut st = tmp.empty_stats();
        tmp.accumulate(x, resp.view(), None, &mut st);
        let (comp, _) = tmp.m_step_inner(&nk, &st, false, false)?;
        let weights = &nk / nk.sum();
        Ok((weights, comp))
    }

    /// The M-step with each covariance taken about the means that entered the iteration
    /// (the statistics' reference points) instead of the new means: `Σ_t r (x − μ_old)(…)ᵀ / n_k`,
    /// which exceeds the exact update by `(μ_new − μ_old)(μ_new − μ_old)ᵀ`. This is hmmlearn's
    /// GMMHMM update (a generalised EM step); the means are the usual ones.
    pub(crate) fn m_step_about_previous_means(
        &self,
        nk: &Array1<f64>,
        st: &GaussianStats,
    ) -> Result<(Self, Vec<usize>)> {
        self.m_step_inner(nk, st, true, true)
    }

    fn m_step_inner(
        &self,
        nk: &Array1<f64>,
        st: &GaussianStats,
        keep_empty: bool,
        about_previous_means: bool,
    ) -> Result<(Self, Vec<usize>)> {
        let (k, d) = self.means.dim();
        let reg = self.reg_covar;
        let empty: Vec<usize> = if keep_empty {
            (0..k).filter(|&c| nk[c] <= EMPTY_MASS).collect()
        } else {
            Vec::new()
        };
        let is_empty = |c: usize| empty.contains(&c);
        // δ_k = s1_k / n_k: the shift of the mean away from the reference point.
        let delta = &st.s1 / &nk.view().insert_axis(Axis(1));
        let mut means = &st.centers + &delta;
        for &c in &empty {
            means.row_mut(c).assign(&self.means.row(c));
        }
        // The second moments are about the reference points; about the new means they lose
        // δδᵀ (exact EM), about the old ones they are used as they are.
        let delta = if about_previous_means {
            Array2::zeros(delta.raw_dim())
        } else {
            delta
        };
        let covariances = match (&st.s2, self.covariance_type()) {
            (S2::Full(s2), CovarianceType::Full) => {
                let mut cov = Array3::zeros((k, d, d));
                for c in 0..k {
                    let mut ck = cov.index_axis_mut(Axis(0), c);
                    if is_empty(c) {
                        ck.assign(&self.full_covariance(c));
                        continue;
                    }
                    let dl = delta.row(c);
                    Zip::indexed(&mut ck)
                        .and(&s2.index_axis(Axis(0), c))
                        .for_each(|(i, j), o, s| {
                            *o = s / nk[c] - dl[i] * dl[j] + if i == j { reg } else { 0.0 };
                        });
                }
                for mut ck in cov.outer_iter_mut() {
                    let sym = symmetrize(ck.to_owned());
                    ck.assign(&sym);
                }
                CovarianceParams::Full(cov)
            }
            (S2::Full(s2), CovarianceType::Tied) => {
                let mut cov = Array2::<f64>::zeros((d, d));
                for c in 0..k {
                    let dl = delta.row(c);
                    Zip::indexed(&mut cov)
                        .and(&s2.index_axis(Axis(0), c))
                        .for_each(|(i, j), o, s| {
                            *o += s - nk[c] * dl[i] * dl[j];
                        });
                }
                cov /= nk.sum();
                for i in 0..d {
                    cov[[i, i]] += reg;
                }
                CovarianceParams::Tied(symmetrize(cov))
            }
            (S2::Diag(s2), t) => {
                let mut var = s2 / &nk.view().insert_axis(Axis(1)) - &delta.mapv(|v| v * v) + reg;
                for &c in &empty {
                    var.row_mut(c).assign(&self.full_covariance(c).diag());
                }
                if t == CovarianceType::Diag {
                    CovarianceParams::Diag(var)
                } else {
                    CovarianceParams::Spherical(var.mean_axis(Axis(1)).expect("d >= 1"))
                }
            }
            _ => {
                unreachable!("statistics are created by `empty_stats` for the same covariance type")
            }
        };
        let precisions_cholesky = precision_cholesky_of(&covariances)?;
        Ok((
            GaussianComponents {
                means,
                covariances,
                precisions_cholesky,
                reg_covar: reg,
                whitening_cache: WhiteningCache::default(),
            },
            empty,
        ))
    }
}

/// Refuses the first row of `x` whose Gaussian log-densities (`log_density`, one column per
/// component, state or weighted component) overflowed. A Gaussian density with valid
/// parameters is positive and finite everywhere, so a row with a NaN or `+∞` entry, or `−∞` in
/// every column, has a squared distance beyond `f64`'s range (one `−∞` among finite entries is
/// an honest underflow of that component and is kept). The error names the row and the column
/// farthest, in standard deviations, from the nearest component's mean.
pub(crate) fn refuse_overflowing_rows(
    c: &GaussianComponents,
    x: ArrayView2<'_, f64>,
    log_density: ArrayView2<'_, f64>,
) -> Result<()> {
    let Some(i) = log_density.outer_iter().position(|r| {
        r.iter().any(|v| v.is_nan() || *v == f64::INFINITY)
            || r.iter().all(|v| *v == f64::NEG_INFINITY)
    }) else {
        return Ok(());
    };
    let (k, d) = c.means.dim();
    let variance = |comp: usize, j: usize| match &c.covariances {
        CovarianceParams::Full(a) => a[[comp, j, j]],
        CovarianceParams::Tied(a) => a[[j, j]],
        CovarianceParams::Diag(a) => a[[comp, j]],
        CovarianceParams::Spherical(a) => a[comp],
    };
    // For each column, the distance to the nearest component's mean in that component's
    // standard deviations (NaN counts as infinitely far); the farthest column is named.
    let far = |j: usize| {
        (0..k)
            .map(|comp| {
                let z = ((x[[i, j]] - c.means[[comp, j]]) / variance(comp, j).sqrt()).abs();
                if z.is_nan() {
                    f64::INFINITY
                } else {
                    z
                }
            })
            .fold(f64::INFINITY, f64::min)
    };
    let (j, z) = (0..d)
        .map(|j| (j, far(j)))
        .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    Err(DataError::TooLarge {
        row: i + 1,
        column: (j + 1).to_string(),
        value: crate::core::data::fmt_value(x[[i, j]]),
        reason: format!(
            "it lies {z:.3e} standard deviations from the nearest component's mean, and the \
             row's log-likelihood overflows to a non-finite number; rescale the data or remove \
             the row"
        ),
    }
    .into())
}

/// Soft counts at or below this are an empty component (no data at all: only the 10·eps
/// scikit-learn adds).
const EMPTY_MASS: f64 = 100.0 * f64::EPSILON;

fn expected_shape(t: CovarianceType, k: usize, d: usize) -> String {
    match t {
        CovarianceType::Full => format!("[{k}, {d}, {d}]"),
        CovarianceType::Tied => format!("[{d}, {d}]"),
        CovarianceType::Diag => format!("[{k}, {d}]"),
        CovarianceType::Spherical => format!("[{k}]"),
    }
}

fn check_positive<'a>(it: impl Iterator<Item = &'a f64>, per: usize) -> Result<()> {
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

fn precision_cholesky_of(cov: &CovarianceParams) -> Result<CovarianceParams> {
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

fn covariances_of(pc: &CovarianceParams, _d: usize) -> CovarianceParams {
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

/// Responsibility-weighted sums about a fixed reference point per component (the means at
/// the start of the iteration), which keeps the covariance update as accurate as the
/// two-pass formula while staying mergeable across chunks.
#[derive(Debug, Clone)]
pub struct GaussianStats {
    centers: Array2<f64>,
    s1: Array2<f64>,
    s2: S2,
}

#[derive(Debug, Clone)]
enum S2 {
    Full(Array3<f64>),
    Diag(Array2<f64>),
}

impl SufficientStats for GaussianStats {
    fn merge(&mut self, other: Self) {
        self.s1 += &other.s1;
        match (&mut self.s2, other.s2) {
            (S2::Full(a), S2::Full(b)) => *a += &b,
            (S2::Diag(a), S2::Diag(b)) => *a += &b,
            _ => unreachable!("statistics of one fit share a covariance type"),
        }
    }
}

impl Components for GaussianComponents {
    type Stats = GaussianStats;

    fn n_components(&self) -> usize {
        self.means.nrows()
    }

    fn n_features(&self) -> usize {
        self.means.ncols()
    }

    type Scratch = GaussianScratch;

    fn log_density_into(&self, x: ArrayView2<'_, f64>, out: &mut Array2<f64>) -> GaussianScratch {
        let (n, d) = x.dim();
        let k = self.n_components();
        let log_det = self.log_det_chol();
        let c0 = -0.5 * d as f64 * LN_2PI;
        match self.derived() {
            Derived::Whitened(w) => {
                // y_k = x U_k − μ_k U_k for every k in one product x·[U_1 … U_K] (scikit-learn's
                // formula); the residuals are kept for the statistics of the same chunk.
                let kd = k * d;
                let mut y = Array2::<f64>::zeros((n, kd));
                gemm(y.view_mut(), false, x, w.ucat.view());
                let shift = w.shift.as_slice().expect("contiguous");
                for (mut yrow, mut orow) in y.outer_iter_mut().zip(out.outer_iter_mut()) {
                    let yr = yrow
                        .as_slice_mut()
                        .expect("rows of a new array are contiguous");
                    for c in 0..k {
                        let q =
                            center_sumsq(&mut yr[c * d..(c + 1) * d], &shift[c * d..(c + 1) * d]);
                        orow[c] = c0 - 0.5 * q + log_det[c];
                    }
                }
                GaussianScratch(ScratchKind::Whitened(y))
            }
            Derived::Diagonal(t) => {
                let mut xc = Array2::<f64>::zeros((n, d));
                let mut xc2 = Array2::<f64>::zeros((n, d));
                let center = t.center.as_slice().expect("contiguous");
                for ((xr, mut cr), mut c2r) in x
                    .outer_iter()
                    .zip(xc.outer_iter_mut())
                    .zip(xc2.outer_iter_mut())
                {
                    let cr = cr.as_slice_mut().expect("contiguous");
                    let c2r = c2r.as_slice_mut().expect("contiguous");
                    for j in 0..d {
                        let v = xr[j] - center[j];
                        cr[j] = v;
                        c2r[j] = v * v;
                    }
                }
                gemm(out.view_mut(), false, xc2.view(), t.p2.t());
                gemm(out.view_mut(), true, xc.view(), t.m2p2.t());
                let offset: Vec<f64> = (0..k).map(|c| c0 - 0.5 * t.konst[c] + log_det[c]).collect();
                for mut orow in out.outer_iter_mut() {
                    let orow = orow
                        .as_slice_mut()
                        .expect("rows of a new array are contiguous");
                    orow.iter_mut()
                        .zip(&offset)
                        .for_each(|(o, a)| *o = a - 0.5 * *o);
                }
                GaussianScratch(ScratchKind::Centered { xc, xc2 })
            }
        }
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        Ok(check_gaussian_data(
            x,
            "rows with missing values can be scored or imputed with the conditional API",
        )?)
    }

    fn check_log_density(
        &self,
        x: ArrayView2<'_, f64>,
        log_density: ArrayView2<'_, f64>,
    ) -> Result<()> {
        refuse_overflowing_rows(self, x, log_density)
    }

    fn empty_stats(&self) -> GaussianStats {
        let (k, d) = self.means.dim();
        let s2 = match self.covariance_type() {
            CovarianceType::Full | CovarianceType::Tied => S2::Full(Array3::zeros((k, d, d))),
            CovarianceType::Diag | CovarianceType::Spherical => S2::Diag(Array2::zeros((k, d))),
        };
        GaussianStats {
            centers: self.means.clone(),
            s1: Array2::zeros((k, d)),
            s2,
        }
    }

    fn accumulate(
        &self,
        x: ArrayView2<'_, f64>,
        resp: ArrayView2<'_, f64>,
        scratch: Option<GaussianScratch>,
        st: &mut GaussianStats,
    ) {
        // The whitened residuals y_k = (x − μ_k) U_k of the E-step are centred on this
        // iteration's means, which are the statistics' reference points: accumulate in the
        // whitened space and map back (x − μ_k = y_k U_k⁻¹), saving a second pass over x.
        let scratch = scratch.map(|s| s.0);
        if let (Some(ScratchKind::Centered { xc, xc2 }), Derived::Diagonal(t), S2::Diag(s2)) =
            (&scratch, self.derived(), &mut st.s2)
        {
            // Sums about the common reference c, then moved to each component's reference
            // point (this iteration's mean μ_k, δ_k = μ_k − c):
            // Σ r (x−μ) = Σ r (x−c) − n_k δ,  Σ r (x−μ)² = Σ r (x−c)² − 2δ∘Σ r (x−c) + n_k δ².
            let (k, d) = (self.n_components(), x.ncols());
            let nk = column_sums(resp);
            let mut s1c = Array2::<f64>::zeros((k, d));
            let mut s2c = Array2::<f64>::zeros((k, d));
            gemm(s1c.view_mut(), false, resp.t(), xc.view());
            gemm(s2c.view_mut(), false, resp.t(), xc2.view());
            let delta = &st.centers - &t.center;
            let nkc = nk.view().insert_axis(Axis(1));
            st.s1 += &(&s1c - &(&delta * &nkc));
            *s2 += &(&s2c - &(&delta * &s1c * 2.0) + &(&delta * &delta * nkc));
            return;
        }
        if let (Some(ScratchKind::Whitened(y)), Derived::Whitened(w), S2::Full(s2)) =
            (&scratch, self.derived(), &mut st.s2)
        {
            let (n, d) = x.dim();
            let k = self.n_components();
            // One row-major pass: r_ik·y_ik into `wy`, and Σ_i r_ik y_ik.
            let mut wy = Array2::<f64>::zeros((n, k * d));
            let mut s1w = Array2::<f64>::zeros((k, d));
            for ((yrow, mut wrow), rrow) in y
                .outer_iter()
                .zip(wy.outer_iter_mut())
                .zip(resp.outer_iter())
            {
                let yr = yrow.as_slice().expect("contiguous");
                let wr = wrow.as_slice_mut().expect("contiguous");
                for c in 0..k {
                    let r = rrow[c];
                    let mut acc = s1w.row_mut(c);
                    let acc = acc.as_slice_mut().expect("contiguous");
                    for j in 0..d {
                        let v = r * yr[c * d + j];
                        wr[c * d + j] = v;
                        acc[j] += v;
                    }
                }
            }
            let mut wm = Array2::<f64>::zeros((d, d));
            for c in 0..k {
                let blk = s![.., c * d..(c + 1) * d];
                gemm(wm.view_mut(), false, wy.slice(blk).t(), y.slice(blk));
                let uinv = &w.uinv[c];
                let mut s1 = st.s1.row_mut(c);
                s1 += &s1w.row(c).dot(uinv);
                let mut s2c = s2.index_axis_mut(Axis(0), c);
                s2c += &uinv.t().dot(&wm.dot(uinv));
            }
            return;
        }
        let k = self.n_components();
        for c in 0..k {
            let diff = &x - &st.centers.row(c);
            let r = resp.column(c);
            let mut s1 = st.s1.row_mut(c);
            s1 += &r.dot(&diff);
            match &mut st.s2 {
                S2::Full(s2) => {
                    let wdiff = &diff * &r.insert_axis(Axis(1));
                    let mut s2c = s2.index_axis_mut(Axis(0), c);
                    general_mat_mul(1.0, &wdiff.t(), &diff, 1.0, &mut s2c);
                }
                S2::Diag(s2) => {
                    let sq = diff.mapv(|v| v * v);
                    let mut row = s2.row_mut(c);
                    row += &r.dot(&sq);
                }
            }
        }
    }

    fn m_step(&self, nk: &Array1<f64>, st: &GaussianStats) -> Result<(Self, Vec<usize>)> {
        self.m_step_inner(nk, st, true, false)
    }

    fn n_component_parameters(&self) -> usize {
        let (k, d) = self.means.dim();
        let cov = match self.covariance_type() {
            CovarianceType::Full => k * d * (d + 1) / 2,
            CovarianceType::Tied => d * (d + 1) / 2,
            CovarianceType::Diag => k * d,
            CovarianceType::Spherical => k,
        };
        k * d + cov
    }

    fn sample_components(&self, component: &[usize], rng: &mut dyn RngCore, out: &mut Array2<f64>) {
        let (k, d) = self.means.dim();
        // x = μ + L z with Σ = L Lᵀ; L = (Uᵀ)⁻¹ from the precision factor.
        let factors: Vec<Array2<f64>> = (0..k)
            .map(|c| match &self.precisions_cholesky {
                CovarianceParams::Full(u) => lower_triangular_inverse(u.index_axis(Axis(0), c).t()),
                CovarianceParams::Tied(u) => lower_triangular_inverse(u.t()),
                CovarianceParams::Diag(u) => Array2::from_diag(&u.row(c).mapv(|v| 1.0 / v)),
                CovarianceParams::Spherical(u) => Array2::eye(d) / u[c],
            })
            .collect();
        let mut z = Array1::<f64>::zeros(d);
        for (i, &c) in component.iter().enumerate() {
            z.mapv_inplace(|_| rng.sample(StandardNormal));
            let v = factors[c].dot(&z) + self.means.row(c);
            out.row_mut(i).assign(&v);
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (k, d) = self.means.dim();
        if d == 0 {
            return Err("the model has no features".into());
        }
        if !self.means.iter().all(|v| v.is_finite()) {
            return Err("means must be finite".into());
        }
        let t = self.covariances.covariance_type();
        if self.precisions_cholesky.covariance_type() != t {
            return Err("covariances and precision factors have different covariance types".into());
        }
        if !self.covariances.check_shape(k, d) {
            return Err(format!(
                "covariances have shape {}, expected {}",
                self.covariances.shape_string(),
                expected_shape(t, k, d)
            ));
        }
        if !self.precisions_cholesky.check_shape(k, d) {
            return Err(format!(
                "precision factors have shape {}, expected {}",
                self.precisions_cholesky.shape_string(),
                expected_shape(t, k, d)
            ));
        }
        if !self.covariances.all_finite() {
            return Err("the covariances must be finite numbers".into());
        }
        if !self.precisions_cholesky.all_finite() {
            return Err("the precision Cholesky factors must be finite numbers".into());
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err("reg_covar must be finite and non-negative".into());
        }
        check_covariances_agree(&self.covariances, &self.precisions_cholesky, k, d)
    }
}

/// Relative tolerance of the checks of stored Gaussian parameters (a model file, or
/// [`GaussianComponents::from_parts`]): each covariance must be symmetric, and must agree with
/// the covariance implied by its stored precision Cholesky factor `U` (`Σ = (U Uᵀ)⁻¹`), entry
/// by entry to within `COVARIANCE_TOLERANCE · ‖Σ‖`, where `‖Σ‖` is the largest absolute entry
/// of the stored covariance. The factors written by genmodels (and scikit-learn) agree to
/// round-off, about `1e-16 · κ(Σ)` relative.
pub const COVARIANCE_TOLERANCE: f64 = 1e-6;

/// Checks that stored covariances are symmetric positive definite (a Cholesky factorisation,
/// by `faer`, succeeds), that the precision factors are upper triangular with a positive
/// diagonal, and that the two agree (see [`COVARIANCE_TOLERANCE`]). Shapes are already checked.
fn check_covariances_agree(
    cov: &CovarianceParams,
    pc: &CovarianceParams,
    k: usize,
    d: usize,
) -> std::result::Result<(), String> {
    let max_abs = |a: ArrayView2<'_, f64>| a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let full = |name: &str, s: ArrayView2<'_, f64>, u: ArrayView2<'_, f64>| {
        let norm = max_abs(s);
        for i in 0..d {
            for j in 0..i {
                if (s[[i, j]] - s[[j, i]]).abs() > COVARIANCE_TOLERANCE * norm {
                    return Err(format!(
                        "the covariance of {name} is not symmetric: entry ({i}, {j}) is {} but ({j}, {i}) is {}",
                        s[[i, j]],
                        s[[j, i]]
                    ));
                }
            }
        }
        if let Err(pivot) = crate::core::numerics::cholesky_lower(s.view()) {
            return Err(format!(
                "the covariance of {name} is not positive definite (its Cholesky factorisation fails at pivot {pivot}; diagonal entry {})",
                s[[pivot, pivot]]
            ));
        }
        let unorm = max_abs(u);
        for i in 0..d {
            if u[[i, i]] <= 0.0 {
                return Err(format!(
                    "the precision Cholesky factor of {name} has diagonal entry {i} = {}, not positive",
                    u[[i, i]]
                ));
            }
            for j in 0..i {
                if u[[i, j]].abs() > 1e-12 * unorm {
                    return Err(format!(
                        "the precision Cholesky factor of {name} is not upper triangular: entry ({i}, {j}) is {}",
                        u[[i, j]]
                    ));
                }
            }
        }
        let implied = covariance_from_precision_cholesky(u);
        let (mut worst, mut at) = (0.0f64, (0, 0));
        for ((i, j), v) in implied.indexed_iter() {
            let diff = (v - s[[i, j]]).abs();
            if diff > worst || diff.is_nan() {
                (worst, at) = (diff, (i, j));
            }
        }
        if worst > COVARIANCE_TOLERANCE * norm || worst.is_nan() {
            return Err(format!(
                "the covariance of {name} disagrees with its precision Cholesky factor: entry ({}, {}) is {} but the factor implies {} (tolerance {COVARIANCE_TOLERANCE:e} relative)",
                at.0,
                at.1,
                s[[at.0, at.1]],
                implied[[at.0, at.1]]
            ));
        }
        Ok(())
    };
    // One variance σ² and its stored factor u = 1/σ (both finite: checked by the caller).
    let scalar = |name: String, var: f64, u: f64| {
        if var <= 0.0 {
            return Err(format!("the variance of {name} is {var}, not positive"));
        }
        if u <= 0.0 {
            return Err(format!(
                "the precision Cholesky factor of {name} is {u}, not positive"
            ));
        }
        let implied = 1.0 / (u * u);
        let diff = (implied - var).abs();
        if diff > COVARIANCE_TOLERANCE * var || diff.is_nan() {
            return Err(format!(
                "the variance of {name} is {var} but its precision Cholesky factor {u} implies {implied} (tolerance {COVARIANCE_TOLERANCE:e} relative)"
            ));
        }
        Ok(())
    };
    match (cov, pc) {
        (CovarianceParams::Full(c), CovarianceParams::Full(u)) => (0..k).try_for_each(|comp| {
            full(
                &format!("component {comp}"),
                c.index_axis(Axis(0), comp),
                u.index_axis(Axis(0), comp),
            )
        }),
        (CovarianceParams::Tied(c), CovarianceParams::Tied(u)) => {
            full("the shared (tied) covariance", c.view(), u.view())
        }
        (CovarianceParams::Diag(c), CovarianceParams::Diag(u)) => (0..k).try_for_each(|comp| {
            (0..d).try_for_each(|j| {
                scalar(
                    format!("feature {j} in component {comp}"),
                    c[[comp, j]],
                    u[[comp, j]],
                )
            })
        }),
        (CovarianceParams::Spherical(c), CovarianceParams::Spherical(u)) => {
            (0..k).try_for_each(|comp| scalar(format!("component {comp}"), c[comp], u[comp]))
        }
        _ => Err("covariances and precision factors have different covariance types".into()),
    }
}

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
    em: EmSettings,
    covariance: CovarianceType,
    init: InitMethod,
    reg_covar: f64,
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

impl GaussianMixtureParams {
    /// Covariance type (default full).
    pub fn covariance(mut self, t: CovarianceType) -> Self {
        self.covariance = t;
        self
    }
    em_builder_methods!();

    /// Number of components.
    pub fn n_components(mut self, k: usize) -> Self {
        self.em.n_components = k;
        self
    }
    /// Initialisation method (default k-means).
    pub fn init(mut self, init: InitMethod) -> Self {
        self.init = init;
        self
    }
    /// Start from these parameters.
    pub fn init_params(mut self, p: InitParams) -> Self {
        self.init = InitMethod::Given(p);
        self
    }
    /// Start from an earlier fit of the same shape (scikit-learn's `warm_start`).
    pub fn warm_start(mut self, model: &GaussianMixture) -> Self {
        self.init = InitMethod::Warm(Box::new(model.clone()));
        self
    }
    /// Added to covariance diagonals (default 1e-6).
    pub fn reg_covar(mut self, r: f64) -> Self {
        self.reg_covar = r;
        self
    }

    /// The covariance type that will be fitted.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance
    }

    /// The number of components that will be fitted.
    pub fn components(&self) -> usize {
        self.em.n_components
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        check_gaussian_data(
            x,
            "fit needs complete rows; drop or impute rows with missing values first",
        )?;
        self.em.check_rows(x.nrows())?;
        let d_init = match &self.init {
            InitMethod::Given(p) => Some(p.means.ncols()),
            InitMethod::Warm(m) => Some(m.n_features()),
            _ => None,
        };
        if let Some(d) = d_init {
            if d != x.ncols() {
                return Err(DataError::Columns {
                    expected: d,
                    found: x.ncols(),
                    hint: "; the initial parameters were made for another number of features"
                        .into(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// The initial model of restart `run`, from the data `x` (the whole data, or the first
    /// chunk of a stream).
    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        w: Option<ArrayView1<'_, f64>>,
        run: usize,
    ) -> Result<GaussianMixture> {
        let (n, d) = x.dim();
        let k = self.em.n_components;
        let mut rng = self.em.rng(run);
        let reg = self.reg_covar;
        match &self.init {
            InitMethod::KMeans => {
                let km = kmeans(x, k, 300, 1e-4, &mut rng)?;
                let mut resp = Array2::zeros((n, k));
                for (i, &l) in km.labels.iter().enumerate() {
                    resp[[i, l]] = 1.0;
                }
                let (weights, comp) = GaussianComponents::from_responsibilities(
                    x,
                    resp.view(),
                    w,
                    self.covariance,
                    reg,
                )?;
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Random => {
                let mut resp = Array2::from_shape_fn((n, k), |_| rng.random::<f64>());
                for mut r in resp.outer_iter_mut() {
                    let s = r.sum();
                    r /= s;
                }
                let (weights, comp) = GaussianComponents::from_responsibilities(
                    x,
                    resp.view(),
                    w,
                    self.covariance,
                    reg,
                )?;
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::RandomFromData => {
                let idx = sample_indices(&mut rng, n, k);
                let mut means = Array2::zeros((k, d));
                for (r, i) in idx.iter().enumerate() {
                    means.row_mut(r).assign(&x.row(i));
                }
                let cov = global_covariance(x, self.covariance, k, reg);
                let comp = GaussianComponents::from_covariances(means, cov, reg)?;
                Ok(Mixture {
                    weights: Array1::from_elem(k, 1.0 / k as f64),
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Given(p) => {
                let weights = p
                    .weights
                    .clone()
                    .unwrap_or_else(|| Array1::from_elem(k, 1.0 / k as f64));
                let comp = match &p.precisions {
                    Some(pr) => {
                        GaussianComponents::from_precisions(p.means.clone(), pr.clone(), reg)?
                    }
                    None => GaussianComponents::from_covariances(
                        p.means.clone(),
                        global_covariance(x, self.covariance, k, reg),
                        reg,
                    )?,
                };
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Warm(m) => {
                let mut m = (**m).clone();
                m.components.reg_covar = reg;
                m.report = None;
                Ok(m)
            }
        }
    }

    /// Fits with optional per-row sample weights, reporting each iteration to `monitor`.
    pub fn fit_weighted(
        &self,
        x: ArrayView2<'_, f64>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        let p = self.checked()?;
        self.check_data(x)?;
        if let Some(w) = sample_weight {
            check_sample_weights(w, x.nrows())?;
        }
        let mut data = InMemory {
            x,
            w: sample_weight,
        };
        Self::fit_passes(p, x, sample_weight, &mut data, monitor)
    }

    /// EM from checked hyper-parameters: the one place a fit reads them.
    fn fit_passes<P: Passes>(
        p: Checked<&Self>,
        init_x: ArrayView2<'_, f64>,
        init_w: Option<ArrayView1<'_, f64>>,
        data: &mut P,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        let deterministic = matches!(p.init, InitMethod::Given(_) | InitMethod::Warm(_));
        let n_init = if deterministic { 1 } else { p.em.n_init };
        let mut model = best_of_runs(
            n_init,
            |run| p.initial(init_x, init_w, run),
            data,
            p.em.max_iter,
            p.em.tol,
            monitor,
        )?;
        let collapsed = model.components.collapsed_components();
        if let Some(r) = model.report.as_mut() {
            for c in collapsed {
                r.warnings.push(format!(
                    "component {c} collapsed onto repeated values (a variance below 2 × reg_covar): its likelihood is a spike, not a fit; try fewer components, another covariance type, or a larger reg_covar"
                ));
            }
        }
        if deterministic && p.em.n_init > 1 {
            if let Some(r) = model.report.as_mut() {
                r.warnings.push(
                    "n_init > 1 ignored: the start is given, so every restart would be identical"
                        .into(),
                );
            }
        }
        Ok(model)
    }

    /// Fits on data streamed in chunks: `make_chunks` is called once per EM iteration and must
    /// yield the same chunks each time. The initialisation uses the first chunk.
    pub fn fit_chunks<F, I>(
        &self,
        mut make_chunks: F,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture>
    where
        F: FnMut() -> I,
        I: Iterator<Item = Result<Array2<f64>>>,
    {
        let p = self.checked()?;
        let first = make_chunks().next().ok_or_else(|| DataError::Empty {
            what: "the chunk stream".into(),
        })??;
        self.check_data(first.view())?;
        let mut data = Streamed { make: make_chunks };
        Self::fit_passes(p, first.view(), None, &mut data, monitor)
    }
}

/// The whole data's covariance (+ reg) in the layout of a covariance type.
fn global_covariance(
    x: ArrayView2<'_, f64>,
    t: CovarianceType,
    k: usize,
    reg: f64,
) -> CovarianceParams {
    let (n, d) = x.dim();
    let mean = x.mean_axis(Axis(0)).expect("n >= 1");
    let diff = &x - &mean;
    let mut cov = diff.t().dot(&diff) / (n.max(2) - 1) as f64;
    for i in 0..d {
        cov[[i, i]] += reg.max(1e-12);
    }
    match t {
        CovarianceType::Full => {
            let mut a = Array3::zeros((k, d, d));
            for mut ak in a.outer_iter_mut() {
                ak.assign(&cov);
            }
            CovarianceParams::Full(a)
        }
        CovarianceType::Tied => CovarianceParams::Tied(cov),
        CovarianceType::Diag => {
            let diag = cov.diag().to_owned();
            CovarianceParams::Diag(Array2::from_shape_fn((k, d), |(_, j)| diag[j]))
        }
        CovarianceType::Spherical => {
            CovarianceParams::Spherical(Array1::from_elem(k, cov.diag().mean().unwrap_or(1.0)))
        }
    }
}

impl Fit<Array2<f64>> for GaussianMixtureParams {
    type Model = GaussianMixture;
    fn fit_with(&self, x: &Array2<f64>, monitor: &mut dyn Monitor) -> Result<GaussianMixture> {
        self.fit_weighted(x.view(), None, monitor)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>> for GaussianMixtureParams {
    type Model = GaussianMixture;
    fn fit_with(
        &self,
        x: &ArrayView2<'a, f64>,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        self.fit_weighted(*x, None, monitor)
    }
}

impl GaussianMixtureParams {
    /// Fits silently (a shorthand for [`Fit::fit`] on a view).
    pub fn fit_view(&self, x: ArrayView2<'_, f64>) -> Result<GaussianMixture> {
        self.fit_weighted(x, None, &mut Silent)
    }
}
