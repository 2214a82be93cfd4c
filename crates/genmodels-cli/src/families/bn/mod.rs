//! Discrete Bayesian networks: `fit bn` ([`fit`]), `genmodels query` ([`query`]), the network
//! classifier ([`classifier`]), and the generic verbs here.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use genmodels::bayesnet::classify::class_of;
use genmodels::bayesnet::formats::{read_network, to_dot, to_svg};
use genmodels::bayesnet::inference::JunctionTree;
use genmodels::bayesnet::BayesNet;
use genmodels::core::{rng_from_seed, LogLikelihood, Sample, SampleGiven};
use genmodels::io::{write_atomic, write_csv};
use serde_json::json;

use crate::common::{num, print_json, print_table, usage, OutputFlags};
use crate::families::family::Family;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

use crate::input::categorical::read_discrete;
use crate::output::metrics::{metrics_json, print_metrics};
use classifier::class_proba;
use evidence::{names_to_vars, pairs, row_evidence};

mod classifier;
mod evidence;
mod fit;
mod query;

pub use classifier::{fit_classifier, NetworkClassifier};
pub use fit::{fit, FitArgs};
pub use query::{query, QueryArgs};

/// Whether a path names a network file (BIF or XMLBIF) rather than a JSON model.
pub use genmodels::io::persist::is_network_name as is_network_file;

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
                "classification": classification.as_ref().map(|(classes, m, n)| metrics_json(classes, m, *n)),
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
                print_metrics(classes, m, *n);
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
