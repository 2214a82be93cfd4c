//! Discrete Bayesian networks: a DAG of named variables with one conditional probability table
//! per variable, read and written as BIF and XMLBIF, queried exactly (variable elimination,
//! junction tree, MPE, interventions) or by sampling, and learned from data (parameters and
//! structure).

pub mod classify;
pub mod data;
pub mod factor;
pub mod formats;
pub mod inference;
pub mod learn;
pub mod network;

pub use classify::{class_of, class_proba, ClassPosterior, ClassProba, CLASS_PROPERTY};
pub use data::{DiscreteData, MISSING};
pub use factor::Factor;
pub use network::{Annotations, BayesNet, Cpt, Variable};
