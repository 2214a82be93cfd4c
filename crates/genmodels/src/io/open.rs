//! [`open`]: any model file of the library's families, read once and loaded into [`Model`].
//!
//! The file's format name (a JSON envelope's `format`, a checkpoint's metadata, or BIF/XMLBIF
//! text) picks the type; the decoded model is validated as every load is (see
//! [`Persist`]). Files of formats this library does not define (the command
//! line's classifier files) are refused here with the list of known formats; a front end that
//! defines more formats reads [`ModelBytes`] itself and dispatches on
//! [`ModelBytes::format`].

use std::path::Path;

use super::persist::{ModelBytes, Persist};
use crate::bayesnet::BayesNet;
use crate::core::{ModelFileError, Result};
use crate::hmm::{CategoricalHmm, GaussianHmm, GmmHmm, MultinomialHmm, PoissonHmm};
use crate::mixture::{BernoulliMixture, GaussianMixture};

/// A model of any family the library defines, as [`open`] loads it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Model {
    /// `gmm`.
    GaussianMixture(GaussianMixture),
    /// `bernoulli-mixture`.
    BernoulliMixture(BernoulliMixture),
    /// `hmm-gaussian`.
    GaussianHmm(GaussianHmm),
    /// `hmm-gmm`.
    GmmHmm(GmmHmm),
    /// `hmm-categorical`.
    CategoricalHmm(CategoricalHmm),
    /// `hmm-multinomial`.
    MultinomialHmm(MultinomialHmm),
    /// `hmm-poisson`.
    PoissonHmm(PoissonHmm),
    /// A Bayesian network (BIF or XMLBIF text).
    BayesNet(BayesNet),
    /// `rbm` (safetensors).
    #[cfg(feature = "neural")]
    Rbm(Box<crate::neural::rbm::Rbm>),
    /// `rbm-recommender` (safetensors).
    #[cfg(feature = "neural")]
    Recommender(Box<crate::neural::rbm::recommend::Recommender>),
    /// `vae` (safetensors), on the CPU.
    #[cfg(feature = "neural")]
    Vae(Box<crate::neural::vae::Vae>),
    /// `gan` (safetensors), on the CPU.
    #[cfg(feature = "neural")]
    Gan(Box<crate::neural::gan::Gan>),
}

/// Loads one of the library's families from already-read bytes: [`Some`] with the model when
/// the format is one of [`FORMATS`], [`None`] when it is not (the bytes are untouched).
pub fn decode_any(file: &ModelBytes) -> Result<Option<Model>> {
    Ok(Some(match file.format() {
        GaussianMixture::FORMAT => Model::GaussianMixture(file.decode()?),
        BernoulliMixture::FORMAT => Model::BernoulliMixture(file.decode()?),
        GaussianHmm::FORMAT => Model::GaussianHmm(file.decode()?),
        GmmHmm::FORMAT => Model::GmmHmm(file.decode()?),
        CategoricalHmm::FORMAT => Model::CategoricalHmm(file.decode()?),
        MultinomialHmm::FORMAT => Model::MultinomialHmm(file.decode()?),
        PoissonHmm::FORMAT => Model::PoissonHmm(file.decode()?),
        BayesNet::FORMAT => Model::BayesNet(file.decode()?),
        #[cfg(feature = "neural")]
        crate::neural::rbm::FORMAT => Model::Rbm(Box::new(file.decode()?)),
        #[cfg(feature = "neural")]
        crate::neural::rbm::recommend::FORMAT => Model::Recommender(Box::new(file.decode()?)),
        #[cfg(feature = "neural")]
        <crate::neural::vae::Vae as Persist>::FORMAT => Model::Vae(Box::new(file.decode()?)),
        #[cfg(feature = "neural")]
        <crate::neural::gan::Gan as Persist>::FORMAT => Model::Gan(Box::new(file.decode()?)),
        _ => return Ok(None),
    }))
}

/// The format names [`open`] loads (the neural ones with the `neural` feature).
pub const FORMATS: &[&str] = &[
    #[cfg(feature = "neural")]
    crate::neural::rbm::FORMAT,
    #[cfg(feature = "neural")]
    crate::neural::rbm::recommend::FORMAT,
    #[cfg(feature = "neural")]
    "vae",
    #[cfg(feature = "neural")]
    "gan",
    GaussianMixture::FORMAT,
    BernoulliMixture::FORMAT,
    GaussianHmm::FORMAT,
    GmmHmm::FORMAT,
    CategoricalHmm::FORMAT,
    MultinomialHmm::FORMAT,
    PoissonHmm::FORMAT,
    BayesNet::FORMAT,
];

/// Reads a model file once and loads it as whatever family it holds.
///
/// ```
/// # fn main() -> genmodels::core::Result<()> {
/// # std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
/// use genmodels::io::{open, Model};
/// match open("data/bayesnets/asia.bif".as_ref())? {
///     Model::BayesNet(net) => assert_eq!(net.variables().len(), 8),
///     other => panic!("asia.bif is a network, not {other:?}"),
/// }
/// # Ok(()) }
/// ```
pub fn open(path: &Path) -> Result<Model> {
    let file = ModelBytes::read(path)?;
    decode_any(&file)?.ok_or_else(|| {
        ModelFileError::Corrupt {
            path: path.into(),
            reason: format!(
                "model format `{}` is not one this library loads (it loads {})",
                file.format(),
                FORMATS.join(", ")
            ),
        }
        .into()
    })
}
