//! RBMs on MNIST, the figures of the README's RBM section: a binary RBM trained with CD-k or
//! PCD on the 60,000 training images, its test log-likelihood estimated by AIS (log Z from
//! the base-rate model of the training data), next to Salakhutdinov & Murray (2008).
//!
//! ```text
//! cargo run --release --example rbm_mnist -- --method pcd --k 1 --hidden 500 --epochs 20 \
//!     [--lr 0.05] [--momentum 0.9] [--batch 100] [--weight-decay 0.0002] [--schedule linear]
//!     [--binarize stochastic|0.5] [--train 60000] [--test 10000] [--ais-runs 100]
//!     [--ais-betas 14500] [--seed 1] [--out target/rbm_mnist]
//! ```
//!
//! Writes `rbm.safetensors`, `samples.png` (100 chains of 1,000 Gibbs steps), `filters.png` (the
//! first 100 hidden units' weights) and `result.json` into `--out`, and prints per-epoch lines
//! (time, reconstruction error, pseudo-likelihood) and the AIS estimate. S&M binarise MNIST
//! stochastically (each pixel on with probability intensity/255), once; `--binarize
//! stochastic` (the default) does the same with a fixed seed for the training and the test set.

use std::path::PathBuf;
use std::time::Instant;

use genmodels::core::rng_from_seed;
use genmodels::core::{Flow, Step};
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::rbm::{AisParams, GibbsStart, LrSchedule, Method, RbmParams};
use ndarray::Array2;

struct Args {
    method: Method,
    k: usize,
    hidden: usize,
    epochs: usize,
    lr: f64,
    momentum: f64,
    batch: usize,
    weight_decay: f64,
    schedule: LrSchedule,
    binarize: String,
    train: usize,
    test: usize,
    ais_runs: usize,
    ais_betas: usize,
    seed: u64,
    out: PathBuf,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        method: Method::Pcd,
        k: 1,
        hidden: 500,
        epochs: 20,
        lr: 0.05,
        momentum: 0.9,
        batch: 100,
        weight_decay: 0.0002,
        schedule: LrSchedule::Linear,
        binarize: "stochastic".into(),
        train: 60_000,
        test: 10_000,
        ais_runs: 100,
        ais_betas: 14_500,
        seed: 1,
        out: PathBuf::from("target/rbm_mnist"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        let int = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--method" => {
                a.method = match v.as_str() {
                    "cd" => Method::Cd,
                    "pcd" => Method::Pcd,
                    _ => return Err(format!("--method {v}: cd or pcd")),
                }
            }
            "--k" => a.k = int(&v)?,
            "--hidden" => a.hidden = int(&v)?,
            "--epochs" => a.epochs = int(&v)?,
            "--lr" => a.lr = num(&v)?,
            "--momentum" => a.momentum = num(&v)?,
            "--batch" => a.batch = int(&v)?,
            "--weight-decay" => a.weight_decay = num(&v)?,
            "--schedule" => {
                a.schedule = match v.as_str() {
                    "constant" => LrSchedule::Constant,
                    "linear" => LrSchedule::Linear,
                    _ => return Err(format!("--schedule {v}: constant or linear")),
                }
            }
            "--binarize" => a.binarize = v,
            "--train" => a.train = int(&v)?,
            "--test" => a.test = int(&v)?,
            "--ais-runs" => a.ais_runs = int(&v)?,
            "--ais-betas" => a.ais_betas = int(&v)?,
            "--seed" => a.seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?,
            "--out" => a.out = PathBuf::from(v),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn binarize(im: Images, how: &str, seed: u64) -> genmodels::core::Result<Images> {
    if how == "stochastic" {
        im.binarize_stochastic(&mut rng_from_seed(seed))
    } else {
        Ok(im.binarize(how.parse().expect("a threshold or `stochastic`")))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = parse()?;
    std::fs::create_dir_all(&a.out)?;
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"));
    let train = Images::read(&root.join("train-images-idx3-ubyte.gz"))?.head(a.train);
    let test = Images::read(&root.join("t10k-images-idx3-ubyte.gz"))?.head(a.test);
    let train = binarize(train, &a.binarize, 1000 + a.seed)?;
    let test = binarize(test, &a.binarize, 2000 + a.seed)?;
    let name = format!(
        "{}-{}",
        if a.method == Method::Pcd { "PCD" } else { "CD" },
        a.k
    );
    println!(
        "{name}: {} hidden units, {} epochs, batch {}, lr {} ({:?}), momentum {}, weight decay {}, binarisation {}, {} training / {} test images",
        a.hidden, a.epochs, a.batch, a.lr, a.schedule, a.momentum, a.weight_decay, a.binarize, train.len(), test.len()
    );
    let params = RbmParams::new(a.hidden)
        .method(a.method)
        .k(a.k)
        .epochs(a.epochs)
        .batch_size(a.batch)
        .learning_rate(a.lr)
        .momentum(a.momentum)
        .weight_decay(a.weight_decay)
        .schedule(a.schedule)
        .seed(a.seed)
        .binarization(a.binarize.clone());
    let t0 = Instant::now();
    let mut last = Instant::now();
    let mut monitor = |s: Step| {
        println!(
            "  epoch {:>3}/{}: {:6.1} s (total {:7.1} s), pseudo-likelihood {:.2}",
            s.iteration,
            s.max_iterations,
            last.elapsed().as_secs_f64(),
            t0.elapsed().as_secs_f64(),
            s.objective
        );
        last = Instant::now();
        Flow::Continue
    };
    let rbm = params.fit_validated(&train, None, &mut monitor)?;
    let train_seconds = t0.elapsed().as_secs_f64();
    let report = rbm.report.clone().expect("fitted");
    let per_epoch: f64 =
        report.epochs.iter().map(|e| e.seconds).sum::<f64>() / report.epochs.len() as f64;
    rbm.save(&a.out.join("rbm.safetensors"))?;

    let t1 = Instant::now();
    let ais = AisParams {
        runs: a.ais_runs,
        betas: a.ais_betas,
        seed: a.seed,
    };
    let lz = rbm.ais_log_z(Some(train.pixels.view()), &ais)?;
    let ais_seconds = t1.elapsed().as_secs_f64();
    let test_ll = rbm
        .log_likelihood_given(test.pixels.view(), &lz)?
        .mean()
        .unwrap_or(f64::NAN);
    let train_ll = rbm
        .log_likelihood_given(
            train
                .pixels
                .slice(ndarray::s![..10_000.min(train.len()), ..]),
            &lz,
        )?
        .mean()
        .unwrap_or(f64::NAN);
    println!(
        "{name}: log Z = {:.2} ± {:.2} (AIS, {} runs × {} temperatures, {:.0} s); mean test log-likelihood {:.2} nats (train {:.2}); training {:.0} s ({:.1} s per epoch)",
        lz.log_z, lz.stderr, a.ais_runs, a.ais_betas, ais_seconds, test_ll, train_ll, train_seconds, per_epoch
    );

    // Pictures: 100 chains of 1,000 Gibbs steps from random starts, and the filters.
    let s = rbm.gibbs(
        100,
        1000,
        GibbsStart::Random,
        &mut rng_from_seed(a.seed + 7),
    )?;
    write_png_grid(&a.out.join("samples.png"), s.means.view(), (28, 28), 10, 2)?;
    let (w, _, _, _) = rbm.parameters();
    let n = w.ncols().min(100);
    let mut f = Array2::<f32>::zeros((n, w.nrows()));
    for j in 0..n {
        let col = w.column(j);
        let lo = col.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = col.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        f.row_mut(j)
            .assign(&col.mapv(|v| (v - lo) / (hi - lo).max(1e-12)));
    }
    write_png_grid(&a.out.join("filters.png"), f.view(), (28, 28), 10, 2)?;
    let result = serde_json::json!({
        "method": name, "hidden": a.hidden, "epochs": a.epochs, "lr": a.lr, "momentum": a.momentum,
        "batch": a.batch, "weight_decay": a.weight_decay, "schedule": format!("{:?}", a.schedule),
        "binarize": a.binarize, "seed": a.seed, "n_train": train.len(), "n_test": test.len(),
        "log_z": lz.log_z, "log_z_stderr": lz.stderr, "ais_runs": a.ais_runs, "ais_betas": a.ais_betas,
        "test_log_likelihood": test_ll, "train_log_likelihood": train_ll,
        "train_seconds": train_seconds, "seconds_per_epoch": per_epoch, "ais_seconds": ais_seconds,
        "epochs_report": report.epochs,
    });
    std::fs::write(
        a.out.join("result.json"),
        serde_json::to_string_pretty(&result)?,
    )?;
    println!("wrote {}", a.out.display());
    Ok(())
}
