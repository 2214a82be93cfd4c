//! `genmodels fit gan` and the generic verbs for a GAN.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::io::images::write_png_grid;
use genmodels::neural::gan::{Gan, GanConfig, GanLoss};
use genmodels::neural::train::EpochRecord;
use genmodels::neural::vae::Arch;
use genmodels::neural::{device, neural_rng};
use serde_json::json;

use crate::common::{check_distinct, num, print_json, print_table, usage, OutputFlags, Progress};
use crate::families::family::Family;
use crate::input::images::{in_images, read_images};
use crate::input::labels::{read_labels, read_labels_for};
use crate::neural::{loss_plot, parse_arch, sample_metrics, TrainFlags};
use crate::output::images::sample_out;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit gan IMAGES -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "The `wgan-gp` loss penalises a finite-difference directional derivative of the critic on interpolates (burn's autodiff is first-order only, so the exact gradient-norm penalty cannot be trained); see the library docs.\n\nExamples:\n  genmodels fit gan data/mnist/train-images-idx3-ubyte.gz --latent 64 --epochs 30 -o gan.safetensors\n  genmodels fit gan mnist.gz --loss wgan-gp --epochs 30 -o wgan.safetensors\n  genmodels fit gan mnist.gz --labels labels.gz --conditional --arch conv -o cgan.safetensors\n  genmodels fit gan mnist.gz --labels labels.gz --conditional --arch conv --batch-norm --ema 0.999 --label-smoothing 0.1 --lr 2e-4 --epochs 30 -o dcgan.safetensors   # the README's DCGAN (trained there in four resumed pieces)"
)]
pub struct FitArgs {
    /// Training images with pixels in [0, 1]: IDX, .npy or CSV.
    pub images: PathBuf,
    /// Where to write the model (safetensors).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Labels of the images, for `--conditional`.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// A conditional GAN: the one-hot label goes into the generator, and a learned vector per
    /// class into the discriminator's score (a projection discriminator).
    #[arg(long, requires = "labels")]
    pub conditional: bool,
    /// Dimensions of the generator's noise.
    #[arg(long, default_value_t = 64)]
    pub latent: usize,
    /// Units per hidden layer (generator and discriminator MLPs). 128 with the default
    /// learning rate trains a conditional MNIST GAN whose samples a classifier reads as the
    /// requested digit 94 % of the time after 15 epochs; 256 × 2 with Adam 2e-4 collapsed to one
    /// image within 2 epochs.
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// Hidden layers of each MLP.
    #[arg(long, default_value_t = 2)]
    pub depth: usize,
    /// Networks: `mlp` or `conv` (DCGAN-style; image sides divisible by 4).
    #[arg(long, default_value = "mlp")]
    pub arch: String,
    /// Loss: `ns` (non-saturating) or `wgan-gp` (Wasserstein with a gradient penalty).
    #[arg(long, default_value = "ns")]
    pub loss: String,
    /// Discriminator steps per generator step (default 1 for ns, 5 for wgan-gp).
    #[arg(long, value_name = "N")]
    pub n_critic: Option<usize>,
    /// Weight λ of the gradient penalty (wgan-gp).
    #[arg(long, default_value_t = 10.0)]
    pub gp_weight: f64,
    /// One-sided label smoothing (ns): the discriminator's target for real images is 1 − S.
    #[arg(long, default_value_t = 0.0, value_name = "S")]
    pub label_smoothing: f64,
    /// Dropout rate after the discriminator's hidden layers while training (ns).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub d_dropout: f64,
    /// Channels of the conv networks: the discriminator's convolutions have W and 2W, the
    /// generator's transposed convolutions 2W and W.
    #[arg(long, default_value_t = 64, value_name = "W")]
    pub conv_width: usize,
    /// Batch normalisation after each hidden layer of the generator (DCGAN).
    #[arg(long)]
    pub batch_norm: bool,
    /// Keep an exponential moving average of the generator's weights, with this decay (e.g.
    /// 0.999), and generate from it: smoother samples than the last step's generator.
    #[arg(long, default_value_t = 0.0, value_name = "DECAY")]
    pub ema: f64,
    #[command(flatten)]
    pub train: TrainFlags,
}

/// Runs `fit gan`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.images, &a.output)?;
    let t = &a.train;
    t.check_outputs(&a.output)?;
    if t.patience.is_some() {
        return Err(usage(
            "--patience needs a validation objective, which a GAN has not",
        ));
    }
    if a.labels.is_some() && !a.conditional {
        return Err(usage(
            "--labels is for a conditional GAN: add --conditional",
        ));
    }
    let im = read_images(&a.images, None)?;
    let labels = match &a.labels {
        Some(p) => Some(read_labels_for(p, im.len(), &a.images)?),
        None => None,
    };
    let loss = match a.loss.as_str() {
        "ns" => GanLoss::NonSaturating,
        "wgan-gp" | "wgan" => GanLoss::WganGp,
        o => return Err(usage(format!("--loss {o:?}: expected `ns` or `wgan-gp`"))),
    };
    let dev = device(&t.device, false).map_err(|e| usage(e.to_string()))?;
    let gan = match &t.resume {
        Some(p) => {
            let g = Gan::load(p, &dev)?;
            crate::neural::check_resumed_shape(&a.images, im.dim(), p, g.config.image_shape)?;
            g
        }
        None => {
            let cfg = GanConfig {
                input_dim: im.dim(),
                image_shape: (im.height, im.width),
                latent: a.latent,
                g_hidden: vec![a.hidden; a.depth],
                d_hidden: vec![a.hidden; a.depth],
                arch: parse_arch(&a.arch)?,
                loss,
                n_classes: labels
                    .as_ref()
                    .filter(|_| a.conditional)
                    .map(|l| l.iter().copied().max().unwrap_or(0) + 1),
                gp_weight: a.gp_weight,
                n_critic: a
                    .n_critic
                    .unwrap_or(if loss == GanLoss::WganGp { 5 } else { 1 }),
                label_smoothing: a.label_smoothing,
                d_dropout: a.d_dropout,
                conv_width: a.conv_width,
                batch_norm: a.batch_norm,
                ema: a.ema,
            };
            Gan::new_on(cfg, t.seed, &dev).map_err(crate::neural::param_usage)?
        }
    };
    let wgan = gan.config.loss == GanLoss::WganGp;
    let train = t.config(
        if wgan { 1e-4 } else { 1e-3 },
        0.5,
        if wgan { 0.9 } else { 0.999 },
    );
    crate::neural::create_snapshot_dir(t.snapshots.as_deref())?;
    let c = gan.config.clone();
    let fixed = gan.latent(64, None, &mut neural_rng(t.seed ^ 0x6A4))?;
    let snap_labels: Option<Vec<usize>> = c.n_classes.map(|k| (0..64).map(|i| i % k).collect());
    let snapshots = t.snapshots.clone();
    let mut hook = |g: &Gan, e: &EpochRecord| -> genmodels::core::Result<()> {
        if let Some(d) = &snapshots {
            let x = g.generate(&fixed, snap_labels.as_deref())?;
            let cols = c.n_classes.unwrap_or(8).min(10);
            write_png_grid(
                &d.join(format!("epoch-{:03}.png", e.epoch)),
                x.view(),
                c.image_shape,
                cols,
                2,
            )?;
        }
        Ok(())
    };
    let mut progress = Progress::new(out.quiet || out.json, "GAN epochs");
    let gan = gan
        .train(
            &im.pixels,
            labels.as_deref(),
            &train,
            &mut progress,
            &mut hook,
        )
        .map_err(|e| match e {
            genmodels::core::Error::Param(p) => usage(p.to_string()),
            other => in_images(other, &a.images),
        })?;
    progress.finish();
    t.write_outputs(
        &a.output,
        &gan.to_bytes(&a.output)?,
        &gan.report,
        ("discriminator", "generator"),
        "GAN losses per epoch",
    )?;
    let last = gan.report.epochs.last().cloned();
    let (ng, nd) = gan.n_parameters();
    if out.json {
        print_json(&json!({
            "family": "gan", "n_samples": im.len(), "input_dim": c.input_dim, "latent": c.latent,
            "loss": c.loss, "generator_parameters": ng, "discriminator_parameters": nd,
            "epochs": gan.report.epochs.len(),
            "discriminator_loss": last.as_ref().map(|e| e.train_loss),
            "generator_loss": last.as_ref().and_then(|e| e.train_loss2),
            "seconds": progress.seconds(), "output": a.output.display().to_string(),
        }));
    } else {
        println!(
            "Trained a GAN ({:?} loss, {} + {} parameters) on {} images of {}×{} in {:.1} s",
            c.loss,
            ng,
            nd,
            im.len(),
            c.image_shape.0,
            c.image_shape.1,
            progress.seconds()
        );
        if let Some(e) = last {
            println!(
                "  epoch {}: discriminator loss {}, generator loss {}",
                e.epoch,
                num(e.train_loss),
                num(e.train_loss2.unwrap_or(f64::NAN))
            );
        }
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

/// A loaded GAN.
pub struct GanFamily {
    gan: Gan,
    path: PathBuf,
}

/// Loads a `gan` checkpoint.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(GanFamily {
        gan: Gan::load(path, &genmodels::neural::cpu())?,
        path: path.to_path_buf(),
    }))
}

impl GanFamily {
    fn labels_for_sampling(&self, label: Option<&str>, n: usize) -> Result<Option<Vec<usize>>> {
        crate::neural::sampling_labels(self.gan.config.n_classes, label, n, "GAN")
    }
}

impl Family for GanFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let g = &self.gan;
        let c = &g.config;
        let (ng, nd) = g.n_parameters();
        if out.json {
            print_json(&json!({
                "family": "gan", "path": self.path.display().to_string(), "config": c,
                "generator_parameters": ng, "discriminator_parameters": nd, "report": g.report,
            }));
            return Ok(());
        }
        println!("Generative adversarial network — {}", self.path.display());
        println!(
            "  {:?} networks, {:?} loss, {}×{} images, {} latent dimensions{}",
            c.arch,
            c.loss,
            c.image_shape.0,
            c.image_shape.1,
            c.latent,
            c.n_classes
                .map(|k| format!(", conditional on {k} classes"))
                .unwrap_or_default()
        );
        println!(
            "  generator {ng} parameters{}{}, discriminator {nd}{}",
            if c.batch_norm {
                " (batch-normalised)"
            } else {
                ""
            },
            if c.ema > 0.0 {
                format!(
                    ", sampled from its weights' moving average (decay {})",
                    c.ema
                )
            } else {
                String::new()
            },
            match c.arch {
                Arch::Conv => format!(" ({} and {} channels)", c.conv_width, 2 * c.conv_width),
                Arch::Mlp => String::new(),
            }
        );
        let rows: Vec<Vec<String>> = g
            .report
            .epochs
            .iter()
            .map(|e| {
                vec![
                    e.epoch.to_string(),
                    num(e.train_loss),
                    num(e.train_loss2.unwrap_or(f64::NAN)),
                    format!("{:.2}", e.seconds),
                ]
            })
            .collect();
        if !rows.is_empty() {
            println!();
            print_table(
                &["epoch", "discriminator loss", "generator loss", "seconds"].map(String::from),
                &rows,
            );
        }
        Ok(())
    }

    fn score_flags(&self) -> &'static [&'static str] {
        &["--parzen", "--two-sample", "--truncation"]
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        if !a.parzen && !a.two_sample {
            return Err(usage(
                "a GAN is scored by samples: add --parzen (Parzen-window estimate, a weak metric) and/or --two-sample",
            ));
        }
        let im = crate::input::images::read_binarized(&a.data, a.binarize, a.limit, a.seed)?;
        let c = &self.gan.config;
        im.check_dim(c.input_dim, c.image_shape)
            .map_err(|e| in_images(e, &a.data))?;
        let labels = match (c.n_classes, &a.labels) {
            (Some(_), Some(p)) => {
                let l: Vec<usize> = read_labels(p)?.into_iter().take(im.len()).collect();
                if l.len() != im.len() {
                    return Err(usage(format!(
                        "{}: {} labels for {} images",
                        p.display(),
                        l.len(),
                        im.len()
                    )));
                }
                Some(l)
            }
            (Some(k), None) => Some((0..im.len()).map(|i| i % k).collect()),
            (None, _) => None,
        };
        // Goodfellow et al. used 10,000 generated samples for the Parzen estimate.
        let n = if a.parzen {
            10_000.max(im.len())
        } else {
            im.len()
        };
        let labels = labels.map(|l| (0..n).map(|i| l[i % l.len()]).collect::<Vec<_>>());
        let fake = self
            .gan
            .sample(n, labels.as_deref(), a.truncation, &mut neural_rng(a.seed))
            .map_err(|e| in_images(e, &a.data))?;
        sample_metrics(&fake, &im.pixels, a, out, "gan")
    }

    fn predict(&self, _a: &PredictArgs, _out: &OutputFlags) -> Result<()> {
        Err(usage(
            "a GAN has no encoder: use `genmodels sample` to generate, or a VAE for latent codes",
        ))
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.given.is_some() || a.gibbs_steps.is_some() {
            return Err(usage("--given and --gibbs-steps do not apply to a GAN"));
        }
        if a.n == 0 {
            return Err(usage("-n must be at least 1"));
        }
        let labels = self.labels_for_sampling(a.label.as_deref(), a.n)?;
        let x = self
            .gan
            .sample(
                a.n,
                labels.as_deref(),
                a.truncation,
                &mut neural_rng(a.seed),
            )
            .map_err(|e| usage(e.to_string()))?;
        let x = match a.binarize {
            Some(t) => x.mapv(|v| if f64::from(v) > t { 1.0 } else { 0.0 }),
            None => x,
        };
        sample_out(&x, self.gan.config.image_shape, a, out)
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        match a.kind.as_str() {
            "convergence" | "loss" => loss_plot(
                &a.output,
                &self.gan.report,
                ("discriminator", "generator"),
                "GAN losses per epoch",
            )?,
            "model" => {
                let labels = self.labels_for_sampling(None, 64)?;
                let x = self.gan.sample(64, labels.as_deref(), None, &mut neural_rng(0))?;
                crate::output::images::write_images(&a.output, &x, self.gan.config.image_shape, Some(8))?;
            }
            o => {
                return Err(usage(format!(
                    "--kind {o:?}: a GAN draws `model` (64 samples) or `convergence` (losses per epoch)"
                )))
            }
        }
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}
