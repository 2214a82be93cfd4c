//! Devices and the bridge between `ndarray` matrices and burn tensors: the CPU and GPU
//! devices, matrices and mini-batches as tensors and back, seeded normal and uniform draws,
//! shuffled mini-batches.

use burn::tensor::{Device, Tensor, TensorData};
use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The CPU device (`burn`'s `flex` backend, f32).
pub fn cpu() -> Device {
    Device::flex()
}

/// The CPU device with reverse-mode automatic differentiation, for training.
pub fn cpu_train() -> Device {
    Device::flex().autodiff()
}

/// A device by name: `cpu`, or `cuda` (GPU 0) when built with the `cuda` feature. `train`
/// adds automatic differentiation.
pub fn device(name: &str, train: bool) -> crate::core::Result<Device> {
    let d = match name {
        "cpu" => Device::flex(),
        #[cfg(feature = "cuda")]
        "cuda" => Device::cuda(0),
        other => {
            return Err(crate::core::ParamError::Invalid {
                name: "device",
                value: other.into(),
                expected: if cfg!(feature = "cuda") {
                    "`cpu` or `cuda`".into()
                } else {
                    "`cpu` (this build has no GPU support: rebuild with `--features cuda`)".into()
                },
            }
            .into())
        }
    };
    Ok(if train { d.autodiff() } else { d })
}

/// A `rows × cols` matrix as a tensor on `device`.
pub fn tensor_from_array(x: &Array2<f32>, device: &Device) -> Tensor<2> {
    let (r, c) = x.dim();
    let data: Vec<f32> = x.iter().copied().collect();
    Tensor::from_data(TensorData::new(data, [r, c]), device)
}

/// Rows `idx` of `x` as a tensor on `device` (a mini-batch).
pub fn tensor_from_rows(x: &Array2<f32>, idx: &[usize], device: &Device) -> Tensor<2> {
    let c = x.ncols();
    let mut data = Vec::with_capacity(idx.len() * c);
    for &i in idx {
        data.extend(x.row(i).iter().copied());
    }
    Tensor::from_data(TensorData::new(data, [idx.len(), c]), device)
}

/// A 2-D tensor back as a matrix.
pub fn array_from_tensor(t: Tensor<2>) -> Array2<f32> {
    let [r, c] = t.dims();
    let v: Vec<f32> = t
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("a float tensor converts to f32");
    Array2::from_shape_vec((r, c), v).expect("the tensor's own shape")
}

/// Standard normal draws of the given shape from `rng`, as a tensor.
pub fn normal_tensor<R: Rng + ?Sized>(
    rng: &mut R,
    shape: [usize; 2],
    device: &Device,
) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(normal_vec(rng, shape[0] * shape[1]), shape),
        device,
    )
}

/// `n` standard normal draws from `rng` (the values [`normal_tensor`] holds).
pub fn normal_vec<R: Rng + ?Sized>(rng: &mut R, n: usize) -> Vec<f32> {
    (0..n).map(|_| StandardNormal.sample(rng)).collect()
}

/// `n` uniform `[0, 1)` draws from `rng` (the values [`uniform_tensor`] holds).
pub fn uniform_vec<R: Rng + ?Sized>(rng: &mut R, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random::<f32>()).collect()
}

/// Uniform `[0, 1)` draws of the given shape from `rng`, as a tensor.
pub fn uniform_tensor<R: Rng + ?Sized>(
    rng: &mut R,
    shape: [usize; 2],
    device: &Device,
) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(uniform_vec(rng, shape[0] * shape[1]), shape),
        device,
    )
}

/// A shuffled split of `0..n` into mini-batches of `batch_size` (the last may be smaller).
pub fn shuffled_batches<R: Rng + ?Sized>(
    n: usize,
    batch_size: usize,
    rng: &mut R,
) -> Vec<Vec<usize>> {
    use rand::seq::SliceRandom;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    idx.chunks(batch_size.max(1)).map(|c| c.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rng_from_seed;
    use ndarray::array;

    #[test]
    fn arrays_round_trip_through_tensors() {
        let x = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let dev = cpu();
        let t = tensor_from_array(&x, &dev);
        assert_eq!(array_from_tensor(t), x);
        let t = tensor_from_rows(&x, &[1, 0, 1], &dev);
        assert_eq!(
            array_from_tensor(t),
            array![[4.0f32, 5.0, 6.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        );
    }

    #[test]
    fn batches_cover_every_row_once() {
        let b = shuffled_batches(103, 10, &mut rng_from_seed(1));
        assert_eq!(b.len(), 11);
        let mut all: Vec<usize> = b.concat();
        all.sort();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        assert_eq!(b, shuffled_batches(103, 10, &mut rng_from_seed(1)));
    }
}
