//! What every family shares: traits, errors, numerics, monitoring, seeded randomness.
//!
//! `core` knows no family.

pub mod data;
pub mod error;
pub mod memory;
pub mod monitor;
pub mod numerics;
pub mod params;
pub mod serde_nan;
pub mod traits;

pub use error::{
    DataError, Error, ModelFileError, NetworkError, NumericalError, ParamError, ReadError,
    ResourceError, Result,
};
pub use monitor::{Batch, CancelFlag, Cancellable, Flow, Monitor, Recorder, Silent, Step};
pub use params::{Checked, ParamGuard};
pub use traits::{
    Criteria, Fit, LikelihoodKind, LogLikelihood, Sample, SampleGiven, SufficientStats,
};

/// The seeded random generator used throughout: the same seed gives the same model, bit for
/// bit, on one machine (ChaCha8 is portable and fast).
pub type SeededRng = rand_chacha::ChaCha8Rng;

/// The random stream of restart `run` of a fit seeded with `seed`: independent per restart, so
/// restarts really re-initialise, and fixed by the seed.
pub fn restart_rng(seed: u64, run: usize) -> SeededRng {
    rng_from_seed(seed.wrapping_add((run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// Checks the settings every iterative fit shares: a finite `tol >= 0`, at least one iteration
/// and at least one run.
pub fn check_iterations(
    max_iter: usize,
    tol: f64,
    n_init: usize,
) -> std::result::Result<(), ParamError> {
    let invalid =
        |name, value: String, expected: &str| Err(ParamError::invalid(name, value, expected));
    if !(tol.is_finite() && tol >= 0.0) {
        return invalid("tol", tol.to_string(), "must be a finite number >= 0");
    }
    if max_iter == 0 {
        return invalid("max_iter", "0".into(), "at least 1 iteration is needed");
    }
    if n_init == 0 {
        return invalid("n_init", "0".into(), "at least 1 run is needed");
    }
    Ok(())
}

/// A [`SeededRng`] from a `u64` seed.
pub fn rng_from_seed(seed: u64) -> SeededRng {
    use rand::SeedableRng;
    SeededRng::seed_from_u64(seed)
}
