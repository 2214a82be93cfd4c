//! Encoding, decoding, sampling (also as the core [`Sample`](crate::core::Sample) and
//! [`SampleGiven`](crate::core::SampleGiven)), interpolation and latent attribute vectors.

use super::score::chunks;
use super::*;

use burn::tensor::activation::sigmoid;
use ndarray::{Array1, Array2};

use crate::core::{rng_from_seed, SeededRng};
use crate::core::{DataError, ParamError, Result};
use crate::neural::tensor::{normal_tensor, tensor_from_rows};

impl Vae {
    /// The mean and log-variance of `q(z | x)` of each row.
    pub fn encode(
        &self,
        x: &Array2<f32>,
        labels: Option<&[usize]>,
    ) -> Result<(Array2<f32>, Array2<f32>)> {
        self.check_data(x, labels)?;
        let mut mu = Array2::zeros((x.nrows(), self.config.latent));
        let mut lv = mu.clone();
        for (b, idx) in chunks(x.nrows(), 1024).enumerate() {
            let xb = tensor_from_rows(x, &idx, &self.device);
            let (m, l) = self
                .net
                .encode(&self.config, xb, self.onehot(labels, &idx, &self.device));
            let r0 = b * 1024;
            mu.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&crate::neural::tensor::array_from_tensor(m));
            lv.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&crate::neural::tensor::array_from_tensor(l));
        }
        Ok((mu, lv))
    }

    /// The decoder's mean image (pixel probabilities, or Gaussian means) of each latent row.
    pub fn decode(&self, z: &Array2<f32>, labels: Option<&[usize]>) -> Result<Array2<f32>> {
        if z.ncols() != self.config.latent {
            return Err(DataError::Columns {
                expected: self.config.latent,
                found: z.ncols(),
                hint: " (latent dimensions)".into(),
            }
            .into());
        }
        self.check_labels(labels, z.nrows())?;
        let mut out = Array2::zeros((z.nrows(), self.config.input_dim));
        for (b, idx) in chunks(z.nrows(), 1024).enumerate() {
            let zb = tensor_from_rows(z, &idx, &self.device);
            let o = self
                .net
                .decode(&self.config, zb, self.onehot(labels, &idx, &self.device));
            let o = match self.config.likelihood {
                Likelihood::Bernoulli => sigmoid(o),
                Likelihood::Gaussian => o,
            };
            let r0 = b * 1024;
            out.slice_mut(ndarray::s![r0..r0 + idx.len(), ..])
                .assign(&crate::neural::tensor::array_from_tensor(o));
        }
        Ok(out)
    }

    /// `n` new images (decoder means of `z ~ N(0, I)`); a conditional VAE needs `labels`
    /// (one per image).
    pub fn sample(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        // The latent draws and the decoded images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "samples",
            n,
            self.config.latent + 2 * self.config.input_dim,
            4,
        )?;
        let z = crate::neural::tensor::array_from_tensor(normal_tensor(
            rng,
            [n, self.config.latent],
            &self.device,
        ));
        self.decode(&z, labels)
    }

    /// `steps` images on the straight line between the latent means of `a` and `b` (both
    /// ends included); a conditional VAE decodes them all with `label`.
    pub fn interpolate(
        &self,
        a: &[f32],
        b: &[f32],
        steps: usize,
        label: Option<usize>,
    ) -> Result<Array2<f32>> {
        if steps < 2 {
            return Err(ParamError::Invalid {
                name: "steps",
                value: steps.to_string(),
                expected: "at least 2 (the two ends)".into(),
            }
            .into());
        }
        let d = self.config.input_dim;
        // The latent path and the decoded images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "interpolation steps",
            steps,
            self.config.latent + 2 * d,
            4,
        )?;
        let x = Array2::from_shape_vec((2, a.len()), [a, b].concat()).map_err(|_| {
            DataError::Other(format!(
                "the two images differ in size ({} and {} values)",
                a.len(),
                b.len()
            ))
        })?;
        let lab = label.map(|l| vec![l; 2]);
        let (mu, _) = self.encode(&x, lab.as_deref())?;
        let z = Array2::from_shape_fn((steps, self.config.latent), |(i, j)| {
            let t = i as f32 / (steps - 1) as f32;
            (1.0 - t) * mu[[0, j]] + t * mu[[1, j]]
        });
        let lab = label.map(|l| vec![l; steps]);
        self.decode(&z, lab.as_deref())
    }

    /// The latent attribute vector from class `from` to class `to`: the mean latent mean of
    /// the images labelled `to` minus that of the images labelled `from`.
    pub fn attribute_vector(
        &self,
        x: &Array2<f32>,
        labels: &[usize],
        from: usize,
        to: usize,
    ) -> Result<Array1<f32>> {
        if labels.len() != x.nrows() {
            return Err(DataError::Length {
                what: "the labels".into(),
                found: labels.len(),
                expected: x.nrows(),
            }
            .into());
        }
        if self.config.n_classes.is_some() {
            return Err(DataError::Other(
                "latent attribute vectors need an unconditional VAE (a conditional VAE's latent space does not carry the class)".into(),
            )
            .into());
        }
        let (mu, _) = self.encode(x, None)?;
        let mean_of = |c: usize| -> Result<Array1<f32>> {
            let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            if rows.is_empty() {
                return Err(DataError::Other(format!("no image is labelled {c}")).into());
            }
            Ok(mu
                .select(ndarray::Axis(0), &rows)
                .mean_axis(ndarray::Axis(0))
                .expect("rows"))
        };
        Ok(mean_of(to)? - mean_of(from)?)
    }

    /// Each image moved by `amount × direction` in latent space (from its latent mean), decoded.
    pub fn shift(
        &self,
        x: &Array2<f32>,
        direction: &Array1<f32>,
        amount: f32,
    ) -> Result<Array2<f32>> {
        let (mu, _) = self.encode(x, None)?;
        let z = mu + &(direction * amount);
        self.decode(&z, None)
    }
}

impl crate::core::Sample for Vae {
    type Output = Array2<f32>;
    /// `n` new images of an unconditional VAE ([`Vae::sample`] without labels; the generator
    /// is seeded from one draw of `rng`).
    fn sample(&self, n: usize, rng: &mut dyn rand::RngCore) -> Result<Array2<f32>> {
        Vae::sample(self, n, None, &mut rng_from_seed(rng.next_u64()))
    }
}

impl crate::core::SampleGiven<[usize]> for Vae {
    type Output = Array2<f32>;
    /// `n` new images of a conditional VAE, one per label ([`Vae::sample`]).
    fn sample_given(
        &self,
        labels: &[usize],
        n: usize,
        rng: &mut dyn rand::RngCore,
    ) -> Result<Array2<f32>> {
        Vae::sample(self, n, Some(labels), &mut rng_from_seed(rng.next_u64()))
    }
}
