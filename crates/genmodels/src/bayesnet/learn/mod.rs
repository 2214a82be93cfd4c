//! Learning networks from data: parameters (MLE, Bayesian, EM) and structure (scores, search).

pub mod em;
