//! The softmax RBM recommender (`fit rbm --ratings user,item,rating`): its fit and its verbs.

use std::path::{Path, PathBuf};

use anyhow::Result;
use genmodels::neural::rbm::recommend::{Ratings, Recommender, RecommenderParams, Source};
use ndarray::Array2;
use serde_json::json;

use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, write_table, OutputFlags,
    Progress,
};
use crate::families::family::Family;
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

use super::fit::FitArgs;
use crate::input::ratings::{read_ratings, split_columns};

pub fn fit_recommender(a: &FitArgs, cols: &str, out: &OutputFlags) -> Result<()> {
    let cols = split_columns(cols)?;
    if a.binarize.is_some()
        || a.validation.is_some()
        || a.method != "cd"
        || a.visible != "bernoulli"
    {
        return Err(usage(
            "a recommender RBM (--ratings) takes --hidden, --k, --epochs, --batch-size, --lr, --momentum, --weight-decay and --seed",
        ));
    }
    let mut rows = read_ratings(&a.data, &cols, true)?;
    if let Some(n) = a.limit {
        rows.truncate(n);
    }
    let ratings = Ratings::from_triples(&rows).map_err(|e| in_file(e, &a.data, &cols))?;
    let d = RecommenderParams::new(a.hidden);
    let params = d
        .clone()
        .k(a.k)
        .epochs(a.epochs)
        .batch_size(a.batch_size.unwrap_or(d.batch_size))
        .learning_rate(a.lr.unwrap_or(d.learning_rate))
        .momentum(a.momentum.unwrap_or(d.momentum))
        .weight_decay(a.weight_decay.unwrap_or(d.weight_decay))
        .seed(a.seed);
    let mut progress = Progress::new(out.quiet || out.json, &format!("CD-{}", a.k));
    let mut rec = params.fit_with(&ratings, &mut progress)?;
    progress.finish();
    rec.config.columns = cols;
    rec.save(&a.output)?;
    let last = rec.report.last().expect("one epoch");
    if out.json {
        print_json(&json!({
            "family": "rbm-recommender", "n_ratings": ratings.entries.len(), "n_users": ratings.users.len(),
            "n_items": ratings.items.len(), "levels": ratings.levels, "n_hidden": a.hidden,
            "epochs": rec.report.len(), "train_rmse": last.train_rmse,
            "seconds": rec.report.iter().map(|e| e.seconds).sum::<f64>(),
            "output": a.output.display().to_string(),
        }));
    } else {
        println!(
            "Fitted a recommender RBM ({} items × {} rating levels, {} hidden units) to {} ratings of {} users; training RMSE {}",
            ratings.items.len(),
            ratings.levels.len(),
            a.hidden,
            ratings.entries.len(),
            ratings.users.len(),
            num(last.train_rmse)
        );
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

/// A loaded recommender RBM.
pub struct RecommenderFamily {
    model: Recommender,
    path: PathBuf,
}

/// Loads an `rbm-recommender` checkpoint.
pub fn load_recommender(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(RecommenderFamily {
        model: Recommender::load(path)?,
        path: path.to_path_buf(),
    }))
}

impl RecommenderFamily {
    fn columns(&self, flag: Option<&[String]>) -> Result<Vec<String>> {
        match flag {
            Some(c) if c.len() == 3 => Ok(c.to_vec()),
            Some(c) => Err(usage(format!(
                "--columns {}: a recommender needs the user, item and rating columns",
                c.join(",")
            ))),
            None if self.model.config.columns.len() == 3 => Ok(self.model.config.columns.clone()),
            None => Ok(vec!["user".into(), "item".into(), "rating".into()]),
        }
    }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Rbm => "rbm",
        Source::ItemMean => "item_mean",
        Source::GlobalMean => "global_mean",
    }
}

impl Family for RecommenderFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let m = &self.model;
        let r = m.ratings();
        if out.json {
            print_json(&json!({
                "family": "rbm-recommender", "path": self.path.display().to_string(),
                "n_users": r.users.len(), "n_items": r.items.len(), "n_ratings": r.entries.len(),
                "levels": r.levels, "params": m.config.params, "columns": m.config.columns,
                "global_mean": m.global_mean(), "report": m.report,
            }));
            return Ok(());
        }
        println!(
            "Recommender RBM (softmax visible units) — {}",
            self.path.display()
        );
        println!(
            "  {} users, {} items, rating levels {:?}, {} training ratings (mean {})",
            r.users.len(),
            r.items.len(),
            r.levels,
            r.entries.len(),
            num(m.global_mean())
        );
        let p = &m.config.params;
        println!(
            "  {} hidden units, CD-{}, {} epochs, batches of {} users, lr {}, momentum {}, weight decay {}",
            p.n_hidden, p.k, p.epochs, p.batch_size, p.learning_rate, p.momentum, p.weight_decay
        );
        if let Some(e) = m.report.last() {
            println!(
                "  training RMSE after epoch {}: {}",
                e.epoch,
                num(e.train_rmse)
            );
        }
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let cols = self.columns(a.data_flags.columns.as_deref())?;
        let rows = read_ratings(&a.data, &cols, true)?;
        let e = self.model.evaluate_rows(&rows)?;
        if out.json {
            print_json(&json!({
                "n": e.n, "rmse": e.rmse, "rmse_global_mean": e.rmse_global_mean,
                "rmse_item_mean": e.rmse_item_mean, "n_fallback": e.n_fallback,
            }));
        } else {
            print_table(
                &[
                    "ratings",
                    "RMSE (RBM)",
                    "RMSE (global mean)",
                    "RMSE (item mean)",
                ]
                .map(String::from),
                &[vec![
                    e.n.to_string(),
                    num(e.rmse),
                    num(e.rmse_global_mean),
                    num(e.rmse_item_mean),
                ]],
            );
            if e.n_fallback > 0 && !out.quiet {
                eprintln!(
                    "note: {} ratings are of users without training ratings or unknown items: predicted by the item mean (cold start) or the global mean",
                    e.n_fallback
                );
            }
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        let cols = self.columns(a.data_flags.columns.as_deref())?;
        if a.features || a.encode || a.impute || a.proba {
            return Err(usage(
                "a recommender RBM predicts ratings (or --recommend N --user ID)",
            ));
        }
        if let Some(o) = &a.output {
            check_distinct(&a.data, o)?;
        }
        let rows = read_ratings(&a.data, &cols, false)?;
        if let Some(n) = a.recommend {
            let user = a
                .user
                .as_deref()
                .ok_or_else(|| usage("--recommend N needs --user ID"))?;
            // The user's ratings in the file add to (or update) the training ones.
            let extra: Vec<(String, f64)> = rows
                .iter()
                .filter(|(u, _, v)| u == user && v.is_finite())
                .map(|(_, i, v)| (i.clone(), *v))
                .collect();
            let recs = self.model.recommend(user, n, &extra)?;
            if recs.source != Source::Rbm && !out.quiet && !out.json {
                eprintln!(
                    "note: user {user} has no ratings in the model or in {}: recommending the items with the highest mean rating (cold start)",
                    a.data.display()
                );
            }
            if let Some(o) = &a.output {
                let data = Array2::from_shape_fn((recs.items.len(), 2), |(i, j)| {
                    if j == 0 {
                        (i + 1) as f64
                    } else {
                        recs.items[i].1
                    }
                });
                let names: Vec<String> = recs.items.iter().map(|(n, _)| n.clone()).collect();
                write_table(
                    o,
                    &["rank".into(), "predicted_rating".into()],
                    &data,
                    Some(("item", names)),
                )?;
            }
            if out.json {
                print_json(&json!({
                    "user": user, "source": source_name(recs.source),
                    "items": recs.items.iter().map(|(i, s)| json!({"item": i, "predicted_rating": s})).collect::<Vec<_>>(),
                }));
            } else if a.output.is_none() {
                let table: Vec<Vec<String>> = recs
                    .items
                    .iter()
                    .enumerate()
                    .map(|(k, (i, s))| vec![(k + 1).to_string(), i.clone(), num(*s)])
                    .collect();
                print_table(
                    &["rank", "item", "predicted rating"].map(String::from),
                    &table,
                );
            }
            return Ok(());
        }
        if a.user.is_some() {
            return Err(usage("--user goes with --recommend N"));
        }
        let preds = self.model.predict_rows(&rows)?;
        let fallback = preds.iter().filter(|p| p.source != Source::Rbm).count();
        if fallback > 0 && !out.quiet {
            eprintln!(
                "note: {fallback} of {} rows are of users without ratings or unknown items: predicted by the item mean (cold start) or the global mean (column `source`)",
                rows.len()
            );
        }
        let header = [&cols[0], &cols[1], "predicted_rating", "source"];
        let lines: Vec<Vec<String>> = rows
            .iter()
            .zip(&preds)
            .map(|((u, i, _), p)| {
                vec![
                    u.clone(),
                    i.clone(),
                    genmodels::io::csv::fmt_number(p.rating),
                    source_name(p.source).to_string(),
                ]
            })
            .collect();
        match &a.output {
            Some(o) => {
                genmodels::io::write_csv(o, &header.map(|s| s.to_string()), lines.into_iter())?
            }
            None => {
                println!("{}", header.join(","));
                for l in lines {
                    println!("{}", l.join(","));
                }
            }
        }
        Ok(())
    }

    fn sample(&self, _: &SampleArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "a recommender RBM does not draw samples; use `predict MODEL RATINGS.csv --recommend N --user ID`",
        ))
    }

    fn plot(&self, _: &PlotArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "a recommender RBM has no picture; see `info` and `score`",
        ))
    }
}
