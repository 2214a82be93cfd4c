//! Parameter learning for a given structure from complete data: maximum likelihood or the
//! posterior mean under a Dirichlet prior.
//!
//! With `N_jk` the rows where the parents are in configuration `j` and the child in state `k`,
//! `N_j = Σ_k N_jk`, `r` the child's states and `q` its parents' configurations:
//!
//! * [`Estimator::Mle`]: `θ_jk = N_jk / N_j`. A configuration never seen (`N_j = 0`) gets the
//!   uniform row `1/r`, as pgmpy's `MaximumLikelihoodEstimator` does
//!   (`state_counts.loc[:, (state_counts == 0).all()] = 1` in `pgmpy/estimators/MLE.py`). A
//!   state never seen in a seen configuration gets probability 0.
//! * [`Estimator::Bayes`]: `θ_jk = (N_jk + a) / (N_j + r a)` with the pseudo-count `a` of the
//!   [`Prior`]: `ess / (q r)` for BDeu (pgmpy's `BayesianEstimator(prior_type="BDeu")`), 1 for
//!   K2, `alpha` for a symmetric Dirichlet. Unseen states and configurations keep the prior's
//!   mass; an unseen configuration gets the uniform row.
//!
//! ```
//! use genmodels::bayesnet::{DiscreteData, Variable};
//! use genmodels::bayesnet::learn::{fit_parameters, Dag, Estimator, Prior};
//! # fn main() -> genmodels::core::Result<()> {
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! let data = DiscreteData::new(
//!     s(&["rain", "wet"]),
//!     vec![s(&["no", "yes"]), s(&["no", "yes"])],
//!     vec![vec![1, 1, 1, 0], vec![1, 1, 0, 0]],
//! )?;
//! let variables = vec![
//!     Variable::new("rain", &["yes", "no"]), // any state order: data are matched by name
//!     Variable::new("wet", &["yes", "no"]),
//! ];
//! let dag = Dag::from_edges(2, &[(0, 1)])?;
//! let net = fit_parameters(&variables, &dag, &data, Estimator::Mle)?;
//! // P(wet = yes | rain = yes) = 2 / 3
//! assert!((net.cpt(1).values[0] - 2.0 / 3.0).abs() < 1e-12);
//! let smooth = fit_parameters(&variables, &dag, &data, Estimator::Bayes(Prior::K2))?;
//! assert!((smooth.cpt(1).values[0] - 3.0 / 5.0).abs() < 1e-12);
//! # Ok(()) }
//! ```

use crate::core::ParamGuard;
use std::borrow::Cow;

use rayon::prelude::*;

use super::counts::{check_complete, cpt_counts};
use super::dag::Dag;
use crate::bayesnet::data::DiscreteData;
use crate::bayesnet::network::{BayesNet, Cpt, Variable, MAX_TABLE_ENTRIES};
use crate::core::{NetworkError, ParamError, Result};

/// A symmetric Dirichlet prior on every CPT row, given by its pseudo-count per cell.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "prior", rename_all = "snake_case")]
pub enum Prior {
    /// BDeu: `ess / (q r)` per cell, so `ess` pseudo-rows spread over the whole family.
    BDeu {
        /// The equivalent sample size (> 0).
        ess: f64,
    },
    /// K2: one per cell (Laplace smoothing).
    K2,
    /// `alpha` per cell.
    Dirichlet {
        /// The pseudo-count (> 0).
        alpha: f64,
    },
}

/// How CPT rows are estimated from counts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "estimator", rename_all = "snake_case")]
pub enum Estimator {
    /// Relative frequencies; uniform rows for unseen parent configurations.
    Mle,
    /// The posterior mean under a Dirichlet prior.
    Bayes(Prior),
}

impl ParamGuard for Estimator {
    /// Rejects a prior whose pseudo-counts are not finite and positive.
    fn check(&self) -> std::result::Result<(), ParamError> {
        let bad = |name, v: f64| Err(ParamError::invalid(name, v, "a finite number > 0"));
        match *self {
            Estimator::Bayes(Prior::BDeu { ess }) if !(ess.is_finite() && ess > 0.0) => {
                bad("ess", ess)
            }
            Estimator::Bayes(Prior::Dirichlet { alpha }) if !(alpha.is_finite() && alpha > 0.0) => {
                bad("alpha", alpha)
            }
            _ => Ok(()),
        }
    }
}

impl Estimator {
    /// The CPT values from (possibly fractional, e.g. expected) counts laid out like a CPT:
    /// `counts[j * r + k]` for configuration `j` and child state `k`, `r` states. Each row is
    /// estimated as described in the [module documentation](self). Assumes a checked
    /// estimator, `r > 0` and a length that is a multiple of `r`.
    pub fn cpt_from_counts(&self, counts: &[f64], r: usize) -> Vec<f64> {
        let r = r.max(1);
        let q = counts.len() / r;
        let a = match *self {
            Estimator::Mle => 0.0,
            Estimator::Bayes(Prior::BDeu { ess }) => ess / (q.max(1) as f64 * r as f64),
            Estimator::Bayes(Prior::K2) => 1.0,
            Estimator::Bayes(Prior::Dirichlet { alpha }) => alpha,
        };
        let mut out = Vec::with_capacity(counts.len());
        for row in counts.chunks_exact(r) {
            let nj: f64 = row.iter().sum::<f64>() + a * r as f64;
            if nj > 0.0 {
                out.extend(row.iter().map(|&c| (c + a) / nj));
            } else {
                out.extend(std::iter::repeat_n(1.0 / r as f64, r));
            }
        }
        out
    }
}

/// The variables of a data table: its column names and state lists.
pub fn data_variables(data: &DiscreteData) -> Vec<Variable> {
    data.names
        .iter()
        .zip(&data.states)
        .map(|(name, states)| Variable {
            name: name.clone(),
            states: states.clone(),
        })
        .collect()
}

/// Fits the CPTs of `dag` (node `i` is `variables[i]`) to complete data and returns the
/// network. The data's columns are matched to the variables by name and their values to the
/// states by name (any order); a column the variables lack, a variable without a column or a
/// value that is not a state of its variable is an error, as are missing cells (use EM), empty
/// data, an invalid prior and a table above [`MAX_TABLE_ENTRIES`]. The parents keep the
/// graph's order, which fixes each table's layout.
pub fn fit_parameters(
    variables: &[Variable],
    dag: &Dag,
    data: &DiscreteData,
    estimator: Estimator,
) -> Result<BayesNet> {
    estimator.check()?;
    if dag.n_nodes() != variables.len() {
        return Err(NetworkError::Other(format!(
            "the graph has {} nodes but {} variables were given: they must match",
            dag.n_nodes(),
            variables.len()
        ))
        .into());
    }
    // Validates the variables (names, states) once, with the network's messages.
    let skeleton = BayesNet::new(
        variables.to_vec(),
        variables
            .iter()
            .map(|v| Cpt {
                parents: Vec::new(),
                values: vec![1.0 / v.cardinality().max(1) as f64; v.cardinality()],
            })
            .collect(),
    )?;
    let cpts = fit_cpts(&skeleton, dag, data, estimator)?;
    BayesNet::new(variables.to_vec(), cpts)
}

/// New CPTs for a network's own structure, fitted to complete data (the same matching and
/// errors as [`fit_parameters`]); names, states, parent order and annotations are kept.
///
/// ```
/// use genmodels::bayesnet::{BayesNet, Cpt, DiscreteData, Variable};
/// use genmodels::bayesnet::learn::{refit, Estimator, Prior};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["x", "y", "z"])],
///     vec![Cpt { parents: vec![], values: vec![0.2, 0.3, 0.5] }],
/// )?;
/// let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
/// let data = DiscreteData::new(s(&["a"]), vec![s(&["x", "y"])], vec![vec![0, 0, 0, 1]])?;
/// let mle = refit(&net, &data, Estimator::Mle)?;
/// assert_eq!(mle.cpt(0).values, vec![0.75, 0.25, 0.0]); // z never seen
/// let bdeu = refit(&net, &data, Estimator::Bayes(Prior::BDeu { ess: 3.0 }))?;
/// assert!((bdeu.cpt(0).values[2] - 1.0 / 7.0).abs() < 1e-12);
/// let unknown = DiscreteData::new(s(&["a"]), vec![s(&["w"])], vec![vec![0]])?;
/// assert!(refit(&net, &unknown, Estimator::Mle).is_err()); // `w` is not a state of `a`
/// # Ok(()) }
/// ```
pub fn refit(net: &BayesNet, data: &DiscreteData, estimator: Estimator) -> Result<BayesNet> {
    estimator.check()?;
    let cpts = fit_cpts(net, &Dag::from_network(net), data, estimator)?;
    net.with_cpts(cpts)
}

/// The CPTs of `dag` over `net`'s variables from `data`.
fn fit_cpts(
    net: &BayesNet,
    dag: &Dag,
    data: &DiscreteData,
    estimator: Estimator,
) -> Result<Vec<Cpt>> {
    let same_layout = data.names.len() == net.n_variables()
        && net
            .variables()
            .iter()
            .zip(data.names.iter().zip(&data.states))
            .all(|(v, (name, states))| &v.name == name && &v.states == states);
    let aligned: Cow<'_, DiscreteData> = if same_layout {
        Cow::Borrowed(data)
    } else {
        Cow::Owned(data.align_to(net, false, false)?)
    };
    check_complete(&aligned, "parameter learning")?;
    let cols: Vec<&[u16]> = aligned.columns.iter().map(Vec::as_slice).collect();
    let cards = net.cardinalities();
    for v in 0..dag.n_nodes() {
        let size: f64 = dag
            .parents(v)
            .iter()
            .map(|&p| cards[p] as f64)
            .product::<f64>()
            * cards[v] as f64;
        if size > MAX_TABLE_ENTRIES as f64 {
            return Err(NetworkError::TooLarge {
                what: format!("the table of `{}`", net.variable(v).name),
                size,
                limit: MAX_TABLE_ENTRIES,
                hint: "; allow fewer parents".into(),
            }
            .into());
        }
    }
    Ok((0..dag.n_nodes())
        .into_par_iter()
        .map(|v| {
            let parents = dag.parents(v).to_vec();
            let counts = cpt_counts(&cols, &cards, v, &parents);
            Cpt {
                values: estimator.cpt_from_counts(&counts, cards[v]),
                parents,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_from_counts() {
        let c = [3.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(
            Estimator::Mle.cpt_from_counts(&c, 2),
            vec![0.75, 0.25, 0.5, 0.5, 0.5, 0.5]
        );
        // BDeu ess = 6: a = 6 / (3 * 2) = 1
        let b = Estimator::Bayes(Prior::BDeu { ess: 6.0 }).cpt_from_counts(&c, 2);
        assert_eq!(b, vec![4.0 / 6.0, 2.0 / 6.0, 0.5, 0.5, 0.5, 0.5]);
        let d = Estimator::Bayes(Prior::Dirichlet { alpha: 0.5 }).cpt_from_counts(&c, 2);
        assert_eq!(d[..2], [3.5 / 5.0, 1.5 / 5.0]);
        assert!(Estimator::Bayes(Prior::Dirichlet { alpha: 0.0 })
            .check()
            .is_err());
        assert!(Estimator::Bayes(Prior::BDeu { ess: f64::NAN })
            .check()
            .is_err());
    }
}
