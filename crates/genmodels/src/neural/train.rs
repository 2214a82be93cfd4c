//! What the VAE and GAN fits share: the optimiser settings ([`TrainConfig`]: Adam with its
//! β's, weight decay and gradient clipping through `burn-optim`, mini-batch size, epochs, seed,
//! early stopping), the per-epoch record ([`EpochRecord`], [`FitReport`]), early stopping on a
//! validation objective ([`EarlyStopping`]), and weight initialisation from our own seeded
//! generator ([`init_linear`], [`init_conv2d`], [`init_conv_transpose2d`]).
//!
//! Resuming from a checkpoint restores the weights and the report; the optimiser's moment
//! estimates are *not* kept in the checkpoint (burn-optim keys them by parameter ids, which a
//! rebuilt module does not share), so a resumed fit restarts Adam's moments from zero — the
//! same as a warm start in PyTorch without `optimizer.state_dict()`.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::core::{Batch, Error, Flow, Monitor, ParamError, Result, SeededRng, Step};

/// Optimiser and schedule of a neural fit.
///
/// ```
/// use genmodels::neural::train::TrainConfig;
/// let t = TrainConfig { epochs: 5, lr: 2e-4, beta1: 0.5, ..TrainConfig::default() };
/// assert!(t.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Adam's β₁.
    pub beta1: f64,
    /// Adam's β₂.
    pub beta2: f64,
    /// L2 weight decay added to the gradients (0: none).
    pub weight_decay: f64,
    /// Clip each parameter's gradient to this norm (none if `None`).
    pub grad_clip: Option<f64>,
    /// Stop when the validation objective has not improved for this many epochs.
    pub patience: Option<usize>,
    /// Seed of the initial weights, the shuffling and every noise draw.
    pub seed: u64,
    /// VAE with a Bernoulli likelihood: draw every mini-batch's pixels afresh as Bernoulli
    /// variables with the grey levels as probabilities ("dynamic binarisation", Burda et al.
    /// 2015), so the model never sees the same binary image twice. GANs ignore it.
    #[serde(default)]
    pub dynamic_binarization: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 128,
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay: 0.0,
            grad_clip: None,
            patience: None,
            seed: 0,
            dynamic_binarization: false,
        }
    }
}

/// A [`ParamError::Invalid`] as the crate's error.
pub(crate) fn invalid(
    name: &'static str,
    value: impl ToString,
    expected: &str,
) -> crate::core::Error {
    ParamError::Invalid {
        name,
        value: value.to_string(),
        expected: expected.into(),
    }
    .into()
}

impl TrainConfig {
    /// An error naming the first setting that cannot be used.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(invalid("epochs", 0, "at least 1 epoch is needed"));
        }
        if self.batch_size == 0 {
            return Err(invalid("batch_size", 0, "at least 1 row per batch"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(invalid("lr", self.lr, "a finite learning rate > 0"));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(invalid(name, b, "a number in [0, 1)"));
            }
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(invalid(
                "weight_decay",
                self.weight_decay,
                "a finite number >= 0",
            ));
        }
        if let Some(c) = self.grad_clip {
            if !(c.is_finite() && c > 0.0) {
                return Err(invalid("grad_clip", c, "a finite norm > 0"));
            }
        }
        if self.patience == Some(0) {
            return Err(invalid("patience", 0, "at least 1 epoch"));
        }
        Ok(())
    }

    /// Adam with these β's, weight decay and gradient clipping.
    pub fn adam(&self) -> ModuleOptimizer {
        let mut c = AdamConfig::new()
            .with_beta_1(self.beta1 as f32)
            .with_beta_2(self.beta2 as f32)
            .with_epsilon(1e-8);
        if self.weight_decay > 0.0 {
            c = c.with_weight_decay(Some(WeightDecayConfig::new(self.weight_decay as f32)));
        }
        if let Some(n) = self.grad_clip {
            c = c.with_grad_clipping(Some(GradientClippingConfig::Norm(n as f32)));
        }
        c.init()
    }
}

/// One epoch of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number (counting epochs of earlier runs when resumed).
    pub epoch: usize,
    /// The training objective, averaged over the epoch's mini-batches (VAE: the negative ELBO
    /// per row in nats; GAN: the discriminator's loss).
    pub train_loss: f64,
    /// A second training figure (GAN: the generator's loss); `None` for a VAE.
    #[serde(default)]
    pub train_loss2: Option<f64>,
    /// The validation objective (VAE: mean negative ELBO per row), when a validation set was given.
    #[serde(default)]
    pub validation: Option<f64>,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// What a neural fit did, epoch by epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Every epoch, in order (earlier runs first when resumed).
    pub epochs: Vec<EpochRecord>,
    /// Whether early stopping ended the fit (or the monitor asked to stop).
    pub stopped_early: bool,
    /// Rows of training data.
    pub n_train: usize,
}

/// Early stopping on a validation loss (lower is better).
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    patience: usize,
    best: f64,
    since: usize,
}

impl EarlyStopping {
    /// Stop after `patience` epochs without improvement.
    pub fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            best: f64::INFINITY,
            since: 0,
        }
    }

    /// Records an epoch's validation loss; `true` when the fit should stop.
    pub fn update(&mut self, loss: f64) -> bool {
        if loss < self.best {
            self.best = loss;
            self.since = 0;
        } else {
            self.since += 1;
        }
        self.since >= self.patience
    }
}

fn uniform_param<const D: usize>(
    rng: &mut SeededRng,
    shape: [usize; D],
    bound: f64,
    device: &Device,
) -> Param<Tensor<D>> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
        .collect();
    Param::from_tensor(Tensor::from_data(TensorData::new(v, shape), device))
}

/// An exponential moving average of a module's weights (Polyak averaging, as GANs use for
/// the generator they sample from: Yazıcı et al. 2019): `current` with each float tensor
/// replaced by `decay · average + (1 − decay) · current`. Running statistics (batch norm)
/// are averaged the same way. Both modules must have the same structure.
pub fn average_weights<M: Module>(average: &M, current: M, decay: f64) -> M {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.push(p.val().reshape([-1]));
        }
    }
    struct Blend {
        old: std::vec::IntoIter<Tensor<1>>,
        decay: f64,
    }
    impl ModuleMapper for Blend {
        fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let old = self.old.next().expect("modules of the same structure");
            let decay = self.decay;
            p.map(|t| {
                let shape = t.shape();
                t * (1.0 - decay) + old.reshape(shape) * decay
            })
        }
    }
    let mut c = Collect(Vec::new());
    average.visit(&mut c);
    current.map(&mut Blend {
        old: c.0.into_iter(),
        decay,
    })
}

/// A dense layer `i → o` with weights and biases uniform in `±1/√i` (PyTorch's default),
/// drawn from `rng`.
pub fn init_linear(i: usize, o: usize, rng: &mut SeededRng, device: &Device) -> Linear {
    let mut l = LinearConfig::new(i, o)
        .with_initializer(Initializer::Zeros)
        .init(device);
    let k = 1.0 / (i as f64).sqrt();
    l.weight = uniform_param(rng, [i, o], k, device);
    l.bias = Some(uniform_param(rng, [o], k, device));
    l
}

/// A 2-D convolution `cin → cout` with a `k × k` kernel, stride `s`, padding `p`, weights
/// uniform in `±1/√(cin·k²)` drawn from `rng`.
#[allow(clippy::too_many_arguments)]
pub fn init_conv2d(
    cin: usize,
    cout: usize,
    k: usize,
    s: usize,
    p: usize,
    rng: &mut SeededRng,
    device: &Device,
) -> Conv2d {
    let mut c = Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([s, s])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_initializer(Initializer::Zeros)
        .init(device);
    let b = 1.0 / ((cin * k * k) as f64).sqrt();
    c.weight = uniform_param(rng, [cout, cin, k, k], b, device);
    c.bias = Some(uniform_param(rng, [cout], b, device));
    c
}

/// A transposed 2-D convolution `cin → cout` (`k × k`, stride `s`, padding `p`), weights
/// uniform in `±1/√(cout·k²)` drawn from `rng`.
#[allow(clippy::too_many_arguments)]
pub fn init_conv_transpose2d(
    cin: usize,
    cout: usize,
    k: usize,
    s: usize,
    p: usize,
    rng: &mut SeededRng,
    device: &Device,
) -> ConvTranspose2d {
    let mut c = ConvTranspose2dConfig::new([cin, cout], [k, k])
        .with_stride([s, s])
        .with_padding([p, p])
        .with_initializer(Initializer::Zeros)
        .init(device);
    let b = 1.0 / ((cout * k * k) as f64).sqrt();
    c.weight = uniform_param(rng, [cin, cout, k, k], b, device);
    c.bias = Some(uniform_param(rng, [cout], b, device));
    c
}

/// The mean of a scalar (1-element) tensor as `f64`.
pub fn scalar(t: Tensor<1>) -> f64 {
    let v: Vec<f32> = t
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("a float tensor converts to f32");
    v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64
}

/// Checks that labels match the rows and lie in `0..n_classes`.
pub fn check_labels(labels: &[usize], n_rows: usize, n_classes: usize) -> Result<()> {
    use crate::core::DataError;
    if labels.len() != n_rows {
        return Err(DataError::Length {
            what: "the labels".into(),
            found: labels.len(),
            expected: n_rows,
        }
        .into());
    }
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l >= n_classes) {
        return Err(DataError::Other(format!(
            "label {l} (row {}) is outside the model's classes 0..{}",
            i + 1,
            n_classes.saturating_sub(1)
        ))
        .into());
    }
    Ok(())
}

/// Checks images for a model of `input_dim` pixels shaped `image_shape`: not empty, the right
/// width, finite, and — when `unit_support` says why — every value in `[0, 1]` (the text is the
/// error's description of the allowed values).
pub fn check_images(
    x: &ndarray::Array2<f32>,
    input_dim: usize,
    image_shape: (usize, usize),
    what: &str,
    unit_support: Option<&str>,
) -> Result<()> {
    use crate::core::DataError;
    if x.nrows() == 0 {
        return Err(DataError::Empty { what: what.into() }.into());
    }
    if x.ncols() != input_dim {
        return Err(DataError::Columns {
            expected: input_dim,
            found: x.ncols(),
            hint: format!(
                " (the model was trained on {}×{} images)",
                image_shape.0, image_shape.1
            ),
        }
        .into());
    }
    for (r, row) in x.outer_iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if !v.is_finite() {
                return Err(DataError::NonFinite {
                    row: r + 1,
                    column: (j + 1).to_string(),
                    value: v.to_string(),
                    hint: String::new(),
                }
                .into());
            }
            if let Some(support) = unit_support {
                if !(0.0..=1.0).contains(&v) {
                    return Err(DataError::Support {
                        row: r + 1,
                        column: j + 1,
                        value: v.to_string(),
                        support: support.into(),
                    }
                    .into());
                }
            }
        }
    }
    Ok(())
}

/// Checks the labels given to a model with `n_classes` (conditional) or `None` classes:
/// a conditional model (`model` names it in the error) needs one valid label per row.
pub fn check_model_labels(
    n_classes: Option<usize>,
    labels: Option<&[usize]>,
    n_rows: usize,
    model: &str,
) -> Result<()> {
    match (n_classes, labels) {
        (Some(k), Some(l)) => check_labels(l, n_rows, k),
        (Some(_), None) => Err(crate::core::DataError::Other(format!(
            "{model} needs the label of every image"
        ))
        .into()),
        (None, _) => Ok(()),
    }
}

/// The one-hot rows `idx` of the labels of a conditional model (`None` for an unconditional
/// one, or when no labels are given).
pub fn model_one_hot(
    n_classes: Option<usize>,
    labels: Option<&[usize]>,
    idx: &[usize],
    device: &Device,
) -> Option<Tensor<2>> {
    match (n_classes, labels) {
        (Some(k), Some(l)) => Some(one_hot_rows(l, idx, k, device)),
        _ => None,
    }
}

/// One-hot rows of `labels[idx]` over `n_classes` classes, as a tensor.
pub fn one_hot_rows(
    labels: &[usize],
    idx: &[usize],
    n_classes: usize,
    device: &Device,
) -> Tensor<2> {
    let mut v = vec![0f32; idx.len() * n_classes];
    for (r, &i) in idx.iter().enumerate() {
        v[r * n_classes + labels[i]] = 1.0;
    }
    Tensor::from_data(TensorData::new(v, [idx.len(), n_classes]), device)
}

/// The reports of one epoch's mini-batches to a [`Monitor`]: counts the batches and rows, and
/// turns a [`Flow::Cancel`] into [`Error::Interrupted`].
pub(crate) struct BatchReport {
    next: Batch,
}

impl BatchReport {
    /// Epoch `epoch` of `max_epochs` (1-based, resumed epochs counted), of `n_batches` batches
    /// over `rows_total` rows.
    pub(crate) fn new(
        epoch: usize,
        max_epochs: usize,
        n_batches: usize,
        rows_total: usize,
    ) -> Self {
        BatchReport {
            next: Batch {
                run: 0,
                epoch,
                max_epochs,
                batch: 0,
                n_batches,
                rows_done: 0,
                rows_total,
                loss: None,
            },
        }
    }

    /// Reports a finished batch of `rows` rows and mean loss `loss`.
    pub(crate) fn done(
        &mut self,
        monitor: &mut dyn Monitor,
        rows: usize,
        loss: Option<f64>,
    ) -> Result<()> {
        self.next.batch += 1;
        self.next.rows_done += rows;
        self.next.loss = loss;
        match monitor.on_batch(self.next) {
            Flow::Cancel => Err(self.next.interrupted()),
            Flow::Continue | Flow::Stop => Ok(()),
        }
    }
}

/// Reports the end of an epoch to `monitor`: its answer, or [`Error::Interrupted`] for a
/// [`Flow::Cancel`].
pub(crate) fn end_of_epoch(monitor: &mut dyn Monitor, step: Step) -> Result<Flow> {
    match monitor.on_step(step) {
        Flow::Cancel => Err(Error::Interrupted {
            at: format!("after epoch {} of {}", step.iteration, step.max_iterations),
        }),
        flow => Ok(flow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_weights_blends_every_tensor() {
        use crate::core::rng_from_seed;
        use crate::neural::tensor::{array_from_tensor, cpu};
        let dev = cpu();
        let a = init_linear(3, 2, &mut rng_from_seed(1), &dev);
        let b = init_linear(3, 2, &mut rng_from_seed(2), &dev);
        let w = |l: &Linear| array_from_tensor(l.weight.val());
        let bias = |l: &Linear| array_from_tensor(l.bias.as_ref().unwrap().val().reshape([1, 2]));
        let m = average_weights(&a, b.clone(), 0.75);
        let expect_w = &w(&a) * 0.75 + &w(&b) * 0.25;
        let expect_b = &bias(&a) * 0.75 + &bias(&b) * 0.25;
        assert!((&w(&m) - &expect_w).iter().all(|d| d.abs() < 1e-6));
        assert!((&bias(&m) - &expect_b).iter().all(|d| d.abs() < 1e-6));
        assert_eq!(w(&average_weights(&a, b.clone(), 0.0)), w(&b));
        assert_eq!(w(&average_weights(&a, b, 1.0)), w(&a));
    }

    #[test]
    fn image_and_label_checks_name_what_is_wrong() {
        use crate::core::{DataError, Error};
        use ndarray::{array, Array2};
        let unit = Some("[0, 1]");
        let empty = Array2::<f32>::zeros((0, 4));
        assert!(matches!(
            check_images(&empty, 4, (2, 2), "the images", unit),
            Err(Error::Data(DataError::Empty { .. }))
        ));
        let x = array![[0.0f32, 0.5, 1.0, 0.25]];
        assert!(check_images(&x, 4, (2, 2), "the images", unit).is_ok());
        let e = check_images(&x, 6, (2, 3), "the images", unit).unwrap_err();
        assert!(e.to_string().contains("2×3"), "{e}");
        let nan = array![[0.0f32, f32::NAN, 1.0, 0.25]];
        assert!(matches!(
            check_images(&nan, 4, (2, 2), "the images", None),
            Err(Error::Data(DataError::NonFinite { row: 1, .. }))
        ));
        let big = array![[0.0f32, 1.5, 1.0, 0.25]];
        assert!(matches!(
            check_images(&big, 4, (2, 2), "the images", unit),
            Err(Error::Data(DataError::Support { column: 2, .. }))
        ));
        assert!(check_images(&big, 4, (2, 2), "the images", None).is_ok());

        let e = check_model_labels(Some(3), None, 2, "a conditional VAE").unwrap_err();
        assert!(
            e.to_string().contains("a conditional VAE needs the label"),
            "{e}"
        );
        let e = check_model_labels(Some(3), Some(&[0, 3]), 2, "a conditional GAN").unwrap_err();
        assert!(e.to_string().contains("label 3 (row 2)"), "{e}");
        assert!(check_model_labels(None, None, 2, "a VAE").is_ok());
        assert!(model_one_hot(None, Some(&[0, 1]), &[0, 1], &crate::neural::cpu()).is_none());
        let t = model_one_hot(Some(3), Some(&[2, 0]), &[1, 0], &crate::neural::cpu()).unwrap();
        let v: Vec<f32> = t.into_data().try_into_vec::<f32>().unwrap();
        assert_eq!(v, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn bad_settings_are_named() {
        let t = TrainConfig {
            batch_size: 0,
            ..TrainConfig::default()
        };
        assert!(t.check().unwrap_err().to_string().contains("batch_size"));
        let t = TrainConfig {
            beta1: 1.0,
            ..TrainConfig::default()
        };
        assert!(t.check().unwrap_err().to_string().contains("beta1"));
        let t = TrainConfig {
            lr: f64::NAN,
            ..TrainConfig::default()
        };
        assert!(t.check().is_err());
    }

    #[test]
    fn early_stopping_waits_for_patience() {
        let mut e = EarlyStopping::new(2);
        assert!(!e.update(3.0));
        assert!(!e.update(2.0));
        assert!(!e.update(2.5));
        assert!(e.update(2.1));
    }

    #[test]
    fn labels_are_checked() {
        assert!(check_labels(&[0, 1, 2], 3, 3).is_ok());
        assert!(check_labels(&[0, 1], 3, 3)
            .unwrap_err()
            .to_string()
            .contains("length 2"));
        assert!(check_labels(&[0, 5, 1], 3, 3)
            .unwrap_err()
            .to_string()
            .contains("label 5"));
    }
}
