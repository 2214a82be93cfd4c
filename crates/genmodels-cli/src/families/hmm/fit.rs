//! `genmodels fit hmm`: its flags and Baum-Welch for each kind of emission.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use genmodels::core::data::Sequences;
use genmodels::core::Monitor;
use genmodels::hmm::{
    CategoricalInit, EmissionInit, GaussianInit, GmmInit, Hmm, HmmParams, MultinomialInit,
    PoissonInit, Topology,
};
use genmodels::io::{save_model, ModelFile};
use genmodels::mixture::{Components, CovarianceType};
use serde_json::json;

use crate::common::{
    check_distinct, in_file, num, print_json, usage, DataFlags, OutputFlags, Progress,
};

use crate::input::sequences::{read, Loaded};

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
