//! `genmodels query`: posterior marginals and joints, MPE, interventions, a CSV of queries.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use genmodels::bayesnet::formats::read_network;
use genmodels::bayesnet::inference::{
    gibbs_sampling, likelihood_weighting, mpe, rejection_sampling, Gibbs, JunctionTree,
    VariableElimination,
};
use genmodels::bayesnet::{BayesNet, DiscreteData, Factor};
use genmodels::core::rng_from_seed;
use genmodels::io::{read_csv, write_csv};
use serde_json::json;

use crate::common::{num, print_json, print_table, usage, OutputFlags};

use super::evidence::{add_interventions, names_to_vars, pairs, row_evidence};
use super::is_network_file;

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
