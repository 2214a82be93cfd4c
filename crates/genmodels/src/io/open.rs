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

/// Decodes one family's bytes into [`Model`].
type Decoder = fn(&ModelBytes) -> Result<Model>;

/// Every family [`open`] loads: its format name and its decoder (the neural ones with the
/// `neural` feature). The one list both [`decode_any`] and [`formats`] read.
const DECODERS: &[(&str, Decoder)] = &[
    (GaussianMixture::FORMAT, |f| {
        Ok(Model::GaussianMixture(f.decode()?))
    }),
    (BernoulliMixture::FORMAT, |f| {
        Ok(Model::BernoulliMixture(f.decode()?))
    }),
    (GaussianHmm::FORMAT, |f| Ok(Model::GaussianHmm(f.decode()?))),
    (GmmHmm::FORMAT, |f| Ok(Model::GmmHmm(f.decode()?))),
    (CategoricalHmm::FORMAT, |f| {
        Ok(Model::CategoricalHmm(f.decode()?))
    }),
    (MultinomialHmm::FORMAT, |f| {
        Ok(Model::MultinomialHmm(f.decode()?))
    }),
    (PoissonHmm::FORMAT, |f| Ok(Model::PoissonHmm(f.decode()?))),
    (BayesNet::FORMAT, |f| Ok(Model::BayesNet(f.decode()?))),
    #[cfg(feature = "neural")]
    (<crate::neural::rbm::Rbm as Persist>::FORMAT, |f| {
        Ok(Model::Rbm(Box::new(f.decode()?)))
    }),
    #[cfg(feature = "neural")]
    (
        <crate::neural::rbm::recommend::Recommender as Persist>::FORMAT,
        |f| Ok(Model::Recommender(Box::new(f.decode()?))),
    ),
    #[cfg(feature = "neural")]
    (<crate::neural::vae::Vae as Persist>::FORMAT, |f| {
        Ok(Model::Vae(Box::new(f.decode()?)))
    }),
    #[cfg(feature = "neural")]
    (<crate::neural::gan::Gan as Persist>::FORMAT, |f| {
        Ok(Model::Gan(Box::new(f.decode()?)))
    }),
];

/// Loads one of the library's families from already-read bytes: [`Some`] with the model when
/// the format is one of [`formats`], [`None`] when it is not (the bytes are untouched).
pub fn decode_any(file: &ModelBytes) -> Result<Option<Model>> {
    DECODERS
        .iter()
        .find(|(format, _)| *format == file.format())
        .map(|(_, decode)| decode(file))
        .transpose()
}

/// The format names [`open`] loads.
pub fn formats() -> impl Iterator<Item = &'static str> {
    DECODERS.iter().map(|(format, _)| *format)
}

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
                formats().collect::<Vec<_>>().join(", ")
            ),
        }
        .into()
    })
}
