//! What a loaded model answers: the [`Family`] trait of the generic verbs, and the one table of
//! the verbs' model-specific flags ([`SCORE_FLAGS`], [`PREDICT_SAMPLE_FLAGS`]) from which the
//! refusals of flags a model does not take come. It imports no family, so every family can import it.

use anyhow::Result;

use crate::common::{usage, OutputFlags};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

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

/// The flags of `genmodels predict` and `sample` that only some models take, with the models
/// they are for; a model that does not take one refuses it with [`refuse`].
pub const PREDICT_SAMPLE_FLAGS: &[(&str, &str)] = &[
    ("--impute", "Gaussian mixtures"),
    ("--given", "Gaussian mixtures"),
];

/// The refusal of a flag of [`PREDICT_SAMPLE_FLAGS`] by a model that does not take it (exit 2).
pub fn refuse(flag: &str) -> anyhow::Error {
    match PREDICT_SAMPLE_FLAGS.iter().find(|(f, _)| *f == flag) {
        Some((f, models)) => usage(format!("{f} is available for {models}")),
        None => usage(format!("{flag} does not apply to this model")),
    }
}
