//! The EM steps of Gaussian components: sufficient statistics, densities (the E-step), the
//! M-step and sampling ([`Components`](crate::mixture::Components) for [`GaussianComponents`](super::GaussianComponents)).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayView2, Axis};
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

use super::components::*;
use super::covariance::*;
use super::validate::*;
use crate::core::data::check_gaussian_data;
use crate::core::numerics::{center_sumsq, column_sums, gemm, lower_triangular_inverse, LN_2PI};
use crate::core::{Result, SufficientStats};
use crate::mixture::model::Components;

/// Responsibility-weighted sums about a fixed reference point per component (the means at
/// the start of the iteration), which keeps the covariance update as accurate as the
/// two-pass formula while staying mergeable across chunks.
#[derive(Debug, Clone)]
pub struct GaussianStats {
    pub(super) centers: Array2<f64>,
    pub(super) s1: Array2<f64>,
    pub(super) s2: S2,
}

#[derive(Debug, Clone)]
pub(super) enum S2 {
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
