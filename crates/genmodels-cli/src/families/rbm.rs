//! `genmodels fit rbm` and the generic verbs for restricted Boltzmann machines: images or
//! binary vectors (Bernoulli or Gaussian visible units), and the softmax RBM recommender
//! (`--ratings user,item,rating`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::neural_rng;
use genmodels::neural::rbm::recommend::{Ratings, Recommender, RecommenderParams, Source};
use genmodels::neural::rbm::{
    AisParams, GibbsStart, LogZ, LrSchedule, Method, Rbm, RbmParams, Visible,
};
use ndarray::{Array2, Axis};
use serde_json::json;

use super::Family;
use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, write_table, OutputFlags,
    Progress,
};
use crate::verbs::{Binarize, PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

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

pub(crate) fn parse_method(s: &str) -> Result<Method> {
    match s {
        "cd" => Ok(Method::Cd),
        "pcd" => Ok(Method::Pcd),
        _ => Err(usage(format!("--method {s:?}: expected cd or pcd"))),
    }
}

fn parse_visible(s: &str) -> Result<Visible> {
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

fn parse_schedule(s: &str) -> Result<LrSchedule> {
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

/// Reads images, keeps the first `limit`, binarises as asked (`T` or `stochastic`), and
/// checks them for the visible units. Returns the images and a description of the
/// binarisation.
fn read_images(
    path: &Path,
    binarize: Option<&str>,
    limit: Option<usize>,
    seed: u64,
    visible: Visible,
    trained_binarization: Option<&str>,
) -> Result<(Images, String)> {
    let mut im = Images::read(path).map_err(|e| in_file(e, path, &[]))?;
    if let Some(n) = limit {
        if n == 0 {
            return Err(usage("--limit 0: at least one row is needed"));
        }
        im = im.head(n);
    }
    let desc = match binarize {
        None => "none".to_string(),
        Some("stochastic") => {
            im = im
                .binarize_stochastic(&mut neural_rng(seed ^ 0xb1_5eed))
                .map_err(|e| in_file(e, path, &[]))?;
            format!("stochastic (seed {seed})")
        }
        Some(t) => {
            let t: f32 = t.parse().map_err(|_| {
                usage(format!(
                    "--binarize {t:?}: expected a threshold (a number) or `stochastic`"
                ))
            })?;
            if !t.is_finite() {
                return Err(usage(format!(
                    "--binarize {t}: the threshold must be finite"
                )));
            }
            im = im.binarize(t);
            format!("threshold {t}")
        }
    };
    if visible == Visible::Bernoulli {
        if let Err(e) = im.check_binary() {
            let hint = match trained_binarization {
                Some(b) if b.starts_with("threshold ") => {
                    format!(
                        " (the model was trained on data binarised with --binarize {})",
                        &b[10..]
                    )
                }
                _ => String::new(),
            };
            return Err(usage(format!("{}{hint}", in_file(e, path, &[]))));
        }
    }
    Ok((im, desc))
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
    let (data, desc) = read_images(
        &a.data,
        a.binarize.as_deref(),
        a.limit,
        a.seed,
        visible,
        None,
    )?;
    let validation = match &a.validation {
        Some(p) => {
            let (v, _) = read_images(p, a.binarize.as_deref(), None, a.seed ^ 1, visible, None)?;
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

fn visible_name(v: Visible) -> &'static str {
    match v {
        Visible::Bernoulli => "binary",
        Visible::Gaussian {
            learn_variance: true,
        } => "Gaussian (learned variances)",
        Visible::Gaussian {
            learn_variance: false,
        } => "Gaussian (fixed variances)",
    }
}

fn print_epochs(epochs: &[genmodels::neural::rbm::EpochStats]) {
    let step = epochs.len().div_ceil(10).max(1);
    let rows: Vec<Vec<String>> = epochs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i + 1 == epochs.len())
        .map(|(_, e)| {
            vec![
                e.epoch.to_string(),
                num(e.learning_rate),
                num(e.reconstruction_error),
                e.pseudo_likelihood.map(num).unwrap_or_else(|| "—".into()),
                e.validation_log_likelihood
                    .map(num)
                    .unwrap_or_else(|| "—".into()),
                format!("{:.2} s", e.seconds),
            ]
        })
        .collect();
    print_table(
        &[
            "epoch",
            "lr",
            "recon. error",
            "pseudo-LL",
            "valid. LL (AIS)",
            "time",
        ]
        .map(String::from),
        &rows,
    );
}

// ---------------------------------------------------------------------------------------------
// Image / vector RBMs
// ---------------------------------------------------------------------------------------------

/// A loaded RBM.
pub struct RbmFamily {
    model: Rbm,
    path: PathBuf,
}

/// Loads an `rbm` checkpoint.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(RbmFamily {
        model: Rbm::load(path)?,
        path: path.to_path_buf(),
    }))
}

impl RbmFamily {
    /// Images for the model, binarised as asked (`stochastic` draws seeded by `seed`).
    fn images(
        &self,
        path: &Path,
        binarize: Option<Binarize>,
        limit: Option<usize>,
        seed: u64,
    ) -> Result<Images> {
        let t = binarize.map(|b| match b {
            Binarize::Threshold(t) => t.to_string(),
            Binarize::Stochastic => "stochastic".to_string(),
        });
        let m = &self.model;
        let (im, _) = read_images(
            path,
            t.as_deref(),
            limit,
            seed,
            m.visible(),
            Some(&m.config.params.binarization),
        )?;
        im.check_dim(m.n_visible(), m.config.image_shape)
            .map_err(|e| in_file(e, path, &[]))?;
        Ok(im)
    }

    /// Pixels to [0, 1] for a picture: Gaussian units are scaled per image.
    fn displayable(&self, x: &Array2<f32>) -> Array2<f32> {
        if !self.model.is_gaussian() {
            return x.clone();
        }
        let mut y = x.clone();
        for mut row in y.axis_iter_mut(Axis(0)) {
            let lo = row
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f32::INFINITY, f32::min);
            let hi = row
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f32::NEG_INFINITY, f32::max);
            let d = (hi - lo).max(1e-12);
            row.mapv_inplace(|v| if v.is_finite() { (v - lo) / d } else { v });
        }
        y
    }

    fn write_images(&self, path: &Path, x: &Array2<f32>, columns: Option<usize>) -> Result<()> {
        let n = x.nrows();
        let cols = columns
            .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize)
            .max(1);
        let shape = self.model.config.image_shape;
        let scale = (112 / shape.0.max(shape.1).max(1)).clamp(1, 8);
        let shown = self
            .displayable(x)
            .mapv(|v| if v.is_nan() { 0.5 } else { v });
        write_png_grid(path, shown.view(), shape, cols, scale)?;
        Ok(())
    }

    fn log_z(&self, a: &ScoreArgs, quiet: bool) -> Result<LogZ> {
        let m = &self.model;
        let ais = AisParams {
            runs: a.ais_runs.unwrap_or(100),
            betas: a.ais_betas.unwrap_or(14_500),
            seed: a.seed,
        };
        let small = if m.is_gaussian() {
            m.n_hidden()
        } else {
            m.n_visible().min(m.n_hidden())
        } <= 16;
        if !small && !quiet {
            eprintln!(
                "estimating log Z by annealed importance sampling ({} runs × {} temperatures) ...",
                ais.runs, ais.betas
            );
        }
        Ok(m.log_z(None, &ais)?)
    }
}

fn is_png(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

fn write_matrix(path: Option<&Path>, prefix: &str, x: &Array2<f32>) -> Result<()> {
    let header: Vec<String> = (1..=x.ncols()).map(|j| format!("{prefix}{j}")).collect();
    let x64 = x.mapv(f64::from);
    match path {
        Some(p) => write_table(p, &header, &x64, None),
        None => {
            println!("{}", header.join(","));
            for row in x64.outer_iter() {
                let cells: Vec<String> = row
                    .iter()
                    .map(|v| genmodels::io::csv::fmt_number(*v))
                    .collect();
                println!("{}", cells.join(","));
            }
            Ok(())
        }
    }
}

impl Family for RbmFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let c = &m.config;
        if out.json {
            print_json(&json!({
                "family": "rbm", "path": self.path.display().to_string(),
                "n_visible": m.n_visible(), "n_hidden": m.n_hidden(), "visible": c.visible,
                "image_shape": [c.image_shape.0, c.image_shape.1],
                "n_parameters": m.n_parameters(), "params": c.params, "report": m.report,
            }));
            return Ok(());
        }
        let p = &c.params;
        println!("Restricted Boltzmann machine — {}", self.path.display());
        println!(
            "  {} {} visible units ({}×{} images) × {} binary hidden units, {} parameters",
            m.n_visible(),
            visible_name(m.visible()),
            c.image_shape.0,
            c.image_shape.1,
            m.n_hidden(),
            m.n_parameters()
        );
        println!(
            "  trained with {}-{}, {} epochs, batches of {}, lr {} ({:?}), momentum {}, weight decay {}, seed {}; binarisation: {}",
            if p.method == Method::Pcd { "PCD" } else { "CD" },
            p.k,
            p.epochs,
            p.batch_size,
            p.learning_rate,
            p.schedule,
            p.momentum,
            p.weight_decay,
            p.seed,
            p.binarization
        );
        if let Some(r) = &m.report {
            println!("  {} training rows, {:.2} s", r.n_samples, r.seconds);
            print_epochs(&r.epochs);
        }
        Ok(())
    }

    fn score_flags(&self) -> &'static [&'static str] {
        &["--ais-runs", "--ais-betas"]
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let im = self.images(&a.data, a.binarize, a.limit, a.seed)?;
        let t0 = std::time::Instant::now();
        let lz = self.log_z(a, out.quiet || out.json)?;
        let ll = self.model.log_likelihood_given(im.pixels.view(), &lz)?;
        let pl = if self.model.is_gaussian() {
            None
        } else {
            let p = self
                .model
                .pseudo_likelihood(im.pixels.view(), &mut neural_rng(a.seed))?;
            Some(p.mean().unwrap_or(f64::NAN))
        };
        if let Some(path) = &a.output {
            let rows = Array2::from_shape_fn((ll.len(), 1), |(i, _)| (i + 1) as f64);
            let col: Vec<String> = ll.iter().map(|v| format!("{v}")).collect();
            write_table(path, &["row".into()], &rows, Some(("log_likelihood", col)))?;
        }
        let n = ll.len();
        let total = ll.sum();
        let mean = total / n as f64;
        let (method, runs, betas) = match lz.method {
            genmodels::neural::rbm::LogZMethod::Exact => ("exact", None, None),
            genmodels::neural::rbm::LogZMethod::Ais { runs, betas } => {
                ("ais", Some(runs), Some(betas))
            }
        };
        if out.json {
            let mut v = json!({
                "n": n, "mean_log_likelihood": mean, "total_log_likelihood": total,
                "exact": lz.is_exact(), "method": method, "log_z": lz.log_z,
                "log_z_stderr": lz.stderr, "ais_runs": runs, "ais_betas": betas,
                "pseudo_likelihood": pl, "seconds": t0.elapsed().as_secs_f64(),
            });
            if let Some(p) = &a.output {
                v["output"] = json!(p.display().to_string());
            }
            print_json(&v);
        } else {
            let kind = if lz.is_exact() {
                "exact (log Z by enumeration)".to_string()
            } else {
                format!(
                    "estimate (AIS, {} runs × {} temperatures; log Z ± {})",
                    runs.unwrap_or(0),
                    betas.unwrap_or(0),
                    num(lz.stderr)
                )
            };
            print_table(
                &["rows", "mean log-likelihood", "log Z", "kind"].map(String::from),
                &[vec![
                    n.to_string(),
                    format!("{} nats", num(mean)),
                    num(lz.log_z),
                    kind,
                ]],
            );
            if let Some(pl) = pl {
                println!(
                    "pseudo-likelihood (scikit-learn's definition): {} nats",
                    num(pl)
                );
            }
            if let Some(p) = &a.output {
                eprintln!("wrote per-row log-likelihoods to {}", p.display());
            }
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.recommend.is_some() || a.user.is_some() {
            return Err(usage(
                "--recommend/--user are for recommender RBMs (fit rbm RATINGS.csv --ratings user,item,rating)",
            ));
        }
        if a.encode || a.impute || a.proba || !a.target.is_empty() {
            return Err(usage(
                "an RBM predicts its hidden units' probabilities (--features); use `sample --given` to fill in missing pixels",
            ));
        }
        if let Some(o) = &a.output {
            check_distinct(&a.data, o)?;
        }
        let im = self.images(&a.data, a.binarize.map(Binarize::Threshold), None, 0)?;
        let h = self.model.hidden_probabilities(im.pixels.view())?;
        write_matrix(a.output.as_deref(), "h", &h)?;
        if let Some(o) = &a.output {
            if !out.quiet && !out.json {
                eprintln!(
                    "wrote the hidden probabilities of {} rows ({} units) to {}",
                    h.nrows(),
                    h.ncols(),
                    o.display()
                );
            }
            if out.json {
                print_json(
                    &json!({"n": h.nrows(), "n_hidden": h.ncols(), "output": o.display().to_string()}),
                );
            }
        }
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.label.is_some() || a.truncation.is_some() {
            return Err(usage("--label/--truncation do not apply to an RBM"));
        }
        let m = &self.model;
        let mut rng = neural_rng(a.seed);
        let steps = a.gibbs_steps.unwrap_or(1000);
        let (states, means, given) = if let Some(g) = &a.given {
            let path = PathBuf::from(g);
            if !path.exists() {
                return Err(usage(format!(
                    "--given {g}: for an RBM, --given names a file of images whose missing (NaN or empty) pixels are filled in"
                )));
            }
            if let Some(o) = &a.output {
                check_distinct(&path, o)?;
            }
            let t = genmodels::io::read_matrix(&path, None)?;
            if t.data.nrows() == 0 {
                return Err(usage(format!("{}: no rows", path.display())));
            }
            let mut x = t.data.mapv(|v| v as f32);
            if let Some(th) = a.binarize {
                let th = th as f32;
                x.mapv_inplace(|v| {
                    if v.is_nan() {
                        v
                    } else if v > th {
                        1.0
                    } else {
                        0.0
                    }
                });
            }
            let s = m
                .sample_clamped(x.view(), steps, &mut rng)
                .map_err(|e| in_file(e, &path, &t.names))?;
            (s.states, s.means, Some(x))
        } else {
            let s = m.gibbs(a.n, steps, GibbsStart::Random, &mut rng)?;
            (s.states, s.means, None)
        };
        match &a.output {
            Some(o) if is_png(o) => {
                let pic = match &given {
                    // Each given image next to its completion.
                    Some(x) => {
                        let mut pairs = Array2::zeros((2 * x.nrows(), x.ncols()));
                        for i in 0..x.nrows() {
                            pairs.row_mut(2 * i).assign(&x.row(i));
                            pairs.row_mut(2 * i + 1).assign(&means.row(i));
                        }
                        pairs
                    }
                    None => means.clone(),
                };
                let cols = match (&given, a.columns) {
                    (_, Some(c)) => Some(c),
                    (Some(x), None) => Some(2 * ((x.nrows() as f64).sqrt().ceil() as usize).max(1)),
                    _ => None,
                };
                self.write_images(o, &pic, cols)?;
            }
            Some(o) => {
                // Inpainting writes the filled-in means; free sampling the visible states.
                write_matrix(Some(o), "x", if given.is_some() { &means } else { &states })?
            }
            None => write_matrix(None, "x", if given.is_some() { &means } else { &states })?,
        }
        if let Some(o) = &a.output {
            if out.json {
                print_json(
                    &json!({"n": states.nrows(), "gibbs_steps": steps, "output": o.display().to_string()}),
                );
            } else if !out.quiet {
                eprintln!(
                    "wrote {} {} after {steps} Gibbs steps to {}",
                    states.nrows(),
                    if given.is_some() {
                        "inpainted rows"
                    } else {
                        "samples"
                    },
                    o.display()
                );
            }
        }
        Ok(())
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        if a.kind != "model" && a.kind != "filters" {
            return Err(usage(format!(
                "--kind {}: an RBM draws its filters (--kind filters, the default)",
                a.kind
            )));
        }
        if !is_png(&a.output) {
            return Err(usage(format!(
                "{}: the filters are drawn as a PNG grid; name the output .png",
                a.output.display()
            )));
        }
        let (w, _, _, _) = self.model.parameters();
        let n = w.ncols().min(100);
        // One picture per hidden unit: its weights, scaled to [0, 1] per filter.
        let mut f = Array2::<f32>::zeros((n, w.nrows()));
        for j in 0..n {
            let col = w.column(j);
            let lo = col.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = col.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let d = (hi - lo).max(1e-12);
            f.row_mut(j).assign(&col.mapv(|v| (v - lo) / d));
        }
        let shape = self.model.config.image_shape;
        let scale = (112 / shape.0.max(shape.1).max(1)).clamp(1, 8);
        write_png_grid(&a.output, f.view(), shape, 10, scale)?;
        if !out.quiet {
            eprintln!(
                "wrote the filters of {n} of {} hidden units to {}",
                w.ncols(),
                a.output.display()
            );
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Recommender RBMs
// ---------------------------------------------------------------------------------------------

fn split_columns(s: &str) -> Result<Vec<String>> {
    let cols: Vec<String> = s.split(',').map(|c| c.trim().to_string()).collect();
    if cols.len() != 3 || cols.iter().any(|c| c.is_empty()) {
        return Err(usage(format!(
            "--ratings {s:?}: expected the three column names USER,ITEM,RATING"
        )));
    }
    Ok(cols)
}

/// Reads `(user, item, rating)` rows; the rating column may be absent when `need_rating` is
/// false (NaN then).
fn read_ratings(
    path: &Path,
    cols: &[String],
    need_rating: bool,
) -> Result<Vec<(String, String, f64)>> {
    let t = genmodels::io::read_csv(path)?;
    let u = t.column_index(&cols[0])?;
    let i = t.column_index(&cols[1])?;
    let r = if need_rating || t.header.contains(&cols[2]) {
        Some(t.column_index(&cols[2])?)
    } else {
        None
    };
    if t.rows.is_empty() {
        return Err(usage(format!(
            "{}: the file has a header but no ratings",
            path.display()
        )));
    }
    t.rows
        .iter()
        .map(|(line, row)| {
            let v = match r {
                Some(r) => {
                    let v = genmodels::io::csv::parse_number(&row[r]).unwrap_or(f64::NAN);
                    if !v.is_finite() {
                        return Err(usage(format!(
                            "{}, line {line}, column {}: {:?} is not a rating (a finite number)",
                            path.display(),
                            cols[2],
                            row[r]
                        )));
                    }
                    v
                }
                None => f64::NAN,
            };
            Ok((row[u].trim().to_string(), row[i].trim().to_string(), v))
        })
        .collect()
}

fn fit_recommender(a: &FitArgs, cols: &str, out: &OutputFlags) -> Result<()> {
    let cols = split_columns(cols)?;
    if a.binarize.is_some()
        || a.validation.is_some()
        || a.method != "cd"
        || a.visible != "bernoulli"
    {
        return Err(usage(
            "a recommender RBM (--ratings) takes --hidden, --k, --epochs, --batch-size, --lr, --momentum, --weight-decay and --seed",
        ));
    }
    let mut rows = read_ratings(&a.data, &cols, true)?;
    if let Some(n) = a.limit {
        rows.truncate(n);
    }
    let ratings = Ratings::from_triples(&rows).map_err(|e| in_file(e, &a.data, &cols))?;
    let d = RecommenderParams::new(a.hidden);
    let params = d
        .clone()
        .k(a.k)
        .epochs(a.epochs)
        .batch_size(a.batch_size.unwrap_or(d.batch_size))
        .learning_rate(a.lr.unwrap_or(d.learning_rate))
        .momentum(a.momentum.unwrap_or(d.momentum))
        .weight_decay(a.weight_decay.unwrap_or(d.weight_decay))
        .seed(a.seed);
    let mut progress = Progress::new(out.quiet || out.json, &format!("CD-{}", a.k));
    let mut rec = params.fit_with(&ratings, &mut progress)?;
    progress.finish();
    rec.config.columns = cols;
    rec.save(&a.output)?;
    let last = rec.report.last().expect("one epoch");
    if out.json {
        print_json(&json!({
            "family": "rbm-recommender", "n_ratings": ratings.entries.len(), "n_users": ratings.users.len(),
            "n_items": ratings.items.len(), "levels": ratings.levels, "n_hidden": a.hidden,
            "epochs": rec.report.len(), "train_rmse": last.train_rmse,
            "seconds": rec.report.iter().map(|e| e.seconds).sum::<f64>(),
            "output": a.output.display().to_string(),
        }));
    } else {
        println!(
            "Fitted a recommender RBM ({} items × {} rating levels, {} hidden units) to {} ratings of {} users; training RMSE {}",
            ratings.items.len(),
            ratings.levels.len(),
            a.hidden,
            ratings.entries.len(),
            ratings.users.len(),
            num(last.train_rmse)
        );
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

/// A loaded recommender RBM.
pub struct RecommenderFamily {
    model: Recommender,
    path: PathBuf,
}

/// Loads an `rbm-recommender` checkpoint.
pub fn load_recommender(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(RecommenderFamily {
        model: Recommender::load(path)?,
        path: path.to_path_buf(),
    }))
}

impl RecommenderFamily {
    fn columns(&self, flag: Option<&[String]>) -> Result<Vec<String>> {
        match flag {
            Some(c) if c.len() == 3 => Ok(c.to_vec()),
            Some(c) => Err(usage(format!(
                "--columns {}: a recommender needs the user, item and rating columns",
                c.join(",")
            ))),
            None if self.model.config.columns.len() == 3 => Ok(self.model.config.columns.clone()),
            None => Ok(vec!["user".into(), "item".into(), "rating".into()]),
        }
    }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Rbm => "rbm",
        Source::ItemMean => "item_mean",
        Source::GlobalMean => "global_mean",
    }
}

impl Family for RecommenderFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let r = m.ratings();
        if out.json {
            print_json(&json!({
                "family": "rbm-recommender", "path": self.path.display().to_string(),
                "n_users": r.users.len(), "n_items": r.items.len(), "n_ratings": r.entries.len(),
                "levels": r.levels, "params": m.config.params, "columns": m.config.columns,
                "global_mean": m.global_mean(), "report": m.report,
            }));
            return Ok(());
        }
        println!(
            "Recommender RBM (softmax visible units) — {}",
            self.path.display()
        );
        println!(
            "  {} users, {} items, rating levels {:?}, {} training ratings (mean {})",
            r.users.len(),
            r.items.len(),
            r.levels,
            r.entries.len(),
            num(m.global_mean())
        );
        let p = &m.config.params;
        println!(
            "  {} hidden units, CD-{}, {} epochs, batches of {} users, lr {}, momentum {}, weight decay {}",
            p.n_hidden, p.k, p.epochs, p.batch_size, p.learning_rate, p.momentum, p.weight_decay
        );
        if let Some(e) = m.report.last() {
            println!(
                "  training RMSE after epoch {}: {}",
                e.epoch,
                num(e.train_rmse)
            );
        }
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let cols = self.columns(a.data_flags.columns.as_deref())?;
        let rows = read_ratings(&a.data, &cols, true)?;
        let e = self.model.evaluate_rows(&rows)?;
        if out.json {
            print_json(&json!({
                "n": e.n, "rmse": e.rmse, "rmse_global_mean": e.rmse_global_mean,
                "rmse_item_mean": e.rmse_item_mean, "n_fallback": e.n_fallback,
            }));
        } else {
            print_table(
                &[
                    "ratings",
                    "RMSE (RBM)",
                    "RMSE (global mean)",
                    "RMSE (item mean)",
                ]
                .map(String::from),
                &[vec![
                    e.n.to_string(),
                    num(e.rmse),
                    num(e.rmse_global_mean),
                    num(e.rmse_item_mean),
                ]],
            );
            if e.n_fallback > 0 && !out.quiet {
                eprintln!(
                    "note: {} ratings are of users without training ratings or unknown items: predicted by the item mean (cold start) or the global mean",
                    e.n_fallback
                );
            }
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        let cols = self.columns(a.data_flags.columns.as_deref())?;
        if a.features || a.encode || a.impute || a.proba {
            return Err(usage(
                "a recommender RBM predicts ratings (or --recommend N --user ID)",
            ));
        }
        if let Some(o) = &a.output {
            check_distinct(&a.data, o)?;
        }
        let rows = read_ratings(&a.data, &cols, false)?;
        if let Some(n) = a.recommend {
            let user = a
                .user
                .as_deref()
                .ok_or_else(|| usage("--recommend N needs --user ID"))?;
            // The user's ratings in the file add to (or update) the training ones.
            let extra: Vec<(String, f64)> = rows
                .iter()
                .filter(|(u, _, v)| u == user && v.is_finite())
                .map(|(_, i, v)| (i.clone(), *v))
                .collect();
            let recs = self.model.recommend(user, n, &extra)?;
            if recs.source != Source::Rbm && !out.quiet && !out.json {
                eprintln!(
                    "note: user {user} has no ratings in the model or in {}: recommending the items with the highest mean rating (cold start)",
                    a.data.display()
                );
            }
            if let Some(o) = &a.output {
                let data = Array2::from_shape_fn((recs.items.len(), 2), |(i, j)| {
                    if j == 0 {
                        (i + 1) as f64
                    } else {
                        recs.items[i].1
                    }
                });
                let names: Vec<String> = recs.items.iter().map(|(n, _)| n.clone()).collect();
                write_table(
                    o,
                    &["rank".into(), "predicted_rating".into()],
                    &data,
                    Some(("item", names)),
                )?;
            }
            if out.json {
                print_json(&json!({
                    "user": user, "source": source_name(recs.source),
                    "items": recs.items.iter().map(|(i, s)| json!({"item": i, "predicted_rating": s})).collect::<Vec<_>>(),
                }));
            } else if a.output.is_none() {
                let table: Vec<Vec<String>> = recs
                    .items
                    .iter()
                    .enumerate()
                    .map(|(k, (i, s))| vec![(k + 1).to_string(), i.clone(), num(*s)])
                    .collect();
                print_table(
                    &["rank", "item", "predicted rating"].map(String::from),
                    &table,
                );
            }
            return Ok(());
        }
        if a.user.is_some() {
            return Err(usage("--user goes with --recommend N"));
        }
        let preds = self.model.predict_rows(&rows)?;
        let fallback = preds.iter().filter(|p| p.source != Source::Rbm).count();
        if fallback > 0 && !out.quiet {
            eprintln!(
                "note: {fallback} of {} rows are of users without ratings or unknown items: predicted by the item mean (cold start) or the global mean (column `source`)",
                rows.len()
            );
        }
        let header = [&cols[0], &cols[1], "predicted_rating", "source"];
        let lines: Vec<Vec<String>> = rows
            .iter()
            .zip(&preds)
            .map(|((u, i, _), p)| {
                vec![
                    u.clone(),
                    i.clone(),
                    genmodels::io::csv::fmt_number(p.rating),
                    source_name(p.source).to_string(),
                ]
            })
            .collect();
        match &a.output {
            Some(o) => {
                genmodels::io::write_csv(o, &header.map(|s| s.to_string()), lines.into_iter())?
            }
            None => {
                println!("{}", header.join(","));
                for l in lines {
                    println!("{}", l.join(","));
                }
            }
        }
        Ok(())
    }

    fn sample(&self, _: &SampleArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "a recommender RBM does not draw samples; use `predict MODEL RATINGS.csv --recommend N --user ID`",
        ))
    }

    fn plot(&self, _: &PlotArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "a recommender RBM has no picture; see `info` and `score`",
        ))
    }
}
