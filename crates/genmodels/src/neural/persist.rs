//! [`Persist`] for the neural families: their safetensors checkpoints as bytes and back, with
//! the same validation as a load from disk (finite tensors; the configuration's sizes against
//! the stored shapes before any network is built). Decoded models live on the CPU; a caller
//! that wants another device loads with the family's own `load(path, device)`.

use std::path::Path;

use super::gan::Gan;
use super::rbm::recommend::Recommender;
use super::rbm::Rbm;
use super::tensor::cpu;
use super::vae::Vae;
use crate::core::Result;
use crate::io::{Codec, Persist};

/// What the bytes are called in errors when no file is involved.
const IN_MEMORY: &str = "<in memory>";

impl Persist for Rbm {
    const FORMAT: &'static str = super::rbm::FORMAT;
    const VERSION: u32 = 1;
    const CODEC: Codec = Codec::Safetensors;
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Rbm::to_bytes(self, Path::new(IN_MEMORY))
    }
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        Rbm::from_checkpoint_bytes(bytes.to_vec(), origin)
    }
}

impl Persist for Recommender {
    const FORMAT: &'static str = super::rbm::recommend::FORMAT;
    const VERSION: u32 = 1;
    const CODEC: Codec = Codec::Safetensors;
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Recommender::to_bytes(self, Path::new(IN_MEMORY))
    }
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        Recommender::from_checkpoint_bytes(bytes.to_vec(), origin)
    }
}

impl Persist for Vae {
    const FORMAT: &'static str = "vae";
    const VERSION: u32 = 1;
    const CODEC: Codec = Codec::Safetensors;
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Vae::to_bytes(self, Path::new(IN_MEMORY))
    }
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        Vae::from_checkpoint_bytes(bytes.to_vec(), origin, &cpu())
    }
}

impl Persist for Gan {
    const FORMAT: &'static str = "gan";
    const VERSION: u32 = 1;
    const CODEC: Codec = Codec::Safetensors;
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Gan::to_bytes(self, Path::new(IN_MEMORY))
    }
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        Gan::from_checkpoint_bytes(bytes.to_vec(), origin, &cpu())
    }
}
