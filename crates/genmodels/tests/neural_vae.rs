//! VAE invariants on tiny data: the importance-weighted bound against the ELBO, and a
//! linear-Gaussian VAE against the closed-form marginal likelihood of probabilistic PCA.
#![cfg(feature = "neural")]

use genmodels::core::rng_from_seed;
use genmodels::core::Silent;
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{Likelihood, Vae, VaeConfig};
use ndarray::{Array1, Array2};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn binary_data(n: usize, seed: u64) -> Array2<f32> {
    let mut r = rng_from_seed(seed);
    Array2::from_shape_fn((n, 16), |(i, j)| {
        let p = match i % 3 {
            0 => {
                if j < 8 {
                    0.9
                } else {
                    0.1
                }
            }
            1 => {
                if j % 2 == 0 {
                    0.85
                } else {
                    0.1
                }
            }
            _ => 0.3,
        };
        (r.random::<f64>() < p) as u8 as f32
    })
}

/// ELBO ≤ IWAE(5) ≤ IWAE(50) on a briefly trained model, in expectation (averaged over seeds).
#[test]
fn iwae_bounds_increase_with_k_and_exceed_the_elbo() {
    let x = binary_data(90, 1);
    let cfg = VaeConfig {
        hidden: vec![12],
        latent: 2,
        ..VaeConfig::mlp(16, (4, 4))
    };
    let train = TrainConfig {
        epochs: 30,
        batch_size: 30,
        lr: 1e-2,
        seed: 1,
        ..TrainConfig::default()
    };
    let vae = Vae::new(cfg, 1)
        .unwrap()
        .train(&x, None, &train, None, &mut Silent, &mut |_, _| Ok(()))
        .unwrap();
    let seeds = 20u64;
    let avg = |f: &dyn Fn(u64) -> f64| (0..seeds).map(f).sum::<f64>() / seeds as f64;
    let elbo = avg(&|s| {
        vae.elbo(&x, None, &mut rng_from_seed(s))
            .unwrap()
            .mean()
            .unwrap()
    });
    let iw = |k: usize| {
        avg(&|s| {
            vae.iwae(&x, None, k, &mut rng_from_seed(100 + s))
                .unwrap()
                .mean()
                .unwrap()
        })
    };
    let (i1, i5, i50) = (iw(1), iw(5), iw(50));
    // IWAE(1) is the ELBO (estimated with a sampled rather than closed-form KL).
    assert!((i1 - elbo).abs() < 0.1, "IWAE(1) {i1} vs ELBO {elbo}");
    assert!(
        elbo < i5 && i5 < i50,
        "ELBO {elbo}, IWAE(5) {i5}, IWAE(50) {i50}"
    );
    assert!(
        i50 - elbo > 0.05,
        "the bound should tighten visibly: {elbo} → {i50}"
    );
    // Chunked accumulation (k above the chunk of 8192 samples) agrees with one chunk.
    let one = vae
        .iwae(
            &x.slice(ndarray::s![..2, ..]).to_owned(),
            None,
            9000,
            &mut rng_from_seed(5),
        )
        .unwrap();
    assert!(one.iter().all(|v| v.is_finite() && *v < 0.0));
    assert!(
        (one[0]
            - vae
                .iwae(
                    &x.slice(ndarray::s![..1, ..]).to_owned(),
                    None,
                    4000,
                    &mut rng_from_seed(6)
                )
                .unwrap()[0])
            .abs()
            < 0.05
    );
}

/// Eigenvalues of a symmetric matrix (cyclic Jacobi).
fn sym_eigenvalues(mut a: Array2<f64>) -> Vec<f64> {
    let n = a.nrows();
    for _ in 0..100 {
        let mut off = 0.0;
        for p in 0..n {
            for q in p + 1..n {
                off += a[[p, q]] * a[[p, q]];
                if a[[p, q]].abs() < 1e-15 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
            }
        }
        if off < 1e-24 {
            break;
        }
    }
    let mut e: Vec<f64> = (0..n).map(|i| a[[i, i]]).collect();
    e.sort_by(|x, y| y.partial_cmp(x).unwrap());
    e
}

/// A VAE with linear encoder and decoder and Gaussian pixels is factor analysis; on data
/// drawn from a probabilistic-PCA model its importance-weighted log-likelihood must reach the
/// closed-form maximum-likelihood value of probabilistic PCA (Tipping & Bishop 1999:
/// σ² = mean of the discarded eigenvalues of the sample covariance, log|C| from the kept
/// eigenvalues and σ², tr(C⁻¹S) = d).
#[test]
fn linear_gaussian_vae_recovers_the_ppca_marginal_likelihood() {
    let (n, d, q) = (2000, 5, 2);
    let mut r = rng_from_seed(7);
    let w = Array2::from_shape_fn((d, q), |_| {
        let v: f64 = StandardNormal.sample(&mut r);
        v * 0.3
    });
    let b = Array1::from_shape_fn(d, |i| 0.1 * i as f64);
    let x64 = Array2::from_shape_fn((n, d), |_| 0.0f64);
    let mut x64 = x64;
    for i in 0..n {
        let z: Vec<f64> = (0..q).map(|_| StandardNormal.sample(&mut r)).collect();
        for j in 0..d {
            let e: f64 = StandardNormal.sample(&mut r);
            x64[[i, j]] = b[j] + (0..q).map(|k| w[[j, k]] * z[k]).sum::<f64>() + 0.1 * e;
        }
    }
    let mean = x64.mean_axis(ndarray::Axis(0)).unwrap();
    let xc = &x64 - &mean;
    let s = xc.t().dot(&xc) / n as f64;
    let ev = sym_eigenvalues(s);
    let sigma2 = ev[q..].iter().sum::<f64>() / (d - q) as f64;
    let logdet: f64 = ev[..q].iter().map(|l| l.ln()).sum::<f64>() + (d - q) as f64 * sigma2.ln();
    let ppca = -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + logdet + d as f64);

    let x = x64.mapv(|v| v as f32);
    let cfg = VaeConfig {
        hidden: vec![],
        latent: q,
        likelihood: Likelihood::Gaussian,
        ..VaeConfig::mlp(d, (1, d))
    };
    let train = TrainConfig {
        epochs: 150,
        batch_size: 100,
        lr: 1e-2,
        seed: 2,
        ..TrainConfig::default()
    };
    let vae = Vae::new(cfg, 2)
        .unwrap()
        .train(&x, None, &train, None, &mut Silent, &mut |_, _| Ok(()))
        .unwrap();
    let iwae = vae
        .iwae(&x, None, 200, &mut rng_from_seed(3))
        .unwrap()
        .mean()
        .unwrap();
    let elbo = vae
        .elbo(&x, None, &mut rng_from_seed(4))
        .unwrap()
        .mean()
        .unwrap();
    assert!(
        (iwae - ppca).abs() < 0.03,
        "IWAE {iwae} vs probabilistic PCA's maximum likelihood {ppca} (ELBO {elbo})"
    );
    // The diagonal posterior is exact for a linear-Gaussian model at the optimum: the ELBO is
    // (nearly) tight.
    assert!(
        elbo <= iwae + 0.01 && iwae - elbo < 0.05,
        "ELBO {elbo}, IWAE {iwae}"
    );
}
