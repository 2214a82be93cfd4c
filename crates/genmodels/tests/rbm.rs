//! Restricted Boltzmann machines: exact log Z by brute force and against AIS, free energy and
//! pseudo-likelihood against scikit-learn, the CD-k gradient against its exact expectation,
//! Gibbs samples against the exact distribution (chi-square), clamped sampling, checkpoints,
//! and bad input. Tiny models only: the whole file runs in seconds.
#![cfg(feature = "neural")]

use std::path::Path;

use genmodels::core::rng_from_seed;
use genmodels::core::{DataError, Error, Fit, ModelFileError, ParamError};
use genmodels::io::images::Images;
use genmodels::neural::rbm::ais::exact_visible_distribution;
use genmodels::neural::rbm::{AisParams, GibbsStart, LrSchedule, Method, Rbm, RbmParams, Visible};
use ndarray::{Array1, Array2};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn random_rbm(nv: usize, nh: usize, scale: f32, seed: u64) -> Rbm {
    let mut rng = rng_from_seed(seed);
    let mut g = |s: f32| -> f32 {
        let z: f32 = StandardNormal.sample(&mut rng);
        z * s
    };
    let w = Array2::from_shape_fn((nv, nh), |_| g(scale));
    let b = Array1::from_shape_fn(nv, |_| g(0.5));
    let c = Array1::from_shape_fn(nh, |_| g(0.5));
    Rbm::from_weights(w, b, c, None, None).unwrap()
}

fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// log Σ_v Σ_h e^{−E(v,h)} by enumerating both layers (f64), for tiny models.
fn brute_log_z(rbm: &Rbm) -> f64 {
    let (w, b, c, _) = rbm.parameters();
    let (nv, nh) = w.dim();
    let mut terms = Vec::new();
    for vs in 0..(1usize << nv) {
        for hs in 0..(1usize << nh) {
            let v = |i: usize| ((vs >> i) & 1) as f64;
            let h = |j: usize| ((hs >> j) & 1) as f64;
            let mut e = 0.0;
            for i in 0..nv {
                e += b[i] as f64 * v(i);
                for j in 0..nh {
                    e += v(i) * w[[i, j]] as f64 * h(j);
                }
            }
            for j in 0..nh {
                e += c[j] as f64 * h(j);
            }
            terms.push(e);
        }
    }
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
}

/// Exact p(v) of every visible state (binary counting order), in f64, independent of the
/// library: p(v) ∝ e^{bᵀv} Πⱼ (1 + e^{cⱼ + vᵀWⱼ}).
fn exact_pv(rbm: &Rbm) -> Vec<f64> {
    let (w, b, c, _) = rbm.parameters();
    let (nv, nh) = w.dim();
    let lp: Vec<f64> = (0..(1usize << nv))
        .map(|s| {
            let v = |i: usize| ((s >> i) & 1) as f64;
            let mut l: f64 = (0..nv).map(|i| b[i] as f64 * v(i)).sum();
            for j in 0..nh {
                let a: f64 = c[j] as f64 + (0..nv).map(|i| v(i) * w[[i, j]] as f64).sum::<f64>();
                l += softplus(a);
            }
            l
        })
        .collect();
    let m = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = lp.iter().map(|l| (l - m).exp()).sum();
    lp.iter().map(|l| (l - m).exp() / z).collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn exact_log_z_equals_brute_force_on_both_sides() {
    // Fewer hidden than visible (enumerates h) and the other way round (enumerates v).
    for (nv, nh, seed) in [(5, 3, 1), (3, 5, 2), (4, 4, 3)] {
        let rbm = random_rbm(nv, nh, 1.0, seed);
        let lz = rbm.exact_log_z().unwrap();
        assert!(lz.is_exact());
        let brute = brute_log_z(&rbm);
        assert!(
            (lz.log_z - brute).abs() < 1e-9,
            "{nv}x{nh}: {} vs {brute}",
            lz.log_z
        );
    }
    // Probabilities of every visible state sum to one.
    let rbm = random_rbm(6, 4, 1.0, 4);
    let (_, p) = exact_visible_distribution(&rbm).unwrap();
    assert!((p.sum() - 1.0).abs() < 1e-5, "{}", p.sum());
}

#[test]
fn ais_agrees_with_exact_log_z_within_its_error() {
    // 12 hidden units (enumerated exactly) and 30 visible units.
    let rbm = random_rbm(30, 12, 0.6, 11);
    let exact = rbm.exact_log_z().unwrap().log_z;
    // Base-rate data: samples of the model itself.
    let data = rbm
        .gibbs(500, 200, GibbsStart::Random, &mut rng_from_seed(5))
        .unwrap()
        .states;
    let params = AisParams {
        runs: 100,
        betas: 3000,
        seed: 3,
    };
    let ais = rbm.ais_log_z(Some(data.view()), &params).unwrap();
    assert!(!ais.is_exact());
    assert!(
        ais.stderr > 0.0 && ais.stderr < 0.2,
        "stderr {}",
        ais.stderr
    );
    let diff = (ais.log_z - exact).abs();
    // Within 3 reported standard errors (plus f32 rounding of the 3000-step sums).
    assert!(
        diff < 3.0 * ais.stderr + 0.02,
        "AIS {} ± {} vs exact {exact}",
        ais.log_z,
        ais.stderr
    );
    // And with the other layer larger: 12 visible, 25 hidden (exact enumerates v).
    let rbm = random_rbm(12, 25, 0.5, 12);
    let exact = rbm.exact_log_z().unwrap().log_z;
    let ais = rbm.ais_log_z(None, &params).unwrap();
    assert!(
        (ais.log_z - exact).abs() < 3.0 * ais.stderr + 0.02,
        "AIS {} ± {} vs exact {exact}",
        ais.log_z,
        ais.stderr
    );
}

#[test]
fn gaussian_rbm_exact_log_z_and_ais_agree() {
    let mut rng = rng_from_seed(21);
    let (nv, nh) = (6, 5);
    let w = Array2::from_shape_fn((nv, nh), |_| rng.random_range(-0.5f32..0.5));
    let b = Array1::from_shape_fn(nv, |_| rng.random_range(-1.0f32..1.0));
    let c = Array1::from_shape_fn(nh, |_| rng.random_range(-1.0f32..1.0));
    let var = Array1::from_shape_fn(nv, |_| rng.random_range(0.5f32..2.0));
    let rbm = Rbm::from_weights(w.clone(), b.clone(), c.clone(), Some(var.clone()), None).unwrap();
    let exact = rbm.exact_log_z().unwrap().log_z;
    // Numerical check of one hidden state's Gaussian integral: with W = 0 the model factorises,
    // log Z = Σ ½ log(2πσ²) + Σ softplus(c).
    let rbm0 = Rbm::from_weights(
        Array2::zeros((nv, nh)),
        b.clone(),
        c.clone(),
        Some(var.clone()),
        None,
    )
    .unwrap();
    let z0: f64 = var
        .iter()
        .map(|s| 0.5 * (2.0 * std::f64::consts::PI * *s as f64).ln())
        .sum::<f64>()
        + c.iter().map(|&x| softplus(x as f64)).sum::<f64>();
    assert!((rbm0.exact_log_z().unwrap().log_z - z0).abs() < 1e-9);
    let ais = rbm
        .ais_log_z(
            None,
            &AisParams {
                runs: 200,
                betas: 1000,
                seed: 1,
            },
        )
        .unwrap();
    assert!(
        (ais.log_z - exact).abs() < 3.0 * ais.stderr + 0.01,
        "AIS {} ± {} vs exact {exact}",
        ais.log_z,
        ais.stderr
    );
}

#[derive(serde::Deserialize)]
struct SkFixture {
    components: Vec<Vec<f64>>,
    intercept_hidden: Vec<f64>,
    intercept_visible: Vec<f64>,
    x: Vec<Vec<f64>>,
    free_energy: Vec<f64>,
    score_samples: Vec<f64>,
    flip: Vec<usize>,
}

#[test]
fn free_energy_and_pseudo_likelihood_equal_scikit_learn() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rbm_sklearn.json");
    let f: SkFixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (nh, nv) = (f.components.len(), f.components[0].len());
    // scikit-learn stores components_ as hidden × visible.
    let w = Array2::from_shape_fn((nv, nh), |(i, j)| f.components[j][i] as f32);
    let b = Array1::from_iter(f.intercept_visible.iter().map(|&v| v as f32));
    let c = Array1::from_iter(f.intercept_hidden.iter().map(|&v| v as f32));
    let rbm = Rbm::from_weights(w, b, c, None, None).unwrap();
    let x = Array2::from_shape_fn((f.x.len(), nv), |(r, j)| f.x[r][j] as f32);
    let fe = rbm.free_energy(x.view()).unwrap();
    for (ours, theirs) in fe.iter().zip(&f.free_energy) {
        assert!(
            (ours - theirs).abs() < 1e-5 * theirs.abs().max(1.0),
            "free energy {ours} vs scikit-learn {theirs}"
        );
    }
    let pl = rbm.pseudo_likelihood_flipping(x.view(), &f.flip).unwrap();
    for (ours, theirs) in pl.iter().zip(&f.score_samples) {
        assert!(
            (ours - theirs).abs() < 2e-5 * theirs.abs().max(1.0),
            "pseudo-likelihood {ours} vs scikit-learn {theirs}"
        );
    }
    // The random version flips one unit per row too: same distribution of values.
    let pl_r = rbm
        .pseudo_likelihood(x.view(), &mut rng_from_seed(1))
        .unwrap();
    assert_eq!(pl_r.len(), x.nrows());
    assert!(pl_r.iter().all(|v| v.is_finite() && *v <= 0.0));
}

#[test]
fn cd_k_gradient_equals_its_exact_expectation() {
    let rbm = random_rbm(3, 2, 1.0, 31);
    let (w, b, c, _) = rbm.parameters();
    let (nv, nh) = (3usize, 2usize);
    let data_states = [0b101usize, 0b011, 0b110, 0b000];
    let k = 2;
    // p(h_j = 1 | v) and p(v_i = 1 | h).
    let ph = |v: usize| -> Vec<f64> {
        (0..nh)
            .map(|j| {
                sigmoid(
                    c[j] as f64
                        + (0..nv)
                            .map(|i| ((v >> i) & 1) as f64 * w[[i, j]] as f64)
                            .sum::<f64>(),
                )
            })
            .collect()
    };
    let pv = |h: usize| -> Vec<f64> {
        (0..nv)
            .map(|i| {
                sigmoid(
                    b[i] as f64
                        + (0..nh)
                            .map(|j| ((h >> j) & 1) as f64 * w[[i, j]] as f64)
                            .sum::<f64>(),
                )
            })
            .collect()
    };
    let prob = |p: &[f64], s: usize| -> f64 {
        p.iter()
            .enumerate()
            .map(|(i, &q)| if (s >> i) & 1 == 1 { q } else { 1.0 - q })
            .product()
    };
    // The visible-to-visible transition T(v, v') = Σ_h p(h|v) p(v'|h).
    let ns = 1 << nv;
    let mut t = vec![vec![0.0; ns]; ns];
    for (v, row) in t.iter_mut().enumerate() {
        let p_h = ph(v);
        for hs in 0..(1 << nh) {
            let p_v = pv(hs);
            for (v2, cell) in row.iter_mut().enumerate() {
                *cell += prob(&p_h, hs) * prob(&p_v, v2);
            }
        }
    }
    // Expected gradient: data statistics minus the statistics after k transitions.
    let mut gw = Array2::<f64>::zeros((nv, nh));
    let mut gb = Array1::<f64>::zeros(nv);
    let mut gc = Array1::<f64>::zeros(nh);
    let nd = data_states.len() as f64;
    for &v0 in &data_states {
        let mut dist = vec![0.0; ns];
        dist[v0] = 1.0;
        for _ in 0..k {
            let mut next = vec![0.0; ns];
            for (v, &p) in dist.iter().enumerate() {
                for (v2, n) in next.iter_mut().enumerate() {
                    *n += p * t[v][v2];
                }
            }
            dist = next;
        }
        let p0 = ph(v0);
        for i in 0..nv {
            let vi = ((v0 >> i) & 1) as f64;
            gb[i] += vi / nd;
            for j in 0..nh {
                gw[[i, j]] += vi * p0[j] / nd;
            }
        }
        for j in 0..nh {
            gc[j] += p0[j] / nd;
        }
        for (vk, &p) in dist.iter().enumerate() {
            let pk = ph(vk);
            for i in 0..nv {
                let vi = ((vk >> i) & 1) as f64;
                gb[i] -= p * vi / nd;
                for j in 0..nh {
                    gw[[i, j]] -= p * vi * pk[j] / nd;
                }
            }
            for j in 0..nh {
                gc[j] -= p * pk[j] / nd;
            }
        }
    }
    // One big mini-batch of the data repeated: the Monte Carlo error is about 0.5/√40000.
    let reps = 10_000;
    let x = Array2::from_shape_fn((reps * data_states.len(), nv), |(r, i)| {
        ((data_states[r % data_states.len()] >> i) & 1) as f32
    });
    let g = rbm.cd_gradient(x.view(), k, &mut rng_from_seed(9)).unwrap();
    let tol = 0.012;
    for (a, e) in g.w.iter().zip(gw.iter()) {
        assert!((a - e).abs() < tol, "dW {a} vs exact {e}\n{}\n{}", g.w, gw);
    }
    for (a, e) in g.b.iter().zip(gb.iter()) {
        assert!((a - e).abs() < tol, "db {a} vs exact {e}");
    }
    for (a, e) in g.c.iter().zip(gc.iter()) {
        assert!((a - e).abs() < tol, "dc {a} vs exact {e}");
    }
    // The exact CD-2 expectation is not ~0 (the comparison above is not vacuous).
    assert!(gw.iter().any(|v| v.abs() > 0.05), "{gw}");
}

#[test]
fn gibbs_samples_follow_the_exact_distribution() {
    let rbm = random_rbm(4, 3, 1.2, 41);
    let p = exact_pv(&rbm);
    let n = 20_000;
    let s = rbm
        .gibbs(n, 30, GibbsStart::Random, &mut rng_from_seed(3))
        .unwrap();
    let mut counts = [0usize; 16];
    for row in s.states.outer_iter() {
        let mut code = 0;
        for (i, &v) in row.iter().enumerate() {
            assert!(v == 0.0 || v == 1.0);
            code |= (v as usize) << i;
        }
        counts[code] += 1;
    }
    let chi2: f64 = counts
        .iter()
        .zip(&p)
        .map(|(&o, &pe)| {
            let e = pe * n as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    // 15 degrees of freedom: P(χ² > 37.70) = 0.001.
    assert!(chi2 < 37.70, "chi-square {chi2}: {counts:?} vs {p:?}");
    // Data starts work too and give states of the right shape.
    let start = Array2::from_elem((3, 4), 1.0f32);
    let s = rbm
        .gibbs(5, 2, GibbsStart::Data(start.view()), &mut rng_from_seed(1))
        .unwrap();
    assert_eq!(s.states.dim(), (5, 4));
    assert!(s.means.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn clamped_units_never_change() {
    let rbm = random_rbm(16, 6, 1.0, 51);
    let mut rng = rng_from_seed(2);
    let x = Array2::from_shape_fn((8, 16), |(r, j)| {
        if (j + r) % 2 == 0 {
            f32::NAN
        } else if rng.random::<f32>() < 0.5 {
            1.0
        } else {
            0.0
        }
    });
    for steps in [0, 1, 50] {
        let s = rbm
            .sample_clamped(x.view(), steps, &mut rng_from_seed(4))
            .unwrap();
        for ((&xv, &sv), &mv) in x.iter().zip(s.states.iter()).zip(s.means.iter()) {
            if xv.is_nan() {
                assert!(sv == 0.0 || sv == 1.0, "a missing unit is sampled as 0/1");
                assert!((0.0..=1.0).contains(&mv));
            } else {
                assert_eq!(sv.to_bits(), xv.to_bits(), "a clamped unit changed");
                assert_eq!(mv.to_bits(), xv.to_bits(), "a clamped unit changed");
            }
        }
    }
    // Gaussian units too.
    let g = Rbm::from_weights(
        Array2::from_elem((4, 2), 0.3),
        Array1::from(vec![1.0, -1.0, 0.5, 2.0]),
        Array1::zeros(2),
        Some(Array1::from_elem(4, 0.5)),
        None,
    )
    .unwrap();
    let x = ndarray::array![[1.5f32, f32::NAN, -0.25, f32::NAN]];
    let s = g
        .sample_clamped(x.view(), 20, &mut rng_from_seed(1))
        .unwrap();
    assert_eq!(s.states[[0, 0]], 1.5);
    assert_eq!(s.states[[0, 2]], -0.25);
    assert!(s.states[[0, 1]].is_finite() && s.states[[0, 3]].is_finite());
}

/// Two noisy prototypes: strongly correlated binary features.
fn prototypes(n: usize, d: usize, seed: u64) -> Images {
    let mut rng = rng_from_seed(seed);
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        let proto = if i % 2 == 0 { j < d / 2 } else { j >= d / 2 };
        let flip = rng.random::<f32>() < 0.05;
        ((proto != flip) as u8) as f32
    });
    Images::new(x, 1, d).unwrap()
}

#[test]
fn training_beats_independent_units_and_is_reproducible() {
    let data = prototypes(400, 10, 1);
    for method in [Method::Cd, Method::Pcd] {
        let params = RbmParams::new(4)
            .method(method)
            .k(2)
            .epochs(30)
            .batch_size(20)
            .learning_rate(0.1)
            .momentum(0.5)
            .weight_decay(1e-4)
            .schedule(LrSchedule::Linear)
            .seed(3);
        let mut rec = genmodels::core::Recorder::default();
        let rbm = params.fit_with(&data, &mut rec).unwrap();
        assert_eq!(rec.steps.len(), 30);
        let lz = rbm.exact_log_z().unwrap();
        let ll = rbm
            .log_likelihood_given(data.pixels.view(), &lz)
            .unwrap()
            .mean()
            .unwrap();
        // The best model of independent units: per-feature marginals (about ½ here).
        let x = &data.pixels;
        let indep: f64 = (0..10)
            .map(|j| {
                let p = x.column(j).iter().map(|&v| v as f64).sum::<f64>() / x.nrows() as f64;
                x.column(j)
                    .iter()
                    .map(|&v| if v == 1.0 { p.ln() } else { (1.0 - p).ln() })
                    .sum::<f64>()
                    / x.nrows() as f64
            })
            .sum();
        assert!(
            ll > indep + 3.0,
            "{method:?}: RBM {ll} vs independent {indep}"
        );
        let report = rbm.report.as_ref().unwrap();
        let pl = |e: usize| report.epochs[e].pseudo_likelihood.unwrap();
        assert!(pl(29) > pl(0), "pseudo-likelihood {} -> {}", pl(0), pl(29));
        // Same seed, same model.
        let again = params.fit(&data).unwrap();
        assert_eq!(rbm.parameters(), again.parameters());
    }
}

#[test]
fn gaussian_rbm_trains_with_learned_variances() {
    let mut rng = rng_from_seed(7);
    let x = Array2::from_shape_fn((300, 6), |(i, j)| {
        let z: f32 = StandardNormal.sample(&mut rng);
        (if i % 2 == 0 { 2.0 } else { -2.0 }) * (j as f32 / 5.0) + 0.3 * z
    });
    let data = Images::new(x, 1, 6).unwrap();
    let rbm = RbmParams::new(3)
        .visible(Visible::Gaussian {
            learn_variance: true,
        })
        .epochs(20)
        .batch_size(20)
        .learning_rate(0.01)
        .seed(1)
        .fit(&data)
        .unwrap();
    let (_, _, _, var) = rbm.parameters();
    let var = var.unwrap();
    assert!(var.iter().all(|v| v.is_finite() && *v > 0.0));
    let lz = rbm.exact_log_z().unwrap();
    let ll = rbm.log_likelihood_given(data.pixels.view(), &lz).unwrap();
    assert!(ll.iter().all(|v| v.is_finite()));
    let r = rbm.report.unwrap();
    assert!(r.epochs.iter().all(|e| e.pseudo_likelihood.is_none()));
    assert!(r.epochs[19].reconstruction_error < r.epochs[0].reconstruction_error);
}

#[test]
fn checkpoint_round_trip_gives_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let data = prototypes(60, 9, 2);
    let data = Images::new(data.pixels, 3, 3).unwrap();
    for visible in [
        Visible::Bernoulli,
        Visible::Gaussian {
            learn_variance: true,
        },
    ] {
        let rbm = RbmParams::new(5)
            .visible(visible)
            .epochs(2)
            .batch_size(10)
            .binarization("threshold 0.5".into())
            .seed(5)
            .fit(&data)
            .unwrap();
        let path = dir.path().join("m.safetensors");
        rbm.save(&path).unwrap();
        let back = Rbm::load(&path).unwrap();
        assert_eq!(back.config, rbm.config);
        assert_eq!(back.config.image_shape, (3, 3));
        assert_eq!(back.config.params.binarization, "threshold 0.5");
        assert_eq!(back.report, rbm.report);
        assert_eq!(back.parameters(), rbm.parameters());
        let x = data.pixels.view();
        assert_eq!(back.free_energy(x).unwrap(), rbm.free_energy(x).unwrap());
        assert_eq!(
            back.hidden_probabilities(x).unwrap(),
            rbm.hidden_probabilities(x).unwrap()
        );
        assert_eq!(
            back.gibbs(3, 5, GibbsStart::Random, &mut rng_from_seed(1))
                .unwrap(),
            rbm.gibbs(3, 5, GibbsStart::Random, &mut rng_from_seed(1))
                .unwrap()
        );
        // A truncated file is a clear error.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.safetensors");
        std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
        let e = Rbm::load(&cut).unwrap_err();
        assert!(
            matches!(e, Error::ModelFile(ModelFileError::Corrupt { .. })),
            "{e}"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let data = prototypes(20, 4, 3);
    let rbm = RbmParams::new(2)
        .epochs(1)
        .batch_size(5)
        .fit(&data)
        .unwrap();
    // Non-binary data for a Bernoulli RBM.
    let x = ndarray::array![[0.0f32, 0.5, 1.0, 1.0]];
    let e = rbm.free_energy(x.view()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Data(DataError::Support {
                row: 1,
                column: 2,
                ..
            })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--binarize"), "{e}");
    let e = RbmParams::new(2)
        .fit(&Images::new(x.clone(), 1, 4).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::Data(DataError::Support { .. })), "{e}");
    // Images of another size.
    let x = Array2::<f32>::zeros((2, 5));
    let e = rbm.hidden_probabilities(x.view()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Data(DataError::Columns {
                expected: 4,
                found: 5,
                ..
            })
        ),
        "{e}"
    );
    // NaN.
    let x = ndarray::array![[0.0f32, f32::NAN, 1.0, 1.0]];
    let e = rbm.free_energy(x.view()).unwrap_err();
    assert!(
        matches!(e, Error::Data(DataError::NonFinite { row: 1, .. })),
        "{e}"
    );
    // Empty.
    let x = Array2::<f32>::zeros((0, 4));
    let e = rbm.free_energy(x.view()).unwrap_err();
    assert!(matches!(e, Error::Data(DataError::Empty { .. })), "{e}");
    // Bad hyper-parameters.
    for p in [
        RbmParams::new(0),
        RbmParams::new(2).k(0),
        RbmParams::new(2).epochs(0),
        RbmParams::new(2).batch_size(0),
        RbmParams::new(2).learning_rate(-1.0),
        RbmParams::new(2).learning_rate(f64::NAN),
        RbmParams::new(2).momentum(1.0),
        RbmParams::new(2).weight_decay(-0.1),
        RbmParams::new(2).schedule(LrSchedule::Exponential { gamma: 0.0 }),
        RbmParams::new(2).ais(AisParams {
            runs: 1,
            betas: 10,
            seed: 0,
        }),
    ] {
        let e = p.fit(&data).unwrap_err();
        assert!(matches!(e, Error::Param(ParamError::Invalid { .. })), "{e}");
    }
    // Too large to enumerate.
    let big = random_rbm(30, 25, 0.1, 1);
    assert!(big.exact_log_z().is_err());
    // Weights of inconsistent shapes.
    assert!(Rbm::from_weights(
        Array2::zeros((3, 2)),
        Array1::zeros(2),
        Array1::zeros(2),
        None,
        None
    )
    .is_err());
    // A flip index out of range.
    let x = Array2::<f32>::zeros((1, 4));
    assert!(rbm.pseudo_likelihood_flipping(x.view(), &[4]).is_err());
}

/// Rows of `d` binary pixels: class 0 near the pattern "first half on", class 1 near "second
/// half on", each pixel flipped with probability 0.1.
fn two_classes(n: usize, d: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = rng_from_seed(seed);
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        let on = (j < d / 2) == (labels[i] == 0);
        let flip = rng.random::<f64>() < 0.1;
        f64::from(u8::from(on != flip))
    });
    (x, labels)
}

#[test]
fn normalized_rbm_is_a_distribution_and_classifies_by_bayes_rule() {
    use genmodels::classifier::{fit_classifier_silently, metrics, Priors};
    use genmodels::core::{LikelihoodKind, LogLikelihood};
    use genmodels::neural::rbm::{NormalizedRbm, NormalizedRbmParams};

    let d = 8;
    let (x, y) = two_classes(200, d, 5);
    let params = NormalizedRbmParams::new(
        RbmParams::new(6)
            .epochs(30)
            .batch_size(20)
            .learning_rate(0.1)
            .seed(1),
    );
    let clf = fit_classifier_silently(
        &params,
        &x,
        &y,
        vec!["left".into(), "right".into()],
        Priors::Learned,
    )
    .unwrap();
    // Every class model's log-likelihood is exact (6 hidden units are enumerated) and sums to
    // 1 over all 2⁸ binary images.
    let all = Array2::from_shape_fn((1 << d, d), |(v, j)| f64::from(((v >> j) & 1) as u8));
    for m in &clf.models {
        assert_eq!(m.kind(), LikelihoodKind::Exact);
        let total: f64 = m.log_likelihood(&all).unwrap().mapv(f64::exp).sum();
        assert!((total - 1.0).abs() < 1e-4, "Σ P(v) = {total}");
    }
    // Bayes' rule: probabilities sum to 1 and fresh data of each class is recognised.
    let (xt, yt) = two_classes(200, d, 6);
    let p = clf.predict_proba(&xt).unwrap();
    for row in p.outer_iter() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
    let m = metrics(&p, &yt).unwrap();
    assert!(m.accuracy > 0.95, "accuracy {}", m.accuracy);

    // Saved as plain arrays and read back: the same log-likelihoods.
    let json = serde_json::to_string(&clf.models[0]).unwrap();
    let back: NormalizedRbm = serde_json::from_str(&json).unwrap();
    let a = clf.models[0].log_likelihood(&xt).unwrap();
    let b = back.log_likelihood(&xt).unwrap();
    assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-9));
    // A stored model with a non-finite log Z is refused.
    let broken = json.replace(
        &format!("\"log_z\":{}", clf.models[0].log_z.log_z),
        "\"log_z\":null",
    );
    assert_ne!(broken, json);
    assert!(serde_json::from_str::<NormalizedRbm>(&broken).is_err());
}

#[test]
fn normalized_rbm_with_ais_is_marked_as_an_estimate() {
    use genmodels::core::{LikelihoodKind, LogLikelihood};
    use genmodels::neural::rbm::NormalizedRbmParams;

    // 20 visible and 20 hidden units: too many to enumerate, so log Z comes from AIS.
    let (x, _) = two_classes(100, 20, 7);
    let m = NormalizedRbmParams::new(RbmParams::new(20).epochs(5).seed(2))
        .ais(AisParams {
            runs: 10,
            betas: 500,
            seed: 3,
        })
        .fit(&x)
        .unwrap();
    assert!(!m.log_z.is_exact());
    match m.kind() {
        LikelihoodKind::Estimate { stderr } => assert!(stderr.is_finite() && stderr >= 0.0),
        k => panic!("expected an estimate, got {k:?}"),
    }
    let ll = m.log_likelihood(&x).unwrap();
    assert!(ll.iter().all(|l| l.is_finite() && *l < 0.0));
    // Grey values are refused with the hint to binarise.
    let grey = x.mapv(|v| v * 0.5);
    let e = m.log_likelihood(&grey).unwrap_err().to_string();
    assert!(e.contains("binar"), "{e}");
}

/// The synthetic ratings and the recommender's fit are reproducible with their seeds (and
/// another seed gives other numbers).
#[test]
fn recommender_is_reproducible_with_its_seed() {
    use genmodels::neural::rbm::recommend::{synthetic_ratings, RecommenderParams};
    let all = synthetic_ratings(120, 30, 2, 0.4, 7);
    assert_eq!(all, synthetic_ratings(120, 30, 2, 0.4, 7));
    assert_ne!(all, synthetic_ratings(120, 30, 2, 0.4, 8));
    let (train, test) = all.split(0.2, 1).unwrap();
    let fit = |seed| {
        RecommenderParams::new(10)
            .epochs(5)
            .seed(seed)
            .fit(&train)
            .unwrap()
            .evaluate(&test)
            .unwrap()
    };
    let a = fit(3);
    assert_eq!(a, fit(3));
    assert_ne!(a.rmse, fit(4).rmse);
}
