//! A hand-written CPU trainer for MLP VAEs: the forward pass, the backward pass and Adam on
//! flat `f32` buffers, with the element-wise work fused into the loops around the matrix
//! products (faer's) and the mini-batch's rows split over rayon's threads.
//!
//! Why not burn here: burn runs every activation, the reparameterisation, the loss and each of
//! Adam's updates as its own tensor operation with its own allocation, and its CPU backend runs
//! them on one thread; on the benchmark's 784-400-20-400-784 VAE that made an epoch 1.3× slower
//! than PyTorch's (`bench/README.md`). Here each thread takes a slice of the batch's rows through
//! the whole network and back, with every buffer allocated once, and computes its own share of
//! the weight gradients; the shares are summed inside the Adam update. No autodiff crate fuses
//! CPU work this way.
//!
//! The arithmetic is the same as the burn model's (`super::vae`): the same loss, the same
//! gradients, and Adam exactly as burn-optim's (bias corrections, ε, L2 weight decay added to the
//! gradient, gradient clipping by each parameter's norm), and the same random draws in the same
//! order, so a fit on either path follows the same trajectory up to rounding. A test checks it.

use rayon::prelude::*;

use super::act::Act;
use super::kernels::{bernoulli_row, exp_f32, gaussian_row};
use super::mlp_cpu::{
    dense_backward, dense_forward, dense_grad, one_hot, row_chunks, Adam, DenseParts, Flat, Layer,
};
use super::train::TrainConfig;

const HALF_LN_2PI: f32 = 0.918_938_5;

/// The fixed shape of the MLP VAE being trained.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// Values per image.
    pub input: usize,
    /// Classes of a conditional VAE (0: unconditional); their one-hot vector is appended to the
    /// encoder's and the decoder's inputs.
    pub classes: usize,
    /// Latent dimensions.
    pub latent: usize,
    /// Number of hidden layers of the encoder (the decoder has as many).
    pub depth: usize,
    /// Weight of the KL term.
    pub beta: f32,
}

/// One thread's slice of a mini-batch: every activation and delta of its rows, and its share
/// of the gradient.
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// The input of each layer (layer 0: the image and the one-hot label).
    input: Vec<Vec<f32>>,
    /// The output of the encoder's head, `[μ | ln σ²]`, then its delta.
    head: Vec<f32>,
    /// The decoder's output (logits or means), then its delta.
    out: Vec<f32>,
    /// The delta at each layer's output (unused for the head and the last layer).
    delta: Vec<Vec<f32>>,
    /// The gradient at the decoder's input `[z | label]`.
    d_zin: Vec<f32>,
    /// `σ` of `q(z | x)`, for the backward pass.
    std: Vec<f32>,
    /// This chunk's share of the gradient, laid out as the parameters.
    grad: Vec<f32>,
    /// `Σ β·KL − log p(x | z)` over its rows.
    loss: f64,
}

/// The trainer: the parameters, Adam's state and the per-thread buffers.
#[derive(Debug, Clone)]
pub(crate) struct VaeCpu {
    shape: Shape,
    layers: Vec<Layer>,
    log_sigma: Option<usize>,
    params: Flat,
    adam: Adam,
    chunks: Vec<Chunk>,
}

impl VaeCpu {
    /// A trainer starting from the given layers — the encoder's hidden layers, the head
    /// (`[μ | ln σ²]`, `2·latent` outputs), the decoder's hidden layers, the output layer —
    /// and `ln σ` for Gaussian pixels, with Adam set up by `train`.
    pub fn new(
        shape: Shape,
        dense: Vec<DenseParts>,
        log_sigma: Option<Vec<f32>>,
        train: &TrainConfig,
    ) -> Self {
        assert_eq!(dense.len(), 2 * shape.depth + 2, "layer count");
        let mut params = Flat::default();
        let layers: Vec<Layer> = dense.into_iter().map(|d| params.push_dense(d)).collect();
        // burn has μ and ln σ² as two layers: four tensors to clip, here side by side.
        let head = layers[shape.depth];
        let lat = shape.latent;
        let at = 2 * shape.depth;
        params.tensors.splice(
            at..at + 2,
            (0..2).flat_map(|h| {
                [
                    (0..head.i)
                        .map(|r| (head.w + r * head.o + h * lat, lat))
                        .collect(),
                    vec![(head.b + h * lat, lat)],
                ]
            }),
        );
        let log_sigma = log_sigma.map(|ls| params.push_vec(ls));
        let adam = Adam::new(train, params.data.len());
        VaeCpu {
            shape,
            layers,
            log_sigma,
            params,
            adam,
            chunks: Vec::new(),
        }
    }

    /// The layers' `(weights, bias)` and `ln σ`, as given to [`VaeCpu::new`].
    pub fn export(&self) -> (Vec<DenseParts>, Option<Vec<f32>>) {
        let dense = self.layers.iter().map(|&l| self.params.dense(l)).collect();
        let ls = self
            .log_sigma
            .map(|at| self.params.data[at..at + self.shape.input].to_vec());
        (dense, ls)
    }

    fn head(&self) -> usize {
        self.shape.depth
    }

    /// Width of layer `l`'s input buffer.
    fn input_width(&self, l: usize) -> usize {
        self.layers[l].i
    }

    /// One Adam step on the mini-batch: rows `idx` of `x` (`n × input`, row-major), their
    /// `labels` (conditional VAE), uniform draws `u` (`idx.len() × input`) for dynamic
    /// binarisation, and the reparameterisation noise `eps` (`idx.len() × latent`). Returns the
    /// batch's summed `β·KL − log p(x | z)`.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        x: &[f32],
        idx: &[usize],
        labels: Option<&[usize]>,
        u: Option<&[f32]>,
        eps: &[f32],
        lr: f32,
    ) -> f64 {
        let b = idx.len();
        let (per, n_chunks) = row_chunks(b);
        if self.chunks.len() < n_chunks {
            self.chunks.resize_with(n_chunks, Chunk::default);
        }
        let scale = 1.0 / b as f32;
        let mut chunks = std::mem::take(&mut self.chunks);
        let this = &*self;
        chunks[..n_chunks]
            .par_iter_mut()
            .enumerate()
            .for_each(|(c, ch)| {
                let r = c * per..((c + 1) * per).min(b);
                let (d, k) = (this.shape.input, this.shape.latent);
                this.chunk_step(
                    ch,
                    x,
                    &idx[r.clone()],
                    labels,
                    u.map(|u| &u[r.start * d..r.end * d]),
                    &eps[r.start * k..r.end * k],
                    scale,
                );
            });
        let loss = chunks[..n_chunks].iter().map(|c| c.loss).sum();
        let mut grads: Vec<&mut [f32]> = chunks[..n_chunks]
            .iter_mut()
            .map(|c| &mut c.grad[..])
            .collect();
        self.adam.step(&mut self.params, &mut grads, lr);
        self.chunks = chunks;
        loss
    }

    /// The forward and backward pass of one chunk of rows, and its share of the gradient.
    #[allow(clippy::too_many_arguments)]
    fn chunk_step(
        &self,
        ch: &mut Chunk,
        x: &[f32],
        idx: &[usize],
        labels: Option<&[usize]>,
        u: Option<&[f32]>,
        eps: &[f32],
        scale: f32,
    ) {
        let s = &self.shape;
        let (d, k, lat) = (s.input, s.classes, s.latent);
        let rows = idx.len();
        let nl = self.layers.len();
        let head = self.head();
        let p = &self.params.data;
        ch.input.resize_with(nl, Vec::new);
        ch.delta.resize_with(nl, Vec::new);
        for l in 0..nl {
            ch.input[l].resize(rows * self.input_width(l), 0.0);
            ch.delta[l].resize(rows * self.layers[l].o, 0.0);
        }
        ch.head.resize(rows * 2 * lat, 0.0);
        ch.out.resize(rows * d, 0.0);
        ch.d_zin.resize(rows * (lat + k), 0.0);
        ch.std.resize(rows * lat, 0.0);
        ch.grad.resize(p.len(), 0.0);

        // The encoder's input: the (binarised) image, then the one-hot label.
        let w0 = d + k;
        for (r, &i) in idx.iter().enumerate() {
            let dst = &mut ch.input[0][r * w0..(r + 1) * w0];
            let src = &x[i * d..(i + 1) * d];
            match u {
                Some(u) => {
                    for ((t, &v), &uu) in dst[..d].iter_mut().zip(src).zip(&u[r * d..(r + 1) * d]) {
                        *t = if uu < v { 1.0 } else { 0.0 };
                    }
                }
                None => dst[..d].copy_from_slice(src),
            }
            one_hot(&mut dst[d..], labels.map(|l| l[i]));
        }

        // Forward.
        let mut kl_sum = 0f64;
        for l in 0..nl {
            let lay = self.layers[l];
            let act = if l != head && l + 1 != nl {
                Act::Relu
            } else {
                Act::Linear
            };
            let (inputs, rest) = ch.input.split_at_mut(l + 1);
            let input = &inputs[l];
            let out: &mut Vec<f32> = if l == head {
                &mut ch.head
            } else if l + 1 == nl {
                &mut ch.out
            } else {
                &mut rest[0]
            };
            dense_forward(input, out, rows, lay, p, act);
            if l == head {
                // z = μ + σ ε, the decoder's input [z | label], and the KL term.
                let zin = &mut rest[0];
                let wz = lat + k;
                for r in 0..rows {
                    let hrow = &ch.head[r * 2 * lat..(r + 1) * 2 * lat];
                    let (mu, lv) = hrow.split_at(lat);
                    let std = &mut ch.std[r * lat..(r + 1) * lat];
                    let e = &eps[r * lat..(r + 1) * lat];
                    let zrow = &mut zin[r * wz..(r + 1) * wz];
                    let mut kl = 0f32;
                    for j in 0..lat {
                        let sd = (0.5 * lv[j]).exp();
                        std[j] = sd;
                        zrow[j] = mu[j] + sd * e[j];
                        kl += mu[j] * mu[j] + sd * sd - lv[j] - 1.0;
                    }
                    kl_sum += 0.5 * kl as f64;
                    one_hot(&mut zrow[lat..], labels.map(|l| l[idx[r]]));
                }
            }
        }

        // The likelihood, and its gradient at the decoder's output.
        let xin = &ch.input[0];
        let mut lpx = 0f64;
        let grad = &mut ch.grad;
        match self.log_sigma {
            None => {
                for r in 0..rows {
                    lpx += bernoulli_row(
                        &mut ch.out[r * d..(r + 1) * d],
                        &xin[r * w0..r * w0 + d],
                        scale,
                    ) as f64;
                }
            }
            Some(at) => {
                let ls_raw = &p[at..at + d];
                let ls: Vec<f32> = ls_raw.iter().map(|v| v.clamp(-7.0, 5.0)).collect();
                let inv_var: Vec<f32> = ls.iter().map(|&v| exp_f32(-2.0 * v)).collect();
                let g_ls = &mut grad[at..at + d];
                g_ls.fill(0.0);
                let per_row: f32 = ls.iter().sum::<f32>() + d as f32 * HALF_LN_2PI;
                for r in 0..rows {
                    let q = gaussian_row(
                        &mut ch.out[r * d..(r + 1) * d],
                        &xin[r * w0..r * w0 + d],
                        &inv_var,
                        g_ls,
                        scale,
                    );
                    lpx += (q - per_row) as f64;
                }
                // The clamp passes no gradient outside [−7, 5].
                for (g, v) in g_ls.iter_mut().zip(ls_raw) {
                    if !(-7.0..=5.0).contains(v) {
                        *g = 0.0;
                    }
                }
            }
        }
        ch.loss = s.beta as f64 * kl_sum - lpx;

        // Backward through the decoder, down to its input [z | label].
        for l in (head + 1..nl).rev() {
            let lay = self.layers[l];
            let (lo, hi) = ch.delta.split_at_mut(l);
            let delta: &[f32] = if l + 1 == nl { &ch.out } else { &hi[0] };
            if l == head + 1 {
                dense_backward(delta, &mut ch.d_zin, rows, lay, p, None);
            } else {
                dense_backward(
                    delta,
                    &mut lo[l - 1],
                    rows,
                    lay,
                    p,
                    Some((&ch.input[l], Act::Relu)),
                );
            }
        }
        // The head: through the reparameterisation and the KL term.
        let bs = s.beta * scale;
        for r in 0..rows {
            let dz = &ch.d_zin[r * (lat + k)..r * (lat + k) + lat];
            let hrow = &mut ch.head[r * 2 * lat..(r + 1) * 2 * lat];
            let std = &ch.std[r * lat..(r + 1) * lat];
            let e = &eps[r * lat..(r + 1) * lat];
            for j in 0..lat {
                let (mu, sd) = (hrow[j], std[j]);
                hrow[j] = dz[j] + bs * mu;
                hrow[lat + j] = dz[j] * 0.5 * sd * e[j] + bs * 0.5 * (sd * sd - 1.0);
            }
        }
        // Backward through the encoder.
        for l in (1..=head).rev() {
            let lay = self.layers[l];
            let (lo, hi) = ch.delta.split_at_mut(l);
            let delta: &[f32] = if l == head { &ch.head } else { &hi[0] };
            dense_backward(
                delta,
                &mut lo[l - 1],
                rows,
                lay,
                p,
                Some((&ch.input[l], Act::Relu)),
            );
        }

        // This chunk's weight and bias gradients: inputᵀ · delta, Σ_rows delta.
        for l in 0..nl {
            let lay = self.layers[l];
            let delta: &[f32] = if l == head {
                &ch.head
            } else if l + 1 == nl {
                &ch.out
            } else {
                &ch.delta[l]
            };
            dense_grad(&ch.input[l], delta, rows, lay, grad);
        }
    }
}
