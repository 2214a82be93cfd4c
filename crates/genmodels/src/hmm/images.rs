//! Images as sequences — the "handwriting recognition with HMMs" use: each image is read as a
//! sequence of its pixel rows (top to bottom) or columns (left to right), and a left-right HMM
//! per class models the strokes met along the way.
//!
//! [`SegmentInit`] is the usual start of such a model: state `s` of `S` starts from the
//! statistics of the steps `t` with `⌊t·S/T⌋ = s` (a uniform segmentation of every length-`T`
//! sequence), so that the state where a left-right chain starts models the top (or left) of the
//! images. The plain initialisers ([`GaussianInit`], [`GmmInit`]) cluster all steps by k-means,
//! which ignores the topology; on MNIST the segmented start was 3–6 points more accurate
//! (`crates/genmodels/examples/compare_classifiers.rs`).

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{EmissionInit, GaussianInit, GaussianMixtureEmission, GmmInit};
use crate::core::data::Sequences;
use crate::core::{DataError, ParamError, Result, SeededRng};
use crate::mixture::{kmeans, BernoulliComponents, GaussianComponents};

/// How an image becomes a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageReading {
    /// One step per pixel row, top to bottom (each step: the row's `width` values).
    Rows,
    /// One step per pixel column, left to right (each step: the column's `height` values).
    Columns,
}

impl std::str::FromStr for ImageReading {
    type Err = ParamError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamError> {
        match s {
            "rows" => Ok(ImageReading::Rows),
            "columns" | "cols" => Ok(ImageReading::Columns),
            other => Err(ParamError::invalid("sequence", other, "rows or columns")),
        }
    }
}

impl ImageReading {
    /// Steps per image and values per step for `height × width` images.
    pub fn steps_and_width(self, (h, w): (usize, usize)) -> (usize, usize) {
        match self {
            ImageReading::Rows => (h, w),
            ImageReading::Columns => (w, h),
        }
    }
}

/// Images (one per row of `x`, row-major `height × width`) as sequences, one per image.
///
/// ```
/// use genmodels::hmm::{image_sequences, images_from_sequences, ImageReading};
/// use ndarray::array;
/// # fn main() -> genmodels::core::Result<()> {
/// let x = array![[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]; // one 2×3 image
/// let rows = image_sequences(&x, (2, 3), ImageReading::Rows)?;
/// assert_eq!(rows.x, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let cols = image_sequences(&x, (2, 3), ImageReading::Columns)?;
/// assert_eq!(cols.x, array![[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]);
/// assert_eq!(images_from_sequences(&cols.x, (2, 3), ImageReading::Columns)?, x);
/// # Ok(()) }
/// ```
pub fn image_sequences(
    x: &Array2<f64>,
    shape: (usize, usize),
    reading: ImageReading,
) -> Result<Sequences> {
    let (h, w) = shape;
    if h * w != x.ncols() {
        return Err(DataError::Columns {
            found: x.ncols(),
            expected: h * w,
            hint: format!(" ({h}×{w} images)"),
        }
        .into());
    }
    let n = x.nrows();
    let (steps, width) = reading.steps_and_width(shape);
    let mut out = Array2::zeros((n * steps, width));
    for (i, img) in x.axis_iter(Axis(0)).enumerate() {
        let img = img
            .to_shape((h, w))
            .map_err(|e| DataError::Other(e.to_string()))?;
        let block = match reading {
            ImageReading::Rows => img.view().to_owned(),
            ImageReading::Columns => img.t().to_owned(),
        };
        out.slice_mut(ndarray::s![i * steps..(i + 1) * steps, ..])
            .assign(&block);
    }
    Ok(Sequences::new(out, vec![steps; n])?)
}

/// The inverse of [`image_sequences`]: the steps of consecutive length-`T` sequences back as
/// one image per row.
pub fn images_from_sequences(
    steps: &Array2<f64>,
    shape: (usize, usize),
    reading: ImageReading,
) -> Result<Array2<f64>> {
    let (h, w) = shape;
    let (t, width) = reading.steps_and_width(shape);
    if steps.ncols() != width || steps.nrows() % t != 0 {
        return Err(DataError::Other(format!(
            "{} steps of {} values are not whole {h}×{w} images",
            steps.nrows(),
            steps.ncols()
        ))
        .into());
    }
    let n = steps.nrows() / t;
    let mut out = Array2::zeros((n, h * w));
    for i in 0..n {
        let block = steps.slice(ndarray::s![i * t..(i + 1) * t, ..]);
        let img = match reading {
            ImageReading::Rows => block.to_owned(),
            ImageReading::Columns => block.t().to_owned(),
        };
        out.row_mut(i).assign(
            &img.as_standard_layout()
                .to_shape(h * w)
                .expect("h·w values"),
        );
    }
    Ok(out)
}

/// A Baum-Welch start for sequences that all have `steps` steps (images read as sequences):
/// state `s` of `S` starts from the steps `t` with `⌊t·S/steps⌋ = s`. Wraps the emission
/// family's own settings: [`GaussianInit`], [`GmmInit`] (the steps of each band clustered by
/// k-means into the state's Gaussians) or [`BernoulliInit`].
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInit<E> {
    /// Steps per sequence (every sequence must have this many).
    pub steps: usize,
    /// The emission family's settings.
    pub emission: E,
}

impl<E> SegmentInit<E> {
    /// Segments of sequences of `steps` steps.
    pub fn new(steps: usize, emission: E) -> Self {
        SegmentInit { steps, emission }
    }

    fn check_steps(&self) -> std::result::Result<(), ParamError> {
        if self.steps == 0 {
            return Err(ParamError::invalid(
                "steps",
                "0",
                "at least 1 step per sequence",
            ));
        }
        Ok(())
    }

    fn check_rows(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        if x.nrows() % self.steps != 0 {
            return Err(DataError::Other(format!(
                "a segmented start needs sequences of {} steps each, but {} steps in all are not a whole number of them",
                self.steps,
                x.nrows()
            ))
            .into());
        }
        Ok(())
    }

    /// The band of step `i` among `n_states`.
    fn band(&self, i: usize, n_states: usize) -> usize {
        (i % self.steps) * n_states / self.steps
    }

    /// Hard responsibilities of the uniform segmentation (steps × states).
    fn segments(&self, n_rows: usize, n_states: usize) -> Array2<f64> {
        Array2::from_shape_fn((n_rows, n_states), |(i, k)| {
            f64::from(self.band(i, n_states) == k)
        })
    }
}

impl EmissionInit for SegmentInit<GaussianInit> {
    type Emission = GaussianComponents;
    fn check(&self) -> std::result::Result<(), ParamError> {
        self.check_steps()?;
        self.emission.check()
    }
    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        self.check_rows(x)?;
        self.emission.check_data(x)
    }
    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        _: &mut SeededRng,
    ) -> Result<GaussianComponents> {
        let resp = self.segments(x.nrows(), n_states);
        GaussianComponents::estimate_from_responsibilities(
            x,
            resp.view(),
            self.emission.covariance,
            self.emission.reg_covar,
        )
    }
}

impl EmissionInit for SegmentInit<GmmInit> {
    type Emission = GaussianMixtureEmission;
    fn check(&self) -> std::result::Result<(), ParamError> {
        self.check_steps()?;
        self.emission.check()
    }
    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        self.check_rows(x)?;
        self.emission.check_data(x)
    }
    /// The steps of band `s`, clustered by k-means into the `m` Gaussians of state `s`.
    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<GaussianMixtureEmission> {
        let m = self.emission.n_mix;
        let mut resp = Array2::zeros((x.nrows(), n_states * m));
        let mut weights = Array2::zeros((n_states, m));
        for s in 0..n_states {
            let rows: Vec<usize> = (0..x.nrows())
                .filter(|&i| self.band(i, n_states) == s)
                .collect();
            if rows.len() < m {
                return Err(DataError::TooFewRows {
                    found: rows.len(),
                    needed: m,
                    why: format!("state {s}'s band of steps (one per mixture component)"),
                }
                .into());
            }
            let km = kmeans(x.select(Axis(0), &rows).view(), m, 100, 1e-4, rng)?;
            for (&i, &l) in rows.iter().zip(km.labels.iter()) {
                resp[[i, s * m + l]] = 1.0;
                weights[[s, l]] += 1.0;
            }
            let mut w = weights.row_mut(s);
            w.mapv_inplace(|c: f64| c.max(1.0));
            let total = w.sum();
            w /= total;
        }
        let components = GaussianComponents::estimate_from_responsibilities(
            x,
            resp.view(),
            self.emission.covariance,
            self.emission.reg_covar,
        )?;
        Ok(GaussianMixtureEmission {
            weights,
            components,
            covariance_update: self.emission.covariance_update,
        })
    }
}

/// Bernoulli emissions (binary pixels) for an HMM: each state's probabilities kept in
/// `[clip, 1 − clip]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BernoulliInit {
    /// The smallest probability of a pixel being 0 or 1.
    pub clip: f64,
}

impl Default for BernoulliInit {
    fn default() -> Self {
        BernoulliInit { clip: 1e-3 }
    }
}

impl EmissionInit for SegmentInit<BernoulliInit> {
    type Emission = BernoulliComponents;
    fn check(&self) -> std::result::Result<(), ParamError> {
        self.check_steps()?;
        let c = self.emission.clip;
        if !(c > 0.0 && c < 0.5) {
            return Err(ParamError::invalid("clip", c, "a probability in (0, 0.5)"));
        }
        Ok(())
    }
    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        self.check_rows(x)?;
        for (r, row) in x.axis_iter(Axis(0)).enumerate() {
            if let Some((c, v)) = row
                .iter()
                .enumerate()
                .find(|(_, v)| **v != 0.0 && **v != 1.0)
            {
                return Err(DataError::Support {
                    row: r + 1,
                    column: c + 1,
                    value: v.to_string(),
                    support: "{0, 1}; binarise the data first".into(),
                }
                .into());
            }
        }
        Ok(())
    }
    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        _: &mut SeededRng,
    ) -> Result<BernoulliComponents> {
        let resp = self.segments(x.nrows(), n_states);
        let counts = resp
            .sum_axis(Axis(0))
            .mapv(|c| c.max(1.0))
            .insert_axis(Axis(1));
        let c = self.emission.clip;
        let means = (resp.t().dot(&x) / &counts).mapv(|m| m.clamp(c, 1.0 - c));
        Ok(BernoulliComponents { means, clip: c })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{rng_from_seed, LogLikelihood};
    use crate::hmm::{HmmParams, Topology};
    use crate::mixture::CovarianceType;

    /// Bars that move down the image: a left-right HMM over rows must fit them.
    fn bars(n: usize, seed: u64) -> Array2<f64> {
        use rand::Rng;
        let mut rng = rng_from_seed(seed);
        Array2::from_shape_fn((n, 36), |(_, j)| {
            let (r, _) = (j / 6, j % 6);
            let base = if r < 3 { 1.0 } else { 0.0 };
            base + 0.1 * rng.random::<f64>()
        })
    }

    #[test]
    fn round_trip_and_shape_errors() {
        let x = bars(3, 1);
        for r in [ImageReading::Rows, ImageReading::Columns] {
            let s = image_sequences(&x, (6, 6), r).unwrap();
            assert_eq!(s.lengths, vec![6, 6, 6]);
            assert_eq!(images_from_sequences(&s.x, (6, 6), r).unwrap(), x);
        }
        assert!(image_sequences(&x, (5, 6), ImageReading::Rows).is_err());
        assert!("diagonal".parse::<ImageReading>().is_err());
    }

    #[test]
    fn segmented_start_puts_the_top_band_in_state_zero() {
        let x = bars(40, 2);
        let seq = image_sequences(&x, (6, 6), ImageReading::Rows).unwrap();
        let init = SegmentInit::new(
            6,
            GaussianInit {
                covariance: CovarianceType::Diag,
                reg_covar: 1e-3,
            },
        );
        let m = HmmParams::new(2, init)
            .topology(Topology::LeftRight)
            .max_iter(20)
            .seed(0)
            .fit(&seq)
            .unwrap();
        let means = &m.emission.means;
        assert!(means[[0, 0]] > 0.9 && means[[1, 0]] < 0.2, "{means}");
        assert!(m
            .log_likelihood(&seq)
            .unwrap()
            .iter()
            .all(|v| v.is_finite()));

        // Sequences of another length than the segmentation's are refused.
        let short = image_sequences(
            &x.slice(ndarray::s![.., ..30]).to_owned(),
            (5, 6),
            ImageReading::Rows,
        )
        .unwrap();
        let init = SegmentInit::new(6, BernoulliInit::default());
        assert!(HmmParams::new(2, init).fit(&short).is_err());
    }
}
