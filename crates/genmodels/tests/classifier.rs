//! The generative classifier over mixtures (rows) and HMMs (sequences), and its metrics.

use genmodels::classifier::{
    cross_validate, cross_validate_folds, fit_classifier_silently, metrics, stratified_folds,
    Priors,
};
use genmodels::core::data::Sequences;
use genmodels::hmm::{GaussianInit, Hmm, HmmParams};
use genmodels::mixture::{CovarianceParams, CovarianceType, GaussianComponents};
use genmodels::prelude::*;
use ndarray::{array, Array2, Axis};

fn iris() -> (Array2<f64>, Vec<usize>, Vec<String>) {
    let t = genmodels::io::read_csv(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv").as_ref(),
    )
    .unwrap();
    let cols: Vec<String> = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        .map(String::from)
        .to_vec();
    let x = t.numeric(Some(&cols)).unwrap().data;
    let sp = t.column_index("species").unwrap();
    let mut classes: Vec<String> = t.rows.iter().map(|(_, r)| r[sp].clone()).collect();
    classes.sort();
    classes.dedup();
    let y = t
        .rows
        .iter()
        .map(|(_, r)| classes.iter().position(|c| *c == r[sp]).unwrap())
        .collect();
    (x, y, classes)
}

#[test]
fn per_class_gaussians_classify_iris_like_qda() {
    let (x, y, classes) = iris();
    // Even rows train, odd rows test.
    let train: Vec<usize> = (0..x.nrows()).filter(|i| i % 2 == 0).collect();
    let test: Vec<usize> = (0..x.nrows()).filter(|i| i % 2 == 1).collect();
    let (xtr, ytr) = (
        x.select(Axis(0), &train),
        train.iter().map(|&i| y[i]).collect::<Vec<_>>(),
    );
    let (xte, yte) = (
        x.select(Axis(0), &test),
        test.iter().map(|&i| y[i]).collect::<Vec<_>>(),
    );
    let params = GaussianMixture::params(1)
        .covariance(CovarianceType::Full)
        .reg_covar(1e-6);
    let clf =
        fit_classifier_silently(&params, &xtr, &ytr, classes.clone(), Priors::Learned).unwrap();
    let p = clf.predict_proba(&xte).unwrap();
    for row in p.outer_iter() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
    let m = metrics(&p, &yte).unwrap();
    assert!(m.accuracy >= 0.94, "iris test accuracy {}", m.accuracy);
    assert_eq!(m.confusion.iter().flatten().sum::<usize>(), 75);
    assert!(m.log_loss.is_finite() && m.log_loss < 0.5);
    // New flowers of a chosen class look like that class.
    let s = clf.sample_class(2, 500, &mut rng_from_seed(1)).unwrap();
    let pred = clf.predict(&s.x).unwrap();
    assert!(pred.iter().filter(|k| **k == 2).count() > 400);
}

#[test]
fn bayes_rule_returns_the_priors_when_the_classes_look_alike() {
    let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * 7 + j) % 5) as f64);
    // The same rows for both classes: equal likelihoods, so the posterior is the prior.
    let xx = ndarray::concatenate(Axis(0), &[x.view(), x.view()]).unwrap();
    let y: Vec<usize> = (0..80).map(|i| usize::from(i >= 40)).collect();
    let params = GaussianMixture::params(1).covariance(CovarianceType::Diag);
    let clf = fit_classifier_silently(
        &params,
        &xx,
        &y,
        vec!["a".into(), "b".into()],
        Priors::Given(vec![1.0, 3.0]),
    )
    .unwrap();
    let p = clf.predict_proba(&x).unwrap();
    for row in p.outer_iter() {
        assert!((row[0] - 0.25).abs() < 1e-12 && (row[1] - 0.75).abs() < 1e-12);
    }
}

#[test]
fn hmm_classifier_tells_sequences_apart() {
    let make = |stay: f64, mu: f64| {
        Hmm::new(
            array![0.5, 0.5],
            array![[stay, 1.0 - stay], [1.0 - stay, stay]],
            GaussianComponents::from_covariances(
                array![[0.0], [mu]],
                CovarianceParams::Diag(array![[1.0], [1.0]]),
                0.0,
            )
            .unwrap(),
        )
        .unwrap()
    };
    // Same emissions, different dynamics: only the order of the observations tells them apart.
    let (slow, fast) = (make(0.95, 2.0), make(0.3, 2.0));
    let mut rng = rng_from_seed(4);
    let mut parts = Vec::new();
    let mut labels = Vec::new();
    for i in 0..80 {
        let m = if i % 2 == 0 { &slow } else { &fast };
        parts.push(m.sample_sequence(60, &mut rng).unwrap().x);
        labels.push(i % 2);
    }
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    let data =
        Sequences::new(ndarray::concatenate(Axis(0), &views).unwrap(), vec![60; 80]).unwrap();
    let params = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .max_iter(50)
        .tol(1e-4)
        .seed(2);
    let train: Vec<usize> = (0..60).collect();
    let test: Vec<usize> = (60..80).collect();
    use genmodels::classifier::Subset;
    let clf = fit_classifier_silently(
        &params,
        &data.select(&train).unwrap(),
        &train.iter().map(|&i| labels[i]).collect::<Vec<_>>(),
        vec!["slow".into(), "fast".into()],
        Priors::Uniform,
    )
    .unwrap();
    let p = clf.predict_proba(&data.select(&test).unwrap()).unwrap();
    let m = metrics(&p, &test.iter().map(|&i| labels[i]).collect::<Vec<_>>()).unwrap();
    assert!(m.accuracy >= 0.9, "HMM classifier accuracy {}", m.accuracy);
}

#[test]
fn metrics_and_bad_input() {
    let p = array![[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]];
    let m = metrics(&p, &[0, 1, 1]).unwrap();
    assert!((m.accuracy - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(m.confusion, vec![vec![1, 0], vec![1, 1]]);
    assert!((m.log_loss - (-(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln()) / 3.0)).abs() < 1e-12);
    assert_eq!(m.precision[0], 0.5);
    assert_eq!(m.recall[1], 0.5);
    let x = Array2::zeros((4, 1));
    let params = GaussianMixture::params(1);
    assert!(
        fit_classifier_silently(&params, &x, &[0, 0, 0], vec!["a".into()], Priors::Learned)
            .is_err()
    );
    let e = fit_classifier_silently(
        &params,
        &x,
        &[0, 0, 0, 0],
        vec!["a".into(), "b".into()],
        Priors::Learned,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("\"b\" has no training observations"),
        "{e}"
    ); // One class only: nothing to classify.
    let e = fit_classifier_silently(
        &params,
        &x,
        &[0, 0, 0, 0],
        vec!["a".into()],
        Priors::Learned,
    )
    .unwrap_err();
    assert!(e.to_string().contains("one class only (\"a\")"), "{e}");
}

#[test]
fn stratified_folds_partition_the_data_and_keep_class_shares() {
    let labels: Vec<usize> = (0..103)
        .map(|i| {
            if i < 60 {
                0
            } else if i < 90 {
                1
            } else {
                2
            }
        })
        .collect();
    let folds = stratified_folds(&labels, 5, 3).unwrap();
    let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..103).collect::<Vec<_>>());
    for f in &folds {
        let c0 = f.iter().filter(|&&i| labels[i] == 0).count();
        assert!(
            (11..=13).contains(&c0),
            "fold has {c0} of class 0 (expected 12)"
        );
        assert!((20..=21).contains(&f.len()));
    }
    assert_eq!(folds, stratified_folds(&labels, 5, 3).unwrap());
    assert_ne!(folds, stratified_folds(&labels, 5, 4).unwrap());
    assert!(stratified_folds(&labels, 1, 0).is_err());
    assert!(stratified_folds(&labels, 104, 0).is_err());
}

#[test]
fn cross_validation_of_per_class_gaussians_on_iris() {
    let (x, y, classes) = iris();
    let params = GaussianMixture::params(1)
        .covariance(CovarianceType::Full)
        .reg_covar(1e-6);
    let cv = cross_validate(&params, &x, &y, classes, Priors::Learned, 5, 0).unwrap();
    assert_eq!(cv.folds.len(), 5);
    assert_eq!(cv.pooled.confusion.iter().flatten().sum::<usize>(), 150);
    // QDA on iris is about 97-98 % accurate under cross-validation.
    assert!(cv.accuracy_mean > 0.95, "{}", cv.accuracy_mean);
    assert!(
        (cv.pooled.accuracy - cv.accuracy_mean).abs() < 1e-12,
        "equal-size folds"
    );
    assert!(cv.accuracy_std >= 0.0 && cv.log_loss_mean.is_finite());
    // The same folds given explicitly give the same result; bad folds are refused.
    let folds = stratified_folds(&y, 5, 0).unwrap();
    let classes: Vec<String> = ["setosa", "versicolor", "virginica"]
        .map(String::from)
        .to_vec();
    let again =
        cross_validate_folds(&params, &x, &y, classes.clone(), Priors::Learned, &folds).unwrap();
    assert_eq!(again, cv);
    let mut overlapping = folds.clone();
    overlapping[1].push(folds[0][0]);
    assert!(cross_validate_folds(
        &params,
        &x,
        &y,
        classes.clone(),
        Priors::Learned,
        &overlapping
    )
    .is_err());
    assert!(cross_validate_folds(&params, &x, &y, classes, Priors::Learned, &folds[..1]).is_err());
}
