//! Generative adversarial networks (Goodfellow et al. 2014): a generator `G(z)` (pixels in
//! `[0, 1]` through a sigmoid) trained against a discriminator `D(x)`, MLP or DCGAN-style
//! convolutional, optionally conditional on a class (a one-hot label appended to the generator's
//! noise; a projection discriminator).
//!
//! Two losses:
//! - **non-saturating** (`ns`): `D` minimises `softplus(−D(x)) + softplus(D(G(z)))`, `G`
//!   minimises `softplus(−D(G(z)))`;
//! - **WGAN with a finite-difference gradient penalty** (`wgan-gp`): the critic minimises
//!   `D(G(z)) − D(x) + λ max(0, |∂ᵤD(x̂)| − 1)²` on interpolates `x̂ = t x + (1 − t) G(z)`,
//!   `G` minimises `−D(G(z))`, with `n_critic` critic steps per generator step.
//!
//! **About the penalty.** WGAN-GP (Gulrajani et al. 2017) penalises the norm of `∇ₓD(x̂)`,
//! whose gradient with respect to the critic's weights needs a second backward pass through
//! the first. burn 0.22's autodiff is first-order only ("only first-order derivatives are
//! supported"), so the gradient of the penalty cannot be formed. We penalise instead the
//! directional derivative of the critic along the unit direction `u = (x − G(z)) / ‖x − G(z)‖`,
//! computed by a central finite difference `(D(x̂ + h u) − D(x̂ − h u)) / 2h` (`h = 0.05`): an
//! ordinary function of the weights, so first-order autodiff differentiates it. At the optimal
//! critic the gradient at `x̂` points along `u` with norm 1 (Gulrajani et al., Proposition 1),
//! where the two penalties agree; elsewhere ours constrains one direction instead of the norm.
//! The penalty is one-sided (only slopes above 1 are penalised, as in WGAN-LP, Petzka et al.
//! 2018): with the two-sided form the critic of a 1-D problem gets trapped at slope +1 when it
//! starts with a positive slope (it cannot turn to −1 without crossing slope 0, which the
//! two-sided penalty forbids), and the generator then runs away from the data — our
//! two-mode test caught exactly that.
//!
//! Truncation at sampling time redraws latent coordinates beyond `±t` standard deviations.

mod config;
mod fit;
mod generate;
mod net;
mod save;
#[cfg(test)]
mod tests;

pub use config::{GanConfig, GanLoss};
pub use net::{Discriminator, GanNets, Generator};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use ndarray::Array2;

use crate::core::rng_from_seed;
use crate::core::Result;
use crate::neural::train::{check_images, check_model_labels, model_one_hot, FitReport};

/// A GAN: configuration, networks and fit report.
///
/// ```
/// use genmodels::neural::gan::{Gan, GanConfig};
/// use genmodels::neural::train::TrainConfig;
/// use ndarray::Array2;
/// # fn main() -> genmodels::core::Result<()> {
/// let x = Array2::from_shape_fn((64, 4), |(i, j)| ((i + j) % 2) as f32);
/// let cfg = GanConfig { latent: 2, g_hidden: vec![8], d_hidden: vec![8], ..GanConfig::mlp(4, (2, 2)) };
/// let train = TrainConfig { epochs: 2, batch_size: 16, ..TrainConfig::default() };
/// let gan = cfg.fit(&genmodels::neural::cpu(), &x, None, &train, &mut genmodels::core::Silent, &mut |_, _| Ok(()))?;
/// let s = gan.sample(5, None, None, &mut genmodels::core::rng_from_seed(1))?;
/// assert_eq!(s.dim(), (5, 4));
/// assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Gan {
    /// The shape and training rules.
    pub config: GanConfig,
    /// What the fits did, epoch by epoch (`train_loss`: discriminator, `train_loss2`: generator).
    pub report: FitReport,
    nets: GanNets,
    device: Device,
}

impl Gan {
    /// A GAN with initial weights drawn from `seed`, on the CPU.
    pub fn new(config: GanConfig, seed: u64) -> Result<Self> {
        Self::new_on(config, seed, &crate::neural::tensor::cpu())
    }

    /// A GAN with initial weights drawn from `seed`, on `device` (a plain device).
    pub fn new_on(config: GanConfig, seed: u64, device: &Device) -> Result<Self> {
        config.check()?;
        let nets = GanNets::new(&config, &mut rng_from_seed(seed), device);
        Ok(Gan {
            config,
            report: FitReport::default(),
            nets,
            device: device.clone(),
        })
    }

    /// Checks training or test images (values in `[0, 1]`) and labels against the model.
    pub fn check_data(&self, x: &Array2<f32>, labels: Option<&[usize]>) -> Result<()> {
        let c = &self.config;
        check_images(
            x,
            c.input_dim,
            c.image_shape,
            "the images",
            Some("[0, 1] (the generator's pixels); scale the images"),
        )?;
        self.check_labels(labels, x.nrows())
    }

    fn check_labels(&self, labels: Option<&[usize]>, n: usize) -> Result<()> {
        check_model_labels(self.config.n_classes, labels, n, "a conditional GAN")
    }

    fn onehot(&self, labels: Option<&[usize]>, idx: &[usize], dev: &Device) -> Option<Tensor<2>> {
        model_one_hot(self.config.n_classes, labels, idx, dev)
    }

    /// Number of trainable parameters (generator, discriminator).
    pub fn n_parameters(&self) -> (usize, usize) {
        (self.nets.g.num_params(), self.nets.d.num_params())
    }
}
