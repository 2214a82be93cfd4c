//! Learning networks from data: parameters (MLE, Bayesian, EM) and structure (scores, search).
//!
//! * [`Dag`], [`Pdag`]: structures without parameters, their equivalence classes and
//!   structural Hamming distances.
//! * [`fit_parameters`], [`refit`]: CPTs for a given structure from complete data
//!   ([`Estimator::Mle`] or [`Estimator::Bayes`] with a [`Prior`]).
//! * [`local_score`], [`score()`], [`ScoreCache`]: decomposable scores ([`ScoreKind`]: LL, BIC,
//!   AIC, BDeu, K2), defined as pgmpy defines them.
//! * [`HillClimb`]: greedy search over DAGs (tabu list, constraints, restarts).
//! * [`chow_liu`], [`naive_bayes`], [`tan`]: tree-shaped structures.
//! * [`Pc`]: the PC algorithm (conditional independence tests, then orientation).
//! * [`em::ParameterEm`]: tables by EM when cells are missing.
//!
//! Everything here needs complete data (no [`MISSING`](crate::bayesnet::MISSING) cell); EM
//! handles missing cells.
//!
//! ```
//! use genmodels::bayesnet::DiscreteData;
//! use genmodels::bayesnet::learn::{fit_parameters, data_variables, Estimator, HillClimb, ScoreKind};
//! use genmodels::core::Fit;
//! # fn main() -> genmodels::core::Result<()> {
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! let a: Vec<u16> = (0..300).map(|i| (i % 3 == 0) as u16).collect();
//! let b: Vec<u16> = a.iter().enumerate().map(|(i, &x)| if i % 10 == 0 { 1 - x } else { x }).collect();
//! let data = DiscreteData::new(s(&["a", "b"]), vec![s(&["0", "1"]); 2], vec![a, b])?;
//! // Structure, then parameters.
//! let found = HillClimb::new(ScoreKind::Bic).fit(&data)?;
//! let net = fit_parameters(&data_variables(&data), &found.dag, &data, Estimator::Mle)?;
//! assert_eq!(net.edges().len(), 1);
//! # Ok(()) }
//! ```

mod counts;
pub mod dag;
pub mod em;
pub mod hill_climb;
pub mod params;
pub mod pc;
pub mod score;
pub mod tree;

pub use dag::{edges_by_name, Dag, Pdag, ShdDetails};
pub use hill_climb::{HillClimb, HillClimbResult, Operation, StepKind, TraceStep};
pub use params::{data_variables, fit_parameters, refit, Estimator, Prior};
pub use pc::{CiTest, Pc, PcResult};
pub use score::{local_score, score, ScoreCache, ScoreKind};
pub use tree::{chow_liu, conditional_mutual_information, mutual_information, naive_bayes, tan};
