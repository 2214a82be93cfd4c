//! Checks of stored Gaussian parameters (model files, `from_parts`): symmetric, positive
//! definite covariances that agree with their precision Cholesky factors.

use ndarray::{ArrayView2, Axis};

use super::covariance::*;
use crate::core::numerics::covariance_from_precision_cholesky;

/// Relative tolerance of the checks of stored Gaussian parameters (a model file, or
/// [`GaussianComponents::from_parts`](super::GaussianComponents::from_parts)): each covariance must be symmetric, and must agree with
/// the covariance implied by its stored precision Cholesky factor `U` (`Σ = (U Uᵀ)⁻¹`), entry
/// by entry to within `COVARIANCE_TOLERANCE · ‖Σ‖`, where `‖Σ‖` is the largest absolute entry
/// of the stored covariance. The factors written by genmodels (and scikit-learn) agree to
/// round-off, about `1e-16 · κ(Σ)` relative.
pub const COVARIANCE_TOLERANCE: f64 = 1e-6;

/// Checks that stored covariances are symmetric positive definite (a Cholesky factorisation,
/// by `faer`, succeeds), that the precision factors are upper triangular with a positive
/// diagonal, and that the two agree (see [`COVARIANCE_TOLERANCE`]). Shapes are already checked.
pub(super) fn check_covariances_agree(
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
