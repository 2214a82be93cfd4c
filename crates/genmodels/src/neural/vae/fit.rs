//! Training: a VAE from new weights ([`VaeConfig::fit`]) or a further-trained copy of one
//! ([`Vae::train`]), on the hand-written CPU trainer or through burn's autodiff, reporting
//! every mini-batch and epoch to the monitor.

use super::*;
use std::time::Instant;

use burn::module::{Module, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::Array2;

use crate::core::rng_from_seed;
use crate::core::{Flow, Monitor, Result, Step};
use crate::neural::mlp_cpu::{linear_parts, set_linear, tensor_vec, DenseParts};
use crate::neural::tensor::tensor_from_rows;
use crate::neural::train::{
    end_of_epoch, invalid, scalar, BatchReport, EarlyStopping, EpochRecord, TrainConfig,
};
use crate::neural::vae_cpu::{self, VaeCpu};

impl VaeConfig {
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
}

impl Vae {
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
    pub(super) fn fit_on(
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
            let batches =
                crate::neural::tensor::shuffled_batches(x.nrows(), train.batch_size, &mut rng);
            let mut report =
                BatchReport::new(done + e + 1, done + train.epochs, batches.len(), x.nrows());
            for idx in batches {
                // The same draws in the same order on both paths.
                let u = train
                    .dynamic_binarization
                    .then(|| crate::neural::tensor::uniform_vec(&mut rng, idx.len() * c.input_dim));
                let eps = crate::neural::tensor::normal_vec(&mut rng, idx.len() * c.latent);
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
    pub(super) fn cpu_trainer(&self, train: &TrainConfig) -> Option<VaeCpu> {
        if self.config.arch != Arch::Mlp || self.device != crate::neural::tensor::cpu() {
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
    pub(super) fn take_cpu_weights(&mut self, t: &VaeCpu) {
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
}
