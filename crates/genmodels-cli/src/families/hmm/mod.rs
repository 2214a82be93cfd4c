//! Hidden Markov models: `fit hmm` ([`fit`]), how emissions are described ([`describe`]), and
//! the generic verbs here.

use std::path::{Path, PathBuf};

use anyhow::Result;
use genmodels::core::{rng_from_seed, LogLikelihood};
use genmodels::hmm::Hmm;
use genmodels::io::{load_model, ModelFile};
use genmodels::mixture::Components;
use ndarray::Axis;
use serde_json::json;

use crate::common::{in_file, num, print_json, print_table, usage, DataFlags, OutputFlags};
use crate::families::family::{refuse, Family};
use crate::plot;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

use crate::input::sequences::{read, Loaded};
pub use describe::DescribeEmission;

mod describe;
mod fit;

pub use fit::{fit, FitArgs};

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
            return Err(refuse("--impute"));
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
            return Err(refuse("--given"));
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
