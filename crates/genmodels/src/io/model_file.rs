//! Versioned model files: `{"format": "genmodels/<family>", "version": N, "model": {...}}`,
//! written atomically, loaded with clear errors for truncated, foreign or newer files.
//!
//! Every model file is validated when it is read ([`ModelFile::validate_loaded`]), so that a
//! damaged or hand-edited file is an error ([`ModelFileError::Invalid`],
//! naming the parameter and the component, state or class) rather than a model that answers
//! wrongly:
//!
//! - every number is finite (JSON cannot hold NaN or infinities, and out-of-range numbers
//!   fail to parse);
//! - probabilities — mixture weights, start and transition probabilities, categorical and
//!   multinomial tables, GMM-HMM mixture weights, class priors — lie in `[0, 1]` and sum to one
//!   within [`DISTRIBUTION_TOLERANCE`](crate::core::data::DISTRIBUTION_TOLERANCE) (`1e-6`);
//!   Bernoulli means lie strictly between 0 and 1, Poisson rates are non-negative;
//! - Gaussian covariances are symmetric and positive definite (a Cholesky factorisation by
//!   `faer` succeeds), the stored precision Cholesky factors are upper triangular with a
//!   positive diagonal, and the covariance they imply agrees with the stored one entry by entry
//!   within [`COVARIANCE_TOLERANCE`](crate::mixture::COVARIANCE_TOLERANCE) (`1e-6`) times the
//!   largest entry of the covariance;
//! - shapes agree: the number of components or states and of features across weights, means,
//!   covariances, factors, transition matrices, feature and symbol names.
//!
//! Safetensors checkpoints of the neural families are checked the same way when read (see
//! `neural::checkpoint`); Bayesian network files when parsed ([`crate::bayesnet::formats`]).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use crate::core::{ModelFileError, Result};

/// A model that can be saved to and loaded from a genmodels model file.
pub trait ModelFile: Serialize + DeserializeOwned {
    /// The family name in the `format` field (`genmodels/<FAMILY>`).
    const FAMILY: &'static str;
    /// The newest format version this build writes and reads.
    const VERSION: u32;
    /// Checks the loaded parameters; returns why they are unusable.
    fn validate_loaded(&self) -> std::result::Result<(), String>;
}

#[derive(Serialize)]
struct EnvelopeOut<'a, M> {
    format: String,
    version: u32,
    model: &'a M,
}

#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Deserialize)]
struct EnvelopeIn<M> {
    model: M,
}

/// Saves a model, atomically (an existing file is replaced only once the new one is complete).
pub fn save_model<M: ModelFile>(model: &M, path: &Path) -> Result<()> {
    let bytes = model_bytes(model)?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| {
        ModelFileError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

/// The bytes [`save_model`] writes: the envelope as pretty-printed JSON and a final newline.
pub(crate) fn model_bytes<M: ModelFile>(model: &M) -> Result<Vec<u8>> {
    let env = EnvelopeOut {
        format: format!("genmodels/{}", M::FAMILY),
        version: M::VERSION,
        model,
    };
    let mut bytes = serde_json::to_vec_pretty(&env).map_err(|e| ModelFileError::Corrupt {
        path: format!("<{} model>", M::FAMILY).into(),
        reason: format!("cannot be serialised: {e}"),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Reads the `format` family name and version of a model file without loading the model.
pub fn peek_format(path: &Path) -> Result<(String, u32)> {
    let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io {
        path: path.into(),
        source,
    })?;
    peek_bytes(&bytes, path)
}

pub(crate) fn peek_bytes(bytes: &[u8], path: &Path) -> Result<(String, u32)> {
    let h: Header = serde_json::from_slice(bytes).map_err(|e| ModelFileError::Corrupt {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let family = h
        .format
        .strip_prefix("genmodels/")
        .ok_or_else(|| ModelFileError::Corrupt {
            path: path.into(),
            reason: format!("unknown format {:?}", h.format),
        })?;
    Ok((family.to_string(), h.version))
}

/// Loads a model of type `M` from bytes (`path` only names it in errors).
pub fn load_model_bytes<M: ModelFile>(bytes: &[u8], path: &Path) -> Result<M> {
    let (family, version) = peek_bytes(bytes, path)?;
    if family != M::FAMILY {
        return Err(ModelFileError::WrongFamily {
            path: path.into(),
            expected: M::FAMILY.into(),
            found: family,
        }
        .into());
    }
    if version > M::VERSION {
        return Err(ModelFileError::NewerVersion {
            path: path.into(),
            found: version,
            supported: M::VERSION,
        }
        .into());
    }
    let env: EnvelopeIn<M> =
        serde_json::from_slice(bytes).map_err(|e| ModelFileError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })?;
    env.model
        .validate_loaded()
        .map_err(|reason| ModelFileError::Invalid {
            path: path.into(),
            reason,
        })?;
    Ok(env.model)
}

/// Loads a model of type `M`, checking family, version and parameters.
pub fn load_model<M: ModelFile>(path: &Path) -> Result<M> {
    let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io {
        path: path.into(),
        source,
    })?;
    load_model_bytes(&bytes, path)
}
