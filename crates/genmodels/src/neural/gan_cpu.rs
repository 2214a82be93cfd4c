//! A hand-written CPU trainer for MLP GANs with the non-saturating loss (the conditional
//! projection discriminator, label smoothing and dropout included): the same design as
//! [`super::vae_cpu`] — flat buffers, fused element-wise work, the rows of each pass split over
//! rayon's threads, Adam as burn-optim's ([`super::mlp_cpu`]) — and the same arithmetic and
//! random draws, in the same order, as the burn path in [`super::gan`], which a test checks.
//! WGAN-GP and convolutional GANs train on burn.
//!
//! Why: on burn the benchmark's 64-256-256-784 / 784-256-256-1 GAN epoch took 6.2 s against
//! PyTorch's 2.8 s (`bench/README.md`), the cost being burn's per-operation overhead.

use rand::Rng;
use rayon::prelude::*;

use super::act::Act;
use super::kernels::{axpy, leaky_relu_backward, sigmoid_in_place};
use super::mlp_cpu::{
    dense_backward, dense_forward, dense_grad, one_hot, row_chunks, Adam, DenseParts, Flat, Layer,
};
use super::tensor::{normal_vec, uniform_vec};
use super::train::TrainConfig;
use crate::core::SeededRng;

const SLOPE: f32 = 0.2;

/// The fixed shape and loss settings of the GAN being trained.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// Values per image.
    pub input: usize,
    /// Classes of a conditional GAN (0: unconditional).
    pub classes: usize,
    /// Dimensions of the noise.
    pub latent: usize,
    /// The discriminator's target for real images (1 − label smoothing).
    pub real_target: f32,
    /// Dropout rate after the discriminator's hidden layers.
    pub dropout: f32,
    /// Discriminator steps per generator step.
    pub n_critic: usize,
    /// Decay of the generator's weight average (0: none), and whether it warms up (a first
    /// fit): decay `min(ema, (1 + t) / (10 + t))` at generator step `t`, as `Gan::fit` does.
    pub ema: f64,
    pub ema_warmup: bool,
}

/// The networks as [`GanCpu::new`] takes and [`GanCpu::export`] gives them: the generator's
/// layers (hidden, then output), the discriminator's (hidden, then its one-unit output) and its
/// class embedding (`classes × features`, a projection discriminator).
#[derive(Debug, Clone)]
pub(crate) struct Nets {
    pub g: Vec<DenseParts>,
    pub d: Vec<DenseParts>,
    pub embed: Option<DenseParts>,
    /// The average of the generator's weights, laid out as `g`.
    pub g_ema: Option<Vec<DenseParts>>,
}

/// One thread's rows of a pass.
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// The generator's layer inputs (layer 0: `[z | label]`) and its output (pixels).
    g_in: Vec<Vec<f32>>,
    g_out: Vec<f32>,
    g_delta: Vec<Vec<f32>>,
    /// The discriminator's layer inputs (layer 0: the images; later ones after dropout), its
    /// hidden layers' outputs before dropout, the dropout factors, and the deltas.
    d_in: Vec<Vec<f32>>,
    d_h: Vec<Vec<f32>>,
    d_keep: Vec<Vec<f32>>,
    d_delta: Vec<Vec<f32>>,
    /// The scores' gradients, then the gradient at the discriminator's input.
    d_score: Vec<f32>,
    d_x: Vec<f32>,
    grad_g: Vec<f32>,
    grad_d: Vec<f32>,
    loss: f64,
}

/// The trainer.
#[derive(Debug, Clone)]
pub(crate) struct GanCpu {
    shape: Shape,
    g: Flat,
    g_layers: Vec<Layer>,
    d: Flat,
    d_layers: Vec<Layer>,
    embed: Option<Layer>,
    adam_g: Adam,
    adam_d: Adam,
    chunks: Vec<Chunk>,
    fake: Vec<f32>,
    steps: usize,
    /// The generator's weight average (same layout as `g`) and the generator steps taken.
    g_ema: Option<Vec<f32>>,
    g_steps: usize,
}

/// One batch's labels and draws for a discriminator pass.
struct Pass<'a> {
    /// The images, row-major (`None`: the chunk's own generator output).
    images: Option<&'a [f32]>,
    labels: Option<&'a [usize]>,
    /// Dropout draws per hidden layer, `rows × width`.
    dropout: &'a [Vec<f32>],
}

impl GanCpu {
    /// A trainer from the networks' weights, with Adam set up by `train` for each network.
    pub fn new(shape: Shape, nets: Nets, train: &TrainConfig) -> Self {
        let mut g = Flat::default();
        let g_layers = nets.g.into_iter().map(|l| g.push_dense(l)).collect();
        let mut d = Flat::default();
        let d_layers = nets.d.into_iter().map(|l| d.push_dense(l)).collect();
        let embed = nets.embed.map(|e| d.push_dense(e));
        let g_ema = nets.g_ema.map(|layers| {
            let mut f = Flat::default();
            layers.into_iter().for_each(|l| {
                f.push_dense(l);
            });
            f.data
        });
        GanCpu {
            adam_g: Adam::new(train, g.data.len()),
            adam_d: Adam::new(train, d.data.len()),
            shape,
            g,
            g_layers,
            d,
            d_layers,
            embed,
            chunks: Vec::new(),
            fake: Vec::new(),
            steps: 0,
            g_ema,
            g_steps: 0,
        }
    }

    /// The current weights.
    pub fn export(&self) -> Nets {
        let layers = |f: &Flat| self.g_layers.iter().map(|&l| f.dense(l)).collect();
        Nets {
            g: layers(&self.g),
            d: self.d_layers.iter().map(|&l| self.d.dense(l)).collect(),
            embed: self.embed.map(|l| self.d.dense(l)),
            g_ema: self.g_ema.as_ref().map(|data| {
                layers(&Flat {
                    data: data.clone(),
                    tensors: Vec::new(),
                })
            }),
        }
    }

    /// Moves the generator's weight average towards its current weights (after a step).
    fn update_average(&mut self) {
        self.g_steps += 1;
        let Some(avg) = &mut self.g_ema else {
            return;
        };
        let t = self.g_steps as f64;
        let decay = match self.shape.ema_warmup {
            true => self.shape.ema.min((1.0 + t) / (10.0 + t)),
            false => self.shape.ema,
        };
        // burn's arithmetic in `average_weights`: the weights are f32, the factors rounded.
        let (keep, take) = (decay as f32, (1.0 - decay) as f32);
        for (a, &p) in avg.iter_mut().zip(&self.g.data) {
            *a = p * take + *a * keep;
        }
    }

    fn dropout_draws(&self, rng: &mut SeededRng, rows: usize) -> Vec<Vec<f32>> {
        let hidden = &self.d_layers[..self.d_layers.len() - 1];
        if self.shape.dropout > 0.0 {
            hidden
                .iter()
                .map(|l| uniform_vec(rng, rows * l.o))
                .collect()
        } else {
            Vec::new()
        }
    }

    /// The dropout draws of rows `r` of a pass.
    fn dropout_rows(&self, drop: &[Vec<f32>], r: std::ops::Range<usize>) -> Vec<Vec<f32>> {
        drop.iter()
            .zip(&self.d_layers)
            .map(|(u, l)| u[r.start * l.o..r.end * l.o].to_vec())
            .collect()
    }

    /// One batch: a discriminator step on real rows `idx` of `x` against fakes, and (every
    /// `n_critic` steps) a generator step. Returns the discriminator's loss summed over the
    /// batch and the generator's mean loss, if it stepped.
    pub fn step(
        &mut self,
        x: &[f32],
        idx: &[usize],
        labels: Option<&[usize]>,
        rng: &mut SeededRng,
        lr: f32,
    ) -> (f64, Option<f64>) {
        let s = self.shape.clone();
        let b = idx.len();
        let (d, lat) = (s.input, s.latent);
        let yr: Option<Vec<usize>> = labels.map(|l| idx.iter().map(|&i| l[i]).collect());

        // The fakes: G(z, label of the real row).
        let z = normal_vec(rng, b * lat);
        let (per, n) = row_chunks(b);
        self.ensure_chunks(n.max(row_chunks(2 * b).1));
        self.fake.resize(b * d, 0.0);
        let mut chunks = std::mem::take(&mut self.chunks);
        let mut fake = std::mem::take(&mut self.fake);
        {
            let this = &*self;
            chunks[..n]
                .par_iter_mut()
                .zip(fake.par_chunks_mut(per * d))
                .enumerate()
                .for_each(|(c, (ch, out))| {
                    let r = c * per..((c + 1) * per).min(b);
                    this.g_forward(
                        ch,
                        &z[r.start * lat..r.end * lat],
                        yr.as_deref().map(|y| &y[r.clone()]),
                    );
                    out.copy_from_slice(&ch.g_out[..r.len() * d]);
                });
        }

        // The discriminator's step on [real; fake], dropout drawn for the real rows first.
        let drop_real = self.dropout_draws(rng, b);
        let drop_fake = self.dropout_draws(rng, b);
        let drop: Vec<Vec<f32>> = drop_real
            .into_iter()
            .zip(drop_fake)
            .map(|(a, f)| a.into_iter().chain(f).collect())
            .collect();
        let rows2 = 2 * b;
        let (per2, n2) = row_chunks(rows2);
        let scale = 1.0 / b as f32;
        {
            let this = &*self;
            let fake = &fake;
            let yr = yr.as_deref();
            chunks[..n2].par_iter_mut().enumerate().for_each(|(c, ch)| {
                let r = c * per2..((c + 1) * per2).min(rows2);
                // Rows below b are real, the others fake; each chunk's rows are gathered here.
                let mut imgs = Vec::with_capacity(r.len() * d);
                let mut labs = Vec::with_capacity(r.len());
                let mut targets = Vec::with_capacity(r.len());
                for q in r.clone() {
                    if q < b {
                        imgs.extend_from_slice(&x[idx[q] * d..(idx[q] + 1) * d]);
                        targets.push(s.real_target);
                    } else {
                        imgs.extend_from_slice(&fake[(q - b) * d..(q - b + 1) * d]);
                        targets.push(0.0);
                    }
                    if let Some(y) = yr {
                        labs.push(y[q % b]);
                    }
                }
                let dr = this.dropout_rows(&drop, r.clone());
                let pass = Pass {
                    images: Some(&imgs),
                    labels: yr.map(|_| &labs[..]),
                    dropout: &dr,
                };
                let scores = this.d_forward(ch, &pass, r.len());
                let mut loss = 0f64;
                ch.d_score.resize(r.len(), 0.0);
                for ((g, &sc), &t) in ch.d_score.iter_mut().zip(&scores).zip(&targets) {
                    // t·softplus(−s) + (1 − t)·softplus(s) = softplus(s) − t·s.
                    loss += (softplus(sc) - t * sc) as f64;
                    *g = scale * (sigmoid(sc) - t);
                }
                ch.loss = loss;
                this.d_backward(ch, &pass, r.len(), true, false);
            });
        }
        // The burn path adds the batch mean times the batch size: the sum.
        let d_loss: f64 = chunks[..n2].iter().map(|c| c.loss).sum();
        let mut grads: Vec<&mut [f32]> =
            chunks[..n2].iter_mut().map(|c| &mut c.grad_d[..]).collect();
        self.adam_d.step(&mut self.d, &mut grads, lr);
        self.steps += 1;

        let mut g_loss = None;
        if self.steps % s.n_critic == 0 {
            let z = normal_vec(rng, b * lat);
            let yf: Option<Vec<usize>> =
                (s.classes > 0).then(|| (0..b).map(|_| rng.random_range(0..s.classes)).collect());
            let drop = self.dropout_draws(rng, b);
            let this = &*self;
            chunks[..n].par_iter_mut().enumerate().for_each(|(c, ch)| {
                let r = c * per..((c + 1) * per).min(b);
                let rows = r.len();
                let yc = yf.as_deref().map(|y| &y[r.clone()]);
                this.g_forward(ch, &z[r.start * lat..r.end * lat], yc);
                let dr = this.dropout_rows(&drop, r.clone());
                let pass = Pass {
                    images: None,
                    labels: yc,
                    dropout: &dr,
                };
                let scores = this.d_forward(ch, &pass, rows);
                let mut loss = 0f64;
                ch.d_score.resize(rows, 0.0);
                for (g, &sc) in ch.d_score.iter_mut().zip(&scores) {
                    loss += softplus(-sc) as f64;
                    *g = scale * (sigmoid(sc) - 1.0);
                }
                ch.loss = loss;
                this.d_backward(ch, &pass, rows, false, true);
                this.g_backward(ch, rows);
            });
            g_loss = Some(chunks[..n].iter().map(|c| c.loss).sum::<f64>() / b as f64);
            let mut grads: Vec<&mut [f32]> =
                chunks[..n].iter_mut().map(|c| &mut c.grad_g[..]).collect();
            self.adam_g.step(&mut self.g, &mut grads, lr);
            self.update_average();
        }
        self.chunks = chunks;
        self.fake = fake;
        (d_loss, g_loss)
    }

    fn ensure_chunks(&mut self, n: usize) {
        if self.chunks.len() < n {
            self.chunks.resize_with(n, Chunk::default);
        }
    }

    /// The generator's forward pass on `rows = z.len() / latent` rows.
    fn g_forward(&self, ch: &mut Chunk, z: &[f32], labels: Option<&[usize]>) {
        let s = &self.shape;
        let (lat, k) = (s.latent, s.classes);
        let rows = z.len() / lat;
        let nl = self.g_layers.len();
        ch.g_in.resize_with(nl, Vec::new);
        ch.g_delta.resize_with(nl, Vec::new);
        for (l, lay) in self.g_layers.iter().enumerate() {
            ch.g_in[l].resize(rows * lay.i, 0.0);
            ch.g_delta[l].resize(rows * lay.o, 0.0);
        }
        ch.g_out.resize(rows * s.input, 0.0);
        let w0 = lat + k;
        for r in 0..rows {
            let dst = &mut ch.g_in[0][r * w0..(r + 1) * w0];
            dst[..lat].copy_from_slice(&z[r * lat..(r + 1) * lat]);
            one_hot(&mut dst[lat..], labels.map(|y| y[r]));
        }
        let p = &self.g.data;
        for l in 0..nl {
            let (ins, rest) = ch.g_in.split_at_mut(l + 1);
            let out: &mut [f32] = if l + 1 == nl {
                &mut ch.g_out
            } else {
                &mut rest[0]
            };
            let act = if l + 1 == nl { Act::Linear } else { Act::Relu };
            dense_forward(&ins[l], out, rows, self.g_layers[l], p, act);
        }
        sigmoid_in_place(&mut ch.g_out[..rows * s.input]);
    }

    /// The generator's backward pass from the gradient at its output (`ch.d_x`), with its
    /// weight gradients.
    fn g_backward(&self, ch: &mut Chunk, rows: usize) {
        let d = self.shape.input;
        let nl = self.g_layers.len();
        let p = &self.g.data;
        ch.grad_g.resize(p.len(), 0.0);
        // Through the sigmoid.
        let last = &mut ch.g_delta[nl - 1];
        for ((o, &gx), &y) in last
            .iter_mut()
            .zip(&ch.d_x[..rows * d])
            .zip(&ch.g_out[..rows * d])
        {
            *o = gx * y * (1.0 - y);
        }
        for l in (1..nl).rev() {
            let (lo, hi) = ch.g_delta.split_at_mut(l);
            dense_backward(
                &hi[0],
                &mut lo[l - 1],
                rows,
                self.g_layers[l],
                p,
                Some((&ch.g_in[l], Act::Relu)),
            );
        }
        for l in 0..nl {
            dense_grad(
                &ch.g_in[l],
                &ch.g_delta[l],
                rows,
                self.g_layers[l],
                &mut ch.grad_g,
            );
        }
    }

    /// The discriminator's scores of a pass's images (or of the chunk's generator output).
    fn d_forward(&self, ch: &mut Chunk, pass: &Pass<'_>, rows: usize) -> Vec<f32> {
        let d = self.shape.input;
        let nl = self.d_layers.len();
        let nh = nl - 1;
        ch.d_in.resize_with(nl, Vec::new);
        ch.d_delta.resize_with(nl, Vec::new);
        ch.d_h.resize_with(nh, Vec::new);
        ch.d_keep.resize_with(nh, Vec::new);
        for (l, lay) in self.d_layers.iter().enumerate() {
            ch.d_in[l].resize(rows * lay.i, 0.0);
            ch.d_delta[l].resize(rows * lay.o, 0.0);
            if l < nh {
                ch.d_h[l].resize(rows * lay.o, 0.0);
                ch.d_keep[l].resize(rows * lay.o, 0.0);
            }
        }
        match pass.images {
            Some(x) => ch.d_in[0][..rows * d].copy_from_slice(&x[..rows * d]),
            None => ch.d_in[0][..rows * d].copy_from_slice(&ch.g_out[..rows * d]),
        }
        let p = &self.d.data;
        let keep_scale = 1.0 / (1.0 - self.shape.dropout);
        for l in 0..nh {
            let lay = self.d_layers[l];
            dense_forward(&ch.d_in[l], &mut ch.d_h[l], rows, lay, p, Act::Leaky(SLOPE));
            let n = rows * lay.o;
            let keep = &mut ch.d_keep[l][..n];
            match pass.dropout.get(l) {
                Some(u) => {
                    for (k, &u) in keep.iter_mut().zip(u) {
                        *k = if u >= self.shape.dropout {
                            keep_scale
                        } else {
                            0.0
                        };
                    }
                }
                None => keep.fill(1.0),
            }
            let (h, keep) = (&ch.d_h[l][..n], &ch.d_keep[l][..n]);
            for ((o, &h), &k) in ch.d_in[l + 1][..n].iter_mut().zip(h).zip(keep) {
                *o = h * k;
            }
        }
        let out = self.d_layers[nh];
        let mut scores = vec![0f32; rows];
        dense_forward(&ch.d_in[nh], &mut scores, rows, out, p, Act::Linear);
        if let (Some(e), Some(y)) = (self.embed, pass.labels) {
            let f = out.i;
            for (r, s) in scores.iter_mut().enumerate() {
                let feat = &ch.d_in[nh][r * f..(r + 1) * f];
                let ew = &p[e.w + y[r] * f..e.w + (y[r] + 1) * f];
                let eb = &p[e.b..e.b + f];
                *s += feat
                    .iter()
                    .zip(ew)
                    .zip(eb)
                    .map(|((h, w), b)| h * (w + b))
                    .sum::<f32>();
            }
        }
        scores
    }

    /// The discriminator's backward pass from `ch.d_score`: its weight gradients (`weights`)
    /// and the gradient at its input into `ch.d_x` (`input`).
    fn d_backward(&self, ch: &mut Chunk, pass: &Pass<'_>, rows: usize, weights: bool, input: bool) {
        let nl = self.d_layers.len();
        let nh = nl - 1;
        let p = &self.d.data;
        let out = self.d_layers[nh];
        let f = out.i;
        // At the features: g·(w_out + e_y).
        let feat_delta = if nh > 0 {
            &mut ch.d_delta[nh - 1]
        } else {
            &mut ch.d_x
        };
        feat_delta.resize(rows * f, 0.0);
        let w_out = &p[out.w..out.w + f];
        for r in 0..rows {
            let g = ch.d_score[r];
            let row = &mut feat_delta[r * f..(r + 1) * f];
            row.iter_mut().zip(w_out).for_each(|(d, &w)| *d = g * w);
            if let (Some(e), Some(y)) = (self.embed, pass.labels) {
                axpy(row, g, &p[e.w + y[r] * f..e.w + (y[r] + 1) * f]);
                axpy(row, g, &p[e.b..e.b + f]);
            }
        }
        if weights {
            ch.grad_d.resize(p.len(), 0.0);
            dense_grad(&ch.d_in[nh], &ch.d_score, rows, out, &mut ch.grad_d);
            if let Some(e) = self.embed {
                ch.grad_d[e.w..e.b + f].fill(0.0);
                if let Some(y) = pass.labels {
                    for (r, &yr) in y.iter().enumerate().take(rows) {
                        let g = ch.d_score[r];
                        let feat = &ch.d_in[nh][r * f..(r + 1) * f];
                        axpy(&mut ch.grad_d[e.w + yr * f..e.w + (yr + 1) * f], g, feat);
                        axpy(&mut ch.grad_d[e.b..e.b + f], g, feat);
                    }
                }
            }
        }
        // Down the hidden layers: through dropout and the leaky ReLU, then the product.
        for l in (0..nh).rev() {
            let n = rows * self.d_layers[l].o;
            {
                let dl = &mut ch.d_delta[l][..n];
                dl.iter_mut()
                    .zip(&ch.d_keep[l][..n])
                    .for_each(|(d, &k)| *d *= k);
                leaky_relu_backward(dl, &ch.d_h[l][..n], SLOPE);
            }
            if weights {
                dense_grad(
                    &ch.d_in[l],
                    &ch.d_delta[l],
                    rows,
                    self.d_layers[l],
                    &mut ch.grad_d,
                );
            }
            let lay = self.d_layers[l];
            if l > 0 {
                let (lo, hi) = ch.d_delta.split_at_mut(l);
                dense_backward(&hi[0], &mut lo[l - 1], rows, lay, p, None);
            } else if input {
                ch.d_x.resize(rows * lay.i, 0.0);
                dense_backward(&ch.d_delta[0], &mut ch.d_x, rows, lay, p, None);
            }
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `ln(1 + eˣ)`, without overflow.
fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
