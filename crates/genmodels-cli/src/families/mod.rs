//! The families: a folder (or a file) per family, with its `fit` flags and what the generic
//! verbs mean for it; the [`Family`](family::Family) trait those verbs call ([`family`]); and
//! the registry of model-file formats and their loaders ([`registry`]). Adding a family is its
//! folder here, a line in [`FitFamily`] (its fit command) and a line in the registry.

use anyhow::Result;
use clap::Subcommand;

use crate::common::OutputFlags;

pub mod bernoulli;
pub mod bn;
pub mod classifier;
pub mod gan;
pub mod gmm;
pub mod hmm;
pub mod mixture;
pub mod rbm;
pub mod vae;

pub mod family;
pub mod registry;

pub use family::check_score_flags;
pub use registry::load;

/// `genmodels fit <family>`
#[derive(Subcommand, Debug)]
pub enum FitFamily {
    /// Gaussian mixture model (EM), optionally choosing K and the covariance type by BIC/AIC.
    Gmm(gmm::FitArgs),
    /// Mixture of multivariate Bernoulli distributions for binary data (EM).
    #[command(name = "bernoulli", visible_alias = "bernoulli-mixture")]
    Bernoulli(bernoulli::FitArgs),
    /// Hidden Markov model (Baum-Welch) with Gaussian, categorical or Poisson emissions.
    Hmm(hmm::FitArgs),
    /// Generative classifier: one model per class (Gaussian or Bernoulli mixture, HMM over
    /// image rows, RBM, VAE, or a Bayesian network), Bayes' rule for P(class | x).
    Classifier(classifier::FitArgs),
    /// Discrete Bayesian network: structure (hill climbing, Chow-Liu, TAN, naive Bayes, or a
    /// given graph) and tables, from a CSV of categories; written as BIF or XMLBIF.
    Bn(bn::FitArgs),
    /// Restricted Boltzmann machine (CD-k / PCD) on binary or real vectors and images, or a
    /// recommender RBM on ratings (--ratings user,item,rating); a safetensors checkpoint.
    Rbm(rbm::FitArgs),
    /// Variational autoencoder (MLP or convolutional, Bernoulli or Gaussian pixels, β-VAE,
    /// conditional) on images.
    Vae(vae::FitArgs),
    /// Generative adversarial network (MLP or DCGAN-style, non-saturating or WGAN-GP loss,
    /// conditional) on images.
    Gan(gan::FitArgs),
}

impl FitFamily {
    /// Runs the fit.
    pub fn run(&self, out: &OutputFlags) -> Result<()> {
        match self {
            FitFamily::Gmm(a) => gmm::fit(a, out),
            FitFamily::Bernoulli(a) => bernoulli::fit(a, out),
            FitFamily::Hmm(a) => hmm::fit(a, out),
            FitFamily::Classifier(a) => classifier::fit(a, out),
            FitFamily::Bn(a) => bn::fit(a, out),
            FitFamily::Rbm(a) => rbm::fit(a, out),
            FitFamily::Vae(a) => vae::fit(a, out),
            FitFamily::Gan(a) => gan::fit(a, out),
        }
    }
}
