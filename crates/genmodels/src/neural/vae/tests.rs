use super::*;
use super::{config::*, net::*};

use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};
use ndarray::Array2;

use crate::core::rng_from_seed;
use crate::core::Result;
use crate::neural::mlp_cpu::{linear_parts, tensor_vec};
use crate::neural::tensor::{normal_tensor, tensor_from_rows};
use crate::neural::train::{scalar, TrainConfig};

use crate::neural::tensor::{cpu, cpu_train};
use crate::neural::train::one_hot_rows;

fn tiny_cfg(arch: Arch) -> VaeConfig {
    VaeConfig {
        hidden: vec![6],
        latent: 3,
        arch,
        ..VaeConfig::mlp(16, (4, 4))
    }
}

/// A fresh VAE of `cfg` (seed `seed`) fitted on `x` without monitoring.
fn fitted(cfg: VaeConfig, seed: u64, x: &Array2<f32>, t: &TrainConfig) -> Result<Vae> {
    Vae::new(cfg, seed)?.train(x, None, t, None, &mut crate::core::Silent, &mut |_, _| {
        Ok(())
    })
}

fn data(n: usize, seed: u64) -> Array2<f32> {
    use rand::Rng;
    let mut r = rng_from_seed(seed);
    Array2::from_shape_fn((n, 16), |(i, j)| {
        let p = if (i % 2 == 0) == (j % 4 < 2) {
            0.9
        } else {
            0.1
        };
        (r.random::<f32>() < p) as u8 as f32
    })
}

#[test]
fn kl_matches_closed_form() {
    let dev = cpu();
    let mu = [0.3f32, -1.2, 0.0, 2.0];
    let lv = [0.1f32, -0.5, 1.3, -2.0];
    let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [2, 2]), &dev);
    let kl = tensor_vec(VaeNet::kl(t(&mu), t(&lv)));
    for r in 0..2 {
        let mut want = 0.0f64;
        for j in 0..2 {
            let (m, l) = (f64::from(mu[2 * r + j]), f64::from(lv[2 * r + j]));
            // KL(N(m, s²) ‖ N(0, 1)) = log(1/s) + (s² + m²)/2 − 1/2
            let s2 = l.exp();
            want += -0.5 * l + (s2 + m * m) / 2.0 - 0.5;
        }
        assert!(
            (f64::from(kl[r]) - want).abs() < 1e-5,
            "{} vs {want}",
            kl[r]
        );
    }
}

/// Finite differences against autodiff for one weight of every layer kind (dense, conv,
/// transposed conv) and for the Gaussian likelihood's log σ.
#[test]
fn gradients_match_finite_differences() {
    for (arch, lik) in [
        (Arch::Conv, Likelihood::Bernoulli),
        (Arch::Mlp, Likelihood::Gaussian),
    ] {
        let cfg = VaeConfig {
            likelihood: lik,
            n_classes: Some(2),
            ..tiny_cfg(arch)
        };
        let dev = cpu_train();
        let net = VaeNet::new(&cfg, &mut rng_from_seed(3), &dev);
        let x = data(5, 1);
        let idx: Vec<usize> = (0..5).collect();
        let labels = [0usize, 1, 1, 0, 1];
        let eps = normal_tensor(&mut rng_from_seed(9), [5, 3], &cpu());
        let loss_of = |net: &VaeNet| -> Tensor<1> {
            let d = net.mu.weight.val().device();
            let xb = tensor_from_rows(&x, &idx, &d);
            let y = one_hot_rows(&labels, &idx, 2, &d);
            let (lpx, kl) = net.terms(&cfg, xb, Some(y), eps.clone().to_device(&d));
            (kl - lpx).sum()
        };
        let grads = loss_of(&net).backward();
        // (name, getter of the parameter tensor, setter)
        type Get = fn(&VaeNet) -> Tensor<4>;
        type Set = fn(&mut VaeNet, Tensor<4>);
        let mut cases: Vec<(&str, Get, Set)> = vec![
            (
                "encoder dense",
                |n| n.enc[0].weight.val().unsqueeze(),
                |n, t| n.enc[0].weight = Param::from_tensor(t.squeeze_dims(&[0, 1])),
            ),
            (
                "decoder dense",
                |n| n.out.weight.val().unsqueeze(),
                |n, t| n.out.weight = Param::from_tensor(t.squeeze_dims(&[0, 1])),
            ),
        ];
        if arch == Arch::Conv {
            cases.push((
                "conv",
                |n| n.enc_conv[1].weight.val(),
                |n, t| n.enc_conv[1].weight = Param::from_tensor(t),
            ));
            cases.push((
                "transposed conv",
                |n| n.dec_conv[0].weight.val(),
                |n, t| n.dec_conv[0].weight = Param::from_tensor(t),
            ));
        } else {
            cases.push((
                "log sigma",
                |n| n.log_sigma.as_ref().unwrap().val().unsqueeze(),
                |n, t| n.log_sigma = Some(Param::from_tensor(t.squeeze_dims(&[0, 1, 2]))),
            ));
        }
        let plain = net.valid();
        for (name, get, set) in cases {
            let p = get(&net);
            let g: Vec<f32> = {
                // The gradient of the same parameter on the autodiff net.
                let g4 = match name {
                    "encoder dense" => net.enc[0].weight.grad(&grads).map(|t| t.unsqueeze()),
                    "decoder dense" => net.out.weight.grad(&grads).map(|t| t.unsqueeze()),
                    "conv" => net.enc_conv[1].weight.grad(&grads),
                    "transposed conv" => net.dec_conv[0].weight.grad(&grads),
                    _ => net
                        .log_sigma
                        .as_ref()
                        .unwrap()
                        .grad(&grads)
                        .map(|t| t.unsqueeze()),
                };
                g4.expect("a gradient")
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .unwrap()
            };
            let base: Vec<f32> = p
                .clone()
                .inner()
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap();
            let shape = p.dims();
            // The coordinates with the largest gradients (well above f32 noise).
            let mut order: Vec<usize> = (0..g.len()).collect();
            order.sort_by(|&a, &b| g[b].abs().partial_cmp(&g[a].abs()).unwrap());
            for &i in order.iter().take(3) {
                let h = 1e-3f32;
                let eval = |delta: f32| -> f64 {
                    let mut v = base.clone();
                    v[i] += delta;
                    let mut m = plain.clone();
                    set(&mut m, Tensor::from_data(TensorData::new(v, shape), &cpu()));
                    scalar(loss_of(&m))
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * f64::from(h));
                let ad = f64::from(g[i]);
                assert!(
                    (fd - ad).abs() <= 2e-2 * ad.abs().max(1.0),
                    "{arch:?} {name}[{i}]: finite difference {fd} vs autodiff {ad}"
                );
            }
        }
    }
}

/// All weights of the network, in a fixed order.
fn weights(v: &Vae) -> Vec<f32> {
    let n = &v.net;
    let mut out = Vec::new();
    for l in n
        .enc
        .iter()
        .chain([&n.mu, &n.logvar])
        .chain(&n.dec)
        .chain([&n.out])
    {
        let (w, b) = linear_parts(l);
        out.extend(w);
        out.extend(b);
    }
    if let Some(ls) = &n.log_sigma {
        out.extend(tensor_vec(ls.val()));
    }
    out
}

/// The hand-written CPU trainer takes the same steps as burn's automatic differentiation
/// and Adam: same losses, same weights (up to rounding), for deep and shallow, conditional,
/// Gaussian and dynamically binarised VAEs, with weight decay and gradient clipping.
#[test]
fn the_cpu_trainer_takes_the_same_steps_as_burn() {
    let x = data(40, 3);
    let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
    let grey = x.mapv(|v| 0.2 + 0.6 * v);
    let cases: Vec<(VaeConfig, TrainConfig, &Array2<f32>, bool)> = vec![
        (
            VaeConfig {
                hidden: vec![7, 5],
                n_classes: Some(3),
                beta: 1.5,
                ..tiny_cfg(Arch::Mlp)
            },
            TrainConfig {
                weight_decay: 1e-3,
                grad_clip: Some(0.5),
                ..TrainConfig::default()
            },
            &x,
            true,
        ),
        (
            VaeConfig {
                hidden: vec![],
                ..tiny_cfg(Arch::Mlp)
            },
            TrainConfig {
                dynamic_binarization: true,
                beta1: 0.5,
                ..TrainConfig::default()
            },
            &grey,
            false,
        ),
        (
            VaeConfig {
                likelihood: Likelihood::Gaussian,
                ..tiny_cfg(Arch::Mlp)
            },
            TrainConfig::default(),
            &grey,
            false,
        ),
    ];
    for (i, (cfg, t, x, conditional)) in cases.into_iter().enumerate() {
        let t = TrainConfig {
            epochs: 2,
            batch_size: 16,
            lr: 1e-2,
            seed: 9,
            ..t
        };
        let y = conditional.then_some(&labels[..]);
        let run = |allow: bool| {
            let mut v = Vae::new(cfg.clone(), 4).unwrap();
            v.fit_on(
                x,
                y,
                &t,
                None,
                &mut crate::core::Silent,
                &mut |_, _| Ok(()),
                allow,
            )
            .unwrap();
            v
        };
        let (fast, slow) = (run(true), run(false));
        for (a, b) in fast.report.epochs.iter().zip(&slow.report.epochs) {
            let rel = (a.train_loss - b.train_loss).abs() / b.train_loss.abs();
            assert!(
                rel < 1e-6,
                "case {i}: loss {} vs {}",
                a.train_loss,
                b.train_loss
            );
        }
        let (wf, ws) = (weights(&fast), weights(&slow));
        assert_eq!(wf.len(), ws.len());
        let worst = wf
            .iter()
            .zip(&ws)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // 6 Adam steps of up to lr = 0.01 each; rounding differences stay far below. (Before
        // μ's and ln σ²'s gradients were clipped apart, they differed by 3·10⁻³ here.)
        assert!(worst < 1e-5, "case {i}: weights differ by up to {worst}");
        let moved = wf
            .iter()
            .zip(&weights(&Vae::new(cfg.clone(), 4).unwrap()))
            .any(|(a, b)| a != b);
        assert!(moved, "case {i}: the fit changed nothing");
    }
}

/// The IWAE bound and the ELBO run their chunks of images on several threads, with the
/// noise drawn as a sequential run draws it: the same numbers on one thread and on three.
#[test]
fn iwae_and_elbo_do_not_depend_on_the_number_of_threads() {
    let x = data(20, 6);
    let v = Vae::new(tiny_cfg(Arch::Mlp), 1).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        // k = 2000: four images per chunk, five chunks.
        pool.install(|| v.iwae(&x, None, 2000, &mut rng_from_seed(8)).unwrap())
    };
    let one = run(1);
    assert_eq!(one.len(), 20);
    assert_eq!(one, run(3));
    assert!(one.iter().all(|v| v.is_finite() && *v < 0.0));
    // The ELBO likewise, over 2500 rows (three chunks of 1024).
    let x = data(2500, 7);
    let elbo = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| v.elbo(&x, None, &mut rng_from_seed(9)).unwrap())
    };
    let one = elbo(1);
    assert_eq!(one.len(), 2500);
    assert_eq!(one, elbo(3));
}

/// On the CPU trainer, the validation loss and the per-epoch hook see each epoch's
/// weights: the recorded validation loss is the ELBO of the model the hook receives, and
/// it changes from epoch to epoch.
#[test]
fn validation_and_the_epoch_hook_see_each_epochs_weights() {
    let (x, v) = (data(64, 2), data(32, 3));
    let t = TrainConfig {
        epochs: 3,
        batch_size: 16,
        lr: 1e-2,
        patience: Some(5),
        ..TrainConfig::default()
    };
    let vae = Vae::new(tiny_cfg(Arch::Mlp), 0).unwrap();
    let mut seen = Vec::new();
    vae.train(
        &x,
        None,
        &t,
        Some((&v, None)),
        &mut crate::core::Silent,
        &mut |m, e| {
            let elbo = m.elbo(&v, None, &mut rng_from_seed(t.seed ^ 0xE1B0))?;
            seen.push((e.validation, -elbo.mean().unwrap()));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(seen.len(), 3);
    for (recorded, recomputed) in &seen {
        assert_eq!(*recorded, Some(*recomputed));
    }
    assert!(seen[0].1 != seen[1].1 && seen[1].1 != seen[2].1, "{seen:?}");
}

/// A learning rate that blows the weights up ends the fit with a clear error on both paths,
/// not a panic or a model full of NaN.
#[test]
fn divergence_is_an_error_on_both_paths() {
    let x = data(32, 1);
    let t = TrainConfig {
        epochs: 3,
        batch_size: 16,
        lr: 1e30,
        ..TrainConfig::default()
    };
    for allow in [true, false] {
        let mut v = Vae::new(tiny_cfg(Arch::Mlp), 0).unwrap();
        let err = v
            .fit_on(
                &x,
                None,
                &t,
                None,
                &mut crate::core::Silent,
                &mut |_, _| Ok(()),
                allow,
            )
            .unwrap_err();
        assert!(err.to_string().contains("lower the learning rate"), "{err}");
    }
}

#[test]
fn fit_is_reproducible_and_save_load_is_exact() {
    let x = data(64, 2);
    let train = TrainConfig {
        epochs: 2,
        batch_size: 16,
        lr: 1e-2,
        seed: 5,
        ..TrainConfig::default()
    };
    let fit = || fitted(tiny_cfg(Arch::Mlp), 5, &x, &train).unwrap();
    let (a, b) = (fit(), fit());
    assert_eq!(a.report.epochs.len(), 2);
    assert_eq!(
        a.report
            .epochs
            .iter()
            .map(|e| e.train_loss)
            .collect::<Vec<_>>(),
        b.report
            .epochs
            .iter()
            .map(|e| e.train_loss)
            .collect::<Vec<_>>()
    );
    let ea = a.encode(&x, None).unwrap();
    assert_eq!(ea, b.encode(&x, None).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.safetensors");
    a.save(&p).unwrap();
    let c = Vae::load(&p, &cpu()).unwrap();
    assert_eq!(c.config, a.config);
    assert_eq!(c.report, a.report);
    assert_eq!(c.encode(&x, None).unwrap(), ea);
    assert_eq!(
        c.iwae(&x, None, 7, &mut rng_from_seed(1)).unwrap(),
        a.iwae(&x, None, 7, &mut rng_from_seed(1)).unwrap()
    );
    // Truncated checkpoint: a clear error.
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert!(Vae::load(&p, &cpu())
        .unwrap_err()
        .to_string()
        .contains("truncated"));
}

#[test]
fn bad_input_is_refused() {
    let v = Vae::new(tiny_cfg(Arch::Mlp), 1).unwrap();
    let e = v
        .encode(&Array2::zeros((3, 15)), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("15 columns"), "{e}");
    let mut x = data(3, 1);
    x[[1, 2]] = f32::NAN;
    assert!(v.encode(&x, None).unwrap_err().to_string().contains("NaN"));
    assert!(v
        .encode(&Array2::zeros((0, 16)), None)
        .unwrap_err()
        .to_string()
        .contains("empty"));
    let e = Vae::new(
        VaeConfig {
            latent: 0,
            ..tiny_cfg(Arch::Mlp)
        },
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("latent"), "{e}");
    assert!(Vae::new(
        VaeConfig {
            hidden: vec![0],
            ..tiny_cfg(Arch::Mlp)
        },
        1
    )
    .is_err());
    assert!(Vae::new(tiny_cfg(Arch::Conv), 1).is_ok());
    assert!(Vae::new(
        VaeConfig {
            image_shape: (2, 8),
            ..tiny_cfg(Arch::Conv)
        },
        1
    )
    .is_err());
    let cv = Vae::new(
        VaeConfig {
            n_classes: Some(3),
            ..tiny_cfg(Arch::Mlp)
        },
        1,
    )
    .unwrap();
    let x = data(3, 1);
    assert!(cv
        .encode(&x, Some(&[0, 1]))
        .unwrap_err()
        .to_string()
        .contains("length 2"));
    assert!(cv
        .encode(&x, Some(&[0, 1, 3]))
        .unwrap_err()
        .to_string()
        .contains("label 3"));
    assert!(cv.encode(&x, None).is_err());
    assert!(v.iwae(&x, None, 0, &mut rng_from_seed(0)).is_err());
}

/// Dynamic binarisation trains on Bernoulli draws of the grey levels: on grey images whose
/// pixels are constant grey levels, the decoder's means come out near those levels (an
/// inverted draw would give one minus them), the fit is reproducible with its seed, and a
/// Gaussian likelihood refuses it.
#[test]
fn dynamic_binarization_draws_pixels_with_their_grey_levels() {
    let levels = [0.1f32, 0.3, 0.7, 0.9];
    let x = Array2::from_shape_fn((256, 16), |(_, j)| levels[j % 4]);
    let train = TrainConfig {
        epochs: 15,
        batch_size: 32,
        lr: 1e-2,
        seed: 2,
        dynamic_binarization: true,
        ..TrainConfig::default()
    };
    let fit = || fitted(tiny_cfg(Arch::Mlp), 2, &x, &train).unwrap();
    let v = fit();
    assert_eq!(
        v.report.epochs.last().unwrap().train_loss,
        fit().report.epochs.last().unwrap().train_loss
    );
    let s = v.sample(2000, None, &mut rng_from_seed(3)).unwrap();
    for j in 0..16 {
        let m = s.column(j).mean().unwrap();
        assert!(
            (m - levels[j % 4]).abs() < 0.1,
            "pixel {j}: mean {m} for grey level {}",
            levels[j % 4]
        );
    }
    let gaussian = VaeConfig {
        likelihood: Likelihood::Gaussian,
        ..tiny_cfg(Arch::Mlp)
    };
    let e = fitted(gaussian, 2, &x, &train).unwrap_err();
    assert!(e.to_string().contains("dynamic_binarization"), "{e}");
}
