//! The generator, the discriminator and the pair of them ([`GanNets`], with the optional
//! weight-averaged generator).

use super::*;

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{BatchNorm, BatchNormConfig, Linear};
use burn::tensor::activation::{leaky_relu, relu, sigmoid};
use burn::tensor::{Device, Tensor};

use crate::core::SeededRng;
use crate::neural::tensor::uniform_tensor;
use crate::neural::train::{init_conv2d, init_conv_transpose2d, init_linear};
use crate::neural::vae::Arch;

/// The generator network.
#[derive(Module, Debug)]
pub struct Generator {
    pub(super) lin: Vec<Linear>,
    pub(super) out: Linear,
    pub(super) convt: Vec<ConvTranspose2d>,
    /// One per hidden layer when the configuration asks for batch normalisation.
    pub(super) bn: Vec<BatchNorm>,
}

/// The discriminator (critic) network. A conditional one is a projection discriminator
/// (Miyato & Koyama 2018): `D(x, y) = out(φ(x)) + ⟨e_y, φ(x)⟩`, with `φ(x)` its last hidden
/// features and `e_y` a learned vector per class, so the label weighs on every feature (a
/// one-hot appended to the input is one of 785 inputs, and appended to a conv
/// discriminator's features only shifts its output per class).
#[derive(Module, Debug)]
pub struct Discriminator {
    pub(super) conv: Vec<Conv2d>,
    pub(super) lin: Vec<Linear>,
    pub(super) out: Linear,
    pub(super) embed: Option<Linear>,
}

impl Generator {
    pub(super) fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
        let mut w = c.latent + c.classes();
        let mut lin = Vec::new();
        let mut convt = Vec::new();
        let cw = c.conv_width;
        let (out, norm_widths) = match c.arch {
            Arch::Mlp => {
                for &h in &c.g_hidden {
                    lin.push(init_linear(w, h, rng, dev));
                    w = h;
                }
                (init_linear(w, c.input_dim, rng, dev), c.g_hidden.clone())
            }
            Arch::Conv => {
                let (sh, sw) = c.small();
                convt.push(init_conv_transpose2d(2 * cw, cw, 4, 2, 1, rng, dev));
                convt.push(init_conv_transpose2d(cw, 1, 4, 2, 1, rng, dev));
                (init_linear(w, 2 * cw * sh * sw, rng, dev), vec![2 * cw, cw])
            }
        };
        let bn = match c.batch_norm {
            true => norm_widths
                .iter()
                .map(|&n| BatchNormConfig::new(n).init(dev))
                .collect(),
            false => Vec::new(),
        };
        Generator {
            lin,
            out,
            convt,
            bn,
        }
    }

    /// The `i`-th hidden layer's batch normalisation, if any.
    pub(super) fn norm<const D: usize>(&self, i: usize, h: Tensor<D>) -> Tensor<D> {
        match self.bn.get(i) {
            Some(bn) => bn.forward(h),
            None => h,
        }
    }

    /// Pixels in `[0, 1]`, `[B, D]`.
    pub(super) fn forward(&self, c: &GanConfig, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
        let mut h = z;
        if let Some(y) = y {
            h = Tensor::cat(vec![h, y], 1);
        }
        for (i, l) in self.lin.iter().enumerate() {
            h = relu(self.norm(i, l.forward(h)));
        }
        let h = self.out.forward(h);
        if self.convt.is_empty() {
            return sigmoid(h);
        }
        let b = h.dims()[0];
        let (sh, sw) = c.small();
        let mut t: Tensor<4> = relu(self.norm(0, h.reshape([b, 2 * c.conv_width, sh, sw])));
        t = relu(self.norm(1, self.convt[0].forward(t)));
        t = self.convt[1].forward(t);
        sigmoid(t.reshape([b, c.input_dim]))
    }
}

impl Discriminator {
    pub(super) fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
        let mut conv = Vec::new();
        let mut w = match c.arch {
            Arch::Mlp => c.input_dim,
            Arch::Conv => {
                let cw = c.conv_width;
                conv.push(init_conv2d(1, cw, 4, 2, 1, rng, dev));
                conv.push(init_conv2d(cw, 2 * cw, 4, 2, 1, rng, dev));
                let (sh, sw) = c.small();
                2 * cw * sh * sw
            }
        };
        let mut lin = Vec::new();
        let hidden: &[usize] = match c.arch {
            Arch::Mlp => &c.d_hidden,
            Arch::Conv => &[],
        };
        for &h in hidden {
            lin.push(init_linear(w, h, rng, dev));
            w = h;
        }
        Discriminator {
            conv,
            lin,
            out: init_linear(w, 1, rng, dev),
            embed: c.n_classes.map(|k| init_linear(k, w, rng, dev)),
        }
    }

    /// The critic's score (a logit for the non-saturating loss), `[B]`.
    pub(super) fn forward(&self, c: &GanConfig, x: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<1> {
        self.forward_dropout(c, x, y, None)
    }

    /// [`forward`](Self::forward) with dropout masks drawn from `rng` when given.
    pub(super) fn forward_dropout(
        &self,
        c: &GanConfig,
        x: Tensor<2>,
        y: Option<Tensor<2>>,
        mut rng: Option<&mut SeededRng>,
    ) -> Tensor<1> {
        let b = x.dims()[0];
        let mut h = x;
        if !self.conv.is_empty() {
            let (ih, iw) = c.image_shape;
            let mut t: Tensor<4> = h.reshape([b, 1, ih, iw]);
            for l in &self.conv {
                t = leaky_relu(l.forward(t), 0.2);
            }
            let (sh, sw) = c.small();
            h = t.reshape([b, 2 * c.conv_width * sh * sw]);
        }
        for l in &self.lin {
            h = leaky_relu(l.forward(h), 0.2);
            if let Some(r) = rng.as_deref_mut().filter(|_| c.d_dropout > 0.0) {
                let keep = uniform_tensor(r, h.dims(), &h.device())
                    .greater_equal_elem(c.d_dropout)
                    .float();
                h = h * keep / (1.0 - c.d_dropout);
            }
        }
        let score = self.out.forward(h.clone()).reshape([b]);
        match (y, &self.embed) {
            (Some(y), Some(e)) => score + (e.forward(y) * h).sum_dim(1).reshape([b]),
            _ => score,
        }
    }
}

/// The generator and discriminator together.
#[derive(Module, Debug)]
pub struct GanNets {
    pub(super) g: Generator,
    pub(super) d: Discriminator,
    /// The moving average of the generator's weights, when the configuration keeps one.
    pub(super) g_ema: Option<Generator>,
}

impl GanNets {
    /// Fresh networks; the average starts as a copy of the generator.
    pub(super) fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
        let mut copy = rng.clone();
        let g = Generator::new(c, rng, dev);
        let g_ema = (c.ema > 0.0).then(|| Generator::new(c, &mut copy, dev));
        GanNets {
            g,
            d: Discriminator::new(c, rng, dev),
            g_ema,
        }
    }

    /// The generator that makes the model's images: the average when there is one.
    pub(super) fn sampler(&self) -> &Generator {
        self.g_ema.as_ref().unwrap_or(&self.g)
    }
}
