//! Output shared by the mixture families (Gaussian, Bernoulli): scores, predictions, samples
//! and fit summaries look the same whatever the components are.

use anyhow::Result;
use genmodels::core::{rng_from_seed, Sample};
use genmodels::mixture::{FitReport, MixtureSample};
use ndarray::{Array1, Array2, Axis};
use serde_json::json;

use crate::common::{
    num, print_json, print_table, stream_table, write_table, OutputFlags, RowChunk, SAMPLE_CHUNK,
};
use crate::verbs::{PredictArgs, SampleArgs, ScoreArgs};

/// Prints (and optionally writes) per-row log-likelihoods.
pub fn score_output(ll: &Array1<f64>, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
    if let Some(path) = &a.output {
        let col: Vec<String> = ll.iter().map(|v| format!("{v}")).collect();
        let rows = Array2::from_shape_fn((ll.len(), 1), |(i, _)| (i + 1) as f64);
        write_table(path, &["row".into()], &rows, Some(("log_likelihood", col)))?;
    }
    let n = ll.len();
    let total: f64 = ll.sum();
    let mean = total / n as f64;
    if out.json {
        let mut v = json!({"n": n, "mean_log_likelihood": mean, "total_log_likelihood": total, "exact": true});
        if let Some(p) = &a.output {
            v["output"] = json!(p.display().to_string());
        }
        print_json(&v);
    } else {
        print_table(
            &[
                "rows".into(),
                "mean log-likelihood".into(),
                "total log-likelihood".into(),
                "kind".into(),
            ],
            &[vec![
                n.to_string(),
                format!("{} nats", num(mean)),
                format!("{} nats", num(total)),
                "exact".into(),
            ]],
        );
        if let Some(p) = &a.output {
            eprintln!("wrote per-row log-likelihoods to {}", p.display());
        }
    }
    Ok(())
}

/// Prints (or writes) component predictions from posterior probabilities.
pub fn predict_output(proba: &Array2<f64>, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
    let k = proba.ncols();
    let best: Vec<usize> = proba
        .axis_iter(Axis(0))
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |b, (i, v)| if *v > b.1 { (i, *v) } else { b },
                )
                .0
        })
        .collect();
    let header: Vec<String> = if a.proba {
        (0..k).map(|c| format!("p{c}")).collect()
    } else {
        vec!["component".into(), "probability".into()]
    };
    let rows: Vec<Vec<String>> = proba
        .outer_iter()
        .zip(best.iter())
        .map(|(r, &b)| {
            if a.proba {
                r.iter().map(|v| format!("{v:.6}")).collect()
            } else {
                vec![b.to_string(), format!("{:.6}", r[b])]
            }
        })
        .collect();
    if let Some(path) = &a.output {
        let mut h = vec!["row".to_string()];
        h.extend(header.iter().cloned());
        let rows = rows.iter().enumerate().map(|(i, r)| {
            let mut v = vec![(i + 1).to_string()];
            v.extend(r.iter().cloned());
            v
        });
        genmodels::io::write_csv(path, &h, rows)?;
    }
    if out.json {
        let counts: Vec<usize> = (0..k)
            .map(|c| best.iter().filter(|b| **b == c).count())
            .collect();
        let mut v = json!({"n": best.len(), "counts": counts});
        match &a.output {
            Some(p) => v["output"] = json!(p.display().to_string()),
            None if a.proba => {
                v["proba"] = json!(proba.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
            }
            None => v["component"] = json!(best),
        }
        print_json(&v);
    } else if let Some(p) = &a.output {
        eprintln!("wrote {} predictions to {}", best.len(), p.display());
    } else {
        let mut h = vec!["row".to_string()];
        h.extend(header);
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let mut v = vec![(i + 1).to_string()];
                v.extend(r);
                v
            })
            .collect();
        print_table(&h, &rows);
    }
    Ok(())
}

/// Draws `a.n` samples of a mixture, each with the component it came from, and prints them or
/// streams them to `-o`.
pub fn sample_output(
    model: &impl Sample<Output = MixtureSample>,
    names: &[String],
    a: &SampleArgs,
    out: &OutputFlags,
) -> Result<()> {
    let mut rng = rng_from_seed(a.seed);
    sample_rows(names, Some("component"), a, out, |m| {
        let s = model.sample(m, &mut rng)?;
        let comp = s.component.iter().map(|c| c.to_string()).collect();
        Ok((s.x, Some(comp)))
    })
}

/// Draws `a.n` rows with `draw` (a chunk at a time) and prints them, or streams them to `-o`
/// (a `.csv` or `.npy` of any length in bounded memory).
pub fn sample_rows(
    names: &[String],
    extra: Option<&str>,
    a: &SampleArgs,
    out: &OutputFlags,
    mut draw: impl FnMut(usize) -> Result<RowChunk>,
) -> Result<()> {
    if let Some(path) = &a.output {
        stream_table(path, names, extra, a.n, draw)?;
        if out.json {
            print_json(&json!({"n": a.n, "output": path.display().to_string()}));
        } else if !out.quiet {
            eprintln!("wrote {} rows to {}", a.n, crate::common::shown(path));
        }
        return Ok(());
    }
    // Printed rows are held whole (a table aligns its columns): the numbers and their text.
    let width = names.len() + usize::from(extra.is_some());
    genmodels::core::memory::check_memory(
        &format!(
            "printing {} samples of {width} values (write them with -o, which streams)",
            a.n
        ),
        genmodels::core::memory::bytes_for(&[a.n, width], 8 + 40),
    )?;
    let mut x = Array2::zeros((0, names.len()));
    let mut col: Vec<String> = Vec::new();
    let mut done = 0;
    while done < a.n {
        let m = SAMPLE_CHUNK.min(a.n - done);
        let (xs, cs) = draw(m)?;
        x.append(Axis(0), xs.view())
            .map_err(|e| anyhow::anyhow!("sample chunk of another width: {e}"))?;
        col.extend(cs.into_iter().flatten());
        done += m;
    }
    let extra = extra.map(|name| (name, col));
    rows_output(&x, names, extra, a, out)
}

/// Prints (or writes) rows of numbers under a header.
pub fn rows_output(
    x: &Array2<f64>,
    names: &[String],
    extra: Option<(&str, Vec<String>)>,
    a: &SampleArgs,
    out: &OutputFlags,
) -> Result<()> {
    if let Some(path) = &a.output {
        write_table(path, names, x, extra.clone())?;
        if out.json {
            print_json(&json!({"n": x.nrows(), "output": path.display().to_string()}));
        } else if !out.quiet {
            eprintln!("wrote {} rows to {}", x.nrows(), path.display());
        }
        return Ok(());
    }
    if out.json {
        let mut v = json!({"n": x.nrows(), "columns": names, "rows": x.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()});
        if let Some((name, col)) = extra {
            v[name] = json!(col
                .iter()
                .map(|c| c.parse::<i64>().unwrap_or(-1))
                .collect::<Vec<_>>());
        }
        print_json(&v);
        return Ok(());
    }
    let mut h = names.to_vec();
    if let Some((name, _)) = &extra {
        h.push(name.to_string());
    }
    let rows: Vec<Vec<String>> = x
        .outer_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v: Vec<String> = r.iter().map(|v| num(*v)).collect();
            if let Some((_, col)) = &extra {
                v.push(col[i].clone());
            }
            v
        })
        .collect();
    print_table(&h, &rows);
    Ok(())
}

/// The fit summary lines of `info` and `fit`.
pub fn report_lines(r: &FitReport) -> Vec<String> {
    let mut v = vec![format!(
        "{} after {} iterations; mean log-likelihood {} nats per row on {} rows",
        if r.converged {
            "converged"
        } else {
            "NOT converged"
        },
        r.n_iter,
        num(r.lower_bound),
        r.n_samples
    )];
    if r.n_init > 1 {
        v.push(format!(
            "best of {} restarts (run {}); final objectives: {}",
            r.n_init,
            r.best_run + 1,
            r.run_lower_bounds
                .iter()
                .map(|v| num(*v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    v
}

/// Prints warnings on stderr unless quiet.
pub fn print_warnings(r: Option<&FitReport>, out: &OutputFlags) {
    if out.quiet {
        return;
    }
    if let Some(r) = r {
        for w in &r.warnings {
            eprintln!("warning: {w}");
        }
    }
}

/// Applies `--binarize T` (values above T become 1).
pub fn binarize(x: &mut Array2<f64>, t: Option<f64>) {
    if let Some(t) = t {
        x.mapv_inplace(|v| if v > t { 1.0 } else { 0.0 });
    }
}

/// Reads the data a loaded model is applied to: the `--columns` flag wins, then the model's
/// feature names; the width must match the model. Returns the values and the column names.
pub fn model_data(
    path: &std::path::Path,
    flags: &crate::common::DataFlags,
    model_names: &[String],
    threshold: Option<f64>,
) -> Result<(Array2<f64>, Vec<String>)> {
    let mut t = crate::common::load_for_model(path, flags.columns.as_deref(), Some(model_names))?;
    crate::common::check_width(path, &t.names, model_names)?;
    binarize(&mut t.data, threshold);
    Ok((t.data, t.names))
}
