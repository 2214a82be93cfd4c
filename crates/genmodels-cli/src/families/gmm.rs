//! `genmodels fit gmm` and what score / predict / sample / info / plot mean for a Gaussian
//! mixture.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use genmodels::core::{rng_from_seed, LogLikelihood, SampleGiven};
use genmodels::io::{load_model, save_model};
use genmodels::mixture::{
    select_gaussian_mixture, CovarianceType, Criterion, GaussianMixture, InitMethod, InitParams,
};
use serde_json::json;

use super::mixture::{
    model_data, predict_output, print_warnings, report_lines, rows_output, sample_output,
    sample_rows, score_output,
};
use crate::common::{
    check_distinct, in_file, load_data, num, parse_assignments, parse_components, print_json,
    print_table, usage, DataFlags, OutputFlags, Progress,
};
use crate::families::family::Family;
use crate::plot;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit gmm DATA -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit gmm data/old_faithful.csv --columns eruptions,waiting --components 1..6 -o faithful.json\n  genmodels fit gmm big.npy --components 8 --covariance diag --n-init 5 --seed 3 -o m.json --json\n  genmodels fit gmm data.csv --components 2..5 --covariance all --criterion aic -o best.json"
)]
pub struct FitArgs {
    /// Training data: CSV with a header row, or .npy (rows are observations).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// Where to write the fitted model (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Number of components: `3`, a range `1..6` (inclusive), or a list `2,4,8`. With more
    /// than one, every K is fitted and the best by --criterion is kept.
    #[arg(short = 'k', long, default_value = "1")]
    pub components: String,
    /// Covariance type: full, tied, diag, spherical; a comma list, or `all` to select among them.
    #[arg(long, default_value = "full")]
    pub covariance: String,
    /// Criterion that picks among several candidates: bic or aic.
    #[arg(long, default_value = "bic")]
    pub criterion: String,
    /// Initialisation: kmeans (k-means++ then Lloyd), random, random-from-data.
    #[arg(long, default_value = "kmeans")]
    pub init: String,
    /// Start from these parameters: JSON {"weights": [...], "means": [[...]], "precisions": {"type": "full", "values": [...]}}.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["init", "warm_start"])]
    pub init_params: Option<PathBuf>,
    /// Continue EM from an earlier model file with the same K and covariance type.
    #[arg(long, value_name = "MODEL")]
    pub warm_start: Option<PathBuf>,
    /// Maximum EM iterations per run.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less than this.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub tol: f64,
    /// Added to the covariance diagonals: raise it if a covariance becomes singular.
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    pub reg_covar: f64,
    /// Restarts from new initialisations; the best objective wins.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random step (same seed, same model).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A CSV column of non-negative per-row sample weights.
    #[arg(long, value_name = "COLUMN")]
    pub weights_column: Option<String>,
}

fn parse_cov_types(s: &str) -> Result<Vec<CovarianceType>> {
    if s == "all" {
        return Ok(CovarianceType::ALL.to_vec());
    }
    s.split(',')
        .map(|p| Ok(p.trim().parse::<CovarianceType>()?))
        .collect()
}

/// Runs `fit gmm`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    let ks = parse_components(&a.components)?;
    let cov_types = parse_cov_types(&a.covariance)?;
    let criterion: Criterion = a.criterion.parse()?;
    let table = load_data(&a.data, a.data_flags.columns.as_deref())?;
    let weights = match &a.weights_column {
        Some(col) => {
            let t = genmodels::io::read_csv(&a.data)?;
            let w = t.numeric(Some(std::slice::from_ref(col)))?;
            Some(w.data.column(0).to_owned())
        }
        None => None,
    };
    let mut params = GaussianMixture::params(ks[0])
        .covariance(cov_types[0])
        .max_iter(a.max_iter)
        .tol(a.tol)
        .reg_covar(a.reg_covar)
        .n_init(a.n_init)
        .seed(a.seed)
        .init(a.init.parse::<InitMethod>()?);
    if let Some(p) = &a.init_params {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let init: InitParams = serde_json::from_str(&text).map_err(|e| {
            usage(format!(
                "{}: not valid initial parameters: {e}",
                p.display()
            ))
        })?;
        params = params.init_params(init);
    }
    if let Some(p) = &a.warm_start {
        let m: GaussianMixture = load_model(p)?;
        params = params.warm_start(&m);
    }
    let mut progress = Progress::new(out.quiet || out.json, "EM");
    let x = table.data.view();
    let mut model = if ks.len() == 1 && cov_types.len() == 1 {
        params
            .fit_weighted(x, weights.as_ref().map(|w| w.view()), &mut progress)
            .map_err(|e| in_file(e, &a.data, &table.names))?
    } else {
        if weights.is_some() {
            return Err(usage(
                "--weights-column is not supported together with a K or covariance grid; fit one K",
            ));
        }
        let sel = select_gaussian_mixture(&params, &ks, &cov_types, criterion, x, &mut progress)
            .map_err(|e| in_file(e, &a.data, &table.names))?;
        sel.best
    };
    progress.finish();
    let seconds = progress.seconds();
    model.feature_names = Some(table.names.clone());
    save_model(&model, &a.output)?;
    let report = model.report.clone().expect("a fitted model has a report");
    let criteria = model.criteria(x)?;
    let (bic, aic) = (criteria.bic(), criteria.aic());
    if out.json {
        print_json(&json!({
            "family": "gmm",
            "n_samples": x.nrows(),
            "n_features": x.ncols(),
            "n_components": model.n_components(),
            "covariance_type": model.covariance_type().name(),
            "n_iter": report.n_iter,
            "converged": report.converged,
            "log_likelihood": criteria.mean_log_likelihood(),
            "bic": bic,
            "aic": aic,
            "seconds": seconds,
            "output": a.output.display().to_string(),
            "warnings": report.warnings,
            "selection": report.selection,
        }));
    } else {
        println!(
            "Fitted a {}-component Gaussian mixture ({} covariance) to {} rows × {} features in {:.3} s",
            model.n_components(),
            model.covariance_type(),
            x.nrows(),
            x.ncols(),
            seconds
        );
        for l in report_lines(&report) {
            println!("  {l}");
        }
        println!("  BIC {}   AIC {}", num(bic), num(aic));
        if let Some(sel) = &report.selection {
            println!();
            print_selection(sel, criterion_of(sel, &model));
        }
        println!("wrote {}", a.output.display());
    }
    print_warnings(Some(&report), out);
    Ok(())
}

fn criterion_of(sel: &[genmodels::mixture::SelectionRow], m: &GaussianMixture) -> Option<usize> {
    sel.iter().position(|r| {
        r.n_components == m.n_components() && r.covariance_type == m.covariance_type()
    })
}

fn print_selection(sel: &[genmodels::mixture::SelectionRow], chosen: Option<usize>) {
    let rows: Vec<Vec<String>> = sel
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                r.n_components.to_string(),
                r.covariance_type.to_string(),
                r.n_parameters.to_string(),
                num(r.log_likelihood),
                num(r.bic),
                num(r.aic),
                if r.error.is_some() {
                    "failed".into()
                } else if r.converged {
                    "yes".into()
                } else {
                    "no".into()
                },
                if Some(i) == chosen {
                    "← chosen".into()
                } else if r.collapsed {
                    "collapsed (passed over)".into()
                } else {
                    r.error.clone().unwrap_or_default()
                },
            ]
        })
        .collect();
    print_table(
        &[
            "K",
            "covariance",
            "params",
            "loglik/row",
            "BIC",
            "AIC",
            "converged",
            "",
        ]
        .map(String::from),
        &rows,
    );
}

/// A loaded Gaussian mixture.
pub struct Gmm {
    model: GaussianMixture,
    path: PathBuf,
}

/// Loads a `genmodels/gmm` file.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(Gmm {
        model: load_model(path)?,
        path: path.to_path_buf(),
    }))
}

impl Gmm {
    fn names(&self) -> Vec<String> {
        self.model.feature_names_or_default()
    }

    fn data(&self, path: &Path, flags: &DataFlags) -> Result<(ndarray::Array2<f64>, Vec<String>)> {
        model_data(path, flags, &self.names(), None)
    }

    fn feature_index(&self, key: &str) -> Result<usize> {
        let names = self.names();
        if let Some(i) = names.iter().position(|n| n == key) {
            return Ok(i);
        }
        if let Ok(i) = key.parse::<usize>() {
            if (1..=names.len()).contains(&i) {
                return Ok(i - 1);
            }
        }
        if let Some(i) = key.strip_prefix('x').and_then(|s| s.parse::<usize>().ok()) {
            if (1..=names.len()).contains(&i) {
                return Ok(i - 1);
            }
        }
        Err(usage(format!(
            "unknown feature {key:?}; the model's features are: {}",
            names.join(", ")
        )))
    }
}

fn matrix_json(m: ndarray::ArrayView2<'_, f64>) -> serde_json::Value {
    json!(m.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
}

impl Family for Gmm {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let names = self.names();
        let k = m.n_components();
        let d = m.n_features();
        if out.json {
            let covs: Vec<_> = (0..k)
                .map(|c| matrix_json(m.components.full_covariance(c).view()))
                .collect();
            print_json(&json!({
                "family": "gmm",
                "path": self.path.display().to_string(),
                "n_components": k,
                "n_features": d,
                "features": names,
                "covariance_type": m.covariance_type().name(),
                "n_parameters": m.n_parameters(),
                "weights": m.weights.to_vec(),
                "means": matrix_json(m.components.means.view()),
                "covariances": covs,
                "report": m.report,
            }));
            return Ok(());
        }
        println!("Gaussian mixture — {}", self.path.display());
        println!(
            "  {k} component{}, {} covariance, {d} feature{} ({}), {} free parameters",
            if k == 1 { "" } else { "s" },
            m.covariance_type(),
            if d == 1 { "" } else { "s" },
            names.join(", "),
            m.n_parameters()
        );
        if let Some(r) = &m.report {
            for l in report_lines(r) {
                println!("  {l}");
            }
            for w in &r.warnings {
                println!("  warning: {w}");
            }
        }
        println!();
        let mut header = vec!["component".to_string(), "weight".to_string()];
        header.extend(names.iter().map(|n| format!("mean {n}")));
        let rows: Vec<Vec<String>> = (0..k)
            .map(|c| {
                let mut r = vec![c.to_string(), num(m.weights[c])];
                r.extend(m.components.means.row(c).iter().map(|v| num(*v)));
                r
            })
            .collect();
        print_table(&header, &rows);
        println!();
        println!("Covariances ({}):", m.covariance_type());
        let shown = if m.covariance_type() == CovarianceType::Tied {
            1
        } else {
            k
        };
        for c in 0..shown {
            let cov = m.components.full_covariance(c);
            let label = if m.covariance_type() == CovarianceType::Tied {
                "shared".to_string()
            } else {
                format!("component {c}")
            };
            let mut h = vec![label];
            h.extend(names.iter().cloned());
            let rows: Vec<Vec<String>> = (0..d)
                .map(|i| {
                    let mut r = vec![names[i].clone()];
                    r.extend(cov.row(i).iter().map(|v| num(*v)));
                    r
                })
                .collect();
            print_table(&h, &rows);
            println!();
        }
        if let Some(sel) = m.report.as_ref().and_then(|r| r.selection.as_ref()) {
            println!("Model selection (lower BIC/AIC is better):");
            print_selection(sel, criterion_of(sel, m));
        }
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let (x, names) = self.data(&a.data, &a.data_flags)?;
        let ll = if x.iter().any(|v| v.is_nan()) {
            self.model.marginal_log_likelihood(x.view())
        } else {
            self.model.log_likelihood(&x)
        }
        .map_err(|e| in_file(e, &a.data, &names))?;
        score_output(&ll, a, out)
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        let (x, names) = self.data(&a.data, &a.data_flags)?;
        if a.impute {
            let filled = self
                .model
                .impute(x.view())
                .map_err(|e| in_file(e, &a.data, &names))?;
            let n_missing = x.iter().filter(|v| v.is_nan()).count();
            let sa = SampleArgs {
                model: a.model.clone(),
                n: 0,
                output: a.output.clone(),
                seed: 0,
                given: None,
                label: None,
                gibbs_steps: None,
                truncation: None,
                columns: None,
                binarize: None,
            };
            if !out.quiet && !out.json {
                eprintln!("filled {n_missing} missing cells with their conditional means");
            }
            return rows_output(&filled, &self.names(), None, &sa, out);
        }
        if x.iter().any(|v| v.is_nan()) {
            return Err(usage(format!(
                "{}: some cells are empty/NaN; use --impute to fill them, or score to get their marginal likelihood",
                a.data.display()
            )));
        }
        let proba = self
            .model
            .predict_proba(x.view())
            .map_err(|e| in_file(e, &a.data, &names))?;
        predict_output(&proba, a, out)
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        let mut rng = rng_from_seed(a.seed);
        match &a.given {
            None => sample_output(&self.model, &self.names(), a, out),
            Some(g) => {
                let mut row: Vec<Option<f64>> = vec![None; self.model.n_features()];
                for (k, v) in parse_assignments(g)? {
                    let j = self.feature_index(&k)?;
                    let v: f64 = v
                        .parse()
                        .map_err(|_| usage(format!("--given {k}={v}: {v:?} is not a number")))?;
                    row[j] = Some(v);
                }
                sample_rows(&self.names(), None, a, out, |m| {
                    Ok((self.model.sample_given(row.as_slice(), m, &mut rng)?, None))
                })
            }
        }
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let title = format!(
            "{}-component Gaussian mixture ({})",
            m.n_components(),
            m.covariance_type()
        );
        match a.kind.as_str() {
            "model" | "scatter" => {
                if m.n_features() < 2 {
                    return Err(usage("a scatter plot needs a model of at least 2 features; try --kind convergence"));
                }
                let i =
                    a.x.as_deref()
                        .map(|s| self.feature_index(s))
                        .transpose()?
                        .unwrap_or(0);
                let j =
                    a.y.as_deref()
                        .map(|s| self.feature_index(s))
                        .transpose()?
                        .unwrap_or(1);
                let names = self.names();
                let means: Vec<(f64, f64)> = m
                    .components
                    .means
                    .outer_iter()
                    .map(|r| (r[i], r[j]))
                    .collect();
                let covs: Vec<[[f64; 2]; 2]> = (0..m.n_components())
                    .map(|c| {
                        let s = m.components.full_covariance(c);
                        [[s[[i, i]], s[[i, j]]], [s[[j, i]], s[[j, j]]]]
                    })
                    .collect();
                let (pts, labels) = match &a.data {
                    Some(p) => {
                        let (x, _) = self.data(p, &a.data_flags)?;
                        if x.iter().any(|v| v.is_nan()) {
                            return Err(usage(format!(
                                "{}: empty/NaN cells cannot be plotted",
                                p.display()
                            )));
                        }
                        let labels: Vec<usize> = m.predict(x.view())?.to_vec();
                        (
                            x.outer_iter().map(|r| (r[i], r[j])).collect::<Vec<_>>(),
                            labels,
                        )
                    }
                    None => (Vec::new(), Vec::new()),
                };
                let points = if pts.is_empty() {
                    None
                } else {
                    Some((pts.as_slice(), labels.as_slice()))
                };
                plot::gmm_scatter(
                    &a.output,
                    &title,
                    &names[i],
                    &names[j],
                    points,
                    &means,
                    &covs,
                    &m.weights.to_vec(),
                )?;
            }
            "selection" | "bic" => {
                let sel = m
                    .report
                    .as_ref()
                    .and_then(|r| r.selection.as_ref())
                    .ok_or_else(|| usage("this model was fitted with one K; fit with --components 1..N to get a selection table"))?;
                let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
                for t in CovarianceType::ALL {
                    let rows: Vec<_> = sel
                        .iter()
                        .filter(|r| r.covariance_type == t && r.error.is_none())
                        .collect();
                    if rows.is_empty() {
                        continue;
                    }
                    series.push((
                        format!("BIC ({t})"),
                        rows.iter()
                            .map(|r| (r.n_components as f64, r.bic))
                            .collect(),
                    ));
                    series.push((
                        format!("AIC ({t})"),
                        rows.iter()
                            .map(|r| (r.n_components as f64, r.aic))
                            .collect(),
                    ));
                }
                let s: Vec<(&str, Vec<(f64, f64)>)> = series
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.clone()))
                    .collect();
                plot::line_chart(
                    &a.output,
                    "Model selection",
                    "number of components K",
                    "criterion (lower is better)",
                    &s,
                )?;
            }
            "convergence" => {
                let r = m
                    .report
                    .as_ref()
                    .ok_or_else(|| usage("this model has no fit report"))?;
                let pts: Vec<(f64, f64)> = r
                    .lower_bounds
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ((i + 1) as f64, *v))
                    .collect();
                plot::line_chart(
                    &a.output,
                    "EM convergence",
                    "iteration",
                    "mean log-likelihood",
                    &[("objective", pts)],
                )?;
            }
            other => {
                return Err(usage(format!(
                    "--kind {other:?}: expected model, selection or convergence"
                )))
            }
        }
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}
