//! How each emission family starts a fresh Baum-Welch fit.

use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;

use super::fit::EmissionInit;
use crate::core::data::check_gaussian_data;
use crate::core::{DataError, ParamError, Result, SeededRng};
use crate::mixture::{
    kmeans, CategoricalComponents, Components, CovarianceType, GaussianComponents,
    MultinomialComponents, PoissonComponents,
};

/// Gaussian emissions started from a k-means clustering of all observations (each state gets a
/// cluster's mean and covariance), as hmmlearn does.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianInit {
    /// Covariance type of the emissions.
    pub covariance: CovarianceType,
    /// Added to covariance diagonals at each M-step (a floor that is actually applied).
    pub reg_covar: f64,
}

impl GaussianInit {
    /// Full covariances, `reg_covar` 1e-6.
    pub fn new(covariance: CovarianceType) -> Self {
        GaussianInit {
            covariance,
            reg_covar: 1e-6,
        }
    }
}

impl EmissionInit for GaussianInit {
    type Emission = GaussianComponents;

    fn check(&self) -> std::result::Result<(), ParamError> {
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(ParamError::invalid(
                "reg_covar",
                self.reg_covar,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        Ok(check_gaussian_data(x, "HMM observations must be complete")?)
    }

    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<GaussianComponents> {
        let km = kmeans(x, n_states, 300, 1e-4, rng)?;
        let mut resp = Array2::zeros((x.nrows(), n_states));
        for (i, &l) in km.labels.iter().enumerate() {
            resp[[i, l]] = 1.0;
        }
        GaussianComponents::estimate_from_responsibilities(
            x,
            resp.view(),
            self.covariance,
            self.reg_covar,
        )
    }
}

/// Categorical emissions over `n_symbols` symbols, started from random distributions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoricalInit {
    /// Vocabulary size; `None` takes the largest code in the data plus one.
    pub n_symbols: Option<usize>,
}

impl EmissionInit for CategoricalInit {
    type Emission = CategoricalComponents;

    fn check(&self) -> std::result::Result<(), ParamError> {
        if self.n_symbols == Some(0) {
            return Err(ParamError::invalid("n_symbols", "0", "at least 1 symbol"));
        }
        Ok(())
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        // The vocabulary comes from the data (the largest code) or the caller: checked before
        // a table that wide is allocated.
        let seen = symbols(x)?;
        crate::core::memory::check_memory(
            &format!("a categorical emission over {seen} symbols"),
            crate::core::memory::bytes_for(&[seen], 8),
        )?;
        let v = self.n_symbols.unwrap_or(usize::MAX);
        CategoricalComponents {
            probs: Array2::from_elem((1, v.min(1 << 20).max(seen)), 0.0),
        }
        .check_data(x)
    }

    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<CategoricalComponents> {
        let v = self.n_symbols.unwrap_or(symbols(x)?);
        // The table, its expected counts and a thread's share of them.
        crate::core::memory::check_memory(
            &format!("{n_states} states over {v} symbols"),
            crate::core::memory::bytes_for(&[n_states, v], 3 * 8),
        )?;
        let probs = random_distributions(n_states, v, rng);
        Ok(CategoricalComponents { probs })
    }
}

fn symbols(x: ArrayView2<'_, f64>) -> Result<usize> {
    crate::core::data::check_not_empty(x)?;
    if x.ncols() != 1 {
        return Err(DataError::Columns {
            expected: 1,
            found: x.ncols(),
            hint: "; categorical observations are one column of symbol codes".into(),
        }
        .into());
    }
    let m = x.iter().copied().fold(0.0f64, f64::max);
    Ok(if m.is_finite() && m >= 0.0 {
        m as usize + 1
    } else {
        1
    })
}

/// Poisson emissions started near the data's mean counts, perturbed per state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PoissonInit;

impl EmissionInit for PoissonInit {
    type Emission = PoissonComponents;

    fn check(&self) -> std::result::Result<(), ParamError> {
        Ok(())
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        PoissonComponents {
            rates: Array2::ones((1, x.ncols().max(1))),
        }
        .check_data(x)
    }

    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<PoissonComponents> {
        let mean = x.mean_axis(Axis(0)).ok_or_else(|| DataError::Empty {
            what: "the data".into(),
        })?;
        let rates = Array2::from_shape_fn((n_states, x.ncols()), |(_, j)| {
            (mean[j] * (0.5 + rng.random::<f64>())).max(1e-3)
        });
        Ok(PoissonComponents { rates })
    }
}

/// Multinomial emissions (count vectors over `V` categories, `n_trials` per step), started
/// from random distributions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultinomialInit {
    /// Trials per observation; `None` takes the first row's total.
    pub n_trials: Option<usize>,
}

impl EmissionInit for MultinomialInit {
    type Emission = MultinomialComponents;

    fn check(&self) -> std::result::Result<(), ParamError> {
        Ok(())
    }

    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        PoissonInit.check_data(x)
    }

    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<MultinomialComponents> {
        let n_trials = self.n_trials.unwrap_or_else(|| x.row(0).sum() as usize);
        let probs = random_distributions(n_states, x.ncols(), rng);
        Ok(MultinomialComponents { probs, n_trials })
    }
}

/// `k` random distributions over `v` outcomes, each entry drawn in [0.5, 1.5) before
/// normalising: far from certain and far from uniform.
fn random_distributions(k: usize, v: usize, rng: &mut SeededRng) -> Array2<f64> {
    let mut probs = Array2::from_shape_fn((k, v), |_| 0.5 + rng.random::<f64>());
    for mut r in probs.outer_iter_mut() {
        let s = r.sum();
        r /= s;
    }
    probs
}
