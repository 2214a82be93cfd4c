//! Categorical tables: a CSV of categories, coded per column (a Bayesian network's data).

use std::path::Path;

use anyhow::Result;
use genmodels::bayesnet::DiscreteData;
use genmodels::io::read_csv;

/// Reads discrete data from a CSV file.
pub fn read_discrete(path: &Path, columns: Option<&[String]>) -> Result<DiscreteData> {
    let table = read_csv(path)?;
    Ok(DiscreteData::from_csv(&table, columns)?)
}
