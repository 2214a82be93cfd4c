//! The models a generative classifier holds one of per class, and the file that keeps them.

use anyhow::Result;
use genmodels::classifier::{GenerativeClassifier, Subset};
use genmodels::core::{LogLikelihood, Sample};
use genmodels::hmm::{
    image_sequences, images_from_sequences, GaussianMixtureEmission, Hmm, ImageReading,
};
use genmodels::io::ModelFile;
use genmodels::mixture::{
    BernoulliComponents, BernoulliMixture, Components, GaussianComponents, GaussianMixture, Mixture,
};
use genmodels::neural::rbm::NormalizedRbm;
use genmodels::neural::vae::ClassVae;
use ndarray::Array2;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::common::usage;

/// A classifier as saved: the models plus what is needed to read new data for them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierFile<M> {
    /// The classifier.
    pub classifier: GenerativeClassifier<M>,
    /// Feature columns, in model order.
    pub features: Vec<String>,
    /// The label column it was trained with.
    pub label_column: String,
    /// Threshold applied to the features (binary models).
    #[serde(default)]
    pub binarize: Option<f64>,
    /// Height and width of the images, when trained on images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_shape: Option<(usize, usize)>,
    /// How an image is read as a sequence (HMMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<ImageReading>,
}

/// A class-conditional model the CLI can save, read data for, describe and draw from.
pub trait ClassModel: Sized + Serialize + DeserializeOwned + LogLikelihood<Self::Data> {
    /// What the model scores: rows, or sequences.
    type Data: Subset;
    /// The model's data from rows of features.
    fn data(x: &Array2<f64>, f: &ClassifierFile<Self>) -> Result<Self::Data>;
    /// Checks a loaded model.
    fn check(&self) -> std::result::Result<(), String>;
    /// Components (or states) and free parameters.
    fn sizes(&self) -> (usize, usize);
    /// `n` new instances, as rows of features.
    fn draw(
        &self,
        n: usize,
        f: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>>;
}

impl<C: Components + Serialize + DeserializeOwned> ClassModel for Mixture<C> {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        self.validate()
    }
    fn sizes(&self) -> (usize, usize) {
        (self.n_components(), self.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?.x)
    }
}

/// The image shape and the reading (rows or columns) of an HMM classifier's file.
pub fn image_reading<M>(f: &ClassifierFile<M>) -> Result<((usize, usize), ImageReading)> {
    f.image_shape.zip(f.sequence).ok_or_else(|| {
        usage("this HMM classifier's file does not say how its images are read as sequences")
    })
}

impl<E: Components + Serialize + DeserializeOwned> ClassModel for Hmm<E> {
    type Data = genmodels::core::data::Sequences;
    fn data(x: &Array2<f64>, f: &ClassifierFile<Self>) -> Result<Self::Data> {
        let (shape, reading) = image_reading(f)?;
        Ok(image_sequences(x, shape, reading)?)
    }
    fn check(&self) -> std::result::Result<(), String> {
        self.validate()
    }
    fn sizes(&self) -> (usize, usize) {
        (self.n_states(), self.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        f: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        let (shape, reading) = image_reading(f)?;
        let (steps, width) = reading.steps_and_width(shape);
        let mut all = Array2::zeros((n * steps, width));
        for i in 0..n {
            let s = self.sample_sequence(steps, rng)?;
            all.slice_mut(ndarray::s![i * steps..(i + 1) * steps, ..])
                .assign(&s.x);
        }
        Ok(images_from_sequences(&all, shape, reading)?)
    }
}

macro_rules! classifier_file {
    ($model:ty, $family:literal) => {
        impl ModelFile for ClassifierFile<$model> {
            const FAMILY: &'static str = $family;
            const VERSION: u32 = 1;
            fn validate_loaded(&self) -> std::result::Result<(), String> {
                validate(&self.classifier)
            }
        }
    };
}

classifier_file!(GaussianMixture, "classifier-gmm");
classifier_file!(BernoulliMixture, "classifier-bernoulli-mixture");
classifier_file!(Hmm<GaussianComponents>, "classifier-hmm-gaussian");
classifier_file!(Hmm<GaussianMixtureEmission>, "classifier-hmm-gmm");
classifier_file!(Hmm<BernoulliComponents>, "classifier-hmm-bernoulli");
classifier_file!(NormalizedRbm, "classifier-rbm");
classifier_file!(ClassVae, "classifier-vae");

impl ClassModel for ClassVae {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        // The weights were checked against the configuration when the checkpoint was read.
        Ok(())
    }
    fn sizes(&self) -> (usize, usize) {
        (self.vae.config.latent, self.vae.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?)
    }
}

impl ClassModel for NormalizedRbm {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        // Built through `Rbm::from_weights`, which refuses non-finite weights.
        if self.log_z.log_z.is_finite() {
            Ok(())
        } else {
            Err(format!("log Z is {}", self.log_z.log_z))
        }
    }
    fn sizes(&self) -> (usize, usize) {
        (self.rbm.n_hidden(), self.rbm.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?)
    }
}

pub fn validate<M: ClassModel>(c: &GenerativeClassifier<M>) -> std::result::Result<(), String> {
    c.validate_with(|m| m.check())
}
