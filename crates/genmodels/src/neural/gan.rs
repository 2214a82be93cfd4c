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

use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{BatchNorm, BatchNormConfig, Linear};
use burn::optim::GradientsParams;
use burn::tensor::activation::{leaky_relu, relu, sigmoid, softplus};
use burn::tensor::{Device, Tensor};
use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, size_add, size_mul, CheckpointMeta, TensorPlan};
use super::gan_cpu::{self, GanCpu};
use super::mlp_cpu::{linear_parts, set_linear};
use super::tensor::{normal_tensor, tensor_from_rows, uniform_tensor};
use super::train::{
    average_weights, check_images, check_model_labels, end_of_epoch, init_conv2d,
    init_conv_transpose2d, init_linear, invalid, model_one_hot, one_hot_rows, scalar, BatchReport,
    EpochRecord, FitReport, TrainConfig,
};
use super::vae::{check_classes_and_arch, Arch};
use crate::core::{rng_from_seed, SeededRng};
use crate::core::{DataError, Flow, Monitor, ParamError, Result, Step};

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

    /// A GAN of this shape trained on `x` (and `labels` for a conditional GAN) from initial
    /// weights drawn from `train.seed`, on `device` (a plain, non-autodiff device): [`Gan::new_on`]
    /// then [`Gan::train`], with the same arguments.
    #[allow(clippy::type_complexity)]
    pub fn fit(
        &self,
        device: &Device,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Gan, &EpochRecord) -> Result<()>,
    ) -> Result<Gan> {
        let mut gan = Gan::new_on(self.clone(), train.seed, device)?;
        gan.fit_on(x, labels, train, monitor, on_epoch, true)?;
        Ok(gan)
    }

    fn classes(&self) -> usize {
        self.n_classes.unwrap_or(0)
    }

    fn small(&self) -> (usize, usize) {
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
    fn generator_plan(&self, prefix: &str, p: &mut TensorPlan) -> std::result::Result<(), String> {
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

/// The generator network.
#[derive(Module, Debug)]
pub struct Generator {
    lin: Vec<Linear>,
    out: Linear,
    convt: Vec<ConvTranspose2d>,
    /// One per hidden layer when the configuration asks for batch normalisation.
    bn: Vec<BatchNorm>,
}

/// The discriminator (critic) network. A conditional one is a projection discriminator
/// (Miyato & Koyama 2018): `D(x, y) = out(φ(x)) + ⟨e_y, φ(x)⟩`, with `φ(x)` its last hidden
/// features and `e_y` a learned vector per class, so the label weighs on every feature (a
/// one-hot appended to the input is one of 785 inputs, and appended to a conv
/// discriminator's features only shifts its output per class).
#[derive(Module, Debug)]
pub struct Discriminator {
    conv: Vec<Conv2d>,
    lin: Vec<Linear>,
    out: Linear,
    embed: Option<Linear>,
}

impl Generator {
    fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
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
    fn norm<const D: usize>(&self, i: usize, h: Tensor<D>) -> Tensor<D> {
        match self.bn.get(i) {
            Some(bn) => bn.forward(h),
            None => h,
        }
    }

    /// Pixels in `[0, 1]`, `[B, D]`.
    fn forward(&self, c: &GanConfig, z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
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
    fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
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
    fn forward(&self, c: &GanConfig, x: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<1> {
        self.forward_dropout(c, x, y, None)
    }

    /// [`forward`](Self::forward) with dropout masks drawn from `rng` when given.
    fn forward_dropout(
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
    g: Generator,
    d: Discriminator,
    /// The moving average of the generator's weights, when the configuration keeps one.
    g_ema: Option<Generator>,
}

impl GanNets {
    /// Fresh networks; the average starts as a copy of the generator.
    fn new(c: &GanConfig, rng: &mut SeededRng, dev: &Device) -> Self {
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
    fn sampler(&self) -> &Generator {
        self.g_ema.as_ref().unwrap_or(&self.g)
    }
}

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
        Self::new_on(config, seed, &super::tensor::cpu())
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

    /// Trains (or goes on training) on `x` (pixels in `[0, 1]`), with `labels` for a
    /// conditional GAN. One epoch is one pass of the real images through the discriminator;
    /// the generator steps once every `n_critic` discriminator steps. `monitor` receives the
    /// negative discriminator loss per epoch; `on_epoch` the model after each epoch.
    ///
    /// An MLP GAN with the non-saturating loss on the CPU trains on a hand-written,
    /// multi-threaded trainer (`neural::gan_cpu`) with the same arithmetic as the burn model;
    /// other GANs (WGAN-GP, convolutional, or on a GPU) train through burn's automatic
    /// differentiation.
    #[allow(clippy::type_complexity)]
    pub fn train(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Gan, &EpochRecord) -> Result<()>,
    ) -> Result<Gan> {
        let mut next = self.clone();
        next.fit_on(x, labels, train, monitor, on_epoch, true)?;
        Ok(next)
    }

    /// [`Gan::train`] in place, with the hand-written CPU trainer allowed or not (tests compare the two).
    #[allow(clippy::type_complexity)]
    fn fit_on(
        &mut self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
        train: &TrainConfig,
        monitor: &mut dyn Monitor,
        on_epoch: &mut dyn FnMut(&Gan, &EpochRecord) -> Result<()>,
        allow_cpu_trainer: bool,
    ) -> Result<()> {
        train.check()?;
        self.check_data(x, labels)?;
        let c = self.config.clone();
        let done = self.report.epochs.len();
        let mut rng = rng_from_seed(
            train
                .seed
                .wrapping_add(0x6A4E_0000_u64.wrapping_mul(done as u64 + 1)),
        );
        let mut g = self.nets.g.clone().train();
        let mut d = self.nets.d.clone().train();
        let dev = g.out.weight.val().device();
        let mut opt_g = train.adam();
        let mut opt_d = train.adam();
        let k = c.classes();
        self.report.n_train = x.nrows();
        let mut step = 0usize;
        let mut g_steps = 0usize;
        let mut g_ema = self.nets.g_ema.clone();
        let mut cpu_trainer = allow_cpu_trainer.then(|| self.cpu_trainer(train)).flatten();
        let x_rows = x.as_standard_layout();
        let x_flat = x_rows.as_slice().expect("standard layout");
        for e in 0..train.epochs {
            let t0 = Instant::now();
            let (mut dl, mut gl, mut gn) = (0.0, 0.0, 0usize);
            let batches = super::tensor::shuffled_batches(x.nrows(), train.batch_size, &mut rng);
            let mut report =
                BatchReport::new(done + e + 1, done + train.epochs, batches.len(), x.nrows());
            for idx in &batches {
                if let Some(t) = &mut cpu_trainer {
                    let (d_sum, g_mean) = t.step(x_flat, idx, labels, &mut rng, train.lr as f32);
                    dl += d_sum;
                    if let Some(v) = g_mean {
                        gl += v;
                        gn += 1;
                    }
                    report.done(monitor, idx.len(), Some(d_sum / idx.len() as f64))?;
                    continue;
                }
                let b = idx.len();
                let xr = tensor_from_rows(x, idx, &dev);
                let yr = self.onehot(labels, idx, &dev);
                // Fake labels: the real batch's labels (same class balance).
                let z = normal_tensor(&mut rng, [b, c.latent], &dev);
                let fake = g.forward(&c, z, yr.clone()).detach();
                let drop = c.loss == GanLoss::NonSaturating;
                let d_real =
                    d.forward_dropout(&c, xr.clone(), yr.clone(), drop.then_some(&mut rng));
                let d_fake =
                    d.forward_dropout(&c, fake.clone(), yr.clone(), drop.then_some(&mut rng));
                let loss_d = match c.loss {
                    GanLoss::NonSaturating => {
                        // Cross-entropy with target 1 − s for real images, 0 for fakes.
                        let t = 1.0 - c.label_smoothing;
                        (softplus(d_real.clone() * -1.0, 1.0) * t
                            + softplus(d_real, 1.0) * (1.0 - t)
                            + softplus(d_fake, 1.0))
                        .mean()
                    }
                    GanLoss::WganGp => {
                        let t = uniform_tensor(&mut rng, [b, 1], &dev);
                        let diff = xr.clone() - fake.clone();
                        let norm = diff.clone().square().sum_dim(1).sqrt().clamp_min(1e-6);
                        let u = diff / norm;
                        let xh = fake.clone() + (xr - fake) * t;
                        const H: f64 = 0.05;
                        let dp = d.forward(&c, xh.clone() + u.clone() * H, yr.clone());
                        let dm = d.forward(&c, xh - u * H, yr.clone());
                        let dd = (dp - dm) / (2.0 * H);
                        let pen = relu(dd.abs() - 1.0).square().mean();
                        (d_fake - d_real).mean() + pen * c.gp_weight
                    }
                };
                let d_mean = scalar(loss_d.clone().detach());
                dl += d_mean * b as f64;
                let grads = GradientsParams::from_grads(loss_d.backward(), &d);
                d = opt_d.step(train.lr, d, grads);
                step += 1;
                if step % c.n_critic == 0 {
                    let z = normal_tensor(&mut rng, [b, c.latent], &dev);
                    let yf = if k > 0 {
                        let l: Vec<usize> = (0..b).map(|_| rng.random_range(0..k)).collect();
                        let all: Vec<usize> = (0..b).collect();
                        Some(one_hot_rows(&l, &all, k, &dev))
                    } else {
                        None
                    };
                    let gz = g.forward(&c, z, yf.clone());
                    let s = d.forward_dropout(&c, gz, yf, drop.then_some(&mut rng));
                    let loss_g = match c.loss {
                        GanLoss::NonSaturating => softplus(s * -1.0, 1.0).mean(),
                        GanLoss::WganGp => (s * -1.0).mean(),
                    };
                    gl += scalar(loss_g.clone().detach());
                    gn += 1;
                    let grads = GradientsParams::from_grads(loss_g.backward(), &g);
                    g = opt_g.step(train.lr, g, grads);
                    g_steps += 1;
                    if let Some(avg) = g_ema.take() {
                        let t = g_steps as f64;
                        let decay = match done {
                            0 => c.ema.min((1.0 + t) / (10.0 + t)),
                            _ => c.ema,
                        };
                        g_ema = Some(average_weights(&avg, g.valid(), decay));
                    }
                }
                report.done(monitor, b, Some(d_mean))?;
            }
            let d_loss = dl / x.nrows() as f64;
            let g_loss = if gn > 0 { gl / gn as f64 } else { f64::NAN };
            if !d_loss.is_finite() {
                return Err(crate::core::NumericalError::Diverged {
                    iteration: done + e + 1,
                    detail: format!(
                        "the discriminator's loss became {d_loss}; lower the learning rate (--lr)"
                    ),
                }
                .into());
            }
            match &cpu_trainer {
                Some(t) => self.take_cpu_weights(t),
                None => {
                    self.nets = GanNets {
                        g: g.valid(),
                        d: d.valid(),
                        g_ema: g_ema.clone(),
                    }
                }
            }
            let rec = EpochRecord {
                epoch: done + e + 1,
                train_loss: d_loss,
                train_loss2: Some(g_loss),
                validation: None,
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
                    objective: -d_loss,
                },
            )?;
            if flow == Flow::Stop {
                self.report.stopped_early = true;
                break;
            }
        }
        Ok(())
    }

    /// The hand-written CPU trainer for this model, if it applies: an MLP with the
    /// non-saturating loss, on the CPU.
    fn cpu_trainer(&self, train: &TrainConfig) -> Option<GanCpu> {
        let c = &self.config;
        if c.arch != Arch::Mlp
            || c.loss != GanLoss::NonSaturating
            || c.batch_norm
            || self.device != super::tensor::cpu()
        {
            return None;
        }
        let (g, d) = (&self.nets.g, &self.nets.d);
        let nets = gan_cpu::Nets {
            g: g.lin.iter().chain([&g.out]).map(linear_parts).collect(),
            d: d.lin.iter().chain([&d.out]).map(linear_parts).collect(),
            embed: d.embed.as_ref().map(linear_parts),
            g_ema: self
                .nets
                .g_ema
                .as_ref()
                .map(|a| a.lin.iter().chain([&a.out]).map(linear_parts).collect()),
        };
        let shape = gan_cpu::Shape {
            input: c.input_dim,
            classes: c.classes(),
            latent: c.latent,
            real_target: (1.0 - c.label_smoothing) as f32,
            dropout: c.d_dropout as f32,
            n_critic: c.n_critic,
            ema: c.ema,
            ema_warmup: self.report.epochs.is_empty(),
        };
        Some(GanCpu::new(shape, nets, train))
    }

    /// Copies the CPU trainer's weights into the burn networks.
    fn take_cpu_weights(&mut self, t: &GanCpu) {
        let nets = t.export();
        let dev = self.device.clone();
        let (g, d) = (&mut self.nets.g, &mut self.nets.d);
        let mut it = nets.g.into_iter();
        for l in g.lin.iter_mut().chain([&mut g.out]) {
            set_linear(l, it.next().expect("generator layer"), &dev);
        }
        let mut it = nets.d.into_iter();
        for l in d.lin.iter_mut().chain([&mut d.out]) {
            set_linear(l, it.next().expect("discriminator layer"), &dev);
        }
        if let (Some(l), Some(e)) = (d.embed.as_mut(), nets.embed) {
            set_linear(l, e, &dev);
        }
        if let (Some(a), Some(layers)) = (self.nets.g_ema.as_mut(), nets.g_ema) {
            for (l, parts) in a.lin.iter_mut().chain([&mut a.out]).zip(layers) {
                set_linear(l, parts, &dev);
            }
        }
    }

    /// Latent draws `N(0, I)`, each coordinate redrawn until within `±truncation` when given.
    pub fn latent(
        &self,
        n: usize,
        truncation: Option<f64>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        if let Some(t) = truncation {
            if !(t.is_finite() && t > 0.0) {
                return Err(ParamError::Invalid {
                    name: "truncation",
                    value: t.to_string(),
                    expected: "a finite number of standard deviations > 0".into(),
                }
                .into());
            }
        }
        Ok(Array2::from_shape_simple_fn(
            (n, self.config.latent),
            || loop {
                let v: f64 = StandardNormal.sample(rng);
                match truncation {
                    Some(t) if v.abs() > t => continue,
                    _ => break v as f32,
                }
            },
        ))
    }

    /// The generator's images for latent rows `z` (with `labels` for a conditional GAN).
    pub fn generate(&self, z: &Array2<f32>, labels: Option<&[usize]>) -> Result<Array2<f32>> {
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
        let n = z.nrows();
        for s in (0..n).step_by(1024) {
            let idx: Vec<usize> = (s..(s + 1024).min(n)).collect();
            let zb = tensor_from_rows(z, &idx, &self.device);
            let o = self.nets.sampler().forward(
                &self.config,
                zb,
                self.onehot(labels, &idx, &self.device),
            );
            out.slice_mut(ndarray::s![s..s + idx.len(), ..])
                .assign(&super::tensor::array_from_tensor(o));
        }
        Ok(out)
    }

    /// `n` generated images, latent input truncated at `truncation` standard deviations when
    /// given; a conditional GAN needs one label per image.
    pub fn sample(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        truncation: Option<f64>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        // The latent draws and the generated images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "samples",
            n,
            self.config.latent + 2 * self.config.input_dim,
            4,
        )?;
        let z = self.latent(n, truncation, rng)?;
        self.generate(&z, labels)
    }

    /// The discriminator's score of each image.
    pub fn discriminate(&self, x: &Array2<f32>, labels: Option<&[usize]>) -> Result<Vec<f32>> {
        self.check_data(x, labels)?;
        let idx: Vec<usize> = (0..x.nrows()).collect();
        let xb = tensor_from_rows(x, &idx, &self.device);
        let s = self
            .nets
            .d
            .forward(&self.config, xb, self.onehot(labels, &idx, &self.device));
        Ok(s.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32"))
    }

    /// Number of trainable parameters (generator, discriminator).
    pub fn n_parameters(&self) -> (usize, usize) {
        (self.nets.g.num_params(), self.nets.d.num_params())
    }

    fn meta(&self) -> CheckpointMeta {
        CheckpointMeta {
            format: "gan".into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable"),
            report: serde_json::to_value(&self.report).expect("serialisable"),
        }
    }

    /// Saves both networks with the configuration and report as metadata (format `gan`).
    pub fn save(&self, path: &Path) -> Result<()> {
        checkpoint::save_module(&self.nets, &self.meta(), path)
    }

    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors), for a
    /// caller that writes it together with other files.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        checkpoint::module_bytes(&self.nets, &self.meta(), path)
    }

    /// Loads a GAN checkpoint onto `device` (a plain device).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let bytes = checkpoint::read_bytes(path)?;
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, "gan")?;
        let bad = |e: String| -> crate::core::Error {
            crate::core::ModelFileError::Corrupt {
                path: path.into(),
                reason: e,
            }
            .into()
        };
        let config: GanConfig = serde_json::from_value(meta.config.clone())
            .map_err(|e| bad(format!("bad GAN configuration: {e}")))?;
        config.check().map_err(|e| bad(e.to_string()))?;
        // The sizes in the metadata must be those of the stored tensors before any network is
        // built: a configuration asking for a huge network is an error, not an abort.
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        config
            .tensor_plan()
            .map_err(|e| bad(format!("bad GAN configuration: {e}")))?
            .check(&stored, path, "the GAN configuration")?;
        checkpoint::check_values(
            &bytes,
            path,
            |n| n.ends_with(".running_var"),
            |v| v >= 0.0,
            "are variances and must be non-negative",
        )?;
        let report: FitReport = serde_json::from_value(meta.report.clone()).unwrap_or_default();
        let nets = GanNets::new(&config, &mut rng_from_seed(0), device);
        let (nets, _) = checkpoint::module_from_bytes(nets, bytes, path, "gan")?;
        Ok(Gan {
            config,
            report,
            nets,
            device: device.clone(),
        })
    }
}

impl crate::core::Sample for Gan {
    type Output = Array2<f32>;
    /// `n` generated images of an unconditional GAN ([`Gan::sample`] without labels or
    /// truncation; the generator is seeded from one draw of `rng`).
    fn sample(&self, n: usize, rng: &mut dyn rand::RngCore) -> Result<Array2<f32>> {
        Gan::sample(self, n, None, None, &mut rng_from_seed(rng.next_u64()))
    }
}

impl crate::core::SampleGiven<[usize]> for Gan {
    type Output = Array2<f32>;
    /// `n` generated images of a conditional GAN, one per label ([`Gan::sample`]).
    fn sample_given(
        &self,
        labels: &[usize],
        n: usize,
        rng: &mut dyn rand::RngCore,
    ) -> Result<Array2<f32>> {
        Gan::sample(
            self,
            n,
            Some(labels),
            None,
            &mut rng_from_seed(rng.next_u64()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::cpu;

    fn fit_quietly(gan: &mut Gan, x: &Array2<f32>, labels: Option<&[usize]>, t: &TrainConfig) {
        *gan = gan
            .train(x, labels, t, &mut crate::core::Silent, &mut |_, _| Ok(()))
            .unwrap();
    }

    fn two_modes(n: usize, seed: u64) -> Array2<f32> {
        let mut r = rng_from_seed(seed);
        Array2::from_shape_simple_fn((n, 1), || {
            let m = if r.random::<bool>() { 0.25 } else { 0.75 };
            let e: f64 = StandardNormal.sample(&mut r);
            (m + 0.03 * e).clamp(0.0, 1.0) as f32
        })
    }

    /// All weights of both networks, in a fixed order.
    fn weights(gan: &Gan) -> Vec<f32> {
        let (g, d) = (&gan.nets.g, &gan.nets.d);
        dense_weights(
            g.lin
                .iter()
                .chain([&g.out])
                .chain(&d.lin)
                .chain([&d.out])
                .chain(d.embed.as_ref()),
        )
    }

    fn dense_weights<'a>(layers: impl Iterator<Item = &'a Linear>) -> Vec<f32> {
        layers
            .flat_map(|l| {
                let (w, b) = linear_parts(l);
                w.into_iter().chain(b)
            })
            .collect()
    }

    fn weights_of(g: &Generator) -> Vec<f32> {
        dense_weights(g.lin.iter().chain([&g.out]))
    }

    /// The hand-written CPU trainer takes the same steps as burn's automatic differentiation
    /// and Adam: same losses, same weights up to rounding, for plain and conditional GANs, with
    /// label smoothing, dropout, several critic steps, weight decay and gradient clipping.
    #[test]
    fn the_cpu_trainer_takes_the_same_steps_as_burn() {
        let x = Array2::from_shape_fn((48, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 10.0);
        let labels: Vec<usize> = (0..48).map(|i| i % 3).collect();
        let base = GanConfig {
            latent: 3,
            g_hidden: vec![8, 7],
            d_hidden: vec![9, 5],
            ..GanConfig::mlp(6, (2, 3))
        };
        let cases = [
            (base.clone(), TrainConfig::default(), false),
            (
                GanConfig {
                    n_classes: Some(3),
                    label_smoothing: 0.1,
                    d_dropout: 0.3,
                    n_critic: 2,
                    ..base.clone()
                },
                TrainConfig {
                    weight_decay: 1e-3,
                    grad_clip: Some(0.05),
                    beta1: 0.5,
                    ..TrainConfig::default()
                },
                true,
            ),
            (
                GanConfig {
                    d_hidden: vec![],
                    n_classes: Some(3),
                    ema: 0.9,
                    ..base.clone()
                },
                TrainConfig::default(),
                true,
            ),
        ];
        for (i, (cfg, t, conditional)) in cases.into_iter().enumerate() {
            let t = TrainConfig {
                epochs: 2,
                batch_size: 16,
                lr: 1e-2,
                seed: 4,
                ..t
            };
            let y = conditional.then_some(&labels[..]);
            let run = |allow: bool| {
                let mut g = Gan::new(cfg.clone(), 2).unwrap();
                g.fit_on(
                    &x,
                    y,
                    &t,
                    &mut crate::core::Silent,
                    &mut |_, _| Ok(()),
                    allow,
                )
                .unwrap();
                g
            };
            let (fast, slow) = (run(true), run(false));
            for (a, b) in fast.report.epochs.iter().zip(&slow.report.epochs) {
                for (p, q) in [
                    (a.train_loss, b.train_loss),
                    (a.train_loss2.unwrap(), b.train_loss2.unwrap()),
                ] {
                    assert!((p - q).abs() < 1e-5 * q.abs(), "case {i}: loss {p} vs {q}");
                }
            }
            let (wf, ws) = (weights(&fast), weights(&slow));
            assert_eq!(wf.len(), ws.len());
            let worst = wf
                .iter()
                .zip(&ws)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "case {i}: weights differ by up to {worst}");
            let avg = |g: &Gan| g.nets.g_ema.as_ref().map(weights_of);
            if let (Some(af), Some(as_)) = (avg(&fast), avg(&slow)) {
                let worst = af
                    .iter()
                    .zip(&as_)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(worst < 1e-5, "case {i}: averages differ by up to {worst}");
                assert_ne!(
                    af,
                    weights_of(&fast.nets.g),
                    "case {i}: average = generator"
                );
            } else {
                assert_eq!(avg(&fast), avg(&slow));
            }
            let init = weights(&Gan::new(cfg.clone(), 2).unwrap());
            assert!(
                wf.iter().zip(&init).any(|(a, b)| a != b),
                "case {i}: nothing moved"
            );
        }
    }

    /// A learning rate that blows the weights up ends the fit with a clear error on both paths.
    #[test]
    fn divergence_is_an_error_on_both_paths() {
        let x = Array2::from_shape_fn((32, 4), |(i, j)| ((i + j) % 2) as f32);
        let cfg = GanConfig {
            latent: 2,
            g_hidden: vec![8],
            d_hidden: vec![8],
            ..GanConfig::mlp(4, (2, 2))
        };
        let t = TrainConfig {
            epochs: 3,
            batch_size: 16,
            lr: 1e30,
            ..TrainConfig::default()
        };
        for allow in [true, false] {
            let mut g = Gan::new(cfg.clone(), 0).unwrap();
            let err = g
                .fit_on(
                    &x,
                    None,
                    &t,
                    &mut crate::core::Silent,
                    &mut |_, _| Ok(()),
                    allow,
                )
                .unwrap_err();
            assert!(err.to_string().contains("lower the learning rate"), "{err}");
        }
    }

    /// A GAN on a 1-D mixture of two Gaussians (at 0.25 and 0.75, sd 0.03) puts a good share
    /// of its samples near each mode and few in the gap between them.
    #[test]
    fn gan_learns_both_modes_of_a_1d_mixture() {
        for loss in [GanLoss::WganGp, GanLoss::NonSaturating] {
            let x = two_modes(2048, 1);
            let cfg = GanConfig {
                latent: 4,
                g_hidden: vec![32, 32],
                d_hidden: vec![32, 32],
                loss,
                n_critic: if loss == GanLoss::WganGp { 5 } else { 1 },
                ..GanConfig::mlp(1, (1, 1))
            };
            let train = TrainConfig {
                epochs: 60,
                batch_size: 64,
                lr: if loss == GanLoss::WganGp { 5e-4 } else { 2e-3 },
                beta1: 0.5,
                beta2: 0.9,
                seed: 3,
                ..TrainConfig::default()
            };
            let mut gan = Gan::new(cfg, 3).unwrap();
            fit_quietly(&mut gan, &x, None, &train);
            let s = gan.sample(4000, None, None, &mut rng_from_seed(9)).unwrap();
            let frac = |lo: f32, hi: f32| {
                s.iter().filter(|&&v| v >= lo && v < hi).count() as f64 / s.len() as f64
            };
            let (a, b, gap) = (frac(0.15, 0.35), frac(0.65, 0.85), frac(0.4, 0.6));
            assert!(
                a > 0.2 && b > 0.2 && gap < 0.15,
                "{loss:?}: mode shares {a:.3} and {b:.3}, gap {gap:.3}; below 0.15 {:.3}, above 0.85 {:.3}; losses {:?}",
                frac(-1.0, 0.15),
                frac(0.85, 2.0),
                gan.report.epochs.iter().step_by(10).map(|e| (e.train_loss, e.train_loss2)).collect::<Vec<_>>()
            );
        }
    }

    /// A conditional GAN on the same mixture with the mode as the label draws each label's
    /// samples from its own mode (a GAN that ignored its label would put half of each label's
    /// samples in the other mode).
    #[test]
    fn conditional_gan_follows_its_label() {
        let x = two_modes(2048, 4);
        let labels: Vec<usize> = x.iter().map(|&v| (v > 0.5) as usize).collect();
        let cfg = GanConfig {
            latent: 4,
            g_hidden: vec![32, 32],
            d_hidden: vec![32, 32],
            n_classes: Some(2),
            label_smoothing: 0.1,
            d_dropout: 0.1,
            ..GanConfig::mlp(1, (1, 1))
        };
        let train = TrainConfig {
            epochs: 40,
            batch_size: 64,
            lr: 2e-3,
            beta1: 0.5,
            beta2: 0.9,
            seed: 5,
            ..TrainConfig::default()
        };
        let mut gan = Gan::new(cfg, 5).unwrap();
        fit_quietly(&mut gan, &x, Some(&labels), &train);
        for (label, lo, hi) in [(0, 0.1, 0.4), (1, 0.6, 0.9)] {
            let s = gan
                .sample(2000, Some(&vec![label; 2000]), None, &mut rng_from_seed(9))
                .unwrap();
            let inside = s.iter().filter(|&&v| v >= lo && v < hi).count() as f64 / 2000.0;
            assert!(
                inside > 0.9,
                "label {label}: {inside:.3} of its samples in [{lo}, {hi})"
            );
        }
    }

    #[test]
    fn gan_reproducible_save_load_truncation_and_bad_input() {
        let x = Array2::from_shape_fn((32, 16), |(i, j)| ((i + j) % 3 == 0) as u8 as f32);
        let labels: Vec<usize> = (0..32).map(|i| i % 2).collect();
        let cfg = GanConfig {
            latent: 3,
            arch: Arch::Conv,
            n_classes: Some(2),
            loss: GanLoss::WganGp,
            ..GanConfig::mlp(16, (4, 4))
        };
        let train = TrainConfig {
            epochs: 2,
            batch_size: 8,
            seed: 2,
            ..TrainConfig::default()
        };
        let fit = || {
            let mut g = Gan::new(cfg.clone(), 1).unwrap();
            fit_quietly(&mut g, &x, Some(&labels), &train);
            g
        };
        let (a, b) = (fit(), fit());
        let la = [1usize; 5];
        let sa = a
            .sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
            .unwrap();
        assert_eq!(
            sa,
            b.sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
                .unwrap()
        );
        let z = a.latent(500, Some(0.5), &mut rng_from_seed(1)).unwrap();
        assert!(z.iter().all(|v| v.abs() <= 0.5));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.safetensors");
        a.save(&p).unwrap();
        let c = Gan::load(&p, &cpu()).unwrap();
        assert_eq!(c.config, a.config);
        assert_eq!(
            c.sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
                .unwrap(),
            sa
        );
        assert_eq!(
            c.discriminate(&x, Some(&labels)).unwrap(),
            a.discriminate(&x, Some(&labels)).unwrap()
        );
        // Bad input.
        assert!(a
            .sample(2, Some(&[2, 0]), None, &mut rng_from_seed(0))
            .unwrap_err()
            .to_string()
            .contains("label 2"));
        assert!(a.sample(2, None, None, &mut rng_from_seed(0)).is_err());
        assert!(a
            .discriminate(&Array2::zeros((2, 15)), Some(&[0, 1]))
            .unwrap_err()
            .to_string()
            .contains("15 columns"));
        let mut bad = x.clone();
        bad[[0, 0]] = f32::NAN;
        assert!(a
            .discriminate(&bad, Some(&labels))
            .unwrap_err()
            .to_string()
            .contains("NaN"));
        assert!(Gan::new(
            GanConfig {
                latent: 0,
                ..cfg.clone()
            },
            0
        )
        .is_err());
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 9]).unwrap();
        assert!(Gan::load(&p, &cpu())
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }

    #[test]
    fn batch_normalised_generators_train_on_batch_statistics_and_generate_per_image() {
        let x = Array2::from_shape_fn((48, 16), |(i, j)| ((i * 7 + j) % 5 < 2) as u8 as f32);
        let train = TrainConfig {
            epochs: 2,
            batch_size: 16,
            seed: 3,
            ..TrainConfig::default()
        };
        for arch in [Arch::Conv, Arch::Mlp] {
            let cfg = GanConfig {
                latent: 3,
                arch,
                g_hidden: vec![6, 5],
                d_hidden: vec![6],
                conv_width: 3,
                batch_norm: true,
                ..GanConfig::mlp(16, (4, 4))
            };
            let mut g = Gan::new(cfg.clone(), 1).unwrap();
            // Batch norm has no hand-written trainer: the MLP trains through burn too.
            assert!(g.cpu_trainer(&train).is_none());
            let widths: Vec<usize> = g.nets.g.bn.iter().map(|b| b.gamma.dims()[0]).collect();
            let expected = match arch {
                Arch::Conv => vec![6, 3],
                Arch::Mlp => vec![6, 5],
            };
            assert_eq!(widths, expected, "{arch:?}");
            fit_quietly(&mut g, &x, None, &train);
            // Training moved the running statistics away from their initial 0 and 1.
            for bn in &g.nets.g.bn {
                let m = super::super::tensor::array_from_tensor(
                    bn.running_mean.value().reshape([1, -1]),
                );
                assert!(
                    m.iter().any(|v| v.abs() > 1e-4),
                    "{arch:?}: running mean {m}"
                );
            }
            // Generating uses the running statistics: an image does not depend on the others
            // generated with it.
            let z = g.latent(5, None, &mut rng_from_seed(9)).unwrap();
            let all = g.generate(&z, None).unwrap();
            for i in 0..5 {
                let one = g.generate(&z.slice(ndarray::s![i..i + 1, ..]).to_owned(), None);
                let d = (&one.unwrap().row(0) - &all.row(i)).mapv(f32::abs);
                assert!(d.iter().all(|&v| v < 1e-6), "{arch:?}, image {i}: {d}");
            }
            // The statistics travel with the checkpoint.
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("g.safetensors");
            g.save(&p).unwrap();
            let back = Gan::load(&p, &cpu()).unwrap();
            assert_eq!(back.config, cfg);
            assert_eq!(back.generate(&z, None).unwrap(), all);
        }
        let bad = GanConfig {
            conv_width: 0,
            ..GanConfig::mlp(16, (4, 4))
        };
        assert!(Gan::new(bad, 0)
            .unwrap_err()
            .to_string()
            .contains("conv_width"));
        // Configurations written before these settings existed read as DCGAN's 64 channels
        // without batch norm.
        let mut old = serde_json::to_value(GanConfig::mlp(16, (4, 4))).unwrap();
        let o = old.as_object_mut().unwrap();
        o.remove("conv_width");
        o.remove("batch_norm");
        let c: GanConfig = serde_json::from_value(old).unwrap();
        assert_eq!((c.conv_width, c.batch_norm), (64, false));
    }

    #[test]
    fn a_weight_averaged_generator_makes_the_samples_and_travels_with_the_checkpoint() {
        let x = Array2::from_shape_fn((48, 16), |(i, j)| ((i * 5 + j) % 4 < 2) as u8 as f32);
        let cfg = GanConfig {
            latent: 3,
            g_hidden: vec![6],
            d_hidden: vec![6],
            ema: 0.9,
            ..GanConfig::mlp(16, (4, 4))
        };
        let train = TrainConfig {
            epochs: 2,
            batch_size: 16,
            seed: 3,
            ..TrainConfig::default()
        };
        let mut g = Gan::new(cfg.clone(), 1).unwrap();
        // Fresh, the average is a copy of the generator.
        assert_eq!(
            weights_of(g.nets.g_ema.as_ref().unwrap()),
            weights_of(&g.nets.g)
        );
        fit_quietly(&mut g, &x, None, &train);
        let (avg, raw) = (
            weights_of(g.nets.g_ema.as_ref().unwrap()),
            weights_of(&g.nets.g),
        );
        let gap = avg
            .iter()
            .zip(&raw)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(gap > 1e-4, "the average equals the generator ({gap})");
        // Samples come from the average.
        let z = g.latent(4, None, &mut rng_from_seed(2)).unwrap();
        let from_avg =
            super::super::tensor::array_from_tensor(g.nets.g_ema.as_ref().unwrap().forward(
                &cfg,
                super::super::tensor::tensor_from_array(&z, &cpu()),
                None,
            ));
        let s = g.generate(&z, None).unwrap();
        assert_eq!(s, from_avg);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.safetensors");
        g.save(&p).unwrap();
        let back = Gan::load(&p, &cpu()).unwrap();
        assert_eq!(back.generate(&z, None).unwrap(), s);
        assert_eq!(weights_of(&back.nets.g), raw);
        for bad in [1.0, -0.1] {
            let c = GanConfig {
                ema: bad,
                ..cfg.clone()
            };
            assert!(Gan::new(c, 0).unwrap_err().to_string().contains("ema"));
        }
    }
}
