//! Training of Bernoulli-Bernoulli RBMs on the CPU, with binary-sparse products.
//!
//! Every visible state a Bernoulli RBM's training touches is binary — the data rows (checked
//! on entry) and the Gibbs samples — so `v W` is the sum of the rows of `W` at the ones of `v`
//! (MNIST binarised at 0.5 has ≈ 19 % ones: a fifth of a dense product's work), and the
//! gradient's `vᵀ h` is a scatter of the rows of `h` into those rows of `W`. Only `h Wᵀ` (hidden
//! states to visible inputs) is a dense product (ndarray's `general_mat_mul`). The batch's rows
//! are spread over rayon's threads when the batch is big enough to pay for it; the scatter is
//! split by blocks of visible units, so no two threads write the same row of `W`.
//!
//! This replaces burn tensors for this one model (they stay for Gaussian visible units, for
//! evaluation and for sampling): burn would run the same products densely and allocate a tensor
//! per operation, which on small batches (scikit-learn's digits benchmark: 10 rows of 64 units)
//! costs more than the arithmetic.
//!
//! Random numbers: each step draws one seed from the caller's [`SeededRng`](crate::core::SeededRng); row `r` of that
//! step uses a [`SmallRng`] seeded from it and `r`, so the result does not depend on how rows
//! are spread over threads (a fit with a seed is reproducible on one machine).

use multiversion::multiversion;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis};
use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};
use rayon::prelude::*;

use super::{Method, RbmParams};
use crate::core::SeededRng;
use crate::neural::kernels::{axpy, sigmoid_in_place};
use crate::neural::tensor::shuffled_batches;

/// Multiply-adds per step below which one thread does all the work (rayon's hand-offs cost
/// more than they save on scikit-learn's digits workload, 10 × 64 × 64).
const PARALLEL_WORK: usize = 1 << 18;

/// The columns holding a one, row by row (compressed sparse rows).
#[derive(Debug, Clone, Default)]
pub(super) struct Ones {
    idx: Vec<u32>,
    ptr: Vec<usize>,
}

impl Ones {
    /// The ones of binary rows (anything but 1.0 counts as 0).
    pub(super) fn of_rows(x: ArrayView2<'_, f32>) -> Ones {
        let mut idx = Vec::new();
        let mut ptr = Vec::with_capacity(x.nrows() + 1);
        ptr.push(0);
        for row in x.axis_iter(Axis(0)) {
            idx.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, &v)| v == 1.0)
                    .map(|(j, _)| j as u32),
            );
            ptr.push(idx.len());
        }
        Ones { idx, ptr }
    }

    fn row(&self, r: usize) -> &[u32] {
        &self.idx[self.ptr[r]..self.ptr[r + 1]]
    }
}

/// `out += Σ_{i ∈ ones} w[i, ·]` (`w` row-major with `out.len()` columns).
#[multiversion(targets = "simd")]
fn add_rows(out: &mut [f32], w: &[f32], ones: &[u32]) {
    let nh = out.len();
    for &i in ones {
        let row = &w[i as usize * nh..][..nh];
        for (o, &x) in out.iter_mut().zip(row) {
            *o += x;
        }
    }
}

/// A uniform draw in [0, 1) with 24 random bits.
#[inline(always)]
fn uniform(rng: &mut SmallRng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

fn row_rng(seed: u64, r: usize) -> SmallRng {
    SmallRng::seed_from_u64(seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The rows `0..rows` in chunks of about equal size: one chunk when `parallel` is false.
fn chunk_rows(rows: usize, parallel: bool) -> usize {
    if parallel {
        rows.div_ceil(2 * rayon::current_num_threads()).max(1)
    } else {
        rows.max(1)
    }
}

/// The parameters and buffers of a Bernoulli RBM being trained.
pub(super) struct BinaryTrainer {
    nv: usize,
    nh: usize,
    /// Weights, `nv × nh`, and biases.
    pub(super) w: Array2<f32>,
    pub(super) b: Vec<f32>,
    pub(super) c: Vec<f32>,
    /// Momentum buffers.
    vw: Array2<f32>,
    vb: Vec<f32>,
    vc: Vec<f32>,
    /// The training rows' ones.
    data: Ones,
    /// Visible states of the persistent chains (PCD): the ones of each chain. Each update
    /// draws the chains' hidden states afresh with the current weights (keeping hidden states
    /// drawn with the previous update's weights, as scikit-learn does, learned markedly slower
    /// early on: 4–9 nats worse per MNIST digit after 600 updates).
    chains: Option<Vec<Vec<u32>>>,
}

/// Per-step scratch (kept between steps so a step allocates nothing once warm).
struct Scratch {
    ph0: Array2<f32>,
    h: Array2<f32>,
    av: Array2<f32>,
    phk: Array2<f32>,
    vk: Vec<Vec<u32>>,
}

impl BinaryTrainer {
    /// A trainer for the binary rows `x`, from weights `w` and biases `b`, `c`. PCD chains
    /// start from samples of the base-rate model (visible biases `b`, no weights).
    pub(super) fn new(
        p: &RbmParams,
        x: ArrayView2<'_, f32>,
        w: Array2<f32>,
        b: Vec<f32>,
        c: Vec<f32>,
        rng: &mut SeededRng,
    ) -> BinaryTrainer {
        let (nv, nh) = w.dim();
        let mut t = BinaryTrainer {
            nv,
            nh,
            vw: Array2::zeros((nv, nh)),
            vb: vec![0.0; nv],
            vc: vec![0.0; nh],
            data: Ones::of_rows(x),
            chains: None,
            w,
            b,
            c,
        };
        if p.method == Method::Pcd {
            let m = p.n_chains.unwrap_or(p.batch_size.min(x.nrows()));
            let mut base = t.b.clone();
            sigmoid_in_place(&mut base);
            let ones: Vec<Vec<u32>> = (0..m)
                .map(|_| {
                    (0..nv as u32)
                        .filter(|&i| rng.random::<f32>() < base[i as usize])
                        .collect()
                })
                .collect();
            t.chains = Some(ones);
        }
        t
    }

    /// `out[r] = σ(c + Σ_{i ∈ ones(r)} w[i])` for every row of `out`.
    fn hidden_probs<'a, F>(&self, ones: F, out: &mut Array2<f32>)
    where
        F: Fn(usize) -> &'a [u32] + Sync,
    {
        let (rows, nh) = out.dim();
        let parallel = rows * self.nv * nh / 4 >= PARALLEL_WORK;
        let chunk = chunk_rows(rows, parallel);
        let w = self.w.as_slice().expect("standard layout");
        let out = out.as_slice_mut().expect("standard layout");
        out.par_chunks_mut(chunk * nh)
            .enumerate()
            .for_each(|(ci, block)| {
                for (k, row) in block.chunks_mut(nh).enumerate() {
                    row.copy_from_slice(&self.c);
                    add_rows(row, w, ones(ci * chunk + k));
                    sigmoid_in_place(row);
                }
            });
    }

    /// Visible states given hidden states `h`: `av ← σ(h Wᵀ + b)` and the ones of a Bernoulli
    /// draw from it in `vk`.
    fn sample_visible(
        &self,
        h: &Array2<f32>,
        av: &mut Array2<f32>,
        vk: &mut [Vec<u32>],
        seed: u64,
    ) {
        let rows = h.nrows();
        let nv = self.nv;
        let parallel = rows * nv * self.nh >= PARALLEL_WORK;
        let chunk = chunk_rows(rows, parallel);
        let avs = av.as_slice_mut().expect("standard layout");
        avs.par_chunks_mut(chunk * nv)
            .zip(vk.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(ci, (block, ones))| {
                let lo = ci * chunk;
                let n = ones.len();
                for row in block.chunks_mut(nv) {
                    row.copy_from_slice(&self.b);
                }
                let mut out = ndarray::ArrayViewMut2::from_shape((n, nv), &mut *block)
                    .expect("block of whole rows");
                let hs = h.slice(ndarray::s![lo..lo + n, ..]);
                general_mat_mul(1.0, &hs, &self.w.t(), 1.0, &mut out);
                for (k, (row, on)) in block.chunks_mut(nv).zip(ones.iter_mut()).enumerate() {
                    sigmoid_in_place(row);
                    let mut rng = row_rng(seed, lo + k);
                    on.clear();
                    on.extend(
                        row.iter()
                            .enumerate()
                            .filter(|(_, &p)| uniform(&mut rng) < p)
                            .map(|(i, _)| i as u32),
                    );
                }
            });
    }

    /// One update from the training rows `batch`.
    fn step(
        &mut self,
        p: &RbmParams,
        batch: &[usize],
        lr: f32,
        s: &mut Scratch,
        rng: &mut SeededRng,
    ) {
        let nh = self.nh;
        let bsz = batch.len();
        if s.ph0.nrows() != bsz {
            s.ph0 = Array2::zeros((bsz, nh));
        }
        // Positive phase.
        let data = &self.data;
        self.hidden_probs(|r| data.row(batch[r]), &mut s.ph0);
        // Negative phase: k Gibbs steps from hidden states drawn given the chains' visible
        // states (PCD) or given the data (CD).
        let m = self.chains.as_ref().map_or(bsz, Vec::len);
        if s.av.nrows() != m {
            s.av = Array2::zeros((m, self.nv));
            s.phk = Array2::zeros((m, nh));
        }
        match &self.chains {
            Some(ch) => {
                self.hidden_probs(|r| &ch[r], &mut s.phk);
                sample_hidden(&s.phk, &mut s.h, rng.next_u64(), self.parallel(m));
            }
            None => sample_hidden(&s.ph0, &mut s.h, rng.next_u64(), self.parallel(bsz)),
        }
        s.vk.resize_with(m, Vec::new);
        for step in 0..p.k {
            self.sample_visible(&s.h, &mut s.av, &mut s.vk, rng.next_u64());
            let vk = &s.vk;
            self.hidden_probs(|r| &vk[r], &mut s.phk);
            if step + 1 < p.k {
                sample_hidden(&s.phk, &mut s.h, rng.next_u64(), self.parallel(m));
            }
        }
        if let Some(ch) = &mut self.chains {
            for (c, v) in ch.iter_mut().zip(&s.vk) {
                c.clone_from(v);
            }
        }
        self.update(p, batch, lr, s);
    }

    fn parallel(&self, rows: usize) -> bool {
        rows * self.nv * self.nh >= PARALLEL_WORK
    }

    /// Momentum, weight decay and the CD statistics: `vel ← m vel + lr (⟨v hᵀ⟩₀ − ⟨v hᵀ⟩ₖ −
    /// wd W)`, then `W ← W + vel` (likewise for the biases, without decay).
    fn update(&mut self, p: &RbmParams, batch: &[usize], lr: f32, s: &Scratch) {
        let (nv, nh) = (self.nv, self.nh);
        let mom = p.momentum as f32;
        let decay = lr * p.weight_decay as f32;
        let a0 = lr / batch.len() as f32;
        let ak = lr / s.vk.len() as f32;
        let parallel = self.parallel(batch.len());
        // Blocks of visible units; each block's rows of W are written by one thread only.
        let block = if parallel {
            nv.div_ceil(8 * rayon::current_num_threads()).max(1)
        } else {
            nv
        };
        let data = &self.data;
        let ph0 = s.ph0.as_slice().expect("standard layout");
        let phk = s.phk.as_slice().expect("standard layout");
        let w = self.w.as_slice_mut().expect("standard layout");
        let vw = self.vw.as_slice_mut().expect("standard layout");
        w.par_chunks_mut(block * nh)
            .zip(vw.par_chunks_mut(block * nh))
            .enumerate()
            .for_each(|(bi, (w, vw))| {
                let lo = (bi * block) as u32;
                let hi = lo + (w.len() / nh) as u32;
                for (v, &x) in vw.iter_mut().zip(w.iter()) {
                    *v = mom * *v - decay * x;
                }
                let mut scatter = |ones: &[u32], a: f32, h: &[f32]| {
                    let from = ones.partition_point(|&i| i < lo);
                    let to = ones.partition_point(|&i| i < hi);
                    for &i in &ones[from..to] {
                        let at = (i - lo) as usize * nh;
                        axpy(&mut vw[at..at + nh], a, h);
                    }
                };
                for (r, &row) in batch.iter().enumerate() {
                    scatter(data.row(row), a0, &ph0[r * nh..(r + 1) * nh]);
                }
                for (r, ones) in s.vk.iter().enumerate() {
                    scatter(ones, -ak, &phk[r * nh..(r + 1) * nh]);
                }
                axpy(w, 1.0, vw);
            });
        for v in &mut self.vb {
            *v *= mom;
        }
        for &row in batch {
            for &i in data.row(row) {
                self.vb[i as usize] += a0;
            }
        }
        for ones in &s.vk {
            for &i in ones {
                self.vb[i as usize] -= ak;
            }
        }
        for v in &mut self.vc {
            *v *= mom;
        }
        for row in s.ph0.axis_iter(Axis(0)) {
            axpy(&mut self.vc, a0, row.as_slice().expect("row"));
        }
        for row in s.phk.axis_iter(Axis(0)) {
            axpy(&mut self.vc, -ak, row.as_slice().expect("row"));
        }
        axpy(&mut self.b, 1.0, &self.vb);
        axpy(&mut self.c, 1.0, &self.vc);
    }

    /// One pass over the training rows in shuffled mini-batches.
    /// One epoch, calling `on_batch` with the rows of each mini-batch after its update.
    pub(super) fn epoch(
        &mut self,
        p: &RbmParams,
        lr: f32,
        rng: &mut SeededRng,
        on_batch: &mut dyn FnMut(usize) -> crate::core::Result<()>,
    ) -> crate::core::Result<()> {
        let n = self.data.ptr.len() - 1;
        let mut s = Scratch {
            ph0: Array2::zeros((0, self.nh)),
            h: Array2::zeros((0, self.nh)),
            av: Array2::zeros((0, self.nv)),
            phk: Array2::zeros((0, self.nh)),
            vk: Vec::new(),
        };
        for batch in shuffled_batches(n, p.batch_size, rng) {
            self.step(p, &batch, lr, &mut s, rng);
            on_batch(batch.len())?;
        }
        Ok(())
    }
}

/// `h ← 1[u < p]` with uniforms drawn per row from `seed`.
fn sample_hidden(p: &Array2<f32>, h: &mut Array2<f32>, seed: u64, parallel: bool) {
    if h.dim() != p.dim() {
        *h = Array2::zeros(p.dim());
    }
    let (rows, nh) = p.dim();
    let chunk = chunk_rows(rows, parallel);
    let ps = p.as_slice().expect("standard layout");
    h.as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(chunk * nh)
        .enumerate()
        .for_each(|(ci, block)| {
            for (k, row) in block.chunks_mut(nh).enumerate() {
                let r = ci * chunk + k;
                let mut rng = row_rng(seed, r);
                for (hv, &pv) in row.iter_mut().zip(&ps[r * nh..(r + 1) * nh]) {
                    *hv = if uniform(&mut rng) < pv { 1.0 } else { 0.0 };
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step on a model big enough for the threaded path: the sparse products and the
    /// scattered update equal their dense formulas on the states the step drew.
    #[test]
    fn a_step_equals_its_dense_formulas() {
        use crate::core::rng_from_seed;
        let (n, nv, nh) = (64, 100, 64);
        assert!(n * nv * nh >= PARALLEL_WORK);
        let mut rng = rng_from_seed(3);
        let x = Array2::from_shape_fn((n, nv), |_| (rng.random::<f32>() < 0.3) as u8 as f32);
        let w0 = Array2::from_shape_fn((nv, nh), |_| rng.random::<f32>() - 0.5);
        let b0: Vec<f32> = (0..nv).map(|_| rng.random::<f32>() - 0.5).collect();
        let c0: Vec<f32> = (0..nh).map(|_| rng.random::<f32>() - 0.5).collect();
        for method in [Method::Cd, Method::Pcd] {
            let p = RbmParams::new(nh)
                .method(method)
                .batch_size(n)
                .momentum(0.5)
                .weight_decay(0.01);
            let mut t =
                BinaryTrainer::new(&p, x.view(), w0.clone(), b0.clone(), c0.clone(), &mut rng);
            // Non-zero momentum buffers, so the momentum term is checked too.
            t.vw.fill(0.001);
            t.vb.fill(0.002);
            t.vc.fill(-0.003);
            let mut s = Scratch {
                ph0: Array2::zeros((0, nh)),
                h: Array2::zeros((0, nh)),
                av: Array2::zeros((0, nv)),
                phk: Array2::zeros((0, nh)),
                vk: Vec::new(),
            };
            let batch: Vec<usize> = (0..n).rev().collect();
            let lr = 0.1f32;
            t.step(&p, &batch, lr, &mut s, &mut rng);

            let sig = |a: f32| 1.0 / (1.0 + (-a).exp());
            let v0 = Array2::from_shape_fn((n, nv), |(r, i)| x[[batch[r], i]]);
            let c = ndarray::Array1::from(c0.clone());
            let ph0 = (v0.dot(&w0) + &c).mapv(sig);
            for (g, e) in s.ph0.iter().zip(ph0.iter()) {
                assert!((g - e).abs() < 1e-5, "{g} vs {e}");
            }
            let m = s.vk.len();
            let vk =
                Array2::from_shape_fn((m, nv), |(r, i)| s.vk[r].contains(&(i as u32)) as u8 as f32);
            let phk = (vk.dot(&w0) + &c).mapv(sig);
            for (g, e) in s.phk.iter().zip(phk.iter()) {
                assert!((g - e).abs() < 1e-5, "{g} vs {e}");
            }
            let grad = v0.t().dot(&ph0) / n as f32 - vk.t().dot(&phk) / m as f32;
            let vw = (grad - &w0 * 0.01) * lr + 0.0005;
            let w = &w0 + &vw;
            for (g, e) in t.w.iter().zip(w.iter()) {
                assert!((g - e).abs() < 1e-5, "{g} vs {e}");
            }
            let gb = v0.mean_axis(Axis(0)).unwrap() - vk.mean_axis(Axis(0)).unwrap();
            for (i, g) in t.b.iter().enumerate() {
                let e = b0[i] + 0.001 + lr * gb[i];
                assert!((g - e).abs() < 1e-5, "{g} vs {e}");
            }
            let gc = ph0.mean_axis(Axis(0)).unwrap() - phk.mean_axis(Axis(0)).unwrap();
            for (j, g) in t.c.iter().enumerate() {
                let e = c0[j] - 0.0015 + lr * gc[j];
                assert!((g - e).abs() < 1e-5, "{g} vs {e}");
            }
            // PCD keeps the last visible states as its chains.
            if let Some(ch) = &t.chains {
                assert_eq!(ch, &s.vk);
            }
        }
    }

    #[test]
    fn ones_lists_the_columns_of_ones() {
        let x = ndarray::array![[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]];
        let o = Ones::of_rows(x.view());
        assert_eq!(o.row(0), &[1, 2]);
        assert!(o.row(1).is_empty());
        assert_eq!(o.row(2), &[0, 2]);
    }
}
