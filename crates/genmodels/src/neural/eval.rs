//! Sample-based evaluation of generative models that have no tractable likelihood:
//!
//! - the **Parzen-window** log-likelihood estimate (Breuleux et al. 2011, as used by
//!   Goodfellow et al. 2014): a Gaussian kernel density on generated samples, its width σ
//!   chosen on a validation set. A **weak metric**: it is dominated by the kernel's fit in
//!   high dimension and can rank a model that memorises the training set above a good one
//!   (Theis et al. 2016). We report it for comparison with the literature, marked as such.
//! - a **classifier two-sample test** (Lopez-Paz & Oquab 2017): a fresh small discriminator
//!   trained on half of (real vs generated) images, its accuracy measured on the other half;
//!   50 % means it cannot tell them apart.

use burn::module::Module;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::activation::{leaky_relu, softplus};
use burn::tensor::Tensor;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::tensor::{tensor_from_array, tensor_from_rows};
use super::train::{init_linear, TrainConfig};
use crate::core::SeededRng;
use crate::core::{DataError, ParamError, Result};

fn check_pair(a: &Array2<f32>, b: &Array2<f32>, what: (&str, &str)) -> Result<()> {
    for (x, w) in [(a, what.0), (b, what.1)] {
        if x.nrows() == 0 {
            return Err(DataError::Empty { what: w.into() }.into());
        }
        if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(DataError::NonFinite {
                row: i / x.ncols() + 1,
                column: (i % x.ncols() + 1).to_string(),
                value: v.to_string(),
                hint: String::new(),
            }
            .into());
        }
    }
    if a.ncols() != b.ncols() {
        return Err(DataError::Columns {
            expected: a.ncols(),
            found: b.ncols(),
            hint: format!(" ({} and {} differ in size)", what.0, what.1),
        }
        .into());
    }
    Ok(())
}

/// The Parzen-window log-density of each row of `x` under a Gaussian kernel of width `sigma`
/// centred on each row of `samples`: `log (1/n) Σᵢ N(x; sᵢ, σ² I)`. A weak metric (see the
/// module docs).
pub fn parzen_log_likelihood(
    samples: &Array2<f32>,
    x: &Array2<f32>,
    sigma: f64,
) -> Result<Array1<f64>> {
    check_pair(samples, x, ("the generated samples", "the images"))?;
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(ParamError::Invalid {
            name: "sigma",
            value: sigma.to_string(),
            expected: "a finite kernel width > 0".into(),
        }
        .into());
    }
    let dev = super::tensor::cpu();
    let d = x.ncols() as f64;
    let n = samples.nrows() as f64;
    let s = tensor_from_array(samples, &dev);
    let s_sq: Vec<f64> = samples
        .outer_iter()
        .map(|r| r.iter().map(|&v| f64::from(v) * f64::from(v)).sum())
        .collect();
    let norm = -0.5 * d * (2.0 * std::f64::consts::PI * sigma * sigma).ln() - n.ln();
    let mut out = Vec::with_capacity(x.nrows());
    for start in (0..x.nrows()).step_by(256) {
        let idx: Vec<usize> = (start..(start + 256).min(x.nrows())).collect();
        let xb = tensor_from_rows(x, &idx, &dev);
        let dots = super::tensor::array_from_tensor(xb.matmul(s.clone().transpose()));
        for (r, &i) in idx.iter().enumerate() {
            let x_sq: f64 = x.row(i).iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            let e: Vec<f64> = (0..samples.nrows())
                .map(|j| {
                    let d2 = (x_sq + s_sq[j] - 2.0 * f64::from(dots[[r, j]])).max(0.0);
                    -d2 / (2.0 * sigma * sigma)
                })
                .collect();
            let m = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + e.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            out.push(lse + norm);
        }
    }
    Ok(Array1::from(out))
}

/// The Parzen width chosen on `validation` among `grid` (the largest mean log-density wins),
/// with that mean.
pub fn parzen_select_sigma(
    samples: &Array2<f32>,
    validation: &Array2<f32>,
    grid: &[f64],
) -> Result<(f64, f64)> {
    let mut best = (f64::NAN, f64::NEG_INFINITY);
    for &s in grid {
        let ll = parzen_log_likelihood(samples, validation, s)?
            .mean()
            .unwrap_or(f64::NEG_INFINITY);
        if ll > best.1 {
            best = (s, ll);
        }
    }
    if best.0.is_nan() {
        return Err(ParamError::Invalid {
            name: "sigma grid",
            value: format!("{grid:?}"),
            expected: "at least one width with a finite log-density".into(),
        }
        .into());
    }
    Ok(best)
}

/// The σ grid of Goodfellow et al.'s code (`np.logspace(-1, 0, 10)`) widened to 0.05–1.
pub fn default_sigma_grid() -> Vec<f64> {
    (0..=13)
        .map(|i| 10f64.powf(-1.3 + 0.1 * i as f64))
        .collect()
}

/// The result of a classifier two-sample test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoSample {
    /// Accuracy of the fresh discriminator on the held-out half (0.5: indistinguishable).
    pub accuracy: f64,
    /// Held-out images it was measured on (half real, half generated).
    pub n_test: usize,
    /// Images it was trained on.
    pub n_train: usize,
}

#[derive(Module, Debug)]
struct Critic {
    h: Linear,
    h2: Linear,
    out: Linear,
}

impl Critic {
    fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let b = x.dims()[0];
        let h = leaky_relu(self.h.forward(x), 0.2);
        let h = leaky_relu(self.h2.forward(h), 0.2);
        self.out.forward(h).reshape([b])
    }
}

/// A classifier two-sample test of `real` against `fake` (as many of each are used as the
/// smaller set has): a fresh MLP (D-256-256-1, leaky ReLU) is trained for `epochs` epochs on
/// a random half of both, and its accuracy is measured on the other half.
pub fn two_sample_test(
    real: &Array2<f32>,
    fake: &Array2<f32>,
    epochs: usize,
    rng: &mut SeededRng,
) -> Result<TwoSample> {
    check_pair(real, fake, ("the real images", "the generated images"))?;
    let n = real.nrows().min(fake.nrows());
    if n < 4 {
        return Err(DataError::TooFewRows {
            found: n,
            needed: 4,
            why: "a two-sample test (two halves of real and generated images)".into(),
        }
        .into());
    }
    let mut ri: Vec<usize> = (0..real.nrows()).collect();
    let mut fi: Vec<usize> = (0..fake.nrows()).collect();
    ri.shuffle(rng);
    fi.shuffle(rng);
    let h = n / 2;
    let stack = |r: &[usize], f: &[usize]| -> (Array2<f32>, Vec<f32>) {
        let a = real.select(Axis(0), r);
        let b = fake.select(Axis(0), f);
        let x = ndarray::concatenate(Axis(0), &[a.view(), b.view()]).expect("same width");
        let y = [vec![1.0f32; r.len()], vec![0.0; f.len()]].concat();
        (x, y)
    };
    let (xt, yt) = stack(&ri[..h], &fi[..h]);
    let (xv, yv) = stack(&ri[h..n], &fi[h..n]);
    let dev = super::tensor::cpu_train();
    let d = real.ncols();
    let mut net = Critic {
        h: init_linear(d, 256, rng, &dev),
        h2: init_linear(256, 256, rng, &dev),
        out: init_linear(256, 1, rng, &dev),
    };
    let tc = TrainConfig {
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let mut opt = tc.adam();
    let ytt = Array2::from_shape_vec((yt.len(), 1), yt).expect("one column");
    for _ in 0..epochs.max(1) {
        for idx in super::tensor::shuffled_batches(xt.nrows(), 128, rng) {
            let xb = tensor_from_rows(&xt, &idx, &dev);
            let yb: Tensor<1> = tensor_from_rows(&ytt, &idx, &dev).reshape([idx.len()]);
            let s = net.forward(xb);
            // Logistic loss: softplus(s) − y·s.
            let loss = (softplus(s.clone(), 1.0) - yb * s).mean();
            let g = GradientsParams::from_grads(loss.backward(), &net);
            net = opt.step(tc.lr, net, g);
        }
    }
    let net = net.valid();
    let s: Vec<f32> = net
        .forward(tensor_from_array(&xv, &super::tensor::cpu()))
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32");
    let correct = s
        .iter()
        .zip(&yv)
        .filter(|(s, y)| (**s > 0.0) == (**y > 0.5))
        .count();
    Ok(TwoSample {
        accuracy: correct as f64 / yv.len() as f64,
        n_test: yv.len(),
        n_train: xt.nrows(),
    })
}

/// The same test between two random halves of `real`: the baseline the generated images'
/// accuracy is read against (near 50 % when the real images are exchangeable). The halves are
/// drawn at random because a dataset may be ordered: MNIST's first 5,000 test images come from
/// other writers than its last 5,000, and a classifier tells those blocks apart 71 % of the
/// time.
pub fn two_sample_real_halves(
    real: &Array2<f32>,
    epochs: usize,
    rng: &mut SeededRng,
) -> Result<TwoSample> {
    let mut perm: Vec<usize> = (0..real.nrows()).collect();
    perm.shuffle(rng);
    let half = real.nrows() / 2;
    let (a, b) = (
        real.select(Axis(0), &perm[..half]),
        real.select(Axis(0), &perm[half..]),
    );
    two_sample_test(&a, &b, epochs, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rng_from_seed;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn parzen_matches_direct_formula() {
        let s = ndarray::array![[0.0f32, 0.0], [1.0, 0.5], [0.2, -0.3]];
        let x = ndarray::array![[0.1f32, 0.1], [2.0, -1.0]];
        let sigma = 0.7;
        let got = parzen_log_likelihood(&s, &x, sigma).unwrap();
        for (r, row) in x.outer_iter().enumerate() {
            let mut acc = 0.0;
            for si in s.outer_iter() {
                let d2: f64 = row
                    .iter()
                    .zip(si.iter())
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum();
                acc += (-d2 / (2.0 * sigma * sigma)).exp()
                    / (2.0 * std::f64::consts::PI * sigma * sigma);
            }
            let want = (acc / 3.0).ln();
            assert!((got[r] - want).abs() < 1e-5, "{} vs {want}", got[r]);
        }
        let (best, _) = parzen_select_sigma(&s, &x, &default_sigma_grid()).unwrap();
        assert!(default_sigma_grid().contains(&best));
        assert!(parzen_log_likelihood(&s, &x, 0.0).is_err());
        assert!(parzen_log_likelihood(&s, &Array2::zeros((1, 3)), 1.0).is_err());
    }

    #[test]
    fn two_sample_test_tells_different_sets_apart_and_not_equal_ones() {
        let mut r = rng_from_seed(1);
        let mut g = |shift: f32, n: usize| {
            Array2::from_shape_simple_fn((n, 8), || {
                let e: f32 = StandardNormal.sample(&mut r);
                e + shift
            })
        };
        let (a, b, c) = (g(0.0, 600), g(0.0, 600), g(1.0, 600));
        let same = two_sample_test(&a, &b, 3, &mut rng_from_seed(2)).unwrap();
        let diff = two_sample_test(&a, &c, 3, &mut rng_from_seed(2)).unwrap();
        assert_eq!(same.n_test, 600);
        assert!(same.accuracy < 0.6, "{same:?}");
        assert!(diff.accuracy > 0.85, "{diff:?}");
        assert!(two_sample_test(&a, &Array2::zeros((0, 8)), 1, &mut rng_from_seed(0)).is_err());
        // Random halves of a set whose two blocks differ look alike.
        let ordered = ndarray::concatenate(Axis(0), &[a.view(), c.view()]).unwrap();
        let halves = two_sample_real_halves(&ordered, 3, &mut rng_from_seed(2)).unwrap();
        assert_eq!(halves.n_test, 600);
        assert!(halves.accuracy < 0.6, "{halves:?}");
        assert!(two_sample_real_halves(
            &a.slice(ndarray::s![..7, ..]).to_owned(),
            1,
            &mut rng_from_seed(0)
        )
        .is_err());
    }
}
