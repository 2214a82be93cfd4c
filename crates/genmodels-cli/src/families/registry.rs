//! The registry of families: each model-file format (the library's own format names) with its
//! loader, and [`load`], which opens any model file. Adding a family is its folder under
//! `families/`, a line in [`FitFamily`](super::FitFamily) and a line in [`MODEL_FILES`] or
//! [`CHECKPOINTS`].

use std::path::Path;

use anyhow::Result;
use genmodels::hmm::{GaussianMixtureEmission, Hmm};
use genmodels::io::ModelFile;
use genmodels::mixture::{
    BernoulliComponents, BernoulliMixture, CategoricalComponents, GaussianComponents,
    GaussianMixture, MultinomialComponents, PoissonComponents,
};
use genmodels::neural::rbm::NormalizedRbm;
use genmodels::neural::vae::ClassVae;

use super::classifier::ClassifierFile;
use super::family::Family;
use super::{bernoulli, bn, classifier, gan, gmm, hmm, rbm, vae};
use crate::common::usage;

/// Opens a model file as the family that answers the generic verbs.
pub type Loader = fn(&Path) -> Result<Box<dyn Family>>;

/// One registered model-file format.
pub struct Entry {
    /// The `format` name the library writes (`genmodels/<format>` in a JSON model file, the
    /// `format` metadata of a safetensors checkpoint).
    pub format: &'static str,
    /// Its loader.
    pub load: Loader,
}

/// The format name of a JSON model file holding `M`.
const fn json<M: ModelFile>() -> &'static str {
    M::FAMILY
}

/// The JSON model files.
pub const MODEL_FILES: &[Entry] = &[
    Entry {
        format: json::<GaussianMixture>(),
        load: gmm::load,
    },
    Entry {
        format: json::<BernoulliMixture>(),
        load: bernoulli::load,
    },
    Entry {
        format: json::<ClassifierFile<GaussianMixture>>(),
        load: classifier::load::<GaussianMixture>,
    },
    Entry {
        format: json::<ClassifierFile<BernoulliMixture>>(),
        load: classifier::load::<BernoulliMixture>,
    },
    Entry {
        format: json::<ClassifierFile<Hmm<GaussianComponents>>>(),
        load: classifier::load::<Hmm<GaussianComponents>>,
    },
    Entry {
        format: json::<ClassifierFile<Hmm<GaussianMixtureEmission>>>(),
        load: classifier::load::<Hmm<GaussianMixtureEmission>>,
    },
    Entry {
        format: json::<ClassifierFile<Hmm<BernoulliComponents>>>(),
        load: classifier::load::<Hmm<BernoulliComponents>>,
    },
    Entry {
        format: json::<ClassifierFile<NormalizedRbm>>(),
        load: classifier::load::<NormalizedRbm>,
    },
    Entry {
        format: json::<ClassifierFile<ClassVae>>(),
        load: classifier::load::<ClassVae>,
    },
    Entry {
        format: json::<Hmm<GaussianComponents>>(),
        load: hmm::load::<GaussianComponents>,
    },
    Entry {
        format: json::<Hmm<GaussianMixtureEmission>>(),
        load: hmm::load::<GaussianMixtureEmission>,
    },
    Entry {
        format: json::<Hmm<CategoricalComponents>>(),
        load: hmm::load::<CategoricalComponents>,
    },
    Entry {
        format: json::<Hmm<MultinomialComponents>>(),
        load: hmm::load::<MultinomialComponents>,
    },
    Entry {
        format: json::<Hmm<PoissonComponents>>(),
        load: hmm::load::<PoissonComponents>,
    },
];

/// The neural families' safetensors checkpoints. The VAE's and the GAN's format names are
/// literals here: the library writes them without exporting a constant.
pub const CHECKPOINTS: &[Entry] = &[
    Entry {
        format: genmodels::neural::rbm::FORMAT,
        load: rbm::load,
    },
    Entry {
        format: genmodels::neural::rbm::recommend::FORMAT,
        load: rbm::load_recommender,
    },
    Entry {
        format: "vae",
        load: vae::load,
    },
    Entry {
        format: "gan",
        load: gan::load,
    },
];

/// Loads any model file, dispatching on its `format` field (JSON model files, safetensors
/// checkpoints) or its extension (networks).
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    if bn::is_network_file(path) {
        return bn::load(path);
    }
    if genmodels::neural::checkpoint::looks_like_checkpoint(path) {
        let meta = genmodels::neural::checkpoint::peek(path)?;
        for e in CHECKPOINTS {
            if e.format == meta.format {
                return (e.load)(path);
            }
        }
        return Err(usage(format!(
            "{}: checkpoint family `{}` is not supported by this build",
            path.display(),
            meta.format
        )));
    }
    let (family, _) = genmodels::io::peek_format(path)?;
    for e in MODEL_FILES {
        if e.format == family {
            return (e.load)(path);
        }
    }
    let known: Vec<&str> = MODEL_FILES.iter().map(|e| e.format).collect();
    Err(usage(format!(
        "{}: model family `{family}` is not supported by this build (supported: {})",
        path.display(),
        known.join(", ")
    )))
}
