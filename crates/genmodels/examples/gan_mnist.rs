//! The GAN quality figures of the README: a conditional GAN on MNIST, sample grids, the
//! accuracy of a classifier (a small MLP trained here on the real training images) on its
//! samples for each requested label, the Parzen-window estimate (a weak metric) and the
//! classifier two-sample test. Heavy: run by hand, in release mode, niced:
//!
//! ```text
//! nice cargo run --release -p genmodels --example gan_mnist -- EPOCHS ARCH LOSS OUT_DIR \
//!     [HIDDEN LR LABEL_SMOOTHING D_DROPOUT CONV_WIDTH bn|nobn BATCH EMA]
//! nice cargo run --release -p genmodels --example gan_mnist -- 15 mlp ns gan-out 128 1e-3 0 0
//! nice cargo run --release -p genmodels --example gan_mnist -- eval CHECKPOINT   # no training
//! ```

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::Tensor;
use genmodels::core::rng_from_seed;
use genmodels::core::Silent;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::burn;
use genmodels::neural::eval::{
    default_sigma_grid, parzen_log_likelihood, parzen_select_sigma, two_sample_real_halves,
    two_sample_test,
};
use genmodels::neural::gan::{Gan, GanConfig, GanLoss};
use genmodels::neural::train::{init_linear, one_hot_rows, TrainConfig};
use genmodels::neural::vae::Arch;
use genmodels::neural::{cpu, cpu_train, shuffled_batches, tensor_from_rows};
use ndarray::Array2;

#[derive(Module, Debug)]
struct Mlp {
    h: Linear,
    o: Linear,
}

impl Mlp {
    fn logp(&self, x: Tensor<2>) -> Tensor<2> {
        log_softmax(self.o.forward(relu(self.h.forward(x))), 1)
    }
}

/// A 784-256-10 softmax classifier, 3 epochs of Adam.
fn classifier(x: &Array2<f32>, y: &[usize]) -> Mlp {
    let dev = cpu_train();
    let mut rng = rng_from_seed(11);
    let mut m = Mlp {
        h: init_linear(784, 256, &mut rng, &dev),
        o: init_linear(256, 10, &mut rng, &dev),
    };
    let mut opt = TrainConfig::default().adam();
    for _ in 0..3 {
        for idx in shuffled_batches(x.nrows(), 128, &mut rng) {
            let lp = m.logp(tensor_from_rows(x, &idx, &dev));
            let t = one_hot_rows(y, &idx, 10, &dev);
            let loss = (lp * t).sum() * (-1.0 / idx.len() as f64);
            let g = GradientsParams::from_grads(loss.backward(), &m);
            m = opt.step(1e-3, m, g);
        }
    }
    m.valid()
}

fn predict(m: &Mlp, x: &Array2<f32>) -> Vec<usize> {
    let idx: Vec<usize> = (0..x.nrows()).collect();
    let lp = genmodels::neural::array_from_tensor(m.logp(tensor_from_rows(x, &idx, &cpu())));
    lp.outer_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                )
                .0
        })
        .collect()
}

/// Trains the GAN the arguments describe, writing grids and checkpoints into OUT_DIR.
fn train(a: &[String], x: &Array2<f32>, y: &[usize]) -> Result<Gan, Box<dyn std::error::Error>> {
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let epochs: usize = arg(0, "20").parse()?;
    let arch = if arg(1, "mlp") == "conv" {
        Arch::Conv
    } else {
        Arch::Mlp
    };
    let loss = if arg(2, "ns") == "wgan-gp" {
        GanLoss::WganGp
    } else {
        GanLoss::NonSaturating
    };
    let out = PathBuf::from(arg(3, "gan-out"));
    let hidden: usize = arg(4, "128").parse()?;
    let lr: f64 = arg(
        5,
        if loss == GanLoss::WganGp {
            "1e-4"
        } else {
            "1e-3"
        },
    )
    .parse()?;
    let label_smoothing: f64 = arg(6, "0").parse()?;
    let d_dropout: f64 = arg(7, "0").parse()?;
    let conv_width: usize = arg(8, "64").parse()?;
    let batch_norm = arg(9, "nobn") == "bn";
    let batch_size: usize = arg(10, "128").parse()?;
    let ema: f64 = arg(11, "0").parse()?;
    std::fs::create_dir_all(&out)?;
    let cfg = GanConfig {
        arch,
        loss,
        n_classes: Some(10),
        n_critic: if loss == GanLoss::WganGp { 5 } else { 1 },
        g_hidden: vec![hidden; 2],
        d_hidden: vec![hidden; 2],
        label_smoothing,
        d_dropout,
        conv_width,
        batch_norm,
        ema,
        ..GanConfig::mlp(784, (28, 28))
    };
    let wgan = loss == GanLoss::WganGp;
    let train = TrainConfig {
        epochs,
        lr,
        beta1: 0.5,
        beta2: if wgan { 0.9 } else { 0.999 },
        batch_size,
        ..TrainConfig::default()
    };
    let gan = Gan::new(cfg, 0)?;
    let grid_z = gan.latent(100, None, &mut rng_from_seed(5))?;
    let grid_labels: Vec<usize> = (0..100).map(|i| i % 10).collect();
    let outd = out.clone();
    let gan = gan.train(x, Some(y), &train, &mut Silent, &mut |g, e| {
        eprintln!(
            "epoch {}: D loss {:.4}, G loss {:.4} ({:.1} s)",
            e.epoch,
            e.train_loss,
            e.train_loss2.unwrap_or(f64::NAN),
            e.seconds
        );
        let s = g.generate(&grid_z, Some(&grid_labels))?;
        write_png_grid(&outd.join("samples.png"), s.view(), (28, 28), 10, 2)?;
        // A checkpoint per epoch, so long runs can be scored (and resumed) part-way.
        g.save(&outd.join("gan-last.safetensors"))?;
        if e.epoch % 5 == 0 {
            g.save(&outd.join(format!("gan-e{}.safetensors", e.epoch)))?;
        }
        Ok(())
    })?;
    gan.save(&out.join("gan.safetensors"))?;
    Ok(gan)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let read = |set: &str| -> Result<(Images, Vec<usize>), Box<dyn std::error::Error>> {
        let x = Images::read(&data.join(format!("{set}-images-idx3-ubyte.gz")))?;
        let y =
            genmodels::io::idx::read_idx_labels(&data.join(format!("{set}-labels-idx1-ubyte.gz")))?;
        Ok((x, y.into_iter().map(usize::from).collect()))
    };
    let (x, y) = read("train")?;
    let (xt, yt) = read("t10k")?;

    let t0 = std::time::Instant::now();
    let clf = classifier(&x.pixels, &y);
    let acc_real = predict(&clf, &xt.pixels)
        .iter()
        .zip(&yt)
        .filter(|(a, b)| a == b)
        .count() as f64
        / yt.len() as f64;
    eprintln!(
        "classifier: {:.2} % on the real test images ({:.0} s)",
        100.0 * acc_real,
        t0.elapsed().as_secs_f64()
    );

    let gan = if arg(0, "") == "eval" {
        // Score a checkpoint written by this example or by `genmodels fit gan`.
        Gan::load(Path::new(&arg(1, "gan.safetensors")), &cpu())?
    } else {
        train(&a, &x.pixels, &y)?
    };

    // Classifier accuracy on 1000 samples per label.
    let labels: Vec<usize> = (0..10_000).map(|i| i % 10).collect();
    let s = gan.sample(10_000, Some(&labels), None, &mut rng_from_seed(6))?;
    let pred = predict(&clf, &s);
    let mut per = [0usize; 10];
    for (p, l) in pred.iter().zip(&labels) {
        if p == l {
            per[*l] += 1;
        }
    }
    let total: usize = per.iter().sum();
    println!(
        "classifier accuracy on conditional samples: {:.1} % (per label: {})",
        total as f64 / 100.0,
        per.iter()
            .map(|c| format!("{:.0}", *c as f64 / 10.0))
            .collect::<Vec<_>>()
            .join(" ")
    );

    // Parzen: σ chosen on the last 10,000 training images as validation (Goodfellow et al.),
    // estimate on the test set.
    let val = x.pixels.slice(ndarray::s![50_000.., ..]).to_owned();
    let (sigma, _) = parzen_select_sigma(
        &s,
        &val.slice(ndarray::s![..2000, ..]).to_owned(),
        &default_sigma_grid(),
    )?;
    let ll = parzen_log_likelihood(&s, &xt.pixels, sigma)?;
    let se = ll.std(1.0) / (ll.len() as f64).sqrt();
    println!(
        "Parzen-window log-likelihood (weak metric): {:.1} ± {:.1} nats (σ = {sigma:.3})",
        ll.mean().unwrap(),
        se
    );

    let fake = gan.sample(xt.len(), Some(&yt), None, &mut rng_from_seed(8))?;
    // One critic's accuracy varies by ±3 points with its seed: report the mean of ten.
    let (mut accs, mut n_test) = (Vec::new(), 0);
    for seed in 0..10 {
        let t = two_sample_test(&xt.pixels, &fake, 5, &mut rng_from_seed(seed))?;
        accs.push(t.accuracy);
        n_test = t.n_test;
    }
    let accs = ndarray::Array1::from(accs);
    let t0 = two_sample_real_halves(&xt.pixels, 5, &mut rng_from_seed(8))?;
    println!(
        "two-sample test: GAN samples vs real {:.1} % (mean of 10 critics, s.d. {:.1}, {} held out \
         each); real vs real {:.1} %",
        100.0 * accs.mean().unwrap(),
        100.0 * accs.std(1.0),
        n_test,
        100.0 * t0.accuracy
    );
    Ok(())
}
