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

use std::path::Path;
use std::time::Instant;

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::activation::{relu, sigmoid, softplus};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, size_add, size_mul, CheckpointMeta, TensorPlan};
use super::mlp_cpu::{linear_parts, set_linear, tensor_vec, DenseParts};
use super::tensor::{normal_tensor, tensor_from_rows};
use super::train::{
    check_images, check_model_labels, end_of_epoch, init_conv2d, init_conv_transpose2d,
    init_linear, invalid, model_one_hot, scalar, BatchReport, EarlyStopping, EpochRecord,
    FitReport, TrainConfig,
};
use super::vae_cpu::{self, VaeCpu};
use crate::core::{rng_from_seed, SeededRng};
use crate::core::{DataError, Flow, Monitor, ParamError, Result, Step};

const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// Decoded samples per tensor operation of the IWAE bound (bounds its memory).
const IWAE_CHUNK: usize = 8192;

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

    fn conv_flat(&self) -> usize {
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

    /// A VAE of this shape trained on `x` (and `labels` for a conditional VAE) from initial
    /// weights drawn from `train.seed`, on `device` (a plain, non-autodiff device): [`Vae::new_on`]
    /// then [`Vae::train`], with the same arguments.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    pub fn fit(
        &self,
        device: &Device,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        validation: Option<(&Array2<f32>, Option<&[usize]>)>,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Vae, &EpochRecord) -> Result<()>,
    ) -> Result<Vae> {
        let mut vae = Vae::new_on(self.clone(), train.seed, device)?;
        vae.fit_on(x, labels, train, validation, monitor, on_epoch, true)?;
        Ok(vae)
    }

    fn classes(&self) -> usize {
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

/// The encoder and decoder networks.
#[derive(Module, Debug)]
pub struct VaeNet {
    enc_conv: Vec<Conv2d>,
    enc: Vec<Linear>,
    mu: Linear,
    logvar: Linear,
    dec: Vec<Linear>,
    out: Linear,
    dec_conv: Vec<ConvTranspose2d>,
    log_sigma: Option<Param<Tensor<1>>>,
}

impl VaeNet {
    fn new(c: &VaeConfig, rng: &mut SeededRng, dev: &Device) -> Self {
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
    fn encode(&self, c: &VaeConfig, x: Tensor<2>, y: Option<Tensor<2>>) -> (Tensor<2>, Tensor<2>) {
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
    fn decode(&self, c: &VaeConfig, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
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
    fn log_px(&self, c: &VaeConfig, x: Tensor<2>, out: Tensor<2>) -> Tensor<1> {
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
    fn kl(mu: Tensor<2>, lv: Tensor<2>) -> Tensor<1> {
        let b = mu.dims()[0];
        ((mu.square() + lv.clone().exp() - lv - 1.0) * 0.5)
            .sum_dim(1)
            .reshape([b])
    }

    /// `(−ELBO_β, log p(x|z), KL)` per row with the given noise.
    fn terms(
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

fn data_checks(c: &VaeConfig, x: &Array2<f32>, what: &str) -> Result<()> {
    let unit = (c.likelihood == Likelihood::Bernoulli)
        .then_some("[0, 1] for Bernoulli pixels; scale the data or use the Gaussian likelihood");
    check_images(x, c.input_dim, c.image_shape, what, unit)
}

impl Vae {
    /// A VAE with initial weights drawn from `seed`, on the CPU.
    pub fn new(config: VaeConfig, seed: u64) -> Result<Self> {
        Self::new_on(config, seed, &super::tensor::cpu())
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

    /// A copy of this model trained further on `x` (one image per row) with `labels` for a
    /// conditional VAE: `self` is untouched. Reports each mini-batch and each epoch's mean
    /// negative ELBO to `monitor` (which may stop the fit, or cancel it: then the result is
    /// [`Error::Interrupted`](crate::core::Error::Interrupted)) and calls `on_epoch` with the
    /// model after each epoch (for snapshots). With a validation set and `train.patience`,
    /// stops when the validation loss has not improved for that many epochs. Epochs already in
    /// the report count: a resumed fit continues the numbering. [`VaeConfig::fit`] starts from
    /// new weights.
    ///
    /// An MLP VAE on the CPU trains on a hand-written, multi-threaded trainer
    /// (`neural::vae_cpu`) with the same arithmetic as the burn model; other VAEs (convolutional,
    /// or on a GPU) train through burn's automatic differentiation.
    #[allow(clippy::type_complexity)]
    pub fn train(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        validation: Option<(&Array2<f32>, Option<&[usize]>)>,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Vae, &EpochRecord) -> Result<()>,
    ) -> Result<Vae> {
        let mut next = self.clone();
        next.fit_on(x, labels, train, validation, monitor, on_epoch, true)?;
        Ok(next)
    }

    /// [`Vae::train`] in place, with the hand-written CPU trainer allowed or not (tests compare the two).
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn fit_on(
        &mut self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        validation: Option<(&Array2<f32>, Option<&[usize]>)>,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Vae, &EpochRecord) -> Result<()>,
        allow_cpu_trainer: bool,
    ) -> Result<()> {
        train.check()?;
        self.check_data(x, labels)?;
        if let Some((v, vl)) = validation {
            data_checks(&self.config, v, "the validation images")?;
            self.check_labels(vl, v.nrows())?;
        }
        if train.dynamic_binarization && self.config.likelihood != Likelihood::Bernoulli {
            return Err(invalid(
                "dynamic_binarization",
                true,
                "a Bernoulli likelihood (Gaussian pixels are not binarised)",
            ));
        }
        let done = self.report.epochs.len();
        let mut rng = rng_from_seed(
            train
                .seed
                .wrapping_add(0x5EED_0000_u64.wrapping_mul(done as u64 + 1)),
        );
        let mut cpu_trainer = allow_cpu_trainer.then(|| self.cpu_trainer(train)).flatten();
        let mut net = cpu_trainer.is_none().then(|| self.net.clone().train());
        let mut opt = train.adam();
        let mut stop = train.patience.map(EarlyStopping::new);
        let c = self.config.clone();
        self.report.n_train = x.nrows();
        let x_rows = x.as_standard_layout();
        let x_flat = x_rows.as_slice().expect("standard layout");
        for e in 0..train.epochs {
            let t0 = Instant::now();
            let mut total = 0.0;
            let batches = super::tensor::shuffled_batches(x.nrows(), train.batch_size, &mut rng);
            let mut report =
                BatchReport::new(done + e + 1, done + train.epochs, batches.len(), x.nrows());
            for idx in batches {
                // The same draws in the same order on both paths.
                let u = train
                    .dynamic_binarization
                    .then(|| super::tensor::uniform_vec(&mut rng, idx.len() * c.input_dim));
                let eps = super::tensor::normal_vec(&mut rng, idx.len() * c.latent);
                if let Some(t) = &mut cpu_trainer {
                    let sum = t.step(x_flat, &idx, labels, u.as_deref(), &eps, train.lr as f32);
                    total += sum;
                    report.done(monitor, idx.len(), Some(sum / idx.len() as f64))?;
                    continue;
                }
                let Some(n) = net.take() else {
                    unreachable!("the burn path has its network")
                };
                let tdev = &n.mu.weight.val().device();
                let mut xb = tensor_from_rows(x, &idx, tdev);
                if let Some(u) = u {
                    let u = Tensor::from_data(TensorData::new(u, xb.dims()), tdev);
                    xb = u.lower(xb).float();
                }
                let yb = self.onehot(labels, &idx, tdev);
                let eps = Tensor::from_data(TensorData::new(eps, [idx.len(), c.latent]), tdev);
                let (lpx, kl) = n.terms(&c, xb, yb, eps);
                let loss = (kl * c.beta - lpx).sum() / idx.len() as f64;
                let mean = scalar(loss.clone().detach());
                total += mean * idx.len() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), &n);
                net = Some(opt.step(train.lr, n, grads));
                report.done(monitor, idx.len(), Some(mean))?;
            }
            let train_loss = total / x.nrows() as f64;
            if !train_loss.is_finite() {
                return Err(crate::core::NumericalError::Diverged {
                    iteration: done + e + 1,
                    detail: format!(
                        "the training loss became {train_loss}; lower the learning rate (--lr)"
                    ),
                }
                .into());
            }
            match (&cpu_trainer, &net) {
                (Some(t), _) => self.take_cpu_weights(t),
                (None, Some(n)) => self.net = n.clone().valid(),
                (None, None) => unreachable!("one of the two paths trains"),
            }
            let val = match validation {
                Some((v, vl)) => {
                    let elbo = self.elbo(v, vl, &mut rng_from_seed(train.seed ^ 0xE1B0))?;
                    Some(-elbo.mean().unwrap_or(f64::NAN))
                }
                None => None,
            };
            let rec = EpochRecord {
                epoch: done + e + 1,
                train_loss,
                train_loss2: None,
                validation: val,
                seconds: t0.elapsed().as_secs_f64(),
            };
            self.report.epochs.push(rec.clone());
            on_epoch(self, &rec)?;
            let flow = end_of_epoch(
                monitor,
                Step {
                    run: 0,
                    iteration: done + e + 1,
                    max_iterations: done + train.epochs,
                    objective: -train_loss,
                },
            )?;
            let early = match (&mut stop, val) {
                (Some(s), Some(v)) => s.update(v),
                _ => false,
            };
            if flow == Flow::Stop || early {
                self.report.stopped_early = true;
                break;
            }
        }
        Ok(())
    }

    /// The hand-written CPU trainer for this model, if it applies: an MLP on the CPU.
    fn cpu_trainer(&self, train: &TrainConfig) -> Option<VaeCpu> {
        if self.config.arch != Arch::Mlp || self.device != super::tensor::cpu() {
            return None;
        }
        let n = &self.net;
        let mut dense: Vec<DenseParts> = n.enc.iter().map(linear_parts).collect();
        // The head: [μ | ln σ²] side by side, one product instead of two.
        let ((wm, bm), (wl, bl)) = (linear_parts(&n.mu), linear_parts(&n.logvar));
        let lat = self.config.latent;
        let w: Vec<f32> = wm
            .chunks_exact(lat)
            .zip(wl.chunks_exact(lat))
            .flat_map(|(a, b)| a.iter().chain(b).copied())
            .collect();
        dense.push((w, bm.into_iter().chain(bl).collect()));
        dense.extend(n.dec.iter().map(linear_parts));
        dense.push(linear_parts(&n.out));
        let log_sigma = n.log_sigma.as_ref().map(|p| tensor_vec(p.val()));
        let shape = vae_cpu::Shape {
            input: self.config.input_dim,
            classes: self.config.classes(),
            latent: lat,
            depth: self.config.hidden.len(),
            beta: self.config.beta as f32,
        };
        Some(VaeCpu::new(shape, dense, log_sigma, train))
    }

    /// Copies the CPU trainer's weights into the burn network.
    fn take_cpu_weights(&mut self, t: &VaeCpu) {
        let (dense, log_sigma) = t.export();
        let dev = self.device.clone();
        let depth = self.config.hidden.len();
        let lat = self.config.latent;
        let mut it = dense.into_iter();
        let n = &mut self.net;
        for l in n.enc.iter_mut() {
            set_linear(l, it.next().expect("encoder layer"), &dev);
        }
        let (w, b) = it.next().expect("head");
        let (mut wm, mut wl) = (Vec::new(), Vec::new());
        for row in w.chunks_exact(2 * lat) {
            wm.extend_from_slice(&row[..lat]);
            wl.extend_from_slice(&row[lat..]);
        }
        set_linear(&mut n.mu, (wm, b[..lat].to_vec()), &dev);
        set_linear(&mut n.logvar, (wl, b[lat..].to_vec()), &dev);
        for l in n.dec.iter_mut() {
            set_linear(l, it.next().expect("decoder layer"), &dev);
        }
        set_linear(&mut n.out, it.next().expect("output layer"), &dev);
        if let Some(ls) = log_sigma {
            let d = ls.len();
            n.log_sigma = Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(ls, [d]),
                &dev,
            )));
        }
        debug_assert_eq!(n.enc.len(), depth);
    }

    /// The mean and log-variance of `q(z | x)` of each row.
    pub fn encode(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
    ) -> Result<(Array2<f32>, Array2<f32>)> {
        self.check_data(x, labels)?;
        let mut mu = Array2::zeros((x.nrows(), self.config.latent));
        let mut lv = mu.clone();
        for (b, idx) in chunks(x.nrows(), 1024).enumerate() {
            let xb = tensor_from_rows(x, &idx, &self.device);
            let (m, l) = self
                .net
                .encode(&self.config, xb, self.onehot(labels, &idx, &self.device));
            let r0 = b * 1024;
            mu.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&super::tensor::array_from_tensor(m));
            lv.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&super::tensor::array_from_tensor(l));
        }
        Ok((mu, lv))
    }

    /// The decoder's mean image (pixel probabilities, or Gaussian means) of each latent row.
    pub fn decode(&self, z: &Array2<f32>, labels: Option<&[usize]>) -> Result<Array2<f32>> {
        if z.ncols() != self.config.latent {
            return Err(DataError::Columns {
                expected: self.config.latent,
                found: z.ncols(),
                hint: " (latent dimensions)".into(),
            }
            .into());
        }
        self.check_labels(labels, z.nrows())?;
        let mut out = Array2::zeros((z.nrows(), self.config.input_dim));
        for (b, idx) in chunks(z.nrows(), 1024).enumerate() {
            let zb = tensor_from_rows(z, &idx, &self.device);
            let o = self
                .net
                .decode(&self.config, zb, self.onehot(labels, &idx, &self.device));
            let o = match self.config.likelihood {
                Likelihood::Bernoulli => sigmoid(o),
                Likelihood::Gaussian => o,
            };
            let r0 = b * 1024;
            out.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&super::tensor::array_from_tensor(o));
        }
        Ok(out)
    }

    /// `n` new images (decoder means of `z ~ N(0, I)`); a conditional VAE needs `labels`
    /// (one per image).
    pub fn sample(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        // The latent draws and the decoded images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "samples",
            n,
            self.config.latent + 2 * self.config.input_dim,
            4,
        )?;
        let z = super::tensor::array_from_tensor(normal_tensor(
            rng,
            [n, self.config.latent],
            &self.device,
        ));
        self.decode(&z, labels)
    }

    /// The single-sample ELBO of each row: `log p(x | z) − KL(q(z|x) ‖ p(z))` with one draw
    /// `z ~ q(z | x)` and the KL term in closed form (β is not applied: this is the bound).
    pub fn elbo(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        rng: &mut SeededRng,
    ) -> Result<Array1<f64>> {
        self.check_data(x, labels)?;
        // All the noise first, in row order; then chunks of rows on rayon's threads.
        let lat = self.config.latent;
        let eps = super::tensor::normal_vec(rng, x.nrows() * lat);
        let parts: Vec<Vec<f64>> = chunks(x.nrows(), 1024)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|idx| {
                let dev = &self.device;
                let xb = tensor_from_rows(x, &idx, dev);
                let e = eps[idx[0] * lat..(idx[0] + idx.len()) * lat].to_vec();
                let e = Tensor::from_data(TensorData::new(e, [idx.len(), lat]), dev);
                let (lpx, kl) = self
                    .net
                    .terms(&self.config, xb, self.onehot(labels, &idx, dev), e);
                tensor_vec(lpx - kl).into_iter().map(f64::from).collect()
            })
            .collect();
        Ok(Array1::from(parts.concat()))
    }

    /// The importance-weighted bound with `k` samples of each row (Burda et al. 2015):
    /// `log (1/k) Σ p(x, zᵢ) / q(zᵢ | x)`, `zᵢ ~ q(z | x)` — a lower bound on `log p(x)` in
    /// expectation that tightens as `k` grows. Computed in chunks of at most 8192 decoded
    /// samples, with the log-mean-exp accumulated in f64, so `k = 5000` fits in memory.
    pub fn iwae(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        k: usize,
        rng: &mut SeededRng,
    ) -> Result<Array1<f64>> {
        if k == 0 {
            return Err(ParamError::Invalid {
                name: "iwae",
                value: "0".into(),
                expected: "at least 1 importance sample".into(),
            }
            .into());
        }
        self.check_data(x, labels)?;
        let rows = if k >= IWAE_CHUNK {
            1
        } else {
            (IWAE_CHUNK / k).max(1)
        };
        let lat = self.config.latent;
        let all: Vec<Vec<usize>> = chunks(x.nrows(), rows).collect();
        // Chunks of images run on rayon's threads, a round of one chunk per thread at a time;
        // each round's noise is drawn first, in the order of a sequential run, so the estimate
        // does not depend on the number of threads.
        let threads = rayon::current_num_threads().max(1);
        let mut out = Vec::with_capacity(x.nrows());
        for round in all.chunks(threads) {
            let work: Vec<(&Vec<usize>, Vec<f32>)> = round
                .iter()
                .map(|idx| (idx, super::tensor::normal_vec(rng, idx.len() * k * lat)))
                .collect();
            let done: Vec<Vec<f64>> = work
                .into_par_iter()
                .map(|(idx, eps)| self.iwae_chunk(x, labels, idx, k, &eps))
                .collect();
            out.extend(done.into_iter().flatten());
        }
        Ok(Array1::from(out))
    }

    /// The IWAE bound of rows `idx` of `x` with `k` samples each, from the noise `eps`
    /// (`idx.len() · k · latent` standard normal draws, in blocks of up to 8192 samples).
    fn iwae_chunk(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        idx: &[usize],
        k: usize,
        eps: &[f32],
    ) -> Vec<f64> {
        let c = &self.config;
        let dev = &self.device;
        let kc = k.min(IWAE_CHUNK);
        let b = idx.len();
        let xb = tensor_from_rows(x, idx, dev);
        let yb = self.onehot(labels, idx, dev);
        let (mu, lv) = self.net.encode(c, xb.clone(), yb.clone());
        // Running log-sum-exp per row.
        let mut m = vec![f64::NEG_INFINITY; b];
        let mut s = vec![0f64; b];
        let mut left = k;
        let mut at = 0;
        while left > 0 {
            let kk = left.min(kc);
            left -= kk;
            let rep = |t: Tensor<2>| -> Tensor<2> {
                let d = t.dims()[1];
                t.unsqueeze_dim::<3>(1)
                    .repeat_dim(1, kk)
                    .reshape([b * kk, d])
            };
            let n = b * kk * c.latent;
            let eps = Tensor::from_data(
                TensorData::new(eps[at..at + n].to_vec(), [b * kk, c.latent]),
                dev,
            );
            at += n;
            let mur = rep(mu.clone());
            let lvr = rep(lv.clone());
            let z = mur + (lvr.clone() * 0.5).exp() * eps.clone();
            let out_t = self.net.decode(c, z.clone(), yb.clone().map(rep));
            let lpx = self.net.log_px(c, rep(xb.clone()), out_t);
            let lpz = (z.square() * -0.5 - 0.5 * LN_2PI)
                .sum_dim(1)
                .reshape([b * kk]);
            let lqz = (eps.square() * -0.5 - lvr * 0.5 - 0.5 * LN_2PI)
                .sum_dim(1)
                .reshape([b * kk]);
            let lw = tensor_vec(lpx + lpz - lqz);
            for r in 0..b {
                for &w in &lw[r * kk..(r + 1) * kk] {
                    let w = f64::from(w);
                    if w > m[r] {
                        s[r] = s[r] * (m[r] - w).exp() + 1.0;
                        m[r] = w;
                    } else {
                        s[r] += (w - m[r]).exp();
                    }
                }
            }
        }
        (0..b).map(|r| m[r] + s[r].ln() - (k as f64).ln()).collect()
    }

    /// `steps` images on the straight line between the latent means of `a` and `b` (both
    /// ends included); a conditional VAE decodes them all with `label`.
    pub fn interpolate(
        &self,
        a: &[f32],
        b: &[f32],
        steps: usize,
        label: Option<usize>,
    ) -> Result<Array2<f32>> {
        if steps < 2 {
            return Err(ParamError::Invalid {
                name: "steps",
                value: steps.to_string(),
                expected: "at least 2 (the two ends)".into(),
            }
            .into());
        }
        let d = self.config.input_dim;
        // The latent path and the decoded images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "interpolation steps",
            steps,
            self.config.latent + 2 * d,
            4,
        )?;
        let x = Array2::from_shape_vec((2, a.len()), [a, b].concat()).map_err(|_| {
            DataError::Other(format!(
                "the two images differ in size ({} and {} values)",
                a.len(),
                b.len()
            ))
        })?;
        let lab = label.map(|l| vec![l; 2]);
        let (mu, _) = self.encode(&x, lab.as_deref())?;
        let z = Array2::from_shape_fn((steps, self.config.latent), |(i, j)| {
            let t = i as f32 / (steps - 1) as f32;
            (1.0 - t) * mu[[0, j]] + t * mu[[1, j]]
        });
        let lab = label.map(|l| vec![l; steps]);
        self.decode(&z, lab.as_deref())
    }

    /// The latent attribute vector from class `from` to class `to`: the mean latent mean of
    /// the images labelled `to` minus that of the images labelled `from`.
    pub fn attribute_vector(
        &self,
        x: &Array2<f32>,
        labels: &[usize],
        from: usize,
        to: usize,
    ) -> Result<Array1<f32>> {
        if labels.len() != x.nrows() {
            return Err(DataError::Length {
                what: "the labels".into(),
                found: labels.len(),
                expected: x.nrows(),
            }
            .into());
        }
        if self.config.n_classes.is_some() {
            return Err(DataError::Other(
                "latent attribute vectors need an unconditional VAE (a conditional VAE's latent space does not carry the class)".into(),
            )
            .into());
        }
        let (mu, _) = self.encode(x, None)?;
        let mean_of = |c: usize| -> Result<Array1<f32>> {
            let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            if rows.is_empty() {
                return Err(DataError::Other(format!("no image is labelled {c}")).into());
            }
            Ok(mu
                .select(ndarray::Axis(0), &rows)
                .mean_axis(ndarray::Axis(0))
                .expect("rows"))
        };
        Ok(mean_of(to)? - mean_of(from)?)
    }

    /// Each image moved by `amount × direction` in latent space (from its latent mean), decoded.
    pub fn shift(
        &self,
        x: &Array2<f32>,
        direction: &Array1<f32>,
        amount: f32,
    ) -> Result<Array2<f32>> {
        let (mu, _) = self.encode(x, None)?;
        let z = mu + &(direction * amount);
        self.decode(&z, None)
    }

    /// Number of trainable parameters.
    pub fn n_parameters(&self) -> usize {
        self.net.num_params()
    }

    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors), for a
    /// caller that writes it together with other files.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let meta = CheckpointMeta {
            format: "vae".into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable"),
            report: serde_json::to_value(&self.report).expect("serialisable"),
        };
        checkpoint::module_bytes(&self.net, &meta, path)
    }

    /// Saves the weights with the configuration and report as metadata (format `vae`).
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes(path)?;
        crate::io::write_atomic(path, |w| std::io::Write::write_all(w, &bytes)).map_err(|source| {
            crate::core::ModelFileError::Io {
                path: path.into(),
                source,
            }
            .into()
        })
    }

    /// Loads a VAE checkpoint onto `device` (a plain device, e.g. [`cpu`](super::tensor::cpu)).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::from_checkpoint_bytes(checkpoint::read_bytes(path)?, path, device)
    }

    /// The VAE of a checkpoint's bytes (`path` names them in errors).
    fn from_checkpoint_bytes(bytes: Vec<u8>, path: &Path, device: &Device) -> Result<Self> {
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, "vae")?;
        let bad = |e: String| -> crate::core::Error {
            crate::core::ModelFileError::Corrupt {
                path: path.into(),
                reason: e,
            }
            .into()
        };
        let config: VaeConfig = serde_json::from_value(meta.config.clone())
            .map_err(|e| bad(format!("bad VAE configuration: {e}")))?;
        config.check().map_err(|e| bad(e.to_string()))?;
        // The sizes in the metadata must be those of the stored tensors before any network is
        // built: a configuration asking for a huge network is an error, not an abort.
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        config
            .tensor_plan()
            .map_err(|e| bad(format!("bad VAE configuration: {e}")))?
            .check(&stored, path, "the VAE configuration")?;
        // exp(log σ) must be a positive, finite f32 standard deviation.
        checkpoint::check_values(
            &bytes,
            path,
            |n| n == "log_sigma",
            |v| v.abs() <= 80.0,
            "are log standard deviations and must lie within ±80 (a positive, finite σ)",
        )?;
        let report: FitReport = serde_json::from_value(meta.report.clone()).unwrap_or_default();
        let net = VaeNet::new(&config, &mut rng_from_seed(0), device);
        let (net, _) = checkpoint::module_from_bytes(net, bytes, path, "vae")?;
        Ok(Vae {
            config,
            report,
            net,
            device: device.clone(),
        })
    }
}

fn chunks(n: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    (0..n)
        .step_by(size)
        .map(move |s| (s..(s + size).min(n)).collect())
}

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
            &super::tensor::cpu(),
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
        let vae = Vae::from_checkpoint_bytes(bytes, Path::new(EMBEDDED), &super::tensor::cpu())
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

impl crate::core::Sample for Vae {
    type Output = Array2<f32>;
    /// `n` new images of an unconditional VAE ([`Vae::sample`] without labels; the generator
    /// is seeded from one draw of `rng`).
    fn sample(&self, n: usize, rng: &mut dyn rand::RngCore) -> Result<Array2<f32>> {
        Vae::sample(self, n, None, &mut rng_from_seed(rng.next_u64()))
    }
}

impl crate::core::SampleGiven<[usize]> for Vae {
    type Output = Array2<f32>;
    /// `n` new images of a conditional VAE, one per label ([`Vae::sample`]).
    fn sample_given(
        &self,
        labels: &[usize],
        n: usize,
        rng: &mut dyn rand::RngCore,
    ) -> Result<Array2<f32>> {
        Vae::sample(self, n, Some(labels), &mut rng_from_seed(rng.next_u64()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::neural::tensor::{cpu, cpu_train};
    use crate::neural::train::one_hot_rows;
    use burn::tensor::TensorData;

    fn tiny_cfg(arch: Arch) -> VaeConfig {
        VaeConfig {
            hidden: vec![6],
            latent: 3,
            arch,
            ..VaeConfig::mlp(16, (4, 4))
        }
    }

    /// A fresh VAE of `cfg` (seed `seed`) fitted on `x` without monitoring.
    fn fitted(cfg: VaeConfig, seed: u64, x: &Array2<f32>, t: &TrainConfig) -> Result<Vae> {
        Vae::new(cfg, seed)?.train(x, None, t, None, &mut crate::core::Silent, &mut |_, _| {
            Ok(())
        })
    }

    fn data(n: usize, seed: u64) -> Array2<f32> {
        use rand::Rng;
        let mut r = rng_from_seed(seed);
        Array2::from_shape_fn((n, 16), |(i, j)| {
            let p = if (i % 2 == 0) == (j % 4 < 2) {
                0.9
            } else {
                0.1
            };
            (r.random::<f32>() < p) as u8 as f32
        })
    }

    #[test]
    fn kl_matches_closed_form() {
        let dev = cpu();
        let mu = [0.3f32, -1.2, 0.0, 2.0];
        let lv = [0.1f32, -0.5, 1.3, -2.0];
        let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [2, 2]), &dev);
        let kl = tensor_vec(VaeNet::kl(t(&mu), t(&lv)));
        for r in 0..2 {
            let mut want = 0.0f64;
            for j in 0..2 {
                let (m, l) = (f64::from(mu[2 * r + j]), f64::from(lv[2 * r + j]));
                // KL(N(m, s²) ‖ N(0, 1)) = log(1/s) + (s² + m²)/2 − 1/2
                let s2 = l.exp();
                want += -0.5 * l + (s2 + m * m) / 2.0 - 0.5;
            }
            assert!(
                (f64::from(kl[r]) - want).abs() < 1e-5,
                "{} vs {want}",
                kl[r]
            );
        }
    }

    /// Finite differences against autodiff for one weight of every layer kind (dense, conv,
    /// transposed conv) and for the Gaussian likelihood's log σ.
    #[test]
    fn gradients_match_finite_differences() {
        for (arch, lik) in [
            (Arch::Conv, Likelihood::Bernoulli),
            (Arch::Mlp, Likelihood::Gaussian),
        ] {
            let cfg = VaeConfig {
                likelihood: lik,
                n_classes: Some(2),
                ..tiny_cfg(arch)
            };
            let dev = cpu_train();
            let net = VaeNet::new(&cfg, &mut rng_from_seed(3), &dev);
            let x = data(5, 1);
            let idx: Vec<usize> = (0..5).collect();
            let labels = [0usize, 1, 1, 0, 1];
            let eps = normal_tensor(&mut rng_from_seed(9), [5, 3], &cpu());
            let loss_of = |net: &VaeNet| -> Tensor<1> {
                let d = net.mu.weight.val().device();
                let xb = tensor_from_rows(&x, &idx, &d);
                let y = one_hot_rows(&labels, &idx, 2, &d);
                let (lpx, kl) = net.terms(&cfg, xb, Some(y), eps.clone().to_device(&d));
                (kl - lpx).sum()
            };
            let grads = loss_of(&net).backward();
            // (name, getter of the parameter tensor, setter)
            type Get = fn(&VaeNet) -> Tensor<4>;
            type Set = fn(&mut VaeNet, Tensor<4>);
            let mut cases: Vec<(&str, Get, Set)> = vec![
                (
                    "encoder dense",
                    |n| n.enc[0].weight.val().unsqueeze(),
                    |n, t| n.enc[0].weight = Param::from_tensor(t.squeeze_dims(&[0, 1])),
                ),
                (
                    "decoder dense",
                    |n| n.out.weight.val().unsqueeze(),
                    |n, t| n.out.weight = Param::from_tensor(t.squeeze_dims(&[0, 1])),
                ),
            ];
            if arch == Arch::Conv {
                cases.push((
                    "conv",
                    |n| n.enc_conv[1].weight.val(),
                    |n, t| n.enc_conv[1].weight = Param::from_tensor(t),
                ));
                cases.push((
                    "transposed conv",
                    |n| n.dec_conv[0].weight.val(),
                    |n, t| n.dec_conv[0].weight = Param::from_tensor(t),
                ));
            } else {
                cases.push((
                    "log sigma",
                    |n| n.log_sigma.as_ref().unwrap().val().unsqueeze(),
                    |n, t| n.log_sigma = Some(Param::from_tensor(t.squeeze_dims(&[0, 1, 2]))),
                ));
            }
            let plain = net.valid();
            for (name, get, set) in cases {
                let p = get(&net);
                let g: Vec<f32> = {
                    // The gradient of the same parameter on the autodiff net.
                    let g4 = match name {
                        "encoder dense" => net.enc[0].weight.grad(&grads).map(|t| t.unsqueeze()),
                        "decoder dense" => net.out.weight.grad(&grads).map(|t| t.unsqueeze()),
                        "conv" => net.enc_conv[1].weight.grad(&grads),
                        "transposed conv" => net.dec_conv[0].weight.grad(&grads),
                        _ => net
                            .log_sigma
                            .as_ref()
                            .unwrap()
                            .grad(&grads)
                            .map(|t| t.unsqueeze()),
                    };
                    g4.expect("a gradient")
                        .into_data()
                        .convert::<f32>()
                        .try_into_vec::<f32>()
                        .unwrap()
                };
                let base: Vec<f32> = p
                    .clone()
                    .inner()
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .unwrap();
                let shape = p.dims();
                // The coordinates with the largest gradients (well above f32 noise).
                let mut order: Vec<usize> = (0..g.len()).collect();
                order.sort_by(|&a, &b| g[b].abs().partial_cmp(&g[a].abs()).unwrap());
                for &i in order.iter().take(3) {
                    let h = 1e-3f32;
                    let eval = |delta: f32| -> f64 {
                        let mut v = base.clone();
                        v[i] += delta;
                        let mut m = plain.clone();
                        set(&mut m, Tensor::from_data(TensorData::new(v, shape), &cpu()));
                        scalar(loss_of(&m))
                    };
                    let fd = (eval(h) - eval(-h)) / (2.0 * f64::from(h));
                    let ad = f64::from(g[i]);
                    assert!(
                        (fd - ad).abs() <= 2e-2 * ad.abs().max(1.0),
                        "{arch:?} {name}[{i}]: finite difference {fd} vs autodiff {ad}"
                    );
                }
            }
        }
    }

    /// All weights of the network, in a fixed order.
    fn weights(v: &Vae) -> Vec<f32> {
        let n = &v.net;
        let mut out = Vec::new();
        for l in n
            .enc
            .iter()
            .chain([&n.mu, &n.logvar])
            .chain(&n.dec)
            .chain([&n.out])
        {
            let (w, b) = linear_parts(l);
            out.extend(w);
            out.extend(b);
        }
        if let Some(ls) = &n.log_sigma {
            out.extend(tensor_vec(ls.val()));
        }
        out
    }

    /// The hand-written CPU trainer takes the same steps as burn's automatic differentiation
    /// and Adam: same losses, same weights (up to rounding), for deep and shallow, conditional,
    /// Gaussian and dynamically binarised VAEs, with weight decay and gradient clipping.
    #[test]
    fn the_cpu_trainer_takes_the_same_steps_as_burn() {
        let x = data(40, 3);
        let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
        let grey = x.mapv(|v| 0.2 + 0.6 * v);
        let cases: Vec<(VaeConfig, TrainConfig, &Array2<f32>, bool)> = vec![
            (
                VaeConfig {
                    hidden: vec![7, 5],
                    n_classes: Some(3),
                    beta: 1.5,
                    ..tiny_cfg(Arch::Mlp)
                },
                TrainConfig {
                    weight_decay: 1e-3,
                    grad_clip: Some(0.5),
                    ..TrainConfig::default()
                },
                &x,
                true,
            ),
            (
                VaeConfig {
                    hidden: vec![],
                    ..tiny_cfg(Arch::Mlp)
                },
                TrainConfig {
                    dynamic_binarization: true,
                    beta1: 0.5,
                    ..TrainConfig::default()
                },
                &grey,
                false,
            ),
            (
                VaeConfig {
                    likelihood: Likelihood::Gaussian,
                    ..tiny_cfg(Arch::Mlp)
                },
                TrainConfig::default(),
                &grey,
                false,
            ),
        ];
        for (i, (cfg, t, x, conditional)) in cases.into_iter().enumerate() {
            let t = TrainConfig {
                epochs: 2,
                batch_size: 16,
                lr: 1e-2,
                seed: 9,
                ..t
            };
            let y = conditional.then_some(&labels[..]);
            let run = |allow: bool| {
                let mut v = Vae::new(cfg.clone(), 4).unwrap();
                v.fit_on(
                    x,
                    y,
                    &t,
                    None,
                    &mut crate::core::Silent,
                    &mut |_, _| Ok(()),
                    allow,
                )
                .unwrap();
                v
            };
            let (fast, slow) = (run(true), run(false));
            for (a, b) in fast.report.epochs.iter().zip(&slow.report.epochs) {
                let rel = (a.train_loss - b.train_loss).abs() / b.train_loss.abs();
                assert!(
                    rel < 1e-6,
                    "case {i}: loss {} vs {}",
                    a.train_loss,
                    b.train_loss
                );
            }
            let (wf, ws) = (weights(&fast), weights(&slow));
            assert_eq!(wf.len(), ws.len());
            let worst = wf
                .iter()
                .zip(&ws)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            // 6 Adam steps of up to lr = 0.01 each; rounding differences stay far below. (Before
            // μ's and ln σ²'s gradients were clipped apart, they differed by 3·10⁻³ here.)
            assert!(worst < 1e-5, "case {i}: weights differ by up to {worst}");
            let moved = wf
                .iter()
                .zip(&weights(&Vae::new(cfg.clone(), 4).unwrap()))
                .any(|(a, b)| a != b);
            assert!(moved, "case {i}: the fit changed nothing");
        }
    }

    /// The IWAE bound and the ELBO run their chunks of images on several threads, with the
    /// noise drawn as a sequential run draws it: the same numbers on one thread and on three.
    #[test]
    fn iwae_and_elbo_do_not_depend_on_the_number_of_threads() {
        let x = data(20, 6);
        let v = Vae::new(tiny_cfg(Arch::Mlp), 1).unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // k = 2000: four images per chunk, five chunks.
            pool.install(|| v.iwae(&x, None, 2000, &mut rng_from_seed(8)).unwrap())
        };
        let one = run(1);
        assert_eq!(one.len(), 20);
        assert_eq!(one, run(3));
        assert!(one.iter().all(|v| v.is_finite() && *v < 0.0));
        // The ELBO likewise, over 2500 rows (three chunks of 1024).
        let x = data(2500, 7);
        let elbo = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| v.elbo(&x, None, &mut rng_from_seed(9)).unwrap())
        };
        let one = elbo(1);
        assert_eq!(one.len(), 2500);
        assert_eq!(one, elbo(3));
    }

    /// On the CPU trainer, the validation loss and the per-epoch hook see each epoch's
    /// weights: the recorded validation loss is the ELBO of the model the hook receives, and
    /// it changes from epoch to epoch.
    #[test]
    fn validation_and_the_epoch_hook_see_each_epochs_weights() {
        let (x, v) = (data(64, 2), data(32, 3));
        let t = TrainConfig {
            epochs: 3,
            batch_size: 16,
            lr: 1e-2,
            patience: Some(5),
            ..TrainConfig::default()
        };
        let vae = Vae::new(tiny_cfg(Arch::Mlp), 0).unwrap();
        let mut seen = Vec::new();
        vae.train(
            &x,
            None,
            &t,
            Some((&v, None)),
            &mut crate::core::Silent,
            &mut |m, e| {
                let elbo = m.elbo(&v, None, &mut rng_from_seed(t.seed ^ 0xE1B0))?;
                seen.push((e.validation, -elbo.mean().unwrap()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 3);
        for (recorded, recomputed) in &seen {
            assert_eq!(*recorded, Some(*recomputed));
        }
        assert!(seen[0].1 != seen[1].1 && seen[1].1 != seen[2].1, "{seen:?}");
    }

    /// A learning rate that blows the weights up ends the fit with a clear error on both paths,
    /// not a panic or a model full of NaN.
    #[test]
    fn divergence_is_an_error_on_both_paths() {
        let x = data(32, 1);
        let t = TrainConfig {
            epochs: 3,
            batch_size: 16,
            lr: 1e30,
            ..TrainConfig::default()
        };
        for allow in [true, false] {
            let mut v = Vae::new(tiny_cfg(Arch::Mlp), 0).unwrap();
            let err = v
                .fit_on(
                    &x,
                    None,
                    &t,
                    None,
                    &mut crate::core::Silent,
                    &mut |_, _| Ok(()),
                    allow,
                )
                .unwrap_err();
            assert!(err.to_string().contains("lower the learning rate"), "{err}");
        }
    }

    #[test]
    fn fit_is_reproducible_and_save_load_is_exact() {
        let x = data(64, 2);
        let train = TrainConfig {
            epochs: 2,
            batch_size: 16,
            lr: 1e-2,
            seed: 5,
            ..TrainConfig::default()
        };
        let fit = || fitted(tiny_cfg(Arch::Mlp), 5, &x, &train).unwrap();
        let (a, b) = (fit(), fit());
        assert_eq!(a.report.epochs.len(), 2);
        assert_eq!(
            a.report
                .epochs
                .iter()
                .map(|e| e.train_loss)
                .collect::<Vec<_>>(),
            b.report
                .epochs
                .iter()
                .map(|e| e.train_loss)
                .collect::<Vec<_>>()
        );
        let ea = a.encode(&x, None).unwrap();
        assert_eq!(ea, b.encode(&x, None).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.safetensors");
        a.save(&p).unwrap();
        let c = Vae::load(&p, &cpu()).unwrap();
        assert_eq!(c.config, a.config);
        assert_eq!(c.report, a.report);
        assert_eq!(c.encode(&x, None).unwrap(), ea);
        assert_eq!(
            c.iwae(&x, None, 7, &mut rng_from_seed(1)).unwrap(),
            a.iwae(&x, None, 7, &mut rng_from_seed(1)).unwrap()
        );
        // Truncated checkpoint: a clear error.
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        assert!(Vae::load(&p, &cpu())
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }

    #[test]
    fn bad_input_is_refused() {
        let v = Vae::new(tiny_cfg(Arch::Mlp), 1).unwrap();
        let e = v
            .encode(&Array2::zeros((3, 15)), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("15 columns"), "{e}");
        let mut x = data(3, 1);
        x[[1, 2]] = f32::NAN;
        assert!(v.encode(&x, None).unwrap_err().to_string().contains("NaN"));
        assert!(v
            .encode(&Array2::zeros((0, 16)), None)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        let e = Vae::new(
            VaeConfig {
                latent: 0,
                ..tiny_cfg(Arch::Mlp)
            },
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("latent"), "{e}");
        assert!(Vae::new(
            VaeConfig {
                hidden: vec![0],
                ..tiny_cfg(Arch::Mlp)
            },
            1
        )
        .is_err());
        assert!(Vae::new(tiny_cfg(Arch::Conv), 1).is_ok());
        assert!(Vae::new(
            VaeConfig {
                image_shape: (2, 8),
                ..tiny_cfg(Arch::Conv)
            },
            1
        )
        .is_err());
        let cv = Vae::new(
            VaeConfig {
                n_classes: Some(3),
                ..tiny_cfg(Arch::Mlp)
            },
            1,
        )
        .unwrap();
        let x = data(3, 1);
        assert!(cv
            .encode(&x, Some(&[0, 1]))
            .unwrap_err()
            .to_string()
            .contains("length 2"));
        assert!(cv
            .encode(&x, Some(&[0, 1, 3]))
            .unwrap_err()
            .to_string()
            .contains("label 3"));
        assert!(cv.encode(&x, None).is_err());
        assert!(v.iwae(&x, None, 0, &mut rng_from_seed(0)).is_err());
    }

    /// Dynamic binarisation trains on Bernoulli draws of the grey levels: on grey images whose
    /// pixels are constant grey levels, the decoder's means come out near those levels (an
    /// inverted draw would give one minus them), the fit is reproducible with its seed, and a
    /// Gaussian likelihood refuses it.
    #[test]
    fn dynamic_binarization_draws_pixels_with_their_grey_levels() {
        let levels = [0.1f32, 0.3, 0.7, 0.9];
        let x = Array2::from_shape_fn((256, 16), |(_, j)| levels[j % 4]);
        let train = TrainConfig {
            epochs: 15,
            batch_size: 32,
            lr: 1e-2,
            seed: 2,
            dynamic_binarization: true,
            ..TrainConfig::default()
        };
        let fit = || fitted(tiny_cfg(Arch::Mlp), 2, &x, &train).unwrap();
        let v = fit();
        assert_eq!(
            v.report.epochs.last().unwrap().train_loss,
            fit().report.epochs.last().unwrap().train_loss
        );
        let s = v.sample(2000, None, &mut rng_from_seed(3)).unwrap();
        for j in 0..16 {
            let m = s.column(j).mean().unwrap();
            assert!(
                (m - levels[j % 4]).abs() < 0.1,
                "pixel {j}: mean {m} for grey level {}",
                levels[j % 4]
            );
        }
        let gaussian = VaeConfig {
            likelihood: Likelihood::Gaussian,
            ..tiny_cfg(Arch::Mlp)
        };
        let e = fitted(gaussian, 2, &x, &train).unwrap_err();
        assert!(e.to_string().contains("dynamic_binarization"), "{e}");
    }
}
