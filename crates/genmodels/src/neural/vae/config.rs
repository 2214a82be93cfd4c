//! The shape of a VAE ([`VaeConfig`]): its likelihood, architecture, sizes and the checks on them.

use serde::{Deserialize, Serialize};

use crate::core::Result;
use crate::neural::checkpoint::{size_add, size_mul, TensorPlan};
use crate::neural::train::invalid;

/// The likelihood `p(x | z)` of the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    /// Independent Bernoulli pixels (data in `[0, 1]`, binary for a true likelihood).
    Bernoulli,
    /// Independent Gaussian pixels with a learned standard deviation per pixel.
    Gaussian,
}

/// The network architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Fully connected layers (ReLU) of the widths in `hidden`.
    Mlp,
    /// Two stride-2 4×4 convolutions (32, 64 channels) before the dense layers, two transposed
    /// convolutions after them (images with sides divisible by 4).
    Conv,
}

/// The shape of a VAE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    /// Values per image.
    pub input_dim: usize,
    /// Image height and width (`height · width = input_dim`).
    pub image_shape: (usize, usize),
    /// Latent dimensions.
    pub latent: usize,
    /// Widths of the encoder's hidden layers (the decoder mirrors them); empty: linear maps.
    pub hidden: Vec<usize>,
    /// The decoder's likelihood.
    pub likelihood: Likelihood,
    /// MLP or convolutional.
    pub arch: Arch,
    /// Number of classes of a conditional VAE (`None`: unconditional).
    pub n_classes: Option<usize>,
    /// Weight of the KL term (1: the ELBO; > 1: a β-VAE).
    pub beta: f64,
}

impl VaeConfig {
    /// An MLP VAE for images of `input_dim` values shaped `image_shape`: 400 hidden units,
    /// 20 latent dimensions, Bernoulli pixels (Kingma & Welling's MNIST model).
    pub fn mlp(input_dim: usize, image_shape: (usize, usize)) -> Self {
        VaeConfig {
            input_dim,
            image_shape,
            latent: 20,
            hidden: vec![400],
            likelihood: Likelihood::Bernoulli,
            arch: Arch::Mlp,
            n_classes: None,
            beta: 1.0,
        }
    }

    /// An error naming the first setting that cannot be used.
    pub fn check(&self) -> Result<()> {
        if self.input_dim == 0 {
            return Err(invalid("input_dim", "0", "at least 1 value per image"));
        }
        if self.image_shape.0.checked_mul(self.image_shape.1) != Some(self.input_dim) {
            return Err(invalid(
                "image_shape",
                format!("{:?}", self.image_shape),
                &format!("height × width = {}", self.input_dim),
            ));
        }
        if self.latent == 0 {
            return Err(invalid("latent", "0", "at least 1 latent dimension"));
        }
        if let Some(h) = self.hidden.iter().find(|&&h| h == 0) {
            return Err(invalid(
                "hidden",
                h.to_string(),
                "at least 1 unit per hidden layer",
            ));
        }
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(invalid(
                "beta",
                self.beta.to_string(),
                "a finite number > 0",
            ));
        }
        check_classes_and_arch(self.n_classes, self.arch, self.image_shape)
    }

    pub(super) fn conv_flat(&self) -> usize {
        64 * (self.image_shape.0 / 4) * (self.image_shape.1 / 4)
    }

    /// The tensors of [`VaeNet`] for this configuration, by name and shape, from its numbers
    /// alone (checked arithmetic: an overflow is an error, nothing is allocated).
    pub(crate) fn tensor_plan(&self) -> std::result::Result<TensorPlan, String> {
        let k = self.classes();
        let mut p = TensorPlan::new();
        let feat = match self.arch {
            Arch::Mlp => self.input_dim,
            Arch::Conv => {
                p.conv2d("enc_conv.0", 1, 32, 4)
                    .conv2d("enc_conv.1", 32, 64, 4);
                let q = size_mul(self.image_shape.0 / 4, self.image_shape.1 / 4, "image size")?;
                size_mul(64, q, "the convolutional features")?
            }
        };
        let mut w = size_add(feat, k, "the encoder's input width")?;
        for (i, &h) in self.hidden.iter().enumerate() {
            p.linear(&format!("enc.{i}"), w, h);
            w = h;
        }
        p.linear("mu", w, self.latent)
            .linear("logvar", w, self.latent);
        let mut w = size_add(self.latent, k, "the decoder's input width")?;
        for (i, &h) in self.hidden.iter().rev().enumerate() {
            p.linear(&format!("dec.{i}"), w, h);
            w = h;
        }
        p.linear("out", w, feat);
        if self.arch == Arch::Conv {
            p.conv_transpose2d("dec_conv.0", 64, 32, 4)
                .conv_transpose2d("dec_conv.1", 32, 1, 4);
        }
        if self.likelihood == Likelihood::Gaussian {
            p.param("log_sigma", &[self.input_dim]);
        }
        Ok(p)
    }

    pub(super) fn classes(&self) -> usize {
        self.n_classes.unwrap_or(0)
    }
}

/// The checks a VAE's and a GAN's shape share, last in their `check`: at least one class for
/// a conditional model, and image sides divisible by 4 for the convolutional networks.
pub(crate) fn check_classes_and_arch(
    n_classes: Option<usize>,
    arch: Arch,
    image_shape: (usize, usize),
) -> Result<()> {
    if n_classes == Some(0) {
        return Err(invalid("n_classes", "0", "at least 1 class"));
    }
    if arch == Arch::Conv {
        let (h, w) = image_shape;
        if h % 4 != 0 || w % 4 != 0 {
            return Err(invalid(
                "arch",
                format!("conv for {h}×{w} images"),
                "sides divisible by 4 (or use the MLP)",
            ));
        }
    }
    Ok(())
}
