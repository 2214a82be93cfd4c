//! The shape and training rules of a GAN ([`GanConfig`], [`GanLoss`]) and the checks on them.

use serde::{Deserialize, Serialize};

use crate::core::Result;
use crate::neural::checkpoint::{size_add, size_mul, TensorPlan};
use crate::neural::train::invalid;
use crate::neural::vae::{check_classes_and_arch, Arch};

/// The adversarial loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GanLoss {
    /// The non-saturating loss of Goodfellow et al. (2014).
    #[serde(rename = "ns")]
    NonSaturating,
    /// Wasserstein loss with the finite-difference gradient penalty (see the module docs).
    #[serde(rename = "wgan-gp")]
    WganGp,
}

/// The shape and training rules of a GAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GanConfig {
    /// Values per image.
    pub input_dim: usize,
    /// Image height and width.
    pub image_shape: (usize, usize),
    /// Dimensions of the generator's noise input.
    pub latent: usize,
    /// Hidden widths of the generator (MLP; the conv generator uses the first as its dense layer).
    pub g_hidden: Vec<usize>,
    /// Hidden widths of the discriminator's dense layers.
    pub d_hidden: Vec<usize>,
    /// MLP or DCGAN-style convolutional networks.
    pub arch: Arch,
    /// The loss.
    pub loss: GanLoss,
    /// Number of classes of a conditional GAN (`None`: unconditional).
    pub n_classes: Option<usize>,
    /// Weight λ of the gradient penalty (WGAN-GP).
    pub gp_weight: f64,
    /// Discriminator steps per generator step.
    pub n_critic: usize,
    /// One-sided label smoothing of the non-saturating loss: the discriminator's target for
    /// real images is `1 − label_smoothing` (Salimans et al. 2016), so it cannot grow
    /// arbitrarily confident.
    #[serde(default)]
    pub label_smoothing: f64,
    /// Dropout rate after each hidden dense layer of the discriminator while training with the
    /// non-saturating loss (0 = none).
    #[serde(default)]
    pub d_dropout: f64,
    /// Channels of the convolutional networks: the discriminator's convolutions have `w` and
    /// `2w`, the generator's dense layer feeds `2w` maps of a quarter the image size to a
    /// transposed convolution with `w` (DCGAN's 64 by default).
    #[serde(default = "default_conv_width")]
    pub conv_width: usize,
    /// Batch normalisation after each hidden layer of the generator (Radford et al. 2016): the
    /// conv generator's dense layer (per channel) and its first transposed convolution, the
    /// MLP generator's hidden layers. Statistics of the batch while training, running averages
    /// (momentum 0.1) when generating.
    #[serde(default)]
    pub batch_norm: bool,
    /// Decay of an exponential moving average of the generator's weights, kept beside the
    /// trained generator and used for every image the model generates (0 = none; 0.999 is
    /// usual). The average smooths out the generator's step-to-step oscillation, which is what
    /// makes single GAN samples noisy (Yazıcı et al. 2019). The first fit warms it up with
    /// decay `min(ema, (1 + t) / (10 + t))` at generator step `t`.
    #[serde(default)]
    pub ema: f64,
}

fn default_conv_width() -> usize {
    64
}

impl GanConfig {
    /// The MLP GAN of the issue: generator 64-256-256-D, discriminator D-256-256-1,
    /// non-saturating loss.
    pub fn mlp(input_dim: usize, image_shape: (usize, usize)) -> Self {
        GanConfig {
            input_dim,
            image_shape,
            latent: 64,
            g_hidden: vec![256, 256],
            d_hidden: vec![256, 256],
            arch: Arch::Mlp,
            loss: GanLoss::NonSaturating,
            n_classes: None,
            gp_weight: 10.0,
            n_critic: 1,
            label_smoothing: 0.0,
            d_dropout: 0.0,
            conv_width: default_conv_width(),
            batch_norm: false,
            ema: 0.0,
        }
    }

    /// An error naming the first setting that cannot be used.
    pub fn check(&self) -> Result<()> {
        if self.input_dim == 0
            || self.image_shape.0.checked_mul(self.image_shape.1) != Some(self.input_dim)
        {
            return Err(invalid(
                "image_shape",
                format!("{:?}", self.image_shape),
                &format!("height × width = input_dim ({}) > 0", self.input_dim),
            ));
        }
        if self.latent == 0 {
            return Err(invalid("latent", "0", "at least 1 latent dimension"));
        }
        if let Some(h) = self
            .g_hidden
            .iter()
            .chain(&self.d_hidden)
            .find(|&&h| h == 0)
        {
            return Err(invalid(
                "hidden",
                h.to_string(),
                "at least 1 unit per hidden layer",
            ));
        }
        for (name, v) in [
            ("label_smoothing", self.label_smoothing),
            ("d_dropout", self.d_dropout),
            ("ema", self.ema),
        ] {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(name, v.to_string(), "a number in [0, 1)"));
            }
        }
        if self.n_critic == 0 {
            return Err(invalid("n_critic", "0", "at least 1"));
        }
        if self.conv_width == 0 {
            return Err(invalid("conv_width", "0", "at least 1 channel"));
        }
        if !(self.gp_weight.is_finite() && self.gp_weight >= 0.0) {
            return Err(invalid(
                "gp_weight",
                self.gp_weight.to_string(),
                "a finite number >= 0",
            ));
        }
        check_classes_and_arch(self.n_classes, self.arch, self.image_shape)
    }

    pub(super) fn classes(&self) -> usize {
        self.n_classes.unwrap_or(0)
    }

    pub(super) fn small(&self) -> (usize, usize) {
        (self.image_shape.0 / 4, self.image_shape.1 / 4)
    }

    /// The tensors of [`GanNets`] for this configuration, by name and shape, from its numbers
    /// alone (checked arithmetic: an overflow is an error, nothing is allocated).
    pub(crate) fn tensor_plan(&self) -> std::result::Result<TensorPlan, String> {
        let mut p = TensorPlan::new();
        self.generator_plan("g", &mut p)?;
        if self.ema > 0.0 {
            self.generator_plan("g_ema", &mut p)?;
        }
        let cw = self.conv_width;
        let cw2 = size_mul(2, cw, "the convolution width")?;
        let (sh, sw) = self.small();
        let mut w = match self.arch {
            Arch::Mlp => self.input_dim,
            Arch::Conv => {
                p.conv2d("d.conv.0", 1, cw, 4)
                    .conv2d("d.conv.1", cw, cw2, 4);
                size_mul(
                    cw2,
                    size_mul(sh, sw, "image size")?,
                    "the critic's features",
                )?
            }
        };
        if self.arch == Arch::Mlp {
            for (i, &h) in self.d_hidden.iter().enumerate() {
                p.linear(&format!("d.lin.{i}"), w, h);
                w = h;
            }
        }
        p.linear("d.out", w, 1);
        if let Some(k) = self.n_classes {
            p.linear("d.embed", k, w);
        }
        Ok(p)
    }

    /// The tensors of one [`Generator`] under `prefix`.
    pub(super) fn generator_plan(
        &self,
        prefix: &str,
        p: &mut TensorPlan,
    ) -> std::result::Result<(), String> {
        let mut w = size_add(self.latent, self.classes(), "the generator's input width")?;
        let norm_widths = match self.arch {
            Arch::Mlp => {
                for (i, &h) in self.g_hidden.iter().enumerate() {
                    p.linear(&format!("{prefix}.lin.{i}"), w, h);
                    w = h;
                }
                p.linear(&format!("{prefix}.out"), w, self.input_dim);
                self.g_hidden.clone()
            }
            Arch::Conv => {
                let cw = self.conv_width;
                let cw2 = size_mul(2, cw, "the convolution width")?;
                let (sh, sw) = self.small();
                p.conv_transpose2d(&format!("{prefix}.convt.0"), cw2, cw, 4)
                    .conv_transpose2d(&format!("{prefix}.convt.1"), cw, 1, 4);
                let o = size_mul(cw2, size_mul(sh, sw, "image size")?, "the generator's maps")?;
                p.linear(&format!("{prefix}.out"), w, o);
                vec![cw2, cw]
            }
        };
        if self.batch_norm {
            for (i, &n) in norm_widths.iter().enumerate() {
                p.batch_norm(&format!("{prefix}.bn.{i}"), n);
            }
        }
        Ok(())
    }
}
