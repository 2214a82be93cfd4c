//! Checkpoints of the neural models: safetensors files (through `burn-store`, read back with the
//! `safetensors` crate's header parser) whose metadata key `genmodels` holds a JSON
//! [`CheckpointMeta`]: the family, the format version, the hyper-parameters and the fit report.
//! Written atomically; a truncated or foreign file is a clear error, never a panic.
//!
//! When a checkpoint is read, every floating-point tensor must be finite ([`stored_tensors`]),
//! and the sizes in its metadata (latent and hidden widths, image shape, classes, units...) are
//! compared with the shapes of the tensors actually stored ([`TensorPlan::check`]) before any
//! network is built — `safetensors` has already checked those shapes against the file's
//! length — so a damaged configuration is an error, never an allocation of its absurd sizes.

use std::collections::BTreeMap;
use std::path::Path;

use burn_store::{ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};

use crate::core::{ModelFileError, Result};
use crate::io::write_atomic;

/// The safetensors metadata key under which genmodels keeps its JSON.
pub const META_KEY: &str = "genmodels";

/// What a checkpoint says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// The family, e.g. `rbm`, `vae`, `gan`.
    pub format: String,
    /// The family's file-format version.
    pub version: u32,
    /// The hyper-parameters needed to rebuild the model before its weights are loaded.
    pub config: serde_json::Value,
    /// The fit report (per-epoch objectives, timings, data description), free-form.
    #[serde(default)]
    pub report: serde_json::Value,
}

fn corrupt(path: &Path, reason: impl Into<String>) -> crate::core::Error {
    ModelFileError::Corrupt {
        path: path.into(),
        reason: reason.into(),
    }
    .into()
}

/// Reads only the header of a checkpoint: its [`CheckpointMeta`]. The whole file is read so
/// that a truncated one is reported here, not when the weights are loaded.
pub fn peek(path: &Path) -> Result<CheckpointMeta> {
    meta_of(&read_bytes(path)?, path)
}

/// Whether a file looks like a safetensors checkpoint (by its first bytes: a little-endian
/// header length followed by `{`).
pub fn looks_like_checkpoint(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 9];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| crate::io::persist::looks_like_safetensors(&head))
        .unwrap_or(false)
}

/// The [`CheckpointMeta`] of a checkpoint's bytes (`path` names them in errors).
pub fn meta_of(bytes: &[u8], path: &Path) -> Result<CheckpointMeta> {
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| {
        corrupt(
            path,
            format!("not a complete safetensors file ({e}); was it truncated or overwritten?"),
        )
    })?;
    drop(st);
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| corrupt(path, format!("unreadable safetensors header: {e}")))?;
    let json = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| {
            corrupt(
                path,
                "a safetensors file without genmodels metadata (not written by genmodels)",
            )
        })?;
    serde_json::from_str(json).map_err(|e| corrupt(path, format!("bad genmodels metadata: {e}")))
}

fn invalid(path: &Path, reason: impl Into<String>) -> crate::core::Error {
    ModelFileError::Invalid {
        path: path.into(),
        reason: reason.into(),
    }
    .into()
}

/// The shape of every tensor stored in a checkpoint, by name.
pub type TensorShapes = BTreeMap<String, Vec<usize>>;

/// The tensors of a checkpoint's bytes, by name and shape, after checking that every value of
/// every floating-point tensor is finite (a NaN or infinite weight is an error naming the
/// tensor and the index). Only the header and the data are read; nothing is allocated per
/// tensor. `safetensors` has already checked that the shapes account for the file's length.
pub fn stored_tensors(bytes: &[u8], path: &Path) -> Result<TensorShapes> {
    use safetensors::Dtype;
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| {
        corrupt(
            path,
            format!("not a complete safetensors file ({e}); was it truncated or overwritten?"),
        )
    })?;
    let mut out = TensorShapes::new();
    for (name, t) in st.iter() {
        let data = t.data();
        // The index of the first non-finite value, by the element's bit pattern.
        let bad = match t.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .position(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite()),
            Dtype::F64 => data
                .chunks_exact(8)
                .position(|c| !f64::from_le_bytes(c.try_into().expect("8 bytes")).is_finite()),
            // Half precision: all-ones exponent (bits 10-14) is infinite or NaN.
            Dtype::F16 => data
                .chunks_exact(2)
                .position(|c| (u16::from_le_bytes([c[0], c[1]]) >> 10) & 0x1f == 0x1f),
            // bfloat16: all-ones exponent (bits 7-14).
            Dtype::BF16 => data
                .chunks_exact(2)
                .position(|c| (u16::from_le_bytes([c[0], c[1]]) >> 7) & 0xff == 0xff),
            _ => None,
        };
        if let Some(i) = bad {
            return Err(invalid(
                path,
                format!(
                    "tensor `{name}` (shape {:?}) holds a non-finite value (NaN or infinite) at flat index {i}; every weight must be a finite number",
                    t.shape()
                ),
            ));
        }
        out.insert(name.to_string(), t.shape().to_vec());
    }
    Ok(out)
}

/// An error unless every value of the stored `f32` tensors whose name `selects` satisfies
/// `ok`; `rule` says what is required ("must be non-negative"). For constraints beyond
/// finiteness, e.g. running variances.
pub fn check_values(
    bytes: &[u8],
    path: &Path,
    selects: impl Fn(&str) -> bool,
    ok: impl Fn(f32) -> bool,
    rule: &str,
) -> Result<()> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| corrupt(path, format!("not a complete safetensors file ({e})")))?;
    for (name, t) in st.iter().filter(|(n, _)| selects(n)) {
        if t.dtype() != safetensors::Dtype::F32 {
            continue;
        }
        let bad = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .enumerate()
            .find(|(_, v)| !ok(*v));
        if let Some((i, v)) = bad {
            return Err(invalid(
                path,
                format!("tensor `{name}` holds {v} at flat index {i}, but its values {rule}"),
            ));
        }
    }
    Ok(())
}

/// The tensors a model's configuration needs, by name and shape, listed from the
/// configuration's numbers alone (no network is built): compared with a checkpoint's
/// [`stored_tensors`] before any network is allocated, so a configuration that disagrees with
/// the weights (or asks for absurd sizes) is an error, never an allocation failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TensorPlan {
    tensors: Vec<(String, Vec<usize>)>,
}

impl TensorPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// One tensor.
    pub fn param(&mut self, name: impl Into<String>, shape: &[usize]) -> &mut Self {
        self.tensors.push((name.into(), shape.to_vec()));
        self
    }

    /// A burn `Linear` layer `i → o` with a bias: `NAME.weight` `[i, o]`, `NAME.bias` `[o]`.
    pub fn linear(&mut self, name: &str, i: usize, o: usize) -> &mut Self {
        self.param(format!("{name}.weight"), &[i, o])
            .param(format!("{name}.bias"), &[o])
    }

    /// A burn `Conv2d` `cin → cout` with a `k × k` kernel and a bias.
    pub fn conv2d(&mut self, name: &str, cin: usize, cout: usize, k: usize) -> &mut Self {
        self.param(format!("{name}.weight"), &[cout, cin, k, k])
            .param(format!("{name}.bias"), &[cout])
    }

    /// A burn `ConvTranspose2d` `cin → cout` with a `k × k` kernel and a bias.
    pub fn conv_transpose2d(&mut self, name: &str, cin: usize, cout: usize, k: usize) -> &mut Self {
        self.param(format!("{name}.weight"), &[cin, cout, k, k])
            .param(format!("{name}.bias"), &[cout])
    }

    /// A burn `BatchNorm` over `n` features: scale, shift and running statistics.
    pub fn batch_norm(&mut self, name: &str, n: usize) -> &mut Self {
        for t in ["gamma", "beta", "running_mean", "running_var"] {
            self.param(format!("{name}.{t}"), &[n]);
        }
        self
    }

    /// The planned tensors, in the order they were added.
    pub fn tensors(&self) -> &[(String, Vec<usize>)] {
        &self.tensors
    }

    /// An error unless the checkpoint holds exactly the planned tensors with the planned
    /// shapes. `what` names the configuration in messages (e.g. "the VAE configuration").
    pub fn check(&self, stored: &TensorShapes, path: &Path, what: &str) -> Result<()> {
        for (name, shape) in &self.tensors {
            match stored.get(name) {
                None => {
                    return Err(invalid(
                        path,
                        format!(
                            "{what} in the metadata needs a tensor `{name}` of shape {shape:?}, which the file does not hold"
                        ),
                    ))
                }
                Some(found) if found != shape => {
                    return Err(invalid(
                        path,
                        format!(
                            "tensor `{name}` has shape {found:?} in the file, but {what} in the metadata needs {shape:?}"
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some(extra) = stored
            .keys()
            .find(|n| !self.tensors.iter().any(|(p, _)| p == *n))
        {
            return Err(invalid(
                path,
                format!("the file holds a tensor `{extra}` that {what} in the metadata does not describe"),
            ));
        }
        Ok(())
    }
}

/// `a · b`, or an error naming `what` when the product of sizes read from a file overflows.
pub(crate) fn size_mul(a: usize, b: usize, what: &str) -> std::result::Result<usize, String> {
    a.checked_mul(b)
        .ok_or_else(|| format!("{what} overflows ({a} × {b})"))
}

/// `a + b`, or an error naming `what` when the sum of sizes read from a file overflows.
pub(crate) fn size_add(a: usize, b: usize, what: &str) -> std::result::Result<usize, String> {
    a.checked_add(b)
        .ok_or_else(|| format!("{what} overflows ({a} + {b})"))
}

/// A burn module's parameters with `meta`, as the bytes of a safetensors file (`path` names
/// the destination in errors).
pub fn module_bytes<M: ModuleSnapshot>(
    module: &M,
    meta: &CheckpointMeta,
    path: &Path,
) -> Result<Vec<u8>> {
    let json = serde_json::to_string(meta).map_err(|e| corrupt(path, e.to_string()))?;
    let mut store = SafetensorsStore::from_bytes(None).metadata(META_KEY, json);
    module
        .save_into(&mut store)
        .map_err(|e| corrupt(path, format!("cannot serialise the weights: {e}")))?;
    store
        .get_bytes()
        .map_err(|e| corrupt(path, format!("cannot serialise the weights: {e}")))
}

/// Saves a burn module's parameters with `meta`, atomically.
pub fn save_module<M: ModuleSnapshot>(
    module: &M,
    meta: &CheckpointMeta,
    path: &Path,
) -> Result<()> {
    let bytes = module_bytes(module, meta, path)?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| {
        ModelFileError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

/// Reads a checkpoint file whole (for [`module_from_bytes`]).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        ModelFileError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

/// Loads the weights of a checkpoint of family `format` into `module` (built from the
/// checkpoint's config by the caller, see [`peek`]). Every parameter of the module must be in
/// the file with the right shape, and nothing else may be.
pub fn load_module<M: ModuleSnapshot>(
    module: M,
    path: &Path,
    format: &str,
) -> Result<(M, CheckpointMeta)> {
    module_from_bytes(module, read_bytes(path)?, path, format)
}

/// [`load_module`] from the bytes of a checkpoint (`path` names them in errors).
pub fn module_from_bytes<M: ModuleSnapshot>(
    mut module: M,
    bytes: Vec<u8>,
    path: &Path,
    format: &str,
) -> Result<(M, CheckpointMeta)> {
    let meta = meta_of(&bytes, path)?;
    check_family(&meta, path, format)?;
    stored_tensors(&bytes, path)?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let res = module
        .load_from(&mut store)
        .map_err(|e| corrupt(path, format!("cannot read the weights: {e}")))?;
    if !res.errors.is_empty() || !res.missing.is_empty() || !res.unused.is_empty() {
        return Err(corrupt(
            path,
            format!(
                "the weights do not fit the model its metadata describes (missing: {:?}, unexpected: {:?}, errors: {:?})",
                res.missing.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                res.unused,
                res.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
            ),
        ));
    }
    Ok((module, meta))
}

/// An error unless the checkpoint is of family `format` with a version this build reads.
pub fn check_family(meta: &CheckpointMeta, path: &Path, format: &str) -> Result<()> {
    if meta.format != format {
        return Err(ModelFileError::WrongFamily {
            path: path.into(),
            found: meta.format.clone(),
            expected: format.into(),
        }
        .into());
    }
    if meta.version > 1 {
        return Err(ModelFileError::NewerVersion {
            path: path.into(),
            found: meta.version,
            supported: 1,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::{Module, Param};
    use burn::tensor::{Tensor, TensorData};

    #[derive(Module, Debug)]
    struct Tiny {
        w: Param<Tensor<2>>,
        b: Param<Tensor<1>>,
    }

    fn tiny(v: f32) -> Tiny {
        let dev = crate::neural::cpu();
        Tiny {
            w: Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![v, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]),
                &dev,
            )),
            b: Param::from_tensor(Tensor::from_data(TensorData::new(vec![v; 3], [3]), &dev)),
        }
    }

    fn meta() -> CheckpointMeta {
        CheckpointMeta {
            format: "tiny".into(),
            version: 1,
            config: serde_json::json!({"hidden": 3}),
            report: serde_json::json!({"epochs": [1.0, 2.0]}),
        }
    }

    #[test]
    fn save_load_round_trip_and_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        save_module(&tiny(7.0), &meta(), &path).unwrap();
        assert!(looks_like_checkpoint(&path));
        assert_eq!(peek(&path).unwrap(), meta());
        let (m, got) = load_module(tiny(0.0), &path, "tiny").unwrap();
        assert_eq!(got, meta());
        let w: Vec<f32> = m.w.val().into_data().try_into_vec().unwrap();
        assert_eq!(w, vec![7.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

        // Another family's file.
        let e = load_module(tiny(0.0), &path, "vae")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`tiny` model"), "{e}");

        // Truncated: a clear error from peek and from load, never a panic.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.safetensors");
        std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
        let e = peek(&cut).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        assert!(load_module(tiny(0.0), &cut, "tiny").is_err());
        std::fs::write(&cut, &bytes[..20]).unwrap();
        assert!(peek(&cut).is_err());
        std::fs::write(&cut, b"").unwrap();
        assert!(peek(&cut).is_err());
        assert!(!looks_like_checkpoint(&cut));
    }

    #[test]
    fn weights_of_another_shape_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        save_module(&tiny(1.0), &meta(), &path).unwrap();
        let dev = crate::neural::cpu();
        let other = Tiny {
            w: Param::from_tensor(Tensor::zeros([3, 3], &dev)),
            b: Param::from_tensor(Tensor::zeros([3], &dev)),
        };
        assert!(load_module(other, &path, "tiny").is_err());
    }
}
