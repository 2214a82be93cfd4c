//! `genmodels fit bn`, `genmodels query`, and the generic verbs for a Bayesian network
//! (BIF / XMLBIF files).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use genmodels::bayesnet::classify::{class_code, class_of, mark_class, ClassPosterior};
use genmodels::bayesnet::data::observed_cells;
use genmodels::bayesnet::formats::{read_network, to_dot, to_svg, write_network};
use genmodels::bayesnet::inference::{
    gibbs_sampling, likelihood_weighting, mpe, rejection_sampling, Gibbs, JunctionTree,
    VariableElimination,
};
use genmodels::bayesnet::learn::em::ParameterEm;
use genmodels::bayesnet::learn::{
    chow_liu, data_variables, fit_parameters, naive_bayes, tan, Dag, Estimator, HillClimb, Prior,
    ScoreKind,
};
use genmodels::bayesnet::{BayesNet, DiscreteData, Factor};
use genmodels::core::{rng_from_seed, Fit, LogLikelihood, Sample, SampleGiven, Silent};
use genmodels::io::{read_csv, write_atomic, write_csv};
use serde_json::json;

use super::Family;
use crate::common::{
    check_distinct, num, parse_assignments, print_json, print_table, usage, DataFlags, OutputFlags,
};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// Whether a path names a network file (BIF or XMLBIF) rather than a JSON model.
pub fn is_network_file(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "bif" | "xmlbif" | "xml")
}

/// A loaded network.
pub struct BnCli {
    net: BayesNet,
    path: PathBuf,
}

/// Loads a BIF or XMLBIF file.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(BnCli {
        net: read_network(path)?,
        path: path.to_path_buf(),
    }))
}

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

/// Reads discrete data from a CSV file.
pub fn read_discrete(path: &Path, columns: Option<&[String]>) -> Result<DiscreteData> {
    let table = read_csv(path)?;
    Ok(DiscreteData::from_csv(&table, columns)?)
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

/// `genmodels query NET`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels query data/bayesnets/asia.bif --target lung --evidence smoke=yes,xray=yes\n  genmodels query alarm.bif --target HYPOVOLEMIA,LVFAILURE --evidence BP=LOW --joint\n  genmodels query alarm.bif --mpe --evidence BP=LOW\n  genmodels query alarm.bif --target BP --do CVP=HIGH\n  genmodels query alarm.bif --batch queries.csv -o answers.csv\n  genmodels query alarm.bif --target BP --evidence CVP=HIGH --method likelihood-weighting --samples 100000"
)]
pub struct QueryArgs {
    /// The network: .bif or .xmlbif.
    pub model: PathBuf,
    /// Variables to ask about, comma-separated (default with --batch: the cells left empty).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub target: Vec<String>,
    /// What is known: NAME=STATE,...
    #[arg(long, value_name = "A=a,...")]
    pub evidence: Option<String>,
    /// Interventions do(NAME=STATE): the variable is set, its causes cut.
    #[arg(long = "do", value_name = "A=a,...")]
    pub intervention: Option<String>,
    /// One table over all targets instead of one per target.
    #[arg(long)]
    pub joint: bool,
    /// The most probable explanation: the likeliest state of every unobserved variable.
    #[arg(long, conflicts_with_all = ["joint", "target"])]
    pub mpe: bool,
    /// Many queries: a CSV whose columns are variables; each row's filled cells are its
    /// evidence. Answers one row per query (with --target: P(target) columns; with --mpe: the
    /// most probable states; otherwise the posterior mode of every empty cell).
    #[arg(long, value_name = "CSV")]
    pub batch: Option<PathBuf>,
    /// Where to write the answers (CSV); default: print.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// exact (junction tree / variable elimination), rejection, likelihood-weighting, gibbs.
    #[arg(long, default_value = "exact")]
    pub method: String,
    /// Samples for the approximate methods.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Seed of the approximate methods.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// An approximate inference method.
#[derive(Clone, Copy)]
enum ApproxMethod {
    Rejection,
    LikelihoodWeighting,
    Gibbs,
}

fn approx_method(s: &str) -> Result<Option<ApproxMethod>> {
    Ok(match s {
        "exact" | "ve" | "jt" => None,
        "rejection" | "forward" | "logic" => Some(ApproxMethod::Rejection),
        "likelihood-weighting" | "lw" => Some(ApproxMethod::LikelihoodWeighting),
        "gibbs" => Some(ApproxMethod::Gibbs),
        other => {
            return Err(usage(format!(
                "--method {other:?}: expected exact, rejection, likelihood-weighting or gibbs"
            )))
        }
    })
}

/// P(class | the row's other cells) for every row of data aligned to the network (n × C), and
/// the true class codes where the class column is filled; a failing row is named.
fn class_proba(
    net: &BayesNet,
    aligned: &DiscreteData,
    class: usize,
    path: &Path,
) -> Result<(ndarray::Array2<f64>, Vec<Option<usize>>)> {
    let post = ClassPosterior::new(net, class)?;
    let n = aligned.n_rows();
    let mut proba = ndarray::Array2::zeros((n, net.cardinality(class)));
    for i in 0..n {
        let m = post
            .row(&aligned.row(i))
            .with_context(|| format!("{}, row {}", path.display(), i + 1))?;
        proba.row_mut(i).assign(&ndarray::ArrayView1::from(&m[..]));
    }
    let truth = (0..n).map(|i| class_code(aligned, class, i)).collect();
    Ok((proba, truth))
}

/// Row `i`'s filled cells as evidence, leaving out the variables in `skip`.
fn row_evidence(aligned: &DiscreteData, i: usize, skip: &[usize]) -> Vec<(usize, usize)> {
    observed_cells(&aligned.row(i))
        .filter(|(v, _)| !skip.contains(v))
        .collect()
}

/// An intervened variable is known: `do(X = x)` joins the evidence unless X is already there.
fn add_interventions(evidence: &mut Vec<(usize, usize)>, interventions: &[(usize, usize)]) {
    for &(v, s) in interventions {
        if !evidence.iter().any(|&(u, _)| u == v) {
            evidence.push((v, s));
        }
    }
}

fn names_to_vars(net: &BayesNet, names: &[String]) -> Result<Vec<usize>> {
    names.iter().map(|n| Ok(net.index_of(n.trim())?)).collect()
}

fn pairs(net: &BayesNet, s: &Option<String>) -> Result<Vec<(usize, usize)>> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => {
            let p = parse_assignments(s)?;
            Ok(net.evidence(&p)?)
        }
    }
}

/// Runs `genmodels query`.
pub fn query(a: &QueryArgs, out: &OutputFlags) -> Result<()> {
    if !is_network_file(&a.model) {
        return Err(usage(format!(
            "{}: `query` answers questions to Bayesian networks (.bif or .xmlbif files)",
            a.model.display()
        )));
    }
    let net0 = read_network(&a.model)?;
    let interventions = pairs(&net0, &a.intervention)?;
    let net = if interventions.is_empty() {
        net0
    } else {
        net0.intervene(&interventions)?
    };
    if let Some(batch) = &a.batch {
        return query_batch(&net, &interventions, batch, a, out);
    }
    let mut evidence = pairs(&net, &a.evidence)?;
    add_interventions(&mut evidence, &interventions);
    if a.mpe {
        let (assignment, log_p) = mpe(&net, &evidence)?;
        let rows: Vec<Vec<String>> = (0..net.n_variables())
            .map(|v| {
                let observed = evidence.iter().any(|&(u, _)| u == v);
                vec![
                    net.variable(v).name.clone(),
                    net.variable(v).states[assignment[v]].clone(),
                    if observed {
                        "evidence".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        if out.json {
            let map: serde_json::Map<String, serde_json::Value> =
                rows.iter().map(|r| (r[0].clone(), json!(r[1]))).collect();
            print_json(
                &json!({"mpe": map, "log_probability": log_p, "probability": log_p.exp(),
                "evidence": net.describe_evidence(&evidence)}),
            );
        } else {
            print_table(&["variable".into(), "state".into(), "given".into()], &rows);
            println!("P(assignment, evidence) = {}", num(log_p.exp()));
        }
        return Ok(());
    }
    if a.target.is_empty() {
        return Err(usage(
            "say what to ask: --target NAME[,NAME...], or --mpe, or --batch FILE",
        ));
    }
    let targets = names_to_vars(&net, &a.target)?;
    let method = approx_method(&a.method)?;
    let mut results: Vec<Factor> = Vec::new();
    let mut ess = None;
    if let Some(m) = method {
        if a.joint && targets.len() > 1 {
            return Err(usage("--joint needs --method exact"));
        }
        let mut rng = rng_from_seed(a.seed);
        let r = match m {
            ApproxMethod::Rejection => {
                rejection_sampling(&net, &targets, &evidence, a.samples, &mut rng)?
            }
            ApproxMethod::LikelihoodWeighting => {
                likelihood_weighting(&net, &targets, &evidence, a.samples, &mut rng)?
            }
            ApproxMethod::Gibbs => {
                let deterministic = net.cpts().iter().any(|c| c.values.contains(&0.0));
                if deterministic && !out.quiet {
                    eprintln!(
                        "warning: the network has tables with zero entries, so the Gibbs chain may be unable to move between some states and its answer can be biased at any sample size; likelihood weighting (--method lw) has no such problem"
                    );
                }
                let g = Gibbs {
                    n_samples: a.samples,
                    burn_in: (a.samples / 10).max(100),
                    thin: 1,
                };
                gibbs_sampling(&net, &targets, &evidence, &g, &mut rng)?
            }
        };
        ess = Some(r.effective_sample_size);
        for (k, &t) in targets.iter().enumerate() {
            results.push(Factor::new(
                vec![t],
                vec![net.cardinality(t)],
                r.marginals[k].clone(),
            )?);
        }
    } else if a.joint {
        results.push(VariableElimination::new(&net).query(&targets, &evidence)?);
    } else {
        let ve = VariableElimination::new(&net);
        for &t in &targets {
            results.push(ve.query(&[t], &evidence)?);
        }
    }
    if out.json {
        let tables: Vec<serde_json::Value> = results.iter().map(|f| factor_json(&net, f)).collect();
        print_json(&json!({
            "evidence": net.describe_evidence(&evidence),
            "do": net.describe_evidence(&interventions),
            "method": a.method, "effective_sample_size": ess,
            "tables": tables,
        }));
    } else {
        for f in &results {
            print_factor(&net, f);
        }
        if let Some(e) = ess {
            println!(
                "({} estimate from {} samples; effective sample size {:.0})",
                a.method, a.samples, e
            );
        }
    }
    Ok(())
}

fn factor_rows(net: &BayesNet, f: &Factor) -> Vec<Vec<String>> {
    (0..f.values().len())
        .map(|i| {
            let states = f.assignment(i);
            let mut row: Vec<String> = f
                .vars()
                .iter()
                .zip(&states)
                .map(|(&v, &s)| net.variable(v).states[s].clone())
                .collect();
            row.push(num(f.values()[i]));
            row
        })
        .collect()
}

fn factor_json(net: &BayesNet, f: &Factor) -> serde_json::Value {
    let vars: Vec<&str> = f
        .vars()
        .iter()
        .map(|&v| net.variable(v).name.as_str())
        .collect();
    let rows: Vec<serde_json::Value> = (0..f.values().len())
        .map(|i| {
            let states: Vec<&str> = f
                .assignment(i)
                .iter()
                .zip(f.vars())
                .map(|(&s, &v)| net.variable(v).states[s].as_str())
                .collect();
            json!({"states": states, "probability": f.values()[i]})
        })
        .collect();
    json!({"variables": vars, "rows": rows})
}

fn print_factor(net: &BayesNet, f: &Factor) {
    let mut header: Vec<String> = f
        .vars()
        .iter()
        .map(|&v| net.variable(v).name.clone())
        .collect();
    header.push("probability".into());
    print_table(&header, &factor_rows(net, f));
    println!();
}

fn query_batch(
    net: &BayesNet,
    interventions: &[(usize, usize)],
    batch: &Path,
    a: &QueryArgs,
    out: &OutputFlags,
) -> Result<()> {
    let table = read_csv(batch)?;
    let data = DiscreteData::from_csv(&table, None)?;
    let aligned = data
        .align_to(net, false, true)
        .with_context(|| batch.display().to_string())?;
    let targets = names_to_vars(net, &a.target)?;
    let jt = JunctionTree::new(net)?;
    // Full precision in files, readable on the terminal.
    let to_file = a.output.is_some();
    let fmt = |p: f64| if to_file { format!("{p}") } else { num(p) };
    let mut header: Vec<String> = Vec::new();
    if a.mpe {
        header.extend(net.variables().iter().map(|v| v.name.clone()));
        header.push("log_probability".into());
    } else if !targets.is_empty() {
        for &t in &targets {
            for s in &net.variable(t).states {
                header.push(format!("P({}={})", net.variable(t).name, s));
            }
        }
    } else {
        header.extend(net.variables().iter().map(|v| v.name.clone()));
    }
    let mut rows = Vec::with_capacity(aligned.n_rows());
    for i in 0..aligned.n_rows() {
        let mut evidence = row_evidence(&aligned, i, &[]);
        add_interventions(&mut evidence, interventions);
        let row: Vec<String> = if a.mpe {
            let (assignment, log_p) = mpe(net, &evidence)
                .with_context(|| format!("{}, query {}", batch.display(), i + 1))?;
            let mut r: Vec<String> = assignment
                .iter()
                .enumerate()
                .map(|(v, &s)| net.variable(v).states[s].clone())
                .collect();
            r.push(fmt(log_p));
            r
        } else {
            let cal = jt
                .calibrate(&evidence)
                .with_context(|| format!("{}, query {}", batch.display(), i + 1))?;
            if !targets.is_empty() {
                targets
                    .iter()
                    .flat_map(|&t| cal.marginal(t).into_iter().map(fmt))
                    .collect()
            } else {
                (0..net.n_variables())
                    .map(|v| {
                        let m = cal.marginal(v);
                        let best = (0..m.len())
                            .max_by(|&x, &y| m[x].total_cmp(&m[y]))
                            .unwrap_or(0);
                        net.variable(v).states[best].clone()
                    })
                    .collect()
            }
        };
        rows.push(row);
    }
    match &a.output {
        Some(p) => {
            write_csv(p, &header, rows.into_iter())?;
            if !out.quiet && !out.json {
                eprintln!("wrote {} answers to {}", aligned.n_rows(), p.display());
            }
            if out.json {
                print_json(
                    &json!({"output": p.display().to_string(), "n_queries": aligned.n_rows()}),
                );
            }
        }
        None => print_table(&header, &rows),
    }
    Ok(())
}

impl Family for BnCli {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let net = &self.net;
        let edges = net.edges();
        let jt = JunctionTree::new(net).ok();
        let max_clique = jt.as_ref().map(|j| j.width() + 1);
        if out.json {
            let vars: Vec<serde_json::Value> = net
                .variables()
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let parents: Vec<&str> = net
                        .parents(i)
                        .iter()
                        .map(|&p| net.variable(p).name.as_str())
                        .collect();
                    json!({"name": v.name, "states": v.states, "parents": parents})
                })
                .collect();
            print_json(&json!({
                "family": "bayesian-network", "file": self.path.display().to_string(),
                "name": net.annotations().name,
                "n_variables": net.n_variables(), "n_edges": edges.len(),
                "n_parameters": net.n_parameters(), "largest_clique_variables": max_clique,
                "variables": vars,
            }));
            return Ok(());
        }
        let max_in = (0..net.n_variables())
            .map(|i| net.parents(i).len())
            .max()
            .unwrap_or(0);
        println!(
            "Bayesian network{} ({}): {} variables, {} edges, {} free parameters, at most {} parents per node{}",
            if net.annotations().name.is_empty() || net.annotations().name == "unknown" {
                String::new()
            } else {
                format!(" `{}`", net.annotations().name)
            },
            self.path.display(),
            net.n_variables(),
            edges.len(),
            net.n_parameters(),
            max_in,
            max_clique
                .map(|c| format!("; junction tree's largest clique: {c} variables"))
                .unwrap_or_default()
        );
        let rows: Vec<Vec<String>> = net
            .topological_order()
            .iter()
            .map(|&i| {
                let v = net.variable(i);
                let parents: Vec<&str> = net
                    .parents(i)
                    .iter()
                    .map(|&p| net.variable(p).name.as_str())
                    .collect();
                let rows: usize = net.parents(i).iter().map(|&p| net.cardinality(p)).product();
                vec![
                    v.name.clone(),
                    v.states.join(", "),
                    parents.join(", "),
                    ((v.cardinality() - 1) * rows).to_string(),
                ]
            })
            .collect();
        print_table(
            &[
                "variable".into(),
                "states".into(),
                "parents".into(),
                "parameters".into(),
            ],
            &rows,
        );
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let data = read_discrete(&a.data, a.data_flags.columns.as_deref())?;
        let aligned = data
            .align_to(&self.net, false, true)
            .with_context(|| a.data.display().to_string())?;
        let ll = self
            .net
            .log_likelihood(&aligned)
            .with_context(|| a.data.display().to_string())?;
        let total: f64 = ll.iter().sum();
        let n = ll.len();
        if let Some(p) = &a.output {
            write_csv(
                p,
                &["log_likelihood".to_string()],
                ll.iter().map(|v| vec![format!("{v}")]),
            )?;
        }
        let k = self.net.n_parameters() as f64;
        let classification = match class_of(&self.net) {
            Some(c) if data.column_index(&self.net.variable(c).name).is_some() => {
                let (proba, truth) = class_proba(&self.net, &aligned, c, &a.data)?;
                let keep: Vec<usize> = (0..truth.len()).filter(|&i| truth[i].is_some()).collect();
                let codes: Vec<usize> = keep.iter().filter_map(|&i| truth[i]).collect();
                let p = proba.select(ndarray::Axis(0), &keep);
                if codes.is_empty() {
                    None
                } else {
                    Some((
                        self.net.variable(c).states.clone(),
                        genmodels::classifier::metrics(&p, &codes)?,
                        codes.len(),
                    ))
                }
            }
            _ => None,
        };
        if out.json {
            let rows: Vec<serde_json::Value> = ll
                .iter()
                .map(|&v| if v.is_finite() { json!(v) } else { json!(null) })
                .collect();
            print_json(&json!({
                "n_rows": n, "total_log_likelihood": total, "mean_log_likelihood": total / n as f64,
                "bic": -2.0 * total + k * (n as f64).ln(), "exact": true,
                "missing_cells": aligned.has_missing(), "log_likelihood": rows,
                "classification": classification.as_ref().map(|(classes, m, n)| super::classifier::metrics_json(classes, m, *n)),
            }));
        } else {
            println!(
                "{n} rows: total log-likelihood {} (mean {} nats per row){}",
                num(total),
                num(total / n as f64),
                if aligned.has_missing() {
                    "; rows with empty cells scored by their observed cells"
                } else {
                    ""
                }
            );
            if let Some((classes, m, n)) = &classification {
                println!("As a classifier of its class variable:");
                super::classifier::print_metrics(classes, m, *n);
            }
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        let data = read_discrete(&a.data, a.data_flags.columns.as_deref())?;
        let net = &self.net;
        let aligned = data
            .align_to(net, true, true)
            .with_context(|| a.data.display().to_string())?;
        let mut targets = names_to_vars(net, &a.target)?;
        if targets.is_empty() {
            targets.extend(class_of(net));
        }
        if targets.is_empty() {
            return Err(usage(
                "say which variable to predict: --target NAME (its cells may be empty or filled; they are ignored)",
            ));
        }
        let jt = JunctionTree::new(net)?;
        let to_file = a.output.is_some() || out.json;
        let fmt = |p: f64| if to_file { format!("{p}") } else { num(p) };
        let mut header = Vec::new();
        for &t in &targets {
            if a.proba {
                for s in &net.variable(t).states {
                    header.push(format!("P({}={})", net.variable(t).name, s));
                }
            } else {
                header.push(net.variable(t).name.clone());
                header.push("probability".into());
            }
        }
        let mut rows = Vec::with_capacity(aligned.n_rows());
        for i in 0..aligned.n_rows() {
            let evidence = row_evidence(&aligned, i, &targets);
            let cal = jt
                .calibrate(&evidence)
                .with_context(|| format!("{}, row {}", a.data.display(), i + 1))?;
            let mut row = Vec::new();
            for &t in &targets {
                let m = cal.marginal(t);
                if a.proba {
                    row.extend(m.iter().map(|&p| fmt(p)));
                } else {
                    let best = (0..m.len())
                        .max_by(|&x, &y| m[x].total_cmp(&m[y]))
                        .unwrap_or(0);
                    row.push(net.variable(t).states[best].clone());
                    row.push(fmt(m[best]));
                }
            }
            rows.push(row);
        }
        match &a.output {
            Some(p) => write_csv(p, &header, rows.into_iter())?,
            None if out.json => {
                let objs: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        let m: serde_json::Map<String, serde_json::Value> = header
                            .iter()
                            .cloned()
                            .zip(r.iter().map(|v| json!(v)))
                            .collect();
                        serde_json::Value::Object(m)
                    })
                    .collect();
                print_json(&json!({ "predictions": objs }));
            }
            None => print_table(&header, &rows),
        }
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        let mut rng = rng_from_seed(a.seed);
        let evidence = pairs(&self.net, &a.given)?;
        let mut draw = |m: usize| -> Result<Vec<Vec<String>>> {
            let s = if evidence.is_empty() {
                self.net.sample(m, &mut rng)?
            } else {
                self.net.sample_given(evidence.as_slice(), m, &mut rng)?
            };
            Ok(s.text_rows())
        };
        let header: Vec<String> = self
            .net
            .variables()
            .iter()
            .map(|v| v.name.clone())
            .collect();
        match &a.output {
            Some(p) => {
                crate::common::stream_csv(p, &header, a.n, draw)?;
                if out.json {
                    print_json(&json!({"output": p.display().to_string(), "n": a.n}));
                }
            }
            None => {
                // A printed table is held whole: every cell as text.
                genmodels::core::memory::check_memory(
                    &format!(
                        "printing {} samples of {} variables (write them with -o, which streams)",
                        a.n,
                        header.len()
                    ),
                    genmodels::core::memory::bytes_for(&[a.n, header.len()], 48),
                )?;
                let mut rows = Vec::new();
                let mut done = 0;
                while done < a.n {
                    let m = crate::common::SAMPLE_CHUNK.min(a.n - done);
                    rows.extend(draw(m)?);
                    done += m;
                }
                print_table(&header, &rows)
            }
        }
        Ok(())
    }

    fn plot(&self, a: &PlotArgs, _out: &OutputFlags) -> Result<()> {
        let ext = a
            .output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        // The class of a network classifier is filled; every other node plain.
        let highlight: Vec<usize> = class_of(&self.net).into_iter().collect();
        let text = match ext.as_str() {
            "svg" => to_svg(&self.net, &highlight),
            "dot" | "gv" => to_dot(&self.net, &highlight),
            _ => {
                return Err(usage(format!(
                    "{}: a network is drawn as .svg, or written as .dot for Graphviz",
                    a.output.display()
                )))
            }
        };
        write_atomic(&a.output, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", a.output.display()))?;
        Ok(())
    }
}

/// `fit classifier --model bn`: a naive-Bayes or TAN network over the label and the features.
pub fn fit_classifier(a: &super::classifier::FitArgs, out: &OutputFlags) -> Result<()> {
    if !is_network_file(&a.output) {
        return Err(usage(format!(
            "{}: a Bayesian-network classifier is written as a network: .bif or .xmlbif",
            a.output.display()
        )));
    }
    let columns = a.columns.as_ref().map(|c| {
        let mut c = c.clone();
        if !c.contains(&a.label_column) {
            c.push(a.label_column.clone());
        }
        c
    });
    let data = read_discrete(&a.data, columns.as_deref())?;
    if data.has_missing() {
        return Err(usage(format!(
            "{}: a network classifier is fitted on complete rows; remove the rows with empty cells",
            a.data.display()
        )));
    }
    let class = data.column_index(&a.label_column).ok_or_else(|| {
        usage(format!(
            "{}: no column {:?} for the labels; the columns are: {}",
            a.data.display(),
            a.label_column,
            data.names.join(", ")
        ))
    })?;
    if let [only] = data.states[class].as_slice() {
        return Err(usage(format!(
            "{}: the column {:?} holds one class only ({only:?}): a classifier needs at least two",
            a.data.display(),
            a.label_column
        )));
    }
    let dag = match a.structure.as_str() {
        "tan" => tan(&data, class, None)?,
        "naive-bayes" | "nb" => naive_bayes(&data, class)?,
        other => {
            return Err(usage(format!(
                "--structure {other:?}: a network classifier is `tan` or `naive-bayes`"
            )))
        }
    };
    let est = if a.alpha == 0.0 {
        Estimator::Mle
    } else {
        Estimator::Bayes(Prior::Dirichlet { alpha: a.alpha })
    };
    let mut net = fit_parameters(&data_variables(&data), &dag, &data, est)?;
    let mut ann = net.annotations().clone();
    ann.name = format!("{}_classifier", a.structure.replace('-', "_"));
    net.set_annotations(ann);
    mark_class(&mut net, class);
    let aligned = data.align_to(&net, false, false)?;
    let (proba, truth) = class_proba(&net, &aligned, class, &a.data)?;
    let truth: Vec<usize> = truth.into_iter().map(|t| t.unwrap_or(0)).collect();
    let m = genmodels::classifier::metrics(&proba, &truth)?;
    write_network(&net, &a.output)?;
    if out.json {
        print_json(&json!({
            "family": "classifier-bn", "structure": a.structure, "output": a.output.display().to_string(),
            "classes": net.variable(class).states, "n_samples": data.n_rows(),
            "n_edges": net.edges().len(), "n_parameters": net.n_parameters(),
            "train_accuracy": m.accuracy, "train_log_loss": m.log_loss,
        }));
    } else {
        println!(
            "Fitted a {} network classifier for `{}` on {} rows ({} features, {} edges); training accuracy {:.1} %",
            a.structure,
            a.label_column,
            data.n_rows(),
            data.n_columns() - 1,
            net.edges().len(),
            100.0 * m.accuracy
        );
        println!("wrote {}", a.output.display());
    }
    Ok(())
}
