//! What every family shares: traits, errors, numerics, monitoring, seeded randomness.
//!
//! `core` knows no family.

pub mod data;
pub mod error;
pub mod monitor;
pub mod numerics;
pub mod serde_nan;
pub mod traits;

pub use error::{DataError, Error, ModelFileError, NumericalError, ParamError, ReadError, Result};
pub use monitor::{Flow, Monitor, Recorder, Silent, Step};
pub use traits::{
    Criteria, Fit, LikelihoodKind, LogLikelihood, Sample, SampleGiven, SufficientStats,
};

/// The seeded random generator used throughout: the same seed gives the same model, bit for
/// bit, on one machine (ChaCha8 is portable and fast).
pub type SeededRng = rand_chacha::ChaCha8Rng;

/// A [`SeededRng`] from a `u64` seed.
pub fn rng_from_seed(seed: u64) -> SeededRng {
    use rand::SeedableRng;
    SeededRng::seed_from_u64(seed)
}
