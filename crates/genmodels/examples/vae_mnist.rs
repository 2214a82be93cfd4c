//! The VAE quality figures of the README: the 784-400-20 MLP VAE on MNIST, its test negative
//! log-likelihood by the importance-weighted bound (k = 5000) against epochs, and the
//! classifier two-sample test of its samples. Heavy: run by hand, in release mode, niced:
//!
//! ```text
//! nice cargo run --release -p genmodels --example vae_mnist -- EPOCHS EVAL_EVERY N_TEST K OUT_DIR [fixed|dynamic]
//! nice cargo run --release -p genmodels --example vae_mnist -- 50 10 1000 5000 vae-out
//! ```
//!
//! MNIST is binarised stochastically (each pixel on with its grey level as probability, seeds
//! fixed): the test images once; the training images once (`fixed`, the default) or afresh in
//! every mini-batch (`dynamic`, as Burda et al. 2015, who report 86.76 nats for this VAE). The IWAE estimate uses the first `N_TEST` test images. Writes
//! `OUT_DIR/curve.csv` (epoch, seconds, train ELBO, test ELBO, test NLL by IWAE), `curve.svg`,
//! `samples.png`, `vae.safetensors`, and prints the two-sample test.

use std::io::Write;
use std::path::{Path, PathBuf};

use genmodels::core::rng_from_seed;
use genmodels::core::Silent;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::eval::{two_sample_real_halves, two_sample_test};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{Vae, VaeConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let epochs: usize = arg(0, "50").parse()?;
    let every: usize = arg(1, "10").parse()?;
    let n_test: usize = arg(2, "1000").parse()?;
    let k: usize = arg(3, "5000").parse()?;
    let out = PathBuf::from(arg(4, "vae-out"));
    let dynamic = arg(5, "fixed") == "dynamic";
    std::fs::create_dir_all(&out)?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let x = Images::read(&data.join("train-images-idx3-ubyte.gz"))?;
    let x = if dynamic {
        x // grey: every mini-batch is binarised afresh during training
    } else {
        x.binarize_stochastic(&mut rng_from_seed(1))?
    };
    let xt = Images::read(&data.join("t10k-images-idx3-ubyte.gz"))?
        .binarize_stochastic(&mut rng_from_seed(2))?;
    let test = xt.head(n_test);
    let mut vae = Vae::new(VaeConfig::mlp(784, (28, 28)), 0)?;
    let mut csv = std::fs::File::create(out.join("curve.csv"))?;
    writeln!(csv, "epoch,seconds,train_elbo,test_elbo,test_nll_iwae")?;
    let mut curve = Vec::new();
    let mut done = 0;
    while done < epochs {
        let step = every.min(epochs - done);
        let train = TrainConfig {
            epochs: step,
            seed: done as u64,
            dynamic_binarization: dynamic,
            ..TrainConfig::default()
        };
        vae = vae.train(&x.pixels, None, &train, None, &mut Silent, &mut |_, e| {
            eprintln!(
                "epoch {} train ELBO {:.2} ({:.1} s)",
                e.epoch, -e.train_loss, e.seconds
            );
            Ok(())
        })?;
        done += step;
        let last = vae.report.epochs.last().expect("an epoch").clone();
        let secs: f64 = vae.report.epochs.iter().map(|e| e.seconds).sum();
        let elbo = vae
            .elbo(&xt.pixels, None, &mut rng_from_seed(3))?
            .mean()
            .unwrap();
        let t0 = std::time::Instant::now();
        let nll = -vae
            .iwae(&test.pixels, None, k, &mut rng_from_seed(4))?
            .mean()
            .unwrap();
        eprintln!(
            "after {done} epochs: test ELBO {elbo:.2}, NLL (IWAE k={k}, {} images) {nll:.2} in {:.0} s",
            test.len(),
            t0.elapsed().as_secs_f64()
        );
        writeln!(
            csv,
            "{done},{secs:.1},{:.3},{elbo:.3},{nll:.3}",
            -last.train_loss
        )?;
        csv.flush()?;
        curve.push((done as f64, nll));
        vae.save(&out.join("vae.safetensors"))?;
    }
    let s = vae.sample(64, None, &mut rng_from_seed(5))?;
    write_png_grid(&out.join("samples.png"), s.view(), (28, 28), 8, 2)?;
    // The two-sample test on grey decoder means against grey real test images, and the same
    // test between two halves of the real test images.
    let grey = Images::read(&data.join("t10k-images-idx3-ubyte.gz"))?;
    let fake = vae.sample(grey.len(), None, &mut rng_from_seed(6))?;
    let t = two_sample_test(&grey.pixels, &fake, 5, &mut rng_from_seed(7))?;
    let t0 = two_sample_real_halves(&grey.pixels, 5, &mut rng_from_seed(8))?;
    println!(
        "two-sample test: VAE samples vs real {:.1} % ({} held out); real vs real {:.1} %",
        100.0 * t.accuracy,
        t.n_test,
        100.0 * t0.accuracy
    );
    write_svg(&out.join("curve.svg"), &curve)?;
    Ok(())
}

/// A bare line chart of NLL against epochs.
fn write_svg(path: &Path, pts: &[(f64, f64)]) -> std::io::Result<()> {
    let (w, h, m) = (480.0, 320.0, 50.0);
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let ymin = pts
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .floor()
        - 1.0;
    let ymax = pts
        .iter()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil()
        + 1.0;
    let sx = |x: f64| m + (w - 2.0 * m) * x / xmax;
    let sy = |y: f64| h - m - (h - 2.0 * m) * (y - ymin) / (ymax - ymin).max(1e-9);
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n");
    s += &format!("<line x1='{m}' y1='{}' x2='{}' y2='{}' stroke='black'/>\n<line x1='{m}' y1='{m}' x2='{m}' y2='{}' stroke='black'/>\n", h - m, w - m, h - m, h - m);
    s += &format!("<text x='{}' y='{}' text-anchor='middle'>epoch</text>\n<text x='12' y='{}' transform='rotate(-90 12 {})' text-anchor='middle'>test NLL (nats, IWAE k=5000)</text>\n", w / 2.0, h - 12.0, h / 2.0, h / 2.0);
    let poly: Vec<String> = pts
        .iter()
        .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
        .collect();
    s += &format!(
        "<polyline fill='none' stroke='steelblue' stroke-width='2' points='{}'/>\n",
        poly.join(" ")
    );
    for &(x, y) in pts {
        s += &format!("<circle cx='{:.1}' cy='{:.1}' r='3' fill='steelblue'/><text x='{:.1}' y='{:.1}' text-anchor='middle'>{y:.1}</text>\n", sx(x), sy(y), sx(x), sy(y) - 8.0);
        s += &format!(
            "<text x='{:.1}' y='{}' text-anchor='middle'>{x}</text>\n",
            sx(x),
            h - m + 15.0
        );
    }
    s += "</svg>\n";
    std::fs::write(path, s)
}
