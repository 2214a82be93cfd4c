//! `genmodels fit bn`: structure learning (or a given graph) and the tables.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use genmodels::bayesnet::formats::{read_network, write_network};
use genmodels::bayesnet::learn::em::ParameterEm;
use genmodels::bayesnet::learn::{
    chow_liu, data_variables, fit_parameters, naive_bayes, tan, Dag, Estimator, HillClimb, Prior,
    ScoreKind,
};
use genmodels::bayesnet::DiscreteData;
use genmodels::core::{Fit, LogLikelihood, Silent};
use serde_json::json;

use crate::common::{check_distinct, num, print_json, usage, DataFlags, OutputFlags};

use super::is_network_file;
use crate::input::categorical::read_discrete;

/// `genmodels fit bn DATA -o NET.bif`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit bn alarm.csv --structure hill-climb --score bic -o learned.bif\n  genmodels fit bn alarm.csv --structure data/bayesnets/alarm.bif --prior bdeu --ess 10 -o refit.bif\n  genmodels fit bn data.csv --structure chow-liu -o tree.bif\n  genmodels fit bn records.csv --structure tan --class diagnosis -o tan.bif"
)]
pub struct FitArgs {
    /// Training data: CSV with a header row; each cell a state name (empty, NA or ? = missing).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// Where to write the network: .bif or .xmlbif.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The graph: `hill-climb` (score-based search), `chow-liu` (best tree), `tan` or
    /// `naive-bayes` (classifiers, with --class), `empty`, or a .bif/.xmlbif file whose graph
    /// (and states) are kept and whose tables are re-estimated.
    #[arg(long, default_value = "hill-climb")]
    pub structure: String,
    /// Structure score for hill climbing: bic, aic, bdeu (with --ess), k2, ll; bdeu-pgmpy and
    /// k2-pgmpy reproduce pgmpy 1.1's variants, which skip parent configurations never seen.
    #[arg(long, default_value = "bic")]
    pub score: String,
    /// Parameter estimator: mle, bdeu (with --ess), k2, dirichlet (with --alpha).
    #[arg(long, default_value = "mle")]
    pub prior: String,
    /// Equivalent sample size of the BDeu prior and score.
    #[arg(long, default_value_t = 10.0)]
    pub ess: f64,
    /// Pseudo-count of every cell for --prior dirichlet.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Most parents a node may get in hill climbing.
    #[arg(long)]
    pub max_parents: Option<usize>,
    /// Length of the tabu list in hill climbing.
    #[arg(long, default_value_t = 100)]
    pub tabu: usize,
    /// Random restarts of hill climbing (each perturbs the best graph so far).
    #[arg(long, default_value_t = 0)]
    pub restarts: usize,
    /// Edges that must be in the graph: A->B,C->D.
    #[arg(long, value_name = "A->B,...")]
    pub required: Option<String>,
    /// Edges that must not be in the graph: A->B,C->D.
    #[arg(long, value_name = "A->B,...")]
    pub forbidden: Option<String>,
    /// Root of the Chow-Liu tree (default: the first column).
    #[arg(long)]
    pub root: Option<String>,
    /// The class column, for --structure tan or naive-bayes.
    #[arg(long)]
    pub class: Option<String>,
    /// EM iterations when the data has missing cells.
    #[arg(long, default_value_t = 100)]
    pub em_iter: usize,
    /// Seed of the random restarts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

fn parse_edges(s: &Option<String>, data: &DiscreteData) -> Result<Vec<(usize, usize)>> {
    let Some(s) = s else { return Ok(Vec::new()) };
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (a, b) = p
                .split_once("->")
                .ok_or_else(|| usage(format!("expected an edge A->B, got {p:?}")))?;
            let idx = |n: &str| {
                data.column_index(n.trim()).ok_or_else(|| {
                    usage(format!(
                        "edge {p:?}: no column `{}` (the columns are: {})",
                        n.trim(),
                        data.names.join(", ")
                    ))
                })
            };
            Ok((idx(a)?, idx(b)?))
        })
        .collect()
}

fn estimator(a: &FitArgs) -> Result<Estimator> {
    Ok(match a.prior.as_str() {
        "mle" => Estimator::Mle,
        "bdeu" => Estimator::Bayes(Prior::BDeu { ess: a.ess }),
        "k2" => Estimator::Bayes(Prior::K2),
        "dirichlet" => Estimator::Bayes(Prior::Dirichlet { alpha: a.alpha }),
        other => {
            return Err(usage(format!(
                "--prior {other:?}: expected mle, bdeu, k2 or dirichlet"
            )))
        }
    })
}

fn score_kind(a: &FitArgs) -> Result<ScoreKind> {
    Ok(match a.score.as_str() {
        "bic" => ScoreKind::Bic,
        "aic" => ScoreKind::Aic,
        // The log marginal likelihoods of the textbooks; pgmpy's variants (which skip parent
        // configurations absent from the data) under their own names, for comparisons.
        "bdeu" => ScoreKind::BDeuTextbook { ess: a.ess },
        "k2" => ScoreKind::K2Textbook,
        "bdeu-pgmpy" => ScoreKind::BDeu { ess: a.ess },
        "k2-pgmpy" => ScoreKind::K2,
        "ll" | "log-likelihood" => ScoreKind::LogLikelihood,
        other => {
            return Err(usage(format!(
                "--score {other:?}: expected bic, aic, bdeu, k2, ll, bdeu-pgmpy or k2-pgmpy"
            )))
        }
    })
}

/// Runs `fit bn`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    let data = read_discrete(&a.data, a.data_flags.columns.as_deref())?;
    let est = estimator(a)?;
    let started = std::time::Instant::now();
    let given = Path::new(&a.structure);
    let (net, how) = if is_network_file(given) {
        let template = read_network(given)
            .with_context(|| format!("reading the structure {}", given.display()))?;
        let aligned = data
            .align_to(&template, false, true)
            .with_context(|| a.data.display().to_string())?;
        let net = if aligned.has_missing() {
            let alpha = match est {
                Estimator::Bayes(Prior::Dirichlet { alpha }) => alpha,
                Estimator::Bayes(Prior::K2) => 1.0,
                Estimator::Mle => 0.0,
                _ => {
                    return Err(usage(
                        "the data has missing cells, fitted by EM, which takes --prior mle, k2 or dirichlet (--alpha)",
                    ))
                }
            };
            ParameterEm::new()
                .alpha(alpha)
                .max_iter(a.em_iter)
                .fit(&template, &aligned, &mut Silent)?
                .network
        } else {
            genmodels::bayesnet::learn::refit(&template, &aligned, est)?
        };
        (
            net,
            format!("tables re-estimated on the graph of {}", given.display()),
        )
    } else {
        if data.has_missing() {
            return Err(usage(
                "structure learning needs complete rows; give a structure file (--structure net.bif) to fit tables by EM, or remove the rows with missing cells",
            ));
        }
        let class = |what: &str| -> Result<usize> {
            let c = a
                .class
                .as_deref()
                .ok_or_else(|| usage(format!("--structure {what} needs --class COLUMN")))?;
            data.column_index(c)
                .ok_or_else(|| usage(format!("--class: no column `{c}`")))
        };
        let dag: Dag = match a.structure.as_str() {
            "hill-climb" | "hc" => {
                let mut hc = HillClimb::new(score_kind(a)?)
                    .tabu_length(a.tabu)
                    .restarts(a.restarts)
                    .seed(a.seed)
                    .required(&parse_edges(&a.required, &data)?)
                    .forbidden(&parse_edges(&a.forbidden, &data)?);
                if let Some(k) = a.max_parents {
                    hc = hc.max_parents(k);
                }
                hc.fit(&data)?.dag
            }
            "chow-liu" => {
                let root = match &a.root {
                    Some(r) => Some(
                        data.column_index(r)
                            .ok_or_else(|| usage(format!("--root: no column `{r}`")))?,
                    ),
                    None => None,
                };
                chow_liu(&data, root)?
            }
            "tan" => tan(&data, class("tan")?, None)?,
            "naive-bayes" | "nb" => naive_bayes(&data, class("naive-bayes")?)?,
            "empty" => Dag::empty(data.n_columns()),
            other => {
                return Err(usage(format!(
                    "--structure {other:?}: expected hill-climb, chow-liu, tan, naive-bayes, empty, or a .bif/.xmlbif file"
                )))
            }
        };
        let variables = data_variables(&data);
        (
            fit_parameters(&variables, &dag, &data, est)?,
            format!("structure by {}", a.structure),
        )
    };
    write_network(&net, &a.output)?;
    let secs = started.elapsed().as_secs_f64();
    let ll: f64 = match net.log_likelihood(&data.align_to(&net, true, true)?) {
        Ok(v) => v.iter().sum(),
        Err(_) => f64::NAN,
    };
    let n = data.n_rows() as f64;
    let k = net.n_parameters() as f64;
    if out.json {
        print_json(&json!({
            "family": "bayesian-network", "output": a.output.display().to_string(),
            "n_rows": data.n_rows(), "n_variables": net.n_variables(), "n_edges": net.edges().len(),
            "n_parameters": net.n_parameters(), "log_likelihood": ll, "bic": -2.0 * ll + k * n.ln(),
            "seconds": secs,
        }));
    } else if !out.quiet {
        eprintln!(
            "{}: {} variables, {} edges, {} free parameters ({how}); log-likelihood {} on {} rows; BIC {} ({:.2} s)",
            a.output.display(),
            net.n_variables(),
            net.edges().len(),
            net.n_parameters(),
            num(ll),
            data.n_rows(),
            num(-2.0 * ll + k * n.ln()),
            secs
        );
    }
    Ok(())
}
