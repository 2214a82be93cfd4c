//! IDX files (the format MNIST ships in), gzip'd or not: a big-endian header — two zero bytes,
//! a type code (0x08 = unsigned bytes), the number of dimensions — then one big-endian `u32`
//! size per dimension, then the values row by row.
//!
//! Written here because the format is twenty lines and no maintained crate reads it with
//! errors that name the file; decompression is `flate2`'s.

use std::io::Read;
use std::path::Path;

use ndarray::Array2;

use crate::core::{ReadError, Result};

/// An IDX array of unsigned bytes: its dimensions and its values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    /// The sizes of the dimensions (e.g. `[60000, 28, 28]` for MNIST's training images).
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

fn bad(path: &Path, message: impl Into<String>) -> crate::core::Error {
    ReadError::Format {
        path: path.into(),
        line: None,
        column: None,
        message: message.into(),
    }
    .into()
}

/// Parses IDX bytes (already decompressed). `path` is only used in error messages.
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<Idx> {
    if bytes.len() < 4 {
        return Err(bad(
            path,
            "too short for an IDX file (it needs a 4-byte header)",
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(
            path,
            "not an IDX file: it must start with two zero bytes (is it an image or a CSV?)",
        ));
    }
    if bytes[2] != 0x08 {
        return Err(bad(
            path,
            format!(
                "IDX value type 0x{:02x} is not supported; only unsigned bytes (0x08) are",
                bytes[2]
            ),
        ));
    }
    let nd = bytes[3] as usize;
    if nd == 0 {
        return Err(bad(path, "an IDX file with zero dimensions holds nothing"));
    }
    let header = 4 + 4 * nd;
    if bytes.len() < header {
        return Err(bad(
            path,
            format!("truncated: the header of {nd} dimensions needs {header} bytes"),
        ));
    }
    let dims: Vec<usize> = (0..nd)
        .map(|k| {
            let b = &bytes[4 + 4 * k..8 + 4 * k];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        })
        .collect();
    let size = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(path, format!("dimensions {dims:?} are too large")))?;
    let body = &bytes[header..];
    if body.len() != size {
        return Err(bad(
            path,
            format!(
                "dimensions {dims:?} need {size} values but the file holds {}{}",
                body.len(),
                if body.len() < size {
                    " (truncated?)"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(Idx {
        dims,
        data: body.to_vec(),
    })
}

/// Reads an IDX file, gunzipping it first when it starts with the gzip magic bytes.
pub fn read_idx(path: &Path) -> Result<Idx> {
    let raw = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| bad(path, format!("corrupt gzip data: {e}")))?;
        parse_idx(&out, path)
    } else {
        parse_idx(&raw, path)
    }
}

/// Reads IDX images (`N × H × W`, or `N × D`) as an `N × (H·W)` matrix of values in `[0, 1]`
/// (bytes divided by 255), with the image shape `(H, W)`.
///
/// ```
/// # fn main() -> genmodels::core::Result<()> {
/// let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist/t10k-images-idx3-ubyte.gz"));
/// let (x, (h, w)) = genmodels::io::idx::read_idx_images(path)?;
/// assert_eq!((x.nrows(), x.ncols(), h, w), (10_000, 784, 28, 28));
/// # Ok(()) }
/// ```
pub fn read_idx_images(path: &Path) -> Result<(Array2<f64>, (usize, usize))> {
    let idx = read_idx(path)?;
    let (n, shape) = match idx.dims.as_slice() {
        [n, h, w] => (*n, (*h, *w)),
        [n, d] => (*n, (1, *d)),
        d => {
            return Err(bad(
                path,
                format!("images need 2 or 3 dimensions, this file has {}", d.len()),
            ))
        }
    };
    let d = shape.0 * shape.1;
    let x = Array2::from_shape_vec((n, d), idx.data.iter().map(|&b| b as f64 / 255.0).collect())
        .map_err(|e| bad(path, e.to_string()))?;
    Ok((x, shape))
}

/// Reads IDX labels (one dimension of bytes).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let idx = read_idx(path)?;
    if idx.dims.len() != 1 {
        return Err(bad(
            path,
            format!(
                "labels need 1 dimension, this file has {} (is it an image file?)",
                idx.dims.len()
            ),
        ));
    }
    Ok(idx.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_errors_are_clear_and_never_panic() {
        let p = Path::new("x.idx");
        assert!(parse_idx(&[], p)
            .unwrap_err()
            .to_string()
            .contains("too short"));
        assert!(parse_idx(b"a,b\n1,2", p)
            .unwrap_err()
            .to_string()
            .contains("two zero bytes"));
        let ok = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9];
        assert_eq!(parse_idx(&ok, p).unwrap().data, vec![7, 9]);
        let e = parse_idx(&ok[..9], p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let huge = [
            0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        ];
        assert!(parse_idx(&huge, p).is_err());
        for cut in 0..ok.len() {
            let _ = parse_idx(&ok[..cut], p);
        }
    }
}
