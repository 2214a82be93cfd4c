//! Restricted Boltzmann machines: images or binary vectors (Bernoulli or Gaussian visible
//! units) — `fit rbm` ([`fit`]) and the generic verbs here — and the softmax RBM recommender
//! (`--ratings user,item,rating`, [`recommender`]).

use std::path::{Path, PathBuf};

use anyhow::Result;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::neural_rng;
use genmodels::neural::rbm::{AisParams, GibbsStart, LogZ, Method, Rbm};
use ndarray::{Array2, Axis};
use serde_json::json;

use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, write_table, OutputFlags,
};
use crate::families::family::Family;
use crate::verbs::{Binarize, PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

use crate::input::images::read_for_units;
use describe::{print_epochs, visible_name};

mod describe;
mod fit;
mod recommender;

pub use fit::{fit, parse_method, FitArgs};
pub use recommender::load_recommender;

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
        let (im, _) = read_for_units(
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
