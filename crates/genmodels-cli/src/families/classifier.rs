//! `genmodels fit classifier` — one generative model per class and Bayes' rule — and what the
//! generic verbs mean for it: predict a class, score accuracy and log-loss against a label
//! column, sample new instances of a chosen class.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use genmodels::classifier::{fit_classifier, metrics, GenerativeClassifier, Priors, Subset};
use genmodels::core::{rng_from_seed, Fit, LogLikelihood, Sample};
use genmodels::hmm::{
    image_sequences, images_from_sequences, BernoulliInit, EmissionInit, GaussianInit,
    GaussianMixtureEmission, GmmInit, Hmm, HmmParams, ImageReading, SegmentInit, Topology,
};
use genmodels::io::images::{write_png_grid, Images};
use genmodels::io::{load_model, save_model, ModelFile};
use genmodels::mixture::{
    BernoulliComponents, BernoulliMixture, Components, CovarianceType, GaussianComponents,
    GaussianMixture, Mixture,
};
use genmodels::neural::rbm::{AisParams, NormalizedRbm, NormalizedRbmParams, RbmParams};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{ClassVae, VaeClassParams, VaeConfig};
use ndarray::{Array2, Axis};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mixture::{binarize, predict_output, rows_output};
use super::Family;
use crate::common::{
    check_distinct, in_file, num, print_json, print_table, usage, OutputFlags, Progress,
};
use crate::output::metrics::{metrics_json, print_metrics};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

/// `genmodels fit classifier DATA --label-column Y -o MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels fit classifier data/iris.csv --label-column species --model gmm --components 2 -o iris.json\n  genmodels fit classifier data/digits_binary.csv --label-column digit --model bernoulli-mixture --components 10 -o d.json\n  genmodels predict iris.json test.csv --proba\n  genmodels score iris.json test.csv --json        # accuracy, log-loss, confusion matrix\n  genmodels sample iris.json -n 20 --label virginica -o fake.csv"
)]
pub struct FitArgs {
    /// Training data: CSV with a header row, features and a class column; or images (IDX as
    /// MNIST ships, gzip'd or not, or .npy) with their classes in `--labels`.
    pub data: PathBuf,
    /// The column holding each row's class (any text).
    #[arg(long, value_name = "COLUMN", default_value = "label")]
    pub label_column: String,
    /// The classes of image data: an IDX label file, or a CSV whose first column is the class.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Train on the first N rows (images) only.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Feature columns (default: every column but the label column).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub columns: Option<Vec<String>>,
    /// Where to write the fitted classifier (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// The class-conditional model: gmm, bernoulli-mixture, hmm (images read as sequences of
    /// pixel rows or columns), rbm (a Bernoulli RBM per class, its log Z exact or by AIS; binary
    /// data, see --binarize), vae (an MLP VAE per class with Bernoulli pixels, scored by its
    /// IWAE bound; values in [0, 1]) or bn (a naive-Bayes or TAN network over categories).
    #[arg(long, default_value = "gmm")]
    pub model: String,
    /// For --model hmm: hidden states per class.
    #[arg(long, default_value_t = 8)]
    pub states: usize,
    /// For --model hmm: read each image as a sequence of its pixel `rows` or `columns`.
    #[arg(long, default_value = "rows")]
    pub sequence: String,
    /// For --model hmm: the states' emissions: gaussian, gmm (a Gaussian mixture per state,
    /// see --mixtures) or bernoulli (binary pixels; see --binarize).
    #[arg(long, default_value = "gaussian")]
    pub emission: String,
    /// For --model hmm --emission gmm: Gaussians per state.
    #[arg(long, default_value_t = 2)]
    pub mixtures: usize,
    /// For --model hmm: left-right (each state moves on or stays; the usual model of strokes)
    /// or ergodic.
    #[arg(long, default_value = "left-right")]
    pub topology: String,
    /// Added to every covariance diagonal (default 1e-6 for mixtures, 1e-2 for HMMs over
    /// images, whose border pixels never vary).
    #[arg(long, value_name = "R")]
    pub reg_covar: Option<f64>,
    /// Mixture components per class.
    #[arg(short = 'k', long, default_value_t = 1)]
    pub components: usize,
    /// Covariance type of Gaussian mixtures: full, tied, diag, spherical (default full;
    /// diag for HMMs).
    #[arg(long)]
    pub covariance: Option<String>,
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
    /// For --model rbm: hidden units per class; --model vae: units of the encoder's (and the
    /// decoder's) hidden layer (default 100 for an RBM, 400 for a VAE).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// For --model vae: latent dimensions.
    #[arg(long, default_value_t = 20)]
    pub latent: usize,
    /// For --model vae: importance samples of the IWAE bound that stands in for log P(x | y).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub iwae: usize,
    /// For --model rbm: cd or pcd (persistent chains).
    #[arg(long, default_value = "pcd")]
    pub method: String,
    /// For --model rbm or vae: passes over each class's data.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// For --model rbm or vae: learning rate (default 0.05 for an RBM, Adam's 0.001 for a VAE).
    #[arg(long)]
    pub lr: Option<f64>,
    /// For --model rbm or vae: rows per mini-batch.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// For --model rbm: AIS runs per class for log Z (a class whose smaller layer has at most
    /// 16 units gets the exact log Z instead).
    #[arg(long, default_value_t = 20)]
    pub ais_runs: usize,
    /// For --model rbm: AIS temperatures per run.
    #[arg(long, default_value_t = 2000)]
    pub ais_betas: usize,
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
    /// Height and width of the images, when trained on images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_shape: Option<(usize, usize)>,
    /// How an image is read as a sequence (HMMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<ImageReading>,
}

/// A class-conditional model the CLI can save, read data for, describe and draw from.
pub trait ClassModel: Sized + Serialize + DeserializeOwned + LogLikelihood<Self::Data> {
    /// What the model scores: rows, or sequences.
    type Data: Subset;
    /// The model's data from rows of features.
    fn data(x: &Array2<f64>, f: &ClassifierFile<Self>) -> Result<Self::Data>;
    /// Checks a loaded model.
    fn check(&self) -> std::result::Result<(), String>;
    /// Components (or states) and free parameters.
    fn sizes(&self) -> (usize, usize);
    /// `n` new instances, as rows of features.
    fn draw(
        &self,
        n: usize,
        f: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>>;
}

impl<C: Components + Serialize + DeserializeOwned> ClassModel for Mixture<C> {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        self.validate()
    }
    fn sizes(&self) -> (usize, usize) {
        (self.n_components(), self.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?.x)
    }
}

/// The image shape and the reading (rows or columns) of an HMM classifier's file.
fn image_reading<M>(f: &ClassifierFile<M>) -> Result<((usize, usize), ImageReading)> {
    f.image_shape.zip(f.sequence).ok_or_else(|| {
        usage("this HMM classifier's file does not say how its images are read as sequences")
    })
}

impl<E: Components + Serialize + DeserializeOwned> ClassModel for Hmm<E> {
    type Data = genmodels::core::data::Sequences;
    fn data(x: &Array2<f64>, f: &ClassifierFile<Self>) -> Result<Self::Data> {
        let (shape, reading) = image_reading(f)?;
        Ok(image_sequences(x, shape, reading)?)
    }
    fn check(&self) -> std::result::Result<(), String> {
        self.validate()
    }
    fn sizes(&self) -> (usize, usize) {
        (self.n_states(), self.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        f: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        let (shape, reading) = image_reading(f)?;
        let (steps, width) = reading.steps_and_width(shape);
        let mut all = Array2::zeros((n * steps, width));
        for i in 0..n {
            let s = self.sample_sequence(steps, rng)?;
            all.slice_mut(ndarray::s![i * steps..(i + 1) * steps, ..])
                .assign(&s.x);
        }
        Ok(images_from_sequences(&all, shape, reading)?)
    }
}

macro_rules! classifier_file {
    ($model:ty, $family:literal) => {
        impl ModelFile for ClassifierFile<$model> {
            const FAMILY: &'static str = $family;
            const VERSION: u32 = 1;
            fn validate_loaded(&self) -> std::result::Result<(), String> {
                validate(&self.classifier)
            }
        }
    };
}

classifier_file!(GaussianMixture, "classifier-gmm");
classifier_file!(BernoulliMixture, "classifier-bernoulli-mixture");
classifier_file!(Hmm<GaussianComponents>, "classifier-hmm-gaussian");
classifier_file!(Hmm<GaussianMixtureEmission>, "classifier-hmm-gmm");
classifier_file!(Hmm<BernoulliComponents>, "classifier-hmm-bernoulli");
classifier_file!(NormalizedRbm, "classifier-rbm");
classifier_file!(ClassVae, "classifier-vae");

impl ClassModel for ClassVae {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        // The weights were checked against the configuration when the checkpoint was read.
        Ok(())
    }
    fn sizes(&self) -> (usize, usize) {
        (self.vae.config.latent, self.vae.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?)
    }
}

impl ClassModel for NormalizedRbm {
    type Data = Array2<f64>;
    fn data(x: &Array2<f64>, _: &ClassifierFile<Self>) -> Result<Array2<f64>> {
        Ok(x.clone())
    }
    fn check(&self) -> std::result::Result<(), String> {
        // Built through `Rbm::from_weights`, which refuses non-finite weights.
        if self.log_z.log_z.is_finite() {
            Ok(())
        } else {
            Err(format!("log Z is {}", self.log_z.log_z))
        }
    }
    fn sizes(&self) -> (usize, usize) {
        (self.rbm.n_hidden(), self.rbm.n_parameters())
    }
    fn draw(
        &self,
        n: usize,
        _: &ClassifierFile<Self>,
        rng: &mut dyn RngCore,
    ) -> Result<Array2<f64>> {
        Ok(self.sample(n, rng)?)
    }
}

fn validate<M: ClassModel>(c: &GenerativeClassifier<M>) -> std::result::Result<(), String> {
    c.validate_with(|m| m.check())
}

/// Features, their column names, the labels when the file has them, and the image shape
/// for images.
type Labelled = (
    Array2<f64>,
    Vec<String>,
    Option<Vec<String>>,
    Option<(usize, usize)>,
);

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
    Ok((x, cols, labels, None))
}

/// Whether a classifier's data file holds images (IDX or .npy, or anything with `--labels`)
/// rather than a CSV with a label column.
fn is_image_input(path: &Path, labels: Option<&Path>) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    labels.is_some() || !matches!(ext.as_str(), "csv" | "txt" | "tsv")
}

/// Classes from an IDX label file, or from the first column of a CSV (with a header row).
fn read_labels(path: &Path) -> Result<Vec<String>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" || ext == "txt" {
        let t = genmodels::io::read_csv(path)?;
        return Ok(t.rows.iter().map(|(_, r)| r[0].clone()).collect());
    }
    Ok(genmodels::io::idx::read_idx_labels(path)?
        .iter()
        .map(|b| b.to_string())
        .collect())
}

/// Images (one per row, values in [0, 1] for 8-bit input), named x1…xD, with their labels
/// when a label file is given, and their shape.
fn read_images(path: &Path, labels: Option<&Path>) -> Result<Labelled> {
    let im = Images::read(path)?;
    let x = im.pixels.mapv(f64::from);
    let labels = match labels {
        Some(l) => {
            let v = read_labels(l)?;
            if v.len() != x.nrows() {
                return Err(usage(format!(
                    "{} has {} labels but {} has {} images",
                    l.display(),
                    v.len(),
                    path.display(),
                    x.nrows()
                )));
            }
            Some(v)
        }
        None => None,
    };
    let names = (1..=x.ncols()).map(|j| format!("x{j}")).collect();
    Ok((x, names, labels, Some((im.height, im.width))))
}

fn class_codes(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut classes: Vec<String> = labels.to_vec();
    // Numeric classes (digits) sort as numbers, others as text.
    classes.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    classes.dedup();
    let codes = labels
        .iter()
        .map(|l| {
            classes
                .iter()
                .position(|c| c == l)
                .expect("from the same labels")
        })
        .collect();
    (classes, codes)
}

/// What a fit needs besides the hyper-parameters.
struct Training<'a> {
    args: &'a FitArgs,
    x: Array2<f64>,
    names: Vec<String>,
    labels: Vec<String>,
    image_shape: Option<(usize, usize)>,
    sequence: Option<ImageReading>,
}

/// Fits one `M` per class, saves the classifier, and returns the training summary.
fn fit_save<M, P>(t: &Training<'_>, params: &P, out: &OutputFlags) -> Result<serde_json::Value>
where
    M: ClassModel,
    P: Fit<M::Data, Model = M>,
    ClassifierFile<M>: ModelFile,
{
    let a = t.args;
    let (classes, codes) = class_codes(&t.labels);
    let priors = match a.priors.as_str() {
        "learned" => Priors::Learned,
        "uniform" => Priors::Uniform,
        other => {
            return Err(usage(format!(
                "--priors {other:?}: expected learned or uniform"
            )))
        }
    };
    let mut file = ClassifierFile {
        classifier: GenerativeClassifier {
            classes: Vec::new(),
            log_priors: ndarray::Array1::zeros(0),
            models: Vec::new(),
        },
        features: t.names.clone(),
        label_column: a.label_column.clone(),
        binarize: a.binarize,
        image_shape: t.image_shape,
        sequence: t.sequence,
    };
    let data = M::data(&t.x, &file)?;
    if matches!(a.model.as_str(), "rbm" | "vae") && !out.quiet {
        // A class of few mini-batches gets few updates per epoch: say so before a weak model.
        let mut counts = vec![0usize; classes.len()];
        codes.iter().for_each(|&c| counts[c] += 1);
        if let Some((k, n)) = counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n < 4 * a.batch_size)
            .min_by_key(|(_, &n)| n)
        {
            eprintln!(
                "note: class {:?} has {n} rows, under 4 batches of --batch-size {}: its model gets only {} update(s) per epoch; a smaller --batch-size or more --epochs trains it further",
                classes[k],
                a.batch_size,
                n.div_ceil(a.batch_size)
            );
        }
    }
    let mut progress = Progress::new(out.quiet || out.json, &a.model);
    let clf = fit_classifier(params, &data, &codes, classes, priors, &mut progress)
        .map_err(|e| in_file(e, &a.data, &t.names))?;
    progress.finish();
    let m = metrics(&clf.predict_proba(&data)?, &codes)?;
    let summary = json!({"family": "classifier", "model": a.model, "classes": clf.classes,
        "n_samples": t.x.nrows(), "train_accuracy": m.accuracy, "train_log_loss": m.log_loss,
        "seconds": progress.seconds()});
    file.classifier = clf;
    save_model(&file, &a.output)?;
    Ok(summary)
}

/// Runs `fit classifier`.
pub fn fit(a: &FitArgs, out: &OutputFlags) -> Result<()> {
    check_distinct(&a.data, &a.output)?;
    if a.model == "bn" {
        return super::bn::fit_classifier(
            &super::bn::NetworkClassifier {
                data: a.data.clone(),
                output: a.output.clone(),
                columns: a.columns.clone(),
                label_column: a.label_column.clone(),
                structure: a.structure.clone(),
                alpha: a.alpha,
            },
            out,
        );
    }
    let images = is_image_input(&a.data, a.labels.as_deref());
    let (mut x, names, labels, image_shape) = if images {
        read_images(&a.data, a.labels.as_deref())?
    } else {
        read(&a.data, a.columns.as_deref(), &a.label_column)?
    };
    let mut labels = labels.ok_or_else(|| {
        if images {
            usage(format!(
                "{}: image data needs --labels FILE (an IDX label file or a one-column CSV)",
                a.data.display()
            ))
        } else {
            usage(format!(
                "{}: no column {:?} for the labels",
                a.data.display(),
                a.label_column
            ))
        }
    })?;
    if let Some(n) = a.limit {
        if n == 0 {
            return Err(usage("--limit 0 leaves nothing to train on"));
        }
        let n = n.min(x.nrows());
        x = x.slice(ndarray::s![..n, ..]).to_owned();
        labels.truncate(n);
    }
    binarize(&mut x, a.binarize);
    let mut t = Training {
        args: a,
        x,
        names,
        labels,
        image_shape,
        sequence: None,
    };
    let reg = |default: f64| a.reg_covar.unwrap_or(default);
    let summary = match a.model.as_str() {
        "gmm" => {
            let cov: CovarianceType = a.covariance.as_deref().unwrap_or("full").parse()?;
            let params = GaussianMixture::params(a.components)
                .covariance(cov)
                .reg_covar(reg(1e-6))
                .max_iter(a.max_iter)
                .n_init(a.n_init)
                .seed(a.seed);
            fit_save::<GaussianMixture, _>(&t, &params, out)?
        }
        "bernoulli-mixture" | "bernoulli" => {
            let params = BernoulliMixture::params(a.components)
                .max_iter(a.max_iter)
                .n_init(a.n_init)
                .seed(a.seed);
            fit_save::<BernoulliMixture, _>(&t, &params, out)?
        }
        "hmm" => {
            let shape = image_shape.ok_or_else(|| {
                usage("--model hmm reads each image as a sequence of pixel rows or columns: give images (IDX or .npy) with --labels")
            })?;
            let reading: ImageReading = a.sequence.parse()?;
            t.sequence = Some(reading);
            let (steps, _) = reading.steps_and_width(shape);
            let topology = match a.topology.as_str() {
                "left-right" => Topology::LeftRight,
                "ergodic" | "full" => Topology::Ergodic,
                other => {
                    return Err(usage(format!(
                        "--topology {other:?}: expected left-right or ergodic"
                    )))
                }
            };
            let cov: CovarianceType = a.covariance.as_deref().unwrap_or("diag").parse()?;
            // The same Baum-Welch settings whatever the emissions.
            fn hmm_params<I: EmissionInit>(
                a: &FitArgs,
                topology: &Topology,
                init: I,
            ) -> HmmParams<I> {
                HmmParams::new(a.states, init)
                    .topology(topology.clone())
                    .max_iter(a.max_iter)
                    .n_init(a.n_init)
                    .tol(1e-3)
                    .seed(a.seed)
            }
            match a.emission.as_str() {
                "gaussian" => {
                    let init = GaussianInit {
                        covariance: cov,
                        reg_covar: reg(1e-2),
                    };
                    let p = hmm_params(a, &topology, SegmentInit::new(steps, init));
                    fit_save::<Hmm<GaussianComponents>, _>(&t, &p, out)?
                }
                "gmm" => {
                    let init = GmmInit {
                        reg_covar: reg(1e-2),
                        ..GmmInit::new(a.mixtures, cov)
                    };
                    let p = hmm_params(a, &topology, SegmentInit::new(steps, init));
                    fit_save::<Hmm<GaussianMixtureEmission>, _>(&t, &p, out)?
                }
                "bernoulli" => {
                    let p = hmm_params(
                        a,
                        &topology,
                        SegmentInit::new(steps, BernoulliInit::default()),
                    );
                    fit_save::<Hmm<BernoulliComponents>, _>(&t, &p, out)?
                }
                other => {
                    return Err(usage(format!(
                        "--emission {other:?}: expected gaussian, gmm or bernoulli"
                    )))
                }
            }
        }
        "rbm" => {
            let mut params = NormalizedRbmParams::new(
                RbmParams::new(a.hidden.unwrap_or(100))
                    .method(super::rbm::parse_method(&a.method)?)
                    .epochs(a.epochs)
                    .learning_rate(a.lr.unwrap_or(0.05))
                    .batch_size(a.batch_size)
                    .seed(a.seed),
            )
            .ais(AisParams {
                runs: a.ais_runs,
                betas: a.ais_betas,
                seed: a.seed,
            });
            if let Some(shape) = image_shape {
                params = params.image_shape(shape);
            }
            fit_save::<NormalizedRbm, _>(&t, &params, out)?
        }
        "vae" => {
            let shape = image_shape.unwrap_or((1, t.x.ncols()));
            let params = VaeClassParams {
                config: VaeConfig {
                    hidden: vec![a.hidden.unwrap_or(400)],
                    latent: a.latent,
                    ..VaeConfig::mlp(t.x.ncols(), shape)
                },
                train: TrainConfig {
                    epochs: a.epochs,
                    batch_size: a.batch_size,
                    lr: a.lr.unwrap_or(1e-3),
                    seed: a.seed,
                    ..TrainConfig::default()
                },
                iwae_k: a.iwae,
            };
            fit_save::<ClassVae, _>(&t, &params, out)?
        }
        other => {
            return Err(usage(format!(
                "--model {other:?}: expected gmm, bernoulli-mixture, hmm, rbm, vae or bn"
            )))
        }
    };
    if out.json {
        let mut v = summary;
        v["output"] = json!(a.output.display().to_string());
        print_json(&v);
    } else {
        let what = if a.model == "hmm" {
            format!("{} states", a.states)
        } else if a.model == "rbm" {
            format!("{} hidden units", a.hidden.unwrap_or(100))
        } else if a.model == "vae" {
            format!("{} latent dimensions", a.latent)
        } else {
            format!("{} components", a.components)
        };
        println!(
            "Fitted a generative classifier ({} per class, {what}) on {} rows, {} classes in {:.1} s; training accuracy {:.1} %",
            a.model,
            t.x.nrows(),
            summary["classes"].as_array().map(|c| c.len()).unwrap_or(0),
            summary["seconds"].as_f64().unwrap_or(f64::NAN),
            100.0 * summary["train_accuracy"].as_f64().unwrap_or(f64::NAN)
        );
        println!("wrote {}", a.output.display());
    }
    Ok(())
}

/// A loaded classifier.
pub struct ClassifierCli<M> {
    file: ClassifierFile<M>,
    path: PathBuf,
}

/// Loads a `genmodels/classifier-*` file.
pub fn load<M>(path: &Path) -> Result<Box<dyn Family>>
where
    M: ClassModel + 'static,
    ClassifierFile<M>: ModelFile,
{
    Ok(Box::new(ClassifierCli {
        file: load_model::<ClassifierFile<M>>(path)?,
        path: path.to_path_buf(),
    }))
}

impl<M: ClassModel> ClassifierCli<M> {
    /// The model's data and, when present, the class codes of the rows.
    fn data(
        &self,
        path: &Path,
        labels: Option<&Path>,
        limit: Option<usize>,
    ) -> Result<(M::Data, Option<Vec<usize>>)> {
        let f = &self.file;
        let (mut x, labels) = match f.image_shape {
            Some(shape) => {
                let (x, _, l, s) = read_images(path, labels)?;
                let s = s.expect("images have a shape");
                if x.ncols() != shape.0 * shape.1 {
                    return Err(usage(format!(
                        "{}: {}×{} images, but the classifier was trained on {}×{} images",
                        path.display(),
                        s.0,
                        s.1,
                        shape.0,
                        shape.1
                    )));
                }
                (x, l)
            }
            None => {
                let (x, _, l, _) = read(path, Some(&f.features), &f.label_column)?;
                (x, l)
            }
        };
        let mut labels = labels;
        if let Some(n) = limit {
            let n = n.min(x.nrows());
            x = x.slice(ndarray::s![..n, ..]).to_owned();
            if let Some(l) = labels.as_mut() {
                l.truncate(n);
            }
        }
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
                                    "{}: unknown class {s:?} (the classes are {})",
                                    path.display(),
                                    f.classifier.classes.join(", ")
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok((M::data(&x, f)?, codes))
    }

    fn proba(&self, data: &M::Data, path: &Path) -> Result<Array2<f64>> {
        self.file
            .classifier
            .predict_proba(data)
            .map_err(|e| in_file(e, path, &self.file.features))
    }
}

impl<M: ClassModel> Family for ClassifierCli<M> {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let c = &self.file.classifier;
        let priors: Vec<f64> = c.log_priors.iter().map(|l| l.exp()).collect();
        let (family, _) = genmodels::io::peek_format(&self.path)?;
        if out.json {
            print_json(&json!({
                "family": "classifier",
                "format": family,
                "path": self.path.display().to_string(),
                "classes": c.classes,
                "priors": priors,
                "features": self.file.features.len(),
                "image_shape": self.file.image_shape,
                "sequence": self.file.sequence,
                "label_column": self.file.label_column,
                "components_per_class": c.models.iter().map(|m| m.sizes().0).collect::<Vec<_>>(),
                "parameters_per_class": c.models.iter().map(|m| m.sizes().1).collect::<Vec<_>>(),
            }));
            return Ok(());
        }
        println!("Generative classifier ({family}) — {}", self.path.display());
        match (self.file.image_shape, self.file.sequence) {
            (Some((h, w)), Some(r)) => println!("  {h}×{w} images read as sequences of {r:?}"),
            (Some((h, w)), None) => println!("  {h}×{w} images"),
            _ => println!(
                "  label column {:?}, features {}",
                self.file.label_column,
                self.file.features.join(", ")
            ),
        }
        let rows: Vec<Vec<String>> = c
            .classes
            .iter()
            .zip(&priors)
            .zip(&c.models)
            .map(|((name, p), m)| {
                let (k, np) = m.sizes();
                vec![name.clone(), num(*p), k.to_string(), np.to_string()]
            })
            .collect();
        print_table(
            &["class", "prior", "components/states", "parameters"].map(String::from),
            &rows,
        );
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let (data, codes) = self.data(&a.data, a.labels.as_deref(), a.limit)?;
        let codes = codes.ok_or_else(|| {
            if self.file.image_shape.is_some() {
                usage("scoring an image classifier needs the true classes: --labels FILE")
            } else {
                usage(format!(
                    "{}: scoring a classifier needs the label column {:?}",
                    a.data.display(),
                    self.file.label_column
                ))
            }
        })?;
        let p = self.proba(&data, &a.data)?;
        let m = metrics(&p, &codes)?;
        let classes = &self.file.classifier.classes;
        if out.json {
            print_json(&metrics_json(classes, &m, p.nrows()));
        } else {
            print_metrics(classes, &m, p.nrows());
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.impute {
            return Err(usage("--impute is available for Gaussian mixtures"));
        }
        let (data, _) = self.data(&a.data, a.labels.as_deref(), None)?;
        let p = self.proba(&data, &a.data)?;
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

    /// New instances of `--label`'s class; for image classifiers without `--label`, `n` of
    /// every class, one row of the picture per class.
    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        let classes = &self.file.classifier.classes;
        let mut rng = rng_from_seed(a.seed);
        let png = a
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        let which: Vec<usize> = match &a.label {
            Some(label) => vec![classes.iter().position(|c| c == label).ok_or_else(|| {
                usage(format!(
                    "--label {label:?}: the classes are {}",
                    classes.join(", ")
                ))
            })?],
            None if png => (0..classes.len()).collect(),
            None => {
                return Err(usage(format!(
                    "sampling a classifier needs --label (one of {}){}",
                    classes.join(", "),
                    if self.file.image_shape.is_some() {
                        "; or write a .png to draw every class, one row each"
                    } else {
                        ""
                    }
                )))
            }
        };
        let parts = which
            .iter()
            .map(|&k| self.file.classifier.models[k].draw(a.n, &self.file, &mut rng))
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        let x = ndarray::concatenate(Axis(0), &views)?;
        if png {
            let path = a.output.as_ref().expect("png implies an output");
            let shape = self.file.image_shape.ok_or_else(|| {
                usage("a .png picture needs a classifier trained on images; write .csv or .npy")
            })?;
            let columns = if which.len() > 1 {
                a.n
            } else {
                a.columns
                    .unwrap_or_else(|| (a.n as f64).sqrt().ceil() as usize)
            };
            write_png_grid(path, x.mapv(|v| v as f32).view(), shape, columns.max(1), 2)?;
            if out.json {
                print_json(&json!({"n": x.nrows(), "output": path.display().to_string()}));
            } else if !out.quiet {
                eprintln!(
                    "wrote {} samples ({} per class, classes {}) to {}",
                    x.nrows(),
                    a.n,
                    which
                        .iter()
                        .map(|&k| classes[k].as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    path.display()
                );
            }
            return Ok(());
        }
        let labels: Vec<String> = which
            .iter()
            .flat_map(|&k| std::iter::repeat_n(classes[k].clone(), a.n))
            .collect();
        rows_output(&x, &self.file.features, Some(("class", labels)), a, out)
    }

    fn plot(&self, _: &PlotArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "plotting a classifier is not available; for image classifiers, `sample MODEL -n 8 -o classes.png` draws every class",
        ))
    }
}
