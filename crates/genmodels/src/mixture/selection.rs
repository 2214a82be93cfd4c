//! Model selection: fit every number of components (and covariance type) in a grid and pick
//! by BIC or AIC, keeping the whole table.

use std::str::FromStr;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::gaussian::{CovarianceType, GaussianMixture, GaussianMixtureParams};
use crate::core::{Monitor, ParamError, Result};

/// Which information criterion chooses the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Bayesian information criterion: `−2 ln L + p ln n`.
    #[default]
    Bic,
    /// Akaike information criterion: `−2 ln L + 2p`.
    Aic,
}

impl FromStr for Criterion {
    type Err = ParamError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamError> {
        match s.to_ascii_lowercase().as_str() {
            "bic" => Ok(Self::Bic),
            "aic" => Ok(Self::Aic),
            _ => Err(ParamError::invalid("criterion", s, "bic or aic")),
        }
    }
}

/// One candidate of a model selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionRow {
    /// Number of components.
    pub n_components: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// Mean log-likelihood per row of the fitted candidate (NaN when it failed).
    #[serde(with = "crate::core::serde_nan")]
    pub log_likelihood: f64,
    /// Its BIC.
    #[serde(with = "crate::core::serde_nan")]
    pub bic: f64,
    /// Its AIC.
    #[serde(with = "crate::core::serde_nan")]
    pub aic: f64,
    /// Free parameters.
    pub n_parameters: usize,
    /// Whether EM converged.
    pub converged: bool,
    /// Whether a component collapsed onto repeated values (see
    /// [`GaussianComponents::collapsed_components`](super::GaussianComponents::collapsed_components));
    /// such candidates are not chosen while any other candidate is usable.
    #[serde(default)]
    pub collapsed: bool,
    /// Why the candidate could not be fitted, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of a model selection: the chosen model (its report carries the table too).
#[derive(Debug, Clone)]
pub struct Selection {
    /// The chosen model.
    pub best: GaussianMixture,
    /// Every candidate, in the order fitted.
    pub table: Vec<SelectionRow>,
    /// Index of the chosen candidate in `table`.
    pub best_index: usize,
}

/// Fits `base` with every number of components in `ks` and every covariance type in
/// `covariance_types`, and returns the candidate with the lowest criterion.
///
/// Candidates that cannot be fitted (e.g. more components than rows) are kept in the table
/// with their error; the selection fails only if no candidate could be fitted. Candidates with
/// a collapsed component (a likelihood spike on repeated values, which would win any
/// likelihood-based criterion) are marked and passed over unless every candidate collapsed.
pub fn select_gaussian_mixture(
    base: &GaussianMixtureParams,
    ks: &[usize],
    covariance_types: &[CovarianceType],
    criterion: Criterion,
    x: ArrayView2<'_, f64>,
    monitor: &mut dyn Monitor,
) -> Result<Selection> {
    if ks.is_empty() || covariance_types.is_empty() {
        return Err(ParamError::invalid(
            "components",
            "[]",
            "at least one number of components and one covariance type",
        )
        .into());
    }
    let mut table = Vec::new();
    let mut best: Option<((bool, f64), usize, GaussianMixture)> = None;
    let mut first_err = None;
    for &t in covariance_types {
        for &k in ks {
            let params = base.clone().n_components(k).covariance(t);
            match params.fit_weighted(x, None, monitor) {
                Ok(m) => {
                    let c = m.criteria(x)?;
                    let (bic, aic) = (c.bic(), c.aic());
                    let row = SelectionRow {
                        n_components: k,
                        covariance_type: t,
                        log_likelihood: c.mean_log_likelihood(),
                        bic,
                        aic,
                        n_parameters: c.n_parameters,
                        converged: m.report.as_ref().is_some_and(|r| r.converged),
                        collapsed: !m.components.collapsed_components().is_empty(),
                        error: None,
                    };
                    let value = match criterion {
                        Criterion::Bic => bic,
                        Criterion::Aic => aic,
                    };
                    // Usable candidates first, then the lowest criterion.
                    let key = (row.collapsed, value);
                    if best
                        .as_ref()
                        .is_none_or(|b| (!key.0 && b.0 .0) || (key.0 == b.0 .0 && key.1 < b.0 .1))
                    {
                        best = Some((key, table.len(), m));
                    }
                    table.push(row);
                }
                Err(
                    e @ (crate::core::Error::Param(_)
                    | crate::core::Error::Read(_)
                    | crate::core::Error::ModelFile(_)
                    | crate::core::Error::Data(
                        crate::core::DataError::NonFinite { .. }
                        | crate::core::DataError::Empty { .. }
                        | crate::core::DataError::Columns { .. },
                    )),
                ) => return Err(e),
                Err(e) => {
                    table.push(SelectionRow {
                        n_components: k,
                        covariance_type: t,
                        log_likelihood: f64::NAN,
                        bic: f64::NAN,
                        aic: f64::NAN,
                        n_parameters: 0,
                        converged: false,
                        collapsed: false,
                        error: Some(e.to_string()),
                    });
                    first_err.get_or_insert(e);
                }
            }
        }
    }
    let Some((_, best_index, mut best)) = best else {
        return Err(first_err.expect("no candidate fitted, so one failed"));
    };
    if let Some(r) = best.report.as_mut() {
        r.selection = Some(table.clone());
    }
    Ok(Selection {
        best,
        table,
        best_index,
    })
}
