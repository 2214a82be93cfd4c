//! `genmodels fit vae`: its flags and the fit.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use genmodels::io::images::write_png_grid;
use genmodels::neural::train::{EpochRecord, TrainConfig};
use genmodels::neural::vae::{Likelihood, Vae, VaeConfig};
use genmodels::neural::{device, neural_rng};
use serde_json::json;

use crate::common::{check_distinct, num, print_json, usage, OutputFlags, Progress};
use crate::input::images::{in_images, read_images};
use crate::input::labels::read_labels_for;
use crate::neural::{
    check_resumed_shape, create_snapshot_dir, param_usage, parse_arch, TrainFlags,
};

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

fn parse_likelihood(s: &str) -> Result<Likelihood> {
    match s {
        "bernoulli" => Ok(Likelihood::Bernoulli),
        "gaussian" => Ok(Likelihood::Gaussian),
        o => Err(usage(format!(
            "--likelihood {o:?}: expected `bernoulli` or `gaussian`"
        ))),
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
