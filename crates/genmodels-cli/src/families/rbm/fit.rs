//! `genmodels fit rbm`: its flags and the fit of an image or vector RBM.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use genmodels::neural::rbm::{AisParams, LrSchedule, Method, RbmParams, Visible};
use serde_json::json;

use crate::common::{check_distinct, in_file, print_json, usage, OutputFlags, Progress};

use super::describe::{print_epochs, visible_name};
use super::recommender::fit_recommender;
use crate::input::images::read_for_units;

/// `genmodels fit rbm DATA -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit rbm data/mnist/train-images-idx3-ubyte.gz --binarize 0.5 --hidden 500 --method pcd --epochs 20 --batch-size 100 --lr 0.01 -o rbm.safetensors\n  genmodels fit rbm data/digits.csv --visible gaussian --hidden 64 -o g.safetensors\n  genmodels fit rbm ratings.csv --ratings user,item,rating --hidden 100 -o rec.safetensors"
)]
pub struct FitArgs {
    /// Training data: images (IDX, gzip'd or not; .npy; CSV with a header, one image per row),
    /// or with --ratings a CSV of ratings.
    pub data: PathBuf,
    /// Where to write the model (safetensors).
    #[arg(short, long)]
    pub output: PathBuf,
    /// A recommender RBM from a ratings CSV: the user, item and rating columns.
    #[arg(long, value_name = "USER,ITEM,RATING")]
    pub ratings: Option<String>,
    /// Binarise the data: values above T become 1; `stochastic`: each value p in [0,1] becomes
    /// 1 with probability p (seeded).
    #[arg(long, value_name = "T|stochastic")]
    pub binarize: Option<String>,
    /// Hidden units.
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    /// Visible units: bernoulli, gaussian (learned variances) or gaussian-fixed (the data's
    /// variances).
    #[arg(long, default_value = "bernoulli")]
    pub visible: String,
    /// cd (contrastive divergence) or pcd (persistent chains).
    #[arg(long, default_value = "cd")]
    pub method: String,
    /// Gibbs steps per update.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// Passes over the data.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Rows (recommender: users) per mini-batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Momentum in [0, 1).
    #[arg(long)]
    pub momentum: Option<f64>,
    /// L2 weight decay on the weights.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule: constant, linear (to 0 after the last epoch) or exp:GAMMA.
    #[arg(long, default_value = "constant")]
    pub lr_schedule: String,
    /// PCD: persistent chains (default: the batch size).
    #[arg(long)]
    pub chains: Option<usize>,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train on the first N rows only.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Validation images: their AIS log-likelihood is reported every --ais-every epochs.
    #[arg(long, value_name = "FILE")]
    pub validation: Option<PathBuf>,
    /// Estimate the validation log-likelihood by AIS every N epochs (0 = never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub ais_every: usize,
    /// AIS runs of that monitoring.
    #[arg(long, default_value_t = 100)]
    pub ais_runs: usize,
    /// AIS temperatures of that monitoring.
    #[arg(long, default_value_t = 2000)]
    pub ais_betas: usize,
}

pub fn parse_method(s: &str) -> Result<Method> {
    match s {
        "cd" => Ok(Method::Cd),
        "pcd" => Ok(Method::Pcd),
        _ => Err(usage(format!("--method {s:?}: expected cd or pcd"))),
    }
}

pub fn parse_visible(s: &str) -> Result<Visible> {
    match s {
        "bernoulli" | "binary" => Ok(Visible::Bernoulli),
        "gaussian" => Ok(Visible::Gaussian {
            learn_variance: true,
        }),
        "gaussian-fixed" => Ok(Visible::Gaussian {
            learn_variance: false,
        }),
        _ => Err(usage(format!(
            "--visible {s:?}: expected bernoulli, gaussian or gaussian-fixed"
        ))),
    }
}

pub fn parse_schedule(s: &str) -> Result<LrSchedule> {
    match s {
        "constant" => Ok(LrSchedule::Constant),
        "linear" => Ok(LrSchedule::Linear),
        _ => {
            if let Some(g) = s.strip_prefix("exp:") {
                if let Ok(gamma) = g.parse::<f64>() {
                    return Ok(LrSchedule::Exponential { gamma });
                }
            }
            Err(usage(format!(
                "--lr-schedule {s:?}: expected constant, linear or exp:GAMMA (e.g. exp:0.95)"
            )))
        }
    }
}

/// Runs `fit rbm`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    if let Some(cols) = &a.ratings {
        return fit_recommender(a, cols, out);
    }
    let visible = parse_visible(&a.visible)?;
    let method = parse_method(&a.method)?;
    let schedule = parse_schedule(&a.lr_schedule)?;
    let (data, desc) = read_for_units(
        &a.data,
        a.binarize.as_deref(),
        a.limit,
        a.seed,
        visible,
        None,
    )?;
    let validation = match &a.validation {
        Some(p) => {
            let (v, _) = read_for_units(p, a.binarize.as_deref(), None, a.seed ^ 1, visible, None)?;
            v.check_dim(data.dim(), (data.height, data.width))
                .map_err(|e| in_file(e, p, &[]))?;
            Some(v)
        }
        None => None,
    };
    let params = RbmParams::new(a.hidden)
        .visible(visible)
        .method(method)
        .k(a.k)
        .epochs(a.epochs)
        .batch_size(a.batch_size.unwrap_or(100))
        .learning_rate(a.lr.unwrap_or(0.05))
        .momentum(a.momentum.unwrap_or(0.0))
        .weight_decay(a.weight_decay.unwrap_or(0.0))
        .schedule(schedule)
        .n_chains(a.chains)
        .seed(a.seed)
        .ais_every(a.ais_every)
        .ais(AisParams {
            runs: a.ais_runs,
            betas: a.ais_betas,
            seed: a.seed,
        })
        .binarization(desc.clone());
    let label = format!(
        "{}-{}",
        if method == Method::Pcd { "PCD" } else { "CD" },
        a.k
    );
    let mut progress = Progress::new(out.quiet || out.json, &label);
    let rbm = params
        .fit_validated(&data, validation.as_ref(), &mut progress)
        .map_err(|e| in_file(e, &a.data, &[]))?;
    progress.finish();
    rbm.save(&a.output)?;
    let r = rbm.report.clone().expect("fitted");
    let last = r.epochs.last().expect("at least one epoch");
    if out.json {
        print_json(&json!({
            "family": "rbm", "n_samples": data.len(), "n_visible": rbm.n_visible(),
            "n_hidden": rbm.n_hidden(), "visible": visible, "method": a.method, "k": a.k,
            "epochs": r.epochs.len(), "binarization": desc,
            "pseudo_likelihood": last.pseudo_likelihood,
            "reconstruction_error": last.reconstruction_error,
            "validation_log_likelihood": last.validation_log_likelihood,
            "seconds_per_epoch": r.epochs.iter().map(|e| e.seconds).sum::<f64>() / r.epochs.len() as f64,
            "seconds": r.seconds, "output": a.output.display().to_string(),
        }));
    } else {
        println!(
            "Fitted an RBM ({} {} visible × {} hidden, {label}) to {} rows in {:.2} s ({} epochs)",
            rbm.n_visible(),
            visible_name(visible),
            rbm.n_hidden(),
            data.len(),
            r.seconds,
            r.epochs.len()
        );
        print_epochs(&r.epochs);
        println!("wrote {}", a.output.display());
    }
    Ok(())
}
