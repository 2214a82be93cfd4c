//! `genmodels fit classifier --model M`: its flags and the fit of one model per class.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use genmodels::classifier::{fit_classifier, metrics, GenerativeClassifier, Priors};
use genmodels::core::Fit;
use genmodels::hmm::{
    BernoulliInit, EmissionInit, GaussianInit, GaussianMixtureEmission, GmmInit, Hmm, HmmParams,
    ImageReading, SegmentInit, Topology,
};
use genmodels::io::{save_model, ModelFile};
use genmodels::mixture::{
    BernoulliComponents, BernoulliMixture, CovarianceType, GaussianComponents, GaussianMixture,
};
use genmodels::neural::rbm::{AisParams, NormalizedRbm, NormalizedRbmParams, RbmParams};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{ClassVae, VaeClassParams, VaeConfig};
use ndarray::Array2;
use serde_json::json;

use super::models::*;
use crate::common::{check_distinct, in_file, print_json, usage, OutputFlags, Progress};
use crate::families::mixture::binarize;
use crate::input::labelled::{class_codes, is_image_input, read, read_images};

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
        return crate::families::bn::fit_classifier(
            &crate::families::bn::NetworkClassifier {
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
                    .method(crate::families::rbm::parse_method(&a.method)?)
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
