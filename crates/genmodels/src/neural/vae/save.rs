//! Checkpoints: a VAE as safetensors bytes or files, and back.

use super::*;
use std::path::Path;

use burn::tensor::Device;

use crate::core::rng_from_seed;
use crate::core::Result;
use crate::neural::checkpoint::{self, CheckpointMeta};
use crate::neural::train::FitReport;

impl Vae {
    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors), for a
    /// caller that writes it together with other files.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let meta = CheckpointMeta {
            format: "vae".into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable"),
            report: serde_json::to_value(&self.report).expect("serialisable"),
        };
        checkpoint::module_bytes(&self.net, &meta, path)
    }

    /// Saves the weights with the configuration and report as metadata (format `vae`).
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes(path)?;
        crate::io::write_atomic(path, |w| std::io::Write::write_all(w, &bytes)).map_err(|source| {
            crate::core::ModelFileError::Io {
                path: path.into(),
                source,
            }
            .into()
        })
    }

    /// Loads a VAE checkpoint onto `device` (a plain device, e.g. [`cpu`](crate::neural::tensor::cpu)).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::from_checkpoint_bytes(checkpoint::read_bytes(path)?, path, device)
    }

    /// The VAE of a checkpoint's bytes (`path` names them in errors).
    pub(crate) fn from_checkpoint_bytes(
        bytes: Vec<u8>,
        path: &Path,
        device: &Device,
    ) -> Result<Self> {
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, "vae")?;
        let bad = |e: String| -> crate::core::Error {
            crate::core::ModelFileError::Corrupt {
                path: path.into(),
                reason: e,
            }
            .into()
        };
        let config: VaeConfig = serde_json::from_value(meta.config.clone())
            .map_err(|e| bad(format!("bad VAE configuration: {e}")))?;
        config.check().map_err(|e| bad(e.to_string()))?;
        // The sizes in the metadata must be those of the stored tensors before any network is
        // built: a configuration asking for a huge network is an error, not an abort.
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        config
            .tensor_plan()
            .map_err(|e| bad(format!("bad VAE configuration: {e}")))?
            .check(&stored, path, "the VAE configuration")?;
        // exp(log σ) must be a positive, finite f32 standard deviation.
        checkpoint::check_values(
            &bytes,
            path,
            |n| n == "log_sigma",
            |v| v.abs() <= 80.0,
            "are log standard deviations and must lie within ±80 (a positive, finite σ)",
        )?;
        let report: FitReport = serde_json::from_value(meta.report.clone()).unwrap_or_default();
        let net = VaeNet::new(&config, &mut rng_from_seed(0), device);
        let (net, _) = checkpoint::module_from_bytes(net, bytes, path, "vae")?;
        Ok(Vae {
            config,
            report,
            net,
            device: device.clone(),
        })
    }
}
