//! Evidence and interventions: from a row's filled cells, or from `NAME=STATE,...` flags.

use anyhow::Result;
use genmodels::bayesnet::data::observed_cells;
use genmodels::bayesnet::{BayesNet, DiscreteData};

use crate::common::parse_assignments;

/// Row `i`'s filled cells as evidence, leaving out the variables in `skip`.
pub fn row_evidence(aligned: &DiscreteData, i: usize, skip: &[usize]) -> Vec<(usize, usize)> {
    observed_cells(&aligned.row(i))
        .filter(|(v, _)| !skip.contains(v))
        .collect()
}

/// An intervened variable is known: `do(X = x)` joins the evidence unless X is already there.
pub fn add_interventions(evidence: &mut Vec<(usize, usize)>, interventions: &[(usize, usize)]) {
    for &(v, s) in interventions {
        if !evidence.iter().any(|&(u, _)| u == v) {
            evidence.push((v, s));
        }
    }
}

pub fn names_to_vars(net: &BayesNet, names: &[String]) -> Result<Vec<usize>> {
    names.iter().map(|n| Ok(net.index_of(n.trim())?)).collect()
}

pub fn pairs(net: &BayesNet, s: &Option<String>) -> Result<Vec<(usize, usize)>> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => {
            let p = parse_assignments(s)?;
            Ok(net.evidence(&p)?)
        }
    }
}
