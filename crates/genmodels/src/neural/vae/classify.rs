//! A VAE per class of a generative classifier ([`VaeClassParams`], [`ClassVae`]): the IWAE
//! bound as `log p(x | y)`, the weights embedded in the classifier's JSON.

use super::*;
use std::path::Path;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::core::rng_from_seed;
use crate::core::{Monitor, ParamError, Result};
use crate::neural::train::TrainConfig;

/// How to fit one VAE per class of a generative classifier: its shape, its training, and the
/// number of importance samples of the IWAE bound that stands in for `log p(x | y)`.
///
/// ```
/// use genmodels::classifier::{fit_classifier_silently, Priors};
/// use genmodels::neural::train::TrainConfig;
/// use genmodels::neural::vae::{VaeClassParams, VaeConfig};
/// use ndarray::Array2;
///
/// // Two classes of 2×4 binary images: left half on, or right half on.
/// let x = Array2::from_shape_fn((64, 8), |(i, j)| ((i % 2 == 0) == (j < 4)) as u8 as f64);
/// let y: Vec<usize> = (0..64).map(|i| i % 2).collect();
/// let params = VaeClassParams {
///     config: VaeConfig { hidden: vec![16], latent: 2, ..VaeConfig::mlp(8, (2, 4)) },
///     train: TrainConfig { epochs: 20, batch_size: 16, lr: 1e-2, ..TrainConfig::default() },
///     iwae_k: 20,
/// };
/// let clf = fit_classifier_silently(&params, &x, &y, vec!["l".into(), "r".into()], Priors::Learned)
///     .unwrap();
/// assert_eq!(clf.predict(&x).unwrap().to_vec(), y);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeClassParams {
    /// The shape of each class's VAE (unconditional: the class is the model).
    pub config: VaeConfig,
    /// Training of each class's VAE; its seed also seeds the IWAE draws.
    pub train: TrainConfig,
    /// Importance samples per image of the IWAE bound.
    pub iwae_k: usize,
}

/// A VAE whose IWAE bound is read as its log-likelihood: a class-conditional model of
/// [`crate::classifier`]. The bound's draws are seeded, so scoring the same images twice gives
/// the same numbers. It serialises (to JSON, say) with its weights as the base64 text of a
/// safetensors checkpoint, so a classifier of VAEs is one file.
#[derive(Debug)]
pub struct ClassVae {
    /// The fitted VAE.
    pub vae: Vae,
    /// Importance samples per image.
    pub iwae_k: usize,
    /// Seed of the IWAE draws.
    pub seed: u64,
}

impl crate::core::Fit<Array2<f64>> for VaeClassParams {
    type Model = ClassVae;
    fn fit_with(&self, data: &Array2<f64>, monitor: &mut dyn Monitor) -> Result<ClassVae> {
        if self.iwae_k == 0 {
            return Err(ParamError::Invalid {
                name: "iwae_k",
                value: "0".into(),
                expected: "at least 1 importance sample".into(),
            }
            .into());
        }
        let x = data.mapv(|v| v as f32);
        let vae = self.config.fit(
            &crate::neural::tensor::cpu(),
            &x,
            None,
            &self.train,
            None,
            monitor,
            &mut |_, _| Ok(()),
        )?;
        Ok(ClassVae {
            vae,
            iwae_k: self.iwae_k,
            seed: self.train.seed,
        })
    }
}

/// Where an embedded checkpoint is named in errors.
const EMBEDDED: &str = "(a VAE inside a classifier file)";

#[derive(Serialize, Deserialize)]
struct StoredClassVae {
    iwae_k: usize,
    seed: u64,
    /// A safetensors checkpoint (format `vae`), base64.
    checkpoint: String,
}

impl Serialize for ClassVae {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use base64::Engine as _;
        let bytes = self
            .vae
            .to_bytes(Path::new(EMBEDDED))
            .map_err(serde::ser::Error::custom)?;
        StoredClassVae {
            iwae_k: self.iwae_k,
            seed: self.seed,
            checkpoint: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ClassVae {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use base64::Engine as _;
        use serde::de::Error as _;
        let st = StoredClassVae::deserialize(d)?;
        if st.iwae_k == 0 {
            return Err(D::Error::custom(
                "iwae_k is 0: at least 1 importance sample",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(st.checkpoint.as_bytes())
            .map_err(|e| D::Error::custom(format!("the VAE's checkpoint is not base64: {e}")))?;
        let vae =
            Vae::from_checkpoint_bytes(bytes, Path::new(EMBEDDED), &crate::neural::tensor::cpu())
                .map_err(D::Error::custom)?;
        Ok(ClassVae {
            vae,
            iwae_k: st.iwae_k,
            seed: st.seed,
        })
    }
}

impl crate::core::LogLikelihood<Array2<f64>> for ClassVae {
    fn log_likelihood(&self, data: &Array2<f64>) -> Result<Array1<f64>> {
        let x = data.mapv(|v| v as f32);
        self.vae.iwae(
            &x,
            None,
            self.iwae_k,
            &mut rng_from_seed(self.seed ^ 0x1A3E),
        )
    }
    fn kind(&self) -> crate::core::LikelihoodKind {
        crate::core::LikelihoodKind::LowerBound
    }
}

impl crate::core::Sample for ClassVae {
    type Output = Array2<f64>;
    /// `n` decodings of prior draws: the decoder's means (pixel probabilities for Bernoulli
    /// pixels), as a VAE's samples are usually shown.
    fn sample(&self, n: usize, rng: &mut dyn rand::RngCore) -> Result<Array2<f64>> {
        let mut r = rng_from_seed(rng.next_u64());
        Ok(self.vae.sample(n, None, &mut r)?.mapv(f64::from))
    }
}
