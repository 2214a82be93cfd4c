//! Stable numerics: log-sum-exp, Cholesky factors (through `faer`), Gaussian log-densities.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};

/// ln(2π).
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// log Σ exp(x), stable for any finite input; −∞ for an empty slice or all −∞.
pub fn logsumexp(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return m;
    }
    if m == f64::INFINITY {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// Row-wise log-sum-exp of a matrix, then subtracts it from each row in place (so each row
/// becomes normalised log-probabilities). Returns the row log-sum-exps.
pub fn normalize_log_rows(mut a: ArrayViewMut2<'_, f64>) -> Array1<f64> {
    let mut out = Array1::zeros(a.nrows());
    for (mut row, o) in a.axis_iter_mut(Axis(0)).zip(out.iter_mut()) {
        let lse = logsumexp(
            row.as_slice()
                .expect("rows of a standard-layout array are contiguous"),
        );
        row.mapv_inplace(|v| v - lse);
        *o = lse;
    }
    out
}

/// Row-wise log-sum-exp without modifying the input.
pub fn logsumexp_rows(a: ArrayView2<'_, f64>) -> Array1<f64> {
    a.axis_iter(Axis(0))
        .map(|row| {
            let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return m;
            }
            m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
        })
        .collect()
}

fn to_faer(a: ArrayView2<'_, f64>) -> faer::Mat<f64> {
    faer::Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn from_faer(m: faer::MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Lower Cholesky factor `L` of a symmetric positive-definite matrix (`a = L Lᵀ`).
///
/// Returns the 0-based index of the first non-positive pivot on failure.
pub fn cholesky_lower(a: ArrayView2<'_, f64>) -> Result<Array2<f64>, usize> {
    let m = to_faer(a);
    match m.llt(faer::Side::Lower) {
        Ok(llt) => Ok(from_faer(llt.L())),
        Err(faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index }) => {
            Err(index)
        }
    }
}

/// Inverse of a lower-triangular matrix with a non-zero diagonal.
pub fn lower_triangular_inverse(l: ArrayView2<'_, f64>) -> Array2<f64> {
    let lf = to_faer(l);
    let mut rhs = faer::Mat::<f64>::identity(l.nrows(), l.nrows());
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
        lf.as_ref(),
        rhs.as_mut(),
        faer::Par::Seq,
    );
    from_faer(rhs.as_ref())
}

/// The upper-triangular "precision Cholesky" factor `U` of a covariance `Σ`, such that
/// `Σ⁻¹ = U Uᵀ`, in scikit-learn's convention (`U = (L⁻¹)ᵀ` with `Σ = L Lᵀ`).
pub fn precision_cholesky_from_covariance(cov: ArrayView2<'_, f64>) -> Result<Array2<f64>, usize> {
    let l = cholesky_lower(cov)?;
    Ok(lower_triangular_inverse(l.view()).reversed_axes())
}

/// `Σ` from its precision Cholesky factor `U` (`Σ = (U Uᵀ)⁻¹`).
pub fn covariance_from_precision_cholesky(u: ArrayView2<'_, f64>) -> Array2<f64> {
    // U = L⁻ᵀ, so Uᵀ = L⁻¹ (lower triangular) and L = (Uᵀ)⁻¹.
    let ut = u.t().to_owned();
    let l = lower_triangular_inverse(ut.view());
    l.dot(&l.t())
}

/// The precision Cholesky factor `U` (upper) of a precision matrix `P = U Uᵀ`, as scikit-learn
/// derives it from `precisions_init`.
pub fn precision_cholesky_from_precision(p: ArrayView2<'_, f64>) -> Result<Array2<f64>, usize> {
    // sklearn: U = chol(P[::-1, ::-1], lower)[::-1, ::-1]ᵀ ... equivalently the inverse-of-
    // covariance route. Going through the covariance keeps a single code path.
    let lp = cholesky_lower(p)?;
    // Σ = P⁻¹ = L_p⁻ᵀ L_p⁻¹; its Cholesky is not L_p⁻ᵀ (upper), so factor Σ itself.
    let lpi = lower_triangular_inverse(lp.view());
    let cov = lpi.t().dot(&lpi);
    let cov = symmetrize(cov);
    precision_cholesky_from_covariance(cov.view())
}

/// Averages a matrix with its transpose, removing round-off asymmetry.
pub fn symmetrize(mut a: Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (a[[i, j]] + a[[j, i]]);
            a[[i, j]] = v;
            a[[j, i]] = v;
        }
    }
    a
}

/// Sum of the logs of a square matrix's diagonal.
pub fn log_det_triangular(a: ArrayView2<'_, f64>) -> f64 {
    a.diag().iter().map(|v| v.ln()).sum()
}

/// Log-density of a multivariate normal with mean `mean` and precision Cholesky factor `u`
/// for each row of `x`: `-½(d ln2π + ‖(x-μ)U‖²) + ln|U|`.
pub fn gaussian_log_density(
    x: ArrayView2<'_, f64>,
    mean: ArrayView1<'_, f64>,
    u: ArrayView2<'_, f64>,
) -> Array1<f64> {
    let d = x.ncols() as f64;
    let log_det = log_det_triangular(u);
    let diff = &x - &mean;
    let y = diff.dot(&u);
    y.map_axis(Axis(1), |r| -0.5 * (d * LN_2PI + r.dot(&r)) + log_det)
}

/// `dst = a·b` (or `dst += a·b` when `accumulate`), through faer's matrix product, which is
/// markedly faster than ndarray's for the tall-skinny shapes of EM (SIMD kernels up to
/// AVX-512). Single-threaded: callers parallelise over row chunks.
pub fn gemm(
    dst: ndarray::ArrayViewMut2<'_, f64>,
    accumulate: bool,
    a: ArrayView2<'_, f64>,
    b: ArrayView2<'_, f64>,
) {
    gemm_par(dst, accumulate, a, b, 1.0, faer::Par::Seq);
}

/// `dst = α·a·b` (or `dst += α·a·b` when `accumulate`) for any of faer's element types, on
/// `par` threads. The views may have any strides (a transposed view `x.t()` is free).
pub fn gemm_par<T: faer::traits::ComplexField>(
    mut dst: ndarray::ArrayViewMut2<'_, T>,
    accumulate: bool,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    alpha: T,
    par: faer::Par,
) {
    assert_eq!(a.ncols(), b.nrows(), "gemm: inner dimensions");
    assert_eq!(
        (dst.nrows(), dst.ncols()),
        (a.nrows(), b.ncols()),
        "gemm: output shape"
    );
    // SAFETY: the views come from live ndarray views with the stated shapes and strides, and
    // `dst` is borrowed mutably for the whole call, so it aliases neither input.
    let (fa, fb, fd) = unsafe {
        (
            faer::MatRef::from_raw_parts(
                a.as_ptr(),
                a.nrows(),
                a.ncols(),
                a.strides()[0],
                a.strides()[1],
            ),
            faer::MatRef::from_raw_parts(
                b.as_ptr(),
                b.nrows(),
                b.ncols(),
                b.strides()[0],
                b.strides()[1],
            ),
            faer::MatMut::from_raw_parts_mut(
                dst.as_mut_ptr(),
                dst.nrows(),
                dst.ncols(),
                dst.strides()[0],
                dst.strides()[1],
            ),
        )
    };
    let beta = if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    };
    faer::linalg::matmul::matmul(fd, beta, fa, fb, alpha, par);
}

/// Turns each row of log-weights into probabilities in place (a stable softmax) and returns the
/// row log-sum-exps: one pass per row instead of normalise-then-exponentiate.
pub fn softmax_rows(mut a: ArrayViewMut2<'_, f64>) -> Array1<f64> {
    let mut out = Array1::zeros(a.nrows());
    for (mut row, o) in a.axis_iter_mut(Axis(0)).zip(out.iter_mut()) {
        let row = row
            .as_slice_mut()
            .expect("rows of a standard-layout array are contiguous");
        let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !m.is_finite() {
            // All −∞ (or a NaN/+∞): no probability can be assigned; the caller checks the sum.
            *o = m;
            row.fill(if m == f64::NEG_INFINITY {
                0.0
            } else {
                f64::NAN
            });
            continue;
        }
        let mut sum = 0.0;
        for v in row.iter_mut() {
            let z = *v - m;
            // exp underflows to 0 below −745; skip glibc's slow path for those.
            let e = if z < -745.0 { 0.0 } else { z.exp() };
            *v = e;
            sum += e;
        }
        let inv = 1.0 / sum;
        for v in row.iter_mut() {
            *v *= inv;
        }
        *o = m + sum.ln();
    }
    out
}

/// Column sums of a standard-layout matrix, row by row (cache-friendly for short rows).
pub fn column_sums(a: ArrayView2<'_, f64>) -> Array1<f64> {
    let mut out = vec![0.0; a.ncols()];
    for row in a.outer_iter() {
        match row.as_slice() {
            Some(r) => out.iter_mut().zip(r).for_each(|(o, v)| *o += v),
            None => out.iter_mut().zip(row.iter()).for_each(|(o, v)| *o += v),
        }
    }
    Array1::from(out)
}

/// `Σ_j (y_j − s_j)²` after replacing `y_j` by `y_j − s_j`, with four independent
/// accumulators so the compiler can vectorise the reduction.
#[inline]
pub fn center_sumsq(y: &mut [f64], s: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut yc = y.chunks_exact_mut(4);
    let mut sc = s.chunks_exact(4);
    for (yb, sb) in (&mut yc).zip(&mut sc) {
        for l in 0..4 {
            let v = yb[l] - sb[l];
            yb[l] = v;
            acc[l] += v * v;
        }
    }
    let mut tail = 0.0;
    for (yv, sv) in yc.into_remainder().iter_mut().zip(sc.remainder()) {
        let v = *yv - sv;
        *yv = v;
        tail += v * v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    #[test]
    fn logsumexp_is_stable() {
        assert_relative_eq!(
            logsumexp(&[1000.0, 1000.0]),
            1000.0 + 2f64.ln(),
            epsilon = 1e-12
        );
        assert_relative_eq!(
            logsumexp(&[-1000.0, -1000.0]),
            -1000.0 + 2f64.ln(),
            epsilon = 1e-12
        );
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
        assert_eq!(
            logsumexp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn precision_cholesky_round_trips() {
        let cov = array![[4.0, 1.2, 0.3], [1.2, 2.0, -0.4], [0.3, -0.4, 1.5]];
        let u = precision_cholesky_from_covariance(cov.view()).unwrap();
        // U is upper triangular and U Uᵀ Σ = I.
        assert_eq!(u[[1, 0]], 0.0);
        let p = u.dot(&u.t());
        let id = p.dot(&cov);
        for i in 0..3 {
            for j in 0..3 {
                assert_relative_eq!(id[[i, j]], if i == j { 1.0 } else { 0.0 }, epsilon = 1e-12);
            }
        }
        let back = covariance_from_precision_cholesky(u.view());
        for (a, b) in back.iter().zip(cov.iter()) {
            assert_relative_eq!(a, b, epsilon = 1e-12);
        }
        let u2 = precision_cholesky_from_precision(p.view()).unwrap();
        for (a, b) in u2.iter().zip(u.iter()) {
            assert_relative_eq!(a, b, epsilon = 1e-10);
        }
    }

    #[test]
    fn not_positive_definite_is_reported() {
        let cov = array![[1.0, 2.0], [2.0, 1.0]];
        assert_eq!(precision_cholesky_from_covariance(cov.view()), Err(1));
    }

    #[test]
    fn gaussian_density_matches_closed_form_1d() {
        let x = array![[0.5], [-1.0]];
        let u = array![[0.5]]; // σ = 2
        let ll = gaussian_log_density(x.view(), array![0.0].view(), u.view());
        let expect = |v: f64| -0.5 * LN_2PI - 2f64.ln() - v * v / 8.0;
        assert_relative_eq!(ll[0], expect(0.5), epsilon = 1e-14);
        assert_relative_eq!(ll[1], expect(-1.0), epsilon = 1e-14);
    }

    #[test]
    fn softmax_rows_normalises_and_returns_logsumexp() {
        let mut a = array![
            [0.0, (2f64).ln()],
            [-1000.0, -1000.0],
            [f64::NEG_INFINITY, 0.0]
        ];
        let lse = softmax_rows(a.view_mut());
        assert_relative_eq!(lse[0], 3f64.ln(), epsilon = 1e-14);
        assert_relative_eq!(a[[0, 1]], 2.0 / 3.0, epsilon = 1e-14);
        assert_relative_eq!(lse[1], -1000.0 + 2f64.ln(), epsilon = 1e-12);
        assert_eq!(a.row(1).to_vec(), vec![0.5, 0.5]);
        assert_eq!(a.row(2).to_vec(), vec![0.0, 1.0]);
    }

    #[test]
    fn center_sumsq_matches_the_plain_loop() {
        for n in [0, 1, 3, 4, 5, 16, 17] {
            let mut y: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 - 2.0).collect();
            let s: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
            let expect: f64 = y.iter().zip(&s).map(|(a, b)| (a - b) * (a - b)).sum();
            let centred: Vec<f64> = y.iter().zip(&s).map(|(a, b)| a - b).collect();
            let q = center_sumsq(&mut y, &s);
            assert_relative_eq!(q, expect, epsilon = 1e-12);
            assert_eq!(y, centred);
        }
    }

    #[test]
    fn gemm_matches_ndarray_on_strided_views() {
        let a = Array2::from_shape_fn((7, 5), |(i, j)| (i * 5 + j) as f64 * 0.1);
        let b = Array2::from_shape_fn((3, 5), |(i, j)| (i + 2 * j) as f64 - 1.0);
        let mut c = Array2::from_elem((7, 3), 1.0);
        gemm(c.view_mut(), true, a.view(), b.t());
        let expect = a.dot(&b.t()) + 1.0;
        for (x, y) in c.iter().zip(expect.iter()) {
            assert_relative_eq!(x, y, epsilon = 1e-12);
        }
        gemm(c.view_mut(), false, a.view(), b.t());
        for (x, y) in c.iter().zip(expect.iter()) {
            assert_relative_eq!(*x, y - 1.0, epsilon = 1e-12);
        }
    }
}
