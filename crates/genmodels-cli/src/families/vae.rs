//! `genmodels fit vae`, `genmodels vae interpolate|shift`, and the generic verbs for a VAE;
//! the image, label and picture helpers the GAN shares.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::train::{EpochRecord, FitReport, TrainConfig};
use genmodels::neural::vae::{Arch, Likelihood, Vae, VaeConfig};
use genmodels::neural::{device, eval, neural_rng};
use ndarray::Array2;
use serde_json::json;

use super::Family;
use crate::common::{check_distinct, num, print_json, print_table, usage, OutputFlags, Progress};
use crate::plot;
use crate::verbs::{Binarize, PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit vae IMAGES -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit vae data/mnist/train-images-idx3-ubyte.gz --latent 20 --hidden 400 --epochs 10 -o vae.safetensors\n  genmodels fit vae mnist.gz --labels data/mnist/train-labels-idx1-ubyte.gz --conditional -o cvae.safetensors\n  genmodels fit vae mnist.gz --arch conv --snapshots snaps/ --validation test.gz --patience 3 -o vae.st\n  genmodels fit vae mnist.gz --resume vae.st --epochs 5 -o vae2.st"
)]
pub struct FitArgs {
    /// Training images: IDX (as MNIST ships, gzip'd or not), .npy, or CSV (one image per row).
    pub images: PathBuf,
    /// Where to write the model (safetensors).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Labels of the images (IDX or a one-column CSV), for `--conditional`.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// A conditional VAE: the one-hot label goes into the encoder and the decoder.
    #[arg(long, requires = "labels")]
    pub conditional: bool,
    /// Latent dimensions.
    #[arg(long, default_value_t = 20)]
    pub latent: usize,
    /// Units per hidden layer.
    #[arg(long, default_value_t = 400)]
    pub hidden: usize,
    /// Hidden layers in the encoder (the decoder mirrors them); 0 makes both linear.
    #[arg(long, default_value_t = 1)]
    pub depth: usize,
    /// Pixel likelihood: `bernoulli` (pixels in [0, 1]) or `gaussian` (learned σ per pixel).
    #[arg(long, default_value = "bernoulli")]
    pub likelihood: String,
    /// Networks: `mlp` or `conv` (two stride-2 convolutions; image sides divisible by 4).
    #[arg(long, default_value = "mlp")]
    pub arch: String,
    /// Weight of the KL term (β-VAE; 1 is the ELBO).
    #[arg(long, default_value_t = 1.0)]
    pub beta: f64,
    #[command(flatten)]
    pub train: TrainFlags,
    /// Training images above T become 1, others 0 (a binarised MNIST).
    #[arg(long, value_name = "T")]
    pub binarize: Option<f32>,
    /// Bernoulli likelihood: draw every mini-batch's pixels afresh as Bernoulli variables with
    /// the grey levels as probabilities (dynamic binarisation, Burda et al. 2015).
    #[arg(long, conflicts_with = "binarize")]
    pub dynamic_binarization: bool,
    /// Validation images: their negative ELBO is reported per epoch (and drives --patience).
    #[arg(long, value_name = "FILE")]
    pub validation: Option<PathBuf>,
    /// Labels of the validation images (conditional VAEs).
    #[arg(long, value_name = "FILE")]
    pub validation_labels: Option<PathBuf>,
}

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

/// Reads images for scoring, binarised as asked (`stochastic`: seeded by `seed`), the first
/// `limit` only when given; names the file in errors.
pub fn read_binarized(
    path: &Path,
    b: Option<Binarize>,
    limit: Option<usize>,
    seed: u64,
) -> Result<Images> {
    let mut im = Images::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    if let Some(n) = limit {
        im = im.head(n);
    }
    Ok(match b {
        None => im,
        Some(Binarize::Threshold(t)) => im.binarize(t as f32),
        Some(Binarize::Stochastic) => im
            .binarize_stochastic(&mut neural_rng(seed ^ 0xb1_5eed))
            .map_err(|e| usage(format!("{}: {e}", path.display())))?,
    })
}

/// Reads images, binarised at `t` when given; names the file in errors.
pub fn read_images(path: &Path, t: Option<f32>) -> Result<Images> {
    let im = Images::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    Ok(match t {
        Some(t) => im.binarize(t),
        None => im,
    })
}

/// Reads labels: IDX (as MNIST ships) or a CSV with one column of non-negative integers.
pub fn read_labels(path: &Path) -> Result<Vec<usize>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" || ext == "txt" {
        let t = genmodels::io::read_csv(path)?.numeric(None)?;
        if t.data.ncols() != 1 {
            return Err(usage(format!(
                "{}: labels need one column, the file has {}",
                path.display(),
                t.data.ncols()
            )));
        }
        return t
            .data
            .column(0)
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v >= 0.0 && v.fract() == 0.0 && v < 1e9 {
                    Ok(v as usize)
                } else {
                    Err(usage(format!(
                        "{}, row {}: label {v} is not a non-negative integer",
                        path.display(),
                        i + 1
                    )))
                }
            })
            .collect();
    }
    Ok(genmodels::io::idx::read_idx_labels(path)?
        .into_iter()
        .map(usize::from)
        .collect())
}

/// Labels that must match `n` images.
pub fn read_labels_for(path: &Path, n: usize, images: &Path) -> Result<Vec<usize>> {
    let l = read_labels(path)?;
    if l.len() != n {
        return Err(usage(format!(
            "{}: {} labels for {} images in {}",
            path.display(),
            l.len(),
            n,
            images.display()
        )));
    }
    Ok(l)
}

/// A library error about data, naming the file.
pub fn in_images(e: genmodels::core::Error, path: &Path) -> anyhow::Error {
    use genmodels::core::Error;
    match e {
        Error::Data(_) | Error::Param(_) => usage(format!("{}: {e}", path.display())),
        other => other.into(),
    }
}

/// Writes images as a PNG grid, or as a CSV/.npy table of pixels.
pub fn write_images(
    out: &Path,
    x: &Array2<f32>,
    shape: (usize, usize),
    columns: Option<usize>,
) -> Result<()> {
    if let Some((cols, scale)) = image_grid_layout(out, x.nrows(), shape, columns)? {
        write_png_grid(out, x.view(), shape, cols, scale)?;
        return Ok(());
    }
    let header: Vec<String> = (1..=x.ncols()).map(|i| format!("p{i}")).collect();
    crate::common::write_table(out, &header, &x.mapv(f64::from), None)
}

/// The columns and scale of the picture [`write_images`] draws of `n` images to `out` (`None`
/// for a table), checked (size, memory) before the images are computed.
pub fn image_grid_layout(
    out: &Path,
    n: usize,
    shape: (usize, usize),
    columns: Option<usize>,
) -> Result<Option<(usize, usize)>> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "png" {
        // A table: the images (f32), their f64 copy, and some text per value on the way out.
        genmodels::core::memory::check_memory(
            &format!("{n} images of {}×{} as a table", shape.0, shape.1),
            genmodels::core::memory::bytes_for(&[n, shape.0, shape.1], 4 + 8 + 20),
        )?;
        return Ok(None);
    }
    let cols = columns
        .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize)
        .max(1);
    let scale = (84 / shape.0.max(shape.1).max(1)).clamp(1, 3);
    genmodels::io::images::grid_size(n, shape, cols, scale)?;
    Ok(Some((cols, scale)))
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

fn parse_likelihood(s: &str) -> Result<Likelihood> {
    match s {
        "bernoulli" => Ok(Likelihood::Bernoulli),
        "gaussian" => Ok(Likelihood::Gaussian),
        o => Err(usage(format!(
            "--likelihood {o:?}: expected `bernoulli` or `gaussian`"
        ))),
    }
}

/// Parses `--arch`.
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

/// Runs `fit vae`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.images, &a.output)?;
    let t = &a.train;
    t.check_outputs(&a.output)?;
    if t.patience.is_some() && a.validation.is_none() {
        return Err(usage("--patience needs --validation FILE"));
    }
    let im = read_images(&a.images, a.binarize)?;
    let labels = match &a.labels {
        Some(p) => Some(read_labels_for(p, im.len(), &a.images)?),
        None => None,
    };
    if a.labels.is_some() && !a.conditional {
        return Err(usage(
            "--labels is for a conditional VAE: add --conditional",
        ));
    }
    let dev = device(&t.device, false).map_err(param_usage)?;
    let vae = match &t.resume {
        Some(p) => {
            let v = Vae::load(p, &dev)?;
            check_resumed_shape(&a.images, im.dim(), p, v.config.image_shape)?;
            v
        }
        None => {
            let n_classes = if a.conditional {
                let l = labels.as_ref().expect("clap requires --labels");
                Some(l.iter().copied().max().unwrap_or(0) + 1)
            } else {
                None
            };
            let cfg = VaeConfig {
                input_dim: im.dim(),
                image_shape: (im.height, im.width),
                latent: a.latent,
                hidden: vec![a.hidden; a.depth],
                likelihood: parse_likelihood(&a.likelihood)?,
                arch: parse_arch(&a.arch)?,
                n_classes,
                beta: a.beta,
            };
            Vae::new_on(cfg, t.seed, &dev).map_err(param_usage)?
        }
    };
    let val = match &a.validation {
        Some(p) => {
            let v = read_images(p, a.binarize)?;
            let vl = match &a.validation_labels {
                Some(lp) => Some(read_labels_for(lp, v.len(), p)?),
                None => None,
            };
            Some((v, vl))
        }
        None => None,
    };
    let train = TrainConfig {
        dynamic_binarization: a.dynamic_binarization,
        ..t.config(1e-3, 0.9, 0.999)
    };
    create_snapshot_dir(t.snapshots.as_deref())?;
    let c = vae.config.clone();
    let fixed = {
        let mut r = neural_rng(t.seed ^ 0x05A4_D1E5);
        genmodels::neural::array_from_tensor(genmodels::neural::normal_tensor(
            &mut r,
            [64, c.latent],
            &genmodels::neural::cpu(),
        ))
    };
    let snap_labels: Option<Vec<usize>> = c.n_classes.map(|k| (0..64).map(|i| i % k).collect());
    let mut progress = Progress::new(out.quiet || out.json, "VAE epochs");
    let snapshots = t.snapshots.clone();
    let mut hook = |v: &Vae, e: &EpochRecord| -> genmodels::core::Result<()> {
        if let Some(d) = &snapshots {
            let x = v.decode(&fixed, snap_labels.as_deref())?;
            let cols = c.n_classes.unwrap_or(8).min(10);
            let p = d.join(format!("epoch-{:03}.png", e.epoch));
            write_png_grid(&p, x.view(), c.image_shape, cols, 2)?;
        }
        Ok(())
    };
    let vae = vae
        .train(
            &im.pixels,
            labels.as_deref(),
            &train,
            val.as_ref().map(|(v, l)| (&v.pixels, l.as_deref())),
            &mut progress,
            &mut hook,
        )
        .map_err(|e| match e {
            genmodels::core::Error::Param(_) => param_usage(e),
            other => in_images(other, &a.images),
        })?;
    progress.finish();
    t.write_outputs(
        &a.output,
        &vae.to_bytes(&a.output)?,
        &vae.report,
        ("−ELBO (train)", ""),
        "VAE loss per epoch",
    )?;
    let last = vae.report.epochs.last().cloned();
    if out.json {
        print_json(&json!({
            "family": "vae", "n_samples": im.len(), "input_dim": c.input_dim,
            "latent": c.latent, "n_parameters": vae.n_parameters(),
            "epochs": vae.report.epochs.len(), "stopped_early": vae.report.stopped_early,
            "train_elbo": last.as_ref().map(|e| -e.train_loss),
            "validation_elbo": last.as_ref().and_then(|e| e.validation).map(|v| -v),
            "seconds": progress.seconds(), "output": a.output.display().to_string(),
        }));
    } else {
        println!(
            "Trained a VAE ({} latent, {} parameters) on {} images of {}×{} in {:.1} s",
            c.latent,
            vae.n_parameters(),
            im.len(),
            c.image_shape.0,
            c.image_shape.1,
            progress.seconds()
        );
        if let Some(e) = last {
            println!(
                "  epoch {}: ELBO {} per image{}{}",
                e.epoch,
                num(-e.train_loss),
                e.validation
                    .map(|v| format!(", validation ELBO {}", num(-v)))
                    .unwrap_or_default(),
                if vae.report.stopped_early {
                    " (stopped early)"
                } else {
                    ""
                }
            );
        }
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

/// A loaded VAE.
pub struct VaeFamily {
    vae: Vae,
    path: PathBuf,
}

/// Loads a `vae` checkpoint.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(VaeFamily {
        vae: Vae::load(path, &genmodels::neural::cpu())?,
        path: path.to_path_buf(),
    }))
}

impl VaeFamily {
    fn images(
        &self,
        path: &Path,
        b: Option<Binarize>,
        limit: Option<usize>,
        seed: u64,
    ) -> Result<Images> {
        let im = read_binarized(path, b, limit, seed)?;
        let c = &self.vae.config;
        im.check_dim(c.input_dim, c.image_shape)
            .map_err(|e| in_images(e, path))?;
        Ok(im)
    }

    fn labels(&self, p: Option<&PathBuf>, n: usize, images: &Path) -> Result<Option<Vec<usize>>> {
        match (self.vae.config.n_classes, p) {
            (Some(_), None) => Err(usage(
                "this is a conditional VAE: give the images' labels with --labels FILE",
            )),
            (Some(_), Some(p)) => {
                let l = read_labels(p)?;
                let l: Vec<usize> = l.into_iter().take(n).collect();
                if l.len() != n {
                    return Err(usage(format!(
                        "{}: {} labels for {} images in {}",
                        p.display(),
                        l.len(),
                        n,
                        images.display()
                    )));
                }
                Ok(Some(l))
            }
            (None, _) => Ok(None),
        }
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

impl Family for VaeFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let v = &self.vae;
        let c = &v.config;
        if out.json {
            print_json(&json!({
                "family": "vae", "path": self.path.display().to_string(), "config": c,
                "n_parameters": v.n_parameters(), "report": v.report,
            }));
            return Ok(());
        }
        println!("Variational autoencoder — {}", self.path.display());
        println!(
            "  {:?} networks, {}×{} images, hidden {:?}, {} latent dimensions, {:?} pixels, β = {}{}",
            c.arch,
            c.image_shape.0,
            c.image_shape.1,
            c.hidden,
            c.latent,
            c.likelihood,
            c.beta,
            c.n_classes
                .map(|k| format!(", conditional on {k} classes"))
                .unwrap_or_default()
        );
        println!("  {} parameters", v.n_parameters());
        let rows: Vec<Vec<String>> = v
            .report
            .epochs
            .iter()
            .map(|e| {
                vec![
                    e.epoch.to_string(),
                    num(-e.train_loss),
                    e.validation.map(|x| num(-x)).unwrap_or_default(),
                    format!("{:.2}", e.seconds),
                ]
            })
            .collect();
        if !rows.is_empty() {
            println!();
            print_table(
                &["epoch", "train ELBO", "validation ELBO", "seconds"].map(String::from),
                &rows,
            );
        }
        Ok(())
    }

    fn score_flags(&self) -> &'static [&'static str] {
        &["--iwae", "--parzen", "--two-sample"]
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let im = self.images(&a.data, a.binarize, a.limit, a.seed)?;
        let labels = self.labels(a.labels.as_ref(), im.len(), &a.data)?;
        let v = &self.vae;
        let mut rng = neural_rng(a.seed);
        if a.two_sample || a.parzen {
            let n = im.len();
            let gl = match (v.config.n_classes, &labels) {
                (Some(_), Some(l)) => Some(l.clone()),
                _ => None,
            };
            let fake = v
                .sample(n, gl.as_deref(), &mut rng)
                .map_err(|e| in_images(e, &a.data))?;
            return sample_metrics(&fake, &im.pixels, a, out, "vae");
        }
        let elbo = v
            .elbo(&im.pixels, labels.as_deref(), &mut rng)
            .map_err(|e| in_images(e, &a.data))?;
        let (ll, method, k) = match a.iwae {
            Some(k) => (
                v.iwae(&im.pixels, labels.as_deref(), k, &mut rng)
                    .map_err(|e| in_images(e, &a.data))?,
                "iwae",
                k,
            ),
            None => (elbo.clone(), "elbo", 1),
        };
        let mean = ll.mean().unwrap_or(f64::NAN);
        let melbo = elbo.mean().unwrap_or(f64::NAN);
        if let Some(o) = &a.output {
            let data =
                Array2::from_shape_fn((ll.len(), 2), |(i, j)| if j == 0 { ll[i] } else { elbo[i] });
            crate::common::write_table(o, &["log_likelihood".into(), "elbo".into()], &data, None)?;
        }
        if out.json {
            print_json(&json!({
                "mean_log_likelihood": mean, "exact": false, "method": method, "k": k,
                "elbo": melbo, "n_samples": ll.len(),
                "note": "a lower bound on log p(x) in nats per image (in expectation)",
            }));
        } else {
            println!(
                "{} images: mean log-likelihood ≥ {} nats ({}{}), ELBO {}",
                ll.len(),
                num(mean),
                method,
                if method == "iwae" {
                    format!(", k = {k}")
                } else {
                    String::new()
                },
                num(melbo)
            );
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if !a.encode {
            return Err(usage(
                "a VAE predicts its latent code: add --encode (latent mean and log-variance per image)",
            ));
        }
        let im = self.images(&a.data, a.binarize.map(Binarize::Threshold), None, 0)?;
        let labels = self.labels(a.labels.as_ref(), im.len(), &a.data)?;
        let (mu, lv) = self
            .vae
            .encode(&im.pixels, labels.as_deref())
            .map_err(|e| in_images(e, &a.data))?;
        let l = self.vae.config.latent;
        let header: Vec<String> = (1..=l)
            .map(|i| format!("mu{i}"))
            .chain((1..=l).map(|i| format!("logvar{i}")))
            .collect();
        let data = ndarray::concatenate(ndarray::Axis(1), &[mu.view(), lv.view()])
            .expect("same rows")
            .mapv(f64::from);
        match &a.output {
            Some(o) => {
                crate::common::write_table(o, &header, &data, None)?;
                if !out.quiet && !out.json {
                    eprintln!("wrote {}", o.display());
                }
            }
            None => {
                println!("{}", header.join(","));
                for r in data.outer_iter() {
                    let v: Vec<String> = r
                        .iter()
                        .map(|x| genmodels::io::csv::fmt_number(*x))
                        .collect();
                    println!("{}", v.join(","));
                }
            }
        }
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.given.is_some() || a.gibbs_steps.is_some() || a.truncation.is_some() {
            return Err(usage(
                "--given, --gibbs-steps and --truncation do not apply to a VAE",
            ));
        }
        if a.n == 0 {
            return Err(usage("-n must be at least 1"));
        }
        let labels = sampling_labels(self.vae.config.n_classes, a.label.as_deref(), a.n, "VAE")?;
        let x = self
            .vae
            .sample(a.n, labels.as_deref(), &mut neural_rng(a.seed))?;
        let x = match a.binarize {
            Some(t) => x.mapv(|v| if f64::from(v) > t { 1.0 } else { 0.0 }),
            None => x,
        };
        sample_out(&x, self.vae.config.image_shape, a, out)
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        match a.kind.as_str() {
            "convergence" | "loss" => loss_plot(
                &a.output,
                &self.vae.report,
                ("−ELBO (train)", ""),
                "VAE loss per epoch",
            )?,
            "model" => {
                let labels = sampling_labels(self.vae.config.n_classes, None, 64, "VAE")?;
                let x = self.vae.sample(64, labels.as_deref(), &mut neural_rng(0))?;
                write_images(&a.output, &x, self.vae.config.image_shape, Some(8))?;
            }
            o => {
                return Err(usage(format!(
                "--kind {o:?}: a VAE draws `model` (64 samples) or `convergence` (loss per epoch)"
            )))
            }
        }
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}

/// Writes sampled images (PNG grid, CSV or .npy) or prints them.
pub fn sample_out(
    x: &Array2<f32>,
    shape: (usize, usize),
    a: &SampleArgs,
    out: &OutputFlags,
) -> Result<()> {
    match &a.output {
        Some(o) => {
            write_images(o, x, shape, a.columns)?;
            if !out.quiet && !out.json {
                eprintln!("wrote {}", o.display());
            }
        }
        None => {
            let header: Vec<String> = (1..=x.ncols()).map(|i| format!("p{i}")).collect();
            println!("{}", header.join(","));
            for r in x.outer_iter() {
                let v: Vec<String> = r
                    .iter()
                    .map(|&p| genmodels::io::csv::fmt_number(f64::from(p)))
                    .collect();
                println!("{}", v.join(","));
            }
        }
    }
    Ok(())
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

/// `genmodels vae ...`: latent-space tools.
#[derive(Subcommand, Debug)]
pub enum VaeCmd {
    /// Decode the straight line between the latent codes of two images.
    Interpolate(InterpolateArgs),
    /// Move images along a latent attribute vector (mean code of one class minus another's).
    Shift(ShiftArgs),
}

/// `genmodels vae interpolate MODEL A B -o path.png`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "An image is a PNG file of one grey image of the model's size, or IMAGES#INDEX: image INDEX (0-based) of an image file.\n\nExamples:\n  genmodels vae interpolate vae.st a.png b.png --steps 10 -o path.png\n  genmodels vae interpolate vae.st t10k.gz#0 t10k.gz#1 -o path.png"
)]
pub struct InterpolateArgs {
    /// The VAE.
    pub model: PathBuf,
    /// The first image.
    pub a: String,
    /// The last image.
    pub b: String,
    /// Pictures on the path, both ends included.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// A conditional VAE decodes the path with this label.
    #[arg(long)]
    pub label: Option<usize>,
    /// The picture (.png), or .csv/.npy of the pixels.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// `genmodels vae shift MODEL IMAGES --labels L --from A --to B -o shifted.png`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "The direction is the mean latent code of the images labelled --to minus that of those labelled --from; the first --n images labelled --from are drawn (top row) and shifted (bottom row).\n\nExample:\n  genmodels vae shift vae.st t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz --from 4 --to 9 --amount 1.5 -o shifted.png"
)]
pub struct ShiftArgs {
    /// The VAE (unconditional).
    pub model: PathBuf,
    /// Images with labels, to find the direction and the images to shift.
    pub images: PathBuf,
    /// Labels of the images.
    #[arg(long)]
    pub labels: PathBuf,
    /// The class to move away from.
    #[arg(long)]
    pub from: usize,
    /// The class to move toward.
    #[arg(long)]
    pub to: usize,
    /// How far along the direction (1: the full difference of the class means).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub amount: f32,
    /// How many images to shift.
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    /// The picture (.png), or .csv/.npy of the shifted pixels.
    #[arg(short, long)]
    pub output: PathBuf,
}

fn read_one_image(spec: &str, c: &VaeConfig) -> Result<Vec<f32>> {
    if let Some((file, idx)) = spec.rsplit_once('#') {
        let i: usize = idx
            .parse()
            .map_err(|_| usage(format!("{spec}: expected IMAGES#INDEX with a number")))?;
        let im = read_images(Path::new(file), None)?;
        if i >= im.len() {
            return Err(usage(format!(
                "{spec}: index {i} but {file} holds {} images",
                im.len()
            )));
        }
        im.check_dim(c.input_dim, c.image_shape)
            .map_err(|e| in_images(e, Path::new(file)))?;
        return Ok(im.pixels.row(i).to_vec());
    }
    let path = Path::new(spec);
    let file = std::fs::File::open(path).map_err(|e| usage(format!("{spec}: {e}")))?;
    let dec = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = dec
        .read_info()
        .map_err(|e| usage(format!("{spec}: not a readable PNG ({e})")))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| usage(format!("{spec}: not a readable PNG ({e})")))?;
    let (w, h) = (info.width as usize, info.height as usize);
    if (h, w) != c.image_shape {
        return Err(usage(format!(
            "{spec}: a {h}×{w} picture, the model was trained on {}×{} images",
            c.image_shape.0, c.image_shape.1
        )));
    }
    if info.bit_depth != png::BitDepth::Eight {
        return Err(usage(format!("{spec}: only 8-bit PNGs are read")));
    }
    let ch = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(usage(format!(
                "{spec}: palette PNGs are not read; save it as grey"
            )))
        }
    };
    let bytes = &buf[..info.buffer_size()];
    Ok((0..h * w)
        .map(|p| {
            let px = &bytes[p * ch..p * ch + ch];
            let grey = if ch >= 3 {
                (f32::from(px[0]) + f32::from(px[1]) + f32::from(px[2])) / 3.0
            } else {
                f32::from(px[0])
            };
            grey / 255.0
        })
        .collect())
}

/// Runs `genmodels vae ...`.
pub fn run(cmd: &VaeCmd, out: &OutputFlags) -> Result<()> {
    match cmd {
        VaeCmd::Interpolate(a) => {
            let v = Vae::load(&a.model, &genmodels::neural::cpu())?;
            let c = &v.config;
            if c.n_classes.is_some() && a.label.is_none() {
                return Err(usage(
                    "a conditional VAE decodes the path with a class: add --label N",
                ));
            }
            image_grid_layout(&a.output, a.steps, c.image_shape, Some(a.steps))?;
            let xa = read_one_image(&a.a, c)?;
            let xb = read_one_image(&a.b, c)?;
            let path = v
                .interpolate(&xa, &xb, a.steps, a.label)
                .map_err(|e| usage(e.to_string()))?;
            write_images(&a.output, &path, c.image_shape, Some(a.steps))?;
            if !out.quiet {
                eprintln!("wrote {}", a.output.display());
            }
        }
        VaeCmd::Shift(a) => {
            let v = Vae::load(&a.model, &genmodels::neural::cpu())?;
            let c = &v.config;
            if c.n_classes.is_some() {
                return Err(usage(
                    "vae shift needs an unconditional VAE (a conditional VAE's latent space does not carry the class)",
                ));
            }
            let im = read_images(&a.images, None)?;
            im.check_dim(c.input_dim, c.image_shape)
                .map_err(|e| in_images(e, &a.images))?;
            let labels = read_labels_for(&a.labels, im.len(), &a.images)?;
            let dir = v
                .attribute_vector(&im.pixels, &labels, a.from, a.to)
                .map_err(|e| in_images(e, &a.images))?;
            let rows: Vec<usize> = (0..im.len())
                .filter(|&i| labels[i] == a.from)
                .take(a.n.max(1))
                .collect();
            let x = im.pixels.select(ndarray::Axis(0), &rows);
            let shifted = v.shift(&x, &dir, a.amount)?;
            let is_png = a
                .output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if is_png {
                let both = ndarray::concatenate(ndarray::Axis(0), &[x.view(), shifted.view()])
                    .expect("same width");
                write_images(&a.output, &both, c.image_shape, Some(rows.len()))?;
            } else {
                write_images(&a.output, &shifted, c.image_shape, None)?;
            }
            if !out.quiet {
                eprintln!(
                    "wrote {} ({} images labelled {} moved by {} × (mean code of {} − mean code of {}))",
                    a.output.display(),
                    rows.len(),
                    a.from,
                    a.amount,
                    a.to,
                    a.from
                );
            }
        }
    }
    Ok(())
}
