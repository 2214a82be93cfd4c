//! `genmodels fit bernoulli` and the generic verbs for a Bernoulli mixture.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::core::{Fit, LogLikelihood};
use genmodels::io::{load_model, save_model};
use genmodels::mixture::BernoulliMixture;
use serde_json::json;

use super::mixture::{
    binarize, model_data, predict_output, print_warnings, report_lines, sample_output, score_output,
};
use crate::common::{
    check_distinct, in_file, load_data, num, print_json, print_table, usage, DataFlags,
    OutputFlags, Progress,
};
use crate::families::family::{refuse, Family};
use crate::plot;
use crate::verbs::{Binarize, PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit bernoulli DATA -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit bernoulli data/digits_binary.csv --columns $(seq -s, -f p%g 0 63) --components 10 -o digits.json\n  genmodels fit bernoulli images.npy --binarize 0.5 --components 20 --n-init 3 -o m.json"
)]
pub struct FitArgs {
    /// Training data of 0/1 values: CSV with a header row, or .npy.
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// Where to write the fitted model (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Number of components.
    #[arg(short = 'k', long, default_value_t = 2)]
    pub components: usize,
    /// Values above T become 1, others 0 (for data that is not binary yet).
    #[arg(long, value_name = "T")]
    pub binarize: Option<f64>,
    /// Maximum EM iterations per run.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less than this.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub tol: f64,
    /// Restarts from new initialisations; the best objective wins.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Runs `fit bernoulli`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    let mut table = load_data(&a.data, a.data_flags.columns.as_deref())?;
    binarize(&mut table.data, a.binarize);
    let params = BernoulliMixture::params(a.components)
        .max_iter(a.max_iter)
        .tol(a.tol)
        .n_init(a.n_init)
        .seed(a.seed);
    let mut progress = Progress::new(out.quiet || out.json, "EM");
    let mut model = params
        .fit_with(&table.data, &mut progress)
        .map_err(|e| in_file(e, &a.data, &table.names))?;
    progress.finish();
    model.feature_names = Some(table.names.clone());
    save_model(&model, &a.output)?;
    let x = table.data.view();
    let r = model.report.clone().expect("fitted");
    let c = model.criteria(x)?;
    if out.json {
        print_json(&json!({
            "family": "bernoulli-mixture", "n_samples": x.nrows(), "n_features": x.ncols(),
            "n_components": model.n_components(), "n_iter": r.n_iter, "converged": r.converged,
            "log_likelihood": c.mean_log_likelihood(), "bic": c.bic(), "aic": c.aic(),
            "seconds": progress.seconds(), "output": a.output.display().to_string(), "warnings": r.warnings,
        }));
    } else {
        println!(
            "Fitted a {}-component Bernoulli mixture to {} rows × {} features in {:.3} s",
            model.n_components(),
            x.nrows(),
            x.ncols(),
            progress.seconds()
        );
        for l in report_lines(&r) {
            println!("  {l}");
        }
        println!("  BIC {}   AIC {}", num(c.bic()), num(c.aic()));
        println!("wrote {}", a.output.display());
    }
    print_warnings(Some(&r), out);
    Ok(())
}

/// A loaded Bernoulli mixture.
pub struct Bernoulli {
    model: BernoulliMixture,
    path: PathBuf,
}

/// Loads a `genmodels/bernoulli-mixture` file.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(Bernoulli {
        model: load_model(path)?,
        path: path.to_path_buf(),
    }))
}

impl Bernoulli {
    fn names(&self) -> Vec<String> {
        self.model.feature_names_or_default()
    }

    fn data(
        &self,
        path: &Path,
        flags: &DataFlags,
        t: Option<f64>,
    ) -> Result<(ndarray::Array2<f64>, Vec<String>)> {
        model_data(path, flags, &self.names(), t)
    }
}

impl Family for Bernoulli {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        if out.json {
            print_json(&json!({
                "family": "bernoulli-mixture", "path": self.path.display().to_string(),
                "n_components": m.n_components(), "n_features": m.n_features(), "features": self.names(),
                "n_parameters": m.n_parameters(), "weights": m.weights.to_vec(),
                "means": m.components.means.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "report": m.report,
            }));
            return Ok(());
        }
        println!("Bernoulli mixture — {}", self.path.display());
        println!(
            "  {} components, {} binary features, {} free parameters",
            m.n_components(),
            m.n_features(),
            m.n_parameters()
        );
        if let Some(r) = &m.report {
            for l in report_lines(r) {
                println!("  {l}");
            }
        }
        println!();
        let rows: Vec<Vec<String>> = (0..m.n_components())
            .map(|c| {
                let p = m.components.means.row(c);
                vec![
                    c.to_string(),
                    num(m.weights[c]),
                    num(p.mean().unwrap_or(f64::NAN)),
                    p.iter().filter(|v| **v > 0.5).count().to_string(),
                ]
            })
            .collect();
        print_table(
            &["component", "weight", "mean P(x=1)", "features with P>0.5"].map(String::from),
            &rows,
        );
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let t = Binarize::threshold(a.binarize, "Bernoulli mixture")?;
        let (x, names) = self.data(&a.data, &a.data_flags, t)?;
        let ll = self
            .model
            .log_likelihood(&x)
            .map_err(|e| in_file(e, &a.data, &names))?;
        score_output(&ll, a, out)
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.impute {
            return Err(refuse("--impute"));
        }
        let (x, names) = self.data(&a.data, &a.data_flags, a.binarize)?;
        let proba = self
            .model
            .predict_proba(x.view())
            .map_err(|e| in_file(e, &a.data, &names))?;
        predict_output(&proba, a, out)
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.given.is_some() {
            return Err(refuse("--given"));
        }
        sample_output(&self.model, &self.names(), a, out)
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let d = m.n_features();
        let side = (d as f64).sqrt().round() as usize;
        if side * side != d {
            return Err(usage(format!(
                "the component means are drawn as square images; {d} features is not a square"
            )));
        }
        let imgs: Vec<Vec<f64>> = m
            .components
            .means
            .outer_iter()
            .map(|r| r.to_vec())
            .collect();
        plot::image_grid(&a.output, &imgs, side, side, imgs.len().min(10))?;
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}
