//! One file per family: its `fit` flags, and what the generic verbs mean for it. Adding a
//! family is one file here, one line in [`FitFamily`] and one in [`LOADERS`].

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;

use crate::common::{usage, OutputFlags};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

pub mod bernoulli;
pub mod bn;
pub mod classifier;
pub mod gan;
pub mod gmm;
pub mod hmm;
pub mod mixture;
pub mod rbm;
pub mod vae;

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

/// A model loaded from a file, answering the generic verbs.
pub trait Family {
    /// `genmodels info`
    fn info(&self, out: &OutputFlags) -> Result<()>;
    /// `genmodels score`
    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()>;
    /// The model-specific flags of `genmodels score` (of [`SCORE_FLAGS`]) this model takes;
    /// [`check_score_flags`] refuses the others before `score` runs.
    fn score_flags(&self) -> &'static [&'static str] {
        &[]
    }
    /// `genmodels predict`
    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()>;
    /// `genmodels sample`
    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()>;
    /// `genmodels plot`
    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()>;
}

/// The flags of `genmodels score` that only some models take, with the models they are for.
pub const SCORE_FLAGS: &[(&str, &str)] = &[
    ("--ais-runs", "RBMs"),
    ("--ais-betas", "RBMs"),
    ("--iwae", "VAEs"),
    ("--parzen", "GANs and VAEs"),
    ("--two-sample", "GANs and VAEs"),
    ("--truncation", "GANs"),
];

/// Refuses a model-specific `score` flag that `model` does not take, so that no flag is
/// silently ignored.
pub fn check_score_flags(model: &dyn Family, a: &ScoreArgs) -> Result<()> {
    let given = [
        a.ais_runs.is_some(),
        a.ais_betas.is_some(),
        a.iwae.is_some(),
        a.parzen,
        a.two_sample,
        a.truncation.is_some(),
    ];
    let takes = model.score_flags();
    for (&(flag, models), _) in SCORE_FLAGS.iter().zip(given).filter(|(_, g)| *g) {
        if !takes.contains(&flag) {
            let these = if takes.is_empty() {
                "none of them".to_string()
            } else {
                takes.join(", ")
            };
            return Err(usage(format!(
                "{flag} does not apply to this model (it is for {models}); of the \
                 model-specific flags of score, this model takes {these}"
            )));
        }
    }
    Ok(())
}

type Loader = fn(&Path) -> Result<Box<dyn Family>>;

/// The model-file family names and their loaders.
const LOADERS: &[(&str, Loader)] = &[
    ("gmm", gmm::load),
    ("bernoulli-mixture", bernoulli::load),
    (
        "classifier-gmm",
        classifier::load::<genmodels::mixture::GaussianMixture>,
    ),
    (
        "classifier-bernoulli-mixture",
        classifier::load::<genmodels::mixture::BernoulliMixture>,
    ),
    (
        "classifier-hmm-gaussian",
        classifier::load::<genmodels::hmm::Hmm<genmodels::mixture::GaussianComponents>>,
    ),
    (
        "classifier-hmm-gmm",
        classifier::load::<genmodels::hmm::Hmm<genmodels::hmm::GaussianMixtureEmission>>,
    ),
    (
        "classifier-hmm-bernoulli",
        classifier::load::<genmodels::hmm::Hmm<genmodels::mixture::BernoulliComponents>>,
    ),
    (
        "classifier-rbm",
        classifier::load::<genmodels::neural::rbm::NormalizedRbm>,
    ),
    (
        "classifier-vae",
        classifier::load::<genmodels::neural::vae::ClassVae>,
    ),
    (
        "hmm-gaussian",
        hmm::load::<genmodels::mixture::GaussianComponents>,
    ),
    (
        "hmm-gmm",
        hmm::load::<genmodels::hmm::GaussianMixtureEmission>,
    ),
    (
        "hmm-categorical",
        hmm::load::<genmodels::mixture::CategoricalComponents>,
    ),
    (
        "hmm-multinomial",
        hmm::load::<genmodels::mixture::MultinomialComponents>,
    ),
    (
        "hmm-poisson",
        hmm::load::<genmodels::mixture::PoissonComponents>,
    ),
];

/// The neural families' checkpoint formats (safetensors metadata `format`) and their loaders.
const NEURAL_LOADERS: &[(&str, Loader)] = &[
    (genmodels::neural::rbm::FORMAT, rbm::load),
    (
        genmodels::neural::rbm::recommend::FORMAT,
        rbm::load_recommender,
    ),
    ("vae", vae::load),
    ("gan", gan::load),
];

/// Loads any model file, dispatching on its `format` field (JSON model files, safetensors
/// checkpoints) or its extension (networks).
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    if bn::is_network_file(path) {
        return bn::load(path);
    }
    if genmodels::neural::checkpoint::looks_like_checkpoint(path) {
        let meta = genmodels::neural::checkpoint::peek(path)?;
        for (name, loader) in NEURAL_LOADERS {
            if *name == meta.format {
                return loader(path);
            }
        }
        return Err(usage(format!(
            "{}: checkpoint family `{}` is not supported by this build",
            path.display(),
            meta.format
        )));
    }
    let (family, _) = genmodels::io::peek_format(path)?;
    for (name, loader) in LOADERS {
        if *name == family {
            return loader(path);
        }
    }
    let known: Vec<&str> = LOADERS.iter().map(|(n, _)| *n).collect();
    Err(usage(format!(
        "{}: model family `{family}` is not supported by this build (supported: {})",
        path.display(),
        known.join(", ")
    )))
}
