//! Restricted Boltzmann machines: a layer of visible units `v` and a layer of binary hidden
//! units `h` with energy `E(v, h) = −bᵀv − cᵀh − vᵀWh` (Bernoulli visible units) or
//! `E(v, h) = Σᵢ (vᵢ − bᵢ)²/(2σᵢ²) − cᵀh − Σᵢⱼ (vᵢ/σᵢ²) Wᵢⱼ hⱼ` (Gaussian visible units, with
//! fixed or learned variances σᵢ², Cho et al. 2011), and `P(v) = Σₕ e^{−E(v,h)}/Z`.
//!
//! - Training ([`RbmParams`]): contrastive divergence CD-k or persistent CD (PCD), mini-batches,
//!   momentum, weight decay, a learning-rate schedule, seeded; every epoch reports the
//!   reconstruction error, the pseudo-likelihood (Bernoulli units) and optionally an AIS
//!   log-likelihood of a validation set to a [`Monitor`].
//! - Evaluation: free energy, pseudo-likelihood (scikit-learn's definition), the exact log
//!   partition function by enumeration for small models and annealed importance sampling
//!   ([`ais`]) otherwise, so the log-likelihood is a real number in nats (marked an estimate).
//! - Sampling: block Gibbs from random or data starts, and clamped Gibbs (inpainting).
//! - [`recommend`]: the softmax RBM for collaborative filtering.
//!
//! The updates of an RBM are analytic (no automatic differentiation): for Bernoulli visible
//! units they run on binary-sparse CPU kernels (every visible state is binary, so `v W` sums a
//! few rows of `W`), for Gaussian ones on tensor operations of the CPU device.
//!
//! ```
//! use genmodels::core::Fit;
//! use genmodels::io::images::Images;
//! use genmodels::neural::rbm::{Method, RbmParams};
//! use ndarray::Array2;
//! # fn main() -> genmodels::core::Result<()> {
//! // 200 binary rows of 6 features: two prototypes with noise.
//! let x = Array2::from_shape_fn((200, 6), |(i, j)| (((i % 2) + j) % 2) as f32);
//! let data = Images::new(x, 1, 6)?;
//! let rbm = RbmParams::new(4).method(Method::Pcd).epochs(30).batch_size(20)
//!     .learning_rate(0.1).seed(1).fit(&data)?;
//! let log_z = rbm.exact_log_z()?; // 4 hidden units: exact by enumeration
//! let ll = rbm.log_likelihood_given(data.pixels.view(), &log_z)?;
//! assert!(ll.mean().unwrap() > -6.0 * 2f64.ln()); // better than uniform noise
//! # Ok(()) }
//! ```

pub mod ais;
mod binary;
pub mod normalized;
pub mod recommend;

use std::path::Path;
use std::time::Instant;

use burn::module::{Module, Param};
use burn::tensor::activation::{log_sigmoid, sigmoid, softplus};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

pub use ais::{AisParams, LogZ, LogZMethod};
pub use normalized::{NormalizedRbm, NormalizedRbmParams};

use super::checkpoint::{self, CheckpointMeta};
use super::tensor::{cpu, normal_tensor, shuffled_batches, uniform_tensor};
use crate::core::{rng_from_seed, SeededRng};
use crate::core::{DataError, Flow, Monitor, NumericalError, ParamError, Result, Sample, Step};
use crate::io::images::Images;
use crate::neural::train::{end_of_epoch, BatchReport};

/// The checkpoint format name of a (non-recommender) RBM.
pub const FORMAT: &str = "rbm";

/// Rows evaluated at a time (bounds the memory of evaluations on large data sets).
const CHUNK: usize = 2000;

/// The kind of the visible units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Visible {
    /// Binary units (values 0 or 1).
    Bernoulli,
    /// Real-valued units with a Gaussian conditional `N(b + W h, σ²)`; the variances start at
    /// the training data's column variances and are learned or kept fixed.
    Gaussian {
        /// Whether the variances are learned (else fixed at the data's variances).
        learn_variance: bool,
    },
}

impl Visible {
    fn is_gaussian(&self) -> bool {
        matches!(self, Visible::Gaussian { .. })
    }
}

/// How the negative phase of the gradient is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Contrastive divergence: k Gibbs steps from each mini-batch.
    Cd,
    /// Persistent contrastive divergence (Tieleman 2008): k Gibbs steps of chains kept from
    /// one update to the next.
    Pcd,
}

/// How the learning rate changes over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The same rate every epoch.
    Constant,
    /// Decreasing linearly to zero after the last epoch: `lr · (1 − e/epochs)` at epoch `e`
    /// (0-based).
    Linear,
    /// `lr · gammaᵉ` at epoch `e` (0-based).
    Exponential {
        /// The factor per epoch, in (0, 1].
        gamma: f64,
    },
}

impl LrSchedule {
    /// The rate of epoch `epoch` (0-based) out of `epochs`.
    pub fn rate(&self, lr: f64, epoch: usize, epochs: usize) -> f64 {
        match self {
            LrSchedule::Constant => lr,
            LrSchedule::Linear => lr * (1.0 - epoch as f64 / epochs.max(1) as f64),
            LrSchedule::Exponential { gamma } => lr * gamma.powi(epoch as i32),
        }
    }
}

/// Checked hyper-parameters of an RBM fit (a builder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RbmParams {
    /// Number of hidden units.
    pub n_hidden: usize,
    /// The kind of the visible units.
    pub visible: Visible,
    /// CD or PCD.
    pub method: Method,
    /// Gibbs steps per update.
    pub k: usize,
    /// Passes over the training data.
    pub epochs: usize,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Learning rate (of the mean gradient over a mini-batch).
    pub learning_rate: f64,
    /// Momentum of the updates, in [0, 1).
    pub momentum: f64,
    /// L2 weight decay on W.
    pub weight_decay: f64,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Standard deviation of the initial weights.
    pub init_std: f64,
    /// Persistent chains of PCD (default: the batch size).
    pub n_chains: Option<usize>,
    /// Seed of every random step.
    pub seed: u64,
    /// Training rows on which the per-epoch reconstruction error and pseudo-likelihood are
    /// computed (the first ones; 0 = none).
    pub monitor_rows: usize,
    /// Estimate the validation log-likelihood by AIS every this many epochs (0 = never; needs
    /// a validation set).
    pub ais_every: usize,
    /// AIS settings of that monitoring.
    pub ais: AisParams,
    /// How the training data was binarised (recorded in the checkpoint), e.g. `threshold 0.5`.
    pub binarization: String,
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $t:ty) => {
        $(#[$m])*
        pub fn $name(mut self, v: $t) -> Self {
            self.$name = v;
            self
        }
    };
}

impl RbmParams {
    /// Defaults: Bernoulli units, CD-1, 10 epochs, batches of 100, learning rate 0.05, no
    /// momentum or weight decay, constant rate, initial weights N(0, 0.01²), seed 0.
    pub fn new(n_hidden: usize) -> Self {
        RbmParams {
            n_hidden,
            visible: Visible::Bernoulli,
            method: Method::Cd,
            k: 1,
            epochs: 10,
            batch_size: 100,
            learning_rate: 0.05,
            momentum: 0.0,
            weight_decay: 0.0,
            schedule: LrSchedule::Constant,
            init_std: 0.01,
            n_chains: None,
            seed: 0,
            monitor_rows: 1000,
            ais_every: 0,
            ais: AisParams::default(),
            binarization: "none".into(),
        }
    }
    setter!(/// The kind of the visible units.
        visible: Visible);
    setter!(/// CD or PCD.
        method: Method);
    setter!(/// Gibbs steps per update.
        k: usize);
    setter!(/// Passes over the training data.
        epochs: usize);
    setter!(/// Rows per mini-batch.
        batch_size: usize);
    setter!(/// Learning rate.
        learning_rate: f64);
    setter!(/// Momentum, in [0, 1).
        momentum: f64);
    setter!(/// L2 weight decay on W.
        weight_decay: f64);
    setter!(/// Learning-rate schedule.
        schedule: LrSchedule);
    setter!(/// Standard deviation of the initial weights.
        init_std: f64);
    setter!(/// Persistent chains of PCD.
        n_chains: Option<usize>);
    setter!(/// Seed.
        seed: u64);
    setter!(/// Rows for the per-epoch reconstruction error and pseudo-likelihood.
        monitor_rows: usize);
    setter!(/// AIS of the validation set every this many epochs (0 = never).
        ais_every: usize);
    setter!(/// AIS settings of the monitoring.
        ais: AisParams);
    setter!(/// How the data was binarised (recorded only).
        binarization: String);

    /// An error naming the first invalid hyper-parameter.
    pub fn check(&self) -> Result<(), ParamError> {
        let bad = |name: &'static str, value: String, expected: &str| {
            Err(ParamError::Invalid {
                name,
                value,
                expected: expected.into(),
            })
        };
        if self.n_hidden == 0 {
            return bad("hidden", "0".into(), "at least 1 hidden unit is needed");
        }
        if self.k == 0 {
            return bad(
                "k",
                "0".into(),
                "at least 1 Gibbs step per update is needed",
            );
        }
        if self.epochs == 0 {
            return bad("epochs", "0".into(), "at least 1 epoch is needed");
        }
        if self.batch_size == 0 {
            return bad(
                "batch_size",
                "0".into(),
                "at least 1 row per batch is needed",
            );
        }
        if self.n_chains == Some(0) {
            return bad(
                "n_chains",
                "0".into(),
                "at least 1 persistent chain is needed",
            );
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("lr", self.learning_rate.to_string(), "a finite number > 0");
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad("momentum", self.momentum.to_string(), "a number in [0, 1)");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(
                "weight_decay",
                self.weight_decay.to_string(),
                "a finite number >= 0",
            );
        }
        if !(self.init_std.is_finite() && self.init_std >= 0.0) {
            return bad(
                "init_std",
                self.init_std.to_string(),
                "a finite number >= 0",
            );
        }
        if let LrSchedule::Exponential { gamma } = self.schedule {
            if !(gamma > 0.0 && gamma <= 1.0) {
                return bad("lr_schedule", format!("exp:{gamma}"), "a factor in (0, 1]");
            }
        }
        self.ais.check()?;
        Ok(())
    }

    /// Fits with a validation set whose AIS log-likelihood is reported every
    /// [`ais_every`](Self::ais_every) epochs (and kept in the fit report).
    pub fn fit_validated(
        &self,
        data: &Images,
        validation: Option<&Images>,
        monitor: &mut dyn Monitor,
    ) -> Result<Rbm> {
        self.check()?;
        check_rows(data.pixels.view(), self.visible, None, "the training data")?;
        // The weights, their gradient and their momentum (visible × hidden f32 each), and a
        // batch's hidden and visible states, before any of them is allocated.
        let (n_vis, h) = (data.dim(), self.n_hidden);
        crate::core::memory::check_memory(
            &format!("an RBM of {n_vis} visible and {h} hidden units"),
            crate::core::memory::bytes_for(&[n_vis, h], 3 * 4).saturating_add(
                crate::core::memory::bytes_for(&[self.batch_size, n_vis + h], 4 * 4),
            ),
        )?;
        if let Some(v) = validation {
            check_rows(
                v.pixels.view(),
                self.visible,
                Some(data.dim()),
                "the validation data",
            )?;
        }
        train(self, data, validation, monitor)
    }
}

impl crate::core::Fit<Images> for RbmParams {
    type Model = Rbm;
    fn fit_with(&self, data: &Images, monitor: &mut dyn Monitor) -> Result<Rbm> {
        self.fit_validated(data, None, monitor)
    }
}

/// What is needed to rebuild an RBM before its weights are loaded (the checkpoint's config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RbmConfig {
    /// Visible units.
    pub n_visible: usize,
    /// Hidden units.
    pub n_hidden: usize,
    /// The kind of the visible units.
    pub visible: Visible,
    /// Height and width of the images (`(1, n_visible)` for plain vectors).
    pub image_shape: (usize, usize),
    /// The training hyper-parameters (including the binarisation used).
    pub params: RbmParams,
}

impl RbmConfig {
    /// Checks the sizes and hyper-parameters read from a checkpoint: at least one visible and
    /// one hidden unit, an image shape of `n_visible` pixels, and training parameters that
    /// agree with them.
    pub fn check(&self) -> std::result::Result<(), String> {
        let (nv, nh) = (self.n_visible, self.n_hidden);
        if nv == 0 || nh == 0 {
            return Err(format!(
                "the RBM has {nv} visible and {nh} hidden units; at least one of each is needed"
            ));
        }
        let (h, w) = self.image_shape;
        if h.checked_mul(w) != Some(nv) {
            return Err(format!(
                "the image shape {h}×{w} does not hold the {nv} visible units"
            ));
        }
        if self.params.n_hidden != nh || self.params.visible != self.visible {
            return Err(format!(
                "the training parameters ({} hidden units, {:?} visible units) disagree with the model ({nh}, {:?})",
                self.params.n_hidden, self.params.visible, self.visible
            ));
        }
        self.params.check().map_err(|e| e.to_string())
    }

    /// The tensors of [`RbmWeights`] for this configuration, by name and shape.
    pub(crate) fn tensor_plan(&self) -> checkpoint::TensorPlan {
        let (nv, nh) = (self.n_visible, self.n_hidden);
        let mut p = checkpoint::TensorPlan::new();
        p.param("w", &[nv, nh]).param("b", &[nv]).param("c", &[nh]);
        if self.visible.is_gaussian() {
            p.param("log_var", &[nv]);
        }
        p
    }
}

/// One epoch of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// The learning rate used.
    pub learning_rate: f64,
    /// Mean squared error per row (summed over units) of the mean-field reconstruction of the
    /// monitored training rows.
    pub reconstruction_error: f64,
    /// Mean pseudo-likelihood of the monitored training rows (Bernoulli units).
    pub pseudo_likelihood: Option<f64>,
    /// AIS estimate of the validation mean log-likelihood, when computed this epoch.
    pub validation_log_likelihood: Option<f64>,
    /// Standard error of that estimate's log Z.
    pub validation_log_z_stderr: Option<f64>,
    /// Seconds of this epoch's updates (monitoring excluded).
    pub seconds: f64,
}

/// What a fit did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RbmReport {
    /// Training rows.
    pub n_samples: usize,
    /// Per-epoch statistics.
    pub epochs: Vec<EpochStats>,
    /// Whether the monitor stopped the fit before the last epoch.
    pub stopped_early: bool,
    /// Seconds of the whole fit.
    pub seconds: f64,
    /// Visible biases of the base-rate model of the training data (the start of AIS when no
    /// data is given).
    #[serde(default)]
    pub base_rate_biases: Vec<f32>,
}

/// The parameters of an RBM as a burn [`Module`]: `w` (visible × hidden), visible biases `b`,
/// hidden biases `c`, and for Gaussian visible units the log-variances `log_var`.
#[derive(Module, Debug)]
pub struct RbmWeights {
    /// Weights, `n_visible × n_hidden`.
    pub w: Param<Tensor<2>>,
    /// Visible biases (Gaussian units: the means given h = 0).
    pub b: Param<Tensor<1>>,
    /// Hidden biases.
    pub c: Param<Tensor<1>>,
    /// Log-variances of Gaussian visible units.
    pub log_var: Option<Param<Tensor<1>>>,
}

/// A restricted Boltzmann machine.
#[derive(Debug, Clone)]
pub struct Rbm {
    /// The parameters.
    pub weights: RbmWeights,
    /// Sizes, kind and training hyper-parameters.
    pub config: RbmConfig,
    /// The fit report (absent for a model built from given weights).
    pub report: Option<RbmReport>,
}

/// The gradient of the log-likelihood as estimated by CD-k (positive minus negative
/// statistics), see [`Rbm::cd_gradient`].
#[derive(Debug, Clone, PartialEq)]
pub struct RbmGradient {
    /// With respect to W.
    pub w: Array2<f64>,
    /// With respect to b.
    pub b: Array1<f64>,
    /// With respect to c.
    pub c: Array1<f64>,
}

/// Where Gibbs chains start.
#[derive(Debug, Clone, Copy)]
pub enum GibbsStart<'a> {
    /// Independent random visible units (Bernoulli ½, or N(b, σ²) for Gaussian units).
    Random,
    /// These rows (cycled if fewer than the chains).
    Data(ArrayView2<'a, f32>),
}

/// Gibbs samples: the visible states and their conditional means given the last hidden states
/// (smoother pictures).
#[derive(Debug, Clone, PartialEq)]
pub struct GibbsSamples {
    /// Visible states, one row per chain.
    pub states: Array2<f32>,
    /// `E[v | h]` at the last step.
    pub means: Array2<f32>,
}

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

/// The parameters as plain tensors, biases as `1 × n` rows (for broadcasting).
#[derive(Clone)]
pub(crate) struct Net {
    pub(crate) w: Tensor<2>,
    pub(crate) b: Tensor<2>,
    pub(crate) c: Tensor<2>,
    /// Variances (Gaussian units), `1 × V`.
    pub(crate) var: Option<Tensor<2>>,
}

pub(crate) fn bernoulli(p: Tensor<2>, rng: &mut SeededRng) -> Tensor<2> {
    let u = uniform_tensor(rng, p.dims(), &p.device());
    u.lower(p).float()
}

pub(crate) fn row_tensor(v: &[f32], dev: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [1, v.len()]), dev)
}

pub(crate) fn to_vec(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("a float tensor converts to f32")
}

impl Net {
    pub(crate) fn hidden_input(&self, v: Tensor<2>) -> Tensor<2> {
        let v = match &self.var {
            Some(s) => v / s.clone(),
            None => v,
        };
        v.matmul(self.w.clone()) + self.c.clone()
    }

    pub(crate) fn hidden_probs(&self, v: Tensor<2>) -> Tensor<2> {
        sigmoid(self.hidden_input(v))
    }

    pub(crate) fn visible_mean(&self, h: Tensor<2>) -> Tensor<2> {
        let a = h.matmul(self.w.clone().transpose()) + self.b.clone();
        if self.var.is_some() {
            a
        } else {
            sigmoid(a)
        }
    }

    pub(crate) fn sample_visible_from_mean(&self, m: Tensor<2>, rng: &mut SeededRng) -> Tensor<2> {
        match &self.var {
            Some(var) => {
                let z = normal_tensor(rng, m.dims(), &m.device());
                m + z * var.clone().sqrt()
            }
            None => bernoulli(m, rng),
        }
    }

    /// Free energy of each row, `B × 1`.
    pub(crate) fn free_energy(&self, v: Tensor<2>) -> Tensor<2> {
        let sp = softplus(self.hidden_input(v.clone()), 1.0).sum_dim(1);
        let vis = match &self.var {
            Some(var) => {
                let d = v - self.b.clone();
                (d.clone() * d / (var.clone() * 2.0)).sum_dim(1)
            }
            None => (v * self.b.clone()).sum_dim(1).neg(),
        };
        vis - sp
    }

    /// k Gibbs steps v → h → v starting from hidden states `h`; the last visible states and
    /// the hidden probabilities given them.
    pub(crate) fn gibbs_from_hidden(
        &self,
        mut h: Tensor<2>,
        k: usize,
        rng: &mut SeededRng,
    ) -> (Tensor<2>, Tensor<2>) {
        let mut out = None;
        for s in 0..k {
            let v = self.sample_visible_from_mean(self.visible_mean(h.clone()), rng);
            let ph = self.hidden_probs(v.clone());
            if s + 1 < k {
                h = bernoulli(ph.clone(), rng);
            }
            out = Some((v, ph));
        }
        out.expect("k >= 1")
    }
}

fn tensor1(v: &[f32], dev: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), dev)
}

fn rows_tensor(x: ArrayView2<'_, f32>, dev: &Device) -> Tensor<2> {
    let (r, c) = x.dim();
    let data: Vec<f32> = x.iter().copied().collect();
    Tensor::from_data(TensorData::new(data, [r, c]), dev)
}

fn array_of(t: Tensor<2>) -> Array2<f32> {
    super::tensor::array_from_tensor(t)
}

// ---------------------------------------------------------------------------------------------
// Data checks
// ---------------------------------------------------------------------------------------------

/// Checks rows for a model: not empty, `expected` columns, finite, binary for Bernoulli units.
fn check_rows(
    x: ArrayView2<'_, f32>,
    visible: Visible,
    expected: Option<usize>,
    what: &str,
) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(DataError::Empty { what: what.into() }.into());
    }
    if let Some(e) = expected {
        if x.ncols() != e {
            return Err(DataError::Columns {
                expected: e,
                found: x.ncols(),
                hint: String::new(),
            }
            .into());
        }
    }
    for (r, row) in x.axis_iter(Axis(0)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if !v.is_finite() {
                return Err(DataError::NonFinite {
                    row: r + 1,
                    column: (c + 1).to_string(),
                    value: v.to_string(),
                    hint: String::new(),
                }
                .into());
            }
            if visible == Visible::Bernoulli && v != 0.0 && v != 1.0 {
                return Err(DataError::Support {
                    row: r + 1,
                    column: c + 1,
                    value: v.to_string(),
                    support: "{0, 1}: a Bernoulli RBM needs binary data; binarise it first (--binarize T), or use Gaussian visible units".into(),
                }
                .into());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

fn column_stats(x: &Array2<f32>) -> (Vec<f32>, Vec<f32>) {
    let n = x.nrows() as f64;
    let mut mean = vec![0f64; x.ncols()];
    let mut sq = vec![0f64; x.ncols()];
    for row in x.axis_iter(Axis(0)) {
        for (j, &v) in row.iter().enumerate() {
            mean[j] += v as f64;
            sq[j] += (v as f64) * (v as f64);
        }
    }
    let m: Vec<f32> = mean.iter().map(|s| (s / n) as f32).collect();
    let var: Vec<f32> = mean
        .iter()
        .zip(&sq)
        .map(|(s, q)| ((q / n - (s / n).powi(2)).max(1e-4)) as f32)
        .collect();
    (m, var)
}

/// The visible biases of the base-rate model: logits of the smoothed column means
/// (Bernoulli), or the column means (Gaussian).
pub(crate) fn base_rate_biases(x: ArrayView2<'_, f32>, gaussian: bool) -> Vec<f32> {
    let n = x.nrows() as f64;
    (0..x.ncols())
        .map(|j| {
            let s: f64 = x.column(j).iter().map(|&v| v as f64).sum();
            if gaussian {
                (s / n) as f32
            } else {
                let p = (s + 0.05) / (n + 0.1);
                (p / (1.0 - p)).ln() as f32
            }
        })
        .collect()
}

struct Velocity {
    w: Tensor<2>,
    b: Tensor<2>,
    c: Tensor<2>,
    z: Option<Tensor<2>>,
}

/// Training with burn tensors (Gaussian visible units, whose states are real numbers).
struct TensorTrainer {
    net: Net,
    log_var: Option<Tensor<2>>,
    vel: Velocity,
    /// Visible states of the persistent chains (PCD).
    chains: Option<Tensor<2>>,
    learn_var: bool,
}

impl TensorTrainer {
    fn new(p: &RbmParams, net: Net, b0: &[f32], n: usize, rng: &mut SeededRng) -> TensorTrainer {
        let dev = net.w.device();
        let [nv, nh] = net.w.dims();
        let learn_var = matches!(
            p.visible,
            Visible::Gaussian {
                learn_variance: true
            }
        );
        // Persistent chains start from the base-rate model's samples.
        let chains = (p.method == Method::Pcd).then(|| {
            let m = p.n_chains.unwrap_or(p.batch_size.min(n));
            net.sample_visible_from_mean(row_tensor(b0, &dev).repeat_dim(0, m), rng)
        });
        TensorTrainer {
            log_var: net.var.clone().map(|v| v.log()),
            vel: Velocity {
                w: Tensor::zeros([nv, nh], &dev),
                b: Tensor::zeros([1, nv], &dev),
                c: Tensor::zeros([1, nh], &dev),
                z: learn_var.then(|| Tensor::zeros([1, nv], &dev)),
            },
            net,
            chains,
            learn_var,
        }
    }

    fn epoch(
        &mut self,
        p: &RbmParams,
        x: &Array2<f32>,
        lr: f32,
        rng: &mut SeededRng,
        on_batch: &mut dyn FnMut(usize) -> Result<()>,
    ) -> Result<()> {
        let dev = self.net.w.device();
        let m = p.momentum as f32;
        let wd = p.weight_decay as f32;
        let (net, vel) = (&mut self.net, &mut self.vel);
        for batch in shuffled_batches(x.nrows(), p.batch_size, rng) {
            let v0 = super::tensor::tensor_from_rows(x, &batch, &dev);
            let ph0 = net.hidden_probs(v0.clone());
            let (vk, phk) = match self.chains.take() {
                None => {
                    let h0 = bernoulli(ph0.clone(), rng);
                    net.gibbs_from_hidden(h0, p.k, rng)
                }
                Some(ch) => {
                    let h = bernoulli(net.hidden_probs(ch), rng);
                    let (vk, phk) = net.gibbs_from_hidden(h, p.k, rng);
                    self.chains = Some(vk.clone());
                    (vk, phk)
                }
            };
            let g = gradient(net, v0, ph0, vk, phk, self.learn_var);
            vel.w = vel.w.clone() * m + (g.w - net.w.clone() * wd) * lr;
            vel.b = vel.b.clone() * m + g.b * lr;
            vel.c = vel.c.clone() * m + g.c * lr;
            net.w = net.w.clone() + vel.w.clone();
            net.b = net.b.clone() + vel.b.clone();
            net.c = net.c.clone() + vel.c.clone();
            if let (Some(gz), Some(vz), Some(z)) = (g.z, vel.z.as_mut(), self.log_var.as_mut()) {
                *vz = vz.clone() * m + gz * lr;
                *z = (z.clone() + vz.clone()).clamp(-9.0, 9.0);
                net.var = Some(z.clone().exp());
            }
            on_batch(batch.len())?;
        }
        Ok(())
    }
}

/// How a fit updates its parameters: binary-sparse CPU kernels for Bernoulli visible units
/// ([`binary`]), burn tensors for Gaussian ones.
enum Trainer {
    Binary(Box<binary::BinaryTrainer>),
    Tensor(Box<TensorTrainer>),
}

impl Trainer {
    /// One epoch, calling `on_batch` with the rows of each mini-batch after its update.
    fn epoch(
        &mut self,
        p: &RbmParams,
        x: &Array2<f32>,
        lr: f32,
        rng: &mut SeededRng,
        on_batch: &mut dyn FnMut(usize) -> Result<()>,
    ) -> Result<()> {
        match self {
            Trainer::Binary(t) => t.epoch(p, lr, rng, on_batch),
            Trainer::Tensor(t) => t.epoch(p, x, lr, rng, on_batch),
        }
    }

    /// The current parameters as tensors (for monitoring and for the model).
    fn net(&self) -> Net {
        match self {
            Trainer::Binary(t) => {
                let dev = cpu();
                Net {
                    w: super::tensor::tensor_from_array(&t.w, &dev),
                    b: row_tensor(&t.b, &dev),
                    c: row_tensor(&t.c, &dev),
                    var: None,
                }
            }
            Trainer::Tensor(t) => t.net.clone(),
        }
    }
}

fn train(
    p: &RbmParams,
    data: &Images,
    validation: Option<&Images>,
    monitor: &mut dyn Monitor,
) -> Result<Rbm> {
    let start = Instant::now();
    let x = &data.pixels;
    let (n, nv) = x.dim();
    let nh = p.n_hidden;
    let dev = cpu();
    let mut rng = rng_from_seed(p.seed);
    let gaussian = p.visible.is_gaussian();

    let (_, var0) = column_stats(x);
    let b0 = base_rate_biases(x.view(), gaussian);
    let w0 = normal_tensor(&mut rng, [nv, nh], &dev) * (p.init_std as f32);
    let mut trainer = if gaussian {
        let net = Net {
            w: w0,
            b: row_tensor(&b0, &dev),
            c: Tensor::zeros([1, nh], &dev),
            var: Some(row_tensor(&var0, &dev)),
        };
        Trainer::Tensor(Box::new(TensorTrainer::new(p, net, &b0, n, &mut rng)))
    } else {
        Trainer::Binary(Box::new(binary::BinaryTrainer::new(
            p,
            x.view(),
            array_of(w0),
            b0.clone(),
            vec![0.0; nh],
            &mut rng,
        )))
    };

    let mon_rows = p.monitor_rows.min(n);
    let mon = x.slice(ndarray::s![..mon_rows, ..]);
    let mut report = RbmReport {
        n_samples: n,
        epochs: Vec::new(),
        stopped_early: false,
        seconds: 0.0,
        base_rate_biases: b0.clone(),
    };
    let mut net = trainer.net();
    for epoch in 0..p.epochs {
        let t0 = Instant::now();
        let lr = p.schedule.rate(p.learning_rate, epoch, p.epochs) as f32;
        let mut batches = BatchReport::new(epoch + 1, p.epochs, n.div_ceil(p.batch_size.max(1)), n);
        trainer.epoch(p, x, lr, &mut rng, &mut |rows| {
            batches.done(monitor, rows, None)
        })?;
        let seconds = t0.elapsed().as_secs_f64();
        net = trainer.net();
        // A diverged fit is an error, not a model of NaNs.
        let wsum: f32 = net.w.clone().abs().sum().into_scalar();
        if !wsum.is_finite() {
            return Err(NumericalError::NonFiniteObjective {
                iteration: epoch + 1,
                value: wsum as f64,
            }
            .into());
        }
        let mut stats = EpochStats {
            epoch: epoch + 1,
            learning_rate: lr as f64,
            reconstruction_error: f64::NAN,
            pseudo_likelihood: None,
            validation_log_likelihood: None,
            validation_log_z_stderr: None,
            seconds,
        };
        if mon_rows > 0 {
            stats.reconstruction_error = net_reconstruction_error(&net, mon);
            if !gaussian {
                let idx: Vec<usize> = (0..mon_rows).map(|_| rng.random_range(0..nv)).collect();
                let pl = net_pseudo_likelihood(&net, mon, &idx);
                stats.pseudo_likelihood = Some(pl.mean().unwrap_or(f64::NAN));
            }
        }
        let last = epoch + 1 == p.epochs;
        if let Some(valid) = validation {
            if p.ais_every > 0 && ((epoch + 1) % p.ais_every == 0 || last) {
                let lz = ais::ais_net(&net, nh, Some(b0.clone()), &p.ais)?;
                let ll = net_log_likelihood(&net, valid.pixels.view(), lz.log_z);
                stats.validation_log_likelihood = Some(ll.mean().unwrap_or(f64::NAN));
                stats.validation_log_z_stderr = Some(lz.stderr);
            }
        }
        let objective = stats
            .validation_log_likelihood
            .or(stats.pseudo_likelihood)
            .unwrap_or(-stats.reconstruction_error);
        report.epochs.push(stats);
        let flow = end_of_epoch(
            monitor,
            Step {
                run: 0,
                iteration: epoch + 1,
                max_iterations: p.epochs,
                objective,
            },
        )?;
        if flow == Flow::Stop && !last {
            report.stopped_early = true;
            break;
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    let config = RbmConfig {
        n_visible: nv,
        n_hidden: nh,
        visible: p.visible,
        image_shape: (data.height, data.width),
        params: p.clone(),
    };
    Ok(Rbm {
        weights: weights_of(&net),
        config,
        report: Some(report),
    })
}

struct Grad {
    w: Tensor<2>,
    b: Tensor<2>,
    c: Tensor<2>,
    z: Option<Tensor<2>>,
}

/// Positive minus negative statistics, each averaged over its rows.
fn gradient(
    net: &Net,
    v0: Tensor<2>,
    ph0: Tensor<2>,
    vk: Tensor<2>,
    phk: Tensor<2>,
    learn_var: bool,
) -> Grad {
    let b0 = v0.dims()[0] as f32;
    let bk = vk.dims()[0] as f32;
    let (s0, sk) = match &net.var {
        Some(var) => (v0.clone() / var.clone(), vk.clone() / var.clone()),
        None => (v0.clone(), vk.clone()),
    };
    let w = s0.clone().transpose().matmul(ph0.clone()) / b0
        - sk.clone().transpose().matmul(phk.clone()) / bk;
    let c = ph0.clone().mean_dim(0) - phk.clone().mean_dim(0);
    let b = match &net.var {
        Some(var) => {
            ((v0.clone() - net.b.clone()).mean_dim(0) - (vk.clone() - net.b.clone()).mean_dim(0))
                / var.clone()
        }
        None => v0.clone().mean_dim(0) - vk.clone().mean_dim(0),
    };
    let z = match (&net.var, learn_var) {
        (Some(var), true) => {
            // d log p / d log σ²ᵢ = <(v−b)²/(2σ²) − v (W h)/σ²>_data − <…>_model
            let stat = |v: Tensor<2>, ph: Tensor<2>| {
                let d = v.clone() - net.b.clone();
                let wh = ph.matmul(net.w.clone().transpose());
                ((d.clone() * d) * 0.5 - v * wh).mean_dim(0) / var.clone()
            };
            Some(stat(v0, ph0) - stat(vk, phk))
        }
        _ => None,
    };
    Grad { w, b, c, z }
}

fn net_reconstruction_error(net: &Net, x: ArrayView2<'_, f32>) -> f64 {
    let dev = net.w.device();
    let mut total = 0f64;
    for start in (0..x.nrows()).step_by(CHUNK) {
        let xs = x.slice(ndarray::s![start..(start + CHUNK).min(x.nrows()), ..]);
        let v = rows_tensor(xs, &dev);
        let r = net.visible_mean(net.hidden_probs(v.clone()));
        let d = r - v;
        let s: f32 = (d.clone() * d).sum().into_scalar();
        total += s as f64;
    }
    total / x.nrows() as f64
}

fn net_free_energy(net: &Net, x: ArrayView2<'_, f32>) -> Array1<f64> {
    let dev = net.w.device();
    let mut out = Vec::with_capacity(x.nrows());
    for start in (0..x.nrows()).step_by(CHUNK) {
        let xs = x.slice(ndarray::s![start..(start + CHUNK).min(x.nrows()), ..]);
        out.extend(
            to_vec(net.free_energy(rows_tensor(xs, &dev)))
                .into_iter()
                .map(f64::from),
        );
    }
    Array1::from(out)
}

/// scikit-learn's pseudo-likelihood: `V · log σ(F(ṽ) − F(v))` with `ṽ` = `v` with unit
/// `flip[r]` of row `r` flipped.
fn net_pseudo_likelihood(net: &Net, x: ArrayView2<'_, f32>, flip: &[usize]) -> Array1<f64> {
    let dev = net.w.device();
    let nv = x.ncols() as f32;
    let mut out = Vec::with_capacity(x.nrows());
    for start in (0..x.nrows()).step_by(CHUNK) {
        let end = (start + CHUNK).min(x.nrows());
        let xs = x.slice(ndarray::s![start..end, ..]);
        let mut flipped = xs.to_owned();
        for (r, mut row) in flipped.axis_iter_mut(Axis(0)).enumerate() {
            let j = flip[start + r];
            row[j] = 1.0 - row[j];
        }
        let fe = net.free_energy(rows_tensor(xs, &dev));
        let fe_ = net.free_energy(rows_tensor(flipped.view(), &dev));
        let pl = log_sigmoid(fe_ - fe) * nv;
        out.extend(to_vec(pl).into_iter().map(f64::from));
    }
    Array1::from(out)
}

fn net_log_likelihood(net: &Net, x: ArrayView2<'_, f32>, log_z: f64) -> Array1<f64> {
    net_free_energy(net, x).mapv(|f| -f - log_z)
}

fn weights_of(net: &Net) -> RbmWeights {
    let dev = net.w.device();
    let flat = |t: &Tensor<2>| {
        let v = to_vec(t.clone());
        tensor1(&v, &dev)
    };
    RbmWeights {
        w: Param::from_tensor(net.w.clone()),
        b: Param::from_tensor(flat(&net.b)),
        c: Param::from_tensor(flat(&net.c)),
        log_var: net
            .var
            .as_ref()
            .map(|v| Param::from_tensor(flat(&v.clone().log()))),
    }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

impl Rbm {
    /// An RBM with given parameters: `w` is `n_visible × n_hidden`; `variances` makes the
    /// visible units Gaussian with those (fixed) variances.
    pub fn from_weights(
        w: Array2<f32>,
        b: Array1<f32>,
        c: Array1<f32>,
        variances: Option<Array1<f32>>,
        image_shape: Option<(usize, usize)>,
    ) -> Result<Rbm> {
        let (nv, nh) = w.dim();
        let shape_err = |name: &'static str, found: usize, expected: usize| ParamError::InitShape {
            name,
            found: found.to_string(),
            expected: expected.to_string(),
        };
        if nv == 0 || nh == 0 {
            return Err(ParamError::Invalid {
                name: "w",
                value: format!("{nv}×{nh}"),
                expected: "at least one visible and one hidden unit".into(),
            }
            .into());
        }
        if b.len() != nv {
            return Err(shape_err("b", b.len(), nv).into());
        }
        if c.len() != nh {
            return Err(shape_err("c", c.len(), nh).into());
        }
        if let Some(v) = &variances {
            if v.len() != nv {
                return Err(shape_err("variances", v.len(), nv).into());
            }
            if v.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(ParamError::Invalid {
                    name: "variances",
                    value: format!("{v}"),
                    expected: "finite numbers > 0".into(),
                }
                .into());
            }
        }
        let all = w.iter().chain(b.iter()).chain(c.iter());
        if all.clone().any(|v| !v.is_finite()) {
            return Err(ParamError::Invalid {
                name: "weights",
                value: "a non-finite value".into(),
                expected: "finite numbers".into(),
            }
            .into());
        }
        let dev = cpu();
        let image_shape = image_shape.unwrap_or((1, nv));
        if image_shape.0.checked_mul(image_shape.1) != Some(nv) {
            return Err(ParamError::Invalid {
                name: "image_shape",
                value: format!("{}×{}", image_shape.0, image_shape.1),
                expected: format!("{nv} pixels"),
            }
            .into());
        }
        let visible = if variances.is_some() {
            Visible::Gaussian {
                learn_variance: false,
            }
        } else {
            Visible::Bernoulli
        };
        let weights = RbmWeights {
            w: Param::from_tensor(super::tensor::tensor_from_array(&w, &dev)),
            b: Param::from_tensor(tensor1(b.as_slice().expect("contiguous"), &dev)),
            c: Param::from_tensor(tensor1(c.as_slice().expect("contiguous"), &dev)),
            log_var: variances.map(|v| {
                let lv: Vec<f32> = v.iter().map(|s| s.ln()).collect();
                Param::from_tensor(tensor1(&lv, &dev))
            }),
        };
        Ok(Rbm {
            weights,
            config: RbmConfig {
                n_visible: nv,
                n_hidden: nh,
                visible,
                image_shape,
                params: RbmParams::new(nh).visible(visible),
            },
            report: None,
        })
    }

    pub(crate) fn net(&self) -> Net {
        let row = |t: Tensor<1>| t.unsqueeze::<2>();
        Net {
            w: self.weights.w.val(),
            b: row(self.weights.b.val()),
            c: row(self.weights.c.val()),
            var: self.weights.log_var.as_ref().map(|z| row(z.val()).exp()),
        }
    }

    /// Visible units.
    pub fn n_visible(&self) -> usize {
        self.config.n_visible
    }

    /// Hidden units.
    pub fn n_hidden(&self) -> usize {
        self.config.n_hidden
    }

    /// The kind of the visible units.
    pub fn visible(&self) -> Visible {
        self.config.visible
    }

    /// Whether the visible units are Gaussian.
    pub fn is_gaussian(&self) -> bool {
        self.config.visible.is_gaussian()
    }

    /// Free parameters.
    pub fn n_parameters(&self) -> usize {
        let (v, h) = (self.n_visible(), self.n_hidden());
        v * h + v + h + if self.is_gaussian() { v } else { 0 }
    }

    /// The parameters as arrays: W (`n_visible × n_hidden`), b, c, and the visible variances
    /// of Gaussian units.
    pub fn parameters(&self) -> (Array2<f32>, Array1<f32>, Array1<f32>, Option<Array1<f32>>) {
        let net = self.net();
        let flat = |t: Tensor<2>| Array1::from(to_vec(t));
        (
            array_of(net.w.clone()),
            flat(net.b),
            flat(net.c),
            net.var.map(flat),
        )
    }

    /// An error unless `x` can be given to this model: rows of `n_visible` finite values, binary
    /// for Bernoulli units.
    pub fn check_data(&self, x: ArrayView2<'_, f32>) -> Result<()> {
        check_rows(x, self.visible(), Some(self.n_visible()), "the data")
    }

    /// `P(hⱼ = 1 | v)` for each row: the learned features.
    pub fn hidden_probabilities(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check_data(x)?;
        let net = self.net();
        let dev = net.w.device();
        let mut out = Array2::zeros((x.nrows(), self.n_hidden()));
        for start in (0..x.nrows()).step_by(CHUNK) {
            let end = (start + CHUNK).min(x.nrows());
            let xs = x.slice(ndarray::s![start..end, ..]);
            let p = array_of(net.hidden_probs(rows_tensor(xs, &dev)));
            out.slice_mut(ndarray::s![start..end, ..]).assign(&p);
        }
        Ok(out)
    }

    /// The mean-field reconstruction `E[v | h = P(h | v)]` of each row.
    pub fn reconstruct(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check_data(x)?;
        let net = self.net();
        let v = rows_tensor(x, &net.w.device());
        Ok(array_of(net.visible_mean(net.hidden_probs(v))))
    }

    /// Mean over rows of the squared reconstruction error summed over units.
    pub fn reconstruction_error(&self, x: ArrayView2<'_, f32>) -> Result<f64> {
        self.check_data(x)?;
        Ok(net_reconstruction_error(&self.net(), x))
    }

    /// Free energy `F(v) = −log Σₕ e^{−E(v,h)}` of each row, so `log P(v) = −F(v) − log Z`.
    pub fn free_energy(&self, x: ArrayView2<'_, f32>) -> Result<Array1<f64>> {
        self.check_data(x)?;
        Ok(net_free_energy(&self.net(), x))
    }

    /// scikit-learn's pseudo-likelihood (`BernoulliRBM.score_samples`): for each row, one unit
    /// chosen at random is flipped and `n_visible · log σ(F(flipped) − F(v))` is returned.
    pub fn pseudo_likelihood(
        &self,
        x: ArrayView2<'_, f32>,
        rng: &mut SeededRng,
    ) -> Result<Array1<f64>> {
        let idx: Vec<usize> = (0..x.nrows())
            .map(|_| rng.random_range(0..self.n_visible().max(1)))
            .collect();
        self.pseudo_likelihood_flipping(x, &idx)
    }

    /// The pseudo-likelihood with the flipped unit of each row given (0-based).
    pub fn pseudo_likelihood_flipping(
        &self,
        x: ArrayView2<'_, f32>,
        flip: &[usize],
    ) -> Result<Array1<f64>> {
        if self.is_gaussian() {
            return Err(DataError::Other(
                "the pseudo-likelihood is defined for binary visible units only".into(),
            )
            .into());
        }
        self.check_data(x)?;
        if flip.len() != x.nrows() {
            return Err(DataError::Length {
                what: "the flipped units".into(),
                found: flip.len(),
                expected: x.nrows(),
            }
            .into());
        }
        if let Some(&j) = flip.iter().find(|&&j| j >= self.n_visible()) {
            return Err(DataError::Other(format!(
                "unit {j} to flip is out of range (the model has {} visible units)",
                self.n_visible()
            ))
            .into());
        }
        Ok(net_pseudo_likelihood(&self.net(), x, flip))
    }

    /// `log P(v) = −F(v) − log Z` of each row, given log Z (exact or estimated).
    pub fn log_likelihood_given(
        &self,
        x: ArrayView2<'_, f32>,
        log_z: &LogZ,
    ) -> Result<Array1<f64>> {
        self.check_data(x)?;
        Ok(net_log_likelihood(&self.net(), x, log_z.log_z))
    }

    /// The CD-k estimate of the log-likelihood gradient on the rows `x` (one mini-batch): the
    /// data statistics minus the statistics after k Gibbs steps started at the data (Bernoulli
    /// units; for Gaussian units the statistics of `v/σ²`).
    pub fn cd_gradient(
        &self,
        x: ArrayView2<'_, f32>,
        k: usize,
        rng: &mut SeededRng,
    ) -> Result<RbmGradient> {
        self.check_data(x)?;
        if k == 0 {
            return Err(ParamError::Invalid {
                name: "k",
                value: "0".into(),
                expected: "at least 1 Gibbs step".into(),
            }
            .into());
        }
        let net = self.net();
        let v0 = rows_tensor(x, &net.w.device());
        let ph0 = net.hidden_probs(v0.clone());
        let h0 = bernoulli(ph0.clone(), rng);
        let (vk, phk) = net.gibbs_from_hidden(h0, k, rng);
        let g = gradient(&net, v0, ph0, vk, phk, false);
        let f64s =
            |t: Tensor<2>| Array1::from(to_vec(t).into_iter().map(f64::from).collect::<Vec<_>>());
        Ok(RbmGradient {
            w: array_of(g.w).mapv(f64::from),
            b: f64s(g.b),
            c: f64s(g.c),
        })
    }

    /// `n` block-Gibbs chains run for `steps` steps (v → h → v) from `start`.
    pub fn gibbs(
        &self,
        n: usize,
        steps: usize,
        start: GibbsStart<'_>,
        rng: &mut SeededRng,
    ) -> Result<GibbsSamples> {
        // Visible and hidden states and their probabilities, f32.
        crate::core::memory::check_rows("chains", n, 2 * (self.n_visible() + self.n_hidden()), 4)?;
        if n == 0 {
            return Err(ParamError::Invalid {
                name: "n",
                value: "0".into(),
                expected: "at least 1 sample".into(),
            }
            .into());
        }
        let net = self.net();
        let dev = net.w.device();
        let nv = self.n_visible();
        let mut v = match start {
            GibbsStart::Random => {
                let mean = if self.is_gaussian() {
                    net.b.clone().repeat_dim(0, n)
                } else {
                    Tensor::full([n, nv], 0.5, &dev)
                };
                net.sample_visible_from_mean(mean, rng)
            }
            GibbsStart::Data(x) => {
                self.check_data(x)?;
                let idx: Vec<usize> = (0..n).map(|i| i % x.nrows()).collect();
                super::tensor::tensor_from_rows(&x.to_owned(), &idx, &dev)
            }
        };
        let mut mean = v.clone();
        for _ in 0..steps {
            let h = bernoulli(net.hidden_probs(v), rng);
            mean = net.visible_mean(h);
            v = net.sample_visible_from_mean(mean.clone(), rng);
        }
        Ok(GibbsSamples {
            states: array_of(v),
            means: array_of(mean),
        })
    }

    /// Clamped Gibbs sampling (inpainting): the finite values of each row of `x` stay fixed,
    /// the missing ones (NaN) are sampled from the model given them for `steps` steps. Returns
    /// the last states and, for the missing units, the average of `E[v | h]` over the second
    /// half of the steps (known units keep their values in both).
    pub fn sample_clamped(
        &self,
        x: ArrayView2<'_, f32>,
        steps: usize,
        rng: &mut SeededRng,
    ) -> Result<GibbsSamples> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(DataError::Empty {
                what: "the partly known rows".into(),
            }
            .into());
        }
        if x.ncols() != self.n_visible() {
            return Err(DataError::Columns {
                expected: self.n_visible(),
                found: x.ncols(),
                hint: String::new(),
            }
            .into());
        }
        // The known values must be usable by the model (binary for Bernoulli units).
        let known_check = x.mapv(|v| if v.is_nan() { 0.0 } else { v });
        for (r, row) in x.axis_iter(Axis(0)).enumerate() {
            if let Some((c, v)) = row.iter().enumerate().find(|(_, v)| v.is_infinite()) {
                return Err(DataError::NonFinite {
                    row: r + 1,
                    column: (c + 1).to_string(),
                    value: v.to_string(),
                    hint: "; missing values are NaN or empty cells".into(),
                }
                .into());
            }
        }
        self.check_data(known_check.view())?;
        let net = self.net();
        let dev = net.w.device();
        let (n, nv) = x.dim();
        let missing = x.mapv(|v| if v.is_nan() { 1.0f32 } else { 0.0 });
        let known = known_check;
        let miss_t = rows_tensor(missing.view(), &dev);
        let keep_t = miss_t.clone().neg() + 1.0;
        let known_t = rows_tensor(known.view(), &dev);
        let init_mean = if self.is_gaussian() {
            net.b.clone().repeat_dim(0, n)
        } else {
            Tensor::full([n, nv], 0.5, &dev)
        };
        let init = net.sample_visible_from_mean(init_mean, rng);
        let clamp = |v: Tensor<2>| known_t.clone() * keep_t.clone() + v * miss_t.clone();
        let mut v = clamp(init);
        let mut acc = Tensor::<2>::zeros([n, nv], &dev);
        let mut count = 0usize;
        let burn_in = steps / 2;
        for s in 0..steps {
            let h = bernoulli(net.hidden_probs(v.clone()), rng);
            let mean = net.visible_mean(h);
            if s >= burn_in {
                acc = acc + mean.clone();
                count += 1;
            }
            v = clamp(net.sample_visible_from_mean(mean, rng));
        }
        let means = if count > 0 {
            clamp(acc / count as f32)
        } else {
            v.clone()
        };
        let mut states = array_of(v);
        let mut means = array_of(means);
        // Bit-exact known values (the tensor arithmetic above already keeps them).
        for ((s, m), (&xv, &mi)) in states
            .iter_mut()
            .zip(means.iter_mut())
            .zip(known.iter().zip(missing.iter()))
        {
            if mi == 0.0 {
                *s = xv;
                *m = xv;
            }
        }
        Ok(GibbsSamples { states, means })
    }

    /// Saves as a safetensors checkpoint (format `rbm`), the config and fit report as metadata.
    pub fn save(&self, path: &Path) -> Result<()> {
        let meta = CheckpointMeta {
            format: FORMAT.into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable config"),
            report: serde_json::to_value(&self.report).expect("serialisable report"),
        };
        checkpoint::save_module(&self.weights, &meta, path)
    }

    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors).
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let meta = CheckpointMeta {
            format: FORMAT.into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable config"),
            report: serde_json::to_value(&self.report).expect("serialisable report"),
        };
        checkpoint::module_bytes(&self.weights, &meta, path)
    }

    /// Loads a checkpoint written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Rbm> {
        Self::from_checkpoint_bytes(checkpoint::read_bytes(path)?, path)
    }

    /// The RBM of a checkpoint's bytes (`path` names them in errors), validated as
    /// [`load`](Self::load) validates a file.
    pub(crate) fn from_checkpoint_bytes(bytes: Vec<u8>, path: &Path) -> Result<Rbm> {
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, FORMAT)?;
        let config: RbmConfig = serde_json::from_value(meta.config.clone()).map_err(|e| {
            crate::core::ModelFileError::Corrupt {
                path: path.into(),
                reason: format!("bad RBM config: {e}"),
            }
        })?;
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        config
            .check()
            .map_err(|reason| crate::core::ModelFileError::Invalid {
                path: path.into(),
                reason,
            })?;
        config
            .tensor_plan()
            .check(&stored, path, "the RBM configuration")?;
        // exp(log_var) must be a positive, finite f32 variance.
        checkpoint::check_values(
            &bytes,
            path,
            |n| n == "log_var",
            |v| v.abs() <= 80.0,
            "are log-variances and must lie within ±80 (a positive, finite variance)",
        )?;
        let dev = cpu();
        let (nv, nh) = (config.n_visible, config.n_hidden);
        let blank = RbmWeights {
            w: Param::from_tensor(Tensor::zeros([nv, nh], &dev)),
            b: Param::from_tensor(Tensor::zeros([nv], &dev)),
            c: Param::from_tensor(Tensor::zeros([nh], &dev)),
            log_var: config
                .visible
                .is_gaussian()
                .then(|| Param::from_tensor(Tensor::zeros([nv], &dev))),
        };
        let (weights, meta) = checkpoint::module_from_bytes(blank, bytes, path, FORMAT)?;
        let report: Option<RbmReport> = serde_json::from_value(meta.report).unwrap_or(None);
        if let Some(r) = &report {
            if r.base_rate_biases.iter().any(|v| !v.is_finite()) {
                return Err(crate::core::ModelFileError::Invalid {
                    path: path.into(),
                    reason: "the fit report's base-rate biases must be finite numbers".into(),
                }
                .into());
            }
        }
        Ok(Rbm {
            weights,
            config,
            report,
        })
    }
}

impl Sample for Rbm {
    type Output = Array2<f32>;
    /// `n` independent chains of 1000 Gibbs steps from random starts; the last visible states.
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<Array2<f32>> {
        let mut r = rng_from_seed(rng.next_u64());
        Ok(self.gibbs(n, 1000, GibbsStart::Random, &mut r)?.states)
    }
}
