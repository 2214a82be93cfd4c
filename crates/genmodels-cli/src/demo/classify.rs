//! The demo's classification section: generative classifiers (one model per class and Bayes'
//! rule) against a discriminative one (multinomial logistic regression) on the same splits —
//! iris and 8×8 digits by seeded stratified 5-fold cross-validation, MNIST on a train/test
//! split — and class-conditional samples, one row per class.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use genmodels::classifier::{
    cross_validate_folds, fit_classifier_silently, metrics, stratified_folds, Priors, Subset,
};
use genmodels::core::{rng_from_seed, Fit, LogLikelihood, Sample};
use genmodels::hmm::{
    image_sequences, GaussianInit, HmmParams, ImageReading, SegmentInit, Topology,
};
use genmodels::io::csv::parse_csv;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::mixture::{BernoulliMixture, CovarianceType, GaussianMixture};
use genmodels::neural::logistic::{LogisticParams, LogisticRegression};
use genmodels::neural::rbm::{AisParams, Method, NormalizedRbmParams, RbmParams};
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{VaeClassParams, VaeConfig};
use ndarray::{Array2, Axis};

use super::report::md_table;

const IRIS: &str = include_str!("../../../../data/iris.csv");
const DIGITS8: &str = include_str!("../../../../data/digits.csv");

/// Where the bundled MNIST files are (read at run time: 11 MB is too much to compile in).
pub fn mnist(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist")).join(name)
}

/// The first images of MNIST's training and test sets, with their labels.
pub struct Mnist {
    /// Training images, pixels in `[0, 1]`.
    pub train: Images,
    /// Their digits.
    pub train_labels: Vec<usize>,
    /// Test images.
    pub test: Images,
    /// Their digits.
    pub test_labels: Vec<usize>,
}

/// Reads the first `n_train` training and `n_test` test images of the bundled MNIST.
pub fn load_mnist(n_train: usize, n_test: usize) -> Result<Mnist> {
    let labels = |name: &str, n: usize| -> Result<Vec<usize>> {
        let all = genmodels::io::idx::read_idx_labels(&mnist(name))?;
        Ok(all.iter().take(n).map(|&b| usize::from(b)).collect())
    };
    Ok(Mnist {
        train: Images::read(&mnist("train-images-idx3-ubyte.gz"))?.head(n_train),
        train_labels: labels("train-labels-idx1-ubyte.gz", n_train)?,
        test: Images::read(&mnist("t10k-images-idx3-ubyte.gz"))?.head(n_test),
        test_labels: labels("t10k-labels-idx1-ubyte.gz", n_test)?,
    })
}

/// One row of the comparison table.
pub struct Row {
    /// Data set.
    pub data: &'static str,
    /// Model.
    pub model: String,
    /// Generative or discriminative.
    pub kind: &'static str,
    /// Mean accuracy (over folds, or on the test set).
    pub accuracy: f64,
    /// Standard deviation over folds (None on a single split).
    pub accuracy_std: Option<f64>,
    /// Mean log-loss.
    pub log_loss: f64,
    /// Seconds for fitting and predicting, all folds.
    pub seconds: f64,
}

/// The section's findings, for the summary.
pub struct Summary {
    /// Every row of the table.
    pub rows: Vec<Row>,
    /// The MNIST logistic regression (to judge generated digits), when MNIST is there.
    pub mnist_logistic: Option<LogisticRegression>,
}

fn labelled(text: &str, name: &str, label: &str) -> Result<(Array2<f64>, Vec<usize>, Vec<String>)> {
    let t = parse_csv(text.as_bytes(), Path::new(name))?;
    let j = t.column_index(label)?;
    let cols: Vec<String> = t.header.iter().filter(|h| *h != label).cloned().collect();
    let x = t.numeric(Some(&cols))?.data;
    let raw: Vec<String> = t.rows.iter().map(|(_, r)| r[j].clone()).collect();
    let mut classes = raw.clone();
    classes.sort();
    classes.dedup();
    let y = raw
        .iter()
        .map(|l| classes.iter().position(|c| c == l).expect("same labels"))
        .collect();
    Ok((x, y, classes))
}

/// Cross-validates a generative classifier on given folds.
fn cv_generative<D, P>(
    data: &'static str,
    model: String,
    params: &P,
    x: &D,
    y: &[usize],
    classes: &[String],
    folds: &[Vec<usize>],
) -> Result<Row>
where
    D: Subset,
    P: Fit<D>,
    P::Model: LogLikelihood<D>,
{
    let t = Instant::now();
    let cv = cross_validate_folds(params, x, y, classes.to_vec(), Priors::Learned, folds)?;
    Ok(Row {
        data,
        model,
        kind: "generative",
        accuracy: cv.accuracy_mean,
        accuracy_std: Some(cv.accuracy_std),
        log_loss: cv.log_loss_mean,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Cross-validates the logistic regression on the same folds.
fn cv_logistic(
    data: &'static str,
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
    folds: &[Vec<usize>],
) -> Result<Row> {
    let t = Instant::now();
    let (mut accs, mut losses) = (Vec::new(), Vec::new());
    for held in folds {
        let train: Vec<usize> = (0..y.len()).filter(|i| !held.contains(i)).collect();
        let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let m = LogisticParams::default().fit(
            &ndarray::ArrayRef2::select(x, Axis(0), &train),
            &ytr,
            n_classes,
        )?;
        let p = m.predict_proba(&ndarray::ArrayRef2::select(x, Axis(0), held))?;
        let yte: Vec<usize> = held.iter().map(|&i| y[i]).collect();
        let mm = metrics(&p, &yte)?;
        accs.push(mm.accuracy);
        losses.push(mm.log_loss);
    }
    let k = accs.len() as f64;
    let mean = accs.iter().sum::<f64>() / k;
    let var = accs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (k - 1.0);
    Ok(Row {
        data,
        model: "logistic regression (L2, C = 1, standardised)".into(),
        kind: "discriminative",
        accuracy: mean,
        accuracy_std: Some(var.sqrt()),
        log_loss: losses.iter().sum::<f64>() / k,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Runs the section, appends it to `md`, writes its pictures with `path_of`.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
) -> Result<Summary> {
    let mut rows = Vec::new();
    use CovarianceType::{Diag, Full};

    // Iris: 4 measurements, 3 species, 150 flowers.
    progress("classifiers on iris (5-fold cross-validation)");
    let (x, y, classes) = labelled(IRIS, "data/iris.csv", "species")?;
    let folds = stratified_folds(&y, 5, 0)?;
    let g =
        |k: usize, c: CovarianceType| GaussianMixture::params(k).covariance(c).n_init(2).seed(0);
    rows.push(cv_generative(
        "iris",
        "Gaussian per class, full (QDA)".into(),
        &g(1, Full),
        &x,
        &y,
        &classes,
        &folds,
    )?);
    rows.push(cv_generative(
        "iris",
        "Gaussian per class, diagonal (Gaussian naive Bayes)".into(),
        &g(1, Diag),
        &x,
        &y,
        &classes,
        &folds,
    )?);
    rows.push(cv_generative(
        "iris",
        "GMM per class, K = 2, full".into(),
        &g(2, Full),
        &x,
        &y,
        &classes,
        &folds,
    )?);
    rows.push(cv_logistic("iris", &x, &y, classes.len(), &folds)?);

    // Digits: 8×8 images, 17 grey levels, 1,797 images.
    progress("classifiers on 8×8 digits (5-fold cross-validation)");
    let (x, y, classes) = labelled(DIGITS8, "data/digits.csv", "digit")?;
    let folds = stratified_folds(&y, 5, 0)?;
    let g = |k: usize, c: CovarianceType, r: f64| {
        GaussianMixture::params(k)
            .covariance(c)
            .reg_covar(r)
            .n_init(1)
            .seed(0)
    };
    rows.push(cv_generative(
        "digits 8×8",
        "Gaussian per class, diagonal (Gaussian naive Bayes)".into(),
        &g(1, Diag, 1e-1),
        &x,
        &y,
        &classes,
        &folds,
    )?);
    rows.push(cv_generative(
        "digits 8×8",
        "GMM per class, K = 3, full".into(),
        &g(3, Full, 1.0),
        &x,
        &y,
        &classes,
        &folds,
    )?);
    let xb = x.mapv(|v| if v > 7.0 { 1.0 } else { 0.0 });
    let bm = BernoulliMixture::params(if quick { 3 } else { 8 })
        .n_init(1)
        .seed(0);
    rows.push(cv_generative(
        "digits 8×8",
        format!(
            "Bernoulli mixture per class, K = {} (pixels > 7)",
            if quick { 3 } else { 8 }
        ),
        &bm,
        &xb,
        &y,
        &classes,
        &folds,
    )?);
    let seq = image_sequences(&x, (8, 8), ImageReading::Rows)?;
    let hmm = HmmParams::new(
        4,
        SegmentInit::new(
            8,
            GaussianInit {
                covariance: Diag,
                reg_covar: 1.0,
            },
        ),
    )
    .topology(Topology::LeftRight)
    .max_iter(if quick { 5 } else { 20 })
    .tol(1e-3)
    .seed(0);
    rows.push(cv_generative(
        "digits 8×8",
        "HMM per class over pixel rows, 4 states left-right, diagonal".into(),
        &hmm,
        &seq,
        &y,
        &classes,
        &folds,
    )?);
    rows.push(cv_logistic("digits 8×8", &x, &y, classes.len(), &folds)?);

    // MNIST: a train/test split of the bundled files.
    let (ntr, nte) = if quick {
        (1_000, 1_000)
    } else {
        (10_000, 10_000)
    };
    let mnist_ok = mnist("train-images-idx3-ubyte.gz").exists();
    let mut grid_note = String::new();
    let mut mnist_logistic = None;
    if mnist_ok {
        progress(&format!(
            "classifiers on MNIST ({ntr} training images, {nte} test images)"
        ));
        let Mnist {
            train: tr,
            train_labels: ytr,
            test: te,
            test_labels: yte,
        } = load_mnist(ntr, nte)?;
        let classes: Vec<String> = (0..10).map(|d| d.to_string()).collect();
        let xtr = tr.pixels.mapv(f64::from);
        let xte = te.pixels.mapv(f64::from);
        let bin = |x: &Array2<f64>| x.mapv(|v| if v > 0.5 { 1.0 } else { 0.0 });
        let (btr, bte) = (bin(&xtr), bin(&xte));

        let k = if quick { 3 } else { 20 };
        let t = Instant::now();
        let bclf = fit_classifier_silently(
            &BernoulliMixture::params(k).n_init(1).max_iter(50).seed(0),
            &btr,
            &ytr,
            classes.clone(),
            Priors::Learned,
        )?;
        let m = metrics(&bclf.predict_proba(&bte)?, &yte)?;
        rows.push(Row {
            data: "MNIST",
            model: format!("Bernoulli mixture per class, K = {k} (pixels > 0.5)"),
            kind: "generative",
            accuracy: m.accuracy,
            accuracy_std: None,
            log_loss: m.log_loss,
            seconds: t.elapsed().as_secs_f64(),
        });
        // New digits of each class from the same models: one row per class.
        let mut rng = rng_from_seed(0);
        let per = 10;
        let mut grid = Array2::<f32>::zeros((10 * per, 784));
        for (c, model) in bclf.models.iter().enumerate() {
            let s = model.sample(per, &mut rng)?;
            grid.slice_mut(ndarray::s![c * per..(c + 1) * per, ..])
                .assign(&s.x.mapv(|v| v as f32));
        }
        write_png_grid(
            &path_of("mnist_class_samples.png"),
            grid.view(),
            (28, 28),
            per,
            2,
        )?;
        // The component means are what the sampler draws pixels from: show them too.
        let mut means = Array2::<f32>::zeros((10 * per.min(k), 784));
        for (c, model) in bclf.models.iter().enumerate() {
            for j in 0..per.min(k) {
                means
                    .row_mut(c * per.min(k) + j)
                    .assign(&model.components.means.row(j).mapv(|v| v as f32));
            }
        }
        write_png_grid(
            &path_of("mnist_class_means.png"),
            means.view(),
            (28, 28),
            per.min(k),
            2,
        )?;
        grid_note = format!(
            "New digits drawn from each class's Bernoulli mixture, P(x | y), one row per class (0 at the top), and the first {} component means of each class:\n\n![class-conditional samples](mnist_class_samples.png)\n\n![class-conditional means](mnist_class_means.png)\n",
            per.min(k)
        );

        let states = if quick { 4 } else { 8 };
        let hmm = HmmParams::new(
            states,
            SegmentInit::new(
                28,
                GaussianInit {
                    covariance: Diag,
                    reg_covar: 1e-1,
                },
            ),
        )
        .topology(Topology::LeftRight)
        .max_iter(if quick { 3 } else { 15 })
        .tol(1e-3)
        .seed(0);
        let t = Instant::now();
        let str_ = image_sequences(&xtr, (28, 28), ImageReading::Rows)?;
        let ste = image_sequences(&xte, (28, 28), ImageReading::Rows)?;
        let hclf = fit_classifier_silently(&hmm, &str_, &ytr, classes.clone(), Priors::Learned)?;
        let m = metrics(&hclf.predict_proba(&ste)?, &yte)?;
        rows.push(Row {
            data: "MNIST",
            model: format!("HMM per class over pixel rows, {states} states left-right, diagonal"),
            kind: "generative",
            accuracy: m.accuracy,
            accuracy_std: None,
            log_loss: m.log_loss,
            seconds: t.elapsed().as_secs_f64(),
        });

        // An RBM per class: free energies made log-likelihoods by each class's AIS log Z.
        let (hidden, epochs, ais) = if quick {
            (20, 2, (5, 200))
        } else {
            (100, 10, (20, 2_000))
        };
        progress(&format!(
            "classifiers on MNIST: an RBM per class ({hidden} hidden units, AIS log Z)"
        ));
        let t = Instant::now();
        let rbm = NormalizedRbmParams::new(
            RbmParams::new(hidden)
                .method(Method::Pcd)
                .epochs(epochs)
                .batch_size(100)
                .learning_rate(0.05)
                .seed(0),
        )
        .ais(AisParams {
            runs: ais.0,
            betas: ais.1,
            seed: 0,
        })
        .image_shape((28, 28));
        let rclf = fit_classifier_silently(&rbm, &btr, &ytr, classes.clone(), Priors::Learned)?;
        let m = metrics(&rclf.predict_proba(&bte)?, &yte)?;
        rows.push(Row {
            data: "MNIST",
            model: format!(
                "RBM per class, {hidden} hidden units, PCD {epochs} epochs, AIS log Z ({} × {})",
                ais.0, ais.1
            ),
            kind: "generative",
            accuracy: m.accuracy,
            accuracy_std: None,
            log_loss: m.log_loss,
            seconds: t.elapsed().as_secs_f64(),
        });

        // A VAE per class: the IWAE bound stands in for log P(x | y).
        let (vhidden, vepochs, k) = if quick { (100, 1, 2) } else { (400, 10, 5) };
        progress("classifiers on MNIST: a VAE per class (IWAE)");
        let t = Instant::now();
        let vae = VaeClassParams {
            config: VaeConfig {
                hidden: vec![vhidden],
                ..VaeConfig::mlp(784, (28, 28))
            },
            train: TrainConfig {
                epochs: vepochs,
                batch_size: 100,
                lr: 1e-3,
                seed: 0,
                ..TrainConfig::default()
            },
            iwae_k: k,
        };
        let vclf = fit_classifier_silently(&vae, &btr, &ytr, classes.clone(), Priors::Learned)?;
        let m = metrics(&vclf.predict_proba(&bte)?, &yte)?;
        rows.push(Row {
            data: "MNIST",
            model: format!(
                "VAE per class, 784-{vhidden}-20 MLP, {vepochs} epochs, IWAE({k}) bound"
            ),
            kind: "generative",
            accuracy: m.accuracy,
            accuracy_std: None,
            log_loss: m.log_loss,
            seconds: t.elapsed().as_secs_f64(),
        });

        let t = Instant::now();
        let lr = LogisticParams {
            max_iter: if quick { 30 } else { 100 },
            ..Default::default()
        }
        .fit(&xtr, &ytr, 10)?;
        let m = metrics(&lr.predict_proba(&xte)?, &yte)?;
        rows.push(Row {
            data: "MNIST",
            model: "logistic regression (L2, C = 1, standardised)".into(),
            kind: "discriminative",
            accuracy: m.accuracy,
            accuracy_std: None,
            log_loss: m.log_loss,
            seconds: t.elapsed().as_secs_f64(),
        });
        mnist_logistic = Some(lr);
    }

    let _ = writeln!(md, "## Generative against discriminative classifiers\n");
    let _ = writeln!(
        md,
        "A generative classifier fits P(x | y) for each class and P(y), and predicts by Bayes' rule \
         P(y | x) ∝ P(x | y) P(y); a discriminative one fits P(y | x) directly. Both on the same \
         splits: iris and the 8×8 digits by stratified 5-fold cross-validation (seed 0; mean ± \
         standard deviation over the folds), MNIST trained on the first {ntr} training images and \
         tested on the first {nte} test images{}. The logistic regression is genmodels' own \
         (L-BFGS on burn, scikit-learn's objective). Log-loss is the mean negative log-probability \
         of the true class (lower is better).\n",
        if mnist_ok { "" } else { " (skipped: data/mnist is not there)" }
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.data.to_string(),
                r.model.clone(),
                r.kind.to_string(),
                match r.accuracy_std {
                    Some(s) => format!("{:.1} ± {:.1} %", 100.0 * r.accuracy, 100.0 * s),
                    None => format!("{:.1} %", 100.0 * r.accuracy),
                },
                format!("{:.3}", r.log_loss),
                format!("{:.1}", r.seconds),
            ]
        })
        .collect();
    md_table(
        md,
        &["data", "model", "kind", "accuracy", "log-loss", "seconds"],
        &table,
    );
    md.push_str(&grid_note);
    md.push('\n');
    Ok(Summary {
        rows,
        mnist_logistic,
    })
}
