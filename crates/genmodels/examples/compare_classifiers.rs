//! Generative classifiers (one model per class, Bayes' rule) next to scikit-learn's GaussianNB,
//! QuadraticDiscriminantAnalysis and LogisticRegression, on iris, digits (8×8) and MNIST, on
//! the same splits.
//!
//! ```sh
//! cargo run --release -p genmodels --example compare_classifiers                # all three
//! cargo run --release -p genmodels --example compare_classifiers -- iris digits # a subset
//! cargo run --release -p genmodels --example compare_classifiers -- --slow mnist  # + slow models
//! cargo run --release -p genmodels --example compare_classifiers -- --explore mnist
//! cargo run --release -p genmodels --example compare_classifiers -- --explore digits --filter HMM
//! ```
//!
//! * iris and digits: stratified 5-fold cross-validation with the folds written into
//!   `tests/fixtures/classifier/sklearn_classifiers.json` by
//!   `fixtures/make_classifier_fixtures.py` (scikit-learn's `StratifiedKFold(5, shuffle=True,
//!   random_state=0)`); accuracy and log-loss are means over the folds. MNIST: the standard
//!   60,000 / 10,000 split. The scikit-learn rows are read from the same JSON.
//! * Features: iris in cm; digits pixels / 16 (`data/digits.csv`, 0..16); MNIST pixels / 255.
//!   Bernoulli mixtures see binarised pixels (digits: value > 7 of 16, as
//!   `data/digits_binary.csv`; MNIST: byte ≥ 128). HMMs read each image as a sequence of its
//!   pixel rows (8 steps of 8 values, 28 steps of 28 values).
//! * Log-loss: mean `−ln max(P(true class | x), 1e-15)` (`classifier::metrics`), the same
//!   definition as the fixture's `log_loss`.
//! * Settings were chosen with `--explore` on validation data only: for MNIST, models fitted on
//!   training images 0..50,000 and scored on 50,000..60,000; for digits, on the training rows
//!   of fold 0 split 80/20 (`stratified_folds(.., 5, 0)`; those validation rows are test rows of
//!   other folds, a mild leak stated here). The test sets were not used to choose anything.
//!   The RBM and VAE rows were not tuned at all: they use the usual sizes, fixed beforehand.

use std::path::{Path, PathBuf};
use std::time::Instant;

use genmodels::classifier::{fit_classifier_silently, metrics, stratified_folds, Metrics, Priors};
use genmodels::core::data::Sequences;
use genmodels::core::{Fit, LogLikelihood, Result};
use genmodels::hmm::{
    image_sequences, BernoulliInit, GaussianInit, GmmInit, HmmParams, ImageReading, SegmentInit,
    Topology,
};
use genmodels::mixture::{BernoulliMixture, CovarianceType, GaussianMixture};
use genmodels::neural::rbm::{AisParams, Method, NormalizedRbmParams, RbmParams};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{VaeClassParams, VaeConfig};
use ndarray::{Array2, Axis};
use serde_json::Value;

/// A generative classifier's recipe: the class-conditional model and how it sees the data.
#[derive(Debug, Clone)]
enum Model {
    /// A Gaussian mixture per class on the (scaled) features.
    Gmm {
        k: usize,
        cov: CovarianceType,
        reg: f64,
        n_init: usize,
        max_iter: usize,
    },
    /// A per-class diagonal Gaussian with scikit-learn's GaussianNB smoothing: `reg_covar` =
    /// 1e-9 × the largest feature variance of the training rows (GaussianNB exactly).
    NaiveBayes,
    /// A Bernoulli mixture per class on pixels binarised at `threshold`.
    Bernoulli {
        k: usize,
        threshold: f64,
        clip: f64,
        n_init: usize,
        max_iter: usize,
    },
    /// An HMM per class over the image's pixel rows.
    Hmm {
        states: usize,
        left_right: bool,
        emit: Emit,
        start: Start,
        max_iter: usize,
    },
    /// A Bernoulli RBM per class on binarised pixels (PCD, batch 100, learning rate 0.05), its
    /// log Z exact (≤ 16 hidden units) or by AIS (20 runs × 2,000 temperatures).
    Rbm {
        hidden: usize,
        epochs: usize,
        threshold: f64,
    },
    /// An MLP VAE per class on binarised pixels (Adam 1e-3, batch 100), scored by IWAE(k).
    Vae {
        hidden: usize,
        latent: usize,
        epochs: usize,
        k: usize,
        threshold: f64,
    },
}

/// What an HMM state emits: one pixel row.
#[derive(Debug, Clone, Copy)]
enum Emit {
    /// A Gaussian over the row's (scaled) pixel values.
    Gaussian { cov: CovarianceType, reg: f64 },
    /// Independent Bernoulli pixels of the row binarised at `threshold`.
    Bernoulli { threshold: f64, clip: f64 },
    /// A mixture of `m` Gaussians over the row (GMM-HMM).
    Mixture {
        m: usize,
        cov: CovarianceType,
        reg: f64,
    },
}

/// How the emissions of a fresh Baum-Welch fit start.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// The library's `GaussianInit`: k-means over all rows of the class (state order unrelated
    /// to the chain's order).
    KMeans,
    /// [`SegmentInit`]: state s starts from the rows of the s-th horizontal band of the images.
    Segments,
}

impl Model {
    fn name(&self) -> String {
        match self {
            Model::Gmm { k, cov, .. } => format!("GMM {cov} K={k}"),
            Model::NaiveBayes => "Gaussian (diag, K=1) = GaussianNB".into(),
            Model::Bernoulli { k, .. } => format!("Bernoulli mixture K={k}"),
            Model::Hmm {
                states,
                left_right,
                emit,
                ..
            } => format!(
                "HMM over rows, {states} states {}, {}",
                if *left_right { "left-right" } else { "ergodic" },
                match emit {
                    Emit::Gaussian { cov, .. } => format!("Gaussian {cov}"),
                    Emit::Bernoulli { .. } => "Bernoulli".into(),
                    Emit::Mixture { m, cov, .. } => format!("{m}-Gaussian {cov} mixture"),
                }
            ),
            Model::Rbm { hidden, .. } => format!("RBM, {hidden} hidden units"),
            Model::Vae { hidden, latent, .. } => format!("VAE, MLP {hidden}-{latent}"),
        }
    }

    fn settings(&self) -> String {
        match self {
            Model::Gmm {
                reg,
                n_init,
                max_iter,
                ..
            } => format!("reg_covar {reg:e}, n_init {n_init}, max_iter {max_iter}, k-means start"),
            Model::NaiveBayes => "reg_covar = 1e-9 × max feature variance".into(),
            Model::Bernoulli {
                threshold,
                clip,
                n_init,
                max_iter,
                ..
            } => {
                format!("pixels > {threshold}, clip {clip:e}, n_init {n_init}, max_iter {max_iter}")
            }
            Model::Hmm {
                emit,
                start,
                max_iter,
                ..
            } => format!(
                "{}, {} start, Baum-Welch max_iter {max_iter}",
                match emit {
                    Emit::Gaussian { reg, .. } => format!("reg_covar {reg:e}"),
                    Emit::Bernoulli { threshold, clip } =>
                        format!("pixels > {threshold}, clip {clip:e}"),
                    Emit::Mixture { reg, .. } => format!("reg_covar {reg:e}"),
                },
                match start {
                    Start::KMeans => "k-means",
                    Start::Segments => "row-band",
                }
            ),
            Model::Rbm {
                hidden,
                epochs,
                threshold,
            } => format!(
                "pixels > {threshold}, PCD {epochs} epochs, lr 0.05, {}",
                if *hidden <= 16 {
                    "exact log Z"
                } else {
                    "AIS log Z (20 × 2000)"
                }
            ),
            Model::Vae {
                epochs,
                k,
                threshold,
                ..
            } => format!("pixels > {threshold}, Adam 1e-3, {epochs} epochs, IWAE({k})"),
        }
    }

    /// Fits one model per class on the training rows and returns `P(y | x)` of the test rows.
    fn run(
        &self,
        xtr: &Array2<f64>,
        ytr: &[usize],
        xte: &Array2<f64>,
        classes: &[String],
        shape: (usize, usize),
    ) -> Result<Array2<f64>> {
        match self {
            Model::Gmm {
                k,
                cov,
                reg,
                n_init,
                max_iter,
            } => {
                let p = GaussianMixture::params(*k)
                    .covariance(*cov)
                    .reg_covar(*reg)
                    .n_init(*n_init)
                    .max_iter(*max_iter)
                    .seed(0);
                fit_predict(&p, xtr, ytr, xte, classes)
            }
            Model::NaiveBayes => {
                let mean = xtr.mean_axis(Axis(0)).expect("rows");
                let var = (xtr - &mean)
                    .mapv(|v| v * v)
                    .mean_axis(Axis(0))
                    .expect("rows");
                let eps = 1e-9 * var.iter().cloned().fold(0.0, f64::max);
                let p = GaussianMixture::params(1)
                    .covariance(CovarianceType::Diag)
                    .reg_covar(eps);
                fit_predict(&p, xtr, ytr, xte, classes)
            }
            Model::Bernoulli {
                k,
                threshold,
                clip,
                n_init,
                max_iter,
            } => {
                let b = |x: &Array2<f64>| x.mapv(|v| if v > *threshold { 1.0 } else { 0.0 });
                let p = BernoulliMixture::params(*k)
                    .clip(*clip)
                    .n_init(*n_init)
                    .max_iter(*max_iter)
                    .seed(0);
                fit_predict(&p, &b(xtr), ytr, &b(xte), classes)
            }
            Model::Hmm {
                states,
                left_right,
                emit,
                start,
                max_iter,
            } => {
                let topology = if *left_right {
                    Topology::LeftRight
                } else {
                    Topology::Ergodic
                };
                let steps = shape.0;
                match *emit {
                    Emit::Gaussian { cov, reg } => {
                        let init = GaussianInit {
                            covariance: cov,
                            reg_covar: reg,
                        };
                        let (tr, te) =
                            (as_row_sequences(xtr, shape)?, as_row_sequences(xte, shape)?);
                        if *start == Start::KMeans {
                            let p = HmmParams::new(*states, init)
                                .topology(topology)
                                .max_iter(*max_iter)
                                .tol(1e-3)
                                .seed(0);
                            fit_predict(&p, &tr, ytr, &te, classes)
                        } else {
                            let p = HmmParams::new(*states, SegmentInit::new(steps, init))
                                .topology(topology)
                                .max_iter(*max_iter)
                                .tol(1e-3)
                                .seed(0);
                            fit_predict(&p, &tr, ytr, &te, classes)
                        }
                    }
                    Emit::Mixture { m, cov, reg } => {
                        let init = GmmInit {
                            reg_covar: reg,
                            ..GmmInit::new(m, cov)
                        };
                        assert!(*start == Start::Segments, "GMM-HMMs start from row bands");
                        let p = HmmParams::new(*states, SegmentInit::new(steps, init))
                            .topology(topology)
                            .max_iter(*max_iter)
                            .tol(1e-3)
                            .seed(0);
                        fit_predict(
                            &p,
                            &as_row_sequences(xtr, shape)?,
                            ytr,
                            &as_row_sequences(xte, shape)?,
                            classes,
                        )
                    }
                    Emit::Bernoulli { threshold, clip } => {
                        assert!(
                            *start == Start::Segments,
                            "Bernoulli HMMs start from row bands"
                        );
                        let b = |x: &Array2<f64>| x.mapv(|v| if v > threshold { 1.0 } else { 0.0 });
                        let p = HmmParams::new(
                            *states,
                            SegmentInit::new(steps, BernoulliInit { clip }),
                        )
                        .topology(topology)
                        .max_iter(*max_iter)
                        .tol(1e-3)
                        .seed(0);
                        fit_predict(
                            &p,
                            &as_row_sequences(&b(xtr), shape)?,
                            ytr,
                            &as_row_sequences(&b(xte), shape)?,
                            classes,
                        )
                    }
                }
            }
            Model::Rbm {
                hidden,
                epochs,
                threshold,
            } => {
                let b = |x: &Array2<f64>| x.mapv(|v| if v > *threshold { 1.0 } else { 0.0 });
                let p = NormalizedRbmParams::new(
                    RbmParams::new(*hidden)
                        .method(Method::Pcd)
                        .epochs(*epochs)
                        .batch_size(100)
                        .learning_rate(0.05)
                        .seed(0),
                )
                .ais(AisParams {
                    runs: 20,
                    betas: 2_000,
                    seed: 0,
                })
                .image_shape(shape);
                fit_predict(&p, &b(xtr), ytr, &b(xte), classes)
            }
            Model::Vae {
                hidden,
                latent,
                epochs,
                k,
                threshold,
            } => {
                let b = |x: &Array2<f64>| x.mapv(|v| if v > *threshold { 1.0 } else { 0.0 });
                let p = VaeClassParams {
                    config: VaeConfig {
                        hidden: vec![*hidden],
                        latent: *latent,
                        ..VaeConfig::mlp(shape.0 * shape.1, shape)
                    },
                    train: TrainConfig {
                        epochs: *epochs,
                        batch_size: 100,
                        lr: 1e-3,
                        seed: 0,
                        ..TrainConfig::default()
                    },
                    iwae_k: *k,
                };
                fit_predict(&p, &b(xtr), ytr, &b(xte), classes)
            }
        }
    }
}

fn fit_predict<D, P>(
    params: &P,
    train: &D,
    ytr: &[usize],
    test: &D,
    classes: &[String],
) -> Result<Array2<f64>>
where
    D: genmodels::classifier::Subset,
    P: Fit<D>,
    P::Model: LogLikelihood<D>,
{
    let clf = fit_classifier_silently(params, train, ytr, classes.to_vec(), Priors::Learned)?;
    clf.predict_proba(test)
}

/// Each image (a row of `h·w` pixels) as a sequence of its `h` pixel rows of `w` values.
fn as_row_sequences(x: &Array2<f64>, shape: (usize, usize)) -> Result<Sequences> {
    image_sequences(x, shape, ImageReading::Rows)
}

/// One evaluation split: training rows and labels, test rows and labels.
type Split = (Array2<f64>, Vec<usize>, Array2<f64>, Vec<usize>);

/// One dataset with its evaluation splits.
struct Task {
    name: &'static str,
    classes: Vec<String>,
    shape: (usize, usize),
    splits: Vec<Split>,
    protocol: &'static str,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/classifier/sklearn_classifiers.json");
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fixture JSON")).expect("JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn split_rows(x: &Array2<f64>, y: &[usize], held: &[usize]) -> Split {
    let mut in_fold = vec![false; y.len()];
    held.iter().for_each(|&i| in_fold[i] = true);
    let train: Vec<usize> = (0..y.len()).filter(|&i| !in_fold[i]).collect();
    (
        x.select(Axis(0), &train),
        train.iter().map(|&i| y[i]).collect(),
        x.select(Axis(0), held),
        held.iter().map(|&i| y[i]).collect(),
    )
}

/// iris or digits from `data/`, with the fixture's folds (or, when exploring, fold 0's
/// training rows split 80/20).
fn csv_task(f: &Value, name: &'static str, scale: f64, explore: bool) -> Result<Task> {
    let d = &f["datasets"][name];
    let t = genmodels::io::read_csv(&root().join(d["file"].as_str().expect("file")))?;
    let x = t.numeric(Some(&strings(&d["features"])))?.data / scale;
    let col = t.column_index(d["label"].as_str().expect("label"))?;
    let classes = strings(&d["classes"]);
    let y: Vec<usize> = t
        .rows
        .iter()
        .map(|(_, r)| classes.iter().position(|c| *c == r[col]).expect("class"))
        .collect();
    let folds: Vec<Vec<usize>> = d["folds"]
        .as_array()
        .expect("folds")
        .iter()
        .map(|f| {
            f.as_array()
                .expect("fold")
                .iter()
                .map(|i| i.as_u64().expect("index") as usize)
                .collect()
        })
        .collect();
    let shape = match name {
        "digits" => (8, 8),
        _ => (1, x.ncols()),
    };
    if explore {
        let (xtr, ytr, _, _) = split_rows(&x, &y, &folds[0]);
        let val = stratified_folds(&ytr, 5, 0)?.swap_remove(0);
        return Ok(Task {
            name,
            classes,
            shape,
            splits: vec![split_rows(&xtr, &ytr, &val)],
            protocol: "validation: fold 0's training rows, 80/20",
        });
    }
    Ok(Task {
        name,
        classes,
        shape,
        splits: folds.iter().map(|held| split_rows(&x, &y, held)).collect(),
        protocol: "5-fold CV, fixture folds (mean)",
    })
}

fn mnist_task(explore: bool) -> Result<Task> {
    use genmodels::io::idx::{read_idx_images, read_idx_labels};
    let dir = root().join("data/mnist");
    let (xtr, shape) = read_idx_images(&dir.join("train-images-idx3-ubyte.gz"))?;
    let ytr: Vec<usize> = read_idx_labels(&dir.join("train-labels-idx1-ubyte.gz"))?
        .iter()
        .map(|&b| b as usize)
        .collect();
    let classes: Vec<String> = (0..10).map(|k| k.to_string()).collect();
    if explore {
        let n = 50_000;
        let split = (
            xtr.slice(ndarray::s![..n, ..]).to_owned(),
            ytr[..n].to_vec(),
            xtr.slice(ndarray::s![n.., ..]).to_owned(),
            ytr[n..].to_vec(),
        );
        return Ok(Task {
            name: "mnist",
            classes,
            shape,
            splits: vec![split],
            protocol: "validation: train 0..50k, score 50k..60k",
        });
    }
    let (xte, _) = read_idx_images(&dir.join("t10k-images-idx3-ubyte.gz"))?;
    let yte: Vec<usize> = read_idx_labels(&dir.join("t10k-labels-idx1-ubyte.gz"))?
        .iter()
        .map(|&b| b as usize)
        .collect();
    Ok(Task {
        name: "mnist",
        classes,
        shape,
        splits: vec![(xtr, ytr, xte, yte)],
        protocol: "60k train / 10k test",
    })
}

fn gmm(k: usize, cov: CovarianceType, reg: f64) -> Model {
    gmm_iter(k, cov, reg, 100)
}

fn gmm_iter(k: usize, cov: CovarianceType, reg: f64, max_iter: usize) -> Model {
    Model::Gmm {
        k,
        cov,
        reg,
        n_init: 1,
        max_iter,
    }
}

fn bernoulli(k: usize, threshold: f64, clip: f64) -> Model {
    bernoulli_iter(k, threshold, clip, 100)
}

fn bernoulli_iter(k: usize, threshold: f64, clip: f64, max_iter: usize) -> Model {
    Model::Bernoulli {
        k,
        threshold,
        clip,
        n_init: 1,
        max_iter,
    }
}

fn hmm(states: usize, left_right: bool, cov: CovarianceType, reg: f64, max_iter: usize) -> Model {
    Model::Hmm {
        states,
        left_right,
        emit: Emit::Gaussian { cov, reg },
        start: Start::Segments,
        max_iter,
    }
}

fn hmm_kmeans(
    states: usize,
    left_right: bool,
    cov: CovarianceType,
    reg: f64,
    max_iter: usize,
) -> Model {
    Model::Hmm {
        states,
        left_right,
        emit: Emit::Gaussian { cov, reg },
        start: Start::KMeans,
        max_iter,
    }
}

fn hmm_mixture(states: usize, m: usize, cov: CovarianceType, reg: f64, max_iter: usize) -> Model {
    Model::Hmm {
        states,
        left_right: true,
        emit: Emit::Mixture { m, cov, reg },
        start: Start::Segments,
        max_iter,
    }
}

fn hmm_bernoulli(states: usize, left_right: bool, threshold: f64, max_iter: usize) -> Model {
    Model::Hmm {
        states,
        left_right,
        emit: Emit::Bernoulli {
            threshold,
            clip: 1e-3,
        },
        start: Start::Segments,
        max_iter,
    }
}

use CovarianceType::{Diag, Full, Spherical, Tied};

/// The models of the comparison table, per dataset. Iris: not tuned (K = 2 for every
/// covariance type, the library's default `reg_covar`). Digits and MNIST: settings chosen with
/// `--explore` on validation data (the best validation accuracy, ties broken by log-loss).
/// `slow` adds the MNIST models that take minutes each on 2 cores.
fn models(dataset: &str, slow: bool) -> Vec<Model> {
    match dataset {
        "iris" => vec![
            Model::NaiveBayes,
            gmm(1, Full, 1e-6),
            gmm(2, Full, 1e-6),
            gmm(2, Diag, 1e-6),
            gmm(2, Tied, 1e-6),
            gmm(2, Spherical, 1e-6),
        ],
        "digits" => vec![
            Model::NaiveBayes,
            gmm(1, Full, 3e-2),
            gmm(2, Full, 1e-2),
            gmm(5, Diag, 1e-2),
            gmm(3, Tied, 1e-2),
            gmm(10, Spherical, 1e-1),
            bernoulli(10, 7.0 / 16.0, 1e-3),
            hmm(8, true, Diag, 1e-1, 30),
            hmm(8, true, Full, 1e-2, 30),
            hmm_mixture(8, 3, Diag, 1e-2, 30),
            hmm_bernoulli(8, true, 7.0 / 16.0, 30),
            // Not tuned (no --explore run): 16 hidden units keep log Z exact.
            Model::Rbm {
                hidden: 16,
                epochs: 50,
                threshold: 7.0 / 16.0,
            },
            Model::Vae {
                hidden: 64,
                latent: 8,
                epochs: 50,
                k: 50,
                threshold: 7.0 / 16.0,
            },
        ],
        "mnist" => {
            let mut v = vec![
                Model::NaiveBayes,
                gmm_iter(1, Full, 1e-1, 30),
                gmm_iter(10, Diag, 1e-2, 30),
                gmm_iter(20, Spherical, 1e-2, 30),
                bernoulli_iter(30, 0.5, 1e-3, 30),
                bernoulli_iter(100, 0.5, 1e-3, 30),
                hmm_bernoulli(20, true, 0.5, 20),
                // Not tuned: the usual sizes (Kingma & Welling's VAE; a 100-unit RBM).
                Model::Rbm {
                    hidden: 100,
                    epochs: 10,
                    threshold: 0.5,
                },
                Model::Vae {
                    hidden: 400,
                    latent: 20,
                    epochs: 10,
                    k: 5,
                    threshold: 0.5,
                },
            ];
            if slow {
                // Tied K = 2 whitens every row once per component with a 784 × 784 factor
                // for 30 iterations (K = 1 full converges in two); the GMM-HMM's per-sequence
                // E-step is small-matrix work.
                v.push(gmm_iter(2, Tied, 1e-1, 30));
                v.push(hmm_mixture(14, 3, Full, 1e-1, 20));
            }
            v
        }
        _ => unreachable!(),
    }
}

/// What `--explore` tries on the validation split (the record of how the table's settings were
/// chosen). Validation accuracies measured when writing this example:
///
/// * digits (288 validation rows, so 1 row = 0.35 points): full K=1 0.986 for reg 1e-3..3e-2
///   (log-loss best at 3e-2), 0.979 at 1e-1; full K=2 0.990; tied K=3 0.986; diag K=5 0.979
///   (reg 1e-2); spherical K=10 0.979 (reg 3e-2 and 1e-1); Bernoulli K=1/3/5/10 0.851 / 0.917
///   / 0.924 / 0.931; row HMMs, 8 states left-right: diag 0.879..0.899 (best reg 1e-1), full
///   0.941, 3-Gaussian mixture diag 0.948 / full 0.941, Bernoulli 0.858; with the library's k-means start
///   instead of row bands the left-right diag HMM drops to 0.858 (ergodic: 0.899).
/// * MNIST (10,000 validation images): full K=1 reg 1e-2 / 3e-2 / 1e-1 / 3e-1: 0.950 / 0.957 /
///   0.957 / 0.937; tied K=2 (reg 1e-1) 0.958; diag K=10 0.917; spherical K=20 0.940;
///   Bernoulli K=10 / 30 / 50 / 100: 0.938 / 0.952 / 0.960 / 0.965; row HMMs, left-right:
///   diag 8 states 0.693 (k-means start), 0.754 (row-band start), 0.701 (reg 1e-1); full 8
///   states 0.776, 14 states 0.824 (reg 1e-2) / 0.856 (reg 1e-1); Bernoulli 14 / 20 / 28
///   states 0.868 / 0.877 / 0.877;
///   GMM-HMM 14 states × 4 diag Gaussians 0.907, × 3 full Gaussians 0.913 (reg 1e-1).
fn explore_models(dataset: &str) -> Vec<Model> {
    let mut v = Vec::new();
    match dataset {
        "digits" => {
            for reg in [1e-3, 1e-2, 3e-2, 1e-1] {
                v.push(gmm(1, Full, reg));
                v.push(gmm(5, Diag, reg));
                v.push(gmm(10, Spherical, reg));
                v.push(hmm(8, true, Diag, reg, 30));
            }
            for k in [1, 2, 3] {
                v.push(gmm(k, Full, 1e-2));
                v.push(gmm(k, Tied, 1e-2));
            }
            for k in [1, 3, 5, 10] {
                v.push(bernoulli(k, 7.0 / 16.0, 1e-3));
            }
            v.push(hmm_kmeans(8, true, Diag, 1e-2, 30));
            v.push(hmm_kmeans(8, false, Diag, 1e-2, 30));
            v.push(hmm(8, false, Diag, 1e-2, 30));
            v.push(hmm(4, true, Diag, 1e-2, 30));
            v.push(hmm(8, true, Full, 1e-2, 30));
            v.push(hmm_bernoulli(8, true, 7.0 / 16.0, 30));
            v.push(hmm_mixture(8, 3, Full, 1e-1, 30));
            v.push(hmm_mixture(8, 3, Diag, 1e-2, 30));
            v.push(hmm_bernoulli(4, true, 7.0 / 16.0, 30));
        }
        "mnist" => {
            v.push(bernoulli(10, 0.5, 1e-3));
            v.push(gmm(10, Diag, 1e-2));
            v.push(hmm_kmeans(8, true, Diag, 1e-2, 20));
            v.push(gmm(20, Spherical, 1e-2));
            v.push(bernoulli(30, 0.5, 1e-3));
            for reg in [1e-2, 1e-1] {
                v.push(gmm(1, Full, reg));
            }
            v.push(hmm(8, true, Diag, 1e-2, 20));
            v.push(hmm(8, true, Diag, 1e-1, 20));
            v.push(hmm(8, true, Full, 1e-2, 20));
            v.push(hmm(14, true, Full, 1e-2, 20));
            v.push(hmm(14, true, Full, 1e-1, 20));
            v.push(hmm_bernoulli(14, true, 0.5, 20));
            v.push(hmm_bernoulli(20, true, 0.5, 20));
            v.push(hmm_bernoulli(28, true, 0.5, 20));
            v.push(hmm_mixture(14, 4, Diag, 5e-2, 20));
            v.push(hmm_mixture(14, 3, Full, 1e-1, 20));
            v.push(gmm_iter(10, Diag, 1e-2, 30));
            v.push(gmm_iter(20, Spherical, 1e-2, 30));
            v.push(gmm_iter(2, Tied, 1e-1, 30));
            v.push(bernoulli_iter(30, 0.5, 1e-3, 30));
            v.push(bernoulli_iter(50, 0.5, 1e-3, 30));
            v.push(bernoulli_iter(100, 0.5, 1e-3, 30));
            v.push(gmm_iter(1, Full, 1e-1, 30));
            v.push(gmm_iter(1, Full, 3e-2, 30));
            v.push(gmm_iter(1, Full, 3e-1, 30));
        }
        _ => v.push(gmm(2, Full, 1e-6)),
    }
    v
}

/// Mean metrics over the task's splits, and the seconds it took.
fn evaluate(task: &Task, model: &Model) -> Result<(f64, f64, f64)> {
    let t = Instant::now();
    let mut ms: Vec<Metrics> = Vec::new();
    for (xtr, ytr, xte, yte) in &task.splits {
        let p = model.run(xtr, ytr, xte, &task.classes, task.shape)?;
        ms.push(metrics(&p, yte)?);
    }
    let n = ms.len() as f64;
    Ok((
        ms.iter().map(|m| m.accuracy).sum::<f64>() / n,
        ms.iter().map(|m| m.log_loss).sum::<f64>() / n,
        t.elapsed().as_secs_f64(),
    ))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let explore = args.iter().any(|a| a == "--explore");
    let slow = args.iter().any(|a| a == "--slow");
    // `--filter TEXT`: only the models whose name or settings contain TEXT.
    let filter = args
        .iter()
        .position(|a| a == "--filter")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let mut names: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--filter"))
        .map(|(_, a)| a)
        .map(|s| s.as_str())
        .collect();
    if names.is_empty() {
        names = vec!["iris", "digits", "mnist"];
    }
    // Exploring MNIST alone needs no fixture (it was used to choose the settings before the
    // fixture existed).
    let f = if explore && names == ["mnist"] {
        Value::Null
    } else {
        fixture()
    };
    let started = Instant::now();
    println!(
        "| dataset | model | settings | accuracy | log-loss | seconds |\n|---|---|---|---:|---:|---:|"
    );
    for name in names {
        let task = match name {
            "iris" => csv_task(&f, "iris", 1.0, explore)?,
            "digits" => csv_task(&f, "digits", 16.0, explore)?,
            "mnist" => mnist_task(explore)?,
            other => panic!("unknown dataset {other:?} (iris, digits, mnist)"),
        };
        let list = if explore {
            explore_models(name)
        } else {
            models(name, slow)
        };
        let mut total = 0.0;
        for m in &list {
            if let Some(f) = &filter {
                if !format!("{} {}", m.name(), m.settings()).contains(f.as_str()) {
                    continue;
                }
            }
            match evaluate(&task, m) {
                Ok((acc, ll, secs)) => {
                    total += secs;
                    println!(
                        "| {} | ours: {} | {} | {:.4} | {:.4} | {:.1} |",
                        task.name,
                        m.name(),
                        m.settings(),
                        acc,
                        ll,
                        secs
                    );
                }
                Err(e) => println!(
                    "| {} | ours: {} | {} | FAILED: {e} | | |",
                    task.name,
                    m.name(),
                    m.settings()
                ),
            }
        }
        eprintln!(
            "{}: our models took {total:.1} s ({})",
            task.name, task.protocol
        );
        if !explore {
            for r in f["results"].as_array().expect("results") {
                if r["dataset"] != task.name {
                    continue;
                }
                // (The fixture's timings were taken on another, busier machine: not shown.)
                println!(
                    "| {} | scikit-learn: {} | {} | {:.4} | {:.4} | |",
                    task.name,
                    r["model"].as_str().unwrap_or("?"),
                    r["settings"].as_str().unwrap_or(""),
                    r["accuracy"].as_f64().unwrap_or(f64::NAN),
                    r["log_loss"].as_f64().unwrap_or(f64::NAN),
                );
            }
        }
    }
    eprintln!("total {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
