//! The generative classifier against scikit-learn 1.9.1 where they are the same model, on the
//! same folds.
//!
//! Fixture: `tests/fixtures/classifier/sklearn_classifiers.json`, made by
//! `fixtures/make_classifier_fixtures.py` (iris and digits with the fold assignment of
//! scikit-learn's `StratifiedKFold(5, shuffle=True, random_state=0)` written in; MNIST numbers
//! are only read by `examples/compare_classifiers.rs`).
//!
//! * `GaussianNB` is a per-class Gaussian with diagonal covariance whose variances are the
//!   biased (maximum-likelihood) class variances plus `epsilon_ = var_smoothing × max_j var(x_j)`
//!   of the training rows: our `GaussianMixture::params(1).covariance(Diag).reg_covar(epsilon_)`
//!   per class is that model exactly.
//! * scikit-learn 1.9's `QuadraticDiscriminantAnalysis(reg_param=0)` (solver "svd") uses the
//!   biased class covariance too, so it is our per-class full-covariance Gaussian with
//!   `reg_covar = 0` exactly (older scikit-learn divided by n − 1).

mod common;

use common::*;
use genmodels::classifier::{fit_classifier_silently, metrics, GenerativeClassifier, Priors};
use genmodels::mixture::{CovarianceParams, CovarianceType, GaussianMixture};
use ndarray::{Array2, Axis};
use serde_json::Value;

fn fixture() -> Value {
    load_fixture("classifier/sklearn_classifiers.json")
}

/// A CSV of the repository's `data/` as (features, label codes, class names); classes are the
/// sorted distinct labels.
fn read_labelled(file: &str, features: &[String], label: &str) -> (Array2<f64>, Vec<usize>) {
    let path = format!("{}/../../{file}", env!("CARGO_MANIFEST_DIR"));
    let t = genmodels::io::read_csv(path.as_ref()).unwrap();
    let x = t.numeric(Some(features)).unwrap().data;
    let col = t.column_index(label).unwrap();
    let labels: Vec<String> = t.rows.iter().map(|(_, r)| r[col].clone()).collect();
    let mut classes = labels.clone();
    classes.sort();
    classes.dedup();
    let y = labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap())
        .collect();
    (x, y)
}

struct Dataset {
    x: Array2<f64>,
    y: Vec<usize>,
    classes: Vec<String>,
    folds: Vec<Vec<usize>>,
}

fn dataset(f: &Value, name: &str) -> Dataset {
    let d = &f["datasets"][name];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let features = strings(&d["features"]);
    let classes = strings(&d["classes"]);
    let (x, y) = read_labelled(
        d["file"].as_str().unwrap(),
        &features,
        d["label"].as_str().unwrap(),
    );
    let folds: Vec<Vec<usize>> = d["folds"].as_array().unwrap().iter().map(indices).collect();
    // The folds partition the rows.
    let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..x.nrows()).collect::<Vec<_>>(), "{name}: folds");
    Dataset {
        x,
        y,
        classes,
        folds,
    }
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect()
}

fn result<'a>(f: &'a Value, dataset: &str, model: &str) -> &'a Value {
    f["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dataset"] == dataset && r["model"] == model)
        .unwrap_or_else(|| panic!("no {model} result for {dataset}"))
}

/// The training rows (every row not held out) and the held-out rows of one fold.
fn split(d: &Dataset, held: &[usize]) -> (Array2<f64>, Vec<usize>, Array2<f64>, Vec<usize>) {
    let mut in_fold = vec![false; d.y.len()];
    held.iter().for_each(|&i| in_fold[i] = true);
    let train: Vec<usize> = (0..d.y.len()).filter(|&i| !in_fold[i]).collect();
    (
        d.x.select(Axis(0), &train),
        train.iter().map(|&i| d.y[i]).collect(),
        d.x.select(Axis(0), held),
        held.iter().map(|&i| d.y[i]).collect(),
    )
}

/// scikit-learn's `GaussianNB.epsilon_`: `var_smoothing` × the largest (biased) feature
/// variance of the training rows.
fn nb_epsilon(x: &Array2<f64>, var_smoothing: f64) -> f64 {
    let mean = x.mean_axis(Axis(0)).unwrap();
    let var = (x - &mean).mapv(|v| v * v).mean_axis(Axis(0)).unwrap();
    var_smoothing * var.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
}

fn fit_gaussians(
    d: &Dataset,
    x: &Array2<f64>,
    y: &[usize],
    t: CovarianceType,
    reg_covar: f64,
) -> GenerativeClassifier<GaussianMixture> {
    let params = GaussianMixture::params(1)
        .covariance(t)
        .reg_covar(reg_covar);
    fit_classifier_silently(&params, x, y, d.classes.clone(), Priors::Learned).unwrap()
}

#[test]
fn per_class_diagonal_gaussian_is_gaussian_nb_on_iris_fold_0() {
    let f = fixture();
    let d = dataset(&f, "iris");
    let nb = &f["iris_fold0_gaussian_nb"];
    let held = indices(&nb["held_out"]);
    assert_eq!(held, d.folds[0]);
    let (xtr, ytr, xte, _) = split(&d, &held);
    let eps = nb["epsilon"].as_f64().unwrap();
    // Our own epsilon_ from the same rows agrees (it is only a sum of squares).
    let ours_eps = nb_epsilon(&xtr, nb["var_smoothing"].as_f64().unwrap());
    assert!(close(ours_eps, eps, 1e-12), "{ours_eps} vs {eps}");

    let clf = fit_gaussians(&d, &xtr, &ytr, CovarianceType::Diag, eps);
    let theta = mat2(&nb["theta"]);
    let var = mat2(&nb["var"]);
    for (k, m) in clf.models.iter().enumerate() {
        assert_close(
            &format!("class {k} mean"),
            m.components.means.row(0).iter().copied(),
            theta.row(k).iter().copied(),
            1e-8,
        );
        let CovarianceParams::Diag(v) = &m.components.covariances else {
            panic!("diagonal covariance expected")
        };
        assert_close(
            &format!("class {k} variance"),
            v.row(0).iter().copied(),
            var.row(k).iter().copied(),
            1e-8,
        );
    }
    assert_close(
        "class priors",
        clf.log_priors.iter().map(|l| l.exp()),
        vec1(&nb["class_prior"]),
        1e-12,
    );
    // Joint log-likelihoods ln P(x | y) + ln P(y), then the posteriors.
    let jll = clf.joint_log_likelihood(&xte).unwrap();
    assert_close(
        "joint log-likelihood",
        jll.iter().copied(),
        mat2(&nb["predict_joint_log_proba"]).iter().copied(),
        1e-8,
    );
    let p = clf.predict_proba(&xte).unwrap();
    let expected = mat2(&nb["predict_proba"]);
    assert_eq!(p.dim(), expected.dim());
    assert_close(
        "predict_proba",
        p.iter().copied(),
        expected.iter().copied(),
        1e-8,
    );
}

#[test]
fn per_class_full_gaussian_is_qda_on_iris_fold_0() {
    let f = fixture();
    let d = dataset(&f, "iris");
    let q = &f["iris_fold0_qda"];
    let held = indices(&q["held_out"]);
    let (xtr, ytr, xte, _) = split(&d, &held);
    // reg_param 0 in scikit-learn 1.9 is the biased covariance: our reg_covar 0.
    let clf = fit_gaussians(&d, &xtr, &ytr, CovarianceType::Full, 0.0);
    let means = mat2(&q["means"]);
    let cov = mat3(&q["covariance"]);
    for (k, m) in clf.models.iter().enumerate() {
        assert_close(
            &format!("class {k} mean"),
            m.components.means.row(0).iter().copied(),
            means.row(k).iter().copied(),
            1e-10,
        );
        assert_close(
            &format!("class {k} covariance"),
            m.components.full_covariance(0).iter().copied(),
            cov.index_axis(Axis(0), k).iter().copied(),
            1e-10,
        );
    }
    assert_close(
        "class priors",
        clf.log_priors.iter().map(|l| l.exp()),
        vec1(&q["priors"]),
        1e-12,
    );
    let p = clf.predict_proba(&xte).unwrap();
    assert_close(
        "predict_proba",
        p.iter().copied(),
        mat2(&q["predict_proba"]).iter().copied(),
        1e-8,
    );
}

/// Accuracy and log-loss of a classifier made by `fit` on each fixture fold.
fn cross_validate_on_folds(
    d: &Dataset,
    fit: impl Fn(&Array2<f64>, &[usize]) -> GenerativeClassifier<GaussianMixture>,
) -> Vec<(f64, f64)> {
    d.folds
        .iter()
        .map(|held| {
            let (xtr, ytr, xte, yte) = split(d, held);
            let clf = fit(&xtr, &ytr);
            let m = metrics(&clf.predict_proba(&xte).unwrap(), &yte).unwrap();
            (m.accuracy, m.log_loss)
        })
        .collect()
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = v.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn per_class_full_gaussian_cross_validates_like_qda_on_iris() {
    let f = fixture();
    let d = dataset(&f, "iris");
    let qda = result(&f, "iris", "QDA");
    let sk_acc = qda["accuracy"].as_f64().unwrap();
    // The library's default reg_covar (1e-6), as a user would fit it.
    let folds = cross_validate_on_folds(&d, |x, y| {
        fit_gaussians(&d, x, y, CovarianceType::Full, 1e-6)
    });
    let acc = mean(folds.iter().map(|f| f.0));
    assert!(
        (acc - sk_acc).abs() <= 0.02,
        "per-class full Gaussian CV accuracy {acc} vs scikit-learn QDA {sk_acc}"
    );
    // With reg_covar 0 it is the same model as QDA(reg_param=0): the same accuracy on every
    // fold and the same mean log-loss.
    let exact = cross_validate_on_folds(&d, |x, y| {
        fit_gaussians(&d, x, y, CovarianceType::Full, 0.0)
    });
    assert_close(
        "QDA fold accuracies",
        exact.iter().map(|f| f.0),
        vec1(&qda["fold_accuracy"]),
        1e-12,
    );
    assert_close(
        "QDA fold log-losses",
        exact.iter().map(|f| f.1),
        vec1(&qda["fold_log_loss"]),
        1e-8,
    );
}

#[test]
fn per_class_diagonal_gaussian_cross_validates_like_gaussian_nb_on_iris_and_digits() {
    let f = fixture();
    for name in ["iris", "digits"] {
        let d = dataset(&f, name);
        let nb = result(&f, name, "GaussianNB");
        // GaussianNB's epsilon_ depends on the training rows of each fold.
        let folds = cross_validate_on_folds(&d, |x, y| {
            fit_gaussians(&d, x, y, CovarianceType::Diag, nb_epsilon(x, 1e-9))
        });
        assert_close(
            &format!("{name}: GaussianNB fold accuracies"),
            folds.iter().map(|f| f.0),
            vec1(&nb["fold_accuracy"]),
            1e-12,
        );
        assert_close(
            &format!("{name}: GaussianNB fold log-losses"),
            folds.iter().map(|f| f.1),
            vec1(&nb["fold_log_loss"]),
            1e-8,
        );
    }
}
