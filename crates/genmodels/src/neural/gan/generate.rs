//! Latent draws, generation, sampling (also as the core [`Sample`](crate::core::Sample) and
//! [`SampleGiven`](crate::core::SampleGiven)) and the discriminator's scores.

use super::*;

use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};

use crate::core::{rng_from_seed, SeededRng};
use crate::core::{DataError, ParamError, Result};
use crate::neural::tensor::tensor_from_rows;

impl Gan {
    /// Latent draws `N(0, I)`, each coordinate redrawn until within `±truncation` when given.
    pub fn latent(
        &self,
        n: usize,
        truncation: Option<f64>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        if let Some(t) = truncation {
            if !(t.is_finite() && t > 0.0) {
                return Err(ParamError::Invalid {
                    name: "truncation",
                    value: t.to_string(),
                    expected: "a finite number of standard deviations > 0".into(),
                }
                .into());
            }
        }
        Ok(Array2::from_shape_simple_fn(
            (n, self.config.latent),
            || loop {
                let v: f64 = StandardNormal.sample(rng);
                match truncation {
                    Some(t) if v.abs() > t => continue,
                    _ => break v as f32,
                }
            },
        ))
    }

    /// The generator's images for latent rows `z` (with `labels` for a conditional GAN).
    pub fn generate(&self, z: &Array2<f32>, labels: Option<&[usize]>) -> Result<Array2<f32>> {
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
        let n = z.nrows();
        for s in (0..n).step_by(1024) {
            let idx: Vec<usize> = (s..(s + 1024).min(n)).collect();
            let zb = tensor_from_rows(z, &idx, &self.device);
            let o = self.nets.sampler().forward(
                &self.config,
                zb,
                self.onehot(labels, &idx, &self.device),
            );
            out.slice_mut(ndarray::s![s..s + idx.len(), ..])
                .assign(&crate::neural::tensor::array_from_tensor(o));
        }
        Ok(out)
    }

    /// `n` generated images, latent input truncated at `truncation` standard deviations when
    /// given; a conditional GAN needs one label per image.
    pub fn sample(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        truncation: Option<f64>,
        rng: &mut SeededRng,
    ) -> Result<Array2<f32>> {
        // The latent draws and the generated images (as a tensor, then as an array).
        crate::core::memory::check_rows(
            "samples",
            n,
            self.config.latent + 2 * self.config.input_dim,
            4,
        )?;
        let z = self.latent(n, truncation, rng)?;
        self.generate(&z, labels)
    }

    /// The discriminator's score of each image.
    pub fn discriminate(&self, x: &Array2<f32>, labels: Option<&[usize]>) -> Result<Vec<f32>> {
        self.check_data(x, labels)?;
        let idx: Vec<usize> = (0..x.nrows()).collect();
        let xb = tensor_from_rows(x, &idx, &self.device);
        let s = self
            .nets
            .d
            .forward(&self.config, xb, self.onehot(labels, &idx, &self.device));
        Ok(s.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32"))
    }
}

impl crate::core::Sample for Gan {
    type Output = Array2<f32>;
    /// `n` generated images of an unconditional GAN ([`Gan::sample`] without labels or
    /// truncation; the generator is seeded from one draw of `rng`).
    fn sample(&self, n: usize, rng: &mut dyn rand::RngCore) -> Result<Array2<f32>> {
        Gan::sample(self, n, None, None, &mut rng_from_seed(rng.next_u64()))
    }
}

impl crate::core::SampleGiven<[usize]> for Gan {
    type Output = Array2<f32>;
    /// `n` generated images of a conditional GAN, one per label ([`Gan::sample`]).
    fn sample_given(
        &self,
        labels: &[usize],
        n: usize,
        rng: &mut dyn rand::RngCore,
    ) -> Result<Array2<f32>> {
        Gan::sample(
            self,
            n,
            Some(labels),
            None,
            &mut rng_from_seed(rng.next_u64()),
        )
    }
}
