//! Classification metrics (accuracy, log loss, the confusion matrix) for people and as JSON.

use serde_json::json;

use crate::common::{num, print_table};

/// Classification metrics as JSON fields.
pub fn metrics_json(
    classes: &[String],
    m: &genmodels::classifier::Metrics,
    n: usize,
) -> serde_json::Value {
    json!({
        "n": n, "accuracy": m.accuracy, "log_loss": m.log_loss, "classes": classes,
        "confusion": m.confusion, "precision": m.precision, "recall": m.recall,
    })
}

/// Accuracy, log-loss and the confusion matrix with per-class precision and recall, for people.
pub fn print_metrics(classes: &[String], m: &genmodels::classifier::Metrics, n: usize) {
    println!(
        "{} rows: accuracy {:.2} %, log-loss {}",
        n,
        100.0 * m.accuracy,
        num(m.log_loss)
    );
    let mut h = vec!["true \\ predicted".to_string()];
    h.extend(classes.iter().cloned());
    h.extend(["precision".to_string(), "recall".to_string()]);
    let rows: Vec<Vec<String>> = classes
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mut r = vec![name.clone()];
            r.extend(m.confusion[k].iter().map(|v| v.to_string()));
            r.extend([num(m.precision[k]), num(m.recall[k])]);
            r
        })
        .collect();
    print_table(&h, &rows);
}
