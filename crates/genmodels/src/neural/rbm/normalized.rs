//! An RBM together with its log partition function — exact when a layer is small enough to
//! enumerate, else estimated by annealed importance sampling — so that its free energies
//! become log-likelihoods, `log P(v) = −F(v) − log Z`. This is what a generative classifier
//! needs of a class-conditional model: [`NormalizedRbmParams`] implements [`Fit`] on rows and
//! [`NormalizedRbm`] implements [`LogLikelihood`] (marked as an estimate when log Z is one),
//! so [`crate::classifier::fit_classifier`] takes it like any other family.
//!
//! ```
//! use genmodels::core::{Fit, LogLikelihood};
//! use genmodels::neural::rbm::{AisParams, NormalizedRbmParams, RbmParams};
//! use ndarray::Array2;
//!
//! // Two binary patterns, repeated: a 6-hidden-unit RBM's log Z is enumerated exactly.
//! let x = Array2::from_shape_fn((40, 8), |(i, j)| ((i % 2 == 0) == (j < 4)) as u8 as f64);
//! let rbm = RbmParams::new(6).epochs(100).batch_size(10).learning_rate(0.1).seed(0);
//! let model = NormalizedRbmParams::new(rbm).fit(&x).unwrap();
//! assert!(model.log_z.is_exact());
//! // A distribution over the 2⁸ binary rows...
//! let all = Array2::from_shape_fn((256, 8), |(v, j)| ((v >> j) & 1) as f64);
//! let total: f64 = model.log_likelihood(&all).unwrap().mapv(f64::exp).sum();
//! assert!((total - 1.0).abs() < 1e-4);
//! // ...that puts the two training patterns far above a uniform guess (1/256 each).
//! let ll = model.log_likelihood(&x).unwrap();
//! assert!(ll.iter().all(|&l| l > -(256f64).ln()), "{ll}");
//! ```

use ndarray::{Array1, Array2, ArrayView2};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{AisParams, GibbsStart, LogZ, Rbm, RbmParams};
use crate::core::rng_from_seed;
use crate::core::{Fit, LikelihoodKind, LogLikelihood, Monitor, Result, Sample};
use crate::io::images::Images;

/// How to fit an RBM and then find its log Z.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedRbmParams {
    /// The RBM's training settings.
    pub rbm: RbmParams,
    /// AIS settings, used when no layer is small enough to enumerate.
    pub ais: AisParams,
    /// Height and width of the rows read as images (`None`: one row of pixels).
    pub image_shape: Option<(usize, usize)>,
}

impl NormalizedRbmParams {
    /// `rbm`'s training, then log Z exactly or by AIS with its default settings.
    pub fn new(rbm: RbmParams) -> Self {
        NormalizedRbmParams {
            rbm,
            ais: AisParams::default(),
            image_shape: None,
        }
    }

    /// The AIS settings.
    pub fn ais(mut self, ais: AisParams) -> Self {
        self.ais = ais;
        self
    }

    /// The shape of the images the rows are.
    pub fn image_shape(mut self, shape: (usize, usize)) -> Self {
        self.image_shape = Some(shape);
        self
    }
}

/// An RBM and its log partition function.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "Stored", try_from = "Stored")]
pub struct NormalizedRbm {
    /// The machine.
    pub rbm: Rbm,
    /// Its log Z (exact or estimated, with the standard error).
    pub log_z: LogZ,
}

fn as_f32(x: ArrayView2<'_, f64>) -> Array2<f32> {
    x.mapv(|v| v as f32)
}

impl Fit<Array2<f64>> for NormalizedRbmParams {
    type Model = NormalizedRbm;
    fn fit_with(&self, data: &Array2<f64>, monitor: &mut dyn Monitor) -> Result<NormalizedRbm> {
        let (height, width) = self.image_shape.unwrap_or((1, data.ncols()));
        let images = Images {
            pixels: as_f32(data.view()),
            height,
            width,
        };
        let rbm = self.rbm.fit_validated(&images, None, monitor)?;
        let log_z = rbm.log_z(Some(images.pixels.view()), &self.ais)?;
        Ok(NormalizedRbm { rbm, log_z })
    }
}

impl LogLikelihood<Array2<f64>> for NormalizedRbm {
    fn log_likelihood(&self, data: &Array2<f64>) -> Result<Array1<f64>> {
        self.rbm
            .log_likelihood_given(as_f32(data.view()).view(), &self.log_z)
    }
    fn kind(&self) -> LikelihoodKind {
        if self.log_z.is_exact() {
            LikelihoodKind::Exact
        } else {
            LikelihoodKind::Estimate {
                stderr: self.log_z.stderr,
            }
        }
    }
}

impl Sample for NormalizedRbm {
    type Output = Array2<f64>;
    /// `n` independent chains of 1000 block-Gibbs steps from random starts; the last visible
    /// states.
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<Array2<f64>> {
        let mut r = rng_from_seed(rng.next_u64());
        Ok(self
            .rbm
            .gibbs(n, 1000, GibbsStart::Random, &mut r)?
            .states
            .mapv(f64::from))
    }
}

/// The serialised form: plain arrays, so a classifier of RBMs saves as one JSON file.
#[derive(Serialize, Deserialize)]
struct Stored {
    w: Array2<f32>,
    b: Array1<f32>,
    c: Array1<f32>,
    #[serde(default)]
    variances: Option<Array1<f32>>,
    image_shape: (usize, usize),
    log_z: LogZ,
}

impl From<NormalizedRbm> for Stored {
    fn from(m: NormalizedRbm) -> Stored {
        let (w, b, c, variances) = m.rbm.parameters();
        Stored {
            w,
            b,
            c,
            variances,
            image_shape: m.rbm.config.image_shape,
            log_z: m.log_z,
        }
    }
}

impl TryFrom<Stored> for NormalizedRbm {
    type Error = String;
    fn try_from(s: Stored) -> std::result::Result<NormalizedRbm, String> {
        if !s.log_z.log_z.is_finite() {
            return Err(format!("log Z is {}", s.log_z.log_z));
        }
        let rbm = Rbm::from_weights(s.w, s.b, s.c, s.variances, Some(s.image_shape))
            .map_err(|e| e.to_string())?;
        Ok(NormalizedRbm {
            rbm,
            log_z: s.log_z,
        })
    }
}
