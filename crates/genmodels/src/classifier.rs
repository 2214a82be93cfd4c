//! The generative classifier: one class-conditional model per class and Bayes' rule,
//! `P(y | x) ∝ P(x | y) P(y)` — and, read the other way, new instances of a chosen class.
//!
//! It is generic over the core traits: any hyper-parameters that [`Fit`] a data type `D` whose
//! models give a [`LogLikelihood`] on `D` (Gaussian or Bernoulli mixtures on rows, HMMs on
//! sequences, …) make a classifier; no family is special-cased here.

use ndarray::{Array1, Array2, Axis};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::core::data::Sequences;
use crate::core::numerics::{logsumexp_rows, normalize_log_rows};
use crate::core::{DataError, Fit, LogLikelihood, Monitor, ParamError, Result, Sample, Silent};

/// Data that can be split by class: rows of a matrix, or whole sequences.
pub trait Subset: Sized {
    /// Number of observations (rows, sequences).
    fn n_observations(&self) -> usize;
    /// The observations at `idx`, in that order.
    fn select(&self, idx: &[usize]) -> Result<Self>;
}

impl Subset for Array2<f64> {
    fn n_observations(&self) -> usize {
        self.nrows()
    }
    fn select(&self, idx: &[usize]) -> Result<Self> {
        Ok(ndarray::ArrayRef2::select(self, Axis(0), idx))
    }
}

impl Subset for Sequences {
    fn n_observations(&self) -> usize {
        self.len()
    }
    fn select(&self, idx: &[usize]) -> Result<Self> {
        let ranges = self.ranges();
        let parts: Vec<_> = idx
            .iter()
            .map(|&i| self.x.slice(ndarray::s![ranges[i].clone(), ..]))
            .collect();
        let x =
            ndarray::concatenate(Axis(0), &parts).map_err(|e| DataError::Other(e.to_string()))?;
        Ok(Sequences::new(
            x,
            idx.iter().map(|&i| self.lengths[i]).collect(),
        )?)
    }
}

/// How the class priors `P(y)` are set.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Priors {
    /// Class frequencies in the training data.
    #[default]
    Learned,
    /// Every class equally likely.
    Uniform,
    /// Given, one per class (normalised).
    Given(Vec<f64>),
}

/// A fitted generative classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerativeClassifier<M> {
    /// The class names, in label-code order.
    pub classes: Vec<String>,
    /// `ln P(y)` per class.
    pub log_priors: Array1<f64>,
    /// `P(x | y)` per class.
    pub models: Vec<M>,
}

/// Fits one model per class with `params` on the observations of that class. `labels[i]` is
/// the class code (an index into `classes`) of observation `i`.
pub fn fit_classifier<D, P>(
    params: &P,
    data: &D,
    labels: &[usize],
    classes: Vec<String>,
    priors: Priors,
    monitor: &mut dyn Monitor,
) -> Result<GenerativeClassifier<P::Model>>
where
    D: Subset,
    P: Fit<D>,
{
    let c = classes.len();
    if c == 0 {
        return Err(ParamError::invalid("classes", "[]", "at least one class").into());
    }
    if labels.len() != data.n_observations() {
        return Err(DataError::Length {
            what: "the labels".into(),
            found: labels.len(),
            expected: data.n_observations(),
        }
        .into());
    }
    if let Some(bad) = labels.iter().find(|l| **l >= c) {
        return Err(DataError::Other(format!("label code {bad} but only {c} classes")).into());
    }
    if c == 1 {
        return Err(DataError::Other(format!(
            "the labels hold one class only ({:?}): a classifier needs at least two",
            classes[0]
        ))
        .into());
    }
    let mut models = Vec::with_capacity(c);
    let mut counts = vec![0usize; c];
    for (k, name) in classes.iter().enumerate() {
        let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == k).collect();
        if idx.is_empty() {
            return Err(
                DataError::Other(format!("class {name:?} has no training observations")).into(),
            );
        }
        counts[k] = idx.len();
        let subset = data.select(&idx)?;
        let m = params
            .fit_with(&subset, monitor)
            .map_err(|e| DataError::Other(format!("fitting the model of class {name:?}: {e}")))?;
        models.push(m);
    }
    let p: Vec<f64> = match priors {
        Priors::Learned => counts.iter().map(|n| *n as f64).collect(),
        Priors::Uniform => vec![1.0; c],
        Priors::Given(v) => {
            if v.len() != c || v.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                return Err(ParamError::invalid(
                    "priors",
                    format!("{v:?}"),
                    format!("{c} positive numbers"),
                )
                .into());
            }
            v
        }
    };
    let total: f64 = p.iter().sum();
    let log_priors = p.iter().map(|x| (x / total).ln()).collect();
    Ok(GenerativeClassifier {
        classes,
        log_priors,
        models,
    })
}

/// Fits silently (see [`fit_classifier`]).
pub fn fit_classifier_silently<D: Subset, P: Fit<D>>(
    params: &P,
    data: &D,
    labels: &[usize],
    classes: Vec<String>,
    priors: Priors,
) -> Result<GenerativeClassifier<P::Model>> {
    fit_classifier(params, data, labels, classes, priors, &mut Silent)
}

impl<M> GenerativeClassifier<M> {
    /// Checks a classifier read from a file: one name, prior and model per class, distinct
    /// class names, priors `exp(log_priors)` that form a distribution (finite, in `[0, 1]`,
    /// summing to one within [`DISTRIBUTION_TOLERANCE`](crate::core::data::DISTRIBUTION_TOLERANCE)),
    /// and every class model accepted by `check_model` (its own validation). The reason names
    /// the class.
    pub fn validate_with(
        &self,
        check_model: impl Fn(&M) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String> {
        let c = self.classes.len();
        if c == 0 {
            return Err("the classifier has no classes".into());
        }
        if self.models.len() != c || self.log_priors.len() != c {
            return Err(format!(
                "{c} classes but {} priors and {} models; one of each per class is needed",
                self.log_priors.len(),
                self.models.len()
            ));
        }
        for (i, name) in self.classes.iter().enumerate() {
            if self.classes[..i].contains(name) {
                return Err(format!("the class {name:?} is listed twice"));
            }
        }
        if let Some((i, l)) = self
            .log_priors
            .iter()
            .enumerate()
            .find(|(_, l)| l.is_nan() || **l > 0.0)
        {
            return Err(format!(
                "the log prior of class {:?} is {l}, not the log of a probability",
                self.classes[i]
            ));
        }
        crate::core::data::check_distribution(
            self.log_priors.mapv(f64::exp).view(),
            "the class priors",
        )?;
        for (name, m) in self.classes.iter().zip(&self.models) {
            check_model(m).map_err(|e| format!("the model of class {name:?}: {e}"))?;
        }
        Ok(())
    }

    /// `ln P(x | y) + ln P(y)` for every observation and class (n × C).
    pub fn joint_log_likelihood<D>(&self, data: &D) -> Result<Array2<f64>>
    where
        M: LogLikelihood<D>,
    {
        let cols: Vec<Array1<f64>> = self
            .models
            .iter()
            .map(|m| m.log_likelihood(data))
            .collect::<Result<_>>()?;
        let n = cols.first().map(|c| c.len()).unwrap_or(0);
        Ok(Array2::from_shape_fn((n, self.classes.len()), |(i, k)| {
            cols[k][i] + self.log_priors[k]
        }))
    }

    /// `P(y | x)` by Bayes' rule, in log space (n × C, rows summing to one).
    pub fn predict_proba<D>(&self, data: &D) -> Result<Array2<f64>>
    where
        M: LogLikelihood<D>,
    {
        let mut j = self.joint_log_likelihood(data)?;
        if let Some(i) = logsumexp_rows(j.view()).iter().position(|v| !v.is_finite()) {
            return Err(DataError::Other(format!(
                "observation {} has zero likelihood under every class",
                i + 1
            ))
            .into());
        }
        normalize_log_rows(j.view_mut());
        j.mapv_inplace(f64::exp);
        Ok(j)
    }

    /// The most probable class code of each observation.
    pub fn predict<D>(&self, data: &D) -> Result<Array1<usize>>
    where
        M: LogLikelihood<D>,
    {
        let p = self.predict_proba(data)?;
        Ok(p.axis_iter(Axis(0))
            .map(|r| crate::mixture::argmax_of(r.iter().copied()))
            .collect())
    }

    /// New instances of class `label` (its code), drawn from `P(x | y = label)`.
    pub fn sample_class(&self, label: usize, n: usize, rng: &mut dyn RngCore) -> Result<M::Output>
    where
        M: Sample,
    {
        let m = self
            .models
            .get(label)
            .ok_or_else(|| DataError::Other(format!("no class with code {label}")))?;
        m.sample(n, rng)
    }
}

/// Accuracy, log-loss, confusion matrix and per-class precision/recall of predicted
/// probabilities against true class codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Mean `−ln P(true class | x)` (probabilities floored at 1e-15, as scikit-learn).
    pub log_loss: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// Per class: predicted correctly / predicted as that class.
    pub precision: Vec<f64>,
    /// Per class: predicted correctly / truly that class.
    pub recall: Vec<f64>,
}

/// Scores predicted probabilities (n × C) against true class codes.
pub fn metrics(proba: &Array2<f64>, truth: &[usize]) -> Result<Metrics> {
    let (n, c) = proba.dim();
    if truth.len() != n || n == 0 {
        return Err(DataError::Length {
            what: "the true labels".into(),
            found: truth.len(),
            expected: n,
        }
        .into());
    }
    let mut confusion = vec![vec![0usize; c]; c];
    let mut loss = 0.0;
    for (row, &t) in proba.outer_iter().zip(truth) {
        if t >= c {
            return Err(
                DataError::Other(format!("true label code {t} but only {c} classes")).into(),
            );
        }
        let pred = crate::mixture::argmax_of(row.iter().copied());
        confusion[t][pred] += 1;
        loss -= row[t].clamp(1e-15, 1.0).ln();
    }
    let correct: usize = (0..c).map(|k| confusion[k][k]).sum();
    let ratio = |a: usize, b: usize| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    let precision = (0..c)
        .map(|k| ratio(confusion[k][k], (0..c).map(|t| confusion[t][k]).sum()))
        .collect();
    let recall = (0..c)
        .map(|k| ratio(confusion[k][k], confusion[k].iter().sum()))
        .collect();
    Ok(Metrics {
        accuracy: correct as f64 / n as f64,
        log_loss: loss / n as f64,
        confusion,
        precision,
        recall,
    })
}

/// A seeded stratified split of observations into `k` folds: each class's observations are
/// shuffled and dealt round-robin, so every fold has (nearly) the class proportions of the
/// whole. Returns the held-out indices of each fold (sorted).
pub fn stratified_folds(labels: &[usize], k: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    use rand::seq::SliceRandom;
    if k < 2 || k > labels.len() {
        return Err(ParamError::invalid(
            "folds",
            k,
            format!("2 to the number of observations ({})", labels.len()),
        )
        .into());
    }
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut rng = crate::core::rng_from_seed(seed);
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for c in 0..n_classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        idx.shuffle(&mut rng);
        for i in idx {
            folds[next % k].push(i);
            next += 1;
        }
    }
    for f in &mut folds {
        f.sort_unstable();
    }
    Ok(folds)
}

/// What k-fold cross-validation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// The metrics on each held-out fold.
    pub folds: Vec<Metrics>,
    /// The metrics of all out-of-fold predictions together.
    pub pooled: Metrics,
    /// Mean of the folds' accuracies.
    pub accuracy_mean: f64,
    /// Standard deviation of the folds' accuracies (n − 1 in the denominator).
    pub accuracy_std: f64,
    /// Mean of the folds' log-losses.
    pub log_loss_mean: f64,
}

/// Stratified k-fold cross-validation of the generative classifier made by `params`: each
/// fold is predicted by a classifier fitted on the other folds. Seeded, so it repeats.
///
/// ```
/// use genmodels::classifier::{cross_validate, Priors};
/// use genmodels::mixture::{CovarianceType, GaussianMixture};
/// use ndarray::Array2;
/// # fn main() -> genmodels::core::Result<()> {
/// // Two well-separated classes in 2-D.
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| (i / 20) as f64 * 5.0 + ((i * 7 + j * 3) % 5) as f64 * 0.2);
/// let labels: Vec<usize> = (0..40).map(|i| i / 20).collect();
/// let params = GaussianMixture::params(1).covariance(CovarianceType::Diag);
/// let cv = cross_validate(&params, &x, &labels, vec!["a".into(), "b".into()], Priors::Learned, 4, 0)?;
/// assert_eq!(cv.folds.len(), 4);
/// assert_eq!(cv.accuracy_mean, 1.0);
/// # Ok(()) }
/// ```
pub fn cross_validate<D, P>(
    params: &P,
    data: &D,
    labels: &[usize],
    classes: Vec<String>,
    priors: Priors,
    k: usize,
    seed: u64,
) -> Result<CrossValidation>
where
    D: Subset,
    P: Fit<D>,
    P::Model: LogLikelihood<D>,
{
    let folds = stratified_folds(labels, k, seed)?;
    cross_validate_folds(params, data, labels, classes, priors, &folds)
}

/// Cross-validation on given folds (the held-out indices of each; together they must cover
/// every observation exactly once), e.g. to reuse another tool's split.
pub fn cross_validate_folds<D, P>(
    params: &P,
    data: &D,
    labels: &[usize],
    classes: Vec<String>,
    priors: Priors,
    folds: &[Vec<usize>],
) -> Result<CrossValidation>
where
    D: Subset,
    P: Fit<D>,
    P::Model: LogLikelihood<D>,
{
    if labels.len() != data.n_observations() {
        return Err(DataError::Length {
            what: "the labels".into(),
            found: labels.len(),
            expected: data.n_observations(),
        }
        .into());
    }
    let n = labels.len();
    let k = folds.len();
    let mut seen = vec![0u32; n];
    for &i in folds.iter().flatten() {
        if i >= n {
            return Err(DataError::Other(format!(
                "fold index {i} is out of range for {n} observations"
            ))
            .into());
        }
        seen[i] += 1;
    }
    if k < 2 || seen.iter().any(|&c| c != 1) {
        return Err(DataError::Other(
            "the folds must be at least two and hold every observation exactly once".into(),
        )
        .into());
    }
    let c = classes.len();
    let mut pooled = Array2::zeros((n, c));
    let mut fold_metrics = Vec::with_capacity(k);
    let mut in_fold = vec![false; n];
    for held in folds {
        in_fold.iter_mut().for_each(|b| *b = false);
        for &i in held {
            in_fold[i] = true;
        }
        let train: Vec<usize> = (0..n).filter(|&i| !in_fold[i]).collect();
        let train_labels: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
        let model = fit_classifier_silently(
            params,
            &data.select(&train)?,
            &train_labels,
            classes.clone(),
            priors.clone(),
        )?;
        let proba = model.predict_proba(&data.select(held)?)?;
        let truth: Vec<usize> = held.iter().map(|&i| labels[i]).collect();
        fold_metrics.push(metrics(&proba, &truth)?);
        for (r, &i) in held.iter().enumerate() {
            pooled.row_mut(i).assign(&proba.row(r));
        }
    }
    let accs: Vec<f64> = fold_metrics.iter().map(|m| m.accuracy).collect();
    let mean = accs.iter().sum::<f64>() / k as f64;
    let var = accs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (k as f64 - 1.0);
    Ok(CrossValidation {
        pooled: metrics(&pooled, labels)?,
        accuracy_mean: mean,
        accuracy_std: var.sqrt(),
        log_loss_mean: fold_metrics.iter().map(|m| m.log_loss).sum::<f64>() / k as f64,
        folds: fold_metrics,
    })
}
