//! The log-likelihood of discrete data, rows with missing cells included.

use std::collections::HashMap;

use ndarray::Array1;
use rayon::prelude::*;

use super::elimination::VariableElimination;
use crate::bayesnet::data::{observed_cells, DiscreteData, MISSING};
use crate::bayesnet::network::BayesNet;
use crate::core::{Error, LogLikelihood, NetworkError, Result};

/// ln P(row) per row (CPT rows renormalised to sum to 1): the chain rule for a complete row, ln P(observed cells) by variable
/// elimination (the observed cells as evidence, barren unobserved variables pruned) for a row
/// with [`MISSING`] cells. Identical rows are computed once, distinct rows in parallel. A row
/// of probability zero scores −∞. Columns are matched to variables by name; a column the
/// network lacks is an error, a variable without a column is missing in every row.
///
/// ```
/// use genmodels::bayesnet::{BayesNet, Cpt, DiscreteData, Variable, MISSING};
/// use genmodels::core::LogLikelihood;
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.2, 0.8] },
///     ],
/// )?;
/// let states = vec![vec!["0".to_string(), "1".to_string()]; 2];
/// let data = DiscreteData::new(
///     vec!["a".into(), "b".into()],
///     states,
///     vec![vec![0, MISSING], vec![1, 0]],
/// )?;
/// let ll = net.log_likelihood(&data)?;
/// assert!((ll[0] - (0.5f64 * 0.1).ln()).abs() < 1e-12); // a=0, b=1
/// assert!((ll[1] - (0.5f64 * 0.9 + 0.5 * 0.2).ln()).abs() < 1e-12); // b=0 only
/// # Ok(()) }
/// ```
impl LogLikelihood<DiscreteData> for BayesNet {
    fn log_likelihood(&self, data: &DiscreteData) -> Result<Array1<f64>> {
        let d = data.align_to(self, false, true)?;
        let n = d.n_rows();
        // Distinct rows, in first-seen order, and each row's distinct index.
        let mut index: HashMap<Vec<u16>, usize> = HashMap::new();
        let mut distinct: Vec<Vec<u16>> = Vec::new();
        let mut of_row = Vec::with_capacity(n);
        for i in 0..n {
            let row = d.row(i);
            let k = *index.entry(row.clone()).or_insert_with(|| {
                distinct.push(row);
                distinct.len() - 1
            });
            of_row.push(k);
        }
        let ve = VariableElimination::new(self);
        let values: Vec<f64> = distinct
            .par_iter()
            .map(|row| {
                if row.iter().all(|&c| c != MISSING) {
                    let x: Vec<usize> = row.iter().map(|&c| c as usize).collect();
                    return Ok(ve.log_prob(&x));
                }
                let ev: Vec<(usize, usize)> = observed_cells(row).collect();
                match ve.log_probability_of_evidence(&ev) {
                    Ok(l) => Ok(l),
                    Err(Error::Network(NetworkError::ImpossibleEvidence { .. })) => {
                        Ok(f64::NEG_INFINITY)
                    }
                    Err(e) => Err(e),
                }
            })
            .collect::<Result<_>>()?;
        Ok(of_row.iter().map(|&k| values[k]).collect())
    }
}
