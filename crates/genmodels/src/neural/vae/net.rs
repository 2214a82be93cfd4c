//! The encoder and decoder networks ([`VaeNet`]) and the two terms of the ELBO.

use super::*;

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::Linear;
use burn::tensor::activation::{relu, softplus};
use burn::tensor::{Device, Tensor};

use crate::core::SeededRng;
use crate::neural::train::{init_conv2d, init_conv_transpose2d, init_linear};

pub(super) const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// The encoder and decoder networks.
#[derive(Module, Debug)]
pub struct VaeNet {
    pub(super) enc_conv: Vec<Conv2d>,
    pub(super) enc: Vec<Linear>,
    pub(super) mu: Linear,
    pub(super) logvar: Linear,
    pub(super) dec: Vec<Linear>,
    pub(super) out: Linear,
    pub(super) dec_conv: Vec<ConvTranspose2d>,
    pub(super) log_sigma: Option<Param<Tensor<1>>>,
}

impl VaeNet {
    pub(super) fn new(c: &VaeConfig, rng: &mut SeededRng, dev: &Device) -> Self {
        let k = c.classes();
        let mut enc_conv = Vec::new();
        let mut dec_conv = Vec::new();
        let feat = match c.arch {
            Arch::Mlp => c.input_dim,
            Arch::Conv => {
                enc_conv.push(init_conv2d(1, 32, 4, 2, 1, rng, dev));
                enc_conv.push(init_conv2d(32, 64, 4, 2, 1, rng, dev));
                c.conv_flat()
            }
        };
        let mut enc = Vec::new();
        let mut w = feat + k;
        for &h in &c.hidden {
            enc.push(init_linear(w, h, rng, dev));
            w = h;
        }
        let mu = init_linear(w, c.latent, rng, dev);
        let logvar = init_linear(w, c.latent, rng, dev);
        let mut dec = Vec::new();
        let mut w = c.latent + k;
        for &h in c.hidden.iter().rev() {
            dec.push(init_linear(w, h, rng, dev));
            w = h;
        }
        let out = init_linear(w, feat, rng, dev);
        if c.arch == Arch::Conv {
            dec_conv.push(init_conv_transpose2d(64, 32, 4, 2, 1, rng, dev));
            dec_conv.push(init_conv_transpose2d(32, 1, 4, 2, 1, rng, dev));
        }
        let log_sigma = (c.likelihood == Likelihood::Gaussian)
            .then(|| Param::from_tensor(Tensor::zeros([c.input_dim], dev)));
        VaeNet {
            enc_conv,
            enc,
            mu,
            logvar,
            dec,
            out,
            dec_conv,
            log_sigma,
        }
    }

    /// `(μ, log σ²)` of `q(z | x, y)`.
    pub(super) fn encode(
        &self,
        c: &VaeConfig,
        x: Tensor<2>,
        y: Option<Tensor<2>>,
    ) -> (Tensor<2>, Tensor<2>) {
        let mut h = x;
        if !self.enc_conv.is_empty() {
            let b = h.dims()[0];
            let (ih, iw) = c.image_shape;
            let mut t: Tensor<4> = h.reshape([b, 1, ih, iw]);
            for l in &self.enc_conv {
                t = relu(l.forward(t));
            }
            h = t.reshape([b, c.conv_flat()]);
        }
        if let Some(y) = y {
            h = Tensor::cat(vec![h, y], 1);
        }
        for l in &self.enc {
            h = relu(l.forward(h));
        }
        (self.mu.forward(h.clone()), self.logvar.forward(h))
    }

    /// The decoder's output: logits (Bernoulli) or means (Gaussian), `[B, D]`.
    pub(super) fn decode(&self, c: &VaeConfig, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
        let mut h = z;
        if let Some(y) = y {
            h = Tensor::cat(vec![h, y], 1);
        }
        for l in &self.dec {
            h = relu(l.forward(h));
        }
        let h = self.out.forward(h);
        if self.dec_conv.is_empty() {
            return h;
        }
        let b = h.dims()[0];
        let (ih, iw) = c.image_shape;
        let mut t: Tensor<4> = relu(h).reshape([b, 64, ih / 4, iw / 4]);
        let n = self.dec_conv.len();
        for (i, l) in self.dec_conv.iter().enumerate() {
            t = l.forward(t);
            if i + 1 < n {
                t = relu(t);
            }
        }
        t.reshape([b, c.input_dim])
    }

    /// `log p(x | z)` per row, `[B]`, from the decoder's output.
    pub(super) fn log_px(&self, c: &VaeConfig, x: Tensor<2>, out: Tensor<2>) -> Tensor<1> {
        let b = x.dims()[0];
        let per = match &self.log_sigma {
            None => x * out.clone() - softplus(out, 1.0),
            Some(ls) => {
                let ls: Tensor<2> = ls.val().clamp(-7.0, 5.0).unsqueeze_dim(0);
                let zsq = ((x - out) * (ls.clone() * -1.0).exp()).square();
                zsq * -0.5 - ls - 0.5 * LN_2PI
            }
        };
        let _ = c;
        per.sum_dim(1).reshape([b])
    }

    /// `KL(q(z | x) ‖ N(0, I))` per row, `[B]`.
    pub(super) fn kl(mu: Tensor<2>, lv: Tensor<2>) -> Tensor<1> {
        let b = mu.dims()[0];
        ((mu.square() + lv.clone().exp() - lv - 1.0) * 0.5)
            .sum_dim(1)
            .reshape([b])
    }

    /// `(−ELBO_β, log p(x|z), KL)` per row with the given noise.
    pub(super) fn terms(
        &self,
        c: &VaeConfig,
        x: Tensor<2>,
        y: Option<Tensor<2>>,
        eps: Tensor<2>,
    ) -> (Tensor<1>, Tensor<1>) {
        let (mu, lv) = self.encode(c, x.clone(), y.clone());
        let z = mu.clone() + (lv.clone() * 0.5).exp() * eps;
        let out = self.decode(c, z, y);
        (self.log_px(c, x, out), Self::kl(mu, lv))
    }
}
