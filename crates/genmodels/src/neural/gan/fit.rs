//! Training: a GAN from new weights ([`GanConfig::fit`]) or a further-trained copy of one
//! ([`Gan::train`]), on the hand-written CPU trainer or through burn's autodiff, reporting
//! every mini-batch and epoch to the monitor.

use super::*;
use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::activation::{relu, softplus};
use burn::tensor::Device;
use ndarray::Array2;
use rand::Rng;

use crate::core::rng_from_seed;
use crate::core::{Flow, Monitor, Result, Step};
use crate::neural::gan_cpu::{self, GanCpu};
use crate::neural::mlp_cpu::{linear_parts, set_linear};
use crate::neural::tensor::{normal_tensor, tensor_from_rows, uniform_tensor};
use crate::neural::train::{
    average_weights, end_of_epoch, one_hot_rows, scalar, BatchReport, EpochRecord, TrainConfig,
};
use crate::neural::vae::Arch;

impl GanConfig {
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
}

impl Gan {
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
    pub(super) fn fit_on(
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
            let batches =
                crate::neural::tensor::shuffled_batches(x.nrows(), train.batch_size, &mut rng);
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
    pub(super) fn cpu_trainer(&self, train: &TrainConfig) -> Option<GanCpu> {
        let c = &self.config;
        if c.arch != Arch::Mlp
            || c.loss != GanLoss::NonSaturating
            || c.batch_norm
            || self.device != crate::neural::tensor::cpu()
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
    pub(super) fn take_cpu_weights(&mut self, t: &GanCpu) {
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
}
