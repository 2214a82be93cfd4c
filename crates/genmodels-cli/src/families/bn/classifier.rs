//! A network as a classifier: `fit classifier --model bn` (naive Bayes or TAN) and the class
//! probabilities of its rows.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use genmodels::bayesnet::classify::{class_code, mark_class, ClassPosterior};
use genmodels::bayesnet::formats::write_network;
use genmodels::bayesnet::learn::{
    data_variables, fit_parameters, naive_bayes, tan, Estimator, Prior,
};
use genmodels::bayesnet::{BayesNet, DiscreteData};
use serde_json::json;

use crate::common::{print_json, usage, OutputFlags};

use super::is_network_file;
use crate::input::categorical::read_discrete;

/// What `fit classifier --model bn` needs of the classifier's flags.
pub struct NetworkClassifier {
    /// The training CSV of categories.
    pub data: PathBuf,
    /// The network to write (.bif or .xmlbif).
    pub output: PathBuf,
    /// The feature columns (the label column is added), or every column.
    pub columns: Option<Vec<String>>,
    /// The column of the classes.
    pub label_column: String,
    /// `tan` or `naive-bayes`.
    pub structure: String,
    /// The Dirichlet pseudo-count of the tables (0: maximum likelihood).
    pub alpha: f64,
}

/// P(class | the row's other cells) for every row of data aligned to the network (n × C), and
/// the true class codes where the class column is filled; a failing row is named.
pub fn class_proba(
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

/// `fit classifier --model bn`: a naive-Bayes or TAN network over the label and the features.
pub fn fit_classifier(a: &NetworkClassifier, out: &OutputFlags) -> Result<()> {
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
