//! `gm-bench vae` and `gm-bench gan`: epoch times of the MLP VAE (784-400-20-400-784) and the
//! MLP GAN (64-256-256-784 / 784-256-256-1) at batch 128, for comparison with PyTorch and JAX
//! (driven by `bench/compare_vae.py`).
//!
//! ```text
//! gm-bench vae --train train-images.gz --test t10k-images.gz [--epochs 1] [--batch 128] [--seed 0]
//! gm-bench gan --train train-images.gz [--epochs 1] [--batch 128] [--seed 0]
//! ```
//!
//! Pixels are scaled to [0, 1] and used as they are (the Bernoulli cross-entropy against grey
//! values, as in PyTorch's VAE example). One JSON line: `epoch_seconds` (each epoch, reading
//! the data not timed), and for the VAE `test_elbo` (single-sample ELBO per test image, nats).

use std::path::PathBuf;

use genmodels::core::Silent;
use genmodels::io::images::Images;
use genmodels::neural::gan::{Gan, GanConfig};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{Vae, VaeConfig};

type BoxResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Args {
    train: PathBuf,
    test: Option<PathBuf>,
    epochs: usize,
    batch: usize,
    seed: u64,
}

fn parse(mut it: impl Iterator<Item = String>) -> BoxResult<Args> {
    let mut a = Args {
        train: PathBuf::new(),
        test: None,
        epochs: 1,
        batch: 128,
        seed: 0,
    };
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--train" => a.train = v.into(),
            "--test" => a.test = Some(v.into()),
            "--epochs" => a.epochs = v.parse()?,
            "--batch" => a.batch = v.parse()?,
            "--seed" => a.seed = v.parse()?,
            _ => return Err(format!("unknown argument {flag:?}").into()),
        }
    }
    Ok(a)
}

/// `gm-bench vae ...`
pub fn run_vae(it: impl Iterator<Item = String>) -> BoxResult<()> {
    let a = parse(it)?;
    let x = Images::read(&a.train)?;
    let vae = Vae::new(VaeConfig::mlp(x.dim(), (x.height, x.width)), a.seed)?;
    let train = TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch,
        seed: a.seed,
        ..TrainConfig::default()
    };
    let vae = vae.train(&x.pixels, None, &train, None, &mut Silent, &mut |_, _| {
        Ok(())
    })?;
    let secs: Vec<f64> = vae.report.epochs.iter().map(|e| e.seconds).collect();
    let test_elbo = match &a.test {
        Some(t) => {
            let xt = Images::read(t)?;
            let e = vae.elbo(&xt.pixels, None, &mut genmodels::neural::neural_rng(1))?;
            Some(e.mean().unwrap_or(f64::NAN))
        }
        None => None,
    };
    println!(
        "{}",
        serde_json::json!({"epoch_seconds": secs, "test_elbo": test_elbo,
            "train_loss": vae.report.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>()})
    );
    Ok(())
}

/// `gm-bench gan ...`
pub fn run_gan(it: impl Iterator<Item = String>) -> BoxResult<()> {
    let a = parse(it)?;
    let x = Images::read(&a.train)?;
    let gan = Gan::new(GanConfig::mlp(x.dim(), (x.height, x.width)), a.seed)?;
    let train = TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch,
        lr: 2e-4,
        beta1: 0.5,
        seed: a.seed,
        ..TrainConfig::default()
    };
    let gan = gan.train(&x.pixels, None, &train, &mut Silent, &mut |_, _| Ok(()))?;
    let secs: Vec<f64> = gan.report.epochs.iter().map(|e| e.seconds).collect();
    println!("{}", serde_json::json!({"epoch_seconds": secs}));
    Ok(())
}
