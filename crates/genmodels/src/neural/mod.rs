//! The neural families — restricted Boltzmann machines, variational autoencoders and GANs —
//! on one tensor backend: [`burn`] with its `flex` CPU backend (fast matrix products through
//! the `gemm` crate, threads through rayon) and, with the `cuda` cargo feature, NVIDIA GPUs.
//!
//! burn 0.22 picks the backend at run time from a [`Device`](burn::tensor::Device): [`cpu`] for inference,
//! [`cpu_train`] (with autodiff) for training, [`device`] by name (`cpu`, or `cuda` when built
//! with the `cuda` feature). Three trainings skip burn on the CPU for speed, on hand-written
//! kernels whose tests check them against the dense formulas (Bernoulli RBMs, `rbm::binary`) or
//! against burn's own steps (MLP VAEs, `vae_cpu`; MLP GANs with the non-saturating loss,
//! `gan_cpu`). Every random draw comes from a seeded [`SeededRng`](crate::core::SeededRng) owned by the caller (never
//! from a backend's global generator, which tests running in parallel would share), so a fit
//! with a seed is reproducible on one machine. Checkpoints are safetensors files with the
//! hyper-parameters as JSON metadata ([`checkpoint`]).

pub(crate) mod act;
pub mod checkpoint;
pub mod eval;
pub mod gan;
pub(crate) mod gan_cpu;
pub(crate) mod kernels;
pub mod logistic;
pub(crate) mod mlp_cpu;
mod persist;
pub mod rbm;
mod tensor;
pub mod train;
pub mod vae;
pub(crate) mod vae_cpu;

pub use burn;

pub use tensor::{
    array_from_tensor, cpu, cpu_train, device, normal_tensor, normal_vec, shuffled_batches,
    tensor_from_array, tensor_from_rows, uniform_tensor, uniform_vec,
};

/// The seeded generator of every family, [`crate::core::SeededRng`], by the name the neural
/// families first gave it (kept for existing callers).
pub use crate::core::SeededRng as NeuralRng;

/// [`crate::core::rng_from_seed`], by the name the neural families first gave it (kept for
/// existing callers; the same generator, bit for bit).
pub use crate::core::rng_from_seed as neural_rng;
