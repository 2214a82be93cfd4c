//! `genmodels fit classifier` — one generative model per class and Bayes' rule — and what the
//! generic verbs mean for it: predict a class, score accuracy and log-loss against a label
//! column, sample new instances of a chosen class.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::classifier::{fit_classifier, metrics, GenerativeClassifier, Priors};
use genmodels::core::{rng_from_seed, LogLikelihood, Sample};
use genmodels::io::{load_model, save_model, ModelFile};
use genmodels::mixture::{BernoulliMixture, Components, CovarianceType, GaussianMixture, Mixture};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mixture::{binarize, predict_output, sample_output};
use super::Family;
use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, OutputFlags, Progress,
};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit classifier DATA --label-column Y -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit classifier data/iris.csv --label-column species --model gmm --components 2 -o iris.json\n  genmodels fit classifier data/digits_binary.csv --label-column digit --model bernoulli-mixture --components 10 -o d.json\n  genmodels predict iris.json test.csv --proba\n  genmodels score iris.json test.csv --json        # accuracy, log-loss, confusion matrix\n  genmodels sample iris.json -n 20 --label virginica -o fake.csv"
)]
pub struct FitArgs {
    /// Training data: CSV with a header row, features and a class column.
    pub data: PathBuf,
    /// The column holding each row's class (any text).
    #[arg(long, value_name = "COLUMN")]
    pub label_column: String,
    /// Feature columns (default: every column but the label column).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub columns: Option<Vec<String>>,
    /// Where to write the fitted classifier (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// The class-conditional model: gmm or bernoulli-mixture.
    #[arg(long, default_value = "gmm")]
    pub model: String,
    /// Mixture components per class.
    #[arg(short = 'k', long, default_value_t = 1)]
    pub components: usize,
    /// Covariance type of Gaussian mixtures: full, tied, diag, spherical.
    #[arg(long, default_value = "full")]
    pub covariance: String,
    /// Class priors: learned (class frequencies) or uniform.
    #[arg(long, default_value = "learned")]
    pub priors: String,
    /// Values above T become 1, others 0 (Bernoulli mixtures).
    #[arg(long, value_name = "T")]
    pub binarize: Option<f64>,
    /// Maximum EM iterations per class model.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Restarts per class model.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// For --model bn: the network's graph, `tan` (tree-augmented naive Bayes) or `naive-bayes`.
    #[arg(long, default_value = "tan")]
    pub structure: String,
    /// For --model bn: pseudo-count added to every table cell (Laplace smoothing; 0 = MLE).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
}

/// A classifier as saved: the models plus what is needed to read new data for them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierFile<M> {
    /// The classifier.
    pub classifier: GenerativeClassifier<M>,
    /// Feature columns, in model order.
    pub features: Vec<String>,
    /// The label column it was trained with.
    pub label_column: String,
    /// Threshold applied to the features (binary models).
    #[serde(default)]
    pub binarize: Option<f64>,
}

impl ModelFile for ClassifierFile<GaussianMixture> {
    const FAMILY: &'static str = "classifier-gmm";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        validate(&self.classifier)
    }
}

impl ModelFile for ClassifierFile<BernoulliMixture> {
    const FAMILY: &'static str = "classifier-bernoulli-mixture";
    const VERSION: u32 = 1;
    fn validate_loaded(&self) -> std::result::Result<(), String> {
        validate(&self.classifier)
    }
}

fn validate<C: Components>(
    c: &GenerativeClassifier<Mixture<C>>,
) -> std::result::Result<(), String> {
    if c.classes.is_empty()
        || c.classes.len() != c.models.len()
        || c.log_priors.len() != c.models.len()
    {
        return Err("classes, priors and models must have one entry per class".into());
    }
    let total: f64 = c.log_priors.iter().map(|l| l.exp()).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(format!("the class priors sum to {total}, not 1"));
    }
    c.models.iter().try_for_each(|m| m.validate())
}

/// Features, their column names, and the labels when the file has the label column.
type Labelled = (Array2<f64>, Vec<String>, Option<Vec<String>>);

/// Reads features (and labels, when `label_column` is in the file).
fn read(path: &Path, features: Option<&[String]>, label_column: &str) -> Result<Labelled> {
    let t = genmodels::io::read_csv(path)?;
    if features.is_none() && !t.header.iter().any(|h| h == label_column) {
        return Err(usage(format!(
            "{}: no column {label_column:?} for the labels; the columns are: {}",
            path.display(),
            t.header.join(", ")
        )));
    }
    let cols: Vec<String> = match features {
        Some(f) => f.to_vec(),
        None => t
            .header
            .iter()
            .filter(|h| *h != label_column)
            .cloned()
            .collect(),
    };
    let x = t.numeric(Some(&cols))?.data;
    let labels = t
        .header
        .iter()
        .position(|h| h == label_column)
        .map(|j| t.rows.iter().map(|(_, r)| r[j].clone()).collect());
    Ok((x, cols, labels))
}

fn fit_with<P>(
    a: &FitArgs,
    params: &P,
    x: &Array2<f64>,
    names: &[String],
    labels: &[String],
) -> Result<(GenerativeClassifier<P::Model>, Vec<usize>)>
where
    P: genmodels::core::Fit<Array2<f64>>,
{
    let mut classes: Vec<String> = labels.to_vec();
    classes.sort();
    classes.dedup();
    let codes: Vec<usize> = labels
        .iter()
        .map(|l| classes.binary_search(l).expect("from the same labels"))
        .collect();
    let priors = match a.priors.as_str() {
        "learned" => Priors::Learned,
        "uniform" => Priors::Uniform,
        other => {
            return Err(usage(format!(
                "--priors {other:?}: expected learned or uniform"
            )))
        }
    };
    let mut progress = Progress::new(true, "EM");
    let clf = fit_classifier(params, x, &codes, classes, priors, &mut progress)
        .map_err(|e| in_file(e, &a.data, names))?;
    Ok((clf, codes))
}

/// Runs `fit classifier`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    if a.model == "bn" {
        return super::bn::fit_classifier(a, out);
    }
    let (mut x, names, labels) = read(&a.data, a.columns.as_deref(), &a.label_column)?;
    let labels = labels.ok_or_else(|| {
        usage(format!(
            "{}: no column {:?} for the labels",
            a.data.display(),
            a.label_column
        ))
    })?;
    binarize(&mut x, a.binarize);
    let summary = match a.model.as_str() {
        "gmm" => {
            let cov: CovarianceType = a.covariance.parse()?;
            let params = GaussianMixture::params(a.components)
                .covariance(cov)
                .max_iter(a.max_iter)
                .n_init(a.n_init)
                .seed(a.seed);
            let (clf, codes) = fit_with(a, &params, &x, &names, &labels)?;
            let s = train_summary(&clf, &x, &codes)?;
            save_model(
                &ClassifierFile {
                    classifier: clf,
                    features: names.clone(),
                    label_column: a.label_column.clone(),
                    binarize: a.binarize,
                },
                &a.output,
            )?;
            s
        }
        "bernoulli-mixture" | "bernoulli" => {
            let params = BernoulliMixture::params(a.components)
                .max_iter(a.max_iter)
                .n_init(a.n_init)
                .seed(a.seed);
            let (clf, codes) = fit_with(a, &params, &x, &names, &labels)?;
            let s = train_summary(&clf, &x, &codes)?;
            save_model(
                &ClassifierFile {
                    classifier: clf,
                    features: names.clone(),
                    label_column: a.label_column.clone(),
                    binarize: a.binarize,
                },
                &a.output,
            )?;
            s
        }
        other => {
            return Err(usage(format!(
                "--model {other:?}: expected gmm, bernoulli-mixture or bn"
            )))
        }
    };
    if out.json {
        let mut v = summary;
        v["output"] = json!(a.output.display().to_string());
        print_json(&v);
    } else {
        println!(
            "Fitted a generative classifier ({} per class, {} components) on {} rows, {} classes; training accuracy {:.1} %",
            a.model,
            a.components,
            x.nrows(),
            summary["classes"].as_array().map(|c| c.len()).unwrap_or(0),
            100.0 * summary["train_accuracy"].as_f64().unwrap_or(f64::NAN)
        );
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

fn train_summary<M: LogLikelihood<Array2<f64>>>(
    clf: &GenerativeClassifier<M>,
    x: &Array2<f64>,
    codes: &[usize],
) -> Result<serde_json::Value> {
    let m = metrics(&clf.predict_proba(x)?, codes)?;
    Ok(
        json!({"family": "classifier", "classes": clf.classes, "n_samples": x.nrows(), "train_accuracy": m.accuracy, "train_log_loss": m.log_loss}),
    )
}

/// A loaded classifier over mixtures.
pub struct ClassifierCli<C> {
    file: ClassifierFile<Mixture<C>>,
    path: PathBuf,
}

/// Loads a `genmodels/classifier-*` file.
pub fn load<C>(path: &Path) -> Result<Box<dyn Family>>
where
    C: Components + 'static,
    ClassifierFile<Mixture<C>>: ModelFile,
{
    Ok(Box::new(ClassifierCli {
        file: load_model::<ClassifierFile<Mixture<C>>>(path)?,
        path: path.to_path_buf(),
    }))
}

impl<C: Components> ClassifierCli<C> {
    fn data(&self, path: &Path) -> Result<(Array2<f64>, Option<Vec<usize>>)> {
        let f = &self.file;
        let (mut x, _, labels) = read(path, Some(&f.features), &f.label_column)?;
        binarize(&mut x, f.binarize);
        let codes = match labels {
            Some(l) => Some(
                l.iter()
                    .map(|s| {
                        f.classifier
                            .classes
                            .iter()
                            .position(|c| c == s)
                            .ok_or_else(|| {
                                usage(format!(
                                    "{}: unknown class {s:?} in column {:?}",
                                    path.display(),
                                    f.label_column
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok((x, codes))
    }
}

impl<C: Components> Family for ClassifierCli<C> {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let c = &self.file.classifier;
        let priors: Vec<f64> = c.log_priors.iter().map(|l| l.exp()).collect();
        if out.json {
            print_json(&json!({
                "family": "classifier",
                "path": self.path.display().to_string(),
                "classes": c.classes,
                "priors": priors,
                "features": self.file.features,
                "label_column": self.file.label_column,
                "components_per_class": c.models.iter().map(|m| m.n_components()).collect::<Vec<_>>(),
            }));
            return Ok(());
        }
        println!("Generative classifier — {}", self.path.display());
        println!(
            "  label column {:?}, features {}",
            self.file.label_column,
            self.file.features.join(", ")
        );
        let rows: Vec<Vec<String>> = c
            .classes
            .iter()
            .zip(&priors)
            .zip(&c.models)
            .map(|((name, p), m)| {
                vec![
                    name.clone(),
                    num(*p),
                    m.n_components().to_string(),
                    m.n_parameters().to_string(),
                ]
            })
            .collect();
        print_table(
            &["class", "prior", "components", "parameters"].map(String::from),
            &rows,
        );
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let (x, codes) = self.data(&a.data)?;
        let codes = codes.ok_or_else(|| {
            usage(format!(
                "{}: scoring a classifier needs the label column {:?}",
                a.data.display(),
                self.file.label_column
            ))
        })?;
        let p = self
            .file
            .classifier
            .predict_proba(&x)
            .map_err(|e| in_file(e, &a.data, &self.file.features))?;
        let m = metrics(&p, &codes)?;
        let classes = &self.file.classifier.classes;
        if out.json {
            print_json(&metrics_json(classes, &m, x.nrows()));
        } else {
            print_metrics(classes, &m, x.nrows());
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.impute {
            return Err(usage("--impute is available for Gaussian mixtures"));
        }
        let (x, _) = self.data(&a.data)?;
        let p = self
            .file
            .classifier
            .predict_proba(&x)
            .map_err(|e| in_file(e, &a.data, &self.file.features))?;
        if a.proba || out.json || a.output.is_some() {
            return predict_output(&p, a, out);
        }
        let classes = &self.file.classifier.classes;
        let rows: Vec<Vec<String>> = p
            .outer_iter()
            .enumerate()
            .map(|(i, r)| {
                let k = r
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (j, v)| if *v > b.1 { (j, *v) } else { b },
                    )
                    .0;
                vec![
                    (i + 1).to_string(),
                    classes[k].clone(),
                    format!("{:.6}", r[k]),
                ]
            })
            .collect();
        print_table(&["row", "class", "probability"].map(String::from), &rows);
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        let classes = &self.file.classifier.classes;
        let label = a.label.as_ref().ok_or_else(|| {
            usage(format!(
                "sampling a classifier needs --label (one of {})",
                classes.join(", ")
            ))
        })?;
        let k = classes.iter().position(|c| c == label).ok_or_else(|| {
            usage(format!(
                "--label {label:?}: the classes are {}",
                classes.join(", ")
            ))
        })?;
        let s = self.file.classifier.models[k].sample(a.n, &mut rng_from_seed(a.seed))?;
        sample_output(&s, &self.file.features, a, out)
    }

    fn plot(&self, _: &PlotArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "plotting a classifier is not available yet; plot a class model by fitting it alone",
        ))
    }
}

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
