//! One persistence contract for every family: [`Persist`] (a format name, a version, a codec,
//! validation on read, and the file as bytes both ways), and [`ModelBytes`], a model file read
//! once, whose format is known before it is decoded.
//!
//! The bytes are the unit: [`Persist::save`] writes [`Persist::to_bytes`] atomically, and
//! [`Persist::load`] reads the file once and hands it to [`Persist::from_bytes`], which
//! validates what it decodes exactly as a load from disk does. A Python pickle, a Dask or Spark
//! worker and a file on disk therefore all see the same bytes and the same checks.
//!
//! Three codecs are in use:
//!
//! - [`Codec::Json`]: the versioned envelope `{"format": "genmodels/<family>", "version": N,
//!   "model": {...}}` of every [`ModelFile`] (mixtures, HMMs, classifiers), through a blanket
//!   implementation;
//! - [`Codec::Safetensors`]: the neural families' checkpoints (weights as tensors, the
//!   configuration and fit report as JSON metadata under the key `genmodels`);
//! - [`Codec::Network`]: Bayesian networks as BIF or XMLBIF text (the formats the bnlearn
//!   repository, pgmpy and pyAgrum share), told apart by their content.
//!
//! [`open`](super::open()) builds on [`ModelBytes`] to load any file of the library's families
//! into one enum.
//!
//! ```
//! use genmodels::io::{ModelBytes, Persist};
//! use genmodels::mixture::{CovarianceType, GaussianMixture};
//! use genmodels::core::Fit;
//! use ndarray::array;
//! # fn main() -> genmodels::core::Result<()> {
//! let x = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9]];
//! let gmm = GaussianMixture::params(2).covariance(CovarianceType::Diag).seed(1).fit(&x)?;
//! let bytes = gmm.to_bytes()?;
//! let file = ModelBytes::from_bytes(bytes, "in memory".as_ref())?;
//! assert_eq!(file.format(), "gmm");
//! let back: GaussianMixture = file.decode()?;
//! assert_eq!(back.weights, gmm.weights);
//! assert_eq!(back.means(), gmm.means());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::model_file::{load_model_bytes, peek_bytes, ModelFile};
use crate::core::memory::check_memory;
use crate::core::{ModelFileError, Result};

/// How a family's file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// The versioned JSON envelope of [`ModelFile`].
    Json,
    /// A safetensors checkpoint with genmodels metadata.
    Safetensors,
    /// BIF or XMLBIF text (Bayesian networks).
    Network,
}

/// A model that can be turned into the bytes of its file and back, with validation.
///
/// Implemented for every [`ModelFile`] (JSON), for the neural families' checkpoints and for
/// [`BayesNet`](crate::bayesnet::BayesNet) (BIF). The default [`save`](Self::save) and
/// [`load`](Self::load) go through the bytes, so the file on disk and the bytes in memory are
/// one and the same.
pub trait Persist: Sized {
    /// The family's format name, as stored in the file (`gmm`, `hmm-gaussian`, `rbm`, `vae`, …;
    /// `bayesnet` for network files, which store none).
    const FORMAT: &'static str;
    /// The newest format version this build writes and reads.
    const VERSION: u32;
    /// How the file is encoded.
    const CODEC: Codec;

    /// The model's file, as bytes.
    fn to_bytes(&self) -> Result<Vec<u8>>;

    /// Decodes and validates a model from the bytes of its file; `origin` names them in errors
    /// (a path, or a description such as `"pickle"`).
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self>;

    /// Writes the model's file atomically: a failed write leaves no partial file, and an
    /// existing file is replaced only once the new one is complete.
    fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| {
            ModelFileError::Io {
                path: path.into(),
                source,
            }
            .into()
        })
    }

    /// Reads a model file once, checks that it holds this family, and decodes it.
    fn load(path: &Path) -> Result<Self> {
        ModelBytes::read(path)?.decode()
    }
}

impl<M: ModelFile> Persist for M {
    const FORMAT: &'static str = M::FAMILY;
    const VERSION: u32 = M::VERSION;
    const CODEC: Codec = Codec::Json;

    fn to_bytes(&self) -> Result<Vec<u8>> {
        super::model_file::model_bytes(self)
    }

    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        load_model_bytes(bytes, origin)
    }
}

/// A model file read into memory once, with its codec, format name and version already known,
/// so that a front end can choose the type to decode it into without reading it again.
#[derive(Debug, Clone)]
pub struct ModelBytes {
    origin: PathBuf,
    bytes: Vec<u8>,
    codec: Codec,
    format: String,
    version: u32,
}

impl ModelBytes {
    /// Reads the file at `path` (its size checked against the memory this process can have
    /// first) and identifies it.
    ///
    /// A file named `.bif`, `.xmlbif` or `.xml` is a network; otherwise the content decides: a
    /// safetensors header, a JSON envelope, or BIF/XMLBIF text.
    pub fn read(path: &Path) -> Result<Self> {
        let io = |source| ModelFileError::Io {
            path: path.into(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        check_memory(&format!("reading {}", path.display()), len as u128)?;
        let bytes = std::fs::read(path).map_err(io)?;
        let by_name = is_network_name(path);
        Self::identify(bytes, path, by_name)
    }

    /// Identifies the bytes of a model file (`origin` names them in errors).
    pub fn from_bytes(bytes: Vec<u8>, origin: &Path) -> Result<Self> {
        Self::identify(bytes, origin, false)
    }

    fn identify(bytes: Vec<u8>, origin: &Path, network: bool) -> Result<Self> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        let (codec, format, version) = if network {
            (Codec::Network, "bayesnet".to_string(), 0)
        } else if looks_like_safetensors(&bytes) {
            let (format, version) = safetensors_format(&bytes, origin)?;
            (Codec::Safetensors, format, version)
        } else if first == Some(&b'{') {
            let (format, version) = peek_bytes(&bytes, origin)?;
            (Codec::Json, format, version)
        } else if !bytes.is_empty() && std::str::from_utf8(&bytes).is_ok() {
            (Codec::Network, "bayesnet".to_string(), 0)
        } else {
            return Err(ModelFileError::Corrupt {
                path: origin.into(),
                reason: if bytes.is_empty() {
                    "the file is empty".into()
                } else {
                    "neither a JSON model file, a safetensors checkpoint nor BIF/XMLBIF text".into()
                },
            }
            .into());
        };
        Ok(ModelBytes {
            origin: origin.into(),
            bytes,
            codec,
            format,
            version,
        })
    }

    /// The format name stored in the file (`gmm`, `classifier-hmm-gaussian`, `vae`, …;
    /// `bayesnet` for BIF/XMLBIF text).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The format version stored in the file (0 for network text, which has none).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// How the file is encoded.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Where the bytes came from (a path, or the description given to
    /// [`from_bytes`](Self::from_bytes)).
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Decodes the file as family `M`: a file of another family is
    /// [`ModelFileError::WrongFamily`], one from a newer version
    /// [`ModelFileError::NewerVersion`]; what is decoded is validated.
    pub fn decode<M: Persist>(&self) -> Result<M> {
        if self.format != M::FORMAT {
            return Err(ModelFileError::WrongFamily {
                path: self.origin.clone(),
                expected: M::FORMAT.into(),
                found: self.format.clone(),
            }
            .into());
        }
        if self.version > M::VERSION {
            return Err(ModelFileError::NewerVersion {
                path: self.origin.clone(),
                found: self.version,
                supported: M::VERSION,
            }
            .into());
        }
        M::from_bytes(&self.bytes, &self.origin)
    }
}

/// Whether a file name says it is a Bayesian network (`.bif`, `.xmlbif`, `.xml`).
pub fn is_network_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "bif" | "xmlbif" | "xml")
}

/// A safetensors file starts with its header's length (8 bytes, little-endian) and the header's
/// JSON; a plausible length (under 100 MiB) followed by `{` is taken as one. Nine bytes decide.
pub fn looks_like_safetensors(bytes: &[u8]) -> bool {
    bytes.len() > 8
        && bytes[8] == b'{'
        && u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) < (100 << 20)
}

#[cfg(feature = "neural")]
fn safetensors_format(bytes: &[u8], origin: &Path) -> Result<(String, u32)> {
    let meta = crate::neural::checkpoint::meta_of(bytes, origin)?;
    Ok((meta.format, meta.version))
}

#[cfg(not(feature = "neural"))]
fn safetensors_format(_: &[u8], origin: &Path) -> Result<(String, u32)> {
    Err(ModelFileError::Corrupt {
        path: origin.into(),
        reason: "a safetensors checkpoint of a neural family; this build of genmodels has no \
                 `neural` feature"
            .into(),
    }
    .into())
}

impl Persist for crate::bayesnet::BayesNet {
    const FORMAT: &'static str = "bayesnet";
    const VERSION: u32 = 0;
    const CODEC: Codec = Codec::Network;

    /// The network as BIF text.
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(crate::bayesnet::formats::to_bif(self).into_bytes())
    }

    /// BIF or XMLBIF text: as `origin`'s extension says (`.bif`; `.xmlbif` or `.xml`), else
    /// told apart by the content (XMLBIF starts with `<`).
    fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self> {
        use crate::bayesnet::formats::{format_of, network_from_bytes};
        network_from_bytes(bytes.to_vec(), origin, format_of(origin))
    }

    /// Writes BIF (`.bif`) or XMLBIF (`.xmlbif`, `.xml`) by the file name's extension.
    fn save(&self, path: &Path) -> Result<()> {
        crate::bayesnet::formats::write_network(self, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayesnet::{BayesNet, Cpt, Variable};

    fn coin() -> BayesNet {
        BayesNet::new(
            vec![Variable::new("coin", &["heads", "tails"])],
            vec![Cpt {
                parents: vec![],
                values: vec![0.25, 0.75],
            }],
        )
        .unwrap()
    }

    #[test]
    fn a_network_round_trips_through_its_bytes_and_is_identified_by_content() {
        let net = coin();
        let bytes = net.to_bytes().unwrap();
        let file = ModelBytes::from_bytes(bytes, Path::new("mem")).unwrap();
        assert_eq!(file.codec(), Codec::Network);
        let back: BayesNet = file.decode().unwrap();
        assert_eq!(back.cpts(), net.cpts());
        let xml = crate::bayesnet::formats::to_xmlbif(&net).into_bytes();
        let back = BayesNet::from_bytes(&xml, Path::new("mem")).unwrap();
        assert_eq!(back.cpts(), net.cpts());
    }

    #[test]
    fn a_file_of_another_family_or_of_no_family_is_refused() {
        let net = coin();
        let file = ModelBytes::from_bytes(net.to_bytes().unwrap(), Path::new("mem")).unwrap();
        let err = file
            .decode::<crate::mixture::GaussianMixture>()
            .unwrap_err();
        assert!(err.to_string().contains("`bayesnet` model"), "{err}");
        for bad in [&b""[..], &[0xff, 0xfe, 0x00][..]] {
            let err = ModelBytes::from_bytes(bad.to_vec(), Path::new("mem")).unwrap_err();
            assert!(err.to_string().starts_with("mem: "), "{err}");
        }
        let err =
            ModelBytes::from_bytes(b"{\"format\": 3}".to_vec(), Path::new("mem")).unwrap_err();
        assert!(err.to_string().contains("not a readable"), "{err}");
    }

    #[test]
    fn a_newer_version_is_refused_before_decoding() {
        let text = br#"{"format": "genmodels/gmm", "version": 99, "model": {}}"#;
        let file = ModelBytes::from_bytes(text.to_vec(), Path::new("mem")).unwrap();
        assert_eq!((file.format(), file.version()), ("gmm", 99));
        let err = file
            .decode::<crate::mixture::GaussianMixture>()
            .unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
