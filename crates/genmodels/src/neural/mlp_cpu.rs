//! What the hand-written CPU trainers of MLP models ([`super::vae_cpu`], [`super::gan_cpu`])
//! share: parameters in one flat `f32` buffer, dense layers' forward and backward passes on
//! row-major slices (faer's products, the bias and activation fused after them), and Adam
//! exactly as burn-optim's.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use super::act::Act;
use super::kernels::{add_bias, add_column_sums, axpy, leaky_relu_backward, relu_backward};
use super::train::TrainConfig;
use crate::core::numerics::gemm_par;

/// A dense layer's weights (`i × o`, row-major, burn's layout) and bias.
pub(crate) type DenseParts = (Vec<f32>, Vec<f32>);

/// A dense layer's place in the flat parameter buffer: the weights (`i × o`, row-major) at
/// `w`, the bias (`o`) at `b`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    pub w: usize,
    pub b: usize,
    pub i: usize,
    pub o: usize,
}

/// A network's parameters in one buffer, and the tensors burn would clip one by one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Flat {
    /// Every parameter.
    pub data: Vec<f32>,
    /// Each of burn's parameter tensors, as runs `(start, len)` of `data`.
    pub tensors: Vec<Vec<(usize, usize)>>,
}

impl Flat {
    /// Appends a dense layer (weights, then bias; two tensors).
    pub fn push_dense(&mut self, (w, b): DenseParts) -> Layer {
        let o = b.len();
        let i = w.len() / o.max(1);
        let l = Layer {
            w: self.data.len(),
            b: self.data.len() + w.len(),
            i,
            o,
        };
        self.tensors.push(vec![(l.w, w.len())]);
        self.tensors.push(vec![(l.b, o)]);
        self.data.extend(w);
        self.data.extend(b);
        l
    }

    /// Appends a vector (one tensor) and returns its offset.
    pub fn push_vec(&mut self, v: Vec<f32>) -> usize {
        let at = self.data.len();
        self.tensors.push(vec![(at, v.len())]);
        self.data.extend(v);
        at
    }

    /// A dense layer's weights and bias.
    pub fn dense(&self, l: Layer) -> DenseParts {
        (
            self.data[l.w..l.w + l.i * l.o].to_vec(),
            self.data[l.b..l.b + l.o].to_vec(),
        )
    }
}

/// Adam as burn-optim's: L2 weight decay added to the gradient, bias-corrected moments,
/// `ε = 10⁻⁸` scaled by the second correction, and gradient clipping by each parameter
/// tensor's norm before all that.
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    betas: (f32, f32),
    weight_decay: f32,
    clip: Option<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

const ADAM_EPS: f32 = 1e-8;
const BLOCK: usize = 1 << 14;

impl Adam {
    /// Zero moments for `n` parameters, with the settings of `train`.
    pub fn new(train: &TrainConfig, n: usize) -> Self {
        Adam {
            betas: (train.beta1 as f32, train.beta2 as f32),
            weight_decay: train.weight_decay as f32,
            clip: train.grad_clip.map(|c| c as f32),
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One step on `p` with the gradient `Σ grads` (summed into `grads[0]`).
    pub fn step(&mut self, p: &mut Flat, grads: &mut [&mut [f32]], lr: f32) {
        let (first, others) = grads.split_first_mut().expect("at least one gradient");
        let g: &mut [f32] = first;
        g.par_chunks_mut(BLOCK).enumerate().for_each(|(bi, gb)| {
            for o in others.iter() {
                axpy(gb, 1.0, &o[bi * BLOCK..bi * BLOCK + gb.len()]);
            }
        });
        if let Some(c) = self.clip {
            for runs in &p.tensors {
                let sq: f32 = runs
                    .iter()
                    .map(|&(at, n)| g[at..at + n].iter().map(|v| v * v).sum::<f32>())
                    .sum();
                let f = (c / (sq.sqrt() + f32::MIN_POSITIVE)).min(1.0);
                if f < 1.0 {
                    for &(at, n) in runs {
                        g[at..at + n].iter_mut().for_each(|v| *v *= f);
                    }
                }
            }
        }
        self.t += 1;
        let (b1, b2) = self.betas;
        let bc2 = (1.0 - b2.powi(self.t)).sqrt();
        let step = lr * bc2 / (1.0 - b1.powi(self.t));
        let eps = ADAM_EPS * bc2;
        let wd = self.weight_decay;
        p.data
            .par_chunks_mut(BLOCK)
            .zip(self.m.par_chunks_mut(BLOCK))
            .zip(self.v.par_chunks_mut(BLOCK))
            .zip(g.par_chunks(BLOCK))
            .for_each(|(((p, m), v), g)| adam_block(p, m, v, g, (b1, b2), wd, step, eps));
    }
}

#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets = "simd")]
fn adam_block(
    p: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    g: &[f32],
    (b1, b2): (f32, f32),
    wd: f32,
    step: f32,
    eps: f32,
) {
    for (((p, m), v), &g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        let g = g + wd * *p;
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        *p -= step * *m / (v.sqrt() + eps);
    }
}

/// `out = act(input · W + b)` for `rows` rows.
pub(crate) fn dense_forward(
    input: &[f32],
    out: &mut [f32],
    rows: usize,
    l: Layer,
    p: &[f32],
    act: Act,
) {
    let a = ArrayView2::from_shape((rows, l.i), &input[..rows * l.i]).expect("input shape");
    let w = ArrayView2::from_shape((l.i, l.o), &p[l.w..l.w + l.i * l.o]).expect("weight shape");
    let o = ArrayViewMut2::from_shape((rows, l.o), &mut out[..rows * l.o]).expect("output shape");
    gemm_par(o, false, a, w, 1.0, faer::Par::Seq);
    let b = &p[l.b..l.b + l.o];
    for row in out[..rows * l.o].chunks_exact_mut(l.o) {
        add_bias(row, b, act);
    }
}

/// `d_in = delta · Wᵀ`, then back through the activation `act` whose output was `act_out`.
pub(crate) fn dense_backward(
    delta: &[f32],
    d_in: &mut [f32],
    rows: usize,
    l: Layer,
    p: &[f32],
    act_out: Option<(&[f32], Act)>,
) {
    let dv = ArrayView2::from_shape((rows, l.o), &delta[..rows * l.o]).expect("delta shape");
    let w = ArrayView2::from_shape((l.i, l.o), &p[l.w..l.w + l.i * l.o]).expect("weight shape");
    let di = ArrayViewMut2::from_shape((rows, l.i), &mut d_in[..rows * l.i]).expect("input shape");
    gemm_par(di, false, dv, w.t(), 1.0, faer::Par::Seq);
    match act_out {
        Some((h, Act::Relu)) => relu_backward(&mut d_in[..rows * l.i], &h[..rows * l.i]),
        Some((h, Act::Leaky(s))) => {
            leaky_relu_backward(&mut d_in[..rows * l.i], &h[..rows * l.i], s)
        }
        Some((_, Act::Linear)) | None => {}
    }
}

/// The layer's weight and bias gradients, `inputᵀ · delta` and `Σ_rows delta`, written into
/// `grad` (laid out as the parameters).
pub(crate) fn dense_grad(input: &[f32], delta: &[f32], rows: usize, l: Layer, grad: &mut [f32]) {
    let a = ArrayView2::from_shape((rows, l.i), &input[..rows * l.i]).expect("input shape");
    let dv = ArrayView2::from_shape((rows, l.o), &delta[..rows * l.o]).expect("delta shape");
    let (gw, gb) = grad[l.w..l.b + l.o].split_at_mut(l.i * l.o);
    let gw = ArrayViewMut2::from_shape((l.i, l.o), gw).expect("gradient shape");
    gemm_par(gw, false, a.t(), dv, 1.0, faer::Par::Seq);
    gb.fill(0.0);
    add_column_sums(gb, &delta[..rows * l.o]);
}

/// Splits `rows` rows over rayon's threads: `(rows per chunk, chunks)`, at least 16 rows a
/// chunk.
pub(crate) fn row_chunks(rows: usize) -> (usize, usize) {
    let threads = rayon::current_num_threads().max(1);
    let per = rows.div_ceil(threads.min(rows.div_ceil(16)).max(1)).max(1);
    (per, rows.div_ceil(per))
}

/// Writes a one-hot row (all zeros without a label).
pub(crate) fn one_hot(dst: &mut [f32], label: Option<usize>) {
    dst.fill(0.0);
    if let Some(y) = label {
        dst[y] = 1.0;
    }
}

/// A dense layer's weights (`i × o`, row-major) and bias.
pub(crate) fn linear_parts(l: &Linear) -> DenseParts {
    let w = l.weight.val();
    let o = w.dims()[1];
    let w = tensor_vec(w);
    let b = l
        .bias
        .as_ref()
        .map_or_else(|| vec![0.0; o], |b| tensor_vec(b.val()));
    (w, b)
}

/// Sets a dense layer's weights and bias (shapes as [`linear_parts`] gives them).
pub(crate) fn set_linear(l: &mut Linear, (w, b): DenseParts, dev: &Device) {
    let o = b.len();
    let i = w.len() / o.max(1);
    l.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [i, o]), dev));
    l.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(b, [o]),
        dev,
    )));
}

/// A tensor's values as `f32`, row-major.
pub(crate) fn tensor_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("a float tensor converts to f32")
}
