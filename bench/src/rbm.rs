//! `rbm-bench`: times genmodels' Bernoulli RBM training (PCD-1, like scikit-learn's
//! `BernoulliRBM`), for comparison with scikit-learn (driven by `bench/compare_rbm.py`; see
//! `bench/README.md`).
//!
//! ```text
//! rbm-bench --data X.npy --hidden 64 --batch 10 --epochs 20 --lr 0.1 [--seed 0] [--k 1]
//!           [--method pcd|cd]
//! ```
//!
//! `X.npy` is a binary matrix (rows × visible units, float64). Only the fit is timed (reading the
//! data is not; the per-epoch monitoring is switched off, as scikit-learn's `verbose=0` does).
//! One JSON line: `seconds` (the whole fit), `per_epoch`, `pseudo_likelihood` (the mean of
//! scikit-learn's pseudo-likelihood over all rows, one random unit flipped per row),
//! `max_rss_kb`.

use std::process::ExitCode;
use std::time::Instant;

use genmodels::core::Fit;
use genmodels::io::images::Images;
use genmodels::neural::neural_rng;
use genmodels::neural::rbm::{Method, RbmParams};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

fn max_rss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(-1)
}

fn run() -> BoxResult<()> {
    let mut data = None;
    let (mut hidden, mut batch, mut epochs, mut lr, mut seed, mut k) =
        (64usize, 10usize, 20usize, 0.1f64, 0u64, 1usize);
    let mut method = Method::Pcd;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => data = Some(value()?),
            "--hidden" => hidden = value()?.parse()?,
            "--batch" => batch = value()?.parse()?,
            "--epochs" => epochs = value()?.parse()?,
            "--lr" => lr = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "--k" => k = value()?.parse()?,
            "--method" => {
                method = match value()?.as_str() {
                    "pcd" => Method::Pcd,
                    "cd" => Method::Cd,
                    m => return Err(format!("--method {m}: pcd or cd").into()),
                }
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let data = data.ok_or("--data X.npy is required")?;
    let x = genmodels::io::read_npy(std::path::Path::new(&data))?.mapv(|v| v as f32);
    let d = x.ncols();
    let images = Images::new(x, 1, d)?;
    let params = RbmParams::new(hidden)
        .method(method)
        .k(k)
        .epochs(epochs)
        .batch_size(batch)
        .learning_rate(lr)
        .monitor_rows(0)
        .seed(seed);
    let t0 = Instant::now();
    let rbm = params.fit(&images)?;
    let seconds = t0.elapsed().as_secs_f64();
    let pl = rbm.pseudo_likelihood(images.pixels.view(), &mut neural_rng(seed + 1))?;
    let out = serde_json::json!({
        "seconds": seconds, "per_epoch": seconds / epochs as f64, "epochs": epochs,
        "n": images.len(), "d": d, "hidden": hidden, "batch": batch,
        "pseudo_likelihood": pl.mean().unwrap_or(f64::NAN),
        "max_rss_kb": max_rss_kb(),
    });
    println!("{out}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rbm-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
