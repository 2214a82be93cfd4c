//! [`GaussianComponents`]: K Gaussians' means, covariances and precision factors, with the
//! products derived from them once per parameter set; and the [`GaussianMixture`] alias.

use ndarray::{s, Array1, Array2, Array3, ArrayView1, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

use super::covariance::*;
use super::em_step::*;
use crate::core::numerics::{
    lower_triangular_inverse, precision_cholesky_from_precision, symmetrize,
};
use crate::core::{DataError, NumericalError, ParamError, Result};
use crate::mixture::model::{Components, Mixture};

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
    pub(super) whitening_cache: WhiteningCache,
}

/// For full and tied covariances: `[U_1 … U_K]`, `[μ_1 U_1 … μ_K U_K]` and each `U_k⁻¹`.
#[derive(Debug, Clone)]
pub(super) struct Whitening {
    pub(super) ucat: Array2<f64>,
    pub(super) shift: Array1<f64>,
    pub(super) uinv: Vec<Array2<f64>>,
}

/// For diagonal and spherical covariances, about a reference point `c` (the mean of the
/// means, so the expanded squares below do not cancel for data far from the origin):
/// `p²` (K×d), `−2 (μ−c)∘p²` and `Σ_j (μ−c)² p²`, so that the squared Mahalanobis distances of a
/// chunk are two matrix products, `(x−c)²·p²ᵀ − 2 (x−c)·((μ−c)∘p²)ᵀ + const`.
#[derive(Debug, Clone)]
pub(super) struct DiagTerms {
    pub(super) center: Array1<f64>,
    pub(super) p2: Array2<f64>,
    pub(super) m2p2: Array2<f64>,
    pub(super) konst: Array1<f64>,
}

/// Products derived from the parameters once, then shared by every chunk of an E-step.
#[derive(Debug, Clone)]
pub(super) enum Derived {
    Whitened(Whitening),
    Diagonal(DiagTerms),
}

/// A lazily filled cache that never affects equality (two models with the same parameters are
/// equal whether or not one of them has been used).
#[derive(Debug, Clone, Default)]
pub(super) struct WhiteningCache(pub(super) std::sync::OnceLock<Derived>);

/// What the Gaussian E-step keeps for the statistics of the same chunk: whitened residuals
/// (full, tied) or the centred data and its squares (diag, spherical).
#[derive(Debug)]
pub struct GaussianScratch(pub(super) ScratchKind);

#[derive(Debug)]
pub(super) enum ScratchKind {
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

    pub(super) fn derived(&self) -> &Derived {
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
    pub(super) fn log_det_chol(&self) -> Array1<f64> {
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
    pub(super) fn from_responsibilities(
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

    pub(super) fn m_step_inner(
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
