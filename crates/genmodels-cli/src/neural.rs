//! The room the neural image families (VAE, GAN) share: their training flags, resuming a
//! checkpoint, loss plots, the labels of conditional samples, and the quality metrics of
//! generated images (Parzen window, classifier two-sample test).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::neural::train::{EpochRecord, FitReport, TrainConfig};
use genmodels::neural::vae::Arch;
use genmodels::neural::{eval, neural_rng};
use ndarray::Array2;
use serde_json::json;

use crate::common::{num, print_json, usage, OutputFlags};
use crate::plot;
use crate::verbs::ScoreArgs;

/// Training flags shared by `fit vae` and `fit gan`.
#[derive(Args, Debug, Clone)]
pub struct TrainFlags {
    /// Passes over the training images.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Images per mini-batch.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Adam's learning rate (default 1e-3 for a VAE and a non-saturating GAN, 1e-4 for
    /// wgan-gp).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Adam's β₁ (default 0.9 for a VAE, 0.5 for a GAN).
    #[arg(long)]
    pub beta1: Option<f64>,
    /// Adam's β₂ (default 0.999; 0.9 for a WGAN).
    #[arg(long)]
    pub beta2: Option<f64>,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Clip each parameter's gradient to this norm.
    #[arg(long, value_name = "NORM")]
    pub grad_clip: Option<f64>,
    /// Stop when the validation loss has not improved for N epochs (needs --validation).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// Seed of the initial weights, the shuffling and the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Go on training this checkpoint (its architecture wins over the flags; Adam's moments
    /// restart from zero).
    #[arg(long, value_name = "CKPT")]
    pub resume: Option<PathBuf>,
    /// Write a sample grid from fixed noise after every epoch into this directory, and the
    /// loss curve as loss.png.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Write the loss curve (per epoch) to this picture (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub loss_plot: Option<PathBuf>,
    /// Where to train: `cpu`, or `cuda` in a build with the `cuda` feature.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl TrainFlags {
    /// Checks every output path before any work: the loss plot's extension, and that no two
    /// outputs are the same file.
    pub fn check_outputs(&self, model: &Path) -> Result<()> {
        if let Some(p) = &self.loss_plot {
            plot::check_picture_path(p).map_err(|e| usage(format!("--loss-plot: {e}")))?;
            crate::common::check_distinct(model, p)?;
            if p == model {
                return Err(usage(format!(
                    "{}: the loss plot and the model would be the same file",
                    p.display()
                )));
            }
        }
        for p in std::iter::once(model).chain(self.loss_plot.as_deref()) {
            crate::common::check_output_path(p)?;
        }
        Ok(())
    }

    /// Writes the model with its loss plots (`--snapshots DIR/loss.png`, `--loss-plot`) as one:
    /// every file is complete before any is moved into place, so a failure leaves none of them
    /// changed.
    pub fn write_outputs(
        &self,
        model: &Path,
        model_bytes: &[u8],
        report: &FitReport,
        names: (&str, &str),
        title: &str,
    ) -> Result<()> {
        let mut staged = genmodels::io::atomic::Staged::new();
        let io = |p: &Path, e: std::io::Error| anyhow::anyhow!("{}: {e}", p.display());
        staged
            .add(model, |w| w.write_all(model_bytes))
            .map_err(|e| io(model, e))?;
        let plots = self
            .snapshots
            .as_ref()
            .map(|d| d.join("loss.png"))
            .into_iter()
            .chain(self.loss_plot.clone());
        for p in plots {
            let bytes = loss_plot_bytes(&p, report, names, title)?;
            staged
                .add(&p, |w| w.write_all(&bytes))
                .map_err(|e| io(&p, e))?;
        }
        staged.commit().map_err(|e| io(model, e))
    }

    /// The library's settings, with the family's defaults where a flag is absent.
    pub fn config(&self, lr: f64, beta1: f64, beta2: f64) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr.unwrap_or(lr),
            beta1: self.beta1.unwrap_or(beta1),
            beta2: self.beta2.unwrap_or(beta2),
            weight_decay: self.weight_decay,
            grad_clip: self.grad_clip,
            patience: self.patience,
            seed: self.seed,
            dynamic_binarization: false,
        }
    }
}

/// The loss curve of a fit report.
pub fn loss_plot(path: &Path, report: &FitReport, names: (&str, &str), title: &str) -> Result<()> {
    plot::write_picture(path, &loss_plot_bytes(path, report, names, title)?)
}

/// The picture [`loss_plot`] writes, as bytes (`path` gives the format).
fn loss_plot_bytes(
    path: &Path,
    report: &FitReport,
    names: (&str, &str),
    title: &str,
) -> Result<Vec<u8>> {
    let pts = |f: &dyn Fn(&EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        report
            .epochs
            .iter()
            .filter_map(|e| f(e).map(|v| (e.epoch as f64, v)))
            .collect()
    };
    let mut series = vec![(names.0, pts(&|e| Some(e.train_loss)))];
    let second = pts(&|e| e.train_loss2);
    if !second.is_empty() {
        series.push((names.1, second));
    }
    let val = pts(&|e| e.validation);
    if !val.is_empty() {
        series.push(("validation", val));
    }
    plot::line_chart_bytes(path, title, "epoch", "loss", &series)
}

/// The images to go on training a checkpoint on must have its image size.
pub fn check_resumed_shape(
    images: &Path,
    dim: usize,
    checkpoint: &Path,
    shape: (usize, usize),
) -> Result<()> {
    if shape.0 * shape.1 != dim {
        return Err(usage(format!(
            "{}: {dim} values per image, but {} was trained on {}×{} images",
            images.display(),
            checkpoint.display(),
            shape.0,
            shape.1
        )));
    }
    Ok(())
}

/// Creates the `--snapshots` folder, if one was asked for.
pub fn create_snapshot_dir(dir: Option<&Path>) -> Result<()> {
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| usage(format!("{}: {e}", d.display())))?;
    }
    Ok(())
}

/// Parses `--arch`.
pub fn parse_arch(s: &str) -> Result<Arch> {
    match s {
        "mlp" => Ok(Arch::Mlp),
        "conv" => Ok(Arch::Conv),
        o => Err(usage(format!("--arch {o:?}: expected `mlp` or `conv`"))),
    }
}

/// A hyper-parameter error in the flags' spelling.
pub fn param_usage(e: genmodels::core::Error) -> anyhow::Error {
    match e {
        genmodels::core::Error::Param(genmodels::core::ParamError::Invalid {
            name,
            value,
            expected,
        }) => usage(format!(
            "invalid value {value} for --{}: {expected}",
            name.replace('_', "-")
        )),
        other => other.into(),
    }
}

/// The labels of `n` samples of a model conditional on `n_classes` classes (`None`:
/// unconditional): `--label L` for all, or the classes in turn; `kind` names the model in
/// errors.
pub fn sampling_labels(
    n_classes: Option<usize>,
    label: Option<&str>,
    n: usize,
    kind: &str,
) -> Result<Option<Vec<usize>>> {
    match (n_classes, label) {
        (Some(k), Some(l)) => {
            let v: usize = l
                .parse()
                .map_err(|_| usage(format!("--label {l:?}: expected a class number")))?;
            if v >= k {
                return Err(usage(format!(
                    "--label {v} is outside the trained classes 0..{}",
                    k - 1
                )));
            }
            Ok(Some(vec![v; n]))
        }
        (Some(k), None) => Ok(Some((0..n).map(|i| i % k).collect())),
        (None, Some(_)) => Err(usage(format!(
            "--label needs a conditional {kind} (fit with --labels and --conditional)"
        ))),
        (None, None) => Ok(None),
    }
}

/// `--parzen` and `--two-sample` for generated images against real ones.
pub fn sample_metrics(
    fake: &Array2<f32>,
    real: &Array2<f32>,
    a: &ScoreArgs,
    out: &OutputFlags,
    family: &str,
) -> Result<()> {
    // The generated images go through the same binarisation as the real ones, so like is
    // compared with like (a Bernoulli VAE's data space is binary; its decoder means are not).
    let binarized;
    let fake = match a.binarize {
        Some(b) => {
            binarized = b.apply(fake, a.seed ^ 0xfa_4e);
            &binarized
        }
        None => fake,
    };
    let mut res = serde_json::Map::new();
    res.insert("family".into(), json!(family));
    if a.parzen {
        // σ chosen on the first half of the real images, the estimate on the second half
        // (Goodfellow et al. chose σ on a validation set).
        let n = real.nrows();
        if n < 2 {
            return Err(usage(
                "--parzen needs at least 2 real images (σ is chosen on half of them)",
            ));
        }
        let (v, t) = (
            real.slice(ndarray::s![..n / 2, ..]).to_owned(),
            real.slice(ndarray::s![n / 2.., ..]).to_owned(),
        );
        let (sigma, _) = eval::parzen_select_sigma(fake, &v, &eval::default_sigma_grid())?;
        let ll = eval::parzen_log_likelihood(fake, &t, sigma)?;
        let mean = ll.mean().unwrap_or(f64::NAN);
        let se = ll.std(1.0) / (ll.len() as f64).sqrt();
        res.insert("mean_log_likelihood".into(), json!(mean));
        res.insert("standard_error".into(), json!(se));
        res.insert("exact".into(), json!(false));
        res.insert("method".into(), json!("parzen"));
        res.insert("sigma".into(), json!(sigma));
        res.insert("n_generated".into(), json!(fake.nrows()));
        res.insert("n_test".into(), json!(ll.len()));
        res.insert(
            "note".into(),
            json!("Parzen-window estimate: a weak metric, for comparison with the literature only"),
        );
    }
    if a.two_sample {
        let t = eval::two_sample_test(real, fake, 5, &mut neural_rng(a.seed ^ 0x2AB1E))?;
        res.insert("two_sample_accuracy".into(), json!(t.accuracy));
        res.insert("two_sample_n_test".into(), json!(t.n_test));
        let base = eval::two_sample_real_halves(real, 5, &mut neural_rng(a.seed ^ 0x4EA1))?;
        res.insert("two_sample_real_halves".into(), json!(base.accuracy));
    }
    if out.json {
        print_json(&serde_json::Value::Object(res));
    } else {
        if let Some(m) = res.get("mean_log_likelihood") {
            println!(
                "Parzen-window log-likelihood (a weak metric): {} ± {} nats per image (σ = {})",
                num(m.as_f64().unwrap_or(f64::NAN)),
                num(res["standard_error"].as_f64().unwrap_or(f64::NAN)),
                num(res["sigma"].as_f64().unwrap_or(f64::NAN))
            );
        }
        if let Some(acc) = res.get("two_sample_accuracy") {
            println!(
                "Classifier two-sample test: a fresh discriminator tells generated from real images with accuracy {:.1} % on {} held-out images (50 % = indistinguishable; between two random halves of the real images: {:.1} %)",
                acc.as_f64().unwrap_or(f64::NAN) * 100.0,
                res["two_sample_n_test"],
                res["two_sample_real_halves"].as_f64().unwrap_or(f64::NAN) * 100.0
            );
        }
    }
    Ok(())
}
