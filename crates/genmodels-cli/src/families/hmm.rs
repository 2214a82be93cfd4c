//! `genmodels fit hmm` and what score / predict / sample / info / plot mean for hidden Markov
//! models (Gaussian, categorical and Poisson emissions).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::core::data::Sequences;
use genmodels::core::{rng_from_seed, LogLikelihood, Monitor};
use genmodels::hmm::{
    CategoricalInit, EmissionInit, GaussianInit, GaussianMixtureEmission, GmmInit, Hmm, HmmParams,
    MultinomialInit, PoissonInit, Topology,
};
use genmodels::io::{load_model, save_model, ModelFile};
use genmodels::mixture::{Components, CovarianceType};
use ndarray::{Array2, Axis};
use serde_json::json;

use super::Family;
use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, DataFlags, OutputFlags, Progress,
};
use crate::plot;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit hmm DATA -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit hmm data/sequences/markov_rgnp.csv --states 2 --emission gaussian -o rgnp.json\n  genmodels fit hmm words.csv --emission categorical --states 8 --sequence-column doc -o m.json\n  genmodels fit hmm counts.csv --emission poisson --states 3 --n-init 5 -o counts.json\n  genmodels fit hmm strokes.csv --states 5 --topology left-right --sequence-column stroke -o lr.json"
)]
pub struct FitArgs {
    /// Observations: CSV with a header row (rows in time order), or .npy (one sequence).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// A CSV column whose value names the sequence each row belongs to (rows keep file order).
    #[arg(long, value_name = "COLUMN")]
    pub sequence_column: Option<String>,
    /// Where to write the fitted model (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Number of hidden states.
    #[arg(short = 'k', long, default_value_t = 2)]
    pub states: usize,
    /// Emission family: gaussian, gmm (a Gaussian mixture per state), categorical (one column of
    /// symbols, any text), multinomial (count vectors), poisson (counts).
    #[arg(long, default_value = "gaussian")]
    pub emission: String,
    /// Gaussians per state for `--emission gmm`.
    #[arg(long, default_value_t = 2)]
    pub mixtures: usize,
    /// Covariance type of Gaussian emissions: full, tied, diag, spherical.
    #[arg(long, default_value = "full")]
    pub covariance: String,
    /// Shape of the hidden chain: ergodic or left-right (zero transitions stay zero).
    #[arg(long, default_value = "ergodic")]
    pub topology: String,
    /// Maximum Baum-Welch iterations.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Stop when the total log-likelihood gains less than this.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Added to Gaussian covariance diagonals at every step (a floor that is applied).
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    pub reg_covar: f64,
    /// Dirichlet concentration of the prior on each transition row (1 = none).
    #[arg(long, default_value_t = 1.0)]
    pub trans_prior: f64,
    /// Restarts from new initialisations; the best log-likelihood wins.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Observations read from a file, grouped into sequences.
struct Loaded {
    seqs: Sequences,
    names: Vec<String>,
    /// For each grouped row, its row in the file (0-based) and its sequence name.
    origin: Vec<(usize, String)>,
    symbols: Option<Vec<String>>,
}

/// Reads observations, grouping rows by `seq_col`. For symbol data, text is mapped to codes
/// through `vocab` (or a new sorted vocabulary when `None`).
fn read(
    path: &Path,
    columns: Option<&[String]>,
    seq_col: Option<&str>,
    symbols: bool,
    vocab: Option<&[String]>,
    model_names: Option<&[String]>,
) -> Result<Loaded> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        if seq_col.is_some() {
            return Err(usage("--sequence-column needs a CSV file"));
        }
        let t = genmodels::io::read_matrix(path, None)?;
        let n = t.data.nrows();
        return Ok(Loaded {
            seqs: Sequences::single(t.data)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?,
            names: t.names,
            origin: (0..n).map(|i| (i, "1".into())).collect(),
            symbols: None,
        });
    }
    let table = genmodels::io::read_csv(path)?;
    if table.rows.is_empty() {
        return Err(usage(format!(
            "{}: the file has a header but no data rows",
            path.display()
        )));
    }
    let seq_idx = seq_col.map(|c| table.column_index(c)).transpose()?;
    let exclude: Vec<&str> = seq_col.into_iter().collect();
    let cols = table.model_columns(columns, model_names, &exclude)?;
    let idx: Vec<usize> = cols
        .iter()
        .map(|c| table.column_index(c))
        .collect::<genmodels::core::Result<_>>()?;
    // Group rows by sequence, in order of first appearance; rows keep file order within one.
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (_, row)) in table.rows.iter().enumerate() {
        let key = seq_idx
            .map(|j| row[j].clone())
            .unwrap_or_else(|| "1".into());
        groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Vec::new()
        });
        groups.get_mut(&key).expect("inserted").push(i);
    }
    let mut origin = Vec::with_capacity(table.rows.len());
    let mut lengths = Vec::new();
    for k in &order {
        let rows = &groups[k];
        lengths.push(rows.len());
        origin.extend(rows.iter().map(|&i| (i, k.clone())));
    }
    let mut x = Array2::zeros((origin.len(), idx.len()));
    let mut new_vocab: Option<Vec<String>> = None;
    if symbols {
        if idx.len() != 1 {
            return Err(usage(format!("categorical emissions read one column of symbols; got {} columns ({}): choose one with --columns", idx.len(), cols.join(", "))));
        }
        let vocab: Vec<String> = match vocab {
            Some(v) => v.to_vec(),
            None => {
                let mut v: Vec<String> =
                    table.rows.iter().map(|(_, r)| r[idx[0]].clone()).collect();
                v.sort();
                v.dedup();
                new_vocab = Some(v.clone());
                v
            }
        };
        let code: HashMap<&str, usize> = vocab
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        for (r, (i, _)) in origin.iter().enumerate() {
            let (line, row) = &table.rows[*i];
            let sym = &row[idx[0]];
            x[[r, 0]] = *code.get(sym.as_str()).ok_or_else(|| {
                usage(format!("{}, line {line}, column {}: unknown symbol {sym:?} (the model knows {} symbols)", path.display(), cols[0], vocab.len()))
            })? as f64;
        }
        return Ok(Loaded {
            seqs: Sequences::new(x, lengths)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?,
            names: cols,
            origin,
            symbols: new_vocab.or(Some(vocab)),
        });
    }
    for (r, (i, _)) in origin.iter().enumerate() {
        let (line, row) = &table.rows[*i];
        for (j, &c) in idx.iter().enumerate() {
            x[[r, j]] = genmodels::io::csv::parse_number(&row[c]).ok_or_else(|| {
                usage(format!("{}, line {line}, column {}: {:?} is not a number (select numeric columns with --columns)", path.display(), table.header[c], row[c]))
            })?;
        }
    }
    Ok(Loaded {
        seqs: Sequences::new(x, lengths).map_err(|e| usage(format!("{}: {e}", path.display())))?,
        names: cols,
        origin,
        symbols: None,
    })
}

fn fit_one<I: EmissionInit>(
    a: &FitArgs,
    init: I,
    data: &Loaded,
    monitor: &mut dyn Monitor,
) -> Result<Hmm<I::Emission>>
where
    Hmm<I::Emission>: ModelFile,
{
    let topology = match a.topology.as_str() {
        "ergodic" => Topology::Ergodic,
        "left-right" | "left_right" | "leftright" => Topology::LeftRight,
        other => {
            return Err(usage(format!(
                "--topology {other:?}: expected ergodic or left-right"
            )))
        }
    };
    let params = HmmParams::new(a.states, init)
        .topology(topology)
        .max_iter(a.max_iter)
        .tol(a.tol)
        .trans_prior(a.trans_prior)
        .n_init(a.n_init)
        .seed(a.seed);
    let mut m = params
        .fit_with(&data.seqs, monitor)
        .map_err(|e| in_file(e, &a.data, &data.names))?;
    m.feature_names = Some(data.names.clone());
    m.symbols = data.symbols.clone();
    save_model(&m, &a.output)?;
    Ok(m)
}

/// Runs `fit hmm`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    let cols = a.data_flags.columns.as_deref();
    let seq = a.sequence_column.as_deref();
    let mut progress = Progress::new(out.quiet || out.json, "Baum-Welch");
    let report = match a.emission.as_str() {
        "gaussian" => {
            let data = read(&a.data, cols, seq, false, None, None)?;
            let cov: CovarianceType = a.covariance.parse()?;
            let init = GaussianInit {
                covariance: cov,
                reg_covar: a.reg_covar,
            };
            let m = fit_one(a, init, &data, &mut progress)?;
            summary_json(&m, &data.seqs)?
        }
        "gmm" => {
            let data = read(&a.data, cols, seq, false, None, None)?;
            let cov: CovarianceType = a.covariance.parse()?;
            let init = GmmInit {
                reg_covar: a.reg_covar,
                ..GmmInit::new(a.mixtures, cov)
            };
            let m = fit_one(a, init, &data, &mut progress)?;
            summary_json(&m, &data.seqs)?
        }
        "categorical" | "discrete" => {
            let data = read(&a.data, cols, seq, true, None, None)?;
            let n_symbols = data.symbols.as_ref().map(|s| s.len());
            let m = fit_one(a, CategoricalInit { n_symbols }, &data, &mut progress)?;
            summary_json(&m, &data.seqs)?
        }
        "multinomial" => {
            let data = read(&a.data, cols, seq, false, None, None)?;
            let m = fit_one(a, MultinomialInit::default(), &data, &mut progress)?;
            summary_json(&m, &data.seqs)?
        }
        "poisson" => {
            let data = read(&a.data, cols, seq, false, None, None)?;
            let m = fit_one(a, PoissonInit, &data, &mut progress)?;
            summary_json(&m, &data.seqs)?
        }
        other => {
            return Err(usage(format!(
                "--emission {other:?}: expected gaussian, categorical or poisson"
            )))
        }
    };
    progress.finish();
    let mut report = report;
    report["seconds"] = json!(progress.seconds());
    report["output"] = json!(a.output.display().to_string());
    if out.json {
        print_json(&report);
    } else {
        println!(
            "Fitted a {}-state HMM ({} emissions) to {} sequence{}, {} steps in all, in {:.3} s",
            report["n_states"],
            a.emission,
            report["n_sequences"],
            if report["n_sequences"] == 1 { "" } else { "s" },
            report["n_samples"],
            progress.seconds()
        );
        if let Some(lines) = report["report_lines"].as_array() {
            for l in lines {
                println!("  {}", l.as_str().unwrap_or_default());
            }
        }
        println!(
            "  total log-likelihood {}   BIC {}   AIC {}",
            num(report["log_likelihood"].as_f64().unwrap_or(f64::NAN)),
            num(report["bic"].as_f64().unwrap_or(f64::NAN)),
            num(report["aic"].as_f64().unwrap_or(f64::NAN))
        );
        println!("wrote {}", a.output.display());
    }
    if !out.quiet {
        for w in report["warnings"].as_array().into_iter().flatten() {
            eprintln!("warning: {}", w.as_str().unwrap_or_default());
        }
    }
    Ok(())
}

fn summary_json<E: Components>(m: &Hmm<E>, seqs: &Sequences) -> Result<serde_json::Value> {
    let r = m.report.clone().expect("fitted");
    let c = m.criteria(seqs)?;
    Ok(json!({
        "family": "hmm",
        "n_states": m.n_states(),
        "n_sequences": seqs.len(),
        "n_samples": seqs.x.nrows(),
        "n_iter": r.n_iter,
        "converged": r.converged,
        "log_likelihood": c.total_log_likelihood,
        "mean_log_likelihood": c.mean_log_likelihood(),
        "bic": c.bic(),
        "aic": c.aic(),
        "warnings": r.warnings,
        "report_lines": [format!(
            "{} after {} iterations; total log-likelihood {} over {} steps",
            if r.converged { "converged" } else { "NOT converged" },
            r.n_iter,
            num(r.lower_bound),
            seqs.x.nrows()
        )],
    }))
}

/// A loaded HMM of any emission family.
pub struct HmmCli<E> {
    model: Hmm<E>,
    path: PathBuf,
}

/// Loads a `genmodels/hmm-<emission>` file of any emission family.
pub fn load<E>(path: &Path) -> Result<Box<dyn Family>>
where
    E: Components + DescribeEmission + 'static,
    Hmm<E>: ModelFile,
{
    let model = load_model::<Hmm<E>>(path)?;
    if let Some(symbols) = &model.symbols {
        let n = model.emission.n_symbols();
        if n != Some(symbols.len()) {
            return Err(usage(format!(
                "{}: invalid model parameters: {} symbol names for {} symbols",
                path.display(),
                symbols.len(),
                n.map(|v| v.to_string()).unwrap_or_else(|| "no".into())
            )));
        }
    }
    Ok(Box::new(HmmCli {
        model,
        path: path.to_path_buf(),
    }))
}

/// How each emission family describes its parameters in `info`.
pub trait DescribeEmission {
    /// The vocabulary size of symbol emissions (`None` for numeric ones).
    fn n_symbols(&self) -> Option<usize> {
        None
    }
    /// One table per state or one for all: header and rows.
    fn table(
        &self,
        names: &[String],
        symbols: Option<&[String]>,
    ) -> (Vec<String>, Vec<Vec<String>>);
    /// The emission parameters as JSON.
    fn to_json(&self) -> serde_json::Value;
}

impl DescribeEmission for genmodels::mixture::GaussianComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("mean {n}")));
        h.extend(names.iter().map(|n| format!("sd {n}")));
        let rows = (0..self.means.nrows())
            .map(|k| {
                let cov = self.full_covariance(k);
                let mut r = vec![k.to_string()];
                r.extend(self.means.row(k).iter().map(|v| num(*v)));
                r.extend(cov.diag().iter().map(|v| num(v.sqrt())));
                r
            })
            .collect();
        (h, rows)
    }
    fn to_json(&self) -> serde_json::Value {
        json!({
            "covariance_type": self.covariance_type().name(),
            "means": self.means.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            "covariances": (0..self.means.nrows()).map(|k| self.full_covariance(k).outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })
    }
}

impl DescribeEmission for GaussianMixtureEmission {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let m = self.n_mix();
        let mut h = vec!["state".to_string(), "mixture".into(), "weight".into()];
        h.extend(names.iter().map(|n| format!("mean {n}")));
        h.extend(names.iter().map(|n| format!("sd {n}")));
        let rows = (0..self.components.means.nrows())
            .map(|i| {
                let cov = self.components.full_covariance(i);
                let mut r = vec![
                    (i / m).to_string(),
                    (i % m).to_string(),
                    num(self.weights[[i / m, i % m]]),
                ];
                r.extend(self.components.means.row(i).iter().map(|v| num(*v)));
                r.extend(cov.diag().iter().map(|v| num(v.sqrt())));
                r
            })
            .collect();
        (h, rows)
    }
    fn to_json(&self) -> serde_json::Value {
        json!({
            "weights": self.weights.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            "gaussians": self.components.to_json(),
        })
    }
}

impl DescribeEmission for genmodels::mixture::CategoricalComponents {
    fn n_symbols(&self) -> Option<usize> {
        Some(self.probs.ncols())
    }
    fn table(&self, _: &[String], symbols: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let v = self.probs.ncols();
        let mut h = vec!["state".to_string()];
        h.extend((0..v).map(|j| {
            format!(
                "P({})",
                symbols
                    .and_then(|s| s.get(j))
                    .cloned()
                    .unwrap_or_else(|| j.to_string())
            )
        }));
        let rows = self.probs.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|p| format!("{p:.4}")));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"probs": self.probs.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()})
    }
}

impl DescribeEmission for genmodels::mixture::MultinomialComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("P({n})")));
        let rows = self.probs.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|p| format!("{p:.4}")));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"probs": self.probs.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "n_trials": self.n_trials})
    }
}

impl DescribeEmission for genmodels::mixture::PoissonComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("rate {n}")));
        let rows = self.rates.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|v| num(*v)));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"rates": self.rates.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()})
    }
}

impl<E: Components + DescribeEmission> HmmCli<E> {
    fn names(&self) -> Vec<String> {
        self.model.feature_names.clone().unwrap_or_else(|| {
            (1..=self.model.n_features())
                .map(|j| format!("x{j}"))
                .collect()
        })
    }

    fn load(&self, path: &Path, flags: &DataFlags, seq: Option<&str>) -> Result<Loaded> {
        let names = self.names();
        let l = read(
            path,
            flags.columns.as_deref(),
            seq,
            self.model.symbols.is_some(),
            self.model.symbols.as_deref(),
            Some(&names),
        )?;
        crate::common::check_width(path, &l.names, &names)?;
        Ok(l)
    }

    fn symbol(&self, code: f64) -> String {
        match &self.model.symbols {
            Some(s) => s
                .get(code as usize)
                .cloned()
                .unwrap_or_else(|| code.to_string()),
            None => genmodels::io::csv::fmt_number(code),
        }
    }
}

impl<E: Components + DescribeEmission> Family for HmmCli<E> {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        if out.json {
            print_json(&json!({
                "family": "hmm",
                "path": self.path.display().to_string(),
                "n_states": m.n_states(),
                "features": self.names(),
                "symbols": m.symbols,
                "n_parameters": m.n_parameters(),
                "startprob": m.startprob.to_vec(),
                "transmat": m.transmat.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                "emission": m.emission.to_json(),
                "stationary": m.stationary_distribution().to_vec(),
                "expected_durations": m.expected_durations().iter().map(|d| if d.is_finite() { json!(d) } else { json!(null) }).collect::<Vec<_>>(),
                "report": m.report,
            }));
            return Ok(());
        }
        println!("Hidden Markov model — {}", self.path.display());
        println!(
            "  {} states, {} observed feature(s) ({}), {} free parameters",
            m.n_states(),
            m.n_features(),
            self.names().join(", "),
            m.n_parameters()
        );
        if let Some(r) = &m.report {
            println!(
                "  {} after {} iterations; total log-likelihood {} on {} steps",
                if r.converged {
                    "converged"
                } else {
                    "NOT converged"
                },
                r.n_iter,
                num(r.lower_bound),
                r.n_samples
            );
            for w in &r.warnings {
                println!("  warning: {w}");
            }
        }
        println!();
        let stat = m.stationary_distribution();
        let dur = m.expected_durations();
        let mut h = vec![
            "state".to_string(),
            "start".into(),
            "stationary".into(),
            "mean duration".into(),
        ];
        h.extend((0..m.n_states()).map(|j| format!("→{j}")));
        let rows: Vec<Vec<String>> = (0..m.n_states())
            .map(|i| {
                let mut r = vec![
                    i.to_string(),
                    format!("{:.4}", m.startprob[i]),
                    format!("{:.4}", stat[i]),
                    if dur[i].is_finite() {
                        format!("{:.2} steps", dur[i])
                    } else {
                        "∞".into()
                    },
                ];
                r.extend(m.transmat.row(i).iter().map(|p| format!("{p:.4}")));
                r
            })
            .collect();
        print_table(&h, &rows);
        println!();
        println!("Emissions:");
        let (h, rows) = m.emission.table(&self.names(), m.symbols.as_deref());
        print_table(&h, &rows);
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let l = self.load(&a.data, &a.data_flags, a.sequence_column.as_deref())?;
        let ll = self
            .model
            .log_likelihood(&l.seqs)
            .map_err(|e| in_file(e, &a.data, &l.names))?;
        let ids: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for (_, id) in &l.origin {
                if v.last() != Some(id) {
                    v.push(id.clone());
                }
            }
            v
        };
        if let Some(p) = &a.output {
            let rows = ids
                .iter()
                .zip(ll.iter())
                .zip(&l.seqs.lengths)
                .map(|((id, v), n)| vec![id.clone(), n.to_string(), format!("{v}")]);
            genmodels::io::write_csv(
                p,
                &["sequence".into(), "length".into(), "log_likelihood".into()],
                rows,
            )?;
        }
        let total: f64 = ll.sum();
        if out.json {
            print_json(&json!({
                "n": ll.len(),
                "n_steps": l.seqs.x.nrows(),
                "mean_log_likelihood": total / ll.len() as f64,
                "total_log_likelihood": total,
                "per_sequence": ll.to_vec(),
                "exact": true,
            }));
        } else {
            let rows: Vec<Vec<String>> = ids
                .iter()
                .zip(ll.iter())
                .zip(&l.seqs.lengths)
                .map(|((id, v), n)| vec![id.clone(), n.to_string(), format!("{} nats", num(*v))])
                .collect();
            print_table(
                &["sequence".into(), "steps".into(), "log-likelihood".into()],
                &rows,
            );
            println!(
                "total {} nats over {} sequences ({} per step), exact",
                num(total),
                ll.len(),
                num(total / l.seqs.x.nrows() as f64)
            );
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.impute {
            return Err(usage("--impute is available for Gaussian mixtures"));
        }
        let l = self.load(&a.data, &a.data_flags, a.sequence_column.as_deref())?;
        let k = self.model.n_states();
        // Results in file order.
        let n = l.seqs.x.nrows();
        let mut header = vec!["row".to_string(), "sequence".into()];
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); n];
        if a.proba {
            let p = self
                .model
                .predict_proba(&l.seqs)
                .map_err(|e| in_file(e, &a.data, &l.names))?;
            header.extend((0..k).map(|s| format!("p{s}")));
            for ((i, id), pr) in l.origin.iter().zip(p.axis_iter(Axis(0))) {
                let mut v = vec![(i + 1).to_string(), id.clone()];
                v.extend(pr.iter().map(|x| format!("{x:.6}")));
                rows[*i] = v;
            }
        } else {
            let d = self
                .model
                .decode(&l.seqs)
                .map_err(|e| in_file(e, &a.data, &l.names))?;
            header.push("state".into());
            let states: Vec<usize> = d.iter().flat_map(|(_, p)| p.iter().copied()).collect();
            for ((i, id), s) in l.origin.iter().zip(states) {
                rows[*i] = vec![(i + 1).to_string(), id.clone(), s.to_string()];
            }
        }
        if let Some(p) = &a.output {
            genmodels::io::write_csv(p, &header, rows.into_iter())?;
            if out.json {
                print_json(&json!({"n": n, "output": p.display().to_string()}));
            } else if !out.quiet {
                eprintln!("wrote {n} rows to {}", p.display());
            }
        } else if out.json {
            print_json(&json!({"n": n, "columns": header, "rows": rows}));
        } else {
            print_table(&header, &rows);
        }
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.given.is_some() {
            return Err(usage("--given is available for Gaussian mixtures"));
        }
        let s = self
            .model
            .sample_sequence(a.n, &mut rng_from_seed(a.seed))?;
        let mut header = self.names();
        header.push("state".into());
        let rows: Vec<Vec<String>> =
            s.x.outer_iter()
                .zip(&s.states)
                .map(|(r, st)| {
                    let mut v: Vec<String> = if self.model.symbols.is_some() {
                        vec![self.symbol(r[0])]
                    } else {
                        r.iter()
                            .map(|x| genmodels::io::csv::fmt_number(*x))
                            .collect()
                    };
                    v.push(st.to_string());
                    v
                })
                .collect();
        if let Some(p) = &a.output {
            genmodels::io::write_csv(p, &header, rows.into_iter())?;
            if out.json {
                print_json(&json!({"n": a.n, "output": p.display().to_string()}));
            } else if !out.quiet {
                eprintln!("wrote {} steps to {}", a.n, p.display());
            }
        } else if out.json {
            print_json(&json!({"n": a.n, "columns": header, "rows": rows}));
        } else {
            print_table(&header, &rows);
        }
        Ok(())
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        match a.kind.as_str() {
            "convergence" => {
                let r = self
                    .model
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
                    "Baum-Welch convergence",
                    "iteration",
                    "total log-likelihood",
                    &[("log-likelihood", pts)],
                )?;
            }
            "model" => {
                // The data's first feature over time with the Viterbi state of each step.
                let data = a.data.as_ref().ok_or_else(|| usage("plot an HMM with DATA to draw its decoded states, or use --kind convergence"))?;
                let l = self.load(data, &a.data_flags, None)?;
                let d = self
                    .model
                    .decode(&l.seqs)
                    .map_err(|e| in_file(e, data, &l.names))?;
                let states: Vec<usize> = d.iter().flat_map(|(_, p)| p.iter().copied()).collect();
                let mut series: Vec<(String, Vec<(f64, f64)>)> =
                    vec![(l.names[0].clone(), Vec::new())];
                for s in 0..self.model.n_states() {
                    series.push((format!("state {s}"), Vec::new()));
                }
                for (t, (v, s)) in l.seqs.x.column(0).iter().zip(&states).enumerate() {
                    series[0].1.push((t as f64, *v));
                    series[s + 1].1.push((t as f64, *v));
                }
                let s: Vec<(&str, Vec<(f64, f64)>)> = series
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.clone()))
                    .collect();
                plot::line_chart(
                    &a.output,
                    "Observations and decoded states",
                    "step",
                    &l.names[0],
                    &s,
                )?;
            }
            other => {
                return Err(usage(format!(
                    "--kind {other:?}: expected model or convergence"
                )))
            }
        }
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}
