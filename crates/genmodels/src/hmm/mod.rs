//! Hidden Markov models: a Markov chain of unobserved states, each emitting an observation.
//!
//! ## The algorithm
//!
//! Inference on a sequence is exact: the scaled forward-backward recursion gives the
//! log-likelihood and the posterior of every state at every step without underflow on
//! sequences of any length; Viterbi gives the most probable state path. Fitting is Baum-Welch
//! (EM): the E-step runs forward-backward on every sequence in parallel and accumulates expected
//! start, transition and emission statistics that merge across sequences; the M-step
//! re-estimates what [`Learn`] allows, with optional Dirichlet priors, keeping structural zeros
//! (left-right and any given topology survive). The objective per iteration is the total
//! log-likelihood of all sequences (hmmlearn's `monitor_.history`).
//!
//! Emissions are any mixture [`Components`](crate::mixture::Components) family, so the
//! Gaussian (full, diag, spherical, tied), categorical and Poisson components of the mixture
//! module serve as HMM emissions unchanged: state `s` emits from component `s`.

mod emissions;
mod fit;
mod gmm_emission;
mod images;
mod inference;
mod model;

pub use emissions::{CategoricalInit, GaussianInit, MultinomialInit, PoissonInit};
pub use fit::{EmissionInit, HmmParams, Learn, Topology};
pub use gmm_emission::{
    GaussianMixtureEmission, GmmCovarianceUpdate, GmmEmissionScratch, GmmEmissionStats, GmmInit,
};
pub use images::{
    image_sequences, images_from_sequences, BernoulliInit, ImageReading, SegmentInit,
};
pub use inference::{
    forward_backward, log_likelihood as sequence_log_likelihood, viterbi, Posteriors,
};
pub use model::{Hmm, HmmSample};

use crate::mixture::{
    CategoricalComponents, GaussianComponents, MultinomialComponents, PoissonComponents,
};

/// An HMM with Gaussian emissions.
pub type GaussianHmm = Hmm<GaussianComponents>;
/// An HMM whose states emit from Gaussian mixtures (GMM-HMM).
pub type GmmHmm = Hmm<GaussianMixtureEmission>;
/// An HMM with categorical (discrete symbol) emissions.
pub type CategoricalHmm = Hmm<CategoricalComponents>;
/// An HMM with multinomial (count vector) emissions.
pub type MultinomialHmm = Hmm<MultinomialComponents>;
/// An HMM with Poisson (count) emissions.
pub type PoissonHmm = Hmm<PoissonComponents>;

impl crate::io::ModelFile for GaussianHmm {
    const FAMILY: &'static str = "hmm-gaussian";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}

impl crate::io::ModelFile for GmmHmm {
    const FAMILY: &'static str = "hmm-gmm";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}

impl crate::io::ModelFile for CategoricalHmm {
    const FAMILY: &'static str = "hmm-categorical";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()?;
        match &self.symbols {
            Some(s) if s.len() != self.emission.probs.ncols() => Err(format!(
                "{} symbol names for {} symbols",
                s.len(),
                self.emission.probs.ncols()
            )),
            _ => Ok(()),
        }
    }
}

impl crate::io::ModelFile for MultinomialHmm {
    const FAMILY: &'static str = "hmm-multinomial";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}

impl crate::io::ModelFile for PoissonHmm {
    const FAMILY: &'static str = "hmm-poisson";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        self.validate()
    }
}
