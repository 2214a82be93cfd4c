//! Variational autoencoders (Kingma & Welling 2014): an encoder `q(z | x) = N(μ(x), diag σ²(x))`,
//! a decoder `p(x | z)` (Bernoulli or Gaussian), a standard normal prior, trained by maximising
//! the evidence lower bound (ELBO) with the reparameterisation trick. β-VAE (weight β on the KL
//! term), the conditional VAE (a one-hot label given to the encoder and the decoder), MLP and
//! convolutional networks; the importance-weighted bound (IWAE, Burda et al. 2015) with `k`
//! samples as a log-likelihood estimate; encoding, decoding, interpolation and latent attribute
//! vectors.
//!
//! Every random draw (initial weights, shuffling, the reparameterisation noise) comes from the
//! seeded [`SeededRng`](crate::core::SeededRng): a fit with a seed is reproducible on one machine.
//!
//! ```
//! use genmodels::neural::vae::{Vae, VaeConfig};
//! use genmodels::neural::train::TrainConfig;
//! use ndarray::Array2;
//! # fn main() -> genmodels::core::Result<()> {
//! // 64 binary "images" of 2×4 pixels: two patterns.
//! let x = Array2::from_shape_fn((64, 8), |(i, j)| ((i % 2 == 0) == (j < 4)) as u8 as f32);
//! let cfg = VaeConfig { hidden: vec![16], latent: 2, ..VaeConfig::mlp(8, (2, 4)) };
//! let train = TrainConfig { epochs: 20, batch_size: 16, lr: 1e-2, ..TrainConfig::default() };
//! let vae = cfg.fit(&genmodels::neural::cpu(), &x, None, &train, None, &mut genmodels::core::Silent, &mut |_, _| Ok(()))?;
//! let ll = vae.iwae(&x, None, 50, &mut genmodels::core::rng_from_seed(1))?;
//! assert!(ll.iter().all(|v| *v < 0.0));
//! let s = vae.sample(4, None, &mut genmodels::core::rng_from_seed(2))?;
//! assert_eq!(s.dim(), (4, 8));
//! # Ok(()) }
//! ```

mod classify;
mod config;
mod fit;
mod generate;
mod net;
mod save;
mod score;
#[cfg(test)]
mod tests;

pub use classify::{ClassVae, VaeClassParams};
pub(crate) use config::check_classes_and_arch;
pub use config::{Arch, Likelihood, VaeConfig};
pub use net::VaeNet;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use ndarray::Array2;

use crate::core::rng_from_seed;
use crate::core::Result;
use crate::neural::train::{check_images, check_model_labels, model_one_hot, FitReport};

use net::*;

/// A variational autoencoder: its configuration, networks and fit report. A fitted model is
/// not changed by training: [`VaeConfig::fit`] makes one, [`Vae::train`] a further-trained copy.
#[derive(Debug, Clone)]
pub struct Vae {
    /// The shape of the networks.
    pub config: VaeConfig,
    /// What the fits did, epoch by epoch.
    pub report: FitReport,
    net: VaeNet,
    device: Device,
}

pub(super) fn data_checks(c: &VaeConfig, x: &Array2<f32>, what: &str) -> Result<()> {
    let unit = (c.likelihood == Likelihood::Bernoulli)
        .then_some("[0, 1] for Bernoulli pixels; scale the data or use the Gaussian likelihood");
    check_images(x, c.input_dim, c.image_shape, what, unit)
}

impl Vae {
    /// A VAE with initial weights drawn from `seed`, on the CPU.
    pub fn new(config: VaeConfig, seed: u64) -> Result<Self> {
        Self::new_on(config, seed, &crate::neural::tensor::cpu())
    }

    /// A VAE with initial weights drawn from `seed`, on `device` (a plain, non-autodiff device).
    pub fn new_on(config: VaeConfig, seed: u64, device: &Device) -> Result<Self> {
        config.check()?;
        let net = VaeNet::new(&config, &mut rng_from_seed(seed), device);
        Ok(Vae {
            config,
            report: FitReport::default(),
            net,
            device: device.clone(),
        })
    }

    /// Checks images (and their labels, for a conditional VAE) against the model.
    pub fn check_data(&self, x: &Array2<f32>, labels: Option<&[usize]>) -> Result<()> {
        data_checks(&self.config, x, "the images")?;
        self.check_labels(labels, x.nrows())
    }

    fn check_labels(&self, labels: Option<&[usize]>, n: usize) -> Result<()> {
        check_model_labels(self.config.n_classes, labels, n, "a conditional VAE")
    }

    fn onehot(&self, labels: Option<&[usize]>, idx: &[usize], dev: &Device) -> Option<Tensor<2>> {
        model_one_hot(self.config.n_classes, labels, idx, dev)
    }

    /// Number of trainable parameters.
    pub fn n_parameters(&self) -> usize {
        self.net.num_params()
    }
}
