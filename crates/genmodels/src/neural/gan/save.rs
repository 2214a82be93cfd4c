//! Checkpoints: a GAN as safetensors bytes or files, and back.

use super::*;
use std::path::Path;

use burn::tensor::Device;

use crate::core::rng_from_seed;
use crate::core::Result;
use crate::neural::checkpoint::{self, CheckpointMeta};
use crate::neural::train::FitReport;

impl Gan {
    pub(super) fn meta(&self) -> CheckpointMeta {
        CheckpointMeta {
            format: "gan".into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable"),
            report: serde_json::to_value(&self.report).expect("serialisable"),
        }
    }

    /// Saves both networks with the configuration and report as metadata (format `gan`).
    pub fn save(&self, path: &Path) -> Result<()> {
        checkpoint::save_module(&self.nets, &self.meta(), path)
    }

    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors), for a
    /// caller that writes it together with other files.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        checkpoint::module_bytes(&self.nets, &self.meta(), path)
    }

    /// Loads a GAN checkpoint onto `device` (a plain device).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::from_checkpoint_bytes(checkpoint::read_bytes(path)?, path, device)
    }

    /// The GAN of a checkpoint's bytes (`path` names them in errors).
    pub(crate) fn from_checkpoint_bytes(
        bytes: Vec<u8>,
        path: &Path,
        device: &Device,
    ) -> Result<Self> {
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, "gan")?;
        let bad = |e: String| -> crate::core::Error {
            crate::core::ModelFileError::Corrupt {
                path: path.into(),
                reason: e,
            }
            .into()
        };
        let config: GanConfig = serde_json::from_value(meta.config.clone())
            .map_err(|e| bad(format!("bad GAN configuration: {e}")))?;
        config.check().map_err(|e| bad(e.to_string()))?;
        // The sizes in the metadata must be those of the stored tensors before any network is
        // built: a configuration asking for a huge network is an error, not an abort.
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        config
            .tensor_plan()
            .map_err(|e| bad(format!("bad GAN configuration: {e}")))?
            .check(&stored, path, "the GAN configuration")?;
        checkpoint::check_values(
            &bytes,
            path,
            |n| n.ends_with(".running_var"),
            |v| v >= 0.0,
            "are variances and must be non-negative",
        )?;
        let report: FitReport = serde_json::from_value(meta.report.clone()).unwrap_or_default();
        let nets = GanNets::new(&config, &mut rng_from_seed(0), device);
        let (nets, _) = checkpoint::module_from_bytes(nets, bytes, path, "gan")?;
        Ok(Gan {
            config,
            report,
            nets,
            device: device.clone(),
        })
    }
}
