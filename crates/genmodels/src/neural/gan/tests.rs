use super::*;
use super::{config::*, net::*};

use burn::nn::Linear;
use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::core::rng_from_seed;
use crate::neural::mlp_cpu::linear_parts;
use crate::neural::train::TrainConfig;
use crate::neural::vae::Arch;

use crate::neural::cpu;

fn fit_quietly(gan: &mut Gan, x: &Array2<f32>, labels: Option<&[usize]>, t: &TrainConfig) {
    *gan = gan
        .train(x, labels, t, &mut crate::core::Silent, &mut |_, _| Ok(()))
        .unwrap();
}

fn two_modes(n: usize, seed: u64) -> Array2<f32> {
    let mut r = rng_from_seed(seed);
    Array2::from_shape_simple_fn((n, 1), || {
        let m = if r.random::<bool>() { 0.25 } else { 0.75 };
        let e: f64 = StandardNormal.sample(&mut r);
        (m + 0.03 * e).clamp(0.0, 1.0) as f32
    })
}

/// All weights of both networks, in a fixed order.
fn weights(gan: &Gan) -> Vec<f32> {
    let (g, d) = (&gan.nets.g, &gan.nets.d);
    dense_weights(
        g.lin
            .iter()
            .chain([&g.out])
            .chain(&d.lin)
            .chain([&d.out])
            .chain(d.embed.as_ref()),
    )
}

fn dense_weights<'a>(layers: impl Iterator<Item = &'a Linear>) -> Vec<f32> {
    layers
        .flat_map(|l| {
            let (w, b) = linear_parts(l);
            w.into_iter().chain(b)
        })
        .collect()
}

fn weights_of(g: &Generator) -> Vec<f32> {
    dense_weights(g.lin.iter().chain([&g.out]))
}

/// The hand-written CPU trainer takes the same steps as burn's automatic differentiation
/// and Adam: same losses, same weights up to rounding, for plain and conditional GANs, with
/// label smoothing, dropout, several critic steps, weight decay and gradient clipping.
#[test]
fn the_cpu_trainer_takes_the_same_steps_as_burn() {
    let x = Array2::from_shape_fn((48, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 10.0);
    let labels: Vec<usize> = (0..48).map(|i| i % 3).collect();
    let base = GanConfig {
        latent: 3,
        g_hidden: vec![8, 7],
        d_hidden: vec![9, 5],
        ..GanConfig::mlp(6, (2, 3))
    };
    let cases = [
        (base.clone(), TrainConfig::default(), false),
        (
            GanConfig {
                n_classes: Some(3),
                label_smoothing: 0.1,
                d_dropout: 0.3,
                n_critic: 2,
                ..base.clone()
            },
            TrainConfig {
                weight_decay: 1e-3,
                grad_clip: Some(0.05),
                beta1: 0.5,
                ..TrainConfig::default()
            },
            true,
        ),
        (
            GanConfig {
                d_hidden: vec![],
                n_classes: Some(3),
                ema: 0.9,
                ..base.clone()
            },
            TrainConfig::default(),
            true,
        ),
    ];
    for (i, (cfg, t, conditional)) in cases.into_iter().enumerate() {
        let t = TrainConfig {
            epochs: 2,
            batch_size: 16,
            lr: 1e-2,
            seed: 4,
            ..t
        };
        let y = conditional.then_some(&labels[..]);
        let run = |allow: bool| {
            let mut g = Gan::new(cfg.clone(), 2).unwrap();
            g.fit_on(
                &x,
                y,
                &t,
                &mut crate::core::Silent,
                &mut |_, _| Ok(()),
                allow,
            )
            .unwrap();
            g
        };
        let (fast, slow) = (run(true), run(false));
        for (a, b) in fast.report.epochs.iter().zip(&slow.report.epochs) {
            for (p, q) in [
                (a.train_loss, b.train_loss),
                (a.train_loss2.unwrap(), b.train_loss2.unwrap()),
            ] {
                assert!((p - q).abs() < 1e-5 * q.abs(), "case {i}: loss {p} vs {q}");
            }
        }
        let (wf, ws) = (weights(&fast), weights(&slow));
        assert_eq!(wf.len(), ws.len());
        let worst = wf
            .iter()
            .zip(&ws)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-5, "case {i}: weights differ by up to {worst}");
        let avg = |g: &Gan| g.nets.g_ema.as_ref().map(weights_of);
        if let (Some(af), Some(as_)) = (avg(&fast), avg(&slow)) {
            let worst = af
                .iter()
                .zip(&as_)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "case {i}: averages differ by up to {worst}");
            assert_ne!(
                af,
                weights_of(&fast.nets.g),
                "case {i}: average = generator"
            );
        } else {
            assert_eq!(avg(&fast), avg(&slow));
        }
        let init = weights(&Gan::new(cfg.clone(), 2).unwrap());
        assert!(
            wf.iter().zip(&init).any(|(a, b)| a != b),
            "case {i}: nothing moved"
        );
    }
}

/// A learning rate that blows the weights up ends the fit with a clear error on both paths.
#[test]
fn divergence_is_an_error_on_both_paths() {
    let x = Array2::from_shape_fn((32, 4), |(i, j)| ((i + j) % 2) as f32);
    let cfg = GanConfig {
        latent: 2,
        g_hidden: vec![8],
        d_hidden: vec![8],
        ..GanConfig::mlp(4, (2, 2))
    };
    let t = TrainConfig {
        epochs: 3,
        batch_size: 16,
        lr: 1e30,
        ..TrainConfig::default()
    };
    for allow in [true, false] {
        let mut g = Gan::new(cfg.clone(), 0).unwrap();
        let err = g
            .fit_on(
                &x,
                None,
                &t,
                &mut crate::core::Silent,
                &mut |_, _| Ok(()),
                allow,
            )
            .unwrap_err();
        assert!(err.to_string().contains("lower the learning rate"), "{err}");
    }
}

/// A GAN on a 1-D mixture of two Gaussians (at 0.25 and 0.75, sd 0.03) puts a good share
/// of its samples near each mode and few in the gap between them.
#[test]
fn gan_learns_both_modes_of_a_1d_mixture() {
    for loss in [GanLoss::WganGp, GanLoss::NonSaturating] {
        let x = two_modes(2048, 1);
        let cfg = GanConfig {
            latent: 4,
            g_hidden: vec![32, 32],
            d_hidden: vec![32, 32],
            loss,
            n_critic: if loss == GanLoss::WganGp { 5 } else { 1 },
            ..GanConfig::mlp(1, (1, 1))
        };
        let train = TrainConfig {
            epochs: 60,
            batch_size: 64,
            lr: if loss == GanLoss::WganGp { 5e-4 } else { 2e-3 },
            beta1: 0.5,
            beta2: 0.9,
            seed: 3,
            ..TrainConfig::default()
        };
        let mut gan = Gan::new(cfg, 3).unwrap();
        fit_quietly(&mut gan, &x, None, &train);
        let s = gan.sample(4000, None, None, &mut rng_from_seed(9)).unwrap();
        let frac = |lo: f32, hi: f32| {
            s.iter().filter(|&&v| v >= lo && v < hi).count() as f64 / s.len() as f64
        };
        let (a, b, gap) = (frac(0.15, 0.35), frac(0.65, 0.85), frac(0.4, 0.6));
        assert!(
            a > 0.2 && b > 0.2 && gap < 0.15,
            "{loss:?}: mode shares {a:.3} and {b:.3}, gap {gap:.3}; below 0.15 {:.3}, above 0.85 {:.3}; losses {:?}",
            frac(-1.0, 0.15),
            frac(0.85, 2.0),
            gan.report.epochs.iter().step_by(10).map(|e| (e.train_loss, e.train_loss2)).collect::<Vec<_>>()
        );
    }
}

/// A conditional GAN on the same mixture with the mode as the label draws each label's
/// samples from its own mode (a GAN that ignored its label would put half of each label's
/// samples in the other mode).
#[test]
fn conditional_gan_follows_its_label() {
    let x = two_modes(2048, 4);
    let labels: Vec<usize> = x.iter().map(|&v| (v > 0.5) as usize).collect();
    let cfg = GanConfig {
        latent: 4,
        g_hidden: vec![32, 32],
        d_hidden: vec![32, 32],
        n_classes: Some(2),
        label_smoothing: 0.1,
        d_dropout: 0.1,
        ..GanConfig::mlp(1, (1, 1))
    };
    let train = TrainConfig {
        epochs: 40,
        batch_size: 64,
        lr: 2e-3,
        beta1: 0.5,
        beta2: 0.9,
        seed: 5,
        ..TrainConfig::default()
    };
    let mut gan = Gan::new(cfg, 5).unwrap();
    fit_quietly(&mut gan, &x, Some(&labels), &train);
    for (label, lo, hi) in [(0, 0.1, 0.4), (1, 0.6, 0.9)] {
        let s = gan
            .sample(2000, Some(&vec![label; 2000]), None, &mut rng_from_seed(9))
            .unwrap();
        let inside = s.iter().filter(|&&v| v >= lo && v < hi).count() as f64 / 2000.0;
        assert!(
            inside > 0.9,
            "label {label}: {inside:.3} of its samples in [{lo}, {hi})"
        );
    }
}

#[test]
fn gan_reproducible_save_load_truncation_and_bad_input() {
    let x = Array2::from_shape_fn((32, 16), |(i, j)| ((i + j) % 3 == 0) as u8 as f32);
    let labels: Vec<usize> = (0..32).map(|i| i % 2).collect();
    let cfg = GanConfig {
        latent: 3,
        arch: Arch::Conv,
        n_classes: Some(2),
        loss: GanLoss::WganGp,
        ..GanConfig::mlp(16, (4, 4))
    };
    let train = TrainConfig {
        epochs: 2,
        batch_size: 8,
        seed: 2,
        ..TrainConfig::default()
    };
    let fit = || {
        let mut g = Gan::new(cfg.clone(), 1).unwrap();
        fit_quietly(&mut g, &x, Some(&labels), &train);
        g
    };
    let (a, b) = (fit(), fit());
    let la = [1usize; 5];
    let sa = a
        .sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
        .unwrap();
    assert_eq!(
        sa,
        b.sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
            .unwrap()
    );
    let z = a.latent(500, Some(0.5), &mut rng_from_seed(1)).unwrap();
    assert!(z.iter().all(|v| v.abs() <= 0.5));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.safetensors");
    a.save(&p).unwrap();
    let c = Gan::load(&p, &cpu()).unwrap();
    assert_eq!(c.config, a.config);
    assert_eq!(
        c.sample(5, Some(&la), Some(1.0), &mut rng_from_seed(4))
            .unwrap(),
        sa
    );
    assert_eq!(
        c.discriminate(&x, Some(&labels)).unwrap(),
        a.discriminate(&x, Some(&labels)).unwrap()
    );
    // Bad input.
    assert!(a
        .sample(2, Some(&[2, 0]), None, &mut rng_from_seed(0))
        .unwrap_err()
        .to_string()
        .contains("label 2"));
    assert!(a.sample(2, None, None, &mut rng_from_seed(0)).is_err());
    assert!(a
        .discriminate(&Array2::zeros((2, 15)), Some(&[0, 1]))
        .unwrap_err()
        .to_string()
        .contains("15 columns"));
    let mut bad = x.clone();
    bad[[0, 0]] = f32::NAN;
    assert!(a
        .discriminate(&bad, Some(&labels))
        .unwrap_err()
        .to_string()
        .contains("NaN"));
    assert!(Gan::new(
        GanConfig {
            latent: 0,
            ..cfg.clone()
        },
        0
    )
    .is_err());
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 9]).unwrap();
    assert!(Gan::load(&p, &cpu())
        .unwrap_err()
        .to_string()
        .contains("truncated"));
}

#[test]
fn batch_normalised_generators_train_on_batch_statistics_and_generate_per_image() {
    let x = Array2::from_shape_fn((48, 16), |(i, j)| ((i * 7 + j) % 5 < 2) as u8 as f32);
    let train = TrainConfig {
        epochs: 2,
        batch_size: 16,
        seed: 3,
        ..TrainConfig::default()
    };
    for arch in [Arch::Conv, Arch::Mlp] {
        let cfg = GanConfig {
            latent: 3,
            arch,
            g_hidden: vec![6, 5],
            d_hidden: vec![6],
            conv_width: 3,
            batch_norm: true,
            ..GanConfig::mlp(16, (4, 4))
        };
        let mut g = Gan::new(cfg.clone(), 1).unwrap();
        // Batch norm has no hand-written trainer: the MLP trains through burn too.
        assert!(g.cpu_trainer(&train).is_none());
        let widths: Vec<usize> = g.nets.g.bn.iter().map(|b| b.gamma.dims()[0]).collect();
        let expected = match arch {
            Arch::Conv => vec![6, 3],
            Arch::Mlp => vec![6, 5],
        };
        assert_eq!(widths, expected, "{arch:?}");
        fit_quietly(&mut g, &x, None, &train);
        // Training moved the running statistics away from their initial 0 and 1.
        for bn in &g.nets.g.bn {
            let m =
                crate::neural::tensor::array_from_tensor(bn.running_mean.value().reshape([1, -1]));
            assert!(
                m.iter().any(|v| v.abs() > 1e-4),
                "{arch:?}: running mean {m}"
            );
        }
        // Generating uses the running statistics: an image does not depend on the others
        // generated with it.
        let z = g.latent(5, None, &mut rng_from_seed(9)).unwrap();
        let all = g.generate(&z, None).unwrap();
        for i in 0..5 {
            let one = g.generate(&z.slice(ndarray::s![i..i + 1, ..]).to_owned(), None);
            let d = (&one.unwrap().row(0) - &all.row(i)).mapv(f32::abs);
            assert!(d.iter().all(|&v| v < 1e-6), "{arch:?}, image {i}: {d}");
        }
        // The statistics travel with the checkpoint.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.safetensors");
        g.save(&p).unwrap();
        let back = Gan::load(&p, &cpu()).unwrap();
        assert_eq!(back.config, cfg);
        assert_eq!(back.generate(&z, None).unwrap(), all);
    }
    let bad = GanConfig {
        conv_width: 0,
        ..GanConfig::mlp(16, (4, 4))
    };
    assert!(Gan::new(bad, 0)
        .unwrap_err()
        .to_string()
        .contains("conv_width"));
    // Configurations written before these settings existed read as DCGAN's 64 channels
    // without batch norm.
    let mut old = serde_json::to_value(GanConfig::mlp(16, (4, 4))).unwrap();
    let o = old.as_object_mut().unwrap();
    o.remove("conv_width");
    o.remove("batch_norm");
    let c: GanConfig = serde_json::from_value(old).unwrap();
    assert_eq!((c.conv_width, c.batch_norm), (64, false));
}

#[test]
fn a_weight_averaged_generator_makes_the_samples_and_travels_with_the_checkpoint() {
    let x = Array2::from_shape_fn((48, 16), |(i, j)| ((i * 5 + j) % 4 < 2) as u8 as f32);
    let cfg = GanConfig {
        latent: 3,
        g_hidden: vec![6],
        d_hidden: vec![6],
        ema: 0.9,
        ..GanConfig::mlp(16, (4, 4))
    };
    let train = TrainConfig {
        epochs: 2,
        batch_size: 16,
        seed: 3,
        ..TrainConfig::default()
    };
    let mut g = Gan::new(cfg.clone(), 1).unwrap();
    // Fresh, the average is a copy of the generator.
    assert_eq!(
        weights_of(g.nets.g_ema.as_ref().unwrap()),
        weights_of(&g.nets.g)
    );
    fit_quietly(&mut g, &x, None, &train);
    let (avg, raw) = (
        weights_of(g.nets.g_ema.as_ref().unwrap()),
        weights_of(&g.nets.g),
    );
    let gap = avg
        .iter()
        .zip(&raw)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(gap > 1e-4, "the average equals the generator ({gap})");
    // Samples come from the average.
    let z = g.latent(4, None, &mut rng_from_seed(2)).unwrap();
    let from_avg =
        crate::neural::tensor::array_from_tensor(g.nets.g_ema.as_ref().unwrap().forward(
            &cfg,
            crate::neural::tensor::tensor_from_array(&z, &cpu()),
            None,
        ));
    let s = g.generate(&z, None).unwrap();
    assert_eq!(s, from_avg);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.safetensors");
    g.save(&p).unwrap();
    let back = Gan::load(&p, &cpu()).unwrap();
    assert_eq!(back.generate(&z, None).unwrap(), s);
    assert_eq!(weights_of(&back.nets.g), raw);
    for bad in [1.0, -0.1] {
        let c = GanConfig {
            ema: bad,
            ..cfg.clone()
        };
        assert!(Gan::new(c, 0).unwrap_err().to_string().contains("ema"));
    }
}
