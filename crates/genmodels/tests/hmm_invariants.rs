//! HMM invariants: exact inference against brute-force enumeration, Baum-Welch monotonicity,
//! topology kept, long sequences without underflow, parameters recovered from samples.

use genmodels::core::data::Sequences;
use genmodels::hmm::{
    forward_backward, viterbi, CategoricalInit, GaussianHmm, GaussianInit, Hmm, HmmParams, Learn,
    PoissonInit, Topology,
};
use genmodels::mixture::{
    CategoricalComponents, CovarianceParams, CovarianceType, GaussianComponents, PoissonComponents,
};
use genmodels::prelude::*;
use ndarray::{array, Array1, Array2};

fn gaussian_hmm() -> GaussianHmm {
    let emission = GaussianComponents::from_covariances(
        array![[0.0], [3.0]],
        CovarianceParams::Diag(array![[1.0], [0.5]]),
        1e-6,
    )
    .unwrap();
    Hmm::new(array![0.6, 0.4], array![[0.9, 0.1], [0.2, 0.8]], emission).unwrap()
}

/// All state paths of a short sequence, enumerated.
fn brute_force(m: &GaussianHmm, x: &Array2<f64>) -> (f64, Vec<usize>, Array2<f64>) {
    let t = x.nrows();
    let s = m.n_states();
    let lb = m.log_emissions(x.view());
    let mut total = 0.0;
    let mut best = (f64::NEG_INFINITY, vec![]);
    let mut marg = Array2::<f64>::zeros((t, s));
    for code in 0..s.pow(t as u32) {
        let path: Vec<usize> = (0..t).map(|i| (code / s.pow(i as u32)) % s).collect();
        let mut lp = m.startprob[path[0]].ln() + lb[[0, path[0]]];
        for i in 1..t {
            lp += m.transmat[[path[i - 1], path[i]]].ln() + lb[[i, path[i]]];
        }
        total += lp.exp();
        for (i, &z) in path.iter().enumerate() {
            marg[[i, z]] += lp.exp();
        }
        if lp > best.0 {
            best = (lp, path);
        }
    }
    (total.ln(), best.1, marg / total)
}

#[test]
fn inference_matches_brute_force_enumeration() {
    let m = gaussian_hmm();
    let x = array![[0.1], [2.5], [3.2], [-0.4], [1.4], [2.9]];
    let (ll, path, marg) = brute_force(&m, &x);
    let lb = m.log_emissions(x.view());
    let p = forward_backward(m.startprob.view(), m.transmat.view(), lb.view()).unwrap();
    assert!(
        (p.log_likelihood - ll).abs() < 1e-12,
        "{} vs {}",
        p.log_likelihood,
        ll
    );
    for (a, b) in p.gamma.iter().zip(marg.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
    assert!((p.xi_sum.sum() - (x.nrows() - 1) as f64).abs() < 1e-12);
    let (logp, vpath) = viterbi(
        m.startprob.mapv(f64::ln).view(),
        m.transmat.mapv(f64::ln).view(),
        lb.view(),
    );
    assert_eq!(vpath, path);
    let data = Sequences::single(x.clone()).unwrap();
    let score = m.log_likelihood(&data).unwrap();
    assert!((score[0] - ll).abs() < 1e-12);
    let d = m.decode(&data).unwrap();
    assert_eq!(d[0].1, path);
    assert!(logp.is_finite() && (d[0].0 - logp).abs() < 1e-12);
}

#[test]
fn long_sequences_do_not_underflow() {
    let m = gaussian_hmm();
    let s = m.sample_sequence(1_000_000, &mut rng_from_seed(1)).unwrap();
    let data = Sequences::single(s.x).unwrap();
    let ll = m.log_likelihood(&data).unwrap()[0];
    assert!(ll.is_finite() && ll < -1e5, "{ll}");
    let d = m.decode(&data).unwrap();
    let agree = d[0].1.iter().zip(&s.states).filter(|(a, b)| a == b).count() as f64 / 1e6;
    assert!(agree > 0.9, "Viterbi recovers {agree} of the states");
}

#[test]
fn baum_welch_never_decreases_and_recovers_the_model() {
    let truth = gaussian_hmm();
    let mut rng = rng_from_seed(2);
    let mut xs = Vec::new();
    let mut lengths = Vec::new();
    for len in [1usize, 50, 400, 900, 2000] {
        let s = truth.sample_sequence(len, &mut rng).unwrap();
        xs.push(s.x);
        lengths.push(len);
    }
    let views: Vec<_> = xs.iter().map(|a| a.view()).collect();
    let data = Sequences::new(
        ndarray::concatenate(ndarray::Axis(0), &views).unwrap(),
        lengths,
    )
    .unwrap();
    let m = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .max_iter(200)
        .tol(1e-8)
        .seed(3)
        .fit(&data)
        .unwrap();
    let h = &m.report.as_ref().unwrap().lower_bounds;
    for w in h.windows(2) {
        assert!(
            w[1] >= w[0] - 1e-9 * w[0].abs(),
            "log-likelihood fell: {} -> {}",
            w[0],
            w[1]
        );
    }
    // States may come out in either order.
    let order: Vec<usize> = if m.emission.means[[0, 0]] < m.emission.means[[1, 0]] {
        vec![0, 1]
    } else {
        vec![1, 0]
    };
    for (i, &oi) in order.iter().enumerate() {
        assert!((m.emission.means[[oi, 0]] - truth.emission.means[[i, 0]]).abs() < 0.1);
        for (j, &oj) in order.iter().enumerate() {
            assert!(
                (m.transmat[[oi, oj]] - truth.transmat[[i, j]]).abs() < 0.05,
                "transition {i}->{j}"
            );
        }
    }
    assert!(m.score(&data).unwrap() >= truth.score(&data).unwrap() - 1.0);
}

#[test]
fn left_right_zeros_stay_zero_and_learn_flags_are_kept() {
    let truth = gaussian_hmm();
    let s = truth.sample_sequence(500, &mut rng_from_seed(4)).unwrap();
    let data = Sequences::new(s.x, vec![100, 150, 250]).unwrap();
    let m = HmmParams::new(3, GaussianInit::new(CovarianceType::Diag))
        .topology(Topology::LeftRight)
        .max_iter(30)
        .fit(&data)
        .unwrap();
    for i in 0..3 {
        for j in 0..3 {
            if !(j == i || j == i + 1) {
                assert_eq!(m.transmat[[i, j]], 0.0, "({i}, {j}) became non-zero");
            }
        }
    }
    assert_eq!(m.startprob.to_vec(), vec![1.0, 0.0, 0.0]);
    // Learning only the transitions keeps the given emissions exactly.
    let fixed = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .emission(truth.emission.clone())
        .learn(Learn {
            start: false,
            transitions: true,
            emissions: false,
        })
        .max_iter(5)
        .fit(&data)
        .unwrap();
    assert_eq!(fixed.emission, truth.emission);
}

#[test]
fn categorical_and_poisson_hmms_fit_and_sample() {
    let cat = Hmm::new(
        array![0.5, 0.5],
        array![[0.95, 0.05], [0.1, 0.9]],
        CategoricalComponents {
            probs: array![[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]],
        },
    )
    .unwrap();
    let s = cat.sample_sequence(3000, &mut rng_from_seed(5)).unwrap();
    assert!(s.x.iter().all(|v| *v == 0.0 || *v == 1.0 || *v == 2.0));
    let data = Sequences::new(s.x, vec![1000, 2000]).unwrap();
    let m = HmmParams::new(2, CategoricalInit::default())
        .max_iter(100)
        .tol(1e-6)
        .seed(1)
        .fit(&data)
        .unwrap();
    assert!(m.score(&data).unwrap() >= cat.score(&data).unwrap() - 5.0);
    for w in m.report.as_ref().unwrap().lower_bounds.windows(2) {
        assert!(w[1] >= w[0] - 1e-9 * w[0].abs());
    }

    let poi = Hmm::new(
        array![1.0, 0.0],
        array![[0.9, 0.1], [0.1, 0.9]],
        PoissonComponents {
            rates: array![[1.0, 10.0], [8.0, 2.0]],
        },
    )
    .unwrap();
    let s = poi.sample_sequence(2000, &mut rng_from_seed(6)).unwrap();
    let data = Sequences::single(s.x).unwrap();
    let m = HmmParams::new(2, PoissonInit)
        .max_iter(100)
        .tol(1e-6)
        .seed(2)
        .fit(&data)
        .unwrap();
    let mut rates: Vec<f64> = m.emission.rates.column(0).to_vec();
    rates.sort_by(f64::total_cmp);
    assert!(
        (rates[0] - 1.0).abs() < 0.3 && (rates[1] - 8.0).abs() < 0.6,
        "{rates:?}"
    );
}

#[test]
fn impossible_sequences_and_bad_input_are_clear_errors() {
    // A left-right model that must start in state 0, which cannot emit symbol 2.
    let m = Hmm::new(
        array![1.0, 0.0],
        array![[0.5, 0.5], [0.0, 1.0]],
        CategoricalComponents {
            probs: array![[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]],
        },
    )
    .unwrap();
    let data = Sequences::single(array![[2.0], [2.0]]).unwrap();
    assert_eq!(m.log_likelihood(&data).unwrap()[0], f64::NEG_INFINITY);
    let e = m.predict_proba(&data).unwrap_err();
    assert!(e.to_string().contains("probability zero"), "{e}");
    let bad = Sequences::single(array![[5.0]]).unwrap();
    assert!(m.log_likelihood(&bad).is_err());
    assert!(Sequences::new(Array2::zeros((3, 1)), vec![1, 1]).is_err());
    assert!(Sequences::new(Array2::zeros((3, 1)), vec![3, 0]).is_err());
    let e = HmmParams::new(0, GaussianInit::new(CovarianceType::Full))
        .fit(&Sequences::single(Array2::zeros((3, 1))).unwrap());
    assert!(e.is_err());
    let stationary = gaussian_hmm().stationary_distribution();
    let expect: Array1<f64> = array![2.0 / 3.0, 1.0 / 3.0];
    assert!((&stationary - &expect).mapv(f64::abs).sum() < 1e-9);
    assert!((gaussian_hmm().expected_durations()[0] - 10.0).abs() < 1e-9);
}

#[test]
fn two_hundred_thousand_samples_recover_a_known_hmm() {
    let means = array![[0.0, 0.0], [3.0, 1.0], [-2.0, 3.0]];
    let covs = ndarray::Array3::from_shape_fn((3, 2, 2), |(k, i, j)| match (i, j) {
        (0, 0) => 1.0 + 0.2 * k as f64,
        (1, 1) => 0.8,
        _ => 0.3 - 0.2 * k as f64,
    });
    let truth = Hmm::new(
        array![0.5, 0.3, 0.2],
        array![[0.90, 0.07, 0.03], [0.05, 0.90, 0.05], [0.10, 0.10, 0.80]],
        GaussianComponents::from_covariances(means, CovarianceParams::Full(covs), 0.0).unwrap(),
    )
    .unwrap();
    let mut rng = rng_from_seed(7);
    let mut parts = Vec::new();
    for _ in 0..100 {
        parts.push(truth.sample_sequence(2000, &mut rng).unwrap().x);
    }
    let views: Vec<_> = parts.iter().map(|a| a.view()).collect();
    let data = Sequences::new(
        ndarray::concatenate(ndarray::Axis(0), &views).unwrap(),
        vec![2000; 100],
    )
    .unwrap();
    let m = HmmParams::new(3, GaussianInit::new(CovarianceType::Full))
        .max_iter(300)
        .tol(1e-4)
        .seed(1)
        .fit(&data)
        .unwrap();
    // Match states by their means (up to a permutation).
    let perm: Vec<usize> = (0..3)
        .map(|i| {
            (0..3)
                .min_by(|&a, &b| {
                    let d = |k: usize| {
                        (&m.emission.means.row(k) - &truth.emission.means.row(i))
                            .mapv(|v| v * v)
                            .sum()
                    };
                    d(a).total_cmp(&d(b))
                })
                .unwrap()
        })
        .collect();
    let mut sorted = perm.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![0, 1, 2],
        "a permutation of the states: {perm:?}"
    );
    for i in 0..3 {
        for d in 0..2 {
            // ~65,000 steps per state: the standard error of a mean is below 0.01.
            assert!(
                (m.emission.means[[perm[i], d]] - truth.emission.means[[i, d]]).abs() < 0.03,
                "mean {i},{d}"
            );
        }
        let (c_fit, c_true) = (
            m.emission.full_covariance(perm[i]),
            truth.emission.full_covariance(i),
        );
        for (a, b) in c_fit.iter().zip(c_true.iter()) {
            assert!((a - b).abs() < 0.04, "covariance of state {i}: {a} vs {b}");
        }
        for j in 0..3 {
            assert!(
                (m.transmat[[perm[i], perm[j]]] - truth.transmat[[i, j]]).abs() < 0.01,
                "transition {i}->{j}"
            );
        }
    }
    // Posteriors are distributions at every step.
    let post = m.predict_proba(&data).unwrap();
    for row in post.outer_iter() {
        assert!((row.sum() - 1.0).abs() < 1e-9);
    }
}

#[test]
fn multinomial_hmm_samples_its_trials_and_fits() {
    use genmodels::hmm::MultinomialInit;
    use genmodels::mixture::MultinomialComponents;
    let truth = Hmm::new(
        array![0.5, 0.5],
        array![[0.9, 0.1], [0.2, 0.8]],
        MultinomialComponents {
            probs: array![[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]],
            n_trials: 10,
        },
    )
    .unwrap();
    let s = truth.sample_sequence(3000, &mut rng_from_seed(9)).unwrap();
    assert!(s.x.outer_iter().all(|r| r.sum() == 10.0));
    let data = Sequences::new(s.x, vec![1500, 1500]).unwrap();
    let m = HmmParams::new(2, MultinomialInit::default())
        .max_iter(200)
        .tol(1e-8)
        .seed(1)
        .fit(&data)
        .unwrap();
    for w in m.report.as_ref().unwrap().lower_bounds.windows(2) {
        assert!(w[1] >= w[0] - 1e-9 * w[0].abs());
    }
    let first = if m.emission.probs[[0, 0]] > m.emission.probs[[1, 0]] {
        0
    } else {
        1
    };
    for (a, b) in m
        .emission
        .probs
        .row(first)
        .iter()
        .zip(truth.emission.probs.row(0).iter())
    {
        assert!((a - b).abs() < 0.03, "{a} vs {b}");
    }
    // A count vector with a category the state cannot produce has likelihood zero there.
    let z = Hmm::new(
        array![1.0],
        array![[1.0]],
        MultinomialComponents {
            probs: array![[1.0, 0.0]],
            n_trials: 2,
        },
    )
    .unwrap();
    let ll = z
        .log_likelihood(&Sequences::single(array![[1.0, 1.0]]).unwrap())
        .unwrap();
    assert_eq!(ll[0], f64::NEG_INFINITY);
}
