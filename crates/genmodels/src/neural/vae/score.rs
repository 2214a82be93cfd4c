//! Scores: the ELBO and the importance-weighted bound (IWAE) of each image.

use super::*;

use burn::tensor::{Tensor, TensorData};
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use crate::core::SeededRng;
use crate::core::{ParamError, Result};
use crate::neural::mlp_cpu::tensor_vec;
use crate::neural::tensor::tensor_from_rows;

/// Decoded samples per tensor operation of the IWAE bound (bounds its memory).
pub(super) const IWAE_CHUNK: usize = 8192;

impl Vae {
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
        let eps = crate::neural::tensor::normal_vec(rng, x.nrows() * lat);
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
                .map(|idx| {
                    (
                        idx,
                        crate::neural::tensor::normal_vec(rng, idx.len() * k * lat),
                    )
                })
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
    pub(super) fn iwae_chunk(
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
}

pub(super) fn chunks(n: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    (0..n)
        .step_by(size)
        .map(move |s| (s..(s + size).min(n)).collect())
}
