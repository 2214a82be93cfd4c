//! Multinomial logistic regression — the discriminative baseline that the generative
//! classifiers are compared with (scikit-learn's `LogisticRegression` objective: L2 penalty
//! with inverse strength `C`, intercepts not penalised), fitted by burn's L-BFGS with a
//! strong-Wolfe line search on the autodiff CPU device.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{GradientsParams, LBFGSConfig, LineSearchFn};
use burn::tensor::{activation, Int, Tensor, TensorData};
use ndarray::{Array1, Array2};

use super::tensor::{array_from_tensor, cpu, cpu_train, tensor_from_array};
use crate::core::{DataError, ParamError, Result};

/// Hyper-parameters of [`LogisticRegression`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams {
    /// Inverse L2 strength (scikit-learn's `C`): the objective is
    /// `C · Σᵢ −ln P(yᵢ | xᵢ) + ½‖W‖²`.
    pub c: f64,
    /// Most L-BFGS iterations.
    pub max_iter: usize,
    /// Standardise the features (mean 0, variance 1; constant features left at 0) first.
    pub standardize: bool,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            c: 1.0,
            max_iter: 200,
            standardize: true,
        }
    }
}

/// A fitted multinomial logistic regression.
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    /// Weights, features × classes (on standardised features when `scale` is set).
    pub weights: Array2<f64>,
    /// One intercept per class.
    pub intercepts: Array1<f64>,
    /// Feature means and standard deviations used for standardising, if any.
    pub scale: Option<(Array1<f64>, Array1<f64>)>,
    /// The final value of the objective divided by `C · n`.
    pub objective: f64,
}

#[derive(Module, Debug)]
struct Softmax {
    linear: Linear,
}

fn standardise(x: &Array2<f64>, scale: &Option<(Array1<f64>, Array1<f64>)>) -> Array2<f32> {
    match scale {
        Some((m, s)) => ((x - m) / s).mapv(|v| v as f32),
        None => x.mapv(|v| v as f32),
    }
}

impl LogisticParams {
    /// Fits on rows `x` with class codes `y` in `0..n_classes`.
    ///
    /// ```
    /// use genmodels::neural::logistic::LogisticParams;
    /// use ndarray::array;
    /// # fn main() -> genmodels::core::Result<()> {
    /// let x = array![[0.0, 0.1], [0.2, 0.0], [3.0, 3.1], [3.2, 2.9]];
    /// let m = LogisticParams::default().fit(&x, &[0, 0, 1, 1], 2)?;
    /// let p = m.predict_proba(&array![[0.1, 0.0], [3.0, 3.0]])?;
    /// assert!(p[[0, 0]] > 0.8 && p[[1, 1]] > 0.8);
    /// # Ok(()) }
    /// ```
    pub fn fit(
        &self,
        x: &Array2<f64>,
        y: &[usize],
        n_classes: usize,
    ) -> Result<LogisticRegression> {
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(ParamError::Invalid {
                name: "c",
                value: self.c.to_string(),
                expected: "a positive number".into(),
            }
            .into());
        }
        crate::core::data::check_finite(x.view(), "")?;
        if y.len() != x.nrows() {
            return Err(DataError::Length {
                what: "the labels".into(),
                found: y.len(),
                expected: x.nrows(),
            }
            .into());
        }
        if n_classes < 2 || y.iter().any(|&k| k >= n_classes) {
            return Err(DataError::Other(format!(
                "logistic regression needs class codes in 0..{n_classes} and at least 2 classes"
            ))
            .into());
        }
        let (n, d) = x.dim();
        let scale = self.standardize.then(|| {
            let m = x.mean_axis(ndarray::Axis(0)).expect("rows");
            let s = x
                .std_axis(ndarray::Axis(0), 0.0)
                .mapv(|v| if v > 1e-12 { v } else { 1.0 });
            (m, s)
        });
        let dev = cpu_train();
        let xt = tensor_from_array(&standardise(x, &scale), &dev);
        let yt = Tensor::<1, Int>::from_data(
            TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [n]),
            &dev,
        );
        let mut model = Softmax {
            linear: LinearConfig::new(d, n_classes)
                .with_initializer(burn::nn::Initializer::Zeros)
                .init(&dev),
        };
        // Objective / (C·n): mean cross-entropy + ‖W‖² / (2·C·n).
        let penalty = (1.0 / (2.0 * self.c * n as f64)) as f32;
        let mut closure = |m: Softmax| {
            let logits = m.linear.forward(xt.clone());
            let logp = activation::log_softmax(logits, 1);
            let picked = logp.gather(1, yt.clone().reshape([n, 1]));
            let w = m.linear.weight.val();
            let loss = picked.mean().neg() + (w.clone() * w).sum() * penalty;
            let value = loss.clone().into_scalar::<f64>();
            (value, GradientsParams::from_grads(loss.backward(), &m))
        };
        let mut opt = LBFGSConfig::new()
            .with_max_iter(self.max_iter)
            .with_line_search_fn(LineSearchFn::StrongWolfe)
            .init();
        let (fitted, objective) = opt.step(1.0, model, &mut closure);
        model = fitted;
        let w = array_from_tensor(model.linear.weight.val().detach()).mapv(f64::from);
        let b: Vec<f32> = model
            .linear
            .bias
            .as_ref()
            .expect("a bias")
            .val()
            .into_data()
            .convert::<f32>()
            .try_into_vec()
            .expect("f32");
        Ok(LogisticRegression {
            weights: w,
            intercepts: b.into_iter().map(f64::from).collect(),
            scale,
            objective,
        })
    }
}

impl LogisticRegression {
    /// `P(y | x)` of each row.
    pub fn predict_proba(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        crate::core::data::check_finite(x.view(), "")?;
        crate::core::data::check_columns(x.view(), self.weights.nrows())?;
        let dev = cpu();
        let xt = tensor_from_array(&standardise(x, &self.scale), &dev);
        let w = tensor_from_array(&self.weights.mapv(|v| v as f32), &dev);
        let b: Vec<f32> = self.intercepts.iter().map(|&v| v as f32).collect();
        let k = b.len();
        let bt = Tensor::<1>::from_data(TensorData::new(b, [k]), &dev);
        let logits = xt.matmul(w) + bt.unsqueeze::<2>();
        Ok(array_from_tensor(activation::softmax(logits, 1)).mapv(f64::from))
    }

    /// The most probable class of each row.
    pub fn predict(&self, x: &Array2<f64>) -> Result<Vec<usize>> {
        let p = self.predict_proba(x)?;
        Ok(p.outer_iter()
            .map(|r| crate::mixture::argmax_of(r.iter().copied()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rng_from_seed;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn separates_three_gaussian_blobs_and_rows_sum_to_one() {
        let mut rng = rng_from_seed(3);
        let centres = [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]];
        let n = 150;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            let z: f64 = StandardNormal.sample(&mut rng);
            centres[i % 3][j] + z
        });
        let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let m = LogisticParams::default().fit(&x, &y, 3).unwrap();
        let p = m.predict_proba(&x).unwrap();
        for r in p.rows() {
            assert!((r.sum() - 1.0).abs() < 1e-5);
        }
        let acc = (0..n)
            .filter(|&i| {
                let r = p.row(i);
                (0..3).all(|k| r[y[i]] >= r[k])
            })
            .count() as f64
            / n as f64;
        assert!(acc > 0.9, "{acc}");
        // At the optimum the gradient of the objective vanishes: the mean over rows of
        // (P(k | x) − [y = k]) is 0 for each class (the intercepts are not penalised).
        for k in 0..3 {
            let g: f64 = (0..n)
                .map(|i| p[[i, k]] - f64::from(y[i] == k))
                .sum::<f64>()
                / n as f64;
            assert!(g.abs() < 1e-3, "class {k}: {g}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let x = ndarray::array![[0.0], [1.0]];
        assert!(LogisticParams::default().fit(&x, &[0], 2).is_err());
        assert!(LogisticParams::default().fit(&x, &[0, 2], 2).is_err());
        let p = LogisticParams {
            c: 0.0,
            ..Default::default()
        };
        assert!(p.fit(&x, &[0, 1], 2).is_err());
        let nan = ndarray::array![[f64::NAN], [1.0]];
        assert!(LogisticParams::default().fit(&nan, &[0, 1], 2).is_err());
    }
}
